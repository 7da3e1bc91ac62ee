"""Settings layering (defaults < ESCAPE_KG_* < flags), the serving flags, the SERVICE allow-list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.cli import main
from escape_kg.config import Settings
from escape_kg.errors import ConfigError, QueryError
from escape_kg.web import create_app
from escape_kg.web.security import inspect_query

LISTED = "http://listed.example/sparql"


def test_defaults_suit_a_public_read_only_endpoint() -> None:
    s = Settings.load(env={})
    assert (s.query_timeout, s.query_workers, s.max_result_rows) == (30.0, 2, 100_000)
    assert not s.allow_updates
    assert s.token is None
    assert s.service_allow == s.load_allow == ()


def test_environment_then_arguments_win() -> None:
    env = {
        "ESCAPE_KG_QUERY_TIMEOUT": "5",
        "ESCAPE_KG_QUERY_WORKERS": "3",
        "ESCAPE_KG_MAX_RESULT_ROWS": "50",
        "ESCAPE_KG_SERVICE_ALLOW": f"{LISTED}, http://other.example/sparql",
        "ESCAPE_KG_CORS_ORIGINS": "https://a.example,https://b.example",
        "ESCAPE_KG_ALLOW_UPDATES": "yes",
        "ESCAPE_KG_TOKEN": "t0ken",
    }
    s = Settings.load(env=env, query_timeout=7.5)
    assert s.query_timeout == 7.5
    assert s.query_workers == 3
    assert s.max_result_rows == 50
    assert s.service_allow == (LISTED, "http://other.example/sparql")
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert s.allow_updates
    assert "t0ken" not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ESCAPE_KG_QUERY_TIMEOUT": "soon"}, "ESCAPE_KG_QUERY_TIMEOUT must be a number"),
        ({"ESCAPE_KG_QUERY_TIMEOUT": "0"}, "query_timeout must be a positive"),
        ({"ESCAPE_KG_ALLOW_UPDATES": "maybe"}, "must be true or false"),
        ({"ESCAPE_KG_ALLOW_UPDATES": "1"}, "no token is set"),
    ],
)
def test_malformed_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env)


def test_serve_refuses_updates_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCAPE_KG_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["serve", "--allow-updates", "--port", "0"])
    assert result.exit_code == 2
    assert "no token is set" in result.output
    assert "ESCAPE_KG_TOKEN" in result.output


def test_serve_documents_its_serving_flags() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    for flag in ("--allow-updates", "--query-timeout", "--query-workers"):
        assert flag in result.output


# -- SERVICE allow-list ------------------------------------------------------------------


def test_service_to_a_listed_endpoint_passes_inspection() -> None:
    query = "PREFIX l: <http://listed.example/> SELECT * WHERE { SERVICE l:sparql { ?s ?p ?o } }"
    assert not inspect_query(query, (LISTED,)).has_dataset
    with pytest.raises(QueryError, match="refused"):
        inspect_query(query)
    with pytest.raises(QueryError, match="refused"):
        inspect_query("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", (LISTED,))


@pytest.fixture
def listed_client() -> Iterator[TestClient]:
    kg = KnowledgeGraph.memory(Settings(service_allow=(LISTED,), query_workers=0))
    with TestClient(create_app(kg)) as client:
        yield client


def test_service_to_other_endpoints_is_still_400(listed_client: TestClient) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    r = listed_client.get("/sparql", params={"query": query})
    assert r.status_code == 400
    error = r.json()["error"]
    assert "SERVICE <http://127.0.0.1:9/sparql> refused" in error["detail"]
    assert LISTED in error["detail"]
    assert "ESCAPE_KG_SERVICE_ALLOW" in error["hint"]
