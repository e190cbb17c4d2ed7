"""The shape of every ``--format json`` document, declared once.

Each document and each record nested in it is a ``TypedDict``: ``jsonout`` builds them (its
functions are annotated with these types) and ``jsonschemas`` generates ``schemas/*.output.schema.json``
from them with pydantic. The rules every document follows:

- every field declared is present: ``null`` where it has no value, ``[]``/``{}`` where it lists
  nothing. Two things keep their canonical form, in which what is unset is left out: typed values
  (``{"type": "money", …}``) and a draft's terms and sources as ``show`` gives them (as recorded,
  the form a draft file has and ``diff --format jsonpatch`` patches);
- ``negotiation`` is ``{"id", "title"}``; a record that refers to a draft by its id calls it
  ``draft``, a record that describes a draft (``DraftSummary`` and what extends it) has ``id``;
- attribution (who pushed a value, and how we know) is flat in the record it is about.

``Record`` closes every shape (``extra="forbid"``): a field the output has and the shape does not
declare fails the schema, so the two cannot drift apart. ``typing_extensions.TypedDict``, as pydantic
needs it before Python 3.12. Imported by ``jsonschemas`` only: ``jsonout`` names these types for its
annotations alone, so drawing a document never imports pydantic's schema machinery.

Some 500 lines on purpose: one declaration per document and record, side by side, so that a field is
named the same in every command's output.
"""

from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from tracker.model.termsheet import Confidence, Source, Term
from tracker.model.values import Currency, Exact, Value


@with_config(ConfigDict(extra="forbid"))
class Record(TypedDict):
    """Every shape below extends this one: none takes a field it does not declare."""


Hash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Label = Literal["opening", "concession", "hardening", "neutral"]
Basis = Literal["explicit", "adopted", "author"]
TermStatus = Literal["agreed", "open", "unaddressed"]
Name = Annotated[Optional[str], Field(description="the term's human name")]
TEXT = "the value in short human form"
STANCE = (
    "party → its move against its own previous position on the term (opening: it had none), for each party"
    " that tabled introduced_in and moved; see shared/negotiation-semantics.md"
)


# --- records every document shares --------------------------------------------------------------


class NegotiationRef(Record):
    id: str
    title: str


class DraftSummary(Record):
    id: str
    seq: int
    hash: Hash
    title: str
    tabled_by: list[str]
    date: str
    parents: list[str]
    status: str
    coverage: Annotated[Literal["full", "partial"], Field(
        description="full: recorded from the text (what it leaves out is absent); partial: from reports about it"
        " (what it does not state is unknown)"
    )]


class EventRecord(Record):
    event: Annotated[str, Field(description="e1, e2, …: its number among the negotiation's events")]
    kind: Literal["status", "cite", "correct", "revise"]
    after: Annotated[int, Field(description="how many drafts the negotiation had when it was recorded (its place in the history)")]
    recorded_at: str
    recorded_by: Optional[str]
    hash: Hash
    body: Annotated[dict[str, Any], Field(description="the event as hashed: a status change, evidence, a correction or a revision")]


class Quote(Record):
    source: Annotated[str, Field(description="a source id")]
    quote: Optional[str]


class ReportValue(Record):
    """One competing account of a disputed term (``termsheet.Report``), with its value's text."""

    value: Value
    sources: list[Quote]
    note: Optional[str]
    text: Annotated[str, Field(description="the competing value in short human form")]


Reports = Annotated[
    Optional[list[ReportValue]], Field(description="a disputed term's competing accounts (null when the term is not disputed)")
]


class Cited(Record):
    """A citation, with its source looked up in the draft's or the negotiation's bibliography."""

    source: str
    outlet: Annotated[Optional[str], Field(description="null when the source id is in no bibliography")]
    quote: Optional[str]
    url: Optional[str]
    date: Optional[str]
    event: Annotated[Optional[str], Field(description="the event that recorded it after the draft (`tracker cite`), if one did")]


class Attribution(Record):
    """Who pushed a value and how we know: null (stance ``{}``) where there is none to give — a
    change no longer reported, a history row where the term did not move."""

    pushed_by: Annotated[Optional[list[str]], Field(description="the parties that pushed the value")]
    basis: Annotated[Optional[Basis], Field(
        description="explicit: the term names who pushed it; adopted: another party proposed the value earlier"
        " (adopted_from); author: the parties that tabled introduced_in"
    )]
    introduced_in: Annotated[Optional[str], Field(description="the first draft on the path that states the value")]
    adopted_from: Annotated[Optional[str], Field(description="adopted: the draft that first proposed the value")]
    evidence: Optional[str]
    stance: Annotated[dict[str, Label], Field(description=STANCE)]


