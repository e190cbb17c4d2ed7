"""Plain-text output for people: aligned columns, no colour unless a renderer adds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from tracker.model.plain import one_line
from tracker.model.termsheet import Draft, Negotiation, Term
from tracker.render.columns import table
from tracker.render.redline import clause_texts, counts_text, redline, text_lines

if TYPE_CHECKING:  # renderers format plain data; they never need the store (SQLAlchemy) itself
    from tracker.model.records import DraftRecord


def short_hash(digest: str, n: int = 12) -> str:
    return digest.removeprefix("sha256:")[:n]


def log(negotiation: Negotiation, records: list[DraftRecord], chain: str | None = None, applied: Any = None, database: str | None = None,
        width: int | None = None) -> str:
    """The drafts in recording order, their status now, who recorded them; then the events."""
    corrected = applied.corrected if applied is not None else {}
    statuses = applied.statuses if applied is not None else {}
    rows = []
    for r in records:
        status = statuses[r.id][-1].body.status if r.id in statuses else r.header.status
        if r.id in corrected:
            status = f"corrected by {corrected[r.id]}"
        rows.append([f"v{r.seq}", r.header.date.isoformat(), r.id, ",".join(r.header.tabled_by), status,
                     short_hash(r.hash, 10), one_line(r.recorded_by or "-"), one_line(r.header.title)])
    events = applied.events if applied is not None else []
    head = f"{one_line(negotiation.title)} ({negotiation.id}): {len(records)} draft{'s' if len(records) != 1 else ''}"
    if events:
        head += f", {len(events)} event{'s' if len(events) != 1 else ''}"
    if database:
        head += f" (database {database})"
    out = head if not rows else head + "\n" + table(rows, ["seq", "date", "id", "tabled", "status", "hash", "by", "title"], width=width)
    if events:
        seqs = {r.id: r.seq for r in records}
        out += f"\n\nEvents ({len(events)}), after the drafts recorded before them:\n" + table(
            [[e.ref, f"after v{e.after}", e.recorded_at.date().isoformat(), one_line(e.recorded_by or "-"), e.kind, event_text(e, seqs)]
             for e in events],
            ["event", "place", "recorded", "by", "kind", "what"], width=width)
    return out if chain is None else f"{out}\nhistory head: {chain} (keep it: `tracker verify --head` checks it)"


def event_text(e: Any, seqs: dict[str, int]) -> str:
    """One event in a line: what it says of which draft."""
    b = e.body

    def draft(name: str) -> str:
        return f"{name} (v{seqs[name]})" if name in seqs else name

    note = f" — {_clip(b.note, 80)}" if getattr(b, "note", None) else ""
    if b.kind == "status":
        cited = f" [{', '.join(s.id for s in b.sources)}]" if b.sources else ""
        return f"{draft(b.draft)}: {b.status} from {b.date.isoformat()}{cited}{note}"
    if b.kind == "cite":
        said = f"reports {_clip(b.value.short(), 40)}: disputed" if b.value is not None else "cites"
        quote = f" “{_clip(b.quote, 60)}”" if b.quote else ""
        conf = f", {b.confidence}" if b.confidence else ""
        return f"{draft(b.draft)} {b.term}: [{b.source.id}] {_clip(b.source.outlet, 30)} {said}{conf}{quote}{note}"
    if b.kind == "correct":
        return f"{draft(b.draft)} corrected by {draft(b.by)}{note}"
    return f"new revision of the negotiation ({len(b.negotiation.parties)} parties, {len(b.negotiation.sources)} sources){note}"


def party_names(negotiation: Negotiation, codes: Iterable[str]) -> str:
    names = []
    for code in codes:
        party = negotiation.party(code)
        names.append(f"{one_line(party.name)} ({code})" if party else code)
    return ", ".join(names)


COVERAGE_TEXT = {"full": "full (from the text)", "partial": "partial (from reports: what it does not state is unknown)"}


def named(key: str, label: str | None) -> str:
    """A term's key with its human name: ``revenue_share (Share of resource revenues)``."""
    return f"{key} ({_clip(label, 48)})" if label else key


