"""Events: what is learnt about a negotiation after a draft was recorded, kept beside it.

Recorded drafts never change. What is learnt later is recorded as an event, appended to the
same history chain (``canonical.event_link_hash``), and applied when the negotiation is read:

* ``status`` — a draft's status from a date on (tabled on 12 Feb, rejected on 15 Feb). A
  withdrawn draft stops being its tabler's position; a rejected one is still what it proposed.
* ``cite`` — new evidence for one term of a draft: a source, a quote, a confidence. A report
  giving another value makes the term disputed, with both accounts kept.
* ``correct`` — a draft recorded with a mistake is replaced by its correction (recorded as a
  draft of its own). The wrong one stays in the history, marked corrected-by, and is left out of
  diffs, positions and reports; its children answer the correction.
* ``revise`` — a new revision of the negotiation's own record (a party, an alias, a source, a
  preference): the latest revision is the negotiation.

``apply`` works out what readers see as of a date: a status change or evidence dated after it
does not apply yet (evidence without a date counts from when it was recorded); corrections and
revisions always apply, since they say what the record should have said all along.
"""

# No ``from __future__ import annotations``: pydantic would compile and evaluate each field's
# annotation from its text while defining every model, a quarter of their cost at start-up.

import datetime as dt
import functools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal, Sequence, Union

from pydantic import Field

from tracker.model.termsheet import (
    Citation,
    Confidence,
    Model,
    Negotiation,
    Report,
    Slug,
    Source,
    Status,
    Term,
    TermKey,
    no_items,
)
from tracker.model.values import IsoDate, Value, value_json

if TYPE_CHECKING:
    from pydantic import TypeAdapter

STATUS, CITE, CORRECT, REVISE = "status", "cite", "correct", "revise"


class _Body(Model):
    kind: str
    note: str | None = Field(default=None, max_length=5000)

    def canonical(self) -> dict[str, Any]:
        return {**super().canonical(), "kind": self.kind}  # the tag, though it is each kind's default


class _AboutDraft(_Body):
    """An event about one recorded draft, named by its id and, for the chain, its hash."""

    draft: Slug
    draft_hash: str


class StatusChange(_AboutDraft):
    kind: Literal["status"] = STATUS
    status: Status
    date: IsoDate
    sources: list[Source] = Field(default_factory=no_items)


class Evidence(_AboutDraft):
    kind: Literal["cite"] = CITE
    term: TermKey
    term_hash: str
    source: Source
    quote: str | None = Field(default=None, max_length=5000)
    confidence: Confidence | None = None
    # What this report says the term is, where it differs from the draft's value.
    value: Value | None = None


class Correction(_AboutDraft):
    kind: Literal["correct"] = CORRECT
    by: Slug
    by_hash: str


class Revision(_Body):
    kind: Literal["revise"] = REVISE
    negotiation: Negotiation


Body = Annotated[Union[StatusChange, Evidence, Correction, Revision], Field(discriminator="kind")]


@functools.cache
def _body_adapter() -> "TypeAdapter[Any]":
    """Built on first use, like the models' validators (``defer_build``): see ``values._value_adapter``."""
    from pydantic import TypeAdapter

    return TypeAdapter(Body)


def parse_body(document: str) -> Any:
    return _body_adapter().validate_json(document)


def body_of(data: Any) -> Any:
    """An event body from its canonical dict (``verify`` checks stored ones with it)."""
    return _body_adapter().validate_python(data)


@dataclass(frozen=True)
class EventRecord:
    """A recorded event: its body, its place in the history and who recorded it."""

    seq: int  # its number among the negotiation's events (e1, e2, …)
    after: int  # how many drafts the negotiation had when it was recorded
    hash: str
    body: Any  # StatusChange | Evidence | Correction | Revision
    recorded_at: dt.datetime
    recorded_by: str | None
    link: str

    @property
    def kind(self) -> str:
        return self.body.kind

    @property
    def ref(self) -> str:
        return f"e{self.seq}"

    def dated(self) -> dt.date:
        """The date it speaks of: a status change's date, a source's, else when it was recorded."""
        body = self.body
        if isinstance(body, StatusChange):
            return body.date
        if isinstance(body, Evidence) and body.source.date is not None:
            return body.source.date
        return self.recorded_at.date()


@dataclass
class Applied:
    """A negotiation's drafts as readers see them, with the events that explain the difference."""

    negotiation: Negotiation
    records: list[Any]  # DraftRecord: statuses as of the date, corrected drafts left out
    stored: list[Any]  # every recorded draft (their rows are what the others are stored on)
    statuses: dict[str, list[EventRecord]] = field(default_factory=dict)  # draft id → its status changes
    evidence: dict[tuple[str, str], list[EventRecord]] = field(default_factory=dict)  # (draft, term key) → evidence
    corrected: dict[str, str] = field(default_factory=dict)  # wrong draft id → the id of its correction
    events: list[EventRecord] = field(default_factory=list)

    def sources(self) -> dict[str, Source]:
        """The sources events cite, by id (shown wherever their evidence is)."""
        out: dict[str, Source] = {}
        for e in self.events:
            if isinstance(e.body, Evidence):
                out[e.body.source.id] = e.body.source
            elif isinstance(e.body, StatusChange):
                out.update((s.id, s) for s in e.body.sources)
        return out

    def term(self, draft: str, key: str, term: Term) -> Term:
        """The term as its draft states it, with the evidence recorded for it since."""
        found = self.evidence.get((draft, key))
        return with_evidence(term, [e.body for e in found]) if found else term


def with_evidence(term: Term, evidence: Sequence[Evidence]) -> Term:
    """A term with later evidence added: each report's citation joins the sources of the value
    it gives; a report of another value makes the term disputed, every account kept."""
    data = term.canonical()
    sources = list(term.sources)
    reports = list(term.reports)
    confidence = term.confidence
    own = value_json(term.value)
    for e in evidence:
        citation = Citation(source=e.source.id, quote=e.quote)
        if e.value is None or value_json(e.value) == own:
            if citation not in sources:
                sources.append(citation)
            if e.confidence is not None and confidence != "disputed":
                confidence = e.confidence
            continue
        confidence = "disputed"
        for i, r in enumerate(reports):
            if value_json(r.value) == value_json(e.value):
                reports[i] = r.model_copy(update={"sources": [*r.sources, citation]})
                break
        else:
            reports.append(Report(value=e.value, sources=[citation], note=e.note))
    data.update(sources=[c.canonical() for c in sources], confidence=confidence, reports=[r.canonical() for r in reports])
    return Term.model_validate(data)


def apply(negotiation: Negotiation, records: Sequence[Any], events: Sequence[EventRecord], as_of: dt.date | None = None,
          *, corrected: bool = False) -> Applied:
    """The drafts with the events applied (``corrected``: keep corrected drafts in view)."""
    out = Applied(negotiation, list(records), list(records), events=list(events))
    for e in events:
        body = e.body
        if isinstance(body, Revision):
            out.negotiation = body.negotiation
        elif isinstance(body, Correction):
            out.corrected[body.draft] = body.by
        elif isinstance(body, StatusChange):
            out.statuses.setdefault(body.draft, []).append(e)
        elif isinstance(body, Evidence) and (as_of is None or e.dated() <= as_of):
            out.evidence.setdefault((body.draft, body.term), []).append(e)
    for changes in out.statuses.values():
        changes.sort(key=lambda e: (e.body.date, e.seq))

    def current(draft: str) -> str:
        seen = set()
        while draft in out.corrected and draft not in seen and not corrected:
            seen.add(draft)
            draft = out.corrected[draft]
        return draft

    if not corrected:  # what was recorded about a corrected draft is about the text its correction records
        for wrong in list(out.statuses):
            if wrong in out.corrected:
                out.statuses.setdefault(current(wrong), []).extend(out.statuses.pop(wrong))
        for draft, key in list(out.evidence):
            if draft in out.corrected:
                out.evidence.setdefault((current(draft), key), []).extend(out.evidence.pop((draft, key)))
        for changes in out.statuses.values():
            changes.sort(key=lambda e: (e.body.date, e.seq))
    shown = []
    for r in records:
        if not corrected and r.id in out.corrected:
            continue
        header = r.header
        update: dict[str, Any] = {}
        due = [e for e in out.statuses.get(r.id, ()) if as_of is None or e.body.date <= as_of]
        if due:
            update["status"] = due[-1].body.status
        parents = [current(p) for p in header.parents]
        if parents != header.parents:
            update["parents"] = list(dict.fromkeys(parents))
        shown.append(replace(r, header=header.model_copy(update=update)) if update else r)
    out.records = shown
    return out


def revision_problems(old: Negotiation, new: Negotiation) -> list[str]:
    """What a new revision of a negotiation may not do: drop a party or a source its drafts may name."""
    codes = {p.code for p in new.parties}
    ids = {s.id for s in new.sources}
    return ([f"parties: {p.code} is missing; a revision may add parties and aliases, never drop a party drafts name"
             for p in old.parties if p.code not in codes]
            + [f"sources: {s.id!r} is missing; a revision may add or correct sources, never drop one drafts cite"
               for s in old.sources if s.id not in ids])
