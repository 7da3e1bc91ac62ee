"""RDF side of the pipeline: prefixes, IRI minting, mapping, reference vocabulary."""
