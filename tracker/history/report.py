"""The change-history report of a negotiation: one structure that every report format renders.

``build`` reads the negotiation once (a ``view.View``), diffs each draft against its parents
with ``compare.diff_view`` (exactly what ``tracker diff`` says), and adds positions, gaps,
the histories of the terms that moved, per-party tallies and the bibliography — all read off
the same view. The JSON form (``render.jsonout.report``) is the one every other format is
drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from tracker.db.store import Store
from tracker.engine.diff import DiffResult
from tracker.history.compare import diff_view
from tracker.history.positions import Gap, Positions, TermPositions, gap, positions
from tracker.history.reading import Cited, citations, load
from tracker.history.term_history import TermHistory, moved_terms, term_history
from tracker.history.view import AGREED, CONCESSION, View
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Negotiation, Source
from tracker.model.values import ABSENT


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
    view: View
    negotiation: Negotiation
    drafts: list[DraftRecord]  # reading order
    changes: list[DraftChanges]
    positions: Positions  # where things stand now
    gaps: list[Gap]  # per pair among the first MAX_GAP_PARTIES parties that tabled drafts, with convergence over time
    histories: list[TermHistory]  # the terms that moved, with the drafts where they moved
    tallies: list[Tally]
    bibliography: list[Cite]
    gap_pairs: int = 0  # pairs of parties that tabled drafts; those beyond MAX_GAP_PAIRS are left out


# Gaps are per pair of parties: with many parties their number grows with its square, and the
# report would grow with it (300 parties: 44,850 pairs). The report shows every pair among the
# first eight parties (in the negotiation's order) that tabled drafts — 28 pairs at most — and
# says how many it left out; `tracker gap A B` gives any pair.
MAX_GAP_PARTIES = 8


def build(store: Store, negotiation: Negotiation) -> Report:
    """The report: every draft's changes, the positions, gaps, term histories and tallies,
    all from one view of the negotiation (millions of objects, none in a cycle: the console
    script runs without the cyclic collector, see ``cli.main``)."""
    view = load(store, negotiation)
    view.terms()  # every term worked out once, for all that follows
    drafts = [view.by_id[d] for d in view.ordered]
    changes = []
    for r in drafts:
        parents = view.lineage.parents(r.id)
        if not parents:
            changes.append(DraftChanges(r, None, diff_view(view, None, r.id).result, counted=True))
        for i, p in enumerate(parents):
            changes.append(DraftChanges(r, view.by_id[p], diff_view(view, p, r.id).result, counted=i == 0))
    for dc in changes:
        dc.evidence = {c.term: citations(view, dc.record.id, c.new, c.term) for c in dc.result.changes if c.new_stated}
    final = positions(view)
    tabling = [p.code for p in negotiation.parties if view.tabled_ranks(p.code)]
    pairs = list(combinations(tabling[:MAX_GAP_PARTIES], 2))
    out = Report(
        view=view,
        negotiation=negotiation,
        drafts=drafts,
        changes=changes,
        positions=final,
        gaps=[gap(view, a, b) for a, b in pairs],
        gap_pairs=len(tabling) * (len(tabling) - 1) // 2,
        histories=[term_history(view, name, ds, moves_only=True) for name, ds in moved_terms(view)],
        tallies=_tallies(view, changes, final),
        bibliography=_bibliography(drafts, view.applied),
    )
    view.forget()  # the report holds its answers; what they were worked out from can go
    return out


def _tallies(view: View, changes: list[DraftChanges], final: Positions) -> list[Tally]:
    """Per party: the changes it pushed, the moves it conceded, and the terms it won.

    Pushed: changes against a draft's first parent that attribution credits to the party.
    Conceded: every draft the party tabled where its own position on a term moved and the move
    is a concession (``View.label``: against its own previous position; taking up another
    party's value is one) — also where the draft did not change the term against its parent.
    Won: the term ended agreed on a value the party pushed without every other party pushing it
    too (a joint text is nobody's win); an agreed absence counts only for a party that removed
    a term another party had put forward.
    """
    ends = final.by_key()
    codes = set(view.parties)
    tallies = {p: Tally(p) for p in view.parties}
    won: dict[str, set[str]] = {p: set() for p in view.parties}
    for dc in changes:
        if not dc.counted:
            continue
        for c in dc.result.changes:
            a = c.attribution
            if a is None:
                continue
            token = ABSENT if c.kind == "dropped" else view.timeline.token(view.timeline.whole(dc.record.id)[c.term])
            end = ends.get(c.term)
            end_token = _agreed_token(end) if end is not None and end.status == AGREED else None
            contested = not codes <= set(a.pushed_by)
            for party in a.pushed_by:
                if party not in tallies:
                    continue
                tallies[party].pushed.append((dc.record.id, c.term))
                if end_token == token and contested and (token != ABSENT or party not in _opened_by(view, c.term)):
                    won[party].add(end.key)  # type: ignore[union-attr]
    conceded: list[tuple[int, str, str, str]] = []  # (rank, name, party, draft)
    for keys in view.terms():
        for party in tallies:
            for r, p in view.positions(keys, party, len(view.ordered) - 1):
                if view.label(party, keys, p.draft) == CONCESSION:
                    conceded.append((r, view.name(keys, r), party, p.draft))
    for _, name, party, d in sorted(conceded):
        tallies[party].conceded.append((d, name))
    for p, t in tallies.items():
        t.won = sorted(won[p])
    return list(tallies.values())


def _agreed_token(end: TermPositions) -> str | None:
    first = next((p for p in end.positions.values() if p is not None), None)
    return first.state.token if first is not None else None


def _opened_by(view: View, key: str) -> set[str]:
    """Who tabled the first draft, in reading order, that held the term."""
    keys = view.aliases(key)
    first = next((d for d in view.ordered if (s := view.term_state(d, keys)) is not None and s.stated and s.blob is not None), None)
    return set(view.by_id[first].header.tabled_by) if first else set()


def _bibliography(drafts: list[DraftRecord], applied: Any) -> list[Cite]:
    """Every source the drafts list, and those the evidence and status changes recorded since cite."""
    found: dict[str, Cite] = {}
    later = [(e.body.draft, [e.body.source]) for found_ in applied.evidence.values() for e in found_]
    later += [(e.body.draft, list(e.body.sources)) for changes in applied.statuses.values() for e in changes]
    shown = {r.id for r in drafts}
    for draft, sources in [(r.id, r.header.sources) for r in drafts] + [(d, ss) for d, ss in later if d in shown]:
        for s in sources:
            if s.id not in found:
                found[s.id] = Cite(s, [draft])
            elif draft not in found[s.id].drafts:
                found[s.id].drafts.append(draft)
    return sorted(found.values(), key=lambda c: (c.source.outlet.casefold(), c.source.id))
