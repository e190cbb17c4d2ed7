"""`tracker export` / `tracker import`: a portable dump, restored with identical hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Tracker, snapshot

SAMPLE = Path(__file__).parent / "sample"


@pytest.fixture
def sample(tracker):
    tracker.ok("record", *sorted(str(p) for p in SAMPLE.glob("*.yaml")))
    return tracker


def other_sqlite(tmp_path: Path) -> Tracker:
    folder = tmp_path / "other"
    folder.mkdir()
    return Tracker(f"sqlite:///{folder / 'other.db'}", tmp_path)


def without_export_time(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "exported_at"}


def test_export_holds_every_draft_in_order_with_content_hashes_and_seq(sample):
    data = json.loads(sample.ok("export").stdout)
    assert data["schema"] == "tracker.export/v1"
    (neg,) = data["negotiations"]
    assert neg["negotiation"]["id"] == "acme-merger" and neg["hash"].startswith("sha256:")
    assert [(d["seq"], d["draft"]["id"]) for d in neg["drafts"]] == [(1, "first-offer"), (2, "counter"), (3, "joint-text")]
    log = sample.json("log")["drafts"]
    assert [d["hash"] for d in neg["drafts"]] == [d["hash"] for d in log]
    counter = neg["drafts"][1]
    # Full content, not the stored delta: every term, including those carried over.
    assert sorted(counter["draft"]["terms"]) == ["closing", "earn_out", "escrow", "exclusivity", "jurisdictions", "price", "structure"]
    assert counter["draft"]["terms"]["price"] == {"label": "Purchase price", "value": {"type": "money", "amount": "6000000", "currency": "USD"}}
    assert sorted(counter["term_hashes"]) == sorted(counter["draft"]["terms"])
    assert counter["recorded_at"].endswith("+00:00")


def test_round_trip_into_an_empty_database_keeps_hashes_and_content(sample, tmp_path, backend, request):
    sample.ok("seed")
    sample.ok("export", "-o", "dump.json")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".dump")) == []  # no temp file left
    target = _empty_target(backend, request, tmp_path)
    assert target.ok("import", str(tmp_path / "dump.json")).stdout == (
        "Imported acme-merger: 3 drafts recorded, 0 already present\n"
        "Imported us-ukraine-minerals-2025: 6 drafts recorded, 0 already present\n"
        f"Database: {target.url}\n"
    )
    before = json.loads((tmp_path / "dump.json").read_text())
    after = json.loads(target.ok("export").stdout)
    assert without_export_time(after) == without_export_time(before)
    for neg in ("acme-merger", "us-ukraine-minerals-2025"):
        assert target.json("log", "-n", neg) == sample.json("log", "-n", neg)
        assert target.json("show", "latest", "-n", neg) == sample.json("show", "latest", "-n", neg)
    assert target.ok("verify").stdout == sample.ok("verify").stdout


def test_sqlite_export_imports_into_postgresql_and_back(tmp_path, pg_schemas):
    source = other_sqlite(tmp_path)
    source.ok("seed")
    source.ok("record", *sorted(str(p) for p in SAMPLE.glob("*.yaml")))
    source.ok("export", "-o", "from-sqlite.json")
    pg = Tracker(pg_schemas.new(), tmp_path)
    pg.ok("import", "from-sqlite.json")
    pg.ok("export", "-o", "from-pg.json")
    back = Tracker(f"sqlite:///{tmp_path / 'back.db'}", tmp_path)
    back.ok("import", "from-pg.json")
    dumps = [json.loads((tmp_path / name).read_text()) for name in ("from-sqlite.json", "from-pg.json")]
    dumps.append(json.loads(back.ok("export").stdout))
    assert without_export_time(dumps[0]) == without_export_time(dumps[1]) == without_export_time(dumps[2])
    assert pg.ok("verify").stdout == source.ok("verify").stdout


def test_export_of_one_negotiation(sample):
    sample.ok("seed")
    data = json.loads(sample.ok("export", "-n", "acme-merger").stdout)
    assert [n["negotiation"]["id"] for n in data["negotiations"]] == ["acme-merger"]
    result = sample("export", "-n", "nope")
    assert (result.exit_code, result.stderr) == (4, "Error: unknown negotiation 'nope' (known: acme-merger, us-ukraine-minerals-2025)\n")


def test_importing_again_changes_nothing(sample, tmp_path):
    sample.ok("export", "-o", "dump.json")
    before = snapshot(sample.url)
    assert sample.ok("import", "dump.json").stdout == f"Imported acme-merger: 0 drafts recorded, 3 already present\nDatabase: {sample.url}\n"
    assert snapshot(sample.url) == before


def test_import_preserves_recording_times(sample, tmp_path):
    sample.ok("export", "-o", "dump.json")
    target = other_sqlite(tmp_path)
    target.ok("import", "dump.json")
    assert target.json("show", "counter")["recorded_at"] == sample.json("show", "counter")["recorded_at"]


def tamper(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def _drafts(data: dict) -> list:
    return data["negotiations"][0]["drafts"]


TAMPERED = [
    ("changed value", lambda d: _drafts(d)[1]["draft"]["terms"]["price"]["value"].update(amount="6500000"),
     "negotiations[0].drafts[1].draft.terms.price: draft 'counter': term 'price' does not match its hash"),
    ("changed value, term hashes removed",
     lambda d: (_drafts(d)[1]["draft"]["terms"]["price"]["value"].update(amount="6500000"), [x.pop("term_hashes") for x in _drafts(d)]),
     "negotiations[0].drafts[1].hash: draft 'counter': content does not match its hash"),
    ("changed title", lambda d: _drafts(d)[0]["draft"].update(title="Another offer"),
     "negotiations[0].drafts[0].hash: draft 'first-offer': content does not match its hash"),
    ("changed parent", lambda d: _drafts(d)[2]["draft"].update(parents=["first-offer"]),
     "negotiations[0].drafts[2].hash: draft 'joint-text': content does not match its hash"),
    ("changed date", lambda d: _drafts(d)[2]["draft"].update(date="2025-03-16"),
     "negotiations[0].drafts[2].hash: draft 'joint-text': content does not match its hash"),
    ("renumbered", lambda d: _drafts(d)[1].update(seq=5),
     "negotiations[0].drafts[1].seq: expected seq 2: drafts must be listed in sequence order from 1"),
    ("reordered", lambda d: _drafts(d).reverse(),
     "negotiations[0].drafts[0].seq: expected seq 1: drafts must be listed in sequence order from 1"),
    ("changed negotiation", lambda d: d["negotiations"][0]["negotiation"].update(title="Another merger"),
     "negotiations[0].hash: negotiation 'acme-merger': content does not match its hash"),
    ("invalid value", lambda d: _drafts(d)[1]["draft"]["terms"]["earn_out"]["value"].update(value="150"),
     "negotiations[0].drafts[1].draft.terms.earn_out.value.value: a percentage share must be between 0 and 100, got 150 (for a rate use a number with unit '%')"),
    ("other schema", lambda d: d.update(schema="tracker.export/v9"),
     "schema: not a tracker export (expected \"schema\": \"tracker.export/v1\", found 'tracker.export/v9')"),
]


@pytest.mark.parametrize("change, message", [t[1:] for t in TAMPERED], ids=[t[0] for t in TAMPERED])
def test_a_file_whose_content_does_not_match_its_hashes_is_refused(sample, tmp_path, change, message):
    sample.ok("export", "-o", "dump.json")
    tamper(tmp_path / "dump.json", change)
    target = other_sqlite(tmp_path)
    target.ok("db", "upgrade")
    before = snapshot(target.url)
    result = target("import", "dump.json")
    assert result.exit_code == 3
    where, _, rest = result.stderr.partition(": ")
    assert where.startswith("Error") and rest.split(": ", 1)[1] == message + "\n"
    assert rest.split(": ", 1)[0].startswith("dump.json:")  # file:line
    assert snapshot(target.url) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"schema": "tracker.export/v1",\n "schema": "x"}', "Error: dump.json:2: duplicate key 'schema'\n"),
        ('{"schema": ', "Error: dump.json:1: invalid JSON: Expecting value (column 12)\n"),
        ('[1, 2]', "Error: dump.json:1: not a tracker export (expected \"schema\": \"tracker.export/v1\", found None)\n"),
        ('{"schema": "tracker.export/v1",\n "negotiations": [NaN]}', "Error: dump.json:2: NaN: NaN and Infinity are not numbers a term can hold\n"),
        ('{"schema": "tracker.export/v1",\n "negotiations": {}}', "Error: dump.json:2: negotiations: expected a list of negotiations\n"),
    ],
)
def test_malformed_export_files_are_refused_with_their_line(tracker, tmp_path, text, message):
    (tmp_path / "dump.json").write_text(text)
    before = snapshot(tracker.url)
    result = tracker("import", "dump.json")
    assert (result.exit_code, result.stderr) == (3, message)
    assert snapshot(tracker.url) == before


def test_import_into_a_database_with_other_drafts_of_the_negotiation_is_refused(sample, tmp_path):
    sample.ok("export", "-o", "dump.json")
    target = other_sqlite(tmp_path)
    target.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    target.ok("record", "--from", "first-offer", "--id", "elsewhere", "--tabled-by", "B", "--set", "price=$9m")
    before = snapshot(target.url)
    result = target("import", "dump.json")
    assert (result.exit_code, result.stderr) == (
        5,
        "Error: dump.json: negotiations[0].drafts[1]: seq: draft 'counter' would be recorded as v3, not v2: "
        "the database holds other drafts of this negotiation (import into an empty database, or one holding the same drafts)\n",
    )
    assert snapshot(target.url) == before


def test_import_from_standard_input(sample, tmp_path):
    dump = sample.ok("export").stdout
    target = other_sqlite(tmp_path)
    assert target.ok("import", "-", input=dump).stdout == f"Imported acme-merger: 3 drafts recorded, 0 already present\nDatabase: {target.url}\n"
    assert target.json("log") == sample.json("log")


def test_export_and_import_of_an_empty_database(tracker, tmp_path):
    tracker.ok("export", "-o", "empty.json")
    assert json.loads((tmp_path / "empty.json").read_text())["negotiations"] == []
    assert tracker.ok("import", "empty.json").stdout == "Nothing to import: the file holds no negotiations.\n"


def test_import_of_a_missing_file(tracker):
    result = tracker("import", "nope.json")
    assert (result.exit_code, result.stderr) == (3, "Error: nope.json: no such file\n")


def _empty_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Tracker:
    if backend == "sqlite":
        return other_sqlite(tmp_path)
    return Tracker(request.getfixturevalue("pg_schemas").new(), tmp_path)


def test_a_term_changed_in_the_database_is_not_laundered_by_export(sample, tmp_path):
    # A term edited in the database behind tracker's back fails the export, as it fails `tracker verify`.
    from sqlalchemy import text

    from tracker.db.engine import create

    engine = create(sample.url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # past the history tables' triggers, as an owner can
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(
            "UPDATE term_blobs SET body = replace(body, 'true', 'false') WHERE id = "
            "(SELECT blob_id FROM draft_terms WHERE key = 'escrow' AND draft_id = (SELECT id FROM drafts WHERE slug = 'first-offer'))"
        ))
    engine.dispose()
    # Export reads the term and stops there: nothing tampered leaves the database as if it were sound.
    result = sample("export", "-o", "dump.json")
    assert result.exit_code == 7
    assert result.stderr.endswith("no longer matches its hash: it was changed outside tracker; run `tracker verify`\n"), result.stderr
    assert not (tmp_path / "dump.json").exists()
