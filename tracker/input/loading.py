"""YAML and JSON files → term-sheet models, with errors that name file, line and term path.

A file holds one document whose ``kind`` is ``negotiation`` or ``draft``. Loading happens in
two steps because a draft may cite sources by id from its negotiation's bibliography:

1. :func:`read_document` parses the text (syntax, duplicate keys, aliases, size, encoding)
   and remembers the line of every key;
2. :func:`build_negotiation` / :func:`build_draft` validate it into models and check its
   cross-references, reporting the first problem as ``file:line: path: message``.

Hostile input is refused early: files over ``MAX_FILE_BYTES``, YAML anchors/aliases (the
"billion laughs" expansion), nesting deeper than ``MAX_DEPTH``, non-UTF-8 bytes, NaN/Infinity.

Some 500 lines on purpose: one reader of one file format, from libyaml's events (the line of
every key) to models, so that every message names file:line: path the same way.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import yaml
from pydantic import ValidationError

# libyaml's C parser when present (much faster on large term sheets), else the pure-Python one.
_YAMLLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from tracker.model.errors import InvalidInput
from tracker.model.termsheet import (
    MAX_TERMS,
    Draft,
    Negotiation,
    draft_input_problems,
    negotiation_input_problems,
)
from tracker.model.values import VALUE_TYPES

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 40
KINDS = ("negotiation", "draft")

Path_ = tuple[Any, ...]


@dataclass
class Origin:
    """Where a document came from, and the line of each path in it."""

    name: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: Iterable[Any]) -> int | None:
        loc = tuple(loc)
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None

    def where(self, loc: Iterable[Any] = ()) -> str:
        line = self.line_of(loc)
        return f"{self.name}:{line}" if line else self.name

    def error(self, loc: Path_, message: str) -> InvalidInput:
        path = format_loc(loc)
        return InvalidInput(f"{path}: {message}" if path else message, where=self.where(loc))


@dataclass
class Document:
    kind: str
    data: dict[str, Any]
    origin: Origin


def clipped(text: str, width: int = 60) -> str:
    """User text quoted in a message, cut short: a message is one readable line."""
    return text if len(text) <= width else text[: width - 1] + "…"


def format_loc(loc: Iterable[Any]) -> str:
    """``('terms', 'x', 'value', 'money', 'amount')`` → ``terms.x.value.amount``."""
    parts: list[str] = []
    prev = None
    for item in loc:
        # pydantic puts the union tag into the location; it is not part of the document path.
        if prev == "value" and item in VALUE_TYPES:
            prev = item
            continue
        parts.append(f"[{item}]" if isinstance(item, int) else clipped(str(item)))
        prev = item
    return ".".join(parts).replace(".[", "[")


class _Reader:
    """Turns YAML parser events into plain data, recording lines and refusing tricks.

    Reading events rather than a composed node tree skips building a Python node per value,
    which halves the time of a large term sheet; the rules are those of ``yaml.safe_load``
    except where noted below.
    """

    def __init__(self, origin: Origin):
        self.origin = origin
        self.lines = origin.lines
        self.constructor = yaml.SafeLoader("")
        self.plain_tags: dict[str, str] = {}  # plain scalar → resolved tag (values repeat a lot)

    def fail(self, event: yaml.Event, message: str) -> InvalidInput:
        return InvalidInput(message, where=f"{self.origin.name}:{event.start_mark.line + 1}")

    def read(self, text: str) -> Any:
        """The document's data, or ``_EMPTY`` for a stream holding no document."""
        events = yaml.parse(text, Loader=_YAMLLoader)
        next(events)  # StreamStart
        start = next(events)
        if isinstance(start, yaml.StreamEndEvent):
            return _EMPTY
        self.events = events
        data = self.convert(next(events), (), 0)
        next(events)  # DocumentEnd
        extra = next(events)
        if not isinstance(extra, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                None, None, "expected a single document, but found another", extra.start_mark
            )
        return data

    def convert(self, event: yaml.Event, path: Path_, depth: int) -> Any:
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise self.fail(event, "YAML anchors and aliases are not supported")
        if depth > MAX_DEPTH:
            raise self.fail(event, f"document is nested more than {MAX_DEPTH} levels deep")
        lines = self.lines
        lines.setdefault(path, event.start_mark.line + 1)
        kind = type(event)
        if kind is yaml.ScalarEvent:
            return self.scalar(event)
        events = self.events
        if event.tag not in _COLLECTION_TAGS:  # "!!set {a, b}", "!!python/object [...]": never a silent reinterpretation
            raise self.fail(event, f"unsupported YAML tag {event.tag!r}")
        if kind is yaml.MappingStartEvent:
            out: dict[str, Any] = {}
            while True:
                key_event = next(events)
                if type(key_event) is yaml.MappingEndEvent:
                    return out
                if type(key_event) is not yaml.ScalarEvent or key_event.anchor is not None:
                    if isinstance(key_event, yaml.AliasEvent) or key_event.anchor is not None:
                        raise self.fail(key_event, "YAML anchors and aliases are not supported")
                    raise self.fail(key_event, "mapping keys must be plain strings")
                if self.tag(key_event) == "tag:yaml.org,2002:merge":
                    raise self.fail(key_event, "YAML merge keys ('<<') are not supported")
                key = key_event.value
                if key in out:
                    where = format_loc(path + (key,))
                    raise self.fail(key_event, f"duplicate key {where!r}")
                sub = path + (key,)
                lines[sub] = key_event.start_mark.line + 1
                out[key] = self.convert(next(events), sub, depth + 1)
        # A sequence.
        items: list[Any] = []
        while True:
            item = next(events)
            if type(item) is yaml.SequenceEndEvent:
                return items
            items.append(self.convert(item, path + (len(items),), depth + 1))

    def tag(self, event: yaml.ScalarEvent) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        if not event.implicit[0]:  # quoted: always a string
            return "tag:yaml.org,2002:str"
        found = self.plain_tags.get(event.value)
        if found is None:
            found = self.plain_tags[event.value] = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))
        return found

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag, text = self.tag(event), event.value
        if tag == "tag:yaml.org,2002:str":
            return text
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return exact_int(text.replace("_", ""))
        if tag == "tag:yaml.org,2002:float":
            if text.lower().lstrip("+-") in (".inf", ".nan"):
                raise self.fail(event, f"{text!r}: NaN and Infinity are not numbers a term can hold")
            return Decimal(text.replace("_", ""))  # exact: never through a binary float
        if tag == _RADIX_TAG:
            raise self.fail(event, f"{text!r}: numbers are written in decimal; quote it if it is text")
        if tag == "tag:yaml.org,2002:timestamp":
            try:
                return self.constructor.construct_yaml_timestamp(yaml.ScalarNode(tag, text))
            except ValueError:  # 2025-02-30: left as text, so validation reports it with its path
                return text
        raise self.fail(event, f"unsupported YAML tag {tag!r}")


