"""``python -m escape_kg``: the same as the ``escape-kg`` command."""

from escape_kg.cli import main

main()
