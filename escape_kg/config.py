"""Settings: defaults < ESCAPE_KG_* environment < explicit arguments; no I/O at import."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from escape_kg.errors import ConfigError
from escape_kg.rdf.iris import DEFAULT_BASE

__all__ = ["DEFAULT_MAX_BYTES", "ENVIRONMENT", "Settings", "default_store_path", "is_remote"]

# Minutes are a few kB; 10 MB is far beyond any real page and keeps a stray
# upload (a video, a data dump) from being read into memory whole.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Enough to catch a name or a URL given where an address belongs; not RFC 5322.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A --store value naming a SPARQL server (optionally with a server-kind prefix), not a folder.
_REMOTE = re.compile(r"^(?:(?:oxigraph|virtuoso|sparql)\+)?https?://", re.I)


def is_remote(spec: str) -> bool:
    """True if ``spec`` (a --store or ESCAPE_KG_STORE value) is the URL of a SPARQL store."""
    return bool(_REMOTE.match(spec.strip()))


def default_store_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the store lives when nothing says otherwise.

    ``$XDG_DATA_HOME/escape-kg/store``, i.e. ``~/.local/share/escape-kg/store``.
    """
    env = os.environ if env is None else env
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "escape-kg" / "store"


def _number(kind: Callable[[str], Any], what: str) -> Callable[[str, str], Any]:
    def read(name: str, raw: str) -> Any:
        try:
            return kind(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be {what}, not {raw!r}") from exc

    return read


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _words(name: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


# Environment variable -> (setting, reader). The README's "Serving" section lists them.
ENVIRONMENT: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    # A folder, or the URL of a SPARQL server (README, "Remote stores").
    "ESCAPE_KG_STORE": ("store", lambda _n, raw: raw.strip() if is_remote(raw) else Path(raw)),
    "ESCAPE_KG_STORE_UPDATE": ("store_update_url", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_STORE_GSP": ("store_gsp_url", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_STORE_USER": ("store_user", lambda _n, raw: raw),
    "ESCAPE_KG_STORE_PASSWORD": ("store_password", lambda _n, raw: raw),
    "ESCAPE_KG_BASE": ("base", lambda _n, raw: raw),
    "ESCAPE_KG_MAX_BYTES": ("max_bytes", _number(int, "a number of bytes")),
    "ESCAPE_KG_MAX_BODY_BYTES": ("max_body_bytes", _number(int, "a number of bytes")),
    "ESCAPE_KG_MAX_QUERY_CHARS": ("max_query_chars", _number(int, "a number of characters")),
    "ESCAPE_KG_QUERY_TIMEOUT": ("query_timeout", _number(float, "a number of seconds")),
    "ESCAPE_KG_QUERY_WORKERS": ("query_workers", _number(int, "a number of processes")),
    "ESCAPE_KG_QUERY_WAIT": ("query_wait", _number(float, "a number of seconds")),
    "ESCAPE_KG_IMPORT_WORKERS": ("import_workers", _number(int, "a number of processes")),
    "ESCAPE_KG_MAX_RESULT_ROWS": ("max_result_rows", _number(int, "a number of rows")),
    "ESCAPE_KG_MAX_RESULT_BYTES": ("max_result_bytes", _number(int, "a number of bytes")),
    "ESCAPE_KG_CORS_ORIGINS": ("cors_origins", _words),
    "ESCAPE_KG_CACHE_ENTRIES": ("cache_entries", _number(int, "a number of answers")),
    "ESCAPE_KG_CACHE_BYTES": ("cache_bytes", _number(int, "a number of bytes")),
    "ESCAPE_KG_CACHE_MAX_AGE": ("cache_max_age", _number(int, "a number of seconds")),
    "ESCAPE_KG_ALLOW_UPDATES": ("allow_updates", _flag),
    "ESCAPE_KG_TOKEN": ("token", lambda _n, raw: raw),
    "ESCAPE_KG_SERVICE_ALLOW": ("service_allow", _words),
    "ESCAPE_KG_LOAD_ALLOW": ("load_allow", _words),
    # Registry metadata (README, "Registering the dataset").
    "ESCAPE_KG_PUBLIC_URL": ("public_url", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_TITLE": ("title", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_DESCRIPTION": ("description", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_PUBLISHER_NAME": ("publisher_name", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_PUBLISHER_URL": ("publisher_url", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_CONTACT_NAME": ("contact_name", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_CONTACT_EMAIL": ("contact_email", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_LICENSE": ("license", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_LANDING_PAGE": ("landing_page", lambda _n, raw: raw.strip()),
    "ESCAPE_KG_KEYWORDS": ("keywords", _words),
    "ESCAPE_KG_EOSC_NODE": ("eosc_node", lambda _n, raw: raw.strip()),
}

DEFAULT_TITLE = "ESCAPE meeting minutes knowledge graph"
DEFAULT_DESCRIPTION = (
    "Linked data extracted from the minutes of ESCAPE project meetings: meetings and their "
    "agenda items, speakers and their stated affiliations, organisations, work packages, "
    "deliverables, events and services, each fact linked to the line of the minutes it "
    "comes from. Secrets such as meeting passcodes are removed before anything is stored."
)
DEFAULT_KEYWORDS = (
    "ESCAPE",
    "meeting minutes",
    "knowledge graph",
    "linked data",
    "astronomy",
    "particle physics",
    "research infrastructures",
    "EOSC",
)


@dataclass(frozen=True)
class Settings:
    """Everything configurable; build with ``Settings.load`` to layer the sources.

    ``store`` None means an in-memory store (tests, demos), unless ``store_url``
    names a remote SPARQL 1.1 store (``store_update_url``, ``store_gsp_url``,
    ``store_user`` and ``store_password`` complete it). The serving limits:
    ``max_body_bytes`` caps a /sparql or /update request body (graph uploads to
    /store are capped by ``max_bytes``), ``max_query_chars`` the text of one
    query, ``query_timeout`` (seconds) the run time of one query, which
    ``query_workers`` processes run; a request waits at most ``query_wait`` seconds
    for one of them to come free (then 503); ``max_result_rows`` and ``max_result_bytes``
    cap what one answer may hold. The server keeps recent read answers in memory,
    at most ``cache_entries`` of them (0: no cache) and ``cache_bytes`` in all,
    until the next write; ``cache_max_age`` is how many seconds clients may reuse
    an answer without asking again (0: they revalidate every time).
    ``cors_origins`` lists the origins browsers may read from ("*": any).
    Updates need ``allow_updates`` and a ``token``; ``service_allow`` /
    ``load_allow`` list the only IRIs SERVICE / LOAD may name.

    Registry metadata (DCAT-AP, VoID, schema.org, EOSC): ``public_url`` is where
    clients reach this server ("" means: the address a request came to, or
    http://127.0.0.1:8000/ on the command line); ``landing_page`` ("" means
    ``public_url``); ``title``, ``description``, ``publisher_name``,
    ``publisher_url``, ``contact_name``, ``contact_email`` ("" until set:
    ``register --check`` reports it), ``license`` (an IRI), ``keywords`` and
    ``eosc_node`` (the EOSC node id, e.g. ``node-sandbox``, for the EOSC payload).
    """

    store: Path | None = None
    # A remote SPARQL store instead of ``store``: its query URL (or a preset such as
    # virtuoso+http://host:8890), update and Graph Store URLs, and credentials.
    store_url: str = ""
    store_update_url: str = ""
    store_gsp_url: str = ""
    store_user: str = ""
    store_password: str = field(default="", repr=False)  # never printed or logged
    base: str = DEFAULT_BASE
    max_bytes: int = DEFAULT_MAX_BYTES
    max_body_bytes: int = 1_000_000
    max_query_chars: int = 100_000
    query_timeout: float = 30.0
    query_workers: int = 2
    # How long a request may queue for a busy worker, apart from how long its query may
    # run: a closed loop of 32 clients on 2 workers queues seconds at a time, normally.
    query_wait: float = 30.0
    # Processes that build documents in long imports; 0 = one per core.
    import_workers: int = 0
    max_result_rows: int = 100_000
    max_result_bytes: int = 64 * 1024 * 1024
    cache_entries: int = 1024
    cache_bytes: int = 64 * 1024 * 1024
    cache_max_age: int = 0
    cors_origins: tuple[str, ...] = ("*",)
    allow_updates: bool = False
    token: str | None = field(default=None, repr=False)  # never printed or logged
    service_allow: tuple[str, ...] = ()
    load_allow: tuple[str, ...] = ()
    public_url: str = ""
    title: str = DEFAULT_TITLE
    description: str = DEFAULT_DESCRIPTION
    publisher_name: str = "ESCAPE project"
    publisher_url: str = "https://projectescape.eu/"
    contact_name: str = "ESCAPE knowledge graph maintainers"
    contact_email: str = ""
    license: str = "https://creativecommons.org/licenses/by/4.0/"
    landing_page: str = ""
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    eosc_node: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``ESCAPE_KG_*`` variables from ``env``, then non-None ``overrides``.

        Raises ConfigError for a malformed value (say, a base that is not an
        http(s) IRI, a non-numeric limit, or updates switched on without a token).
        """
        env = os.environ if env is None else env
        settings = cls(store=default_store_path(env))
        values: dict[str, Any] = {}
        for name, (setting, read) in ENVIRONMENT.items():
            raw = env.get(name)
            if raw:
                values[setting] = read(name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        # --store and ESCAPE_KG_STORE take a folder or a URL; a URL is a remote store.
        chosen = values.get("store")
        if isinstance(chosen, str) and is_remote(chosen):
            values["store_url"], values["store"] = chosen.strip(), None
        elif isinstance(chosen, str):
            values["store"] = Path(chosen)
        settings = replace(settings, **values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ConfigError if a value cannot work."""
        if not self.base.startswith(("http://", "https://")):
            raise ConfigError(
                f"the base IRI must start with http:// or https://, not {self.base!r}",
                hint="set ESCAPE_KG_BASE or --base to something like https://kg.example.org/id/",
            )
        positive = ("max_bytes", "max_body_bytes", "max_query_chars", "max_result_rows")
        for name in (*positive, "max_result_bytes", "query_timeout", "query_wait"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"the setting {name} must be a positive number")
        for name in ("cache_entries", "cache_bytes", "cache_max_age"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"the setting {name} cannot be negative",
                    hint=f"set ESCAPE_KG_{name.upper()} to 0 or more (0 switches it off)",
                )
        if self.query_workers < 0:
            raise ConfigError(
                "the number of query workers cannot be negative",
                hint="0 runs queries in the server process, without a time limit",
            )
        for name in ("public_url", "landing_page", "publisher_url", "license"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ConfigError(
                    f"the setting {name} must be an http(s) IRI, not {value!r}",
                    hint=f"set ESCAPE_KG_{name.upper()} to a full http:// or https:// address",
                )
        if self.contact_email and not _EMAIL.fullmatch(self.contact_email):
            raise ConfigError(
                f"the contact email {self.contact_email!r} is not an email address",
                hint="set ESCAPE_KG_CONTACT_EMAIL to an address such as kg@example.org",
            )
        if self.allow_updates and not self.token:
            raise ConfigError(
                "updates are switched on but no token is set",
                hint="export ESCAPE_KG_TOKEN=<a long random secret> (for example "
                "`openssl rand -hex 32`) before `escape-kg serve --allow-updates`; "
                "clients then send it as `Authorization: Bearer <token>`",
            )
