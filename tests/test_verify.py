"""`tracker verify`: rows changed behind the tool's back (raw SQL) are found and named.

The sample negotiation (tests/sample) stores counter as a delta on first-offer and joint-text
as a delta on counter, so a term stored once is read by all three drafts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tamper
from sqlalchemy import text

from tracker.db.engine import create

SAMPLE = Path(__file__).parent / "sample"
NEG = "negotiation acme-merger"
FIRST, COUNTER, JOINT = f"{NEG}: draft first-offer (v1)", f"{NEG}: draft counter (v2)", f"{NEG}: draft joint-text (v3)"
CHANGED = "content does not match its hash (its header, parents or terms were changed)"
FAILED = "Error: {n} integrity problems found; the database was changed outside tracker\n"


@pytest.fixture
def sample(tracker):
    files = sorted(str(p) for p in SAMPLE.glob("*.yaml"))
    tracker.ok("record", *files)
    return tracker


sql = tamper


def scalar(url: str, query: str):  # type: ignore[no-untyped-def]
    engine = create(url)
    with engine.connect() as conn:
        value = conn.execute(text(query)).scalar()
    engine.dispose()
    return value


def draft_id(slug: str) -> str:
    return f"(SELECT id FROM drafts WHERE slug = '{slug}')"


def blob_of(slug: str, key: str) -> str:
    return f"(SELECT blob_id FROM draft_terms WHERE draft_id = {draft_id(slug)} AND key = '{key}')"


def failing(tracker, *args: str):  # type: ignore[no-untyped-def]
    result = tracker("verify", *args)
    assert result.exit_code == 7, result.output
    return result.stdout.splitlines(), result.stderr


NOT_FOLLOWING = ("does not follow the history before it: a draft before it was removed or renumbered,"
                 " or its number, recording time, recorder or the negotiation was changed")


def test_untouched_database_verifies_with_a_summary_and_the_history_head(sample):
    result = sample.ok("verify")
    head = sample.json("log")["head"]
    assert result.stdout == f"verified 3 drafts, 12 terms\nhead of acme-merger: {head}\n"


def test_empty_database_verifies(tracker):
    assert tracker.ok("verify").stdout == "verified 0 drafts, 0 terms\n"


def test_changed_term_value_is_reported_for_every_draft_holding_it(sample):
    digest = scalar(sample.url, f"SELECT hash FROM term_blobs WHERE id = {blob_of('first-offer', 'escrow')}")
    sql(sample.url, f"UPDATE term_blobs SET body = replace(body, 'true', 'false') WHERE id = {blob_of('first-offer', 'escrow')}")
    lines, err = failing(sample)
    message = f"stored term does not match its hash {digest[:19]}… (its content was changed)"
    assert lines == [f"{FIRST}: term escrow: {message}", f"{COUNTER}: term escrow: {message}", f"{JOINT}: term escrow: {message}"]
    assert err == FAILED.format(n=3)


def test_changed_value_with_a_recomputed_term_hash_breaks_the_draft_hash(sample):
    # A careful forger rewrites the blob and its hash: the drafts' hashes still give it away.
    from tracker.model import canonical

    body = scalar(sample.url, f"SELECT body FROM term_blobs WHERE id = {blob_of('joint-text', 'closing')}")
    forged = body.replace("2025-07-31", "2025-12-31")
    digest = canonical.content_hash(__import__("json").loads(forged))
    sql(sample.url, f"UPDATE term_blobs SET body = '{forged}', hash = '{digest}' WHERE id = {blob_of('joint-text', 'closing')}")
    lines, _ = failing(sample)
    assert lines == [f"{JOINT}: {CHANGED}"]


def test_repointed_term_row_is_reported(sample):
    sql(sample.url, f"UPDATE draft_terms SET blob_id = {blob_of('first-offer', 'price')} WHERE draft_id = {draft_id('counter')} AND key = 'price'")
    lines, _ = failing(sample)
    # joint-text sets its own price, so only counter reads the changed row.
    assert lines == [f"{COUNTER}: {CHANGED}"]


def test_deleted_term_row_is_reported_with_the_term_count(sample):
    sql(sample.url, f"DELETE FROM draft_terms WHERE draft_id = {draft_id('first-offer')} AND key = 'jurisdictions'")
    lines, _ = failing(sample)
    assert lines == [
        f"{FIRST}: term_count is 7 but its rows hold 6 terms", f"{FIRST}: {CHANGED}",
        f"{COUNTER}: term_count is 7 but its rows hold 6 terms", f"{COUNTER}: {CHANGED}",
        f"{JOINT}: term_count is 7 but its rows hold 6 terms", f"{JOINT}: {CHANGED}",
    ]


def test_tampered_term_that_no_draft_uses_is_reported(sample):
    sql(sample.url, "INSERT INTO term_blobs (hash, body) VALUES ('sha256:0000000000000000000000', '{\"value\": {\"type\": \"boolean\", \"value\": true}}')")
    lines, _ = failing(sample)
    assert lines == ["stored term does not match its hash sha256:000000000000… (its content was changed); no draft uses it"]


def test_unreadable_stored_term_is_reported(sample):
    sql(sample.url, f"UPDATE term_blobs SET body = '{{\"value\": 5' WHERE id = {blob_of('joint-text', 'closing')}")
    lines, _ = failing(sample)
    assert lines == [f"{JOINT}: term closing: stored term is not valid JSON"]


def test_changed_date_column_is_reported(sample):
    sql(sample.url, "UPDATE drafts SET date = '2025-01-01' WHERE slug = 'counter'")
    lines, _ = failing(sample)
    assert lines == [f"{COUNTER}: date column says 2025-01-01, the header 2025-03-08"]


def test_changed_header_is_reported(sample):
    sql(sample.url, "UPDATE drafts SET header = replace(header, '\"agreed\"', '\"signed\"') WHERE slug = 'joint-text'")
    lines, _ = failing(sample)
    assert lines == [f"{JOINT}: {CHANGED}"]


def test_changed_header_date_is_reported_twice_over(sample):
    sql(sample.url, "UPDATE drafts SET header = replace(header, '2025-03-08', '2025-03-09') WHERE slug = 'counter'")
    lines, _ = failing(sample)
    assert lines == [f"{COUNTER}: date column says 2025-03-08, the header 2025-03-09", f"{COUNTER}: {CHANGED}"]


def test_unparseable_header_is_reported(sample):
    sql(sample.url, "UPDATE drafts SET header = '{not json' WHERE slug = 'counter'")
    lines, _ = failing(sample)
    assert len(lines) == 1 and lines[0].startswith(f"{COUNTER}: stored header is not a valid draft header (")


def test_changed_parent_is_reported(sample):
    sql(sample.url, f"UPDATE draft_parents SET parent_id = {draft_id('first-offer')} WHERE draft_id = {draft_id('joint-text')}")
    lines, _ = failing(sample)
    assert lines == [f"{JOINT}: stored parents [first-offer] differ from the header's [counter]", f"{JOINT}: {CHANGED}"]


def test_draft_made_its_own_ancestor_is_reported(sample):
    sql(sample.url, f"INSERT INTO draft_parents (draft_id, position, parent_id) VALUES ({draft_id('first-offer')}, 0, {draft_id('joint-text')})")
    lines, _ = failing(sample)
    assert lines == [
        f"{FIRST}: parent 'joint-text' (v3) is numbered after it (parents come first; a draft cannot be its own ancestor)",
        f"{FIRST}: stored parents [joint-text] differ from the header's []",
        f"{FIRST}: {CHANGED}",
    ]


def test_sequence_gap_is_reported(sample):
    sql(sample.url, "UPDATE drafts SET seq = 9 WHERE slug = 'counter'")
    lines, _ = failing(sample)
    assert lines == [
        f"{JOINT}: parent 'counter' (v9) is numbered after it (parents come first; a draft cannot be its own ancestor)",
        f"{JOINT}: delta base 'counter' (v9) is numbered after it",
        f"{JOINT}: {NOT_FOLLOWING}",
        f"{NEG}: draft counter (v9): is numbered v9: sequence numbers must run v1..v3 without gaps (v2 missing)",
        f"{NEG}: draft counter (v9): {NOT_FOLLOWING}",
    ]


def test_delta_chain_that_loops_is_reported_not_followed_forever(sample):
    sql(sample.url, f"UPDATE drafts SET base_id = {draft_id('joint-text')} WHERE slug = 'first-offer'")
    lines, _ = failing(sample)
    assert lines == [
        f"{FIRST}: delta base 'joint-text' (v3) is numbered after it",
        f"{FIRST}: its delta chain loops (first-offer → joint-text → counter → first-offer); its terms cannot be rebuilt",
        f"{COUNTER}: its delta chain loops (first-offer → joint-text → counter → first-offer); its terms cannot be rebuilt",
        f"{JOINT}: its delta chain loops (first-offer → joint-text → counter → first-offer); its terms cannot be rebuilt",
    ]


def test_changed_chain_depth_is_reported(sample):
    sql(sample.url, "UPDATE drafts SET chain_depth = 5 WHERE slug = 'joint-text'")
    lines, _ = failing(sample)
    assert lines == [f"{JOINT}: chain_depth is 5, its delta chain is 2 long"]


def test_changed_negotiation_document_is_reported(sample):
    digest = scalar(sample.url, "SELECT hash FROM negotiations")
    sql(sample.url, "UPDATE negotiations SET document = replace(document, 'Acme Corp', 'Acme Inc')")
    lines, _ = failing(sample)
    assert lines == [f"{NEG}: stored negotiation does not match its hash {digest[:19]}… (its content was changed)"]


def test_verify_json_lists_problems_with_draft_and_term(sample):
    sql(sample.url, f"UPDATE term_blobs SET body = replace(body, '\"5\"', '\"6\"') WHERE id = {blob_of('counter', 'earn_out')}")
    result = sample("verify", "--format", "json")
    assert result.exit_code == 7
    import json

    data = json.loads(result.stdout)
    assert data["schema"] == "tracker.verify/v1" and data["ok"] is False
    assert [(p["draft"], p["seq"], p["term"]) for p in data["problems"]] == [("counter", 2, "earn_out"), ("joint-text", 3, "earn_out")]


def test_verify_one_negotiation(sample):
    assert sample.ok("verify", "-n", "acme-merger").stdout == f"verified 3 drafts, 12 terms\nhead of acme-merger: {sample.json('log')['head']}\n"
    result = sample("verify", "-n", "nope")
    assert (result.exit_code, result.stderr) == (4, "Error: unknown negotiation 'nope' (known: acme-merger)\n")


def test_library_returns_problems_naming_draft_and_term(sample):
    from tracker.db.store import Store
    from tracker.db.verify import Problem, verify

    sql(sample.url, f"UPDATE term_blobs SET body = replace(body, 'stock', 'asset') WHERE id = {blob_of('counter', 'structure')}")
    store = Store.open(sample.url)
    try:
        problems = verify(store)
    finally:
        store.close()
    assert [(p.draft, p.term) for p in problems] == [("counter", "structure"), ("joint-text", "structure")]
    assert all(isinstance(p, Problem) and p.negotiation == "acme-merger" for p in problems)


# --- the history chain ----------------------------------------------------------------------


def _history(sample) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    log = sample.json("log")
    return log["head"], sample.ok("verify").stdout


def test_a_negotiation_rewritten_with_its_hash_recomputed_breaks_the_history(sample):
    from tracker.model import canonical

    document = scalar(sample.url, "SELECT document FROM negotiations")
    data = __import__("json").loads(document)
    data["parties"][0]["name"], data["parties"][1]["name"] = data["parties"][1]["name"], data["parties"][0]["name"]
    forged = canonical.canonical_json(data)
    sql(sample.url, f"UPDATE negotiations SET document = '{forged}', hash = '{canonical.content_hash(data)}'")
    lines, _ = failing(sample)
    assert lines == [f"{FIRST}: {NOT_FOLLOWING}"]


def test_sequence_numbers_swapped_between_drafts_break_the_history(sample):
    sql(sample.url, "UPDATE drafts SET seq = 99 WHERE slug = 'first-offer'", "UPDATE drafts SET seq = 1 WHERE slug = 'counter'",
        "UPDATE drafts SET seq = 2 WHERE slug = 'first-offer'")
    lines, _ = failing(sample)
    assert f"{NEG}: draft counter (v1): {NOT_FOLLOWING}" in lines and f"{NEG}: draft first-offer (v2): {NOT_FOLLOWING}" in lines


def test_an_edited_recording_time_breaks_the_history(sample):
    sql(sample.url, "UPDATE drafts SET recorded_at = '2020-01-01 00:00:00' WHERE slug = 'counter'")
    lines, _ = failing(sample)
    assert lines == [f"{COUNTER}: {NOT_FOLLOWING}"]


def _delete(url: str, slug: str) -> None:
    sql(url, f"DELETE FROM draft_terms WHERE draft_id = {draft_id(slug)}", f"DELETE FROM draft_parents WHERE draft_id = {draft_id(slug)}",
        f"DELETE FROM drafts WHERE slug = '{slug}'")


def test_a_removed_last_draft_is_caught_only_by_a_head_kept_elsewhere(sample):
    head, _ = _history(sample)
    _delete(sample.url, "joint-text")
    assert sample.ok("verify").stdout.startswith("verified 2 drafts")  # what the database alone can tell
    lines, err = failing(sample, "--head", head)
    now = sample.json("log")["head"]
    assert lines == [f"{NEG}: its history does not hold the head '{head}' (now {now}): drafts were removed from its end, or the history was rewritten"]
    assert err == "Error: 1 integrity problem found; the database was changed outside tracker\n"


def test_a_head_kept_before_later_drafts_were_recorded_still_verifies(tracker):
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    kept = tracker.json("log")["head"]
    tracker.ok("record", str(SAMPLE / "d2.yaml"), str(SAMPLE / "d3.yaml"))
    assert tracker.json("log")["head"] != kept
    assert tracker.ok("verify", "--head", kept).stdout.startswith("verified 3 drafts")
    assert tracker.ok("verify", "--head", kept.removeprefix("sha256:")[:20]).stdout.startswith("verified 3 drafts")
    assert tracker.ok("verify", "--head", kept.upper()).stdout.startswith("verified 3 drafts")
    assert tracker("verify", "--head", "sha256:" + "0" * 12).exit_code == 7
    for malformed in ("", "sha256:0000", "f608", "sha256:xyz" + "0" * 12):
        result = tracker("verify", "--head", malformed)
        assert (result.exit_code, result.stderr) == (3, f"Error: --head {malformed!r}: expected a head as `log` or `verify` print it"
                                                        " (sha256: and at least 12 hex digits)\n")


def test_a_removed_negotiation_is_caught_by_its_kept_head(sample, tmp_path):
    head, _ = _history(sample)
    sample.ok("negotiation", "create", "other", "--title", "Other", "--party", "X=Xco")
    for slug in ("joint-text", "counter", "first-offer"):
        _delete(sample.url, slug)
    sql(sample.url, "DELETE FROM negotiations WHERE slug = 'acme-merger'")
    result = sample("verify", "-n", "acme-merger", "--head", head)
    assert (result.exit_code, result.stderr) == (
        7, f"Error: unknown negotiation 'acme-merger' (known: other): the history whose head was kept ({head}) is no longer in the database\n")


def test_a_draft_built_on_a_tampered_parent_is_refused(sample):
    sql(sample.url, "UPDATE drafts SET header = replace(header, 'counter-offer', 'final offer') WHERE slug = 'counter'")
    before = scalar(sample.url, "SELECT COUNT(*) FROM drafts")
    result = sample("record", "--from", "counter", "--id", "laundered", "--tabled-by", "A", "--set", "price=$9m")
    assert (result.exit_code, result.stderr) == (
        7, "Error: draft 'counter' (v2) no longer matches its hashes: it was changed outside tracker; run `tracker verify`\n")
    shown = sample("show", "counter")
    assert (shown.exit_code, shown.stdout, shown.stderr) == (7, "", result.stderr)
    assert scalar(sample.url, "SELECT COUNT(*) FROM drafts") == before


@pytest.mark.parametrize("command", [("log",), ("show", "counter"), ("diff", "first-offer", "counter"), ("positions",)])
def test_a_read_that_meets_a_row_that_no_longer_parses_stops_with_one_line(sample, command):
    sql(sample.url, "UPDATE drafts SET header = '{\"id\": 5}' WHERE slug = 'counter'")
    result = sample(*command)
    assert (result.exit_code, result.stdout) == (7, "")
    assert result.stderr.startswith("Error: draft #") and result.stderr.endswith(
        "(v2): its stored header no longer reads as a draft header; run `tracker verify`\n")


def test_the_export_carries_the_history_and_import_checks_it(sample, tmp_path):
    import json

    sample.ok("export", "-o", "dump.json")
    data = json.loads((tmp_path / "dump.json").read_text())
    entry = data["negotiations"][0]
    assert entry["head"] == sample.json("log")["head"] == entry["drafts"][-1]["link"]
    entry["drafts"][1]["recorded_at"] = "2020-01-01T00:00:00+00:00"
    text = json.dumps(data, indent=2)
    (tmp_path / "dump.json").write_text(text)
    line = text[: text.index('"link"', text.index('"link"') + 1)].count("\n") + 1  # the second draft's link
    target = f"sqlite:///{tmp_path / 'other.db'}"
    from conftest import Tracker

    result = Tracker(target, tmp_path)("import", "dump.json")
    assert (result.exit_code, result.stderr) == (
        3, f"Error: dump.json:{line}: negotiations[0].drafts[1].link: draft 'counter' does not follow the history before it"
        " (its place, recording time, recorder or negotiation was changed)\n")


@pytest.mark.parametrize("command", [("show", "counter"), ("diff", "first-offer", "counter"), ("history", "structure"), ("report",),
                                     ("record", "--from", "counter", "--id", "x", "--tabled-by", "A", "--set", "price=$9m")])
def test_a_read_that_meets_a_term_changed_outside_tracker_stops_with_one_line(sample, command):
    digest = scalar(sample.url, f"SELECT hash FROM term_blobs WHERE id = {blob_of('counter', 'structure')}")
    sql(sample.url, f"UPDATE term_blobs SET body = replace(body, 'stock', 'asset') WHERE id = {blob_of('counter', 'structure')}")
    result = sample(*command)
    assert (result.exit_code, result.stdout, result.stderr) == (
        7, "", f"Error: a stored term ({digest[:19]}…) no longer matches its hash: it was changed outside tracker; run `tracker verify`\n")


@pytest.mark.parametrize("command", [("log",), ("show", "counter"), ("diff", "first-offer", "counter"), ("export",), ("report",)])
def test_a_recording_time_edited_into_garbage_stops_a_read_with_one_line(sample, command):
    if not sample.url.startswith("sqlite"):
        pytest.skip("PostgreSQL's timestamptz column holds only times")
    sql(sample.url, "UPDATE drafts SET recorded_at = 'garbage' WHERE slug = 'counter'")
    result = sample(*command)
    assert (result.exit_code, result.stdout, result.stderr) == (
        7, "", "Error: draft 'counter' (v2): its stored recording time 'garbage' is not a time; run `tracker verify`\n")


def test_an_export_into_a_database_holding_some_of_its_drafts_follows_that_databases_history(sample, tmp_path):
    import time

    from conftest import Tracker

    sample.ok("export", "-o", "dump.json")
    time.sleep(1.1)  # recorded here a second later (times are kept to the second): another history
    other = Tracker(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    other.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"), str(SAMPLE / "d2.yaml"))
    printed = other.ok("import", "dump.json").stdout.splitlines()
    here, there = other.json("log")["head"], sample.json("log")["head"]
    assert printed == ["Imported acme-merger: 1 draft recorded, 2 already present",
                       f"  its history here has head {here}, not the file's {there}: some drafts were recorded here before;"
                       " keep this head for `verify --head`", f"Database: {other.url}"]
    assert other.ok("verify").stdout.startswith("verified 3 drafts")


def test_an_export_whose_head_stands_for_drafts_without_links_is_refused(sample, tmp_path):
    import json

    from conftest import Tracker

    sample.ok("export", "-o", "dump.json")
    data = json.loads((tmp_path / "dump.json").read_text())
    entry = data["negotiations"][0]
    del entry["drafts"][-1]  # the last draft removed, the head kept: must not pass unnoticed
    entry["drafts"][-1].pop("link")
    (tmp_path / "dump.json").write_text(json.dumps(data, indent=2))
    result = Tracker(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)("import", "dump.json")
    assert result.exit_code == 3
    assert result.stderr.endswith("draft 'counter' has no place in the history the file's head stands for (no 'link' or 'recorded_at')\n")


BROKEN = ("does not follow the history before it (a draft or event was renumbered, re-timed, changed or removed, or the negotiation rewritten,"
          " outside tracker); run `tracker verify`")


@pytest.mark.parametrize("command", [("log",), ("positions",), ("report",), ("export",), ("diff", "v1", "latest"), ("blame",)])
def test_a_read_of_a_history_that_does_not_hold_together_stops_with_one_line(sample, command):
    sql(sample.url, "UPDATE drafts SET recorded_at = '2020-01-01 00:00:00' WHERE slug = 'counter'")
    result = sample(*command)
    assert (result.exit_code, result.stdout, result.stderr) == (7, "", f"Error: draft 'counter' (v2) {BROKEN}\n")


def test_a_read_of_a_rewritten_negotiation_stops_with_one_line(sample):
    from tracker.model import canonical

    data = __import__("json").loads(scalar(sample.url, "SELECT document FROM negotiations"))
    data["title"] = "Another deal"
    sql(sample.url, f"UPDATE negotiations SET document = '{canonical.canonical_json(data)}'")
    result = sample("positions")
    assert (result.exit_code, result.stderr) == (7, "Error: negotiation 'acme-merger' no longer matches its hash: it was changed outside tracker; run `tracker verify`\n")
    sql(sample.url, f"UPDATE negotiations SET hash = '{canonical.content_hash(data)}'")  # a careful forger
    result = sample("positions")
    assert (result.exit_code, result.stderr) == (7, f"Error: draft 'first-offer' (v1) {BROKEN}\n")
