"""Plain-text output for people: aligned columns, no colour unless a renderer adds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

from tracker.termsheet import Draft, Negotiation, Term

if TYPE_CHECKING:  # renderers format plain data; they never need the store (SQLAlchemy) itself
    from tracker.store import DraftRecord


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    """Left-aligned columns separated by two spaces; trailing spaces trimmed."""
    all_rows = ([list(header)] if header else []) + [list(r) for r in rows]
    if not all_rows:
        return ""
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in all_rows]
    return "\n".join(lines)


def short_hash(digest: str, n: int = 12) -> str:
    return digest.removeprefix("sha256:")[:n]


def log(negotiation: Negotiation, records: list[DraftRecord]) -> str:
    rows = [
        [f"v{r.seq}", r.header.date.isoformat(), r.id, ",".join(r.header.tabled_by), r.header.status,
         short_hash(r.hash, 10), r.header.title]
        for r in records
    ]
    head = f"{negotiation.title} ({negotiation.id}): {len(records)} draft{'s' if len(records) != 1 else ''}"
    if not rows:
        return head
    return head + "\n" + table(rows, ["seq", "date", "id", "tabled", "status", "hash", "title"])


def party_names(negotiation: Negotiation, codes: Iterable[str]) -> str:
    names = []
    for code in codes:
        party = negotiation.party(code)
        names.append(f"{party.name} ({code})" if party else code)
    return ", ".join(names)


def draft(negotiation: Negotiation, record: DraftRecord, draft: Draft, *, quotes: bool = False) -> str:
    lines = [
        f"{draft.id} (v{record.seq})  {record.hash}",
        draft.title,
        f"Tabled by: {party_names(negotiation, draft.tabled_by)}",
        f"Date: {draft.date.isoformat()}   Status: {draft.status}",
        f"Answers: {', '.join(draft.parents) if draft.parents else '(first draft)'}",
    ]
    if draft.sources:
        lines.append("Sources:")
        for s in draft.sources:
            bits = [s.outlet] + ([s.title] if s.title else []) + ([s.date.isoformat()] if s.date else [])
            lines.append(f"  [{s.id}] " + ", ".join(bits) + (f" <{s.url}>" if s.url else ""))
    if draft.notes:
        lines.append(f"Notes: {draft.notes}")
    lines.append("")
    lines.append(f"Terms ({len(draft.terms)}):")
    rows = []
    for key, term in sorted(draft.terms.items()):
        flags = [term.confidence]
        if term.pushed_by:
            flags.append("pushed by " + ",".join(term.pushed_by.parties))
        cites = ",".join(c.source for c in term.sources)
        rows.append(["  " + key, _clip(term.value.short(), 60), " ".join(flags), cites])
    if rows:
        lines.append(table(rows))
    if quotes:
        for key, term in sorted(draft.terms.items()):
            for c in term.sources:
                if c.quote:
                    lines.append(f"  {key} [{c.source}]: “{c.quote}”")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def parties(negotiation: Negotiation) -> str:
    rows = [[p.code, p.name, ", ".join(p.aliases)] for p in negotiation.parties]
    return table(rows, ["code", "name", "aliases"])


# --- diffs -----------------------------------------------------------------------------------

KIND_TITLES = {
    "changed": "Changed", "renamed": "Renamed", "dropped": "Dropped", "added": "Added",
    "annotated": "Same value, new confidence or sources",
}
KIND_COLOURS = {"changed": "yellow", "renamed": "cyan", "dropped": "red", "added": "green", "annotated": "blue"}


def show_value(value_or_term: object, width: int = 32) -> str:
    if value_or_term is None:
        return "—"
    value = value_or_term.value if isinstance(value_or_term, Term) else value_or_term
    return _clip(value.short(), width)


def _signed(number: str, suffix: str = "") -> str:
    return (number if number.startswith("-") else "+" + number) + suffix


def describe_delta(change: object) -> str:
    """A short human reading of a typed delta: '+1 million USD (×1.2)', '-5 pp', '+[a] -[b]'."""
    from tracker.diff import redline_text
    from tracker.values import format_money
    from decimal import Decimal

    d = getattr(change, "delta", {}) or {}
    if "type_changed" in d:
        if d["type_changed"]["to"] == "none":
            return "now absent"
        if d["type_changed"]["from"] == "none":
            return "now present"
        return f"{d['type_changed']['from']} → {d['type_changed']['to']}"
    if "currency_changed" in d:
        return f"currency {d['currency_changed']['from']} → {d['currency_changed']['to']}"
    if "points" in d:
        return _signed(d["points"], " pp")
    if "difference" in d:
        if "currency" in d:
            amount = Decimal(d["difference"])
            text = ("+" if amount >= 0 else "") + format_money(amount, d["currency"])
        else:
            text = _signed(d["difference"])
        return text + (f" (×{d['ratio']})" if "ratio" in d else "")
    if "added" in d or "removed" in d:
        parts = [f"+[{', '.join(d.get('added', []))}]" if d.get("added") else "",
                 f"-[{', '.join(d.get('removed', []))}]" if d.get("removed") else ""]
        return " ".join(p for p in parts if p)
    if "redline" in d:
        return _clip(redline_text(d["redline"]), 70)
    if "days" in d:
        return _signed(str(d["days"]), " days")
    if "unit_changed" in d:
        return f"unit {d['unit_changed']['from']} → {d['unit_changed']['to']}"
    return ""


def describe_attribution(change: object) -> tuple[str, str]:
    a = getattr(change, "attribution", None)
    if a is None:
        return "", ""
    basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
    return ",".join(a.pushed_by), basis


def diff(d: object, *, style=lambda text, **kw: text) -> str:  # type: ignore[no-untyped-def]
    """Grouped by kind; each change with its values, delta, who pushed it and on what basis."""

    def head(r: object) -> str:
        return f"{r.id} (v{r.seq}, {','.join(r.header.tabled_by)}, {r.header.date.isoformat()})"

    s = d.result.summary()
    lines = [f"{head(d.old)} → {head(d.new)}"]
    lines.append(", ".join(f"{n} {k}" for k, n in s.items() if n or k in ("changed", "unchanged")))
    for kind in ("changed", "renamed", "dropped", "added", "annotated"):
        changes = d.result.by_kind(kind)
        if not changes:
            continue
        lines.append("")
        lines.append(style(f"{KIND_TITLES[kind]} ({len(changes)})", fg=KIND_COLOURS[kind], bold=True))
        rows = []
        for c in changes:
            name = f"{c.old_term} → {c.term}" if c.old_term else c.term
            if kind == "annotated":
                what = "; ".join(_annotation_text(k, v) for k, v in c.annotations.items())
                rows.append(["  " + name, show_value(c.new), what, "", "", ""])
                continue
            values = f"{show_value(c.old)} → {show_value(c.new)}" if kind in ("changed", "renamed") else show_value(c.new if kind == "added" else c.old)
            pushed, basis = describe_attribution(c)
            intro = f"in {c.attribution.introduced_in}" if c.attribution and c.attribution.introduced_in != d.new.id else ""
            stance = ", ".join(f"{p} {label}" for p, label in (c.attribution.stance.items() if c.attribution else []))
            rows.append(["  " + name, values, describe_delta(c), style(pushed, bold=True) if pushed else "", basis, " ".join(x for x in (intro, stance) if x)])
        lines.append(table(rows))
        for c in changes:
            a = c.attribution
            if a and len(a.steps) > 1:
                steps = "; ".join(f"{st.draft} ({','.join(st.tabled_by)}) {show_value(st.value)}" for st in a.steps)
                lines.append(f"    {c.term} steps: {steps}")
            if a and a.evidence:
                lines.append(f"    {c.term} evidence: {_clip(a.evidence, 160)}")
    if d.three_way:
        lines.append("")
        base = d.base.id if d.base else "(no common ancestor)"
        lines.append(style(f"Three-way: common ancestor {base}", bold=True))
        rows = [["  " + r.term, show_value(r.base), show_value(r.old), show_value(r.new), f"{_side(d, r.moved)} moved"] for r in d.three_way]
        lines.append(table(rows, ["  term", base, d.old.id, d.new.id, "who moved"]))
    if not d.result.changes:
        lines.append("")
        lines.append("No differences.")
    return "\n".join(line.rstrip() for line in lines)


def _side(d: object, moved: str) -> str:
    return {"old": d.old.id, "new": d.new.id, "both": "both"}[moved]


def _annotation_text(name: str, value: dict) -> str:  # type: ignore[type-arg]
    if name == "sources":
        bits = [f"+{s}" for s in value.get("added", [])] + [f"-{s}" for s in value.get("removed", [])]
        bits += [f"~{s}" for s in value.get("requoted", [])]
        return "sources " + " ".join(bits)
    if name in ("confidence", "label") and "from" in value:
        return f"{name} {value['from']} → {value['to']}"
    return f"{name} changed"
