"""JSON Schemas in schemas/ are generated from the models (files) and the shapes (output), current, and
describe real files and every command's real output."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from licence_deal import write_licence_deal

from tests.conftest import REPO, SEEDS, tamper
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


# --- every command's JSON output, against the schema generated from its shape -------------------


def output_schema(name: str) -> dict:
    return json.loads((REPO / "schemas" / f"{name}.output.schema.json").read_text())


def check(name: str, data: dict) -> None:
    """Validate, and check the document names the schema it is described by."""
    schema = output_schema(name)
    assert data["schema"] == schema["properties"]["schema"]["const"]
    jsonschema.Draft202012Validator(schema).validate(data)


def _objects(node):
    """Every object schema inside a schema."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield node
        for child in node.values():
            yield from _objects(child)
    elif isinstance(node, list):
        for child in node:
            yield from _objects(child)


# What ``show`` gives as recorded (canonical, as in a draft file): a draft's sources and terms.
RECORDED = {"Source", "Term", "Citation", "Report", "PushedBy"}


@pytest.mark.parametrize("name", sorted(n for n in schemas() if n.endswith(".output.schema.json")))
def test_every_output_record_is_closed_and_holds_every_field_it_declares(name):
    """What makes a missing or an undeclared field fail validation: every record is closed
    and requires all its fields — but for the canonical forms, which leave out what is unset:
    typed values (an unset qualifier) and, in ``show``, the draft's sources and terms."""
    for obj in _objects(schemas()[name]):
        if "const" in obj["properties"].get("type", {}):  # a typed value: {"type": "money", …}
            continue
        if name == "draft.output.schema.json" and obj["title"] in RECORDED:
            continue
        assert obj.get("additionalProperties") is False, obj.get("title")
        assert set(obj.get("required", [])) == set(obj["properties"]), obj.get("title")


def documents(t, *, three_way: tuple[str, str], keys=None):  # type: ignore[no-untyped-def]
    """(schema name, document) for every command that prints JSON, on what ``t`` holds: every
    draft shown, blamed and diffed against its first parent; histories of ``keys`` (default:
    every term); positions and gaps now and as of every draft date and the day before the first."""
    log = t.json("log")
    yield "log", log
    yield "parties", t.json("parties")
    yield "negotiations", t.json("negotiations")
    for d in log["drafts"]:
        yield "draft", t.json("show", d["id"])
        yield "blame", t.json("blame", d["id"])
        if d["parents"]:
            yield "diff", t.json("diff", d["parents"][0], d["id"])
    yield "diff", t.json("diff", "v1", "latest")
    yield "diff", t.json("diff", *three_way, "--three-way")
    positions = t.json("positions")
    for key in keys or [term["term"] for term in positions["terms"]]:
        yield "history", t.json("history", key)
    first = dt.date.fromisoformat(min(d["date"] for d in log["drafts"]))
    for day in sorted({d["date"] for d in log["drafts"]} | {(first - dt.timedelta(days=1)).isoformat()}):
        yield "positions", t.json("positions", "--as-of", day)
        yield "gap", t.json("gap", "--as-of", day)
    yield "positions", positions
    yield "gap", t.json("gap")
    yield "verify", t.json("verify")
    yield "report", t.json("report")


def test_every_command_output_on_the_case_study_validates(seeded):
    seen = set()
    keys = ("us_ownership_stake", "past_aid_as_debt", "compensation_amount", "fund.ownership", "security_guarantees")
    for name, data in documents(seeded, three_way=("kyiv-amendments", "us-revised"), keys=keys):
        check(name, data)
        seen.add(name)
    assert seen == {n.removesuffix(".output.schema.json") for n in schemas() if n.endswith(".output.schema.json")}


@pytest.fixture
def licence(tracker, tmp_path):
    """The invented licence negotiation, with what is learnt later: a status, a competing
    report of a value, a correction."""
    tracker.ok("record", *write_licence_deal(tmp_path / "licence"))
    tracker.ok("status", "v1-reply", "rejected", "--date", "2025-04-04")
    tracker.ok("cite", "v2-final", "fee", "--source", "{id: blog, outlet: A blog}", "--value", "USD 125000")
    tracker.ok("correct", "v2-final", "--set", "seats=number:46 seats", "--note", "typo")
    return tracker