def disputed_note(term: Term | None) -> str | None:
    """A disputed term's competing reports, as one line; None for an undisputed term."""
    if term is None or not term.reports:
        return None
    alt = "; ".join(f"{_clip(r.value.short(), 40)} ({', '.join(c.source for c in r.sources) or 'no source'})" for r in term.reports)
    own = ", ".join(c.source for c in term.sources)
    return f"disputed: {_clip(term.value.short(), 40)} ({own or 'no source'}); also reported: {alt}"


def draft(negotiation: Negotiation, record: DraftRecord, draft: Draft, *, quotes: bool = False, carried: dict | None = None,  # type: ignore[type-arg]
          events: Sequence[Any] = (), seqs: dict[str, int] | None = None, database: str | None = None, width: int | None = None) -> str:
    """A draft and its terms; ``carried``: key → (value, origin draft) a partial draft carries over;
    ``events``: what was recorded about it since (its terms shown with the evidence added)."""
    lines = [
        f"{draft.id} (v{record.seq})  {record.hash}" + (f"  (database {database})" if database else ""),
        one_line(draft.title),
        f"Tabled by: {party_names(negotiation, draft.tabled_by)}",
        f"Date: {draft.date.isoformat()}   Status: {draft.status}   Coverage: {COVERAGE_TEXT[draft.coverage]}",
        f"Answers: {', '.join(draft.parents) if draft.parents else '(first draft)'}",
    ]
    if draft.sources:
        lines.append("Sources:")
        for s in draft.sources:
            bits = [one_line(s.outlet)] + ([one_line(s.title)] if s.title else []) + ([s.date.isoformat()] if s.date else [])
            lines.append(f"  [{s.id}] " + ", ".join(bits) + (f" <{s.url}>" if s.url else ""))
    if draft.notes:
        lines.append(f"Notes: {one_line(draft.notes)}")
    if record.recorded_at is not None:
        lines.append(f"Recorded: {record.recorded_at.isoformat()}" + (f" by {one_line(record.recorded_by)}" if record.recorded_by else ""))
    statuses = sorted((e for e in events if e.kind == "status"), key=lambda e: (e.body.date, e.seq))
    if statuses:
        steps = [f"{draft.status} (as recorded)"] + [f"{e.body.status} from {e.body.date.isoformat()} ({e.ref})" for e in statuses]
        lines.append("Status history: " + " → ".join(steps))
    for e in events:
        if e.kind == "correct" and e.body.draft == draft.id:
            lines.append(f"Corrected by: {e.body.by} ({e.ref}, recorded {e.recorded_at.date().isoformat()})"
                         + (f" — {one_line(e.body.note)}" if e.body.note else "") + "; diffs, positions and reports read the correction")
        elif e.kind == "correct":
            lines.append(f"Corrects: {e.body.draft} ({e.ref})" + (f" — {one_line(e.body.note)}" if e.body.note else ""))
    lines.append("")
    lines.append(f"Terms ({len(draft.terms)}):" if draft.coverage == "full" else f"Terms it states ({len(draft.terms)}):")
    rows = []
    for key, term in sorted(draft.terms.items()):
        flags = [term.confidence]
        if term.deferred:
            flags.append("deferred")
        if term.pushed_by:
            flags.append("pushed by " + ",".join(term.pushed_by.parties))
        cites = ",".join(c.source for c in term.sources)
        rows.append(["  " + named(key, term.label), _clip(term.value.short(), 60), " ".join(flags), cites])
    if rows:
        lines.append(table(rows, width=width))
    for key, term in sorted(draft.terms.items()):
        note = disputed_note(term)
        if note:
            lines.append(f"  {key}: {note}")
    if quotes:
        for key, term in sorted(draft.terms.items()):
            for c in term.sources:
                if c.quote:
                    lines.append(f"  {key} [{c.source}]: “{one_line(c.quote)}”")
    cited = [e for e in events if e.kind == "cite"]
    if cited:
        lines += ["", f"Evidence recorded since ({len(cited)}):"]
        lines += [f"  {e.ref}  {e.recorded_at.date().isoformat()}  {event_text(e, seqs or {})}" for e in cited]
    if carried:
        lines += ["", f"Carried over, unconfirmed ({len(carried)}): not stated by this draft, shown as its parents had them"]
        lines.append(table([["  " + k, _clip(v.short(), 60), f"from {origin}"] for k, (v, origin) in sorted(carried.items())], width=width))
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def negotiations(summaries: Sequence[Any], *, width: int | None = None) -> str:
    if not summaries:
        return "No negotiations yet."
    rows = [[s.negotiation.id, ",".join(p.code for p in s.negotiation.parties), str(s.drafts), s.negotiation.title] for s in summaries]
    return table(rows, ["id", "parties", "drafts", "title"], width=width)


