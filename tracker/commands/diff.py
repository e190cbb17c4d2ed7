"""`tracker diff A B`: term-by-term changes between two drafts, with who pushed each."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker.commands.options import app, corrected_option, negotiation_option
from tracker.commands.output import Output, output_options
from tracker.model.errors import DIFFERENT
from tracker.render.registry import options


def print_diff(view, old: str, new: str, *, fmt: str, out: Output, three_way: bool = False):  # type: ignore[no-untyped-def]
    from tracker.history.compare import diff_view

    d = diff_view(view, old, new, three_way=three_way)
    extra = {}
    if "sheet" in options("diff", fmt):  # a renderer that draws the newer draft whole
        from tracker.history.compare import draft_text

        extra["sheet"] = draft_text(view, d)
    out.render("diff", fmt, d, style=out.style(), **extra)
    return d


@click.command("diff")
@click.argument("old_ref", metavar="A")
@click.argument("new_ref", metavar="B", default="latest")
@negotiation_option
@output_options("diff")
@click.option("--three-way", is_flag=True, help="Also show each differing term in the drafts' common ancestor, and which side moved.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the drafts differ, 0 when they do not (like diff(1)).")
@corrected_option
@click.pass_context
def diff_command(ctx: click.Context, old_ref: str, new_ref: str, negotiation: str | None, fmt: str, output: Path | None, force: bool,
                 no_pager: bool, three_way: bool, exit_code: bool, corrected: bool) -> None:
    """Compare draft A with draft B (default: latest), term by term.

    A and B are draft ids, vN, latest or hash prefixes, in the same lineage or on sibling
    branches. Each change says which party pushed it and why we think so: explicit (the draft
    says so), adopted (another party proposed that value earlier) or author.

    \b
    Examples:
      tracker diff v1 latest
      tracker diff loi counter --three-way --format markdown
      tracker diff v3 v4 --exit-code >/dev/null || echo changed
      tracker diff v1 latest --format docx -o redline.docx
    """
    from tracker.history.reading import load, resolve

    out = Output(output, force, no_pager)
    out.check_format("diff", fmt)
    store = app(ctx).store()
    view = load(store, store.negotiation(negotiation), corrected=corrected)
    (old, old_note), (new, new_note) = resolve(view, old_ref), resolve(view, new_ref)
    for note in dict.fromkeys(n for n in (old_note, new_note) if n):
        click.echo(f"Note: {note}", err=True)
    d = print_diff(view, old.id, new.id, fmt=fmt, out=out, three_way=three_way)
    if exit_code and d.differs:
        sys.exit(DIFFERENT)
