"""One negotiation as its drafts state it: the position model every answer is derived from.

``shared/negotiation-semantics.md`` defines it; in short:

- A draft says one of three things about each term: a value, *absent*, or nothing (unknown).
  A ``full`` draft (recorded from the text) states every term it holds, and states as absent
  every term its parents had that it no longer holds — unless the term moved to a new key
  (a rename). A ``partial`` draft (recorded from reports) states only what it holds; the rest
  of its first parent's terms are *carried over, unconfirmed*: shown, never its position.
- A term is one term across renames: keys linked by a rename anywhere in the negotiation form
  one term (its *keys*), and every answer follows it across them.
- A party's position on a term, as of a place in reading order, is the term's state in the
  latest draft the party tabled (alone or jointly, not withdrawn) that states it.
- A party's move is labelled against its own previous position (``label``).

Diffs, attribution, blame, term histories, positions, gaps and the report all read this view,
so they cannot disagree. It reads a :class:`~tracker.db.timeline.Timeline` and works terms out
once, when first asked for, by one rule that keeps per draft what it states absent and what it
carries over; a state is read off those sets (a party's position needs no more), and a
:class:`Track` lays one term's states out along every draft for the walks of attribution and
term histories. A diff of two drafts looks at the terms that differ and the drafts where they
come or go, a report at all of them. Nothing here writes to the database.

One module of some 940 lines on purpose: the rule, the tracks, the positions and the labels
share the per-draft sets one class works out lazily and keeps consistent; split across
modules they would still be one object's state, reached from outside. Its sections run
renames → terms and keys → the rule → states → tracks → values → positions and labels.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import compress, repeat
from operator import is_, is_not, itemgetter, ne
from typing import AbstractSet, Any, Callable, Iterable, Iterator, Sequence

from tracker.db.timeline import Timeline
from tracker.engine.diff import pair_renames
from tracker.model.events import Applied
from tracker.model.quantities import closeness, same, toward
from tracker.model.termsheet import Negotiation, Term, TermPreferences
from tracker.model.values import ABSENT, Absent, token_of

OPENING, CONCESSION, HARDENING, NEUTRAL = "opening", "concession", "hardening", "neutral"
AGREED, OPEN, UNADDRESSED = "agreed", "open", "unaddressed"
_ABSENT_VALUE = Absent(type="none")
_NOTHING: frozenset[str] = frozenset()
_RANK = itemgetter(0)


@dataclass(frozen=True, slots=True)
class State:
    """What one draft says about one term."""

    key: str  # the term's key in this draft
    blob: int | None  # the stored term; None when the text left the term out
    token: str  # the value's comparable form (``ABSENT`` for an absent term)
    stated: bool  # False: carried over from a parent, unconfirmed (a partial draft)
    origin: str  # the draft that stated it (the draft itself when stated)

    @property
    def absent(self) -> bool:
        return self.token == ABSENT


@dataclass(frozen=True, slots=True)
class Position:
    party: str
    draft: str  # the latest draft the party tabled that states the term
    state: State


class Track:
    """One term in every draft, indexed by reading-order rank: what each draft says of it.

    Walks along a negotiation (attribution, labels, term histories) read these lists instead
    of looking a term up draft by draft. ``token[i]`` is None where draft ``i`` says nothing of
    the term; ``norm[i]`` is the token with an absence read as the term's declared default, which
    is what values are compared by.
    """

    __slots__ = ("keys", "blob", "token", "norm", "stated", "keyed", "origin")

    def __init__(self, keys: frozenset[str], n: int):
        self.keys = keys
        self.blob: list[int | None] = [None] * n
        self.token: list[str | None] = [None] * n
        self.norm: list[str | None] = self.token
        self.stated: list[bool] = [False] * n
        # A renamed term: the key each draft has it under (one key's track needs none).
        self.keyed: list[str | None] | None = [None] * n if len(keys) > 1 else None
        self.origin: dict[int, str] = {}  # rank → the draft a carried-over state comes from

    def stating(self, token: str | None) -> Iterator[int]:
        """The ranks of the drafts that state ``token`` (a ``norm`` token), in reading order."""
        norm, stated = self.norm, self.stated
        i = -1
        while True:
            try:
                i = norm.index(token, i + 1)
            except ValueError:
                return
            if stated[i]:
                yield i

    def key(self, i: int) -> str | None:
        """The term's key in the draft at rank ``i`` (None where it says nothing of it)."""
        if self.keyed is not None:
            return self.keyed[i]
        return next(iter(self.keys)) if self.token[i] is not None else None

    def state(self, i: int, draft: str) -> State | None:
        token = self.token[i]
        if token is None:
            return None
        return State(self.key(i), self.blob[i], token, self.stated[i], draft if self.stated[i] else self.origin[i])  # type: ignore[arg-type]


