"""Alembic environment: runs on the connection tracker hands over (config.attributes)."""

from __future__ import annotations

from alembic import context
from tracker.db.tables import metadata

config = context.config
target_metadata = metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # the plain `alembic` CLI, for developers: use tracker's URL resolution
    from tracker.db.engine import create, resolve_url

    with create(resolve_url(None)).begin() as conn:
        run(conn)
