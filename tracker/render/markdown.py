"""Markdown for pasting into a memo: a table per kind of change, sources as footnotes."""

from __future__ import annotations

from typing import Any

from tracker.render.redline import clause_texts, markdown_paragraphs, redline
from tracker.render.text import (
    annotations_text,
    describe_attribution,
    describe_delta,
    moves_text,
    one_line,
    show_value,
)

# A convergence row lists this many typed distances (the JSON report has them all).
MAX_LISTED = 6


def cell(text: Any) -> str:
    """Table-cell safe: pipes escaped, newlines folded, control characters and markup
    characters escaped."""
    s = one_line(str(text))
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s


def _name(term: str, label: Any) -> str:
    return f"`{term}`" + (f" ({cell(label)})" if label else "")


def _disputed(reports: Any, side: str = "") -> str:
    """A disputed value's competing accounts, for a table cell ('' when undisputed)."""
    if not reports:
        return ""
    accounts = "; ".join(f"{r['text']} ({', '.join(c['source'] for c in r['sources']) or 'no source'})" for r in reports)
    return f" — {side + ': ' if side else ''}disputed; also reported: {cell(accounts)}"


def _stances(stance: Any) -> str:
    return cell(moves_text(stance))


def diff(d: Any) -> str:
    from tracker.render.jsonout import change as change_json
    from tracker.render.text import kind_title, old_new

    old, new = d.old, d.new
    head_old = f"*{cell(old.id)}* (v{old.seq}, {', '.join(old.header.tabled_by)}, {old.header.date})" if old else "(nothing)"
    lines = [
        f"## {cell(old.header.title) if old else '(nothing)'} → {cell(new.header.title)}",
        "",
        f"{head_old} → *{cell(new.id)}* (v{new.seq}, {', '.join(new.header.tabled_by)}, {new.header.date})"
        + (" — known from reports (partial): what it does not state is unknown" if new.header.coverage == "partial" else ""),
        "",
        " · ".join(f"{n} {k.replace('unreported', 'no longer reported')}" for k, n in d.result.summary().items()),
    ]
    for kind in ("changed", "renamed", "dropped", "added", "annotated", "unreported"):
        changes = d.result.by_kind(kind)
        if not changes:
            continue
        lines += ["", f"### {cell(kind_title(d, kind, len(changes)))}", ""]
        lines.append("| Term | Was → now | Change | Pushed by | Basis | Moves | Evidence |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        clauses = []
        for c in changes:
            data = change_json(c)
            pushed, basis = describe_attribution(c)
            name = f"{c.old_term} → {c.term}" if c.old_term else c.term
            evidence = c.attribution.evidence if c.attribution and c.attribution.evidence else ""
            if c.attribution and c.attribution.introduced_in != new.id:
                basis += f" (in {c.attribution.introduced_in})"
            disputed = _disputed(data["old_reports"], "before") + _disputed(data["new_reports"], "now")
            lines.append(
                f"| {_name(name, c.label)} | {cell(old_new(c, 60))}{disputed} "
                f"| {cell(annotations_text(c) if c.kind == 'annotated' else describe_delta(c))} | {cell(pushed)} | {cell(basis)} "
                f"| {_stances(c.attribution.stance if c.attribution else None)} | {cell(evidence)} |"
            )
            texts = clause_texts(c)
            if texts is not None:
                clauses.append((name, c.label, texts))
        lines += _redlines(clauses)
    if d.three_way:
        base = d.base.id if d.base else "none"
        lines += ["", f"### Three-way (common ancestor: {cell(base)})", "",
                  f"| Term | {cell(base)} | {cell(old.id)} | {cell(new.id)} | Moved |", "| --- | --- | --- | --- | --- |"]
        for r in d.three_way:
            lines.append(f"| `{r.term}` | {cell(show_value(r.base))} | {cell(show_value(r.old))} | {cell(show_value(r.new))} | {r.moved} |")
    if not d.result.changes:
        lines += ["", "No differences."]
    return "\n".join(lines) + "\n"


def _redlines(clauses: list[tuple[str, Any, tuple[str, str]]]) -> list[str]:
    """Each clause's redline, after the table whose rows name them (a table cell holds one
    line): (name, label, (old text, new text))."""
    out: list[str] = []
    for name, label, texts in clauses:
        out += ["", f"Redline of {_name(name, label)}:", "", *_paragraphs(markdown_paragraphs(redline(*texts), cell))]
    return out


def _paragraphs(lines: Any) -> list[str]:
    """Markdown paragraphs: a blank line between each."""
    out: list[str] = []
    for line in lines:
        out += ["", line] if out else [line]
    return out


# --- the change-history report (the JSON form of tracker.history.report) ----------------------------


def _link(url: Any) -> str:
    """An autolink for plain http(s) addresses; anything else as escaped text, never a link."""
    import re

    if isinstance(url, str) and re.fullmatch(r"https?://[^\s<>`]+", url):
        return f"<{url}>"
    return cell(url)


def _who(codes: Any) -> str:
    return ", ".join(codes or [])


def _basis(c: dict[str, Any]) -> str:
    if not c["basis"]:
        return ""
    return c["basis"] + (f" from {c['adopted_from']}" if c["adopted_from"] else "")


def _or_dash(text: Any) -> str:
    return cell(text) if text is not None else "—"


def report(data: dict[str, Any]) -> str:
    neg, summary = data["negotiation"], data["summary"]
    names = {p["code"]: p["name"] for p in neg["parties"]}
    by_id = {d["id"]: d for d in data["timeline"]}
    counts = summary["counts"]
    out = [f"# {cell(neg['title'])}: change history", ""]
    parties = ", ".join(f"{cell(p['name'])} ({p['code']})" for p in neg["parties"])
    out.append(f"**Parties:** {parties}  ")
    if summary["drafts"]:
        latest = summary["latest"]
        out.append(f"**Drafts:** {summary['drafts']}, from {summary['first_date']} to {summary['last_date']}  ")
        out.append(
            f"**Where it stands:** latest draft *{cell(latest['id'])}* ({cell(latest['status'])}, {latest['date']}); "
            f"{counts['agreed']} terms agreed, {counts['open']} open; {counts['unaddressed']} stated by one side only (not counted)."
        )
    else:
        out.append("No drafts recorded yet.")

    out += ["", "## Timeline", "", "| Date | Draft | Tabled by | Status | Answers | Sources |", "| --- | --- | --- | --- | --- | --- |"]
    for d in data["timeline"]:
        reports = " (from reports)" if d["coverage"] == "partial" else ""
        out.append(
            f"| {d['date']} | v{d['seq']} **{cell(d['id'])}**: {cell(d['title'])}{reports} | {_who(d['tabled_by'])} | {cell(d['status'])} "
            f"| {cell(', '.join(d['parents'])) or '(first draft)'} | {cell(', '.join(d['sources']))} |"
        )
    later = [d for d in data["timeline"] if d["status_history"] or d["later_evidence"] or d["corrects"]]
    if later:
        out += ["", "### Recorded since", ""]
        for d in later:
            if d["corrects"]:
                out.append(f"- **{cell(d['id'])}** corrects {cell(d['corrects'])}, recorded with a mistake (left out of this report).")
            if d["status_history"]:
                steps = " → ".join(f"{cell(e['status'])} from {e['date']}" + (f" ({cell(e['note'])})" if e["note"] else "")
                                   for e in d["status_history"])
                out.append(f"- **{cell(d['id'])}**: {cell(d['status_recorded'])} as recorded → {steps}")
            for e in d["later_evidence"]:
                said = f" reports {cell(e['value'])} (disputed)" if e["value"] else ""
                quote = f": “{cell(e['quote'])}”" if e["quote"] else ""
                out.append(f"- **{cell(d['id'])}** `{e['term']}`: {cell(e['outlet'])} [{e['source']}]{said}{quote} ({e['event']}, recorded {e['recorded_at']})")

    out += ["", "## Changes, draft by draft"]
    for block in data["changes"]:
        d = by_id[block["draft"]]
        against = f"against {cell(block['against'])}" if block["against"] else "opening terms"
        out += ["", f"### v{d['seq']} {cell(d['id'])} ({_who(d['tabled_by'])}, {d['date']}), {against}", ""]
        s = block["summary"]
        out.append(" · ".join(f"{n} {k}" for k, n in s.items() if n))
        if not block["changes"]:
            out += ["", "No differences."]
            continue
        out += ["", "| Term | Kind | Was | Now | Change | Pushed by | Basis | Moves |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        quotes = []
        clauses = []
        for c in block["changes"]:
            name = f"{c['old_term']} → {c['term']}" if c["old_term"] else c["term"]
            texts = clause_texts(c)
            if texts is not None:  # a clause: its redline follows the table
                clauses.append((name, c["label"], texts))
                was = ("redline below" if texts[0] else "—") + ("" if c["old_stated"] else " (unconfirmed)")
                now = "redline below" if texts[1] else "—"
            elif c["kind"] == "renamed" and c["old_text"] == c["new_text"] and c["old_stated"]:
                was, now = _or_dash(c["old_text"]), "(same value)"
            else:
                was = _or_dash(c["old_text"]) + ("" if c["old_stated"] else " (unconfirmed)") + _disputed(c["old_reports"])
                now = "not stated" if c["kind"] == "unreported" else _or_dash(c["new_text"]) + _disputed(c["new_reports"])
            out.append(
                f"| {_name(name, c['label'])} | {c['kind']} | {was} | {now} | {cell(c['delta_text'])} "
                f"| {_who(c['pushed_by'])} | {cell(_basis(c))} | {_stances(c['stance'])} |"
            )
            if c["evidence"]:
                quotes.append(f"- `{c['term']}`: {cell(c['evidence'])}")
            for q in c["quotes"]:
                if q["quote"]:
                    quotes.append(f"- `{c['term']}`: “{cell(q['quote'])}” [{cell(q['source'])}]")
        out += _redlines(clauses)
        if quotes:
            out += ["", "Evidence:", "", *quotes]

    out += ["", "## Parties", "", "| Party | Changes pushed | Conceded | Won |", "| --- | --- | --- | --- |"]
    for p in data["parties"]:
        conceded = ", ".join(f"{c['term']} ({c['draft']})" for c in p["conceded"])
        out.append(f"| {cell(p['name'])} ({p['code']}) | {len(p['pushed'])} | {cell(conceded) or '—'} | {cell(', '.join(p['won'])) or '—'} |")

    if data["histories"]:
        out += ["", "## Terms that moved", "", "| Term | Where it moved (who pushed it) |", "| --- | --- |"]
        for h in data["histories"]:
            moves = " → ".join(_move_md(r) for r in h["drafts"])
            was = f" (was {', '.join(f'`{a}`' for a in h['aliases'])})" if h["aliases"] else ""
            out.append(f"| {_name(h['term'], h['label'])}{was} | {moves} |")

    pairs = data["summary"]["gap_pairs"]
    if pairs["of"] > pairs["shown"]:
        out += ["", f"Gaps are shown for {pairs['shown']} of the {pairs['of']} pairs of parties that tabled drafts;"
                " `tracker gap A B` prints any pair."]
    latest = data["positions"]["latest"]
    for g in data["gaps"]:
        a, b = g["parties"]
        out += ["", f"## Open gap: {cell(names[a])} and {cell(names[b])}", ""]
        if g["open"]:
            out += [f"| Term | {a} | {b} | Apart by |", "| --- | --- | --- | --- |"]
            for row in g["open"]:
                pa, pb = (row["positions"][x] for x in (a, b))
                apart = "left for later" if row["deferred"] else row["distance"]["text"] if row["distance"] else "(side by side)"
                out.append(f"| {_name(row['term'], row['label'])} | {_position_md(pa, _id(latest.get(a)))} | {_position_md(pb, _id(latest.get(b)))} "
                           f"| {cell(apart)} |")
        else:
            out.append("No open terms.")
        if g["unaddressed"]:
            listed = ", ".join(f"{_name(r['term'], r['label'])} ({', '.join(r['addressed_by'])})" for r in g["unaddressed"])
            out += ["", f"Stated by one side only (not counted): {listed}"]
        out += ["", "Convergence by draft date (agreed ÷ (agreed + open)):", "",
                "| Date | Agreed | Open | One side only | Agreed share | Typed distances |", "| --- | --- | --- | --- | --- | --- |"]
        for c in g["convergence"]:
            share = "—" if c["share"] is None else f"{round(c['share'] * 100)}%"
            shown = list(c["distances"].items())[:MAX_LISTED]
            dist = "; ".join(f"{k} {v['text']}" for k, v in shown) if c["known"] else "one side has tabled nothing yet"
            if c["known"] and len(c["distances"]) > len(shown):
                dist += f"; and {len(c['distances']) - len(shown)} more"
            out.append(f"| {c['date']} | {c['agreed']} | {c['open']} | {c['unaddressed']} | {share} | {cell(dist)} |")

    out += ["", "## Sources", ""]
    for s in data["bibliography"]:
        bits = [cell(s["outlet"])] + [cell(s[k]) for k in ("title", "date") if s[k]]
        line = f"- **{cell(s['id'])}**: " + ", ".join(bits)
        if s["url"]:
            line += f", {_link(s['url'])}"
        out.append(line + f" (cited by {cell(', '.join(s['cited_by']))})")
    return "\n".join(out) + "\n"


def _move_md(row: dict[str, Any]) -> str:
    what = "dropped" if row["event"] == "dropped" else _or_dash(row["text"])
    who = f" ({', '.join(row['pushed_by'])})" if row["pushed_by"] is not None else ""
    return f"v{row['seq']} {cell(row['id'])}: {what}{who}"


def _id(summary: Any) -> str | None:
    """The id of a draft summary (None for none)."""
    return summary["id"] if summary is not None else None


def _position_md(p: Any, latest: str | None) -> str:
    """A position; the draft it comes from is named where the party's ``latest`` draft does not state the term."""
    if p is None:
        return "(not stated)"
    text = "none (left out)" if p["absent"] else _or_dash(p["text"])
    where = f" (in {cell(p['draft'])})" if latest is not None and p["draft"] != latest else ""
    return text + (" (left for later)" if p["deferred"] else "") + where + _disputed(p["reports"])
