"""Blocks → clauses: where each clause starts, which clause it belongs to, what it says, its key.

A clause starts at a styled heading (Markdown ``#``, Word's Heading n), a Word numbered-list
item, or a paragraph that opens with a number: ``1.``, ``1.1``, ``(a)``, ``Article 3``,
``Section 2.1``; a schedule, annex or exhibit; the recitals ("Recitals", "Background", or a
first "WHEREAS"). Text before the first clause is the preamble; a table is a clause of its own.
A clause's text is its own paragraphs, one per line; the clauses under it are terms of their own.

Nesting follows the numbering: ``2.1`` sits under the open clause numbered ``2``; ``(a)`` under
the clause before it, and ``(i)`` under ``(a)`` (a style of item not yet open is one level
deeper; one already open is a sibling); a styled heading under the nearest heading of a higher
level; a Word list item under the item of a lower list level.

Each clause is then keyed by its place and heading (``keys``).

The rules are heuristics of how agreements are written, kept together so that they can be read
as one: a short line that does not end like a sentence is a heading; a bold lead or a run-in
"Fees. The Buyer…" heads its clause; ``Section 5 survives…`` is text, not a clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from tracker.input.documents.blocks import BOLD_OFF, BOLD_ON, Block, Para, Table, plain
from tracker.input.documents.keys import Clause, Node, clause, emit
from tracker.model.errors import InvalidInput
from tracker.model.termsheet import MAX_TERMS

# A line that names a clause is short: longer, or ending like a sentence, it is the clause's text.
MAX_HEADING_WORDS = 12

_SEPARATORS = " \t.:\u2013\u2014-"
# At most nine levels of numbers, as Word's lists: deeper is no agreement's numbering, and would
# nest clauses without end.
_DECIMAL = re.compile(r"(?P<num>\d{1,3}(?:\.\d{1,3}){1,8})\.?(?=\s|$)|(?P<one>\d{1,3})[.)](?=\s|$)")
_ARTICLE = re.compile(r"(?:article|art\.)\s+(?P<num>\d{1,3}|[ivxlc]{1,7})\.?(?=[\s.:\u2013\u2014-]|$)", re.I)
_SECTION = re.compile(r"(?:section|clause|§)\s*(?P<num>\d{1,3}(?:\.\d{1,3}){0,8})\.?(?=[\s.:\u2013\u2014-]|$)", re.I)
_SCHEDULE = re.compile(
    r"(?P<word>schedule|annexure|annex|appendix|exhibit|attachment)(?:\s+(?P<num>\d{1,3}|[a-z]|[ivxlc]{1,6}))?\.?(?=[\s.:\u2013\u2014-]|$)",
    re.I,
)
_PAREN = re.compile(r"\((?P<num>[A-Za-z]{1,2}|[ivxlcIVXLC]{1,6}|\d{1,3})\)(?=\s|$)|(?P<bare>[a-z])\)(?=\s)")
_RECITALS = re.compile(r"(?:recitals|background)[\s.:]*$", re.I)
_WHEREAS = re.compile(r"whereas\b", re.I)
# "Fees. The Buyer pays…": a run-in heading of up to five words, each capitalised or a small
# word, before the sentence that is the clause's text.
_RUN_IN = re.compile(r"(?P<lead>[A-Z][^\s.]*(?:\s+[^\s.]+){0,4})\.\s+(?=[A-Z\"“(])")
_SMALL_WORDS = frozenset("a an and as at by for in of on or the to with".split())
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}

# Where a starting line would begin a clause: readers of text files start a new paragraph there.
STARTS_CLAUSE = re.compile(
    r"\s*(?:(?:\d{1,3}(?:\.\d{1,3}){1,8}\.?|\d{1,3}[.)]|\((?:[A-Za-z]{1,2}|[ivxlcIVXLC]{1,6}|\d{1,3})\)|[a-z]\))(?:\s|$)"
    r"|(?:article|art\.|section|clause|§|schedule|annexure|annex|appendix|exhibit|attachment|whereas)\b)",
    re.I,
)


def roman(text: str) -> int | None:
    """``iv`` → 4; None for what is not a roman numeral."""
    values = [_ROMAN.get(c) for c in text.lower()]
    if not values or None in values:
        return None
    total = 0
    for i, v in enumerate(values):
        total += -v if i + 1 < len(values) and v < values[i + 1] else v  # type: ignore[operator]
    return total


@dataclass
class _Marker:
    kind: str  # numbered, paren, schedule
    number: str
    end: int  # where the text after the marker (and its separators) starts
    parts: tuple[int, ...] | None = None
    prefix: str = "s"
    word: str | None = None  # a schedule's: schedule, annex, …
    letters: str | None = None  # a paren item's


def _marker(flat: str) -> _Marker | None:
    """The clause marker a paragraph's text opens with."""
    for pattern, kind in ((_SCHEDULE, "schedule"), (_ARTICLE, "article"), (_SECTION, "section"), (_DECIMAL, "decimal"), (_PAREN, "paren")):
        m = pattern.match(flat)
        if m is None:
            continue
        end = m.end()
        while end < len(flat) and flat[end] in _SEPARATORS:
            end += 1
        number = m.group(0).rstrip(" :\u2013\u2014-")
        if kind == "schedule":
            return _Marker("schedule", number, end, word=m.group("word").lower(), letters=(m.group("num") or "").lower() or None)
        if kind == "article":
            num = m.group("num")
            value = int(num) if num.isdigit() else roman(num)
            return _Marker("numbered", number, end, parts=(value,), prefix="art") if value else None
        if kind == "paren":
            return _Marker("paren", number, end, letters=m.group("num") or m.group("bare"))
        digits = m.group("num") or m.group("one")
        return _Marker("numbered", number, end, parts=tuple(int(p) for p in digits.split(".")))
    return None


