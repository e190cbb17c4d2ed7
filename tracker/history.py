"""Blame, term histories, positions and gaps: where each term came from, where the parties stand.

Everything here is plain data computed from a :class:`Snapshot` of one negotiation (its drafts,
their lineage and every term of every draft, read once). Renames come from the diff engine
(``tracker.diff.compare``) and who pushed what from attribution (``attribute_term``), so these
answers always agree with ``tracker diff``. Nothing here writes to the database.

Positions: a party's position on a term is the term's value in the latest draft (by date, then
sequence number) that the party tabled or co-tabled, or in which the term is ``pushed_by`` it.
A term is *agreed* when every party's latest position is the same value, *dropped* when every
party's latest position is its absence, and *open* otherwise (also while a party has tabled
nothing yet).
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import combinations
from typing import Any, Iterable, Iterator, Sequence

from tracker.attribution import ABSENT, attribute_term, state
from tracker.diff import Attribution, Change, DiffResult, compare
from tracker.errors import InvalidInput, NotFound
from tracker.lineage import Lineage
from tracker.store import DraftRecord, Store, resolve_ref
from tracker.termsheet import Citation, Negotiation, Term
from tracker.values import Absent, Choice, Money, Number, Percent, canonical_decimal, format_money

# Not a draft id (ids are never empty): "before the first draft", where no term exists yet.
BEFORE = ""


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


@dataclass(frozen=True)
class Cited:
    """A citation with its source looked up in the draft's and the negotiation's bibliography."""

    source: str
    outlet: str | None
    quote: str | None
    url: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class Rename:
    parent: str
    child: str
    old_key: str
    new_key: str


class Snapshot:
    """One negotiation read once: drafts, lineage, and ``states`` (key → draft id → Term)."""

    def __init__(self, negotiation: Negotiation, records: Sequence[DraftRecord], states: dict[str, dict[str, Term]]):
        self.negotiation = negotiation
        self.records = list(records)
        self.lineage = Lineage(self.records)
        self.states = states
        self.by_id = self.lineage.by_id

    @classmethod
    def load(cls, store: Store, negotiation: Negotiation) -> "Snapshot":
        with gc_paused():
            records = store.log(negotiation.id)
            # One query for every key ever held, not one manifest read per draft.
            return cls(negotiation, records, store.term_states(records, store.term_keys(records)))

    def ordered(self, until: dt.date | None = None) -> list[DraftRecord]:
        """Drafts in reading order (date, then sequence), up to ``until`` included."""
        rs = [r for r in self.records if until is None or r.header.date <= until]
        return sorted(rs, key=lambda r: (r.header.date, r.seq))

    def resolve(self, ref: str) -> DraftRecord:
        return resolve_ref(self.records, ref)

    @cached_property
    def keys_of(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {r.id: set() for r in self.records}
        for key, held in self.states.items():
            for draft in held:
                out[draft].add(key)
        return out

    def cite(self, draft: str, citation: Citation) -> Cited:
        source = next((s for s in self.by_id[draft].header.sources if s.id == citation.source), None)
        source = source or self.negotiation.source(citation.source)
        if source is None:
            return Cited(citation.source, None, citation.quote)
        return Cited(citation.source, source.outlet, citation.quote, source.url, source.date)

    def citations(self, draft: str, term: Term | None) -> list[Cited]:
        return [] if term is None else [self.cite(draft, c) for c in term.sources]

    # --- renames ---------------------------------------------------------------------------

    @cached_property
    def renames(self) -> list[Rename]:
        """Every rename between a draft and each of its parents, as the diff engine sees it."""
        out = []
        for r in sorted(self.records, key=lambda r: r.seq):
            mine = self.keys_of[r.id]
            for p in self.lineage.parents(r.id):
                theirs = self.keys_of[p]
                only_old, only_new = theirs - mine, mine - theirs
                if not (only_old and only_new):
                    continue
                result = compare({k: self.states[k][p] for k in only_old}, {k: self.states[k][r.id] for k in only_new})
                out += [Rename(p, r.id, c.old_term, c.term) for c in result.by_kind("renamed")]
        return out

    @cached_property
    def _renamed(self) -> dict[str, frozenset[str]]:
        """For every key that took part in a rename, all the keys linked to it by renames."""
        links: dict[str, set[str]] = {}
        for rn in self.renames:
            links.setdefault(rn.old_key, set()).add(rn.new_key)
            links.setdefault(rn.new_key, set()).add(rn.old_key)
        out: dict[str, frozenset[str]] = {}
        for start in links:
            if start in out:
                continue
            found, todo = {start}, [start]
            while todo:
                for other in links[todo.pop()] - found:
                    found.add(other)
                    todo.append(other)
            out.update(dict.fromkeys(found, frozenset(found)))
        return out

    def aliases(self, key: str) -> set[str]:
        """The keys a term has had: ``key`` and every key linked to it by a rename."""
        return set(self._renamed.get(key, (key,)))

    def followed(self, key: str) -> tuple[dict[str, Term], dict[str, str]]:
        """The term in every draft under whichever of its keys the draft uses.

        Returns (draft id → Term, draft id → the key it has there). A draft holding ``key``
        itself and another alias is read under ``key``.
        """
        if key not in self._renamed:
            held = self.states.get(key, {})
            return held, dict.fromkeys(held, key)
        terms: dict[str, Term] = {}
        keys: dict[str, str] = {}
        for k in [key, *sorted(self.aliases(key) - {key})]:
            for draft, term in self.states.get(k, {}).items():
                if draft not in terms:
                    terms[draft], keys[draft] = term, k
        return terms, keys

    @cached_property
    def rank(self) -> dict[str, int]:
        """Each draft's place in reading order; the drafts up to a date are a prefix of it."""
        return {r.id: i for i, r in enumerate(self.ordered())}

    @cached_property
    def groups(self) -> list["TermGroup"]:
        """Every term of the negotiation once, renamed terms under all their keys together."""
        out, done = [], set()
        for key in sorted(self.states):
            if key in done:
                continue
            keys = frozenset(self.aliases(key))
            done |= keys
            terms, _ = self.followed(key)
            holders = sorted(terms, key=self.rank.__getitem__)
            pushed = [(self.rank[d], d, frozenset(terms[d].pushed_by.parties)) for d in holders if terms[d].pushed_by]
            out.append(TermGroup(keys, terms, [self.rank[d] for d in holders], holders, pushed))
        return out

    def known_key(self, key: str) -> None:
        if key in self.states:
            return
        close = difflib.get_close_matches(key, list(self.states), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFound(f"unknown term {key!r}: no draft of {self.negotiation.id} has it{hint}")


@dataclass
class TermGroup:
    """One term across the negotiation: its keys, its term per draft, and who pushed it where."""

    keys: frozenset[str]
    terms: dict[str, Term]  # draft id → term
    ranks: list[int]  # reading-order ranks of the drafts holding it, ascending
    holders: list[str]  # those drafts
    pushed: list[tuple[int, str, frozenset[str]]]  # (rank, draft, parties) where pushed_by is set


# --- blame ------------------------------------------------------------------------------------


@dataclass
class BlameLine:
    key: str
    value: Any  # the typed value in the blamed draft
    draft: str  # where the value first appeared in the draft's lineage
    seq: int
    date: dt.date
    tabled_by: tuple[str, ...]
    first_key: str  # the key the value had there (differs after a rename)
    attribution: Attribution
    sources: list[Cited]


@dataclass
class Blame:
    record: DraftRecord
    lines: list[BlameLine]


def blame(snap: Snapshot, ref: str) -> Blame:
    """For each term of draft ``ref``: the draft, party and sources that gave it its value."""
    record = snap.resolve(ref)
    lineage = snap.lineage
    path = lineage.order(lineage.ancestors(record.id) | {record.id})
    lines = []
    for key in sorted(snap.keys_of[record.id]):
        terms, keys = snap.followed(key)
        a = attribute_term(key, path, BEFORE, lineage, {key: terms}, snap.negotiation)
        origin = snap.by_id[a.introduced_in]
        sources = snap.citations(origin.id, terms.get(origin.id))
        pushed = terms.get(origin.id).pushed_by if origin.id in terms else None
        if a.basis == "explicit" and pushed and pushed.source and pushed.source not in {c.source for c in sources}:
            sources.append(snap.cite(origin.id, Citation(source=pushed.source)))
        lines.append(
            BlameLine(
                key=key, value=snap.states[key][record.id].value, draft=origin.id, seq=origin.seq,
                date=origin.header.date, tabled_by=tuple(origin.header.tabled_by),
                first_key=keys.get(origin.id, key), attribution=a, sources=sources,
            )
        )
    return Blame(record, lines)


# --- term history -----------------------------------------------------------------------------

EVENTS = ("added", "changed", "renamed", "dropped", "unchanged", "absent")


@dataclass
class HistoryRow:
    record: DraftRecord
    key: str | None  # the term's key in this draft; None when the draft does not hold it
    term: Term | None
    event: str  # one of EVENTS, against the draft's first parent
    attribution: Attribution | None  # for added / changed / dropped (and renames that moved)
    sources: list[Cited]

    @property
    def value(self) -> Any:
        return None if self.term is None else self.term.value


@dataclass
class TermHistory:
    key: str
    aliases: list[str]  # other keys the term has had
    rows: list[HistoryRow]


def term_history(snap: Snapshot, key: str) -> TermHistory:
    """The term in every draft of the negotiation, all branches, in date order."""
    snap.known_key(key)
    terms, keys = snap.followed(key)
    states = {key: terms}
    rows = []
    for r in snap.ordered():
        parents = snap.lineage.parents(r.id)
        parent = parents[0] if parents else None
        held, parent_held = r.id in terms, parent is not None and parent in terms
        if not held and not parent_held:
            event = "absent"
        elif not parent_held:
            event = "added"
        elif not held:
            event = "dropped"
        elif state(states, key, r.id) != state(states, key, parent):
            event = "changed"
        elif keys[r.id] != keys[parent]:
            event = "renamed"
        else:
            event = "unchanged"
        a = None
        if event in ("added", "changed", "dropped"):
            a = attribute_term(key, [r.id], parent or BEFORE, snap.lineage, states, snap.negotiation)
        rows.append(HistoryRow(r, keys.get(r.id), terms.get(r.id), event, a, snap.citations(r.id, terms.get(r.id))))
    return TermHistory(key, sorted(snap.aliases(key) - {key}), rows)


# --- positions --------------------------------------------------------------------------------

AGREED, OPEN, DROPPED = "agreed", "open", "dropped"


@dataclass(frozen=True)
class Position:
    party: str
    draft: str
    date: dt.date
    value: Any  # typed value, or None when the draft does not hold the term
    token: str  # comparable form (ABSENT for a missing term or an explicit none)
    via: str  # "tabled" (the party tabled the draft) or "pushed" (the term names it in pushed_by)

    @property
    def absent(self) -> bool:
        return self.token == ABSENT


@dataclass
class TermPositions:
    key: str  # the term's key in the latest draft that has it
    positions: dict[str, Position | None]  # party → latest position; None: it has tabled nothing yet
    status: str
    aliases: list[str] = field(default_factory=list)  # other keys it had in these drafts (renames)

    @property
    def agreed_value(self) -> Any:
        if self.status != AGREED:
            return None
        return next(iter(self.positions.values())).value  # type: ignore[union-attr]


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
        return {k: t for t in self.terms for k in (t.key, *t.aliases)}


def _status(found: Sequence[Position | None]) -> str:
    if any(p is None for p in found):
        return OPEN
    tokens = {p.token for p in found}  # type: ignore[union-attr]
    if tokens == {ABSENT}:
        return DROPPED
    return AGREED if len(tokens) == 1 else OPEN


def positions(snap: Snapshot, as_of: dt.date | None = None, parties: Sequence[str] | None = None) -> Positions:
    with gc_paused():
        return _positions(snap, as_of, parties)


def _positions(snap: Snapshot, as_of: dt.date | None, parties: Sequence[str] | None) -> Positions:
    codes = list(parties) if parties else [p.code for p in snap.negotiation.parties]
    drafts = snap.ordered(as_of)
    cutoff = len(drafts) - 1  # the drafts up to ``as_of`` are the first ones in reading order
    latest: dict[str, str | None] = {}
    for code in codes:
        tabled = [r.id for r in drafts if code in r.header.tabled_by]
        latest[code] = tabled[-1] if tabled else None
    out = []
    for group in snap.groups:
        if group.ranks[0] > cutoff:
            continue
        # A renamed term is one term, shown under the key of the latest draft that has it.
        key = next(iter(group.keys))
        if len(group.keys) > 1:
            last = group.holders[bisect_right(group.ranks, cutoff) - 1]
            key = min(k for k in group.keys if last in snap.states.get(k, {}))
        found: dict[str, Position | None] = {}
        for code in codes:
            best, via = latest[code], "tabled"
            best_rank = snap.rank[best] if best else -1
            for rank, draft, pushers in group.pushed:
                if rank > cutoff:
                    break
                if rank > best_rank and code in pushers:
                    best, best_rank, via = draft, rank, "pushed"
            if best is None:
                found[code] = None
                continue
            term = group.terms.get(best)
            found[code] = Position(
                code, best, snap.by_id[best].header.date, None if term is None else term.value,
                state({key: group.terms}, key, best), via,
            )
        seen = [] if len(group.keys) == 1 else sorted(
            k for k in group.keys - {key} if any(snap.rank[d] <= cutoff for d in snap.states.get(k, {}))
        )
        out.append(TermPositions(key, found, _status(list(found.values())), seen))
    out.sort(key=lambda t: t.key)
    return Positions(as_of, codes, latest, out)


# --- distance between positions --------------------------------------------------------------


@dataclass(frozen=True)
class Distance:
    """How far apart two positions are, in the term's own unit."""

    kind: str  # money | percent | number | rank
    amount: Decimal
    unit: str | None = None  # currency code, the number's unit, or (rank) the party whose ranking
    steps: int | None = None  # rank: the number of steps in that ranking

    def text(self) -> str:
        if self.kind == "money":
            return format_money(self.amount, self.unit or "")
        if self.kind == "percent":
            return f"{canonical_decimal(self.amount)} pp"
        if self.kind == "rank":
            n = canonical_decimal(self.amount)
            return f"{n} rank{'' if n == '1' else 's'} apart (of {self.steps}, {self.unit}'s ranking)"
        n = canonical_decimal(self.amount)
        return f"{n} {self.unit}" if self.unit else n

    def share(self) -> Decimal | None:
        """The distance as a share of the largest a ranking allows (ranks only)."""
        return self.amount / self.steps if self.kind == "rank" and self.steps else None


def distance(negotiation: Negotiation, key: str, a: Any, b: Any, order: Sequence[str] = ()) -> Distance | None:
    """The typed distance between two values of a term, or None when there is none to give.

    An absent term counts as zero next to money, a percentage or a number ($500B against
    nothing is $500B apart). Choices are apart by their ranks in a party's declared ranking
    (the first of ``order`` that ranks both).
    """
    a = None if isinstance(a, Absent) else a
    b = None if isinstance(b, Absent) else b
    if a is None and b is None:
        return None
    kinds = {type(v) for v in (a, b) if v is not None}
    if kinds == {Money}:
        currencies = {v.currency for v in (a, b) if v is not None}
        if len(currencies) != 1:
            return None
        amounts = [v.amount if v is not None else Decimal(0) for v in (a, b)]
        return Distance("money", abs(amounts[0] - amounts[1]), currencies.pop())
    if kinds == {Percent}:
        values = [v.value if v is not None else Decimal(0) for v in (a, b)]
        return Distance("percent", abs(values[0] - values[1]))
    if kinds == {Number}:
        units = {v.unit for v in (a, b) if v is not None}
        if len(units) != 1:
            return None
        values = [v.value if v is not None else Decimal(0) for v in (a, b)]
        return Distance("number", abs(values[0] - values[1]), units.pop())
    if kinds == {Choice} and a is not None and b is not None:
        prefs = negotiation.preferences.get(key, {})
        for code in [*order, *prefs]:
            ranking = prefs.get(code)
            if isinstance(ranking, list) and a.value in ranking and b.value in ranking:
                return Distance("rank", Decimal(abs(ranking.index(a.value) - ranking.index(b.value))), code, len(ranking) - 1)
    return None


# --- gap and convergence ----------------------------------------------------------------------


@dataclass
class GapRow:
    key: str
    a: Position | None
    b: Position | None
    distance: Distance | None


@dataclass
class ConvergencePoint:
    date: dt.date
    drafts: list[str]  # drafts dated that day
    agreed: int
    open: int
    dropped: int
    known: bool  # both parties had a position by then
    open_terms: list[str]
    distances: dict[str, Distance]  # open terms with a typed distance

    @property
    def share(self) -> float | None:
        """Share of the live terms (agreed or open) that are agreed."""
        live = self.agreed + self.open
        return round(self.agreed / live, 4) if live else None


@dataclass
class Gap:
    a: str
    b: str
    as_of: dt.date | None
    rows: list[GapRow]  # the open terms
    agreed: int
    dropped: int
    convergence: list[ConvergencePoint] = field(default_factory=list)


def _pair(snap: Snapshot, a: str, b: str, as_of: dt.date | None) -> tuple[list[GapRow], int, int, bool]:
    pos = positions(snap, as_of, [a, b])
    rows, agreed, dropped = [], 0, 0
    for t in pos.terms:
        pa, pb = t.positions[a], t.positions[b]
        status = t.status
        if status == AGREED:
            agreed += 1
        elif status == DROPPED:
            dropped += 1
        else:
            d = distance(snap.negotiation, t.key, pa.value, pb.value, (a, b)) if pa and pb else None
            rows.append(GapRow(t.key, pa, pb, d))
    known = pos.latest[a] is not None and pos.latest[b] is not None
    return rows, agreed, dropped, known


def gap(snap: Snapshot, a: str, b: str, as_of: dt.date | None = None) -> Gap:
    """The open terms between parties ``a`` and ``b``, and how the gap moved draft date by date."""
    with gc_paused():
        rows, agreed, dropped, _ = _pair(snap, a, b, as_of)
        out = Gap(a, b, as_of, rows, agreed, dropped)
        drafts = snap.ordered(as_of)
        for day in sorted({r.header.date for r in drafts}):
            day_rows, day_agreed, day_dropped, known = _pair(snap, a, b, day)
            out.convergence.append(
                ConvergencePoint(
                    date=day, drafts=[r.id for r in drafts if r.header.date == day], agreed=day_agreed,
                    open=len(day_rows), dropped=day_dropped, known=known, open_terms=[r.key for r in day_rows],
                    distances={r.key: r.distance for r in day_rows if r.distance is not None},
                )
            )
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


# --- the changes a draft made ----------------------------------------------------------------


def opening(snap: Snapshot, record: DraftRecord) -> DiffResult:
    """A first draft against nothing: every term is added, attributed like any other change."""
    terms = {k: snap.states[k][record.id] for k in snap.keys_of[record.id]}
    result = compare({}, terms)
    for change in result.changes:
        change.attribution = attribute_term(change.term, [record.id], BEFORE, snap.lineage, snap.states, snap.negotiation)
    return result


def quoted(snap: Snapshot, draft: str, change: Change) -> list[Cited]:
    """The evidence the draft cites for a change (a drop cites nothing: the term is gone)."""
    return snap.citations(draft, change.new)


def moved_keys(snap: Snapshot, keys: Iterable[str] | None = None) -> list[str]:
    """Terms whose value changed at some point after they first appeared."""
    out = []
    ordered = [r.id for r in snap.ordered()]
    for key in sorted(keys if keys is not None else snap.states):
        seen = [state(snap.states, key, d) for d in ordered]
        first = next((i for i, d in enumerate(ordered) if d in snap.states[key]), None)
        if first is not None and len(set(seen[first:])) > 1:
            out.append(key)
    return out
