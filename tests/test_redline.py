"""Redlines out: a diff as a Word document with native tracked changes (``--format docx``), and
clause redlines drawn whole in the text and Markdown diffs and the HTML report.

The deal below is a contract whose clauses are long text terms with labels, beside typed terms.
Between d3 and d4: the payment clause is edited (Southbank's wording of d2, adopted), the
termination clause dropped, the governing-law clause renamed and moved to the front (d4 states
its clauses' order; d3, stating none, is read in key order), a confidentiality clause added (Southbank's push, with evidence and a quote); the exclusivity
period and the closing date are typed terms. d5, a joint text, renames the scope clause in place
with an edit and adds a notices clause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.render.redline import DELETE, EQUAL, INSERT, paragraphs, redline, spaced

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

NEGOTIATION = """\
kind: negotiation
id: asset-sale
title: Northwind / Southbank asset sale
parties:
  - {code: N, name: Northwind Holdings, aliases: [buyer]}
  - {code: S, name: Southbank Ltd, aliases: [seller]}
sources:
  - {id: letter-0412, outlet: Southbank letter, date: 2025-04-12}
"""

SCOPE = """\
The Seller shall sell and the Buyer shall buy the Assets listed in Schedule 1,
free of any charge, lien or other encumbrance, on the terms of this Agreement."""
PAY_BUYER = """\
The Buyer shall pay the Price in cash on Completion.
Any sum not paid when due bears interest at 4% a year."""
PAY_SELLER = """\
The Buyer shall pay the Price in two instalments: half on Completion and half sixty days after it.
Any sum not paid when due bears interest at 6% a year."""
TERMINATION = "Either party may terminate this Agreement by written notice if Completion has not occurred by 30 June 2025."
LAW = "This Agreement is governed by English law, and the courts of England have exclusive jurisdiction."
CONFIDENTIALITY = "Each party shall keep the terms of this Agreement confidential, except as the law requires."


def clause(key: str, label: str, text: str, *extra: str) -> str:
    body = "\n".join("      " + line for line in text.splitlines())
    return f"  {key}:\n    label: {label}\n    type: text\n    value: |-\n{body}\n" + "".join(f"    {line}\n" for line in extra)


def draft(draft_id: str, tabled: str, date: str, parents: str, terms: str, head: str = "") -> str:
    return (f"kind: draft\nnegotiation: asset-sale\nid: {draft_id}\ntitle: Draft {draft_id}\ntabled_by: [{tabled}]\n"
            f"date: {date}\nparents: [{parents}]\n{head}terms:\n{terms}")


def d1_terms(payment: str = PAY_BUYER, price: str = "$10 million") -> str:
    return (clause("c01_scope", "Scope", SCOPE) + clause("c02_payment", "Payment", payment)
            + clause("c03_termination", "Termination", TERMINATION) + clause("c04_law", "Governing law", LAW)
            + f"  price: {{value: '{price}'}}\n  exclusivity: {{value: 45 days}}\n")


D4_TERMS = (
    clause("c01_scope", "Scope", SCOPE) + clause("c02_payment", "Payment", PAY_SELLER)
    + clause("c05_confidentiality", "Confidentiality", CONFIDENTIALITY,
             "pushed_by: {parties: [S], evidence: \"Southbank's letter of 12 April\"}",
             "sources: [{source: letter-0412, quote: we need a confidentiality clause}]")
    + clause("c09_disputes", "Disputes and governing law", LAW, "renamed_from: c04_law")
    + "  price: {value: '$11 million'}\n  exclusivity: {value: 30 days}\n  closing: {value: 2025-06-30}\n"
)
D5_TERMS = (
    clause("c01_sale", "Scope of the sale", SCOPE.replace("Schedule 1", "Schedule 2"), "renamed_from: c01_scope")
    + clause("c02_payment", "Payment", PAY_SELLER)
    + clause("c05_confidentiality", "Confidentiality", CONFIDENTIALITY)
    + clause("c06_notices", "Notices", "Notices under this Agreement are given in writing to the addresses in Schedule 3.")
    + clause("c09_disputes", "Disputes and governing law", LAW)
    + "  price: {value: '$11 million'}\n  exclusivity: {value: 30 days}\n  closing: {value: 2025-06-30}\n"
)

FILES = {
    "negotiation.yaml": NEGOTIATION,
    "d1.yaml": draft("d1", "N", "2025-04-01", "", d1_terms()),
    "d2.yaml": draft("d2", "S", "2025-04-05", "d1", d1_terms(PAY_SELLER, "$12 million")),
    "d3.yaml": draft("d3", "N", "2025-04-10", "d2", d1_terms(PAY_BUYER, "$11 million")),
    "d4.yaml": draft("d4", "N", "2025-04-15", "d3", D4_TERMS, head="sources: [letter-0412]\norder: [c09_disputes, c01_scope, c02_payment, c05_confidentiality]\n"),
    "d5.yaml": draft("d5", "N, S", "2025-04-20", "d4", D5_TERMS),
}


@pytest.fixture
def deal(tracker):  # type: ignore[no-untyped-def]
    tracker.record_texts(FILES)
    return tracker


def docx_parts(path: Path) -> tuple[object, object]:
    """The document body and the comments part of a .docx, as lxml trees."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/document.xml")), etree.fromstring(z.read("word/comments.xml"))


