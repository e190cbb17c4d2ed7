"""JSON Schemas for tracker's files and JSON output, generated from the pydantic models.

``python -m tracker.render.jsonschemas [DIR]`` writes them (default: the repository's ``schemas/``);
a test fails when the committed files are stale. Input files may use shorthand values and
cite sources by id, so their schemas widen the models' canonical forms accordingly.

Some 640 lines on purpose: one pydantic model per JSON document and nested record, declared
once here, from which every schema file is generated; split by command, the records they
share (a draft's summary, an attribution, a cited source) would be declared twice.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from tracker.model.termsheet import (
    RESERVED_DRAFT_IDS,
    TERM_KEY_PATTERN,
    Confidence,
    Draft,
    Negotiation,
    Party,
    Report,
    Source,
    Term,
)
from tracker.model.values import CURRENCIES, Currency, Exact, Value

SHORTHAND = [
    {"type": "string", "description": "shorthand: 50%, $500B, '45 days', 2025-02-12, none, choice:x, …"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "array", "items": {"type": "string"}, "description": "a set of strings"},
    {"type": "null", "description": "the term is explicitly absent"},
]
TYPE_HINT = {
    "enum": ["money", "percent", "number", "boolean", "choice", "set", "text", "date", "none"],
    "description": "Parse hint for shorthand: a bare word is text unless the type is choice.",
}


def _file_schema(model: type[BaseModel], kind: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema["properties"] = {"kind": {"const": kind}, **schema["properties"]}
    schema["required"] = ["kind", *schema.get("required", [])]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    defs = schema.get("$defs", {})
    for name in ("Term", "Report"):
        if name in defs:
            props = defs[name]["properties"]
            props["value"] = {"anyOf": [copy.deepcopy(props["value"]), *SHORTHAND]}
            if name == "Term":
                props["type"] = TYPE_HINT
    # What pydantic leaves out of the generated schema, and the loader refuses all the same.
    keys = {"pattern": TERM_KEY_PATTERN, "minLength": 1, "maxLength": 200}
    if "Money" in defs:
        defs["Money"]["properties"]["currency"]["enum"] = sorted(CURRENCIES)
    if "Term" in defs:  # competing reports belong to a disputed term only
        defs["Term"]["if"] = {"required": ["reports"], "properties": {"reports": {"minItems": 1}}}
        defs["Term"]["then"] = {"required": ["confidence"], "properties": {"confidence": {"const": "disputed"}}}
    if kind == "draft":
        schema["properties"]["terms"]["propertyNames"] = keys
        schema["properties"]["id"]["not"] = {"anyOf": [{"enum": list(RESERVED_DRAFT_IDS)}, {"pattern": r"^v[0-9]+$"}],
                                              "description": "latest, v1, v2, … are references, not ids"}
    if "Citation" in defs:  # a bare source id is accepted for a citation
        defs["Citation"] = {"anyOf": [defs["Citation"], {"type": "string"}]}
    if kind == "negotiation":
        prefs = schema["properties"]["preferences"]
        (pattern,) = prefs["patternProperties"]
        prefs["patternProperties"][pattern] = {
            "type": "object",
            "description": "party code → higher, lower, or the options ranked best first (a yes/no term: [yes, no] or"
            " [no, yes]); `default`: the value that applies when a text leaves the term out",
            "properties": {"default": {"anyOf": [copy.deepcopy(defs["TermPreferences"]["properties"]["default"]), *SHORTHAND]}},
            "additionalProperties": {
                "anyOf": [
                    {"enum": ["higher", "lower"]},
                    {"type": "array", "minItems": 2, "items": {"type": ["string", "boolean"]}, "description": "options, best first"},
                ]
            },
        }
        defs.pop("TermPreferences", None)
        prefs["propertyNames"] = keys
    if kind == "draft":
        items = schema["properties"]["sources"]["items"]
        schema["properties"]["sources"]["items"] = {"anyOf": [items, {"type": "string", "description": "a source id from the negotiation's bibliography"}]}
    return schema


# --- output documents (used only to describe `--format json`) ----------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DraftSummaryOut(_Out):
    id: str
    seq: int
    hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    title: str
    tabled_by: list[str]
    date: str
    parents: list[str]
    status: str
    coverage: Literal["full", "partial"] = Field(
        description="full: recorded from the text (what it leaves out is absent); partial: from reports about it"
        " (what it does not state is unknown)"
    )


class NegotiationRefOut(_Out):
    id: str
    title: str


class LogDraftOut(DraftSummaryOut):
    recorded_at: Optional[str]
    recorded_by: Optional[str] = Field(description="who recorded it (None: recorded before tracker kept it)")
    status_now: str = Field(description="its status after the status changes recorded since (`tracker status`)")
    corrected_by: Optional[str] = Field(description="the draft that corrects it (`tracker correct`), if any")


class EventOut(_Out):
    event: str = Field(description="e1, e2, …: its number among the negotiation's events")
    kind: Literal["status", "cite", "correct", "revise"]
    after: int = Field(description="how many drafts the negotiation had when it was recorded (its place in the history)")
    recorded_at: str
    recorded_by: Optional[str]
    hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    body: dict[str, Any] = Field(description="the event as hashed: a status change, evidence, a correction or a revision")


class LogOut(_Out):
    schema_: Literal["tracker.log/v1"] = Field(alias="schema")
    negotiation: NegotiationRefOut
    drafts: list[LogDraftOut]
    events: list[EventOut] = Field(description="status changes, evidence, corrections and revisions, in recording order")
    head: str = Field(description="the head of the negotiation's history chain (`tracker verify --head` checks a kept copy)")


class CarriedOut(_Out):
    value: Value
    from_: str = Field(alias="from", description="the draft that stated it")


class DraftOut(DraftSummaryOut):
    schema_: Literal["tracker.draft/v1"] = Field(alias="schema")
    negotiation: str
    sources: list[Source]
    notes: Optional[str] = None
    recorded_at: Optional[str]
    terms: dict[str, Term] = Field(description="the terms the draft states")
    carried: Optional[dict[str, CarriedOut]] = Field(
        default=None, description="a partial draft: the terms it carries over from its parents, unconfirmed"
    )
    events: list[EventOut] = Field(description="what was recorded about the draft since: its status changes, evidence, corrections")


class StepOut(_Out):
    draft: str
    seq: int
    date: str
    tabled_by: list[str]
    value: Optional[Value]


Label = Literal["opening", "concession", "hardening", "neutral"]
STANCE = (
    "party → its move against its own previous position on the term (opening: it had none), for each party"
    " that tabled introduced_in and moved; see shared/negotiation-semantics.md"
)


class ReportValueOut(Report):
    text: str = Field(description="the competing value in short human form")


REPORTS = "a disputed term's competing accounts (null when the term is not disputed)"


class ChangeOut(_Out):
    term: str
    label: Optional[str] = Field(description="the term's human name")
    kind: Literal["changed", "renamed", "dropped", "added", "annotated", "unreported"] = Field(
        description="unreported: the older draft states the term, the newer one does not (unknown there, not dropped)"
    )
    old_term: Optional[str] = None
    old: Optional[Value]
    new: Optional[Value]
    old_stated: bool = Field(description="false: the older draft only carries the term over from a parent, unconfirmed")
    new_stated: bool = Field(description="false: the newer draft does not state the term")
    carried_from: Optional[str] = Field(description="unreported: the draft whose statement the newer draft carries over")
    old_reports: Optional[list[ReportValueOut]] = Field(description=REPORTS)
    new_reports: Optional[list[ReportValueOut]] = Field(description=REPORTS)
    delta: dict[str, Any]
    pushed_by: Optional[list[str]]
    basis: Optional[Literal["explicit", "adopted", "author"]]
    introduced_in: Optional[str]
    adopted_from: Optional[str]
    steps: list[StepOut]
    evidence: Optional[str]
    stance: dict[str, Label] = Field(description=STANCE)
    annotations: dict[str, Any]


class SummaryOut(_Out):
    changed: int
    renamed: int
    dropped: int
    added: int
    annotated: int
    unreported: int = Field(description="terms the older draft states and the newer one does not: no longer reported")
    unchanged: int


class ThreeWayTermOut(_Out):
    term: str
    base: Optional[Value]
    old: Optional[Value]
    new: Optional[Value]
    moved: Literal["old", "new", "both"]


class ThreeWayOut(_Out):
    base: Optional[DraftSummaryOut]
    terms: list[ThreeWayTermOut]


class DiffOut(_Out):
    schema_: Literal["tracker.diff/v2"] = Field(alias="schema")
    negotiation: str
    from_: DraftSummaryOut = Field(alias="from")
    to: DraftSummaryOut
    summary: SummaryOut
    changes: list[ChangeOut]
    three_way: Optional[ThreeWayOut] = None


# --- blame, history, positions, gap (tracker.history data, drawn by render/jsonout.py) -----------

Basis = Literal["explicit", "adopted", "author"]
TermStatus = Literal["agreed", "open", "unaddressed"]
TEXT = "the value in short human form (null with it)"


class CitedOut(_Out):
    """A citation, with its source looked up in the draft's or the negotiation's bibliography."""

    source: str
    outlet: Optional[str] = Field(description="null when the source id is in no bibliography")
    quote: Optional[str]
    url: Optional[str] = None
    date: Optional[str] = None
    event: Optional[str] = Field(default=None, description="the event that recorded it after the draft (`tracker cite`), if one did")


class AttributionOut(_Out):
    pushed_by: list[str] = Field(description="the parties that pushed the value")
    basis: Basis = Field(
        description="explicit: the term names who pushed it; adopted: another party proposed the value earlier"
        " (adopted_from); author: the parties that tabled introduced_in"
    )
    introduced_in: str = Field(description="the first draft on the path that states the value")
    adopted_from: Optional[str] = Field(description="adopted: the draft that first proposed the value")
    evidence: Optional[str]
    stance: dict[str, Label] = Field(description=STANCE)


class BlameOriginOut(_Out):
    id: str
    seq: int
    date: str
    tabled_by: list[str]
    key: str = Field(description="the term's key there (differs from `term` after a rename)")
    left_out: bool = Field(
        description="that draft left the term out, which the term's declared default makes the same value"
    )


class BlameTermOut(AttributionOut):
    term: str
    label: Optional[str] = Field(description="the term's human name")
    value: Value
    text: str = Field(description="the value in short human form")
    stated: bool = Field(description="false: the blamed draft only carries the term over from a parent, unconfirmed")
    reports: Optional[list[ReportValueOut]] = Field(description=REPORTS)
    from_: BlameOriginOut = Field(alias="from", description="the draft that gave the term its current value")
    sources: list[CitedOut] = Field(description="the citations for the value where it first appeared")


class BlameOut(_Out):
    schema_: Literal["tracker.blame/v2"] = Field(alias="schema")
    negotiation: str
    draft: DraftSummaryOut
    terms: list[BlameTermOut]


class _HistoryRow(_Out):
    """The term in one draft: what the full history and the report's slimmer rows share."""

    key: Optional[str] = Field(description="the term's key in this draft; null where the draft does not hold it")
    event: Literal["added", "changed", "renamed", "dropped", "unchanged", "absent", "carried", "unknown"] = Field(
        description="against the draft's first parent; absent: the draft states the term is not there; carried: the"
        " draft (known from reports) does not state it and carries it over unconfirmed; unknown: it says nothing of it"
    )
    stated: Optional[bool] = Field(description="whether the draft itself states what is shown (null: it says nothing)")
    carried_from: Optional[str] = Field(description="carried: the draft whose statement is carried over")
    value: Optional[Value] = Field(description="null where the draft says nothing of the term; none where it is absent")
    text: Optional[str] = Field(description=TEXT)
    confidence: Optional[Confidence]
    deferred: bool = Field(description="the text leaves the term for later")
    reports: Optional[list[ReportValueOut]] = Field(description=REPORTS)
    attribution: Optional[AttributionOut] = Field(description="for added, changed and dropped rows")
    moves: dict[str, Label] = Field(description="each tabling party whose position on the term moved in this draft: its label")
    sources: list[CitedOut]


