"""Options shared by many commands (their output's: ``output``), and where the app is found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

negotiation_option = click.option(
    "--negotiation", "-n", metavar="ID",
    help="The negotiation (may be omitted when the database holds only one).",
)


corrected_option = click.option(
    "--corrected", is_flag=True,
    help="Read drafts that were corrected (`tracker correct`) as they were recorded, beside their corrections.",
)


class FilePath(click.ParamType):
    """A file name, as given: what it names (a folder, a device, nothing) is for the reader or
    writer to tell, in one line — click's own Path type stops at a name it cannot stat."""

    name = "file"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path:
        if isinstance(value, Path):
            return value
        if not value:
            self.fail("a file name is empty", param, ctx)
        if value != "-" and value.endswith(("/", "\\")):
            self.fail(f"{value!r} names a folder; give a file name", param, ctx)
        return Path(value)


FILE = FilePath()


def wrote_to(ctx: click.Context) -> None:
    """The last line of every command that writes: which database it wrote to."""
    from tracker.db.engine import redact

    click.echo(f"Database: {redact(app(ctx).store().url)}")


def app(ctx: click.Context):  # type: ignore[no-untyped-def]
    from tracker.cli import App

    return ctx.find_object(App)
