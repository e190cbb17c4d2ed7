"""The in-process diff engine: typed deltas for every value type, annotations, and properties."""

from __future__ import annotations

import difflib
from types import SimpleNamespace

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.engine.diff import _most_similar, compare, redline_text
from tracker.model.shorthand import parse_value
from tracker.model.termsheet import Term
from tracker.render.jsonpatch import patch as json_patch


def term(value, **extra) -> Term:
    return Term.model_validate({"value": parse_value(value, hint=extra.pop("hint", None)), **extra})


def delta(old, new, **hints) -> dict:
    result = compare({"k": term(old, **hints)}, {"k": term(new, **hints)})
    (change,) = result.changes
    assert change.kind == "changed"
    return change.delta


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("$5 million", "$6 million", {"difference": "1000000", "currency": "USD", "ratio": "1.2"}),
        ("$500B", "$0", {"difference": "-500000000000", "currency": "USD", "ratio": "0"}),
        ("$5 million", "€5 million", {"currency_changed": {"from": "USD", "to": "EUR"}}),
        ("$5 million", "up to $5 million", {"difference": "0", "currency": "USD", "ratio": "1", "qualifier": {"from": None, "to": "cap"}}),
        ("50%", "0%", {"points": "-50"}),
        ("12.5%", "15%", {"points": "2.5"}),
        ("45 days", "30 days", {"difference": "-15", "ratio": "0.6667"}),
        ("45 days", "6 weeks", {"unit_changed": {"from": "days", "to": "weeks"}}),
        ("[lithium, titanium]", "[titanium, uranium]", {"added": ["uranium"], "removed": ["lithium"]}),
        ("true", "false", {"from": True, "to": False}),
        ("2025-02-12", "2025-02-25", {"days": 13}),
        ("$500B", "none", {"type_changed": {"from": "money", "to": "none"}}),
    ],
)
def test_typed_delta_for_each_value_type(old, new, expected):
    assert delta(old, new) == expected


def test_choice_delta_is_from_to():
    assert delta("absent", "mentioned", hint="choice") == {"from": "absent", "to": "mentioned"}


def test_text_delta_is_a_word_level_redline():
    d = delta("disputes go to New York courts", "disputes go to Ukrainian courts")
    assert d == {"redline": [
        {"op": "equal", "text": "disputes go to"},
        {"op": "delete", "text": "New York"},
        {"op": "insert", "text": "Ukrainian"},
        {"op": "equal", "text": "courts"},
    ]}
    assert redline_text(d["redline"]) == "disputes go to [-New York-] {+Ukrainian+} courts"


def test_confidence_and_source_changes_are_reported_apart_from_the_value():
    old = term("50%", confidence="reported", sources=[{"source": "a", "quote": "half"}])
    new = term("50%", confidence="confirmed", sources=[{"source": "a", "quote": "fifty percent"}, {"source": "b"}])
    (change,) = compare({"k": old}, {"k": new}).changes
    assert change.kind == "annotated"
    assert change.delta == {}
    assert change.annotations == {
        "confidence": {"from": None, "to": "confirmed"},
        "sources": {"added": ["b"], "removed": [], "requoted": ["a"]},
    }


def test_a_value_change_also_carries_its_annotations():
    (change,) = compare({"k": term("50%")}, {"k": term("40%", confidence="disputed")}).changes
    assert change.kind == "changed" and change.delta == {"points": "-10"}
    assert change.annotations == {"confidence": {"from": None, "to": "disputed"}}


def test_renamed_from_wins_over_value_matching_and_may_change_value():
    old = {"fee": term("$1 million"), "cap": term("$1 million")}
    new = {"break_fee": term("$2 million", renamed_from="fee"), "cap": term("$1 million")}
    (change,) = compare(old, new).changes
    assert (change.kind, change.old_term, change.term) == ("renamed", "fee", "break_fee")
    assert change.delta == {"difference": "1000000", "currency": "USD", "ratio": "2"}


def test_yes_no_values_alone_never_make_a_rename():
    result = compare({"a": term("true")}, {"b": term("true")})
    assert [c.kind for c in result.changes] == ["dropped", "added"]


