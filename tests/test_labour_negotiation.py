"""A negotiation of the shape that exposed the old model, written for this test: a union (N) and a
hospital group (H) answering each other over seven drafts, two of them merges, one a press
report of the union's reply (partial), ending in a joint agreed text; a term renamed on the way
and a bonus only one side ever mentions. Every label and gap below is worked out by hand from
shared/negotiation-semantics.md.

    h1  H  full     03-02            pay 2%  shift 12 hours  probation 1 year  parking no
    n1  N  full     03-04  h1        pay 8%  shift 8 hours   probation 3 months  parking yes  cola yes
    h2  H  full     03-09  n1        pay 3%  (shift left out = the default 12 hours)  probation 6 months
                                     parking no  pay.cola no (renamed from cola)  retention_bonus $2,000
    n2  N  partial  03-11  h2        pay 6%  (a press report: nothing else is known)
    n3  N  full     03-14  h2 + n1   pay 6%  shift 10 hours  probation 6 months  parking yes  pay.cola yes
                                     (retention_bonus left out)
    h3  H  full     03-18  n3 + h2   pay 4%  shift 10 hours  probation 6 months  parking yes  pay.cola no
                                     retention_bonus $2,000
    a1  N,H full    03-25  h3        pay 5%  shift 10 hours  probation 6 months  parking yes  pay.cola yes
                                     retention_bonus $2,000
"""

from __future__ import annotations

import pytest

NEGOTIATION = """\
kind: negotiation
id: hospital-2026
title: Nurses and hospital group, 2026 contract
parties:
  - {code: N, name: Nurses' union, aliases: [union]}
  - {code: H, name: Hospital group, aliases: [hospitals]}
preferences:
  pay_rise: {N: higher, H: lower}
  shift_length: {default: 12 hours, N: lower, H: higher}
  probation: {N: lower, H: higher}
  parking: {N: [yes, no], H: [no, yes]}
  cola: {N: [yes, no]}       # declared on the term's first key: it follows the rename
"""

DRAFTS = {
    "h1": ("H", "full", "2026-03-02", [], {"pay_rise": "2%", "shift_length": "12 hours", "probation": "1 year", "parking": "no"}),
    "n1": ("N", "full", "2026-03-04", ["h1"], {"pay_rise": "8%", "shift_length": "8 hours", "probation": "3 months", "parking": "yes", "cola": "yes"}),
    "h2": ("H", "full", "2026-03-09", ["n1"], {"pay_rise": "3%", "probation": "6 months", "parking": "no", "pay.cola": "no", "retention_bonus": "$2,000"}),
    "n2": ("N", "partial", "2026-03-11", ["h2"], {"pay_rise": "6%"}),
    "n3": ("N", "full", "2026-03-14", ["h2", "n1"], {"pay_rise": "6%", "shift_length": "10 hours", "probation": "6 months", "parking": "yes", "pay.cola": "yes"}),
    "h3": ("H", "full", "2026-03-18", ["n3", "h2"], {"pay_rise": "4%", "shift_length": "10 hours", "probation": "6 months", "parking": "yes", "pay.cola": "no", "retention_bonus": "$2,000"}),
    "a1": ("N, H", "full", "2026-03-25", ["h3"], {"pay_rise": "5%", "shift_length": "10 hours", "probation": "6 months", "parking": "yes", "pay.cola": "yes", "retention_bonus": "$2,000"}),
}


def _yaml(draft_id: str) -> str:
    tabled, coverage, date, parents, terms = DRAFTS[draft_id]
    lines = ["kind: draft", "negotiation: hospital-2026", f"id: {draft_id}", f"title: Draft {draft_id}",
             f"tabled_by: [{tabled}]", f"coverage: {coverage}", f"date: {date}", f"parents: [{', '.join(parents)}]", "terms:"]
    for key, value in terms.items():
        kind = "boolean" if value in ("yes", "no") else None
        lines.append(f"  {key}:")
        lines.append(f"    value: '{value}'" + (f"\n    type: {kind}" if kind else ""))
        if key == "pay.cola" and draft_id == "h2":
            lines.append("    renamed_from: cola")
    return "\n".join(lines) + "\n"


@pytest.fixture
def hospital(tracker):
    tracker.record_texts({"negotiation.yaml": NEGOTIATION, **{f"{d}.yaml": _yaml(d) for d in DRAFTS}})
    return tracker


def moves(tracker, draft: str) -> dict[str, dict[str, str]]:
    out = {}
    for term in ("pay_rise", "shift_length", "probation", "parking", "pay.cola", "retention_bonus"):
        for row in tracker.json("history", term)["drafts"]:
            if row["id"] == draft and row["moves"]:
                out[term] = row["moves"]
    return out


