"""Plain text for blame, term histories, positions and gaps (``tracker.history`` data)."""

from __future__ import annotations

from typing import Any

from tracker.render.columns import table
from tracker.render.text import (
    disputed_note,
    moves_text,
    named,
    one_line,
    party_names,
    show_value,
    stance_text,
)

WIDE = 40


def _value(value: Any) -> str:
    return show_value(value, WIDE)


def _position(view: Any, p: Any, latest: str | None = None) -> str:
    """A party's position; where it comes from a draft before the party's ``latest`` (which
    does not state the term), that draft is named: the latest draft says nothing of it."""
    if p is None:
        return "(not stated)"
    value = view.value(p.state)
    text = "none (left out)" if p.state.absent else _value(value)
    if view.deferred(p.state):
        text += " (deferred)"
    if view.disputed(p.state):
        text += " (disputed)"
    if latest is not None and p.draft != latest:
        text += f" (in {p.draft})"
    return text


def _who(a: Any) -> str:
    if a is None:
        return ""
    basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
    return f"{','.join(a.pushed_by)} ({basis})"


def blame(b: Any, *, width: int | None = None) -> str:
    r = b.record
    lines = [f"{r.id} (v{r.seq}, {','.join(r.header.tabled_by)}, {r.header.date.isoformat()}): where each term's value comes from", ""]
    rows = []
    for line in b.lines:
        origin = f"{line.draft} (v{line.seq})" + (f" as {line.first_key}" if line.first_key != line.key else "")
        if line.left_out:
            origin += ", left out there (the default)"
        value = show_value(line.term, WIDE) + ("" if line.stated else " (carried over, unconfirmed)")
        rows.append([named(line.key, line.term.label), value, origin, line.date.isoformat(), _who(line.attribution),
                     stance_text(line.attribution), ",".join(c.source for c in line.sources)])
    lines.append(table(rows, ["term", "value", "from draft", "date", "pushed by", "moves", "sources"], width=width))
    for line in b.lines:
        if line.attribution.evidence:
            lines.append(f"  {line.key}: {one_line(line.attribution.evidence)}")
        note = disputed_note(line.term)
        if note:
            lines.append(f"  {line.key}: {note}")
    return "\n".join(lines)


EVENT_TEXT = {"carried": "carried over", "unknown": "—"}


def term_history(h: Any, *, width: int | None = None) -> str:
    head = f"{named(h.key, h.label)}: what every draft says of it, by date"
    if h.aliases:
        head += f" (also known as {', '.join(h.aliases)})"
    lines = [head, ""]
    rows = []
    for row in h.rows:
        r = row.record
        key = row.key if row.key not in (None, h.key) else ""
        conf = row.term.confidence if row.term is not None else ""
        if row.state is None:
            value = "—"
        elif row.term is None:
            value = "none (left out)"
        else:
            value = _value(row.value) + (" (deferred)" if row.term.deferred else "")
        if row.state is not None and not row.state.stated:
            value += f" (from {row.state.origin}, unconfirmed)"
        rows.append([f"v{r.seq}", r.header.date.isoformat(), r.id, ",".join(r.header.tabled_by), EVENT_TEXT.get(row.event, row.event),
                     value, key, conf, _who(row.attribution), moves_text(row.moves)])
    lines.append(table(rows, ["seq", "date", "draft", "tabled", "event", "value", "as key", "confidence", "pushed by", "moves"], width=width))
    quotes = [(row.record.id, c) for row in h.rows for c in row.sources if c.quote]
    if quotes:
        lines += ["", "Quotes:"]
        lines += [f"  {draft} [{c.source}{', ' + c.outlet if c.outlet else ''}]: “{one_line(c.quote)}”"
                  + (f" (recorded since, {c.event})" if c.event else "") for draft, c in quotes]
    for row in h.rows:
        note = disputed_note(row.term) if row.state is not None and row.state.stated else None
        if note:
            lines.append(f"  {row.record.id}: {note}")
    return "\n".join(lines)


def positions(view: Any, p: Any, *, width: int | None = None) -> str:
    negotiation = view.negotiation
    when = f"as of {p.as_of.isoformat()}" if p.as_of else "now"
    lines = [f"Positions {when}"]
    for code in p.parties:
        latest = p.latest[code]
        lines.append(f"  {party_names(negotiation, [code])}: latest draft {latest or '(none yet)'}")
    lines.append("")
    rows = [[_key(t), *(_position(view, t.positions[c], p.latest[c]) for c in p.parties), t.status] for t in p.terms]
    lines.append(table(rows, ["term", *p.parties, "status"], width=width))
    lines += ["", f"{p.count('agreed')} agreed, {p.count('open')} open, {p.count('unaddressed')} unaddressed"
              " (not stated: no draft the party tabled states the term; (in D): the position comes from draft D,"
              " and the party's later drafts do not state the term)"]
    for t in p.terms:
        for code in p.parties:
            pos = t.positions[code]
            note = disputed_note(view.term(pos.state)) if pos is not None else None
            if note:
                lines.append(f"  {t.key} ({code}, {pos.draft}): {note}")
    return "\n".join(lines)


def _key(t: Any) -> str:
    return named(t.key, t.label) + (f" (also known as {', '.join(t.aliases)})" if t.aliases else "")


def _share(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"


def gap(view: Any, g: Any, *, width: int | None = None) -> str:
    negotiation = view.negotiation
    when = f"as of {g.as_of.isoformat()}" if g.as_of else "now"
    lines = [f"Gap between {party_names(negotiation, [g.a])} and {party_names(negotiation, [g.b])} {when}: "
             f"{len(g.rows)} open, {len(g.agreed)} agreed, {len(g.unaddressed)} addressed by one side only", ""]
    if g.rows:
        rows = [[named(r.key, r.label), _position(view, r.a, g.latest.get(g.a)), _position(view, r.b, g.latest.get(g.b)),
                 "left for later" if r.deferred else r.distance.text() if r.distance else "(side by side)"] for r in g.rows]
        lines.append(table(rows, ["open term", g.a, g.b, "apart by"], width=width))
    else:
        lines.append("No open terms.")
    if g.unaddressed:
        lines += ["", "Addressed by one side only (not counted):"]
        rows = [[named(r.key, r.label), _position(view, r.a, g.latest.get(g.a)), _position(view, r.b, g.latest.get(g.b))] for r in g.unaddressed]
        lines.append(table(rows, ["term", g.a, g.b], width=width))
    lines += ["", "Convergence by draft date (agreed ÷ (agreed + open)):"]
    rows = []
    for c in g.convergence:
        if not c.known:
            note = "(one side has tabled nothing yet)"
        else:
            note = "; ".join(f"{k} {d.text()}" for k, d in c.distances.items())
        rows.append([c.date.isoformat(), ",".join(c.drafts), str(c.agreed), str(c.open), str(c.unaddressed), _share(c.share), note])
    lines.append(table(rows, ["date", "drafts", "agreed", "open", "one side only", "agreed share", "typed distances"], width=width))
    return "\n".join(lines)
