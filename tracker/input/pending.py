"""A draft on its way into the store, and what recording it did.

Built by the loaders and importers (``recording``, ``portable``) and handed to
``Store.record``, which writes a batch in one transaction, parents first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from tracker.model.errors import InvalidInput
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Draft

if TYPE_CHECKING:  # the loader (and YAML) is not needed to read the store
    from tracker.input.loading import Origin

# What recording a negotiation did (else: the event of its new revision).
RECORDED, UNCHANGED = "recorded", "unchanged"


@dataclass
class Pending:
    """A draft to record, with where it came from (for error messages)."""

    draft: Draft
    origin: Origin | None = None
    # Restoring an export: the sequence number the draft must get (else the batch conflicts)
    # and its original recording time.
    seq: int | None = None
    recorded_at: dt.datetime | None = None
    recorded_by: str | None = None

    def error(self, exc_type: type, loc: tuple[Any, ...], message: str) -> Exception:
        if self.origin is None:
            return exc_type(f"draft {self.draft.id!r}: {message}")
        inner = self.origin.error(loc, message)
        return exc_type(inner.message, where=inner.where)


@dataclass
class Recorded:
    record: DraftRecord
    created: bool  # False when an identical draft was already recorded


def parents_first(pending: Sequence[Pending]) -> list[Pending]:
    """Order drafts so each comes after the parents recorded in the same batch."""
    by_key = {}
    for item in pending:
        key = (item.draft.negotiation, item.draft.id)
        if key in by_key:
            raise item.error(InvalidInput, ("id",), f"draft {item.draft.id!r} appears twice in this batch")
        by_key[key] = item
    ordered: list[Pending] = []
    state: dict[tuple[str, str], str] = {}

    def visit(item: Pending, trail: list[str]) -> None:
        key = (item.draft.negotiation, item.draft.id)
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            cycle = " → ".join(trail + [item.draft.id])
            raise item.error(InvalidInput, ("parents",), f"a draft cannot be its own ancestor ({cycle})")
        state[key] = "visiting"
        for parent in item.draft.parents:
            if parent == item.draft.id:
                raise item.error(InvalidInput, ("parents",), f"a draft cannot be its own parent ({parent!r})")
            dep = by_key.get((item.draft.negotiation, parent))
            if dep is not None:
                visit(dep, trail + [item.draft.id])
        state[key] = "done"
        ordered.append(item)

    for item in pending:
        visit(item, [])
    return ordered
