"""SingleFlight: equal calls made while one is running share its result instead of repeating it."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

from escape_kg.errors import EscapeKGError

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Calls with equal keys made while one is running share that run: the first caller
    computes, the others wait for its value or its error.

    Under load many clients ask the same thing at once (the first request after
    a start or an import, a popular page); without this each would queue for a
    worker and compute the same answer again. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[T]] = {}
        self.shared = 0  # calls answered by another's run, so far

    def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s value, or that of the equal call already running; raises what
        it raises (a copy, for the callers that waited)."""
        with self._lock:
            running = self._running.get(key)
            if running is not None:
                self.shared += 1
            else:
                future: Future[T] = Future()
                self._running[key] = future
        if running is not None:
            try:
                return running.result()
            except EscapeKGError as exc:
                # A copy keeps the message, hint and attributes (Retry-After) but not the
                # other thread's traceback, which that thread is still unwinding.
                raise copy.copy(exc) from None
        try:
            value = compute()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(value)
            return value
        finally:
            with self._lock:
                del self._running[key]
