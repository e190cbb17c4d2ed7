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
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Sequence

from tracker import events
from tracker.attribution import BEFORE, attribute_along
from tracker.diff import Attribution
from tracker.errors import InvalidInput, NotFound
from tracker.quantities import Distance, distance
from tracker.store import DraftRecord, History, Store, resolve_ref
from tracker.termsheet import Citation, Negotiation, Term
from tracker.timeline import Timeline
from tracker.values import ABSENT
from tracker.view import AGREED, OPEN, UNADDRESSED, Position, State, Track, View


def load(store: Store, negotiation: Negotiation, *, as_of: dt.date | None = None, corrected: bool = False,
         recorded: History | None = None) -> View:
    """The negotiation's view, read in one pass, with its events applied as of ``as_of``
    (``events.apply``; ``corrected``: keep drafts that were corrected in view). ``recorded``:
    its history (``Store.history``), when the caller has read it already."""
    recorded = recorded if recorded is not None else store.history(negotiation.id)
    applied = events.apply(recorded.negotiation, recorded.records, recorded.events, as_of, corrected=corrected)
    return View(applied.negotiation, Timeline(store, applied.records, stored=recorded.records), applied)


@dataclass(frozen=True)
class Cited:
    """A citation with its source looked up in the draft's and the negotiation's bibliography."""

    source: str
    outlet: str | None
    quote: str | None
    url: str | None = None
    date: dt.date | None = None
    event: str | None = None  # recorded after the draft, by this event (``tracker cite``)


def cite(view: View, draft: str, citation: Citation) -> Cited:
    source = next((s for s in view.by_id[draft].header.sources if s.id == citation.source), None)
    source = source or view.negotiation.source(citation.source) or view.event_sources.get(citation.source)
    if source is None:
        return Cited(citation.source, None, citation.quote)
    return Cited(citation.source, source.outlet, citation.quote, source.url, source.date)


def resolve(view: View, ref: str) -> tuple[DraftRecord, str | None]:
    """The draft ``ref`` names, as the view reads it, and a note when that is not the draft
    named: a corrected draft is read as its correction (unless the view keeps corrected ones)."""
    record = resolve_ref(view.applied.stored, ref)
    if record.id in view.by_id:
        return view.by_id[record.id], None
    correction = record.id
    while correction not in view.by_id and correction in view.applied.corrected:
        correction = view.applied.corrected[correction]
    found = view.by_id[correction]
    return found, (f"{record.id} (v{record.seq}) was corrected by {found.id} (v{found.seq}): reading the correction"
                   " (--corrected reads drafts as they were recorded)")


def citations(view: View, draft: str, term: Term | None, key: str | None = None) -> list[Cited]:
    """The term's citations; with its ``key``, those recorded after the draft name their event."""
    if term is None:
        return []
    later = {(e.body.source.id, e.body.quote): e.ref for e in view.applied.evidence.get((draft, key), ())} if key else {}
    out = []
    for c in term.sources:
        found = cite(view, draft, c)
        ref = later.get((c.source, c.quote))
        out.append(replace(found, event=ref) if ref else found)
    return out


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
    left_out: bool  # that draft left the term out: the term's default, which is the same value
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
    record, _ = resolve(view, ref)
    lineage, tl = view.lineage, view.timeline
    path = lineage.order(lineage.ancestors(record.id) | {record.id})
    view.compute(tl.manifests[record.id])  # every term of the draft, worked out together
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
        term = view.applied.term(r.id, origin.key, term) if term is not None and origin is not None else term
        sources = citations(view, r.id, term, origin.key if origin is not None else None)
        pushed = term.pushed_by if term is not None else None
        if a.basis == "explicit" and pushed and pushed.source and pushed.source not in {c.source for c in sources}:
            sources.append(cite(view, r.id, Citation(source=pushed.source)))
        lines.append(
            BlameLine(
                key=key, term=view.applied.term(state.origin, key, terms[state.blob]), stated=state.stated, draft=r.id, seq=r.seq,  # type: ignore[index]
                date=r.header.date, tabled_by=tuple(r.header.tabled_by),
                first_key=origin.key if origin is not None else key, attribution=a, sources=sources,
                left_out=origin is not None and origin.absent and terms[state.blob].value.type != "none",  # type: ignore[index]
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


def _event(t: Track, i: int, p: int | None) -> str:
    """What the draft at rank ``i`` did to a term against its first parent (rank ``p``).
    Values are compared as the view compares them: a term left out stands for its declared
    default, if it has one."""
    token = t.token
    if token[i] is None:
        return "unknown"
    if not t.stated[i]:
        return "carried"
    defaulted = t.norm is not t.token
    had = p is not None and token[p] is not None and (defaulted or token[p] != ABSENT)
    if token[i] == ABSENT and not defaulted:
        return "dropped" if had else "absent"
    if not had:
        return "added"
    if t.norm[i] != t.norm[p]:
        return "changed"
    return "renamed" if t.key(i) != t.key(p) and t.blob[i] is not None and t.blob[p] is not None else "unchanged"  # type: ignore[index]


def term_history(view: View, key: str, drafts: Sequence[str] | None = None, *, moves_only: bool = False) -> TermHistory:
    """The term in every draft of the negotiation (all branches, reading order), or in
    ``drafts`` only; with ``moves_only``, just the drafts where it moved."""
    keys = view.aliases(key)
    t = view.track(keys)
    rows = []
    for d in drafts if drafts is not None else view.ordered:
        i = view.rank[d]
        parents = view.lineage.parents(d)
        parent = parents[0] if parents else BEFORE
        event = _event(t, i, view.rank[parent] if parent else None)
        if moves_only and event not in MOVES:
            continue
        state = t.state(i, d)
        a = attribute_along(view, keys, [d], parent) if event in ("added", "changed", "dropped") else None
        term = view.term(state)
        stated = state is not None and state.stated
        moves = view.moves(d, keys) if stated else {}
        rows.append(HistoryRow(view.by_id[d], state, term, event, a, citations(view, d, term, state.key if state is not None else None) if stated else [], moves))
    return TermHistory(key, sorted(keys - {key}), rows)


def moved_terms(view: View) -> list[tuple[str, list[str]]]:
    """The terms whose stated value moved after they first appeared, each with the drafts
    where it may have moved (those whose own stored rows touch one of its keys, or that do not
    build on their first parent's rows); named by the key of the latest draft holding it."""
    tl = view.timeline
    touched: dict[str, set[str]] = {}
    loose: list[str] = []  # drafts whose changes against their first parent are not their own rows
    rank = view.rank
    for d in view.ordered:
        parents = view.lineage.parents(d)
        partial = view.by_id[d].header.coverage == "partial" or any(view.by_id[p].header.coverage == "partial" for p in parents)
        if not parents or len(parents) > 1 or partial or not view.is_base(rank[parents[0]], rank[d]):
            loose.append(d)
            continue
        for key in tl.own[d]:
            touched.setdefault(key, set()).add(d)
    out = []
    done: set[str] = set()
    view.terms()
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
        t = view.track(keys)
        for d in sorted(drafts, key=rank.__getitem__):
            i = rank[d]
            event = _event(t, i, view.first_parent(i))
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