class HistoryRowOut(DraftSummaryOut, _HistoryRow):
    pass


class HistoryOut(_Out):
    schema_: Literal["tracker.history/v2"] = Field(alias="schema")
    negotiation: str
    term: str
    label: Optional[str] = Field(description="the term's human name")
    aliases: list[str] = Field(description="the other keys the term has had (renames)")
    drafts: list[HistoryRowOut] = Field(description="every draft of the negotiation, all branches, by date")


class PositionOut(_Out):
    draft: str = Field(description="the latest draft the party tabled (alone or jointly) that states the term")
    date: str
    key: str = Field(description="the term's key in that draft")
    value: Value = Field(description="none where that draft leaves the term out")
    text: str = Field(description="the value in short human form")
    absent: bool = Field(description="the draft states the term is not there")
    deferred: bool = Field(description="the draft leaves the term for later")
    confidence: Optional[Confidence]
    reports: Optional[list[ReportValueOut]] = Field(description=REPORTS)


Positions = dict[str, Optional[PositionOut]]
POSITIONS = "party → its position; null where no draft it tabled states the term"


class StatusCountsOut(_Out):
    agreed: int
    open: int
    unaddressed: int


class TermPositionsOut(_Out):
    term: str = Field(description="the key in the latest draft that has the term")
    label: Optional[str] = Field(description="the term's human name")
    aliases: list[str] = Field(description="other keys it had in these drafts (renames)")
    status: TermStatus = Field(
        description="agreed: every party has a position and they are the same value (none of them left for later);"
        " open: positions differ (or one is left for later); unaddressed: some party has no position"
    )
    positions: Positions = Field(description=POSITIONS)


