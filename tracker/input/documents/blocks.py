"""What a document reader hands the clause splitter: paragraphs and tables, in reading order.

Each reader (Word, Markdown, plain text) reduces its format to these blocks, so that one
splitter decides where clauses start and one keying scheme names them: the same agreement in
any format gives the same clauses. Inline bold — the signal of a run-in heading such as
"2.1 **Fees.** The Buyer pays…" — is marked in a paragraph's text by two control characters
that no reader lets through from the document itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOLD_ON, BOLD_OFF = "\x02", "\x03"
# Control characters other than tab and line breaks carry no text (Word's field marks, form
# feeds): dropped from what a document says, and the bold marks with them.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Para:
    """One paragraph. ``heading`` is the level of a styled heading (Markdown ``#``, Word's
    Heading n); ``title`` marks the document's title; ``list_level`` and ``number`` a Word
    numbered-list item (its level from 0, the number Word shows); ``bullet`` an item of a
    bulleted list."""

    text: str
    heading: int | None = None
    title: bool = False
    list_level: int | None = None
    number: str | None = None
    bullet: bool = False
    where: str = ""


@dataclass
class Table:
    rows: list[list[str]] = field(default_factory=list)
    where: str = ""

    def text(self) -> str:
        """Rows on lines, cells separated by `` | ``; rows with no text left out."""
        rows = ([plain(cell) for cell in cells] for cells in self.rows)
        return "\n".join(" | ".join(cells) for cells in rows if any(cells))


Block = Para | Table


def clean(text: str) -> str:
    """Document text without the characters that carry none (and so without stray bold marks)."""
    return _NOT_TEXT.sub("", text)


def plain(text: str) -> str:
    """Text with bold marks removed and every run of whitespace as one space."""
    return " ".join(text.replace(BOLD_ON, "").replace(BOLD_OFF, "").split())
