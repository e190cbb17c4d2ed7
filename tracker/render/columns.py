"""Text tables for people: columns aligned by what a terminal shows, fitted to its width.

A cell's width is what it takes on screen: a wide character (CJK, full-width forms) takes two
columns, a combining mark none, and colour codes (``ESC [ … m``) none, so coloured and
non-Latin text stays aligned. Given a width (the terminal's, when output goes to one), a table
wider than it wraps its widest columns at word boundaries, each row taking as many lines as
its tallest cell; without one (a pipe, a file) every row stays on one line, for grep and cut.
Python's own ``unicodedata`` gives the widths: rich (55 ms to import) or wcwidth (23 ms) would
cost every text command more start-up than the tables are worth.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

GAP = "  "  # between columns
NARROWEST = 12  # a wrapped column keeps at least this many columns
LONGEST_WORD = 24  # or its longest word, up to this many
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal."""
    if text.isascii():
        return len(_COLOUR.sub("", text)) if "\x1b" in text else len(text)
    plain = _COLOUR.sub("", text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None, width: int | None = None) -> str:
    """Left-aligned columns separated by two spaces, trailing spaces trimmed; with ``width``,
    no line wider than it where the columns can be wrapped to fit (see the module)."""
    all_rows = ([list(header)] if header else []) + [list(r) for r in rows]
    if not all_rows:
        return ""
    widths = [max(display_width(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    if width is not None:
        # A column is not narrowed below its longest word (up to LONGEST_WORD): words are broken
        # only where they are longer than that.
        floors = [min(w, max(NARROWEST, min(LONGEST_WORD, max((display_width(x) for r in all_rows for x in r[i].split(" ")), default=0))))
                  for i, w in enumerate(widths)]
        widths = _fitted(widths, floors, width)
    lines: list[str] = []
    for row in all_rows:
        cells = [_wrapped(cell, w) if display_width(cell) > w else [cell] for cell, w in zip(row, widths)]
        for k in range(max(len(c) for c in cells)):
            lines.append(GAP.join(pad(c[k] if k < len(c) else "", w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)


def _fitted(widths: list[int], floors: list[int], width: int) -> list[int]:
    """Column widths that fit ``width`` where they can: the widest column that can still give
    narrowed by one, again and again, none below its floor (a table that cannot fit stays wider)."""
    out = list(widths)
    excess = sum(out) + len(GAP) * (len(out) - 1) - width
    while excess > 0:
        narrowable = [i for i in range(len(out)) if out[i] > floors[i]]
        if not narrowable:
            break
        i = max(narrowable, key=out.__getitem__)
        out[i] -= 1
        excess -= 1
    return out


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces (a longer word, inside);
    an indented cell keeps its indent on every line."""
    body = text.lstrip(" ")
    indent = text[: len(text) - len(body)]
    if indent and len(indent) < width:
        return [indent + line for line in _wrapped(body, width - len(indent))]
    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        w = display_width(word)
        if line and used + 1 + w <= width:
            line, used = f"{line} {word}", used + 1 + w
            continue
        if line:
            lines.append(line)
        while w > width:  # a word longer than the column: broken inside it
            head, word = _split_at(word, width)
            lines.append(head)
            w = display_width(word)
        line, used = word, w
    lines.append(line)
    return lines


def _split_at(word: str, width: int) -> tuple[str, str]:
    used = 0
    for k, c in enumerate(word):
        used += display_width(c)
        if used > width:
            return word[:k], word[k:]
    return word, ""
