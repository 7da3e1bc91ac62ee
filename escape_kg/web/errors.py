"""The one HTTP error handler: every error gets the same JSON body, or an HTML page for browsers.

The body is ``{"error": {"status": 400, "title": "...", "detail": "...", "hint": "..."}}``;
``hint`` is null when there is nothing to suggest.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from escape_kg.errors import (
    ConfigError,
    EscapeKGError,
    InputError,
    QueryError,
    QueryTimeoutError,
    ResultTooLargeError,
    ServerBusyError,
    StoreLockedError,
    ValidationError,
)
from escape_kg.web.negotiation import HTML, choose
from escape_kg.web.observability import mark_error

__all__ = ["WebError", "error_response", "install_error_handlers"]

# Library errors -> status codes; the first matching class (in order) wins.
# A runaway query is the server declining (503); an answer past the caps is the request
# asking for more than the server sends (413: no status names a too-large response).
_STATUS: tuple[tuple[type[EscapeKGError], int], ...] = (
    (QueryTimeoutError, 503),
    (ServerBusyError, 503),
    (ResultTooLargeError, 413),
    (QueryError, 400),
    (InputError, 400),
    (ValidationError, 422),
    (StoreLockedError, 503),
    (ConfigError, 500),
    (EscapeKGError, 500),
)


class WebError(HTTPException):
    """An HTTP-level refusal (405, 406, 413, 415...) with a title, a detail and a hint."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        hint: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, dict(headers) if headers else None)
        self.hint = hint
        self.title = title or HTTPStatus(status).phrase


def error_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error as JSON (or HTML when the client prefers text/html); empty body for HEAD."""
    title = title or HTTPStatus(status).phrase
    body = {"error": {"status": status, "title": title, "detail": detail, "hint": hint}}
    offers = {"json": "application/json", "html": HTML}
    if choose(request.headers.get("accept"), offers) == "html":
        content = _page(status, title, detail, hint).encode()
        media = "text/html; charset=utf-8"
    else:
        content = json.dumps(body, ensure_ascii=False).encode()
        media = "application/json"
    extra = dict(headers or {})
    if request.method == "HEAD":
        extra["content-length"] = str(len(content))
        content = b""
    return Response(content, status_code=status, media_type=media, headers=extra)


def _page(status: int, title: str, detail: str, hint: str | None) -> str:
    esc = html.escape
    hint_html = f"<p><strong>Hint:</strong> {esc(hint)}</p>" if hint else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{status} {esc(title)}</title></head>\n<body>"
        f"<h1>{status} {esc(title)}</h1>\n<pre>{esc(detail)}</pre>\n{hint_html}\n"
        "</body></html>\n"
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    hint = getattr(exc, "hint", None)
    if not isinstance(exc, WebError):  # raised by routing, which says little
        if exc.status_code == 404:
            detail = f"nothing at {request.url.path}"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            detail = f"{request.method} is not allowed at {request.url.path}"
            hint = f"use {allowed}" if allowed else None
    return error_response(
        request,
        exc.status_code,
        detail,
        title=getattr(exc, "title", None),
        hint=hint,
        headers=exc.headers,
    )


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EscapeKGError)
    mark_error(request, exc)
    status = next(code for cls, code in _STATUS if isinstance(exc, cls))
    # Server faults stay vague (paths, engine internals); a timeout is the client's business.
    public = status < 500 or isinstance(exc, QueryTimeoutError | ServerBusyError)
    detail = exc.message if public else "the server could not complete the request"
    hint = exc.hint if public else None
    # A busy server says when to come back (RFC 9110, 10.2.3); the request did no harm.
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ServerBusyError) else None
    return error_response(request, status, detail, hint=hint, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, str(exc))


async def _unexpected(request: Request, exc: Exception) -> Response:
    mark_error(request, exc)
    # Starlette still re-raises the exception after this, so it is logged with its traceback.
    return error_response(request, 500, "the server could not complete the request")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error the app can produce through ``error_response``."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(EscapeKGError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
