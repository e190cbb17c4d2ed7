"""JSON Schemas in schemas/ are generated from the models, current, and describe real files and output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import jsonschema
import pytest

from tests.conftest import REPO, SEEDS
from tracker.jsonschemas import render, schemas
from tracker.loading import parse_text


def plain(x):
    """YAML data as JSON would hold it (dates as strings, exact numbers as numbers)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, Decimal):
        return float(x)
    return x


@pytest.mark.parametrize("name", sorted(schemas()))
def test_committed_schema_is_current(name):
    committed = (REPO / "schemas" / name).read_text(encoding="utf-8")
    assert committed == render(schemas()[name]), f"schemas/{name} is stale: run `python -m tracker.jsonschemas`"


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.yaml")), ids=lambda p: p.name)
def test_seed_files_validate_against_the_file_schemas(path):
    data, _ = parse_text(path.read_text(encoding="utf-8"), path.name)
    schema = json.loads((REPO / "schemas" / f"{data['kind']}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(plain(data))


def test_a_misspelt_field_fails_the_schema_too():
    schema = json.loads((REPO / "schemas" / "draft.schema.json").read_text())
    bad = {"kind": "draft", "negotiation": "n", "id": "d", "title": "t", "tabled_by": ["A"], "date": "2025-01-01", "tems": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_log_and_show_output_validate(seeded):
    log_schema = json.loads((REPO / "schemas" / "log.output.schema.json").read_text())
    draft_schema = json.loads((REPO / "schemas" / "draft.output.schema.json").read_text())
    jsonschema.validate(seeded.json("log"), log_schema)
    for ref in ("v1", "v2", "v3", "v4"):
        jsonschema.validate(seeded.json("show", ref), draft_schema)
