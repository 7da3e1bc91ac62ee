"""Registry metadata: DCAT-AP 3, VoID, schema.org, the EOSC profile and signposting,
built from the store's statistics and the settings (pure: values in, documents out)."""

from __future__ import annotations

from escape_kg.registry.base import (
    DUMPS,
    DatasetStatistics,
    Dump,
    Queryable,
    RegistryProblem,
    RegistryURLs,
    dataset_statistics,
)
from escape_kg.registry.check import registration_problems, validate_catalog
from escape_kg.registry.dcat import dcat_catalog, void_description
from escape_kg.registry.eosc import EOSC_REQUIRED, eosc_problems, eosc_profile
from escape_kg.registry.links import schemaorg_dataset, signposting_links

__all__ = [
    "DUMPS",
    "EOSC_REQUIRED",
    "GRAPH_DOCUMENTS",
    "JSON_DOCUMENTS",
    "DatasetStatistics",
    "Dump",
    "Queryable",
    "RegistryProblem",
    "RegistryURLs",
    "dataset_statistics",
    "dcat_catalog",
    "eosc_problems",
    "eosc_profile",
    "registration_problems",
    "schemaorg_dataset",
    "signposting_links",
    "validate_catalog",
    "void_description",
]

# Document name -> builder. "sd" (the SPARQL service description) is built by
# KnowledgeGraph.service_description, which knows the named graphs.
GRAPH_DOCUMENTS = {"dcat-ap": dcat_catalog, "void": void_description}
JSON_DOCUMENTS = {"schemaorg": schemaorg_dataset, "eosc": eosc_profile}
