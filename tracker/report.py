"""The change-history report of a negotiation: one structure that every report format renders.

``build`` reads the negotiation once (``history.Snapshot``), diffs each draft against its
parents with ``history.changes`` (which says exactly what ``tracker diff`` says),
and adds positions, gaps, term histories, per-party tallies and the bibliography. The JSON
form (``render.jsonout.report``) is the one every other format is drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker import history
from tracker.attribution import ABSENT
from tracker.diff import DiffResult
from tracker.history import Cited, Gap, HistoryRow, Positions, Snapshot, TermHistory
from tracker.store import DraftRecord, Store
from tracker.termsheet import Negotiation, Source


@dataclass
class DraftChanges:
    """A draft's changes against one of its parents (or, for a first draft, against nothing)."""

    record: DraftRecord
    against: DraftRecord | None
    result: DiffResult
    counted: bool  # counted in the party tallies: the diff against the first parent
    evidence: dict[str, list[Cited]] = field(default_factory=dict)  # term → citations in this draft


@dataclass
class Tally:
    party: str
    pushed: list[tuple[str, str]] = field(default_factory=list)  # (draft, term)
    conceded: list[tuple[str, str]] = field(default_factory=list)
    won: list[str] = field(default_factory=list)  # terms whose final agreed value it pushed


@dataclass
class Cite:
    source: Source
    drafts: list[str]  # the drafts that list it


@dataclass
class Report:
    negotiation: Negotiation
    drafts: list[DraftRecord]  # reading order: date, then sequence
    changes: list[DraftChanges]
    positions: Positions  # where things stand now
    gaps: list[Gap]  # one per pair of parties, with convergence over time
    histories: list[TermHistory]  # the terms that moved, with the drafts where they moved
    tallies: list[Tally]
    bibliography: list[Cite]


def build(store: Store, negotiation: Negotiation) -> Report:
    """The report (``tracker report`` builds it with the garbage collector paused, see
    ``commands/report.py``: it is millions of objects, none in a cycle)."""
    snap = Snapshot.load(store, negotiation)
    drafts = snap.ordered()
    changes = []
    for r in drafts:
        parents = snap.lineage.parents(r.id)
        if not parents:
            changes.append(DraftChanges(r, None, history.opening(snap, r), counted=True))
        for i, p in enumerate(parents):
            changes.append(DraftChanges(r, snap.by_id[p], history.changes(snap, snap.by_id[p], r), counted=i == 0))
    for dc in changes:
        dc.evidence = {c.term: history.quoted(snap, dc.record.id, c) for c in dc.result.changes}
    final = history.positions(snap)
    return Report(
        negotiation=negotiation,
        drafts=drafts,
        changes=changes,
        positions=final,
        gaps=[history.gap(snap, a, b) for a, b in history.party_pairs(negotiation)],
        histories=_histories(snap, changes),
        tallies=_tallies(snap, changes, final),
        bibliography=_bibliography(drafts),
    )


def _histories(snap: Snapshot, changes: list[DraftChanges]) -> list[TermHistory]:
    """``history.term_moves(snap, history.moved_keys(snap))``, mostly drawn from ``changes``.

    A term's row in a draft is its change against the draft's first parent (against nothing
    in a first draft), attributed over that one step. That is the change ``build`` attributed
    already, unless the term was ever renamed (``term_moves`` follows it across its keys) or
    the path from the first parent is longer (the draft also merges a descendant of it): those
    terms are left to ``term_moves``. ``tests/test_report.py`` checks the two agree.
    """
    keys = history.moved_keys(snap)
    redo = {k for k in keys if len(snap.aliases(k)) > 1}
    rows: dict[str, list[HistoryRow]] = {}
    for dc in changes:
        if not dc.counted:  # against a later parent
            continue
        if dc.against is not None and snap.lineage.path(dc.against.id, dc.record.id) != [dc.record.id]:
            redo.update(c.term for c in dc.result.changes)  # attributed along a longer path
            continue
        for c in dc.result.changes:
            if c.kind in ("added", "changed", "dropped"):
                key = None if c.kind == "dropped" else c.term
                rows.setdefault(c.term, []).append(HistoryRow(dc.record, key, c.new, c.kind, c.attribution, dc.evidence[c.term]))
    redone = iter(history.term_moves(snap, [k for k in keys if k in redo]))
    return [next(redone) if k in redo else TermHistory(k, [], rows[k]) for k in keys]


def _tallies(snap: Snapshot, changes: list[DraftChanges], final: Positions) -> list[Tally]:
    """Per party: the changes it pushed, those it conceded, and the terms it won.

    Conceded: the party tabled a draft that took up another party's value, or the change went
    against its declared preference. Won: the term ended agreed on a value the party pushed
    without every other party pushing it too (a joint text is nobody's win); an agreed absence
    counts only for a party that removed a term another party had put forward.
    """
    ends = final.by_key()
    codes = {p.code for p in snap.negotiation.parties}
    opened_by: dict[str, set[str]] = {}  # key → who tabled the first draft holding it
    previous = None
    for r in snap.ordered():  # a key first held here differs from the draft before: changed() has it
        held = snap.keys(r.id)
        for key in snap.timeline.changed(previous, r.id):
            if key in held and key not in opened_by:
                opened_by[key] = set(r.header.tabled_by)
        previous = r.id
    tallies = [Tally(p.code) for p in snap.negotiation.parties]
    won: dict[str, set[str]] = {t.party: set() for t in tallies}  # thousands of terms: searched often
    for dc in changes:
        if not dc.counted:
            continue
        held = snap.keys(dc.record.id)
        for c in dc.result.changes:
            a = c.attribution
            if a is None:
                continue
            tabled = snap.by_id[a.introduced_in].header.tabled_by
            token = snap.timeline.token(held.get(c.term))  # a dropped term is absent here
            end = ends[c.term]
            end_token = {history.AGREED: _agreed_token(end), history.DROPPED: ABSENT}.get(end.status)
            ref = (dc.record.id, c.term)
            contested = not codes <= set(a.pushed_by)
            for t in tallies:
                if t.party in a.pushed_by:
                    t.pushed.append(ref)
                    removed_theirs = token != ABSENT or t.party not in opened_by.get(c.term, set())
                    if end_token == token and contested and removed_theirs:
                        won[t.party].add(c.term)
                adopted = a.basis == "adopted" and t.party in tabled and t.party not in a.pushed_by
                if adopted or a.stance.get(t.party) == "concession":
                    t.conceded.append(ref)
    for t in tallies:
        t.won = sorted(won[t.party])
    return tallies


def _agreed_token(end: history.TermPositions) -> str | None:
    first = next(iter(end.positions.values()), None)
    return first.token if first is not None else None


def _bibliography(drafts: list[DraftRecord]) -> list[Cite]:
    found: dict[str, Cite] = {}
    for r in drafts:
        for s in r.header.sources:
            if s.id in found:
                found[s.id].drafts.append(r.id)
            else:
                found[s.id] = Cite(s, [r.id])
    return sorted(found.values(), key=lambda c: (c.source.outlet.casefold(), c.source.id))
