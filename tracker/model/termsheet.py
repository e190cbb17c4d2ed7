"""The term-sheet models: negotiations, parties, sources, drafts and their terms.

These pydantic models are the one in-memory form of a term sheet. Files are loaded into them
(``loading.py``), the store writes and reads them (``store.py``), and every report is computed
from them. ``extra="forbid"`` everywhere: a misspelt field is an error, not silently dropped.

Some 480 lines on purpose: the models of the two file kinds and their cross-field checks,
which pydantic keeps in the classes they check.
"""

# No ``from __future__ import annotations``: pydantic would compile and evaluate each field's
# annotation from its text while defining every model, a quarter of their cost at start-up.

from typing import Annotated, Any, Iterator, Literal, Union, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

# Shorthand (``model.shorthand``) and comparisons (``model.quantities``) are imported inside
# the validators and checks that use them: a command that only reads stored records (they are
# rebuilt without validation, ``model.stored``) never needs them.
from tracker.model.values import (
    Absent,
    Boolean,
    Choice,
    IsoDate,
    Number,
    StringSet,
    Value,
    currency_unit_problem,
    one_line_problem,
    value_json,
)


def no_items() -> list[Any]:
    """An empty list: a field's default. A Python function rather than ``list``: pydantic asks
    a default factory for its signature when it builds a model's validator, and a builtin's
    signature is parsed from its text (compiling the tokenizer's patterns, some 2 ms of every
    command that reads a draft)."""
    return []


def no_entries() -> dict[Any, Any]:
    """An empty mapping: a field's default (see ``no_items``)."""
    return {}


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", min_length=1, max_length=100)]
PartyCode = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
# Dotted paths group related terms (``fund.governance``); no spaces or slashes (they would
# break JSON Pointer paths and shell use).
TERM_KEY_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
TermKey = Annotated[str, Field(pattern=TERM_KEY_PATTERN, min_length=1, max_length=200)]
Confidence = Literal["confirmed", "reported", "disputed"]
CONFIDENCES = ("confirmed", "reported", "disputed")
# full: recorded from the text itself (what it leaves out is absent); partial: recorded from
# reports about the text (what it does not state is unknown). See shared semantics.
Coverage = Literal["full", "partial"]
Status = Literal[
    "proposed", "leaked", "rejected", "superseded", "withdrawn",
    "agreed", "initialled", "signed", "ratified", "expired",
]
STATUSES: tuple[str, ...] = get_args(Status)
# A preference is "higher"/"lower" for numbers, amounts, dates and sets, or the ranked values
# of a choice or a yes/no term, best first.
Preference = Union[Literal["higher", "lower"], tuple[str, ...]]
DIRECTIONS = ("higher", "lower")
# The key of a term's preferences that gives the value applying when a text is silent.
DEFAULT = "default"

RESERVED_DRAFT_IDS = ("latest",)


class Model(BaseModel):
    # Empty-list defaults are factories below: pydantic deep-copies a literal ``[]`` default
    # for every instance, which dominates reading back a large sheet. Validators are built on
    # first use (``defer_build``): a command that only reads stored records rebuilds them
    # without validation (``model.stored``) and never needs one.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def canonical(self) -> dict[str, Any]:
        """JSON-ready dict with defaults omitted: adding an optional field keeps old hashes."""
        return self.model_dump(mode="json", exclude_defaults=True)


class Party(Model):
    code: PartyCode
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=no_items)

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v.casefold() == DEFAULT:
            raise ValueError(f"{v!r} is reserved (preferences use it for a term's default value)")
        return v


class Source(Model):
    id: Slug
    outlet: str = Field(min_length=1, max_length=300)
    title: str | None = None
    date: IsoDate | None = None
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
    sources: list[Citation] = Field(default_factory=no_items)
    note: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return v
        from tracker.model.shorthand import parse_value  # where used: see the imports above

        return parse_value(v)


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
    sources: list[Citation] = Field(default_factory=no_items)
    confidence: Confidence = "reported"
    reports: list[Report] = Field(default_factory=no_items)
    pushed_by: PushedBy | None = None
    renamed_from: TermKey | None = None
    # The text explicitly leaves the term for later: it is open, however its wording reads.
    deferred: bool = False
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
        if isinstance(v, dict):
            return v
        from tracker.model.shorthand import parse_value  # where used: see the imports above

        return parse_value(v.raw, hint=v.hint) if isinstance(v, _Hinted) else parse_value(v)

    @model_validator(mode="after")
    def _reports_only_when_disputed(self) -> "Term":
        if self.reports and self.confidence != "disputed":
            raise ValueError("competing 'reports' are only for confidence: disputed")
        return self


