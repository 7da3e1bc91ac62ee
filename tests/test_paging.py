"""Paging catalogue answers: limit/offset read, written into the query, and served
by the library, the CLI and HTTP (pages that tile the whole answer; clear refusals)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.cli import main
from escape_kg.config import Settings
from escape_kg.errors import QueryError
from escape_kg.paging import Page, is_select, paged, read_page
from escape_kg.queries import load_catalogue, parse_catalogue_query, run_catalogue_query
from escape_kg.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
CATALOGUE = load_catalogue()
REQUIRED_VALUES: dict[str, dict[str, str]] = {"find-entity": {"text": "escape"}}
SPEAKERS = "/queries/speakers-by-institute"

Row = tuple[str | None, ...]


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    """The seed minutes, imported once; queries run in this process."""
    graph = KnowledgeGraph.memory(Settings(query_workers=0))
    outcome = graph.ingest(SEED, date=dt.date(2021, 9, 8))
    assert outcome.status in ("imported", "forced"), outcome.error
    return graph


@pytest.fixture(scope="module")
def client(kg: KnowledgeGraph) -> Iterator[TestClient]:
    with TestClient(create_app(kg)) as c:
        yield c


def rows(kg: KnowledgeGraph, name: str, page: Page | None = None) -> list[Row]:
    values = REQUIRED_VALUES.get(name, {})
    result = run_catalogue_query(kg, name, values, catalogue=CATALOGUE, page=page)
    return [tuple(None if t is None else str(t) for t in row) for row in result.rows()]


def select(kg: KnowledgeGraph, text: str) -> list[Row]:
    return [tuple(None if t is None else str(t) for t in row) for row in kg.query(text).rows()]


def json_rows(body: str) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


# -- reading limit and offset ----------------------------------------------------------------


def test_limit_and_offset_are_whole_numbers_or_absent() -> None:
    assert read_page(None, None) == Page() and Page().whole
    assert read_page(" 20 ", "40") == Page(20, 40)
    assert read_page("", "") == Page(None, 0)  # an empty form field means "not given"
    assert read_page("0", None) == Page(0, 0)


@pytest.mark.parametrize(
    ("limit", "offset", "named"),
    [
        ("-1", None, "'limit'"),
        ("ten", None, "'limit'"),
        ("2.5", None, "'limit'"),
        (None, "-20", "'offset'"),
        (None, "1e3", "'offset'"),
        ("9" * 16, None, "'limit'"),
        ("5 OFFSET 0", None, "'limit'"),
    ],
)
def test_a_bad_limit_or_offset_is_refused_naming_it(
    limit: str | None, offset: str | None, named: str
) -> None:
    with pytest.raises(QueryError) as caught:
        read_page(limit, offset)
    assert named in caught.value.message
    assert caught.value.hint is not None and f"{named.strip(chr(39))}=" in caught.value.hint


@pytest.mark.parametrize("reserved", ["limit", "offset"])
def test_a_catalogue_query_may_not_declare_a_paging_parameter(reserved: str) -> None:
    text = (
        f"# title: t\n# description: d\n# param: {reserved} integer = 5 -- how many\n"
        f"SELECT ?{reserved} WHERE {{ }}\n"
    )
    with pytest.raises(QueryError) as caught:
        parse_catalogue_query("mine", text, path="queries/mine.rq")
    assert f"{reserved!r} is reserved for paging" in caught.value.message
    assert caught.value.path == "queries/mine.rq" and caught.value.line == 3


def test_no_bundled_query_uses_a_reserved_name() -> None:
    for query in CATALOGUE.values():
        assert {p.name for p in query.parameters}.isdisjoint({"limit", "offset"})


# -- writing the page into the query ---------------------------------------------------------


def test_the_page_is_appended_after_the_order_and_written_from_integers() -> None:
    text = CATALOGUE["speakers-by-institute"].text
    out = paged(text, Page(10, 30))
    assert out.startswith(text)
    assert out[len(text) :].split() == ["LIMIT", "10", "OFFSET", "30"]
    assert paged(text, Page()) == text
    assert paged(text, Page(None, 5)).endswith("\nOFFSET 5\n")
    assert paged(text, Page(7)).endswith("\nLIMIT 7\n")


def test_keywords_in_strings_comments_names_and_sub_selects_are_not_the_querys() -> None:
    text = (
        "SELECT ?limit (EXISTS { ?a ?b ?c } AS ?e) WHERE {\n"
        "  { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 }\n"
        '  ?s <urn:x:limit> "LIMIT 4 OFFSET 5" ; ekg:limit ?limit .\n'
        "} # LIMIT 6"
    )
    assert paged(text, Page(2, 1)) == text + "\nLIMIT 2 OFFSET 1\n"


def test_the_page_goes_before_a_trailing_values_block() -> None:
    text = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s VALUES ?s { <urn:x:a> }"
    assert paged(text, Page(1)) == (
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s \nLIMIT 1\nVALUES ?s { <urn:x:a> }"
    )


@pytest.mark.parametrize(
    "text",
    ["ASK { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "DESCRIBE <urn:x:a>"],
)
def test_only_select_answers_can_be_paged(text: str) -> None:
    assert not is_select(text)
    assert paged(text, Page()) == text
    with pytest.raises(QueryError) as caught:
        paged(text, Page(5), name="'graphy'")
    assert "'graphy' is not a SELECT query" in caught.value.message


NAMES = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?name WHERE { ?p a schema:Person ; schema:name ?name }
ORDER BY ?name"""


