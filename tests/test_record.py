"""Recording drafts from files and from flags, references, hashes, and the CLI's error paths."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS, snapshot
from tracker.input.loading import build_draft, build_negotiation, read_document
from tracker.model import canonical

NEGOTIATION = """\
kind: negotiation
id: acme-merger
title: Acme / Widget merger
parties:
  - {code: A, name: Acme Corp, aliases: [Acme, buyer]}
  - {code: W, name: Widget Ltd, aliases: [seller]}
sources:
  - {id: memo-1, outlet: Internal memo, date: 2025-03-01}
"""

D1 = """\
kind: draft
negotiation: acme-merger
id: loi
title: Letter of intent
tabled_by: [A]
date: 2025-03-02
sources: [memo-1]
terms:
  price: {label: Price per share, value: $40, sources: [{source: memo-1, quote: "forty dollars"}]}
  escrow: {type: choice, value: partial}
  no_shop: {value: 45 days}
  assets: {value: [plant, patents]}
"""

D2 = """\
kind: draft
negotiation: acme-merger
id: counter
title: Counter-offer
tabled_by: [W]
date: 2025-03-05
parents: [loi]
status: rejected
terms:
  price: {label: Price per share, value: $48}
  escrow: {type: choice, value: none}
  no_shop: {value: 30 days}
  assets: {value: [plant]}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (("negotiation", NEGOTIATION), ("loi", D1), ("counter", D2)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = path
    return out


@pytest.fixture
def recorded(tracker, files):
    tracker.ok("record", str(files["negotiation"]), str(files["loi"]), str(files["counter"]))
    return tracker


def test_record_files_prints_each_draft_with_its_version(tracker, files):
    result = tracker.ok("record", str(files["counter"]), str(files["negotiation"]), str(files["loi"]))
    negotiation, *lines, database = result.stdout.splitlines()
    assert negotiation == "Recorded negotiation acme-merger"
    assert database == f"Database: {tracker.url}"
    # Parents are recorded before children whatever the order given.
    assert [line.split(" (")[0] for line in lines] == ["Recorded loi as v1", "Recorded counter as v2"]
    assert all(line.endswith("…)") and "sha256:" in line for line in lines)
    again = tracker.ok("record", str(files["negotiation"])).stdout
    assert again == f"Unchanged negotiation acme-merger: already recorded\nDatabase: {tracker.url}\n"


def test_recording_the_same_files_again_changes_nothing(recorded, files):
    before = snapshot(recorded.url)
    result = recorded.ok("record", str(files["loi"]), str(files["counter"]))
    assert result.stdout == f"Unchanged loi: already recorded as v1\nUnchanged counter: already recorded as v2\nDatabase: {recorded.url}\n"
    assert snapshot(recorded.url) == before


def test_a_recorded_draft_is_never_changed_in_place(recorded, files, tmp_path):
    changed = tmp_path / "loi2.yaml"
    changed.write_text(D1.replace("$40", "$41"), encoding="utf-8")
    before = snapshot(recorded.url)
    result = recorded("record", str(changed))
    assert result.exit_code == 5
    assert result.stderr == (
        f"Error: {changed}:3: id: draft 'loi' is already recorded (v1) with different content; "
        "recorded drafts never change: record a new draft with another id\n"
    )
    assert snapshot(recorded.url) == before


def test_a_batch_with_one_bad_file_records_nothing(tracker, files, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(D2.replace("id: counter", "id: counter2").replace("$48", "48 dollars-ish?"), encoding="utf-8")
    bad.write_text(D2.replace("id: counter", "id: counter2").replace("tabled_by: [W]", "tabled_by: [Q]"), encoding="utf-8")
    before = snapshot(tracker.url)
    result = tracker("record", str(files["negotiation"]), str(files["loi"]), str(bad))
    assert result.exit_code == 3
    assert result.stderr == f"Error: {bad}:5: tabled_by[0]: unknown party 'Q' (parties: A, W)\n"
    assert snapshot(tracker.url) == before


def test_unknown_parent_is_not_found_and_writes_nothing(tracker, files, tmp_path):
    orphan = tmp_path / "orphan.yaml"
    orphan.write_text(D2.replace("parents: [loi]", "parents: [nowhere]"), encoding="utf-8")
    tracker.ok("record", str(files["negotiation"]))
    before = snapshot(tracker.url)
    result = tracker("record", str(orphan))
    assert result.exit_code == 4
    assert result.stderr == f"Error: {orphan}:7: parents[0]: unknown parent draft 'nowhere'\n"
    assert snapshot(tracker.url) == before


def test_a_draft_cannot_be_its_own_ancestor(tracker, files, tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(D2.replace("id: counter", "id: a").replace("parents: [loi]", "parents: [b]"), encoding="utf-8")
    b.write_text(D2.replace("id: counter", "id: b").replace("parents: [loi]", "parents: [a]"), encoding="utf-8")
    result = tracker("record", str(files["negotiation"]), str(a), str(b))
    assert result.exit_code == 3
    assert result.stderr == f"Error: {a}:7: parents: a draft cannot be its own ancestor (a → b → a)\n"


def test_log_lists_drafts_in_order_as_text_and_json(recorded):
    text = recorded.ok("log").stdout.splitlines()
    assert text[0] == f"Acme / Widget merger (acme-merger): 2 drafts (database {recorded.url})"
    assert text[1].split() == ["seq", "date", "id", "tabled", "status", "hash", "by", "title"]
    assert text[2].split()[:5] == ["v1", "2025-03-02", "loi", "A", "proposed"]
    assert text[3].split()[:5] == ["v2", "2025-03-05", "counter", "W", "rejected"]
    data = recorded.json("log")
    assert data["schema"] == "tracker.log/v1"
    assert data["negotiation"] == {"id": "acme-merger", "title": "Acme / Widget merger"}
    first = data["drafts"][0]
    assert set(first) == {"id", "seq", "hash", "title", "tabled_by", "date", "parents", "status", "coverage", "recorded_at", "recorded_by",
                          "status_now", "corrected_by"}
    assert (first["id"], first["seq"], first["tabled_by"], first["parents"], first["status"]) == ("loi", 1, ["A"], [], "proposed")
    assert data["drafts"][1]["parents"] == ["loi"]


def test_show_json_carries_canonical_typed_values(recorded):
    data = recorded.json("show", "loi")
    assert data["schema"] == "tracker.draft/v2"
    assert data["terms"]["price"] == {
        "label": "Price per share",
        "value": {"type": "money", "amount": "40", "currency": "USD"},
        "sources": [{"source": "memo-1", "quote": "forty dollars"}],
    }
    assert data["terms"]["no_shop"]["value"] == {"type": "number", "value": "45", "unit": "days"}
    assert data["terms"]["assets"]["value"] == {"type": "set", "items": ["patents", "plant"]}
    assert data["sources"] == [{"id": "memo-1", "outlet": "Internal memo", "date": "2025-03-01"}]


@pytest.mark.parametrize("ref", ["counter", "v2", "latest"])
def test_references_by_id_version_and_latest(recorded, ref):
    assert recorded.json("show", ref)["id"] == "counter"


def test_references_by_hash_prefix_with_or_without_algorithm(recorded):
    digest = recorded.json("show", "loi")["hash"]
    assert recorded.json("show", digest.removeprefix("sha256:")[:8])["id"] == "loi"
    assert recorded.json("show", digest[:15])["id"] == "loi"


@pytest.mark.parametrize(
    "ref, message",
    [("v9", "unknown draft 'v9' (versions run v1..v2)"), ("nope", "unknown draft 'nope'")],
)
def test_unknown_references_fail_with_exit_4(recorded, ref, message):
    result = recorded("show", ref)
    assert (result.exit_code, result.stderr) == (4, f"Error: {message}\n")


def test_a_draft_hash_covers_its_content_and_its_parents_hashes(recorded):
    loi, counter = recorded.json("show", "loi"), recorded.json("show", "counter")

    def recompute(doc: dict, parent_hashes: list[str]) -> str:
        header = {"negotiation": doc["negotiation"]["id"], **{k: doc[k] for k in ("id", "title", "tabled_by", "date", "status", "sources")}}
        if header["status"] == "proposed":
            del header["status"]  # defaults are omitted from the canonical form
        if not header["sources"]:
            del header["sources"]
        terms = {k: canonical.term_hash(t) for k, t in doc["terms"].items()}
        return canonical.draft_hash(header, parent_hashes, terms)

    assert recompute(loi, []) == loi["hash"]
    assert recompute(counter, [loi["hash"]]) == counter["hash"]


def test_seeds_round_trip_show_json_equals_each_seed_file(seeded):
    neg = build_negotiation(read_document(SEEDS / "negotiation.yaml"))
    seed_files = sorted(SEEDS.glob("0*.yaml"))
    assert len(seed_files) == 6
    for path in seed_files:
        draft = build_draft(read_document(path), neg)
        shown = seeded.json("show", draft.id)
        expected = {**draft.header.model_dump(mode="json"), "negotiation": {"id": draft.negotiation, "title": neg.title}}
        expected["sources"] = [s.canonical() for s in draft.sources]
        for field in expected:
            assert shown[field] == expected[field], (path.name, field)
        assert shown["terms"] == {k: t.canonical() for k, t in draft.terms.items()}, path.name


def test_seed_is_idempotent(tracker):
    assert tracker.ok("seed").stdout == f"Seeded 6 drafts (6 new, 0 already recorded).\nDatabase: {tracker.url}\n"
    before = snapshot(tracker.url)
    assert tracker.ok("seed").stdout == f"Seeded 6 drafts (0 new, 6 already recorded).\nDatabase: {tracker.url}\n"
    assert snapshot(tracker.url) == before


# --- recording from flags ------------------------------------------------------------------------


def test_record_from_flags_derives_a_new_draft_from_its_parent(recorded):
    result = recorded.ok(
        "record", "--from", "counter", "--id", "revised", "--tabled-by", "buyer", "--date", "2025-03-09",
        "--title", "Revised offer", "--set", "price=$44", "--set", "no_shop=40", "--drop", "assets",
        "--rename", "escrow=escrow.terms", "--set", "closing=2025-06-30",
    )
    assert result.stdout.startswith("Recorded revised as v3 (sha256:")
    shown = recorded.json("show", "revised")
    assert (shown["tabled_by"], shown["parents"], shown["date"], shown["title"]) == (["A"], ["counter"], "2025-03-09", "Revised offer")
    terms = shown["terms"]
    assert terms["price"] == {"label": "Price per share", "value": {"type": "money", "amount": "44", "currency": "USD"}}
    # A bare number on a number-with-unit keeps the unit.
    assert terms["no_shop"]["value"] == {"type": "number", "value": "40", "unit": "days"}
    assert "assets" not in terms and "escrow" not in terms
    assert terms["escrow.terms"] == {"value": {"type": "choice", "value": "none"}, "renamed_from": "escrow"}
    assert terms["closing"] == {"value": {"type": "date", "value": "2025-06-30"}}


def test_set_keeps_a_choice_a_choice(recorded):
    recorded.ok("record", "--from", "loi", "--id", "loi-b", "--tabled-by", "A", "--set", "escrow=full")
    assert recorded.json("show", "loi-b")["terms"]["escrow"]["value"] == {"type": "choice", "value": "full"}


def test_joint_and_merged_drafts_with_sources_quotes_and_pushed_by(recorded):
    recorded.ok(
        "record", "--from", "counter", "--from", "loi", "--id", "joint", "--tabled-by", "A", "--tabled-by", "Widget Ltd",
        "--date", "2025-03-10", "--status", "agreed",
        "--source", "{id: press-1, outlet: Daily News, date: 2025-03-10}", "--set", "price=$45",
        "--quote", "price=agreed at $45", "--pushed-by", "price=W:the seller's letter of 9 March",
    )
    shown = recorded.json("show", "joint")
    assert (shown["tabled_by"], shown["parents"], shown["status"]) == (["A", "W"], ["counter", "loi"], "agreed")
    assert shown["terms"]["price"] == {
        "label": "Price per share",
        "value": {"type": "money", "amount": "45", "currency": "USD"},
        "sources": [{"source": "press-1", "quote": "agreed at $45"}],
        "pushed_by": {"parties": ["W"], "evidence": "the seller's letter of 9 March", "source": "press-1"},
    }
    assert {"id": "press-1", "outlet": "Daily News", "date": "2025-03-10"} in shown["sources"]


def test_a_first_draft_without_from(recorded):
    recorded.ok("record", "--id", "fresh", "--tabled-by", "W", "--date", "2025-04-01", "--set", "price=€50 million", "--root")
    shown = recorded.json("show", "fresh")
    assert shown["parents"] == [] and shown["terms"]["price"]["value"] == {"type": "money", "amount": "50000000", "currency": "EUR"}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--from", "nope", "--id", "x", "--tabled-by", "A"], 4, "unknown draft 'nope'"),
        (["--from", "loi", "--id", "x", "--tabled-by", "Z"], 4, "--tabled-by 'Z': unknown party (parties: A, W)"),
        (["--from", "loi", "--id", "x"], 3, "--tabled-by is required: which party (or parties) tabled the draft?"),
        (["--from", "loi", "--tabled-by", "A", "--set", "x=1"], 3, "--id is required: the new draft's id, e.g. us-revised"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "price=5,00"], 3,
         "--set price: ambiguous number '5,00': a comma is read only as a thousands separator in groups of three (write 1.5 or 1,500)"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "price"], 3, "--set 'price': expected KEY=VALUE"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--drop", "nothing"], 4, "--drop 'nothing': no such term in loi"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "bad key=1"], 3,
         "terms.bad key: invalid key 'bad key': use letters, digits, '_' and '-', with '.' between groups"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--source", "unknown-src"], 4,
         "--source 'unknown-src': unknown source id (known: memo-1); or give a mapping '{id: …, outlet: …}'"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--date", "03/04/2025"], 3, "--date '03/04/2025': expected YYYY-MM-DD"),
        (["--from", "loi", "--id", "loi", "--tabled-by", "A", "--set", "price=$2"], 3, "draft 'loi': a draft cannot be its own parent ('loi')"),
        (["--from", "counter", "--id", "loi", "--tabled-by", "A", "--set", "price=$1"], 5,
         "draft 'loi': draft 'loi' is already recorded (v1) with different content; recorded drafts never change: record a new draft with another id"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--status", "maybe"], 3,
         "--status: Input should be 'proposed', 'leaked', 'rejected', 'superseded', 'withdrawn', 'agreed', 'initialled', 'signed', 'ratified' or 'expired'"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "price='; DROP TABLE drafts; --"], 3,
         "--set price: cannot read \"'; DROP TABLE drafts; --\" as money"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "note='; DROP TABLE drafts; --"], None, "'; DROP TABLE drafts; --"),
        (["--from", "loi", "--id", "x", "--tabled-by", "A", "--set", "note=$(rm -rf ~) `id`"], None, "$(rm -rf ~) `id`"),
    ],
)
def test_bad_flags_fail_with_one_line_and_write_nothing(recorded, args, code, message):
    before = snapshot(recorded.url)
    result = recorded("record", *args)
    if code is None:  # an injection attempt is just text: recorded as such, nothing else happens
        assert result.exit_code == 0
        assert recorded.json("show", "x")["terms"]["note"]["value"] == {"type": "text", "value": message}
        assert [d["id"] for d in recorded.json("log")["drafts"]] == ["loi", "counter", "x"]
        return
    assert (result.exit_code, result.stderr) == (code, f"Error: {message}\n")
    assert snapshot(recorded.url) == before


