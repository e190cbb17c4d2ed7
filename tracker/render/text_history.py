"""Plain text for blame, term histories, positions and gaps (``tracker.history`` data)."""

from __future__ import annotations

from typing import Any

from tracker.render.text import party_names, show_value, table

WIDE = 40


def _value(value: Any) -> str:
    return show_value(value, WIDE)


def _position(p: Any) -> str:
    if p is None:
        return "(no draft yet)"
    text = _value(p.value)
    return f"{text}  ← pushed in {p.draft}" if p.via == "pushed" else text


def _who(a: Any) -> str:
    if a is None:
        return ""
    basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
    return f"{','.join(a.pushed_by)} ({basis})"


def blame(b: Any) -> str:
    r = b.record
    lines = [f"{r.id} (v{r.seq}, {','.join(r.header.tabled_by)}, {r.header.date.isoformat()}): where each term's value comes from", ""]
    rows = []
    for line in b.lines:
        origin = f"{line.draft} (v{line.seq})" + (f" as {line.first_key}" if line.first_key != line.key else "")
        rows.append([line.key, _value(line.value), origin, line.date.isoformat(), _who(line.attribution),
                     ",".join(c.source for c in line.sources)])
    lines.append(table(rows, ["term", "value", "from draft", "date", "pushed by", "sources"]))
    for line in b.lines:
        if line.attribution.evidence:
            lines.append(f"  {line.key}: {line.attribution.evidence}")
    return "\n".join(lines)


def term_history(h: Any) -> str:
    head = f"{h.key}: its value in every draft, by date"
    if h.aliases:
        head += f" (also known as {', '.join(h.aliases)})"
    lines = [head, ""]
    rows = []
    for row in h.rows:
        r = row.record
        key = row.key if row.key not in (None, h.key) else ""
        conf = row.term.confidence if row.term is not None else ""
        rows.append([f"v{r.seq}", r.header.date.isoformat(), r.id, ",".join(r.header.tabled_by), row.event,
                     _value(row.value) if row.term is not None else "—", key, conf, _who(row.attribution)])
    lines.append(table(rows, ["seq", "date", "draft", "tabled", "event", "value", "as key", "confidence", "pushed by"]))
    quotes = [(row.record.id, c) for row in h.rows for c in row.sources if c.quote]
    if quotes:
        lines += ["", "Quotes:"]
        lines += [f"  {draft} [{c.source}{', ' + c.outlet if c.outlet else ''}]: “{c.quote}”" for draft, c in quotes]
    for row in h.rows:
        if row.term is not None and row.term.reports:
            alt = "; ".join(f"{_value(rep.value)} ({', '.join(c.source for c in rep.sources)})" for rep in row.term.reports)
            lines.append(f"  {row.record.id}: disputed; also reported: {alt}")
    return "\n".join(lines)


def positions(p: Any, negotiation: Any) -> str:
    when = f"as of {p.as_of.isoformat()}" if p.as_of else "now"
    lines = [f"Positions {when}"]
    for code in p.parties:
        latest = p.latest[code]
        lines.append(f"  {party_names(negotiation, [code])}: latest draft {latest or '(none yet)'}")
    lines.append("")
    rows = [[_key(t), *(_position(t.positions[c]) for c in p.parties), t.status] for t in p.terms]
    lines.append(table(rows, ["term", *p.parties, "status"]))
    lines += ["", f"{p.count('agreed')} agreed, {p.count('open')} open, {p.count('dropped')} dropped by everyone"
              " (— : not in the party's latest draft)"]
    return "\n".join(lines)


def _key(t: Any) -> str:
    return t.key + (f" (was {', '.join(t.aliases)})" if t.aliases else "")


def _share(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def gap(g: Any, negotiation: Any) -> str:
    when = f"as of {g.as_of.isoformat()}" if g.as_of else "now"
    lines = [f"Gap between {party_names(negotiation, [g.a])} and {party_names(negotiation, [g.b])} {when}: "
             f"{len(g.rows)} open, {g.agreed} agreed, {g.dropped} dropped by both", ""]
    if g.rows:
        rows = [[r.key, _position(r.a), _position(r.b), r.distance.text() if r.distance else "(side by side)"] for r in g.rows]
        lines.append(table(rows, ["open term", g.a, g.b, "apart by"]))
    else:
        lines.append("No open terms.")
    lines += ["", "Convergence by draft date:"]
    rows = []
    for c in g.convergence:
        if not c.known:
            note = "(one side has tabled nothing yet)"
        else:
            note = "; ".join(f"{k} {d.text()}" for k, d in c.distances.items())
        rows.append([c.date.isoformat(), ",".join(c.drafts), str(c.agreed), str(c.open), _share(c.share), note])
    lines.append(table(rows, ["date", "drafts", "agreed", "open", "agreed share", "typed distances"]))
    return "\n".join(lines)
