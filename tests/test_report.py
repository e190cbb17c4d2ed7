"""`tracker report`: every format, the data they share, -o and --force, and the demo's report."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from small_deal import write_small_deal
from test_view import record_synthetic, synthetic

from tracker.db.store import Store
from tracker.history import reading, term_history
from tracker.history.report import build


def embedded(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert m, "the report data block is missing"
    return json.loads(m.group(1))


@pytest.fixture
def report_json(seeded):
    return seeded.json("report")


DRAFTS = ["us-initial", "kyiv-amendments", "us-revised", "draft-2025-02-22", "draft-2025-02-24", "fund-framework"]


def test_json_report_summarises_where_the_negotiation_stands(report_json):
    data = report_json
    assert data["schema"] == "tracker.report/v3"
    assert data["summary"] == {
        "parties": ["US", "UA"], "first_date": "2025-02-12", "last_date": "2025-02-25", "drafts": 6,
        "latest": data["summary"]["latest"], "counts": {"agreed": 16, "open": 1, "unaddressed": 17},
        "gap_pairs": {"shown": 1, "of": 1},
    }
    assert (data["summary"]["latest"]["id"], data["summary"]["latest"]["status"]) == ("fund-framework", "agreed")
    assert [(d["id"], d["tabled_by"], d["status"], d["coverage"]) for d in data["timeline"]] == [
        ("us-initial", ["US"], "rejected", "partial"),
        ("kyiv-amendments", ["UA"], "superseded", "partial"),
        ("us-revised", ["US"], "superseded", "partial"),
        ("draft-2025-02-22", ["US"], "superseded", "partial"),
        ("draft-2025-02-24", ["US"], "superseded", "partial"),
        ("fund-framework", ["US", "UA"], "agreed", "partial"),
    ]
    assert "telegraph-2025-02-17" in data["timeline"][0]["sources"]


def test_json_report_gives_each_drafts_changes_against_its_parent_with_evidence(report_json):
    blocks = {b["draft"]: b for b in report_json["changes"]}
    assert [b["draft"] for b in report_json["changes"]] == DRAFTS
    assert blocks["us-initial"]["summary"]["added"] == 14
    assert blocks["kyiv-amendments"]["summary"] == {
        "changed": 2, "renamed": 0, "dropped": 0, "added": 4, "annotated": 0, "unreported": 12, "unchanged": 0,
    }
    comp = next(c for c in blocks["draft-2025-02-22"]["changes"] if c["term"] == "compensation_amount")
    assert (comp["old_text"], comp["new_text"], comp["pushed_by"], comp["basis"], comp["stance"]) == (
        "up to $500 billion", "none", ["US"], "author", {"US": "concession"})
    assert comp["quotes"] == [{"source": "ft-via-bne", "outlet": "Financial Times (via bne IntelliNews)",
                               "quote": "were removed from the subsequent draft from Saturday",
                               "url": "https://bne.eu/ukraine-agrees-to-a-revised-us-mineral-deal-offer-369027/", "date": None, "event": None}]
    sg = next(c for c in blocks["kyiv-amendments"]["changes"] if c["term"] == "security_guarantees")
    assert (sg["old_text"], sg["new_text"], sg["pushed_by"], sg["stance"]) == ("none", "yes", ["UA"], {"UA": "opening"})
    lien = next(c for c in blocks["kyiv-amendments"]["changes"] if c["term"] == "revenue_lien")
    assert (lien["kind"], lien["new_stated"], lien["pushed_by"]) == ("unreported", False, None)


def test_json_report_tallies_what_each_party_pushed_conceded_and_won(report_json):
    parties = {p["code"]: p for p in report_json["parties"]}
    assert (len(parties["US"]["pushed"]), len(parties["UA"]["pushed"])) == (39, 13)
    # Each a sourced removal in a US draft (the FT, Yevropeiska Pravda), or the agreed text
    # leaving out the aid-as-debt clause that Kyiv had rejected.
    assert [(c["draft"], c["term"]) for c in parties["US"]["conceded"]] == [
        ("draft-2025-02-22", "compensation_amount"), ("draft-2025-02-22", "fund.us_financial_interest"),
        ("draft-2025-02-24", "fund.aims.double_foreign_investment"), ("draft-2025-02-24", "fund.aims.restore_gdp"),
        ("draft-2025-02-24", "governing_law"), ("fund-framework", "past_aid_as_debt"),
    ]
    # Kyiv asked for guarantees; the agreed text gives none and leaves them for later.
    assert [(c["draft"], c["term"]) for c in parties["UA"]["conceded"]] == [("fund-framework", "security_guarantees")]
    assert parties["UA"]["won"] == ["management_model", "ukrainian_law_compliance"]
    assert parties["US"]["won"] == ["budget_revenues_excluded", "reconstruction_fund", "revenue_recipient", "revenue_share"]


def test_json_report_has_histories_of_the_terms_that_moved_the_gap_and_the_bibliography(report_json):
    histories = {h["term"]: h for h in report_json["histories"]}
    assert "revenue_share" not in histories  # 50% throughout
    assert "revenue_lien" not in histories  # reported for the first draft only: never moved, never dropped
    assert [(d["id"], d["text"]) for d in histories["compensation_amount"]["drafts"]] == [
        ("us-initial", "$500 billion"), ("us-revised", "up to $500 billion"), ("draft-2025-02-22", "none"),
    ]
    assert histories["compensation_amount"]["label"] == "Total Ukraine is to provide in return (the $500 billion figure)"
    assert {d["event"] for h in histories.values() for d in h["drafts"]} <= {"added", "changed", "renamed", "dropped"}
    gap = report_json["gaps"][0]
    assert gap["parties"] == ["US", "UA"] and [r["term"] for r in gap["open"]] == ["security_guarantees"]
    assert [c["share"] for c in gap["convergence"]] == [None, 0.0, 0.5, 0.5, 0.5, 0.9412]
    bib = {s["id"]: s for s in report_json["bibliography"]}
    assert bib["seed-000-axios"]["cited_by"] == ["us-initial", "kyiv-amendments", "us-revised"]
    assert bib["patterico-2025-02-26"]["url"] == "https://patterico.com/2025/02/26/full-text-minerals-deal/"
    listed = {s["id"] for s in json.loads(json.dumps(report_json["bibliography"]))}
    cited = {c for d in report_json["timeline"] for c in d["sources"]}
    assert listed == cited  # every entry is cited by some draft


def test_markdown_report_has_every_section(seeded):
    out = seeded.ok("report").stdout  # markdown is the default
    assert out.startswith("# US–Ukraine minerals deal, February 2025: change history\n")
    for heading in ("## Timeline", "## Changes, draft by draft", "## Parties", "## Terms that moved",
                    "## Open gap: United States and Ukraine", "## Sources"):
        assert f"\n{heading}\n" in out
    assert ("**Where it stands:** latest draft *fund-framework* (agreed, 2025-02-25); 16 terms agreed, 1 open; "
            "17 stated by one side only (not counted).") in out
    assert ("| `compensation_amount` (Total Ukraine is to provide in return (the $500 billion figure)) | changed "
            "| up to $500 billion | none | now absent | US | author | US concession |") in out
    assert "| 2025-02-21 | 2 | 2 | 22 | 50% | past\\_aid\\_as\\_debt opposite; security\\_guarantees opposite |" in out
    assert "<https://patterico.com/2025/02/26/full-text-minerals-deal/>" in out
    assert "| `security_guarantees` (Security guarantees for Ukraine in the text) | no (left for later) | no (left for later) | left for later |" in out
    assert "disputed; also reported: none (kyiv-independent-2025-02-22)" in out


def _row(r: term_history.HistoryRow) -> tuple:  # type: ignore[type-arg]
    return (r.record.id, r.key, r.term, r.event, r.attribution, r.sources, r.moves)


def _assert_histories_are_the_term_moves(store: Store) -> None:
    """The report's histories look only at the drafts whose stored rows touch a term: they must
    be each term's full history with its unchanged, absent, carried and unknown rows left out,
    for exactly the terms that moved after they first appeared."""
    neg = store.negotiation()
    view = reading.load(store, neg)
    report = build(store, neg).histories
    plain = {}
    for key in sorted(view.all_keys):
        h = term_history.term_history(view, key)
        rows = [r for r in h.rows if r.event in term_history.MOVES]
        if len(rows) > 1:
            plain[view.name(view.aliases(key))] = [_row(r) for r in rows]
    assert {h.key: [_row(r) for r in h.rows] for h in report} == plain


@pytest.mark.parametrize("seed,shuffle", [(1, False), (2, False), (3, True), (4, True)])
def test_report_histories_are_the_term_moves(tracker, tmp_path, seed, shuffle):
    _assert_histories_are_the_term_moves(record_synthetic(tracker, tmp_path, seed, shuffle))


def test_report_histories_of_renamed_terms_and_merges_are_the_term_moves(tracker, tmp_path):
    neg = synthetic.generate(60, 14, seed=5, renames=True)
    synthetic.write(neg, tmp_path / "drafts")
    tracker.ok("record", str(neg.negotiation_path), *[str(d.path) for d in neg.drafts])
    _assert_histories_are_the_term_moves(Store.open(tracker.url))


def test_report_histories_of_a_merge_with_a_descendant_of_its_first_parent(tracker, tmp_path):
    tracker.ok("record", *write_small_deal(tmp_path / "deal"))
    # d6 answers d3 and merges d4 (which answered d3): its change against d3 runs through d4.
    tracker.ok("record", "--from", "d3", "--from", "d4", "--id", "d6", "--tabled-by", "B", "--date", "2025-03-10", "--set", "x=5%")
    _assert_histories_are_the_term_moves(Store.open(tracker.url))


def test_csv_report_has_one_row_per_change(seeded):
    text = seeded.ok("report", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 14 + 18 + 20 + 16 + 5 + 17
    comp = next(r for r in rows if r["draft"] == "draft-2025-02-22" and r["term"] == "compensation_amount")
    assert {k: comp[k] for k in ("date", "tabled_by", "coverage", "against", "label", "kind", "old", "new", "change", "pushed_by", "basis", "stance")} == {
        "date": "2025-02-22", "tabled_by": "US", "coverage": "partial", "against": "us-revised",
        "label": "Total Ukraine is to provide in return (the $500 billion figure)", "kind": "changed",
        "old": "up to $500 billion", "new": "none", "change": "now absent", "pushed_by": "US", "basis": "author",
        "stance": "US concession",
    }
    assert comp["quotes"] == "[ft-via-bne] were removed from the subsequent draft from Saturday"
    first = next(r for r in rows if r["draft"] == "us-initial" and r["term"] == "compensation_amount")
    assert first["disputed"] == "none (kyiv-independent-2025-02-22)"
    lien = next(r for r in rows if r["draft"] == "kyiv-amendments" and r["term"] == "revenue_lien")
    assert (lien["kind"], lien["new_stated"]) == ("unreported", "no")


def test_csv_cells_a_spreadsheet_would_run_are_defused(tracker, tmp_path):
    files = write_small_deal(tmp_path / "deal")
    tracker.ok("record", *files)
    tracker.ok("record", "--from", "d5", "--id", "d6", "--tabled-by", "B", "--date", "2025-03-10",
               "--set", "note=text:=HYPERLINK(\"http://evil.example\",\"x\")", "--set", "x=4%")
    rows = list(csv.DictReader(io.StringIO(tracker.ok("report", "-f", "csv").stdout)))
    note = next(r for r in rows if r["term"] == "note")
    assert note["new"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    x = next(r for r in rows if r["draft"] == "d6" and r["term"] == "x")
    assert x["change"] == "'-1 pp"


def test_html_report_embeds_the_same_data_as_the_json_report(seeded, report_json):
    html = seeded.ok("report", "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>")
    assert embedded(html) == report_json
    assert 'id="chart-timeline"' in html and 'id="chart-convergence"' in html and 'id="chart-distance"' in html
    # Self-contained: no external address is loaded (links in the bibliography are only links).
    assert not re.search(r'(src|href)="(https?:)?//', html.replace('class="url" href="http', ""))
    assert "Content-Security-Policy" in html


def test_html_escapes_markup_from_the_data(tracker, tmp_path):
    tracker.ok("record", *write_small_deal(tmp_path / "deal"))
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    tracker.ok("record", "--from", "d5", "--id", "d6", "--tabled-by", "A", "--date", "2025-03-10", "--set", f"note=text:{evil}")
    html = tracker.ok("report", "-f", "html").stdout
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert html.count("<script") == 1  # the data block
    note = next(c for b in embedded(html)["changes"] for c in b["changes"] if c["term"] == "note")
    assert note["new_text"] == evil


def test_output_file_is_written_and_never_overwritten_without_force(seeded, tmp_path):
    target = tmp_path / "report.md"
    result = seeded.ok("report", "-o", str(target))
    assert result.stdout == f"Wrote the markdown report of us-ukraine-minerals-2025 to {target}\n"
    first = target.read_text(encoding="utf-8")
    assert first.startswith("# US–Ukraine minerals deal")
    target.write_text("my notes", encoding="utf-8")
    refused = seeded("report", "-o", str(target))
    assert refused.exit_code == 5
    assert refused.stderr == f"Error: {target}: already exists; use --force to overwrite it\n"
    assert target.read_text(encoding="utf-8") == "my notes"
    seeded.ok("report", "-o", str(target), "--force")
    assert target.read_text(encoding="utf-8") == first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no temp file left


@pytest.mark.parametrize(("name", "start"), [("r.html", "<!DOCTYPE html>"), ("r.json", "{\n  \"schema\": \"tracker.report/v3\""),
                                             ("r.csv", "negotiation,date,draft,"), ("r.md", "# ")])
def test_output_format_follows_the_file_extension(seeded, tmp_path, name, start):
    seeded.ok("report", "-o", str(tmp_path / name))
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(start)


def test_output_into_a_missing_folder_is_refused_before_any_work(seeded, tmp_path):
    result = seeded("report", "-o", str(tmp_path / "nope" / "r.html"))
    assert result.exit_code == 3
    assert result.stderr == f"Error: {tmp_path / 'nope' / 'r.html'}: folder {tmp_path / 'nope'} does not exist\n"


def test_report_of_a_negotiation_without_drafts(tracker, tmp_path):
    tracker.ok("negotiation", "create", "empty", "-t", "Nothing yet", "-p", "A=Alpha", "-p", "B=Beta")
    assert tracker.json("report")["summary"]["drafts"] == 0
    assert "No drafts recorded yet." in tracker.ok("report").stdout
    html = tracker.ok("report", "-f", "html").stdout
    assert embedded(html)["timeline"] == []
    tracker.ok("report", "-o", str(tmp_path / "empty.csv"))
    assert (tmp_path / "empty.csv").read_bytes() == (
        b"negotiation,date,draft,seq,tabled_by,status,coverage,against,term,label,old_term,kind,old,old_stated,new,new_stated,"
        b"change,pushed_by,basis,introduced_in,adopted_from,stance,disputed,evidence,sources,quotes\r\n"
    )


def test_report_of_an_unknown_negotiation(seeded):
    result = seeded("report", "-n", "nope")
    assert result.exit_code == 4
    assert result.stderr == "Error: unknown negotiation 'nope' (known: us-ukraine-minerals-2025)\n"


def test_demo_ends_by_writing_the_html_report_and_saying_where(tracker, tmp_path):
    out = tracker.ok("demo").stdout
    assert out.endswith(
        "The full change history (timeline, convergence, who pushed what, sources) is in "
        f"{'report.html' if tracker.url.startswith('postgresql') else tmp_path / 'report.html'}\n"
        "Open it in a browser; `tracker report --help` exports it as markdown, JSON or CSV.\n"
    )
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert embedded(html)["summary"]["drafts"] == 6
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not a private temp


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_the_embedded_json_is_streamed_in_pieces_that_join_to_the_whole(value):
    from tracker.render import html

    whole = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert "".join(html.embed_json_chunks(value)) == html.embed_json(value)
    assert json.loads(html.embed_json(value)) == value  # the escapes are JSON escapes
    assert not {"<", ">", "&"} & set(html.embed_json(value))
    assert len(html.embed_json(value)) >= len(whole)


@given(_json_values)
def test_the_json_report_is_written_in_pieces_that_join_to_the_whole(value):
    from tracker.render import jsonout

    assert "".join(jsonout.report_text(value)) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
