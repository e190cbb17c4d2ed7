"""Events: status changes, new evidence, corrections and negotiation revisions, appended to the
history chain; who recorded what; reads that never write. Both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Tracker, snapshot, tamper
from sqlalchemy import text

from tracker.db.engine import create

sql = tamper


@pytest.fixture
def port(tracker: Tracker) -> Tracker:
    """A dockworkers' contract: the union's demands, the employer's offer, the union's answer."""
    env = {"TRACKER_USER": "ana"}
    tracker.ok("negotiation", "create", "port-2025", "-t", "Port contract 2025", "-p", "U=Dockworkers Union,union", "-p", "E=Port Authority")
    tracker.ok("record", "--id", "u-demands", "--tabled-by", "U", "--date", "2025-05-01", "--set", "wage=6%", "--set", "shift=8 hours",
               "--set", "pension=$40M", env=env)
    tracker.ok("record", "--from", "u-demands", "--id", "e-offer", "--tabled-by", "E", "--date", "2025-05-08", "--set", "wage=2%",
               "--set", "pension=$25M", env=env)
    tracker.ok("record", "--from", "e-offer", "--id", "u-answer", "--tabled-by", "U", "--date", "2025-05-15", "--set", "wage=5%", env=env)
    return tracker


def test_status_is_recorded_as_an_event_and_shown_by_log_and_show(port: Tracker) -> None:
    r = port.ok("status", "e-offer", "rejected", "--date", "2025-05-10", "--note", "union vote", env={"TRACKER_USER": "ben"})
    assert r.stdout == f"Recorded e1: e-offer (v2) rejected from 2025-05-10 (by ben)\nDatabase: {port.url}\n"
    log = port.ok("log").stdout
    assert "v2   2025-05-08  e-offer    E       rejected" in log
    assert "e1     after v3  " in log and "ben  status  e-offer (v2): rejected from 2025-05-10 — union vote" in log
    assert "Status history: proposed (as recorded) → rejected from 2025-05-10 (e1)" in port.ok("show", "e-offer").stdout
    data = port.json("log")
    assert [d["recorded_by"] for d in data["drafts"]] == ["ana", "ana", "ana"]
    assert (data["drafts"][1]["status"], data["drafts"][1]["status_now"]) == ("proposed", "rejected") and data["events"][0]["recorded_by"] == "ben"


def test_a_malformed_recorder_name_stops_a_write_and_never_a_read(port: Tracker) -> None:
    bad = {"TRACKER_USER": "ana\nroot"}
    before = snapshot(port.url)
    r = port("status", "e-offer", "rejected", "--date", "2025-05-10", env=bad)
    assert (r.exit_code, r.stdout, r.stderr) == (3, "", "Error: TRACKER_USER: give a name on one line, at most 200 characters\n")
    assert snapshot(port.url) == before
    for read in (("log",), ("diff", "u-demands", "e-offer"), ("history", "wage"), ("verify",)):
        assert port(*read, env=bad).exit_code == 0, read
    assert snapshot(port.url) == before


def test_a_withdrawn_draft_stops_being_a_position_from_its_date_a_rejected_one_does_not(port: Tracker) -> None:
    port.ok("status", "e-offer", "rejected", "--date", "2025-05-10")
    assert port.json("positions")["terms"]  # still the employer's proposal
    wage = {t["term"]: t for t in port.json("positions")["terms"]}["wage"]
    assert wage["positions"]["E"]["draft"] == "e-offer"
    port.ok("status", "e-offer", "withdrawn", "--date", "2025-05-12")
    wage = {t["term"]: t for t in port.json("positions")["terms"]}["wage"]
    assert wage["positions"]["E"] is None
    before = {t["term"]: t for t in port.json("positions", "--as-of", "2025-05-11")["terms"]}["wage"]
    assert before["positions"]["E"]["draft"] == "e-offer"  # not yet withdrawn then


def test_a_withdrawal_does_not_relabel_the_moves_made_before_it(port: Tracker) -> None:
    """u-answer (15 May) moved from the employer's e-offer as it stood then; withdrawing e-offer
    on 20 May changes the positions from 20 May on, not what u-answer's move was."""
    port.ok("record", str(_prefs(port)))
    port.ok("record", "--from", "u-answer", "--id", "e-final", "--tabled-by", "E", "--date", "2025-05-18", "--set", "wage=3%")
    before = {c["term"]: c["stance"] for c in port.json("diff", "u-answer", "e-final")["changes"]}
    port.ok("status", "e-offer", "withdrawn", "--date", "2025-05-20")
    assert {c["term"]: c["stance"] for c in port.json("diff", "u-answer", "e-final")["changes"]} == before == {"wage": {"E": "concession"}}
    # From 20 May on, e-offer is nobody's position: e-final (3%) is the employer's.
    assert {t["term"]: t for t in port.json("positions")["terms"]}["pension"]["positions"]["E"]["draft"] == "e-final"


