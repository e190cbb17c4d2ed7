"""Stored records made models again without validation (``model.stored``) are the very models
validation makes of the same JSON: the case study and its events as stored on both databases,
and generated values, sources, headers and negotiations. ``tracker log`` builds no validator."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import types
import typing
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import pytest
from conftest import SEEDS, Tracker, tamper
from tracker.model import stored
from tracker.model.events import Body, body_of
from tracker.model.termsheet import Negotiation
from tracker.model.values import Value, value_from_json, value_json


def assert_same(rebuilt, validated, where: str = "") -> None:  # type: ignore[no-untyped-def]
    """Equal field for field: the same types and values (``repr``: ``Decimal('5')`` is not
    ``Decimal('5.0')``, a tuple is not a list), and the same fields set."""
    assert type(rebuilt) is type(validated), where
    assert rebuilt == validated, where
    assert repr(rebuilt) == repr(validated), where
    if isinstance(validated, BaseModel):
        assert rebuilt.model_fields_set == validated.model_fields_set, where
        for name in type(validated).model_fields:
            assert_same(getattr(rebuilt, name), getattr(validated, name), f"{where}.{name}")
    elif isinstance(validated, (list, tuple)):
        for i, (a, b) in enumerate(zip(rebuilt, validated, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(validated, dict):
        assert list(rebuilt) == list(validated), where
        for key in validated:
            assert_same(rebuilt[key], validated[key], f"{where}.{key}")


def _stored_rows(url: str) -> dict[str, list[str]]:
    from sqlalchemy import select

    from tracker.db import tables as db
    from tracker.db.engine import create

    engine = create(url)
    try:
        with engine.connect() as conn:
            return {
                "negotiations": list(conn.execute(select(db.negotiations.c.document)).scalars()),
                "headers": list(conn.execute(select(db.drafts.c.header)).scalars()),
                "events": list(conn.execute(select(db.events.c.body)).scalars()),
            }
    finally:
        engine.dispose()


def test_the_case_study_and_its_events_read_back_as_validation_makes_them(tracker: Tracker, tmp_path: Path):
    tracker.ok("seed")
    tracker.ok("status", "us-revised", "withdrawn", "--date", "2025-02-23", "--source", "bloomberg-2025-02-15", "--note", "Munich")
    tracker.ok("cite", "us-revised", "revenue_share", "--source", "{id: radio, outlet: Port Radio, date: 2025-02-22}", "--value", "40%",
               "--quote", "forty per cent")
    tracker.ok("cite", "us-revised", "compensation_amount", "--source", "{id: wire, outlet: Wire}", "--confidence", "confirmed")
    tracker.ok("correct", "draft-2025-02-22", "--set", "compensation_amount=up to $400B", "--note", "misread")
    revised = (SEEDS / "negotiation.yaml").read_text(encoding="utf-8").replace("aliases: [Kyiv]", "aliases: [Kyiv, Kiev]")
    revised = revised.replace("compensation_amount: {US: higher, UA: lower}", "compensation_amount: {default: $100B, US: higher, UA: lower}")
    (tmp_path / "revised.yaml").write_text(revised, encoding="utf-8")
    tracker.ok("record", str(tmp_path / "revised.yaml"))

    rows = _stored_rows(tracker.url)
    assert len(rows["negotiations"]) == 1 and len(rows["headers"]) == 7
    assert sorted(json.loads(body)["kind"] for body in rows["events"]) == ["cite", "cite", "correct", "revise", "status"]
    for document in rows["negotiations"]:
        assert_same(stored.negotiation(json.loads(document)), Negotiation.model_validate_json(document))
    for document in rows["events"]:
        assert_same(stored.event_body(json.loads(document)), body_of(json.loads(document)))
    # What the commands show of it is what they showed before (the events are applied to the log).
    log = tracker.ok("log").stdout
    assert "corrected by draft-2025-02-22-corrected" in log and "new revision of the negotiation (2 parties" in log


@pytest.mark.parametrize("change", [
    # a number where text was (\\: is a colon in SQLAlchemy's text)
    "replace(header, '\"title\":\"Initial US draft handed over by Treasury Secretary Bessent\"', '\"title\"\\:5')",
    "replace(header, '\"tabled_by\":[\"US\"]', '\"tabled_by\":\"US\"')",  # text where a list was
    "replace(header, '\"outlet\":', '\"outlet\"\\:null,\"o\":')",  # a field a source does not have
    "replace(header, '\"date\":\"2025-02-12\"', '\"date\":\"12 Feb\"')",
    "replace(header, '\"Initial US draft handed over by Treasury Secretary Bessent\"', '\"\"')",  # text no title may be
])
def test_a_header_that_no_longer_reads_as_one_still_stops_a_read(tracker: Tracker, change: str):
    """A header is read without its hash checked, and validated: one that no longer reads as a
    header stops the read in one line."""
    tracker.ok("seed")
    tamper(tracker.url, f"UPDATE drafts SET header = {change} WHERE slug = 'us-initial'")
    result = tracker("log")
    assert (result.exit_code, result.stdout) == (7, "")
    assert result.stderr.startswith("Error: draft #") and result.stderr.endswith(
        "(v1): its stored header no longer reads as a draft header; run `tracker verify`\n")


# --- generated records ---------------------------------------------------------------------

_words = st.text(alphabet="abc xyzé日", min_size=1, max_size=12).map(str.strip).filter(bool)
_exact = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3, allow_nan=False, allow_infinity=False)
_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(dt.date.isoformat)
_values = st.one_of(
    st.builds(lambda a, c, q: {"type": "money", "amount": str(a), "currency": c, **({"qualifier": q} if q else {})},
              _exact, st.sampled_from(["USD", "EUR", "UAH", "JPY"]), st.sampled_from([None, "cap", "floor", "approximate"])),
    st.builds(lambda v: {"type": "percent", "value": str(v)}, st.decimals(min_value=0, max_value=100, places=2)),
    st.builds(lambda v, u: {"type": "number", "value": str(abs(v)), **({"unit": u} if u else {})},
              _exact, st.sampled_from([None, "days", "year", "months", "seats", "%"])),
    st.builds(lambda v: {"type": "boolean", "value": v}, st.booleans()),
    st.builds(lambda v: {"type": "choice", "value": v}, _words),
    st.builds(lambda v: {"type": "set", "items": v}, st.lists(_words, max_size=4)),
    st.builds(lambda v: {"type": "text", "value": v}, st.text(max_size=40)),
    st.builds(lambda v: {"type": "date", "value": v}, _dates),
    st.just({"type": "none"}),
)
_slugs = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True)
_sources = st.builds(
    lambda i, o, extra: {"id": i, "outlet": o, **extra}, _slugs, _words,
    st.fixed_dictionaries({}, optional={"title": _words, "date": _dates, "url": _words, "reliability": _words, "notes": st.text(max_size=20)}),
)
_preferences = st.one_of(
    st.fixed_dictionaries({"A": st.sampled_from(["higher", "lower"])}, optional={"default": _values.filter(lambda v: v["type"] in ("money", "number", "date"))}),
    st.fixed_dictionaries({"A": st.just(["yes", "no"]), "B": st.just(["no", "yes"])}, optional={"default": st.builds(lambda v: {"type": "boolean", "value": v}, st.booleans())}),
    st.fixed_dictionaries({"B": st.lists(st.sampled_from(["gold", "silver", "bronze"]), min_size=2, max_size=3, unique=True)}),
)
_negotiations = st.builds(
    lambda prefs, sources, aliases: {"id": "n", "title": "N", "parties": [{"code": "A", "name": "Alpha", "aliases": aliases}, {"code": "B", "name": "Beta"}],
                                     "preferences": prefs, "sources": sources},
    st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), _preferences, max_size=3),
    st.lists(_sources, max_size=2, unique_by=lambda s: s["id"]), st.lists(st.sampled_from(["Al", "Alf"]), max_size=2, unique=True),
)


def _as_stored(model: BaseModel) -> dict:  # type: ignore[type-arg]
    """What the store holds of a validated model: its canonical JSON, read back."""
    return json.loads(json.dumps(model.canonical() if hasattr(model, "canonical") else value_json(model)))


@settings(max_examples=300, deadline=None)
@given(_values)
def test_a_stored_value_is_the_value_validation_makes(raw):  # type: ignore[no-untyped-def]
    data = _as_stored(value_from_json(raw))
    assert_same(stored.value(data), value_from_json(data))


@settings(max_examples=150, deadline=None)
@given(_negotiations)
def test_a_stored_negotiation_is_the_negotiation_validation_makes(raw):  # type: ignore[no-untyped-def]
    data = _as_stored(Negotiation.model_validate(raw))
    assert_same(stored.negotiation(data), Negotiation.model_validate(data))


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    st.builds(lambda d, s, n: {"kind": "status", "draft": "d", "draft_hash": "sha256:x", "status": "rejected", "date": d, "sources": s,
                               **({"note": n} if n else {})}, _dates, st.lists(_sources, max_size=2), st.text(max_size=10)),
    st.builds(lambda s, v, q, c: {"kind": "cite", "draft": "d", "draft_hash": "sha256:x", "term": "t", "term_hash": "sha256:y", "source": s,
                                  **({"value": v} if v else {}), **({"quote": q} if q else {}), **({"confidence": c} if c else {})},
              _sources, st.none() | _values, st.text(max_size=10), st.sampled_from([None, "confirmed", "disputed"])),
    st.just({"kind": "correct", "draft": "d", "draft_hash": "sha256:x", "by": "e", "by_hash": "sha256:z"}),
    st.builds(lambda n: {"kind": "revise", "negotiation": n}, _negotiations),
))
def test_a_stored_event_is_the_event_validation_makes(raw):  # type: ignore[no-untyped-def]
    data = _as_stored(body_of(raw))
    assert_same(stored.event_body(data), body_of(data))


# --- every field is made as validation makes it ---------------------------------------------


def _json_is_the_value(annotation) -> bool:  # type: ignore[no-untyped-def]
    """Whether a field's value is its JSON form as stored (text, yes/no, lists of text, literals)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _json_is_the_value(args[0])
    if origin in (typing.Union, types.UnionType):
        return all(_json_is_the_value(a) for a in args)
    if origin is typing.Literal or annotation in (str, bool, int, type(None)):
        return True
    if origin is list:
        return _json_is_the_value(args[0])
    if origin is dict:
        return _json_is_the_value(args[1])
    return False  # dates, exact numbers, tuples, models


