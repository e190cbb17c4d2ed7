"""Which renderer draws which answer in which format: one table, read by every command.

A renderer is named by its module and function and imported only when used, so a command
imports just the format it prints. The renderers of one answer take the same arguments; an
option only some formats show (colour, the database's name, quotes, the terminal's width that
text tables fit) is passed to those that name it. What a renderer returns is written as it
comes: ``line``, a text without its last newline; ``page``, a text ending in one; ``pieces``, an
iterable of texts; ``json``, a document, written indented; ``bytes``, a binary file (a Word
document), which only a file takes.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any, Iterator, Literal, NamedTuple

Kind = Literal["line", "page", "pieces", "json", "bytes"]


class Renderer(NamedTuple):
    module: str  # in tracker.render
    function: str
    kind: Kind
    options: tuple[str, ...] = ()  # the keyword options it takes


_R = Renderer
RENDERERS: dict[str, dict[str, Renderer]] = {
    "log": {"text": _R("text", "log", "line", ("database", "width")), "json": _R("jsonout", "log", "json")},
    "draft": {
        "text": _R("text", "draft", "line", ("carried", "events", "quotes", "seqs", "database", "width")),
        "json": _R("jsonout", "show", "json", ("carried", "events")),
        "yaml": _R("yamlout", "draft_file", "page"),  # the draft as recorded: a file `tracker record` takes back
    },
    "parties": {"text": _R("text", "parties", "line", ("width",)), "json": _R("jsonout", "parties", "json")},
    "negotiations": {"text": _R("text", "negotiations", "line", ("width",)), "json": _R("jsonout", "negotiations", "json")},
    "diff": {
        "text": _R("text", "diff", "line", ("style", "width")),
        "json": _R("jsonout", "diff", "json"),
        "markdown": _R("markdown", "diff", "page"),
        "jsonpatch": _R("jsonpatch", "patch", "json"),
        # The newer draft as a Word document, tracked changes against the older: drawn whole,
        # so it is handed every term of that draft (``compare.draft_text``) as ``sheet``.
        "docx": _R("docx", "diff", "bytes", ("sheet",)),
    },
    "blame": {"text": _R("text_history", "blame", "line", ("width",)), "json": _R("jsonout", "blame", "json", ("negotiation",))},
    "history": {"text": _R("text_history", "term_history", "line", ("width",)), "json": _R("jsonout", "term_history", "json", ("negotiation",))},
    "positions": {"text": _R("text_history", "positions", "line", ("width",)), "json": _R("jsonout", "positions", "json")},
    "gap": {"text": _R("text_history", "gap", "line", ("width",)), "json": _R("jsonout", "gap", "json")},
    "verify": {"text": _R("text", "verify", "page"), "json": _R("jsonout", "verify", "json")},
    # The report is drawn from its one JSON form (``jsonout.report``), in pieces as they come.
    "report": {
        "markdown": _R("markdown", "report", "page"),
        "html": _R("html", "report_chunks", "pieces"),
        "json": _R("jsonout", "report_text", "pieces"),
        "csv": _R("csvout", "report", "page"),
    },
}


def formats(answer: str) -> tuple[str, ...]:
    """The formats ``answer`` can be drawn in, the default first."""
    return tuple(RENDERERS[answer])


def options(answer: str, fmt: str) -> tuple[str, ...]:
    """The keyword options the renderer of ``answer`` in ``fmt`` takes."""
    return RENDERERS[answer][fmt].options


def binary(answer: str, fmt: str) -> bool:
    """Whether ``answer`` in ``fmt`` is a binary file (never for standard output)."""
    return RENDERERS[answer][fmt].kind == "bytes"


def draw(answer: str, fmt: str, *args: Any, **options: Any) -> Any:
    """What the renderer of ``answer`` in ``fmt`` returns (for ``json``: the document)."""
    r = RENDERERS[answer][fmt]
    function = getattr(import_module(f"tracker.render.{r.module}"), r.function)
    return function(*args, **{k: v for k, v in options.items() if k in r.options})


def render(answer: str, fmt: str, *args: Any, **options: Any) -> Iterator[str | bytes]:
    """``answer`` drawn in ``fmt``, as pieces of text (or, for ``bytes``, the file) to write in order."""
    r = RENDERERS[answer][fmt]
    out = draw(answer, fmt, *args, **options)
    if r.kind == "line":
        yield out + "\n"
    elif r.kind in ("page", "bytes"):
        yield out
    elif r.kind == "json":
        yield json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    else:
        yield from out
