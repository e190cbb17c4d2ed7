"""`tracker seed` and `tracker demo`: the bundled case study."""

from __future__ import annotations

import click

from tracker.commands.options import app, wrote_to


def seed_files():  # type: ignore[no-untyped-def]
    from tracker.model.resources import resource_dir

    folder = resource_dir("seeds")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def load_seeds(store):  # type: ignore[no-untyped-def]
    from tracker.input.loading import read_document
    from tracker.input.recording import record_documents

    docs = [read_document(p, display_name=f"seeds/{p.name}") for p in seed_files()]
    return record_documents(store, docs).drafts


@click.command("seed")
@click.pass_context
def seed_command(ctx: click.Context) -> None:
    """Load the bundled case study (the February 2025 US–Ukraine minerals deal). Idempotent.

    \b
    Examples:
      tracker seed
      tracker --db postgresql://me@host/deals seed
    """
    results = load_seeds(app(ctx).store())
    new = sum(r.created for r in results)
    click.echo(f"Seeded {len(results)} drafts ({new} new, {len(results) - new} already recorded).")
    wrote_to(ctx)


DEMO_URL = "sqlite:///data/demo.db"


@click.command("demo")
@click.option("--force", is_flag=True, help="Replace the report file if it exists.")
@click.pass_context
def demo_command(ctx: click.Context, force: bool) -> None:
    """Run the case study end to end and print it: on its own database, data/demo.db, unless
    --db (or TRACKER_DB_URL) names one, so your own database is left alone.

    \b
    Examples:
      tracker demo
      tracker demo --force   # replace data/report.html
    """
    from tracker.db.engine import redact, resolve_url
    from tracker.render import text

    if app(ctx).url is None:
        app(ctx).url = DEMO_URL
    store = app(ctx).store()
    results = load_seeds(store)
    new = sum(r.created for r in results)
    negotiation = store.negotiation(results[0].record.header.negotiation)
    click.echo(f"Database: {redact(resolve_url(app(ctx).url))} ({new} new drafts recorded)\n")
    records = store.log(negotiation.id)
    click.echo(text.log(negotiation, records))
    first, last = records[0], records[-1]
    from tracker.commands.diff import print_diff
    from tracker.commands.output import Output

    click.echo("")
    click.echo(f"What changed from {first.id} to {last.id}:")
    from tracker.history.reading import load

    print_diff(load(store, negotiation), first.id, last.id, fmt="text", out=Output(None, no_pager=True))  # one page of many

    from tracker.commands import outfile
    from tracker.commands.report import demo_report_path, render

    path = demo_report_path(store)
    click.echo("")
    if path.exists() and not force:
        click.echo(f"{path} exists: kept as it is (--force replaces it; `tracker report` writes one anywhere).")
        return
    outfile.write(path, render(store, negotiation, "html"), force=True)
    click.echo(f"The full change history (timeline, convergence, who pushed what, sources) is in {path}")
    click.echo("Open it in a browser; `tracker report --help` exports it as markdown, JSON or CSV.")