def text_of(el) -> str:  # type: ignore[no-untyped-def]
    return "".join(t.text or "" for t in el.iter(f"{W}t", f"{W}delText"))


def clauses(body) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Each clause's paragraphs (its heading first), by the heading's text as the draft has it now."""
    out: dict[str, list] = {}
    current = None
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None and style.get(f"{W}val") == "Heading1":
            current = "".join(t.text for t in p.iter(f"{W}t", f"{W}delText") if t.getparent().getparent().tag != f"{W}del")
            current = current or text_of(p)
            out.setdefault(current, [])
        if current is not None:
            out[current].append(p)
    return out


def revisions(paras: list, tag: str) -> list:  # type: ignore[type-arg]
    return [el for p in paras for el in p.iter(f"{W}{tag}")]


def authors_and_dates(paras: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(el.get(f"{W}author"), el.get(f"{W}date")) for p in paras for el in p.iter()
            if el.tag in {f"{W}{t}" for t in ("ins", "del", "moveFrom", "moveTo", "moveFromRangeStart", "moveToRangeStart")}}


def comment_texts(body, comments) -> dict[str, tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    """Each comment: (author, date, its paragraphs' text), by the id of its range in the body."""
    out = {}
    for c in comments.iter(f"{W}comment"):
        out[c.get(f"{W}id")] = (c.get(f"{W}author"), c.get(f"{W}date"), [text_of(p) for p in c.iter(f"{W}p")])
    assert {el.get(f"{W}id") for el in body.iter(f"{W}commentRangeStart")} == set(out)
    assert {el.get(f"{W}id") for el in body.iter(f"{W}commentReference")} == set(out)
    return out


def comment_on(paras: list, comments: dict) -> tuple[str, str, list[str]]:  # type: ignore[type-arg]
    (start,) = revisions(paras, "commentRangeStart")
    return comments[start.get(f"{W}id")]


# --- the Word redline --------------------------------------------------------------------------------


def test_a_docx_redline_tracks_each_clause_change_signed_by_the_party_that_pushed_it(deal, tmp_path):
    done = deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "redline.docx")
    assert done.stdout == ""
    body, comments = docx_parts(tmp_path / "redline.docx")
    notes = comment_texts(body, comments)
    found = clauses(body)
    assert list(found) == ["Disputes and governing law", "Scope", "Payment", "Termination", "Governing law", "Confidentiality",
                           "Other terms"]
    day = "2025-04-15T00:00:00Z"

    # Unchanged: plain paragraphs, a heading and one paragraph per line of the text.
    assert [text_of(p) for p in found["Scope"]] == ["Scope", *SCOPE.splitlines()]
    assert authors_and_dates(found["Scope"]) == set() and not revisions(found["Scope"], "commentRangeStart")

    # Edited: the words Southbank proposed in d2, adopted by Northwind in d4, tracked inside the clause.
    pay = found["Payment"]
    assert [text_of(el) for el in revisions(pay, "del")] == [" cash", " Completion.", " 4%"]
    assert [text_of(el) for el in revisions(pay, "ins")] == [" two instalments: half", " Completion and half sixty days after it.", " 6%"]
    assert all(el.find(f"{W}r/{W}delText") is not None for el in revisions(pay, "del"))
    assert authors_and_dates(pay) == {("Southbank Ltd", day)}
    assert comment_on(pay, notes) == ("Southbank Ltd", day, [
        "c02_payment: changed, -3 +11 words",
        "Southbank Ltd pushed this (adopted from d2): Southbank Ltd proposed this text in d2 (2025-04-05)",
    ])

    # Dropped: every run deleted, every paragraph mark too.
    gone = found["Termination"]
    assert [text_of(el) for el in revisions(gone, "del") if len(el)] == ["Termination", TERMINATION]
    assert all(p.find(f"{W}pPr/{W}rPr/{W}del") is not None for p in gone)
    assert not [t for p in gone for t in p.iter(f"{W}t")]  # nothing left standing
    assert authors_and_dates(gone) == {("Northwind Holdings", day)}
    assert comment_on(gone, notes)[2] == [
        "c03_termination: dropped",
        "Northwind Holdings pushed this (author): Northwind Holdings tabled d4 (2025-04-15), the first draft without it",
    ]

    # Added, pushed by Southbank as the draft says, with its evidence and the quote it cites.
    new = found["Confidentiality"]
    assert [text_of(el) for el in revisions(new, "ins") if len(el)] == ["Confidentiality", CONFIDENTIALITY]
    assert all(p.find(f"{W}pPr/{W}rPr/{W}ins") is not None for p in new)
    assert authors_and_dates(new) == {("Southbank Ltd", day)}
    assert comment_on(new, notes)[2] == [
        "c05_confidentiality: added",
        "Southbank Ltd pushed this (explicit): Southbank's letter of 12 April",
        "“we need a confidentiality clause” — Southbank letter, 2025-04-12 [letter-0412]",
    ]

    # Renamed and out of d3's order: a move, from where c04_law stood to where c09_disputes stands.
    source, target = found["Governing law"], found["Disputes and governing law"]
    (start_from,), (start_to,) = revisions(source, "moveFromRangeStart"), revisions(target, "moveToRangeStart")
    assert start_from.get(f"{W}name") == start_to.get(f"{W}name")
    assert [el.get(f"{W}id") for el in revisions(source, "moveFromRangeEnd")] == [start_from.get(f"{W}id")]
    assert [el.get(f"{W}id") for el in revisions(target, "moveToRangeEnd")] == [start_to.get(f"{W}id")]
    assert [text_of(el) for el in revisions(source, "moveFrom") if len(el)] == ["Governing law", LAW]
    assert [text_of(el) for el in revisions(target, "moveTo") if len(el)] == ["law", LAW]
    assert [text_of(el) for el in revisions(target, "ins") if len(el)] == ["Disputes and governing "]  # its new label
    assert authors_and_dates(source + target) == {("Northwind Holdings", day)}
    assert comment_on(target, notes)[2][0] == "c09_disputes: moved from c04_law"

    # Every annotation has its own id, increasing through the document.
    ids = [int(el.get(f"{W}id")) for el in body.iter() if el.tag in {f"{W}{t}" for t in (
        "ins", "del", "moveFrom", "moveTo", "moveFromRangeStart", "moveToRangeStart", "commentRangeStart")}]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


