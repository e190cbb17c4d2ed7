"""Machine output: one JSON object per command, with a versioned ``"schema"`` field."""

from __future__ import annotations

from typing import Any

from tracker.store import DraftRecord
from tracker.termsheet import Draft, Negotiation


def draft_summary(record: DraftRecord) -> dict[str, Any]:
    h = record.header
    return {
        "id": h.id,
        "seq": record.seq,
        "hash": record.hash,
        "title": h.title,
        "tabled_by": list(h.tabled_by),
        "date": h.date.isoformat(),
        "parents": list(h.parents),
        "status": h.status,
    }


def log(negotiation: Negotiation, records: list[DraftRecord]) -> dict[str, Any]:
    return {
        "schema": "tracker.log/v1",
        "negotiation": {"id": negotiation.id, "title": negotiation.title},
        "drafts": [draft_summary(r) for r in records],
    }


def draft(record: DraftRecord, draft: Draft) -> dict[str, Any]:
    body = draft.header.model_dump(mode="json", exclude_none=True)
    body["sources"] = [s.canonical() for s in draft.sources]
    return {
        "schema": "tracker.draft/v1",
        **draft_summary(record),
        "negotiation": draft.negotiation,
        "sources": body["sources"],
        **({"notes": draft.notes} if draft.notes else {}),
        "recorded_at": record.recorded_at.isoformat() if record.recorded_at else None,
        "terms": {key: term.canonical() for key, term in draft.terms.items()},
    }


def parties(negotiation: Negotiation) -> dict[str, Any]:
    return {
        "schema": "tracker.parties/v1",
        "negotiation": negotiation.id,
        "parties": [p.model_dump(mode="json") for p in negotiation.parties],
    }


def negotiations(summaries: list[Any]) -> dict[str, Any]:
    return {
        "schema": "tracker.negotiations/v1",
        "negotiations": [
            {"id": s.negotiation.id, "title": s.negotiation.title, "parties": [p.code for p in s.negotiation.parties], "drafts": s.drafts}
            for s in summaries
        ],
    }


def _value(term: Any) -> Any:
    return None if term is None else term.value.model_dump(mode="json", exclude_none=True)


def _step_value(value: Any) -> Any:
    return None if value is None else value.model_dump(mode="json", exclude_none=True)


def change(c: Any) -> dict[str, Any]:
    a = c.attribution
    out: dict[str, Any] = {
        "term": c.term,
        "kind": c.kind,
        "old": _value(c.old),
        "new": _value(c.new),
        "delta": c.delta,
        "pushed_by": list(a.pushed_by) if a else None,
        "basis": a.basis if a else None,
        "introduced_in": a.introduced_in if a else None,
        "adopted_from": a.adopted_from if a else None,
        "steps": [
            {"draft": s.draft, "seq": s.seq, "date": s.date, "tabled_by": list(s.tabled_by), "value": _step_value(s.value)}
            for s in a.steps
        ] if a else [],
        "evidence": a.evidence if a else None,
        "stance": a.stance if a else {},
        "annotations": c.annotations,
    }
    if c.old_term:
        out["old_term"] = c.old_term
    return out


def diff(d: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": "tracker.diff/v1",
        "negotiation": d.negotiation.id,
        "from": draft_summary(d.old),
        "to": draft_summary(d.new),
        "summary": d.result.summary(),
        "changes": [change(c) for c in d.result.changes],
    }
    if d.three_way or d.base is not None:
        out["three_way"] = {
            "base": draft_summary(d.base) if d.base else None,
            "terms": [
                {"term": r.term, "base": _step_value(r.base), "old": _step_value(r.old), "new": _step_value(r.new), "moved": r.moved}
                for r in d.three_way
            ],
        }
    return out
