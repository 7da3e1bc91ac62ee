"""/queries and /queries/{name} in process, and the HTML query page behind GET /sparql."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _responses import Response
from fastapi.testclient import TestClient

from escape_kg.api import KnowledgeGraph
from escape_kg.queries import load_catalogue, parse_catalogue_query
from escape_kg.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SPEAKERS = "/queries/speakers-by-institute"
# A person whose name is markup, in a graph of its own, to check that pages escape data.
# With the search summaries the importer would write (find-entity looks them up).
EVIL = b"""
@prefix schema: <http://schema.org/> .
@prefix ekg: <https://w3id.org/escape-kg/ontology#> .
GRAPH <https://example.org/evil> {
  <https://w3id.org/escape-kg/id/person/evil> a schema:Person ;
    schema:name "<b>Evil</b><script>alert(1)</script>" ;
    ekg:searchKey "<b>evil</b><script>alert(1)</script>" ;
    ekg:searchWord "evil", "script", "alert" .
}
"""


def seeded() -> KnowledgeGraph:
    kg = KnowledgeGraph.memory()
    outcome = kg.ingest(SEED, date=date(2021, 9, 8))
    assert outcome.status in ("imported", "forced"), outcome.error
    return kg


@pytest.fixture
def kg() -> KnowledgeGraph:
    return seeded()


@pytest.fixture
def client(kg: KnowledgeGraph) -> Iterator[TestClient]:
    with TestClient(create_app(kg)) as c:
        yield c


def bindings(r: Response) -> list[dict[str, str]]:
    body = json.loads(r.text)
    return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]


def error(r: Response) -> dict[str, Any]:
    body = json.loads(r.text)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "title", "detail", "hint"}
    assert body["error"]["status"] == r.status_code
    result: dict[str, Any] = body["error"]
    return result


# -- the list ----------------------------------------------------------------------


def test_the_list_describes_every_catalogue_query(client: TestClient) -> None:
    r = client.get("/queries")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    entries = {e["name"]: e for e in json.loads(r.text)["queries"]}
    assert set(entries) == set(load_catalogue())
    speakers = entries["speakers-by-institute"]
    assert speakers["title"] == "Speakers by institute"
    assert "affiliation" in speakers["description"]
    assert speakers["parameters"][0] == {
        "name": "after",
        "type": "date",
        "default": "1900-01-01",
        "required": False,
        "description": "only meetings held on or after this day",
        "example": "2021-09-08",
    }
    assert entries["find-entity"]["parameters"][0]["required"] is True
    assert speakers["links"]["self"] == "http://testserver" + SPEAKERS
    assert speakers["links"]["csv"] == "http://testserver" + SPEAKERS + "?format=csv"


def test_the_list_links_answer(client: TestClient) -> None:
    entries = json.loads(client.get("/queries").text)["queries"]
    links = next(e["links"] for e in entries if e["name"] == "meetings")
    assert client.get(links["csv"]).headers["content-type"].startswith("text/csv")
    assert bindings(client.get(links["json"]))[0]["date"] == "2021-09-08"


def test_browsers_get_the_list_as_a_page(client: TestClient) -> None:
    r = client.get("/queries", headers={"accept": BROWSER})
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Query catalogue</h1>" in r.text
    assert f'href="http://testserver{SPEAKERS}"' in r.text
    assert "default <code>1900-01-01</code>" in r.text
    assert client.get("/queries", params={"format": "json"}, headers={"accept": BROWSER}).json()


# -- running a query by name ------------------------------------------------------------


def test_a_query_runs_by_name_as_sparql_json(client: TestClient) -> None:
    r = client.get(SPEAKERS)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert "Accept" in r.headers["vary"]
    rows = bindings(r)
    julie = next(row for row in rows if row["speakerName"] == "Julie Chaudan")
    assert julie["statedAs"] == "LAPP IN2P3 / CNRS"
    assert julie["after"] == "1900-01-01"  # the default, bound as a typed date


@pytest.mark.parametrize(
    ("headers", "params", "media", "delimiter"),
    [
        ({"accept": "text/csv"}, {}, "text/csv", ","),
        ({}, {"format": "csv"}, "text/csv", ","),
        ({"accept": "text/tab-separated-values"}, {}, "text/tab-separated-values", "\t"),
        ({"accept": "application/sparql-results+json"}, {"format": "tsv"}, None, "\t"),
    ],
    ids=["accept-csv", "format-csv", "accept-tsv", "format-beats-accept"],
)
def test_csv_and_tsv(
    client: TestClient,
    headers: dict[str, str],
    params: dict[str, str],
    media: str | None,
    delimiter: str,
) -> None:
    r = client.get(SPEAKERS, params=params, headers=headers)
    assert r.headers["content-type"].startswith(media or "text/tab-separated-values")
    rows = list(csv.reader(io.StringIO(r.text), delimiter=delimiter))
    header = [h.lstrip("?") for h in rows[0]]  # TSV names variables as ?name
    assert header[:3] == ["after", "before", "institute"]
    names = [dict(zip(header, row, strict=True))["speakerName"] for row in rows[1:]]
    assert "Julie Chaudan" in names


def test_query_string_values_are_typed_parameters(client: TestClient) -> None:
    later = client.get("/queries/meetings", params={"after": "2021-09-09"})
    same_day = client.get("/queries/meetings", params={"after": "2021-09-08"})
    assert bindings(later) == []
    assert [row["date"] for row in bindings(same_day)] == ["2021-09-08"]


def test_a_string_value_cannot_change_the_query(client: TestClient) -> None:
    found = bindings(client.get("/queries/find-entity", params={"text": "rucio"}))
    assert any(row["label"] == "Rucio" for row in found)
    # Pasted into the text, this would close the string and match every entity.
    attack = '") || true || CONTAINS("x'
    r = client.get("/queries/find-entity", params={"text": attack})
    assert r.status_code == 200
    assert bindings(r) == []


def test_browsers_get_an_html_table(client: TestClient) -> None:
    r = client.get(SPEAKERS, params={"before": "2021-12-31"}, headers={"accept": BROWSER})
    assert r.headers["content-type"].startswith("text/html")
    assert "<td>Julie Chaudan</td>" in r.text
    assert "<th>speakerName</th>" in r.text
    assert 'name="before" value="2021-12-31"' in r.text  # the form keeps the value given
    assert 'name="after" value="1900-01-01"' in r.text  # and shows defaults
    assert f'href="http://testserver{SPEAKERS}?before=2021-12-31&amp;format=csv"' in r.text


def test_html_tables_escape_the_data(kg: KnowledgeGraph) -> None:
    kg.load(EVIL, "trig")
    with TestClient(create_app(kg)) as client:
        r = client.get(
            "/queries/find-entity", params={"text": "<b>evil"}, headers={"accept": BROWSER}
        )
    assert "&lt;b&gt;Evil&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert 'value="&lt;b&gt;evil"' in r.text
    assert "<script" not in r.text and "<b>" not in r.text


# -- errors ----------------------------------------------------------------------------------


def test_an_unknown_query_is_404_in_the_error_shape(client: TestClient) -> None:
    r = client.get("/queries/no-such-query")
    assert r.status_code == 404
    body = error(r)
    assert "no-such-query" in body["detail"]
    assert "speakers-by-institute" in body["hint"]
    page = client.get("/queries/no-such-query", headers={"accept": BROWSER})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/queries/meetings", {"after": "yesterday"}, "'after'"),
        ("/queries/mention-context", {"window": "wide"}, "'window'"),
        ("/queries/person-activity", {"person": "person/<x>"}, "'person'"),
        ("/queries/meetings", {"colour": "blue"}, "'colour'"),
        ("/queries/find-entity", {}, "'text'"),
        ("/queries/meetings", [("after", "2021-01-01"), ("after", "2022-01-01")], "'after'"),
    ],
    ids=["not-a-date", "not-an-integer", "not-an-iri", "unknown", "required", "twice"],
)
def test_a_bad_parameter_is_400_naming_it(
    client: TestClient, path: str, params: Any, named: str
) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 400
    assert named in error(r)["detail"]


@pytest.mark.parametrize(
    ("headers", "params"),
    [({"accept": "text/turtle"}, {}), ({}, {"format": "turtle"})],
    ids=["accept", "format"],
)
def test_a_select_cannot_be_given_as_a_graph(
    client: TestClient, headers: dict[str, str], params: dict[str, str]
) -> None:
    r = client.get(SPEAKERS, params=params, headers=headers)
    assert r.status_code == 406
    assert "csv" in error(r)["hint"]


def test_an_unknown_format_is_400(client: TestClient) -> None:
    r = client.get(SPEAKERS, params={"format": "yaml"})
    assert r.status_code == 400
    assert "yaml" in error(r)["detail"]


# -- HEAD ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/queries", None), (SPEAKERS, "text/csv"), (SPEAKERS, BROWSER), ("/sparql", BROWSER)],
)
def test_head_has_the_headers_of_get_and_no_body(
    client: TestClient, path: str, accept: str | None
) -> None:
    headers = {"accept": accept} if accept else {}
    got = client.get(path, headers=headers)
    head = client.head(path, headers=headers)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_head_of_an_unknown_query_is_404(client: TestClient) -> None:
    r = client.head("/queries/nothing")
    assert r.status_code == 404
    assert r.content == b""


# -- the query page ------------------------------------------------------------------------------


def embedded_catalogue(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="catalogue">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match[1])
    return data


def test_the_query_page_offers_the_catalogue_as_examples(client: TestClient) -> None:
    r = client.get("/sparql", headers={"accept": BROWSER})
    assert r.headers["content-type"].startswith("text/html")
    assert '<textarea name="query"' in r.text
    assert '<option value="speakers-by-institute">Speakers by institute</option>' in r.text
    listed = json.loads(client.get("/queries").text)["queries"]
    embedded = embedded_catalogue(r.text)["queries"]
    assert embedded == [{k: v for k, v in e.items() if k != "links"} for e in listed]
    speakers = next(e for e in embedded if e["name"] == "speakers-by-institute")
    assert speakers["sparql"] == load_catalogue()["speakers-by-institute"].text


def test_the_query_page_escapes_catalogue_text(
    kg: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '# title: </script><b>x</b>\n# description: a & b\nSELECT ("</script>" AS ?v) {}\n'
    hostile = parse_catalogue_query("hostile", text)
    monkeypatch.setattr(kg, "catalogue", lambda: {"hostile": hostile})
    with TestClient(create_app(kg)) as client:
        page = client.get("/sparql", headers={"accept": BROWSER}).text
    assert '<option value="hostile">&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;</option>' in page
    assert embedded_catalogue(page)["queries"][0]["sparql"] == text
    assert page.count("</script>") == 2  # the two script elements' own end tags


def test_the_page_script_and_style_are_served(client: TestClient) -> None:
    script = client.get("/static/query.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "textContent" in script.text and "innerHTML" not in script.text
    assert client.get("/static/query.css").headers["content-type"].startswith("text/css")
    missing = client.get("/static/../api.py")
    assert missing.status_code == 404
    assert client.get("/static/secret.txt").status_code == 404


# -- paging -----------------------------------------------------------------------------------


def table_rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body)


def href(page: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" id="\w+" href="([^"]+)"', page)
    return None if match is None else match[1].replace("&amp;", "&")


def test_html_pages_link_to_their_neighbours_and_keep_the_values(client: TestClient) -> None:
    params = {"before": "2021-12-31", "limit": "5"}
    all_of_it = client.get(SPEAKERS, params={"before": "2021-12-31"}, headers={"accept": BROWSER})
    whole = table_rows(all_of_it.text)
    assert len(whole) == 17  # under the default page size: all on one page
    first = client.get(SPEAKERS, params=params, headers={"accept": BROWSER})
    assert "Rows 1–5; more follow." in first.text
    assert href(first.text, "prev") is None
    seen = table_rows(first.text)
    following = href(first.text, "next")
    assert following == f"http://testserver{SPEAKERS}?before=2021-12-31&limit=5&offset=5"
    assert 'name="limit" value="5"' in first.text  # the form keeps the page size
    while following is not None:
        page = client.get(following, headers={"accept": BROWSER})
        assert href(page.text, "prev") is not None
        seen += table_rows(page.text)
        following = href(page.text, "next")
    assert seen == whole
    assert "Rows 16–17 (the last)." in page.text
    back = href(page.text, "prev")
    assert back is not None and back.endswith("limit=5&offset=10")


def test_the_next_link_appears_only_when_a_row_follows(client: TestClient) -> None:
    exact = client.get(SPEAKERS, params={"limit": "17"}, headers={"accept": BROWSER})
    assert len(table_rows(exact.text)) == 17
    assert href(exact.text, "next") is None and "(all of them)" in exact.text
    one_short = client.get(SPEAKERS, params={"limit": "16"}, headers={"accept": BROWSER})
    assert href(one_short.text, "next") is not None
    past = client.get(SPEAKERS, params={"offset": "40"}, headers={"accept": BROWSER})
    assert past.status_code == 200 and "No rows from row 41" in past.text


def test_html_pages_have_a_default_size_and_label_their_downloads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("escape_kg.web.catalogue.HTML_PAGE_ROWS", 4)
    page = client.get(SPEAKERS, params={"after": "2000-01-01"}, headers={"accept": BROWSER})
    assert len(table_rows(page.text)) == 4
    assert href(page.text, "next") == f"http://testserver{SPEAKERS}?after=2000-01-01&offset=4"
    assert 'name="limit"' not in page.text  # the default size is not written into links
    assert "Download every row: " in page.text and "Only this page: " in page.text
    everything = f"http://testserver{SPEAKERS}?after=2000-01-01&amp;format=csv"
    this_page = f"http://testserver{SPEAKERS}?after=2000-01-01&amp;limit=4&amp;format=csv"
    assert f'<a href="{everything}">CSV</a>' in page.text
    assert f'<a href="{this_page}">CSV</a>' in page.text
    assert len(client.get(everything.replace("&amp;", "&")).text.splitlines()) == 18
    assert len(client.get(this_page.replace("&amp;", "&")).text.splitlines()) == 5


def test_paged_answers_send_link_headers(client: TestClient) -> None:
    middle = client.get(SPEAKERS, params={"limit": "5", "offset": "5", "format": "csv"})
    base = f"http://testserver{SPEAKERS}"
    assert middle.headers["link"] == (
        f'<{base}?limit=5&format=csv>; rel="prev", '
        f'<{base}?limit=5&offset=10&format=csv>; rel="next"'
    )
    last = client.get(SPEAKERS, params={"limit": "5", "offset": "15"})
    assert last.headers["link"] == f'<{base}?limit=5&offset=10>; rel="prev"'
    assert "link" not in client.get(SPEAKERS).headers  # a whole answer has no neighbours
    page = client.get(SPEAKERS, params={"limit": "5"}, headers={"accept": BROWSER})
    assert page.headers["link"] == f'<{base}?limit=5&offset=5>; rel="next"'
    assert (
        client.get(SPEAKERS, params={"limit": "5"}, headers={"accept": BROWSER}).headers["link"]
        == page.headers["link"]
    )  # kept with the cached answer


def test_the_cache_keeps_each_page_apart(client: TestClient) -> None:
    first = client.get(SPEAKERS, params={"limit": "3"})
    second = client.get(SPEAKERS, params={"limit": "3", "offset": "3"})
    assert first.headers["x-cache"] == second.headers["x-cache"] == "miss"
    assert first.headers["etag"] != second.headers["etag"]
    assert bindings(first) != bindings(second)
    again = client.get(SPEAKERS, params={"offset": "3", "limit": "3"})
    assert again.headers["x-cache"] == "hit" and bindings(again) == bindings(second)
    whole = client.get(SPEAKERS)
    assert whole.headers["x-cache"] == "miss" and len(bindings(whole)) == 17
    # The default page and the same size asked for differ in their links, so in the cache.
    default = client.get(SPEAKERS, headers={"accept": BROWSER})
    asked = client.get(SPEAKERS, params={"limit": "100"}, headers={"accept": BROWSER})
    assert asked.headers["x-cache"] == "miss" and default.headers["etag"] != asked.headers["etag"]
