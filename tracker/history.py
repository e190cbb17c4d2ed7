"""Blame, term histories, positions and gaps: where each term came from, where the parties stand.

Everything here is plain data read off one :class:`~tracker.view.View` of a negotiation (the
position model of ``shared/negotiation-semantics.md``), with who pushed what from
``attribution`` — so these answers always agree with ``tracker diff``. Nothing here writes to
the database.

Positions: a party's position on a term is what the latest draft it tabled (alone or jointly,
not withdrawn) that *states* the term says of it: a value, or absent. Between two parties a
term is *agreed* when both have a position and the values are the same (and neither leaves it
for later), *open* when both have positions that differ, and *unaddressed* when only one has a
position; unaddressed terms are listed but never counted. Convergence is agreed ÷ (agreed +
open).
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterator, Sequence

from tracker.attribution import BEFORE, attribute_along
from tracker.diff import Attribution
from tracker.errors import InvalidInput, NotFound
from tracker.quantities import Distance, distance, same
from tracker.store import DraftRecord, Store, resolve_ref
from tracker.termsheet import Citation, Negotiation, Term
from tracker.timeline import Timeline
from tracker.view import AGREED, OPEN, UNADDRESSED, Board, Position, State, View, _with_default


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a whole negotiation sits in memory.

    What is built here is acyclic (reference counting frees it), but its many objects make
    every full collection scan them all: for a large negotiation that costs more than the
    work itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(store: Store, negotiation: Negotiation) -> View:
    """The negotiation's view, read in one pass."""
    with gc_paused():
        return View(negotiation, Timeline(store, store.log(negotiation.id)))


@dataclass(frozen=True)
class Cited:
    """A citation with its source looked up in the draft's and the negotiation's bibliography."""

    source: str
    outlet: str | None
    quote: str | None
    url: str | None = None
    date: dt.date | None = None


def cite(view: View, draft: str, citation: Citation) -> Cited:
    source = next((s for s in view.by_id[draft].header.sources if s.id == citation.source), None)
    source = source or view.negotiation.source(citation.source)
    if source is None:
        return Cited(citation.source, None, citation.quote)
    return Cited(citation.source, source.outlet, citation.quote, source.url, source.date)


def citations(view: View, draft: str, term: Term | None) -> list[Cited]:
    return [] if term is None else [cite(view, draft, c) for c in term.sources]