class View:
    """Every term in every draft — held, left out, carried over or unknown — with renames and
    positions, worked out for a set of terms when first asked for: per draft, the keys it states
    as absent and those it carries over (``_says`` reads a state off them); a term's ``Track``
    lays the same states out along every draft, for walks."""

    def __init__(self, negotiation: Negotiation, timeline: Timeline, applied: Applied | None = None):
        self.negotiation = negotiation
        self.timeline = timeline
        # The events behind what the drafts now say (statuses, later evidence, corrections).
        self.applied = applied if applied is not None else Applied(negotiation, list(timeline.records), list(timeline.records))
        self.event_sources = self.applied.sources()
        self.lineage = timeline.lineage
        self.by_id = timeline.by_id
        self.ordered = [r.id for r in self.lineage.ordered]
        self.rank = self.lineage.rank
        self.parties = [p.code for p in negotiation.parties]
        n = len(self.ordered)
        # Drafts' parts by rank. Terms are worked out parents first: in reading order when no
        # draft is dated before a parent of its, else in the order they were recorded.
        self._held = [timeline.manifests[d] for d in self.ordered]
        self._full = [self.by_id[d].header.coverage == "full" for d in self.ordered]
        self._parents = [[self.rank[p] for p in self.lineage.parents(d)] for d in self.ordered]
        # The rank of the draft each one is stored on as a delta (-1: stored whole, or on a
        # draft out of view).
        bases = [timeline.by_id_pk(self.by_id[d].base_pk) for d in self.ordered]
        self._stored_on = [self.rank.get(b.id, -1) if b is not None else -1 for b in bases]
        topological = all(p < i for i in range(n) for p in self._parents[i])
        self._topological = topological
        self._order = list(range(n)) if topological else [self.rank[r.id] for r in self.lineage.recorded]
        self._position = {i: pos for pos, i in enumerate(self._order)}
        self._renames: dict[tuple[int, int], list[tuple[str, str]]] = {}
        self._coming: dict[tuple[int, int], tuple[dict[str, int], dict[str, int]]] = {}  # what ``prepare`` found, for the search
        self._links: dict[str, set[str]] = {}
        self._carried_values: dict[int, dict[str, tuple[int, str]]] = {}
        # What the rule worked out, per draft by rank, for the keys in ``_ruled``: the keys a
        # draft states as absent (``_left``) and those it carries over (``_kept``). Sets are
        # shared between drafts and never changed in place.
        self._ruled: set[str] = set()
        self._pass: dict[str, set[str]] = {}  # key → the keys worked out with it, tracks still to build
        self._left: list[AbstractSet[str]] = [_NOTHING] * n
        self._kept: list[AbstractSet[str]] = [_NOTHING] * n
        self._keys: dict[str, Track] = {}
        self._tracks: dict[frozenset[str], Track] = {}
        self._held_lists: dict[str, list[int | None]] = {}
        self._sorted: dict[frozenset[str], tuple[str, ...]] = {}
        self._moved_from: dict[tuple[int, int], set[str]] = {}
        self._aliases: dict[str, frozenset[str]] = {}
        self._along: dict[int, tuple[Sequence[str], tuple[str, ...], list[int]]] = {}
        self._labels: dict[tuple[str, frozenset[str], str, bool], str | None] = {}
        self._moves: dict[str, dict[frozenset[str], list[tuple[int, Position]]]] = {}
        self._earlier: dict[str, tuple[frozenset[int], int]] = {}
        # Attributions asked for more than once (a report's diffs and term histories ask the
        # same question of each draft): see ``attribution.attribute_along``.
        self.attributions: dict[tuple[frozenset[str], tuple[str, ...], str], Any] = {}

    # --- renames ----------------------------------------------------------------------------

    def is_base(self, parent: int, child: int) -> bool:
        """Whether the draft at rank ``child`` is stored as a delta against the one at ``parent``
        (then its own rows are exactly what changed between them)."""
        return self._stored_on[child] == parent

    def _pair_renames(self, parent: int, child: int) -> list[tuple[str, str]]:
        """Renames between a draft and one parent: declared (``renamed_from``) always; by an
        identical value under a new key only in a full draft (a partial draft's silence about
        a key is no drop). Found by ``diff.pair_renames``, the diff engine's own rule; worked
        out once per pair, when a term that comes or goes there is first looked at."""
        found = self._renames.get((parent, child))
        if found is not None:
            return found
        tl = self.timeline
        new, old = self._coming.pop((parent, child), None) or self._comes_and_goes(parent, child)
        found = []
        if new:
            tl.prefetch([*old.values(), *new.values()])  # the bodies compared below, in one query
            declared = {k: rf for k, b in new.items() if (rf := tl.renamed_from(b)) is not None}
            detect = self._full[child]
            if detect or declared:
                tokens = {k: t for k, b in old.items() if (t := tl.token(b)) != ABSENT}
                found = pair_renames(tokens, {k: tl.token(b) for k, b in new.items()}, declared, detect=detect)
        for old_key, new_key in found:
            self._links.setdefault(old_key, set()).add(new_key)
            self._links.setdefault(new_key, set()).add(old_key)
        self._renames[(parent, child)] = found
        return found

    def _comes_and_goes(self, parent: int, child: int) -> tuple[dict[str, int], dict[str, int]]:
        """The keys a draft holds that a parent neither holds nor carries over, and those the
        parent holds or carries over that the draft does not: key → blob, each. Looked at
        whole, whatever keys the timeline has read: the rename search compares them all."""
        tl = self.timeline
        carried = self._carried(parent)
        if not carried and self.is_base(parent, child):  # a delta against this parent: its own rows are what changed
            own = tl.whole_own(self.ordered[child])
            tl.widen(own)  # what the parent holds of those keys
            before = self._held[parent]
            return ({k: b for k, b in own.items() if b is not None and k not in before},
                    {k: before[k] for k, b in own.items() if b is None})
        held, before = tl.whole(self.ordered[child]), tl.whole(self.ordered[parent])
        old = {k: b for k, b in before.items() if k not in held}
        old.update((k, b) for k, (b, _) in carried.items() if k not in held)
        return {k: b for k, b in held.items() if k not in before and k not in carried}, old

    def _carried(self, i: int) -> dict[str, tuple[int, str]]:
        """What a partial draft carries over with a value: key → (blob, the stating draft)."""
        if self._full[i] or not self._parents[i]:
            return {}
        found = self._carried_values.get(i)
        if found is None:
            p0 = self._parents[i][0]
            held = self.timeline.whole(self.ordered[i])
            moved = {old for old, _ in self._pair_renames(p0, i)}
            found = {k: v for k, v in self._carried(p0).items() if k not in held and k not in moved}
            origin = self.ordered[p0]
            found.update((k, (b, origin)) for k, b in self.timeline.whole(self.ordered[p0]).items() if k not in held and k not in moved)
            self._carried_values[i] = found
        return found

    @cached_property
    def _headings(self) -> list[tuple[str, int, str, tuple[str, ...]]]:
        return [(d, (r := self.by_id[d]).seq, r.header.date.isoformat(), tuple(r.header.tabled_by)) for d in self.ordered]

    def heading(self, i: int) -> tuple[str, int, str, tuple[str, ...]]:
        """The draft at rank ``i``: (id, sequence number, date, tabling parties), shared."""
        return self._headings[i]

    def along(self, path: Sequence[str]) -> tuple[tuple[str, ...], list[int]]:
        """A path of drafts as a hashable key and as ranks (the last few paths, remembered:
        attribution asks about one path for many terms)."""
        found = self._along.get(id(path))
        if found is not None and found[0] is path:
            return found[1], found[2]
        key = tuple(path)
        ranks = [self.rank[d] for d in path]
        if len(self._along) > 64:
            self._along.clear()
        self._along[id(path)] = (path, key, ranks)
        return key, ranks

    def forget(self) -> None:
        """Drop what answers were worked out from (tracks, remembered labels and attributions),
        keeping the drafts and their term bodies: what rendering the answers still reads."""
        self._keys.clear()
        self._coming.clear()
        self._tracks.clear()
        self._held_lists.clear()
        self._ruled.clear()
        self._pass.clear()
        self._left = self._kept = []
        self._labels.clear()
        self._moves.clear()
        self._aliases.clear()
        self.attributions.clear()
        self.__dict__.pop("_terms", None)
        self._held = []
        self.timeline.forget_rows()

    # --- terms and their keys ---------------------------------------------------------------

    @property
    def all_keys(self) -> frozenset[str]:
        """Every key any draft holds or held (the timeline reads every key's rows for it)."""
        return self.timeline.every_key()

    def aliases(self, key: str) -> frozenset[str]:
        """The keys of the term ``key`` names: ``key`` and every key a rename links to it."""
        known = self._aliases.get(key)
        if known is not None:
            return known
        self._work_out((key,))
        if key not in self._links:
            known = self._aliases[key] = frozenset((key,))
            return known
        found, todo = {key}, [key]
        while todo:
            k = todo.pop()
            self._work_out((k,))  # looks at every pair where k comes or goes
            for other in self._links.get(k, ()):
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return frozenset(found)  # not remembered: a later track may find another link

    @cached_property
    def _terms(self) -> list[frozenset[str]]:
        self._work_out(self.all_keys)
        out, seen = [], set()
        for key in sorted(self.all_keys):
            if key not in seen:
                keys = self.aliases(key)
                seen |= keys
                out.append(keys)
        return out

    def terms(self) -> list[frozenset[str]]:
        """Every term of the negotiation, as its keys."""
        return self._terms

    def name(self, keys: frozenset[str], upto: int | None = None) -> str:
        """A term's name: its key in the latest draft (in reading order, up to rank ``upto``)
        that holds it (a partial draft only carrying it over does not)."""
        if len(keys) == 1:
            return next(iter(keys))
        last = len(self.ordered) - 1 if upto is None else upto
        for i in range(last, -1, -1):
            s = self.state_at(i, keys)
            if s is not None and s.stated and s.blob is not None:
                return s.key
        return min(keys)

    def preferences(self, keys: frozenset[str]) -> TermPreferences | None:
        """The term's declared preferences, under whichever of its keys they were declared."""
        prefs = self.negotiation.preferences
        for key in sorted(keys):
            if key in prefs:
                return prefs[key]
        return None

    # --- what drafts say --------------------------------------------------------------------

    def prepare(self, keys: Iterable[str]) -> None:
        """Read, in one query, the term bodies the tracks of ``keys`` will compare: theirs, and
        those the rename search compares wherever one of them comes or goes. (``_work_out``
        calls it; call ``compute`` to work many terms out at once.)"""
        wanted = {k for k in keys if k not in self._ruled}
        if not wanted:
            return
        if self._many(wanted):  # much of the sheet: every blob, those the rename search compares too
            self.timeline.prefetch(self.timeline.blobs())
            return
        children, firsts = self._single_parents
        blobs: set[int] = set()
        pairs: set[tuple[int, int]] = set()
        for key in wanted:
            held = self._held_of(key)
            blobs.update(held)
            # Where it comes or goes: held on one side of a draft and its parent, not the other
            # (the drafts with one parent compared in C, merges against all their parents).
            none = list(map(is_, held, repeat(None)))
            moved = map(ne, map(none.__getitem__, children), map(none.__getitem__, firsts))
            pairs.update(compress(zip(firsts, children), moved))
            for i, ps in self._merges:
                if none[i] != all(none[p] for p in ps):
                    pairs.update((p, i) for p in ps)
        blobs.discard(None)  # type: ignore[arg-type]
        todo = [(p, i) for p, i in pairs if (p, i) not in self._renames]
        if self.timeline.loaded is not None and todo:
            # Read for some keys: the drafts' own rows the rename search compares, and the keys
            # they name, in two queries rather than two a pair.
            owns = self.timeline.read_own([self.ordered[i] for _, i in todo])
            self.timeline.widen(set().union(*owns))
        for p, i in todo:  # kept for the search (``_pair_renames``), which takes them
            new, old = self._coming[(p, i)] = self._comes_and_goes(p, i)
            blobs.update(new.values(), old.values())
        self.timeline.prefetch(blobs)

    @cached_property
    def _single_parents(self) -> tuple[list[int], list[int]]:
        """The drafts with one parent, and those parents, by rank (two lists, in step)."""
        pairs = [(i, ps[0]) for i, ps in enumerate(self._parents) if len(ps) == 1]
        return [i for i, _ in pairs], [p for _, p in pairs]

    @cached_property
    def _merges(self) -> list[tuple[int, list[int]]]:
        """The drafts with several parents, with them, by rank."""
        return [(i, ps) for i, ps in enumerate(self._parents) if len(ps) > 1]

    def _many(self, keys: set[str]) -> bool:
        """Whether ``keys`` are a fifth of the negotiation's keys or more: then one pass over
        every draft's terms costs less than looking each key up draft by draft (a timeline read
        for some keys holds those alone: they are looked up)."""
        return self.timeline.loaded is None and len(keys) * 5 >= len(self.all_keys)

    def _held_of(self, key: str) -> list[int | None]:
        found = self._held_lists.get(key)
        if found is None:
            found = self._held_lists[key] = list(map(dict.get, self._held, repeat(key)))
        return found

    def compute(self, keys: Iterable[str]) -> None:
        """Work out what every draft says of ``keys`` together (far cheaper than one at a
        time), and of every key a rename links them to, a pass per step of links (``aliases``
        then finds them worked out)."""
        todo = set(keys)
        while todo:
            self._work_out(todo)
            links = self._links
            todo = {o for k in todo if k in links for o in links[k] if o not in self._ruled}

    def _work_out(self, keys: Iterable[str]) -> None:
        """Work out what every draft says of each of ``keys``, by the one rule (``_rule``), and
        keep it per draft: the keys it states as absent and those it carries over."""
        if self._ruled.issuperset(keys):
            return
        wanted = {k for k in keys if k not in self._ruled}
        self.timeline.widen(wanted)  # their rows, where only some keys were read
        self.prepare(wanted)
        left, kept = self._rule(wanted, self._many(wanted))
        for found, into in ((left, self._left), (kept, self._kept)):
            for i, ks in found.items():
                into[i] = ks if not into[i] else into[i] | ks  # never in place: sets are shared
        self._ruled |= wanted
        for k in wanted:  # their tracks are built together, when the first is asked for
            self._pass[k] = wanted

    # --- one state: what a draft says of a term -------------------------------------------

    def _says(self, i: int, key: str) -> State | None:
        """What the draft at rank ``i`` says of ``key`` (worked out): a value it holds, an
        absence it states, what it carries over from its first parent, or nothing."""
        blob = self._held[i].get(key)
        if blob is not None:
            return State(key, blob, self.timeline.token(blob), True, self.ordered[i])
        if key in self._left[i]:
            return State(key, None, ABSENT, True, self.ordered[i])
        if key in self._kept[i]:
            s = self._says(self._parents[i][0], key)
            return State(key, s.blob, s.token, False, s.origin) if s is not None else None
        return None

    def state_at(self, i: int, keys: frozenset[str]) -> State | None:
        """What the draft at rank ``i`` says of a term under any of its keys: a held value
        first, then an absence, then what it carries over (the first key in order on a tie)."""
        t = self._tracks.get(keys)
        if t is not None:  # built: the same states, as lists
            return t.state(i, self.ordered[i])
        if not self._ruled.issuperset(keys):
            self._work_out(keys)
        if len(keys) == 1:
            return self._says(i, next(iter(keys)))
        best = None
        for key in self._in_order(keys):
            s = self._says(i, key)
            if s is not None and (best is None or _weight(s.stated, s.blob) < _weight(best.stated, best.blob)):
                best = s
        return best

    def _states_of(self, keys: frozenset[str]) -> Callable[[int], bool]:
        """Whether the draft at a rank states the term (holds it, or states it absent): read
        off its track where built, else off the drafts' own sets."""
        t = self._tracks.get(keys)
        if t is not None:
            return t.stated.__getitem__
        held, left = self._held, self._left
        if len(keys) == 1:
            (k,) = keys
            return lambda i: k in held[i] or k in left[i]
        return lambda i: any(k in held[i] or k in left[i] for k in keys)

    def _in_order(self, keys: frozenset[str]) -> tuple[str, ...]:
        found = self._sorted.get(keys)
        if found is None:
            found = self._sorted[keys] = tuple(sorted(keys))
        return found

    # --- tracks: one term along every draft -------------------------------------------------

    def _key_track(self, key: str) -> Track:
        found = self._keys.get(key)
        if found is None:
            self._work_out((key,))
            self._build(self._pass[key])
            found = self._keys[key]
        return found

    def _build(self, keys: set[str]) -> None:
        """The tracks of ``keys`` (worked out together), read off the drafts' states
        (``_says``) for all of them at once: a column of blob ids per key, the absences and
        what is carried over patched in."""
        order = sorted(k for k in keys if k not in self._keys)
        for k in order:
            self._pass.pop(k, None)
        if not order:
            return
        tl, held = self.timeline, self._held
        if self._many(keys):  # a row per draft turned into a column per key, in C
            columns: Iterable[Sequence[int | None]] = zip(*[list(map(m.get, order)) for m in held])
            tokens = tl.tokens(tl.blobs())
        else:
            columns = [self._held_lists.pop(k, None) or list(map(dict.get, held, repeat(k))) for k in order]
            tokens = tl.tokens({b for column in columns for b in column if b is not None})
        wanted = set(order)
        every = len(wanted) == len(self._ruled)  # the drafts' sets hold worked-out keys only
        absent_at: dict[str, list[int]] = {}  # key → the ranks of the drafts that state it absent
        for i, ks in enumerate(self._left):
            for k in ks if every else ks & wanted if ks else ():
                found = absent_at.get(k)
                if found is None:
                    absent_at[k] = [i]
                else:
                    found.append(i)
        for k, column in zip(order, columns):
            t = Track(frozenset((k,)), 0)
            t.blob = list(column)
            t.token = token = list(map(tokens.get, t.blob))  # None where it holds no value
            for i in absent_at.get(k, ()):
                token[i] = ABSENT
            t.stated = list(map(is_not, token, repeat(None)))
            self._keys[k] = t
        carried = [(i, ks if every else ks & wanted) for i, ks in enumerate(self._kept) if ks]
        for i, ks in sorted(carried, key=lambda c: self._position[c[0]]) if carried else ():  # parents first
            p0, origin = self._parents[i][0], self.ordered[self._parents[i][0]]
            for k in ks:
                t = self._keys[k]
                t.blob[i], t.token[i], t.stated[i] = t.blob[p0], t.token[p0], False
                t.origin[i] = origin if t.stated[p0] else t.origin[p0]
        for k in order:
            self._normalise(self._keys[k])

    def _rule(self, wanted: set[str], every: bool) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
        """The keys each draft leaves out (a full draft, of what its parents knew of) and those
        it carries over (a partial draft, of what its first parent knew of): rank → keys."""
        n = len(self.ordered)
        parents, full = self._parents, self._full
        waiting = [0] * n  # children still to work out, per draft: when none are left, its sets can go
        for ps in parents:
            for p in ps:
                waiting[p] += 1
        valued: dict[int, set[str] | None] = {}  # keys a draft holds or carries with a value (None: its held keys)
        absent: dict[int, set[str]] = {}  # keys a draft leaves out, or carries over as left out
        left: dict[int, set[str]] = {}
        kept: dict[int, set[str]] = {}
        whole = every and wanted >= self.all_keys  # every key: a draft's own keys need no filtering
        own, ordered = self.timeline.own, self.ordered
        plain = [not ps or f for ps, f in zip(parents, full)]  # what it knows of with a value is what it holds

        def holding(i: int) -> set[str]:
            held = self._held[i]
            return set(held) if whole else set(held) & wanted if every else {k for k in wanted if k in held}

        def had_by(p: int) -> set[str]:
            found = valued[p]
            return holding(p) if found is None else found

        for i in self._order:
            ps = parents[i]
            if not ps:
                valued[i], absent[i] = None, set()
                continue
            p0 = ps[0]
            if full[i] and len(ps) == 1 and plain[p0] and self.is_base(p0, i):
                # A full draft stored as a delta on its only parent, which holds what it knows
                # of with a value: its own rows are what it added and dropped, so the sets are
                # worked out from them alone (most drafts; the sets of the rest are whole).
                before = self._held[p0]
                added, gone = set(), set()
                for k, b in own[ordered[i]].items():
                    if whole or k in wanted:
                        if b is None:
                            gone.add(k)
                        elif k not in before:
                            added.add(k)
                if gone:
                    gone -= self._moved_keys(i, gone)  # only a value can move to another key
                was = absent[p0]
                out = was - added if added else was  # unchanged, it is shared with the parent
                if gone:
                    out = out | gone
                valued[i], absent[i] = None, out
                if out:
                    left[i] = out
                if added:  # it comes here, its parent holding no value of it: from another key?
                    self._pair_renames(p0, i)
            else:
                mine = holding(i)
                if full[i] and len(ps) > 1:  # a full merge: what any parent knew of
                    had, was = set().union(*(had_by(p) for p in ps)), set().union(*(absent[p] for p in ps))
                else:  # one parent, or a partial draft: its first parent
                    had, was = had_by(p0), absent[p0]
                gone = had - mine
                if gone:
                    gone -= self._moved_keys(i, gone)  # only a value can move to another key
                out = (was - mine) | gone if full[i] else was - mine
                if full[i]:
                    valued[i], absent[i] = mine, out
                    if out:
                        left[i] = out
                else:  # partial: what the first parent knew of, carried over, unconfirmed
                    valued[i], absent[i] = mine | gone, out
                    if gone or out:
                        kept[i] = gone | out
                # Held here with no value in a parent (unknown to it, or absent there: a term may
                # come back under a key it once had): from another key? Every pair where a key
                # comes or goes is searched whichever key is asked about first, so that a term's
                # keys never depend on the order questions are asked in.
                fresh = mine - had if len(ps) == 1 else mine - set.intersection(*(had_by(p) for p in ps))
                if fresh:
                    for p in ps:
                        self._pair_renames(p, i)
            for p in ps:
                waiting[p] -= 1
                if not waiting[p]:
                    del valued[p], absent[p]
        return left, kept

    def _moved_keys(self, i: int, keys: set[str]) -> set[str]:
        """Those of ``keys`` that moved to another key in the draft at rank ``i``."""
        out: set[str] = set()
        for p in self._parents[i]:
            found = self._moved_from.get((p, i))
            if found is None:
                found = self._moved_from[(p, i)] = {old for old, _ in self._pair_renames(p, i)}
            out |= found & keys
        return out

    def track(self, keys: frozenset[str]) -> Track:
        """A term in every draft (see ``Track``), worked out once."""
        found = self._tracks.get(keys)
        if found is None:
            if len(keys) == 1:
                found = self._key_track(next(iter(keys)))
            else:
                found = self._group_track(keys, [self._key_track(k) for k in sorted(keys)])
            self._tracks[keys] = found
        return found

    def _group_track(self, keys: frozenset[str], parts: list[Track]) -> Track:
        """One track of a renamed term from its keys' tracks: at each draft, a held value
        first, then an absence, then what is carried over."""
        n = len(self.ordered)
        t = Track(keys, n)
        first, *rest = parts  # one key's track each, in key order: the first says it where it can
        t.blob, t.token, t.stated, t.origin = list(first.blob), list(first.token), list(first.stated), dict(first.origin)
        key = next(iter(first.keys))
        keyed = t.keyed = [None if token is None else key for token in first.token]
        for part in rest:
            key = next(iter(part.keys))
            for i in compress(range(n), map(is_not, part.token, repeat(None))):  # where it says something
                if t.token[i] is not None and _weight(t.stated[i], t.blob[i]) <= _weight(part.stated[i], part.blob[i]):
                    continue  # an earlier key says as much or more here
                t.blob[i], t.token[i], t.stated[i], keyed[i] = part.blob[i], part.token[i], part.stated[i], key
                if i in part.origin:
                    t.origin[i] = part.origin[i]
                else:
                    t.origin.pop(i, None)
        self._normalise(t)
        return t

    def _normalise(self, t: Track) -> None:
        default = self.default(t.keys)
        if default is not None:
            token = token_of(default)
            t.norm = [token if tok == ABSENT else tok for tok in t.token]
        else:
            t.norm = t.token

    def proposes_at(self, t: Track, i: int, token: str | None) -> bool:
        """Whether the draft at rank ``i`` itself put forward ``token`` (a ``Track.norm``
        token) for the term: it states that value; for absence, it says ``none`` or leaves out
        a term one of its parents held."""
        if not t.stated[i] or t.norm[i] != token:
            return False
        if t.token[i] != ABSENT or t.blob[i] is not None:
            return True
        return any(t.token[p] not in (None, ABSENT) for p in self._parents[i])

    def term_state(self, draft: str, keys: frozenset[str]) -> State | None:
        """What ``draft`` says about a term under any of its keys (a held value first)."""
        return self.state_at(self.rank[draft], keys)

    def carried(self, draft: str) -> dict[str, State]:
        """The terms a partial draft carries over with a value, as states."""
        tl = self.timeline
        return {k: State(k, b, tl.token(b), False, origin) for k, (b, origin) in self._carried(self.rank[draft]).items()}

    def carried_over(self, draft: str) -> dict[str, State]:
        """Everything a partial draft carries over unconfirmed — values and absences alike —
        by the key it has there (works out every term's track)."""
        i = self.rank[draft]
        out = {}
        for keys in self.terms():
            s = self.state_at(i, keys)
            if s is not None and not s.stated:
                out[s.key] = s
        return out

    def value(self, state: State | None) -> Any:
        """The typed value of a state (``none`` for an absent term; None for no state)."""
        return None if state is None else self.blob_value(state.blob)

    def blob_value(self, blob: int | None) -> Any:
        """The typed value of a stated term's blob (``none`` where the text left it out)."""
        return _ABSENT_VALUE if blob is None else self.timeline.value(blob)

    def term(self, state: State | None) -> Term | None:
        """The stored term behind a state (None where the text left the term out)."""
        if state is None or state.blob is None:
            return None
        return self.applied.term(state.origin, state.key, self.timeline.term(state.blob))

    def disputed(self, state: State | None) -> bool:
        """Whether the term behind a state has competing accounts (stored, or from later evidence)."""
        if state is None or state.blob is None:
            return False
        if (state.origin, state.key) in self.applied.evidence:
            term = self.term(state)
            return term is not None and bool(term.reports)
        return self.timeline.disputed(state.blob)

    def deferred(self, state: State | None) -> bool:
        return state is not None and state.blob is not None and self.timeline.deferred(state.blob)

    def label_of(self, state: State | None) -> str | None:
        """The human name the stored term gives itself."""
        return None if state is None or state.blob is None else self.timeline.label(state.blob)

    def default(self, keys: frozenset[str]) -> Any:
        """The term's declared default: the value that applies when a text is silent (or None)."""
        prefs = self.preferences(keys)
        return prefs.default if prefs is not None else None

    def stands_for(self, state: State | None, keys: frozenset[str]) -> Any:
        """The typed value a state stands for: its own, or for an absent term the term's default."""
        return with_default(self.value(state), self.default(keys))

    def token(self, state: State | None, keys: frozenset[str]) -> str | None:
        """What a state says, for comparing: its value token, or for an absent term the token
        of the term's declared default (the value that applies when a text is silent)."""
        if state is None:
            return None
        default = self.default(keys) if state.absent else None
        return token_of(default) if default is not None else state.token

    # --- positions --------------------------------------------------------------------------

    @cached_property
    def _tabled(self) -> dict[str, list[int]]:
        """party → the ranks of the drafts it tabled, alone or jointly, in reading order; a
        withdrawn draft is nobody's position."""
        out: dict[str, list[int]] = {p: [] for p in self.parties}
        for i, d in enumerate(self.ordered):
            header = self.by_id[d].header
            if header.status == "withdrawn":
                continue
            for code in header.tabled_by:
                out.setdefault(code, []).append(i)
        return out

    def tabled_ranks(self, party: str) -> list[int]:
        """The ranks of the drafts ``party`` tabled (not withdrawn), in reading order."""
        return self._tabled.get(party, [])

    def earlier_ranks(self, draft: str) -> tuple[frozenset[int], int]:
        """The drafts a value in ``draft`` could have been taken from (``Lineage.earlier_than``),
        as ranks, and the last of them (-1 for none): a search in reading order stops there."""
        found = self._earlier.get(draft)
        if found is None:
            ranks = frozenset(self.rank[d] for d in self.lineage.earlier_than(draft))
            found = self._earlier[draft] = (ranks, max(ranks, default=-1))
        return found

    def first_parent(self, i: int) -> int | None:
        """The rank of the first parent of the draft at rank ``i`` (None for a first draft)."""
        ps = self._parents[i]
        return ps[0] if ps else None

    def latest_tabled(self, party: str, upto: int) -> str | None:
        """The latest draft ``party`` tabled up to rank ``upto`` included, counted as
        ``position`` counts them (None: none yet)."""
        ranks = self._tabled_then(party, upto + 1)
        j = bisect_left(ranks, upto + 1)
        return self.ordered[ranks[j - 1]] if j else None

    def _tabled_then(self, party: str, before: int) -> Sequence[int]:
        """The ranks of the drafts ``party`` tabled, as of the date of the draft at ``before``:
        a draft withdrawn after that date still counts then (``before`` past the last draft: now)."""
        later = self._withdrawn_later
        ranks = self._tabled.get(party, ())
        if later and before < len(self.ordered):  # those withdrawn since count, in reading order
            then = self.by_id[self.ordered[before]].header.date
            ranks = sorted({*ranks, *(i for i, day in later.items() if day > then and party in self.by_id[self.ordered[i]].header.tabled_by)})
        return ranks

    @cached_property
    def _withdrawn_later(self) -> dict[int, Any]:
        """rank → the date a draft was withdrawn, for drafts withdrawn after they were tabled
        (``tracker status``): until then they were their tablers' positions."""
        out = {}
        for d, changes in self.applied.statuses.items():
            i = self.rank.get(d)
            if i is not None and self.by_id[d].header.status == "withdrawn":
                out[i] = next(e.body.date for e in reversed(changes) if e.body.status == "withdrawn")
        return out

    def position(self, party: str, keys: frozenset[str], before: int) -> Position | None:
        """``party``'s position on a term among the drafts ranked before ``before``, as it was at
        the date of the draft at ``before``: a draft withdrawn after that date still counts then
        (``before`` past the last draft: now)."""
        if not self._ruled.issuperset(keys):
            self._work_out(keys)
        ranks = self._tabled_then(party, before)
        states = self._states_of(keys)
        j = bisect_left(ranks, before)
        while j:  # the latest of them that states the term
            j -= 1
            if states(ranks[j]):
                i = ranks[j]
                return Position(party, self.ordered[i], self.state_at(i, keys))  # type: ignore[arg-type]
        return None

    def positions(self, keys: frozenset[str], party: str, upto: int) -> list[tuple[int, Position]]:
        """Where ``party``'s position on a term moved, up to rank ``upto``: (rank, position)
        at each draft it tabled that states the term with another value than before (a new
        list; the positions are shared)."""
        found = self._party_moves(party).get(keys)
        if not found:
            return []
        return found[: bisect_right(found, upto, key=_RANK)]

    def _party_moves(self, party: str) -> dict[frozenset[str], list[tuple[int, Position]]]:
        """Every term's moves by ``party`` (see ``positions``), found in one pass over the
        drafts it tabled, without laying any term out along every draft: a term's position can
        only move in a draft where one of its keys is held or left out otherwise than in the
        party's draft before (a state is a function of those), so only those keys are looked
        at. Worked out once per party; gaps and the report's tallies ask the same."""
        found = self._moves.get(party)
        if found is not None:
            return found
        term_of = {k: keys for keys in self.terms() for k in keys}
        found = self._moves[party] = {}
        last: dict[frozenset[str], tuple[str, int | None]] = {}
        held, left = self._held, self._left
        before_held: dict[str, int] = {}
        before_left: AbstractSet[str] = _NOTHING
        for i in self._tabled.get(party, ()):
            now_held, now_left = held[i], left[i]
            differ = {k for k, _ in before_held.items() ^ now_held.items()}
            if now_left is not before_left:
                differ |= before_left ^ now_left
            d = self.ordered[i]
            for keys in {term_of[k] for k in differ}:
                s = self.state_at(i, keys)
                if s is None or not s.stated or last.get(keys) == (mark := (s.token, s.blob)):
                    continue
                last[keys] = mark
                found.setdefault(keys, []).append((i, Position(party, d, s)))
            before_held, before_left = now_held, now_left
        return found

    # --- labels -----------------------------------------------------------------------------

    def label(self, party: str, keys: frozenset[str], draft: str, *, adopted: bool = False) -> str | None:
        """``party``'s move on a term in ``draft``, against its own previous position:
        opening, concession, hardening or neutral; None when it did not move (or ``draft``
        does not state the term). ``adopted``: the draft took up another party's earlier
        value, which is a concession where the values themselves cannot say."""
        memo = (party, keys, draft, adopted)
        if memo in self._labels:
            return self._labels[memo]
        found = self._labels[memo] = self._label(party, keys, draft, adopted)
        return found

    def _label(self, party: str, keys: frozenset[str], draft: str, adopted: bool) -> str | None:
        i = self.rank[draft]
        now = self.state_at(i, keys)
        if now is None or not now.stated:
            return None
        previous = self.position(party, keys, i)
        if previous is None:
            return OPENING
        prefs = self.preferences(keys)
        old_v, new_v = self.stands_for(previous.state, keys), self.stands_for(now, keys)
        if same(old_v, new_v):
            return None
        joint = set(self.by_id[draft].header.tabled_by)
        others = []
        for q in self.parties:
            if q != party and (p := self.position(q, keys, i)) is not None:
                others.append((self.stands_for(p.state, keys), q in joint))
        move = judge(old_v, new_v, prefs.of(party) if prefs else None, others, _rankings(prefs))
        if move is None:
            return CONCESSION if adopted else NEUTRAL
        return move

    def moves(self, draft: str, keys: frozenset[str]) -> dict[str, str]:
        """Each party that tabled ``draft`` and moved on the term there: its label."""
        out = {}
        for party in self.by_id[draft].header.tabled_by:
            label = self.label(party, keys, draft)
            if label is not None:
                out[party] = label
        return out


