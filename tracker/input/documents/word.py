"""Word (.docx) documents → blocks, after refusing what is not a plain Word file.

Before python-docx opens anything, the bytes are checked: an OLE compound file is an encrypted
document (its ``EncryptedPackage`` stream) or a legacy ``.doc``; anything else must be a zip whose
directory promises a sane unpacking — few members, a bounded total size, no member compressed
beyond a ratio a real document reaches. Python's zipfile never inflates a member past the size
its directory entry declares, so checking the directory bounds what is read.

The text is read from the document's XML, as Word shows it with every tracked change accepted:
runs in insertions, hyperlinks, fields and content controls count; deleted and moved-away text,
field codes and drawings do not. Numbered paragraphs get the number Word would show, worked out
from the numbering definitions (``numbering.xml``), since it is not in the text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Iterator

from tracker.input.documents.blocks import BOLD_OFF, BOLD_ON, Block, Para, Table, clean, plain
from tracker.model.errors import InvalidInput

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MEMBERS = 10_000
MAX_UNPACKED = 256 * 2**20
# XML deflates about 5–20 to 1, a repetitive table at most some 100 to 1; a zip bomb, thousands.
MAX_RATIO = 200
RATIO_FLOOR = 2**20  # a member smaller than this unpacks to nothing worth refusing

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
P, TBL, TR, TC, R = (f"{_W}{t}" for t in ("p", "tbl", "tr", "tc", "r"))
# Elements whose content is read as the document's text (inside a paragraph or the body).
_INLINE_CONTAINERS = frozenset(f"{_W}{t}" for t in ("hyperlink", "ins", "moveTo", "smartTag", "sdt", "sdtContent", "fldSimple",
                                                    "customXml", "dir", "bdo"))
_BLOCK_CONTAINERS = frozenset(f"{_W}{t}" for t in ("sdt", "sdtContent", "customXml"))
T = f"{_W}t"
_RUN_TEXT = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}
_HEADING_NAME = re.compile(r"heading\s*(\d)$")
_LIST_NAME = re.compile(r"list number\s*(\d)?$")
BULLET = "•"


def check_package(raw: bytes, name: str) -> None:
    """Refuse, in one line, bytes that are not a Word package safe to open."""
    if raw.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in raw:
            raise InvalidInput("is encrypted (password-protected): save an unprotected copy as .docx", where=name)
        raise InvalidInput("is a legacy Word .doc file (an OLE compound file), not .docx: save it as .docx", where=name)
    if not raw.startswith(b"PK"):
        raise InvalidInput("is not a Word (.docx) file: it is not a zip archive", where=name)
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise InvalidInput("is not a Word (.docx) file: a damaged zip archive", where=name) from None
    if len(infos) > MAX_MEMBERS:
        raise InvalidInput(f"looks like a zip bomb: {len(infos):,} members (a Word file has a few dozen)", where=name)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InvalidInput("is encrypted (a password-protected zip): save an unprotected copy as .docx", where=name)
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise InvalidInput(f"looks like a zip bomb: {info.filename[:60]!r} would unpack {ratio:,} times its size (at most {MAX_RATIO})",
                               where=name)
    if total > MAX_UNPACKED:
        raise InvalidInput(f"looks like a zip bomb: it would unpack to {total / 2**20:,.0f} MiB (at most {MAX_UNPACKED // 2**20} MiB)",
                           where=name)
    if "[Content_Types].xml" not in {i.filename for i in infos}:
        raise InvalidInput("is not a Word (.docx) file: a zip archive, but not an Office Open XML package", where=name)


def read_docx(raw: bytes, name: str) -> list[Block]:
    """The blocks of a Word document, in reading order."""
    check_package(raw, name)
    document = _open(raw, name)
    styles = _Styles(document)
    numbering = _Numbering(document)
    blocks: list[Block] = []
    for element in _body_blocks(document.element.body):
        if element.tag == TBL:
            blocks.append(Table(_rows(element, styles), where=name))
        else:
            blocks.append(_paragraph(element, styles, numbering, name))
    return blocks


def _open(raw: bytes, name: str) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(raw))
    except ValueError as exc:
        found = re.search(r"content type is '([^']*)'", str(exc))
        what = f"its main part is {found.group(1)}" if found else "no Word document inside"
        raise InvalidInput(f"is not a Word (.docx) document: {what}", where=name) from None
    except Exception as exc:  # noqa: BLE001 - a parser of hostile input: any failure is a file it cannot read
        raise InvalidInput(f"cannot be read as a Word document ({type(exc).__name__})", where=name) from None


def _body_blocks(parent: Any) -> Iterator[Any]:
    for child in parent:
        if child.tag in (P, TBL):
            yield child
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _body_blocks(child)


def _on(element: Any) -> bool:
    """A toggle property (``<w:b/>``, ``<w:b w:val="0"/>``) that is set."""
    return element is not None and str(element.get(f"{_W}val", "true")).lower() not in ("0", "false", "off")


def _val(parent: Any, tag: str) -> str | None:
    found = parent.find(f"{_W}{tag}") if parent is not None else None
    return found.get(f"{_W}val") if found is not None else None


def _int(text: str | None, default: int | None = None) -> int | None:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


@dataclass
class _Style:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: int | None
    bold: bool


class _Styles:
    """The styles that say what a paragraph is: headings, the title, numbered lists."""

    def __init__(self, document: Any):
        self.by_id: dict[str, _Style] = {}
        self.default: str | None = None
        for s in document.styles.element.iterchildren(f"{_W}style"):
            sid = s.get(f"{_W}styleId")
            ppr, rpr = s.find(f"{_W}pPr"), s.find(f"{_W}rPr")
            num = ppr.find(f"{_W}numPr") if ppr is not None else None
            self.by_id[sid] = _Style(
                name=(_val(s, "name") or sid or "").lower(), based_on=_val(s, "basedOn"), num_id=_val(num, "numId"),
                ilvl=_int(_val(num, "ilvl")), outline=_int(_val(ppr, "outlineLvl")), bold=_on(rpr.find(f"{_W}b")) if rpr is not None else False,
            )
            if s.get(f"{_W}type") == "paragraph" and s.get(f"{_W}default") in ("1", "true", "on"):
                self.default = sid

    def chain(self, sid: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while sid is not None and sid in self.by_id and sid not in seen:
            seen.add(sid)
            yield self.by_id[sid]
            sid = self.by_id[sid].based_on

    def heading(self, sid: str | None) -> int | None:
        for style in self.chain(sid):
            m = _HEADING_NAME.match(style.name)
            if m:
                return int(m.group(1))
            if style.outline is not None and style.outline < 9:
                return style.outline + 1
        return None

    def is_title(self, sid: str | None) -> bool:
        return any(style.name in ("title", "subtitle") for style in self.chain(sid))

    def numbering(self, sid: str | None) -> tuple[str | None, int | None, int]:
        """A style's list (numId, ilvl) and, for "List Number n", its level n - 1."""
        num_id = ilvl = None
        extra = 0
        for style in self.chain(sid):
            m = _LIST_NAME.match(style.name)
            if m and m.group(1):
                extra = max(extra, int(m.group(1)) - 1)
            num_id = num_id or style.num_id
            ilvl = ilvl if ilvl is not None else style.ilvl
        return num_id, ilvl, extra

    def bold(self, sid: str | None) -> bool:
        return any(style.bold for style in self.chain(sid))


