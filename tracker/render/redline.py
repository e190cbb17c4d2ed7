"""Word-level redlines of clause text: the one routine the text, Markdown, HTML and Word
renderers draw a changed clause with.

A clause is read as paragraphs (its lines; blank ones are not paragraphs) of words. The two
texts are compared word by word with difflib, a paragraph break counting as a word of its own:
an edit inside a paragraph stays inside it, and a paragraph split or joined is one inserted or
deleted break, as a word processor tracks a paragraph mark. Spacing inside a paragraph is not
compared (a run of spaces is one space), as a reader does not see it.

Which changes are drawn as a redline: in the text and Markdown diffs and the HTML report, a
change of value where both sides are text (or absent) and one of them is long — it has a line
break or does not fit ``SHORT`` characters, the width values are clipped to in text tables;
shorter ones keep their one-line form. The Word redline draws every text term as a clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from tracker.engine.diff import BREAK, word_edits
from tracker.model.plain import escaped

EQUAL, DELETE, INSERT = "equal", "delete", "insert"
SHORT = 32  # longer text, or text with a line break, is a clause: drawn as a redline


@dataclass(frozen=True)
class Segment:
    op: str  # equal | delete | insert
    words: tuple[str, ...]  # BREAK among them where a paragraph ends


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[tuple[str, str], ...]  # (op, text): words of one op joined by single spaces
    mark: str  # what happened to the break that ends it (the clause's last: equal)


def redline(old: str, new: str) -> list[Segment]:
    """The word-level edits from ``old`` to ``new`` (the diff engine's ``word_edits``)."""
    return [Segment(op, ws) for op, ws in word_edits(old, new)]


def paragraphs(segments: Iterable[Segment], last: str = EQUAL) -> list[Paragraph]:
    """The segments cut into paragraphs at each break, kept, dropped or added (``mark``).
    ``last``: the mark of the final paragraph (inserted or deleted with a whole clause)."""
    out: list[Paragraph] = []
    parts: list[tuple[str, str]] = []
    for seg in segments:
        run: list[str] = []
        for word in seg.words:
            if word != BREAK:
                run.append(word)
                continue
            if run:
                parts.append((seg.op, " ".join(run)))
                run = []
            out.append(Paragraph(tuple(parts), seg.op))
            parts = []
        if run:
            parts.append((seg.op, " ".join(run)))
    out.append(Paragraph(tuple(parts), last))  # neither text ends in a break: the last paragraph has words
    return out


def spaced(paras: list[Paragraph]) -> list[list[tuple[str, str]]]:
    """Each paragraph's parts with the spaces between words, every space in a part that reads
    right both ways: with the changes accepted (equal and inserted words, the breaks kept or
    added) and rejected (equal and deleted words, the breaks kept or deleted), words stand one
    space apart and no space leads or trails a paragraph. A space goes with the word after it,
    and shows where both words do; a break only one text has is a space in the other (a joined
    paragraph needs one)."""
    shows = {EQUAL: (True, True), INSERT: (True, False), DELETE: (False, True)}  # (accepted, rejected)
    out: list[list[tuple[str, str]]] = []
    seen = (False, False)  # a word shown since the last break, in each view
    for paragraph in paras:
        parts: list[list[str]] = []
        for op, text in paragraph.parts:
            view = shows[op]
            sep = next((o for o, v in shows.items() if v == (view[0] and seen[0], view[1] and seen[1])), None)
            if sep == op:
                text = " " + text
            elif sep is not None and parts and parts[-1][0] == sep:
                parts[-1][1] += " "
            elif sep is not None:
                parts.append([sep, " "])
            if parts and parts[-1][0] == op:
                parts[-1][1] += text
            else:
                parts.append([op, text])
            seen = (seen[0] or view[0], seen[1] or view[1])
        out.append([(op, text) for op, text in parts])
        breaks = shows[paragraph.mark]  # a view the break shows in starts afresh
        seen = (seen[0] and not breaks[0], seen[1] and not breaks[1])
    return out


def counts(segments: Iterable[Segment]) -> tuple[int, int]:
    """How many words were deleted and inserted (paragraph breaks not counted)."""
    deleted = inserted = 0
    for seg in segments:
        n = sum(1 for w in seg.words if w != BREAK)
        if seg.op == DELETE:
            deleted += n
        elif seg.op == INSERT:
            inserted += n
    return deleted, inserted


def counts_text(segments: Iterable[Segment]) -> str:
    """``-3 +5 words``, ``+40 words``; ``layout only`` where no word changed (spacing, paragraph breaks)."""
    deleted, inserted = counts(segments)
    if not deleted and not inserted:
        return "layout only"
    bits = ([f"-{deleted}"] if deleted else []) + ([f"+{inserted}"] if inserted else [])
    return " ".join(bits) + (" word" if deleted + inserted == 1 and len(bits) == 1 else " words")


# --- which changes are clauses ------------------------------------------------------------------


def side_text(value: Any) -> str | None:
    """A side of a change as clause text: the text, '' where the term is absent (or ``none``),
    None where it holds a typed value (money, a date, …). Takes a typed value or its JSON."""
    if value is None:
        return ""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind == "none":
        return ""
    if kind == "text":
        return value["value"] if isinstance(value, dict) else value.value
    return None


def is_long(text: str) -> bool:
    return len(text) > SHORT or "\n" in text or "\r" in text


_VALUE_KINDS = ("added", "dropped", "changed", "renamed")


def clause_texts(change: Any) -> tuple[str, str] | None:
    """(old, new) text of a change drawn as a redline in the text, Markdown and HTML views:
    one of a change's values moved, both sides text or absent, one of them long. Takes a
    ``Change`` or a change of the report's JSON form."""
    if isinstance(change, dict):
        kind, moved = change["kind"], change["kind"] != "renamed" or bool(change.get("delta"))
        old, new = change["old"], change["new"]
    else:
        kind, moved = change.kind, change.value_changed
        old = change.old.value if change.old is not None else None
        new = change.new.value if change.new is not None else None
    if kind not in _VALUE_KINDS or not moved:
        return None
    a, b = side_text(old), side_text(new)
    if a is None or b is None or not (is_long(a) or is_long(b)):
        return None
    return a, b


# --- drawn as text and Markdown -----------------------------------------------------------------


def text_paragraphs(segments: list[Segment]) -> Iterator[str]:
    """Each paragraph on one line, as ``git diff --word-diff`` marks words: ``[-deleted-]``,
    ``{+inserted+}``; a paragraph break deleted or added is ``[-¶-]`` / ``{+¶+}``. Control
    characters are shown escaped."""
    marks = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}")}
    yield from _drawn(segments, marks, escaped)


