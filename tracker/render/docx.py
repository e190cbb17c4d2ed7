"""The Word redline: the newer draft as a .docx, with tracked changes against the older one.

Every text term is a clause: its label (else its key) a heading, its text the paragraphs under
it, in the order the newer draft gives its terms (a document's clauses, ``DraftHeader.order``; a
clause only the older draft has stands after the one before it there; without an order, by key,
digits read as numbers: ``s2`` before ``s10``). A changed
clause carries its word redline (``w:del``/``w:ins``, from ``redline.py``, the routine the text,
Markdown and HTML views share); a clause added or dropped is inserted or deleted whole, its
paragraph marks too (``w:pPr/w:rPr/w:ins``). A renamed clause that changes place is a move,
``w:moveFrom`` where its old key stood and ``w:moveTo`` where its new one stands, each inside
its named range (``w:moveFromRangeStart``…``End``) as Word writes a move; one that keeps its
place is tracked there like any edit. So is a move of a clause that keeps its key, between two
drafts that both state their order (a draft that states none says nothing of where its clauses
stand): signed by whoever tabled the newer draft, since the diff attributes no order. Each revision's author is the party (or parties) that
pushed the change, its date that of the draft that introduced it, and a comment on the clause
gives the basis and the evidence, with the quotes the term cites. Changes to typed terms
(money, dates, …) follow in a table, each with its comment. Every annotation (revision, range,
comment) has its own ``w:id``, increasing through the document.

python-docx makes the package, its styles and its comments part; it has no API for tracked
changes, so the revisions are written as WordprocessingML with its oxml helpers. Imported only
for ``--format docx``: no other command loads python-docx. The same two drafts give the same
bytes: every part of the package is dated by the newer draft, not by when it was written.

Some 460 lines on purpose: the ways a clause is drawn (kept, edited, inserted, deleted, moved,
renamed in place), the comments and the typed terms' table all write into one document and share
its running annotation ids, its places and its authors; split, they would pass that state around.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Iterable

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tracker.model.plain import escaped
from tracker.render.clause_order import Places, orders
from tracker.render.redline import (
    DELETE,
    EQUAL,
    INSERT,
    Paragraph,
    Segment,
    counts_text,
    paragraphs,
    redline,
    side_text,
    spaced,
)

VALUE_KINDS = ("changed", "renamed", "dropped", "added")
# How each part of a redline is wrapped (outermost first), by what happened to it, in each way a
# clause is drawn. A moved clause's source holds its old text, its destination the new one: the
# words kept moved there, the words added inserted. The words it lost are seen at the source, not
# again at the destination: a word moved and then deleted would be a revision inside another,
# which LibreOffice drops when it reads the file (accepting or rejecting all reads right either way).
EDIT = {EQUAL: (), DELETE: ("w:del",), INSERT: ("w:ins",)}
MOVE_FROM = {EQUAL: ("w:moveFrom",)}
MOVE_TO = {EQUAL: ("w:moveTo",), INSERT: ("w:ins",)}
# A paragraph mark's revisions, in the order the schema wants them in its w:rPr.
MARK_ORDER = ("w:ins", "w:del", "w:moveFrom", "w:moveTo")
# XML 1.0 cannot hold these at all; the control characters among them are shown escaped first.
NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Who:
    """A revision's author and date, and its comment's initials."""

    author: str
    date: str  # ISO 8601, as w:date takes it
    initials: str


def diff(d: Any, *, sheet: Any) -> bytes:
    """The newer draft of ``d`` (a ``DraftDiff``) as a Word document with tracked changes;
    ``sheet``: its every term and every draft's date (``compare.DraftText``)."""
    return _Redline(d, sheet).build()


def xml_text(text: str) -> str:
    return NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped(text))


@dataclass
class _Moved:
    """A clause that kept its key and its text but not its place: no change of the diff (which
    attributes no order), drawn as a move by whoever tabled the newer draft."""

    term: str
    old: Any
    new: Any
    old_term: str | None = None
    attribution: Any = None
    value_changed: bool = False


def _kept(segments: list[Segment]) -> list[Segment]:
    """A redline without its deletions: the new text, the words it added marked."""
    return [seg for seg in segments if seg.op != DELETE]


