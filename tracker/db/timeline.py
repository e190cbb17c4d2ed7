"""A negotiation read as blob ids: what blame, history, positions and reports walk.

The store keeps each draft as a delta of term blobs against a base draft. A ``Timeline`` reads
those rows for every draft in one query and layers them into each draft's manifest (term key →
blob id) — every key's rows, or, for a question about a few terms, those keys' rows first and
others' when the view asks for them (a rename search reads the drafts it compares whole).
Blobs are content-addressed, so equal ids mean equal terms and the manifests can be compared
without looking at a single term; what two drafts differ on comes straight from the delta rows
when one is the other's base.

Term bodies are read and parsed only when asked for, and a term's *value token* (the
canonical JSON of its value, what attribution compares) is cut from the stored canonical body
without parsing it. Nothing here writes to the database.
"""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from tracker.db.rows import layer, layered, parse_terms
from tracker.model.canonical import canonical_json
from tracker.model.errors import IntegrityFailure
from tracker.model.lineage import Lineage
from tracker.model.termsheet import Term
from tracker.model.values import ABSENT, comparable, is_duration_json, value_from_json

if TYPE_CHECKING:
    from tracker.db.store import Store
    from tracker.model.records import DraftRecord

_NONE_VALUE = '{"type":"none"}'
_DRAFT, _KEY_BLOB = itemgetter(0), itemgetter(1, 2)
_VALUE_FIELD = '"value":{'


def value_token(body: str) -> str:
    """The comparable form of a stored term's value (``ABSENT`` for ``none``; otherwise
    ``values.token_of(value)``), cut from the body without parsing it.

    Stored bodies are canonical JSON (``canonical.py``): keys sorted, so ``value`` is the last
    top-level field and its object is the last ``"value":{`` in the text. Values are flat
    objects, report values come earlier (``reports`` < ``value``), and inside a JSON string a
    quote is always escaped, so no other occurrence can come after it; only a number with a
    unit (perhaps a duration) is parsed, to be written in its base unit. A term field sorting
    after ``value`` would break this: none exists, and ``tests/test_view.py`` would catch one.
    """
    token = body[body.rindex(_VALUE_FIELD) + len(_VALUE_FIELD) - 1 : -1]
    if token == _NONE_VALUE:
        return ABSENT
    if is_duration_json(token):  # perhaps a duration: compared in its family's base unit
        data = json.loads(token)
        norm = comparable(data)
        return token if norm is data else canonical_json(norm)
    return token


@lru_cache(maxsize=1 << 16)
def parse_value(raw: str | None) -> Any:
    """A typed value from its canonical JSON (values are immutable: equal texts share one)."""
    return None if raw is None else value_from_json(json.loads(raw))