class PartyRecord(Record):
    code: str
    name: str
    aliases: list[str]


class SourceRecord(Record):
    """A source of the negotiation's bibliography (``termsheet.Source``)."""

    id: str
    outlet: str
    title: Optional[str]
    date: Optional[str]
    url: Optional[str]
    reliability: Optional[str]
    notes: Optional[str]


class StatusCounts(Record):
    agreed: int
    open: int
    unaddressed: int


# --- log, show, parties, negotiations, verify ----------------------------------------------------


class LogDraft(DraftSummary):
    recorded_at: Optional[str]
    recorded_by: Annotated[Optional[str], Field(description="who recorded it (null: recorded before tracker kept it)")]
    status_now: Annotated[str, Field(description="its status after the status changes recorded since (`tracker status`)")]
    corrected_by: Annotated[Optional[str], Field(description="the draft that corrects it (`tracker correct`), if any")]


class LogDoc(Record):
    schema: Literal["tracker.log/v1"]
    negotiation: NegotiationRef
    drafts: list[LogDraft]
    events: Annotated[list[EventRecord], Field(description="status changes, evidence, corrections and revisions, in recording order")]
    head: Annotated[str, Field(description="the head of the negotiation's history chain (`tracker verify --head` checks a kept copy)")]


class Carried(Record):
    value: Value
    draft: Annotated[str, Field(description="the draft that states it")]


class DraftDoc(DraftSummary):
    schema: Literal["tracker.draft/v2"]
    negotiation: NegotiationRef
    sources: Annotated[list[Source], Field(description="the sources the draft lists, as recorded")]
    notes: Optional[str]
    recorded_at: Optional[str]
    terms: Annotated[dict[str, Term], Field(description="the terms the draft states, as recorded (the form a draft file has)")]
    order: Annotated[list[str], Field(
        description="the order the text gives its terms, first to last (a document's clauses); [] where it states none"
    )]
    carried: Annotated[Optional[dict[str, Carried]], Field(
        description="a partial draft: the terms it carries over from its parents, unconfirmed (null for a full draft)"
    )]
    events: Annotated[list[EventRecord], Field(description="what was recorded about the draft since: its status changes, evidence, corrections")]


class PartiesDoc(Record):
    schema: Literal["tracker.parties/v2"]
    negotiation: NegotiationRef
    parties: list[PartyRecord]


class NegotiationSummary(Record):
    id: str
    title: str
    parties: Annotated[list[str], Field(description="the parties' codes")]
    drafts: Annotated[int, Field(description="how many drafts it holds")]


class NegotiationsDoc(Record):
    schema: Literal["tracker.negotiations/v1"]
    negotiations: list[NegotiationSummary]


class Problem(Record):
    negotiation: Annotated[Optional[str], Field(description="the negotiation's id (its stored document may be what is wrong)")]
    draft: Optional[str]
    seq: Optional[int]
    term: Optional[str]
    message: str


class VerifyDoc(Record):
    schema: Literal["tracker.verify/v1"]
    ok: bool
    negotiations: Annotated[int, Field(description="how many negotiations were checked")]
    drafts: int
    events: int
    terms: Annotated[int, Field(description="distinct stored terms checked")]
    heads: Annotated[dict[str, str], Field(description="negotiation id → the head of its history chain")]
    problems: list[Problem]


# --- diff ----------------------------------------------------------------------------------------


class Step(Record):
    draft: str
    seq: int
    date: str
    tabled_by: list[str]
    value: Optional[Value]


class Change(Attribution):
    term: str
    label: Name
    kind: Annotated[Literal["changed", "renamed", "dropped", "added", "annotated", "unreported"], Field(
        description="unreported: the older draft states the term, the newer one does not (unknown there, not dropped)"
    )]
    old_term: Annotated[Optional[str], Field(description="renamed: the term's key in the older draft (null otherwise)")]
    old: Optional[Value]
    new: Optional[Value]
    old_stated: Annotated[bool, Field(description="false: the older draft only carries the term over from a parent, unconfirmed")]
    new_stated: Annotated[bool, Field(description="false: the newer draft does not state the term")]
    carried_from: Annotated[Optional[str], Field(description="unreported: the draft whose statement the newer draft carries over")]
    old_reports: Reports
    new_reports: Reports
    delta: dict[str, Any]
    steps: Annotated[list[Step], Field(description="the drafts the term went through on the way ([] without an attribution)")]
    annotations: dict[str, Any]


