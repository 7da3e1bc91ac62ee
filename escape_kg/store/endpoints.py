"""Where a remote SPARQL 1.1 store answers: query, update and Graph Store URLs, the server
kind, credentials; built from `--store URL` / ESCAPE_KG_STORE and ESCAPE_KG_STORE_* settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from escape_kg.config import is_remote
from escape_kg.errors import ConfigError

__all__ = ["Flavour", "RemoteEndpoints", "is_remote", "remote_endpoints"]

# "oxigraph": Oxigraph server; "virtuoso": OpenLink Virtuoso; "generic": any other SPARQL 1.1
# server (Fuseki, GraphDB, ...), spoken to by the standard protocols only.
Flavour = Literal["oxigraph", "virtuoso", "generic"]

# `--store oxigraph+http://host:7878` names the server kind; plain http(s) is detected.
_SCHEME = re.compile(r"^(?:(oxigraph|virtuoso|sparql)\+)?(https?)://", re.I)
_FLAVOURS: dict[str, Flavour] = {
    "oxigraph": "oxigraph",
    "virtuoso": "virtuoso",
    "sparql": "generic",
}


@dataclass(frozen=True)
class RemoteEndpoints:
    """The URLs of one remote store. ``flavour`` None means: not known yet, ask the
    server (its ``Server`` header) on first contact. ``update_url`` and ``gsp_url``
    None mean: derive them once the flavour is known."""

    query_url: str
    flavour: Flavour | None = None
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    def with_flavour(self, flavour: Flavour) -> RemoteEndpoints:
        """These endpoints for a server of kind ``flavour``, with the update and Graph
        Store URLs its defaults give where none were set."""
        parts = urlsplit(self.query_url)
        path = parts.path.rstrip("/")

        def at(new_path: str) -> str:
            return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))

        update, gsp = self.update_url, self.gsp_url
        if flavour == "oxigraph":
            root = path.removesuffix("/query")
            update = update or at(root + "/update")
            gsp = gsp or at(root + "/store")
        elif flavour == "virtuoso":
            # /sparql runs updates as the SPARQL user, which may not write; /sparql-auth
            # asks for the credentials (HTTP digest) and runs them as that account.
            root = path.removesuffix("/sparql")
            update = update or at(root + ("/sparql-auth" if self.user else "/sparql"))
            gsp = gsp or at(
                root + ("/sparql-graph-crud-auth" if self.user else "/sparql-graph-crud")
            )
        elif update is None:
            if re.search(r"/repositories/[^/]+$", path):  # GraphDB, RDF4J
                update = at(path + "/statements")
            elif path.endswith(("/query", "/sparql")):  # Fuseki
                update = at(path.rsplit("/", 1)[0] + "/update")
            else:
                update = self.query_url
        return RemoteEndpoints(
            self.query_url, flavour, update, gsp, self.user, self.password, self.timeout
        )


def remote_endpoints(
    spec: str,
    *,
    update_url: str = "",
    gsp_url: str = "",
    user: str = "",
    password: str = "",
    timeout: float = 30.0,
) -> RemoteEndpoints:
    """The endpoints named by a --store value such as ``http://host:7878/query``,
    ``virtuoso+http://host:8890`` or ``sparql+https://host/ds/sparql``.

    ``oxigraph+`` and ``virtuoso+`` accept the server's root URL and fill in its
    usual paths (/query, /update, /store; /sparql, /sparql-auth); ``sparql+`` is any
    other SPARQL 1.1 server; a plain http(s) URL is the query endpoint itself, and
    the server kind is asked of the server. Raises ConfigError for a malformed URL.
    """
    match = _SCHEME.match(spec.strip())
    if match is None:
        raise ConfigError(f"not a SPARQL store URL: {spec!r}")
    rest = spec.strip()[match.end() :]
    url = f"{match.group(2).lower()}://{rest}"
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(
            f"the store URL {spec!r} names no host",
            hint="write it like http://127.0.0.1:7878/query or virtuoso+http://host:8890",
        )
    flavour = _FLAVOURS.get((match.group(1) or "").lower())
    path = parts.path.rstrip("/")
    if flavour == "oxigraph" and not path.endswith("/query"):
        url = urlunsplit((parts.scheme, parts.netloc, path + "/query", parts.query, ""))
    elif flavour == "virtuoso" and not path.endswith("/sparql"):
        url = urlunsplit((parts.scheme, parts.netloc, path + "/sparql", parts.query, ""))
    for name, value in (("ESCAPE_KG_STORE_UPDATE", update_url), ("ESCAPE_KG_STORE_GSP", gsp_url)):
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    endpoints = RemoteEndpoints(
        url,
        None,
        update_url or None,
        gsp_url or None,
        user or None,
        password or None,
        timeout,
    )
    return endpoints if flavour is None else endpoints.with_flavour(flavour)