def test_the_docx_title_names_the_negotiation_and_both_drafts_and_typed_terms_follow_in_a_table(deal, tmp_path):
    import docx

    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "redline.docx")
    doc = docx.Document(str(tmp_path / "redline.docx"))
    title = doc.paragraphs[0]
    assert title.style.name == "Title"
    assert title.text == "Northwind / Southbank asset sale: Draft d4 (d4) against Draft d3 (d3)"
    (table,) = doc.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Term", "Was", "Now", "Pushed by", "Basis"],
        ["exclusivity", "45 days", "30 days", "Northwind Holdings", "author"],
        ["closing", "—", "2025-06-30", "Northwind Holdings", "author"],
    ]
    by_text = {c.text.splitlines()[0]: c for c in doc.comments}
    assert by_text["exclusivity: changed"].author == "Northwind Holdings"
    assert doc.core_properties.title == "Northwind / Southbank asset sale: Draft d4"


def test_a_change_is_dated_by_the_draft_that_introduced_it(deal, tmp_path):
    deal.ok("diff", "d1", "d4", "--format", "docx", "-o", "redline.docx")
    body, comments = docx_parts(tmp_path / "redline.docx")
    found = clauses(body)
    # Southbank's wording first appears in d2 (5 April); across d1 → d4 it is Southbank's, as author.
    assert authors_and_dates(found["Payment"]) == {("Southbank Ltd", "2025-04-05T00:00:00Z")}
    assert comment_on(found["Payment"], comment_texts(body, comments))[2][1] == (
        "Southbank Ltd pushed this (author): Southbank Ltd tabled d2 (2025-04-05), the first draft with it as it is now")


