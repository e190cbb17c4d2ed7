"""Markdown for pasting into a memo: a table per kind of change, sources as footnotes."""

from __future__ import annotations

from typing import Any

from tracker.render.text import KIND_TITLES, describe_attribution, describe_delta, show_value

# A convergence row lists this many typed distances (the JSON report has them all).
MAX_LISTED = 6


def cell(text: Any) -> str:
    """Table-cell safe: pipes escaped, newlines folded, markup characters escaped."""
    s = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s


def diff(d: Any) -> str:
    old, new = d.old, d.new
    lines = [
        f"## {cell(old.header.title)} → {cell(new.header.title)}",
        "",
        f"*{cell(old.id)}* (v{old.seq}, {', '.join(old.header.tabled_by)}, {old.header.date}) → "
        f"*{cell(new.id)}* (v{new.seq}, {', '.join(new.header.tabled_by)}, {new.header.date})",
        "",
        " · ".join(f"{n} {k}" for k, n in d.result.summary().items()),
    ]
    for kind in ("changed", "renamed", "dropped", "added", "annotated"):
        changes = d.result.by_kind(kind)
        if not changes:
            continue
        lines += ["", f"### {KIND_TITLES[kind]}", ""]
        lines.append("| Term | Was | Now | Change | Pushed by | Basis | Evidence |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        for c in changes:
            pushed, basis = describe_attribution(c)
            name = f"{c.old_term} → {c.term}" if c.old_term else c.term
            evidence = c.attribution.evidence if c.attribution and c.attribution.evidence else ""
            if c.attribution and c.attribution.introduced_in != new.id:
                basis += f" (in {c.attribution.introduced_in})"
            lines.append(
                f"| `{name}` | {cell(show_value(c.old))} | {cell(show_value(c.new))} | {cell(describe_delta(c))} "
                f"| {cell(pushed)} | {cell(basis)} | {cell(evidence)} |"
            )
    if d.three_way:
        base = d.base.id if d.base else "none"
        lines += ["", f"### Three-way (common ancestor: {cell(base)})", "",
                  f"| Term | {cell(base)} | {cell(old.id)} | {cell(new.id)} | Moved |", "| --- | --- | --- | --- | --- |"]
        for r in d.three_way:
            lines.append(f"| `{r.term}` | {cell(show_value(r.base))} | {cell(show_value(r.old))} | {cell(show_value(r.new))} | {r.moved} |")
    if not d.result.changes:
        lines += ["", "No differences."]
    return "\n".join(lines) + "\n"


# --- the change-history report (the JSON form of tracker.report) ----------------------------


def _link(url: Any) -> str:
    """An autolink for plain http(s) addresses; anything else as escaped text, never a link."""
    import re

    if isinstance(url, str) and re.fullmatch(r"https?://[^\s<>`]+", url):
        return f"<{url}>"
    return cell(url)


def _who(codes: Any) -> str:
    return ", ".join(codes or [])


def _basis(c: dict[str, Any]) -> str:
    if not c.get("basis"):
        return ""
    return c["basis"] + (f" from {c['adopted_from']}" if c.get("adopted_from") else "")


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
            f"{counts['agreed']} terms agreed, {counts['open']} open, {counts['dropped']} dropped by everyone."
        )
    else:
        out.append("No drafts recorded yet.")

    out += ["", "## Timeline", "", "| Date | Draft | Tabled by | Status | Answers | Sources |", "| --- | --- | --- | --- | --- | --- |"]
    for d in data["timeline"]:
        out.append(
            f"| {d['date']} | v{d['seq']} **{cell(d['id'])}**: {cell(d['title'])} | {_who(d['tabled_by'])} | {cell(d['status'])} "
            f"| {cell(', '.join(d['parents'])) or '(first draft)'} | {cell(', '.join(d['sources']))} |"
        )

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
        out += ["", "| Term | Kind | Was | Now | Change | Pushed by | Basis |", "| --- | --- | --- | --- | --- | --- | --- |"]
        quotes = []
        for c in block["changes"]:
            name = f"{c['old_term']} → {c['term']}" if c.get("old_term") else c["term"]
            out.append(
                f"| `{name}` | {c['kind']} | {_or_dash(c['old_text'])} | {_or_dash(c['new_text'])} | {cell(c['delta_text'])} "
                f"| {_who(c['pushed_by'])} | {cell(_basis(c))} |"
            )
            if c.get("evidence"):
                quotes.append(f"- `{c['term']}`: {cell(c['evidence'])}")
            for q in c["quotes"]:
                if q.get("quote"):
                    quotes.append(f"- `{c['term']}`: “{cell(q['quote'])}” [{cell(q['source'])}]")
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
            out.append(f"| `{h['term']}`{was} | {moves} |")

    for g in data["gaps"]:
        a, b = g["parties"]
        out += ["", f"## Open gap: {cell(names[a])} and {cell(names[b])}", ""]
        if g["open"]:
            out += [f"| Term | {a} | {b} | Apart by |", "| --- | --- | --- | --- |"]
            for row in g["open"]:
                pa, pb = (row["positions"][x] for x in (a, b))
                apart = row["distance"]["text"] if row["distance"] else "(side by side)"
                out.append(f"| `{row['term']}` | {_position_md(pa)} | {_position_md(pb)} | {cell(apart)} |")
        else:
            out.append("No open terms.")
        out += ["", "Convergence by draft date:", "", "| Date | Agreed | Open | Agreed share | Typed distances |", "| --- | --- | --- | --- | --- |"]
        for c in g["convergence"]:
            share = "—" if c["share"] is None else f"{round(c['share'] * 100)}%"
            shown = list(c["distances"].items())[:MAX_LISTED]
            dist = "; ".join(f"{k} {v['text']}" for k, v in shown) if c["known"] else "one side has tabled nothing yet"
            if c["known"] and len(c["distances"]) > len(shown):
                dist += f"; and {len(c['distances']) - len(shown)} more"
            out.append(f"| {c['date']} | {c['agreed']} | {c['open']} | {share} | {cell(dist)} |")

    out += ["", "## Sources", ""]
    for s in data["bibliography"]:
        bits = [cell(s["outlet"])] + [cell(s[k]) for k in ("title", "date") if s.get(k)]
        line = f"- **{cell(s['id'])}**: " + ", ".join(bits)
        if s.get("url"):
            line += f", {_link(s['url'])}"
        out.append(line + f" (cited by {cell(', '.join(s['cited_by']))})")
    return "\n".join(out) + "\n"


def _move_md(row: dict[str, Any]) -> str:
    what = "dropped" if row["event"] == "dropped" else _or_dash(row["text"])
    who = f" ({', '.join(row['attribution']['pushed_by'])})" if row["attribution"] else ""
    return f"v{row['seq']} {cell(row['id'])}: {what}{who}"


def _position_md(p: Any) -> str:
    if p is None:
        return "(no draft yet)"
    return _or_dash(p["text"]) if p["value"] is not None else "—"
