"""Markdown and plain-text drafts → blocks.

Paragraphs are separated by blank lines, as in both formats; a line that opens with a clause
number (``1.1``, ``(a)``, ``Article 3``) starts a paragraph of its own, since drafts number
consecutive lines without a blank between them. Lines of one paragraph are joined by a space:
a hard-wrapped line is not a new paragraph. Markdown adds headings (``#`` and underlined),
pipe tables, bulleted items, quotes and fenced blocks; its inline markup is removed, bold kept
as the mark of a run-in heading. Only what the clause splitter needs is read: this is not a
Markdown renderer.
"""

from __future__ import annotations

import re

from tracker.input.documents.blocks import BOLD_OFF, BOLD_ON, Block, Para, Table, clean
from tracker.input.documents.clauses import STARTS_CLAUSE
from tracker.model.errors import InvalidInput

_ATX = re.compile(r" {0,3}(?P<hashes>#{1,6})(?:[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(?P<rule>=+|-+)[ \t]*$")
_BREAK = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BULLET = re.compile(r"\s*[-*+•]\s+(?P<text>.*)$")
_FENCE = re.compile(r" {0,3}(?:```|~~~)")
_QUOTE = re.compile(r" {0,3}>[ \t]?")
_DELIMITER_CELL = re.compile(r"\s*:?-+:?\s*")
_COMMENT = re.compile(r"<!--.*?-->", re.S)

# Inline Markdown: escapes first (a \* is a star), then code, images and links, bold, emphasis.
# Spans are bounded (a heading is a few words): an opener without its closer costs a bounded
# look ahead, not a scan of the whole paragraph for every one of them.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CODE = re.compile(r"`+([^`]*)`+")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]{0,500})\]\([^)]{0,2000}\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]*)>")
_BOLD = re.compile(r"\*\*(?=\S)(.{1,300}?)(?<=\S)\*\*|(?<![A-Za-z0-9])__(?=\S)(.{1,300}?)(?<=\S)__(?![A-Za-z0-9])")
_EMPHASIS = re.compile(r"\*(?=\S)(.{1,300}?)(?<=\S)\*|(?<![A-Za-z0-9])_(?=\S)(.{1,300}?)(?<=\S)_(?![A-Za-z0-9])")
_PLACEHOLDER = "\x01"  # an escaped character, held aside while markup is removed


def decode(raw: bytes, name: str) -> str:
    """A text draft's characters: UTF-8 (a byte-order mark is skipped), else one line that says so."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput("is UTF-16 text; .md and .txt drafts must be UTF-8: save it as UTF-8", where=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"is not UTF-8 text (line {line}, byte {exc.start}); .md and .txt drafts must be UTF-8: save it as UTF-8",
                           where=name) from None
    if "\x00" in text:
        raise InvalidInput("holds NUL bytes: not a text file", where=name)
    return text


def inline(text: str) -> str:
    """Markdown inline markup removed, bold marked for the splitter."""
    held: list[str] = []

    def hold(m: re.Match[str]) -> str:
        held.append(m.group(1))
        return _PLACEHOLDER

    text = _ESCAPE.sub(hold, text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = _IMAGE_OR_LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _BOLD.sub(lambda m: BOLD_ON + (m.group(1) or m.group(2)) + BOLD_OFF, text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    it = iter(held)
    return re.sub(_PLACEHOLDER, lambda _: next(it), text)


def _delimiter_row(line: str) -> bool:
    """``|---|:--:|``: the row under a pipe table's header."""
    body = line.strip()
    return "-" in body and "|" in body and all(_DELIMITER_CELL.fullmatch(c) for c in body.strip("|").split("|"))


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [inline(c.strip().replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", body)]


def read_text(text: str, name: str, *, markdown: bool) -> list[Block]:
    """The blocks of a Markdown (``markdown=True``) or plain-text draft."""
    text = clean(_COMMENT.sub("", text) if markdown else text)
    lines = text.splitlines()
    blocks: list[Block] = []
    para: list[str] = []
    start = 0
    table: Table | None = None
    fenced = False
    skip = set()  # a table's delimiter row

    def flush() -> None:
        nonlocal para
        if para:
            joined = " ".join(line.strip() for line in para)
            blocks.append(Para(inline(joined) if markdown else joined, where=f"{name}:{start}"))
            para = []

    def begin(line: str, number: int) -> None:
        nonlocal start
        if not para:
            start = number
        para.append(line)

    for i, line in enumerate(lines):
        number = i + 1
        if i in skip:
            continue
        if markdown and _FENCE.match(line):
            flush()
            fenced = not fenced
            continue
        if markdown and not fenced:
            line = _QUOTE.sub("", line, count=1) if _QUOTE.match(line) else line
        if table is not None:
            if line.strip().startswith("|") or ("|" in line and line.strip()):
                table.rows.append(_cells(line))
                continue
            table = None
        if not line.strip():
            flush()
            continue
        if markdown and not fenced:
            heading = _ATX.match(line)
            if heading:
                flush()
                words = line[heading.end():].strip()
                closing = words.rstrip("#")  # "## Payment ##": the closing hashes are no part of it
                words = closing.rstrip() if not closing or closing[-1] in " \t" else words
                blocks.append(Para(inline(words), heading=len(heading.group("hashes")), where=f"{name}:{number}"))
                continue
            setext = _SETEXT.match(line)
            if setext and len(para) == 1:
                level = 1 if setext.group("rule").startswith("=") else 2
                text_line, para = para[0], []
                blocks.append(Para(inline(text_line.strip()), heading=level, where=f"{name}:{start}"))
                continue
            if _BREAK.match(line):
                flush()
                continue
            if "|" in line and i + 1 < len(lines) and _delimiter_row(lines[i + 1]):
                flush()
                table = Table([_cells(line)], where=f"{name}:{number}")
                blocks.append(table)
                skip.add(i + 1)
                continue
        bullet = _BULLET.match(line) if not fenced else None
        if bullet:
            flush()
            blocks.append(Para(inline(bullet.group("text")) if markdown else bullet.group("text"), bullet=True, where=f"{name}:{number}"))
            continue
        if para and not fenced and STARTS_CLAUSE.match(line):
            flush()
        begin(line, number)
    flush()
    return blocks