def test_a_joint_text_is_signed_by_both_parties_and_a_rename_in_place_is_an_edit(deal, tmp_path):
    deal.ok("diff", "d4", "d5", "--format", "docx", "-o", "redline.docx")
    body, comments = docx_parts(tmp_path / "redline.docx")
    notes = comment_texts(body, comments)
    found = clauses(body)
    assert list(found) == ["Scope of the sale", "Payment", "Confidentiality", "Notices", "Disputes and governing law"]
    both = ("Northwind Holdings and Southbank Ltd", "2025-04-20T00:00:00Z")
    assert authors_and_dates(found["Notices"]) == {both}
    assert comment_on(found["Notices"], notes)[:2] == both
    # c01_scope → c01_sale keeps its place: no move, its label and one word tracked where it stands.
    sale = found["Scope of the sale"]
    assert not revisions(sale, "moveFrom") and not revisions(sale, "moveTo")
    assert [text_of(el) for el in revisions(sale, "del")] == [" 1,"]
    assert [text_of(el) for el in revisions(sale, "ins")] == [" of the sale", " 2,"]
    assert comment_on(sale, notes)[2][0] == "c01_sale: renamed from c01_scope, -1 +1 words"
    assert not [p for p in body.iter(f"{W}tbl")]  # no typed term changed


def test_a_heading_that_alone_changed_is_tracked_where_the_clause_stands(deal, tmp_path):
    """d6 renames the Payment clause's heading only: same key, same text. The heading's edit is
    tracked (the body is not), signed by the tabling party, with a comment saying so."""
    d6 = D5_TERMS.replace("label: Payment\n", "label: Payment terms\n")
    deal.record_texts({"d6.yaml": draft("d6", "S", "2025-04-25", "d5", d6)})
    deal.ok("diff", "d5", "d6", "--format", "docx", "-o", "redline.docx")
    body, comments = docx_parts(tmp_path / "redline.docx")
    found = clauses(body)
    assert list(found) == ["Scope of the sale", "Payment terms", "Confidentiality", "Notices", "Disputes and governing law"]
    payment = found["Payment terms"]
    assert [text_of(el) for el in revisions(payment, "ins")] == [" terms"] and not revisions(payment, "del")
    assert authors_and_dates(payment) == {("Southbank Ltd", "2025-04-25T00:00:00Z")}
    assert comment_on(payment, comment_texts(body, comments))[2][0] == "c02_payment: heading changed"
    assert all(not revisions(paras, "ins") and not revisions(paras, "del") for name, paras in found.items() if name != "Payment terms")


def test_a_clause_that_keeps_its_key_but_changes_place_is_a_tracked_move(deal, tmp_path):
    """d6 and d7 both state their order; d7 puts the payment clause last and edits it. It is
    moved from where it stood to where it stands, its edit inside the move, signed by d7's
    tabler (order is no change the diff attributes: whoever tabled the newer draft); the clauses
    that kept their order are not moved."""
    order = "order: [c01_sale, c02_payment, c05_confidentiality, c06_notices, c09_disputes]\n"
    d7_terms = D5_TERMS.replace(PAY_SELLER.replace("\n", "\n      "), PAY_SELLER.replace("sixty", "ninety").replace("\n", "\n      "))
    assert d7_terms != D5_TERMS
    deal.record_texts({
        "d6.yaml": draft("d6", "N", "2025-04-25", "d5", D5_TERMS, head=order),
        "d7.yaml": draft("d7", "S", "2025-04-30", "d6", d7_terms,
                         head="order: [c01_sale, c05_confidentiality, c06_notices, c09_disputes, c02_payment]\n"),
    })
    deal.ok("diff", "d6", "d7", "--format", "docx", "-o", "redline.docx")
    body, comments = docx_parts(tmp_path / "redline.docx")
    headings = [text_of(p) for p in body.iter(f"{W}p") if (s := p.find(f"{W}pPr/{W}pStyle")) is not None and s.get(f"{W}val") == "Heading1"]
    assert headings == ["Scope of the sale", "Payment", "Confidentiality", "Notices", "Disputes and governing law", "Payment"]
    found = clauses(body)
    source, target = found["Payment"][:2], found["Payment"][2:]
    (start_from,), (start_to,) = revisions(source, "moveFromRangeStart"), revisions(target, "moveToRangeStart")
    assert start_from.get(f"{W}name") == start_to.get(f"{W}name")
    assert [text_of(el) for el in revisions(target, "ins")] == [" ninety"]
    assert authors_and_dates(source + target) == {("Southbank Ltd", "2025-04-30T00:00:00Z")}
    assert comment_on(target, comment_texts(body, comments))[2][0] == "c02_payment: moved among the clauses, -1 +1 words"
    assert all(not revisions(found[name], "moveFrom") and not revisions(found[name], "moveTo")
               for name in ("Scope of the sale", "Confidentiality", "Notices", "Disputes and governing law"))