def _reached() -> set[type]:
    """Every model a stored negotiation, draft header or event holds."""
    found: set[type] = set()

    def walk(annotation) -> None:  # type: ignore[no-untyped-def]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                for field in annotation.model_fields.values():
                    walk(field.annotation)
        for arg in typing.get_args(annotation):
            walk(arg)

    for root in (Negotiation, Body, Value):
        walk(root)
    return found


def test_every_field_whose_json_is_not_its_value_has_a_conversion():
    models = _reached()
    assert models == set(stored.CONVERSIONS)
    missing = [f"{cls.__name__}.{name}" for cls in models for name, field in cls.model_fields.items()
               if not _json_is_the_value(field.annotation) and name not in stored.CONVERSIONS[cls]]
    assert missing == []


# --- what a read builds ---------------------------------------------------------------------


def test_log_builds_only_the_header_validator_and_imports_no_shorthand(tracker: Tracker, tmp_path: Path):
    """A read of stored records rebuilds them (``model.stored``): ``tracker log`` builds none of
    the models' validators but the draft header's (headers are validated as read), nor reads
    shorthand."""
    tracker.ok("seed")
    tracker.ok("status", "us-revised", "withdrawn", "--date", "2025-02-23")
    tracker.ok("cite", "us-revised", "revenue_share", "--source", "{id: radio, outlet: Port Radio}", "--value", "40%")
    code = (
        "import atexit, sys\nfrom tracker.cli import main\n"
        "def built():\n"
        "    from pydantic import BaseModel\n"
        "    todo, seen = [BaseModel], []\n"
        "    while todo:\n"
        "        for sub in todo.pop().__subclasses__():\n"
        "            todo.append(sub)\n"
        "            if sub.__module__.startswith('tracker.') and sub.__pydantic_complete__: seen.append(sub.__name__)\n"
        "    return sorted(seen)\n"
        "atexit.register(lambda: print(built(), sorted(m for m in ('tracker.model.shorthand', 'pydantic.plugin._loader') if m in sys.modules)))\n"
        "sys.argv = ['tracker', 'log']\nmain()\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "TRACKER_DB_URL": tracker.url},
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "2 events" in run.stdout
    assert run.stdout.splitlines()[-1] == "['DraftHeader'] ['pydantic.plugin._loader']"
