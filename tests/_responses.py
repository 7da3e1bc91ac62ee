"""What tests read of a TestClient response, typed once (its httpx flavour varies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["Response"]


class Response(Protocol):
    """A response as the tests read it: status, headers, body as bytes, text or JSON."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...