def verify(summary: Any) -> str:
    """One line per problem; when there is none, what was verified and each history's head."""
    if summary.problems:
        return "".join(f"{p}\n" for p in summary.problems)
    events = f", {_count(summary.events, 'event')}" if summary.events else ""
    lines = [f"verified {_count(summary.drafts, 'draft')}{events}, {_count(summary.terms, 'term')}"]
    lines += [f"head of {slug}: {head}" for slug, head in sorted(summary.heads.items())]
    return "".join(f"{line}\n" for line in lines)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def parties(negotiation: Negotiation, *, width: int | None = None) -> str:
    rows = [[p.code, one_line(p.name), one_line(", ".join(p.aliases))] for p in negotiation.parties]
    return table(rows, ["code", "name", "aliases"], width=width)


# --- diffs -----------------------------------------------------------------------------------

KIND_TITLES = {
    "changed": "Changed", "renamed": "Renamed", "dropped": "Dropped", "added": "Added",
    "annotated": "Same value, new confidence or sources",
    "unreported": "Not stated by the newer draft (unknown there, not dropped)",
}
KIND_COLOURS = {"changed": "yellow", "renamed": "cyan", "dropped": "red", "added": "green", "annotated": "blue", "unreported": "magenta"}
KIND_ORDER = ("changed", "renamed", "dropped", "added", "annotated", "unreported")
UNCONFIRMED = " (unconfirmed)"


def show_value(value_or_term: object, width: int = 32) -> str:
    """A value (or a term's) in short form; a term left for later says so."""
    if value_or_term is None:
        return "—"
    if isinstance(value_or_term, Term):
        later = " (deferred)" if value_or_term.deferred else ""
        return _clip(value_or_term.value.short(), width) + later
    return _clip(value_or_term.short(), width)  # type: ignore[attr-defined]


def _signed(number: str, suffix: str = "") -> str:
    return (number if number.startswith("-") else "+" + number) + suffix


def describe_delta(change: object) -> str:
    """A short human reading of a typed delta: '+1 million USD (×1.2)', '-5 pp', '+[a] -[b]'."""
    from decimal import Decimal

    from tracker.engine.diff import redline_text
    from tracker.model.values import format_money

    texts = clause_texts(change)
    if texts is not None:  # a clause: its redline is drawn whole, below the row
        return counts_text(redline(*texts))
    d = getattr(change, "delta", {}) or {}
    if "type_changed" in d:
        if d["type_changed"]["to"] == "none":
            return "now absent"
        if d["type_changed"]["from"] == "none":
            return "now present"
        return f"{d['type_changed']['from']} → {d['type_changed']['to']}"
    if "currency_changed" in d:
        return f"currency {d['currency_changed']['from']} → {d['currency_changed']['to']}"
    if "qualifier" in d:  # "$500 billion" → "up to $500 billion": a cap now
        q = {None: "exact", "cap": "a cap", "floor": "a floor", "approximate": "approximate"}
        moved = f"now {q[d['qualifier']['to']]}"
        if d.get("difference") not in (None, "0"):
            amount = Decimal(d["difference"])
            moved = ("+" if amount >= 0 else "") + format_money(amount, d["currency"]) + f", {moved}"
        return moved
    if "points" in d:
        return _signed(d["points"], " pp")
    if "difference" in d:
        if "currency" in d:
            amount = Decimal(d["difference"])
            text = ("+" if amount >= 0 else "") + format_money(amount, d["currency"])
        else:
            text = _number_difference(change) or _signed(d["difference"])
        return text + (f" (×{d['ratio']})" if "ratio" in d else "")
    if "added" in d or "removed" in d:
        parts = [f"+[{', '.join(d.get('added', []))}]" if d.get("added") else "",
                 f"-[{', '.join(d.get('removed', []))}]" if d.get("removed") else ""]
        return " ".join(p for p in parts if p)
    if "redline" in d:
        return _clip(redline_text(d["redline"]), 70)
    if "days" in d:
        return _signed(str(d["days"]), " days")
    if "unit_changed" in d:  # "3 years → 12 months": -24 months, where units convert exactly
        return _number_difference(change) or f"unit {d['unit_changed']['from']} → {d['unit_changed']['to']}"
    return ""


