"""Hardening: where output goes, what is read, and how much — each refusal one exact line,
a documented exit code and an unchanged database (issue: output paths, bounded reads, …)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import Tracker, snapshot

from tracker.db import SCHEMA_REVISION

SAMPLE = Path(__file__).parent / "sample"


@pytest.fixture
def acme(tracker: Tracker) -> Tracker:
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    return tracker


def refused(t: Tracker, *args: str) -> tuple[int, str]:
    before = snapshot(t.url)
    result = t(*args)
    assert snapshot(t.url) == before, "the database changed"
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.exit_code, result.stderr.removeprefix("Error: ").rstrip("\n")


# --- output paths -------------------------------------------------------------------------


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        (tmp_path / "real.json").write_text("mine")
        path.symlink_to(tmp_path / "real.json")
    elif kind == "dangling":
        path.symlink_to(tmp_path / "nowhere.json")
    elif kind == "device":
        return Path("/dev/null")
    return path


NOT_REGULAR = "is not a regular file (a device, FIFO or socket); give the path of a regular file"
SYMLINK = "is a symbolic link; give the path of a regular file"


@pytest.mark.parametrize("command", [("export",), ("report", "--format", "json")], ids=["export", "report"])
@pytest.mark.parametrize("kind, message", [("fifo", NOT_REGULAR), ("device", NOT_REGULAR), ("symlink", SYMLINK), ("dangling", SYMLINK)])
@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
def test_output_goes_only_to_a_regular_file(acme, tmp_path, command, kind, message, force):
    target = _special(tmp_path, kind)
    before = os.lstat(target)
    args = [*command, "-o", str(target), *(["--force"] if force else [])]
    assert refused(acme, *args) == (3, f"{target}: {message}")
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    if kind == "symlink":
        assert (tmp_path / "real.json").read_text() == "mine"
    assert not (tmp_path / "nowhere.json").exists()


def test_export_never_overwrites_without_force_and_replaces_with_it(acme, tmp_path):
    target = tmp_path / "acme.json"
    target.write_text("my notes")
    assert refused(acme, "export", "-o", str(target)) == (5, f"{target}: already exists; use --force to overwrite it")
    assert target.read_text() == "my notes"
    result = acme.ok("export", "-o", str(target), "--force")
    assert result.stdout == f"Exported 1 negotiation, 1 draft to {target}\n"
    assert target.read_text().startswith('{\n  "schema": "tracker.export/v1"')
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_export_into_a_missing_folder_or_onto_a_folder_is_one_line(acme, tmp_path):
    missing = tmp_path / "missing" / "x.json"
    assert refused(acme, "export", "-o", str(missing)) == (3, f"{missing}: folder {missing.parent} does not exist")
    assert refused(acme, "export", "-o", str(tmp_path)) == (3, f"{tmp_path}: is a folder; give a file name")


@pytest.mark.parametrize("command", [("export",), ("report",)])
def test_dash_is_standard_output(acme, tmp_path, command):
    def same(text: str) -> str:  # an export says when it was made, to the second
        return re.sub(r'"exported_at": "[^"]*"', "", text)

    plain = acme.ok(*command).stdout
    assert same(acme.ok(*command, "-o", "-").stdout) == same(plain)
    assert not (tmp_path / "-").exists()


def test_a_new_file_gets_the_umask_and_a_replaced_one_keeps_its_mode(acme, tmp_path):
    target = tmp_path / "r.md"
    old = os.umask(0o027)
    try:
        acme.ok("report", "-o", str(target))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o640
    target.chmod(0o604)
    acme.ok("report", "-o", str(target), "--force")
    assert target.stat().st_mode & 0o777 == 0o604


# --- bounded reads ------------------------------------------------------------------------


def test_a_draft_that_is_a_fifo_or_a_device_is_refused_without_reading(acme, tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody writes to it: reading would hang
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # reading would never end
    assert refused(acme, "record", "pipe.yaml") == (3, "pipe.yaml: is not a regular file (a device, FIFO or socket)")
    assert refused(acme, "record", "zero.yaml") == (3, "zero.yaml: is not a regular file (a device, FIFO or socket)")
    assert refused(acme, "import", "zero.yaml") == (3, "zero.yaml: is not a regular file (a device, FIFO or socket)")


def test_a_symlink_to_a_regular_draft_is_read(acme, tmp_path):
    (tmp_path / "d2.yaml").symlink_to(SAMPLE / "d2.yaml")
    assert "counter" in acme.ok("record", "d2.yaml").stdout


def test_import_from_standard_input_is_bounded(acme, monkeypatch):
    from tracker.input import portable

    monkeypatch.setattr(portable, "MAX_IMPORT_BYTES", 2**20)
    result = acme("import", "-", input="x" * (2**20 + 1))
    assert (result.exit_code, result.stderr) == (3, "Error: <stdin>: more than 1 MiB; at most 1 MiB\n")


# --- parties: one name, one party ---------------------------------------------------------

CLASHES = [
    ("    aliases: [B]\n  - code: B\n    name: Beta\n", "'B' names two parties, A (alias) and B (code)"),
    ("  - code: a\n    name: Beta\n", "'a' names two parties, A (code) and a (code)"),
    ("  - code: B\n    name: ALPHA  CORP\n", "'ALPHA CORP' names two parties, A (name) and B (name)"),
    ("    aliases: [Shared]\n  - code: B\n    name: Beta\n    aliases: [shared]\n", "'shared' names two parties, A (alias) and B (alias)"),
]


@pytest.mark.parametrize("rest, message", CLASHES, ids=["alias-is-a-code", "codes-differ-by-case", "same-name", "shared-alias"])
def test_a_name_that_could_mean_two_parties_is_refused(tracker, tmp_path, rest, message):
    (tmp_path / "n.yaml").write_text("kind: negotiation\nid: clash\ntitle: Clash\nparties:\n  - code: A\n    name: Alpha Corp\n" + rest)
    assert refused(tracker, "record", "n.yaml") == (3, f"n.yaml:4: parties: {message}; codes, names and aliases must differ, ignoring case")


def test_the_cli_refuses_the_same_clash(tracker):
    assert refused(tracker, "negotiation", "create", "x", "-t", "X", "-p", "A=Alpha", "-p", "B=alpha") == (
        3, "parties: 'alpha' names two parties, A (name) and B (name); codes, names and aliases must differ, ignoring case")


@pytest.mark.parametrize("name, party", [("A", "A"), ("a", "A"), ("acme", "A"), ("Acme Corp", "A"), ("acme  corp", "A"), ("b", "B"), ("beta ltd", "B")])
def test_a_party_is_found_by_code_name_or_alias(acme, name, party):
    acme.ok("record", "--from", "first-offer", "--id", "reply", "--tabled-by", name, "--set", "price=$6 million")
    assert acme.json("show", "reply")["tabled_by"] == [party]


# --- control characters -------------------------------------------------------------------

ESC = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, set the window title, ring the bell
FORGED = "\nv9  2099-01-01  forged  A  tabled\r\u2028\x9b31m"


def test_one_line_fields_refuse_control_characters(acme, tmp_path):
    head = "kind: draft\nnegotiation: acme-merger\nid: ctl\ntabled_by: [B]\ndate: 2025-03-08\nparents: [first-offer]\n"
    cases = [
        ('title: "Reply \\e[31m"\nterms: {}\n', "ctl.yaml:7: title: control character U+001B"),
        ('title: Reply\nterms:\n  price:\n    label: "Price\\nforged"\n    value: $6 million\n', "ctl.yaml:10: terms.price.label: control character U+000A"),
        ('title: Reply\nterms:\n  hours:\n    value: {type: number, value: 40, unit: "h\\a"}\n', "ctl.yaml:10: terms.hours.value.unit: control character U+0007"),
        ('title: Reply\nterms:\n  venue:\n    value: {type: choice, value: "court\\u2028"}\n', "ctl.yaml:10: terms.venue.value.value: control character U+2028"),
    ]
    for body, start in cases:
        (tmp_path / "ctl.yaml").write_text(head + body)
        code, message = refused(acme, "record", "ctl.yaml")
        assert code == 3 and message.startswith(start + " is not allowed here"), message
    (tmp_path / "ctl.yaml").write_text(head + 'title: Reply\nterms:\n  places:\n    value: {type: set, items: ["Paris\\e"]}\n')
    assert refused(acme, "record", "ctl.yaml") == (3, "ctl.yaml:10: terms.places.value.items: control character U+001B is not allowed here: set items are one line of plain text")
    assert refused(acme, "record", "--from", "first-offer", "--id", "x", "--tabled-by", "B", "--title", "a\x1bb")[0] == 3


def test_free_text_keeps_control_characters_and_every_text_output_escapes_them(acme, tmp_path):
    (tmp_path / "reply.yaml").write_text(json.dumps({
        "kind": "draft", "negotiation": "acme-merger", "id": "reply", "title": "Reply", "tabled_by": ["B"],
        "date": "2025-03-08", "parents": ["first-offer"], "notes": "notes" + ESC + FORGED, "sources": ["memo-1"],
        "terms": {
            "price": {"value": "$6 million", "sources": [{"source": "memo-1", "quote": "quote" + ESC + FORGED}],
                      "pushed_by": {"parties": ["B"], "evidence": "evidence" + ESC + FORGED}},
            "clause": {"value": {"type": "text", "value": "text" + ESC + FORGED}},
        },
    }))
    acme.ok("record", "reply.yaml")
    shown = acme.json("show", "reply")
    assert shown["notes"] == "notes" + ESC + FORGED  # kept as recorded
    commands = [("log",), ("show", "reply", "--quotes"), ("diff", "first-offer", "reply"), ("diff", "first-offer", "reply", "-f", "markdown"),
                ("blame", "reply"), ("history", "clause"), ("history", "price"), ("positions",), ("gap",), ("report",)]
    for args in commands:
        out = acme.ok(*args).stdout
        assert not [c for c in out if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029")], args
        assert not [line for line in out.splitlines() if line.lstrip().startswith(("v9", "2099"))], args  # no forged row
    assert "text\\x1b[2J\\x1b]0;owned\\x07 v9" in acme.ok("show", "reply").stdout


def test_set_items_in_composed_and_decomposed_form_are_one_item(acme):
    acme.ok("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B", "--set", "jurisdictions=[Québec, Que\u0301bec, Delaware]")
    assert acme.json("show", "reply")["terms"]["jurisdictions"]["value"]["items"] == ["Delaware", "Québec"]


# --- YAML read as YAML 1.2 reads it; values as written ------------------------------------

READ_AS = [
    ("010", {"type": "number", "value": "10"}),  # YAML 1.1: 8
    ("1:30", {"type": "text", "value": "1:30"}),  # YAML 1.1: 90
    ("1:30.5", {"type": "text", "value": "1:30.5"}),
    ("1_000", {"type": "number", "value": "1000"}),
    ("off", {"type": "text", "value": "off"}),  # YAML 1.1: false
    ("on", {"type": "text", "value": "on"}),
    ("yes", {"type": "boolean", "value": True}),  # tracker's own shorthand, not YAML's
    ("'-$5 million'", {"type": "money", "amount": "-5000000", "currency": "USD"}),
    ("$-5 million", {"type": "money", "amount": "-5000000", "currency": "USD"}),
    ("-5 USD", {"type": "money", "amount": "-5", "currency": "USD"}),
    ("EUR -2.5m", {"type": "money", "amount": "-2500000", "currency": "EUR"}),
    ("-5 hours", {"type": "number", "value": "-5", "unit": "hours"}),
    ("'§ 12 BGB'", {"type": "text", "value": "§ 12 BGB"}),  # digits 0-9 beside other signs: text
    ("'№ 5'", {"type": "text", "value": "№ 5"}),
    ("'−$5 million'", {"type": "money", "amount": "-5000000", "currency": "USD"}),  # the typeset minus sign
]


@pytest.mark.parametrize("written, stored", READ_AS, ids=[w for w, _ in READ_AS])
def test_a_value_is_read_as_written(acme, tmp_path, written, stored):
    head = "kind: draft\nnegotiation: acme-merger\nid: reply\ntitle: Reply\ntabled_by: [B]\ndate: 2025-03-08\nparents: [first-offer]\n"
    (tmp_path / "reply.yaml").write_text(head + f"terms:\n  x:\n    value: {written}\n")
    if written == "-5 hours":
        assert refused(acme, "record", "reply.yaml") == (3, "reply.yaml:10: terms.x.value: a duration cannot be negative, got -5 hours")
        return
    acme.ok("record", "reply.yaml")
    assert acme.json("show", "reply")["terms"]["x"]["value"] == stored


def test_sources_given_on_the_command_line_follow_the_files_rules(acme):
    base = ("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B", "--set", "price=$7m", "--source")
    assert refused(acme, *base, "{id: &a memo, outlet: *a}") == (3, "--source:1: YAML anchors and aliases are not supported")
    assert refused(acme, *base, "{id: memo, outlet: " + "[" * 50 + "]" * 50 + "}") == (3, "--source:1: document is nested more than 40 levels deep")
    assert refused(acme, *base, "{id: memo, outlet: Paper, date: 0}") == (3, "--source: date: a date is written YYYY-MM-DD, not 0")


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e9", "soon"])
def test_a_lock_timeout_that_is_no_number_of_seconds_is_refused(acme, value):
    result = acme("record", "--from", "first-offer", "--id", "x", "--tabled-by", "B", "--set", "price=$7m", env={"TRACKER_LOCK_TIMEOUT": value})
    assert (result.exit_code, result.stderr) == (
        3, f"Error: TRACKER_LOCK_TIMEOUT='{value}': give the seconds a writer may wait for a lock, from 0 (do not wait) to 86400\n")


@pytest.mark.parametrize("driver, module", [("postgresql+psycopg2", "psycopg2"), ("postgresql+pg8000", "pg8000")])
def test_a_database_url_whose_driver_is_missing_is_one_line(tmp_path, driver, module):
    result = Tracker(f"{driver}://postgres@127.0.0.1:5432/test", tmp_path)("log")
    assert (result.exit_code, result.stderr) == (
        6, f"Error: database URL '{driver}://postgres@127.0.0.1:5432/test' needs the Python module '{module}', which is not installed;"
        " for PostgreSQL write postgresql://… (tracker ships psycopg 3)\n")


# --- the HTML report ----------------------------------------------------------------------


def test_no_value_can_splice_the_embedded_data_into_the_html_page(acme, tmp_path):
    old_marker = "\x00report-data\x00"  # the fixed marker of earlier releases
    terms = {f"t{i}": {"value": {"type": "text", "value": f"{old_marker} x{i}"}} for i in range(30)}
    (tmp_path / "reply.json").write_text(json.dumps({
        "kind": "draft", "negotiation": "acme-merger", "id": "reply", "title": "Reply", "tabled_by": ["B"],
        "date": "2025-03-08", "parents": ["first-offer"], "terms": terms}))
    acme.ok("record", "reply.json")
    page = acme.ok("report", "-f", "html").stdout
    assert page.count('<script type="application/json"') == 1
    data = page.split('<script type="application/json"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["summary"]["drafts"] == 2  # the embedded JSON, whole, in its one place
    assert len(page) < 2 * len(acme.ok("report", "-f", "json").stdout) + 200_000


# --- output that cannot be written ----------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [("log",), ("export",), ("report", "-f", "html"), ("diff", "first-offer", "first-offer")])
def test_a_full_disk_on_standard_output_is_exit_9_and_one_line(acme, tmp_path, command):
    """Run as a process: CliRunner captures standard output, a user's shell does not."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "tracker", "--db", acme.url, *command], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, env={**os.environ, "TRACKER_DB_URL": ""}, timeout=60)
    assert (done.returncode, done.stderr) == (9, "Error: cannot write the output: No space left on device\n")


