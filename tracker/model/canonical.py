"""Canonical JSON and content hashes: a documented contract.

Changing anything in this module changes every hash ever recorded, so it must not change.

* ``canonical_json(obj)``: ``json.dumps`` with sorted keys, compact separators ``(",", ":")``,
  ``ensure_ascii=False``, UTF-8 encoded. Numbers inside values are already exact decimal
  strings (see ``values.py``), so no float ever reaches the hash.
* A **term hash** is ``sha256:`` + hex SHA-256 of the canonical JSON of the term's canonical
  dict (``Term.canonical()``: defaults omitted; the key is not part of it).
* A **draft hash** is ``sha256:`` + hex SHA-256 of the canonical JSON of::

      {"header": <DraftHeader.canonical() without "parents">,
       "parents": [<hash of each parent, in the draft's order>],
       "terms": {<key>: <term hash>, ...}}

  so a draft's hash covers its whole content and, through its parents' hashes, its lineage.
* A negotiation's **history** is a hash chain in recording order. Each recorded draft's
  **link** is the content hash of::

      {"previous": <the link before it; for v1 the negotiation's hash>,
       "seq": <its sequence number>, "draft": <its draft hash>,
       "recorded_at": <when it was recorded: ISO 8601 in UTC, "+00:00">}

  with ``"recorded_by": <who recorded it>`` added where that is known (drafts recorded before
  schema 0003 keep the links they had). An **event** (``tracker.model.events``: a status change, new
  evidence, a correction, a revision of the negotiation) is linked in the same chain, after the
  drafts recorded before it, by the content hash of::

      {"previous": <the link before it>, "event_seq": <its number among the events>,
       "event": <its content hash>, "recorded_at": …, "recorded_by": …}

  and the history's **head** is the last link (the negotiation's hash while it has no drafts).
  Renumbering, removing or re-timing a draft, or rewriting the negotiation, breaks every link
  after it; a head kept elsewhere also catches a removed last draft or a consistent rewrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Mapping, Sequence

ALGORITHM = "sha256"


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(obj: Any) -> str:
    digest = hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
    return f"{ALGORITHM}:{digest}"


def term_hash(term_canonical: Mapping[str, Any]) -> str:
    return content_hash(term_canonical)


def draft_hash(
    header_canonical: Mapping[str, Any],
    parent_hashes: Sequence[str],
    term_hashes: Mapping[str, str],
) -> str:
    header = {k: v for k, v in header_canonical.items() if k != "parents"}
    return content_hash({"header": header, "parents": list(parent_hashes), "terms": dict(term_hashes)})


def link_hash(previous: str, seq: int, draft: str, recorded_at: dt.datetime, recorded_by: str | None = None) -> str:
    link = {"previous": previous, "seq": seq, "draft": draft, "recorded_at": instant(recorded_at)}
    if recorded_by is not None:
        link["recorded_by"] = recorded_by
    return content_hash(link)


def event_link_hash(previous: str, seq: int, event: str, recorded_at: dt.datetime, recorded_by: str | None) -> str:
    link = {"previous": previous, "event_seq": seq, "event": event, "recorded_at": instant(recorded_at)}
    if recorded_by is not None:
        link["recorded_by"] = recorded_by
    return content_hash(link)


def instant(value: dt.datetime) -> str:
    """A recording time as the chain holds it: ISO 8601 in UTC (a naive time is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat()
