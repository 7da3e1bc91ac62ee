"""`register --check`: what a registry would reject in our documents, and the setting to change."""

from __future__ import annotations

from urllib.parse import urlsplit

from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF

from escape_kg.config import Settings
from escape_kg.registry.base import DatasetStatistics, RegistryProblem, RegistryURLs
from escape_kg.registry.dcat import VCARD, dcat_catalog
from escape_kg.registry.eosc import eosc_problems, eosc_profile
from escape_kg.resources import data_dir
from escape_kg.validate import ValidationReport, validate_with

__all__ = ["registration_problems", "validate_catalog"]

# DCAT property -> the setting that fills it, to turn a SHACL finding into advice.
_SETTING_OF = {
    str(DCTERMS.title): "ESCAPE_KG_TITLE",
    str(DCTERMS.description): "ESCAPE_KG_DESCRIPTION",
    str(DCTERMS.license): "ESCAPE_KG_LICENSE",
    str(DCAT.keyword): "ESCAPE_KG_KEYWORDS",
    str(DCAT.landingPage): "ESCAPE_KG_LANDING_PAGE",
    str(FOAF.homepage): "ESCAPE_KG_LANDING_PAGE",
    str(FOAF.name): "ESCAPE_KG_PUBLISHER_NAME",
    str(VCARD.fn): "ESCAPE_KG_CONTACT_NAME",
    str(VCARD.hasEmail): "ESCAPE_KG_CONTACT_EMAIL",
}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def validate_catalog(catalog: Graph) -> ValidationReport:
    """``catalog`` checked against shapes/dcat-ap (mandatory: Violation; recommended: Warning)."""
    return validate_with(catalog, data_dir("shapes") / "dcat-ap")


def registration_problems(
    stats: DatasetStatistics, settings: Settings, urls: RegistryURLs
) -> list[RegistryProblem]:
    """Everything that keeps the documents from being registered as they are: settings
    left at an unusable default, DCAT-AP findings (violations and warnings), EOSC
    fields missing; each names the setting that fixes it. Empty when all is well.
    """
    problems: list[RegistryProblem] = []
    if not settings.public_url:
        problems.append(
            RegistryProblem(
                f"public URL not set, the documents point at {urls.root}",
                setting="ESCAPE_KG_PUBLIC_URL (or --base-url)",
            )
        )
    elif (urlsplit(settings.public_url).hostname or "") in _LOCAL_HOSTS:
        problems.append(
            RegistryProblem(
                f"the public URL {settings.public_url} is a local address",
                setting="ESCAPE_KG_PUBLIC_URL",
            )
        )
    if not settings.contact_email:
        problems.append(RegistryProblem("contact email missing", setting="ESCAPE_KG_CONTACT_EMAIL"))
    if stats.meetings == 0:
        problems.append(
            RegistryProblem(
                "the store holds no meetings", hint="import minutes with `escape-kg import`"
            )
        )
    named = {p.setting for p in problems}
    for result in validate_catalog(dcat_catalog(stats, settings, urls)).results:
        setting = _SETTING_OF.get(result.path or "")
        if setting is not None and setting in named:
            continue  # already said, in plainer words
        message = f"DCAT-AP {result.severity.lower()} on <{result.focus_node}>: {result.message}"
        problems.append(RegistryProblem(message, setting=setting))
    for problem in eosc_problems(eosc_profile(stats, settings, urls)):
        if problem.setting is None or problem.setting not in named:
            problems.append(problem)
    return _unique(problems)


def _unique(problems: list[RegistryProblem]) -> list[RegistryProblem]:
    seen: set[str] = set()
    out = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            out.append(problem)
    return out
