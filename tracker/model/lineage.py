"""The lineage graph of a negotiation's drafts: ancestors, paths and common ancestors.

Lineage is a graph, not a line: a draft may answer or merge several parents. All functions
work on the ``DraftRecord`` list of one negotiation (``Store.log``) and put drafts in *reading
order*: by date; on one day, a draft after the drafts it answers (its depth in the lineage),
then by id. The order in which drafts were recorded (their sequence numbers) never decides an
answer, so recording the same negotiation in another order gives the same results.
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterable, Sequence

from tracker.model.records import DraftRecord


class Lineage:
    def __init__(self, records: Sequence[DraftRecord]):
        self.records = list(records)
        self.by_id = {r.id: r for r in self.records}
        self._earlier: dict[str, frozenset[str]] = {}
        self._paths: dict[tuple[str, str], list[str]] = {}

    @cached_property
    def recorded(self) -> list[DraftRecord]:
        """Every draft in recording order, each after its parents. Parents are recorded first,
        except where a correction took the place of a draft its children were recorded on."""
        done: set[str] = set()
        out: list[DraftRecord] = []
        for r in sorted(self.records, key=lambda r: r.seq):
            stack = [r]
            while stack:
                top = stack[-1]
                waiting = [self.by_id[p] for p in self.parents(top.id) if p not in done]
                if waiting and top.id not in done:
                    stack.extend(sorted(waiting, key=lambda w: w.seq, reverse=True))
                    continue
                stack.pop()
                if top.id not in done:
                    done.add(top.id)
                    out.append(top)
        return out

    @cached_property
    def depth(self) -> dict[str, int]:
        """The longest chain of parents above each draft (0 for a first draft)."""
        out: dict[str, int] = {}
        for r in self.recorded:
            out[r.id] = max((out[p] + 1 for p in self.parents(r.id)), default=0)
        return out

    @cached_property
    def ordered(self) -> list[DraftRecord]:
        """Every draft in reading order."""
        depth = self.depth
        return sorted(self.records, key=lambda r: (r.header.date, depth[r.id], r.id))

    @cached_property
    def rank(self) -> dict[str, int]:
        """Each draft's place in reading order."""
        return {r.id: i for i, r in enumerate(self.ordered)}

    def parents(self, draft_id: str) -> list[str]:
        return [p for p in self.by_id[draft_id].header.parents if p in self.by_id]

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for r in self.recorded:
            acc: set[str] = set()
            for p in self.parents(r.id):
                acc.add(p)
                acc |= out.get(p, frozenset())
            out[r.id] = frozenset(acc)
        return out

    def ancestors(self, draft_id: str) -> frozenset[str]:
        return self._ancestors[draft_id]

    def is_ancestor(self, older: str, newer: str) -> bool:
        return older in self._ancestors[newer]

    def order(self, ids: Iterable[str]) -> list[str]:
        return sorted(ids, key=self.rank.__getitem__)

    def path(self, old: str, new: str) -> list[str]:
        """Drafts between ``old`` (excluded) and ``new`` (included), in reading order.

        When ``old`` is an ancestor of ``new``: the drafts descending from ``old`` on the way
        to ``new``. Otherwise (sibling branches): ``new``'s side from the common ancestors on.
        """
        found = self._paths.get((old, new))  # every change of a diff asks for the same path
        if found is None:
            up_to_new = self._ancestors[new] | {new}
            if self.is_ancestor(old, new):
                between = {d for d in up_to_new if old in self._ancestors[d]}
            else:
                between = up_to_new - (self._ancestors[old] | {old})
            found = self._paths[(old, new)] = self.order(between)
        return found

    def common_ancestor(self, a: str, b: str) -> str | None:
        """The most recent draft both ``a`` and ``b`` descend from (or are)."""
        common = (self._ancestors[a] | {a}) & (self._ancestors[b] | {b})
        if not common:
            return None
        return max(common, key=self.rank.__getitem__)

    def earlier_than(self, draft_id: str) -> frozenset[str]:
        """Drafts a value could have been taken from: ancestors, and anything dated before."""
        # Attribution asks this once per changed term, mostly of the same few drafts: a diff
        # across a long negotiation would otherwise rebuild the set thousands of times.
        found = self._earlier.get(draft_id)
        if found is None:
            date = self.by_id[draft_id].header.date
            before = {r.id for r in self.records if r.header.date < date and r.id != draft_id}
            found = self._earlier[draft_id] = self._ancestors[draft_id] | before
        return found
