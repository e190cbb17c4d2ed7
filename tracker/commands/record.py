"""`tracker record`: record drafts from files, or derive a new draft from flags (or $EDITOR)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker.commands.options import FILE, app, wrote_to

# What a draft says, as options: shared by `record` and by `correct`, which takes the same ones
# (its defaults are the corrected draft's: ``CORRECTING`` says so in its help).
EDIT_OPTIONS = (
    (("--tabled-by",), dict(multiple=True, metavar="PARTY", help="Party that tabled it (code, name or alias); repeat for a joint text.")),
    (("--date", "date_"), dict(metavar="YYYY-MM-DD", help="Date of the draft (default: today).")),
    (("--title",), dict(help="Title (default: the id).")),
    (("--status",), dict(help="proposed, leaked, rejected, superseded, withdrawn, agreed, initialled, signed, ratified or expired.")),
    (("--coverage",), dict(type=click.Choice(["full", "partial"]), help="full (default): recorded from the text, so what it leaves out is absent; partial: from reports about it, so it holds only what you --set (or --drop: a clause reported removed) and carries the rest over, unconfirmed.")),
    (("--notes",), dict(help="Free notes on the draft.")),
    (("--set", "sets"), dict(multiple=True, metavar="KEY=VALUE", help="Set a term, in shorthand: 50%, $500B, '45 days', true, [a, b], 2025-02-12, none, choice:x, text:…")),
    (("--drop", "drops"), dict(multiple=True, metavar="KEY", help="Remove a term.")),
    (("--rename", "renames"), dict(multiple=True, metavar="OLD=NEW", help="Move a term to a new key.")),
    (("--source", "sources"), dict(multiple=True, metavar="SOURCE", help="A source id from the bibliography, or a mapping '{id: x, outlet: Reuters, date: 2025-03-01, url: …}'. Terms set here cite it.")),
    (("--quote", "quotes"), dict(multiple=True, metavar="KEY=TEXT", help="Verbatim quote supporting a --set term (cited from the first --source).")),
    (("--pushed-by", "pushed"), dict(multiple=True, metavar="KEY=PARTY[:EVIDENCE]", help="Who pushed a term, with optional evidence.")),
    (("--confidence", "confidences"), dict(multiple=True, metavar="KEY=LEVEL", help="How sure the sources are of a term: confirmed, reported (default) or disputed (with competing reports, in a file).")),
)
CORRECTING = {
    "--tabled-by": "Who tabled it, if that was the mistake (default: as the corrected draft).",
    "--date": "Its date, if that was the mistake (default: the corrected draft's).",
    "--title": "Its title, if that was the mistake (default: the corrected draft's).",
    "--status": "Its status when tabled, if that was the mistake (default: the corrected draft's).",
    "--coverage": "full or partial, if that was the mistake (default: the corrected draft's).",
}


def edit_options(command=None, *, correcting: bool = False):  # type: ignore[no-untyped-def]
    def apply(command):  # type: ignore[no-untyped-def]
        for names, kwargs in reversed(EDIT_OPTIONS):
            help_ = CORRECTING.get(names[0], kwargs["help"]) if correcting else kwargs["help"]
            command = click.option(*names, **{**kwargs, "help": help_})(command)
        return command

    return apply(command) if command is not None else apply


@click.command("record")
@click.argument("files", nargs=-1, type=FILE)
@click.option("--negotiation", "-n", metavar="ID", help="Negotiation of the new draft (may be omitted when there is only one).")
@click.option("--from", "from_refs", multiple=True, metavar="REF", help="The draft this one answers; repeat for a draft that merges several (terms come from the first).")
@click.option("--id", "draft_id", metavar="ID", help="Id of the new draft (a slug such as us-revised).")
@click.option("--document", type=FILE, metavar="FILE",
              help="Record the text of a .docx, .md or .txt document: each clause a text term, aligned with the --from draft's.")
@edit_options
@click.option("--edit", is_flag=True, help="Open the resulting term sheet in $EDITOR before recording it.")
@click.option("--allow-empty", is_flag=True, help="Record the draft even if it changes nothing of the draft it answers.")
@click.option("--root", is_flag=True, help="A new, unrelated text (no --from) in a negotiation that already has drafts.")
@click.pass_context
def record_command(ctx: click.Context, files: tuple[Path, ...], **opts) -> None:  # type: ignore[no-untyped-def]
    """Record drafts from FILES (YAML or JSON), or a new draft from flags.

    \b
    From files (all or nothing; parents are recorded before children):
      tracker record negotiation.yaml drafts/*.yaml
    A new draft answering an earlier one:
      tracker record --from us-initial --id kyiv-amendments --tabled-by UA \\
          --set revenue_share=0% --drop compensation_amount
    A draft from a document (Word, Markdown or text), its clauses aligned with the last one's:
      tracker record --document supply-2.docx --from supply-1 --id supply-2 --tabled-by seller
    """
    from tracker.model.errors import InvalidInput

    flag_names = ("from_refs", "draft_id", "document", "tabled_by", "date_", "title", "status", "coverage", "notes", "sets", "drops", "renames",
                  "sources", "quotes", "pushed", "confidences", "allow_empty", "root")
    used_flags = [n for n in flag_names if opts[n]] + (["edit"] if opts["edit"] else [])
    if files and used_flags:
        raise InvalidInput("give either FILES or draft flags (--id, --set, …), not both")
    if files:
        _record_files(ctx, files)
    elif used_flags:
        _record_flags(ctx, opts)
    else:
        raise InvalidInput("nothing to record: give FILES, or --id with --from/--tabled-by and edits (see --help)")


def _record_files(ctx: click.Context, files: tuple[Path, ...]) -> None:
    from tracker.input.loading import read_document
    from tracker.input.recording import record_documents

    show_progress = len(files) > 1 and sys.stderr.isatty()
    if show_progress:
        with click.progressbar(files, label="Reading", file=sys.stderr) as bar:
            docs = [read_document(f) for f in bar]
    else:
        docs = [read_document(f) for f in files]
    batch = record_documents(app(ctx).store(), docs)
    from tracker.input.pending import RECORDED, UNCHANGED

    for slug, what in batch.negotiations.items():
        if what == RECORDED:
            click.echo(f"Recorded negotiation {slug}")
        elif what == UNCHANGED:
            click.echo(f"Unchanged negotiation {slug}: already recorded")
        else:
            click.echo(f"Revised negotiation {slug}: recorded its new revision as {what.ref} (by {what.recorded_by})")
    _report(batch.drafts)
    wrote_to(ctx)


def _report(results) -> None:  # type: ignore[no-untyped-def]
    for r in results:
        if r.created:
            click.echo(f"Recorded {r.record.id} as v{r.record.seq} ({r.record.hash[:19]}…)")
        else:
            click.echo(f"Unchanged {r.record.id}: already recorded as v{r.record.seq}")


def _record_flags(ctx: click.Context, opts: dict) -> None:  # type: ignore[type-arg]
    from tracker.input.pending import Pending
    from tracker.input.recording import DraftEdits, derive_draft

    store = app(ctx).store()
    negotiation = store.negotiation(opts["negotiation"])
    edits = DraftEdits(
        draft_id=opts["draft_id"], from_refs=list(opts["from_refs"]), tabled_by=list(opts["tabled_by"]),
        date=opts["date_"], title=opts["title"], status=opts["status"], coverage=opts["coverage"], notes=opts["notes"],
        sets=list(opts["sets"]), drops=list(opts["drops"]), renames=list(opts["renames"]),
        sources=list(opts["sources"]), quotes=list(opts["quotes"]), pushed=list(opts["pushed"]),
        confidences=list(opts["confidences"]), allow_empty=opts["allow_empty"], root=opts["root"],
    )
    alignment = None
    if opts["document"] is not None:
        from tracker.input.document_draft import derive_from_document

        draft, alignment = derive_from_document(store, negotiation, opts["document"], edits, allow_incomplete=opts["edit"],
                                                carried_over=_carried_over(store, negotiation))
    else:
        draft = derive_draft(store, negotiation, edits, allow_incomplete=opts["edit"], carried_over=_carried_over(store, negotiation))
    origin = None
    if opts["edit"]:
        from tracker.input.recording import check_edited

        draft, origin = edit_in_editor(negotiation, draft)
        check_edited(store, negotiation, draft, edits)
    _report(store.record([Pending(draft, origin)]))
    if alignment is not None:
        _aligned(alignment, opts["document"])
    wrote_to(ctx)


def _aligned(a, document: Path) -> None:  # type: ignore[no-untyped-def]
    """What aligning the document's clauses with its parent's did: counts, then each clause
    that did not simply stay where it was."""
    from tracker.model.plain import escaped

    head = f"Clauses: {len(a.clauses)} from {escaped(str(document))}"
    if a.parent is None:
        click.echo(f"{head}, each a new term (a first draft)")
        return
    changed = len(a.changed & set(a.kept))
    counts = [f"{len(a.kept)} kept" + (f" ({changed} with new text)" if changed else "")]
    counts += [f"{len(items)} {what}" for items, what in ((a.moved, "moved"), (a.renames, "renamed"), (a.added, "added"),
                                                          (a.dropped, "dropped")) if items]
    pieces = [f"{len(items)} {what}" for items, what in ((a.splits, "split"), (a.merges, "merged")) if items]
    unstated = f"; {len(a.unstated)} of {a.parent}'s not in this document (partial: unknown, not dropped)" if a.unstated else ""
    click.echo(f"{head} against {a.parent}'s: {', '.join(counts)}" + (f"; {', '.join(pieces)}" if pieces else "") + unstated)
    labels = {a.keys[c.key]: c.label for c in a.clauses}

    def new_text(key: str) -> str:
        return " (new text)" if key in a.changed else ""

    lines = [("moved", f"{key}, now {labels[key]!r} (its key kept{', new text' if key in a.changed else ''})") for key in a.moved]
    lines += [("renamed", f"{old} → {new}{new_text(new)}") for old, new in a.renames]
    lines += [("split", f"{old} → {', '.join(new)}") for old, new in a.splits]
    lines += [("merged", f"{', '.join(old)} → {new}") for old, new in a.merges]
    lines += [("added", key) for key in a.added] + [("dropped", key) for key in a.dropped]
    for what, text in lines:
        click.echo(f"  {what:<8} {text}")


def _carried_over(store, negotiation):  # type: ignore[no-untyped-def]
    """What a partial draft carries over with a value (key → term), from the negotiation's view."""

    def carried(record):  # type: ignore[no-untyped-def]
        from tracker.history.reading import load

        view = load(store, negotiation)
        return {k: view.term(s) for k, s in view.carried(record.id).items() if s.blob is not None}

    return carried


def edit_in_editor(negotiation, draft):  # type: ignore[no-untyped-def]
    """Open the draft as YAML in $EDITOR, as `git commit` does; return what the user saved.

    An unchanged or emptied buffer aborts. A buffer that fails to load is kept in a file whose
    path the error names, so no typing is lost.
    """
    import tempfile
    import time

    from tracker.input.loading import (
        build_draft,
        document_from_text,
        draft_file_dict,
        dump_yaml,
    )
    from tracker.model.errors import Aborted, InvalidInput

    header = (
        "# Edit the new draft, save and close to record it.\n"
        "# An unchanged or empty file aborts. Values take shorthand: 50%, $500B, '45 days', true, [a, b].\n"
    )
    original = header + dump_yaml(draft_file_dict(draft, negotiation))
    edited = click.edit(original, extension=".yaml", require_save=True)
    if edited is None or edited == original:
        raise Aborted("the draft was not changed in the editor; nothing recorded")
    body = "\n".join(line for line in edited.splitlines() if not line.lstrip().startswith("#")).strip()
    if not body:
        raise Aborted("the editor buffer was emptied; nothing recorded")
    try:
        doc = document_from_text(edited, "<editor>")
        new_draft = build_draft(doc, negotiation)
    except InvalidInput as exc:
        fd, kept = tempfile.mkstemp(prefix=f"tracker-{draft.id}-{int(time.time())}-", suffix=".yaml")
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(edited)
        message = str(exc).replace("<editor>", kept)
        raise InvalidInput(f"{message} (your text is kept in {kept}; fix it and run `tracker record {kept}`)") from None
    return new_draft, doc.origin