class PositionsBodyOut(_Out):
    as_of: Optional[str] = Field(description="only drafts dated on or before this day (null: all)")
    parties: list[str]
    latest: dict[str, Optional[str]] = Field(description="party → the latest draft it tabled (null: none yet)")
    counts: StatusCountsOut
    terms: list[TermPositionsOut]


class PositionsOut(PositionsBodyOut):
    schema_: Literal["tracker.positions/v2"] = Field(alias="schema")
    negotiation: str


# A distance is in the term's own unit: which fields come with it depends on its kind.
class _Distance(_Out):
    amount: Exact = Field(description="how far apart, never negative")
    text: str


class MoneyDistanceOut(_Distance):
    kind: Literal["money"]
    currency: Currency


class PercentDistanceOut(_Distance):
    kind: Literal["percent"] = Field(description="amount: percentage points")


class NumberDistanceOut(_Distance):
    kind: Literal["number"]
    unit: Optional[str] = None


class DurationDistanceOut(_Distance):
    kind: Literal["duration"] = Field(description="durations converted: days and weeks, months and years exactly")
    unit: str = Field(description="days, months or minutes")
    approximate: Optional[bool] = Field(default=None, description="true across days and months (a year taken as 365 days)")


class DateDistanceOut(_Distance):
    kind: Literal["date"] = Field(description="amount: days apart")


