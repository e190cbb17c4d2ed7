"""`tracker report`: the change history of a negotiation as markdown, HTML, JSON or CSV."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Generator

import click

from tracker.commands.options import app, negotiation_option
from tracker.commands.output import Output, destination_options
from tracker.render.registry import formats
from tracker.render.registry import render as render_answer

FORMATS = formats("report")
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


def render(store, negotiation, fmt: str) -> Generator[str, None, None]:  # type: ignore[no-untyped-def]
    """The report in ``fmt``, drawn from its one JSON form, in pieces to write as they come.

    Everything that can fail on the data (reading, building) happens before the first piece:
    the report objects are dropped as their JSON form is made, which bounds memory."""
    pieces = _rendered(store, negotiation, fmt)
    next(pieces)  # reads and builds
    return pieces


def _rendered(store, negotiation, fmt: str) -> Generator[str, None, None]:  # type: ignore[no-untyped-def]
    """An empty piece once the JSON form is made (``render`` takes it), then those of ``fmt``."""
    from tracker.history.report import build
    from tracker.render import jsonout

    pieces = render_answer("report", fmt, jsonout.report(build(store, negotiation)))
    yield ""
    yield from pieces  # the JSON form goes with the exhausted generator


@click.command("report")
@negotiation_option
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), help="Output format (default: from FILE's extension, else markdown).")
@destination_options
@click.pass_context
def report_command(ctx: click.Context, negotiation: str | None, fmt: str | None, output: Path | None, force: bool, no_pager: bool) -> None:
    """Export the change history of a negotiation.

    \b
    The report holds a summary, a timeline of drafts, each draft's changes with who pushed
    them and the evidence quoted, per-party tallies (pushed, conceded, won), the histories
    of the terms that moved, the open gap and the bibliography. HTML is one self-contained
    file with charts; CSV has one row per change.
      tracker report -o report.html
      tracker report --format csv > changes.csv

    \b
    Examples:
      tracker report -o report.html
      tracker report --format csv -o changes.csv
      tracker report --format markdown -o - | less
    """
    out = Output(output, force, no_pager)
    fmt = fmt or (SUFFIXES.get(output.suffix.lower()) if out.to_file else None) or "markdown"  # type: ignore[union-attr]
    store = app(ctx).store()
    neg = store.negotiation(negotiation)
    with closing(render(store, neg, fmt)) as pieces:  # even if writing fails: see _rendered
        out.write(pieces)
    if not out.to_file:
        return
    click.echo(f"Wrote the {fmt} report of {neg.id} to {output}")


def demo_report_path(store) -> Path:  # type: ignore[no-untyped-def]
    """Where `tracker demo` writes its report: next to a SQLite database file, else here."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        return Path(url.database).parent / "report.html"
    return Path("report.html")
