"""The query page in a real browser: Debian's headless chromium, driven by playwright,
against `escape-kg serve` running as its own process on a loopback port."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator

import pytest
from _browser import WAIT_MS, chromium
from _server import demo_server
from playwright.sync_api import Browser, Page, expect

PEOPLE = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name"


def fetch(url: str) -> tuple[str, str]:
    """The content type and text of ``url``, fetched outside the browser."""
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers["Content-Type"], r.read().decode("utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("data-home")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, root: str) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    page.goto(root + "/sparql")
    yield page
    context.close()
    assert script_errors == [], script_errors


def run(page: Page, query: str | None = None) -> None:
    if query is not None:
        page.fill("#query", query)
    page.click("#run")
    expect(page.locator("#status")).not_to_have_text("Running…")


def test_a_catalogue_example_runs_and_downloads_as_csv(page: Page, root: str) -> None:
    page.select_option("#example", "speakers-by-institute")
    assert page.input_value("#query").startswith("# title: Speakers by institute")
    assert page.input_value("#param-fields input[name=after]") == "1900-01-01"
    with page.expect_request(lambda r: "/queries/" in r.url) as sent:
        run(page)
    assert sent.value.method == "GET"
    assert sent.value.headers["accept"].startswith("application/sparql-results+json")
    expect(page.locator("table.results td", has_text="Julie Chaudan")).to_have_count(1)
    expect(page.locator("table.results th").first).to_have_text("after")

    href = page.get_attribute("#download-csv", "href")
    assert (
        href
        == root + "/queries/speakers-by-institute?after=1900-01-01&before=9999-12-31&format=csv"
    )
    media, text = fetch(href)
    assert media.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "Julie Chaudan" in [row["speakerName"] for row in rows]


def test_parameters_reach_the_query_as_values(page: Page) -> None:
    page.select_option("#example", "meetings")
    page.fill("#param-fields input[name=after]", "2030-01-01")
    run(page)
    expect(page.locator("#status")).to_contain_text("0 rows")
    page.fill("#param-fields input[name=after]", "2021-09-08")
    run(page)
    expect(page.locator("#status")).to_contain_text("1 row in")
    expect(page.locator("table.results td", has_text="Technical Coordination")).to_have_count(1)


def test_an_edited_example_runs_as_typed_at_the_endpoint(page: Page) -> None:
    page.select_option("#example", "sources")
    page.fill("#query", page.input_value("#query").replace("?graph ?date", "?date ?graph", 1))
    with page.expect_request(lambda r: r.url.endswith("/sparql")) as sent:
        run(page)
    assert sent.value.method == "POST"
    expect(page.locator("table.results th").first).to_have_text("date")


def test_a_typed_query_posts_to_the_endpoint(page: Page, root: str) -> None:
    with page.expect_request(lambda r: r.url.endswith("/sparql")) as sent:
        run(page, PEOPLE)
    assert sent.value.method == "POST"
    assert sent.value.post_data is not None and sent.value.post_data.startswith("query=")
    expect(page.locator("table.results td", has_text="Julie Chaudan")).to_have_count(1)

    href = page.get_attribute("#download-csv", "href")
    assert href is not None and href.startswith(root + "/sparql?query=")
    media, text = fetch(href)
    assert media.startswith("text/csv")
    assert "Julie Chaudan" in text.splitlines()
    json_href = page.get_attribute("#download-json", "href")
    assert json_href is not None
    media, text = fetch(json_href)
    assert media.startswith("application/sparql-results+json")
    assert json.loads(text)["head"]["vars"] == ["name"]


def test_a_broken_query_shows_the_servers_message(page: Page) -> None:
    run(page, "SELECT ?s WHERE { ?s ?p }")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("400 Bad Request: SPARQL syntax error")
    expect(error).to_contain_text("Hint:")
    expect(error).to_contain_text("https://www.w3.org/TR/sparql11-query/#grammar")
    expect(page.locator("table.results")).to_have_count(0)


def test_result_values_are_shown_as_text_never_as_markup(page: Page) -> None:
    markup = "<img src=x onerror=window.__x=1>"
    run(page, f'SELECT ("{markup}" AS ?v) {{}}')
    expect(page.locator("table.results td").first).to_have_text(markup)
    assert page.locator("#results img").count() == 0
    assert page.evaluate("typeof window.__x") == "undefined"


def test_following_next_on_a_results_page_shows_the_next_rows(page: Page, root: str) -> None:
    url = root + "/queries/speakers-by-institute"
    _, text = fetch(url + "?format=json")
    names = [b["speakerName"]["value"] for b in json.loads(text)["results"]["bindings"]]
    page.goto(url + "?limit=5")
    expect(page.locator("#paging")).to_contain_text("Rows 1–5; more follow.")
    page.click("#next")
    expect(page.locator("#paging")).to_contain_text("Rows 6–10")
    assert page.url == url + "?limit=5&offset=5"
    shown = page.locator("table.results tbody tr td:nth-child(7)").all_text_contents()
    assert shown == names[5:10]
    page.click("#previous")
    expect(page.locator("#paging")).to_contain_text("Rows 1–5")
