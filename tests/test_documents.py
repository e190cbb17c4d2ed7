"""Drafts recorded from documents: Word, Markdown and text split into clauses, keys, alignment
with the draft answered (renumbered, edited, inserted, deleted, moved, split and merged
clauses), the diff and who pushed each change, bad documents, and the splitter's properties."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, snapshot
from tracker.input.alignment import align
from tracker.input.documents import read_clauses
from tracker.input.documents.blocks import Para
from tracker.input.documents.clauses import split
from tracker.input.documents.keys import Clause, slug
from tracker.model.errors import InvalidInput

NEGOTIATION = """\
kind: negotiation
id: supply
title: Supply agreement
parties:
  - {code: B, name: Acme Ltd, aliases: [buyer]}
  - {code: S, name: Widget plc, aliases: [seller]}
"""

# An agreement as a list of blocks, rendered to Markdown and to Word alike: a title, headings,
# numbered paragraphs (a run-in heading in bold: a list of (text, bold) runs), bullets, tables.
FIRST = [
    ("title", "Supply Agreement"),
    ("para", "This agreement is made on 1 May 2025 between Acme Ltd (the Buyer) and Widget plc (the Seller)."),
    ("heading", 1, "Recitals"),
    ("para", "WHEREAS the Seller makes widgets and the Buyer wishes to buy them."),
    ("heading", 1, "1. Definitions"),
    ("para", '1.1 "Goods" means the widgets listed in the Schedule.'),
    ("para", '1.2 "Price" means the price listed in the Schedule.'),
    ("heading", 1, "2. Payment"),
    ("para", [("2.1 ", False), ("Fees.", True), (" The Buyer shall pay each invoice within thirty days of its date.", False)]),
    ("para", [("2.2 ", False), ("Late payment.", True), (" Interest runs on late payments at four per cent a year above the base rate.", False)]),
    ("para", "2.3 The Seller shall invoice the Buyer monthly in arrears, by email to the address the Buyer gives."),
    ("bullet", "Each invoice names the order it is for."),
    ("heading", 1, "3. Delivery"),
    ("para", "The Seller shall deliver the Goods to the Buyer's warehouse within fourteen days of each order."),
    ("heading", 1, "4. Audit"),
    ("para", "The Buyer may audit the Seller's records once a year on thirty days' notice."),
    ("heading", 1, "5. Liability"),
    ("para", "Neither party is liable for indirect or consequential loss. Each party's total liability under this agreement is capped at"
             " the fees paid in the twelve months before the claim."),
    ("heading", 1, "6. Governing law"),
    ("para", "This agreement is governed by the laws of England and Wales."),
    ("heading", 1, "Schedule 1 \u2014 Price list"),
    ("table", [["Item", "Unit price"], ["Widget", "$5"], ["Gadget", "$7"]]),
]

# The seller's answer: a definition inserted (1.2, so "Price" is now 1.3), the fees edited,
# "Late payment" retitled "Interest", Delivery moved under a new "Performance" and edited,
# Audit deleted, Confidentiality inserted, Governing law moved up (6 → 5), Liability split in
# two, a price changed.
SECOND = [
    *FIRST[:6],
    ("para", '1.2 "Delivery Date" means the date the Buyer gives in each order.'),
    ("para", '1.3 "Price" means the price listed in the Schedule.'),
    ("heading", 1, "2. Payment"),
    ("para", [("2.1 ", False), ("Fees.", True), (" The Buyer shall pay each invoice within forty-five days of its date.", False)]),
    ("para", [("2.2 ", False), ("Interest.", True), (" Interest runs on late payments at four per cent a year above the base rate.", False)]),
    *FIRST[10:12],
    ("heading", 1, "3. Performance"),
    ("para", [("3.1 ", False), ("Delivery.", True), (" The Seller shall deliver the Goods to the Buyer's warehouse by the Delivery Date.", False)]),
    ("heading", 1, "4. Confidentiality"),
    ("para", "Each party shall keep the terms of this agreement confidential."),
    ("heading", 1, "5. Governing law"),
    ("para", "This agreement is governed by the laws of England and Wales."),
    ("heading", 1, "6. Liability"),
    ("para", [("6.1 ", False), ("Exclusions.", True), (" Neither party is liable for indirect or consequential loss.", False)]),
    ("para", [("6.2 ", False), ("Cap.", True),
              (" Each party's total liability under this agreement is capped at the fees paid in the twelve months before the claim.", False)]),
    ("heading", 1, "Schedule 1 \u2014 Price list"),
    ("table", [["Item", "Unit price"], ["Widget", "$6"], ["Gadget", "$7"]]),
]

# The buyer's reply: fees and invoicing merged into one clause, Ireland's law, the old price.
THIRD = [
    *SECOND[:9],
    ("para", [("2.1 ", False), ("Fees and invoicing.", True),
              (" The Buyer shall pay each invoice within forty-five days of its date. The Seller shall invoice the Buyer monthly in arrears,"
               " by email to the address the Buyer gives.", False)]),
    SECOND[12],
    ("para", [("2.2 ", False), ("Interest.", True), (" Interest runs on late payments at four per cent a year above the base rate.", False)]),
    *SECOND[13:18],
    ("para", "This agreement is governed by the laws of Ireland."),
    *SECOND[19:23],
    ("table", [["Item", "Unit price"], ["Widget", "$5"], ["Gadget", "$7"]]),
]


def _runs(item):  # type: ignore[no-untyped-def]
    return [(item, False)] if isinstance(item, str) else item


def markdown(blocks) -> str:  # type: ignore[no-untyped-def]
    out = []
    for kind, *rest in blocks:
        if kind == "title":
            out.append(f"# {rest[0]}")
        elif kind == "heading":
            out.append(f"{'#' * (rest[0] + 1)} {rest[1]}")
        elif kind == "para":
            out.append("".join(f"**{text}**" if bold else text for text, bold in _runs(rest[0])))
        elif kind == "bullet":
            out.append(f"- {rest[0]}")
        else:
            rows = rest[0]
            out.append("\n".join([f"| {' | '.join(rows[0])} |", "|" + "---|" * len(rows[0]), *(f"| {' | '.join(r)} |" for r in rows[1:])]))
    return "\n\n".join(out) + "\n"


def word(blocks, path: Path) -> Path:  # type: ignore[no-untyped-def]
    document = docx.Document()
    for kind, *rest in blocks:
        if kind == "title":
            document.add_paragraph(rest[0], style="Title")
        elif kind == "heading":
            document.add_heading(rest[1], level=rest[0])
        elif kind == "para":
            paragraph = document.add_paragraph()
            for text, bold in _runs(rest[0]):
                paragraph.add_run(text).bold = bold or None
        elif kind == "bullet":
            document.add_paragraph(rest[0], style="List Bullet")
        else:
            rows = rest[0]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
    document.save(path)
    return path


def clauses_of(path: Path) -> list[tuple[str, str, str]]:
    return [(c.key, c.label, c.text) for c in read_clauses(path)]


@pytest.fixture
def negotiation(tracker):
    tracker.record_texts({"negotiation.yaml": NEGOTIATION})
    return tracker


def record(tracker, path: Path, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    lines = tracker.ok("record", "--document", str(path), *args).stdout.splitlines()
    assert lines[0].startswith("Recorded ") and lines[-1] == f"Database: {tracker.url}"
    return lines[1:-1]


# --- splitting --------------------------------------------------------------------------------


def test_the_first_draft_splits_into_keyed_clauses(tmp_path):
    assert clauses_of(word(FIRST, tmp_path / "first.docx")) == [
        ("preamble", "Preamble", "Supply Agreement\nThis agreement is made on 1 May 2025 between Acme Ltd (the Buyer) and Widget plc (the Seller)."),
        ("recitals", "Recitals", "WHEREAS the Seller makes widgets and the Buyer wishes to buy them."),
        ("definitions.s1_1", "1.1", '"Goods" means the widgets listed in the Schedule.'),
        ("definitions.s1_2", "1.2", '"Price" means the price listed in the Schedule.'),
        ("payment.fees", "2.1 Fees", "The Buyer shall pay each invoice within thirty days of its date."),
        ("payment.late_payment", "2.2 Late payment", "Interest runs on late payments at four per cent a year above the base rate."),
        ("payment.s2_3", "2.3", "The Seller shall invoice the Buyer monthly in arrears, by email to the address the Buyer gives.\n"
                                "• Each invoice names the order it is for."),
        ("delivery", "3. Delivery", "The Seller shall deliver the Goods to the Buyer's warehouse within fourteen days of each order."),
        ("audit", "4. Audit", "The Buyer may audit the Seller's records once a year on thirty days' notice."),
        ("liability", "5. Liability", "Neither party is liable for indirect or consequential loss. Each party's total liability under this"
                                      " agreement is capped at the fees paid in the twelve months before the claim."),
        ("governing_law", "6. Governing law", "This agreement is governed by the laws of England and Wales."),
        ("schedule_price_list.table", "Table", "Item | Unit price\nWidget | $5\nGadget | $7"),
    ]


@pytest.mark.parametrize("blocks", [FIRST, SECOND, THIRD], ids=["first", "second", "third"])
def test_markdown_and_word_give_the_same_keys_labels_and_texts(tmp_path, blocks):
    md = tmp_path / "draft.md"
    md.write_text(markdown(blocks), encoding="utf-8")
    assert clauses_of(md) == clauses_of(word(blocks, tmp_path / "draft.docx"))


def test_plain_text_numbers_its_clauses_as_markdown_does(tmp_path):
    txt = tmp_path / "draft.txt"
    txt.write_text(
        "SERVICES AGREEMENT\n\nThis agreement is between the Client and the\nContractor, hard-wrapped as plain text often is.\n\n"
        "1. Services\n1.1 The Contractor shall provide the\nservices in the order.\n1.2 Fees. The Client pays monthly.\n"
        "(a) by transfer;\n(b) by cheque.\n\nARTICLE 2\nTERM\n\nThis agreement lasts a year.\n\nSection 2 survives termination.\n",
        encoding="utf-8")
    assert clauses_of(txt) == [
        ("preamble", "Preamble", "SERVICES AGREEMENT\nThis agreement is between the Client and the Contractor, hard-wrapped as plain text often is."),
        ("services.s1_1", "1.1", "The Contractor shall provide the services in the order."),
        ("services.fees", "1.2 Fees", "The Client pays monthly."),
        ("services.fees.a", "(a)", "by transfer;"),
        ("services.fees.b", "(b)", "by cheque."),
        ("term", "ARTICLE 2 TERM", "This agreement lasts a year.\nSection 2 survives termination."),
    ]


def test_markdown_items_tables_and_nesting(tmp_path):
    md = tmp_path / "draft.md"
    md.write_text(
        "Preamble text.\n\n## Article 1 — Scope\n\n1.1 Text of one one.\n\n(a) first item;\n\n(i) a sub-item;\n\n(ii) another;\n\n"
        "(b) second item.\n\n| A | B |\n| - | - |\n| x \\| y | *z* |\n\n## Article 2\n\nUntitled article text.\n\n"
        "## General\n\nFirst general.\n\n## General\n\nSecond general.\n\n## Annex A\n\nAnnexed text.\n", encoding="utf-8")
    assert clauses_of(md) == [
        ("preamble", "Preamble", "Preamble text."),
        ("scope.s1_1", "1.1", "Text of one one."),
        ("scope.s1_1.a", "(a)", "first item;"),
        ("scope.s1_1.a.i", "(i)", "a sub-item;"),
        ("scope.s1_1.a.ii", "(ii)", "another;"),
        ("scope.s1_1.b", "(b)", "second item."),
        ("scope.s1_1.table", "Table", "A | B\nx | y | z"),
        ("art2", "Article 2", "Untitled article text."),
        ("general", "General", "First general."),
        ("general_2", "General", "Second general."),
        ("annex_a", "Annex A", "Annexed text."),
    ]


def test_slugs_are_ascii_words_whatever_the_heading_is_written_in():
    assert slug("Gewährleistung & Haftung") == "gewahrleistung_haftung"
    assert slug("Straße, Œuvre") == "strasse_oeuvre"
    assert slug("Buyer’s obligations") == "buyers_obligations"
    assert slug("Гарантії") == ""  # no Latin letters: the number stands in
    assert slug("Limitation of liability and indemnification obligations of the parties") == "limitation_of_liability_and_indemnification"


def test_a_heading_without_latin_words_falls_back_to_its_number(tmp_path):
    md = tmp_path / "draft.md"
    md.write_text("## 1. Гарантії\n\nТекст.\n\n## 2. Оплата\n\n2.1 Сума.\n", encoding="utf-8")
    assert clauses_of(md) == [("s1", "1. Гарантії", "Текст."), ("s2.s2_1", "2.1", "Сума.")]


# --- Word: numbering, tracked changes, fields ---------------------------------------------------------


def _numbered(document, levels: list[tuple[str, str]]) -> str:  # type: ignore[no-untyped-def]
    """A multilevel list definition (numFmt, lvlText per level) added to the document: its numId."""
    numbering = document.part.numbering_part.element
    lvls = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
                   for i, (fmt, text) in enumerate(levels))
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{lvls}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return "90"


def _number(paragraph, num_id: str, ilvl: int) -> None:  # type: ignore[no-untyped-def]
    paragraph._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def test_word_numbering_gives_the_numbers_word_shows_and_the_keys_markdown_gives(tmp_path):
    document = docx.Document()
    num = _numbered(document, [("decimal", "%1."), ("decimal", "%1.%2"), ("lowerLetter", "(%3)")])
    for heading, items in (("Definitions", ['"Goods" means widgets.', '"Price" means the price.']), ("Payment", ["The Buyer pays monthly."])):
        _number(document.add_heading(heading, level=1), num, 0)
        for item in items:
            _number(document.add_paragraph(item), num, 1)
    _number(document.add_paragraph("by transfer;"), num, 2)
    _number(document.add_paragraph("by cheque."), num, 2)
    md = tmp_path / "same.md"
    md.write_text('## 1. Definitions\n\n1.1 "Goods" means widgets.\n\n1.2 "Price" means the price.\n\n## 2. Payment\n\n'
                  "2.1 The Buyer pays monthly.\n\n(a) by transfer;\n\n(b) by cheque.\n", encoding="utf-8")
    document.save(tmp_path / "numbered.docx")
    assert clauses_of(tmp_path / "numbered.docx") == clauses_of(md) == [
        ("definitions.s1_1", "1.1", '"Goods" means widgets.'),
        ("definitions.s1_2", "1.2", '"Price" means the price.'),
        ("payment.s2_1", "2.1", "The Buyer pays monthly."),
        ("payment.s2_1.a", "(a)", "by transfer;"),
        ("payment.s2_1.b", "(b)", "by cheque."),
    ]


def test_word_list_number_styles_and_headings_on_the_next_line(tmp_path):
    document = docx.Document()
    document.add_paragraph("ARTICLE 1")
    document.add_paragraph("GOVERNING LAW")
    document.add_paragraph("English law governs.")
    document.add_heading("Obligations", level=1)
    document.add_paragraph("Payment", style="List Number")
    document.add_paragraph("The Buyer pays.", style="List Number 2")
    document.add_paragraph("Delivery", style="List Number")
    document.save(tmp_path / "lists.docx")
    assert clauses_of(tmp_path / "lists.docx") == [
        ("governing_law", "ARTICLE 1 GOVERNING LAW", "English law governs."),
        ("obligations.payment.s1", "1.", "The Buyer pays."),
        ("obligations.delivery", "2. Delivery", ""),
    ]
    assert [c.heading for c in read_clauses(tmp_path / "lists.docx")] == ["GOVERNING LAW", None, "Delivery"]


def test_word_text_is_read_with_tracked_changes_accepted(tmp_path):
    document = docx.Document()
    document.add_heading("Term", level=1)
    document.add_paragraph("One year.")
    document.add_heading("Price", level=1)
    paragraph = document.add_paragraph("The price is ")
    w = nsdecls("w")
    for xml in (f'<w:del {w} w:id="1" w:author="A" w:date="2025-01-01T00:00:00Z"><w:r><w:delText>five</w:delText></w:r></w:del>',
                f'<w:ins {w} w:id="2" w:author="A" w:date="2025-01-01T00:00:00Z"><w:r><w:t>six</w:t></w:r></w:ins>',
                f'<w:r {w}><w:fldChar w:fldCharType="begin"/></w:r>', f'<w:r {w}><w:instrText> PAGE </w:instrText></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>',
                f'<w:hyperlink {w}><w:r><w:t xml:space="preserve"> dollars</w:t></w:r></w:hyperlink>'):
        paragraph._p.append(parse_xml(xml))
    paragraph.add_run(" a unit.")
    document.save(tmp_path / "tracked.docx")
    assert clauses_of(tmp_path / "tracked.docx") == [("term", "Term", "One year."), ("price", "Price", "The price is six dollars a unit.")]


# --- recording and aligning ------------------------------------------------------------------------


def test_record_a_first_draft_from_word(negotiation, tmp_path):
    path = word(FIRST, tmp_path / "first.docx")
    result = negotiation.ok("record", "--document", str(path), "--id", "draft-1", "--tabled-by", "buyer", "--date", "2025-05-01",
                            "--set", "price=$5", "--source", "{id: leak, outlet: Trade Weekly}")
    assert result.stdout.splitlines()[1:] == [f"Clauses: 12 from {path}, each a new term (a first draft)", f"Database: {negotiation.url}"]
    shown = negotiation.json("show", "draft-1")
    assert shown["terms"]["payment.fees"] == {
        "label": "2.1 Fees", "value": {"type": "text", "value": "The Buyer shall pay each invoice within thirty days of its date."},
        "sources": [{"source": "leak"}],
    }
    assert shown["terms"]["price"]["value"] == {"type": "money", "amount": "5", "currency": "USD"}
    assert sorted(shown["terms"]) == sorted([k for k, _, _ in clauses_of(path)] + ["price"])


@pytest.fixture
def three_drafts(negotiation, tmp_path):
    first = word(FIRST, tmp_path / "first.docx")
    second, third = tmp_path / "second.md", tmp_path / "third.md"
    second.write_text(markdown(SECOND), encoding="utf-8")
    third.write_text(markdown(THIRD), encoding="utf-8")
    summaries = [
        record(negotiation, first, "--id", "draft-1", "--tabled-by", "buyer", "--date", "2025-05-01", "--set", "price=$5"),
        record(negotiation, second, "--from", "draft-1", "--id", "draft-2", "--tabled-by", "seller", "--date", "2025-05-08"),
        record(negotiation, third, "--from", "draft-2", "--id", "draft-3", "--tabled-by", "buyer", "--date", "2025-05-12"),
    ]
    return negotiation, summaries, (first, second, third)


def test_the_second_draft_is_aligned_clause_by_clause(three_drafts):
    _, summaries, (_, second, _) = three_drafts
    assert summaries[1] == [
        f"Clauses: 14 from {second} against draft-1's: 7 kept (2 with new text), 1 moved, 2 renamed, 4 added, 2 dropped; 1 split",
        "  moved    definitions.s1_2, now '1.3' (its key kept)",
        "  renamed  payment.late_payment → payment.interest",
        "  renamed  delivery → performance.delivery (new text)",
        "  split    liability → liability.exclusions, liability.cap",
        "  added    definitions.s1_2_2",
        "  added    confidentiality",
        "  added    liability.exclusions",
        "  added    liability.cap",
        "  dropped  audit",
        "  dropped  liability",
    ]


def test_a_merge_is_told_and_a_clause_keeps_its_key_where_its_number_is_unchanged(three_drafts):
    _, summaries, (_, _, third) = three_drafts
    assert summaries[2] == [
        f"Clauses: 13 from {third} against draft-2's: 12 kept (2 with new text), 1 added, 2 dropped; 1 merged",
        "  merged   payment.fees, payment.s2_3 → payment.fees_and_invoicing",
        "  added    payment.fees_and_invoicing",
        "  dropped  payment.fees",
        "  dropped  payment.s2_3",
    ]


def _changes(tracker, a: str, b: str) -> dict:  # type: ignore[no-untyped-def]
    data = tracker.json("diff", a, b)
    return {c["term"]: (c["kind"], c.get("old_term"), c["pushed_by"], c["basis"], c["introduced_in"]) for c in data["changes"]}


def test_the_diff_reads_the_alignment_and_credits_who_pushed_each_change(three_drafts):
    tracker, _, _ = three_drafts
    assert _changes(tracker, "draft-1", "draft-2") == {
        "payment.fees": ("changed", None, ["S"], "author", "draft-2"),
        "schedule_price_list.table": ("changed", None, ["S"], "author", "draft-2"),
        "payment.interest": ("renamed", "payment.late_payment", ["S"], "author", "draft-2"),
        "performance.delivery": ("renamed", "delivery", ["S"], "author", "draft-2"),
        "audit": ("dropped", None, ["S"], "author", "draft-2"),
        "liability": ("dropped", None, ["S"], "author", "draft-2"),
        "confidentiality": ("added", None, ["S"], "author", "draft-2"),
        "definitions.s1_2_2": ("added", None, ["S"], "author", "draft-2"),
        "liability.exclusions": ("added", None, ["S"], "author", "draft-2"),
        "liability.cap": ("added", None, ["S"], "author", "draft-2"),
        # Renumbered and moved: the same text, its label follows the number.
        "definitions.s1_2": ("annotated", None, None, None, None),
        "governing_law": ("annotated", None, None, None, None),
    }
    # Across both answers: what the seller changed is the seller's, what the buyer changed after is the buyer's.
    across = _changes(tracker, "draft-1", "draft-3")
    assert across["confidentiality"] == ("added", None, ["S"], "author", "draft-2")
    assert across["payment.interest"] == ("renamed", "payment.late_payment", ["S"], "author", "draft-2")
    assert across["governing_law"] == ("changed", None, ["B"], "author", "draft-3")
    assert across["payment.fees_and_invoicing"] == ("added", None, ["B"], "author", "draft-3")
    assert across["payment.fees"] == ("dropped", None, ["B"], "author", "draft-3")
    assert "schedule_price_list.table" not in across  # $5 → $6 → $5: no net change
    assert "price" not in across  # a typed term set on the first draft carries over


def test_the_diff_text_names_moves_renames_and_label_changes(three_drafts):
    tracker, _, _ = three_drafts
    out = tracker.ok("diff", "draft-1", "draft-2").stdout.splitlines()
    assert out[:2] == ["draft-1 (v1, B, 2025-05-01) → draft-2 (v2, S, 2025-05-08)",
                       "2 changed, 2 renamed, 2 dropped, 4 added, 2 annotated, 5 unchanged"]
    assert "  definitions.s1_2 (1.3)            \"Price\" means the price listed …  label 1.2 → 1.3" in out
    assert any(line.startswith("  payment.late_payment → payment.interest (2.2 Interest)") and line.endswith("S  author") for line in out)


def test_recording_the_same_document_again_changes_nothing(three_drafts):
    tracker, _, (_, _, third) = three_drafts
    before = snapshot(tracker.url)
    result = tracker("record", "--document", str(third), "--from", "draft-3", "--id", "draft-4", "--tabled-by", "buyer", "--date", "2025-05-12")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: the new draft says nothing 'draft-3' does not")
    assert snapshot(tracker.url) == before


def test_renumbering_alone_keeps_every_key_and_text(negotiation, tmp_path):
    first = tmp_path / "first.md"
    first.write_text("## 1. Scope\n\nThe scope.\n\n## 2. Term\n\nOne year.\n\n## 3. Notices\n\nIn writing.\n", encoding="utf-8")
    renumbered = tmp_path / "renumbered.md"
    renumbered.write_text("## 4. Scope\n\nThe scope.\n\n## 5. Notices\n\nIn writing.\n\n## 6. Term\n\nOne year.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01")
    assert record(negotiation, renumbered, "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02") == [
        f"Clauses: 3 from {renumbered} against a's: 3 kept"]
    data = negotiation.json("diff", "a", "b")
    assert [(c["term"], c["kind"]) for c in data["changes"]] == [("notices", "annotated"), ("scope", "annotated"), ("term", "annotated")]
    assert {k: v["value"]["value"] for k, v in negotiation.json("show", "b")["terms"].items()} == {
        "scope": "The scope.", "term": "One year.", "notices": "In writing."}


def test_clauses_known_by_their_numbers_are_followed_through_a_renumbering(negotiation, tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("1. The Seller sells.\n2. The Buyer buys.\n3. The Buyer pays on delivery.\n", encoding="utf-8")
    second = tmp_path / "second.txt"
    second.write_text("1. The Buyer buys.\n2. The Buyer pays in full on delivery.\n3. Either party may end it.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01")
    assert record(negotiation, second, "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02") == [
        f"Clauses: 3 from {second} against a's: 0 kept, 2 moved, 1 added, 1 dropped",
        "  moved    s2, now '1.' (its key kept)",
        "  moved    s3, now '2.' (its key kept, new text)",
        "  added    s3_2",
        "  dropped  s1",
    ]
    assert _changes(negotiation, "a", "b")["s1"] == ("dropped", None, ["S"], "author", "b")


def test_a_partial_draft_from_an_excerpt_leaves_the_rest_unknown(three_drafts, tmp_path):
    tracker, _, _ = three_drafts
    excerpt = tmp_path / "excerpt.md"
    excerpt.write_text("## 5. Governing law\n\nThis agreement is governed by the laws of Scotland.\n", encoding="utf-8")
    assert record(tracker, excerpt, "--from", "draft-3", "--id", "leak", "--tabled-by", "S", "--date", "2025-05-13",
                  "--coverage", "partial") == [
        f"Clauses: 1 from {excerpt} against draft-3's: 1 kept (1 with new text); 12 of draft-3's not in this document"
        " (partial: unknown, not dropped)"]
    shown = tracker.json("show", "leak")
    assert list(shown["terms"]) == ["governing_law"]
    assert {c["kind"] for c in tracker.json("diff", "draft-3", "leak")["changes"]} == {"changed", "unreported"}


def test_a_rename_the_user_gives_pairs_two_clauses_the_texts_would_not(negotiation, tmp_path):
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("## Exclusivity\n\nThe Seller deals with no one else for ninety days.\n", encoding="utf-8")
    second.write_text("## No shop\n\nThe Seller may not solicit other offers until closing.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01")
    assert record(negotiation, second, "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02",
                  "--rename", "exclusivity=no_shop") == [
        f"Clauses: 1 from {second} against a's: 0 kept, 1 renamed",
        "  renamed  exclusivity → no_shop (new text)",
    ]


def test_options_of_record_from_apply_to_a_document(negotiation, tmp_path):
    first = tmp_path / "first.md"
    first.write_text("## Price\n\nFive dollars a unit.\n\n## Term\n\nOne year.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01", "--set", "unit_price=$5")
    second = tmp_path / "second.md"
    second.write_text("## Price\n\nSix dollars a unit.\n\n## Term\n\nOne year.\n", encoding="utf-8")
    record(negotiation, second, "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02", "--title", "Seller's reply",
           "--status", "rejected", "--set", "unit_price=$6", "--source", "{id: memo, outlet: Memo}", "--quote", "price=six dollars",
           "--pushed-by", "term=B:the buyer's letter")
    shown = negotiation.json("show", "b")
    assert (shown["title"], shown["status"], shown["parents"], shown["tabled_by"]) == ("Seller's reply", "rejected", ["a"], ["S"])
    assert shown["terms"]["price"]["sources"] == [{"source": "memo", "quote": "six dollars"}]
    assert shown["terms"]["term"]["pushed_by"] == {"parties": ["B"], "evidence": "the buyer's letter", "source": "memo"}
    assert shown["terms"]["unit_price"]["value"]["amount"] == "6"


def test_a_document_in_the_editor_and_a_new_unrelated_text(negotiation, tmp_path):
    first = tmp_path / "first.md"
    first.write_text("## Price\n\nFive dollars a unit.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01")
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[1]\nt = open(p, encoding='utf-8').read()\n"
                      "open(p, 'w', encoding='utf-8').write(t.replace('Six dollars', 'Seven dollars'))\n", encoding="utf-8")
    second = tmp_path / "second.md"
    second.write_text("## Price\n\nSix dollars a unit.\n", encoding="utf-8")
    result = negotiation("record", "--document", str(second), "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02",
                         "--edit", env={"EDITOR": f"{sys.executable} {editor}"})
    assert result.exit_code == 0, result.output
    assert negotiation.json("show", "b")["terms"]["price"]["value"]["value"] == "Seven dollars a unit."
    assert record(negotiation, second, "--root", "--id", "other", "--tabled-by", "S", "--date", "2025-05-02") == [
        f"Clauses: 1 from {second}, each a new term (a first draft)"]
    assert negotiation.json("show", "other")["parents"] == []


@pytest.mark.parametrize("args, code, message", [
    (["--set", "price=text:x"], 3, "--set price: the document gives this term (clause 'Price'); set another key"),
    (["--rename", "nothing=price"], 4, "--rename 'nothing=price': no text term 'nothing' in a"),
    (["--tabled-by", "Q"], 4, "--tabled-by 'Q': unknown party (parties: B, S)"),
    (["--date", "2025-04-01"], 3, "--date 2025-04-01: before 'a', which it answers (2025-05-01); check the date, or --from"),
])
def test_bad_options_with_a_document_write_nothing(negotiation, tmp_path, args, code, message):
    first = tmp_path / "first.md"
    first.write_text("## Price\n\nFive dollars a unit.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01")
    second = tmp_path / "second.md"
    second.write_text("## Price\n\nSix dollars a unit.\n", encoding="utf-8")
    before = snapshot(negotiation.url)
    base = {"--tabled-by": "S", "--date": "2025-05-02"}
    for flag in ("--tabled-by", "--date"):
        if flag in args:
            base.pop(flag)
    extra = [x for pair in base.items() for x in pair]
    result = negotiation("record", "--document", str(second), "--from", "a", "--id", "b", *extra, *args)
    assert (result.exit_code, result.stderr) == (code, f"Error: {message}\n")
    assert snapshot(negotiation.url) == before


def test_a_clause_whose_key_a_typed_term_holds_is_refused(negotiation, tmp_path):
    first = tmp_path / "first.md"
    first.write_text("## Term\n\nOne year.\n", encoding="utf-8")
    record(negotiation, first, "--id", "a", "--tabled-by", "B", "--date", "2025-05-01", "--set", "price=$5")
    second = tmp_path / "second.md"
    second.write_text("## Term\n\nOne year.\n\n## Price\n\nSix dollars.\n", encoding="utf-8")
    result = negotiation("record", "--document", str(second), "--from", "a", "--id", "b", "--tabled-by", "S", "--date", "2025-05-02")
    assert (result.exit_code, result.stderr) == (
        3, f"Error: {second}: clause 'Price' is term 'price', which a holds as money: move that term away first (--rename price=…)\n")


def test_files_and_a_document_together_are_refused(negotiation, tmp_path):
    result = negotiation("record", str(tmp_path / "x.yaml"), "--document", str(tmp_path / "x.md"))
    assert (result.exit_code, result.stderr) == (3, "Error: give either FILES or draft flags (--id, --set, …), not both\n")


# --- alignment, in itself ---------------------------------------------------------------------------


def _clause(key: str, text: str, heading: str | None = "x") -> Clause:
    return Clause(key, key, text, heading, heading is None)


def test_alignment_thresholds():
    old = {"pay": "The Buyer shall pay each invoice within thirty (30) days of the date of the invoice."}
    edited = "The Buyer shall pay each invoice within forty-five (45) days of the date of the invoice."
    other = "The Seller shall deliver the Goods within thirty (30) days of the date of the order."
    assert align(old, [_clause("payment", edited)]).renames == [("pay", "payment")]  # ratio 92: an edit
    unrelated = align(old, [_clause("delivery", other)])  # ratio 76: a look-alike, not the same clause
    assert (unrelated.renames, unrelated.added, unrelated.dropped) == ([], ["delivery"], ["pay"])


def test_alignment_tells_splits_and_merges():
    a = "Neither party is liable for indirect or consequential loss."
    b = "Each party's total liability is capped at the fees paid in the last twelve months."
    split_ = align({"liability": f"{a} {b}"}, [_clause("liability.exclusions", a), _clause("liability.cap", b)])
    assert split_.splits == [("liability", ["liability.exclusions", "liability.cap"])]
    merged = align({"exclusions": a, "cap": b}, [_clause("liability", f"{a} {b}")])
    assert merged.merges == [(["exclusions", "cap"], "liability")]
    # Two short phrases of a long clause are no split; a kept clause beside an unrelated one neither.
    long = f"{a} {b} " + "Other words fill the clause at length. " * 6
    assert align({"liability": long}, [_clause("one", a), _clause("two", b)]).splits == []
    assert align({"liability": f"{a} {b}"}, [_clause("liability", f"{a} {b}"), _clause("other", a)]).splits == []


def test_a_moved_heading_follows_its_clause_and_a_same_named_stranger_does_not():
    moved = align({"payment.fees": "The Buyer pays within thirty days."},
                  [_clause("pricing.fees", "The Buyer pays within forty days of the invoice.")])
    assert moved.renames == [("payment.fees", "pricing.fees")]
    stranger = align({"payment.general": "The Buyer pays within thirty days."},
                     [_clause("notices.general", "Notices are given in writing to the registered office.")])
    assert (stranger.renames, stranger.added, stranger.dropped) == ([], ["notices.general"], ["payment.general"])


# --- bad documents ----------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _declared_sizes(raw: bytes, size: int) -> bytes:
    """A zip whose directory declares every member ``size`` bytes unpacked (a zip bomb's lie,
    without the bytes)."""
    data = bytearray(raw)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _docx_bytes(tmp_path: Path) -> bytes:
    return word([("heading", 1, "Scope"), ("para", "Text.")], tmp_path / "base.docx").read_bytes()


def _not_word(tmp_path: Path) -> bytes:
    with zipfile.ZipFile(io.BytesIO(_docx_bytes(tmp_path))) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml")
    return _zip(members)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOMB = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * (4 * 2**20)})
BOMB_RATIO = next(i.file_size // i.compress_size for i in zipfile.ZipFile(io.BytesIO(BOMB)).infolist() if i.filename == "word/document.xml")
BAD = {
    "text.docx": (lambda p: b"Dear Sir, this is not a Word file.", "is not a Word (.docx) file: it is not a zip archive"),
    "damaged.docx": (lambda p: b"PK\x03\x04" + b"\x00" * 64, "is not a Word (.docx) file: a damaged zip archive"),
    "other.docx": (lambda p: _zip({"a.txt": b"hello"}), "is not a Word (.docx) file: a zip archive, but not an Office Open XML package"),
    "sheet.docx": (_not_word, "is not a Word (.docx) document: its main part is"
                              " application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "encrypted.docx": (lambda p: OLE + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64,
                       "is encrypted (password-protected): save an unprotected copy as .docx"),
    "legacy.docx": (lambda p: OLE + b"\x00" * 1024, "is a legacy Word .doc file (an OLE compound file), not .docx: save it as .docx"),
    "ratio.docx": (lambda p: BOMB, f"looks like a zip bomb: 'word/document.xml' would unpack {BOMB_RATIO:,} times its size (at most 200)"),
    "total.docx": (lambda p: _declared_sizes(_zip({f"part{i}.xml": b"<x/>" for i in range(300)}), 2**20),
                   "looks like a zip bomb: it would unpack to 300 MiB (at most 256 MiB)"),
    "members.docx": (lambda p: _zip({f"p{i}": b"" for i in range(10_001)}), "looks like a zip bomb: 10,001 members (a Word file has a few dozen)"),
    "empty.docx": (lambda p: word([], p / "blank.docx").read_bytes(), "holds no text to record"),
    "empty.md": (lambda p: b"\n\n   \n", "holds no text to record"),
    "latin1.txt": (lambda p: "1. Préambule\n".encode("latin-1"),
                   "is not UTF-8 text (line 1, byte 5); .md and .txt drafts must be UTF-8: save it as UTF-8"),
    "utf16.md": (lambda p: "# Title\n".encode("utf-16"), "is UTF-16 text; .md and .txt drafts must be UTF-8: save it as UTF-8"),
    "binary.txt": (lambda p: b"abc\x00def", "holds NUL bytes: not a text file"),
    "draft.pdf": (lambda p: b"%PDF-1.7", "unknown document type '.pdf': give a .docx, .md or .txt file"),
    "draft.doc": (lambda p: OLE, "unknown document type '.doc': give a .docx, .md or .txt file (for a legacy Word .doc, save it as .docx)"),
    "draft": (lambda p: b"text", "unknown document type a file without an extension: give a .docx, .md or .txt file"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_document_is_refused_in_one_line_naming_it_and_nothing_is_written(negotiation, tmp_path, name):
    make, message = BAD[name]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    before = snapshot(negotiation.url)
    result = negotiation("record", "--document", str(path), "--id", "x", "--tabled-by", "B", "--date", "2025-05-01")
    assert (result.exit_code, result.stderr) == (3, f"Error: {path}: {message}\n")
    assert snapshot(negotiation.url) == before


def test_a_document_over_50_mb_is_refused_before_it_is_read(negotiation, tmp_path):
    path = tmp_path / "huge.docx"
    with path.open("wb") as fh:
        fh.truncate(51 * 2**20)  # sparse: nothing is written to the disk
    result = negotiation("record", "--document", str(path), "--id", "x", "--tabled-by", "B")
    assert (result.exit_code, result.stderr) == (3, f"Error: {path}: file is 51.0 MiB; at most 50 MiB\n")
    missing = negotiation("record", "--document", str(tmp_path / "none.md"), "--id", "x", "--tabled-by", "B")
    assert (missing.exit_code, missing.stderr) == (3, f"Error: {tmp_path / 'none.md'}: no such file\n")


def test_an_oversized_clause_is_refused(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("## Scope\n\n" + "word " * 25_000 + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_clauses(path)
    assert str(caught.value) == f"{path}: clause 'Scope' holds 124,999 characters; a term's text holds at most 100,000"


def test_hostile_markdown_is_read_in_bounded_time(tmp_path):
    """Unclosed markup, long runs of spaces and numbering nested past any agreement's: each
    costs a bounded look, not a scan of the paragraph per character."""
    parts = ["**a " * 20_000, "[" * 90_000, "_x " * 30_000, "# a" + " " * 90_000 + "b", "line\n|---|" + " " * 90_000 + "x",
             "\n".join(".".join(["1"] * n) + " Text." for n in range(1, 40)), "`" * 50_000]
    path = tmp_path / "hostile.md"
    path.write_text("\n\n".join(f"## Part {chr(65 + i)}\n\n{text}" for i, text in enumerate(parts)) + "\n", encoding="utf-8")
    start = time.monotonic()
    keys = [c.key for c in read_clauses(path)]
    assert time.monotonic() - start < 10
    assert max(key.count(".") for key in keys) < 12  # numbers nest at most nine deep


# --- properties of the splitter -----------------------------------------------------------------------

HEADING_WORDS = ["Scope", "Price", "Payment", "Term", "Notices", "Warranty", "Delivery", "Assignment", "Audit", "Insurance", "Data"]
TEXT_WORDS = ["goods", "buyer", "seller", "invoice", "month", "notice", "party", "written", "days", "costs", "risk"]
sentences = st.builds(lambda first, rest: " ".join([first, *rest]) + ".", st.sampled_from(["The", "Each", "Every", "No", "Any"]),
                      st.lists(st.sampled_from(TEXT_WORDS), min_size=1, max_size=5))
paragraphs = st.lists(st.builds(" ".join, st.lists(sentences, min_size=1, max_size=2)), max_size=2)
headings = st.one_of(st.none(), st.builds(" ".join, st.lists(st.sampled_from(HEADING_WORDS), min_size=1, max_size=2, unique=True)))


def _children(depth: int) -> st.SearchStrategy:
    node = st.tuples(headings, paragraphs, _children(depth + 1) if depth < 3 else st.just([]))
    return st.lists(node, max_size=3 if depth > 1 else 4).filter(
        lambda nodes: len({slug(h) for h, _, _ in nodes if h}) == sum(1 for h, _, _ in nodes if h))  # siblings' headings differ


trees = st.tuples(st.one_of(st.none(), st.just("Master Agreement")), paragraphs, _children(1))


def _expected(tree, offset: int = 0) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """The clauses a tree holds: its keys from headings (else numbers), labels and texts."""
    title, preamble, nodes = tree
    out = []
    lead = ([title] if title else []) + preamble
    if lead:
        out.append(("preamble", "Preamble", "\n".join(lead)))

    def walk(nodes, key: str, number: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
        for i, (heading, texts, children) in enumerate(nodes, start=1):
            num = (*number, i + (offset if not number else 0))
            shown = ".".join(map(str, num)) + ("." if len(num) == 1 else "")
            own = slug(heading) if heading else "s" + "_".join(map(str, num))
            full = f"{key}.{own}" if key else own
            if texts or not children:
                out.append((full, f"{shown} {heading}" if heading else shown, "\n".join(texts)))
            walk(children, full, num)

    walk(nodes, "", ())
    return out


def _blocks(tree, offset: int = 0) -> list:  # type: ignore[no-untyped-def]
    """The tree as blocks: top clauses as headings ("2. Payment"), the rest as numbered paragraphs,
    a clause without heading words opening with its number."""
    title, preamble, nodes = tree
    out: list = ([("title", title)] if title else []) + [("para", p) for p in preamble]

    def walk(nodes, number: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
        for i, (heading, texts, children) in enumerate(nodes, start=1):
            num = (*number, i + (offset if not number else 0))
            shown = ".".join(map(str, num)) + ("." if len(num) == 1 else "")
            if len(num) == 1:
                out.append(("heading", 1, f"{shown} {heading}" if heading else shown))
                out.extend(("para", p) for p in texts)
            elif heading or not texts:
                out.append(("para", f"{shown} {heading}" if heading else shown))
                out.extend(("para", p) for p in texts)
            else:
                out.append(("para", f"{shown} {texts[0]}"))
                out.extend(("para", p) for p in texts[1:])
            walk(children, num)

    walk(nodes, ())
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_a_clause_tree_rendered_to_markdown_splits_back_into_its_keys_and_texts(tmp_path, tree):
    expected = _expected(tree)
    assume(any(text for _, _, text in expected))
    md = tmp_path / "tree.md"
    md.write_text(markdown(_blocks(tree)), encoding="utf-8")
    assert clauses_of(md) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_a_clause_tree_rendered_to_word_splits_back_into_its_keys_and_texts(tmp_path, tree):
    expected = _expected(tree)
    assume(any(text for _, _, text in expected))
    assert clauses_of(word(_blocks(tree), tmp_path / "tree.docx")) == expected


def _by_number(key: str) -> bool:
    return any(re.fullmatch(r"s[0-9_]+", part) for part in key.split("."))


@settings(max_examples=100, deadline=None)
@given(tree=trees, offset=st.integers(min_value=1, max_value=5))
# Two sections without headings, each with a "Scope": renumbered, 2.x's key is what 1.x's was.
@example(tree=(None, [], [(None, [], [("Scope", ["The goods goods goods."], [])]), (None, [], [("Scope", ["The goods."], [])])]), offset=1)
def test_a_renumbered_tree_aligns_with_the_original_clause_for_clause(tree, offset):
    original = _expected(tree)
    numbered = [text for key, _, text in original if _by_number(key)]
    assume(all(numbered) and len(set(numbered)) == len(numbered))  # clauses under a number are told by their texts
    assume(any(text for _, _, text in original))
    blocks = _blocks(tree, offset)
    new = split([Para(b[1], title=True) if b[0] == "title" else Para(b[2], heading=b[1]) if b[0] == "heading" else Para(b[1])
                 for b in blocks], "tree")
    result = align({key: text for key, _, text in original}, new)
    assert (result.added, result.dropped, result.changed) == ([], [], set())
    assert {key for key, _, _ in original if not _by_number(key)} <= set(result.kept)  # renumbering alone moves no headed key
    assert len(result.kept) + len(result.moved) + len(result.renames) == len(original)


# --- the example in the README ------------------------------------------------------------------------


def test_the_readme_example_records_and_its_word_copy_splits_alike(tracker, tmp_path):
    examples = REPO / "examples"
    tracker.ok("record", str(examples / "negotiation.yaml"))
    first = tracker.ok("record", "--document", str(examples / "supply-1.md"), "--id", "supply-1", "--tabled-by", "buyer",
                       "--date", "2025-05-01").stdout.splitlines()
    second = tracker.ok("record", "--document", str(examples / "supply-2.md"), "--from", "supply-1", "--id", "supply-2",
                        "--tabled-by", "seller", "--date", "2025-05-08").stdout.splitlines()
    assert first[1] == f"Clauses: 9 from {examples / 'supply-1.md'}, each a new term (a first draft)"
    assert second[1:-1] == [
        f"Clauses: 10 from {examples / 'supply-2.md'} against supply-1's: 6 kept (2 with new text), 2 renamed, 2 added, 1 dropped; 1 split",
        "  renamed  payment.late_payment → payment.interest",
        "  renamed  delivery → performance.delivery (new text)",
        "  split    liability → liability.exclusions, liability.cap",
        "  added    liability.exclusions",
        "  added    liability.cap",
        "  dropped  liability",
    ]
    out = tmp_path / "supply-2.docx"
    subprocess.run([sys.executable, str(examples / "make_docx.py"), str(examples / "supply-2.md"), str(out)], check=True)
    assert clauses_of(out) == clauses_of(examples / "supply-2.md")


def _headings(path: Path) -> list[str]:
    """The clause headings of a Word redline, in the order they stand (deleted and moved-away
    text included: a heading's runs may sit in w:del or w:moveFrom)."""
    import zipfile as zf

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zf.ZipFile(path) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    out = []
    for p in body.iter(f"{w}p"):
        style = p.find(f"{w}pPr/{w}pStyle")
        if style is not None and style.get(f"{w}val") == "Heading1":
            out.append("".join(t.text or "" for t in p.iter(f"{w}t", f"{w}delText")))
    return out


def test_a_document_draft_keeps_its_clauses_order_into_the_word_redline(tracker, tmp_path):
    examples = REPO / "examples"
    tracker.ok("record", str(examples / "negotiation.yaml"))
    tracker.ok("record", "--document", str(examples / "supply-1.md"), "--id", "supply-1", "--tabled-by", "buyer", "--date", "2025-05-01")
    tracker.ok("record", "--document", str(examples / "supply-2.md"), "--from", "supply-1", "--id", "supply-2", "--tabled-by", "seller",
               "--date", "2025-05-08")
    assert tracker.json("show", "supply-2", "--format", "json")["order"] == [
        "preamble", "recitals", "definitions.s1_1", "payment.fees", "payment.interest", "performance.delivery", "governing_law",
        "liability.exclusions", "liability.cap", "schedule_prices.table",
    ]
    tracker.ok("diff", "supply-1", "supply-2", "--format", "docx", "-o", "redline.docx")
    # The document's order, not the keys': what supply-1 alone had stands where it stood there
    # (after 2.1 Fees, the last clause before it that kept its place); renamed clauses that kept
    # their order among the others (2.2, 3.1) are edited in place, not moved (a heading's old and
    # new words read together: "3." deleted, "3.1" inserted); a clause only renumbered keeps its
    # key, and its heading's edit is tracked too ("5." deleted, "4." inserted).
    assert _headings(tmp_path / "redline.docx") == [
        "Preamble", "Recitals", "1.1", "2.1 Fees", "2.2 Late payment Interest", "3.3.1 Delivery", "4. Liability",
        "5.4. Governing law", "5.1 Exclusions", "5.2 Cap", "Table",
    ]


def test_a_draft_from_flags_keeps_its_parents_order_with_renames_in_place(tracker, tmp_path):
    examples = REPO / "examples"
    tracker.ok("record", str(examples / "negotiation.yaml"))
    tracker.ok("record", "--document", str(examples / "supply-1.md"), "--id", "supply-1", "--tabled-by", "buyer", "--date", "2025-05-01")
    tracker.ok("record", "--from", "supply-1", "--id", "supply-1b", "--tabled-by", "seller", "--date", "2025-05-02",
               "--rename", "delivery=shipping", "--drop", "recitals", "--set", "notes_x=text:A new clause.")
    assert tracker.json("show", "supply-1b", "--format", "json")["order"] == [
        "preamble", "definitions.s1_1", "payment.fees", "payment.late_payment", "shipping", "liability", "governing_law",
        "schedule_prices.table",
    ]


def test_an_order_naming_a_term_the_draft_does_not_hold_is_refused(tracker, tmp_path):
    examples = REPO / "examples"
    tracker.ok("record", str(examples / "negotiation.yaml"))
    bad = tmp_path / "d.yaml"
    bad.write_text("kind: draft\nnegotiation: widget-supply\nid: d1\ntitle: D1\ntabled_by: [B]\ndate: 2025-05-01\n"
                   "order: [price, fees]\nterms:\n  price: {value: $5}\n", encoding="utf-8")
    before = snapshot(tracker.url)
    result = tracker("record", str(bad))
    assert result.exit_code == 3, result.output
    assert result.stderr.strip().splitlines() == [f"Error: {bad}:7: order[1]: 'fees' is not a term of the draft"]
    assert snapshot(tracker.url) == before
