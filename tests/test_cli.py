"""End to end through the real entry point: `escape-kg` on an on-disk store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from escape_kg.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "escape-tc-minutes.txt"
DATA = ROOT / "tests" / "data"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the seed, imported once for the read-only tests below."""
    store = tmp_path_factory.mktemp("kg") / "store"
    result = run("import", "--store", str(store), "--date", "2021-09-08", str(SEED))
    assert result.exit_code == 0, result.output
    return store


def select(store: Path, query: str) -> list[dict[str, str]]:
    result = run("query", "--store", str(store), "--format", "json", query)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def dump(store: Path) -> str:
    result = run("export", "--store", str(store), "--format", "nquads")
    assert result.exit_code == 0, result.output
    return result.stdout


SPEAKERS = {
    "Ian Bird",
    "Julie Chaudan",
    "Xavier Espinal",
    "Kay Graf",
    "Mark Allen",
    "John Swinbank",
    "Stephen Serjeant",
    "Matthias Fuessling",
    "Antonella Bozzi",
    "Martino Romaniello",
    "Nazaret Bello Gonzalez",
    "Mohammad Al-Turany",
    "Daniele Spiga",
    "Harro Verkouter",
    "Jutta Schnabel",
    "Rosie Bolton",
}


def test_seed_has_exactly_the_16_speakers_once_each(seeded: Path) -> None:
    rows = select(
        seeded,
        "SELECT ?p (SAMPLE(?n) AS ?name) (COUNT(DISTINCT ?n) AS ?names) WHERE "
        "{ ?item schema:performer ?p . ?p a schema:Person ; schema:name ?n } GROUP BY ?p",
    )
    assert sorted(r["name"] for r in rows) == sorted(SPEAKERS)
    assert all(r["names"] == "1" for r in rows)


def test_affiliations_are_kept_as_stated(seeded: Path) -> None:
    rows = select(
        seeded,
        "SELECT ?name ?as WHERE { ?m a org:Membership ; org:member ?p ; "
        "ekg:statedAs ?as . ?p schema:name ?name }",
    )
    stated = {(r["name"], r["as"]) for r in rows}
    assert ("Julie Chaudan", "LAPP IN2P3 / CNRS") in stated
    assert ("Ian Bird", "LAPP") in stated
    assert ("Jutta Schnabel", "FAU Erlangen (ECAP)") in stated
    assert ("Kay Graf", "ECAP - University of Erlangen") in stated
    assert ("Mark Allen", "CDS/CNRS") in stated
    assert ("Daniele Spiga", "INFN-Perugia") in stated
    assert ("Daniele Spiga", "infn") in stated
    assert ("Harro Verkouter", "Joint Institute for VLBI ERIC") in stated


def test_each_work_package_is_linked_from_its_round_table_report(seeded: Path) -> None:
    rows = select(
        seeded,
        "SELECT ?title ?id WHERE { ?item a ekg:AgendaItem ; schema:name ?title ; "
        "schema:about ?wp . ?wp a ekg:WorkPackage ; schema:identifier ?id }",
    )
    assert {(r["title"], r["id"]) for r in rows} == {(f"WP{n}", f"WP{n}") for n in range(2, 7)}


def test_agenda_has_4_top_level_and_14_round_table_items_with_times(seeded: Path) -> None:
    top = select(
        seeded,
        "SELECT ?title ?start ?end ?dur WHERE { ?m a ekg:Meeting ; schema:subEvent ?i . "
        "?i schema:name ?title ; schema:startDate ?start ; schema:endDate ?end ; "
        "schema:duration ?dur } ORDER BY ?start",
    )
    assert [(r["title"], r["start"][11:16], r["end"][11:16], r["dur"]) for r in top] == [
        ("Introduction", "10:00", "10:10", "PT10M"),
        ("TSP update", "10:10", "10:20", "PT10M"),
        ("Round Table", "10:20", "10:45", "PT25M"),
        ("AOB", "10:50", "10:51", "PT1M"),
    ]
    assert all(r["start"].startswith("2021-09-08T") for r in top)
    reports = select(
        seeded,
        "SELECT ?title ?pos ?dur WHERE { ?rt schema:name 'Round Table' ; "
        "schema:subEvent ?i . ?i schema:name ?title ; schema:position ?pos ; "
        "schema:duration ?dur } ORDER BY ?pos",
    )
    assert [r["title"] for r in reports] == [
        "WP2",
        "WP3",
        "WP4",
        "WP5",
        "WP6",
        "CTA",
        "EGO",
        "ESO",
        "EST",
        "FAIR",
        "HL-LHC",
        "Jive",
        "KM3Net",
        "SKA",
    ]
    assert {r["dur"] for r in reports} == {"PT2M"}


def test_chep_2022_dates(seeded: Path) -> None:
    rows = select(
        seeded,
        "SELECT ?start ?end WHERE { ?e a schema:Event ; schema:name ?n ; "
        "schema:startDate ?start ; schema:endDate ?end FILTER(CONTAINS(?n, 'CHEP 2022')) }",
    )
    assert {(r["start"], r["end"]) for r in rows} == {("2022-05-16", "2022-05-20")}


def test_deliverable_d53_title_from_the_minutes(seeded: Path) -> None:
    rows = select(
        seeded,
        "SELECT ?title ?date WHERE { GRAPH ?g { ?m a ekg:Meeting . "
        "?d a ekg:Deliverable ; schema:identifier 'D5.3' ; schema:name ?title ; "
        "ekg:deliveryDate ?date } }",
    )
    assert rows == [
        {
            "title": "Performance assessment of initial science platform prototype",
            "date": "2021-08-27",
        }
    ]


def test_every_named_entity_has_an_annotation_in_the_document_graph(seeded: Path) -> None:
    rows = select(
        seeded,
        """
        SELECT ?e WHERE { GRAPH ?g {
          ?m a ekg:Meeting .
          { ?e a schema:Person } UNION { ?e a org:Organization } UNION { ?e a ekg:WorkPackage }
          UNION { ?e a ekg:Deliverable }
          UNION { ?e a schema:Event
                  FILTER NOT EXISTS { ?e a ekg:AgendaItem } FILTER NOT EXISTS { ?e a ekg:Meeting } }
          FILTER NOT EXISTS { ?a oa:hasBody ?e }
        } }""",
    )
    assert rows == []


SECRETS = [
    "115510",
    "954 2955 6769",
    "95429556769",
    "41432107108",
    "41315280988",
    "43 210 71 08",
    "31 528 09 88",
    "43 210 70 42",
    "8699 5831",
    "7037 2246",
    "7037 9729",
]


def test_no_secret_reaches_the_store(seeded: Path) -> None:
    everything = dump(seeded)
    digits_only = re.sub(r"\D", "", everything)
    for secret in SECRETS:
        assert secret not in everything
        assert re.sub(r"\D", "", secret) not in digits_only or len(re.sub(r"\D", "", secret)) < 8


def test_import_reports_redaction_counts_not_values(tmp_path: Path) -> None:
    result = run("import", "--store", str(tmp_path / "s"), "--date", "2021-09-08", str(SEED))
    assert result.exit_code == 0
    assert "2 passcode" in result.stderr and "3 meeting-id" in result.stderr
    assert "115510" not in result.output


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert run("import", "--store", store, "--date", "2021-09-08", str(SEED)).exit_code == 0
    first = dump(Path(store))
    again = run("import", "--store", store, "--date", "2021-09-08", str(SEED))
    assert again.exit_code == 0
    assert "unchanged" in again.stderr
    assert dump(Path(store)) == first