def test_dotted_terms_belong_to_their_group():
    (change,) = compare({"fund.governance": term("joint", hint="choice")}, {"fund.governance": term("us", hint="choice")}).changes
    assert change.group == "fund"


def test_equal_hashes_are_skipped_without_looking_at_the_terms():
    # The engine trusts stored hashes: terms absent from the mappings are never touched.
    result = compare({}, {}, {"a": "sha256:1", "b": "sha256:2"}, {"a": "sha256:1", "b": "sha256:2"})
    assert result.changes == [] and result.unchanged == 2


# --- properties ------------------------------------------------------------------------------------

VALUES = st.one_of(
    st.integers(0, 100).map(lambda n: f"{n}%"),
    st.integers(1, 10**6).map(lambda n: f"${n}"),
    st.integers(1, 400).map(lambda n: f"{n} days"),
    st.booleans(),
    st.sampled_from(["none", "2025-02-12", "2026-01-01"]),
    st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4),
    st.text(alphabet="abc xyz", min_size=1, max_size=12).filter(lambda t: t.strip() and t.strip() not in ("y", "n")).map(lambda t: f"text:{t}"),
)
KEYS = st.sampled_from(["a", "b", "c", "fund.x", "fund.y", "z"])
SHEETS = st.dictionaries(KEYS, VALUES, max_size=6).map(lambda d: {k: term(v) for k, v in d.items()})


def canonical(sheet: dict) -> dict:
    return {k: t.canonical() for k, t in sheet.items()}


@settings(max_examples=200, deadline=None)
@given(SHEETS)
def test_diff_of_a_sheet_with_itself_is_empty(a):
    result = compare(a, a)
    assert result.changes == [] and result.unchanged == len(a)


@settings(max_examples=300, deadline=None)
@given(SHEETS, SHEETS)
def test_applying_the_jsonpatch_of_a_diff_to_a_gives_b(a, b):
    result = compare(a, b)
    ops = json_patch(SimpleNamespace(result=result))
    assert jsonpatch.apply_patch(canonical(a), ops) == canonical(b)


@settings(max_examples=300, deadline=None)
@given(SHEETS, SHEETS)
def test_summary_counts_match_the_changes(a, b):
    result = compare(a, b)
    summary = result.summary()
    for kind in ("changed", "renamed", "dropped", "added", "annotated"):
        assert summary[kind] == sum(c.kind == kind for c in result.changes)
    touched_new = {c.term for c in result.changes if c.kind != "dropped"}
    assert summary["unchanged"] == len(set(b) - touched_new)


@settings(max_examples=300, deadline=None)
@given(SHEETS, st.data())
def test_declared_renames_are_never_a_drop_plus_an_add(a, data):
    if not a:
        return
    old_key = data.draw(st.sampled_from(sorted(a)))
    new_key = "renamed." + old_key.replace(".", "_")
    b = {k: t for k, t in a.items() if k != old_key}
    b[new_key] = a[old_key].model_copy(update={"renamed_from": old_key})
    kinds = {c.term: c.kind for c in compare(a, b).changes}
    assert kinds.get(new_key) == "renamed"
    assert old_key not in kinds


_KEYS = st.text(alphabet="ab.c1", max_size=14)


@given(st.lists(_KEYS, min_size=1, max_size=8, unique=True), _KEYS)
def test_a_rename_by_value_goes_to_the_most_similar_key(candidates, key):
    # The pruned search picks exactly what comparing every candidate in full picks, ties
    # broken by name.
    plain = max(candidates, key=lambda k: (difflib.SequenceMatcher(None, k, key).ratio(), k))
    assert _most_similar(candidates, key) == plain


def test_a_text_delta_keeps_its_paragraph_breaks():
    from tracker.engine.diff import redline

    assert redline("Item | Unit price\nWidget | $5\n\nGadget | $7", "Item | Unit price\nWidget | $6\nGadget | $7") == [
        {"op": "equal", "text": "Item | Unit price\nWidget |"}, {"op": "delete", "text": "$5"}, {"op": "insert", "text": "$6"},
        {"op": "equal", "text": "\nGadget | $7"},
    ]
