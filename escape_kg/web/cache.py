"""The answer cache of read routes, and HTTP validators (ETag, Last-Modified, 304 answers).

Answers are kept in memory, keyed by what determines them (the query text or
catalogue name and bound values, the dataset, the chosen format), and tagged with
the ``DataVersion`` they were computed from: any write through the KnowledgeGraph
makes every older entry stale. The ETag is a hash of the data version and the
key, so a matching ``If-None-Match`` is answered without running anything.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from escape_kg.api import DataVersion

__all__ = [
    "CachedAnswer",
    "ResponseCache",
    "entity_tag",
    "http_date",
    "make_key",
    "matches_etag",
    "normalise_query",
    "not_modified_since",
    "parse_http_date",
    "validators",
]

# A computed answer: its media type and body, and optionally headers that go with it.
Compute = Callable[
    [], Awaitable[tuple[str, bytes] | tuple[str, bytes, tuple[tuple[str, str], ...]]]
]


def normalise_query(text: str) -> str:
    """The query text as a cache key part: without surrounding whitespace.

    Nothing inside is touched: whitespace within a string literal is data.
    """
    return text.strip()


def make_key(*parts: object) -> str:
    """A cache key from JSON-ready ``parts`` (strings, None, lists); equal parts, equal key."""
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def entity_tag(version: str, key: str) -> str:
    """A strong ETag (quoted) for the answer to ``key`` computed from data ``version``."""
    digest = hashlib.sha256(f"{version}\n{key}".encode()).hexdigest()
    return f'"{digest[:24]}"'


def http_date(timestamp: float) -> str:
    """``timestamp`` (epoch seconds, truncated to whole seconds) as an HTTP-date."""
    return email.utils.formatdate(math.floor(timestamp), usegmt=True)


def parse_http_date(text: str) -> float | None:
    """Epoch seconds of an HTTP-date, or None if ``text`` is not one."""
    try:
        stamp = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:  # HTTP-dates are GMT; a zone-less one is malformed
        return None
    return stamp.timestamp()


def matches_etag(if_none_match: str, etag: str) -> bool:
    """True if the If-None-Match header value lists ``etag`` (or is ``*``).

    If-None-Match compares weakly (RFC 9110, 13.1.2): a ``W/`` prefix is ignored.
    """
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def not_modified_since(if_modified_since: str, modified: float) -> bool:
    """True if the data, last changed at ``modified``, is no newer than the header's date
    (whole seconds, as HTTP-dates have). False for a malformed date."""
    since = parse_http_date(if_modified_since)
    return since is not None and math.floor(modified) <= since


def validators(etag: str, modified: float, max_age: int) -> dict[str, str]:
    """The headers that let clients revalidate an answer: ETag, Last-Modified and
    Cache-Control (``no-cache``, i.e. ask every time, when ``max_age`` is 0)."""
    return {
        "ETag": etag,
        "Last-Modified": http_date(modified),
        "Cache-Control": f"max-age={max_age}" if max_age > 0 else "no-cache",
    }


@dataclass(frozen=True)
class CachedAnswer:
    """One answer as sent: its media type and body, the data version it reflects, and
    headers that belong to the body (a page's ``Link``)."""

    media_type: str
    body: bytes
    version: DataVersion
    headers: tuple[tuple[str, str], ...] = ()


class ResponseCache:
    """Recent answers, least recently used dropped first: at most ``max_entries`` of them
    and ``max_bytes`` of keys and bodies together (``max_entries`` 0: keep nothing).

    Thread-safe. ``answer`` is the hook routes call.
    """

    def __init__(self, *, max_entries: int, max_bytes: int, max_age: int = 0) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held (keys and bodies)."""
        with self._lock:
            return self._bytes

    def get(self, key: str, version: DataVersion) -> CachedAnswer | None:
        """The answer stored for ``key`` if it was computed from ``version``, else None
        (an answer from older data is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version.tag != version.tag:
                self._drop(key)
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: CachedAnswer) -> None:
        """Keep ``entry`` for ``key``, evicting the least recently used past the bounds.

        An answer larger than ``max_bytes`` on its own is not kept.
        """
        cost = len(key) + len(entry.body)
        if self.max_entries <= 0 or cost > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += cost
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(key) + len(entry.body)

    async def answer(
        self, request: Request, key: str, version: DataVersion, compute: Compute
    ) -> Response:
        """The response to a read request: 304 when the client's copy is current, else
        the stored answer, else ``compute()``'s (media type, body), stored for next time.

        ``version`` must be read before ``compute`` runs, so that an answer racing a
        write is filed under the older version and never served after it. Errors
        from ``compute`` propagate and are not stored. GET and HEAD get validators;
        POST answers get none (a POST names no resource a client could revalidate).
        """
        conditional = request.method in ("GET", "HEAD")
        etag = entity_tag(version.tag, key)
        headers = {"Vary": "Accept"}
        if conditional:
            headers |= validators(etag, version.modified, self.max_age)
        if_none_match = request.headers.get("if-none-match")
        # The tag depends only on the key and the data version: no need to run anything.
        if conditional and if_none_match is not None and matches_etag(if_none_match, etag):
            return Response(status_code=304, headers=headers | {"X-Cache": "revalidated"})
        entry = self.get(key, version)
        headers["X-Cache"] = "miss" if entry is None else "hit"
        if entry is None:
            media_type, body, *more = await compute()
            entry = CachedAnswer(media_type, body, version, *more)
            self.put(key, entry)
        since = request.headers.get("if-modified-since")
        # If-Modified-Since counts only without If-None-Match (RFC 9110, 13.1.3).
        fresh = since is not None and not_modified_since(since, version.modified)
        if conditional and if_none_match is None and fresh:
            return Response(status_code=304, headers=headers)
        return _full(request, entry, headers)


def _full(request: Request, entry: CachedAnswer, headers: Mapping[str, str]) -> Response:
    body = entry.body
    extra = dict(headers) | dict(entry.headers)
    if request.method == "HEAD":
        extra["content-length"] = str(len(body))
        body = b""
    return Response(body, media_type=entry.media_type, headers=extra)
