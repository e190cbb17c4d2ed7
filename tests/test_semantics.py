"""shared/negotiation-semantics.md, pinned: known, absent and unknown terms; positions; labels
against a party's own previous position; gaps and convergence. Its worked example row by row,
then the rules one at a time on small negotiations of their own."""

from __future__ import annotations

import pytest

NEGOTIATION = """\
kind: negotiation
id: plant
title: Union and company
parties:
  - {code: U, name: Union, aliases: [union]}
  - {code: F, name: Company}
preferences:
  wage: {U: higher, F: lower}
  week: {default: 40 hours, U: lower, F: higher}
  progression: {U: lower, F: higher}
"""

# The worked example: (tabled, coverage, date, parents, terms)
EXAMPLE = {
    "d1": ("U", "full", "2025-09-01", [], {"wage": "40%", "week": "32 hours", "progression": "90 days", "pension": "yes"}),
    "d2": ("F", "full", "2025-09-05", ["d1"], {"wage": "9%", "progression": "8 years"}),
    "d3": ("F", "full", "2025-09-10", ["d2"], {"wage": "20%", "progression": "4 years"}),
    "d4": ("U", "partial", "2025-09-12", ["d1"], {"wage": "36%"}),
    "d5": ("U, F", "full", "2025-09-20", ["d3"], {"wage": "25%", "progression": "3 years"}),
}


def draft_yaml(draft_id: str, spec: tuple) -> str:  # type: ignore[type-arg]
    tabled, coverage, date, parents, terms = spec
    lines = [
        "kind: draft", "negotiation: plant", f"id: {draft_id}", f"title: Draft {draft_id}",
        f"tabled_by: [{tabled}]", f"coverage: {coverage}", f"date: {date}", f"parents: [{', '.join(parents)}]", "terms:",
    ]
    lines += [f"  {key}: {{value: '{value}'}}" for key, value in terms.items()]
    return "\n".join(lines) + "\n"


def record(tracker, negotiation: str, drafts: dict) -> None:  # type: ignore[type-arg]
    tracker.record_texts({"negotiation.yaml": negotiation, **{f"{d}.yaml": draft_yaml(d, spec) for d, spec in drafts.items()}})


@pytest.fixture
def example(tracker):
    record(tracker, NEGOTIATION, EXAMPLE)
    return tracker


def moves(tracker, draft: str) -> dict[str, dict[str, str]]:
    """term → party → label: how each party that tabled ``draft`` moved on each term there."""
    rows = {}
    for term in ("wage", "week", "progression"):
        for row in tracker.json("history", term)["drafts"]:
            if row["id"] == draft and row["moves"]:
                rows[term] = row["moves"]
    return rows


# --- the worked example, row by row ------------------------------------------------------------


def test_d1_every_term_is_an_opening_for_u(example):
    assert moves(example, "d1") == {"wage": {"U": "opening"}, "week": {"U": "opening"}, "progression": {"U": "opening"}}


def test_d2_is_fs_opening_and_not_a_hardening_against_u(example):
    # 40% → 9% is F's first position, not "F hardening"; its first week position is "no such
    # clause" (= the default 40 hours).
    assert moves(example, "d2") == {"wage": {"F": "opening"}, "week": {"F": "opening"}, "progression": {"F": "opening"}}


def test_d3_f_concedes_wage_and_progression(example):
    # 9% → 20%, toward U's 40%; 8 years (2,920 days) → 4 years (1,460 days), toward U's 90 days.
    assert moves(example, "d3") == {"wage": {"F": "concession"}, "progression": {"F": "concession"}}


def test_d4_u_concedes_against_its_own_previous_position_not_fs(example):
    assert moves(example, "d4") == {"wage": {"U": "concession"}}


def test_d4_a_partial_draft_states_nothing_about_what_it_does_not_report(example):
    rows = {r["id"]: r for r in example.json("history", "week")["drafts"]}
    assert (rows["d4"]["event"], rows["d4"]["stated"], rows["d4"]["carried_from"]) == ("carried", False, "d1")
    assert (rows["d4"]["pushed_by"], rows["d4"]["basis"], rows["d4"]["stance"]) == (None, None, {})  # nobody's proposal


def test_d5_a_joint_text_labels_each_party_against_its_own_last_position(example):
    m = moves(example, "d5")
    assert m["wage"] == {"U": "concession", "F": "concession"}  # 36% → 25% and 20% → 25%
    assert m["week"] == {"U": "concession"}  # 32 hours → the default 40; F unchanged (no label)
    assert m["progression"] == {"U": "concession", "F": "concession"}  # 90 days → 3 years; 4 → 3 years