def _prefs(port: Tracker) -> Path:
    path = port.cwd / "prefs.yaml"
    path.write_text("kind: negotiation\nid: port-2025\ntitle: Port contract 2025\nparties:\n  - {code: U, name: Dockworkers Union,"
                    " aliases: [union]}\n  - {code: E, name: Port Authority}\npreferences:\n  wage: {U: higher, E: lower}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("args, code, message", [
    (("status", "nope", "rejected", "--date", "2025-05-10"), 4, "unknown draft 'nope'"),
    (("status", "e-offer", "binned", "--date", "2025-05-10"), 3, "status 'binned': expected one of proposed, leaked, rejected, superseded,"
     " withdrawn, agreed, initialled, signed, ratified, expired"),
    (("status", "e-offer", "rejected", "--date", "2025-05-01"), 3, "--date 2025-05-01: before the draft itself (e-offer is dated 2025-05-08)"),
    (("status", "e-offer", "rejected", "--date", "2099-01-01"), 3, "--date 2099-01-01: more than a day in the future"),
    (("status", "e-offer", "proposed", "--date", "2025-05-10"), 3, "e-offer is already proposed: nothing to record"),
    (("cite", "e-offer", "bonus", "--source", "{id: x, outlet: Y}"), 4, "e-offer (v2) has no term 'bonus' (its terms: pension, shift, wage)"),
    (("cite", "e-offer", "wage", "--source", "nowhere"), 4, "--source 'nowhere': unknown source id (known: none); or give a mapping '{id: …, outlet: …}'"),
    (("cite", "e-offer", "wage", "--source", "{id: x, outlet: Y}", "--confidence", "disputed"), 3,
     "--confidence disputed: give the competing report's value with --value (both accounts are kept)"),
    (("cite", "e-offer", "wage", "--source", "{id: x, outlet: Y}", "--value", "lots"), 3, "--value: "),
    (("correct", "e-offer"), 3, "the new draft says nothing 'e-offer' does not"),
    (("correct", "e-offer", "--drop", "bonus"), 4, "--drop 'bonus': no such term in e-offer"),
])
def test_mistaken_events_are_refused_in_one_line_writing_nothing(port: Tracker, args, code, message) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(port.url)
    r = port(*args)
    assert (r.exit_code, r.stdout) == (code, "")
    assert r.stderr.startswith(f"Error: {message}"), r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert snapshot(port.url) == before


def test_cite_adds_evidence_and_a_competing_value_makes_the_term_disputed_keeping_both(port: Tracker) -> None:
    port.ok("cite", "e-offer", "wage", "--source", "{id: gazette, outlet: Harbour Gazette, date: 2025-05-09}", "--quote", "two per cent, take it or leave it")
    r = port.ok("cite", "e-offer", "wage", "--source", "{id: radio, outlet: Port Radio}", "--value", "3%")
    assert r.stdout.startswith("Recorded e2: e-offer (v2) wage reports another value, now disputed (by ")
    h = port.ok("history", "wage").stdout
    assert "e-offer [gazette, Harbour Gazette]: “two per cent, take it or leave it”" in h
    assert "disputed: 2% (gazette); also reported: 3% (radio)" in h
    shown = port.ok("show", "e-offer").stdout
    assert "Evidence recorded since (2):" in shown and "[radio] Port Radio reports 3%: disputed" in shown
    # The value the draft states is unchanged: the diff and positions still read 2%.
    assert {t["term"]: t for t in port.json("positions")["terms"]}["wage"]["positions"]["E"]["text"] == "2%"


