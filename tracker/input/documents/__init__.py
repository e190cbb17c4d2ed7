"""Drafts recorded from documents: Word (.docx), Markdown (.md) and plain text (.txt) → clauses.

A reader per format (``word``, ``text``) reduces a document to paragraphs and tables
(``blocks``); one splitter (``clauses``) finds the clauses among them and keys them, so that
the same agreement in any of the formats gives the same clauses. Every refusal is one line that
names the file.
"""

from __future__ import annotations

from pathlib import Path

from tracker.input.documents.clauses import Clause, split
from tracker.input.documents.text import decode, read_text
from tracker.input.loading import read_bytes
from tracker.model.errors import InvalidInput

__all__ = ["Clause", "FORMATS", "MAX_DOCUMENT_BYTES", "read_clauses"]

MAX_DOCUMENT_BYTES = 50 * 2**20
FORMATS = {".docx": "Word", ".md": "Markdown", ".markdown": "Markdown", ".txt": "text"}


def read_clauses(path: str | Path, *, display_name: str | None = None) -> list[Clause]:
    """A document's clauses, in document order."""
    p = Path(path)
    name = display_name or str(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        what = f"{ext!r}" if ext else "a file without an extension"
        legacy = " (for a legacy Word .doc, save it as .docx)" if ext == ".doc" else ""
        raise InvalidInput(f"unknown document type {what}: give a .docx, .md or .txt file{legacy}", where=name)
    raw = read_bytes(p, name, max_bytes=MAX_DOCUMENT_BYTES)
    if ext == ".docx":
        from tracker.input.documents.word import read_docx  # python-docx and lxml: only for Word files

        blocks = read_docx(raw, name)
    else:
        blocks = read_text(decode(raw, name), name, markdown=ext != ".txt")
    return split(blocks, name)