@dataclass
class _Level:
    fmt: str
    text: str
    start: int
    legal: bool


class _Numbering:
    """The number Word shows before each item of a numbered list, counted in document order."""

    def __init__(self, document: Any):
        self.levels: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.pending: dict[str, dict[int, int]] = {}  # a list instance's start overrides, applied at its first item
        self.seen: set[str] = set()
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        try:
            root = document.part.part_related_by(RT.NUMBERING).element
        except KeyError:
            return
        for abstract in root.iterchildren(f"{_W}abstractNum"):
            levels = {}
            for lvl in abstract.iterchildren(f"{_W}lvl"):
                ilvl = _int(lvl.get(f"{_W}ilvl"), 0) or 0
                levels[ilvl] = _Level(_val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or f"%{ilvl + 1}.",
                                      _int(_val(lvl, "start"), 1) or 0, _on(lvl.find(f"{_W}isLgl")))
            self.levels[abstract.get(f"{_W}abstractNumId")] = levels
        for num in root.iterchildren(f"{_W}num"):
            overrides = {}
            for override in num.iterchildren(f"{_W}lvlOverride"):
                start = _int(_val(override, "startOverride"))
                if start is not None:
                    overrides[_int(override.get(f"{_W}ilvl"), 0) or 0] = start
            self.nums[num.get(f"{_W}numId")] = (_val(num, "abstractNumId") or "", overrides)

    def next(self, num_id: str, ilvl: int) -> str | None:
        """The next number of list ``num_id`` at level ``ilvl`` (``BULLET`` for a bullet; None
        when the paragraph shows no number)."""
        if num_id not in self.nums:
            return None
        abstract, overrides = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        level = levels.get(ilvl) or _Level("decimal", f"%{ilvl + 1}.", 1, False)
        if level.fmt == "bullet":
            return BULLET
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.seen:
            self.seen.add(num_id)
            for lvl, start in overrides.items():
                counters.pop(lvl, None)
                self.pending.setdefault(abstract, {})[lvl] = start
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else self.pending.get(abstract, {}).pop(ilvl, level.start)
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new item restarts the levels below it

        def shown(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            lvl = levels.get(k) or _Level("decimal", "", 1, False)
            fmt = "decimal" if level.legal else lvl.fmt
            return _format(counters.get(k, lvl.start), fmt)

        return re.sub(r"%([1-9])", shown, level.text).strip() or None


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        out, rest = "", n
        for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
                               (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
            while rest >= value:
                out, rest = out + numeral, rest - value
        return out.upper() if fmt == "upperRoman" else out
    if fmt == "none":
        return ""
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _runs(parent: Any) -> Iterator[Any]:
    """A paragraph's runs as Word shows them with tracked changes accepted."""
    for child in parent:
        if child.tag == R:
            yield child
        elif child.tag in _INLINE_CONTAINERS:
            yield from _runs(child)


def _text(p: Any, styles: _Styles) -> str:
    """A paragraph's text, bold runs marked."""
    out: list[str] = []
    bold = False
    for r in _runs(p):
        piece = clean("".join((c.text or "") if c.tag == T else _RUN_TEXT.get(c.tag, "") for c in r))
        if not piece:
            continue
        rpr = r.find(f"{_W}rPr")
        b = rpr.find(f"{_W}b") if rpr is not None else None
        run_bold = _on(b) if b is not None else styles.bold(_val(rpr, "rStyle"))
        if piece.strip() and run_bold != bold:
            out.append(BOLD_ON if run_bold else BOLD_OFF)
            bold = run_bold
        out.append(piece)
    if bold:
        out.append(BOLD_OFF)
    return "".join(out)


def _paragraph(p: Any, styles: _Styles, numbering: _Numbering, name: str) -> Para:
    ppr = p.find(f"{_W}pPr")
    sid = _val(ppr, "pStyle") or styles.default
    own = ppr.find(f"{_W}numPr") if ppr is not None else None
    style_num, style_ilvl, extra = styles.numbering(sid)
    num_id = _val(own, "numId") if own is not None and _val(own, "numId") is not None else style_num
    ilvl = _int(_val(own, "ilvl")) if own is not None and _val(own, "ilvl") is not None else style_ilvl
    ilvl = max(ilvl or 0, extra)
    number = numbering.next(num_id, ilvl) if num_id not in (None, "0") else None
    outline = _int(_val(ppr, "outlineLvl"))
    heading = outline + 1 if outline is not None and outline < 9 else styles.heading(sid)
    text = _text(p, styles)
    shown = None if number == BULLET else number
    if heading is not None:
        return Para(text, heading=heading, number=shown, where=name)
    if styles.is_title(sid):
        return Para(text, title=True, where=name)
    if number == BULLET:
        return Para(text, bullet=True, where=name)
    if number is not None:
        return Para(text, list_level=ilvl, number=number, where=name)
    return Para(text, where=name)


def _rows(tbl: Any, styles: _Styles) -> list[list[str]]:
    """A table's rows of cell texts; a cell merged into the one above it is empty."""
    rows = []
    for tr in tbl.iter(TR):
        if _closest(tr, TBL) is not tbl:
            continue  # a nested table's row: read as its cell's text
        cells = []
        for tc in tr.iter(TC):
            if _closest(tc, TR) is not tr:
                continue
            tcpr = tc.find(f"{_W}tcPr")
            merge = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
            if merge is not None and merge.get(f"{_W}val") != "restart":
                cells.append("")
                continue
            cells.append(" ".join(t for t in (plain(_text(p, styles)) for p in tc.iter(P)) if t))
        rows.append(cells)
    return rows


def _closest(element: Any, tag: str) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent
