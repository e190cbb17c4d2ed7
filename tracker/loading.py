"""YAML and JSON files → term-sheet models, with errors that name file, line and term path.

A file holds one document whose ``kind`` is ``negotiation`` or ``draft``. Loading happens in
two steps because a draft may cite sources by id from its negotiation's bibliography:

1. :func:`read_document` parses the text (syntax, duplicate keys, aliases, size, encoding)
   and remembers the line of every key;
2. :func:`build_negotiation` / :func:`build_draft` validate it into models and check its
   cross-references, reporting the first problem as ``file:line: path: message``.

Hostile input is refused early: files over ``MAX_FILE_BYTES``, YAML anchors/aliases (the
"billion laughs" expansion), nesting deeper than ``MAX_DEPTH``, non-UTF-8 bytes, NaN/Infinity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import ValidationError

# libyaml's C parser when present (much faster on large term sheets), else the pure-Python one.
_YAMLLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from tracker.errors import InvalidInput
from tracker.termsheet import Draft, Negotiation
from tracker.values import VALUE_TYPES

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


def format_loc(loc: Iterable[Any]) -> str:
    """``('terms', 'x', 'value', 'money', 'amount')`` → ``terms.x.value.amount``."""
    parts: list[str] = []
    prev = None
    for item in loc:
        # pydantic puts the union tag into the location; it is not part of the document path.
        if prev == "value" and item in VALUE_TYPES:
            prev = item
            continue
        parts.append(f"[{item}]" if isinstance(item, int) else str(item))
        prev = item
    return ".".join(parts).replace(".[", "[")


class _Reader:
    """Turns a composed YAML node tree into plain data, recording lines and refusing tricks."""

    def __init__(self, origin: Origin):
        self.origin = origin
        self.seen: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, message: str) -> InvalidInput:
        return InvalidInput(message, where=f"{self.origin.name}:{node.start_mark.line + 1}")

    def convert(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        if id(node) in self.seen:
            raise self.fail(node, "YAML anchors and aliases are not supported")
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise self.fail(node, f"document is nested more than {MAX_DEPTH} levels deep")
        self.origin.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.fail(key_node, "mapping keys must be plain strings")
                key = key_node.value
                if key in out:
                    where = format_loc(path + (key,))
                    raise self.fail(key_node, f"duplicate key {where!r}")
                self.origin.lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == "tag:yaml.org,2002:str":
            return text
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            # YAML 1.1 reads yes/no/on/off as booleans ("the Norway problem"): only true/false are.
            return {"true": True, "false": False}.get(text.lower(), text)
        if tag == "tag:yaml.org,2002:int":
            return self.constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            cleaned = text.replace("_", "")
            if cleaned.lower().lstrip("+-") in (".inf", ".nan"):
                raise self.fail(node, f"{text!r}: NaN and Infinity are not numbers a term can hold")
            return Decimal(cleaned)  # exact: never through a binary float
        if tag == "tag:yaml.org,2002:timestamp":
            return self.constructor.construct_yaml_timestamp(node)
        raise self.fail(node, f"unsupported YAML tag {tag!r}")


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
        data = _parse_json(text, name)
        try:  # JSON is (nearly) YAML: reuse the YAML reader only to learn line numbers.
            _Reader(origin).convert(yaml.compose(text, Loader=_YAMLLoader), ())
        except (yaml.YAMLError, InvalidInput, RecursionError, ValueError):
            pass
        return data, origin
    try:
        node = yaml.compose(text, Loader=_YAMLLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InvalidInput(f"invalid YAML: {problem}", where=f"{name}:{line}" if line else name) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"invalid YAML: {exc}", where=name) from None
    except RecursionError:
        raise InvalidInput("document is nested too deeply", where=name) from None
    if node is None:
        raise InvalidInput("the file is empty", where=name)
    return _Reader(origin).convert(node, ()), origin


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
        return json.loads(text, object_pairs_hook=pairs, parse_float=Decimal, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid JSON: {exc.msg} (column {exc.colno})", where=f"{name}:{exc.lineno}") from None
    except RecursionError:
        raise InvalidInput("document is nested too deeply", where=name) from None


def read_document(path: str | Path, *, display_name: str | None = None) -> Document:
    """Read and parse one file; the document's ``kind`` decides what it becomes."""
    p = Path(path)
    name = display_name or str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"file is {size / 2**20:.1f} MiB; at most {MAX_FILE_BYTES // 2**20} MiB", where=name)
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("no such file", where=name) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory, not a file", where=name) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc.strerror}", where=name) from None
    return document_from_text(_decode(raw, name), name, is_json=p.suffix.lower() == ".json")


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
        msg = f"invalid key {loc[-1]!r}: use letters, digits, '_' and '-', with '.' between groups"
    elif kind == "extra_forbidden":
        loc, msg = loc[:-1], f"unknown field {loc[-1]!r}"
    elif kind == "missing":
        loc, msg = loc[:-1], f"missing field {loc[-1]!r}"
    elif kind == "union_tag_invalid":
        msg = f"unknown value type (expected one of {', '.join(VALUE_TYPES)})"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return loc, msg


def _validation_error(exc: ValidationError, origin: Origin) -> InvalidInput:
    return origin.error(*describe_validation_error(exc))


def build_negotiation(doc: Document) -> Negotiation:
    if doc.kind != "negotiation":
        raise doc.origin.error(("kind",), f"expected a negotiation, found a {doc.kind}")
    try:
        return Negotiation.model_validate(doc.data)
    except ValidationError as exc:
        raise _validation_error(exc, doc.origin) from None


def build_draft(doc: Document, negotiation: Negotiation) -> Draft:
    """Validate a draft document against its negotiation (parties, sources, options)."""
    if doc.kind != "draft":
        raise doc.origin.error(("kind",), f"expected a draft, found a {doc.kind}")
    data = dict(doc.data)
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
    for loc, message in negotiation.problems(draft):
        raise doc.origin.error(loc, message)
    return draft


def draft_file_dict(draft: Draft, negotiation: Negotiation | None = None) -> dict[str, Any]:
    """A draft as a file would hold it (canonical values; sources by id when in the bibliography)."""
    out: dict[str, Any] = {"kind": "draft", **draft.canonical()}
    if negotiation is not None and "sources" in out:
        out["sources"] = [
            s["id"] if negotiation.source(s["id"]) is not None and negotiation.source(s["id"]).canonical() == s else s
            for s in out["sources"]
        ]
    return out


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