class ItemsDistanceOut(_Distance):
    kind: Literal["items"] = Field(description="amount: how many items of two sets differ")


class DiffersDistanceOut(_Distance):
    kind: Literal["differs"] = Field(description="values that are only the same or not (yes/no, unranked choices, text)")


class RankDistanceOut(_Distance):
    kind: Literal["rank"] = Field(description="amount: steps apart in a party's declared ranking of a choice's options")
    ranking_of: str = Field(description="the party whose ranking")
    steps: int = Field(description="the number of steps in that ranking")


Distance = Annotated[
    Union[
        MoneyDistanceOut, PercentDistanceOut, NumberDistanceOut, DurationDistanceOut, DateDistanceOut, RankDistanceOut,
        ItemsDistanceOut, DiffersDistanceOut,
    ],
    Field(discriminator="kind"),
]


class GapTermOut(_Out):
    term: str
    label: Optional[str] = Field(description="the term's human name")
    positions: Positions = Field(description=POSITIONS)


class GapRowOut(GapTermOut):
    distance: Optional[Distance] = Field(
        description="how far apart the two positions are, in the term's unit; null where none applies (an absent"
        " term stands for its declared default, and without one has no distance)"
    )
    deferred: bool = Field(description="a side leaves the term for later: open, however the wording reads")


class UnaddressedOut(GapTermOut):
    addressed_by: list[str] = Field(description="the party that has a position (the other has none)")


class ConvergencePointOut(_Out):
    """The gap as it stood at the end of one draft date."""

    date: str
    drafts: list[str] = Field(description="the drafts dated that day")
    known: bool = Field(description="both parties had tabled a draft by then")
    agreed: int
    open: int
    unaddressed: int = Field(description="terms only one party has a position on: not counted in the share")
    share: Optional[float] = Field(description="agreed / (agreed + open), to 4 places; null when there are neither")
    open_terms: list[str]
    distances: dict[str, Distance] = Field(description="the open terms that have a typed distance")


class GapBodyOut(_Out):
    as_of: Optional[str] = Field(description="only drafts dated on or before this day (null: all)")
    parties: list[str] = Field(min_length=2, max_length=2)
    counts: StatusCountsOut
    share: Optional[float] = Field(description="agreed / (agreed + open) at the end, to 4 places")
    open: list[GapRowOut] = Field(description="the terms open between the two parties")
    agreed: list[GapTermOut] = Field(description="the terms both parties state the same")
    unaddressed: list[UnaddressedOut] = Field(description="the terms only one party has a position on: listed, never counted")
    convergence: list[ConvergencePointOut] = Field(description="one point per draft date: are the sides converging?")


class GapOut(GapBodyOut):
    schema_: Literal["tracker.gap/v2"] = Field(alias="schema")
    negotiation: str


