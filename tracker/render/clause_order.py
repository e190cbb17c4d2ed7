"""Where each clause stands in a redline of a whole draft, and which renamed clauses moved.

A draft may state the order of its terms (``DraftHeader.order``: a document's clauses); one that
states none is read by key, digits as numbers. A redline draws the newer draft in its order and
puts what only the older draft had where it stood there. A renamed clause *moved* only when it
left the order the clauses both drafts hold kept: not when a clause was inserted or deleted
beside it. Plain data in, sortable places out: no Word here.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, Iterable


def natural(key: str) -> tuple[Any, ...]:
    """A key's place in the draft: digits read as numbers (``s2`` before ``s10``)."""
    parts = re.split(r"(\d+)", key)
    return (tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), key)


class Places:
    """Where each clause stands in the redline, as a sortable place, and which renamed clauses
    moved. A clause of the newer draft stands at its place in that draft's order. Of the
    clauses both drafts hold (a renamed one under its new key), those in the longest run that
    keeps the older draft's order stayed, and the others moved; a clause only the older draft
    had (deleted), and where a moved one stood, is placed just after the clause before it there
    that stayed. A clause outside both orders comes after them, by key."""

    def __init__(self, new_order: Iterable[str], old_order: Iterable[str], renamed: dict[str, str]):
        self.new_at = {k: i for i, k in enumerate(new_order)}
        old = list(old_order)
        kept = [(k, self.new_at[renamed.get(k, k)]) for k in old if renamed.get(k, k) in self.new_at]
        self.stayed = in_order([at for _, at in kept])
        stayed_keys = {kept[i][0] for i in self.stayed}
        self.moved = {renamed.get(k, k) for k, _ in kept if k not in stayed_keys}
        self.old_at: dict[str, tuple[int, int]] = {}
        last, behind = -1, 0  # the newer place of the last clause that stayed; how many stand after it
        for k in old:
            if k in stayed_keys:
                last, behind = self.new_at[renamed.get(k, k)], 0
            else:
                behind += 1
                self.old_at[k] = (last, behind)

    def new(self, key: str) -> tuple[Any, ...]:
        i = self.new_at.get(key)
        return (0, i, 0, natural(key)) if i is not None else (1, 0, 0, natural(key))

    def old(self, key: str) -> tuple[Any, ...]:
        """Where the older draft had ``key`` (a clause that stayed: where it stands now)."""
        found = self.old_at.get(key)
        if found is None:
            return self.new(key)
        return (0, *found, natural(key))


def orders(d: Any, sheet: Any) -> tuple[list[str], list[str]]:
    """The clauses of the newer and the older draft in order: the order each states
    (``DraftHeader.order``), else its clauses by key, digits read as numbers."""
    clauses = [k for k, t in sheet.terms.items() if t.value.type == "text"]
    came, gone = set(), set()  # clauses only the newer draft has; only the older
    for c in d.result.changes:
        was = c.old is not None and c.old.value.type == "text"
        now = c.new is not None and c.new.value.type == "text"
        if now and (not was or c.kind == "renamed"):
            came.add(c.term)
        if was and (not now or c.kind == "renamed"):
            gone.add(c.old_term or c.term)
    new_order = list(d.new.header.order) or sorted(clauses, key=natural)
    old_order = list(d.old.header.order) if d.old is not None else []
    return new_order, old_order or sorted([k for k in clauses if k not in came] + list(gone), key=natural)


def in_order(places: list[int]) -> list[int]:
    """The indexes of a longest increasing run (not necessarily contiguous) of ``places``."""
    tails: list[int] = []  # tails[n]: the index ending the best run of length n + 1 found so far
    ends: list[int] = []  # the place at each of them
    before: list[int] = [-1] * len(places)
    for i, at in enumerate(places):
        n = bisect_left(ends, at)
        before[i] = tails[n - 1] if n else -1
        if n == len(tails):
            tails.append(i)
            ends.append(at)
        else:
            tails[n], ends[n] = i, at
    out, i = [], tails[-1] if tails else -1
    while i != -1:
        out.append(i)
        i = before[i]
    return out[::-1]


