"""Where the parties stand: positions, gaps and convergence.

A party's position on a term is what the latest draft it tabled (alone or jointly, not
withdrawn) that *states* the term says of it: a value, or absent. Between two parties a term
is *agreed* when both have a position and the values are the same (and neither leaves it for
later), *open* when both have positions that differ, and *unaddressed* when only one has a
position; unaddressed terms are listed but never counted. Convergence is agreed ÷ (agreed +
open). The rules are ``shared/negotiation-semantics.md``'s; the model is ``view.View``'s.
"""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from tracker.history.reading import upto
from tracker.history.view import AGREED, OPEN, UNADDRESSED, Position, View
from tracker.model.quantities import Distance, distance


@dataclass
class TermPositions:
    key: str  # the term's name (its key in the latest draft that holds it)
    keys: frozenset[str]
    positions: dict[str, Position | None]  # party → position; None: it has not stated it
    status: str  # agreed | open | unaddressed
    label: str | None = None

    @property
    def aliases(self) -> list[str]:
        return sorted(self.keys - {self.key})

    def value(self, view: View, party: str) -> Any:
        p = self.positions.get(party)
        return None if p is None else view.value(p.state)


@dataclass
class Positions:
    as_of: dt.date | None
    parties: list[str]
    latest: dict[str, str | None]  # party → the latest draft it tabled (None: none yet)
    terms: list[TermPositions]

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.terms)

    def by_key(self) -> dict[str, TermPositions]:
        """Every key a term has had, to its positions."""
        return {k: t for t in self.terms for k in t.keys}


def status(view: View, keys: frozenset[str], found: Sequence[Position | None]) -> str:
    """Agreed, open or unaddressed, among the given positions (``shared/negotiation-semantics.md`` §4)."""
    if any(p is None for p in found):
        return UNADDRESSED
    if any(view.deferred(p.state) for p in found):  # type: ignore[union-attr]
        return OPEN  # explicitly left for later, however the wording reads
    # The same typed value: values are compared by their tokens (``values.token_of``), equal
    # exactly when ``quantities.same`` says the values are (``tests/test_values.py``).
    return AGREED if len({view.token(p.state, keys) for p in found}) == 1 else OPEN  # type: ignore[union-attr]


def _label(view: View, found: Sequence[Position | None]) -> str | None:
    """The term's human name, as the latest of these positions' drafts gives it."""
    for p in sorted((p for p in found if p is not None), key=lambda p: -view.rank[p.draft]):
        label = view.label_of(p.state)
        if label:
            return label
    return None


def term_positions(view: View, keys: frozenset[str], parties: Sequence[str], upto: int) -> TermPositions:
    """Every party's position on one term among the drafts ranked up to ``upto``."""
    found = {code: view.position(code, keys, upto + 1) for code in parties}
    return TermPositions(view.name(keys, upto), keys, found, status(view, keys, list(found.values())), _label(view, list(found.values())))


def positions(view: View, as_of: dt.date | None = None, parties: Sequence[str] | None = None) -> Positions:
    codes = list(parties) if parties else list(view.parties)
    last = upto(view, as_of)
    terms = []
    for keys in view.terms():
        t = term_positions(view, keys, codes, last)
        if any(p is not None for p in t.positions.values()):
            terms.append(t)
    terms.sort(key=lambda t: t.key)
    latest = {code: view.latest_tabled(code, last) for code in codes}
    return Positions(as_of, codes, latest, terms)


# --- gap and convergence ----------------------------------------------------------------------


def term_distance(view: View, keys: frozenset[str], a: Position | None, b: Position | None, order: Sequence[str] = ()) -> Distance | None:
    """How far apart two positions on a term are, in its unit; an absent term stands for its
    declared default, and without one is not a distance at all."""
    if a is None or b is None:
        return None
    prefs = view.preferences(keys)
    ranked = [(code, prefs.parties[code]) for code in [*order, *prefs.parties] if code in prefs.parties and isinstance(prefs.parties[code], tuple)] if prefs else []
    return distance(view.stands_for(a.state, keys), view.stands_for(b.state, keys), [r for _, r in ranked], [c for c, _ in ranked])


@dataclass
class GapRow:
    key: str
    keys: frozenset[str]
    a: Position | None
    b: Position | None
    distance: Distance | None
    deferred: bool = False
    label: str | None = None


@dataclass
class ConvergencePoint:
    date: dt.date
    drafts: list[str]  # drafts dated that day
    agreed: int
    open: int
    unaddressed: int
    known: bool  # both parties had tabled a draft by then
    open_terms: list[str]
    distances: dict[str, Distance]  # open terms with a typed distance

    @property
    def share(self) -> float | None:
        """Agreed ÷ (agreed + open); unaddressed terms are not counted."""
        live = self.agreed + self.open
        return round(self.agreed / live, 4) if live else None


