"""Clause keys: a clause's place and heading → its term key.

Keys never hold a clause's number where it has a heading, so that renumbering alone changes no
key: the heading's words, lowercase ASCII joined by ``_`` (``Governing law`` → ``governing_law``,
NFKD-transliterated: ``Gewährleistung`` → ``gewahrleistung``), after the parent clause's key and a
dot where the numbering nests (``payment.fees``). Without heading words the number stands in
(``s3_1`` for 3.1 or Section 3.1, ``art3``, ``a`` for (a), ``p1`` for (1)); ``preamble``,
``recitals``, ``schedule_1`` (``schedule_price_list`` when titled; likewise ``annex_…``,
``exhibit_…``) and ``table`` name the rest. Siblings with one key are told apart in document
order: ``general``, ``general_2``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from tracker.model.errors import InvalidInput

MAX_TEXT = 100_000  # a text value's limit (values.Text)
MAX_SEGMENT = 48  # characters of a heading's words kept in a key
MAX_KEY = 200  # a term key's limit (termsheet.TermKey)
MAX_LABEL = 200
# Letters NFKD leaves whole: spelt out so that "Gewährleistung" and "Straße" keep their words.
_SPELLED = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
                          "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "’": "", "'": ""})


@dataclass
class Clause:
    """One clause as a term: its key, its label (the heading as written, number included), its
    text, its heading's words, and whether its key stands for its number (``s3_1``: no heading
    words), so that a new number says nothing of which clause it is."""

    key: str
    label: str
    text: str
    heading: str | None = None
    by_number: bool = False
    where: str = ""
    under_number: bool = False  # a clause above it is keyed by its number (``s3.scope``): so is this key, in part


@dataclass
class Node:
    """A clause as the splitter finds it: what it is, its number, heading, text and the clauses under it."""

    kind: str  # root, heading, numbered, list, paren, schedule, recitals, table
    where: str = ""
    number: str | None = None  # the number as written: "3.1", "Article 3", "(a)"
    parts: tuple[int, ...] | None = None  # a decimal number's parts, for nesting 2.1 under 2
    prefix: str = "s"  # of a number standing in for a key: s3_1, art3
    style: str | None = None  # a paren item's: alpha, roman, upper, upper_roman, digit; a schedule's number
    level: int | None = None  # a styled heading's or a list item's
    heading: str | None = None
    label: str = ""
    body: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)


def slug(text: str) -> str:
    """``"Gewährleistung & Haftung"`` → ``gewahrleistung_haftung``: NFKD-transliterated ASCII words,
    lowercase, joined by ``_``, cut at a word to ``MAX_SEGMENT`` characters ('' when none is left)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_SPELLED)).encode("ascii", "ignore").decode()
    out = ""
    for word in re.findall(r"[a-z0-9]+", ascii_text.lower()):
        joined = f"{out}_{word}" if out else word
        if len(joined) > MAX_SEGMENT:
            return out or word[:MAX_SEGMENT]
        out = joined
    return out


def segment(node: Node) -> str:
    """A clause's own part of its key: its heading's words, else what names it by place."""
    if node.kind == "recitals":
        return "recitals"
    if node.kind == "table":
        return "table"
    if node.kind == "schedule":
        named = slug(node.heading or "") or (node.style or "")
        return f"{node.prefix}_{named}" if named else node.prefix
    words = slug(node.heading or "")
    if words:
        return words
    if node.parts:
        return f"{node.prefix}{'_'.join(str(p) for p in node.parts)}"
    if node.style and node.number:
        letters = re.sub(r"[^0-9A-Za-z]", "", node.number).lower()
        return f"p{letters}" if letters.isdigit() else letters
    return slug(node.number or "") or "clause"


def emit(node: Node, key: str, out: list[Clause], name: str, numbered: bool = False) -> None:
    """The clauses under ``node`` (keyed ``key``), in document order; ``numbered``: a part of
    ``key`` stands for a number."""
    segments = [segment(child) for child in node.children]
    used = {"preamble"} if node.kind == "root" and node.body else set()
    taken = used | set(segments)  # each segment is kept for its first holder; later ones take the next free _2, _3
    tables = 0
    for child, seg in zip(node.children, segments):
        if seg in used:
            n = 2
            while f"{seg}_{n}" in taken:
                n += 1
            seg = f"{seg}_{n}"
            taken.add(seg)
        used.add(seg)
        if child.kind == "table":
            tables += 1
            child.label = "Table" if tables == 1 else f"Table {tables}"
        child_key = f"{key}.{seg}" if key else seg
        if len(child_key) > MAX_KEY:
            child_key = child_key[:MAX_KEY].rstrip("._-")
        found = clause(child_key, child, name, numbered)
        if child.body or not child.children:
            out.append(found)
        emit(child, child_key, out, name, numbered or found.by_number)


def clause(key: str, node: Node, name: str, numbered: bool = False) -> Clause:
    text = "\n".join(node.body)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"clause {node.label[:60]!r} holds {len(text):,} characters; a term's text holds at most {MAX_TEXT:,}", where=name)
    label = node.label if len(node.label) <= MAX_LABEL else node.label[: MAX_LABEL - 1] + "…"
    named = node.kind in ("table", "root", "recitals")
    return Clause(key, label, text, None if named else node.heading, not named and not slug(node.heading or ""), node.where, numbered)
