"""Diffs between recorded drafts, as the drafts state them, with who pushed each change.

``diff_view`` is the one diff: ``tracker diff`` and the report both call it. It compares what
two drafts say about every term — held, left out, or only carried over — with the diff
engine (``diff.compare``), pairs keys that are one term across renames, and sorts out what is
merely unknown: a term the newer draft does not state is "no longer reported", never dropped.
Renderers take the ``DraftDiff`` it returns and never touch the database themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tracker.db.store import Store
from tracker.engine.diff import KINDS, Change, DiffResult, compare
from tracker.history.attribution import (
    BEFORE,
    attribute,
    attribute_along,
    attribute_rename,
)
from tracker.history.view import View, with_default
from tracker.model.quantities import same
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Negotiation, Term
from tracker.model.values import ABSENT, Absent

_ABSENT = Absent(type="none")


@dataclass
class ThreeWayRow:
    term: str
    base: Any  # typed value or None (not in the draft)
    old: Any
    new: Any
    moved: str  # which side moved away from the common ancestor: "old", "new" or "both"


@dataclass
class DraftDiff:
    negotiation: Negotiation
    old: DraftRecord | None  # None: a first draft against nothing
    new: DraftRecord
    result: DiffResult
    base: DraftRecord | None = None  # common ancestor, for the three-way view
    three_way: list[ThreeWayRow] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(c.kind != "unreported" for c in self.result.changes)


@dataclass
class DraftText:
    """What a renderer drawing the newer draft whole (the Word redline) needs besides the
    diff: every term of that draft, the unchanged too, and the date of every draft (a change
    is dated by the draft that introduced it)."""

    terms: dict[str, Term]
    dates: dict[str, dt.date]


def draft_text(view: View, d: DraftDiff) -> DraftText:
    ids = _effective(view, d.new.id)  # what it holds and what it carries over
    terms = view.timeline.terms(set(ids.values()))
    return DraftText({k: terms[b] for k, b in ids.items()}, {i: r.header.date for i, r in view.by_id.items()})


def diff_records(store: Store, negotiation: Negotiation, old: DraftRecord, new: DraftRecord, *, three_way: bool = False) -> DraftDiff:
    """Two recorded drafts of a negotiation compared, as ``tracker diff`` compares them."""
    from tracker.history.reading import load

    return diff_view(load(store, negotiation), old.id, new.id, three_way=three_way)


def _effective(view: View, draft: str) -> dict[str, int]:
    """The draft's terms as key → blob: those it holds and those it carries over (its whole
    manifest as the timeline keeps it, not a copy, when it carries nothing)."""
    carried = view.carried(draft)
    if not carried:
        return view.timeline.whole(draft)
    out = {k: s.blob for k, s in carried.items() if s.blob is not None}
    out.update(view.timeline.whole(draft))
    return out


def diff_view(view: View, old_id: str | None, new_id: str, *, three_way: bool = False) -> DraftDiff:
    """What changed from draft ``old_id`` to draft ``new_id``, attributed. ``old_id`` None:
    a first draft against nothing, every term it holds added."""
    tl = view.timeline
    old_ids = _effective(view, old_id) if old_id is not None else {}
    new_ids = _effective(view, new_id)
    if old_id is not None and len(old_ids) == len(tl.whole(old_id)) and len(new_ids) == len(tl.whole(new_id)):
        keys = tl.changed(old_id, new_id)  # neither carries anything: the stored rows say what differs
    else:
        keys = {k for k, _ in old_ids.items() ^ new_ids.items()}
    view.compute(keys)  # the changed terms, worked out together
    terms = tl.terms({b for k in keys for ids in (old_ids, new_ids) if (b := ids.get(k)) is not None})
    renamed = _known_renames(view, [k for k in old_ids if k not in new_ids], [k for k in new_ids if k not in old_ids])
    # Only the differing keys go to the engine: the rest are equal on both sides (what it would
    # count as unchanged is counted below, from what the drafts hold).
    old_diff = {k: b for k in keys if (b := old_ids.get(k)) is not None}
    new_diff = {k: b for k in keys if (b := new_ids.get(k)) is not None}
    sides = {"old": old_diff, "new": new_diff}
    result = compare({k: terms[b] for k, b in old_diff.items()}, {k: terms[b] for k, b in new_diff.items()}, old_diff, new_diff, renamed,
                     tokens=lambda key, side: tl.token(sides[side][key]))
    held_old = tl.whole(old_id) if old_id is not None else {}
    held_new = tl.whole(new_id)
    i_new = view.rank[new_id]
    changes: list[Change] = []
    for c in result.changes:
        old_key = c.old_term or c.term
        c.old_stated = c.old is None or old_key in held_old  # what a draft only carries is not stated
        c.new_stated = c.term in held_new or c.new is None and (s := view.state_at(i_new, view.aliases(c.term))) is not None and s.stated
        if c.new_stated:
            changes.append(c)
        elif c.old_stated and c.old is not None:  # known before, unknown now
            carried = view.carried(new_id).get(c.term)
            changes.append(Change(
                term=old_key, kind="unreported", old=c.old, new=c.new, new_stated=False,
                carried_from=carried.origin if carried is not None and c.new is not None else None,
            ))
    # A term the old draft holds and the new one only carries over unchanged is no longer
    # reported either (the engine, comparing values, does not list it).
    carried_new = view.carried(new_id)
    for key, blob in held_old.items() if carried_new else ():
        if key not in keys and key not in held_new and tl.token(blob) != ABSENT:
            term = tl.term(blob)
            changes.append(Change(term=key, kind="unreported", old=term, new=term, new_stated=False, carried_from=carried_new[key].origin))
    for c in changes:
        _same_under_default(view, c)
    changes.sort(key=lambda c: (KINDS.index(c.kind), c.term))
    result.changes = changes
    # Held alike on both sides, and those the engine found the same (``compare``).
    result.unchanged += len(held_new) - sum(1 for k in keys if k in held_new)
    for c in result.changes:
        if c.kind in ("annotated", "unreported"):
            continue
        keys_of = view.aliases(c.term) | ({c.old_term} if c.old_term else set())
        if old_id is None:
            c.attribution = attribute_along(view, keys_of, [new_id], BEFORE)
        elif c.kind == "renamed" and not c.delta:
            c.attribution = attribute_rename(view, keys_of, c.term, old_id, new_id)
        else:
            c.attribution = attribute(view, keys_of, old_id, new_id)
    out = DraftDiff(view.negotiation, view.by_id[old_id] if old_id is not None else None, view.by_id[new_id], result)
    if three_way:
        _three_way(view, out)
    return out


def _same_under_default(view: View, c: Change) -> None:
    """A term written out as its declared default on one side and left out on the other
    (``none`` against ``40 hours`` where 40 hours is the default) holds the same value: its
    wording changed, not what it says. Reported as annotated, with both forms."""
    if c.kind not in ("changed", "dropped") and not (c.kind == "renamed" and c.delta):
        return
    prefs = view.preferences(view.aliases(c.term))
    if prefs is None or prefs.default is None:
        return
    old = c.old.value if c.old is not None else None
    new = c.new.value if c.new is not None else _ABSENT
    if old is None or not same(with_default(old, prefs.default), with_default(new, prefs.default)):
        return
    c.annotations = {"value": {"from": old.short(), "to": new.short(), "default": prefs.default.short()}, **c.annotations}
    c.kind, c.delta = ("renamed" if c.kind == "renamed" else "annotated"), {}


def _known_renames(view: View, only_old: list[str], only_new: list[str]) -> list[tuple[str, str]]:
    """Keys on either side that are one term across renames (possibly over several drafts)."""
    pairs = []
    free = set(only_new)
    for key in sorted(only_old):
        match = sorted(free & view.aliases(key))
        if match:
            pairs.append((key, match[0]))
            free.discard(match[0])
    return pairs


def _three_way(view: View, d: DraftDiff) -> None:
    lineage = view.lineage
    base_id = lineage.common_ancestor(d.old.id, d.new.id)
    d.base = view.by_id[base_id] if base_id else None
    for change in d.result.changes:
        keys = view.aliases(change.term) | ({change.old_term} if change.old_term else set())
        base = view.term_state(base_id, keys) if base_id else None
        was, now = view.term_state(d.old.id, keys), view.term_state(d.new.id, keys)
        token = base.token if base is not None else None
        old_moved = base_id is None or (was.token if was else None) != token
        new_moved = base_id is None or (now.token if now else None) != token
        moved = "both" if old_moved and new_moved else "old" if old_moved else "new"
        d.three_way.append(ThreeWayRow(change.term, view.value(base), view.value(was), view.value(now), moved))
