"""Who pushed each change, and how we know — from what the drafts state (``shared/attribution.md``).

For a change between an older and a newer draft, the draft that *introduced* it is the first
draft on the path between them (the newer one included) that states the final value. Its basis:

1. ``explicit``: that draft's term says who pushed it (``pushed_by``, with evidence);
2. ``adopted``: the value (or the term's absence) was first proposed earlier — in an ancestor,
   or in any draft dated before — by another party: that party pushed it, the tabling party
   conceded it. The earliest proposal is credited, so a value passed back and forth keeps
   its originator. In a joint draft, the party that proposed the value earlier pushed it;
3. ``author``: otherwise the party or parties that tabled the introducing draft.

Only what drafts *state* counts: a term a partial draft merely carries over is nobody's
proposal. Values are compared as typed values (``$5 million`` equals ``USD 5m``). A draft
proposes absence when it says ``none`` or leaves out a term one of its parents held. Each party
that tabled the introducing draft gets a label for its own move (``View.label``).
"""

from __future__ import annotations

from typing import Sequence

from tracker.diff import Attribution, Step
from tracker.view import View

# Not a draft id (ids are never empty): "before the first draft", where no term exists yet.
BEFORE = ""


def attribute(view: View, keys: frozenset[str], old_id: str, new_id: str) -> Attribution | None:
    """Who pushed the term's change between two drafts (None where ``new_id`` does not state
    the term: nothing it says changed it)."""
    lineage = view.lineage
    path = lineage.path(old_id, new_id) or [new_id]
    start = old_id if lineage.is_ancestor(old_id, new_id) else (lineage.common_ancestor(old_id, new_id) or old_id)
    return attribute_along(view, keys, path, start)


def attribute_rename(view: View, keys: frozenset[str], new_key: str, old_id: str, new_id: str) -> Attribution:
    """A term that only moved to a new key: the tabler of the first draft on the path that
    holds it under that key made the move (its value is nobody's new proposal)."""
    path = view.lineage.path(old_id, new_id) or [new_id]
    introduced = next((d for d in path if (s := view.state(d, new_key)) is not None and s.stated), path[-1])
    return Attribution(pushed_by=tuple(view.by_id[introduced].header.tabled_by), basis="author", introduced_in=introduced)


def attribute_along(view: View, keys: frozenset[str], path: Sequence[str], start: str) -> Attribution | None:
    """Attribution of the term's value in ``path[-1]``, reached from ``start`` along ``path``."""
    final = view.term_state(path[-1], keys)
    if final is None or not final.stated:
        return None
    token = view.token(final, keys)
    introduced = next((d for d in path if view.proposes(d, keys, token)), path[-1])  # type: ignore[arg-type]
    steps = _steps(view, keys, path, start)
    record = view.by_id[introduced]
    tabled = tuple(record.header.tabled_by)
    state = view.term_state(introduced, keys)
    term = view.term(state) if state is not None and state.blob is not None and view.timeline.pushes(state.blob) else None

    def labels(pushers: Sequence[str] = (), adopted: bool = False) -> dict[str, str]:
        out = {}
        for party in tabled:
            label = view.label(party, keys, introduced, adopted=adopted and party not in pushers)
            if label is not None:
                out[party] = label
        return out

    if term is not None and term.pushed_by is not None:
        return Attribution(
            pushed_by=tuple(term.pushed_by.parties), basis="explicit", introduced_in=introduced,
            evidence=term.pushed_by.evidence, steps=steps, stance=labels(),
        )
    first = _first_proposal(view, keys, token, introduced)  # type: ignore[arg-type]
    if first is not None:
        proposers = tuple(view.by_id[first].header.tabled_by)
        if not set(tabled) <= set(proposers):
            pushed = tuple(p for p in proposers if p in tabled) if len(tabled) > 1 else proposers
            pushed = pushed or proposers
            if final.absent and view.term_state(first, keys).absent:  # type: ignore[union-attr]
                what = "dropping the term"
            else:
                what = f"the value {view.value(view.term_state(first, keys)).short()}"
            evidence = f"{', '.join(pushed)} proposed {what} in {first} ({view.by_id[first].header.date.isoformat()})"
            return Attribution(
                pushed_by=pushed, basis="adopted", introduced_in=introduced, adopted_from=first,
                evidence=evidence, steps=steps, stance=labels(pushed, adopted=True),
            )
    return Attribution(pushed_by=tabled, basis="author", introduced_in=introduced, steps=steps, stance=labels())


def _first_proposal(view: View, keys: frozenset[str], token: str, introduced: str) -> str | None:
    """The first draft in reading order that proposed ``token`` among those ``introduced``
    could have taken it from: its ancestors, and every draft dated before it."""
    earlier = view.lineage.earlier_than(introduced)
    return next((d for d in view.ordered if d in earlier and view.proposes(d, keys, token)), None)


def _steps(view: View, keys: frozenset[str], path: Sequence[str], start: str) -> list[Step]:
    """The drafts along ``path`` where the stated value moved, from its value in ``start``."""
    out = []
    current = view.token(view.term_state(start, keys), keys) if start else None
    for d in path:
        s = view.term_state(d, keys)
        if s is None or not s.stated or view.token(s, keys) == current:
            continue
        r = view.by_id[d]
        out.append(Step(r.id, r.seq, r.header.date.isoformat(), tuple(r.header.tabled_by), view.value(s)))
        current = view.token(s, keys)
    return out
