"""Recorded drafts without their terms, a negotiation's history in order, and references.

What the store hands out about the drafts it holds (frozen dataclasses, never live rows), and
the rules every layer shares about them: the order drafts and events were recorded in (each
links to the one before, ``canonical.link_hash``), and what a reference such as ``v3``,
``latest`` or a hash prefix resolves to.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, Sequence, TypeVar

from tracker.model import canonical
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.events import EventRecord
from tracker.model.termsheet import DraftHeader, Negotiation


@dataclass(frozen=True)
class DraftRecord:
    """A recorded draft without its terms: what ``log`` lists and references resolve to."""

    pk: int
    seq: int
    hash: str
    header: DraftHeader
    recorded_at: dt.datetime | None
    base_pk: int | None = field(default=None, repr=False)
    chain_depth: int = field(default=0, repr=False)
    term_count: int = 0
    link: str | None = field(default=None, repr=False)  # the history up to this draft (canonical.link_hash)
    recorded_by: str | None = None  # None: recorded before tracker kept who recorded what

    @property
    def id(self) -> str:
        return self.header.id


@dataclass(frozen=True)
class History:
    """A negotiation's whole recorded history: its first record (what the chain starts from), its
    latest revision, and its drafts and events in order."""

    first: Negotiation
    negotiation: Negotiation
    hash: str  # the first record's hash
    records: list[DraftRecord]
    events: list[EventRecord]

    @property
    def head(self) -> str:
        entries = chain_order(self.records, self.events)
        return entries[-1].link if entries else self.hash  # type: ignore[return-value]


@dataclass(frozen=True)
class NegotiationSummary:
    negotiation: Negotiation
    drafts: int


def chain_order(records: Sequence[DraftRecord], events: Sequence[EventRecord]) -> list[DraftRecord | EventRecord]:
    """Drafts and events in the order they were recorded: each event after the drafts the
    negotiation had then (``after``), before the next one."""
    entries: list[tuple[tuple[int, int, int], DraftRecord | EventRecord]] = [((r.seq, 0, 0), r) for r in records]
    entries += [((e.after, 1, e.seq), e) for e in events]
    return [entry for _, entry in sorted(entries, key=lambda x: x[0])]


def follows(previous: str, entry: DraftRecord | EventRecord) -> bool:
    """Whether a draft's or event's stored link is the one it gets after the link ``previous``."""
    if entry.recorded_at is None:
        return False
    if isinstance(entry, EventRecord):
        return entry.link == canonical.event_link_hash(previous, entry.seq, entry.hash, entry.recorded_at, entry.recorded_by)
    return entry.link == canonical.link_hash(previous, entry.seq, entry.hash, entry.recorded_at, entry.recorded_by)


class Ref(NamedTuple):
    """What a reference is resolved on: a draft's id, sequence number and hash."""

    pk: int
    id: str
    seq: int
    hash: str


_VERSION_RE = re.compile(r"^v(\d+)$")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> str: ...


_R = TypeVar("_R", bound=_Identified)


def resolve_ref(records: Sequence[_R], ref: str) -> _R:
    """Resolve a reference against a negotiation's drafts (see ``Store.resolve``)."""
    if not records:
        raise NotFound("the negotiation has no drafts yet")
    for r in records:
        if r.id == ref:
            return r
    if ref == "latest":
        return max(records, key=lambda r: r.seq)
    m = _VERSION_RE.match(ref)
    if m:
        for r in records:
            if r.seq == int(m.group(1)):
                return r
        raise NotFound(f"unknown draft {ref!r} (versions run v1..v{max(r.seq for r in records)})")
    prefix = ref.removeprefix("sha256:").lower()
    if len(prefix) >= 4 and re.fullmatch(r"[0-9a-f]+", prefix):
        found = [r for r in records if r.hash.removeprefix("sha256:").startswith(prefix)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(f"hash prefix {ref!r} is ambiguous ({len(found)} drafts); give more digits")
    raise NotFound(f"unknown draft {ref!r}")