def test_a_full_disk_while_writing_a_file_leaves_nothing_behind(acme, tmp_path, monkeypatch):
    from tracker.commands import outfile

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outfile.os, "fsync", full)
    target = tmp_path / "acme.json"
    assert refused(acme, "export", "-o", str(target)) == (9, f"{target}: cannot write: No space left on device")
    assert not target.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".acme")]


# --- migrations -----------------------------------------------------------------------------


def test_a_downgrade_that_would_drop_drafts_needs_yes(acme):
    assert refused(acme, "db", "downgrade", "base") == (
        5, f"database {acme.url} holds 1 draft in 1 negotiation: downgrading may drop them; pass --yes to go ahead"
        " (keep a copy first: tracker export -o backup.json)")
    assert acme.ok("db", "downgrade", "base", "--yes").stdout == "Database is at schema base.\n"
    assert acme.ok("db", "upgrade").stdout == f"Database {acme.url} is at schema {SCHEMA_REVISION}.\n"


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
@pytest.mark.parametrize("revision", ["nope", "", "+1", "heads", "-1"])
def test_an_unknown_schema_revision_is_one_line(tracker, command, revision):
    assert refused(tracker, "db", command, *(["--yes"] if command == "downgrade" else []), "--", revision) == (
        3, f"unknown schema revision {revision!r} (schema revisions: 0001, 0002, 0003, head, base)")


