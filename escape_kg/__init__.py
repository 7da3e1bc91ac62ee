"""escape-kg: meeting minutes to a validated, queryable linked-data knowledge graph."""
__version__ = "0.1.0"
