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
    for draft in seeded.json("log")["drafts"]:
        jsonschema.validate(seeded.json("show", draft["id"]), draft_schema)


# --- blame, history, positions, gap and report output ------------------------------------------


def output_schema(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((REPO / "schemas" / f"{name}.output.schema.json").read_text()))


VERSIONS = {"blame": "v2", "history": "v2", "positions": "v2", "gap": "v2", "report": "v2"}


def check(name: str, data: dict) -> None:
    """Validate, and check the document names the schema it is described by."""
    assert data["schema"] == f"tracker.{name}/{VERSIONS[name]}"
    output_schema(name).validate(data)


def test_blame_history_positions_gap_and_report_output_validate(seeded):
    for draft in seeded.json("log")["drafts"]:
        check("blame", seeded.json("blame", draft["id"]))
    # Carried over and never restated; disputed; dropped (explicitly none); added late; changed.
    keys = ("us_ownership_stake", "past_aid_as_debt", "compensation_amount", "fund.ownership", "security_guarantees")
    histories = {key: seeded.json("history", key) for key in keys}
    for history in histories.values():
        check("history", history)
    assert {"dropped", "carried"} <= {r["event"] for r in histories["compensation_amount"]["drafts"]}
    check("positions", seeded.json("positions"))
    check("positions", seeded.json("positions", "--as-of", "2025-02-15"))
    check("gap", seeded.json("gap"))
    gap = seeded.json("gap", "--as-of", "2025-02-15")
    check("gap", gap)
    assert gap["open"] and any(p["distances"] for p in gap["convergence"])  # open rows and distances were checked
    check("report", seeded.json("report"))


def test_synthetic_output_with_renames_and_three_parties_validates(tracker, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import synthetic

    neg = synthetic.generate(40, 8, seed=2, renames=True, parties=3)
    synthetic.write(neg, tmp_path / "drafts")
    tracker.ok("record", str(neg.negotiation_path), *[str(d.path) for d in neg.drafts])

    log = tracker.json("log")
    for d in log["drafts"]:
        check("blame", tracker.json("blame", d["id"]))
    report = tracker.json("report")
    check("report", report)
    renamed = [h["term"] for h in report["histories"] if h["aliases"]]
    assert renamed  # the histories below follow renames
    for key in renamed[:3]:
        check("history", tracker.json("history", key))
    middle = log["drafts"][len(log["drafts"]) // 2]["date"]
    for args in ((), ("--as-of", middle)):
        check("positions", tracker.json("positions", *args))
        for a, b in (("P1", "P2"), ("P1", "P3"), ("P2", "P3")):
            check("gap", tracker.json("gap", a, b, *args))


# One real document per schema, with a field misspelt somewhere inside it: the schemas are
# strict, so integrators learn of a renamed field instead of silently reading nothing.
MISSPELT = {  # name → (command, where, field, misspelling)
    "blame": (("blame",), ("terms", 0), "introduced_in", "introduced_by"),
    "history": (("history", "us_ownership_stake"), ("drafts", 0), "event", "evnt"),
    "positions": (("positions",), ("terms", 0, "positions", "US"), "absent", "absnet"),
    "gap": (("gap", "--as-of", "2025-02-15"), ("convergence", 0), "share", "shares"),
    "report": (("report",), ("changes", 0, "changes", 0), "delta_text", "delta_txt"),
}


@pytest.mark.parametrize("name", sorted(MISSPELT))
def test_a_misspelt_output_field_fails_the_schema(seeded, name):
    command, where, field, misspelt = MISSPELT[name]
    data = seeded.json(*command)
    output_schema(name).validate(data)
    inner = data
    for step in where:
        inner = inner[step]
    inner[misspelt] = inner.pop(field)
    with pytest.raises(jsonschema.ValidationError):
        output_schema(name).validate(data)