def test_plain_alembic_works_from_any_folder(tmp_path):
    import subprocess
    import sys

    ini = Path(__file__).parent.parent / "alembic.ini"
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    env = {**os.environ, "TRACKER_DB_URL": url}
    alembic = [sys.executable, "-m", "alembic", "-c", str(ini)]
    assert subprocess.run([*alembic, "upgrade", "head"], cwd=tmp_path, env=env, capture_output=True, timeout=60).returncode == 0
    done = subprocess.run([*alembic, "current"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == f"{SCHEMA_REVISION} (head)"


@pytest.mark.parametrize("text", ["=1+1", "\n=1+1", " =1+1", "\t=1", "＝1+1", "＋1", "@SUM(A1)", "  -2+3"])
def test_a_csv_cell_a_spreadsheet_would_run_is_guarded(text):
    from tracker.render.csvout import safe

    assert safe(text) == "'" + text


@pytest.mark.parametrize("text", ["-5", "+3.5", "plain", "a = b", "5%"])
def test_a_csv_cell_that_is_data_is_kept(text):
    from tracker.render.csvout import safe

    assert safe(text) == text


def test_an_over_long_key_is_named_once_and_cut_short(acme):
    key = "k" * 300
    code, message = refused(acme, "record", "--from", "first-offer", "--id", "x", "--tabled-by", "B", "--set", f"{key}=5")
    assert (code, message) == (3, f"terms.{'k' * 59}…: key is 300 characters long; at most 200")


def test_an_imported_recording_time_with_an_offset_is_kept_as_the_same_instant(acme, tmp_path):
    acme.ok("export", "-o", "dump.json")
    data = json.loads((tmp_path / "dump.json").read_text())
    entry = data["negotiations"][0]
    del entry["head"], entry["drafts"][0]["link"]  # as an export written before the history chain
    entry["drafts"][0]["recorded_at"] = "2025-03-01T12:00:00+02:00"
    (tmp_path / "dump.json").write_text(json.dumps(data))
    fresh = Tracker(acme.url, tmp_path)
    fresh.ok("db", "downgrade", "base", "--yes")
    fresh.ok("db", "upgrade")
    fresh.ok("import", "dump.json")
    assert fresh.json("show", "first-offer")["recorded_at"] == "2025-03-01T10:00:00+00:00"


# --- a report grows with what it shows --------------------------------------------------------


def test_a_report_of_many_parties_shows_a_bounded_number_of_gaps(tracker, tmp_path):
    parties = "".join(f"  - {{code: P{i}, name: Party {i}}}\n" for i in range(40))
    files = {"n.yaml": f"kind: negotiation\nid: many\ntitle: Many parties\nparties:\n{parties}"}
    for j in range(12):  # twelve parties table a draft; 28 more never do
        parents = f"parents: [d{j - 1}]\n" if j else ""
        files[f"d{j}.yaml"] = (f"kind: draft\nnegotiation: many\nid: d{j}\ntitle: D{j}\ntabled_by: [P{j}]\ndate: 2025-01-{j + 1:02d}\n"
                               f"{parents}terms:\n  price: {{value: ${j + 1}m}}\n")
    tracker.record_texts(files)
    data = tracker.json("report")
    assert data["summary"]["gap_pairs"] == {"shown": 28, "of": 66}
    assert [g["parties"] for g in data["gaps"]][:2] == [["P0", "P1"], ["P0", "P2"]]
    assert {p for g in data["gaps"] for p in g["parties"]} == {f"P{i}" for i in range(8)}  # every pair of the first eight
    assert "Gaps are shown for 28 of the 66 pairs of parties that tabled drafts; `tracker gap A B` prints any pair." in tracker.ok("report").stdout
    assert tracker.ok("gap", "P10", "P11").stdout.startswith("Gap between")


# --- a database that cannot be written --------------------------------------------------------


@pytest.fixture
def read_only_folder(tmp_path):  # type: ignore[no-untyped-def]
    """A folder nobody can write: a read-only mount where the machine allows one (root), else a
    folder without write permission (anyone else)."""
    import subprocess

    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        yield folder, lambda: folder.chmod(0o555)
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only folder here (root, without permission to mount)")
    try:
        yield folder, lambda: subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_database_on_a_read_only_filesystem_can_be_read_and_refuses_writes(read_only_folder, tmp_path):
    folder, seal = read_only_folder
    url = f"sqlite:///{folder / 'tracker.db'}"
    writer = Tracker(url, tmp_path)
    writer.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"), str(SAMPLE / "d2.yaml"))
    head = writer.json("log")["head"]
    import sqlite3

    conn = sqlite3.connect(folder / "tracker.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # still in WAL mode, as tracker left it
    conn.close()
    seal()
    assert writer.json("log")["head"] == head
    assert writer.ok("verify").stdout.endswith(f"head of acme-merger: {head}\n")
    assert "counter" in writer.ok("diff", "first-offer", "counter").stdout
    result = writer("record", "--from", "counter", "--id", "x", "--tabled-by", "A", "--set", "price=$9m")
    assert (result.exit_code, result.stderr) == (6, f"Error: cannot write to {url}: attempt to write a readonly database\n")


def test_a_draft_of_more_terms_than_any_sheet_holds_is_refused_before_they_are_read(acme, tmp_path):
    from tracker.model.termsheet import MAX_TERMS

    head = "kind: draft\nnegotiation: acme-merger\nid: huge\ntitle: Huge\ntabled_by: [B]\ndate: 2025-03-08\nterms:\n"
    (tmp_path / "huge.yaml").write_text(head + "".join(f"  t{i}: {{value: 1}}\n" for i in range(MAX_TERMS + 1)))
    assert refused(acme, "record", "huge.yaml") == (3, f"huge.yaml:7: terms: a draft holds at most 50,000 terms; this one has {MAX_TERMS + 1:,}")


def test_an_import_file_over_the_limit_is_refused_by_the_bytes_read(acme, tmp_path, monkeypatch):
    from tracker.input import portable

    monkeypatch.setattr(portable, "MAX_IMPORT_BYTES", 2**20)
    (tmp_path / "big.json").write_text("x" * (2**20 + 1))
    assert refused(acme, "import", "big.json") == (3, "big.json: file is 1.0 MiB; at most 1 MiB")


def test_pushed_by_names_the_party_its_name_or_alias_means(acme):
    acme.ok("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "beta ltd", "--set", "price=$6m",
            "--pushed-by", "price=acme:their letter of 3 March")
    assert acme.json("show", "reply")["terms"]["price"]["pushed_by"] == {"parties": ["A"], "evidence": "their letter of 3 March"}


# --- likely mistakes of `record --from`, refused (issue: recording without regret) --------------

DERIVE = ("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B")
NOTHING_NEW = ("the new draft says nothing 'first-offer' does not (its terms, tabling parties and status; a --set to the value a term"
               " has changes nothing): change something, or give --allow-empty to record it as it is")
MISTAKES = [
    (("--set", "price=$6m", "--drop", "price"), "--drop and --set both name 'price': give one of them"),
    (("--drop", "price", "--set", "price=$6m"), "--drop and --set both name 'price': give one of them"),
    (("--set", "price=$6m", "--set", "price=$7m"), "--set: 'price' is given twice; give each term once"),
    (("--drop", "price", "--drop", "price"), "--drop: 'price' is given twice; give each term once"),
    (("--rename", "price=cost", "--set", "price=$6m"), "--rename price=… and --set both name 'price': give one of them"),
    (("--rename", "price=cost", "--drop", "price"), "--rename price=… and --drop both name 'price': give one of them"),
    (("--rename", "price=cost", "--rename", "earn_out=cost"), "--rename: two terms are moved to 'cost'"),
    (("--set", "price=$6m", "--date", "2025-02-01"), "--date 2025-02-01: before 'first-offer', which it answers (2025-03-01); check the date, or --from"),
]


@pytest.mark.parametrize("extra, message", MISTAKES, ids=[" ".join(m[0]) or "no edits" for m in MISTAKES])
def test_a_likely_mistake_is_refused_with_one_line(acme, extra, message):
    assert refused(acme, *DERIVE, *extra) == (3, message)


def test_a_draft_that_says_nothing_new_is_refused(acme):
    assert refused(acme, "record", "--from", "first-offer", "--id", "again", "--tabled-by", "A") == (3, NOTHING_NEW)


def test_a_date_far_ahead_is_refused(acme):
    import datetime as dt

    ahead = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert refused(acme, *DERIVE, "--set", "price=$6m", "--date", ahead) == (
        3, f"--date {ahead}: more than a day in the future (today is {dt.date.today().isoformat()})")


def test_a_new_root_needs_root_once_the_negotiation_has_drafts(acme):
    assert refused(acme, "record", "--id", "other", "--tabled-by", "A", "--set", "price=$1m") == (
        3, "acme-merger has drafts already: give --from with the draft this one answers, or --root for a new, unrelated text")
    assert "Recorded other as v2" in acme.ok("record", "--id", "other", "--tabled-by", "A", "--set", "price=$1m", "--root", "--date", "2025-03-02").stdout


def test_what_the_mistakes_refuse_can_be_insisted_on_or_done_right(acme):
    acme.ok(*DERIVE, "--allow-empty", "--date", "2025-03-02")  # the same text, tabled again by the other side
    acme.ok("record", "--from", "reply", "--id", "moved", "--tabled-by", "A", "--rename", "price=cost", "--set", "cost=$7m", "--date", "2025-03-03")
    moved = acme.json("show", "moved")["terms"]["cost"]
    assert (moved["renamed_from"], moved["value"]["amount"]) == ("price", "7000000")


def test_a_draft_file_dated_far_ahead_is_refused(acme, tmp_path):
    import datetime as dt

    text = (SAMPLE / "d2.yaml").read_text().replace("date: 2025-03-08", "date: 2099-03-08")
    (tmp_path / "late.yaml").write_text(text)
    assert refused(acme, "record", "late.yaml") == (3, f"late.yaml:6: date: 2099-03-08 is more than a day in the future (today is {dt.date.today().isoformat()})")


def test_a_file_names_parties_as_the_command_line_does(acme, tmp_path):
    text = (SAMPLE / "d2.yaml").read_text().replace("tabled_by: [B]", "tabled_by: [Beta Ltd]")
    text = text.replace("    value: $6 million\n", "    value: $6 million\n    pushed_by: {parties: [acme], evidence: their letter}\n", 1)
    (tmp_path / "named.yaml").write_text(text)
    acme.ok("record", "named.yaml")
    shown = acme.json("show", "counter")
    assert (shown["tabled_by"], shown["terms"]["price"]["pushed_by"]["parties"]) == (["B"], ["A"])
    same = (SAMPLE / "d2.yaml").read_text().replace("    value: $6 million\n", "    value: $6 million\n    pushed_by: {parties: [A], evidence: their letter}\n", 1)
    (tmp_path / "coded.yaml").write_text(same)
    assert acme.ok("record", "coded.yaml").stdout.startswith("Unchanged counter")  # one draft, however its parties are named


def test_a_new_draft_lists_only_the_sources_it_or_its_terms_cite(acme):
    acme.ok("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B", "--set", "price=$6m", "--date", "2025-03-05",
            "--source", "{id: ft-0305, outlet: Financial Times}")
    # first-offer lists memo-1, which only its price cited: the reply's new price cites the FT.
    assert [s["id"] for s in acme.json("show", "reply")["sources"]] == ["ft-0305"]
    acme.ok("record", "--from", "first-offer", "--id", "other", "--tabled-by", "B", "--set", "earn_out=12%", "--date", "2025-03-05")
    assert [s["id"] for s in acme.json("show", "other")["sources"]] == ["memo-1"]  # its kept price still cites memo-1


def test_set_to_the_same_value_keeps_the_terms_record_and_confidence_is_a_flag(acme):
    assert refused(acme, *DERIVE[:-1], "A", "--set", "price=$5 million") == (3, NOTHING_NEW)
    acme.ok(*DERIVE, "--set", "price=$5 million", "--source", "{id: ft, outlet: Financial Times}", "--set", "earn_out=12%",
            "--confidence", "earn_out=confirmed", "--confidence", "price=confirmed", "--date", "2025-03-02")
    terms = acme.json("show", "reply")["terms"]
    assert terms["price"]["sources"] == [{"source": "memo-1", "quote": "We offer five million dollars."}, {"source": "ft"}]
    assert (terms["price"]["confidence"], terms["price"]["label"], terms["earn_out"]["confidence"]) == ("confirmed", "Purchase price", "confirmed")
    assert refused(acme, *DERIVE, "--set", "earn_out=13%", "--confidence", "earn_out=sure") == (
        3, "--confidence 'earn_out=sure': expected one of confirmed, reported, disputed")
    assert refused(acme, *DERIVE, "--set", "earn_out=13%", "--confidence", "earn_out=disputed") == (
        3, "--confidence 'earn_out=disputed': a disputed term keeps the competing reports; record it from a file, with its 'reports'")


def test_a_database_recorded_before_the_one_line_rules_stays_readable(tracker):
    """What an earlier release recorded (a label from YAML's folded `>`, a tab in a title, a
    currency as a unit, aliases that differ only in case) is read, verified and exported."""
    from tracker.db.store import Store
    from tracker.input.pending import Pending
    from tracker.model.termsheet import Draft, Negotiation

    negotiation = Negotiation.model_validate({"id": "old", "title": "Old\ttitle", "parties": [
        {"code": "A", "name": "Alpha", "aliases": ["buyer"]}, {"code": "B", "name": "Beta", "aliases": ["Buyer"]}]})
    draft = Draft.model_validate({"negotiation": "old", "id": "d1", "title": "First\toffer", "tabled_by": ["A"], "date": "2025-03-01",
                                  "terms": {"price": {"label": "Purchase price\n", "value": {"type": "number", "value": "5", "unit": "USD"}}}})
    store = Store.open(tracker.url)
    try:
        store.record([Pending(draft)], [negotiation])
    finally:
        store.close()
    assert "Purchase price" in tracker.ok("show", "d1").stdout
    assert tracker.ok("verify").stdout.startswith("verified 1 draft")
    exported = json.loads(tracker.ok("export").stdout)
    assert exported["negotiations"][0]["drafts"][0]["draft"]["terms"]["price"]["label"] == "Purchase price\n"
    assert "First offer" in tracker.ok("log").stdout


@pytest.mark.parametrize("target, message", [("newdir/", "'newdir/' names a folder; give a file name"), ("", "a file name is empty")])
def test_an_output_name_that_is_no_file_name_is_a_usage_error(acme, tmp_path, target, message):
    result = acme("report", "-o", target)
    assert (result.exit_code, result.stderr) == (2, f"Error: Invalid value for '--output' / '-o': {message} (see `cli report --help`)\n")
    assert not (tmp_path / "newdir").exists()


def test_a_read_only_database_with_a_write_ahead_log_is_refused_not_read_stale(read_only_folder, tmp_path):
    import shutil
    import sqlite3

    folder, seal = read_only_folder
    source = tmp_path / "live.db"
    writer = Tracker(f"sqlite:///{source}", tmp_path)
    writer.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    reader = sqlite3.connect(source)  # keeps the log from being folded back in at the writer's exit
    reader.execute("SELECT COUNT(*) FROM drafts").fetchone()
    writer.ok("record", str(SAMPLE / "d2.yaml"))
    assert Path(f"{source}-wal").stat().st_size > 0
    shutil.copy(source, folder / "tracker.db")
    shutil.copy(f"{source}-wal", folder / "tracker.db-wal")
    reader.close()
    seal()
    result = Tracker(f"sqlite:///{folder / 'tracker.db'}", tmp_path)("log")
    assert (result.exit_code, result.stderr) == (6, f"Error: {folder / 'tracker.db'}: its write-ahead log (tracker.db-wal) cannot be read from a"
                                                    " read-only folder; copy the database (and its -wal file) somewhere writable, or open it once where it can be written\n")


@pytest.mark.parametrize("written", ["-5 million", "-5 bn", "-5M"])
def test_a_negative_amount_without_a_currency_is_refused_like_a_positive_one(acme, written):
    assert refused(acme, *DERIVE, "--set", f"fee={written}") == (
        3, f"--set fee: ambiguous amount {written!r}: money needs a currency (e.g. $5M or EUR 5M)")
    acme.ok(*DERIVE, "--set", f"price={written}", "--date", "2025-03-02")  # an existing amount lends its currency
    assert acme.json("show", "reply")["terms"]["price"]["value"]["currency"] == "USD"