class _CoreResolver(yaml.resolver.BaseResolver):
    """Plain scalars read as YAML 1.2's core schema reads them, not as YAML 1.1 (PyYAML's
    default): ``yes``, ``no``, ``on`` and ``off`` are words; ``010`` is ten, not eight; ``1:30``
    is text, not ninety (``1_000`` is a thousand, as in both); only ``true``/``false`` are booleans and only ``null``/``~``/nothing is
    null. Hexadecimal and octal forms (``0x1F``, ``0o17``) are refused rather than read.
    Dates (``2025-02-28``) are still dates: a draft's dates are what its text says."""


_RADIX_TAG = "tag:tracker,2025:radix"
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9][0-9_]*$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+.0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^<<$", "<"),
    (_RADIX_TAG, r"^[-+]?0[xXoO][0-9a-fA-F_]+$", "-+0"),
    ("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
     r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$", "0123456789"),
):
    _CoreResolver.add_implicit_resolver(_tag, re.compile(_pattern, re.ASCII), list(_first))

_RESOLVER = _CoreResolver()
_COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_EMPTY = object()


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", where=f"{name}:{line}") from None


def parse_text(text: str, name: str, *, is_json: bool = False) -> tuple[Any, Origin]:
    """Parse YAML (or strict JSON) text into plain data plus the line of each path."""
    origin = Origin(name)
    if is_json:
        try:
            data = _parse_json(text, name)
        except InvalidInput as exc:
            raise _locate_json_error(text, name, exc) from None
        try:  # JSON is (nearly) YAML: reuse the YAML reader only to learn line numbers.
            _Reader(origin).read(text)
        except (yaml.YAMLError, InvalidInput, RecursionError, ValueError):
            pass
        return data, origin
    try:
        data = _Reader(origin).read(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InvalidInput(f"invalid YAML: {problem}", where=f"{name}:{line}" if line else name) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise InvalidInput(f"invalid YAML: {str(exc).splitlines()[0]}", where=f"{name}:{line}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"invalid YAML: {str(exc).splitlines()[0]}", where=name) from None
    except RecursionError:
        raise InvalidInput("document is nested too deeply", where=name) from None
    if data is _EMPTY:
        raise InvalidInput("the file is empty", where=name)
    return data, origin


def _locate_json_error(text: str, name: str, exc: InvalidInput) -> InvalidInput:
    """``json`` reports duplicate keys and NaN without a position: find their line."""
    if exc.where != name:
        return exc
    if exc.message.startswith("duplicate key"):
        try:  # the YAML reader names the duplicate's line and full path
            _Reader(Origin(name)).read(text)
        except InvalidInput as found:
            if found.message.startswith("duplicate key"):
                return found
        except (yaml.YAMLError, RecursionError, ValueError):
            pass
        return exc
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|(?P<word>-?Infinity|NaN)', text):
        if m.group("word"):
            return InvalidInput(exc.message, where=f"{name}:{text.count(chr(10), 0, m.start()) + 1}")
    return exc


def exact_int(text: str) -> int | Decimal:
    """A JSON or YAML integer; a huge one as a Decimal, so that the value's digit limit names
    it (Python refuses to convert more than 4,300 digits to an int)."""
    return int(text) if len(text) < 20 else Decimal(text)


def _parse_json(text: str, name: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise InvalidInput(f"duplicate key {key!r}", where=name)
            out[key] = value
        return out

    def constant(word: str) -> Any:
        raise InvalidInput(f"{word}: NaN and Infinity are not numbers a term can hold", where=name)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_float=Decimal, parse_int=exact_int, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid JSON: {exc.msg} (column {exc.colno})", where=f"{name}:{exc.lineno}") from None
    except RecursionError:
        raise InvalidInput("document is nested too deeply", where=name) from None


def read_document(path: str | Path, *, display_name: str | None = None) -> Document:
    """Read and parse one file; the document's ``kind`` decides what it becomes."""
    p = Path(path)
    name = display_name or str(path)
    raw = read_bytes(p, name, max_bytes=MAX_FILE_BYTES)
    return document_from_text(_decode(raw, name), name, is_json=p.suffix.lower() == ".json")


def read_bytes(path: Path, name: str, *, max_bytes: int) -> bytes:
    """A regular file's bytes, at most ``max_bytes`` of them, with one-line errors for a
    missing, unreadable, oversized or special file (a device or FIFO behind a symlink
    included: its size says nothing, and it may never end)."""
    if not str(path) or not name:
        raise InvalidInput("a file name is empty")
    if "\x00" in str(path):
        raise InvalidInput("is not a file name: it holds a NUL character", where=name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not hang the open
    except FileNotFoundError:
        raise InvalidInput("no such file", where=name) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory, not a file", where=name) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=name) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InvalidInput("is a directory, not a file", where=name)
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput("is not a regular file (a device, FIFO or socket)", where=name)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        return read_bounded(fh, name, max_bytes, st.st_size)


def read_bounded(fh: BinaryIO, name: str, max_bytes: int, size: int | None = None) -> bytes:
    """Up to ``max_bytes`` from ``fh``; more is refused (the bytes actually read are counted:
    a file can grow, and standard input has no size)."""
    if size is not None and size > max_bytes:
        raise InvalidInput(f"file is {size / 2**20:.1f} MiB; at most {max_bytes // 2**20} MiB", where=name)
    try:
        raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=name) from None
    if len(raw) > max_bytes:
        raise InvalidInput(f"more than {max_bytes // 2**20} MiB; at most {max_bytes // 2**20} MiB", where=name)
    return raw


def document_from_text(text: str, name: str, *, is_json: bool = False) -> Document:
    data, origin = parse_text(text, name, is_json=is_json)
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping with a 'kind' field at the top", where=origin.where(()))
    kind = data.get("kind")
    if kind not in KINDS:
        if kind is None:
            raise InvalidInput("missing field 'kind' (expected 'negotiation' or 'draft')", where=origin.where(()))
        raise origin.error(("kind",), f"unknown kind {kind!r} (expected 'negotiation' or 'draft')")
    body = {k: v for k, v in data.items() if k != "kind"}
    return Document(kind=kind, data=body, origin=origin)


def describe_validation_error(exc: ValidationError) -> tuple[Path_, str]:
    """The first problem of a pydantic error as (location, readable message)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    kind, msg = first["type"], first["msg"].removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":  # pydantic's marker for a bad dict key
        loc = loc[:-1]
        if kind == "string_too_long":
            msg = f"key is {len(str(loc[-1]))} characters long; at most {first['ctx']['max_length']}"
        else:
            msg = f"invalid key {clipped(str(loc[-1]))!r}: use letters, digits, '_' and '-', with '.' between groups"
    elif kind == "too_long" and loc == ("terms",):
        msg = f"a draft holds at most {MAX_TERMS:,} terms; this one has more"
    elif kind == "extra_forbidden":
        loc, msg = loc[:-1], f"unknown field {loc[-1]!r}"
    elif kind == "missing":
        loc, msg = loc[:-1], f"missing field {loc[-1]!r}"
    elif kind == "union_tag_invalid":
        msg = f"unknown value type (expected one of {', '.join(VALUE_TYPES)})"
    elif kind == "union_tag_not_found":
        msg = f"a value mapping needs a 'type' (one of {', '.join(VALUE_TYPES)})"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return loc, msg


def _validation_error(exc: ValidationError, origin: Origin) -> InvalidInput:
    return origin.error(*describe_validation_error(exc))


def build_negotiation(doc: Document) -> Negotiation:
    if doc.kind != "negotiation":
        raise doc.origin.error(("kind",), f"expected a negotiation, found a {doc.kind}")
    try:
        negotiation = Negotiation.model_validate(doc.data)
    except ValidationError as exc:
        raise _validation_error(exc, doc.origin) from None
    for loc, message in negotiation_input_problems(negotiation):
        raise doc.origin.error(loc, message)
    return negotiation


def build_draft(doc: Document, negotiation: Negotiation) -> Draft:
    """Validate a draft document against its negotiation (parties, sources, options)."""
    if doc.kind != "draft":
        raise doc.origin.error(("kind",), f"expected a draft, found a {doc.kind}")
    data = dict(doc.data)
    terms = data.get("terms")
    if isinstance(terms, dict) and len(terms) > MAX_TERMS:  # before validating them all
        raise doc.origin.error(("terms",), f"a draft holds at most {MAX_TERMS:,} terms; this one has {len(terms):,}")
    # A party may be named in a file as on the command line: by code, name or alias.
    if isinstance(data.get("tabled_by"), list):
        data["tabled_by"] = [_party_code(negotiation, name) for name in data["tabled_by"]]
    if isinstance(terms, dict):
        data["terms"] = terms = {key: _with_party_codes(negotiation, term) for key, term in terms.items()}
    sources = data.get("sources")
    if isinstance(sources, list):
        resolved = []
        for i, item in enumerate(sources):
            if isinstance(item, str):
                found = negotiation.source(item)
                if found is None:
                    raise doc.origin.error(("sources", i), f"unknown source {item!r} (not in {negotiation.id}'s bibliography)")
                item = found.canonical()
            resolved.append(item)
        data["sources"] = resolved
    try:
        draft = Draft.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, doc.origin) from None
    for loc, message in (*draft_input_problems(draft), *negotiation.problems(draft)):
        raise doc.origin.error(loc, message)
    return draft


def _party_code(negotiation: Negotiation, name: Any) -> Any:
    party = negotiation.party(name) if isinstance(name, str) else None
    return party.code if party is not None else name  # an unknown name is reported by validation


def _with_party_codes(negotiation: Negotiation, term: Any) -> Any:
    pushed = term.get("pushed_by") if isinstance(term, dict) else None
    if not isinstance(pushed, dict) or not isinstance(pushed.get("parties"), list):
        return term
    return {**term, "pushed_by": {**pushed, "parties": [_party_code(negotiation, n) for n in pushed["parties"]]}}


def draft_file_dict(draft: Draft, negotiation: Negotiation | None = None) -> dict[str, Any]:
    """A draft as a file would hold it (canonical values; sources by id when in the bibliography)."""
    out: dict[str, Any] = {"kind": "draft", **draft.canonical()}
    if negotiation is not None and "sources" in out:
        out["sources"] = [
            s["id"] if negotiation.source(s["id"]) is not None and negotiation.source(s["id"]).canonical() == s else s
            for s in out["sources"]
        ]
    return out


class _Dumper(yaml.SafeDumper):
    """Writes a string plain only where both YAML 1.1 (other tools) and the core schema tracker
    reads with (``_CoreResolver``) read it back as that string: ``0E0``, ``yes`` and ``1:30``
    are quoted."""

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        tag = super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and implicit[0] and tag == "tag:yaml.org,2002:str":
            return _RESOLVER.resolve(kind, value, implicit)
        return tag


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # YAML's other line breaks (NEL, LS, PS) are folded when read back from any style but a
    # double-quoted one, which escapes them.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