class ChangeSummary(Record):
    changed: int
    renamed: int
    dropped: int
    added: int
    annotated: int
    unreported: Annotated[int, Field(description="terms the older draft states and the newer one does not: no longer reported")]
    unchanged: int


class ThreeWayTerm(Record):
    term: str
    base: Optional[Value]
    old: Optional[Value]
    new: Optional[Value]
    moved: Literal["old", "new", "both"]


class ThreeWay(Record):
    base: Annotated[Optional[DraftSummary], Field(description="the common ancestor (null: the drafts share none)")]
    terms: list[ThreeWayTerm]


# ``from`` is a Python keyword: the shapes with a field of that name get it from a functional base.
_DiffFrom = TypedDict("_DiffFrom", {
    "from": Annotated[Optional[DraftSummary], Field(description="the older draft (null: compared with nothing, before a first draft)")],
})


class DiffDoc(Record, _DiffFrom):
    schema: Literal["tracker.diff/v3"]
    negotiation: NegotiationRef
    to: DraftSummary
    summary: ChangeSummary
    changes: list[Change]
    three_way: Annotated[Optional[ThreeWay], Field(description="with --three-way: each term in the common ancestor and both drafts (null otherwise)")]


# --- blame, history ------------------------------------------------------------------------------


class BlameOrigin(Record):
    id: str
    seq: int
    date: str
    tabled_by: list[str]
    key: Annotated[str, Field(description="the term's key there (differs from `term` after a rename)")]
    left_out: Annotated[bool, Field(description="that draft left the term out, which the term's declared default makes the same value")]


_BlameFrom = TypedDict("_BlameFrom", {
    "from": Annotated[BlameOrigin, Field(description="the draft that gave the term its current value")],
})


class BlameTerm(Attribution, _BlameFrom):
    term: str
    label: Name
    value: Value
    text: Annotated[str, Field(description=TEXT)]
    stated: Annotated[bool, Field(description="false: the blamed draft only carries the term over from a parent, unconfirmed")]
    reports: Reports
    sources: Annotated[list[Cited], Field(description="the citations for the value where it first appeared")]


class BlameDoc(Record):
    schema: Literal["tracker.blame/v3"]
    negotiation: NegotiationRef
    draft: DraftSummary
    terms: list[BlameTerm]


class _TermInDraft(Attribution):
    """The term in one draft: what the full history and the report's slimmer rows share."""

    key: Annotated[Optional[str], Field(description="the term's key in this draft; null where the draft does not hold it")]
    event: Annotated[Literal["added", "changed", "renamed", "dropped", "unchanged", "absent", "carried", "unknown"], Field(
        description="against the draft's first parent; absent: the draft states the term is not there; carried: the"
        " draft (known from reports) does not state it and carries it over unconfirmed; unknown: it says nothing of it"
    )]
    stated: Annotated[Optional[bool], Field(description="whether the draft itself states what is shown (null: it says nothing)")]
    carried_from: Annotated[Optional[str], Field(description="carried: the draft whose statement is carried over")]
    value: Annotated[Optional[Value], Field(description="null where the draft says nothing of the term; none where it is absent")]
    text: Annotated[Optional[str], Field(description=TEXT + " (null with it)")]
    confidence: Optional[Confidence]
    deferred: Annotated[bool, Field(description="the text leaves the term for later")]
    reports: Reports
    moves: Annotated[dict[str, Label], Field(description="each tabling party whose position on the term moved in this draft: its label")]
    sources: list[Cited]


class HistoryRow(DraftSummary, _TermInDraft):
    """A draft and what it says of the term; attributed (pushed_by, …) where the term was added,
    changed, renamed or dropped."""


class HistoryDoc(Record):
    schema: Literal["tracker.history/v3"]
    negotiation: NegotiationRef
    term: str
    label: Name
    aliases: Annotated[list[str], Field(description="the other keys the term has had (renames)")]
    drafts: Annotated[list[HistoryRow], Field(description="every draft of the negotiation, all branches, by date")]


# --- positions, gap ------------------------------------------------------------------------------


class Position(Record):
    draft: Annotated[str, Field(description="the latest draft the party tabled (alone or jointly) that states the term")]
    date: str
    key: Annotated[str, Field(description="the term's key in that draft")]
    value: Annotated[Value, Field(description="none where that draft leaves the term out")]
    text: Annotated[str, Field(description=TEXT)]
    absent: Annotated[bool, Field(description="the draft states the term is not there")]
    deferred: Annotated[bool, Field(description="the draft leaves the term for later")]
    confidence: Optional[Confidence]
    reports: Reports


Positions = Annotated[dict[str, Optional[Position]], Field(description="party → its position; null where no draft it tabled states the term")]


class TermPositions(Record):
    term: Annotated[str, Field(description="the key in the latest draft that has the term")]
    label: Name
    aliases: Annotated[list[str], Field(description="other keys it had in these drafts (renames)")]
    status: Annotated[TermStatus, Field(
        description="agreed: every party has a position and they are the same value (none of them left for later);"
        " open: positions differ (or one is left for later); unaddressed: some party has no position"
    )]
    positions: Positions


AS_OF = "only drafts dated on or before this day (null: all)"


class PositionsBody(Record):
    as_of: Annotated[Optional[str], Field(description=AS_OF)]
    parties: list[str]
    latest: Annotated[dict[str, Optional[DraftSummary]], Field(description="party → the latest draft it tabled (null: none yet)")]
    counts: StatusCounts
    terms: list[TermPositions]


class PositionsDoc(PositionsBody):
    schema: Literal["tracker.positions/v3"]
    negotiation: NegotiationRef


class Distance(Record):
    """How far apart two positions are, in the term's own unit; the fields that do not apply to
    its kind are null."""

    kind: Annotated[Literal["money", "percent", "number", "duration", "date", "rank", "items", "differs"], Field(
        description="money: in currency; percent: percentage points; number: in unit; duration: converted (days and weeks,"
        " months and years exactly), in unit; date: days apart; rank: steps apart in ranking_of's declared ranking"
        " of a choice's options; items: how many items of two sets differ; differs: values that are only the same"
        " or not (yes/no, unranked choices, text)"
    )]
    amount: Annotated[Exact, Field(description="how far apart, never negative")]
    text: str
    currency: Annotated[Optional[Currency], Field(description="money: the currency (null otherwise)")]
    unit: Annotated[Optional[str], Field(description="number: its unit, if any; duration: days, months or minutes (null otherwise)")]
    ranking_of: Annotated[Optional[str], Field(description="rank: the party whose ranking (null otherwise)")]
    steps: Annotated[Optional[int], Field(description="rank: the number of steps in that ranking (null otherwise)")]
    approximate: Annotated[Optional[bool], Field(
        description="duration: true across days and months (a year taken as 365 days), else false; null for other kinds"
    )]


class GapTerm(Record):
    term: str
    label: Name
    positions: Positions


class GapRow(GapTerm):
    distance: Annotated[Optional[Distance], Field(
        description="how far apart the two positions are, in the term's unit; null where none applies (an absent"
        " term stands for its declared default, and without one has no distance)"
    )]
    deferred: Annotated[bool, Field(description="a side leaves the term for later: open, however the wording reads")]


class Unaddressed(GapTerm):
    addressed_by: Annotated[list[str], Field(description="the party that has a position (the other has none)")]


class ConvergencePoint(Record):
    """The gap as it stood at the end of one draft date."""

    date: str
    drafts: Annotated[list[str], Field(description="the drafts dated that day")]
    known: Annotated[bool, Field(description="both parties had tabled a draft by then")]
    agreed: int
    open: int
    unaddressed: Annotated[int, Field(description="terms only one party has a position on: not counted in the share")]
    share: Annotated[Optional[float], Field(description="agreed / (agreed + open), to 4 places; null when there are neither")]
    open_terms: list[str]
    distances: Annotated[dict[str, Distance], Field(description="the open terms that have a typed distance")]


class GapBody(Record):
    as_of: Annotated[Optional[str], Field(description=AS_OF)]
    parties: Annotated[list[str], Field(min_length=2, max_length=2)]
    counts: StatusCounts
    share: Annotated[Optional[float], Field(description="agreed / (agreed + open) at the end, to 4 places")]
    open: Annotated[list[GapRow], Field(description="the terms open between the two parties")]
    agreed: Annotated[list[GapTerm], Field(description="the terms both parties state the same")]
    unaddressed: Annotated[list[Unaddressed], Field(description="the terms only one party has a position on: listed, never counted")]
    convergence: Annotated[list[ConvergencePoint], Field(description="one point per draft date: are the sides converging?")]


class GapDoc(GapBody):
    schema: Literal["tracker.gap/v3"]
    negotiation: NegotiationRef


# --- the change-history report ---------------------------------------------------------------------


class ReportNegotiation(NegotiationRef):
    notes: Optional[str]
    parties: list[PartyRecord]


class GapPairs(Record):
    shown: Annotated[int, Field(description="pairs of parties whose gap the report shows")]
    of: Annotated[int, Field(description="pairs of parties that both tabled drafts (`tracker gap A B` gives any pair)")]


class ReportSummary(Record):
    parties: list[str]
    first_date: Optional[str]
    last_date: Optional[str]
    drafts: int
    latest: Annotated[Optional[DraftSummary], Field(description="the last draft in reading order (date, then sequence)")]
    counts: StatusCounts
    gap_pairs: GapPairs


class StatusChange(Record):
    status: str
    date: str
    event: str
    note: Optional[str]
    sources: list[str]


class LaterEvidence(Record):
    event: str
    term: str
    source: str
    outlet: str
    quote: Optional[str]
    confidence: Optional[str]
    value: Annotated[Optional[str], Field(description="the value this report gives where it differs from the draft's (the term is disputed)")]
    recorded_at: str
    recorded_by: Optional[str]


class TimelineDraft(DraftSummary):
    sources: Annotated[list[str], Field(description="ids of the sources the draft lists (see bibliography)")]
    notes: Optional[str]
    status_recorded: Annotated[str, Field(description="its status as recorded; `status` is the status now")]
    status_history: list[StatusChange]
    later_evidence: Annotated[list[LaterEvidence], Field(description="evidence recorded for its terms after it was (`tracker cite`)")]
    corrects: Annotated[Optional[str], Field(description="the draft, recorded with a mistake, that this one corrects")]


class ReportChange(Change):
    old_text: Optional[str]
    new_text: Optional[str]
    delta_text: Annotated[str, Field(description="the delta in short human form ('' when there is none to give)")]
    quotes: Annotated[list[Cited], Field(description="the citations the draft gives for the change")]


class ChangeBlock(Record):
    draft: str
    against: Annotated[Optional[str], Field(description="the parent compared against; null for a first draft")]
    summary: ChangeSummary
    changes: list[ReportChange]


class DraftTerm(Record):
    draft: str
    term: str


class Tally(Record):
    code: str
    name: str
    pushed: Annotated[list[DraftTerm], Field(description="the changes the party pushed (against each draft's first parent)")]
    conceded: Annotated[list[DraftTerm], Field(
        description="each draft the party tabled where its position on a term moved and the move is a concession"
    )]
    won: Annotated[list[str], Field(description="terms that ended agreed on a value the party pushed, against another party")]


class ReportHistoryRow(_TermInDraft):
    """A history row without the draft details the timeline gives."""

    id: str
    seq: int
    date: str
    tabled_by: list[str]


class ReportHistory(Record):
    term: str
    label: Name
    aliases: list[str]
    drafts: Annotated[list[ReportHistoryRow], Field(description="only the drafts where the term moved")]


class BibliographyEntry(SourceRecord):
    cited_by: Annotated[list[str], Field(description="the drafts that list the source")]


class ReportDoc(Record):
    schema: Literal["tracker.report/v3"]
    negotiation: ReportNegotiation
    summary: ReportSummary
    timeline: Annotated[list[TimelineDraft], Field(description="every draft in reading order")]
    changes: Annotated[list[ChangeBlock], Field(description="each draft against each of its parents")]
    parties: list[Tally]
    histories: Annotated[list[ReportHistory], Field(description="the terms whose value moved after they first appeared")]
    positions: PositionsBody
    gaps: Annotated[list[GapBody], Field(description="one per pair of parties that tabled drafts, at most 28 (summary.gap_pairs)")]
    bibliography: list[BibliographyEntry]


# Each document, by the name of its schema file (``schemas/NAME.output.schema.json``).
DOCUMENTS: dict[str, type] = {
    "log": LogDoc,
    "draft": DraftDoc,
    "parties": PartiesDoc,
    "negotiations": NegotiationsDoc,
    "diff": DiffDoc,
    "blame": BlameDoc,
    "history": HistoryDoc,
    "positions": PositionsDoc,
    "gap": GapDoc,
    "verify": VerifyDoc,
    "report": ReportDoc,
}
