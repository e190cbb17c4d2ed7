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
so they cannot disagree. It is built from a :class:`~tracker.timeline.Timeline` in one pass
over the drafts, parents first; nothing here writes to the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from typing import Any, Iterable, Iterator, Sequence

from tracker.canonical import canonical_json
from tracker.diff import pair_renames
from tracker.quantities import closeness, same, toward
from tracker.termsheet import Negotiation, Term, TermPreferences
from tracker.timeline import Timeline
from tracker.values import ABSENT, Absent, value_json

OPENING, CONCESSION, HARDENING, NEUTRAL = "opening", "concession", "hardening", "neutral"
AGREED, OPEN, UNADDRESSED = "agreed", "open", "unaddressed"
_ABSENT_VALUE = Absent(type="none")


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


# Which of several keys of one term a draft is read under: a held value first.
def _preference_of(state: State) -> tuple[int, int]:
    return (not state.stated, state.blob is None)


class View:
    """Every draft's terms as stated, absent, carried over or unknown; renames; positions."""

    def __init__(self, negotiation: Negotiation, timeline: Timeline):
        self.negotiation = negotiation
        self.timeline = timeline
        self.lineage = timeline.lineage
        self.by_id = timeline.by_id
        self.ordered = [r.id for r in self.lineage.ordered]
        self.rank = self.lineage.rank
        self.parties = [p.code for p in negotiation.parties]
        self._absent: dict[str, frozenset[str]] = {}  # full drafts: keys left out
        self._carried: dict[str, dict[str, State]] = {}  # partial drafts: keys carried over
        self._renames: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._build()

    # --- building -------------------------------------------------------------------------

    def _build(self) -> None:
        tl = self.timeline
        tl.prefetch(self._rename_candidates())
        for r in sorted(tl.records, key=lambda r: r.seq):  # parents are recorded first
            d = r.id
            parents = self.lineage.parents(d)
            moved: set[str] = set()
            for p in parents:
                found = self._renames[(p, d)] = self._find_renames(p, d)
                moved.update(old for old, _ in found)
            held = tl.manifests[d]
            if r.header.coverage == "partial":
                self._absent[d] = frozenset()
                carried: dict[str, State] = {}
                if parents:
                    p0 = parents[0]
                    for key in self.keys(p0):
                        if key not in held and key not in moved:
                            s = self.state(p0, key)
                            carried[key] = s if not s.stated else State(key, s.blob, s.token, False, s.origin)  # type: ignore[union-attr]
                self._carried[d] = carried
                continue
            self._absent[d] = self._left_out(d, parents, held, moved)

    def _left_out(self, d: str, parents: list[str], held: dict[str, int], moved: set[str]) -> frozenset[str]:
        """The terms a full draft states as absent: its parents' terms it no longer holds."""
        tl = self.timeline
        if len(parents) == 1 and not self._carried.get(parents[0]) and self._is_base(parents[0], d):
            # A delta against its one parent: only its own rows can change what is left out.
            p = parents[0]
            own = tl.own[d]
            before = self._absent[p]
            dropped = {k for k, b in own.items() if b is None} - moved
            if not dropped and before.isdisjoint(own):
                return before
            return frozenset((before - own.keys()) | dropped)
        keys: set[str] = set()
        for p in parents:
            keys.update(self.keys(p))
        return frozenset(keys - held.keys() - moved)

    def _is_base(self, parent: str, child: str) -> bool:
        base = self.timeline.by_id_pk(self.by_id[child].base_pk)
        return base is not None and base.id == parent

    def _rename_candidates(self) -> set[int]:
        """Blobs whose tokens the rename search compares (read in one query up front)."""
        tl = self.timeline
        out: set[int] = set()
        for r in tl.records:
            held = tl.manifests[r.id]
            for p in self.lineage.parents(r.id):
                before = tl.manifests[p]
                if self._is_base(p, r.id):
                    changed: Iterable[str] = tl.own[r.id]
                else:
                    changed = before.keys() ^ held.keys()
                for key in changed:
                    if key not in held:
                        if key in before:
                            out.add(before[key])
                    elif key not in before:
                        out.add(held[key])
        return out

    def _find_renames(self, parent: str, child: str) -> list[tuple[str, str]]:
        """Renames between a draft and one parent: declared (``renamed_from``) always; by an
        identical value under a new key only in a full draft (a partial draft's silence about
        a key is no drop). Found by ``diff.pair_renames``, the diff engine's own rule."""
        tl = self.timeline
        held, before = tl.manifests[child], tl.manifests[parent]
        carried = self._carried.get(parent, {})
        fast = self._is_base(parent, child) and not carried
        if fast:
            own = tl.own[child]
            new = [k for k, b in own.items() if b is not None and k not in before]
        else:
            new = [k for k in held if k not in before and k not in carried]
        if not new:
            return []
        declared = {k: rf for k in new if (rf := tl.renamed_from(held[k])) is not None}
        detect = self.by_id[child].header.coverage == "full"
        if not detect and not declared:
            return []
        if fast:
            old = [k for k, b in own.items() if b is None]
        else:
            old = [k for k in (*before, *carried) if k not in held]
        old_tokens = {k: s.token for k in old if (s := self.state(parent, k)) is not None and not s.absent}
        new_tokens = {k: tl.token(held[k]) for k in new}
        return pair_renames(old_tokens, new_tokens, declared, detect=detect)

    # --- terms and their keys ---------------------------------------------------------------

    def renames(self, parent: str, child: str) -> list[tuple[str, str]]:
        """(old key, new key) for each term that moved between ``parent`` and ``child``."""
        return self._renames.get((parent, child), [])

    @cached_property
    def _groups(self) -> dict[str, frozenset[str]]:
        """Every key that took part in a rename → all the keys of its term."""
        links: dict[str, set[str]] = {}
        for pairs in self._renames.values():
            for old, new in pairs:
                links.setdefault(old, set()).add(new)
                links.setdefault(new, set()).add(old)
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

    def aliases(self, key: str) -> frozenset[str]:
        """The keys of the term ``key`` names: ``key`` and every key a rename links to it."""
        return self._groups.get(key) or frozenset((key,))

    def renamed(self, key: str) -> bool:
        return key in self._groups

    def groups(self) -> list[frozenset[str]]:
        """The renamed terms, each as its keys."""
        return sorted(set(self._groups.values()), key=min)

    def name(self, keys: frozenset[str], upto: int | None = None) -> str:
        """A term's name: its key in the latest draft (in reading order, up to rank ``upto``)
        that holds or states it."""
        if len(keys) == 1:
            return next(iter(keys))
        for d in reversed(self.ordered[: None if upto is None else upto + 1]):
            s = self.term_state(d, keys)
            if s is not None and s.blob is not None:
                return s.key
        return min(keys)

    @cached_property
    def all_keys(self) -> frozenset[str]:
        """Every key any draft holds or held."""
        return frozenset(k for rows in self.timeline.own.values() for k in rows)

    def preferences(self, keys: frozenset[str]) -> TermPreferences | None:
        """The term's declared preferences, under whichever of its keys they were declared."""
        prefs = self.negotiation.preferences
        for key in sorted(keys):
            if key in prefs:
                return prefs[key]
        return None

    # --- states -----------------------------------------------------------------------------

    def keys(self, draft: str) -> Iterator[str]:
        """Every key the draft says anything about (held, left out, or carried over)."""
        yield from self.timeline.manifests[draft]
        yield from self._absent[draft]
        yield from self._carried.get(draft, ())

    def stated(self, draft: str) -> dict[str, int]:
        """The keys the draft states, to their blob (0 for a term the text left out)."""
        out = dict.fromkeys(self._absent[draft], 0)
        out.update(self.timeline.manifests[draft])
        return out

    def carried(self, draft: str) -> dict[str, State]:
        return self._carried.get(draft, {})

    def state(self, draft: str, key: str) -> State | None:
        """What ``draft`` says about the term under ``key``; None: nothing (unknown)."""
        blob = self.timeline.manifests[draft].get(key)
        if blob is not None:
            return State(key, blob, self.timeline.token(blob), True, draft)
        if key in self._absent[draft]:
            return State(key, None, ABSENT, True, draft)
        return self._carried.get(draft, {}).get(key)

    def term_state(self, draft: str, keys: frozenset[str]) -> State | None:
        """What ``draft`` says about a term under any of its keys (a held value first)."""
        if len(keys) == 1:
            return self.state(draft, next(iter(keys)))
        found = [s for k in sorted(keys) if (s := self.state(draft, k)) is not None]
        return min(found, key=_preference_of) if found else None

    def value(self, state: State | None) -> Any:
        """The typed value of a state (``none`` for an absent term; None for no state)."""
        if state is None:
            return None
        if state.blob is None:
            return _ABSENT_VALUE
        return self.timeline.value(state.blob)

    def term(self, state: State | None) -> Term | None:
        """The stored term behind a state (None where the text left the term out)."""
        return None if state is None or state.blob is None else self.timeline.term(state.blob)

    def deferred(self, state: State | None) -> bool:
        return state is not None and state.blob is not None and self.timeline.deferred(state.blob)

    def token(self, state: State | None, keys: frozenset[str]) -> str | None:
        """What a state says, for comparing: its value token, or for an absent term the token
        of the term's declared default (the value that applies when a text is silent)."""
        if state is None:
            return None
        if state.absent:
            prefs = self.preferences(keys)
            if prefs is not None and prefs.default is not None:
                return canonical_json(value_json(prefs.default))
        return state.token

    def proposes(self, draft: str, keys: frozenset[str], token: str) -> bool:
        """Whether ``draft`` itself put forward ``token`` (see ``token``) for the term: it
        states that value; for absence, it says ``none`` or leaves out a term a parent held."""
        s = self.term_state(draft, keys)
        if s is None or not s.stated or self.token(s, keys) != token:
            return False
        if not s.absent or s.blob is not None:
            return True
        return any((ps := self.term_state(p, keys)) is not None and not ps.absent for p in self.lineage.parents(draft))

    # --- positions --------------------------------------------------------------------------

    @cached_property
    def _tabled(self) -> dict[str, list[str]]:
        """party → the drafts it tabled, alone or jointly, in reading order; a withdrawn draft
        is nobody's position."""
        out: dict[str, list[str]] = {p: [] for p in self.parties}
        for d in self.ordered:
            header = self.by_id[d].header
            if header.status == "withdrawn":
                continue
            for code in header.tabled_by:
                out.setdefault(code, []).append(d)
        return out

    def tabled(self, party: str, upto: int | None = None) -> list[str]:
        """The drafts ``party`` tabled, up to rank ``upto`` included."""
        drafts = self._tabled.get(party, [])
        return drafts if upto is None else [d for d in drafts if self.rank[d] <= upto]

    def position(self, party: str, keys: frozenset[str], before: int) -> Position | None:
        """``party``'s position on a term among the drafts ranked before ``before``."""
        for d in reversed(self._tabled.get(party, ())):
            if self.rank[d] >= before:
                continue
            s = self.term_state(d, keys)
            if s is not None and s.stated:
                return Position(party, d, s)
        return None

    def positions_at(self, upto: int, parties: Sequence[str] | None = None) -> "Board":
        """Every party's position on every term, among the drafts ranked up to ``upto``."""
        board = Board(self, list(parties or self.parties))
        for d in self.ordered[: upto + 1]:
            board.add(d)
        return board

    # --- labels -----------------------------------------------------------------------------

    def label(self, party: str, keys: frozenset[str], draft: str, *, adopted: bool = False) -> str | None:
        """``party``'s move on a term in ``draft``, against its own previous position:
        opening, concession, hardening or neutral; None when it did not move (or ``draft``
        does not state the term). ``adopted``: the draft took up another party's earlier
        value, which is a concession where the values themselves cannot say."""
        new = self.term_state(draft, keys)
        if new is None or not new.stated:
            return None
        before = self.rank[draft]
        previous = self.position(party, keys, before)
        if previous is None:
            return OPENING
        prefs = self.preferences(keys)
        default = prefs.default if prefs else None
        old_v, new_v = _with_default(self.value(previous.state), default), _with_default(self.value(new), default)
        if same(old_v, new_v):
            return None
        joint = set(self.by_id[draft].header.tabled_by)
        others = []
        for q in self.parties:
            if q != party and (p := self.position(q, keys, before)) is not None:
                others.append((_with_default(self.value(p.state), default), q in joint))
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


