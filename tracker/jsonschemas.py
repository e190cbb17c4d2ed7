"""JSON Schemas for tracker's files and JSON output, generated from the pydantic models.

``python -m tracker.jsonschemas [DIR]`` writes them (default: the repository's ``schemas/``);
a test fails when the committed files are stale. Input files may use shorthand values and
cite sources by id, so their schemas widen the models' canonical forms accordingly.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from tracker.termsheet import Draft, Negotiation, Source, Term
from tracker.values import Value

SHORTHAND = [
    {"type": "string", "description": "shorthand: 50%, $500B, '45 days', 2025-02-12, none, choice:x, …"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "array", "items": {"type": "string"}, "description": "a set of strings"},
    {"type": "null", "description": "the term is explicitly absent"},
]
TYPE_HINT = {
    "enum": ["money", "percent", "number", "boolean", "choice", "set", "text", "date", "none"],
    "description": "Parse hint for shorthand: a bare word is text unless the type is choice.",
}


def _file_schema(model: type[BaseModel], kind: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema["properties"] = {"kind": {"const": kind}, **schema["properties"]}
    schema["required"] = ["kind", *schema.get("required", [])]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    defs = schema.get("$defs", {})
    for name in ("Term", "Report"):
        if name in defs:
            props = defs[name]["properties"]
            props["value"] = {"anyOf": [copy.deepcopy(props["value"]), *SHORTHAND]}
            if name == "Term":
                props["type"] = TYPE_HINT
    if "Citation" in defs:  # a bare source id is accepted for a citation
        defs["Citation"] = {"anyOf": [defs["Citation"], {"type": "string"}]}
    if kind == "draft":
        items = schema["properties"]["sources"]["items"]
        schema["properties"]["sources"]["items"] = {"anyOf": [items, {"type": "string", "description": "a source id from the negotiation's bibliography"}]}
    return schema


# --- output documents (used only to describe `--format json`) ----------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DraftSummaryOut(_Out):
    id: str
    seq: int
    hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    title: str
    tabled_by: list[str]
    date: str
    parents: list[str]
    status: str


class NegotiationRefOut(_Out):
    id: str
    title: str


class LogOut(_Out):
    schema_: Literal["tracker.log/v1"] = Field(alias="schema")
    negotiation: NegotiationRefOut
    drafts: list[DraftSummaryOut]


class DraftOut(DraftSummaryOut):
    schema_: Literal["tracker.draft/v1"] = Field(alias="schema")
    negotiation: str
    sources: list[Source]
    notes: Optional[str] = None
    recorded_at: Optional[str]
    terms: dict[str, Term]


class StepOut(_Out):
    draft: str
    seq: int
    date: str
    tabled_by: list[str]
    value: Optional[Value]


class ChangeOut(_Out):
    term: str
    kind: Literal["changed", "renamed", "dropped", "added", "annotated"]
    old_term: Optional[str] = None
    old: Optional[Value]
    new: Optional[Value]
    delta: dict[str, Any]
    pushed_by: Optional[list[str]]
    basis: Optional[Literal["explicit", "adopted", "author"]]
    introduced_in: Optional[str]
    adopted_from: Optional[str]
    steps: list[StepOut]
    evidence: Optional[str]
    stance: dict[str, Literal["concession", "hardening", "neutral"]]
    annotations: dict[str, Any]


class SummaryOut(_Out):
    changed: int
    renamed: int
    dropped: int
    added: int
    annotated: int
    unchanged: int


class ThreeWayTermOut(_Out):
    term: str
    base: Optional[Value]
    old: Optional[Value]
    new: Optional[Value]
    moved: Literal["old", "new", "both"]


class ThreeWayOut(_Out):
    base: Optional[DraftSummaryOut]
    terms: list[ThreeWayTermOut]


class DiffOut(_Out):
    schema_: Literal["tracker.diff/v1"] = Field(alias="schema")
    negotiation: str
    from_: DraftSummaryOut = Field(alias="from")
    to: DraftSummaryOut
    summary: SummaryOut
    changes: list[ChangeOut]
    three_way: Optional[ThreeWayOut] = None


def _output_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema."""
    return {
        "negotiation.schema.json": _file_schema(Negotiation, "negotiation"),
        "draft.schema.json": _file_schema(Draft, "draft"),
        "log.output.schema.json": _output_schema(LogOut),
        "draft.output.schema.json": _output_schema(DraftOut),
        "diff.output.schema.json": _output_schema(DiffOut),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    from tracker.resources import resource_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_dir("schemas")
    for p in write(target):
        print(p)