# --- the change-history report (tracker.history.report data) -------------------------------------------


class ReportNegotiationOut(_Out):
    id: str
    title: str
    notes: Optional[str]
    parties: list[Party]


class ReportSummaryOut(_Out):
    parties: list[str]
    first_date: Optional[str]
    last_date: Optional[str]
    drafts: int
    latest: Optional[DraftSummaryOut] = Field(description="the last draft in reading order (date, then sequence)")
    counts: StatusCountsOut
    gap_pairs: "GapPairsOut"


class GapPairsOut(_Out):
    shown: int = Field(description="pairs of parties whose gap the report shows")
    of: int = Field(description="pairs of parties that both tabled drafts (`tracker gap A B` gives any pair)")


class StatusChangeOut(_Out):
    status: str
    date: str
    event: str
    note: Optional[str]
    sources: list[str]


class LaterEvidenceOut(_Out):
    event: str
    term: str
    source: str
    outlet: str
    quote: Optional[str]
    confidence: Optional[str]
    value: Optional[str] = Field(description="the value this report gives where it differs from the draft's (the term is disputed)")
    recorded_at: str
    recorded_by: Optional[str]


class TimelineDraftOut(DraftSummaryOut):
    sources: list[str] = Field(description="ids of the sources the draft lists (see bibliography)")
    notes: Optional[str]
    status_recorded: str = Field(description="its status as recorded; `status` is the status now")
    status_history: list[StatusChangeOut]
    later_evidence: list[LaterEvidenceOut] = Field(description="evidence recorded for its terms after it was (`tracker cite`)")
    corrects: Optional[str] = Field(description="the draft, recorded with a mistake, that this one corrects")


class ReportChangeOut(ChangeOut):
    old_text: Optional[str]
    new_text: Optional[str]
    delta_text: str = Field(description="the delta in short human form ('' when there is none to give)")
    quotes: list[CitedOut] = Field(description="the citations the draft gives for the change")


class ChangeBlockOut(_Out):
    draft: str
    against: Optional[str] = Field(description="the parent compared against; null for a first draft")
    summary: SummaryOut
    changes: list[ReportChangeOut]


class DraftTermOut(_Out):
    draft: str
    term: str


class TallyOut(_Out):
    code: str
    name: str
    pushed: list[DraftTermOut] = Field(description="the changes the party pushed (against each draft's first parent)")
    conceded: list[DraftTermOut] = Field(
        description="each draft the party tabled where its position on a term moved and the move is a concession"
    )
    won: list[str] = Field(description="terms that ended agreed on a value the party pushed, against another party")


class ReportHistoryRowOut(_HistoryRow):
    """A history row without the draft details the timeline gives."""

    id: str
    seq: int
    date: str
    tabled_by: list[str]


class ReportHistoryOut(_Out):
    term: str
    label: Optional[str]
    aliases: list[str]
    drafts: list[ReportHistoryRowOut] = Field(description="only the drafts where the term moved")


class BibliographyEntryOut(Source):
    cited_by: list[str] = Field(description="the drafts that list the source")


class ReportOut(_Out):
    schema_: Literal["tracker.report/v2"] = Field(alias="schema")
    negotiation: ReportNegotiationOut
    summary: ReportSummaryOut
    timeline: list[TimelineDraftOut] = Field(description="every draft in reading order")
    changes: list[ChangeBlockOut] = Field(description="each draft against each of its parents")
    parties: list[TallyOut]
    histories: list[ReportHistoryOut] = Field(description="the terms whose value moved after they first appeared")
    positions: PositionsBodyOut
    gaps: list[GapBodyOut] = Field(description="one per pair of parties that tabled drafts, at most 28 (summary.gap_pairs)")
    bibliography: list[BibliographyEntryOut]


def _output_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema."""
    return {
        "negotiation.schema.json": _file_schema(Negotiation, "negotiation"),
        "draft.schema.json": _file_schema(Draft, "draft"),
        "log.output.schema.json": _output_schema(LogOut),
        "draft.output.schema.json": _output_schema(DraftOut),
        "diff.output.schema.json": _output_schema(DiffOut),
        "blame.output.schema.json": _output_schema(BlameOut),
        "history.output.schema.json": _output_schema(HistoryOut),
        "positions.output.schema.json": _output_schema(PositionsOut),
        "gap.output.schema.json": _output_schema(GapOut),
        "report.output.schema.json": _output_schema(ReportOut),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    from tracker.model.resources import resource_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_dir("schemas")
    for p in write(target):
        print(p)
