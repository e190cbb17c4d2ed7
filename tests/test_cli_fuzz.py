"""Random flags and files through the whole CLI, on both databases.

Whatever a user types, `tracker` answers with a documented exit code; a failure is exactly one
line on stderr, starting "Error: ", with no traceback and no internal error (exit 70). The
arguments are drawn from the CLI's own vocabulary (commands, options, references, shorthand
values) glued to hostile text, and files from fragments of valid and broken documents.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Tracker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SAMPLE = Path(__file__).parent / "sample"
EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "300")) // 2
DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}  # errors.py and the README's "Exit codes"

NASTY = st.sampled_from([
    "", " ", "-", "--", "latest", "v0", "v1", "v2", "v999", "first-offer", "counter", "sha256:", "sha256:0", "A", "B", "a", "Acme",
    "price", "earn_out", "jurisdictions", "x.y", "..", "price=", "=5", "price=$6m", "price=-$5 million", "earn_out=150%",
    "closing=2025-02-30", "closing=0", "escrow=off", "no_shop=1:30", "shares=0x1F", "shares=" + "9" * 30, "k" * 300 + "=1",
    "price=\x1b[2J", "title\nforged", "\x00", "\u2028", "٥٠%", "{id: &a x, outlet: *a}", "{id: s, outlet: Paper}", "[" * 60,
    "2025-03-01", "2099-01-01", "12/03/2025", "nan", "inf", "-1", "0", "1e9", "full", "partial", "maybe", "json", "text",
    "markdown", "html", "csv", "xml", "sqlite:///", "postgresql+psycopg2://x@127.0.0.1:1/y", "/dev/null", "/dev/zero", "out.json",
    "missing/x.json", ".", "draft.yaml", "n.yaml", "pipe", "@SUM(A1)", "＝1",
])
TEXT = NASTY | st.text(max_size=12)
OPTIONS = st.sampled_from([
    "--format", "-f", "--as-of", "-n", "--negotiation", "-o", "--output", "--force", "--head", "--from", "--id", "--tabled-by",
    "--set", "--drop", "--rename", "--date", "--coverage", "--source", "--quote", "--pushed-by", "--title", "--status",
    "--three-way", "--exit-code", "--quotes", "--yes", "--foo", "-x", "--help",
])
COMMANDS = st.sampled_from([
    ["record"], ["log"], ["show"], ["parties"], ["negotiations"], ["diff"], ["blame"], ["history"], ["positions"], ["gap"],
    ["report"], ["export"], ["import"], ["verify"], ["negotiation", "create"], ["db", "current"], ["db", "upgrade"],
    ["db", "downgrade"], ["nope"],
    ["record", "--from", "first-offer", "--id", "reply", "--tabled-by", "B"],
])
ARGS = st.tuples(COMMANDS, st.lists(OPTIONS | TEXT, max_size=7)).map(lambda t: [*t[0], *t[1]])

# Files: the sample documents, whole or cut short, with random lines put in.
DOCUMENTS = [p.read_text() for p in sorted(SAMPLE.glob("*.yaml"))]
LINES = st.sampled_from([
    "terms:", "  price:", "    value: $7m", "    value: 0x1F", "    value: {type: date, value: 0}", "    value: {type: boolean, value: off}",
    "date: 0", "date: 2025-02-30", "id: latest", "tabled_by: [Z]", "parents: [nowhere]", "coverage: partial", "kind: treaty",
    "title: \"a\\e[2Jb\"", "  - code: B\n    name: acme", "<<: {a: 1}", "x: &a 1", "y: *a", "- list", "{", "'", "\t", "key: value",
])
FILES = st.tuples(st.sampled_from(DOCUMENTS), st.integers(0, 2000), st.lists(LINES, max_size=3)).map(
    lambda t: t[0][: t[1]] + "\n" + "\n".join(t[2]) + "\n"
)


@pytest.fixture
def acme(tracker: Tracker) -> Tracker:
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"), str(SAMPLE / "d2.yaml"))
    return tracker


def _check(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code in DOCUMENTED, (result.exit_code, result.stderr)
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.stderr
    if result.exit_code not in (0, 1):
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=ARGS, text=FILES)
def test_random_flags_and_files_get_a_documented_exit_code_and_one_line(acme, tmp_path, args, text):
    for name in ("draft.yaml", "n.yaml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    if not (tmp_path / "pipe").exists():
        os.mkfifo(tmp_path / "pipe")
    if args[:2] == ["db", "downgrade"] and any(a == "-y" or a.startswith("--y") for a in args):
        return  # never drop the database for real: the refusal without --yes is what is tried
    _check(acme(*args, env={"TRACKER_LOCK_TIMEOUT": "5"}))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=FILES, extra=st.lists(OPTIONS | TEXT, max_size=3), json_file=st.booleans())
def test_random_files_recorded_or_imported_get_a_documented_exit_code_and_one_line(acme, tmp_path, text, extra, json_file):
    name = "draft.json" if json_file else "draft.yaml"
    (tmp_path / name).write_text(text, encoding="utf-8")
    _check(acme("record", name, *extra))
    _check(acme("import", name))