def test_the_same_two_drafts_give_the_same_docx_bytes(deal, tmp_path):
    """Every part of the package is dated by the newer draft, not by when the file was written."""
    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "first.docx")
    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "second.docx")
    with zipfile.ZipFile(tmp_path / "first.docx") as z:
        assert z.testzip() is None
        assert {i.date_time for i in z.infolist()} == {(2025, 4, 15, 0, 0, 0)}
    assert (tmp_path / "first.docx").read_bytes() == (tmp_path / "second.docx").read_bytes()


def test_a_binary_format_is_refused_on_standard_output_in_one_line_writing_nothing(deal, tmp_path):
    before = sorted(p.name for p in tmp_path.iterdir())
    for extra in ([], ["-o", "-"]):
        result = deal("diff", "d3", "d4", "--format", "docx", *extra)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == "Error: --format docx writes a binary file: give it with -o FILE.docx; nothing was written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    # A file is written atomically and never over another without --force, as every answer is.
    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "r.docx")
    assert deal("diff", "d3", "d4", "--format", "docx", "-o", "r.docx").exit_code == 5
    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "r.docx", "--force")
    assert zipfile.ZipFile(tmp_path / "r.docx").testzip() is None


def test_help_and_text_diffs_never_import_python_docx(deal, tmp_path):
    code = (
        "import atexit, sys\nfrom tracker.cli import main\n"
        "atexit.register(lambda: print(sorted(m for m in ('docx', 'lxml') if m in sys.modules)))\n"
        "sys.argv = ['tracker', *sys.argv[1:]]\nmain()\n"
    )
    for args in (["--help"], ["diff", "d3", "d4"], ["diff", "d3", "d4", "--format", "markdown"], ["diff", "--help"]):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                             env={**os.environ, "TRACKER_DB_URL": deal.url}, cwd=tmp_path)
        assert run.stdout.splitlines()[-1] == "[]", (args, run.stderr)


# --- LibreOffice reads the tracked changes --------------------------------------------------------------


def find_office() -> str | None:
    return next((path for name in ("soffice", "libreoffice") if (path := shutil.which(name))), None)


@pytest.fixture
def office() -> str:
    found = find_office()
    if found is None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):  # CI is set: LibreOffice must be there
            pytest.fail("LibreOffice is not installed; CI needs it for the Word redline test (.ci/run installs it)")
        pytest.skip("LibreOffice is not installed (apt-get install --no-install-recommends libreoffice-writer-nogui); "
                    "the Word redline's conversion test needs it")
    return found