def test_files_and_flags_together_are_refused(recorded, files):
    result = recorded("record", str(files["loi"]), "--id", "x")
    assert (result.exit_code, result.stderr) == (3, "Error: give either FILES or draft flags (--id, --set, …), not both\n")


def test_nothing_to_record(recorded):
    result = recorded("record")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: nothing to record")


# --- the editor ------------------------------------------------------------------------------------


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text("import sys\npath = sys.argv[1]\ntext = open(path, encoding='utf-8').read()\n" + body, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_edit_records_what_the_user_saved(recorded, tmp_path):
    editor = _editor(tmp_path, "open(path, 'w', encoding='utf-8').write(text.replace('amount: \\'48\\'', 'amount: \\'46\\''))\n")
    result = recorded("record", "--from", "counter", "--id", "edited", "--tabled-by", "A", "--edit", env={"EDITOR": editor})
    assert result.exit_code == 0, result.output
    assert recorded.json("show", "edited")["terms"]["price"]["value"]["amount"] == "46"


def test_edit_unchanged_or_emptied_aborts_and_records_nothing(recorded, tmp_path):
    before = snapshot(recorded.url)
    unchanged = recorded("record", "--from", "counter", "--id", "e1", "--tabled-by", "A", "--edit", env={"EDITOR": _editor(tmp_path, "")})
    assert (unchanged.exit_code, unchanged.stderr) == (8, "Error: the draft was not changed in the editor; nothing recorded\n")
    emptied = recorded("record", "--from", "counter", "--id", "e1", "--tabled-by", "A", "--edit",
                       env={"EDITOR": _editor(tmp_path, "open(path, 'w').write('# nothing\\n')\n")})
    assert (emptied.exit_code, emptied.stderr) == (8, "Error: the editor buffer was emptied; nothing recorded\n")
    assert snapshot(recorded.url) == before


def test_edit_that_fails_to_load_keeps_the_text(recorded, tmp_path):
    editor = _editor(tmp_path, "open(path, 'w', encoding='utf-8').write(text.replace('amount: \\'48\\'', 'amount: lots'))\n")
    result = recorded("record", "--from", "counter", "--id", "e2", "--tabled-by", "A", "--edit", env={"EDITOR": editor})
    assert result.exit_code == 3
    message = result.stderr
    kept = message.split("your text is kept in ")[1].split(";")[0]
    assert Path(kept).read_text(encoding="utf-8").count("amount: lots") == 1
    assert message.startswith(f"Error: {kept}:")
    assert "terms.price.value.amount" in message


# --- negotiations, parties, databases ------------------------------------------------------------


def test_negotiation_create_then_list_and_parties(tracker):
    out = tracker.ok("negotiation", "create", "round-a", "--title", "Series A", "--party", "F=Founders", "--party", "V=Venture Fund,VC,the fund")
    assert out.stdout == f"Created negotiation round-a with parties F, V\nDatabase: {tracker.url}\n"
    assert tracker.ok("negotiations").stdout == "id       parties  drafts  title\nround-a  F,V      0       Series A\n"
    assert tracker.ok("parties").stdout == "code  name          aliases\nF     Founders\nV     Venture Fund  VC, the fund\n"
    again = tracker("negotiation", "create", "round-a", "--title", "Series A", "--party", "F=Founders", "--party", "V=Venture Fund,VC,the fund")
    assert (again.exit_code, again.stderr) == (5, "Error: negotiation 'round-a' already exists\n")
    other = tracker("negotiation", "create", "round-a", "--title", "Series A", "--party", "F=Founders")
    assert (other.exit_code, other.stderr) == (5, "Error: negotiation 'round-a' is already recorded with different content;"
                                                     " record the changed negotiation file with `tracker record` to revise it\n")


def test_commands_need_a_negotiation_choice_when_there_are_several(recorded):
    recorded.ok("negotiation", "create", "other", "--title", "Other", "--party", "X=Xco")
    result = recorded("log")
    assert (result.exit_code, result.stderr) == (3, "Error: several negotiations recorded (acme-merger, other); choose one with --negotiation\n")
    listed = recorded.ok("log", "-n", "other").stdout.splitlines()
    assert listed[0] == f"Other (other): 0 drafts (database {recorded.url})"
    assert re.fullmatch(r"history head: sha256:[0-9a-f]{64} \(keep it: `tracker verify --head` checks it\)", listed[1])


def test_an_empty_database_says_how_to_start(tracker):
    result = tracker("log")
    assert (result.exit_code, result.stderr) == (4, "Error: no negotiations recorded yet (try `tracker seed` or `tracker negotiation create`)\n")


def test_default_database_is_created_under_the_current_directory(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tracker.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["seed"], env={"TRACKER_DB_URL": ""})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "tracker.db").is_file()