def _weight(stated: bool, blob: int | None) -> tuple[bool, bool]:
    """Which of a renamed term's keys speaks for it in a draft, lowest first: a value the draft
    holds, an absence it states, a value it carries over, an absence it carries over."""
    return (not stated, blob is None)


def with_default(value: Any, default: Any) -> Any:
    """``value``, or ``default`` (when there is one) where the value is an absence."""
    return default if default is not None and isinstance(value, Absent) else value


def _rankings(prefs: TermPreferences | None) -> list[tuple[str, ...]]:
    return [p for p in prefs.parties.values() if isinstance(p, tuple)] if prefs else []


def judge(
    old: Any, new: Any, preference: Any, others: Sequence[tuple[Any, bool]], rankings: Sequence[Sequence[str]] = ()
) -> str | None:
    """How a move from ``old`` to ``new`` reads (``shared/negotiation-semantics.md`` §3).

    With the party's own declared preference: toward what it wants is a hardening, away a
    concession. Otherwise (and always where one side is absent with no default): toward at
    least one other party's current position and away from none is a concession, the reverse
    a hardening; dropping its own demand when nobody else has a position is a concession.
    ``others`` are (position, co-tabled): in a joint text, moving away from a co-tabler's
    previous position is no hardening against it — it moved there too. Taking up another
    party's value is moving toward it, even where the values are otherwise not measurable
    (free text). None when the values cannot be compared.
    """
    absent_involved = isinstance(old, Absent) or isinstance(new, Absent)
    if preference is not None and not absent_involved:
        m = toward(old, new, preference)
        if m is None:
            return None
        return HARDENING if m > 0 else CONCESSION if m < 0 else NEUTRAL
    closer = farther = 0
    for other, joint in others:
        if absent_involved:
            # Absence is its own point: with the others where they also leave the term out,
            # apart from them where they hold it.
            before, after = _apart(old, other), _apart(new, other)
        else:
            before, after = closeness(old, other, rankings), closeness(new, other, rankings)
        if before is None or after is None:
            # Not measurable (changed wording), except that taking up another party's very
            # value is moving to it, and leaving it is moving away.
            closer += after == 0 and before != 0
            farther += before == 0 and after != 0 and not joint
            continue
        closer += after < before
        farther += after > before and not joint
    if closer and not farther:
        return CONCESSION
    if farther and not closer:
        return HARDENING
    if closer or farther:
        return NEUTRAL
    if absent_involved and not others and isinstance(new, Absent):
        return CONCESSION  # it dropped its own demand, which nobody else holds
    return None


def _apart(a: Any, b: Any) -> int:
    """0 for the same value (or both absent), 1 for two values, 2 for a value against absence."""
    if isinstance(a, Absent) or isinstance(b, Absent):
        return 0 if isinstance(a, Absent) and isinstance(b, Absent) else 2
    return 0 if same(a, b) else 1
