"""The linked-data pages in a real browser: Debian's headless chromium, driven by playwright
with JavaScript off (the pages must work without it), against `escape-kg serve` running the
bundled example as its own process on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _browser import WAIT_MS, chromium
from _server import demo_server
from playwright.sync_api import Browser, Page, Response, expect

BASE = "https://w3id.org/escape-kg/id/"
JULIE = "/id/person/julie-chaudan"
WP2 = "/id/wp/WP2"
MEETING = "/id/meeting/2021-09-08-technical-coordination-meeting"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("data-home")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def rels(response: Response | None) -> dict[str, set[str]]:
    """rel -> URLs of the response's signposting Link header."""
    assert response is not None and response.status == 200
    found: dict[str, set[str]] = {}
    for part in (response.header_value("link") or "").split(", <"):
        url, _, params = part.lstrip("<").partition(">")
        if 'rel="' in params:
            rel = params.split('rel="', 1)[1].split('"', 1)[0]
            found.setdefault(rel, set()).add(url)
    return found


def follow(page: Page, link: str) -> Response | None:
    """Click the link matching the selector ``link`` and return the page's response."""
    with page.expect_navigation() as navigation:
        page.locator(link).click()
    return navigation.value


def test_search_a_person_then_follow_to_a_work_package(page: Page, root: str) -> None:
    landing = rels(page.goto(root + "/"))
    assert {"cite-as", "describedby", "item", "license", "type"} <= landing.keys()
    assert root + "/dump.trig" in landing["item"]

    page.locator("main form input[name=q]").fill("Chaudan")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == root + "/search?q=Chaudan"
    expect(page.locator("main table")).to_contain_text("Julie Chaudan")

    person = rels(follow(page, "main table a:text-is('Julie Chaudan')"))
    assert page.url == root + JULIE
    assert person["cite-as"] == {BASE + "person/julie-chaudan"}
    assert {"describedby", "license", "type"} <= person.keys()
    expect(page.locator("h1")).to_have_text("Julie Chaudan")
    affiliations = page.locator("section:has(#affiliations)")
    expect(affiliations).to_contain_text("LAPP IN2P3 / CNRS")
    expect(affiliations).to_contain_text("Laboratoire d'Annecy de Physique des Particules")
    items = page.locator("section:has(#items)")
    expect(items.locator("a:text-is('Introduction')")).to_have_count(1)
    expect(items).to_contain_text("speaker")

    # Her agenda item's meeting, then the work package its round table reports on.
    follow(page, f"section:has(#items) td > a[href='{MEETING}']")
    assert page.url == root + MEETING
    round_table_wp2 = page.locator("li[id='item-3.1'] > .about a")
    expect(round_table_wp2).to_have_attribute("href", WP2)
    wp = rels(follow(page, "li[id='item-3.1'] > .about a"))
    assert page.url == root + WP2
    assert wp["cite-as"] == {BASE + "wp/WP2"}
    assert_wp2_page(page)


def assert_wp2_page(page: Page) -> None:
    """The WP2 page: its name, its identifier and a chart with at least one visible bar."""
    expect(page.locator("h1")).to_have_text("Data Infrastructure for Open Science")
    expect(page.locator("p.iri code")).to_have_text(BASE + "wp/WP2")
    identifier = page.locator("table.props tr", has=page.locator("a:text-is('schema:identifier')"))
    expect(identifier.locator("td").nth(1)).to_have_text("WP2")
    bars = page.locator("svg.chart rect")
    assert bars.count() >= 1
    box = bars.first.bounding_box()
    assert box is not None and box["height"] > 0 and box["width"] > 0, box
    expect(page.locator("svg.chart a").first).to_have_attribute("href", MEETING)
    expect(page.locator("section:has(#items)")).to_contain_text("WP2")


def test_search_a_work_package_from_any_page(page: Page, root: str) -> None:
    page.goto(root + JULIE)
    page.locator("header form input[name=q]").fill("WP2")
    with page.expect_navigation():
        page.locator("header form button[type=submit]").click()
    follow(page, f"main table a[href='{WP2}']")
    assert page.url == root + WP2
    assert_wp2_page(page)


def test_a_highlighted_mention_in_the_minutes_links_to_its_entity(page: Page, root: str) -> None:
    page.goto(root + MEETING)
    expect(page.locator("h1")).to_have_text("Technical Coordination Meeting")
    mentions = page.locator("pre.minutes a.mention")
    assert mentions.count() > 10
    julie = page.locator("#L39 a.mention:text-is('Julie CHAUDAN')")
    expect(julie).to_have_attribute("href", JULIE)
    expect(julie).to_have_attribute("title", "Julie Chaudan")
    # The highlight stands out from the surrounding minutes text.
    plain, marked = (
        page.locator("#L39").evaluate("e => getComputedStyle(e).backgroundColor"),
        julie.evaluate("e => getComputedStyle(e).backgroundColor"),
    )
    assert plain != marked
    follow(page, "#L39 a.mention:text-is('Julie CHAUDAN')")
    assert page.url == root + JULIE
    expect(page.locator("h1")).to_have_text("Julie Chaudan")
