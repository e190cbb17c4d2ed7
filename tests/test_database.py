"""Opening databases: migrations, the not-migrated error, bad URLs, and no password in output."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.db import SCHEMA_REVISION, migrate


def run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", url, *args], env={"TRACKER_DB_URL": ""})


def test_schema_revision_constant_is_the_alembic_head():
    assert SCHEMA_REVISION == migrate.head()


def test_db_upgrade_then_current(empty_db_url):
    result = run(empty_db_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"is at schema {SCHEMA_REVISION}.\n")
    assert run(empty_db_url, "db", "current").stdout == f"current: {SCHEMA_REVISION}\nhead: {SCHEMA_REVISION}\n"


def test_a_postgresql_database_that_is_not_migrated_says_to_upgrade(backend, empty_db_url):
    if backend != "postgresql":
        pytest.skip("SQLite databases are created and migrated on first use")
    result = run(empty_db_url, "log")
    assert result.exit_code == 6
    assert result.stderr.startswith("Error: database postgresql://postgres@127.0.0.1:5432/test?")
    assert result.stderr.endswith("is not set up; run `tracker db upgrade`\n")


def test_sqlite_is_created_and_migrated_on_first_use(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'new.db'}"
    assert run(url, "seed").exit_code == 0
    assert run(url, "db", "current").stdout.startswith(f"current: {SCHEMA_REVISION}\n")


@pytest.mark.parametrize(
    "url, message",
    [
        ("nonsense", "Error: invalid database URL 'nonsense'\n"),
        ("mysql://u:hunter2@localhost/db", "Error: unsupported database 'mysql' (use sqlite or postgresql)\n"),
    ],
)
def test_bad_urls_are_one_line_errors(url, message):
    result = run(url, "log")
    assert (result.exit_code, result.stderr) == (6, message)
    assert "hunter2" not in result.output


def test_unreachable_server_error_hides_the_password():
    result = run("postgresql://alice:s3cret-pw@127.0.0.1:1/db", "log")
    assert result.exit_code == 6
    assert result.stderr.startswith("Error: cannot open postgresql://alice:***@127.0.0.1:1/db: connection failed: ")
    assert "s3cret-pw" not in result.output
    assert len(result.stderr.splitlines()) == 1


def test_alembic_check_finds_no_drift(db_url):
    from tracker.db.engine import create

    engine = create(db_url)
    try:
        migrate.check(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("bulk_terms,analyzed", [(1, True), (10**9, False)])
def test_a_bulk_load_refreshes_postgresql_statistics(pg_schemas, tmp_path, monkeypatch, bulk_terms, analyzed):
    # Fresh tables have no planner statistics until autovacuum runs; a bulk record (or
    # import) refreshes them itself, so the first reads after it get sensible plans.
    from conftest import REPO, Tracker
    from sqlalchemy import text

    from tracker.db import store
    from tracker.db.engine import create

    monkeypatch.setattr(store, "BULK_TERMS", bulk_terms)
    url = pg_schemas.new(migrate=True)
    sample = sorted(str(p) for p in (REPO / "tests" / "sample").glob("*.yaml"))
    Tracker(url, tmp_path).ok("record", *sample)
    engine = create(url)
    try:
        with engine.connect() as conn:
            last = conn.execute(text(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'draft_terms' AND schemaname = current_schema()"
            )).scalar()
    finally:
        engine.dispose()
    assert (last is not None) is analyzed
