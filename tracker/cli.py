"""The ``tracker`` command: the root group and a lazy registry of its commands.

Each command lives in ``tracker/commands/<module>.py`` and is imported only when it runs, and
the help listing comes from the table below, so ``tracker --help`` imports neither pydantic,
SQLAlchemy, Alembic nor deepdiff. Errors raised by the library (``tracker.model.errors``) become one
line on stderr and their documented exit code here, and nowhere else.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from importlib import import_module

import click

from tracker import __version__
from tracker.model.errors import OUTPUT, DatabaseError, TrackerError

# name: (module, help shown in `tracker --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "record": ("record", "Record drafts from files, or a new draft derived from an earlier one."),
    "status": ("amend", "Record a draft's status from a date on (rejected, withdrawn, signed, …)."),
    "cite": ("amend", "Record new evidence for a term of a draft; another value makes it disputed."),
    "correct": ("amend", "Record a corrected version of a draft recorded with a mistake."),
    "log": ("browse", "List a negotiation's drafts and events in order."),
    "show": ("browse", "Show one draft, its terms and what was recorded about it since."),
    "parties": ("browse", "List a negotiation's parties."),
    "negotiations": ("negotiation", "List the negotiations in the database."),
    "negotiation": ("negotiation", "Create negotiations."),
    "diff": ("diff", "Compare two drafts term by term, with who pushed each change."),
    "blame": ("history", "For each term of a draft, the draft and party that gave it its value."),
    "history": ("history", "One term's value through every draft, with sources and quotes."),
    "positions": ("history", "Each party's position on each term: agreed, open or stated by one side only."),
    "gap": ("history", "Open terms between two parties, how far apart, and convergence over time."),
    "report": ("report", "Export a negotiation's change history (markdown, html, json, csv)."),
    "seed": ("demo", "Load the bundled case study into the database (idempotent)."),
    "demo": ("demo", "Run the case study end to end on its own database (data/demo.db) and print it."),
    "db": ("database", "Set up and migrate the database."),
    "verify": ("integrity", "Recompute every hash and check lineage; exit 7 if anything was tampered with."),
    "export": ("integrity", "Write a negotiation (or the whole database) as a portable JSON file."),
    "import": ("integrity", "Restore a file written by `tracker export`, checking every hash."),
}


# Commands that only read: on a database that does not exist they fail (exit 6), creating nothing.
READS = frozenset({"log", "show", "parties", "negotiations", "diff", "blame", "history", "positions", "gap", "report",
                   "verify", "export"})


# Errors writing output (standard output, mostly) rather than bugs: exit 9, one line.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = import_module(f"tracker.commands.{COMMANDS[name][0]}")
        return getattr(module, name.replace("-", "_") + "_command")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # type: ignore[no-untyped-def]
        """Click's own main, except that a usage error is one line, like every other error."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "tracker"
            fail(f"{exc.format_message()} (see `{where} --help`)", exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            fail("aborted; nothing was recorded", 130)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: help, usage errors, --version
        except TrackerError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; nothing was recorded", 130)
        except BrokenPipeError:
            # The reader went away (`tracker log | head`): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - no tracebacks for users
            if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
                # Standard output could not be written (a full disk, a closed terminal): drop
                # what is still buffered, so that exiting does not fail a second time.
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                except OSError:
                    pass
                fail(f"cannot write the output: {exc.strerror or exc}", OUTPUT)
            from_db = _database_message(exc, ctx)
            if from_db is None:
                if os.environ.get("TRACKER_DEBUG"):
                    raise
                fail(f"internal error: {type(exc).__name__}: {exc} (set TRACKER_DEBUG=1 for details)", 70)
            fail(str(from_db), from_db.exit_code)


def _database_message(exc: Exception, ctx: click.Context) -> DatabaseError | None:
    """SQLAlchemy errors that escaped the library, as one line without the password."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    from tracker.db.engine import database_error

    app = ctx.find_object(App)
    return database_error(exc, app.url if app else "", "database error on")


def fail(message: str, code: int) -> None:
    from tracker.model.plain import one_line

    click.echo(f"Error: {one_line(message)}", err=True)  # one line of plain text, whatever it quotes
    sys.exit(code)


class App:
    """What every command shares: the database URL, and the store opened on first use."""

    def __init__(self, url: str | None, reading: bool = False):
        from_env = url is None and os.environ.get("TRACKER_DB_URL")
        self.url = url or from_env or None
        self.reading = reading  # a read command: a missing database is an error, never created
        self._store = None

    def store(self):  # type: ignore[no-untyped-def]
        if self._store is None:
            from tracker.db.engine import missing_database
            from tracker.db.store import Store, recorder

            if self.reading:
                missing_database(self.url)
                self._store = Store.open(self.url)
            else:  # who is recording, checked before the database is opened (a read never asks)
                self._store = Store.open(self.url, recorder())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", "db_url", metavar="URL", envvar="TRACKER_DB_URL", show_envvar=True,
    help="Database URL (default: sqlite:///data/tracker.db in the current directory). "
    "PostgreSQL: postgresql://user@host/dbname.",
)
@click.version_option(__version__, prog_name="tracker")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Track a negotiation's drafts: what changed, who pushed it, where the parties stand.

    \b
    Quick start:
      tracker demo                      the bundled case study, end to end
      tracker record drafts/*.yaml      record drafts from files
      tracker log                       list the drafts
      tracker diff v1 latest            what changed, and who pushed it
    """
    app = App(db_url, reading=ctx.invoked_subcommand in READS)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """The console script (and ``python -m tracker``): one command, without the cyclic
    garbage collector — the one place tracker handles it.

    A command is one short process. Its imports (SQLAlchemy, pydantic: some 100,000 objects)
    and what it reads (a whole negotiation's tracks and terms: millions of objects) stay alive
    until it exits, and hardly any is in a reference cycle, so reference counting frees
    nearly all that goes (the report's peak memory is the same either way). The collector's
    passes would only scan them all: on a large negotiation they cost a sixth of a command's
    time. At exit everything still alive is frozen out of
    the interpreter's final collections. Nothing else about exiting changes: output is
    flushed, atexit handlers run, the exit code is click's. Tests call ``cli`` through
    CliRunner, never this.
    """
    gc.disable()
    # tracker uses no pydantic plugin, and looking plugins up reads every installed package's
    # entry points when the first model is validated: a few ms of every short command. Set
    # the variable (even empty) to have pydantic look them up.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        cli(prog_name="tracker")
    finally:
        gc.freeze()
