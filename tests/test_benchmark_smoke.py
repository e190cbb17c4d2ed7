"""The benchmark at toy size, so it never rots: same script, same command line as the README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, pg_base_url

TRACKER_OPS = [
    "tracker record FILE", "tracker diff (adjacent)", "tracker diff (first → latest)",
    "diff engine compare() (adjacent)", "diff_records() (adjacent)", "diff engine compare() (first → latest)",
    "diff_records() (first → latest)", "read back a draft (slowest of 4)",
]
GIT_OPS = ["git diff (adjacent)", "git diff (first → latest)", "git blame", "git log -p"]


def test_a_tiny_benchmark_run_measures_every_operation_and_writes_json(tmp_path: Path):
    args = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "30:3", "--runs", "1", "--out", str(tmp_path)]
    if pg_base_url():
        args += ["--pg", pg_base_url()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Targets at N=30, V=3" in done.stdout

    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["schema"] == "tracker.benchmark/v1"
    assert results["help"]["median_s"] > 0
    # What the machine makes of fixed work, for comparing runs across machines.
    on_server = ["tracker log (small database, postgresql)"] if pg_base_url() else []
    assert list(results["floor"]) == ["python loop, 3 million additions", "python -c pass", "imports of a reading command",
                                      'python -c "import sqlalchemy"', "tracker log (small database)", *on_server]
    assert all(f["median_s"] > 0 for f in results["floor"].values())
    assert results["floor"]["tracker log (small database)"]["runs"] == 9  # side by side with a bare import of SQLAlchemy
    assert results["backends"] == ["sqlite"] + (["postgresql"] if pg_base_url() else [])
    [size] = results["sizes"]
    assert size["n"] == 30 and list(size["checkpoints"]) == ["3"]
    point = size["checkpoints"]["3"]
    for backend in results["backends"]:
        figures = point[backend]["figures"]
        for op in TRACKER_OPS:
            assert figures[op]["median_s"] > 0, (backend, op, figures[op])
        # Anchored on the same two term sheets.
        assert figures["DeepDiff whole sheets (adjacent)"]["median_s"] > 0
        # Commands still being written are measured when present, never an error.
        for op in ("tracker blame latest", "tracker history KEY", "tracker report --format html"):
            assert figures[op].get("median_s", 0) > 0 or figures[op]["note"] == "not available", figures[op]
        assert point[backend]["db_bytes"] > 0
    assert all(point["git"]["figures"][op]["median_s"] > 0 for op in GIT_OPS)
    assert [t["target"] for t in results["targets"]][:3] == ["tracker --help", "tracker log (small database)", "tracker record of a file"]
    assert results["targets"][1]["limit"] == "≤ 1.25× import sqlalchemy" and results["targets"][1]["met"] is not None
    # Issue 14's targets of commands on the database, on every database measured.
    for backend in results["backends"]:
        checked = {t["target"]: t for t in results["targets"] if t["target"].endswith(f"({backend})")}
        assert list(checked) == [f"{name} ({backend})" for name in (
            "tracker diff (adjacent)", "diff_records() first → latest", "tracker blame latest", "tracker history KEY",
            "tracker report --format html")]
        assert checked[f"tracker diff (adjacent) ({backend})"]["limit"] == "≤ ½ an in-process DeepDiff"
        assert all(t["met"] is not None for t in checked.values())
    assert not list(tmp_path.glob("small.db*"))
    # Generated drafts, databases and the git repository are cleaned up.
    assert not (tmp_path / "data" / "N30").exists()


def test_the_synthetic_negotiation_is_reproducible_and_changes_about_two_percent_per_draft(tmp_path: Path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import synthetic
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    a = synthetic.write(synthetic.generate(1000, 12, seed=7), tmp_path / "a")
    b = synthetic.write(synthetic.generate(1000, 30, seed=7), tmp_path / "b")
    # A smaller V is a prefix of a larger one: the benchmark records on from one checkpoint.
    for d in a.drafts:
        assert d.path.read_bytes() == (tmp_path / "b" / d.path.name).read_bytes()
    assert [d.parents for d in b.drafts[6:9]] == [["d0006"], ["d0006"], ["d0008", "d0007"]]
    for d in b.drafts[1:]:
        base = b.draft(d.parents[0]).terms
        changed = sum(1 for k in d.terms if k in base and base[k] != d.terms[k])
        assert (changed, len(set(d.terms) - set(base)), len(set(base) - set(d.terms))) == (10, 5, 5)
