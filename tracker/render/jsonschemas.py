"""JSON Schemas for tracker's files and JSON output, generated from their declarations.

``python -m tracker.render.jsonschemas [DIR]`` writes them (default: the repository's ``schemas/``);
a test fails when the committed files are stale. Input files are described by the term-sheet
models; they may use shorthand values and cite sources by id, so their schemas widen the models'
canonical forms accordingly. Output documents are described by their shapes (``shapes.py``), the
same declarations ``jsonout`` builds them to.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from tracker.model.termsheet import RESERVED_DRAFT_IDS, TERM_KEY_PATTERN, Draft, Negotiation
from tracker.model.values import CURRENCIES
from tracker.render.shapes import DOCUMENTS

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
    # What pydantic leaves out of the generated schema, and the loader refuses all the same.
    keys = {"pattern": TERM_KEY_PATTERN, "minLength": 1, "maxLength": 200}
    if "Money" in defs:
        defs["Money"]["properties"]["currency"]["enum"] = sorted(CURRENCIES)
    if "Term" in defs:  # competing reports belong to a disputed term only
        defs["Term"]["if"] = {"required": ["reports"], "properties": {"reports": {"minItems": 1}}}
        defs["Term"]["then"] = {"required": ["confidence"], "properties": {"confidence": {"const": "disputed"}}}
    if kind == "draft":
        schema["properties"]["terms"]["propertyNames"] = keys
        schema["properties"]["id"]["not"] = {"anyOf": [{"enum": list(RESERVED_DRAFT_IDS)}, {"pattern": r"^v[0-9]+$"}],
                                              "description": "latest, v1, v2, … are references, not ids"}
    if "Citation" in defs:  # a bare source id is accepted for a citation
        defs["Citation"] = {"anyOf": [defs["Citation"], {"type": "string"}]}
    if kind == "negotiation":
        prefs = schema["properties"]["preferences"]
        (pattern,) = prefs["patternProperties"]
        prefs["patternProperties"][pattern] = {
            "type": "object",
            "description": "party code → higher, lower, or the options ranked best first (a yes/no term: [yes, no] or"
            " [no, yes]); `default`: the value that applies when a text leaves the term out",
            "properties": {"default": {"anyOf": [copy.deepcopy(defs["TermPreferences"]["properties"]["default"]), *SHORTHAND]}},
            "additionalProperties": {
                "anyOf": [
                    {"enum": ["higher", "lower"]},
                    {"type": "array", "minItems": 2, "items": {"type": ["string", "boolean"]}, "description": "options, best first"},
                ]
            },
        }
        defs.pop("TermPreferences", None)
        prefs["propertyNames"] = keys
    if kind == "draft":
        items = schema["properties"]["sources"]["items"]
        schema["properties"]["sources"]["items"] = {"anyOf": [items, {"type": "string", "description": "a source id from the negotiation's bibliography"}]}
    return schema


# --- output documents: generated from their one declaration, ``shapes.py`` ----------------------


def _output_schema(shape: type) -> dict[str, Any]:
    schema = TypeAdapter(shape).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema."""
    return {
        "negotiation.schema.json": _file_schema(Negotiation, "negotiation"),
        "draft.schema.json": _file_schema(Draft, "draft"),
        **{f"{name}.output.schema.json": _output_schema(shape) for name, shape in DOCUMENTS.items()},
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
    from tracker.model.resources import resource_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else resource_dir("schemas")
    for p in write(target):
        print(p)