class Timeline:
    """Every draft of one negotiation: lineage, manifests as blob ids, lazy term bodies.

    Read whole, or for some keys only (``keys``): then each manifest holds those keys, more are
    laid in place when asked for (``widen``), and what a single draft holds in full, which the
    rename search compares, is read along that draft's chain of deltas (``whole``). A question
    about one term then reads its rows, not every draft's.
    """

    def __init__(self, store: "Store", records: Sequence["DraftRecord"], stored: Sequence["DraftRecord"] | None = None,
                 keys: Iterable[str] | None = None):
        """``records``: the drafts read; ``stored``: every draft of the negotiation, when some
        are left out of the reading (corrected ones) but others are stored as deltas on them;
        ``keys``: read only these keys' rows (None: every key)."""
        self.store = store
        self.records = list(records)
        self.lineage = Lineage(self.records)
        self.by_id = self.lineage.by_id
        every = list(stored) if stored is not None else self.records
        self._pk = {r.pk: r for r in every}
        self._stored = sorted(every, key=lambda r: r.seq)  # a base is always recorded first
        for r in self._stored:
            base = self.by_id_pk(r.base_pk)
            if base is not None and base.seq >= r.seq:
                raise IntegrityFailure(f"draft {r.id!r} (v{r.seq}) is stored on {base.id!r}, numbered after it: the database was changed"
                                       " outside tracker; run `tracker verify`")
        # own[d]: the draft's own rows (a delta against its base, or a full snapshot), of the
        # keys read; None marks a key dropped since the base. manifests[d]: what it holds, of
        # the keys read. ``loaded``: the keys read (None: every key).
        self.own: dict[str, dict[str, int | None]] = {r.id: {} for r in every}
        self.manifests: dict[str, dict[str, int]] = {r.id: {} for r in every}
        self.loaded: set[str] | None = set()
        self._whole: dict[str, dict[str, int]] = {}
        self._whole_own: dict[str, dict[str, int | None]] = {}
        self._every_key: frozenset[str] | None = None
        self.widen(keys)
        self._bodies: dict[int, str] = {}
        self._tokens: dict[int, str] = {}
        self._terms: dict[int, Term] = {}
        self._values: dict[int, Any] = {}

    # --- rows read --------------------------------------------------------------------------

    def widen(self, keys: Iterable[str] | None) -> None:
        """Read these keys' rows too (None: every key's), laid into the manifests in place."""
        if self.loaded is None:
            return
        if keys is not None:
            keys = [k for k in keys if k not in self.loaded]
            if not keys:
                return
            if len(keys) * 5 >= max((r.term_count for r in self._stored), default=0):
                keys = None  # a fifth of a sheet or more: one pass over every row costs less
        rows = self.store.draft_rows(self._stored, keys)
        # The rows come grouped by draft: each draft's dict is built in C. The manifests are
        # filled in place: a view holds on to them.
        own_by_pk = {pk: dict(map(_KEY_BLOB, group)) for pk, group in groupby(rows, _DRAFT)}
        if keys is None:
            # Every key (those read before come again, the same): each manifest its base's, laid
            # already, and its own rows, in C.
            for r in self._stored:
                mine = self.own[r.id]
                mine.update(own_by_pk.get(r.pk, ()))
                base = self.by_id_pk(r.base_pk)
                held = self.manifests[r.id]
                if base is not None:
                    held.update(self.manifests[base.id])
                layer(held, mine)
        else:  # a few keys: each looked up in its base's manifest
            for r in self._stored:
                mine = own_by_pk.get(r.pk, {})
                self.own[r.id].update(mine)
                base = self.by_id_pk(r.base_pk)
                before = self.manifests[base.id] if base is not None else {}
                held = self.manifests[r.id]
                for k in keys:
                    b = mine[k] if k in mine else before.get(k)
                    if b is not None:
                        held[k] = b
        if keys is None:
            self.loaded = None
        else:
            self.loaded.update(keys)

    def whole(self, draft: str) -> dict[str, int]:
        """Everything ``draft`` holds (key → blob), whatever keys were read."""
        if self.loaded is None:
            return self.manifests[draft]
        found = self._whole.get(draft)
        if found is None:
            chain = []  # the draft and its bases, down to one laid out already or stored whole
            r: DraftRecord | None = self.by_id_any(draft)
            while r is not None and r.id not in self._whole:
                chain.append(r)
                r = self.by_id_pk(r.base_pk)
            owns = self.read_own([c.id for c in chain])
            found = self._whole[r.id] if r is not None else None
            for c, own in zip(reversed(chain), reversed(owns)):
                found = self._whole[c.id] = layered(found, own)
        return found  # type: ignore[return-value]

    def whole_own(self, draft: str) -> dict[str, int | None]:
        """All of ``draft``'s own stored rows (see ``own``), whatever keys were read."""
        return self.read_own([draft])[0]

    def read_own(self, drafts: Sequence[str]) -> list[dict[str, int | None]]:
        """``whole_own`` of each of ``drafts``, those not read yet in one query."""
        if self.loaded is None:
            return [self.own[d] for d in drafts]
        unread = [self.by_id_any(d) for d in dict.fromkeys(drafts) if d not in self._whole_own]
        if unread:
            rows = {pk: dict(map(_KEY_BLOB, group)) for pk, group in groupby(self.store.draft_rows(unread), _DRAFT)}
            for r in unread:
                self._whole_own[r.id] = rows.get(r.pk, {})
        return [self._whole_own[d] for d in drafts]

    def knows(self, key: str) -> bool:
        """Whether any draft holds or held ``key``."""
        self.widen([key])
        return any(key in own for own in self.own.values())

    def every_key(self) -> frozenset[str]:
        """Every key any draft holds or held."""
        if self._every_key is None:
            self.widen(None)
            self._every_key = frozenset().union(*self.own.values())
        return self._every_key

    def by_id_any(self, draft: str) -> "DraftRecord":
        """A stored draft by id, read or not (a corrected one is still a base of others)."""
        found = self.by_id.get(draft)
        return found if found is not None else next(r for r in self._stored if r.id == draft)

    def forget_rows(self) -> None:
        """Drop the drafts' rows and manifests, keeping the term bodies read so far."""
        self.own = {}
        self.manifests = {}
        self._whole = {}
        self._whole_own = {}

    def by_id_pk(self, pk: int | None) -> "DraftRecord | None":
        return None if pk is None else self._pk[pk]

    # --- what differs -----------------------------------------------------------------------

    def changed(self, old: str | None, new: str) -> set[str]:
        """Keys whose term differs between two drafts (``old`` None: before any draft)."""
        if old is None:
            return set(self.whole(new))
        if old == new:
            return set()
        base = self.by_id_pk(self.by_id[new].base_pk)
        if base is not None and base.id == old:  # a delta row is written only where they differ
            return set(self.whole_own(new))
        base = self.by_id_pk(self.by_id[old].base_pk)
        if base is not None and base.id == new:
            return set(self.whole_own(old))
        a, b = self.whole(old), self.whole(new)
        return {k for k, _ in a.items() ^ b.items()}

    # --- term bodies ------------------------------------------------------------------------

    def blobs(self) -> set[int]:
        """Every blob the drafts' rows read so far hold (every one, once every key is read)."""
        return {b for rows in self.own.values() for b in rows.values() if b is not None}

    def prefetch(self, blobs: Iterable[int]) -> None:
        missing = [b for b in set(blobs) if b not in self._bodies]
        if missing:
            self._bodies.update(self.store.blob_bodies(missing))

    def body(self, blob: int) -> str:
        if blob not in self._bodies:
            self.prefetch([blob])
        return self._bodies[blob]

    def token(self, blob: int | None) -> str:
        """The comparable value token of a blob (``ABSENT`` for none, or for no blob)."""
        if blob is None:
            return ABSENT
        found = self._tokens.get(blob)
        if found is None:
            found = self._tokens[blob] = value_token(self.body(blob))
        return found

    def tokens(self, blobs: set[int]) -> dict[int, str]:
        """Value tokens of many blobs (their bodies read in one query where not yet read)."""
        known = self._tokens
        missing = [b for b in blobs if b not in known]
        if missing:
            self.prefetch(missing)
            for b in missing:
                known[b] = value_token(self._bodies[b])
        return known

    def pushes(self, blob: int) -> bool:
        """Whether the stored term names who pushed it (a cheap test before parsing)."""
        return '"pushed_by":' in self.body(blob)

    def label(self, blob: int) -> str | None:
        """A stored term's label, read without validating the whole term."""
        body = self.body(blob)
        return json.loads(body).get("label") if '"label":' in body else None

    def disputed(self, blob: int) -> bool:
        """Whether the stored term holds competing reports (canonical JSON: only when it does)."""
        return '"reports":' in self.body(blob)

    def deferred(self, blob: int) -> bool:
        """Whether the stored term is marked as left for later (canonical JSON: no spaces)."""
        return '"deferred":true' in self.body(blob)

    def terms(self, blobs: Iterable[int]) -> dict[int, Term]:
        """Parsed terms of these blobs, validated in one batch and cached."""
        wanted = set(blobs)
        missing = [b for b in wanted if b not in self._terms]
        if missing:
            self.prefetch(missing)
            self._terms.update((int(b), t) for b, t in parse_terms((b, self._bodies[b]) for b in missing).items())
        return {b: self._terms[b] for b in wanted}

    def term(self, blob: int) -> Term:
        found = self._terms.get(blob)
        return found if found is not None else self.terms([blob])[blob]

    def raw_value(self, blob: int | None) -> str | None:
        """The canonical JSON of a blob's value, as stored (None for no blob)."""
        if blob is None:
            return None
        body = self.body(blob)
        return body[body.rindex(_VALUE_FIELD) + len(_VALUE_FIELD) - 1 : -1]

    def value(self, blob: int | None) -> Any:
        """The typed value of a blob's term (None for no blob), parsed from its value alone."""
        if blob is None:
            return None
        found = self._values.get(blob)
        if found is None:
            found = self._values[blob] = parse_value(self.raw_value(blob))
        return found

    def renamed_from(self, blob: int) -> str | None:
        body = self.body(blob)
        return json.loads(body).get("renamed_from") if '"renamed_from":' in body else None
