"""Markdown for pasting into a memo: a table per kind of change, sources as footnotes."""

from __future__ import annotations

from typing import Any

from tracker.render.text import KIND_TITLES, describe_attribution, describe_delta, show_value


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
