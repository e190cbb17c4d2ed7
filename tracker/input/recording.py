"""Turning user input into drafts to record: a batch of files, or edits to an earlier draft.

``record_documents`` resolves each draft file against its negotiation (from the same batch or
the database) and records the batch in one transaction. ``derive_draft`` builds the everyday
"new draft answering REF, with these changes" from command-line edits.

Some 430 lines on purpose: a batch of files and a draft derived from command-line edits end in
the same checks (dates, sources, what changed), kept here once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from pydantic import ValidationError

from tracker.input.loading import (
    Document,
    build_draft,
    build_negotiation,
    describe_validation_error,
    format_loc,
    parse_text,
)
from tracker.input.pending import Pending, Recorded
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.events import revision_problems
from tracker.model.quantities import default_problem, preference_problem
from tracker.model.shorthand import ShorthandError, parse_value
from tracker.model.termsheet import (
    CONFIDENCES,
    Citation,
    Draft,
    Negotiation,
    PushedBy,
    Source,
    Term,
    draft_input_problems,
)
from tracker.model.values import value_json

if TYPE_CHECKING:  # handed a store, never opening one: the database layer sits above this one
    from tracker.db.store import Store


@dataclass
class Batch:
    """What recording a batch of files did: to each negotiation (id → ``store.RECORDED``,
    ``store.UNCHANGED`` or the event of its new revision), and the drafts."""

    negotiations: dict[str, Any]
    drafts: list[Recorded]


def record_documents(store: Store, docs: Sequence[Document]) -> Batch:
    """Record negotiation and draft documents together: all of them, or none."""
    negotiations: dict[str, Negotiation] = {}
    for doc in docs:
        if doc.kind == "negotiation":
            neg = build_negotiation(doc)
            if neg.id in negotiations and negotiations[neg.id] != neg:
                raise doc.origin.error(("id",), f"negotiation {neg.id!r} appears twice with different content")
            negotiations[neg.id] = neg
    for neg in negotiations.values():
        check_revision(store, neg, next(d for d in docs if d.kind == "negotiation" and d.data.get("id") == neg.id))
    known: dict[str, Negotiation] = dict(negotiations)
    pending = []
    for doc in docs:
        if doc.kind != "draft":
            continue
        slug = doc.data.get("negotiation")
        if not isinstance(slug, str):
            raise doc.origin.error(("negotiation",), "missing field 'negotiation' (the negotiation's id)")
        if slug not in known:
            try:
                known[slug] = store.negotiation(slug)
            except NotFound as exc:
                raise doc.origin.error(("negotiation",), exc.message + " — record its negotiation file first, or with this batch")
        draft = build_draft(doc, known[slug])
        ahead = dt.date.today() + dt.timedelta(days=1)
        if draft.date > ahead:  # 2099 for 2025: a typing mistake that would become a position
            raise doc.origin.error(("date",), f"{draft.date.isoformat()} is more than a day in the future (today is {dt.date.today().isoformat()})")
        pending.append(Pending(draft, doc.origin))
    if not pending and not negotiations:
        raise InvalidInput("no drafts or negotiations in the given files")
    outcomes: dict[str, Any] = {}
    results = store.record(pending, list(negotiations.values()), outcomes=outcomes)
    return Batch(outcomes, results)


def check_revision(store: Store, negotiation: Negotiation, doc: Document) -> None:
    """A negotiation file that revises a recorded negotiation: every preference it adds or
    changes must fit the terms its recorded drafts hold (as a draft recorded with it must)."""
    try:
        current = store.negotiation(negotiation.id)
    except NotFound:
        return
    if current == negotiation:
        return
    for problem in revision_problems(current, negotiation):
        field_, _, message = problem.partition(": ")
        raise doc.origin.error((field_,), message)
    changed = {k: p for k, p in negotiation.preferences.items() if current.preferences.get(k) != p}
    for record in store.log(negotiation.id):
        terms = store.terms(record)
        for key, prefs in changed.items():
            if key not in terms:
                continue
            value = terms[key].value
            for code, pref in prefs.parties.items():
                problem = preference_problem(value, pref, code)
                if problem:
                    raise doc.origin.error(("preferences", key, code), f"{problem} (term {key} of {record.id} holds {value.short()})")
            problem = default_problem(value, prefs.default)
            if problem:
                raise doc.origin.error(("preferences", key, "default"), f"{problem} (in {record.id})")


@dataclass
class DraftEdits:
    draft_id: str | None
    from_refs: list[str] = field(default_factory=list)
    tabled_by: list[str] = field(default_factory=list)
    date: str | None = None
    title: str | None = None
    status: str | None = None
    coverage: str | None = None
    notes: str | None = None
    sets: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    renames: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    confidences: list[str] = field(default_factory=list)
    allow_empty: bool = False  # record a draft that changes nothing of its parent
    root: bool = False  # a new, unrelated text in a negotiation that already has drafts
    labels: dict[str, str] = field(default_factory=dict)  # key → label of a term set here (a document's clause heading)
    order: list[str] | None = None  # the terms' order in the text (a document's clauses); None: the parent's, kept up to date


def check_edits(edits: DraftEdits) -> None:
    """Refuse flags that contradict each other: each key is set, dropped or renamed once."""
    touched: dict[str, str] = {}  # key → the flag that names it

    def claim(key: str, flag: str) -> None:
        key = key.strip()
        if key in touched:
            if touched[key] == flag:
                raise InvalidInput(f"{flag}: {key!r} is given twice; give each term once")
            raise InvalidInput(f"{touched[key]} and {flag} both name {key!r}: give one of them")
        touched[key] = flag

    for spec in edits.renames:
        old, new = _pair("--rename", spec)
        if touched.get(old.strip()) == "--rename":
            raise InvalidInput(f"--rename: {old.strip()!r} is renamed twice; rename each term once, to where it ends")
        claim(old, f"--rename {old.strip()}=…")
        if touched.get(new.strip()) == "--rename":
            raise InvalidInput(f"--rename: two terms are moved to {new.strip()!r}")
        touched.setdefault(new.strip(), "--rename")  # the new key may still be --set: a moved term with a new value
    for key in edits.drops:
        claim(key, "--drop")
    for spec in edits.sets:
        key, _ = _pair("--set", spec)
        if touched.get(key.strip()) == "--rename":
            touched[key.strip()] = "--set"  # the renamed term's new value
            continue
        claim(key, "--set")


def check_dates(draft: Draft, parents: Sequence[Any], *, today: dt.date | None = None) -> None:
    """A draft dated before a parent it answers, or more than a day ahead, is a typing mistake."""
    today = today or dt.date.today()
    if draft.date > today + dt.timedelta(days=1):
        raise InvalidInput(f"--date {draft.date.isoformat()}: more than a day in the future (today is {today.isoformat()})")
    for parent in parents:
        if draft.date < parent.header.date:
            raise InvalidInput(
                f"--date {draft.date.isoformat()}: before {parent.id!r}, which it answers ({parent.header.date.isoformat()});"
                " check the date, or --from"
            )


def _pair(option: str, spec: str, sep: str = "=") -> tuple[str, str]:
    key, found, value = spec.partition(sep)
    if not found or not key.strip():
        raise InvalidInput(f"{option} {spec!r}: expected KEY{sep}VALUE")
    return key.strip(), value


def parse_source(spec: str, negotiation: Negotiation, known: dict[str, Source]) -> Source:
    spec = spec.strip()
    if spec in known:
        return known[spec]
    found = negotiation.source(spec)
    if found is not None:
        return found
    if not spec.startswith("{"):
        ids = ", ".join(sorted({*known, *(s.id for s in negotiation.sources)})) or "none"
        raise NotFound(f"--source {spec!r}: unknown source id (known: {ids}); or give a mapping '{{id: …, outlet: …}}'")
    data, _ = parse_text(spec, "--source")  # by the files' rules: no anchors, no deep nesting
    if not isinstance(data, dict):
        raise InvalidInput(f"--source {spec!r}: not a valid mapping")
    try:
        return Source.model_validate(data)
    except ValidationError as exc:
        loc, msg = describe_validation_error(exc)
        raise InvalidInput(f"--source: {format_loc(loc)}: {msg}") from None


# What a partial draft carries over from its parents (key → term), for a draft answering it.
CarriedOver = Callable[[Any], Mapping[str, Term]]


def derive_draft(
    store: Store, negotiation: Negotiation, edits: DraftEdits, *, allow_incomplete: bool = False, carried_over: CarriedOver | None = None,
) -> Draft:
    """The new draft: the first ``--from`` draft's terms with the edits applied.

    A changed term gets a fresh record (its old citations spoke of the old value); it cites the
    ``--source`` given. ``--set`` on an existing term keeps its type (and unit or currency)
    unless the value says otherwise. ``renamed_from`` never carries over from the parent.

    A ``partial`` draft (known from reports) holds only what the edits state: ``--set``,
    ``--rename`` (the parent's term under its new key) and ``--drop`` (recorded as an explicit
    ``none``: a report says the clause was removed). The rest of its parent is carried over.

    A draft answering a partial draft starts from what that draft states and what it carries
    over (``carried_over``, worked out by the negotiation's view, which the caller supplies).
    """
    check_edits(edits)
    records = store.log(negotiation.id)  # the history checked once; its headers hold the sources terms cite
    parents = [store.resolve(ref, negotiation.id) for ref in edits.from_refs]
    if not parents and not edits.root and not allow_incomplete and records:
        raise InvalidInput(
            f"{negotiation.id} has drafts already: give --from with the draft this one answers, or --root for a new, unrelated text"
        )
    for parent in parents:
        store.check_draft(parent)  # a changed row must not be laundered into a new, valid hash
    base = dict(store.terms(parents[0]).items()) if parents else {}
    if parents and parents[0].header.coverage == "partial" and carried_over is not None:
        base = {**carried_over(parents[0]), **base}
    partial = edits.coverage == "partial"
    known: dict[str, Term] = {k: t.model_copy(update={"renamed_from": None}) for k, t in base.items()}
    terms: dict[str, Term] = {} if partial else dict(known)

    sources = known_sources(negotiation, records, parents)
    new_sources = [parse_source(spec, negotiation, sources) for spec in edits.sources]
    for s in new_sources:
        sources[s.id] = s
    citations = [Citation(source=s.id) for s in new_sources]

    moved: dict[str, str] = {}  # a renamed term's old key → its new one
    for spec in edits.renames:
        old, new = _pair("--rename", spec)
        new = new.strip()
        if old not in known:
            raise NotFound(f"--rename {spec!r}: no term {old!r} in {parents[0].id if parents else 'the draft'}")
        if new in known or new in terms:
            raise InvalidInput(f"--rename {spec!r}: term {new!r} already exists")
        terms.pop(old, None)
        terms[new] = known.pop(old).model_copy(update={"renamed_from": old})
        moved[old] = new
        known[new] = terms[new]
    for key in edits.drops:
        if key not in known:
            raise NotFound(f"--drop {key!r}: no such term in {parents[0].id if parents else 'the draft'}")
        if partial:  # what the reports say: the clause was removed
            terms[key] = _term(key, {"value": {"type": "none"}, "sources": citations, **({"label": known[key].label} if known[key].label else {})})
        else:
            del terms[key]
    quotes = dict(_pair("--quote", q) for q in edits.quotes)
    for spec in edits.sets:
        key, raw = _pair("--set", spec)
        old = terms.get(key) or known.get(key)
        try:
            value = parse_value(raw, hint=old.value.type if old else None, like=old.value if old else None)
        except (ShorthandError, ValueError) as exc:
            msg = exc.errors()[0]["msg"].removeprefix("Value error, ") if hasattr(exc, "errors") else str(exc)
            raise InvalidInput(f"--set {key}: {msg}") from None
        cites = list(citations)
        if key in quotes and cites:
            cites[0] = Citation(source=cites[0].source, quote=quotes.pop(key))
        if old is not None and value_json(value) == value_json(old.value):
            # The same value again: the term keeps its record (sources, confidence, reports),
            # and any new citation is added to it.
            kept = old.canonical()
            cited = {c.source for c in old.sources}
            kept["sources"] = [*kept.get("sources", []), *(c.canonical() for c in cites if c not in old.sources and (c.quote or c.source not in cited))]
            terms[key] = _term(key, kept)
            continue
        data: dict[str, Any] = {"value": value, "sources": cites}
        if old is not None and old.label:
            data["label"] = old.label
        if old is not None and old.renamed_from:
            data["renamed_from"] = old.renamed_from
        terms[key] = _term(key, data)
    if quotes:
        raise InvalidInput(f"--quote {next(iter(quotes))!r}: needs a --set of that term and a --source to cite")
    for key, label in edits.labels.items():
        if key in terms and terms[key].label != label:
            terms[key] = _term(key, {**terms[key].canonical(), "label": label})
    for spec in edits.confidences:
        key, level = _pair("--confidence", spec)
        if key not in terms:
            stated = " (a partial draft states only what you --set)" if partial and key in known else ""
            raise NotFound(f"--confidence {spec!r}: no term {key!r} in the new draft{stated}")
        if level.strip() not in CONFIDENCES:
            raise InvalidInput(f"--confidence {spec!r}: expected one of {', '.join(CONFIDENCES)}")
        if level.strip() == "disputed" and not terms[key].reports:
            raise InvalidInput(f"--confidence {spec!r}: a disputed term keeps the competing reports; record it from a file, with its 'reports'")
        terms[key] = _term(key, {**terms[key].canonical(), "confidence": level.strip()})
    for spec in edits.pushed:
        key, rest = _pair("--pushed-by", spec)
        party_spec, _, evidence = rest.partition(":")
        codes = []
        for name in party_spec.split(","):
            party = negotiation.party(name)
            if party is None:
                raise NotFound(f"--pushed-by {spec!r}: unknown party {name.strip()!r}")
            codes.append(party.code)
        if key not in terms:
            raise NotFound(f"--pushed-by {spec!r}: no term {key!r} in the new draft")
        terms[key] = terms[key].model_copy(
            update={"pushed_by": PushedBy(parties=codes, evidence=evidence.strip() or None, source=new_sources[0].id if new_sources else None)}
        )

    tabled = []
    for name in edits.tabled_by:
        party = negotiation.party(name)
        if party is None:
            codes = ", ".join(p.code for p in negotiation.parties)
            raise NotFound(f"--tabled-by {name!r}: unknown party (parties: {codes})")
        tabled.append(party.code)
    if not tabled and not allow_incomplete:
        raise InvalidInput("--tabled-by is required: which party (or parties) tabled the draft?")
    if not edits.draft_id and not allow_incomplete:
        raise InvalidInput("--id is required: the new draft's id, e.g. us-revised")
    try:
        date = dt.date.fromisoformat(edits.date) if edits.date else dt.date.today()
    except ValueError:
        raise InvalidInput(f"--date {edits.date!r}: expected YYYY-MM-DD") from None
    data = {
        "negotiation": negotiation.id,
        "id": edits.draft_id or "new-draft",
        "title": edits.title or edits.draft_id or "new draft",
        "tabled_by": tabled or [negotiation.parties[0].code],
        "date": date,
        "parents": [p.id for p in parents],
        "status": edits.status or "proposed",
        "coverage": edits.coverage or "full",
        # Its own sources, and those its terms still cite: a parent's other sources spoke of the parent.
        "sources": [*new_sources, *(sources[sid] for sid in sorted(_cited(terms)) if sid in sources and sid not in {n.id for n in new_sources})],
        "notes": edits.notes,
        "order": edits.order if edits.order is not None else _kept_order(parents[0].header.order if parents else [], moved, terms),
        "terms": terms,
    }
    try:
        draft = Draft.model_validate(data)
    except ValidationError as exc:
        loc, msg = describe_validation_error(exc)
        option = {"id": "--id", "status": "--status", "title": "--title", "date": "--date", "coverage": "--coverage"}.get(
            str(loc[0]) if loc else "", format_loc(loc)
        )
        raise InvalidInput(f"{option}: {msg}") from None
    for loc, message in (*draft_input_problems(draft), *negotiation.problems(draft)):
        option = "--title" if loc == ("title",) else format_loc(loc)
        raise InvalidInput(f"{option}: {message}")
    check_dates(draft, parents)
    if not allow_incomplete:
        check_news(draft, parents, base, edits)
    return draft


def _kept_order(order: list[str], moved: dict[str, str], terms: dict[str, Term]) -> list[str]:
    """The parent's order of its terms, in the new draft: renamed terms in their old places, the
    terms it no longer holds left out (those it adds come after, in key order, when read)."""
    kept = (moved.get(k, k) for k in order)
    return [k for k in kept if k in terms]


def check_edited(store: Store, negotiation: Negotiation, draft: Draft, edits: DraftEdits) -> None:
    """The checks of ``derive_draft`` on a draft as the user left it in the editor (its parents,
    date and terms may have been changed there)."""
    parents = [store.resolve(ref, negotiation.id) for ref in draft.parents]
    if not parents and not edits.root and store.log(negotiation.id):
        raise InvalidInput(
            f"{negotiation.id} has drafts already: give the draft this one answers (parents: […]), or --root for a new, unrelated text"
        )
    check_dates(draft, parents)
    check_news(draft, parents, store.terms(parents[0]) if parents else {}, edits)


def check_news(draft: Draft, parents: Sequence[Any], parent_terms: Mapping[str, Term], edits: DraftEdits) -> None:
    """Refuse a draft that changes nothing of its parent, unless the user insists."""
    if parents and not edits.allow_empty and changes_nothing(draft, parents[0], parent_terms):
        raise InvalidInput(
            f"the new draft says nothing {parents[0].id!r} does not (its terms, tabling parties and status; a --set to the"
            " value a term has changes nothing): change something, or give --allow-empty to record it as it is"
        )


def known_sources(negotiation: Negotiation, records: Sequence[Any], parents: Sequence[Any]) -> dict[str, Source]:
    """Every source a term the new draft keeps may cite, by id: the negotiation's bibliography,
    those of its drafts (a term carried over through a partial draft cites where it was
    stated), and its parents' own, which win (first parent first)."""
    found: dict[str, Source] = {s.id: s for s in negotiation.sources}
    for record in records:
        found.update((s.id, s) for s in record.header.sources)
    for parent in reversed(parents):
        found.update((s.id, s) for s in parent.header.sources)
    return found


def _cited(terms: Mapping[str, Term]) -> set[str]:
    """The source ids the terms cite, in their citations, competing reports and pushed-by."""
    out: set[str] = set()
    for t in terms.values():
        out.update(c.source for c in t.sources)
        out.update(c.source for r in t.reports for c in r.sources)
        if t.pushed_by is not None and t.pushed_by.source:
            out.add(t.pushed_by.source)
    return out


def changes_nothing(draft: Draft, parent: Any, parent_terms: Mapping[str, Term]) -> bool:
    """Whether the draft says nothing its only parent does not: a partial draft that states no
    term, or a draft with the parent's terms, tabled by the same parties with the same status.
    (Another tabler, a new status or a second parent is news: the other side took the text up,
    it was signed, two lines were merged.)"""
    if len(draft.parents) != 1 or draft.tabled_by != parent.header.tabled_by or draft.status != parent.header.status:
        return False
    if draft.coverage == "partial":
        return not draft.terms

    def sheet(terms: Mapping[str, Term]) -> dict[str, Any]:
        return {k: {f: v for f, v in t.canonical().items() if f != "renamed_from"} for k, t in terms.items()}

    return draft.coverage == parent.header.coverage and sheet(draft.terms) == sheet(parent_terms)


def _term(key: str, data: dict[str, Any]) -> Term:
    try:
        return Term.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"--set {key}: {describe_validation_error(exc)[1]}") from None
