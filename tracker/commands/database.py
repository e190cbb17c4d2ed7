"""`tracker db`: set up and migrate the database (Alembic, run in-process)."""

from __future__ import annotations

import click

from tracker.commands.options import app


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from tracker.cli import imports_done
    from tracker.db.engine import create, resolve_url

    url = resolve_url(app(ctx).url)
    engine = create(url)
    imports_done()  # as App.store() does for the other commands
    return engine, url


def _run(ctx: click.Context, action) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DBAPIError

    from tracker.db.engine import database_error

    engine, url = _engine(ctx)
    try:
        return action(engine)
    except DBAPIError as exc:
        raise database_error(exc, url, "cannot migrate") from None
    finally:
        engine.dispose()


@click.group("db")
def db_command() -> None:
    """Set up and migrate the database."""


@db_command.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from tracker.db import migrate
    from tracker.db.engine import redact, resolve_url

    _run(ctx, lambda e: migrate.upgrade(e, revision))
    current = _run(ctx, migrate.current)
    click.echo(f"Database {redact(resolve_url(app(ctx).url))} is at schema {current or 'base'}.")


@db_command.command("downgrade")
@click.argument("revision")
@click.pass_context
def downgrade_command(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    from tracker.db import migrate

    _run(ctx, lambda e: migrate.downgrade(e, revision))
    click.echo(f"Database is at schema {_run(ctx, migrate.current) or 'base'}.")


@db_command.command("current")
@click.pass_context
def current_command(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one this tracker knows."""
    from tracker.db import migrate

    current = _run(ctx, migrate.current)
    click.echo(f"current: {current or 'base'}\nhead: {migrate.head()}")