def test_evidence_dated_after_as_of_is_not_known_then(port: Tracker) -> None:
    port.ok("cite", "e-offer", "wage", "--source", "{id: radio, outlet: Port Radio, date: 2025-06-01}", "--value", "3%")
    pos = port.json("positions", "--as-of", "2025-05-20")
    assert {t["term"]: t for t in pos["terms"]}["wage"]["positions"]["E"]["reports"] is None
    pos = port.json("positions")
    assert {t["term"]: t for t in pos["terms"]}["wage"]["positions"]["E"]["reports"][0]["text"] == "3%"


def test_a_correction_takes_the_wrong_drafts_place_and_keeps_it_in_history(port: Tracker) -> None:
    r = port.ok("correct", "e-offer", "--set", "pension=$28M", "--note", "typo: 28, not 25")
    assert r.stdout.startswith("Recorded e1: e-offer (v2) corrected by e-offer-corrected, recorded as v4 (sha256:")
    # u-answer was recorded on the wrong draft and holds its pension: said, not silently changed.
    assert r.stderr == ("Note: u-answer (v3) holds pension as e-offer had it; if that was the same mistake, correct it too"
                        " (`tracker correct u-answer …`)\n")
    port.ok("correct", "u-answer", "--set", "pension=$28M")
    d = port.json("diff", "u-demands", "u-answer")
    pension = {c["term"]: c for c in d["changes"]}["pension"]
    assert (pension["old"]["amount"], pension["new"]["amount"], pension["introduced_in"]) == ("40000000", "28000000", "e-offer-corrected")
    r = port("diff", "e-offer", "u-answer", "-f", "json")
    assert r.exit_code == 0
    assert "Note: e-offer (v2) was corrected by e-offer-corrected (v4): reading the correction" in r.stderr
    assert "Note: u-answer (v3) was corrected by u-answer-corrected (v5): reading the correction" in r.stderr
    assert json.loads(r.stdout)["from"]["id"] == "e-offer-corrected"
    assert "corrected by e-offer-corrected" in port.ok("log").stdout
    # Positions read the correction; --corrected reads the draft as it was recorded.
    pension = {t["term"]: t for t in port.json("positions")["terms"]}["pension"]
    assert pension["positions"]["E"]["draft"] == "e-offer-corrected"
    assert json.loads(port.ok("diff", "e-offer", "u-answer", "--corrected", "-f", "json").stdout)["from"]["id"] == "e-offer"
    # The wrong draft cannot be built on any more; the correction can.
    r = port("status", "e-offer", "rejected", "--date", "2025-05-10")
    assert (r.exit_code, r.stderr) == (3, "Error: e-offer (v2) was corrected by e-offer-corrected: record this about e-offer-corrected instead\n")
    port.ok("verify")


def test_a_changed_negotiation_file_is_recorded_as_a_revision(port: Tracker, tmp_path: Path) -> None:
    neg = port.json("parties")
    assert neg
    path = tmp_path / "neg.yaml"
    path.write_text("kind: negotiation\nid: port-2025\ntitle: Port contract 2025\nparties:\n"
                    "  - {code: U, name: Dockworkers Union, aliases: [union, ILA]}\n  - {code: E, name: Port Authority}\n"
                    "preferences:\n  wage: {U: higher, E: lower}\n", encoding="utf-8")
    r = port.ok("record", str(path), env={"TRACKER_USER": "cy"})
    assert r.stdout == f"Revised negotiation port-2025: recorded its new revision as e1 (by cy)\nDatabase: {port.url}\n"
    assert port.ok("record", str(path)).stdout == f"Unchanged negotiation port-2025: already recorded\nDatabase: {port.url}\n"
    port.ok("status", "e-offer", "rejected", "--date", "2025-05-10")
    assert "ILA" in port.ok("parties").stdout
    port.ok("record", "--from", "u-answer", "--id", "e-final", "--tabled-by", "E", "--date", "2025-05-20", "--set", "wage=4%")
    port.ok("record", "--from", "e-final", "--id", "deal", "--tabled-by", "ILA", "--tabled-by", "E", "--date", "2025-05-21", "--set", "wage=4%",
            "--allow-empty")
    port.ok("verify")


