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
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_EXTRA: dict[str, int] = {}  # a non-ASCII character → the columns it takes beyond one (-1, 0 or 1)


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal."""
    if "\x1b" in text:
        text = _COLOUR.sub("", text)
    if text.isascii():
        return len(text)
    # Only the non-ASCII characters can take other than one column (an arrow in every row of a
    # diff would otherwise have every character of every cell looked up).
    return len(text) + sum(_EXTRA.get(c) if c in _EXTRA else _extra(c) for c in _NON_ASCII.findall(text))


def _extra(c: str) -> int:
    _EXTRA[c] = found = -1 if unicodedata.combining(c) else 1 if unicodedata.east_asian_width(c) in "WF" else 0
    return found


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None, width: int | None = None) -> str:
    """Left-aligned columns separated by two spaces, trailing spaces trimmed; with ``width``,
    no line wider than it where the columns can be wrapped to fit (see the module)."""
    all_rows = ([list(header)] if header else []) + [list(r) for r in rows]
    if not all_rows:
        return ""
    cell_widths = [[display_width(cell) for cell in r] for r in all_rows]
    widths = [max(ws) for ws in zip(*cell_widths)]
    if width is not None:
        # A column is not narrowed below its longest word (up to LONGEST_WORD): words are broken
        # only where they are longer than that.
        floors = [min(w, max(NARROWEST, min(LONGEST_WORD, max((display_width(x) for r in all_rows for x in r[i].split(" ")), default=0))))
                  for i, w in enumerate(widths)]
        widths = _fitted(widths, floors, width)
    lines: list[str] = []
    for row, row_widths in zip(all_rows, cell_widths):
        if all(cw <= w for cw, w in zip(row_widths, widths)):  # one line: widths known already
            lines.append(GAP.join(cell + " " * (w - cw) for cell, cw, w in zip(row, row_widths, widths)).rstrip())
            continue
        cells = [_wrapped(cell, w) if cw > w else [cell] for cell, cw, w in zip(row, row_widths, widths)]
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
