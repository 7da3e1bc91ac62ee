"""The web skin: a FastAPI app built by ``create_app(kg)``; nothing is built at import."""

from __future__ import annotations

from escape_kg.web.app import create_app, serve

__all__ = ["create_app", "serve"]