HEAD = "kind: negotiation\nid: port-2025\ntitle: Port contract 2025\nparties:\n  - {code: U, name: Dockworkers Union}\n"


@pytest.mark.parametrize("body, message", [
    ("", "{f}:4: parties: E is missing; a revision may add parties and aliases, never drop a party drafts name"),
    ("  - {code: E, name: Port Authority}\npreferences:\n  shift: {U: [short, long]}\n",
     "{f}:8: preferences.shift.U: a ranking applies to a choice or a yes/no term; for a number use higher or lower (term shift of u-demands holds 8 hours)"),
    ("  - {code: E, name: Port Authority}\npreferences:\n  pension: {default: 5%}\n",
     "{f}:8: preferences.pension.default: the default 5% is a percentage, but the term holds an amount of money (in u-demands)"),
])
def test_a_revision_that_does_not_fit_the_recorded_drafts_is_refused(port: Tracker, tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    before = snapshot(port.url)
    r = port("record", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (3, "", f"Error: {message.format(f=path)}\n")
    assert snapshot(port.url) == before


def test_verify_catches_a_tampered_event_and_a_removed_one(port: Tracker) -> None:
    port.ok("status", "e-offer", "rejected", "--date", "2025-05-10")
    port.ok("status", "e-offer", "withdrawn", "--date", "2025-05-12")
    head = port.json("log")["head"]
    sql(port.url, "UPDATE events SET body = replace(body, 'withdrawn', 'agreed') WHERE seq = 2")
    r = port("verify")
    assert r.exit_code == 7 and "event e2 (status): stored event does not match its hash" in r.output
    assert port("log").exit_code == 7
    sql(port.url, "UPDATE events SET body = replace(body, 'agreed', 'withdrawn') WHERE seq = 2")
    port.ok("verify", "--head", head)
    sql(port.url, "DELETE FROM events WHERE seq = 2")
    r = port("verify", "--head", head)
    assert r.exit_code == 7 and "its history does not hold the head" in r.output
    sql(port.url, "DELETE FROM events WHERE seq = 1")
    assert port("verify", "--head", head).exit_code == 7


def test_export_and_import_keep_every_event_and_hash(port: Tracker, tmp_path: Path, empty_db_url: str) -> None:
    port.ok("status", "e-offer", "rejected", "--date", "2025-05-10")
    port.ok("cite", "u-answer", "wage", "--source", "{id: radio, outlet: Port Radio}", "--quote", "five")
    port.ok("correct", "u-answer", "--set", "wage=4.5%")
    port.ok("status", "u-answer-corrected", "agreed", "--date", "2025-05-30")
    # A revision adds a mediator, who then tables a draft: an import must check it against the revision.
    neg = tmp_path / "neg.yaml"
    neg.write_text("kind: negotiation\nid: port-2025\ntitle: Port contract 2025\nparties:\n  - {code: U, name: Dockworkers Union,"
                   " aliases: [union]}\n  - {code: E, name: Port Authority}\n  - {code: M, name: State Mediator}\n", encoding="utf-8")
    port.ok("record", str(neg))
    port.ok("record", "--from", "u-answer-corrected", "--id", "m-proposal", "--tabled-by", "M", "--date", "2025-05-31", "--set", "wage=4%")
    out = tmp_path / "port.json"
    port.ok("export", "-o", str(out))
    head = port.json("log")["head"]
    other = Tracker(empty_db_url, tmp_path)
    if empty_db_url.startswith("postgresql"):
        other.ok("db", "upgrade")
    other.ok("import", str(out))
    assert other.json("log")["head"] == head
    assert other.json("log")["events"] == port.json("log")["events"]
    other.ok("verify", "--head", head)
    assert other.ok("import", str(out)).exit_code == 0  # the same file again: nothing new
    data = json.loads(out.read_text())
    data["negotiations"][0]["events"][0]["event"]["status"] = "signed"
    out.write_text(json.dumps(data))
    r = Tracker(empty_db_url, tmp_path)("import", str(out))
    assert r.exit_code == 3 and "event e1: content does not match its hash" in r.stderr


def test_writers_adding_events_to_one_draft_at_once_lose_none(port: Tracker) -> None:
    """Six processes cite one term at once: every event is kept, numbered and chained in turn."""
    from test_concurrency import _all_at_once

    done = _all_at_once([["--db", port.url, "cite", "e-offer", "wage", "--source", f"{{id: s{n}, outlet: Outlet {n}}}", "--quote", f"q{n}"]
                         for n in range(6)], port.cwd)
    assert [(d.returncode, d.stderr) for d in done] == [(0, "")] * 6
    events = port.json("log")["events"]
    assert sorted(e["body"]["source"]["id"] for e in events) == [f"s{n}" for n in range(6)]
    assert [e["event"] for e in events] == [f"e{n}" for n in range(1, 7)]
    port.ok("verify")


def test_show_yaml_records_back_with_identical_term_hashes(port: Tracker, tmp_path: Path) -> None:
    port.ok("cite", "e-offer", "wage", "--source", "{id: radio, outlet: Port Radio}", "--quote", "two")
    text_ = port.ok("show", "e-offer", "--format", "yaml").stdout
    path = tmp_path / "copy.yaml"
    path.write_text(text_.replace("id: e-offer\n", "id: e-offer-copy\n"), encoding="utf-8")
    port.ok("record", str(path))
    a, b = port.json("show", "e-offer"), port.json("show", "e-offer-copy")
    assert a["terms"].keys() == b["terms"].keys()
    out = tmp_path / "x.json"
    port.ok("export", "-o", str(out))
    drafts = {d["draft"]["id"]: d for d in json.loads(out.read_text())["negotiations"][0]["drafts"]}
    assert drafts["e-offer"]["term_hashes"] == drafts["e-offer-copy"]["term_hashes"]


def test_read_commands_on_a_missing_database_fail_and_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "x.db"
    t = Tracker(f"sqlite:///{missing}", tmp_path)
    for args in (("log",), ("diff", "v1"), ("positions",), ("verify",), ("export",), ("report",)):
        r = t(*args)
        assert (r.exit_code, r.stdout) == (6, ""), args
        assert r.stderr == (f"Error: no database at {missing} (from sqlite:///{missing}): nothing is recorded there yet; record drafts"
                            " first, or give --db (TRACKER_DB_URL) for the database you meant\n")
    assert not missing.parent.exists()


def test_demo_keeps_its_own_database_and_never_overwrites_without_force(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from conftest import _chdir

    from tracker.cli import cli

    with _chdir(tmp_path):
        r = CliRunner().invoke(cli, ["demo"], env={"TRACKER_DB_URL": "", "NO_COLOR": "1"})
        assert r.exit_code == 0, r.output
        assert r.stdout.startswith("Database: sqlite:///data/demo.db (6 new drafts recorded)")
        assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["demo.db", "report.html"]
        (tmp_path / "data" / "report.html").write_text("mine")
        r = CliRunner().invoke(cli, ["demo"], env={"TRACKER_DB_URL": "", "NO_COLOR": "1"})
        assert "data/report.html exists: kept as it is (--force replaces it" in r.stdout
        assert (tmp_path / "data" / "report.html").read_text() == "mine"
        r = CliRunner().invoke(cli, ["demo", "--force"], env={"TRACKER_DB_URL": "", "NO_COLOR": "1"})
        assert (tmp_path / "data" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_postgresql_refuses_to_change_or_remove_history(port: Tracker) -> None:
    if not port.url.startswith("postgresql"):
        pytest.skip("the triggers are PostgreSQL's")
    from sqlalchemy.exc import DBAPIError

    engine = create(port.url)
    for statement in ("UPDATE drafts SET title = 'x'", "DELETE FROM draft_terms", "UPDATE term_blobs SET body = '{}'",
                      "DELETE FROM negotiations", "TRUNCATE events"):
        with pytest.raises(DBAPIError, match="the history is append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement.replace("title", "slug")))
    engine.dispose()
    port.ok("verify")


def test_the_html_report_shows_status_history_and_later_evidence(port: Tracker, tmp_path: Path) -> None:
    port.ok("status", "e-offer", "rejected", "--date", "2025-05-10", "--note", "union vote")
    port.ok("cite", "e-offer", "wage", "--source", "{id: gazette, outlet: Harbour Gazette}", "--quote", "two per cent")
    out = tmp_path / "r.html"
    port.ok("report", "-o", str(out))
    page = out.read_text()
    assert "Status since: " in page and "from 2025-05-10 (union vote)" in page
    assert "Evidence recorded since:" in page and "“two per cent”" in page
    assert 'id="src-gazette"' in page
    md = port.ok("report", "--format", "markdown").stdout
    assert "- **e-offer**: proposed as recorded → rejected from 2025-05-10 (union vote)" in md
    assert "- **e-offer** `wage`: Harbour Gazette [gazette]: “two per cent” (e2, recorded " in md


def test_a_writer_role_that_may_only_insert_and_select_records_drafts_and_events(port: Tracker) -> None:
    """The README's writer role: INSERT and SELECT on the history tables, nothing else."""
    if not port.url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's")
    import uuid
    from urllib.parse import unquote

    schema = unquote(port.url.split("search_path%3D")[1])
    role = f"writer_{uuid.uuid4().hex[:8]}"
    engine = create(port.url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
        conn.execute(text(f"GRANT SELECT, INSERT ON negotiations, drafts, draft_parents, term_blobs, draft_terms, events TO {role}"))
        conn.execute(text(f"GRANT SELECT ON alembic_version TO {role}"))
        conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}'))
    try:
        writer = Tracker(port.url.replace("postgresql://postgres@", f"postgresql://{role}@"), port.cwd)
        writer.ok("status", "e-offer", "rejected", "--date", "2025-05-10", env={"TRACKER_USER": "dana"})
        writer.ok("record", "--from", "u-answer", "--id", "e-final", "--tabled-by", "E", "--date", "2025-05-20", "--set", "wage=4%")
        assert writer.ok("verify").stdout.startswith("verified 4 drafts, 1 event")
        with pytest.raises(Exception, match="permission denied"):
            other = create(writer.url)
            try:
                with other.begin() as conn:
                    conn.execute(text("DELETE FROM events"))
            finally:
                other.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}'))
            conn.execute(text(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {role}'))
            conn.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM {role}'))
            conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


def test_a_draft_withdrawn_later_is_still_the_partys_latest_as_of_before_then(port: Tracker) -> None:
    """As of 15 May the employer's e-offer (withdrawn on 20 May) was its latest draft and its
    position: the header and the "(in D)" marker say so; from 20 May on, e-final is."""
    port.ok("record", "--from", "u-answer", "--id", "e-final", "--tabled-by", "E", "--date", "2025-05-18", "--set", "wage=3%")
    port.ok("status", "e-offer", "withdrawn", "--date", "2025-05-20")
    then = port.ok("positions", "--as-of", "2025-05-15").stdout
    assert "  Port Authority (E): latest draft e-offer\n" in then
    assert "(in e-offer)" not in then
    now = port.ok("positions").stdout
    assert "  Port Authority (E): latest draft e-final\n" in now
