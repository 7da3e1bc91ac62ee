"""WebSettings: the limits and CORS policy of the HTTP server (frozen, passed to create_app)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """What the web app allows; the defaults suit a public read-only endpoint.

    ``max_body_bytes`` caps a request body, ``max_query_chars`` the text of one
    query; ``cors_origins`` lists the origins browsers may read from ("*": any).
    """

    max_body_bytes: int = 1_000_000
    max_query_chars: int = 100_000
    cors_origins: tuple[str, ...] = ("*",)