# A draft's terms, at most: far above any negotiation's term sheet (the benchmarks use 5,000),
# and what bounds the time and memory of reading, diffing and reporting one draft.
MAX_TERMS = 50_000


class DraftHeader(Model):
    """Everything about a draft except its terms."""

    negotiation: Slug
    id: Slug
    title: str = Field(min_length=1, max_length=500)
    tabled_by: list[PartyCode] = Field(min_length=1)
    date: IsoDate
    parents: list[Slug] = Field(default_factory=no_items)
    status: Status = "proposed"
    coverage: Coverage = "full"
    sources: list[Source] = Field(default_factory=no_items)
    notes: str | None = None
    # The order the text gives its terms, first to last (a document's clauses): what a reader
    # of the whole text, such as a Word redline, follows. Empty: the text states no order, and
    # terms are read in key order. Left out of the canonical form when empty (old hashes hold).
    order: list[TermKey] = Field(default_factory=no_items, max_length=MAX_TERMS)

    @field_validator("id")
    @classmethod
    def _not_a_ref_word(cls, v: str) -> str:
        import re

        if v in RESERVED_DRAFT_IDS or re.fullmatch(r"v\d+", v):
            raise ValueError(f"{v!r} is reserved for references (latest, v1, v2, …)")
        return v

    @field_validator("tabled_by", "parents", "order")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("listed twice")
        return v




class Draft(DraftHeader):
    terms: dict[TermKey, Term] = Field(default_factory=no_entries, max_length=MAX_TERMS)

    @property
    def header(self) -> DraftHeader:
        return DraftHeader(**{k: getattr(self, k) for k in DraftHeader.model_fields})

    def source_ids(self) -> set[str]:
        return {s.id for s in self.sources}


def _preference(raw: Any) -> Preference:
    """``higher``/``lower``, or options ranked best first (yes/no may be written true/false)."""
    if raw in DIRECTIONS:
        return raw
    if isinstance(raw, (list, tuple)):
        items = []
        for item in raw:
            if isinstance(item, bool):
                item = "yes" if item else "no"
            if not isinstance(item, str) or not item.strip():
                raise ValueError(f"ranked options must be words, got {item!r}")
            items.append(item.strip())
        twice = next((item for i, item in enumerate(items) if item in items[:i]), None)
        if twice is not None:
            raise ValueError(f"{twice!r} is ranked twice")
        if len(items) < 2:
            raise ValueError("rank at least two options, best first")
        return tuple(items)
    raise ValueError(f"expected higher, lower or the options ranked best first (e.g. [gold, silver]), got {raw!r}")


class TermPreferences(Model):
    """What each party wants of one term, and the value that applies when a text is silent.

    Written flat in a negotiation file, ``week: {default: 40 hours, U: lower, F: higher}``, and
    stored in that same form (so negotiations recorded before defaults existed keep their hash).
    """

    default: Value | None = None
    parties: dict[PartyCode, Preference] = Field(default_factory=no_entries)

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("expected a mapping of party to preference (and an optional default)")
        if set(data) <= {"default", "parties"} and isinstance(data.get("parties"), dict):
            return data  # already in model form
        out: dict[str, Any] = {"parties": {}}
        for name, pref in data.items():
            if name == DEFAULT:
                from tracker.model.shorthand import parse_value  # where used: see the imports above

                value = pref if isinstance(pref, dict) else parse_value(pref)
                if isinstance(value, Absent):
                    raise ValueError("default: give the value that applies when the text is silent, not none")
                out["default"] = value
            else:
                try:
                    out["parties"][name] = _preference(pref)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return out

    @model_validator(mode="after")
    def _default_ranked(self) -> "TermPreferences":
        """A choice's (or yes/no term's) default must be among the options each party ranks."""
        if isinstance(self.default, (Choice, Boolean)):
            from tracker.model.quantities import ranked_word  # where used: see the imports above

            word = ranked_word(self.default)
            for code, pref in self.parties.items():
                if isinstance(pref, tuple) and word not in pref:
                    raise ValueError(f"default: {word!r} is not among the options ranked for {code}: {', '.join(pref)}")
        return self

    @model_serializer
    def _as_written(self) -> dict[str, Any]:
        out: dict[str, Any] = {code: pref if isinstance(pref, str) else list(pref) for code, pref in self.parties.items()}
        if self.default is not None:
            out[DEFAULT] = value_json(self.default)
        return out

    def of(self, party: str) -> Preference | None:
        return self.parties.get(party)


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


