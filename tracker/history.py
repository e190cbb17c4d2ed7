"""Blame, term histories, positions and gaps: where each term came from, where the parties stand.

Everything here is plain data computed from a :class:`Snapshot` of one negotiation: its drafts,
their lineage and every draft's terms as blob ids, read once (``timeline.Timeline``); a term is
parsed only when an answer shows it. Renames come from the diff engine (``tracker.diff.compare``)
and who pushed what from attribution (``attribute_term``), so these answers always agree with
``tracker diff``. The walks over the whole negotiation look only where the manifests say terms
differ; ``tests/test_timeline.py`` checks each against its plain definition. Nothing here writes
to the database.

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
from functools import cached_property, partial
from itertools import combinations
from typing import Any, Callable, Iterator, NamedTuple, Sequence

from tracker.attribution import ABSENT, MappingTrack, Track, attribute, attribute_term
from tracker.diff import Attribution, Change, DiffResult, compare
from tracker.errors import InvalidInput, NotFound
from tracker.store import DraftRecord, Store, resolve_ref
from tracker.timeline import Timeline, parse_value
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
    """One negotiation read once (a :class:`Timeline`), with renames worked out across it."""

    def __init__(self, negotiation: Negotiation, timeline: Timeline):
        self.negotiation = negotiation
        self.timeline = timeline
        self.records = timeline.records
        self.lineage = timeline.lineage
        self.by_id = timeline.by_id
        self._pair_renames: dict[tuple[str, str], list[Rename]] = {}

    @classmethod
    def load(cls, store: Store, negotiation: Negotiation) -> "Snapshot":
        with gc_paused():
            return cls(negotiation, Timeline(store, store.log(negotiation.id)))

    def ordered(self, until: dt.date | None = None) -> list[DraftRecord]:
        """Drafts in reading order (date, then sequence), up to ``until`` included."""
        return [r for r in self.timeline.ordered if until is None or r.header.date <= until]

    def resolve(self, ref: str) -> DraftRecord:
        return resolve_ref(self.records, ref)

    def keys(self, draft: str) -> dict[str, int]:
        """The draft's terms as key → blob id."""
        return self.timeline.manifests[draft]

    @cached_property
    def all_keys(self) -> set[str]:
        """Every key any draft ever held (a delta's dropped key was held by its base)."""
        return {k for rows in self.timeline.own.values() for k in rows}

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
        pairs = [(p, r.id) for r in sorted(self.records, key=lambda r: r.seq) for p in self.lineage.parents(r.id)]
        found = self._renames_in(pairs)
        return [rn for pair in pairs for rn in found[pair]]

    def _renames_in(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Rename]]:
        """The renames between each (parent, child) pair, found once per pair and cached."""
        tl, done = self.timeline, self._pair_renames
        todo = []
        for p, child in pairs:
            if (p, child) in done:
                continue
            theirs, mine = tl.manifests[p], tl.manifests[child]
            changed = tl.changed(p, child)
            only_old = {k for k in changed if k in theirs and k not in mine}
            only_new = {k for k in changed if k in mine and k not in theirs}
            if only_old and only_new:
                todo.append((p, child, only_old, only_new))
            else:
                done[(p, child)] = []
        tl.prefetch(
            [tl.manifests[p][k] for p, _, only_old, _ in todo for k in only_old]
            + [tl.manifests[c][k] for _, c, _, only_new in todo for k in only_new]
        )
        for p, child, only_old, only_new in todo:
            theirs, mine = tl.manifests[p], tl.manifests[child]
            done[(p, child)] = []
            # Only a declared rename or an identical value can pair two keys: read and
            # compare the terms of those candidates alone (the result is the same).
            old_tokens = {k: tl.token(theirs[k]) for k in only_old}
            held = set(old_tokens.values())
            declared = {k: tl.renamed_from(mine[k]) for k in only_new}
            new_keys = {k for k in only_new if tl.token(mine[k]) in held or declared[k] in only_old}
            if not new_keys:
                continue
            wanted = {tl.token(mine[k]) for k in new_keys}
            old_keys = {k for k in only_old if old_tokens[k] in wanted} | {declared[k] for k in new_keys if declared[k] in only_old}
            terms = tl.terms([theirs[k] for k in old_keys] + [mine[k] for k in new_keys])
            result = compare(  # blob ids stand in for hashes: blobs are content-addressed
                {k: terms[theirs[k]] for k in old_keys}, {k: terms[mine[k]] for k in new_keys},
                {k: str(theirs[k]) for k in old_keys}, {k: str(mine[k]) for k in new_keys},
            )
            done[(p, child)] = [Rename(p, child, c.old_term, c.term) for c in result.by_kind("renamed")]
        return {pair: done[pair] for pair in pairs}

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
        if "_renamed" in self.__dict__:  # every rename is known already
            return set(self._renamed.get(key, (key,)))
        # Follow the renames from ``key`` alone: only drafts that added or dropped one of
        # its keys against a parent can hold a rename of it.
        tl = self.timeline
        pairs = [(p, r.id) for r in self.records for p in self.lineage.parents(r.id)]
        found, todo = {key}, [key]
        while todo:
            k = todo.pop()
            touching = [(p, c) for p, c in pairs if (k in tl.manifests[p]) != (k in tl.manifests[c])]
            for renames in self._renames_in(touching).values():
                for rn in renames:
                    if k in (rn.old_key, rn.new_key):
                        for other in {rn.old_key, rn.new_key} - found:
                            found.add(other)
                            todo.append(other)
        return found

    def followed(self, key: str) -> tuple[dict[str, Term], dict[str, str]]:
        """The term in every draft under whichever of its keys the draft uses.

        Returns (draft id → Term, draft id → the key it has there). A draft holding ``key``
        itself and another alias is read under ``key``.
        """
        terms: dict[str, Term] = {}
        keys: dict[str, str] = {}
        for k in [key, *sorted(self.aliases(key) - {key})]:
            for draft, term in self.timeline.holders(k).items():
                if draft not in terms:
                    terms[draft], keys[draft] = term, k
        return terms, keys

    def track(self, key: str, *, follow: bool = True) -> Track:
        """The term across the negotiation, for attribution (following renames if asked)."""
        if follow and key in self._renamed:
            return MappingTrack(self.followed(key)[0])
        return self.timeline.track(key)

    @cached_property
    def board_index(self) -> "_BoardIndex":
        """Positions' indexes over the whole negotiation, the same for any parties (``_Board``)."""
        return _index_board(self)

    @property
    def rank(self) -> dict[str, int]:
        """Each draft's place in reading order; the drafts up to a date are a prefix of it."""
        return self.timeline.rank

    def known_key(self, key: str) -> None:
        if key in self.all_keys:
            return
        close = difflib.get_close_matches(key, sorted(self.all_keys), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFound(f"unknown term {key!r}: no draft of {self.negotiation.id} has it{hint}")


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
    lineage, tl = snap.lineage, snap.timeline
    path = lineage.order(lineage.ancestors(record.id) | {record.id})
    manifest = tl.manifests[record.id]
    with gc_paused():
        tl.prefetch(tl.blobs())  # every term's value token is compared somewhere on the path
        tl.path_changes(path)  # where each key changes along the path: the walks skip the rest
        found = []
        for key in sorted(manifest):
            track = snap.track(key)
            a = attribute_term(key, path, BEFORE, lineage, track, snap.negotiation)
            first_key = key
            if isinstance(track, MappingTrack):  # renamed: the key it had where it came from
                first_key = snap.followed(key)[1].get(a.introduced_in, key)
            found.append((key, a, first_key, tl.manifests[a.introduced_in].get(first_key)))
        # Parse, in one batch, the terms shown: the blamed draft's and their origins'.
        terms = tl.terms([manifest[k] for k, *_ in found] + [b for *_, b in found if b is not None])
        lines = []
        for key, a, first_key, origin_blob in found:
            origin = snap.by_id[a.introduced_in]
            term = terms.get(origin_blob) if origin_blob is not None else None
            sources = snap.citations(origin.id, term)
            pushed = term.pushed_by if term is not None else None
            if a.basis == "explicit" and pushed and pushed.source and pushed.source not in {c.source for c in sources}:
                sources.append(snap.cite(origin.id, Citation(source=pushed.source)))
            lines.append(
                BlameLine(
                    key=key, value=terms[manifest[key]].value, draft=origin.id, seq=origin.seq,
                    date=origin.header.date, tabled_by=tuple(origin.header.tabled_by),
                    first_key=first_key, attribution=a, sources=sources,
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
    track = MappingTrack(terms)
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
        elif track.token(r.id) != track.token(parent):  # type: ignore[arg-type]
            event = "changed"
        elif keys[r.id] != keys[parent]:  # type: ignore[index]
            event = "renamed"
        else:
            event = "unchanged"
        a = None
        if event in ("added", "changed", "dropped"):
            a = attribute_term(key, [r.id], parent or BEFORE, snap.lineage, track, snap.negotiation)
        rows.append(HistoryRow(r, keys.get(r.id), terms.get(r.id), event, a, snap.citations(r.id, terms.get(r.id))))
    return TermHistory(key, sorted(snap.aliases(key) - {key}), rows)


MOVES = ("added", "changed", "renamed", "dropped")


def term_moves(snap: Snapshot, keys: Sequence[str]) -> list[TermHistory]:
    """For each key, its history with only the drafts where it moved against the draft's
    first parent (added, changed, renamed or dropped): what a change-history report shows.

    Equal to ``term_history`` without its unchanged and absent rows, but found from the
    manifests: only the drafts that changed a term are looked at for it.
    """
    tl = snap.timeline
    touched: dict[str, list[str]] = {}
    for r in snap.ordered():
        parents = snap.lineage.parents(r.id)
        for key in tl.changed(parents[0] if parents else None, r.id):
            touched.setdefault(key, []).append(r.id)
    rank = snap.rank
    out = []
    for key in keys:
        if key in snap._renamed:  # followed across its keys
            terms, held_as = snap.followed(key)
            track: Track = MappingTrack(terms)
            drafts = sorted({d for k in snap.aliases(key) for d in touched.get(k, ())}, key=rank.__getitem__)
        else:
            track, held_as, drafts = tl.track(key), {}, touched.get(key, [])
        rows = []
        for draft in drafts:
            parents = snap.lineage.parents(draft)
            parent = parents[0] if parents else BEFORE
            held, parent_held = track.held(draft), bool(parent) and track.held(parent)
            renamed = held and parent_held and held_as.get(draft, key) != held_as.get(parent, key)
            if held and parent_held and track.token(draft) == track.token(parent) and not renamed:
                continue  # only its sources or confidence changed
            if not held:
                event = "dropped"
            elif not parent_held:
                event = "added"
            else:
                event = "changed" if track.token(draft) != track.token(parent) else "renamed"
            a = None if event == "renamed" else attribute_term(key, [draft], parent, snap.lineage, track, snap.negotiation)
            term = track.term(draft)
            rows.append(HistoryRow(snap.by_id[draft], held_as.get(draft, key) if held else None, term, event, a, snap.citations(draft, term)))
        out.append(TermHistory(key, sorted(snap.aliases(key) - {key}), rows))
    return out


# --- positions --------------------------------------------------------------------------------

AGREED, OPEN, DROPPED = "agreed", "open", "dropped"


@dataclass(frozen=True)
class Position:
    party: str
    draft: str
    date: dt.date
    token: str  # comparable form (ABSENT for a missing term or an explicit none)
    via: str  # "tabled" (the party tabled the draft) or "pushed" (the term names it in pushed_by)
    # The typed value (None when the draft does not hold the term), read when first asked
    # for: a large negotiation has many positions, and most are only compared by token.
    read: Callable[[], Any] = field(compare=False, repr=False)

    @property
    def value(self) -> Any:
        return self.read()

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


@dataclass
class _Group:
    """A renamed term: all its keys, its term per draft, and where it names who pushed it."""

    keys: frozenset[str]
    terms: dict[str, Term]  # draft id → term
    ranks: list[int]  # reading-order ranks of the drafts holding it, ascending
    holders: list[str]  # those drafts
    pushed: list[tuple[int, str, frozenset[str]]]  # (rank, draft, parties) where pushed_by is set
    track: MappingTrack
    first: dict[str, int]  # each key → the rank of the first draft holding it under that key


class _Board:
    """Every party's position on every term, as of any prefix of the reading order.

    A party's position is read from its latest tabled draft, unless a later draft's term names
    it in ``pushed_by``. Plain terms are looked up in the drafts' manifests (blob ids and value
    tokens, no parsing); the few renamed terms are followed across their keys.
    """

    def __init__(self, snap: Snapshot, codes: Sequence[str]):
        self.snap, self.codes = snap, list(codes)
        self.tl = snap.timeline
        index = snap.board_index
        self.first, self.pushed, self.groups = index.first, index.pushed, index.groups

    def latest(self, cutoff: int) -> dict[str, str | None]:
        """Each party's latest tabled draft among the first ``cutoff + 1`` in reading order."""
        out: dict[str, str | None] = dict.fromkeys(self.codes)
        for r in self.tl.ordered[: cutoff + 1]:
            for code in r.header.tabled_by:
                if code in out:
                    out[code] = r.id
        return out

    def _best(self, code: str, latest: dict[str, str | None], pushed: list[tuple[int, str, frozenset[str]]], cutoff: int) -> tuple[str | None, str]:
        best, via = latest[code], "tabled"
        best_rank = self.tl.rank[best] if best else -1
        for rank, draft, pushers in pushed:
            if rank > cutoff:
                break
            if rank > best_rank and code in pushers:
                best, best_rank, via = draft, rank, "pushed"
        return best, via

    def term(self, key: str, latest: dict[str, str | None], cutoff: int) -> TermPositions:
        """A plain term's positions (its first draft must be within the cutoff)."""
        tl = self.tl
        pushed = self.pushed.get(key, [])
        found: dict[str, Position | None] = {}
        for code in self.codes:
            best, via = self._best(code, latest, pushed, cutoff) if pushed else (latest[code], "tabled")
            if best is None:
                found[code] = None
                continue
            blob = tl.manifests[best].get(key)
            # The value is parsed from its stored text when first asked for; holding the text,
            # not the timeline, lets the negotiation's manifests go once the answer is built.
            found[code] = Position(code, best, self.snap.by_id[best].header.date, tl.token(blob), via, partial(parse_value, tl.raw_value(blob)))
        return TermPositions(key, found, _status(list(found.values())))

    def group(self, group: _Group, latest: dict[str, str | None], cutoff: int) -> TermPositions:
        """A renamed term's positions, under the key of the latest draft that has it."""
        snap = self.snap
        key = self.group_key(group, cutoff)
        track = group.track
        found: dict[str, Position | None] = {}
        for code in self.codes:
            best, via = self._best(code, latest, group.pushed, cutoff)
            if best is None:
                found[code] = None
                continue
            found[code] = Position(code, best, snap.by_id[best].header.date, track.token(best), via, partial(_value_of, group.terms.get(best)))
        seen = sorted(k for k in group.keys - {key} if group.first[k] <= cutoff)
        return TermPositions(key, found, _status(list(found.values())), seen)

    def group_key(self, group: _Group, cutoff: int) -> str:
        """The key a renamed term has in the latest draft holding it, up to ``cutoff``."""
        last = group.holders[bisect_right(group.ranks, cutoff) - 1]
        return min(k for k in group.keys if k in self.tl.manifests[last])

    def all(self, cutoff: int) -> tuple[dict[str, str | None], list[TermPositions]]:
        latest = self.latest(cutoff)
        out = [self.term(k, latest, cutoff) for k, first in self.first.items() if first <= cutoff]
        out += [self.group(g, latest, cutoff) for g in self.groups if g.ranks[0] <= cutoff]
        out.sort(key=lambda t: t.key)
        return latest, out


class _BoardIndex(NamedTuple):
    """What a ``_Board`` reads, for any parties."""

    first: dict[str, int]  # plain key → rank of the first draft holding it
    pushed: dict[str, list[tuple[int, str, frozenset[str]]]]  # plain key → where it names who pushed it
    groups: list[_Group]  # the renamed terms


def _index_board(snap: Snapshot) -> _BoardIndex:
    tl = snap.timeline
    rank = tl.rank
    renamed = set(snap._renamed)
    first: dict[str, int] = {}  # plain key → rank of the first draft holding it
    if tl.monotonic:  # a draft inherits only from its base, which comes earlier
        for r in tl.ordered:
            for key in tl.own[r.id]:
                first.setdefault(key, rank[r.id])
    else:
        for r in tl.ordered:
            for key in tl.manifests[r.id]:
                first.setdefault(key, rank[r.id])
    for key in renamed:
        first.pop(key, None)
    tl.prefetch(tl.blobs())
    pushing = {k for rows in tl.own.values() for k, b in rows.items() if b is not None and k not in renamed and tl.pushes(b)}
    pushed: dict[str, list[tuple[int, str, frozenset[str]]]] = {}
    for key in pushing:
        held = tl.holders(key)
        pushed[key] = sorted((rank[d], d, frozenset(t.pushed_by.parties)) for d, t in held.items() if t.pushed_by)
    groups: list[_Group] = []
    done: set[str] = set()
    for key in sorted(renamed):
        if key in done:
            continue
        keys = frozenset(snap.aliases(key))
        done |= keys
        terms, _ = snap.followed(key)
        holders = sorted(terms, key=rank.__getitem__)
        held_pushed = [(rank[d], d, frozenset(terms[d].pushed_by.parties)) for d in holders if terms[d].pushed_by]
        firsts = {k: min((rank[d] for d in holders if k in tl.manifests[d]), default=len(rank)) for k in keys}
        groups.append(_Group(keys, terms, [rank[d] for d in holders], holders, held_pushed, MappingTrack(terms), firsts))
    return _BoardIndex(first, pushed, groups)


def _value_of(term: Term | None) -> Any:
    return None if term is None else term.value


def positions(snap: Snapshot, as_of: dt.date | None = None, parties: Sequence[str] | None = None) -> Positions:
    codes = list(parties) if parties else [p.code for p in snap.negotiation.parties]
    with gc_paused():
        latest, terms = _Board(snap, codes).all(len(snap.ordered(as_of)) - 1)
    return Positions(as_of, codes, latest, terms)


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


def _gap_row(negotiation: Negotiation, t: TermPositions, a: str, b: str) -> GapRow:
    pa, pb = t.positions[a], t.positions[b]
    return GapRow(t.key, pa, pb, distance(negotiation, t.key, pa.value, pb.value, (a, b)) if pa and pb else None)


def gap(snap: Snapshot, a: str, b: str, as_of: dt.date | None = None) -> Gap:
    """The open terms between parties ``a`` and ``b``, and how the gap moved draft date by date.

    The convergence is worked out day by day incrementally: a term's positions can only move
    where a party's latest draft changed it (the manifests say which terms), where it first
    appears, or where a draft names who pushed it; every other term keeps its status.
    """
    with gc_paused():
        board = _Board(snap, [a, b])
        drafts = snap.ordered(as_of)
        _, final = board.all(len(drafts) - 1)
        rows = [_gap_row(snap.negotiation, t, a, b) for t in final if t.status == OPEN]
        out = Gap(a, b, as_of, rows, sum(t.status == AGREED for t in final), sum(t.status == DROPPED for t in final))

        tl = snap.timeline
        by_first: dict[int, list[str]] = {}
        for key, first in board.first.items():
            by_first.setdefault(first, []).append(key)
        entered: list[str] = []
        status: dict[str, str] = {}  # plain terms; their counts and open set kept alongside
        counts = {AGREED: 0, OPEN: 0, DROPPED: 0}
        open_keys: set[str] = set()
        distances: dict[str, Distance] = {}
        before: dict[str, str | None] | None = None
        cutoff = -1
        on_day: dict[dt.date, list[str]] = {}
        group_answers: dict[int, tuple[TermPositions, Distance | None]] = {}  # renamed terms, by group
        for r in drafts:
            on_day.setdefault(r.header.date, []).append(r.id)
        for day in sorted(on_day):
            previous_cutoff = cutoff
            while cutoff + 1 < len(drafts) and drafts[cutoff + 1].header.date <= day:
                cutoff += 1
            latest = board.latest(cutoff)
            dirty: set[str] = set()
            for rank in range(previous_cutoff + 1, cutoff + 1):
                dirty.update(by_first.get(rank, ()))
            entered += sorted(dirty)
            everything = False  # a party tabled its first draft: every term may move
            moved: set[str] = set()  # keys that differ between a party's latest drafts
            for code in (a, b):
                old, new = (before or {}).get(code), latest[code]
                if old == new:
                    continue
                if old is None or new is None:
                    everything = True
                    dirty = set(entered)
                    break
                moved |= tl.changed(old, new)
            dirty |= moved
            dirty |= {k for k in board.pushed if board.first[k] <= cutoff}
            for key in dirty:
                if key not in board.first or board.first[key] > cutoff:
                    continue
                t = board.term(key, latest, cutoff)
                if key in status:
                    counts[status[key]] -= 1
                status[key] = t.status
                counts[t.status] += 1
                distances.pop(key, None)
                if t.status == OPEN:
                    open_keys.add(key)
                    d = _gap_row(snap.negotiation, t, a, b).distance
                    if d is not None:
                        distances[key] = d
                else:
                    open_keys.discard(key)
            before = latest
            # A renamed term moves where a plain one would (one of its keys differs between a
            # party's latest drafts, or it names who pushed it), and also where it takes a new
            # key or first shows an alias: otherwise it keeps its last answer.
            day_counts = dict(counts)
            day_open = set(open_keys)
            day_distances = dict(distances)
            for i, g in enumerate(board.groups):
                if g.ranks[0] > cutoff:
                    continue
                answer = group_answers.get(i)
                came_in = bisect_right(g.ranks, cutoff) != bisect_right(g.ranks, previous_cutoff)  # a draft holding it
                if (
                    answer is None or everything or g.pushed or not moved.isdisjoint(g.keys)
                    or came_in and board.group_key(g, cutoff) != answer[0].key
                    or came_in and any(previous_cutoff < first <= cutoff for first in g.first.values())
                ):
                    t = board.group(g, latest, cutoff)
                    group_answers[i] = (t, _gap_row(snap.negotiation, t, a, b).distance if t.status == OPEN else None)
                t, d = group_answers[i]
                day_counts[t.status] += 1
                if t.status == OPEN:
                    day_open.add(t.key)
                    if d is not None:
                        day_distances[t.key] = d
            open_terms = sorted(day_open)
            out.convergence.append(
                ConvergencePoint(
                    date=day, drafts=on_day[day], agreed=day_counts[AGREED],
                    open=day_counts[OPEN], dropped=day_counts[DROPPED], known=latest[a] is not None and latest[b] is not None,
                    open_terms=open_terms, distances={k: day_distances[k] for k in open_terms if k in day_distances},
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
    return changes(snap, None, record)


def changes(snap: Snapshot, old: DraftRecord | None, new: DraftRecord) -> DiffResult:
    """What ``tracker diff OLD NEW`` reports (``compare.diff_records``), from the snapshot:
    only the terms the manifests say differ are read."""
    tl = snap.timeline
    before = tl.manifests[old.id] if old is not None else {}
    after = tl.manifests[new.id]
    changed = tl.changed(old.id if old is not None else None, new.id)
    old_ids = {k: before[k] for k in changed if k in before}
    new_ids = {k: after[k] for k in changed if k in after}
    terms = tl.terms([*old_ids.values(), *new_ids.values()])
    result = compare({k: terms[b] for k, b in old_ids.items()}, {k: terms[b] for k, b in new_ids.items()}, old_ids, new_ids)
    result.unchanged = len(after) - len(new_ids)
    if old is None:
        for change in result.changes:
            change.attribution = attribute_term(change.term, [new.id], BEFORE, snap.lineage, tl.track(change.term), snap.negotiation)
    else:
        attribute(result, old.id, new.id, snap.lineage, tl.track, snap.negotiation)
    return result


def quoted(snap: Snapshot, draft: str, change: Change) -> list[Cited]:
    """The evidence the draft cites for a change (a drop cites nothing: the term is gone)."""
    return snap.citations(draft, change.new)


def moved_keys(snap: Snapshot) -> list[str]:
    """Terms whose value changed at some point after they first appeared (in reading order,
    across all branches). Only the terms the manifests say differ are compared.

    A renamed term is one term: it is followed across its keys and named once, by its key in
    the latest draft holding it (as positions name it); a rename alone is no change of value.
    """
    tl = snap.timeline
    renamed = snap._renamed
    seen: set[str] = set()
    moved: set[str] = set()
    before: dict[str, int] = {}
    previous: str | None = None
    for r in tl.ordered:
        after = tl.manifests[r.id]
        for key in tl.changed(previous, r.id):
            if key in renamed:
                continue
            if key in seen:
                if tl.token(before.get(key)) != tl.token(after.get(key)):
                    moved.add(key)
            elif key in after:
                seen.add(key)
        before, previous = after, r.id
    for group in snap.board_index.groups:  # a draft holding none of its keys reads as absent
        if len({group.track.token(r.id) for r in tl.ordered[group.ranks[0] :]}) > 1:
            moved.add(min(k for k in group.keys if k in tl.manifests[group.holders[-1]]))
    return sorted(moved)
