"""The answer cache and HTTP validators of /sparql and /queries; catalogue time limits."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.config import Settings
from escape_kg.pool import Answer
from escape_kg.queries import parse_catalogue_query
from escape_kg.web import create_app
from escape_kg.web.cache import (
    CachedAnswer,
    ResponseCache,
    entity_tag,
    make_key,
    matches_etag,
    not_modified_since,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
SECOND = ROOT / "tests" / "data" / "reunion-fr-12h.txt"
TOKEN = "a-test-token-that-is-long-enough"
MEETINGS = "SELECT ?title WHERE { ?m a ekg:Meeting ; schema:name ?title } ORDER BY ?title"
NOTES = "SELECT ?o WHERE { GRAPH <https://example.org/notes> { ?s ?p ?o } } ORDER BY ?o"


def seeded(settings: Settings | None = None) -> KnowledgeGraph:
    kg = KnowledgeGraph.memory(settings)
    outcome = kg.ingest(SEED, date=date(2021, 9, 8))
    assert outcome.status in ("imported", "forced"), outcome.error
    return kg


def titles(response: Any) -> list[str]:
    return [b["title"]["value"] for b in json.loads(response.text)["results"]["bindings"]]


def count_runs(monkeypatch: pytest.MonkeyPatch, kg: KnowledgeGraph, method: str) -> list[int]:
    """Count the calls of ``kg.<method>`` (a list whose length is the count)."""
    calls: list[int] = []
    original: Callable[..., Answer] = getattr(kg, method)

    def counted(*args: Any, **kwargs: Any) -> Answer:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(kg, method, counted)
    return calls


@pytest.fixture
def kg() -> KnowledgeGraph:
    return seeded()


@pytest.fixture
def client(kg: KnowledgeGraph) -> Iterator[TestClient]:
    with TestClient(create_app(kg)) as c:
        yield c


# -- served from memory ----------------------------------------------------------------


def test_a_repeated_query_is_answered_from_the_cache_without_running_it(
    kg: KnowledgeGraph, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = count_runs(monkeypatch, kg, "run_query")
    first = client.get("/sparql", params={"query": MEETINGS})
    second = client.get("/sparql", params={"query": MEETINGS})
    # the same query POSTed, with other surrounding whitespace, is the same answer
    posted = client.post("/sparql", data={"query": f"\n  {MEETINGS}\n"})
    assert first.status_code == second.status_code == posted.status_code == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert posted.headers["x-cache"] == "hit"
    assert second.content == first.content == posted.content
    assert titles(first) == ["Technical Coordination Meeting"]
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == "application/sparql-results+json"
    assert len(runs) == 1


def test_query_answers_carry_validators(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": MEETINGS})
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert email.utils.parsedate_to_datetime(r.headers["last-modified"]).tzinfo is not None
    assert r.headers["cache-control"] == "no-cache"
    assert "Accept" in r.headers["vary"]


def test_different_accept_headers_are_different_entries(client: TestClient) -> None:
    as_json = client.get("/sparql", params={"query": MEETINGS})
    as_csv = client.get("/sparql", params={"query": MEETINGS}, headers={"accept": "text/csv"})
    assert as_json.headers["x-cache"] == as_csv.headers["x-cache"] == "miss"
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines() == ["title", "Technical Coordination Meeting"]
    assert as_json.headers["etag"] != as_csv.headers["etag"]
    again = client.get("/sparql", params={"query": MEETINGS}, headers={"accept": "text/csv"})
    assert again.headers["x-cache"] == "hit"
    assert again.content == as_csv.content


def test_head_is_answered_from_the_same_entry(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": MEETINGS})
    head = client.head("/sparql", params={"query": MEETINGS})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-cache"] == "hit"
    assert head.headers["content-length"] == str(len(get.content))


# -- conditional requests --------------------------------------------------------------


def test_if_none_match_with_the_current_tag_gets_304(client: TestClient) -> None:
    etag = client.get("/sparql", params={"query": MEETINGS}).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get("/sparql", params={"query": MEETINGS}, headers={"if-none-match": header})
        assert r.status_code == 304, header
        assert r.content == b""
        assert r.headers["etag"] == etag
    other = client.get("/sparql", params={"query": MEETINGS}, headers={"if-none-match": '"x"'})
    assert other.status_code == 200 and titles(other)


def test_if_modified_since_gets_304_unless_older_than_the_data(client: TestClient) -> None:
    modified = client.get("/sparql", params={"query": MEETINGS}).headers["last-modified"]
    same = client.get(
        "/sparql", params={"query": MEETINGS}, headers={"if-modified-since": modified}
    )
    assert same.status_code == 304 and same.content == b""
    stamp = email.utils.parsedate_to_datetime(modified).timestamp()
    earlier = email.utils.formatdate(stamp - 3600, usegmt=True)
    for header in (earlier, "not a date"):
        r = client.get("/sparql", params={"query": MEETINGS}, headers={"if-modified-since": header})
        assert r.status_code == 200, header
        assert titles(r) == ["Technical Coordination Meeting"]


def test_if_none_match_wins_over_if_modified_since(client: TestClient) -> None:
    modified = client.get("/sparql", params={"query": MEETINGS}).headers["last-modified"]
    headers = {"if-none-match": '"stale"', "if-modified-since": modified}
    assert client.get("/sparql", params={"query": MEETINGS}, headers=headers).status_code == 200


def test_post_queries_are_cached_but_never_conditional(client: TestClient) -> None:
    etag = client.get("/sparql", params={"query": MEETINGS}).headers["etag"]
    r = client.post("/sparql", data={"query": MEETINGS}, headers={"if-none-match": etag})
    assert r.status_code == 200 and titles(r)
    assert "etag" not in r.headers


def test_errors_are_not_cached(client: TestClient) -> None:
    for _ in range(2):
        r = client.get("/sparql", params={"query": "SELECT ?x WHERE {"})
        assert r.status_code == 400
        assert "x-cache" not in r.headers


# -- invalidation by writes ------------------------------------------------------------


def test_an_import_invalidates_answers_and_validators(
    kg: KnowledgeGraph, client: TestClient
) -> None:
    before = client.get("/sparql", params={"query": MEETINGS})
    assert client.get("/sparql", params={"query": MEETINGS}).headers["x-cache"] == "hit"
    outcome = kg.ingest(SECOND, date=date(2021, 10, 13))
    assert outcome.status == "imported", outcome.error
    after = client.get("/sparql", params={"query": MEETINGS})
    assert after.headers["x-cache"] == "miss"
    assert len(titles(after)) == 2 and titles(before) == ["Technical Coordination Meeting"]
    assert after.headers["etag"] != before.headers["etag"]
    # a client holding the old answer is told it changed, by either validator
    stale_tag = {"if-none-match": before.headers["etag"]}
    stale_date = {"if-modified-since": before.headers["last-modified"]}
    for headers in (stale_tag, stale_date):
        r = client.get("/sparql", params={"query": MEETINGS}, headers=headers)
        assert r.status_code == 200 and len(titles(r)) == 2


def test_an_update_invalidates_answers() -> None:
    settings = Settings(allow_updates=True, token=TOKEN)
    with TestClient(create_app(KnowledgeGraph.memory(settings))) as client:
        before = client.get("/sparql", params={"query": NOTES})
        assert json.loads(before.text)["results"]["bindings"] == []
        insert = 'INSERT DATA { GRAPH <https://example.org/notes> { <urn:x:a> <urn:x:b> "c" } }'
        auth = {"authorization": f"Bearer {TOKEN}"}
        assert client.post("/update", data={"update": insert}, headers=auth).status_code == 204
        after = client.get("/sparql", params={"query": NOTES})
        assert after.headers["x-cache"] == "miss"
        assert after.headers["etag"] != before.headers["etag"]
        assert [b["o"]["value"] for b in json.loads(after.text)["results"]["bindings"]] == ["c"]
        # and a Graph Store write does too
        put = client.put(
            "/store",
            params={"graph": "https://example.org/notes"},
            content=b'<urn:x:a> <urn:x:b> "d" .',
            headers={**auth, "content-type": "application/n-triples"},
        )
        assert put.status_code == 204
        last = client.get("/sparql", params={"query": NOTES})
        assert [b["o"]["value"] for b in json.loads(last.text)["results"]["bindings"]] == ["d"]


def test_a_refused_update_leaves_the_cache_alone() -> None:
    settings = Settings(allow_updates=True, token=TOKEN)
    with TestClient(create_app(KnowledgeGraph.memory(settings))) as client:
        first = client.get("/sparql", params={"query": NOTES})
        insert = 'INSERT DATA { GRAPH <https://example.org/notes> { <urn:x:a> <urn:x:b> "c" } }'
        assert client.post("/update", data={"update": insert}).status_code == 401
        again = client.get("/sparql", params={"query": NOTES})
        assert again.headers["x-cache"] == "hit"
        assert again.headers["etag"] == first.headers["etag"]


# -- bounds ------------------------------------------------------------------------------


def test_the_cache_keeps_at_most_its_entry_limit() -> None:
    queries = [f"SELECT ({n} AS ?n) WHERE {{}}" for n in range(3)]
    with TestClient(create_app(seeded(Settings(cache_entries=2)))) as client:
        for query in queries:
            assert client.get("/sparql", params={"query": query}).headers["x-cache"] == "miss"
        # the oldest was evicted, the newest kept
        assert client.get("/sparql", params={"query": queries[2]}).headers["x-cache"] == "hit"
        assert client.get("/sparql", params={"query": queries[0]}).headers["x-cache"] == "miss"


def test_an_answer_larger_than_the_byte_limit_is_not_kept() -> None:
    with TestClient(create_app(seeded(Settings(cache_bytes=200)))) as client:
        for _ in range(2):
            r = client.get("/sparql", params={"query": MEETINGS})
            assert r.status_code == 200 and r.headers["x-cache"] == "miss"
        small = "ASK {}"
        client.get("/sparql", params={"query": small})
        assert client.get("/sparql", params={"query": small}).headers["x-cache"] == "hit"


def test_the_byte_limit_evicts_least_recently_used_first() -> None:
    cache = ResponseCache(max_entries=100, max_bytes=100)
    version = KnowledgeGraph.memory().data_version
    for name in ("a", "b", "c"):
        cache.put(name, CachedAnswer("text/plain", b"x" * 40, version))
    assert cache.get("a", version) is None
    assert cache.get("c", version) is not None
    assert cache.size <= 100 and len(cache) == 2


def test_a_max_age_setting_replaces_no_cache() -> None:
    with TestClient(create_app(seeded(Settings(cache_max_age=60)))) as client:
        r = client.get("/sparql", params={"query": MEETINGS})
        assert r.headers["cache-control"] == "max-age=60"


# -- the catalogue and the service description -----------------------------------------


def test_catalogue_answers_are_cached_with_validators(
    kg: KnowledgeGraph, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = count_runs(monkeypatch, kg, "run_query")
    url = "/queries/meetings"
    first = client.get(url, params={"after": "2021-01-01"})
    # the same typed value written another way binds the same term
    second = client.get(url, params={"after": " 2021-01-01 "})
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert len(runs) == 1
    etag = first.headers["etag"]
    r = client.get(url, params={"after": "2021-01-01"}, headers={"if-none-match": etag})
    assert r.status_code == 304
    later = client.get(url, params={"after": "2022-01-01"})
    assert later.headers["x-cache"] == "miss" and later.headers["etag"] != etag
    kg.ingest(SECOND, date=date(2021, 10, 13))
    fresh = client.get(url, params={"after": "2021-01-01"})
    assert fresh.headers["x-cache"] == "miss" and fresh.headers["etag"] != etag
    assert len(json.loads(fresh.text)["results"]["bindings"]) == 2


def test_catalogue_html_and_csv_are_separate_entries(client: TestClient) -> None:
    page = client.get("/queries/meetings", params={"format": "html"})
    table = client.get("/queries/meetings", params={"format": "csv"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Technical Coordination Meeting" in page.text and "<table" in page.text
    assert table.headers["content-type"].startswith("text/csv")
    assert page.headers["etag"] != table.headers["etag"]


def test_the_catalogue_list_and_the_service_description_revalidate(client: TestClient) -> None:
    for url, accept in (("/queries", "application/json"), ("/sparql", "text/turtle")):
        r = client.get(url, headers={"accept": accept})
        assert r.status_code == 200 and r.content
        again = client.get(url, headers={"accept": accept, "if-none-match": r.headers["etag"]})
        assert again.status_code == 304, url
        since = client.get(
            url, headers={"accept": accept, "if-modified-since": r.headers["last-modified"]}
        )
        assert since.status_code == 304, url


def test_a_runaway_catalogue_query_is_stopped_at_the_time_limit() -> None:
    kg = KnowledgeGraph.memory(Settings(query_timeout=1.0, query_workers=1))
    # A cross product of the vocabulary graphs with itself, four times: years of work.
    runaway = parse_catalogue_query(
        "runaway",
        "# title: Runaway\n# description: never ends\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }\n",
    )
    kg.catalogue()["runaway"] = runaway
    with TestClient(create_app(kg)) as client:
        client.get("/queries/meetings")  # a warm worker, so the clock measures the query
        started = time.monotonic()
        r = client.get("/queries/runaway")
        elapsed = time.monotonic() - started
        assert r.status_code == 503
        assert "time limit" in r.json()["error"]["detail"]
        assert elapsed < 10
        assert client.get("/queries/meetings").status_code == 200


# -- the pure parts --------------------------------------------------------------------------


def test_tags_depend_on_the_data_version_and_the_key() -> None:
    key = make_key("query", "ASK {}", [], [], ["json", "turtle"])
    assert entity_tag("v1", key) == entity_tag("v1", key)
    assert entity_tag("v1", key) != entity_tag("v2", key)
    assert entity_tag("v1", key) != entity_tag("v1", make_key("query", "ASK {}", [], [], []))


def test_header_matching() -> None:
    assert matches_etag('"a", W/"b"', '"b"')
    assert not matches_etag('"a"', '"b"')
    assert not_modified_since("Wed, 08 Sep 2021 10:00:00 GMT", 1631095200.9)
    assert not not_modified_since("Wed, 08 Sep 2021 09:59:59 GMT", 1631095200.0)
    assert not not_modified_since("yesterday", 0.0)


def test_every_write_gives_a_new_data_version() -> None:
    kg = KnowledgeGraph.memory()
    first = kg.data_version
    kg.load(b"<urn:x:a> <urn:x:b> <urn:x:c> <urn:x:g> .", "nquads")
    second = kg.data_version
    kg.update("INSERT DATA { <urn:x:a> <urn:x:b> 'd' }")
    third = kg.data_version
    assert len({first.tag, second.tag, third.tag}) == 3
    # whole HTTP seconds apart, so If-Modified-Since sees each change
    assert int(first.modified) < int(second.modified) < int(third.modified)
    assert KnowledgeGraph.memory().data_version.tag != first.tag
