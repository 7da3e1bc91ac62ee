"""HTTP for remote stores: requests with authentication, and server errors as escape-kg errors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import (
    HTTPBasicAuthHandler,
    HTTPDigestAuthHandler,
    HTTPPasswordMgrWithDefaultRealm,
    OpenerDirector,
    Request,
    build_opener,
    parse_http_list,
    parse_keqv_list,
)

from escape_kg import __version__
from escape_kg.errors import QueryError, QueryTimeoutError, StoreError
from escape_kg.store.endpoints import RemoteEndpoints

__all__ = ["Transport", "plain_blank_nodes"]


class _Digest(HTTPDigestAuthHandler):
    """HTTP digest authentication that answers the server's last challenge up front.

    Plain urllib sends each request without credentials first; Virtuoso then answers
    401 before reading a large body and closes the connection (a broken pipe). After
    the first challenge, every request carries the answer to it.
    """

    def __init__(self, passwords: HTTPPasswordMgrWithDefaultRealm) -> None:
        super().__init__(passwords)
        self._challenges: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()  # nonce counts are shared by the server's threads

    def http_error_auth_reqed(self, auth_header: str, host: str, req: Request, headers: Any) -> Any:
        challenge = headers.get(auth_header) or ""
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() == "digest":
            self._challenges[host] = parse_keqv_list(
                [part for part in parse_http_list(rest) if part]
            )
        return super().http_error_auth_reqed(auth_header, host, req, headers)

    def http_request(self, req: Request) -> Request:
        challenge = self._challenges.get(urlsplit(req.full_url).netloc)
        if challenge is not None and not req.has_header("Authorization"):
            with self._lock:
                answer = self.get_authorization(req, challenge)
            if answer:
                req.add_unredirected_header("Authorization", f"Digest {answer}")
        return req

    https_request = http_request


def opener(endpoints: RemoteEndpoints) -> OpenerDirector:
    if not endpoints.user:
        return build_opener()
    passwords = HTTPPasswordMgrWithDefaultRealm()
    # For the whole server: the update and Graph Store URLs may be derived later.
    for url in (endpoints.query_url, endpoints.update_url, endpoints.gsp_url):
        if url:
            parts = urlsplit(url)
            root = f"{parts.scheme}://{parts.netloc}/"
            passwords.add_password(None, root, endpoints.user, endpoints.password or "")
    # Both schemes: the server's challenge picks one (Virtuoso's /sparql-auth wants digest).
    return build_opener(HTTPBasicAuthHandler(passwords), _Digest(passwords))


def server_message(body: bytes) -> str:
    """The first lines of a server's error page, enough to say what went wrong."""
    text = body.decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:3])[:500] or "no message"


def plain_blank_nodes(body: bytes) -> bytes:
    """JSON results with blank node labels the parser accepts: Virtuoso writes them as
    ``nodeID://b10001`` (and ``_:b10001`` in N-Triples, which this keeps in step with)."""
    doc = json.loads(body)
    for row in doc.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                label = str(term["value"]).removeprefix("nodeID://").removeprefix("_:")
                term["value"] = re.sub(r"[^A-Za-z0-9_]", "_", label) or "b"
    return json.dumps(doc).encode("utf-8")


class Transport:
    """Sends requests to one remote store, as its user, and turns failures into errors."""

    def __init__(self, endpoints: RemoteEndpoints) -> None:
        self.endpoints = endpoints
        self._opener = opener(endpoints)

    @property
    def location(self) -> str:
        """The query URL, for messages."""
        return self.endpoints.query_url

    def send(
        self, request: Request, *, timeout: float, writing: bool
    ) -> tuple[bytes, str, Mapping[str, str]]:
        url = request.full_url
        try:
            with self._opener.open(request, timeout=timeout) as response:
                body = response.read()
                return body, response.headers.get("Content-Type", ""), response.headers
        except HTTPError as exc:
            raise self.refused(exc, writing=writing) from exc
        except (TimeoutError, URLError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
                raise QueryTimeoutError(
                    f"the SPARQL store at {url} did not answer within {timeout:g} s",
                    hint="make the query more selective (GRAPH <...>, LIMIT), or raise "
                    "--query-timeout / ESCAPE_KG_QUERY_TIMEOUT",
                ) from exc
            raise StoreError(
                f"cannot reach the SPARQL store at {url}: {reason}",
                hint="check that the server is running and the URL given with --store / "
                "ESCAPE_KG_STORE (ESCAPE_KG_STORE_UPDATE for updates) is right",
            ) from exc
        except OSError as exc:  # a connection reset while reading, and the like
            raise StoreError(f"the connection to the SPARQL store at {url} failed: {exc}") from exc
        except ValueError as exc:  # urllib: an authentication scheme it cannot answer
            raise StoreError(
                f"cannot authenticate to the SPARQL store at {url}: {exc}",
                hint="the server must accept HTTP basic or digest authentication",
            ) from exc

    def refused(self, exc: HTTPError, *, writing: bool) -> QueryError | StoreError:
        message = server_message(exc.read())
        where = exc.url or self.location
        if exc.code in (401, 403) or "SR186" in message or "permission" in message.lower():
            return QueryError(
                f"the SPARQL store at {where} refused the {'update' if writing else 'query'} "
                f"(HTTP {exc.code}): {message}",
                hint="give an account allowed to write with ESCAPE_KG_STORE_USER and "
                "ESCAPE_KG_STORE_PASSWORD (Virtuoso: used at /sparql-auth), or grant "
                "SPARQL_UPDATE to the server's SPARQL user",
            )
        if exc.code in (404, 405):
            return StoreError(
                f"no SPARQL {'update' if writing else 'query'} service at {where} "
                f"(HTTP {exc.code})",
                hint="check the URL given with --store / ESCAPE_KG_STORE, or set "
                "ESCAPE_KG_STORE_UPDATE to the update endpoint",
            )
        return QueryError(
            f"the SPARQL store at {where} answered HTTP {exc.code}: {message}",
            hint="see https://www.w3.org/TR/sparql11-query/#grammar"
            if exc.code == 400
            else "the server's log may say more",
        )

    @staticmethod
    def form(url: str, fields: list[tuple[str, str]], accept: str) -> Request:
        # A form-encoded POST works everywhere: Virtuoso hangs on a POSTed
        # application/sparql-query body and answers HTML to a request without Accept.
        data = urlencode(fields).encode("utf-8")
        headers = {
            "Accept": accept,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": f"escape-kg/{__version__}",
        }
        return Request(url, data=data, headers=headers, method="POST")