def test_positions_as_of_d4_take_each_partys_latest_stating_draft(example):
    data = example.json("positions", "--as-of", "2025-09-12")
    terms = {t["term"]: t for t in data["terms"]}
    u = {k: (t["positions"]["U"]["draft"], t["positions"]["U"]["text"]) for k, t in terms.items()}
    f = {k: (t["positions"]["F"]["draft"], t["positions"]["F"]["text"]) if t["positions"]["F"] else None for k, t in terms.items()}
    assert u == {"wage": ("d4", "36%"), "week": ("d1", "32 hours"), "progression": ("d1", "90 days"), "pension": ("d1", "yes")}
    assert f == {"wage": ("d3", "20%"), "week": ("d3", "none"), "progression": ("d3", "4 years"), "pension": ("d3", "none")}


def test_gap_as_of_d4_in_each_terms_unit(example):
    data = example.json("gap", "--as-of", "2025-09-12")
    open_ = {r["term"]: r["distance"]["text"] if r["distance"] else None for r in data["open"]}
    assert open_["wage"] == "16 pp"
    assert open_["week"] == "8 hours"  # 32 hours against none (= the default 40 hours)
    assert open_["progression"] == "1,370 days"  # 90 days against 4 years of 365 days


def test_a_term_only_one_side_ever_stated_is_unaddressed_not_counted(tracker, tmp_path):
    drafts = {
        "d1": ("U", "full", "2025-09-01", [], {"wage": "40%"}),
        "d2": ("F", "full", "2025-09-05", ["d1"], {"wage": "9%"}),
        "d3": ("U", "partial", "2025-09-06", ["d1"], {"pension": "yes"}),
    }
    record(tracker, NEGOTIATION, drafts)
    data = tracker.json("gap")
    assert [r["term"] for r in data["open"]] == ["wage"]
    assert [(r["term"], r["addressed_by"]) for r in data["unaddressed"]] == [("pension", ["U"])]
    assert data["counts"] == {"open": 1, "agreed": 0, "unaddressed": 1}
    assert data["share"] == 0.0


# --- recording what a draft states --------------------------------------------------------------


def test_a_partial_draft_from_flags_holds_only_what_it_states_and_shows_the_rest_carried(example):
    result = example.ok(
        "record", "--from", "d3", "--id", "d6", "--tabled-by", "union", "--date", "2025-09-21", "--coverage", "partial",
        "--set", "wage=30%", "--drop", "progression", "--source", "{id: paper, outlet: Local paper}",
    )
    assert result.stdout.startswith("Recorded d6 as v6 (sha256:")
    shown = example.json("show", "d6")
    assert (shown["coverage"], sorted(shown["terms"])) == ("partial", ["progression", "wage"])
    assert shown["terms"]["progression"]["value"] == {"type": "none"}  # a report says it was removed
    assert shown["terms"]["progression"]["sources"] == [{"source": "paper"}]
    # d3 left week and pension out: d6, a report, does not say; it carries both over.
    assert shown["carried"] == {"pension": {"value": {"type": "none"}, "draft": "d3"}, "week": {"value": {"type": "none"}, "draft": "d3"}}
    text = example.ok("show", "d6").stdout
    assert "Coverage: partial (from reports: what it does not state is unknown)" in text
    assert "Carried over, unconfirmed (2): not stated by this draft, shown as its parents had them" in text
    # d3 left week out (the default 40 hours): d6 says nothing of it, so U's position stays d1's.
    week = {t["term"]: t for t in example.json("positions")["terms"]}["week"]
    assert week["positions"]["U"]["draft"] == "d5"


@pytest.mark.parametrize(("preferences", "terms", "message"), [
    ("cola: {U: higher}", {"cola": "yes"},
     "preferences.cola.U: 'higher' does not apply to a yes/no term; rank its values instead, e.g. [yes, no]"),
    ("tier: {F: lower}", {"tier": "choice:gold"},
     "preferences.tier.F: 'lower' does not apply to a choice; rank its options instead, best first"),
    ("wage: {U: [high, low]}", {"wage": "40%"},
     "preferences.wage.U: a ranking applies to a choice or a yes/no term; for a percentage use higher or lower"),
    ("hours: {default: 40 hours}", {"hours": "5%"},
     "preferences.hours.default: the default 40 hours is a number, but the term holds a percentage"),
    ("memo: {U: higher}", {"memo": "text:Side letter"},
     "preferences.memo.U: a text term has no direction or ranking: no preference can be declared for it"),
])
def test_a_preference_that_cannot_apply_is_one_line_naming_the_term_and_party(tracker, tmp_path, preferences, terms, message):
    negotiation = NEGOTIATION.replace("  wage: {U: higher, F: lower}\n", f"  {preferences}\n")
    (tmp_path / "n.yaml").write_text(negotiation, encoding="utf-8")
    (tmp_path / "d.yaml").write_text(draft_yaml("d1", ("U", "full", "2025-09-01", [], terms)), encoding="utf-8")
    result = tracker("record", str(tmp_path / "n.yaml"), str(tmp_path / "d.yaml"))
    assert result.exit_code == 3
    assert result.stderr == f"Error: {tmp_path / 'd.yaml'}:10: terms.{next(iter(terms))}.value: {message}\n"