def _after(rich: str, n: int) -> str:
    """``rich`` after its first ``n`` characters of text (bold marks not counted), with a bold
    span the cut falls in reopened."""
    seen, open_ = 0, False
    for i, ch in enumerate(rich):
        if seen == n:
            rest = rich[i:]
            return BOLD_ON + rest if open_ and not rest.startswith(BOLD_ON) else rest
        if ch == BOLD_ON:
            open_ = True
        elif ch == BOLD_OFF:
            open_ = False
        else:
            seen += 1
    return ""


def _heading_like(text: str) -> bool:
    """A short line that does not end like a sentence and starts with a capital: a heading."""
    first = next((c for c in text if c.isalnum()), "")
    return (bool(text) and len(text.split()) <= MAX_HEADING_WORDS and not text.endswith((".", ";", ",", ":"))
            and (first.isupper() or first.isdigit()))


def _split_heading(rich: str, *, plain_heading: bool, run_in: bool) -> tuple[str | None, str]:
    """A numbered paragraph's heading words (or None) and its text: a bold lead ("**Fees.** The
    Buyer…"), a whole short line ("Governing law"), or a run-in heading ("Fees. The Buyer…")."""
    rich = rich.strip()
    text = plain(rich)
    if not text:
        return None, ""
    if rich.startswith(BOLD_ON):
        lead, _, after = rich[1:].partition(BOLD_OFF)
        lead = plain(lead).rstrip(_SEPARATORS)
        if lead and len(lead.split()) <= MAX_HEADING_WORDS:
            return lead, plain(after).lstrip(_SEPARATORS)
    if plain_heading and _heading_like(text):
        return text.rstrip(" \u2013\u2014-"), ""
    if run_in:
        m = _RUN_IN.match(text)
        if m and all(w[:1].isupper() or w.lower() in _SMALL_WORDS for w in m.group("lead").split()):
            return m.group("lead"), text[m.end():]
    return None, text


def _paren_style(letters: str, stack: list[Node]) -> str:
    """``(a)``, ``(i)``, ``(A)``, ``(I)`` or ``(1)``: ``(i)`` is a letter after an open ``(h)``, a
    numeral otherwise (likewise ``(v)`` after ``(u)``, ``(x)`` after ``(w)``…)."""
    if letters.isdigit():
        return "digit"
    upper = letters.isupper()
    alpha, numeral = ("upper", "upper_roman") if upper else ("alpha", "roman")
    if roman(letters) is None or len(letters) > 1 and len(set(letters)) == 1 and letters[0] not in "ivxIVX":
        return alpha
    items = _open_items(stack)
    previous = chr(ord(letters[0]) - 1) if len(letters) == 1 else None
    if previous and any(n.style == alpha and n.number and n.number.strip("()").rstrip(")") == previous for n in items):
        return alpha
    if any(n.style == numeral for n in items) or letters.lower() == "i":
        return numeral
    return alpha if len(letters) == 1 else numeral