class Negotiation(Model):
    id: Slug
    title: str = Field(min_length=1, max_length=500)
    parties: list[Party] = Field(min_length=1)
    preferences: dict[TermKey, TermPreferences] = Field(default_factory=no_entries)
    sources: list[Source] = Field(default_factory=no_items)
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
            for code in prefs.parties:
                if code not in codes:
                    raise ValueError(f"preferences.{key}: unknown party {code!r}")
        return self

    def party(self, name: str) -> Party | None:
        """The party a code, name or alias names: exactly as written, else ignoring case and
        spacing (unambiguous: no two parties share a name that way; see ``_consistent``)."""
        wanted = name.strip()
        for p in self.parties:
            if wanted == p.code or wanted == p.name or wanted in p.aliases:
                return p
        folded = _folded(wanted)
        found = [p for p in self.parties if folded in {_folded(n) for n in (p.code, p.name, *p.aliases)}]
        return found[0] if len(found) == 1 else None

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
        from tracker.model.quantities import default_problem, preference_problem  # where used: see the imports above

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
            # Preferences follow a declared rename: those of the key this term was renamed from.
            declared = key if key in self.preferences else term.renamed_from
            prefs = self.preferences.get(declared) if declared else None
            if prefs is not None:
                for code, pref in prefs.parties.items():
                    problem = preference_problem(term.value, pref, code)
                    if problem and isinstance(term.value, Choice) and isinstance(pref, tuple):
                        yield ("terms", key, "value"), problem  # the value is what is wrong
                    elif problem:
                        yield ("terms", key, "value"), f"preferences.{declared}.{code}: {problem}"
                problem = default_problem(term.value, prefs.default)
                if problem:
                    yield ("terms", key, "value"), f"preferences.{declared}.default: {problem}"


# --- what is recorded now, beyond what a stored row must be -----------------------------------
# Rules added after drafts were first recorded apply to input only (files, flags, the editor),
# so that a database written before them stays readable and verifiable.

Problem = tuple[tuple[Any, ...], str]


def negotiation_input_problems(negotiation: Negotiation) -> Iterator[Problem]:
    """One-line fields, and every name a party answers to (code, name, aliases) naming only that
    party, ignoring case and spacing: otherwise `--tabled-by b` could credit the wrong side."""
    yield from _one_line(("title",), negotiation.title)
    named: dict[str, tuple[str, str]] = {}
    for i, p in enumerate(negotiation.parties):
        yield from _one_line(("parties", i, "name"), p.name)
        for j, alias in enumerate(p.aliases):
            yield from _one_line(("parties", i, "aliases", j), alias)
        for what, name in (("code", p.code), ("name", p.name), *(("alias", a) for a in p.aliases)):
            other = named.setdefault(_folded(name), (p.code, what))
            if other[0] != p.code:
                yield ("parties",), (f"{name!r} names two parties, {other[0]} ({other[1]}) and {p.code} ({what}); "
                                     "codes, names and aliases must differ, ignoring case")
                return
    for i, source in enumerate(negotiation.sources):
        yield from _source_problems(("sources", i), source)


def draft_input_problems(draft: Draft) -> Iterator[Problem]:
    """One-line fields of a draft and its terms; numbers whose unit is a currency; an order
    that names a term the draft does not hold."""
    yield from _one_line(("title",), draft.title)
    for i, key in enumerate(draft.order):
        if key not in draft.terms:
            yield ("order", i), f"{key!r} is not a term of the draft"
    for i, source in enumerate(draft.sources):
        yield from _source_problems(("sources", i), source)
    for key, term in draft.terms.items():
        if term.label is not None:
            yield from _one_line(("terms", key, "label"), term.label)
        yield from _value_problems(("terms", key, "value"), term.value)
        for i, report in enumerate(term.reports):
            yield from _value_problems(("terms", key, "reports", i, "value"), report.value)


def _value_problems(loc: tuple[Any, ...], value: Any) -> Iterator[Problem]:
    if isinstance(value, Number) and value.unit is not None:
        yield from _one_line(loc + ("unit",), value.unit)
        found = currency_unit_problem(value.unit)
        if found:
            yield loc + ("unit",), found
    elif isinstance(value, Choice):
        yield from _one_line(loc + ("value",), value.value)
    elif isinstance(value, StringSet):
        for item in value.items:
            found = one_line_problem(item)
            if found:
                yield loc + ("items",), found.replace("titles, names, labels, units and options", "set items")
                return


def _source_problems(loc: tuple[Any, ...], source: Source) -> Iterator[Problem]:
    for field in ("outlet", "title", "url", "reliability"):
        text = getattr(source, field)
        if text is not None:
            yield from _one_line(loc + (field,), text)


def _one_line(loc: tuple[Any, ...], text: str) -> Iterator[Problem]:
    found = one_line_problem(text)
    if found:
        yield loc, found
