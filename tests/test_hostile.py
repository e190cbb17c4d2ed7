"""Hostile input: every bad file or flag gets one clear line, a non-zero exit, and no write.

The corpus is tests/hostile/ (small files, committed) plus cases generated here (10 MB files,
deep nesting, bytes that are not UTF-8). Each case pins the exact error line — file:line:
path: message — and proves with a snapshot that the database is exactly as it was. Text that
merely looks hostile (right-to-left scripts, emoji, SQL or shell syntax in a value) is valid
input and must come back byte for byte.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import BACKENDS, Tracker, snapshot

TESTS = Path(__file__).parent
HOSTILE = TESTS / "hostile"
SAMPLE = TESTS / "sample"

# (file, exit code, error after "Error: " with {f} for the file's path). Files named in
# TOGETHER are recorded with a second file in the same batch.
TOGETHER = {"ancestor_loop_a.yaml": "ancestor_loop_b.yaml"}
CASES = [
    ("ambiguous_currency_symbol.yaml", 3, "{f}:10: terms.price.value: ambiguous currency symbol '¥' in '¥6m': it stands for JPY or CNY; write the ISO code (e.g. JPY 5m)"),
    ("ambiguous_decimal_comma.yaml", 3, "{f}:10: terms.earn_out.value: ambiguous number '1,5': a comma is read only as a thousands separator in groups of three (write 1.5 or 1,500)"),
    ("amount_30_digits.yaml", 3, '{f}:10: terms.price.value: number has 30 digits before the point; at most 18'),
    ("ancestor_loop_a.yaml", 3, '{f}:7: parents: a draft cannot be its own ancestor (loop-a → loop-b → loop-a)'),
    ("billion_laughs.yaml", 3, '{f}:2: YAML anchors and aliases are not supported'),
    ("binary_tag.yaml", 3, "{f}:8: unsupported YAML tag 'tag:yaml.org,2002:binary'"),
    ("choice_not_ranked.yaml", 3, "{f}:11: terms.structure.value: 'cash' is not among the options ranked for A: asset, stock"),
    ("date_ambiguous.yaml", 3, "{f}:6: date: ambiguous date '05/03/2025': write dates as YYYY-MM-DD"),
    ("date_does_not_exist.yaml", 3, "{f}:6: date: '2025-02-30' is not a valid date"),
    ("duplicate_field.yaml", 3, "{f}:8: duplicate key 'id'"),
    ("duplicate_nested.json", 3, "{f}:13: duplicate key 'terms.price.value'"),
    ("duplicate_term.yaml", 3, "{f}:11: duplicate key 'terms.price'"),
    ("empty.yaml", 3, '{f}: the file is empty'),
    ("empty_key.yaml", 3, "{f}:9: terms.: invalid key '': use letters, digits, '_' and '-', with '.' between groups"),
    ("exponent_400.json", 3, '{f}:13: terms.shares.value: number has 401 digits before the point; at most 18'),
    ("id_with_spaces.yaml", 3, "{f}:3: id: String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
    ("infinity.json", 3, '{f}:13: Infinity: NaN and Infinity are not numbers a term can hold'),
    ("json_single_quotes.json", 3, '{f}:1: invalid JSON: Expecting property name enclosed in double quotes (column 2)'),
    ("json_syntax.json", 3, '{f}:2: invalid JSON: Expecting value (column 8)'),
    ("json_trailing_comma.json", 3, '{f}:3: invalid JSON: Expecting property name enclosed in double quotes (column 1)'),
    ("key_is_a_list.yaml", 3, '{f}:9: mapping keys must be plain strings'),
    ("key_sql_injection.yaml", 3, '{f}:9: terms.x\'; DROP TABLE drafts; --: invalid key "x\'; DROP TABLE drafts; --": use letters, digits, \'_\' and \'-\', with \'.\' between groups'),
    ("key_with_slash.yaml", 3, "{f}:9: terms.price/usd: invalid key 'price/usd': use letters, digits, '_' and '-', with '.' between groups"),
    ("key_with_space.yaml", 3, "{f}:9: terms.purchase price: invalid key 'purchase price': use letters, digits, '_' and '-', with '.' between groups"),
    ("money_without_currency.yaml", 3, "{f}:10: terms.price.value: ambiguous amount '6M': money needs a currency (e.g. $5M or EUR 5M)"),
    ("nan.json", 3, '{f}:13: NaN: NaN and Infinity are not numbers a term can hold'),
    ("nan.yaml", 3, "{f}:10: '.nan': NaN and Infinity are not numbers a term can hold"),
    ("negative_infinity.yaml", 3, "{f}:10: '-.inf': NaN and Infinity are not numbers a term can hold"),
    ("number_30_digits.json", 3, '{f}:13: terms.shares.value: number has 30 digits before the point; at most 18'),
    ("own_parent.yaml", 3, "{f}:7: parents: a draft cannot be its own parent ('reply')"),
    ("percent_negative.yaml", 3, "{f}:10: terms.earn_out.value: a percentage share must be between 0 and 100, got -5 (for a rate use a number with unit '%')"),
    ("percent_over_100.yaml", 3, "{f}:10: terms.earn_out.value: a percentage share must be between 0 and 100, got 150 (for a rate use a number with unit '%')"),
    ("percent_typed_over_100.yaml", 3, "{f}:11: terms.earn_out.value.value: a percentage share must be between 0 and 100, got 100.5 (for a rate use a number with unit '%')"),
    ("pushed_by_unknown_party.yaml", 3, "{f}:11: terms.price.pushed_by.parties[0]: unknown party 'Z'"),
    ("python_object_tag.yaml", 3, "{f}:10: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("reports_without_dispute.yaml", 3, "{f}:9: terms.price: competing 'reports' are only for confidence: disputed"),
    ("reserved_id.yaml", 3, "{f}:3: id: 'latest' is reserved for references (latest, v1, v2, …)"),
    ("rewrites_a_recorded_draft.yaml", 5, "{f}:3: id: draft 'first-offer' is already recorded (v1) with different content; recorded drafts never change: record a new draft with another id"),
    ("set_of_lists.yaml", 3, '{f}:10: terms.jurisdictions.value.items: set items must be strings, got list'),
    ("tabled_by_not_a_list.yaml", 3, '{f}:5: tabled_by: Input should be a valid list'),
    ("terms_is_a_list.yaml", 3, '{f}:8: terms: Input should be a valid dictionary'),
    ("title_is_a_number.yaml", 3, '{f}:4: title: Input should be a valid string'),
    ("too_many_decimals.yaml", 3, '{f}:10: terms.shares.value: number has 12 decimal places; at most 8'),
    ("top_level_list.yaml", 3, "{f}:1: expected a mapping with a 'kind' field at the top"),
    ("unknown_currency.yaml", 3, "{f}:10: terms.price.value: unknown currency 'XYZ' in 'XYZ 6m'"),
    ("unknown_currency_code.yaml", 3, "{f}:10: terms.price.value.currency: unknown currency 'ABC' (expected an ISO 4217 code such as USD, EUR)"),
    ("unknown_field.yaml", 3, "{f}:9: terms.price: unknown field 'colour'"),
    ("unknown_kind.yaml", 3, "{f}:1: kind: unknown kind 'treaty' (expected 'negotiation' or 'draft')"),
    ("unknown_negotiation.yaml", 3, "{f}:2: negotiation: unknown negotiation 'globex-merger' (known: acme-merger) — record its negotiation file first, or with this batch"),
    ("unknown_parent.yaml", 4, "{f}:7: parents[0]: unknown parent draft 'zeroth-offer'"),
    ("unknown_party.yaml", 3, "{f}:5: tabled_by[0]: unknown party 'C' (parties: A, B)"),
    ("unknown_source.yaml", 3, "{f}:8: sources[0]: unknown source 'memo-9' (not in acme-merger's bibliography)"),
    ("unknown_value_type.yaml", 3, '{f}:10: terms.price.value: unknown value type (expected one of money, percent, number, boolean, choice, set, text, date, none)'),
    ("unlisted_citation.yaml", 3, "{f}:11: terms.price.sources[0]: cites source 'memo-1', which the draft does not list"),
    ("value_mapping_without_type.yaml", 3, "{f}:10: terms.price.value: a value mapping needs a 'type' (one of money, percent, number, boolean, choice, set, text, date, none)"),
    ("value_with_a_time.yaml", 3, '{f}:10: terms.closing.value: dates are plain YYYY-MM-DD, without a time'),
    ("yaml_anchor.yaml", 3, '{f}:9: YAML anchors and aliases are not supported'),
    ("yaml_bad_indent.yaml", 3, '{f}:11: invalid YAML: did not find expected key'),
    ("yaml_merge_key.yaml", 3, "{f}:10: YAML merge keys ('<<') are not supported"),
    ("yaml_tab_indent.yaml", 3, '{f}:9: invalid YAML: found character that cannot start any token'),
    ("yaml_two_documents.yaml", 3, '{f}:8: invalid YAML: expected a single document, but found another'),
    ("yaml_unclosed_flow.yaml", 3, "{f}:10: invalid YAML: did not find expected ',' or ']'"),
    ('arabic_indic_digits.yaml', 3, "{f}:10: terms.earn_out.value: '٥٠%' has digits other than 0-9: write numbers with 0-9 (or text:… for text)"),
    ('currency_as_unit.yaml', 3, "{f}:10: terms.price.value.unit: 'USD' is a currency, not a unit: write the amount as money (e.g. USD 5)"),
    ('date_from_number.yaml', 3, '{f}:6: date: a date is written YYYY-MM-DD, not 0'),
    ('exponent_million.yaml', 3, '{f}:10: terms.shares.value: number has 1000001 digits before the point; at most 18'),
    ('party_alias_clash.yaml', 3, "{f}:4: parties: 'B' names two parties, A (alias) and B (code); codes, names and aliases must differ, ignoring case"),
    ('title_line_separator.yaml', 3, '{f}:4: title: control character U+2028 is not allowed here: titles, names, labels, units and options are one line of plain text'),
    ('typed_boolean_off.yaml', 3, "{f}:10: terms.escrow.value.value: a boolean value is true or false, not 'off'"),
    ('typed_boolean_zero.yaml', 3, '{f}:10: terms.escrow.value.value: a boolean value is true or false, not 0'),
    ('typed_date_from_number.yaml', 3, '{f}:10: terms.closing.value.value: a date is written YYYY-MM-DD, not 1740960000'),
    ('unit_with_escape.yaml', 3, '{f}:10: terms.hours.value.unit: control character U+001B is not allowed here: titles, names, labels, units and options are one line of plain text'),
    ('yaml_hex_number.yaml', 3, "{f}:10: '0x1F': numbers are written in decimal; quote it if it is text"),
    ('yaml_octal_form.yaml', 3, "{f}:10: '0o17': numbers are written in decimal; quote it if it is text"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the sample negotiation and its first draft, set up once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'base.db'}"
    else:
        url = request.getfixturevalue("pg_schemas").new()
    Tracker(url, TESTS).ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    return url


@pytest.fixture
def db(base_url: str, tmp_path: Path) -> str:
    """SQLite: a private copy. PostgreSQL: the shared schema — every case must leave it unchanged."""
    if base_url.startswith("sqlite"):
        path = tmp_path / "db.sqlite"
        shutil.copy(base_url.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    return base_url


def refused(url: str, cwd: Path, *args: str):  # type: ignore[no-untyped-def]
    before = snapshot(url)
    result = Tracker(url, cwd)(*args)
    assert snapshot(url) == before, "the database changed"
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.exit_code, result.stderr.removeprefix("Error: ").rstrip("\n")


def test_the_corpus_is_large_and_every_file_has_a_case():
    named = {c[0] for c in CASES} | set(TOGETHER.values())
    assert sorted(named) == sorted(p.name for p in HOSTILE.iterdir())
    assert len(CASES) + len(GENERATED) + len(FLAGS) >= 40


@pytest.mark.parametrize("name, code, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_file_is_refused_with_one_exact_line(db, name, code, message):
    files = [f"hostile/{name}"] + ([f"hostile/{TOGETHER[name]}"] if name in TOGETHER else [])
    assert refused(db, TESTS, "record", *files) == (code, message.format(f=files[0]))


def _deep_yaml(path: Path) -> None:
    path.write_text(HEAD + "notes: " + "[" * 60 + "]" * 60 + "\n")


def _deep_json(path: Path) -> None:
    path.write_text('{"kind": "draft",\n "notes": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _big(path: Path) -> None:
    with path.open("w") as fh:
        fh.write(HEAD + "notes: '")
        fh.write("a" * (10 * 2**20))
        fh.write("'\n")


def _latin1(path: Path) -> None:
    path.write_bytes(HEAD.encode() + "notes: caf\xe9\n".encode("latin-1"))


def _utf16(path: Path) -> None:
    path.write_bytes(HEAD.encode("utf-16"))


def _nul(path: Path) -> None:
    path.write_bytes(HEAD.encode() + b"notes: a\x00b\n")


def _long_text(path: Path) -> None:
    path.write_text(HEAD + "terms:\n  clause:\n    value: {type: text, value: '" + "x" * 100_001 + "'}\n")


def _many_terms_one_bad(path: Path) -> None:
    terms = "".join(f"  t{i}:\n    value: {i % 100}%\n" for i in range(5000))
    path.write_text(HEAD + "terms:\n" + terms + "  t5000:\n    value: 101%\n")


def _digits_5000(path: Path) -> None:
    path.write_text(HEAD + "terms:\n  shares:\n    value: " + "9" * 5000 + "\n")


def _digits_5000_json(path: Path) -> None:
    path.write_text('{"kind": "draft", "negotiation": "acme-merger", "id": "reply", "title": "R", "tabled_by": ["B"],\n'
                    ' "date": "2025-03-05", "parents": ["first-offer"],\n "terms": {"shares": {"value": ' + "9" * 5000 + "}}}")


HEAD = (HOSTILE / "unknown_field.yaml").read_text().split("terms:")[0]
GENERATED = [
    ("deep.yaml", _deep_yaml, 3, "{f}:8: document is nested more than 40 levels deep"),
    ("digits_5000.yaml", _digits_5000, 3, "{f}:10: terms.shares.value: number has 5000 digits before the point; at most 18"),
    ("digits_5000.json", _digits_5000_json, 3, "{f}:3: terms.shares.value: number has 5000 digits before the point; at most 18"),
    ("deep.json", _deep_json, 3, "{f}: document is nested too deeply"),
    ("ten_megabytes.yaml", _big, 3, "{f}: file is 10.0 MiB; at most 8 MiB"),
    ("latin1.yaml", _latin1, 3, "{f}:8: not UTF-8 text (byte 132)"),
    ("utf16.yaml", _utf16, 3, "{f}:1: not UTF-8 text (byte 0)"),
    ("nul_byte.yaml", _nul, 3, "{f}:8: invalid YAML: unacceptable character #x0000: control characters are not allowed"),
    ("long_text.yaml", _long_text, 3, "{f}:10: terms.clause.value.value: String should have at most 100000 characters"),
    ("many_terms_one_bad.yaml", _many_terms_one_bad, 3,
     "{f}:10010: terms.t5000.value: a percentage share must be between 0 and 100, got 101 (for a rate use a number with unit '%')"),
]


@pytest.mark.parametrize("name, make, code, message", GENERATED, ids=[g[0] for g in GENERATED])
def test_generated_hostile_file_is_refused_with_one_exact_line(db, tmp_path, name, make, code, message):
    (tmp_path / "hostile").mkdir()
    make(tmp_path / "hostile" / name)
    assert refused(db, tmp_path, "record", f"hostile/{name}") == (code, message.format(f=f"hostile/{name}"))


DERIVE = ("record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B")
FLAGS = [
    (("--set", "x'; DROP TABLE drafts; --=5"), 3,
     "terms.x'; DROP TABLE drafts; --: invalid key \"x'; DROP TABLE drafts; --\": use letters, digits, '_' and '-', with '.' between groups"),
    (("--set", "price/usd=5"), 3, "terms.price/usd: invalid key 'price/usd': use letters, digits, '_' and '-', with '.' between groups"),
    (("--set", "purchase price=5"), 3, "terms.purchase price: invalid key 'purchase price': use letters, digits, '_' and '-', with '.' between groups"),
    (("--set", "=5"), 3, "--set '=5': expected KEY=VALUE"),
    (("--set", "earn_out=NaN"), 3, "--set earn_out: cannot read 'NaN' as percent"),
    (("--set", "earn_out=-Infinity%"), 3, "--set earn_out: cannot read '-Infinity%' as percent"),
    (("--set", "earn_out=150%"), 3, "--set earn_out: a percentage share must be between 0 and 100, got 150 (for a rate use a number with unit '%')"),
    (("--set", "price=$123456789012345678901234567890"), 3, "--set price: number has 30 digits before the point; at most 18"),
    (("--set", "price=XYZ 5m"), 3, "--set price: unknown currency 'XYZ' in 'XYZ 5m'"),
    (("--drop", "price' OR '1'='1"), 4, "--drop \"price' OR '1'='1\": no such term in first-offer"),
    (("--tabled-by", "B' OR '1'='1"), 4, "--tabled-by \"B' OR '1'='1\": unknown party (parties: A, B)"),
    (("--id", "x; rm -rf ~"), 3, "--id: String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
    (("--date", "2025-02-30"), 3, "--date '2025-02-30': expected YYYY-MM-DD"),
]


@pytest.mark.parametrize("extra, code, message", FLAGS, ids=[" ".join(f[0]) for f in FLAGS])
def test_hostile_flags_are_refused_with_one_exact_line(db, extra, code, message):
    args = list(DERIVE)
    if extra[0] in ("--id", "--tabled-by"):
        i = args.index(extra[0])
        args[i + 1] = extra[1]
    else:
        args += list(extra)
    assert refused(db, TESTS, *args) == (code, message)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("-n", "acme' OR 1=1 --", "log"), 4, "unknown negotiation \"acme' OR 1=1 --\" (known: acme-merger)"),
        (("show", "v1' OR '1'='1"), 4, "unknown draft \"v1' OR '1'='1\""),
    ],
    ids=["negotiation", "draft"],
)
def test_hostile_references_are_not_found(db, args, code, message):
    if args[0] == "-n":
        args = (args[2], "-n", args[1])
    assert refused(db, TESTS, *args) == (code, message)


# --- valid input that only looks hostile ---------------------------------------------------

RTL = "اتفاقية الاستثمار \u200f(مسودة)\u200f"  # Arabic with right-to-left marks
HEBREW = "הסכם \u202eמהופך\u202c"  # Hebrew with a bidi override
EMOJI = "👩‍👩‍👧 family 🇺🇦🇺🇸 👍🏽 e\u0301"  # ZWJ sequence, flags, skin tone, combining accent
INJECTION = "Robert'); DROP TABLE drafts; -- $(rm -rf ~) `id` \\x00 %s {0}"


def test_right_to_left_emoji_and_injection_text_round_trip_exactly(tracker, tmp_path):
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    draft = {
        "kind": "draft", "negotiation": "acme-merger", "id": "unicode", "title": RTL, "tabled_by": ["B"],
        "date": "2025-03-05", "parents": ["first-offer"], "notes": HEBREW,
        "terms": {
            "clause": {"label": EMOJI, "value": {"type": "text", "value": INJECTION}},
            "names": {"value": {"type": "set", "items": [RTL, EMOJI]}},
            "venue": {"value": {"type": "choice", "value": HEBREW}},
        },
    }
    (tmp_path / "unicode.yaml").write_text(__import__("yaml").safe_dump(draft, allow_unicode=True), encoding="utf-8")
    (tmp_path / "unicode.json").write_text(json.dumps({**draft, "id": "unicode-json"}, ensure_ascii=True))
    tracker.ok("record", "unicode.yaml", "unicode.json")
    for draft_id in ("unicode", "unicode-json"):
        shown = tracker.json("show", draft_id)
        assert (shown["title"], shown["notes"]) == (RTL, HEBREW)
        assert shown["terms"]["clause"] == {"label": EMOJI, "value": {"type": "text", "value": INJECTION}}
        # Set items are compared as words: composed (NFC), so "e" + accent is "é", one item.
        assert shown["terms"]["names"]["value"]["items"] == sorted([RTL, unicodedata.normalize("NFC", EMOJI)])
        assert shown["terms"]["venue"]["value"]["value"] == HEBREW
    assert tracker.json("show", "unicode")["hash"] != tracker.json("show", "unicode-json")["hash"]  # ids differ
    # Through export and import, into another database: unchanged.
    tracker.ok("export", "-o", "dump.json")
    other = Tracker(f"sqlite:///{tmp_path / 'other.db'}", tmp_path)
    other.ok("import", "dump.json")
    assert other.json("show", "unicode") == tracker.json("show", "unicode")
    assert tracker("verify").exit_code == 0


def test_injection_looking_set_value_is_stored_verbatim(tracker, tmp_path):
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    value = "5'); DROP TABLE drafts; -- $(touch pwned) `touch pwned2`"
    tracker.ok(*DERIVE, "--set", f"note={value}", "--set", f"label=text:{RTL} {EMOJI}")
    terms = tracker.json("show", "reply")["terms"]
    assert terms["note"]["value"] == {"type": "text", "value": value}
    assert terms["label"]["value"] == {"type": "text", "value": f"{RTL} {EMOJI}"}
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert [d["id"] for d in tracker.json("log")["drafts"]] == ["first-offer", "reply"]
