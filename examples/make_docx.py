"""Write an example Markdown draft as a Word document, to record it with `record --document`.

    python examples/make_docx.py examples/supply-2.md supply-2.docx

Reads the little Markdown the examples use — `#` the title, `##`/`###` headings, paragraphs
with **bold**, `- ` bullets and pipe tables — and writes it with Word's own styles (Title,
Heading 1 and 2, List Bullet), bold runs bold: the Word copy splits into the same clauses.
"""

from __future__ import annotations

import re
import sys

import docx


def paragraph_with_runs(document, text: str, style: str | None = None) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph(style=style)
    for i, part in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
        if part:
            paragraph.add_run(part).bold = bool(i % 2) or None


def convert(markdown: str, target: str) -> None:
    document = docx.Document()
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", markdown) if b.strip()]
    for block in blocks:
        lines = block.splitlines()
        heading = re.match(r"(#{1,3}) (.*)", block)
        if heading and len(lines) == 1:
            level = len(heading.group(1))
            if level == 1:
                document.add_paragraph(heading.group(2), style="Title")
            else:
                document.add_heading(heading.group(2), level=level - 1)
        elif all(line.startswith("|") for line in lines):
            rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not re.fullmatch(r"[|\s:-]+", line)]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        elif all(line.startswith("- ") for line in lines):
            for line in lines:
                paragraph_with_runs(document, line[2:], style="List Bullet")
        else:
            paragraph_with_runs(document, " ".join(line.strip() for line in lines))
    document.save(target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python make_docx.py DRAFT.md OUT.docx")
    with open(sys.argv[1], encoding="utf-8") as fh:
        convert(fh.read(), sys.argv[2])
