"""One term through every draft: what each draft did to it, and who pushed each move.

Plain data read off one view; a move's attribution comes from ``attribution``, as in
``tracker diff``.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from tracker.engine.diff import Attribution
from tracker.history.attribution import BEFORE, attribute_along
from tracker.history.reading import Cited, citations
from tracker.history.view import State, Track, View
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Term
from tracker.model.values import ABSENT

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