def test_libreoffice_reads_the_redline_with_the_pushing_parties_as_authors(deal, office, tmp_path):
    from lxml import etree

    deal.ok("diff", "d3", "d4", "--format", "docx", "-o", "redline.docx")
    profile = tmp_path / "office-profile"  # its own profile: no clash with another instance, nothing left in $HOME
    done = subprocess.run([office, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "fodt",
                           "--outdir", str(tmp_path / "out"), str(tmp_path / "redline.docx")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    tree = etree.parse(str(tmp_path / "out" / "redline.fodt"))
    ns = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0", "dc": "http://purl.org/dc/elements/1.1/",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
    regions = tree.findall(".//text:tracked-changes/text:changed-region", ns)
    changes = [(r[0].tag.rpartition("}")[2], r.findtext(".//dc:creator", namespaces=ns), r.findtext(".//dc:date", namespaces=ns))
               for r in regions]
    assert {who for _, who, _ in changes} == {"Southbank Ltd", "Northwind Holdings"}
    assert {kind for kind, _, _ in changes} == {"insertion", "deletion"}  # a move reads as both; nothing else is tracked
    assert {date[:10] for _, _, date in changes} == {"2025-04-15"}
    assert changes.count(("deletion", "Southbank Ltd", "2025-04-15")) == 3  # the payment clause's three deletions
    assert ("insertion", "Southbank Ltd", "2025-04-15") in changes  # the confidentiality clause
    notes = [" ".join(a.itertext()) for a in tree.iterfind(".//office:annotation", ns)]
    assert any("Southbank's letter of 12 April" in n for n in notes)
    assert len(notes) == 6  # four clauses and two typed terms, each with its comment


# --- clause redlines in the text and Markdown diffs, and the HTML report --------------------------------


def test_the_text_diff_draws_a_clause_change_whole_as_its_word_redline(deal):
    out = deal.ok("diff", "d3", "d4").stdout
    assert out == """\
d3 (v3, N, 2025-04-10) → d4 (v4, N, 2025-04-15)
2 changed, 1 renamed, 1 dropped, 2 added, 2 unchanged

Changed (2)
  c02_payment (Payment)  redline below      -3 +11 words        S  adopted from d2  N concession
  exclusivity            45 days → 30 days  -15 days (×0.6667)  N  author           N hardening
    c02_payment evidence: S proposed the value The Buyer shall pay the Price in two instalments: half on Completion and half sixty days after it. Any sum not paid when due bears interes…
    c02_payment redline:
      The Buyer shall pay the Price in [-cash-]{+two instalments: half+} on
        [-Completion.-]{+Completion and half sixty days after it.+}
      Any sum not paid when due bears interest at [-4%-]{+6%+} a year.

Renamed (1)
  c04_law → c09_disputes (Disputes and governing law)  This Agreement is governed by E… (same value)    N  author

Dropped (1)
  c03_termination (Termination)  redline below  -18 words  N  author  N hardening
    c03_termination redline:
      [-Either party may terminate this Agreement by written notice if Completion has
        not occurred by 30 June 2025.-]

Added (2)
  c05_confidentiality (Confidentiality)  redline below  +15 words  S  explicit  N opening
  closing                                2025-06-30                N  author    N opening
    c05_confidentiality evidence: Southbank's letter of 12 April
    c05_confidentiality redline:
      {+Each party shall keep the terms of this Agreement confidential, except as the
        law requires.+}
"""


def test_the_markdown_diff_draws_a_clause_change_as_del_and_ins_after_its_table(deal):
    out = deal.ok("diff", "d4", "d5", "--format", "markdown").stdout
    assert out == """\
## Draft d4 → Draft d5

*d4* (v4, N, 2025-04-15) → *d5* (v5, N, S, 2025-04-20)

0 changed · 1 renamed · 0 dropped · 1 added · 1 annotated · 0 no longer reported · 5 unchanged

### Renamed (1)

| Term | Was → now | Change | Pushed by | Basis | Moves | Evidence |
| --- | --- | --- | --- | --- | --- | --- |
| `c01_scope → c01_sale` (Scope of the sale) | redline below | -1 +1 words | N,S | author | N neutral, S neutral |  |

Redline of `c01_scope → c01_sale` (Scope of the sale):

The Seller shall sell and the Buyer shall buy the Assets listed in Schedule <del>1,</del><ins>2,</ins>

free of any charge, lien or other encumbrance, on the terms of this Agreement.

### Added (1)

| Term | Was → now | Change | Pushed by | Basis | Moves | Evidence |
| --- | --- | --- | --- | --- | --- | --- |
| `c06_notices` (Notices) | redline below | +14 words | N,S | author | N opening, S opening |  |

Redline of `c06_notices` (Notices):

<ins>Notices under this Agreement are given in writing to the addresses in Schedule 3.</ins>

### Same value, new confidence or sources (1)

| Term | Was → now | Change | Pushed by | Basis | Moves | Evidence |
| --- | --- | --- | --- | --- | --- | --- |
| `c05_confidentiality` (Confidentiality) | Each party shall keep the terms of this Agreement confident… | sources -letter-0412; pushed by S → not said |  |  |  |  |
"""


def test_short_text_values_keep_their_one_line_form(tracker):
    tracker.record_texts({
        "negotiation.yaml": NEGOTIATION,
        "a.yaml": draft("a", "N", "2025-04-01", "", "  venue: {value: 'text:London courts'}\n"),
        "b.yaml": draft("b", "S", "2025-04-02", "a", "  venue: {value: 'text:Paris courts'}\n"),
    })
    out = tracker.ok("diff", "a", "b").stdout
    assert "  venue  London courts → Paris courts  [-London-] {+Paris+} courts  S  author" in out
    assert "redline" not in out


def test_the_html_report_shows_clause_redlines_inline(deal, tmp_path):
    deal.ok("report", "--format", "html", "-o", "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ('<div class="redline"><p>The Buyer shall pay the Price in <del>cash</del> <ins>two instalments: half</ins> on '
            '<del>Completion.</del> <ins>Completion and half sixty days after it.</ins></p>') in page
    assert f'<div class="redline"><p><ins>{CONFIDENTIALITY}</ins></p></div>' in page
    # c04_law moved to c09_disputes as it was: its text once, not on both sides of an arrow.
    assert f'<span class="v">{LAW}</span> <span class="meta">(same value)</span>' in page


def test_the_markdown_report_draws_clause_changes_as_redlines_after_each_table(deal):
    out = deal.ok("report", "--format", "markdown").stdout
    d4 = out[out.index("### v4 d4"):out.index("### v5 d5")]
    assert "| `c03_termination` (Termination) | dropped | redline below | — | -18 words | N | author | N hardening |" in d4
    assert "| `c05_confidentiality` (Confidentiality) | added | — | redline below | +15 words | S | explicit | N opening |" in d4
    assert f"| `c04_law → c09_disputes` (Disputes and governing law) | renamed | {LAW} | (same value) |  | N | author |  |" in d4
    assert d4.index("Redline of `c05_confidentiality` (Confidentiality):") > d4.index("| `c05_confidentiality`")
    assert f"<ins>{CONFIDENTIALITY}</ins>" in d4
    assert "<del>Either party may terminate this Agreement by written notice if Completion has not occurred by 30 June 2025.</del>" in d4


# --- the word redline itself ------------------------------------------------------------------------------


def test_a_split_or_joined_paragraph_is_one_break_inserted_or_deleted():
    assert [(p.parts, p.mark) for p in paragraphs(redline("a b\nc d", "a b c d"))] == [
        (((EQUAL, "a b"),), DELETE), (((EQUAL, "c d"),), EQUAL)]
    assert [(p.parts, p.mark) for p in paragraphs(redline("one two", "one\ntwo"))] == [
        (((EQUAL, "one"),), INSERT), (((EQUAL, "two"),), EQUAL)]


WORDS = st.lists(st.lists(st.sampled_from(["a", "b", "cc", "d", "e"]), max_size=5).map(" ".join), max_size=5).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(WORDS, WORDS)
def test_accepting_every_change_gives_the_new_text_and_rejecting_them_the_old(old, new):
    """What Word shows after Accept All / Reject All on the runs the redline writes."""
    paras = paragraphs(redline(old, new))
    runs = spaced(paras)

    def view(hidden: str, kept: tuple[str, ...]) -> str:
        return "".join("".join(t for op, t in parts if op != hidden) + ("\n" if p.mark in kept else "")
                       for p, parts in zip(paras, runs)).removesuffix("\n")

    def plain(text: str) -> str:
        return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.split())

    assert view(DELETE, (EQUAL, INSERT)) == plain(new)
    assert view(INSERT, (EQUAL, DELETE)) == plain(old)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=25, unique=True))
def test_the_clauses_that_stayed_are_a_longest_run_in_order(places):
    """A renamed clause is a move only when it is out of the run of clauses that kept the older
    draft's order: that run is as long as any increasing run of their new places."""
    from tracker.render.clause_order import in_order

    run = in_order(places)
    assert run == sorted(run) and all(places[a] < places[b] for a, b in zip(run, run[1:]))
    best = [1] * len(places)  # the longest increasing run ending at each place, the slow way
    for i in range(len(places)):
        for j in range(i):
            if places[j] < places[i]:
                best[i] = max(best[i], best[j] + 1)
    assert len(run) == max(best, default=0)
