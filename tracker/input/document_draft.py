"""A draft from a document: its clauses aligned with the draft it answers, as edits of that draft.

The document states every text term of the new draft: a clause kept is set to its text, one
renamed is ``--rename old=new`` (and set), one added is set, and a text term of the parent that
the document no longer holds is dropped — in a partial draft (an excerpt), left unstated. Terms
of other types (money, dates… set with ``--set``) carry over from the parent as in any ``record
--from``. The edits then go through ``derive_draft``, so a draft from a document gets every check
and rule a draft from flags gets.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.input.alignment import Alignment, align
from tracker.input.documents import read_clauses
from tracker.input.recording import CarriedOver, DraftEdits, _pair, check_edits, derive_draft
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.termsheet import Draft, Negotiation
from tracker.model.values import Absent, Text

if TYPE_CHECKING:
    from tracker.db.store import Store


def derive_from_document(store: Store, negotiation: Negotiation, document: str | Path, edits: DraftEdits, *,
                         allow_incomplete: bool = False, carried_over: CarriedOver | None = None) -> tuple[Draft, Alignment]:
    """The new draft of ``document`` answering ``edits.from_refs``, and how its clauses were aligned."""
    clauses = read_clauses(document)
    check_edits(edits)
    parents = [store.resolve(ref, negotiation.id) for ref in edits.from_refs]
    base: dict[str, Any] = dict(store.terms(parents[0]).items()) if parents else {}
    if parents and parents[0].header.coverage == "partial" and carried_over is not None:
        base = {**carried_over(parents[0]), **base}
    by_key = {c.key: c for c in clauses}
    set_keys = {_pair("--set", s)[0] for s in edits.sets}
    clash = sorted(set_keys & by_key.keys())
    if clash:
        raise InvalidInput(f"--set {clash[0]}: the document gives this term (clause {by_key[clash[0]].label!r}); set another key")
    named = set_keys | {k.strip() for k in edits.drops}  # the user's own edits: left out of the alignment
    forced: dict[str, str] = {}
    renames: list[str] = []
    for spec in edits.renames:
        old, new = (part.strip() for part in _pair("--rename", spec))
        if new in by_key:  # the user says which clause of the parent this one is
            if not isinstance(getattr(base.get(old), "value", None), Text):
                raise NotFound(f"--rename {spec!r}: no text term {old!r} in {parents[0].id if parents else 'the draft'}")
            if new in base:
                raise InvalidInput(f"--rename {spec!r}: {parents[0].id} has a term {new!r} too; a key in both drafts is one term")
            forced[old] = new
        else:
            renames.append(spec)
            named.add(old)
    for c in clauses:
        held = base.get(c.key)
        if held is not None and not isinstance(held.value, (Text, Absent)) and c.key not in named:
            raise InvalidInput(
                f"clause {c.label!r} is term {c.key!r}, which {parents[0].id} holds as {held.value.type}:"
                f" move that term away first (--rename {c.key}=…)", where=str(document))
    texts = {k: t.value.value for k, t in base.items() if isinstance(t.value, Text) and k not in named}
    partial = edits.coverage == "partial"
    alignment = align(texts, clauses, forced=forced, partial=partial, parent_id=parents[0].id if parents else None,
                      taken=[*base, *set_keys], labels={k: t.label for k, t in base.items()})
    keys = alignment.keys
    derived = replace(
        edits,
        renames=[f"{old}={new}" for old, new in alignment.renames] + renames,
        drops=[*edits.drops, *alignment.dropped],
        sets=[f"{keys[c.key]}=text:{c.text}" for c in clauses] + list(edits.sets),
        labels={keys[c.key]: c.label for c in clauses},
        order=[keys[c.key] for c in clauses],
    )
    draft = derive_draft(store, negotiation, derived, allow_incomplete=allow_incomplete, carried_over=carried_over)
    return draft, alignment