def _open_items(stack: list[Node]) -> list[Node]:
    """The paren items open at the top of the stack, innermost first."""
    out = []
    for node in reversed(stack):
        if node.kind != "paren":
            break
        out.append(node)
    return out


class _Splitter:
    def __init__(self) -> None:
        self.root = Node("root", label="Preamble")
        self.stack = [self.root]
        self.started = False  # a clause has opened: a later WHEREAS is text, not the recitals
        # A number or "SCHEDULE 1" alone on its line: its heading may be the next line ("GOVERNING LAW").
        self.awaiting: Node | None = None

    @property
    def top(self) -> Node:
        return self.stack[-1]

    def open(self, node: Node) -> None:
        self.top.children.append(node)
        self.stack.append(node)
        self.started = True

    def pop_until(self, keep) -> None:  # type: ignore[no-untyped-def]
        while len(self.stack) > 1 and not keep(self.top):
            self.stack.pop()

    def table(self, table: Table) -> None:
        self.awaiting = None
        text = table.text()
        if text:  # a table follows a list of (a), (b) items: it belongs to the clause they are items of
            self._innermost().children.append(Node("table", where=table.where, body=[text]))

    def para(self, para: Para) -> None:
        rich = para.text.strip()
        flat = rich.replace(BOLD_ON, "").replace(BOLD_OFF, "")
        text = plain(flat)
        if not text:
            return
        waiting, self.awaiting = self.awaiting, None
        if waiting is not None and not (para.title or para.bullet or para.heading is not None or para.list_level is not None) \
                and _marker(flat.lstrip()) is None and _heading_like(text) and not _WHEREAS.match(text):
            waiting.heading, waiting.label = text, f"{waiting.label} {text}"
            return
        if para.title or para.bullet:
            self.top.body.append(f"• {text}" if para.bullet else text)
        elif para.heading is not None:
            self.styled(para, flat, text)
        elif para.list_level is not None:
            self.list_item(para, rich)
        else:
            self.paragraph(para, rich, flat, text)

    def styled(self, para: Para, flat: str, text: str) -> None:
        level = para.heading
        self.pop_until(lambda n: n.kind in ("heading", "schedule", "recitals") and n.level is not None and n.level < level)
        label = f"{para.number} {text}" if para.number else text
        m = _marker(flat.lstrip()) if not para.number else None
        if _RECITALS.match(text):
            node = Node("recitals", where=para.where, heading=text.rstrip(_SEPARATORS), label=label, level=level)
        elif m is not None and m.kind == "schedule":
            node = Node("schedule", where=para.where, number=m.number, heading=flat.lstrip()[m.end:].strip() or None, label=label,
                         level=level, prefix=m.word or "schedule", style=m.letters)
        else:
            parts = m.parts if m is not None and m.kind == "numbered" else _number_parts(para.number)
            words = plain(flat.lstrip()[m.end:]) if m is not None and m.kind == "numbered" else text
            node = Node("heading", where=para.where, number=m.number if m and m.kind == "numbered" else para.number, parts=parts,
                         prefix=m.prefix if m is not None else "s", heading=words.rstrip(" .:\u2013\u2014-") or None, label=label, level=level)
        self.open(node)

    def list_item(self, para: Para, rich: str) -> None:
        level = para.list_level or 0
        self.pop_until(lambda n: (n.kind == "list" and (n.level or 0) < level) or n.kind not in ("list", "paren"))
        m = _marker(para.number or "")
        heading, body = _split_heading(rich, plain_heading=True, run_in=True)
        label = " ".join(x for x in (para.number, heading) if x) or plain(rich)
        node = Node("list", where=para.where, number=para.number, parts=m.parts if m else None, prefix=m.prefix if m else "s",
                     style=m.letters.lower() if m and m.letters else None, level=level, heading=heading, label=label)
        self.open(node)
        if body:
            node.body.append(body)

    def paragraph(self, para: Para, rich: str, flat: str, text: str) -> None:
        lead = len(flat) - len(flat.lstrip())
        m = _marker(flat.lstrip())
        in_recitals = any(n.kind == "recitals" for n in self.stack)
        if m is None or m.kind == "paren" and in_recitals and self._innermost().kind == "recitals":
            if _RECITALS.match(text) and not self.started:
                self.pop_until(lambda n: False)
                self.open(Node("recitals", where=para.where, heading=text.rstrip(_SEPARATORS), label=text.rstrip(" :")))
            elif _WHEREAS.match(text) and not self.started:
                self.open(Node("recitals", where=para.where, label="Recitals", body=[text]))
            else:
                self.top.body.append(text)
            return
        rest = _after(rich, lead + m.end)
        if m.kind == "schedule":
            words = plain(rest)
            if words and not _heading_like(words):
                self.top.body.append(text)  # "Schedule 1 sets out the prices." is text
                return
            self.pop_until(lambda n: False)
            self.open(Node("schedule", where=para.where, number=m.number, heading=words or None, label=text.rstrip(" :"),
                            prefix=m.word or "schedule", style=m.letters))
            self.awaiting = None if words else self.top
            return
        if m.kind == "paren":
            style = _paren_style(m.letters or "", self.stack)
            items = _open_items(self.stack)
            same = next((i for i, n in enumerate(items) if n.style == style), None)
            if same is not None:
                del self.stack[len(self.stack) - same - 1:]
            heading, body = _split_heading(rest, plain_heading=False, run_in=False)
            node = Node("paren", where=para.where, number=m.number, style=style, heading=heading,
                         label=f"{m.number} {heading}" if heading else m.number)
            self.open(node)
            if body:
                node.body.append(body)
            return
        word_marker = not m.number[:1].isdigit()  # Article 3, Section 2.1: a heading, or it is text ("Section 5 survives…")
        heading, body = _split_heading(rest, plain_heading=True, run_in=True)
        if word_marker and heading is None and body:
            self.top.body.append(text)
            return
        parts = m.parts or ()
        self.pop_until(lambda n: n.kind == "schedule" or (n.kind == "heading" and n.parts is None)
                       or (n.kind in ("numbered", "heading", "list") and n.parts is not None and len(n.parts) < len(parts)
                           and parts[: len(n.parts)] == n.parts))
        label = f"{m.number} {heading}" if heading and heading != plain(rest) else (text if heading else m.number)
        node = Node("numbered", where=para.where, number=m.number, parts=parts, prefix=m.prefix, heading=heading,
                     label=label.rstrip(" :\u2013\u2014-"))
        self.open(node)
        if body:
            node.body.append(body)
        elif heading is None:
            self.awaiting = node

    def _innermost(self) -> Node:
        return next(n for n in reversed(self.stack) if n.kind != "paren")