def _named(record: Any) -> str:
    """A draft by its title and id (once, where it has no title of its own)."""
    title = record.header.title
    return record.id if title == record.id else f"{title} ({record.id})"


class _Redline:
    def __init__(self, d: Any, sheet: Any):
        self.d, self.sheet = d, sheet
        renamed = {c.old_term: c.term for c in d.result.changes if c.kind == "renamed" and c.old_term}
        self.places = Places(*orders(d, sheet), renamed)
        # A clause that keeps its key moves only between two drafts that both state their order
        # (a draft that states none is drawn by key, which says nothing of where its clauses stand).
        self.both_ordered = bool(d.new.header.order) and d.old is not None and bool(d.old.header.order)
        self.negotiation = d.negotiation
        self.doc = Document()
        self.next_id = 0
        self.move_names: dict[str, str] = {}  # a moved clause's key now → the name its two ranges share

    # --- who, when, why --------------------------------------------------------------------

    def names(self, codes: Iterable[str]) -> str:
        out = []
        for code in codes:
            party = self.negotiation.party(code)
            out.append(party.name if party else code)
        return " and ".join(out)

    def date(self, draft: str) -> dt.date:
        return self.sheet.dates.get(draft, self.d.new.header.date)

    def who(self, c: Any) -> Who:
        a = c.attribution
        codes = a.pushed_by if a else self.d.new.header.tabled_by  # no attribution: whoever tabled the newer draft
        day = self.date(a.introduced_in if a else self.d.new.id)
        return Who(self.names(codes), f"{day.isoformat()}T00:00:00Z", ",".join(codes))

    def why(self, c: Any, what: str, clause: bool = True) -> str:
        """A comment's text: the change, who pushed it on what basis, the evidence, the quotes."""
        a = c.attribution
        lines = [what]
        if a is not None:
            names = self.names(a.pushed_by)
            basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
            if a.basis == "adopted" and clause and c.new is not None and side_text(c.new.value):
                # The evidence quotes the value taken up: for a clause, the whole text again.
                evidence = f"{names} proposed this text in {a.adopted_from} ({self.date(a.adopted_from).isoformat()})"
            elif a.evidence:
                evidence = a.evidence
            elif a.basis == "author":
                gone = c.new is None or c.new.value.type == "none"
                evidence = (f"{names} tabled {a.introduced_in} ({self.date(a.introduced_in).isoformat()}), "
                            f"the first draft {'without it' if gone else 'with it as it is now'}")
            else:
                evidence = f"{a.introduced_in} says so"
            lines.append(f"{names} pushed this ({basis}): {evidence}")
        term = c.new if c.new is not None else c.old
        for cited in term.sources if term is not None else ():
            source = self.negotiation.source(cited.source)
            where = ", ".join([source.outlet] + ([source.date.isoformat()] if source.date else [])) if source else cited.source
            if cited.quote:
                lines.append(f"“{cited.quote}” — {where} [{cited.source}]")
            else:
                lines.append(f"Source: {where} [{cited.source}]")
        return "\n".join(xml_text(line) for line in lines)

    # --- WordprocessingML ------------------------------------------------------------------

    def new_id(self) -> str:
        n, self.next_id = self.next_id, self.next_id + 1
        return str(n)

    def revision(self, tag: str, who: Who, **extra: str) -> Any:
        attrs = {qn("w:id"): self.new_id(), qn("w:author"): who.author, qn("w:date"): who.date}
        attrs.update({qn(f"w:{k}"): v for k, v in extra.items()})
        return OxmlElement(tag, attrs=attrs)

    def paragraph(self, style: str | None = None) -> Any:
        return self.doc.add_paragraph(style=style)._p

    @staticmethod
    def run(text: str, deleted: bool = False) -> Any:
        r = OxmlElement("w:r")
        t = OxmlElement("w:delText" if deleted else "w:t")
        t.text = xml_text(text)
        if text != text.strip():
            t.set(qn("xml:space"), "preserve")
        r.append(t)
        return r

    def mark(self, p: Any, para: Paragraph, wraps: dict[str, tuple[str, ...]], who: Who) -> None:
        """What happened to a paragraph's mark (``w:pPr/w:rPr``), as ``wraps`` says."""
        marks = sorted(wraps[para.mark], key=MARK_ORDER.index)
        if marks:
            rpr = OxmlElement("w:rPr")
            for tag in marks:
                rpr.append(self.revision(tag, who))
            p.get_or_add_pPr().append(rpr)

    def write(self, p: Any, parts: list[tuple[str, str]], wraps: dict[str, tuple[str, ...]], who: Who) -> None:
        """A paragraph's words, each part wrapped as ``wraps`` says."""
        for op, text in parts:
            tags = wraps[op]
            outer = [self.revision(tag, who) for tag in tags]  # ids in document order: outermost first
            node = self.run(text, deleted="w:del" in tags)
            for el in reversed(outer):
                el.append(node)
                node = el
            p.append(node)

    def clause(self, heading: list[Paragraph], body: list[Paragraph], wraps: dict[str, tuple[str, ...]],
               who: Who | None = None, comment: str | None = None, move: tuple[str, str] | None = None) -> None:
        """A clause's heading and body paragraphs; ``comment`` spans them all; ``move``: (range
        element, name) of the move it is a side of."""
        ps = [self.paragraph("Heading 1")] + [self.paragraph() for _ in body]
        who = who or Who("", "", "")  # an unchanged clause: no revision to sign
        # Ids are given in document order: a paragraph's mark (in its properties) comes first.
        for i, (p, para, parts) in enumerate(zip(ps, heading + body, spaced(heading) + spaced(body))):
            self.mark(p, para, wraps, who)
            if i == 0 and comment is not None:
                cid = self.comment(comment, who)
                p.append(OxmlElement("w:commentRangeStart", attrs={qn("w:id"): cid}))
            if i == 0 and move is not None:
                rng = self.revision(f"{move[0]}Start", who, name=move[1])
                p.append(rng)
            self.write(p, parts, wraps, who)
        last = ps[-1]
        if move is not None:
            last.append(OxmlElement(f"{move[0]}End", attrs={qn("w:id"): rng.get(qn("w:id"))}))
        if comment is not None:
            last.append(OxmlElement("w:commentRangeEnd", attrs={qn("w:id"): cid}))
            last.append(self.reference(cid))

    def comment(self, text: str, who: Who) -> str:
        """A comment in the comments part, by ``who``; its id."""
        cid = self.new_id()
        element = self.doc.comments.add_comment(text=text, author=who.author, initials=who.initials)._comment_elm
        # python-docx numbers comments on its own, and dates them now: one series of ids serves
        # every annotation of the document, and a comment is dated as its change.
        element.set(qn("w:id"), cid)
        element.set(qn("w:date"), who.date)
        return cid

    @staticmethod
    def reference(cid: str) -> Any:
        """The run that shows a comment's mark where its range ends."""
        ref = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:rStyle", attrs={qn("w:val"): "CommentReference"}))
        ref.append(rpr)
        ref.append(OxmlElement("w:commentReference", attrs={qn("w:id"): cid}))
        return ref

    # --- the document ----------------------------------------------------------------------

    def build(self) -> bytes:
        d = self.d
        old, new = d.old, d.new
        neg = self.negotiation
        self.properties()
        against = _named(old) if old is not None else "nothing (its opening terms)"
        self.doc.add_heading(xml_text(f"{neg.title}: {_named(new)} against {against}"), level=0)
        self.doc.add_paragraph(xml_text(self.introduction()))
        clauses, table, unstated = self.sort_changes()
        for _, entry in sorted(clauses, key=lambda e: e[0]):
            entry()
        if table:
            self.typed_table(table)
        if unstated:
            self.doc.add_paragraph(xml_text(
                f"Not stated by {new.id} (known from reports that do not mention them: unknown there, not dropped): "
                + ", ".join(unstated)))
        out = io.BytesIO()
        self.doc.save(out)
        return _dated(out.getvalue(), new.header.date)

    def introduction(self) -> str:
        d = self.d

        def said(r: Any) -> str:
            return f"{r.id} (v{r.seq}, tabled by {self.names(r.header.tabled_by)}, {r.header.date.isoformat()})"

        text = (f"Tracked changes: what {said(d.new)} changed in {said(d.old)}. " if d.old is not None
                else f"Tracked changes: {said(d.new)}, every term added. ")
        text += ("Each revision's author is the party that pushed the change, dated by the draft that introduced it; "
                 "its comment gives the basis and the evidence.")
        if d.new.header.coverage == "partial":
            text += f" {d.new.id} is known from reports: a clause they do not mention is shown as it was before."
        return text

    def properties(self) -> None:
        cp = self.doc.core_properties
        neg, new = self.negotiation, self.d.new
        cp.title = xml_text(f"{neg.title}: {new.header.title}")[:255]
        cp.subject = xml_text(f"{new.id} against {self.d.old.id}" if self.d.old is not None else new.id)[:255]
        cp.author = cp.last_modified_by = cp.comments = ""
        day = dt.datetime.combine(new.header.date, dt.time(), dt.timezone.utc)
        cp.created = cp.modified = day
        cp.revision = 1

    def sort_changes(self) -> tuple[list[tuple[Any, Any]], list[Any], list[str]]:
        """(place, draw) for each clause in draft order, the typed terms' changes, the terms
        the newer draft does not state."""
        terms = self.sheet.terms
        clause_changes: dict[str, Any] = {}
        table, unstated, renamed = [], [], []
        entries: list[tuple[Any, Any]] = []
        for c in self.d.result.changes:
            if c.kind == "unreported":
                unstated.append(c.term)
                continue
            if c.kind == "annotated" and "label" in c.annotations and side_text(c.old.value) and side_text(c.new.value):
                clause_changes[c.term] = c  # the same text under another heading: the heading's edit is tracked
                continue
            if c.kind not in VALUE_KINDS:
                continue
            a = side_text(c.old.value if c.old is not None else None)
            b = side_text(c.new.value if c.new is not None else None)
            if a is None or b is None:  # a typed value on either side: the table shows both
                table.append(c)
            if c.kind == "renamed" and a and b:
                renamed.append(c)
            elif a and not b:  # no text now (dropped, none, or a typed value): deleted where it stood
                entries.append((self.places.old(c.old_term or c.term), lambda c=c, a=a: self.deleted(c, a)))
            if b:
                clause_changes[c.term] = c
        for key, term in terms.items():
            if term.value.type != "text":
                continue
            c = clause_changes.get(key)
            if c in renamed:
                continue  # placed below, once every other clause has its place
            if self.both_ordered and key in self.places.moved and (c is None or side_text(c.old.value if c.old is not None else None)):
                # The same key out of the older draft's order: a move, its edits (if any) in it.
                moved = c if c is not None else _Moved(key, term, term)
                entries.append((self.places.old(key), lambda c=moved: self.moved_from(c)))
                entries.append((self.places.new(key), lambda c=moved: self.moved_to(c)))
            elif c is None:
                entries.append((self.places.new(key), lambda key=key, term=term: self.unchanged(key, term)))
            elif side_text(c.old.value if c.old is not None else None):
                entries.append((self.places.new(key), lambda c=c: self.edited(c)))
            else:
                entries.append((self.places.new(key), lambda c=c: self.inserted(c)))
        for c in renamed:
            if c.term in self.places.moved:  # out of the older draft's order: a move
                entries.append((self.places.old(c.old_term), lambda c=c: self.moved_from(c)))
                entries.append((self.places.new(c.term), lambda c=c: self.moved_to(c)))
            else:
                entries.append((self.places.new(c.term), lambda c=c: self.renamed_in_place(c)))
        return entries, table, unstated

    # --- the ways a clause is drawn ------------------------------------------------------------

    @staticmethod
    def heading(term: Any, key: str) -> str:
        return term.label if term is not None and term.label else key

    def unchanged(self, key: str, term: Any) -> None:
        text = term.value.value
        self.clause(paragraphs(redline(self.heading(term, key), self.heading(term, key))), paragraphs(redline(text, text)), EDIT)

    def edited(self, c: Any) -> None:
        segments = redline(c.old.value.value, c.new.value.value)
        what = f"{c.term}: heading changed" if c.kind == "annotated" else f"{c.term}: changed, {counts_text(segments)}"
        self.clause(paragraphs(redline(self.heading(c.old, c.term), self.heading(c.new, c.term))), paragraphs(segments), EDIT,
                    self.who(c), self.why(c, what))

    def inserted(self, c: Any) -> None:
        text = c.new.value.value
        self.clause(paragraphs(redline("", self.heading(c.new, c.term)), INSERT), paragraphs(redline("", text), INSERT), EDIT,
                    self.who(c), self.why(c, f"{c.term}: added"))

    def deleted(self, c: Any, text: str) -> None:
        term = c.old
        self.clause(paragraphs(redline(self.heading(term, c.term), ""), DELETE), paragraphs(redline(text, ""), DELETE), EDIT,
                    self.who(c), self.why(c, f"{c.term}: dropped" if c.new is None else f"{c.term}: now none (left out of the text)"))

    def move_name(self, c: Any) -> str:
        return self.move_names.setdefault(c.term, f"move-{len(self.move_names) + 1}")

    def moved_from(self, c: Any) -> None:
        text, head = c.old.value.value, self.heading(c.old, c.old_term or c.term)
        self.clause(paragraphs(redline(head, head)), paragraphs(redline(text, text)), MOVE_FROM, self.who(c),
                    move=("w:moveFromRange", self.move_name(c)))

    def moved_to(self, c: Any) -> None:
        segments = redline(c.old.value.value, c.new.value.value)
        edits = f", {counts_text(segments)}" if c.value_changed else ""
        heading = redline(self.heading(c.old, c.old_term or c.term), self.heading(c.new, c.term))
        what = f"{c.term}: moved from {c.old_term}{edits}" if c.old_term else f"{c.term}: moved among the clauses{edits}"
        self.clause(paragraphs(_kept(heading)), paragraphs(_kept(segments)), MOVE_TO,
                    self.who(c), self.why(c, what), move=("w:moveToRange", self.move_name(c)))

    def renamed_in_place(self, c: Any) -> None:
        """A renamed clause that keeps its place among the others: its edits, if any, tracked there."""
        segments = redline(c.old.value.value, c.new.value.value)
        edits = f", {counts_text(segments)}" if c.delta else ""
        self.clause(paragraphs(redline(self.heading(c.old, c.old_term), self.heading(c.new, c.term))), paragraphs(segments), EDIT,
                    self.who(c), self.why(c, f"{c.term}: renamed from {c.old_term}{edits}"))

    # --- typed terms -----------------------------------------------------------------------------

    def typed_table(self, changes: list[Any]) -> None:
        self.doc.add_heading("Other terms", level=1)
        table = self.doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, ("Term", "Was", "Now", "Pushed by", "Basis")):
            cell.paragraphs[0].add_run(title).bold = True
        for c in changes:
            name = f"{c.old_term} → {c.term}" if c.old_term else c.term
            label = c.label
            a = c.attribution
            basis = ""
            if a is not None:
                basis = a.basis + (f" from {a.adopted_from}" if a.adopted_from else "")
                if a.introduced_in != self.d.new.id:
                    basis += f" (in {a.introduced_in})"
                if a.evidence:
                    basis += f": {a.evidence}"
            row = table.add_row().cells
            values = (f"{name} ({label})" if label else name, self.value(c.old), self.value(c.new),
                      self.names(a.pushed_by) if a else "", basis)
            for cell, text in zip(row, values):
                cell.paragraphs[0].add_run(xml_text(text))
            cid = self.comment(self.why(c, f"{c.term}: {c.kind}", clause=False), self.who(c))
            r = row[0].paragraphs[0].runs[0]._r  # the comment marks the term's name
            r.addprevious(OxmlElement("w:commentRangeStart", attrs={qn("w:id"): cid}))
            r.addnext(self.reference(cid))
            r.addnext(OxmlElement("w:commentRangeEnd", attrs={qn("w:id"): cid}))

    @staticmethod
    def value(term: Any) -> str:
        if term is None:
            return "—"
        return term.value.short() + (" (left for later)" if term.deferred else "")


def _dated(package: bytes, day: dt.date) -> bytes:
    """The package with every part dated ``day`` (python-docx stamps each with the time it was
    written): the same redline is byte for byte the same file, whenever it is made."""
    import zipfile

    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)  # a zip's dates start in 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, stamp)
            entry.compress_type, entry.external_attr = item.compress_type, item.external_attr
            target.writestr(entry, source.read(item))
    return out.getvalue()
