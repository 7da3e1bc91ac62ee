"""Who may write: updates must be switched on, and the request must carry the bearer token."""

from __future__ import annotations

import hmac

from fastapi import Request

from escape_kg.config import Settings
from escape_kg.web.errors import WebError
from escape_kg.web.security import UPDATES_OFF

__all__ = ["require_writer"]


def require_writer(request: Request, settings: Settings) -> None:
    """Return if ``request`` may change the store.

    Raises WebError 403 when updates are off (saying how to switch them on) and
    401 with ``WWW-Authenticate: Bearer`` when the token is missing or wrong.
    """
    if not settings.allow_updates or not settings.token:
        raise WebError(
            403,
            f"{UPDATES_OFF}: this request would change the store",
            title="Updates off",
            hint="the operator can switch updates on with `escape-kg serve --allow-updates` "
            "and a secret in ESCAPE_KG_TOKEN; clients then send `Authorization: Bearer <token>`",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest takes the same time wherever the first differing byte is.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), settings.token.encode()
    ):
        raise WebError(
            401,
            "this request changes the store and needs the server's bearer token",
            hint="send `Authorization: Bearer <token>` with the token the server was "
            "started with (ESCAPE_KG_TOKEN)",
            headers={"WWW-Authenticate": 'Bearer realm="escape-kg"'},
        )
