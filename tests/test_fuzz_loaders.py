"""Fuzzing the loaders and the shorthand parser with hypothesis.

Whatever arrives, loading either succeeds or raises a TrackerError (one line, no traceback), and
the shorthand parser either returns a typed value or raises ValueError. Whatever loads must
survive its own canonical form unchanged, since hashes are computed from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.input.loading import (
    build_draft,
    build_negotiation,
    document_from_text,
    read_document,
)
from tracker.model.errors import TrackerError
from tracker.model.shorthand import parse_value
from tracker.model.termsheet import Draft
from tracker.model.values import VALUE_TYPES, value_from_json, value_json

SAMPLE = Path(__file__).parent / "sample"
NEGOTIATION = build_negotiation(read_document(SAMPLE / "negotiation.yaml"))
EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "300"))  # raise it for a long hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of shorthand, glued together at random: the parser's own vocabulary is where bugs hide.
SHORTHAND_PIECES = st.sampled_from([
    "0", "1", "5", "12", "100", "1,000", "1.5", "0.25", ",", ".", "-", "+", " ", "%", "$", "€", "£", "¥", "₴",
    "US$", "C$", "kr", "zł", "USD", "EUR", "XYZ", "abc", "m", "M", "bn", "B", "k", "million", "billion", "trillion",
    "days", "years", "percent", "pct", "up to ", "at least ", "about ", "~", "true", "no", "none", "null", "[", "]",
    "a, b", "2025-02-12", "12/02/2025", "T10:00", "text:", "choice:", "money:", "percent:", "number:", "date:",
    "none:", "set:", "NaN", "inf", "Infinity", "e", "1e5", "_", "'", '"', "\n", "\t", "\u200f", "🇺🇦", "٣", "1" * 25,
])
shorthand = st.lists(SHORTHAND_PIECES, min_size=1, max_size=8).map("".join) | st.text(max_size=40)
hints = st.sampled_from([None, *VALUE_TYPES])


@FUZZ
@given(shorthand, hints)
def test_parse_value_returns_a_value_or_raises_value_error(text, hint):
    try:
        value = parse_value(text, hint=hint)
    except ValueError:
        return
    assert value.type in VALUE_TYPES
    assert value_from_json(value_json(value)) == value
    assert isinstance(value.short(), str)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), shorthand, st.dates().map(str),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(["value", "type", "label", "sources", "terms", "kind", "id"]))
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=25)


@FUZZ
@given(st.text(max_size=300), st.booleans())
def test_any_text_loads_or_raises_a_tracker_error(text, is_json):
    _load(text, is_json)


@FUZZ
@given(documents, st.booleans())
def test_any_structure_loads_or_raises_a_tracker_error(data, as_json):
    text = json.dumps(data, allow_nan=True) if as_json else yaml.safe_dump(data, allow_unicode=True)
    _load(text, as_json)


value_specs = st.one_of(
    shorthand,
    st.integers(), st.decimals(allow_nan=False, places=4).map(str), st.booleans(), st.none(),
    st.lists(st.text(max_size=8), max_size=3),
    st.fixed_dictionaries(
        {"type": st.sampled_from(VALUE_TYPES)},
        optional={"value": scalars, "amount": scalars, "currency": st.sampled_from(["USD", "EUR", "ABC", "usd", ""]),
                  "items": st.lists(scalars, max_size=3), "unit": scalars, "qualifier": scalars},
    ),
)
terms = st.dictionaries(
    st.from_regex(r"[A-Za-z0-9_-]{1,8}(\.[a-z]{1,4})?", fullmatch=True) | st.text(max_size=6),
    st.fixed_dictionaries({"value": value_specs}, optional={"type": hints, "label": st.text(max_size=10),
                                                            "confidence": st.sampled_from(["reported", "disputed", "bogus"])}),
    max_size=6,
)


@FUZZ
@given(terms, st.sampled_from([["A"], ["B"], ["A", "B"], ["C"], []]))
def test_any_draft_builds_or_raises_a_tracker_error_and_what_builds_is_canonical(terms, tabled_by):
    doc = {"kind": "draft", "negotiation": "acme-merger", "id": "fuzz", "title": "Fuzz", "tabled_by": tabled_by,
           "date": "2025-03-01", "terms": terms}
    try:
        draft = build_draft(document_from_text(json.dumps(doc, default=str), "fuzz.json", is_json=True), NEGOTIATION)
    except TrackerError as exc:
        _one_line(exc)
        return
    # Stored and hashed in canonical form: reading that back must give the same draft.
    assert Draft.model_validate(draft.canonical()) == draft
    assert Draft.model_validate_json(json.dumps(draft.canonical())).canonical() == draft.canonical()


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".json", ".yml"]))
def test_any_bytes_in_a_file_load_or_raise_a_tracker_error(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(raw)
    try:
        doc = read_document(path)
    except TrackerError as exc:
        _one_line(exc)
        return
    _build(doc)


def _load(text: str, is_json: bool) -> None:
    try:
        doc = document_from_text(text, "fuzz.json" if is_json else "fuzz.yaml", is_json=is_json)
    except TrackerError as exc:
        _one_line(exc)
        return
    _build(doc)


def _build(doc) -> None:  # type: ignore[no-untyped-def]
    try:
        if doc.kind == "negotiation":
            build_negotiation(doc)
        else:
            build_draft(doc, NEGOTIATION)
    except TrackerError as exc:
        _one_line(exc)


def _one_line(exc: TrackerError) -> None:
    assert "\n" not in str(exc) and str(exc).strip(), repr(str(exc))