@dataclass
class Gap:
    a: str
    b: str
    as_of: dt.date | None
    rows: list[GapRow]  # the open terms
    agreed: list[GapRow]
    unaddressed: list[GapRow]  # one side has a position, the other none: listed, not counted
    convergence: list[ConvergencePoint] = field(default_factory=list)
    latest: dict[str, str | None] = field(default_factory=dict)  # party → the latest draft it tabled (None: none yet)


def _gap_row(view: View, keys: frozenset[str], pa: Position | None, pb: Position | None, a: str, b: str, rank: int) -> tuple[str, GapRow]:
    found = [pa, pb]
    state = status(view, keys, found)
    d = term_distance(view, keys, pa, pb, (a, b)) if state == OPEN else None
    deferred = state == OPEN and (view.deferred(pa.state if pa else None) or view.deferred(pb.state if pb else None))
    return state, GapRow(view.name(keys, rank), keys, pa, pb, d, deferred, _label(view, found))


def gap(view: View, a: str, b: str, as_of: dt.date | None = None) -> Gap:
    """The terms open, agreed and unaddressed between ``a`` and ``b``, and how the share agreed
    moved draft date by date. Each term is looked at only where one party's position on it
    moved (``View.positions``); between those drafts its status holds."""
    last = upto(view, as_of)
    drafts = view.ordered[: last + 1]
    days: list[dt.date] = []
    day_of: list[int] = []  # rank → the index of its day
    for d in drafts:
        date = view.by_id[d].header.date
        if not days or days[-1] != date:
            days.append(date)
        day_of.append(len(days) - 1)
    day_end = [0] * len(days)  # each day's last rank
    for r, j in enumerate(day_of):
        day_end[j] = r
    out = Gap(a, b, as_of, [], [], [], latest={code: view.latest_tabled(code, last) for code in (a, b)})
    counts = [{AGREED: 0, OPEN: 0, UNADDRESSED: 0} for _ in days]
    open_on: list[list[tuple[str, Distance | None]]] = [[] for _ in days]
    for keys in view.terms():
        moves = sorted([(r, a, p) for r, p in view.positions(keys, a, last)] + [(r, b, p) for r, p in view.positions(keys, b, last)],
                       key=lambda m: m[0])
        if not moves:
            continue
        now: dict[str, Position | None] = {a: None, b: None}
        spans: list[tuple[int, str, Distance | None]] = []  # (first day, status, distance) as the day ends
        for k, (r, code, p) in enumerate(moves):
            now[code] = p
            if k + 1 < len(moves) and day_of[moves[k + 1][0]] == day_of[r]:
                continue  # the day's last move decides
            status_ = status(view, keys, [now[a], now[b]])
            spans.append((day_of[r], status_, term_distance(view, keys, now[a], now[b], (a, b)) if status_ == OPEN else None))
        renamed = len(keys) > 1
        name = next(iter(keys))
        for s_i, (start, status_, dist) in enumerate(spans):
            end = spans[s_i + 1][0] if s_i + 1 < len(spans) else len(days)
            counts[start][status_] += 1  # a span of days: counted where it starts and ends
            if end < len(days):
                counts[end][status_] -= 1
            if status_ == OPEN:
                for j in range(start, end):
                    open_on[j].append((view.name(keys, day_end[j]) if renamed else name, dist))
        # The positions as of the end, from each party's latest draft stating the term.
        final_status, final_row = _gap_row(view, keys, view.position(a, keys, last + 1), view.position(b, keys, last + 1), a, b, last)
        {OPEN: out.rows, AGREED: out.agreed, UNADDRESSED: out.unaddressed}[final_status].append(final_row)
    for j in range(1, len(days)):
        for key in counts[j]:
            counts[j][key] += counts[j - 1][key]
    tabled = {code: view.tabled_ranks(code) for code in (a, b)}
    for j, day in enumerate(days):
        opened = sorted(open_on[j], key=lambda x: x[0])
        out.convergence.append(ConvergencePoint(
            date=day, drafts=[d for r, d in enumerate(drafts) if day_of[r] == j],
            agreed=counts[j][AGREED], open=counts[j][OPEN], unaddressed=counts[j][UNADDRESSED],
            known=all(any(i <= day_end[j] for i in tabled[code]) for code in (a, b)),
            open_terms=[k for k, _ in opened], distances={k: dist for k, dist in opened if dist is not None},
        ))
    for rows in (out.rows, out.agreed, out.unaddressed):
        rows.sort(key=lambda r: r.key)
    return out