def test_a_query_ending_in_a_comment_is_still_paged(kg: KnowledgeGraph) -> None:
    everything = select(kg, NAMES)
    assert len(everything) > 6
    assert select(kg, paged(NAMES + " # sorted by name", Page(3, 2))) == everything[2:5]


@pytest.mark.parametrize(
    ("own", "page", "window"),
    [
        ("LIMIT 5 OFFSET 2", Page(2, 1), slice(3, 5)),
        ("LIMIT 5 OFFSET 2", Page(10, 3), slice(5, 7)),
        ("LIMIT 5 OFFSET 2", Page(3, 9), slice(0, 0)),
        ("LIMIT 5", Page(None, 4), slice(4, 5)),
        ("OFFSET 4", Page(2, 1), slice(5, 7)),
    ],
)
def test_a_page_is_taken_within_the_querys_own_limit_and_offset(
    kg: KnowledgeGraph, own: str, page: Page, window: slice
) -> None:
    everything = select(kg, NAMES)
    assert select(kg, paged(f"{NAMES}\n{own}", page)) == everything[window]


# -- pages tile the whole answer -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_pages_of_every_catalogue_query_tile_its_whole_answer(
    kg: KnowledgeGraph, name: str
) -> None:
    whole = rows(kg, name)
    size = 4
    pages = [rows(kg, name, Page(size, start)) for start in range(0, len(whole) + size, size)]
    assert all(len(p) == size for p in pages[: len(whole) // size])
    assert pages[-1] == []  # past the end: an empty page, not an error
    assert [row for p in pages for row in p] == whole


def test_pages_over_http_tile_the_json_answer(client: TestClient) -> None:
    whole = json_rows(client.get(SPEAKERS).text)
    assert len(whole) > 10
    got: list[dict[str, str]] = []
    for offset in range(0, len(whole), 5):
        page = client.get(SPEAKERS, params={"limit": "5", "offset": str(offset)})
        assert page.status_code == 200
        got += json_rows(page.text)
    assert got == whole


def test_without_a_limit_scripts_get_every_row(client: TestClient) -> None:
    text = client.get(SPEAKERS, params={"format": "csv"}).text
    lines = text.strip().splitlines()
    assert len(lines) - 1 == len(json_rows(client.get(SPEAKERS).text))
    three = client.get(SPEAKERS, params={"format": "csv", "limit": "3", "offset": "1"})
    assert three.text.strip().splitlines() == [lines[0], *lines[2:5]]


# -- refusals over HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "-1"}, "'limit'"),
        ({"limit": "all"}, "'limit'"),
        ({"offset": "-5"}, "'offset'"),
        ({"offset": "1; DROP"}, "'offset'"),
        ([("limit", "5"), ("limit", "6")], "'limit'"),
    ],
    ids=["negative-limit", "word", "negative-offset", "text", "twice"],
)
def test_a_bad_page_is_400_naming_the_parameter(
    client: TestClient, params: object, named: str
) -> None:
    r = client.get(SPEAKERS, params=params)  # type: ignore[arg-type]
    assert r.status_code == 400
    assert named in r.json()["error"]["detail"]


