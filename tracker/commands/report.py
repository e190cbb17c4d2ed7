"""`tracker report`: the change history of a negotiation as markdown, HTML, JSON or CSV."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any, Generator, Iterator

import click

from tracker.commands import outfile
from tracker.commands.options import FILE, app, negotiation_option

FORMATS = ("markdown", "html", "json", "csv")
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

    pieces = _formatted(jsonout.report(build(store, negotiation)), fmt)
    yield ""
    yield from pieces  # the JSON form goes with the exhausted generator


def _formatted(data: dict[str, Any], fmt: str) -> Iterator[str]:
    if fmt == "json":
        from tracker.render import jsonout

        yield from jsonout.report_text(data)
    elif fmt == "csv":
        from tracker.render import csvout

        yield csvout.report(data)
    elif fmt == "html":
        from tracker.render import html

        yield from html.report_chunks(data)
    else:
        from tracker.render import markdown

        yield markdown.report(data)


@click.command("report")
@negotiation_option
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), help="Output format (default: from FILE's extension, else markdown).")
@click.option("--output", "-o", type=FILE, metavar="FILE", help="Write the report to FILE ('-': standard output, the default).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.pass_context
def report_command(ctx: click.Context, negotiation: str | None, fmt: str | None, output: Path | None, force: bool) -> None:
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
    to_stdout = outfile.is_stdout(output)
    if not to_stdout:
        outfile.check(output, force)  # before any work is done
    fmt = fmt or (SUFFIXES.get(output.suffix.lower()) if not to_stdout else None) or "markdown"
    store = app(ctx).store()
    neg = store.negotiation(negotiation)
    with closing(render(store, neg, fmt)) as pieces:  # even if writing fails: see _rendered
        if to_stdout:
            outfile.echo(pieces)
            return
        outfile.write(output, pieces, force)
    click.echo(f"Wrote the {fmt} report of {neg.id} to {output}")


def demo_report_path(store) -> Path:  # type: ignore[no-untyped-def]
    """Where `tracker demo` writes its report: next to a SQLite database file, else here."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        return Path(url.database).parent / "report.html"
    return Path("report.html")