def test_every_command_output_with_partial_drafts_renames_disputes_and_deferrals_validates(licence):
    found = {}
    for name, data in documents(licence, three_way=("c2", "v1-reply")):
        check(name, data)
        found.setdefault(name, []).append(data)
    # The shapes that only some records take were all there to be checked.
    shown = {d["id"]: d for d in found["draft"]}
    assert shown["p1"]["carried"] and shown["c1"]["carried"] is None and shown["c1"]["notes"] == "First text"
    changes = [c for d in found["diff"] for c in d["changes"]]
    assert {"renamed", "unreported", "dropped", "added"} <= {c["kind"] for c in changes}
    assert any(c["old_term"] == "governing_law" for c in changes) and any(c["old_reports"] for c in changes)
    assert any(d["three_way"] for d in found["diff"]) and any(d["three_way"] is None for d in found["diff"])
    rows = [r for h in found["history"] for r in h["drafts"]]
    assert {"carried", "renamed", "absent", "unknown"} <= {r["event"] for r in rows}
    assert any(r["pushed_by"] is None for r in rows) and any(r["basis"] == "explicit" for r in rows)
    gaps = found["gap"]
    distances = [r["distance"] for g in gaps for r in g["open"] if r["distance"]]
    assert {"money", "duration", "rank", "number"} <= {d["kind"] for d in distances} and any(d["approximate"] for d in distances)
    assert any(r["deferred"] for g in gaps for r in g["open"]) and any(g["unaddressed"] for g in gaps)
    assert any(None in p["latest"].values() for p in found["positions"])
    assert next(d for d in found["log"][0]["drafts"] if d["id"] == "v2-final")["corrected_by"] == "v2-final-corrected"
    assert found["report"][0]["histories"] and found["verify"][0]["ok"]


def test_verify_output_with_problems_validates(licence):
    tamper(licence.url, "UPDATE term_blobs SET body = replace(body, '150000', '160000')")
    result = licence("verify", "--format", "json")
    assert result.exit_code == 7
    data = json.loads(result.stdout)
    check("verify", data)
    assert data["problems"] and not data["ok"]


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
# strict, so integrators learn of a renamed field instead of silently reading nothing; a field
# left out, or one added, fails as well.
MISSPELT = {  # name → (command, where, field, misspelling)
    "log": (("log",), ("drafts", 0), "status_now", "status_nw"),
    "draft": (("show", "kyiv-amendments"), (), "notes", "note"),
    "parties": (("parties",), ("negotiation",), "title", "name"),
    "negotiations": (("negotiations",), ("negotiations", 0), "drafts", "draft_count"),
    "diff": (("diff", "v1", "latest"), ("changes", 0), "old_term", "renamed_from"),
    "blame": (("blame",), ("terms", 0), "introduced_in", "introduced_by"),
    "history": (("history", "us_ownership_stake"), ("drafts", 0), "event", "evnt"),
    "positions": (("positions",), ("latest", "US"), "coverage", "covered"),
    "gap": (("gap", "--as-of", "2025-02-15"), ("convergence", 0), "share", "shares"),
    "verify": (("verify",), (), "heads", "head"),
    "report": (("report",), ("changes", 0, "changes", 0), "delta_text", "delta_txt"),
}


@pytest.mark.parametrize("how", ["misspelt", "left out", "added"])
@pytest.mark.parametrize("name", sorted(MISSPELT))
def test_a_misspelt_missing_or_extra_output_field_fails_the_schema(seeded, name, how):
    command, where, field, misspelt = MISSPELT[name]
    data = seeded.json(*command)
    check(name, data)
    inner = data
    for step in where:
        inner = inner[step]
    if how == "misspelt":
        inner[misspelt] = inner.pop(field)
    elif how == "left out":
        del inner[field]
    else:
        inner[misspelt] = inner[field]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(output_schema(name)).validate(data)


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
