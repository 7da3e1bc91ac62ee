"""The one exception tree of escape-kg.

Every error the library raises on purpose is an ``EscapeKGError``; the skins
turn them into exit codes (cli.py) and status codes (web/)::

    EscapeKGError
     ├── ConfigError            a setting is missing or malformed
     ├── InputError             a user-supplied file cannot be used
     │    ├── SourceError       unreadable: empty, binary, wrong encoding, too large
     │    └── ParseError        readable, but not minutes (no agenda, no date, ...)
     ├── ValidationError        the graph violates the shapes (carries the report)
     ├── ServerBusyError        every query worker stayed busy for as long as a request waits
     ├── QueryError             a SPARQL query is malformed or refused
     │    ├── QueryTimeoutError a query ran past the time limit and was stopped
     │    └── ResultTooLargeError  an answer exceeds the row or byte cap
     └── StoreError             the store cannot be opened, read or written
          └── StoreLockedError  another process holds the store
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escape_kg.validate import ValidationReport

__all__ = [
    "ConfigError",
    "EscapeKGError",
    "InputError",
    "ParseError",
    "QueryError",
    "QueryTimeoutError",
    "ResultTooLargeError",
    "ServerBusyError",
    "SourceError",
    "StoreError",
    "StoreLockedError",
    "ValidationError",
]


class EscapeKGError(Exception):
    """Root of every error escape-kg raises on purpose.

    ``hint`` says what the user can do about it; ``path`` and ``line`` say
    where, when the error is about a file.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (import workers); the default pickling
        # would call __init__ with the message alone and lose hint, path and line.
        return (_restore, (type(self), self.args, self.__dict__))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def _restore(
    cls: type[EscapeKGError], args: tuple[object, ...], state: dict[str, object]
) -> EscapeKGError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(EscapeKGError):
    """A setting is missing or malformed."""


class InputError(EscapeKGError):
    """A user-supplied file cannot be turned into a knowledge graph."""


class SourceError(InputError):
    """The file cannot be read as text: empty, binary, undecodable or too large."""


class ParseError(InputError):
    """The file is text but not minutes we understand (no agenda, no date...)."""


class ValidationError(EscapeKGError):
    """The graph made from a document violates the shapes; ``report`` says how."""

    def __init__(self, message: str, report: ValidationReport, *, path: str | None = None) -> None:
        super().__init__(
            message,
            hint="fix the lines named above, or import with --force to store it anyway",
            path=path,
        )
        self.report = report


class ServerBusyError(EscapeKGError):
    """No query worker came free within the time a request may wait for one; the query
    never started. ``retry_after`` is how many seconds a client should wait first."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class QueryError(EscapeKGError):
    """A SPARQL query is malformed, refused, or failed in the engine."""


class QueryTimeoutError(QueryError):
    """A query ran longer than the time limit; the process running it was stopped."""


class ResultTooLargeError(QueryError):
    """An answer has more rows (triples) or bytes than the server sends."""


class StoreError(EscapeKGError):
    """The store cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process holds the store's lock."""
