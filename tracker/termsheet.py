"""The term-sheet models: negotiations, parties, sources, drafts and their terms.

These pydantic models are the one in-memory form of a term sheet. Files are loaded into them
(``loading.py``), the store writes and reads them (``store.py``), and every report is computed
from them. ``extra="forbid"`` everywhere: a misspelt field is an error, not silently dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tracker.values import Choice, Value, parse_value

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", min_length=1, max_length=100)]
PartyCode = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
# Dotted paths group related terms (``fund.governance``); no spaces or slashes (they would
# break JSON Pointer paths and shell use).
TermKey = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", min_length=1, max_length=200)
]
Confidence = Literal["confirmed", "reported", "disputed"]
Status = Literal[
    "proposed", "leaked", "rejected", "superseded", "withdrawn",
    "agreed", "initialled", "signed", "ratified", "expired",
]
# A preference is "higher"/"lower" for numbers, or the ranked options of a choice, best first.
Preference = Union[Literal["higher", "lower"], list[str]]

RESERVED_DRAFT_IDS = ("latest",)


class Model(BaseModel):
    # Empty-list defaults are factories below: pydantic deep-copies a literal ``[]`` default
    # for every instance, which dominates reading back a large sheet.
    model_config = ConfigDict(extra="forbid", frozen=True)

    def canonical(self) -> dict[str, Any]:
        """JSON-ready dict with defaults omitted: adding an optional field keeps old hashes."""
        return self.model_dump(mode="json", exclude_defaults=True)


class Party(Model):
    code: PartyCode
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list)


class Source(Model):
    id: Slug
    outlet: str = Field(min_length=1, max_length=300)
    title: str | None = None
    date: dt.date | None = None
    url: str | None = Field(default=None, max_length=2000)
    reliability: str | None = None
    notes: str | None = None


class Citation(Model):
    source: Slug
    quote: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        return {"source": data} if isinstance(data, str) else data


class Report(Model):
    """One of several competing accounts of a disputed term."""

    value: Value
    sources: list[Citation] = Field(default_factory=list)
    note: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else parse_value(v)


class PushedBy(Model):
    parties: list[PartyCode] = Field(min_length=1)
    evidence: str | None = None
    source: Slug | None = None


class _Hinted:
    """A shorthand value waiting for its term's ``type:`` hint to be applied."""

    def __init__(self, raw: Any, hint: Any):
        self.raw, self.hint = raw, hint


class Term(Model):
    label: str | None = None
    value: Value
    sources: list[Citation] = Field(default_factory=list)
    confidence: Confidence = "reported"
    reports: list[Report] = Field(default_factory=list)
    pushed_by: PushedBy | None = None
    renamed_from: TermKey | None = None
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _take_type_hint(cls, data: Any) -> Any:
        # ``type:`` is only a parse hint for shorthand; the typed value carries its own type.
        if isinstance(data, dict) and "type" in data:
            data = dict(data)
            hint = data.pop("type")
            if "value" in data and not isinstance(data["value"], dict):
                data["value"] = _Hinted(data["value"], hint)
        return data

    @field_validator("value", mode="before")
    @classmethod
    def _parse_shorthand(cls, v: Any) -> Any:
        # Parsed here (not above) so errors are located at ``terms.<key>.value``. Canonical
        # mappings go to pydantic's own tagged union, which locates errors inside them.
        if isinstance(v, _Hinted):
            return parse_value(v.raw, hint=v.hint)
        return v if isinstance(v, dict) else parse_value(v)

    @model_validator(mode="after")
    def _reports_only_when_disputed(self) -> "Term":
        if self.reports and self.confidence != "disputed":
            raise ValueError("competing 'reports' are only for confidence: disputed")
        return self


class DraftHeader(Model):
    """Everything about a draft except its terms."""

    negotiation: Slug
    id: Slug
    title: str = Field(min_length=1, max_length=500)
    tabled_by: list[PartyCode] = Field(min_length=1)
    date: dt.date
    parents: list[Slug] = Field(default_factory=list)
    status: Status = "proposed"
    sources: list[Source] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _not_a_ref_word(cls, v: str) -> str:
        import re

        if v in RESERVED_DRAFT_IDS or re.fullmatch(r"v\d+", v):
            raise ValueError(f"{v!r} is reserved for references (latest, v1, v2, …)")
        return v

    @field_validator("tabled_by", "parents")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("listed twice")
        return v


class Draft(DraftHeader):
    terms: dict[TermKey, Term] = Field(default_factory=dict)

    @property
    def header(self) -> DraftHeader:
        return DraftHeader(**{k: getattr(self, k) for k in DraftHeader.model_fields})

    def source_ids(self) -> set[str]:
        return {s.id for s in self.sources}


class StoredDraft(BaseModel):
    """A recorded draft: its content plus what the store assigned."""

    model_config = ConfigDict(frozen=True)

    draft: Draft
    seq: int
    hash: str
    recorded_at: dt.datetime | None = None

    @property
    def id(self) -> str:
        return self.draft.id


class Negotiation(Model):
    id: Slug
    title: str = Field(min_length=1, max_length=500)
    parties: list[Party] = Field(min_length=1)
    preferences: dict[TermKey, dict[PartyCode, Preference]] = Field(default_factory=dict)
    sources: list[Source] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Negotiation":
        codes = [p.code for p in self.parties]
        if len(set(codes)) != len(codes):
            raise ValueError("party codes must be unique")
        ids = [s.id for s in self.sources]
        if len(set(ids)) != len(ids):
            raise ValueError("source ids must be unique")
        for key, prefs in self.preferences.items():
            for code in prefs:
                if code not in codes:
                    raise ValueError(f"preferences.{key}: unknown party {code!r}")
        return self

    def party(self, name: str) -> Party | None:
        """Find a party by code, name or alias, ignoring case."""
        wanted = name.strip().casefold()
        for p in self.parties:
            if wanted in {p.code.casefold(), p.name.casefold(), *(a.casefold() for a in p.aliases)}:
                return p
        return None

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def problems(self, draft: Draft) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Cross-references a draft must satisfy: (path, message) for each one broken."""
        codes = {p.code for p in self.parties}
        if draft.negotiation != self.id:
            yield ("negotiation",), f"draft belongs to {draft.negotiation!r}, not {self.id!r}"
        for i, code in enumerate(draft.tabled_by):
            if code not in codes:
                yield ("tabled_by", i), f"unknown party {code!r} (parties: {', '.join(sorted(codes))})"
        cited = draft.source_ids()
        for key, term in draft.terms.items():
            citations = [(("terms", key, "sources", i), c) for i, c in enumerate(term.sources)]
            for r, report in enumerate(term.reports):
                citations += [(("terms", key, "reports", r, "sources", i), c) for i, c in enumerate(report.sources)]
            for path, citation in citations:
                if citation.source not in cited:
                    yield path, f"cites source {citation.source!r}, which the draft does not list"
            if term.pushed_by:
                for i, code in enumerate(term.pushed_by.parties):
                    if code not in codes:
                        yield ("terms", key, "pushed_by", "parties", i), f"unknown party {code!r}"
                if term.pushed_by.source and term.pushed_by.source not in cited:
                    yield ("terms", key, "pushed_by", "source"), (
                        f"cites source {term.pushed_by.source!r}, which the draft does not list"
                    )
            ranked = self.preferences.get(key, {})
            if isinstance(term.value, Choice):
                for code, pref in ranked.items():
                    if isinstance(pref, list) and term.value.value not in pref:
                        yield ("terms", key, "value"), (
                            f"{term.value.value!r} is not among the options ranked for {code}: {', '.join(pref)}"
                        )