def _number_difference(change: object) -> str | None:
    """A change of a number in its unit: ``+6 months``, ``-30 days`` (None where the two
    values have no exact common unit)."""
    from tracker.model.quantities import difference
    from tracker.model.values import Number, unit_text

    old, new = (getattr(getattr(change, side), "value", None) for side in ("old", "new"))
    if not (isinstance(old, Number) and isinstance(new, Number)):
        return None
    found = difference(old, new)
    if found is None:
        return None
    amount, unit = found
    return ("+" if amount > 0 else "") + unit_text(amount, unit)


def describe_attribution(change: object) -> tuple[str, str]:
    a = getattr(change, "attribution", None)
    if a is None:
        return "", ""
    basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
    return ",".join(a.pushed_by), basis


def kind_title(d: object, kind: str, n: int) -> str:
    if kind != "unreported":
        return f"{KIND_TITLES[kind]} ({n})"
    new = d.new  # type: ignore[attr-defined]
    if new.header.coverage == "partial":
        return f"No longer reported ({n}): {new.id} is known from reports that do not mention these (unknown, not dropped)"
    return f"Not stated by {new.id} ({n}): its lineage never held these (unknown there, not dropped)"


def moves_text(moves: dict[str, str] | None) -> str:
    """Each party's move, ``US concession, UA opening``."""
    return ", ".join(f"{p} {label}" for p, label in (moves or {}).items())


def stance_text(a: object) -> str:
    """The moves of an attribution's tabling parties ('' without an attribution)."""
    return moves_text(a.stance if a else None)  # type: ignore[attr-defined]


def old_new(c: object, width: int = 32) -> str:
    """``old → new`` for a change, marking a side that is only carried over; a clause's
    change points to its redline, drawn whole below the table."""
    if clause_texts(c) is not None:
        return "redline below" + ("" if c.old_stated or c.old is None else "; before: unconfirmed")  # type: ignore[attr-defined]
    old = show_value(c.old, width) + ("" if c.old_stated or c.old is None else UNCONFIRMED)  # type: ignore[attr-defined]
    new = show_value(c.new, width) + ("" if c.new_stated or c.new is None else UNCONFIRMED)  # type: ignore[attr-defined]
    kind = c.kind  # type: ignore[attr-defined]
    if kind == "renamed" and old == new:  # moved to another key, its value as it was: shown once
        return f"{new} (same value)"
    if kind in ("changed", "renamed"):
        return f"{old} → {new}"
    if kind == "added":
        return new
    if kind == "unreported":
        carried = c.carried_from  # type: ignore[attr-defined]
        if carried and c.new is not None and c.new.value == c.old.value:  # type: ignore[attr-defined]
            return f"{old} → not stated (carried over from {carried}, unconfirmed)"
        if carried and c.new is not None:  # type: ignore[attr-defined]
            return f"{old} → not stated (carries {show_value(c.new, width)} from {carried}, unconfirmed)"  # type: ignore[attr-defined]
        return f"{old} → not stated"
    return old