def test_help_does_not_import_heavy_libraries():
    import subprocess

    code = (
        "import sys\nfrom tracker.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='tracker')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'deepdiff', 'pydantic', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
    assert "record" in out and "diff" in out


def test_read_commands_import_no_orm_and_the_console_script_keeps_the_collector_off(recorded, tmp_path):
    """The tables are Core tables: reading imports neither the ORM nor Alembic (nor deepdiff,
    which only competing reports need); the console script runs the whole command without the
    cyclic collector."""
    import subprocess

    code = (
        "import atexit, gc, sys\nfrom tracker.cli import main\n"
        "atexit.register(lambda: print(sorted(m for m in ('sqlalchemy.orm', 'alembic', 'deepdiff') if m in sys.modules), gc.isenabled()))\n"
        "sys.argv = ['tracker', *sys.argv[1:]]\nmain()\n"
    )
    for args in (["log"], ["diff", "loi", "counter"], ["positions"]):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                             env={**os.environ, "TRACKER_DB_URL": recorded.url}, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines()[-1] == "[] False", args


def test_every_command_has_help_text():
    from click.testing import CliRunner

    from tracker.cli import COMMANDS, cli

    for name in COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert len(result.output.splitlines()) > 3, name


def test_edit_gets_the_checks_the_flags_get(recorded, tmp_path):
    import datetime as dt

    late = _editor(tmp_path, "open(path, 'w', encoding='utf-8').write(text.replace('date: ', 'date: 2099-01-01 #', 1))\n")
    result = recorded("record", "--from", "counter", "--id", "e3", "--tabled-by", "A", "--edit", env={"EDITOR": late})
    assert (result.exit_code, result.stderr) == (3, f"Error: --date 2099-01-01: more than a day in the future (today is {dt.date.today().isoformat()})\n")
    retitled = _editor(tmp_path, "open(path, 'w', encoding='utf-8').write(text.replace('title: ', 'title: Retitled #', 1))\n")
    result = recorded("record", "--from", "counter", "--id", "e4", "--tabled-by", "W", "--status", "rejected", "--edit", env={"EDITOR": retitled})
    assert result.exit_code == 3 and result.stderr.startswith("Error: the new draft says nothing 'counter' does not")


def test_a_full_draft_after_a_partial_one_keeps_the_sources_its_carried_terms_cite(recorded):
    recorded.ok("record", "--from", "counter", "--id", "f1", "--tabled-by", "A", "--date", "2025-03-16", "--set", "price=$47",
                "--source", "{id: ft-1, outlet: FT}")
    recorded.ok("record", "--from", "f1", "--id", "p", "--tabled-by", "W", "--date", "2025-03-17", "--coverage", "partial", "--set", "escrow=full")
    recorded.ok("record", "--from", "p", "--id", "f2", "--tabled-by", "A", "--date", "2025-03-18", "--set", "no_shop=40")
    shown = recorded.json("show", "f2")
    assert "ft-1" in [s["id"] for s in shown["sources"]] and shown["terms"]["price"]["sources"] == [{"source": "ft-1"}]


def test_a_full_draft_answering_any_draft_of_the_case_study_records(seeded):
    for ref in ("kyiv-amendments", "us-revised", "draft-2025-02-22", "draft-2025-02-24", "fund-framework"):
        seeded.ok("record", "--from", ref, "--id", f"after-{ref}", "--tabled-by", "UA", "--date", "2025-02-26", "--set", "test_term=text:x")


def test_a_new_status_a_new_tabler_or_a_merge_is_news(recorded):
    recorded.ok("record", "--from", "counter", "--id", "signed", "--tabled-by", "W", "--date", "2025-03-20", "--status", "signed")
    recorded.ok("record", "--from", "counter", "--id", "taken-up", "--tabled-by", "A", "--date", "2025-03-20")
    recorded.ok("record", "--from", "counter", "--from", "loi", "--id", "merged", "--tabled-by", "W", "--date", "2025-03-20")


def test_a_quote_on_a_value_set_again_is_kept(recorded):
    recorded.ok("record", "--from", "counter", "--id", "q", "--tabled-by", "A", "--date", "2025-03-20", "--set", "price=$48",
                "--source", "memo-1", "--quote", "price=they hold at 48")
    sources = recorded.json("show", "q")["terms"]["price"]["sources"]
    assert {"source": "memo-1", "quote": "they hold at 48"} in sources


def test_renames_in_a_chain_and_twice(recorded):
    recorded.ok("record", "--from", "counter", "--id", "swap", "--tabled-by", "A", "--date", "2025-03-20",
                "--rename", "price=cost", "--rename", "no_shop=price")
    result = recorded("record", "--from", "counter", "--id", "x", "--tabled-by", "A", "--rename", "price=cost", "--rename", "cost=price2")
    assert (result.exit_code, result.stderr) == (3, "Error: --rename: 'cost' is renamed twice; rename each term once, to where it ends\n")
