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

from dataclasses import replace
from functools import partial
from itertools import compress, repeat
from operator import eq, ne
from typing import Sequence

from tracker.engine.diff import Attribution, Step
from tracker.history.view import Track, View
from tracker.model.values import ABSENT

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
    t = view.track(keys)
    introduced = next((d for d in path if t.stated[i := view.rank[d]] and t.key(i) == new_key and t.blob[i] is not None), path[-1])
    return Attribution(pushed_by=tuple(view.by_id[introduced].header.tabled_by), basis="author", introduced_in=introduced)


def attribute_along(view: View, keys: frozenset[str], path: Sequence[str], start: str, *, steps: bool = True) -> Attribution | None:
    """Attribution of the term's value in ``path[-1]``, reached from ``start`` along ``path``
    (asked once per term, path and start; the answer is shared, never changed). ``steps``:
    find the drafts where the value moved on the way (a diff shows them; blame does not, and
    leaves them None)."""
    steps_key, ranks = view.along(path)
    memo = (keys, steps_key, start)
    if memo not in view.attributions:
        view.attributions[memo] = _attribute_along(view, keys, ranks, start, steps)
    found = view.attributions[memo]
    if steps and found is not None and found.steps is None:  # asked before without them
        found = view.attributions[memo] = replace(found, steps=_steps(view, view.track(keys), ranks, view.rank[start] if start else None))
    return found


def _attribute_along(view: View, keys: frozenset[str], ranks: Sequence[int], start: str, with_steps: bool) -> Attribution | None:
    t = view.track(keys)
    rank = view.rank
    last = ranks[-1]
    if t.token[last] is None or not t.stated[last]:
        return None
    norm = t.norm
    token = norm[last]
    # The first draft on the path stating the value that proposed it: the candidates picked out in C.
    stating = compress(ranks, map(eq, map(norm.__getitem__, ranks), repeat(token)))
    at = next((i for i in stating if view.proposes_at(t, i, token)), last)
    introduced = view.ordered[at]
    steps = _steps(view, t, ranks, rank[start] if start else None) if with_steps else None
    tabled = tuple(view.by_id[introduced].header.tabled_by)
    blob = t.blob[at]
    term = view.timeline.term(blob) if blob is not None and view.timeline.pushes(blob) else None

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
    first = _first_proposal(view, t, token, introduced)
    if first is not None:
        proposers = tuple(view.by_id[first].header.tabled_by)
        if not set(tabled) <= set(proposers):
            pushed = tuple(p for p in proposers if p in tabled) if len(tabled) > 1 else proposers
            pushed = pushed or proposers
            i = rank[first]
            if t.token[last] == ABSENT and t.token[i] == ABSENT:
                what = "dropping the term"
            else:
                what = f"the value {view.value(t.state(i, first)).short()}"
            evidence = f"{', '.join(pushed)} proposed {what} in {first} ({view.by_id[first].header.date.isoformat()})"
            return Attribution(
                pushed_by=pushed, basis="adopted", introduced_in=introduced, adopted_from=first,
                evidence=evidence, steps=steps, stance=labels(pushed, adopted=True),
            )
    return Attribution(pushed_by=tabled, basis="author", introduced_in=introduced, steps=steps, stance=labels())


def _first_proposal(view: View, t: Track, token: str | None, introduced: str) -> str | None:
    """The first draft in reading order that proposed ``token`` among those ``introduced``
    could have taken it from: its ancestors, and every draft dated before it."""
    earlier, last = view.earlier_ranks(introduced)
    for i in t.stating(token):  # in reading order
        if i > last:
            break
        if i in earlier and view.proposes_at(t, i, token):
            return view.ordered[i]
    return None


def _steps(view: View, t: Track, ranks: Sequence[int], start: int | None) -> list[Step]:
    """The drafts along the path where the stated value moved, from its value at ``start``."""
    # Only the drafts that state the term can move it, and only where what they state differs
    # from the draft stating it before: both picked out in C, then walked.
    stating = list(compress(ranks, map(t.stated.__getitem__, ranks)))
    said = list(map(t.norm.__getitem__, stating))
    before = [t.norm[start] if start is not None else None, *said[:-1]]
    out = []
    for i in compress(stating, map(ne, said, before)):
        d, seq, date, tabled = view.heading(i)
        out.append(Step(d, seq, date, tabled, partial(view.blob_value, t.blob[i])))
    return out