def _with_default(value: Any, default: Any) -> Any:
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
    previous position is no hardening against it — it moved there too. None when the values
    cannot be compared.
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


class Board:
    """Every party's position on every term as drafts are added in reading order.

    Each party's positions are kept per key (the latest draft it tabled that states the key);
    ``add`` returns the keys whose position moved, so a caller can re-evaluate only those.
    """

    def __init__(self, view: View, parties: list[str]):
        self.view = view
        self.parties = parties
        self.drafts: dict[str, dict[str, str]] = {p: {} for p in parties}  # party → key → draft
        self.blobs: dict[str, dict[str, int]] = {p: {} for p in parties}  # party → key → blob (0: left out)
        self.latest: dict[str, str | None] = dict.fromkeys(parties)

    def add(self, draft: str) -> set[str]:
        header = self.view.by_id[draft].header
        if header.status == "withdrawn":
            return set()
        moved: set[str] = set()
        stated = None
        for code in header.tabled_by:
            if code not in self.drafts:
                continue
            if stated is None:
                stated = self.view.stated(draft)
            blobs = self.blobs[code]
            moved.update(k for k, _ in stated.items() - blobs.items())
            blobs.update(stated)
            self.drafts[code].update(zip(stated, repeat(draft)))
            self.latest[code] = draft
        return moved

    def position(self, party: str, keys: frozenset[str]) -> Position | None:
        """The party's position on a term (under the key it stated last, for a renamed one)."""
        drafts = self.drafts[party]
        if len(keys) == 1:
            key = next(iter(keys))
            d = drafts.get(key)
            if d is None:
                return None
            blob = self.blobs[party][key]
            tl = self.view.timeline
            return Position(party, d, State(key, blob or None, tl.token(blob) if blob else ABSENT, True, d))
        found = [d for k in keys if (d := drafts.get(k)) is not None]
        if not found:
            return None
        d = max(found, key=self.view.rank.__getitem__)
        return Position(party, d, self.view.term_state(d, keys))  # type: ignore[arg-type]
