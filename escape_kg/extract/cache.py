"""Per-lexicon memo: tables derived from a Lexicon are built once and live as long as it does."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from escape_kg.model import Lexicon

__all__ = ["per_lexicon"]

T = TypeVar("T")


def per_lexicon(build: Callable[[Lexicon], T]) -> Callable[[Lexicon], T]:
    """``build`` memoised per Lexicon object: the first call on a lexicon builds, later ones reuse.

    The value is stored in the lexicon's own ``__dict__`` (as ``functools.cached_property``
    does), not in a module-level table: hashing a Lexicon walks every entry, an ``id()`` key
    could be reused by a later lexicon, and the value goes away with its lexicon. A Lexicon
    is frozen, so what is derived from it never goes stale. Raises what ``build`` raises.
    """
    slot = f"_extract_cache_{build.__module__}.{build.__qualname__}"

    @functools.wraps(build)
    def cached(lexicon: Lexicon) -> T:
        store = vars(lexicon)
        try:
            value: T = store[slot]
        except KeyError:
            value = store[slot] = build(lexicon)
        return value

    return cached
