"""escape-kg: meeting minutes to a validated, queryable linked-data knowledge graph.

The library API is ``KnowledgeGraph`` (see ``escape_kg.api``); the command
line is ``escape-kg`` (``escape_kg.cli``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "EscapeKGError",
    "ImportOutcome",
    "KnowledgeGraph",
    "Settings",
    "ValidationReport",
    "__version__",
]

if TYPE_CHECKING:
    from escape_kg.api import ImportOutcome, KnowledgeGraph
    from escape_kg.config import Settings
    from escape_kg.errors import EscapeKGError
    from escape_kg.validate import ValidationReport

# Resolved on first use so that `import escape_kg` stays cheap and the
# submodules (which import __version__ from here) never import each other in a cycle.
_LAZY = {
    "EscapeKGError": "escape_kg.errors",
    "ImportOutcome": "escape_kg.api",
    "KnowledgeGraph": "escape_kg.api",
    "Settings": "escape_kg.config",
    "ValidationReport": "escape_kg.validate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'escape_kg' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
