"""JSON Schemas in schemas/ are generated from the models, current, and describe real files and output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, SEEDS
from tracker.input.loading import parse_text
from tracker.render.jsonschemas import render, schemas


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
    assert committed == render(schemas()[name]), f"schemas/{name} is stale: run `python -m tracker.render.jsonschemas`"


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


# --- the file schemas and the loader agree on the hostile corpus ------------------------------

HOSTILE = Path(__file__).parent / "hostile"
# Refused for their shape: the schema alone must refuse them too (the others need the
# negotiation, the database or YAML's own syntax to tell).
SHAPE = ["key_with_space.yaml", "key_with_slash.yaml", "key_sql_injection.yaml", "empty_key.yaml", "unknown_currency_code.yaml",
         "reports_without_dispute.yaml", "unknown_field.yaml", "unknown_value_type.yaml", "terms_is_a_list.yaml",
         "tabled_by_not_a_list.yaml", "title_is_a_number.yaml", "id_with_spaces.yaml", "reserved_id.yaml"]


def _hostile_documents():  # type: ignore[no-untyped-def]
    from tracker.input.loading import parse_text
    from tracker.model.errors import InvalidInput

    for path in sorted(HOSTILE.iterdir()):
        try:
            data, _ = parse_text(path.read_text(encoding="utf-8"), path.name, is_json=path.suffix == ".json")
        except (InvalidInput, UnicodeDecodeError):
            continue  # refused before there is a document to hold against a schema
        if isinstance(data, dict) and data.get("kind") in ("draft", "negotiation"):
            yield path, json.loads(json.dumps(data, default=_as_json))  # as an editor sees YAML: dates are strings


def _as_json(value):  # type: ignore[no-untyped-def]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value.adjusted() < 18 and value == value.to_integral_value():
            return int(value)
        return float(value)
    raise TypeError(type(value).__name__)


@pytest.mark.parametrize("name", SHAPE)
def test_the_file_schema_refuses_what_the_loader_refuses_for_its_shape(name):  # type: ignore[no-untyped-def]
    found = dict((p.name, d) for p, d in _hostile_documents())
    assert name in found, f"{name} is not a draft or negotiation document"
    schema = json.loads((REPO / "schemas" / f"{found[name]['kind']}.schema.json").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(found[name])), f"the schema lets {name} through"


def test_what_the_file_schema_refuses_in_the_corpus_the_loader_refuses_too():  # type: ignore[no-untyped-def]
    """The schema is never stricter than the loader: an editor's red line is a real error."""
    from tracker.input.loading import build_draft, build_negotiation, read_document
    from tracker.model.errors import TrackerError

    negotiation = build_negotiation(read_document(Path(__file__).parent / "sample" / "negotiation.yaml"))
    for path, data in _hostile_documents():
        schema = json.loads((REPO / "schemas" / f"{data['kind']}.schema.json").read_text())
        if not list(jsonschema.Draft202012Validator(schema).iter_errors(data)):
            continue
        with pytest.raises(TrackerError):
            doc = read_document(path)
            build_draft(doc, negotiation) if data["kind"] == "draft" else build_negotiation(doc)
