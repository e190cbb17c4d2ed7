"""`tracker db`: set up and migrate the database (Alembic, run in-process)."""

from __future__ import annotations

import click

from tracker.commands.options import app


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from tracker.db.engine import create, resolve_url

    url = resolve_url(app(ctx).url)
    engine = create(url)
    return engine, url


def _run(ctx: click.Context, action) -> None:  # type: ignore[no-untyped-def]
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DBAPIError

    from tracker.db.engine import database_error
    from tracker.model.errors import InvalidInput

    engine, url = _engine(ctx)
    try:
        return action(engine)
    except DBAPIError as exc:
        raise database_error(exc, url, "cannot migrate") from None
    except CommandError as exc:
        raise InvalidInput(f"cannot migrate: {exc}") from None
    finally:
        engine.dispose()


def _known(revision: str) -> str:
    """A revision as the user may name it: one of the migrations, ``head`` or ``base`` (not
    Alembic's relative forms, ``+1`` or ``heads``, which this linear history does not need)."""
    from tracker.db import migrate
    from tracker.model.errors import InvalidInput

    known = [*migrate.revisions(), "head", "base"]
    if revision.strip() not in known:
        raise InvalidInput(f"unknown schema revision {revision!r} (schema revisions: {', '.join(known)})")
    return revision.strip()


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stderr.isatty()


@click.group("db")
def db_command() -> None:
    """Set up and migrate the database.

    \b
    Examples:
      tracker db current
      tracker --db postgresql://owner@host/deals db upgrade
    """


@db_command.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest).

    \b
    Examples:
      tracker db upgrade
      tracker --db postgresql://owner@host/deals db upgrade
    """
    from tracker.db import migrate
    from tracker.db.engine import redact, resolve_url

    revision = _known(revision)
    _run(ctx, lambda e: migrate.upgrade(e, revision))
    current = _run(ctx, migrate.current)
    click.echo(f"Database {redact(resolve_url(app(ctx).url))} is at schema {current or 'base'}.")


@db_command.command("downgrade")
@click.argument("revision")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before dropping recorded drafts.")
@click.pass_context
def downgrade_command(ctx: click.Context, revision: str, yes: bool) -> None:
    """Migrate the database down to REVISION ('base' removes every table).

    A downgrade drops what the newer schema holds; where the database holds drafts it asks
    first (on a terminal) or needs --yes. Keep a copy first: `tracker export -o backup.json`.

    \b
    Examples:
      tracker db downgrade 0002 --yes
    """
    from tracker.db import migrate
    from tracker.db.engine import redact, resolve_url
    from tracker.model.errors import Aborted, Conflict

    revision = _known(revision)
    held = _run(ctx, migrate.recorded)
    if held and not yes:
        where = redact(resolve_url(app(ctx).url))
        what = f"{held[1]} draft{'s' * (held[1] != 1)} in {held[0]} negotiation{'s' * (held[0] != 1)}"
        if not _interactive():
            raise Conflict(f"database {where} holds {what}: downgrading may drop them; pass --yes to go ahead"
                           " (keep a copy first: tracker export -o backup.json)")
        if not click.confirm(f"Database {where} holds {what}, which downgrading to {revision} may drop. Go ahead?", err=True):
            raise Aborted("nothing was changed")
    _run(ctx, lambda e: migrate.downgrade(e, revision))
    click.echo(f"Database is at schema {_run(ctx, migrate.current) or 'base'}.")


@db_command.command("current")
@click.pass_context
def current_command(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest one this tracker knows.

    \b
    Examples:
      tracker db current
    """
    from tracker.db import migrate

    current = _run(ctx, migrate.current)
    click.echo(f"current: {current or 'base'}\nhead: {migrate.head()}")