def test_a_page_of_a_graph_query_is_400(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "# title: t\n# description: d\nCONSTRUCT { ?s a ?t } WHERE { ?s a ?t }\n"
    graphy = parse_catalogue_query("graphy", text)
    monkeypatch.setattr(kg, "catalogue", lambda: {"graphy": graphy})
    with TestClient(create_app(kg)) as c:
        whole = c.get("/queries/graphy", params={"format": "ntriples"})
        refused = c.get("/queries/graphy", params={"limit": "5", "format": "ntriples"})
        page = c.get("/queries/graphy", headers={"accept": "text/html"})
    assert whole.status_code == 200 and whole.text.count("\n") > 100
    assert refused.status_code == 400
    assert "only the rows of a SELECT can be paged" in refused.json()["error"]["detail"]
    assert page.status_code == 200 and 'id="next"' not in page.text  # shown whole


# -- the CLI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("paging") / "store"
    result = CliRunner().invoke(
        main, ["import", "--store", str(folder), "--date", "2021-09-08", str(SEED)]
    )
    assert result.exit_code == 0, result.output
    return folder


def cli(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["query", "--store", str(store), *args])
    return result.exit_code, result.output


def test_the_cli_pages_a_named_query_and_a_query_text(store: Path) -> None:
    code, out = cli(store, "--name", "speakers-by-institute", "--format", "json")
    assert code == 0
    whole = json_rows(out)
    parts = [
        json_rows(cli(store, "--name", "speakers-by-institute", "--format", "json", *page)[1])
        for page in (["--limit", "6"], ["--limit", "6", "--offset", "6"], ["--offset", "12"])
    ]
    assert [row for p in parts for row in p] == whole and len(parts[0]) == 6
    code, out = cli(store, "--format", "json", "--limit", "2", "--offset", "1", NAMES)
    assert code == 0
    assert len(json_rows(out)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "-1"], "'--limit'"),
        (["--offset", "x"], "'--offset'"),
        (["--limit", "3", "ASK { ?s ?p ?o }"], "not a SELECT query"),
    ],
)
def test_the_cli_refuses_a_bad_page(store: Path, args: list[str], message: str) -> None:
    named = [] if args[-1].startswith("ASK") else ["--name", "meetings"]
    code, out = cli(store, *named, *args)
    assert code == 2
    assert message in out


# -- remote stores: the page goes to the server inside the query -----------------------------


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_pages_on_a_remote_store_tile_its_whole_answer(
    request: pytest.FixtureRequest, kind: str
) -> None:
    from escape_kg.store import RemoteStore, remote_endpoints

    if kind == "oxigraph":
        url, env = request.getfixturevalue("oxigraph_url"), {}
    else:
        user, password = request.getfixturevalue("virtuoso_credentials")
        url = request.getfixturevalue("virtuoso_url")
        env = {"ESCAPE_KG_STORE_USER": user, "ESCAPE_KG_STORE_PASSWORD": password}
    server = RemoteStore(
        remote_endpoints(
            url,
            user=env.get("ESCAPE_KG_STORE_USER", ""),
            password=env.get("ESCAPE_KG_STORE_PASSWORD", ""),
        )
    )
    for info in server.graphs():
        server.drop_graph(info.iri)
    remote = KnowledgeGraph.open(Settings.load(env=env, store=url))
    remote.ingest(SEED, date=dt.date(2021, 9, 8))
    # speakers-by-institute is portable: Virtuoso gets it without LATERAL.
    whole = rows(remote, "speakers-by-institute")
    assert len(whole) == 17
    pages = [rows(remote, "speakers-by-institute", Page(5, start)) for start in (0, 5, 10, 15)]
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    assert [row for p in pages for row in p] == whole


def test_the_catalogue_listing_mentions_paging() -> None:
    result = CliRunner().invoke(main, ["queries"])
    assert result.exit_code == 0
    assert "--limit N and --offset N" in result.stdout