def _number_parts(number: str | None) -> tuple[int, ...] | None:
    m = _marker(number or "")
    return m.parts if m is not None and m.kind == "numbered" else None


def _mark_title(blocks: list[Block]) -> None:
    """A lone first-level heading (``#``, Heading 1) that opens the document, above the others and
    without a number, is the document's title (as Word's Title style says), not a clause every
    other would sit under."""
    headings = [b for b in blocks if isinstance(b, Para) and b.heading is not None and plain(b.text)]
    first = next((b for b in blocks if not isinstance(b, Para) or plain(b.text)), None)
    if not headings or first is not headings[0] or first.number or first.heading != 1:
        return
    top = min(b.heading for b in headings)  # type: ignore[type-var]
    if first.heading == top and sum(1 for b in headings if b.heading == top) == 1 and not STARTS_CLAUSE.match(plain(first.text)):
        first.heading, first.title = None, True


def split(blocks: Iterable[Block], name: str) -> list[Clause]:
    """The clauses of a document's blocks, in document order."""
    blocks = list(blocks)
    _mark_title(blocks)
    splitter = _Splitter()
    for block in blocks:
        if isinstance(block, Table):
            splitter.table(block)
        else:
            splitter.para(block)
    out: list[Clause] = []
    root = splitter.root
    if root.body:
        out.append(clause("preamble", root, name))
    emit(root, "", out, name)
    if not any(c.text for c in out):
        raise InvalidInput("holds no text to record", where=name)
    if len(out) > MAX_TERMS:
        raise InvalidInput(f"has {len(out):,} clauses; a draft holds at most {MAX_TERMS:,} terms", where=name)
    return out
