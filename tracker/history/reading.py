"""One negotiation read into its view, and what a command's arguments name in it.

``load`` reads a negotiation's drafts in one pass into a :class:`~tracker.history.view.View`
(the position model of ``shared/negotiation-semantics.md``) with its events applied; the rest
resolve a draft reference, a term key, a party or a date against it, and look up the sources
a term cites. Nothing here writes to the database.
"""


from __future__ import annotations

import datetime as dt
import difflib
from bisect import bisect_right
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Iterable, Sequence

from tracker.db.store import Store
from tracker.db.timeline import Timeline
from tracker.history.view import View
from tracker.model import events
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.records import DraftRecord, History, resolve_ref
from tracker.model.termsheet import Citation, Negotiation, Term


def load(store: Store, negotiation: Negotiation, *, as_of: dt.date | None = None, corrected: bool = False,
         recorded: History | None = None, keys: Iterable[str] | None = None) -> View:
    """The negotiation's view, read in one pass, with its events applied as of ``as_of``
    (``events.apply``; ``corrected``: keep drafts that were corrected in view). ``recorded``:
    its history (``Store.history``), when the caller has read it already. ``keys``: the terms
    the question is about; their rows are read first, others' when the view needs them (a
    rename, or an answer about every term), so that the answers are the same."""
    recorded = recorded if recorded is not None else store.history(negotiation.id)
    applied = events.apply(recorded.negotiation, recorded.records, recorded.events, as_of, corrected=corrected)
    return View(applied.negotiation, Timeline(store, applied.records, stored=recorded.records, keys=keys), applied)


@dataclass(frozen=True)
class Cited:
    """A citation with its source looked up in the draft's and the negotiation's bibliography."""

    source: str
    outlet: str | None
    quote: str | None
    url: str | None = None
    date: dt.date | None = None
    event: str | None = None  # recorded after the draft, by this event (``tracker cite``)


def cite(view: View, draft: str, citation: Citation) -> Cited:
    source = next((s for s in view.by_id[draft].header.sources if s.id == citation.source), None)
    source = source or view.negotiation.source(citation.source) or view.event_sources.get(citation.source)
    if source is None:
        return Cited(citation.source, None, citation.quote)
    return Cited(citation.source, source.outlet, citation.quote, source.url, source.date)


def resolve(view: View, ref: str) -> tuple[DraftRecord, str | None]:
    """The draft ``ref`` names, as the view reads it, and a note when that is not the draft
    named: a corrected draft is read as its correction (unless the view keeps corrected ones)."""
    record = resolve_ref(view.applied.stored, ref)
    if record.id in view.by_id:
        return view.by_id[record.id], None
    correction = record.id
    while correction not in view.by_id and correction in view.applied.corrected:
        correction = view.applied.corrected[correction]
    found = view.by_id[correction]
    return found, (f"{record.id} (v{record.seq}) was corrected by {found.id} (v{found.seq}): reading the correction"
                   " (--corrected reads drafts as they were recorded)")


def citations(view: View, draft: str, term: Term | None, key: str | None = None) -> list[Cited]:
    """The term's citations; with its ``key``, those recorded after the draft name their event."""
    if term is None:
        return []
    later = {(e.body.source.id, e.body.quote): e.ref for e in view.applied.evidence.get((draft, key), ())} if key else {}
    out = []
    for c in term.sources:
        found = cite(view, draft, c)
        ref = later.get((c.source, c.quote))
        out.append(replace(found, event=ref) if ref else found)
    return out


def known_key(view: View, key: str) -> None:
    if view.timeline.knows(key):
        return
    close = difflib.get_close_matches(key, sorted(view.all_keys), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise NotFound(f"unknown term {key!r}: no draft of {view.negotiation.id} has it{hint}")


def upto(view: View, as_of: dt.date | None) -> int:
    """The rank of the last draft dated on or before ``as_of`` (-1: none yet)."""
    if as_of is None:
        return len(view.ordered) - 1
    dates = [view.by_id[d].header.date for d in view.ordered]
    return bisect_right(dates, as_of) - 1


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
