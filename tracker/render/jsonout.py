"""Machine output: one JSON object per command, with a versioned ``"schema"`` field.

Some 480 lines on purpose: one function per JSON document and nested record, side by side,
so that a field is named the same in every command's output (schemas: ``jsonschemas.py``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from tracker.model.values import value_json

if TYPE_CHECKING:  # renderers format plain data; they never need the store (SQLAlchemy) itself
    from tracker.model.records import DraftRecord
    from tracker.model.termsheet import Draft, Negotiation


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
        "coverage": h.coverage,
    }


def log(negotiation: Negotiation, records: list[DraftRecord], head: str, applied: Any = None) -> dict[str, Any]:
    drafts = []
    for r in records:
        d = {**draft_summary(r), "recorded_at": r.recorded_at.isoformat() if r.recorded_at else None, "recorded_by": r.recorded_by}
        if applied is not None:
            changes = applied.statuses.get(r.id)
            d["status_now"] = changes[-1].body.status if changes else r.header.status
            d["corrected_by"] = applied.corrected.get(r.id)
        drafts.append(d)
    return {
        "schema": "tracker.log/v1",
        "negotiation": {"id": negotiation.id, "title": negotiation.title},
        "drafts": drafts,
        "events": [event(e) for e in (applied.events if applied is not None else [])],
        "head": head,
    }


def event(e: Any) -> dict[str, Any]:
    return {"event": e.ref, "kind": e.kind, "after": e.after, "recorded_at": e.recorded_at.isoformat(), "recorded_by": e.recorded_by,
            "hash": e.hash, "body": e.body.canonical()}


def draft(record: DraftRecord, draft: Draft, carried: dict[str, Any] | None = None) -> dict[str, Any]:
    """A draft and the terms it states; a partial draft also lists what it carries over."""
    body = draft.header.model_dump(mode="json", exclude_none=True)
    body["sources"] = [s.canonical() for s in draft.sources]
    out = {
        "schema": "tracker.draft/v1",
        **draft_summary(record),
        "negotiation": draft.negotiation,
        "sources": body["sources"],
        **({"notes": draft.notes} if draft.notes else {}),
        "recorded_at": record.recorded_at.isoformat() if record.recorded_at else None,
        "terms": {key: term.canonical() for key, term in draft.terms.items()},
    }
    if draft.coverage == "partial":
        out["carried"] = {key: {"value": value_json(value), "from": origin} for key, (value, origin) in sorted((carried or {}).items())}
    return out


def show(negotiation: Negotiation, record: DraftRecord, draft_: Draft, *, carried: dict[str, Any] | None = None,
         events: Sequence[Any] = ()) -> dict[str, Any]:
    """``tracker show``: a draft, and what was recorded about it since."""
    return {**draft(record, draft_, carried), "events": [event(e) for e in events]}


def verify(summary: Any) -> dict[str, Any]:
    """``tracker verify``: what was checked, and every problem found."""
    return {
        "schema": "tracker.verify/v1",
        "ok": not summary.problems,
        "negotiations": summary.negotiations,
        "drafts": summary.drafts,
        "events": summary.events,
        "terms": summary.terms,
        "heads": summary.heads,
        "problems": [
            {"negotiation": p.negotiation, "draft": p.draft, "seq": p.seq, "term": p.term, "message": p.message}
            for p in summary.problems
        ],
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


def _step_value(value: Any) -> Any:
    """A typed value's canonical JSON, or None where the term is absent."""
    return None if value is None else value_json(value)


def _value(term: Any) -> Any:
    return _step_value(None if term is None else term.value)


def _reports(term: Any) -> list[dict[str, Any]] | None:
    """A disputed term's competing accounts, each with its value's text (None for an
    undisputed term): wherever a disputed value is shown, the other accounts are too."""
    if term is None or not term.reports:
        return None
    return [{**r.canonical(), "text": r.value.short()} for r in term.reports]