def test_each_party_is_labelled_against_its_own_previous_position(hospital):
    opening = {"N": "opening"}
    assert moves(hospital, "n1") == {"pay_rise": opening, "shift_length": opening, "probation": opening, "parking": opening, "pay.cola": opening}
    assert moves(hospital, "h2") == {
        "pay_rise": {"H": "concession"},  # 2% → 3%: the hospitals give ground
        "probation": {"H": "concession"},  # 1 year → 6 months, against its preference for longer
        "pay.cola": {"H": "opening"},  # its first word on the (renamed) cost-of-living clause
        "retention_bonus": {"H": "opening"},
    }
    assert moves(hospital, "n2") == {"pay_rise": {"N": "concession"}}  # 8% → 6%: its own last demand, not H's 3%
    assert moves(hospital, "n3") == {
        "shift_length": {"N": "concession"},  # 8 hours → 10
        "probation": {"N": "concession"},  # 3 months → 6 months
        "retention_bonus": {"N": "opening"},  # left out: its first position is "no bonus"
    }
    assert moves(hospital, "h3") == {
        "pay_rise": {"H": "concession"},  # 3% → 4%
        "shift_length": {"H": "concession"},  # none (= 12 hours) → 10 hours
        "parking": {"H": "concession"},  # no → yes, against its ranking
    }
    assert moves(hospital, "a1") == {
        "pay_rise": {"N": "concession", "H": "concession"},  # 6% → 5% and 4% → 5%
        "pay.cola": {"H": "concession"},  # no → yes, toward the union's yes
        "retention_bonus": {"N": "concession"},  # no bonus → the hospitals' $2,000
    }


def test_a_diff_across_the_rename_credits_the_union_that_first_asked(hospital):
    data = hospital.json("diff", "h1", "a1")
    c = {c["term"]: c for c in data["changes"]}
    assert "cola" not in c  # never "cola dropped" plus "pay.cola added"
    cola = c["pay.cola"]
    assert (cola["kind"], cola["pushed_by"], cola["basis"], cola["introduced_in"]) == ("added", ["N"], "author", "n1")
    assert (c["retention_bonus"]["pushed_by"], c["retention_bonus"]["introduced_in"]) == (["H"], "h2")
    assert c["pay_rise"]["pushed_by"] == ["N", "H"] and c["pay_rise"]["stance"] == {"N": "concession", "H": "concession"}


def test_the_press_report_changes_nothing_it_does_not_report(hospital):
    data = hospital.json("positions", "--as-of", "2026-03-11")
    terms = {t["term"]: t for t in data["terms"]}
    n = {k: (t["positions"]["N"]["draft"], t["positions"]["N"]["text"]) for k, t in terms.items() if t["positions"]["N"]}
    assert n == {"pay_rise": ("n2", "6%"), "shift_length": ("n1", "8 hours"), "probation": ("n1", "3 months"),
                 "parking": ("n1", "yes"), "pay.cola": ("n1", "yes")}
    assert terms["pay.cola"]["aliases"] == ["cola"]


def test_the_gap_in_each_terms_unit_and_a_bonus_the_union_never_addressed(hospital):
    data = hospital.json("gap", "--as-of", "2026-03-11")
    assert {r["term"]: r["distance"]["text"] for r in data["open"]} == {
        "pay_rise": "3 pp", "shift_length": "4 hours", "probation": "3 months", "parking": "opposite",
        "pay.cola": "opposite",
    }
    assert [(r["term"], r["addressed_by"]) for r in data["unaddressed"]] == [("retention_bonus", ["H"])]
    assert data["share"] == 0.0
    final = hospital.json("gap")
    assert (final["counts"], final["share"]) == ({"open": 0, "agreed": 6, "unaddressed": 0}, 1.0)
    assert [(c["date"], c["agreed"], c["open"], c["unaddressed"]) for c in final["convergence"]] == [
        ("2026-03-02", 0, 0, 4), ("2026-03-04", 0, 4, 1), ("2026-03-09", 0, 5, 1), ("2026-03-11", 0, 5, 1),
        ("2026-03-14", 1, 5, 0), ("2026-03-18", 3, 3, 0), ("2026-03-25", 6, 0, 0),
    ]


def test_the_report_tallies_concessions_from_the_same_moves(hospital):
    parties = {p["code"]: p for p in hospital.json("report")["parties"]}
    assert [(c["draft"], c["term"]) for c in parties["N"]["conceded"]] == [
        ("n2", "pay_rise"), ("n3", "probation"), ("n3", "shift_length"), ("a1", "pay_rise"), ("a1", "retention_bonus"),
    ]
    assert [(c["draft"], c["term"]) for c in parties["H"]["conceded"]] == [
        ("h2", "pay_rise"), ("h2", "probation"), ("h3", "parking"), ("h3", "pay_rise"), ("h3", "shift_length"),
        ("a1", "pay.cola"), ("a1", "pay_rise"),
    ]
