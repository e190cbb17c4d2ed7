"""Fixtures: a fresh database per test, on SQLite and (when configured) on PostgreSQL.

Set ``TRACKER_TEST_PG_URL`` (``.ci/run`` does) to run every database test on PostgreSQL too;
if it is set and the server cannot be reached, the whole run fails rather than skipping.
SQLite tests copy a migrated template file; PostgreSQL tests share one migrated schema per
session and empty every table before each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from tracker.cli import cli

PG_ENV = "TRACKER_TEST_PG_URL"
REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def pg_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


BACKENDS = ["sqlite"] + (["postgresql"] if pg_base_url() else [])


def pytest_sessionstart(session: pytest.Session) -> None:
    url = pg_base_url()
    if not url:
        return
    from sqlalchemy import text

    from tracker.db.engine import create

    try:
        engine = create(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracker.db.engine import open_engine

    path = tmp_path_factory.mktemp("template") / "template.db"
    open_engine(f"sqlite:///{path}").dispose()
    return path


class PgSchemas:
    """Creates throw-away schemas in the test database, dropping them at the end."""

    def __init__(self, base_url: str):
        from tracker.db.engine import create

        self.base_url = base_url
        self.engine = create(base_url)
        self.created: list[str] = []

    def new(self, migrate: bool = True) -> str:
        from sqlalchemy import text

        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        self.created.append(name)
        url = with_schema(self.base_url, name)
        if migrate:
            from tracker.db import migrate as m
            from tracker.db.engine import create

            engine = create(url)
            m.upgrade(engine)
            engine.dispose()
        return url

    def close(self) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for name in self.created:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas]:
    url = pg_base_url()
    if not url:
        pytest.skip(f"{PG_ENV} not set")
    schemas = PgSchemas(url)
    yield schemas
    schemas.close()


@pytest.fixture(scope="session")
def pg_shared_url(pg_schemas: PgSchemas) -> str:
    return pg_schemas.new(migrate=True)


def _truncate(url: str) -> None:
    from sqlalchemy import text

    from tracker.db.engine import create

    engine = create(url)
    with engine.begin() as conn:
        # The history tables refuse TRUNCATE (schema 0003's triggers); a test database is thrown away as a replica would.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("TRUNCATE events, draft_terms, draft_parents, drafts, term_blobs, negotiations RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for this test."""
    if backend == "sqlite":
        path = tmp_path / "tracker.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_shared_url")
    _truncate(url)
    return url


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (not migrated)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_schemas").new(migrate=False)


class Tracker:
    """Runs the CLI in-process against one database, as a user would type it."""

    def __init__(self, url: str, cwd: Path):
        self.url = url
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        full_env = {"TRACKER_DB_URL": "", "NO_COLOR": "1", **(env or {})}
        with _chdir(self.cwd):
            return self.runner.invoke(cli, ["--db", self.url, *args], input=input, env=full_env, catch_exceptions=False)

    def ok(self, *args: str, **kw):  # type: ignore[no-untyped-def]
        result = self(*args, **kw)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}"
        return result

    def record_texts(self, files: dict[str, str]) -> None:
        """Write each file (name → text) into the working folder, then record them all at once."""
        paths = []
        for name, text in files.items():
            path = self.cwd / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        self.ok("record", *paths)

    def json(self, *args: str):  # type: ignore[no-untyped-def]
        import json

        return json.loads(self.ok(*args, "--format", "json").stdout)


class _chdir:
    def __init__(self, path: Path):
        self.path, self.old = path, None

    def __enter__(self) -> None:
        self.old = os.getcwd()
        os.chdir(self.path)

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.old)  # type: ignore[arg-type]


@pytest.fixture
def tracker(db_url: str, tmp_path: Path) -> Tracker:
    return Tracker(db_url, tmp_path)


@pytest.fixture
def seeded(tracker: Tracker) -> Tracker:
    tracker.ok("seed")
    return tracker


def tamper(url: str, *statements: str) -> None:
    """Change rows behind tracker's back, as a database owner can: on PostgreSQL, past the
    history tables' triggers (schema 0003)."""
    from sqlalchemy import text

    from tracker.db.engine import create

    engine = create(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a failed command wrote nothing."""
    from sqlalchemy import text

    from tracker.db.engine import create

    engine = create(url)
    out = {}
    with engine.connect() as conn:
        for table in ("negotiations", "drafts", "draft_parents", "term_blobs", "draft_terms", "events"):
            out[table] = sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))
    engine.dispose()
    return out