def known_key(view: View, key: str) -> None:
    if key in view.all_keys:
        return
    close = difflib.get_close_matches(key, sorted(view.all_keys), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise NotFound(f"unknown term {key!r}: no draft of {view.negotiation.id} has it{hint}")


def upto(view: View, as_of: dt.date | None) -> int:
    """The rank of the last draft dated on or before ``as_of`` (-1: none yet)."""
    if as_of is None:
        return len(view.ordered) - 1
    dates = [view.by_id[d].header.date for d in view.ordered]
    return bisect_right(dates, as_of) - 1


# --- blame ------------------------------------------------------------------------------------


@dataclass
class BlameLine:
    key: str
    term: Term  # the term as the blamed draft holds (or carries) it
    stated: bool  # False: the blamed draft only carries it over, unconfirmed
    draft: str  # where the value was introduced in the draft's lineage
    seq: int
    date: dt.date
    tabled_by: tuple[str, ...]
    first_key: str  # the key the value had there (differs after a rename)
    attribution: Attribution
    sources: list[Cited]

    @property
    def value(self) -> Any:
        return self.term.value


@dataclass
class Blame:
    record: DraftRecord
    lines: list[BlameLine]


def blame(view: View, ref: str) -> Blame:
    """For each term of draft ``ref``: the draft, party and sources that gave it its value."""
    record = resolve_ref(view.timeline.records, ref)
    lineage, tl = view.lineage, view.timeline
    path = lineage.order(lineage.ancestors(record.id) | {record.id})
    with gc_paused():
        tl.prefetch(tl.blobs())  # every term's value is compared somewhere on the path
        held = {k: State(k, b, tl.token(b), True, record.id) for k, b in tl.manifests[record.id].items()}
        shown = {**{k: s for k, s in view.carried(record.id).items() if s.blob is not None}, **held}
        found = []
        for key in sorted(shown):
            state = shown[key]
            keys = view.aliases(key)
            # A carried term's value is what its origin stated: attribute it there.
            own_path = path if state.stated else path[: path.index(state.origin) + 1]
            a = attribute_along(view, keys, own_path, BEFORE)
            if a is None:
                continue
            origin = view.term_state(a.introduced_in, keys)
            found.append((key, state, a, origin))
        terms = tl.terms([s.blob for _, s, _, _ in found] + [o.blob for *_, o in found if o is not None and o.blob is not None])
        lines = []
        for key, state, a, origin in found:
            r = view.by_id[a.introduced_in]
            term = terms.get(origin.blob) if origin is not None and origin.blob is not None else None
            sources = citations(view, r.id, term)
            pushed = term.pushed_by if term is not None else None
            if a.basis == "explicit" and pushed and pushed.source and pushed.source not in {c.source for c in sources}:
                sources.append(cite(view, r.id, Citation(source=pushed.source)))
            lines.append(
                BlameLine(
                    key=key, term=terms[state.blob], stated=state.stated, draft=r.id, seq=r.seq,  # type: ignore[index]
                    date=r.header.date, tabled_by=tuple(r.header.tabled_by),
                    first_key=origin.key if origin is not None else key, attribution=a, sources=sources,
                )
            )
    return Blame(record, lines)


# --- term history -----------------------------------------------------------------------------

# What a draft did to a term, against its first parent. "carried": the draft (partial) does
# not state it and carries it over unconfirmed; "unknown": the draft says nothing of it.
EVENTS = ("added", "changed", "renamed", "dropped", "unchanged", "absent", "carried", "unknown")
MOVES = ("added", "changed", "renamed", "dropped")


@dataclass
class HistoryRow:
    record: DraftRecord
    state: State | None
    term: Term | None  # the stored term (None where the draft leaves it out or says nothing)
    event: str  # one of EVENTS
    attribution: Attribution | None  # for added / changed / dropped
    sources: list[Cited]
    # Each tabling party whose position on the term moved in this draft: its label
    # (opening, concession, hardening, neutral), even where the draft did not change the term
    # against its parent (a joint text that keeps a clause one party had asked to drop).
    moves: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        return self.state.key if self.state is not None and self.state.blob is not None else None

    @property
    def value(self) -> Any:
        return None if self.term is None else self.term.value


@dataclass
class TermHistory:
    key: str
    aliases: list[str]  # other keys the term has had
    rows: list[HistoryRow]

    @property
    def label(self) -> str | None:
        return next((r.term.label for r in reversed(self.rows) if r.term is not None and r.term.label), None)


def _event(view: View, keys: frozenset[str], state: State | None, before: State | None) -> str:
    """What a draft did to a term against its first parent. Values are compared as the view
    compares them: a term left out stands for its declared default, if it has one."""
    if state is None:
        return "unknown"
    if not state.stated:
        return "carried"
    prefs = view.preferences(keys)
    defaulted = prefs is not None and prefs.default is not None
    had = before is not None and (defaulted or not before.absent)
    if state.absent and not defaulted:
        return "dropped" if had else "absent"
    if not had:
        return "added"
    if view.token(state, keys) != view.token(before, keys):
        return "changed"
    return "renamed" if state.key != before.key and state.blob is not None and before.blob is not None else "unchanged"  # type: ignore[union-attr]


def term_history(view: View, key: str, drafts: Sequence[str] | None = None, *, moves_only: bool = False) -> TermHistory:
    """The term in every draft of the negotiation (all branches, reading order), or in
    ``drafts`` only; with ``moves_only``, just the drafts where it moved."""
    keys = view.aliases(key)
    rows = []
    for d in drafts if drafts is not None else view.ordered:
        parents = view.lineage.parents(d)
        parent = parents[0] if parents else BEFORE
        state = view.term_state(d, keys)
        event = _event(view, keys, state, view.term_state(parent, keys) if parent else None)
        if moves_only and event not in MOVES:
            continue
        a = attribute_along(view, keys, [d], parent) if event in ("added", "changed", "dropped") else None
        term = view.term(state)
        stated = state is not None and state.stated
        moves = view.moves(d, keys) if stated else {}
        rows.append(HistoryRow(view.by_id[d], state, term, event, a, citations(view, d, term) if stated else [], moves))
    return TermHistory(key, sorted(keys - {key}), rows)


def moved_terms(view: View) -> list[tuple[str, list[str]]]:
    """The terms whose stated value moved after they first appeared, each with the drafts
    where it may have moved (those whose own stored rows touch one of its keys, or that do not
    build on their first parent's rows); named by the key of the latest draft holding it."""
    tl = view.timeline
    touched: dict[str, set[str]] = {}
    loose: list[str] = []  # drafts whose changes against their first parent are not their own rows
    for d in view.ordered:
        parents = view.lineage.parents(d)
        if not parents or len(parents) > 1 or not view._is_base(parents[0], d) or view.carried(d) or view.carried(parents[0]):
            loose.append(d)
            continue
        for key in tl.own[d]:
            touched.setdefault(key, set()).add(d)
    out = []
    done: set[str] = set()
    rank = view.rank
    for key in sorted(view.all_keys):
        if key in done:
            continue
        keys = view.aliases(key)
        done |= keys
        drafts = set(loose)
        for k in keys:
            drafts |= touched.get(k, set())
        seen = False
        moved = False
        for d in sorted(drafts, key=rank.__getitem__):
            parents = view.lineage.parents(d)
            event = _event(view, keys, view.term_state(d, keys), view.term_state(parents[0], keys) if parents else None)
            if event in MOVES:
                if seen:
                    moved = True
                    break
                seen = True
        if moved:
            out.append((view.name(keys), sorted(drafts, key=rank.__getitem__)))
    return sorted(out)


# --- positions --------------------------------------------------------------------------------


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
    prefs = view.preferences(keys)
    default = prefs.default if prefs else None
    values = [_with_default(view.value(p.state), default) for p in found]  # type: ignore[union-attr]
    return AGREED if all(same(values[0], v) for v in values[1:]) else OPEN


def _label(view: View, keys: frozenset[str], found: dict[str, Position | None]) -> str | None:
    for p in sorted((p for p in found.values() if p is not None), key=lambda p: -view.rank[p.draft]):
        term = view.term(p.state)
        if term is not None and term.label:
            return term.label
    return None


def _terms_of(view: View, board: Board) -> list[tuple[str, frozenset[str]]]:
    """(name, keys) of every term some party has a position on."""
    keys: set[str] = set()
    for drafts in board.drafts.values():
        keys.update(drafts)
    out = []
    seen: set[str] = set()
    for key in sorted(keys):
        if key in seen:
            continue
        group = view.aliases(key)
        seen |= group
        out.append((key, group))
    return out


def term_positions(view: View, board: Board, keys: frozenset[str], rank: int) -> TermPositions:
    found = {code: board.position(code, keys) for code in board.parties}
    known = [p for p in found.values() if p is not None]
    return TermPositions(view.name(keys, rank), keys, found, status(view, keys, known) if len(known) == len(found) else UNADDRESSED, _label(view, keys, found))


def positions(view: View, as_of: dt.date | None = None, parties: Sequence[str] | None = None) -> Positions:
    codes = list(parties) if parties else list(view.parties)
    rank = upto(view, as_of)
    with gc_paused():
        board = view.positions_at(rank, codes)
        terms = [term_positions(view, board, keys, rank) for _, keys in _terms_of(view, board)]
    terms.sort(key=lambda t: t.key)
    return Positions(as_of, codes, dict(board.latest), terms)


# --- gap and convergence ----------------------------------------------------------------------


def term_distance(view: View, keys: frozenset[str], a: Position | None, b: Position | None, order: Sequence[str] = ()) -> Distance | None:
    """How far apart two positions on a term are, in its unit; an absent term stands for its
    declared default, and without one is not a distance at all."""
    if a is None or b is None:
        return None
    prefs = view.preferences(keys)
    default = prefs.default if prefs else None
    ranked = [(code, prefs.parties[code]) for code in [*order, *prefs.parties] if code in prefs.parties and isinstance(prefs.parties[code], tuple)] if prefs else []
    return distance(
        _with_default(view.value(a.state), default), _with_default(view.value(b.state), default),
        [r for _, r in ranked], [c for c, _ in ranked],
    )


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
    known: bool  # both parties had a position on something by then
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


def _gap_row(view: View, board: Board, keys: frozenset[str], rank: int, a: str, b: str) -> tuple[str, GapRow]:
    t = term_positions(view, board, keys, rank)
    pa, pb = t.positions[a], t.positions[b]
    d = term_distance(view, keys, pa, pb, (a, b)) if t.status == OPEN else None
    deferred = t.status == OPEN and (view.deferred(pa.state if pa else None) or view.deferred(pb.state if pb else None))
    return t.status, GapRow(t.key, keys, pa, pb, d, deferred, t.label)


def gap(view: View, a: str, b: str, as_of: dt.date | None = None) -> Gap:
    """The terms open, agreed and unaddressed between ``a`` and ``b``, and how the share agreed
    moved draft date by date. Each day only the terms whose positions moved are looked at again
    (``Board.add`` says which)."""
    last = upto(view, as_of)
    with gc_paused():
        board = Board(view, [a, b])
        rows: dict[frozenset[str], tuple[str, GapRow]] = {}
        out = Gap(a, b, as_of, [], [], [])
        drafts = view.ordered[: last + 1]
        i = 0
        while i < len(drafts):
            day = view.by_id[drafts[i]].header.date
            on_day = []
            moved: set[str] = set()
            while i < len(drafts) and view.by_id[drafts[i]].header.date == day:
                moved |= board.add(drafts[i])
                on_day.append(drafts[i])
                i += 1
            rank = i - 1
            for key in moved:
                keys = view.aliases(key)
                rows[keys] = _gap_row(view, board, keys, rank, a, b)
            if any(len(k) > 1 for k in rows):  # a renamed term's name may change with any draft
                for keys in [k for k in rows if len(k) > 1 and not (k & moved)]:
                    status_, row = rows[keys]
                    row.key = view.name(keys, rank)
            counts = {AGREED: 0, OPEN: 0, UNADDRESSED: 0}
            open_terms, distances = [], {}
            for status_, row in rows.values():
                counts[status_] += 1
                if status_ == OPEN:
                    open_terms.append(row.key)
                    if row.distance is not None:
                        distances[row.key] = row.distance
            open_terms.sort()
            out.convergence.append(ConvergencePoint(
                date=day, drafts=on_day, agreed=counts[AGREED], open=counts[OPEN], unaddressed=counts[UNADDRESSED],
                known=board.latest[a] is not None and board.latest[b] is not None,
                open_terms=open_terms, distances={k: distances[k] for k in open_terms if k in distances},
            ))
        for status_, row in sorted(rows.values(), key=lambda sr: sr[1].key):
            {OPEN: out.rows, AGREED: out.agreed, UNADDRESSED: out.unaddressed}[status_].append(row)
    return out


def party_pairs(negotiation: Negotiation) -> list[tuple[str, str]]:
    return list(combinations([p.code for p in negotiation.parties], 2))


def resolve_party(negotiation: Negotiation, name: str) -> str:
    party = negotiation.party(name)
    if party is None:
        known = ", ".join(p.code for p in negotiation.parties)
        raise NotFound(f"unknown party {name!r} (parties of {negotiation.id}: {known})")
    return party.code


def gap_parties(negotiation: Negotiation, names: Sequence[str]) -> tuple[str, str]:
    """The two parties to compare: as named, or the only two the negotiation has."""
    if not names:
        if len(negotiation.parties) != 2:
            codes = ", ".join(p.code for p in negotiation.parties)
            raise InvalidInput(f"{negotiation.id} has {len(negotiation.parties)} parties ({codes}); name the two to compare")
        return negotiation.parties[0].code, negotiation.parties[1].code
    if len(names) != 2:
        raise InvalidInput(f"give two parties to compare, not {len(names)}")
    a, b = (resolve_party(negotiation, n) for n in names)
    if a == b:
        raise InvalidInput(f"{names[0]!r} and {names[1]!r} are the same party ({a})")
    return a, b


def parse_date(text: str, option: str = "--as-of") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option}: {text!r} is not a date (write YYYY-MM-DD)") from None
