"""What is learnt after a draft was recorded, turned into events (``tracker.model.events``).

``status_change``, ``evidence`` and ``correction`` check their input against the negotiation as
recorded and build the event; the store appends it to the history. Nothing recorded changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Sequence

from pydantic import ValidationError

from tracker.input.loading import describe_validation_error
from tracker.input.recording import (
    DraftEdits,
    check_dates,
    derive_draft,
    known_sources,
    parse_source,
)
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.events import Correction, Evidence, StatusChange
from tracker.model.records import DraftRecord, History, resolve_ref
from tracker.model.shorthand import ShorthandError, parse_value
from tracker.model.termsheet import CONFIDENCES, STATUSES, Draft
from tracker.model.values import value_json

if TYPE_CHECKING:  # handed a store, never opening one: the database layer sits above this one
    from tracker.db.store import Store


def target(history: History, ref: str) -> DraftRecord:
    """The draft an event is about: never one that was corrected (the event belongs to its correction)."""
    record = resolve_ref(history.records, ref)
    by = _corrected_by(history, record.id)
    if by is not None:
        raise InvalidInput(f"{record.id} (v{record.seq}) was corrected by {by}: record this about {by} instead")
    return record


def _corrected_by(history: History, draft: str) -> str | None:
    return next((e.body.by for e in history.events if e.kind == "correct" and e.body.draft == draft), None)


def _date(text: str, option: str = "--date") -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} {text!r}: expected YYYY-MM-DD") from None
    if day > dt.date.today() + dt.timedelta(days=1):
        raise InvalidInput(f"{option} {text}: more than a day in the future (today is {dt.date.today().isoformat()})")
    return day


def status_change(history: History, ref: str, status: str, date: str, sources: Sequence[str], note: str | None) -> tuple[DraftRecord, StatusChange]:
    record = target(history, ref)
    if status not in STATUSES:
        raise InvalidInput(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    day = _date(date)
    if day < record.header.date:
        raise InvalidInput(f"--date {date}: before the draft itself ({record.id} is dated {record.header.date.isoformat()})")
    changes = [e for e in history.events if e.kind == "status" and e.body.draft == record.id]
    # The status it has from the latest date; of two changes dated the same day, the later recorded.
    latest = max(changes, key=lambda e: (e.body.date, e.seq), default=None)
    latest = latest.body if latest is not None else None
    if latest is not None and (latest.status, latest.date) == (status, day) or (latest is None and status == record.header.status):
        raise InvalidInput(f"{record.id} is already {status}" + (f" from {day.isoformat()}" if latest is not None else "") + ": nothing to record")
    known = known_sources(history.negotiation, history.records, [record])
    found = [parse_source(s, history.negotiation, known) for s in sources]
    return record, StatusChange(draft=record.id, draft_hash=record.hash, status=status, date=day, sources=found, note=_note(note))  # type: ignore[arg-type]


def evidence(store: Store, history: History, ref: str, key: str, *, source: str, quote: str | None, confidence: str | None,
             value: str | None, note: str | None) -> tuple[DraftRecord, Evidence]:
    record = target(history, ref)
    stored = store.terms(record)
    if key not in stored:
        keys = ", ".join(sorted(stored)[:8]) + (", …" if len(stored) > 8 else "")
        raise NotFound(f"{record.id} (v{record.seq}) has no term {key!r} (its terms: {keys or 'none'})")
    term = stored[key]
    if confidence is not None and confidence not in CONFIDENCES:
        raise InvalidInput(f"--confidence {confidence!r}: expected one of {', '.join(CONFIDENCES)}")
    if confidence == "disputed" and value is None:
        raise InvalidInput("--confidence disputed: give the competing report's value with --value (both accounts are kept)")
    reported = None
    if value is not None:
        try:
            reported = parse_value(value, hint=term.value.type, like=term.value)
        except (ShorthandError, ValueError) as exc:
            msg = exc.errors()[0]["msg"].removeprefix("Value error, ") if hasattr(exc, "errors") else str(exc)
            raise InvalidInput(f"--value: {msg}") from None
        if value_json(reported) == value_json(term.value):
            reported = None  # the same value: a confirming report, not a competing one
    known = known_sources(history.negotiation, history.records, [record])
    cited = parse_source(source, history.negotiation, known)
    if quote is not None and not quote.strip():
        raise InvalidInput("--quote: empty; give the words the source prints, or leave --quote out")
    if reported is None and confidence is None and not quote and any(c.source == cited.id and not c.quote for c in term.sources):
        raise InvalidInput(f"{record.id}: {key} already cites {cited.id}: give a --quote, a --confidence or a --value to add")
    try:
        body = Evidence(draft=record.id, draft_hash=record.hash, term=key, term_hash=stored.stored(key)[0], source=cited,
                        quote=quote, confidence=confidence, value=reported, note=_note(note))  # type: ignore[arg-type]
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)[1]) from None
    return record, body


def correction(store: Store, history: History, ref: str, edits: DraftEdits, note: str | None, carried_over: Any) -> tuple[DraftRecord, Draft, Correction]:
    """The corrected draft: the wrong one's header and terms with the edits applied, in its
    place in the lineage (its parents, date and tablers unless the edits change them)."""
    wrong = target(history, ref)
    h = wrong.header
    taken = {r.id for r in history.records}
    default_id = next(i for i in (f"{h.id}-corrected", *(f"{h.id}-corrected-{n}" for n in range(2, 1000))) if i not in taken)
    edits = replace(
        edits, from_refs=[wrong.id], draft_id=edits.draft_id or default_id, tabled_by=edits.tabled_by or list(h.tabled_by),
        date=edits.date or h.date.isoformat(), title=edits.title or h.title, status=edits.status or h.status,
        coverage=edits.coverage or h.coverage, notes=edits.notes if edits.notes is not None else h.notes,
    )
    draft = derive_draft(store, history.negotiation, edits, carried_over=carried_over)
    parents = [resolve_ref(history.records, p) for p in h.parents]
    own = {s.id for s in draft.sources}
    data = {**draft.model_dump(), "parents": list(h.parents), "sources": [*draft.sources, *(s for s in h.sources if s.id not in own)]}
    fixed = Draft.model_validate(data)
    check_dates(fixed, parents)
    return wrong, fixed, Correction(draft=wrong.id, draft_hash=wrong.hash, by=fixed.id, by_hash="", note=_note(note))


def holding_the_mistake(store: Store, history: History, wrong: DraftRecord, fixed: Draft) -> list[tuple[DraftRecord, list[str]]]:
    """The drafts recorded on ``wrong`` that hold the terms its correction changed as ``wrong``
    had them. They state what they state (their text may really say that): correcting them too
    is the user's call, so they are only named."""
    old = store.terms(wrong)
    changed = {k for k in old if k not in fixed.terms or fixed.terms[k] != old[k]}
    out = []
    for child in (r for r in history.records if wrong.id in r.header.parents):
        mine = store.terms(child)
        same = sorted(k for k in changed if k in mine and mine.stored(k)[0] == old.stored(k)[0])
        if same:
            out.append((child, same))
    return out


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if not note:
        raise InvalidInput("--note: empty; say what the event is about, or leave --note out")
    return note