def test_yes_no_terms_are_ranked_with_yes_no_or_true_false(tracker, tmp_path):
    negotiation = NEGOTIATION + "  cola: {U: [true, false], F: [no, yes]}\n"
    drafts = {
        "d1": ("U", "full", "2025-09-01", [], {"cola": "yes"}),
        "d2": ("F", "full", "2025-09-02", ["d1"], {"cola": "no"}),
        "d3": ("U", "full", "2025-09-03", ["d2"], {"cola": "no"}),
    }
    record(tracker, negotiation, drafts)
    rows = {r["id"]: r["moves"] for r in tracker.json("history", "cola")["drafts"]}
    assert rows == {"d1": {"U": "opening"}, "d2": {"F": "opening"}, "d3": {"U": "concession"}}


def test_a_party_cannot_be_coded_default(tracker, tmp_path):
    (tmp_path / "n.yaml").write_text(NEGOTIATION.replace("code: F", "code: default"), encoding="utf-8")
    result = tracker("record", str(tmp_path / "n.yaml"))
    assert result.exit_code == 3
    assert "'default' is reserved (preferences use it for a term's default value)" in result.stderr


def test_the_readme_example_is_what_the_worked_example_prints(example):
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ tracker history wage", 1)[1].split("```", 1)[0]
    expected = block.split("\n", 1)[1]  # after the command line's comment
    assert example.ok("history", "wage").stdout == expected


# A sale: durations written in other units, free text taken up from the other side, and a
# clause left out that a declared default fills.
SALE = """\
kind: negotiation
id: plant
title: Sale of a plant
parties:
  - {code: B, name: Buyer}
  - {code: S, name: Seller}
preferences:
  exclusivity: {default: 30 days}
"""
SALE_DRAFTS = {
    "s0": ("S", "full", "2026-03-02", [], {"non_compete": "12 months", "law": "text:New York law", "exclusivity": "60 days", "survival": "12 months"}),
    "b1": ("B", "full", "2026-03-09", ["s0"], {"non_compete": "2 years", "law": "text:Delaware law", "survival": "18 months"}),
    "s2": ("S", "full", "2026-03-16", ["b1"], {"non_compete": "24 months", "law": "text:Delaware law", "exclusivity": "45 days", "survival": "3 years"}),
    "f3": ("B, S", "full", "2026-03-23", ["s2"], {"non_compete": "24 months", "law": "text:Delaware law", "exclusivity": "30 days", "survival": "3 years"}),
}


@pytest.fixture
def sale(tracker):
    record(tracker, SALE, SALE_DRAFTS)
    return tracker


def test_a_duration_written_in_other_units_is_the_same_value(sale):
    # 24 months is B's 2 years: S took up B's value (a concession), not a change of its own.
    diff = sale.json("diff", "b1", "s2")
    change = next(c for c in diff["changes"] if c["term"] == "non_compete")
    assert (change["kind"], change["annotations"]["value"]) == ("annotated", {"from": "2 years", "to": "24 months"})
    assert "  non_compete  24 months  written 2 years → 24 months (the same value)\n" in sale.ok("diff", "b1", "s2").stdout
    whole = {c["term"]: c for c in sale.json("diff", "s0", "f3")["changes"]}
    assert (whole["non_compete"]["pushed_by"], whole["non_compete"]["introduced_in"]) == (["B"], "b1")
    moves = {r["id"]: r["moves"] for r in sale.json("history", "non_compete")["drafts"]}
    assert moves == {"s0": {"S": "opening"}, "b1": {"B": "opening"}, "s2": {"S": "concession"}, "f3": {}}
    assert sale.json("gap")["counts"] == {"open": 0, "agreed": 4, "unaddressed": 0}


def test_taking_up_the_other_sides_wording_is_a_concession(sale):
    # Free text has no distance, but moving to the other side's very words is moving to it.
    moves = {r["id"]: r["moves"] for r in sale.json("history", "law")["drafts"]}
    assert moves == {"s0": {"S": "opening"}, "b1": {"B": "opening"}, "s2": {"S": "concession"}, "f3": {}}


def test_a_change_of_a_duration_reads_in_its_unit(sale):
    out = sale.ok("diff", "s0", "f3").stdout
    assert "  exclusivity  60 days → 30 days            -30 days (×0.5)  " in out
    assert "  survival     12 months → 3 years          +24 months  " in out


def test_blame_says_where_a_value_came_from_a_clause_left_out(sale):
    # f3's 30 days is the default, which b1 stated by leaving the clause out.
    line = next(t for t in sale.json("blame", "f3")["terms"] if t["term"] == "exclusivity")
    assert (line["from"]["id"], line["from"]["left_out"], line["pushed_by"]) == ("b1", True, ["B"])
    assert "\nexclusivity  30 days       b1 (v2), left out there (the default)  2026-03-09  B (author)  B opening\n" in sale.ok("blame", "f3").stdout


@pytest.mark.parametrize(("preferences", "message"), [
    ("cola: {U: [true, false, true]}", "preferences.cola: U: 'yes' is ranked twice"),
    ("tier: {default: 'choice:platinum', U: [gold, silver]}",
     "preferences.tier: default: 'platinum' is not among the options ranked for U: gold, silver"),
])
def test_a_negotiation_file_declaring_an_impossible_preference_is_refused(tracker, tmp_path, preferences, message):
    (tmp_path / "n.yaml").write_text(NEGOTIATION.replace("  wage: {U: higher, F: lower}\n", f"  {preferences}\n"), encoding="utf-8")
    result = tracker("record", str(tmp_path / "n.yaml"))
    assert (result.exit_code, result.stderr) == (3, f"Error: {tmp_path / 'n.yaml'}:8: {message}\n")


def test_preferences_follow_a_declared_rename_when_a_draft_is_checked(tracker, tmp_path):
    (tmp_path / "n.yaml").write_text(NEGOTIATION, encoding="utf-8")
    (tmp_path / "d1.yaml").write_text(draft_yaml("d1", ("U", "full", "2025-09-01", [], {"wage": "40%"})), encoding="utf-8")
    tracker.ok("record", str(tmp_path / "n.yaml"), str(tmp_path / "d1.yaml"))
    d2 = draft_yaml("d2", ("F", "full", "2025-09-02", ["d1"], {})) + "  pay: {value: 'text:negotiable', renamed_from: wage}\n"
    (tmp_path / "d2.yaml").write_text(d2, encoding="utf-8")
    result = tracker("record", str(tmp_path / "d2.yaml"))
    assert (result.exit_code, result.stderr) == (
        3, f"Error: {tmp_path / 'd2.yaml'}:10: terms.pay.value: preferences.wage.F: a text term has no direction or ranking:"
        " no preference can be declared for it\n",
    )


def test_a_duration_cannot_be_negative(example):
    result = example("record", "--from", "d1", "--id", "d9", "--tabled-by", "F", "--date", "2025-09-30", "--set", "progression=-3 months")
    assert (result.exit_code, result.stderr) == (3, "Error: --set progression: a duration cannot be negative, got -3 months\n")
    assert [d["id"] for d in example.json("log")["drafts"]] == ["d1", "d2", "d3", "d4", "d5"]


def test_a_position_from_an_earlier_draft_than_the_partys_latest_names_that_draft(example):
    # As of d4, the union's latest draft (known from reports) states only the wage: its other
    # positions are d1's, and a reader must not take them for what d4 says.
    out = example.ok("positions", "--as-of", "2025-09-12").stdout
    assert out == (
        "Positions as of 2025-09-12\n"
        "  Union (U): latest draft d4\n"
        "  Company (F): latest draft d3\n"
        "\n"
        "term         U                 F                status\n"
        "pension      yes (in d1)       none (left out)  open\n"
        "progression  90 days (in d1)   4 years          open\n"
        "wage         36%               20%              open\n"
        "week         32 hours (in d1)  none (left out)  open\n"
        "\n"
        "0 agreed, 4 open, 0 unaddressed (not stated: no draft the party tabled states the term; (in D): the position"
        " comes from draft D, and the party's later drafts do not state the term)\n"
    )
    gap = example.ok("gap", "--as-of", "2025-09-12").stdout.splitlines()
    assert gap[2:7] == [
        "open term    U                 F                apart by",
        "pension      yes (in d1)       none (left out)  (side by side)",
        "progression  90 days (in d1)   4 years          1,370 days",
        "wage         36%               20%              16 pp",
        "week         32 hours (in d1)  none (left out)  8 hours",
    ]


def test_the_reports_name_the_draft_a_position_comes_from_where_the_latest_does_not_state_it(tracker, tmp_path):
    record(tracker, NEGOTIATION, {d: spec for d, spec in EXAMPLE.items() if d != "d5"})
    md = tracker.ok("report", "--format", "markdown").stdout
    assert "| `week` | 32 hours (in d1) | none (left out) | 8 hours |" in md
    assert "| `wage` | 36% | 20% | 16 pp |" in md  # d4 states the wage itself
    html = tracker.ok("report", "--format", "html").stdout
    assert '<td><span class="v">yes</span> <span class="meta">(in <a href="#draft-d1">d1</a>)</span></td>' in html  # pension, U
    assert html.count('(in <a href="#draft-d1">d1</a>)') == 3  # U's pension, progression and week: not its wage
