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
"""

from __future__ import annotations

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
