"""The Python API gives the commands' answers: the README's example runs as written, and each
answer's JSON and text are what the command prints."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker
from tests.conftest import REPO
from tracker.cli import cli
from tracker.model.errors import DatabaseError, NotFound

README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLE = README[README.index("### From Python"):README.index("### Who pushed a change")]
DEMO_URL = "sqlite:///data/demo.db"


def _run_example(url: str, cwd: Path) -> doctest.TestResults:
    text = EXAMPLE.replace(DEMO_URL, url)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md (From Python)", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        runner.run(test)
    finally:
        os.chdir(old)
    return runner.summarize(verbose=False)


def test_the_readme_example_runs_as_written_after_tracker_demo(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert CliRunner().invoke(cli, ["demo"], env={"TRACKER_DB_URL": "", "NO_COLOR": "1"}).exit_code == 0
    finally:
        os.chdir(old)
    results = _run_example(DEMO_URL, tmp_path)
    assert results.attempted >= 10
    assert results.failed == 0


def test_the_readme_example_gives_the_same_answers_on_every_database(seeded, tmp_path):
    results = _run_example(seeded.url, tmp_path)
    assert (results.failed, results.attempted >= 10) == (0, True)


@pytest.fixture
def deal(seeded):  # type: ignore[no-untyped-def]
    db = tracker.open(seeded.url)
    yield db.negotiation()
    db.close()


@pytest.mark.parametrize("call, command", [
    (lambda n: n.drafts(), ["log"]),
    (lambda n: n.diff("v1", "latest"), ["diff", "v1", "latest"]),
    (lambda n: n.diff("us-revised", "draft-2025-02-24", three_way=True), ["diff", "us-revised", "draft-2025-02-24", "--three-way"]),
    (lambda n: n.blame(), ["blame"]),
    (lambda n: n.history("compensation_amount"), ["history", "compensation_amount"]),
    (lambda n: n.positions(), ["positions"]),
    (lambda n: n.positions(as_of="2025-02-21"), ["positions", "--as-of", "2025-02-21"]),
    (lambda n: n.gap(), ["gap"]),
    (lambda n: n.gap("UA", "US", as_of="2025-02-24"), ["gap", "UA", "US", "--as-of", "2025-02-24"]),
])
def test_an_answer_is_what_its_command_prints(seeded, deal, call, command):
    answer = call(deal)
    assert answer.json() == seeded.json(*command)
    assert answer.text() == seeded.ok(*command).stdout


def test_rows_are_the_documents_records_flat(deal):
    changes = deal.diff("v1", "latest")
    rows = changes.rows()
    assert [r["term"] for r in rows] == [c["term"] for c in changes.json()["changes"]]
    assert all(not isinstance(v, (dict, list)) for r in rows for v in r.values())
    positions = deal.positions().rows()
    assert {(r["term"], r["US"], r["UA"]) for r in positions if r["term"] == "revenue_share"} == {("revenue_share", "50%", "50%")}
    gap = deal.gap().rows()
    assert [r["status"] for r in gap].count("agreed") == deal.gap().json()["counts"]["agreed"]


def test_the_api_refuses_what_the_commands_refuse(tmp_path, deal):
    with pytest.raises(DatabaseError, match="no database at"):
        tracker.open(f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()  # a read never creates a database
    with pytest.raises(NotFound, match="unknown draft 'v99'"):
        deal.diff("v1", "v99")
    with pytest.raises(NotFound, match="unknown term 'nothing_like_it'"):
        deal.history("nothing_like_it")
    with pytest.raises(NotFound, match="unknown party 'XX'"):
        deal.gap("US", "XX")


def test_import_tracker_loads_nothing_heavy():
    code = "import sys, tracker; print(sorted(m for m in ('sqlalchemy', 'pydantic', 'tracker.api') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
