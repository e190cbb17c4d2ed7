"""Blame: who put each term of a draft where it is, and how we know.

Plain data read off one view, with who pushed what from ``attribution``: the same answer as
``tracker diff`` gives for the draft that last changed the term.
"""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tracker.engine.diff import Attribution
from tracker.history.attribution import BEFORE, attribute_along
from tracker.history.reading import Cited, citations, cite, resolve
from tracker.history.view import State, View
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Citation, Term


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
    manifest = tl.whole(record.id)
    view.compute(manifest)  # every term of the draft, worked out together
    held = {k: State(k, b, tl.token(b), True, record.id) for k, b in manifest.items()}
    shown = {**{k: s for k, s in view.carried(record.id).items() if s.blob is not None}, **held}
    found = []
    for key in sorted(shown):
        state = shown[key]
        keys = view.aliases(key)
        # A carried term's value is what its origin stated: attribute it there.
        own_path = path if state.stated else path[: path.index(state.origin) + 1]
        a = attribute_along(view, keys, own_path, BEFORE, steps=False)  # shown without the way there
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
