"""A recorded draft written back as a draft file, which ``tracker record`` takes back."""

from __future__ import annotations

from typing import Any

from tracker.input.loading import draft_file_dict, dump_yaml
from tracker.model.termsheet import Draft, Negotiation


def draft_file(negotiation: Negotiation, record: Any, draft: Draft) -> str:
    """Recorded under a new id, its terms get the same hashes."""
    return dump_yaml(draft_file_dict(draft, negotiation))