def test_item_ending_before_it_starts_is_refused_naming_its_line(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert run("import", "--store", store, "--date", "2021-09-08", str(SEED)).exit_code == 0
    before = dump(Path(store))
    bad = DATA / "2022-03-01-end-before-start.txt"
    result = run("import", "--store", store, str(bad))
    assert result.exit_code == 1
    assert f"{bad}:3:" in result.stderr
    assert "refused" in result.stderr
    assert dump(Path(store)) == before


def test_force_stores_a_document_that_does_not_conform(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    result = run(
        "import", "--store", store, "--force", str(DATA / "2022-03-01-end-before-start.txt")
    )
    assert result.exit_code == 0
    assert "forced" in result.stderr
    rows = select(Path(store), "SELECT ?ok WHERE { ?g ekg:conforms ?ok }")
    assert rows == [{"ok": "false"}]


def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "binary": bytes(range(256)) * 8,
        "no-agenda": b"Just some text\nwith no agenda at all\n",
        "latin-1": "R\xe9union du 2021-09-08\n\n  - 10:00 10:10\n    Intro 10m\n".encode("latin-1"),
    }
    paths = {}
    for name, data in files.items():
        path = tmp_path / f"2021-09-08-{name}.txt"
        path.write_bytes(data)
        paths[name] = path
    huge = tmp_path / "2021-09-08-huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: the size check must come before reading
    paths["huge"] = huge
    paths["missing"] = tmp_path / "2021-09-08-missing.txt"
    return paths


@pytest.mark.parametrize("kind", ["empty", "binary", "no-agenda", "latin-1", "huge", "missing"])
def test_bad_input_is_a_clear_error_and_leaves_the_store_alone(tmp_path: Path, kind: str) -> None:
    store = str(tmp_path / "s")
    assert run("import", "--store", store, "--date", "2021-09-08", str(SEED)).exit_code == 0
    before = dump(Path(store))
    path = bad_inputs(tmp_path)[kind]
    result = run("import", "--store", store, str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert "Traceback" not in result.output
    assert dump(Path(store)) == before


def test_missing_date_says_how_to_give_it(tmp_path: Path) -> None:
    result = run("import", "--store", str(tmp_path / "s"), str(SEED))
    assert result.exit_code == 2
    assert "--date" in result.stderr


def test_validate_exit_codes(tmp_path: Path) -> None:
    assert run("validate", "--date", "2021-09-08", str(SEED)).exit_code == 0
    bad = run("validate", str(DATA / "2022-03-01-end-before-start.txt"))
    assert bad.exit_code == 1
    assert "end-before-start.txt:3:" in bad.stdout
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert run("validate", str(empty)).exit_code == 2


def test_validate_json_report(tmp_path: Path) -> None:
    result = run("validate", "--format", "json", str(DATA / "2022-03-01-end-before-start.txt"))
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert report["conforms"] is False
    assert any(r["line"] == 3 for r in report["results"])


def test_validate_accepts_rdf_files(tmp_path: Path) -> None:
    ttl = tmp_path / "bad.ttl"
    ttl.write_text(
        "@prefix schema: <http://schema.org/> .\n"
        "@prefix ekg: <https://w3id.org/escape-kg/ontology#> .\n"
        '<http://example.org/wp> a ekg:WorkPackage ; schema:identifier "Work package 2" .\n'
    )
    result = run("validate", str(ttl))
    assert result.exit_code == 1
    broken = tmp_path / "broken.ttl"
    broken.write_text("<http://x> <http://y> .")
    assert run("validate", str(broken)).exit_code == 2


def test_graphs_lists_documents_and_vocabularies(seeded: Path) -> None:
    result = run("graphs", "--store", str(seeded))
    assert result.exit_code == 0
    assert "Technical Coordination Meeting" in result.stdout
    assert "reference" in result.stdout and "ontology" in result.stdout


@pytest.mark.parametrize("fmt,suffix", [("trig", ".trig"), ("nquads", ".nq")])
def test_export_then_load_into_an_empty_store_gives_the_same_dataset(
    seeded: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    out = tmp_path / f"dump{suffix}"
    assert run("export", "--store", str(seeded), "--format", fmt, "-o", str(out)).exit_code == 0
    target = tmp_path / "restored"
    assert run("load", "--store", str(target), str(out)).exit_code == 0
    original = sorted(dump(seeded).splitlines())
    restored = sorted(dump(target).splitlines())
    assert restored == original


def test_query_formats(seeded: Path, tmp_path: Path) -> None:
    query = "SELECT ?id WHERE { ?wp a ekg:WorkPackage ; schema:identifier ?id } ORDER BY ?id"
    csv = run("query", "--store", str(seeded), "--format", "csv", query)
    assert csv.stdout.splitlines()[:3] == ["id", "WP1", "WP2"]
    table = run("query", "--store", str(seeded), query)
    assert "WP6" in table.stdout
    rq = tmp_path / "q.rq"
    rq.write_text("ASK { ?d schema:identifier 'D5.3' }")
    assert (
        run("query", "--store", str(seeded), "--format", "json", str(rq))
        .stdout.strip()
        .endswith("true}")
    )
    ttl = run(
        "query",
        "--store",
        str(seeded),
        "--format",
        "turtle",
        "CONSTRUCT { ?wp schema:identifier ?id } "
        "WHERE { ?wp schema:identifier ?id ; a ekg:WorkPackage }",
    )
    assert "WP3" in ttl.stdout
    stdin = run("query", "--store", str(seeded), "--format", "csv", "-", input=query)
    assert stdin.stdout.splitlines()[1] == "WP1"


def test_query_syntax_error_is_exit_2_with_hint(seeded: Path) -> None:
    result = run("query", "--store", str(seeded), "SELEC ?x WHERE {}")
    assert result.exit_code == 2
    assert "syntax" in result.stderr.lower()
    assert "Traceback" not in result.output


def test_store_in_use_is_a_clear_error(tmp_path: Path) -> None:
    from escape_kg.store import Store

    holder = Store(tmp_path / "busy")
    result = run("graphs", "--store", str(tmp_path / "busy"))
    assert result.exit_code == 2
    assert "in use" in result.stderr
    del holder


def test_store_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCAPE_KG_STORE", str(tmp_path / "env-store"))
    assert run("import", "--date", "2021-09-08", str(SEED)).exit_code == 0
    assert (tmp_path / "env-store").is_dir()
    assert run("where").stdout.strip() == str(tmp_path / "env-store")


def test_folder_import_with_summary(tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    folder.mkdir()
    (folder / "2021-09-08-tc.txt").write_bytes(SEED.read_bytes())
    (folder / "2021-09-09-empty.txt").write_bytes(b"")
    result = run("import", "--store", str(tmp_path / "s"), str(folder))
    assert result.exit_code == 2
    assert "2 file(s): 1 imported, 1 failed" in result.stderr


def test_catalogue_query_by_name_with_params(seeded: Path) -> None:
    result = run(
        "query", "--store", str(seeded), "--format", "csv",
        "--name", "wp-term", "--param", "wp=wp/WP2", "--param", "term=DAC21",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "item/3.1," in result.stdout


def test_catalogue_file_gets_its_defaults(seeded: Path) -> None:
    rq = ROOT / "queries" / "speakers-by-institute.rq"
    result = run("query", "--store", str(seeded), "--format", "csv", str(rq))
    assert result.exit_code == 0, result.output
    assert "LAPP IN2P3 / CNRS" in result.stdout


def test_bad_param_value_names_the_parameter(seeded: Path) -> None:
    result = run(
        "query", "--store", str(seeded), "--name", "events-upcoming", "--param", "after=tomorrow"
    )
    assert result.exit_code == 2
    assert "after" in result.stderr and "date" in result.stderr


def test_queries_lists_the_catalogue() -> None:
    result = run("queries")
    assert result.exit_code == 0
    assert "wp-term" in result.stdout and "--param" in result.stdout


def test_a_folder_of_minutes_in_all_four_forms_imports_in_one_command(tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    (folder / "2021" / "tc").mkdir(parents=True)
    (folder / "2021" / "tc" / "2021-09-08-tc.txt").write_bytes(SEED.read_bytes())
    for name in ("standard.html", "event-sessions.json", "event-tzid.ics"):
        (folder / name).write_bytes((DATA / "indico" / name).read_bytes())
    result = run("import", "--store", str(tmp_path / "s"), str(folder))
    assert result.exit_code == 0, result.output
    assert "4 file(s): 4 imported" in result.stderr
    rows = select(tmp_path / "s", "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a ekg:Meeting }")
    assert rows == [{"n": "4"}]


def test_a_calendar_entry_does_not_replace_the_minutes_of_its_meeting(tmp_path: Path) -> None:
    # The JSON export and the calendar entry describe the same meeting.
    store = str(tmp_path / "s")
    json_file, ics_file = (
        DATA / "indico" / "event-contributions.json",
        DATA / "indico" / "event-utc.ics",
    )
    assert run("import", "--store", store, str(json_file)).exit_code == 0
    before = dump(Path(store))
    result = run("import", "--store", store, str(ics_file))
    assert result.exit_code == 0
    assert "kept" in result.stderr and "calendar entry does not replace" in result.stderr
    assert dump(Path(store)) == before


@pytest.mark.parametrize("command", [("query", "ASK {}"), ("graphs",), ("export",)])
def test_reading_commands_do_not_create_a_missing_store(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    # An empty store left behind by a query would be served instead of the example.
    missing = tmp_path / "never-imported"
    result = run(command[0], "--store", str(missing), *command[1:])
    assert result.exit_code == 2
    assert f"there is no store at {missing}" in result.output
    assert "escape-kg import" in result.output
    assert not missing.exists()