def change(c: Any) -> dict[str, Any]:
    a = c.attribution
    out: dict[str, Any] = {
        "term": c.term,
        "label": c.label,
        "kind": c.kind,
        "old": _value(c.old),
        "new": _value(c.new),
        "old_stated": c.old_stated,
        "new_stated": c.new_stated,
        "carried_from": c.carried_from,
        "old_reports": _reports(c.old),
        "new_reports": _reports(c.new),
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
        "schema": "tracker.diff/v2",
        "negotiation": d.negotiation.id,
        "from": draft_summary(d.old) if d.old is not None else None,
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


# --- history: blame, term history, positions, gap (tracker.history data) --------------------


def _text(value: Any) -> str | None:
    return None if value is None else value.short()


def cited(c: Any) -> dict[str, Any]:
    out = {"source": c.source, "outlet": c.outlet, "quote": c.quote}
    if c.url:
        out["url"] = c.url
    if c.date:
        out["date"] = c.date.isoformat()
    if c.event:
        out["event"] = c.event
    return out


def attribution(a: Any) -> dict[str, Any]:
    return {
        "pushed_by": list(a.pushed_by),
        "basis": a.basis,
        "introduced_in": a.introduced_in,
        "adopted_from": a.adopted_from,
        "evidence": a.evidence,
        "stance": a.stance,
    }


def blame(b: Any, *, negotiation: Negotiation) -> dict[str, Any]:
    return {
        "schema": "tracker.blame/v2",
        "negotiation": negotiation.id,
        "draft": draft_summary(b.record),
        "terms": [
            {
                "term": line.key,
                "label": line.term.label,
                "value": _step_value(line.value),
                "text": _text(line.value),
                "stated": line.stated,
                "reports": _reports(line.term),
                "from": {"id": line.draft, "seq": line.seq, "date": line.date.isoformat(), "tabled_by": list(line.tabled_by), "key": line.first_key,
                         "left_out": line.left_out},
                **attribution(line.attribution),
                "sources": [cited(c) for c in line.sources],
            }
            for line in b.lines
        ],
    }


def _state_value(state: Any, term: Any) -> Any:
    """The value a draft's state shows: its term's, or none where the text left it out."""
    if state is None:
        return None
    return value_json(term.value) if term is not None else {"type": "none"}


def history_row(row: Any) -> dict[str, Any]:
    term, state = row.term, row.state
    value = _state_value(state, term)
    return {
        **draft_summary(row.record),
        "key": row.key,
        "event": row.event,
        "stated": state.stated if state is not None else None,
        "carried_from": state.origin if state is not None and not state.stated else None,
        "value": value,
        "text": (term.value.short() if term is not None else "none") if state is not None else None,
        "confidence": term.confidence if term is not None else None,
        "deferred": term.deferred if term is not None else False,
        "reports": _reports(term),
        "attribution": attribution(row.attribution) if row.attribution else None,
        "moves": row.moves,
        "sources": [cited(c) for c in row.sources],
    }


def term_history(h: Any, *, negotiation: Negotiation) -> dict[str, Any]:
    return {
        "schema": "tracker.history/v2",
        "negotiation": negotiation.id,
        "term": h.key,
        "label": h.label,
        "aliases": h.aliases,
        "drafts": [history_row(r) for r in h.rows],
    }


def position(view: Any, p: Any) -> dict[str, Any] | None:
    """A party's position: the draft that states it and what it says (absent: left out)."""
    if p is None:
        return None
    term = view.term(p.state)
    value = view.value(p.state)
    return {
        "draft": p.draft,
        "date": view.by_id[p.draft].header.date.isoformat(),
        "key": p.state.key,
        "value": value_json(value),
        "text": value.short(),
        "absent": p.state.absent,
        "deferred": bool(term is not None and term.deferred),
        "confidence": term.confidence if term is not None else None,
        "reports": _reports(term),
    }


STATUSES = ("agreed", "open", "unaddressed")


def positions(view: Any, p: Any) -> dict[str, Any]:
    return {
        "schema": "tracker.positions/v2",
        "negotiation": view.negotiation.id,
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "parties": p.parties,
        "latest": p.latest,
        "counts": {s: p.count(s) for s in STATUSES},
        "terms": [
            {"term": t.key, "label": t.label, "aliases": t.aliases, "status": t.status,
             "positions": {c: position(view, t.positions[c]) for c in p.parties}}
            for t in p.terms
        ],
    }


def distance(d: Any) -> dict[str, Any] | None:
    if d is None:
        return None
    from tracker.model.values import canonical_decimal

    out = {"kind": d.kind, "amount": canonical_decimal(d.amount), "text": d.text()}
    if d.kind == "money":
        out["currency"] = d.unit
    elif d.kind in ("number", "duration") and d.unit:
        out["unit"] = d.unit
    elif d.kind == "rank":
        out["ranking_of"] = d.unit
        out["steps"] = d.steps
    if d.approximate:
        out["approximate"] = True
    return out


def gap(view: Any, g: Any) -> dict[str, Any]:
    def row(r: Any) -> dict[str, Any]:
        return {"term": r.key, "label": r.label, "positions": {g.a: position(view, r.a), g.b: position(view, r.b)}}

    return {
        "schema": "tracker.gap/v2",
        "negotiation": view.negotiation.id,
        "as_of": g.as_of.isoformat() if g.as_of else None,
        "parties": [g.a, g.b],
        "counts": {"open": len(g.rows), "agreed": len(g.agreed), "unaddressed": len(g.unaddressed)},
        "share": g.convergence[-1].share if g.convergence else None,
        "open": [{**row(r), "distance": distance(r.distance), "deferred": r.deferred} for r in g.rows],
        "agreed": [row(r) for r in g.agreed],
        "unaddressed": [{**row(r), "addressed_by": [c for c, p in ((g.a, r.a), (g.b, r.b)) if p is not None]} for r in g.unaddressed],
        "convergence": [
            {
                "date": c.date.isoformat(), "drafts": c.drafts, "known": c.known,
                "agreed": c.agreed, "open": c.open, "unaddressed": c.unaddressed, "share": c.share,
                "open_terms": c.open_terms, "distances": {k: distance(d) for k, d in c.distances.items()},
            }
            for c in g.convergence
        ],
    }


# --- the change-history report (tracker.history.report data): every report format renders this ------


def report(rep: Any) -> dict[str, Any]:
    """The report's JSON form, the one every format renders.

    ``rep`` is taken apart on the way: its term histories, then its change blocks one by one,
    are dropped as soon as their JSON form exists, so the report objects and their JSON form
    (each about 100 MB for a large negotiation) never both exist whole. The change blocks go
    last: until the histories are gone, those share their terms and attributions.
    """
    neg = rep.negotiation
    drafts = rep.drafts
    applied = rep.view.applied  # status changes, evidence and corrections recorded since
    recorded = {r.id: r for r in applied.stored}
    counts = {s: rep.positions.count(s) for s in STATUSES}
    latest = drafts[-1] if drafts else None
    names = {p.code: p.name for p in neg.parties}
    out = {
        "schema": "tracker.report/v2",
        "negotiation": {
            "id": neg.id, "title": neg.title, "notes": neg.notes,
            "parties": [p.model_dump(mode="json") for p in neg.parties],
        },
        "summary": {
            "parties": [p.code for p in neg.parties],
            "first_date": drafts[0].header.date.isoformat() if drafts else None,
            "last_date": latest.header.date.isoformat() if latest else None,
            "drafts": len(drafts),
            "latest": draft_summary(latest) if latest else None,
            "counts": counts,
            "gap_pairs": {"shown": len(rep.gaps), "of": rep.gap_pairs},
        },
        "timeline": [
            {**draft_summary(r), "sources": [s.id for s in r.header.sources], "notes": r.header.notes,
             "status_recorded": recorded[r.id].header.status,
             "status_history": [{"status": e.body.status, "date": e.body.date.isoformat(), "event": e.ref, "note": e.body.note,
                                 "sources": [s.id for s in e.body.sources]} for e in applied.statuses.get(r.id, [])],
             "later_evidence": [{"event": e.ref, "term": e.body.term, "source": e.body.source.id, "outlet": e.body.source.outlet,
                                 "quote": e.body.quote, "confidence": e.body.confidence,
                                 "value": e.body.value.short() if e.body.value is not None else None,
                                 "recorded_at": e.recorded_at.date().isoformat(), "recorded_by": e.recorded_by}
                                for (d, _), found in sorted(applied.evidence.items()) if d == r.id for e in found],
             "corrects": next((c for c, by in applied.corrected.items() if by == r.id), None)}
            for r in drafts
        ],
        "changes": [],  # made last, below
        "parties": [
            {
                "code": t.party, "name": names[t.party],
                "pushed": [{"draft": d, "term": k} for d, k in t.pushed],
                "conceded": [{"draft": d, "term": k} for d, k in t.conceded],
                "won": t.won,
            }
            for t in rep.tallies
        ],
        "histories": [
            {"term": h.key, "label": h.label, "aliases": h.aliases, "drafts": [_slim(history_row(r)) for r in h.rows]}
            for h in _taken(rep.histories)
        ],
        "positions": {k: v for k, v in positions(rep.view, rep.positions).items() if k not in ("schema", "negotiation")},
        "gaps": [{k: v for k, v in gap(rep.view, g).items() if k not in ("schema", "negotiation")} for g in rep.gaps],
        "bibliography": [{**c.source.canonical(), "cited_by": c.drafts} for c in rep.bibliography],
    }
    out["changes"] = [_change_block(dc) for dc in _taken(rep.changes)]
    return out


def report_text(data: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"``, the JSON report, in pieces:
    each section's entries encoded on their own, never the whole text (tens of MB, and many
    times that while it is encoded) at once."""
    yield from _indented(data, 2, "")
    yield "\n"


def _indented(value: Any, depth: int, margin: str) -> Iterator[str]:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` as it reads ``margin`` in, cut into
    pieces ``depth`` levels down (the keys are strings; no JSON text holds a raw newline, so
    indenting its lines is indenting it)."""
    inner = margin + "  "
    if depth and isinstance(value, dict) and value:
        for i, (key, item) in enumerate(value.items()):
            yield ("{\n" if i == 0 else ",\n") + inner + json.dumps(key, ensure_ascii=False) + ": "
            yield from _indented(item, depth - 1, inner)
        yield "\n" + margin + "}"
    elif depth and isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield ("[\n" if i == 0 else ",\n") + inner
            yield from _indented(item, depth - 1, inner)
        yield "\n" + margin + "]"
    else:
        yield json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + margin)


def _taken(items: list[Any]) -> Iterator[Any]:
    """The items of a list in order, each dropped from the list as it is handed out."""
    items.reverse()
    while items:
        yield items.pop()


def _change_block(dc: Any) -> dict[str, Any]:
    """A draft's changes against one parent (``report.DraftChanges``)."""
    from tracker.render.text import describe_delta

    def report_change(c: Any) -> dict[str, Any]:
        return {
            **change(c),
            "old_text": _text(c.old.value) if c.old is not None else None,
            "new_text": _text(c.new.value) if c.new is not None else None,
            "delta_text": describe_delta(c),
            "quotes": [cited(q) for q in dc.evidence.get(c.term, [])],
        }

    return {
        "draft": dc.record.id,
        "against": dc.against.id if dc.against else None,
        "summary": dc.result.summary(),
        "changes": [report_change(c) for c in dc.result.changes],
    }


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    """A history row without the draft details the report's timeline already gives."""
    for key in ("hash", "title", "parents", "status", "coverage"):
        del row[key]
    return row