# A clause's redline is wrapped to the terminal, at most this wide (in a pipe or a file, too).
WRAP = 88


def text_lines(segments: list[Segment], width: int | None = None) -> list[str]:
    """``text_paragraphs`` wrapped at spaces, indented under a diff's rows: a paragraph's
    first line by six spaces, the lines after it by eight."""
    import textwrap

    wrap = max(40, min(width or WRAP, WRAP))
    out: list[str] = []
    for paragraph in text_paragraphs(segments):
        out += textwrap.wrap(paragraph, wrap, initial_indent="      ", subsequent_indent="        ",
                             break_long_words=False, break_on_hyphens=False) or [""]
    return out


def markdown_paragraphs(segments: list[Segment], cell: Any) -> Iterator[str]:
    """Each paragraph on one line, ``<del>deleted</del>`` and ``<ins>inserted</ins>`` (what
    GitHub and most Markdown readers show struck through and underlined); ``cell`` escapes text."""
    marks = {DELETE: ("<del>", "</del>"), INSERT: ("<ins>", "</ins>")}
    for line in _drawn(segments, marks, cell):
        yield _not_a_block(line)


def _not_a_block(line: str) -> str:
    """A paragraph that starts like a heading, list item, rule or fence, escaped so that it is
    read as text (``cell`` has escaped the other characters that could start one)."""
    if line[:1] in ("#", "-", "+", "=", "~"):
        return "\\" + line
    head = line.split(" ", 1)[0]
    if len(head) > 1 and head[:-1].isdigit() and head[-1] in ".)":  # "1." opens a numbered list
        return head[:-1] + "\\" + line[len(head) - 1:]
    return line


def _drawn(segments: list[Segment], marks: dict[str, tuple[str, str]], escape: Any) -> Iterator[str]:
    for p in paragraphs(segments):
        out = ""
        previous = None
        for op, text in p.parts:
            # A replacement reads as one edit: its deletion and insertion side by side.
            gap = "" if not out or (previous == DELETE and op == INSERT) else " "
            body = escape(text)
            out += gap + (body if op == EQUAL else marks[op][0] + body + marks[op][1])
            previous = op
        if p.mark != EQUAL:
            out += ("" if not out else " ") + marks[p.mark][0] + "¶" + marks[p.mark][1]
        yield out