def diff(d: object, *, style=lambda text, **kw: text, width: int | None = None) -> str:  # type: ignore[no-untyped-def]
    """Grouped by kind; each change with its values, delta, who pushed it, on what basis and
    how each tabling party moved."""

    def head(r: object) -> str:
        if r is None:
            return "(nothing)"
        cov = "" if r.header.coverage == "full" else ", partial"
        return f"{r.id} (v{r.seq}, {','.join(r.header.tabled_by)}, {r.header.date.isoformat()}{cov})"

    s = d.result.summary()
    lines = [f"{head(d.old)} → {head(d.new)}"]
    lines.append(", ".join(f"{n} {k.replace('unreported', 'no longer reported')}" for k, n in s.items() if n or k in ("changed", "unchanged")))
    for kind in KIND_ORDER:
        changes = d.result.by_kind(kind)
        if not changes:
            continue
        lines.append("")
        lines.append(style(kind_title(d, kind, len(changes)), fg=KIND_COLOURS[kind], bold=True))
        rows = []
        for c in changes:
            name = named(f"{c.old_term} → {c.term}" if c.old_term else c.term, c.label)
            if kind == "annotated":
                what = annotations_text(c)
                rows.append(["  " + name, show_value(c.new), what, "", "", ""])
                continue
            if kind == "unreported":
                rows.append(["  " + name, old_new(c), "", "", "", ""])
                continue
            pushed, basis = describe_attribution(c)
            intro = f"in {c.attribution.introduced_in}" if c.attribution and c.attribution.introduced_in != d.new.id else ""
            rows.append(["  " + name, old_new(c), describe_delta(c), style(pushed, bold=True) if pushed else "", basis,
                         " ".join(x for x in (intro, stance_text(c.attribution)) if x)])
        lines.append(table(rows, width=width))
        for c in changes:
            a = c.attribution
            if a and len(a.steps) > 1:
                steps = "; ".join(f"{st.draft} ({','.join(st.tabled_by)}) {show_value(st.value)}" for st in a.steps)
                lines.append(f"    {c.term} steps: {steps}")
            if a and a.evidence:
                lines.append(f"    {c.term} evidence: {_clip(a.evidence, 160)}")
            for term, side in ((c.old, "before"), (c.new, "now")):
                note = disputed_note(term)
                if note and (side == "now" or c.kind != "annotated"):
                    lines.append(f"    {c.term} {side}: {note}")
            texts = clause_texts(c)
            if texts is not None:
                lines.append(f"    {c.term} redline:")
                lines += text_lines(redline(*texts), width)
    if d.three_way:
        lines.append("")
        base = d.base.id if d.base else "(no common ancestor)"
        lines.append(style(f"Three-way: common ancestor {base}", bold=True))
        rows = [["  " + r.term, show_value(r.base), show_value(r.old), show_value(r.new), f"{_side(d, r.moved)} moved"] for r in d.three_way]
        lines.append(table(rows, ["  term", base, d.old.id, d.new.id, "who moved"], width=width))
    if not d.result.changes:
        lines.append("")
        lines.append("No differences.")
    return "\n".join(line.rstrip() for line in lines)


def _side(d: object, moved: str) -> str:
    return {"old": d.old.id, "new": d.new.id, "both": "both"}[moved]


def annotations_text(change: object) -> str:
    """What changed besides the value: ``sources +ft; confidence reported → confirmed``."""
    return "; ".join(_annotation_text(k, v) for k, v in change.annotations.items())  # type: ignore[attr-defined]


def _annotation_text(name: str, value: dict) -> str:  # type: ignore[type-arg]
    if name == "sources":
        bits = [f"+{s}" for s in value.get("added", [])] + [f"-{s}" for s in value.get("removed", [])]
        bits += [f"~{s}" for s in value.get("requoted", [])]
        return "sources " + " ".join(bits)
    if name == "value":
        same = f"both mean the default, {value['default']}" if "default" in value else "the same value"
        return f"written {value['from']} → {value['to']} ({same})"
    if name in ("confidence", "label") and "from" in value:
        return f"{name} {value['from']} → {value['to']}"
    if name == "deferred":
        return "now left for later" if value.get("to") else "no longer left for later"
    if name == "pushed_by":  # what the draft says of who pushed the term
        said = [",".join(side["parties"]) if side else "not said" for side in (value.get("from"), value.get("to"))]
        return f"pushed by {said[0]} → {said[1]}" if said[0] != said[1] else "pushed-by evidence changed"
    return f"{name} changed"
