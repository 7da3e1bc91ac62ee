"""The ``escape-kg`` command line: parse arguments, call KnowledgeGraph, print.

Exit codes (a contract, see the README): 0 success / conforms, 1 a document
does not conform to the shapes, 2 an error (unreadable input, bad query,
store problem). Each module adds its commands to the one ``main`` group.
"""

from escape_kg.cli import importing, people, publishing, querying
from escape_kg.cli.common import main

__all__ = ["main"]

# The command modules register themselves on ``main`` when imported.
_COMMANDS = (importing, people, publishing, querying)
