"""A built wheel carries its migrations, seeds and schemas, and works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tracker.db import SCHEMA_REVISION


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True, capture_output=True,
    )
    (path,) = out.glob("tracker-*.whl")
    return path


def test_wheel_contains_migrations_seeds_schemas_and_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tracker/_data/alembic/env.py" in names
    assert any(n.startswith("tracker/_data/alembic/versions/0001") for n in names)
    assert "tracker/_data/seeds/negotiation.yaml" in names
    assert "tracker/_data/schemas/draft.schema.json" in names
    assert "tracker/render/templates/report.html.j2" in names


def test_installed_wheel_runs_demo_seed_and_db_upgrade_from_any_directory(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "TRACKER_DB_URL": ""}

    def tracker(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tracker", *args], cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    # Make sure the installed copy, not the checkout, is what runs.
    where = subprocess.run([sys.executable, "-c", "import tracker; print(tracker.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True).stdout
    assert where.startswith(str(site))
    assert "6 new drafts recorded" in tracker("demo")
    assert tracker("--db", f"sqlite:///{work / 'other.db'}", "db", "upgrade").endswith(f"is at schema {SCHEMA_REVISION}.\n")
    assert tracker("--db", f"sqlite:///{work / 'other.db'}", "seed") == f"Seeded 6 drafts (6 new, 0 already recorded).\nDatabase: sqlite:///{work / 'other.db'}\n"
