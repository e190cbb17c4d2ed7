"""The draft store: record drafts (append-only), resolve references, read drafts back.

Everything leaving this module is a pydantic model or a plain dataclass, never a live ORM row,
so callers cannot change recorded history by accident. How terms are laid out on disk
(content-addressed blobs, delta manifests) is described in ``db/tables.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, NamedTuple, Protocol, Sequence, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, Text, func, insert, select, type_coerce
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tracker import canonical
from tracker.db.engine import database_error, is_sqlite, open_engine, resolve_url
from tracker.db.tables import DraftParentRow, DraftRow, DraftTermRow, NegotiationRow, TermBlobRow
from tracker.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from tracker.termsheet import Draft, DraftHeader, Negotiation, Term

if TYPE_CHECKING:  # the loader (and YAML) is not needed to read the store
    from tracker.loading import Origin

# A delta chain longer than this is cut by a full snapshot, bounding the rows read per draft.
MAX_CHAIN = 24
# Keep IN (...) lists well under every driver's parameter limit.
CHUNK = 900
# A record or import of at least this many terms is a bulk load: statistics are refreshed after.
BULK_TERMS = 10_000

_terms_adapter: TypeAdapter[dict[str, Term]] = TypeAdapter(dict[str, Term])


def parse_terms(bodies: Iterable[tuple[object, str]]) -> dict[str, Term]:
    """Stored term bodies, by name (a key or a blob id), as models: one validation call over
    a JSON object, far faster than one per term. Names need no escaping (keys were checked
    against the TermKey pattern when recorded; ids are numbers)."""
    try:
        return _terms_adapter.validate_json("{" + ",".join(f'"{name}":{body}' for name, body in bodies) + "}")
    except ValueError:  # pydantic's ValidationError included: a stored row was changed by hand
        raise IntegrityFailure("a stored term no longer reads as a term; run `tracker verify`") from None


def _stored_negotiation(document: str) -> Negotiation:
    try:
        return Negotiation.model_validate_json(document)
    except ValueError:
        raise IntegrityFailure("a stored negotiation no longer reads as a negotiation; run `tracker verify`") from None


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

    @property
    def id(self) -> str:
        return self.header.id


@dataclass(frozen=True)
class NegotiationSummary:
    negotiation: Negotiation
    drafts: int


@dataclass
class Pending:
    """A draft to record, with where it came from (for error messages)."""

    draft: Draft
    origin: Origin | None = None
    # Restoring an export: the sequence number the draft must get (else the batch conflicts)
    # and its original recording time.
    seq: int | None = None
    recorded_at: dt.datetime | None = None

    def error(self, exc_type: type, loc: tuple[Any, ...], message: str) -> Exception:
        if self.origin is None:
            return exc_type(f"draft {self.draft.id!r}: {message}")
        inner = self.origin.error(loc, message)
        return exc_type(inner.message, where=inner.where)


@dataclass
class Recorded:
    record: DraftRecord
    created: bool  # False when an identical draft was already recorded


class Store:
    def __init__(self, engine: Engine, url: str = ""):
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str | None = None) -> "Store":
        resolved = resolve_url(url)
        return cls(open_engine(resolved), resolved)

    def close(self) -> None:
        self.engine.dispose()

    # --- negotiations ---------------------------------------------------------------------

    def negotiations(self) -> list[NegotiationSummary]:
        with self._read() as conn:
            counts = dict(
                conn.execute(select(DraftRow.negotiation_id, func.count()).group_by(DraftRow.negotiation_id)).all()
            )
            rows = conn.execute(select(NegotiationRow.id, NegotiationRow.document).order_by(NegotiationRow.slug)).all()
        return [NegotiationSummary(_stored_negotiation(doc), counts.get(pk, 0)) for pk, doc in rows]

    def negotiation(self, slug: str | None = None) -> Negotiation:
        """The named negotiation; with no name, the only one in the database."""
        with self._read() as conn:
            return self._negotiation(conn, slug)[1]

    def _negotiation(self, conn: Connection, slug: str | None, *, lock: bool = False) -> tuple[int, Negotiation]:
        query = select(NegotiationRow.id, NegotiationRow.document, NegotiationRow.slug)
        if slug is None:
            rows = conn.execute(query.limit(2)).all()
            if not rows:
                raise NotFound("no negotiations recorded yet (try `tracker seed` or `tracker negotiation create`)")
            if len(rows) > 1:
                names = ", ".join(conn.execute(select(NegotiationRow.slug).order_by(NegotiationRow.slug)).scalars())
                raise InvalidInput(f"several negotiations recorded ({names}); choose one with --negotiation")
            row = rows[0]
        else:
            if lock and not is_sqlite(self.engine):
                query = query.with_for_update()
            row = conn.execute(query.where(NegotiationRow.slug == slug)).first()
            if row is None:
                known = ", ".join(conn.execute(select(NegotiationRow.slug).order_by(NegotiationRow.slug)).scalars())
                raise NotFound(f"unknown negotiation {slug!r}" + (f" (known: {known})" if known else ""))
        return row[0], _stored_negotiation(row[1])

    def add_negotiation(self, negotiation: Negotiation) -> bool:
        """Record a negotiation; False if the identical one exists. Different content conflicts."""
        with self._write() as conn:
            return self._add_negotiation(conn, negotiation)

    def _add_negotiation(self, conn: Connection, negotiation: Negotiation) -> bool:
        document = canonical.canonical_json(negotiation.canonical())
        digest = canonical.content_hash(negotiation.canonical())
        existing = conn.execute(select(NegotiationRow.hash).where(NegotiationRow.slug == negotiation.id)).scalar()
        if existing is None:
            # Another writer may be recording the same negotiation right now (PostgreSQL does not
            # lock a row that does not exist yet): its row, once committed, is simply there.
            inserted = conn.execute(  # RETURNING: psycopg cannot count the rows of ON CONFLICT DO NOTHING
                _insert_ignoring_duplicates(conn, NegotiationRow)
                .values(slug=negotiation.id, document=document, hash=digest, created_at=_now())
                .returning(NegotiationRow.id)
            ).first()
            if inserted is not None:
                return True
            existing = conn.execute(select(NegotiationRow.hash).where(NegotiationRow.slug == negotiation.id)).scalar()
        if existing == digest:
            return False
        raise Conflict(f"negotiation {negotiation.id!r} is already recorded with different content")

    # --- recording --------------------------------------------------------------------------

    def record(
        self, pending: Sequence[Pending], negotiations: Sequence[Negotiation] = (), *, added: list[str] | None = None,
    ) -> list[Recorded]:
        """Record negotiations and drafts in one transaction: all of them or none.

        Drafts may come in any order; parents are recorded before their children. A draft
        already recorded with identical content is skipped; with other content it conflicts.
        ``added`` receives the ids of the negotiations this call recorded (not those already there).
        """
        ordered = _parents_first(pending)
        try:
            with self._write() as conn:
                new = [n.id for n in negotiations if self._add_negotiation(conn, n)]
                locked: dict[str, tuple[int, Negotiation]] = {}
                results = []
                for item in ordered:
                    slug = item.draft.negotiation
                    if slug not in locked:
                        try:
                            locked[slug] = self._negotiation(conn, slug, lock=True)
                        except NotFound as exc:
                            raise item.error(NotFound, ("negotiation",), exc.message) from None
                    neg_pk, negotiation = locked[slug]
                    for loc, message in negotiation.problems(item.draft):
                        raise item.error(InvalidInput, loc, message)
                    results.append(self._record_one(conn, neg_pk, item))
            if sum(len(item.draft.terms) for item in pending) >= BULK_TERMS:
                self._analyze()
            if added is not None:
                added.extend(new)
            return results
        except OperationalError as exc:
            if "locked" in str(exc.orig).lower() or "lock timeout" in str(exc.orig).lower():
                raise Conflict("the database is busy: could not get the write lock in time; nothing was recorded") from None
            raise database_error(exc, self.url, "cannot write to") from None
        except IntegrityError as exc:
            raise Conflict(f"another writer recorded a conflicting draft at the same time; nothing was recorded ({_first_line(exc)})") from None
        except DBAPIError as exc:
            if "lock timeout" in str(exc.orig).lower():
                raise Conflict("the database is busy: could not get the write lock in time; nothing was recorded") from None
            raise database_error(exc, self.url, "cannot write to") from None

    def _analyze(self) -> None:
        """After a bulk load, refresh PostgreSQL's planner statistics, as after a restore.

        Until autovacuum gets to it, the planner would take the freshly filled tables for
        empty and read a draft back with nested loops over thousands of rows. Recording is
        done by then: a failure here loses nothing, so it is not reported."""
        if is_sqlite(self.engine):
            return
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE negotiations, drafts, draft_parents, term_blobs, draft_terms")
        except DBAPIError:
            pass

    def _record_one(self, conn: Connection, neg_pk: int, item: Pending) -> Recorded:
        draft = item.draft
        parents: list[DraftRecord] = []
        for i, parent_slug in enumerate(draft.parents):
            parent = self._by_slug(conn, neg_pk, parent_slug)
            if parent is None:
                raise item.error(NotFound, ("parents", i), f"unknown parent draft {parent_slug!r}")
            parents.append(parent)

        bodies = {key: term.canonical() for key, term in draft.terms.items()}
        hashes = {key: canonical.term_hash(body) for key, body in bodies.items()}
        header = draft.header.canonical()
        digest = canonical.draft_hash(header, [p.hash for p in parents], hashes)

        existing = self._by_slug(conn, neg_pk, draft.id)
        if existing is not None:
            if existing.hash == digest and item.seq in (None, existing.seq):
                return Recorded(existing, created=False)
            if existing.hash == digest:
                raise item.error(Conflict, ("seq",), f"draft {draft.id!r} is already recorded as v{existing.seq}, not v{item.seq}")
            raise item.error(
                Conflict, ("id",),
                f"draft {draft.id!r} is already recorded (v{existing.seq}) with different content; "
                "recorded drafts never change: record a new draft with another id",
            )

        blob_ids = self._ensure_blobs(conn, bodies, hashes)
        manifest = {key: blob_ids[h] for key, h in hashes.items()}

        base: DraftRecord | None = parents[0] if parents else None
        rows: dict[str, int | None] = manifest
        depth = 0
        if base is not None and base.chain_depth < MAX_CHAIN:
            base_manifest = self._manifest_ids(conn, base)
            delta: dict[str, int | None] = {k: v for k, v in manifest.items() if base_manifest.get(k) != v}
            delta.update({k: None for k in base_manifest if k not in manifest})
            if len(delta) <= max(len(manifest) // 2, 8):
                rows, depth = delta, base.chain_depth + 1
            else:
                base = None
        else:
            base = None

        seq = (conn.execute(select(func.max(DraftRow.seq)).where(DraftRow.negotiation_id == neg_pk)).scalar() or 0) + 1
        if item.seq is not None and item.seq != seq:
            raise item.error(
                Conflict, ("seq",),
                f"draft {draft.id!r} would be recorded as v{seq}, not v{item.seq}: the database holds other drafts of this negotiation",
            )
        recorded_at = (item.recorded_at or _now()).astimezone(dt.timezone.utc)  # SQLite keeps no zone: store UTC
        # The history here, whatever another database's was: an import's own chain is checked
        # against the file (``portable``); here the draft follows this database's head.
        link = canonical.link_hash(self._head(conn, neg_pk), seq, digest, recorded_at)
        pk = conn.execute(
            insert(DraftRow)
            .values(
                negotiation_id=neg_pk, slug=draft.id, seq=seq, hash=digest, date=draft.date,
                header=canonical.canonical_json(header), base_id=base.pk if base else None,
                chain_depth=depth, term_count=len(manifest), recorded_at=recorded_at, link=link,
            )
            .returning(DraftRow.id)
        ).scalar_one()
        if parents:
            conn.execute(
                insert(DraftParentRow),
                [{"draft_id": pk, "position": i, "parent_id": p.pk} for i, p in enumerate(parents)],
            )
        if rows:
            conn.execute(insert(DraftTermRow), [{"draft_id": pk, "key": k, "blob_id": v} for k, v in rows.items()])
        record = DraftRecord(pk, seq, digest, draft.header, recorded_at, base.pk if base else None, depth, len(manifest), link)
        return Recorded(record, created=True)

    def _head(self, conn: Connection, neg_pk: int) -> str:
        """The last link of the negotiation's history (its own hash while it has no drafts)."""
        last = conn.execute(
            select(DraftRow.link).where(DraftRow.negotiation_id == neg_pk).order_by(DraftRow.seq.desc()).limit(1)
        ).scalar()
        if last is not None:
            return last
        return conn.execute(select(NegotiationRow.hash).where(NegotiationRow.id == neg_pk)).scalar_one()

    def head(self, negotiation: str | None = None) -> str:
        """The head of a negotiation's history: what ``verify --head`` checks a kept copy against."""
        with self._read() as conn:
            neg_pk, _ = self._negotiation(conn, negotiation)
            return self._head(conn, neg_pk)

    def _ensure_blobs(self, conn: Connection, bodies: dict[str, dict], hashes: dict[str, str]) -> dict[str, int]:
        """Insert the term blobs not yet stored; return hash → blob id for all of them."""
        wanted = {h: key for key, h in hashes.items()}
        ids: dict[str, int] = {}
        for chunk in _chunks(list(wanted)):
            ids.update(conn.execute(select(TermBlobRow.hash, TermBlobRow.id).where(TermBlobRow.hash.in_(chunk))).all())
        missing = [h for h in wanted if h not in ids]
        if missing:
            # Blobs are shared across negotiations, whose writers do not serialise on one lock:
            # a blob another writer stored meanwhile is simply already there.
            conn.execute(
                _insert_ignoring_duplicates(conn, TermBlobRow),
                [{"hash": h, "body": canonical.canonical_json(bodies[wanted[h]])} for h in missing],
            )
            for chunk in _chunks(missing):
                ids.update(conn.execute(select(TermBlobRow.hash, TermBlobRow.id).where(TermBlobRow.hash.in_(chunk))).all())
        return ids

    # --- reading ----------------------------------------------------------------------------

    def log(self, negotiation: str | None = None) -> list[DraftRecord]:
        """Every draft of a negotiation, in sequence order, without terms; the history chain
        they form is checked on the way (a few hundred small hashes): every read of a whole
        negotiation stops at a renumbered, re-timed or removed draft, or a rewritten negotiation."""
        with self._read() as conn:
            neg_pk, negotiation_ = self._negotiation(conn, negotiation)
            records = self._records(conn, neg_pk)
            digest, document = conn.execute(select(NegotiationRow.hash, NegotiationRow.document).where(NegotiationRow.id == neg_pk)).one()
        _check_history(negotiation_.id, digest, document, records)
        return records

    def _records(self, conn: Connection, neg_pk: int) -> list[DraftRecord]:
        rows = conn.execute(
            select(
                *_RECORD_COLUMNS,
            )
            .where(DraftRow.negotiation_id == neg_pk)
            .order_by(DraftRow.seq)
        ).all()
        return [_record(r) for r in rows]

    def _by_slug(self, conn: Connection, neg_pk: int, slug: str) -> DraftRecord | None:
        row = conn.execute(
            select(
                *_RECORD_COLUMNS,
            ).where(DraftRow.negotiation_id == neg_pk, DraftRow.slug == slug)
        ).first()
        return _record(row) if row else None

    def resolve(self, ref: str, negotiation: str | None = None) -> DraftRecord:
        """A draft by id, ``vN``, ``latest`` or a unique hash prefix (``sha256:`` optional)."""
        with self._read() as conn:
            return self._resolve(conn, ref, negotiation)

    def _resolve(self, conn: Connection, ref: str, negotiation: str | None) -> DraftRecord:
        neg_pk, _ = self._negotiation(conn, negotiation)
        # Resolve on the identifying columns alone; only the draft found is read in full.
        refs = [
            _Ref(*row)
            for row in conn.execute(
                select(DraftRow.id, DraftRow.slug, DraftRow.seq, DraftRow.hash).where(DraftRow.negotiation_id == neg_pk)
            )
        ]
        pk = resolve_ref(refs, ref).pk
        row = conn.execute(
            select(
                *_RECORD_COLUMNS,
            ).where(DraftRow.id == pk)
        ).one()
        return _record(row)

    def manifest(self, record: DraftRecord) -> dict[str, str]:
        """Term key → term hash: enough to tell which terms two drafts differ on."""
        with self._read() as conn:
            return {k: h for k, (h, _) in self._manifest(conn, record, bodies=False).items()}

    def terms(self, record: DraftRecord, keys: Iterable[str] | None = None) -> "StoredTerms":
        """The draft's terms (all of them, or only ``keys``), parsed when first looked at."""
        with self._read() as conn:
            return self._terms(conn, record, keys)

    def _terms(self, conn: Connection, record: DraftRecord, keys: Iterable[str] | None = None) -> "StoredTerms":
        full = self._manifest(conn, record, bodies=True)
        if keys is not None:
            wanted = set(keys)
            full = {k: v for k, v in full.items() if k in wanted}
        return StoredTerms({k: full[k] for k in sorted(full)})  # type: ignore[misc]

    def pair(self, old: DraftRecord, new: DraftRecord) -> "TermPair":
        """What diffing two drafts needs, in one transaction: both manifests, and the terms of
        only the keys that differ. Equal terms are skipped without reading their bodies, so
        the cost grows with the number of changes, not with the size of the sheets."""
        with self._read() as conn:
            old_ids = self._manifest_ids(conn, old)
            new_ids = old_ids if new.pk == old.pk else self._manifest_ids(conn, new)
            differing = {k for k in old_ids.keys() | new_ids.keys() if old_ids.get(k) != new_ids.get(k)}
            bodies = _blob_bodies(conn, {ids[k] for ids in (old_ids, new_ids) for k in differing if k in ids})
        parsed = parse_terms(bodies.items())
        return TermPair(
            old_ids, new_ids,
            {k: parsed[str(old_ids[k])] for k in differing if k in old_ids},
            {k: parsed[str(new_ids[k])] for k in differing if k in new_ids},
        )

    def draft_rows(self, records: Sequence[DraftRecord]) -> list[tuple[int, str, int | None]]:
        """The stored rows of these drafts: (draft pk, key, blob id or None for a dropped key).

        A snapshot draft's rows are its whole manifest, a delta draft's only what differs from
        its base (see ``db/tables.py``); ``timeline.Timeline`` layers them."""
        out: list[tuple[int, str, int | None]] = []
        with self._read() as conn:
            for chunk in _chunks([r.pk for r in records]):
                out += _plain_rows(conn, select(DraftTermRow.draft_id, DraftTermRow.key, DraftTermRow.blob_id).where(DraftTermRow.draft_id.in_(chunk)))
        return out

    def blob_bodies(self, blob_ids: Iterable[int]) -> dict[int, str]:
        """Stored canonical JSON of these term blobs, by id."""
        with self._read() as conn:
            return _blob_bodies(conn, blob_ids)

    def term_states(self, records: Sequence[DraftRecord], keys: Iterable[str]) -> dict[str, dict[str, Term]]:
        """For each key, its term in every draft that holds it: ``{key: {draft id: Term}}``.

        Reads only the rows of these keys, across all drafts at once, and layers each draft's
        delta over its base's state; cost grows with the keys asked for, not the sheet size.
        """
        keys = sorted(set(keys))
        if not keys or not records:
            return {k: {} for k in keys}
        pks = [r.pk for r in records]
        wanted = set(keys)
        rows: dict[int, dict[str, int | None]] = {pk: {} for pk in pks}
        with self._read() as conn:
            # Blob ids stand in for hashes (blobs are content-addressed): no join needed.
            if len(keys) > CHUNK:  # most of the sheet: read the drafts' rows, keep the keys asked for
                for chunk in _chunks(pks):
                    for draft_pk, key, blob in conn.execute(
                        select(DraftTermRow.draft_id, DraftTermRow.key, DraftTermRow.blob_id).where(DraftTermRow.draft_id.in_(chunk))
                    ):
                        if key in wanted:
                            rows[draft_pk][key] = blob
            else:
                for draft_pk, key, blob in conn.execute(
                    select(DraftTermRow.draft_id, DraftTermRow.key, DraftTermRow.blob_id)
                    .where(DraftTermRow.key.in_(keys), DraftTermRow.draft_id.in_(pks))
                ):
                    rows[draft_pk][key] = blob
            states: dict[int, dict[str, int]] = {}
            for r in sorted(records, key=lambda r: r.seq):  # a base is always recorded before
                state = dict(states.get(r.base_pk, {})) if r.base_pk is not None else {}
                for key, blob in rows[r.pk].items():
                    if blob is None:
                        state.pop(key, None)
                    else:
                        state[key] = blob
                states[r.pk] = state
            bodies = _blob_bodies(conn, {b for s in states.values() for b in s.values()})
        parsed = {int(i): term for i, term in parse_terms(bodies.items()).items()}
        out: dict[str, dict[str, Term]] = {k: {} for k in keys}
        for r in records:
            for key, digest in states[r.pk].items():
                out[key][r.id] = parsed[digest]
        return out

    def read(self, ref: str, negotiation: str | None = None) -> "Loaded":
        """A draft and its terms, in one transaction."""
        with self._read() as conn:
            record = self._resolve(conn, ref, negotiation)
            return Loaded(record, self._terms(conn, record))

    def _chain(self, conn: Connection, record: DraftRecord) -> list[int]:
        """The draft and its delta bases down to a snapshot, newest first."""
        chain = [record.pk]
        base = record.base_pk
        if base is None:
            return chain
        # One query for the whole chain's base pointers, then walk it in memory.
        pointers = dict(
            conn.execute(
                select(DraftRow.id, DraftRow.base_id).where(
                    DraftRow.negotiation_id == select(DraftRow.negotiation_id).where(DraftRow.id == record.pk).scalar_subquery()
                )
            ).all()
        )
        while base is not None:
            if base in chain:
                raise InvalidInput(f"draft {record.id!r}: its stored delta chain loops; run `tracker verify`")
            chain.append(base)
            base = pointers.get(base)
        return chain

    def _manifest_ids(self, conn: Connection, record: DraftRecord) -> dict[str, int]:
        chain = self._chain(conn, record)
        rows = _plain_rows(conn, select(DraftTermRow.draft_id, DraftTermRow.key, DraftTermRow.blob_id).where(DraftTermRow.draft_id.in_(chain)))
        return _apply_chain(chain, rows)

    def _manifest(self, conn: Connection, record: DraftRecord, *, bodies: bool) -> dict[str, tuple[str, str | None]]:
        chain = self._chain(conn, record)
        columns = [DraftTermRow.draft_id, DraftTermRow.key, TermBlobRow.hash]
        if bodies:
            columns.append(TermBlobRow.body)
        # A base is always recorded before the drafts built on it, so ascending ids layer the
        # chain from its snapshot up: one pass, later rows overriding earlier ones.
        rows = _plain_rows(
            conn,
            select(*columns)
            .select_from(DraftTermRow)
            .outerjoin(TermBlobRow, TermBlobRow.id == DraftTermRow.blob_id)
            .where(DraftTermRow.draft_id.in_(chain))
            .order_by(DraftTermRow.draft_id),
        )
        layered: dict[str, tuple[str, str | None]] = {}
        for row in rows:
            if row[2] is None:
                layered.pop(row[1], None)
            else:
                layered[row[1]] = (row[2], row[3] if bodies else None)
        if bodies:
            for digest, body in layered.values():
                _check_body(digest, body)  # type: ignore[arg-type]
        return layered

    def check_draft(self, record: DraftRecord) -> None:
        """Refuse to build on a draft whose stored rows no longer match its hashes (a term, its
        header, its parents or its place in the history changed outside tracker): a new draft
        derived from it would carry the change on under a valid hash of its own."""
        with self._read() as conn:
            layered = self._manifest(conn, record, bodies=True)
            parents = conn.execute(
                select(DraftRow.hash).join(DraftParentRow, DraftParentRow.parent_id == DraftRow.id)
                .where(DraftParentRow.draft_id == record.pk).order_by(DraftParentRow.position)
            ).scalars().all()
            previous = conn.execute(
                select(DraftRow.link).where(DraftRow.negotiation_id == select(DraftRow.negotiation_id).where(DraftRow.id == record.pk).scalar_subquery(),
                                            DraftRow.seq == record.seq - 1)
            ).scalar()
            if previous is None and record.seq == 1:
                previous = conn.execute(
                    select(NegotiationRow.hash).join(DraftRow, DraftRow.negotiation_id == NegotiationRow.id).where(DraftRow.id == record.pk)
                ).scalar()
        bodies_ok = all(canonical.content_hash(json.loads(body)) == digest for digest, body in layered.values() if body is not None)
        digest = canonical.draft_hash(record.header.canonical(), list(parents), {k: h for k, (h, _) in layered.items()})
        if not (bodies_ok and digest == record.hash and previous is not None and _follows(previous, record)):
            raise IntegrityFailure(
                f"draft {record.id!r} (v{record.seq}) no longer matches its hashes: it was changed outside tracker;"
                " run `tracker verify`"
            )

    # --- transactions -----------------------------------------------------------------------

    def _read(self):  # type: ignore[no-untyped-def]
        return _Transaction(self, write=False)

    def _write(self):  # type: ignore[no-untyped-def]
        return _Transaction(self, write=True)


class StoredTerms(Mapping[str, Term]):
    """A recorded draft's terms as stored: key → (term hash, canonical JSON), each parsed into
    a ``Term`` when first looked up, and all of them in one batch when the terms are iterated.

    Reading a draft back then costs its rows, not the validation of every term (which, for a
    sheet of thousands, is most of the time): what only needs the stored form — hashes, the
    canonical JSON an export writes — never parses at all.
    """

    def __init__(self, stored: dict[str, tuple[str, str]]):
        self._stored = stored
        self._parsed: dict[str, Term] = {}
        self._complete = not stored

    def __getitem__(self, key: str) -> Term:
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = parse_terms([(key, self._stored[key][1])])[key]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __contains__(self, key: object) -> bool:
        return key in self._stored

    def parsed(self) -> dict[str, Term]:
        """Every term as a model, validated in one call (far faster than one call per term)."""
        if not self._complete:
            self._parsed.update(parse_terms((k, body) for k, (_, body) in self._stored.items() if k not in self._parsed))
            self._complete = True
        return {k: self._parsed[k] for k in self._stored}

    def items(self):  # type: ignore[override]
        return self.parsed().items()

    def values(self):  # type: ignore[override]
        return self.parsed().values()

    def stored(self, key: str) -> tuple[str, str]:
        """The term's hash and canonical JSON, as recorded."""
        return self._stored[key]


@dataclass(frozen=True)
class Loaded:
    """A draft read back: its record and its terms (parsed on first use)."""

    record: DraftRecord
    terms: StoredTerms

    @cached_property
    def draft(self) -> Draft:
        return Draft(**self.record.header.model_dump(), terms=self.terms.parsed())


@dataclass(frozen=True)
class TermPair:
    """Two drafts' manifests as key → blob id (blobs are content-addressed: equal ids mean
    equal terms, so they stand in for term hashes in ``diff.compare``), and the terms of the
    keys whose blob differs."""

    old_manifest: dict[str, int]
    new_manifest: dict[str, int]
    old_terms: dict[str, Term]
    new_terms: dict[str, Term]


class _Transaction:
    """``with store._write() as conn``: one transaction; SQLite writers take the lock first."""

    def __init__(self, store: Store, write: bool):
        self.store, self.write = store, write

    def __enter__(self) -> Connection:
        try:
            conn = self.store.engine.connect()
            if self.write:
                conn = conn.execution_options(tracker_write=True)
            self.conn = conn
            self.tx = conn.begin()
        except DBAPIError as exc:
            if "locked" in str(exc.orig).lower():
                raise Conflict("the database is busy: could not get the write lock in time; nothing was recorded") from None
            raise database_error(exc, self.store.url, "cannot open") from None
        return conn

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        try:
            if exc_type is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        finally:
            self.conn.close()


def _apply_chain(chain: list[int], rows: Iterable[tuple[int, str, Any]]) -> dict[str, Any]:
    """Layer delta rows from the snapshot (last in ``chain``) up to the draft (first)."""
    by_draft: dict[int, list[tuple[str, Any]]] = {pk: [] for pk in chain}
    for draft_pk, key, value in rows:
        by_draft[draft_pk].append((key, value))
    out: dict[str, Any] = {}
    for pk in reversed(chain):
        for key, value in by_draft[pk]:
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
    return out


_RECORD_COLUMNS = (
    DraftRow.id, DraftRow.seq, DraftRow.hash, DraftRow.header,
    # As stored (SQLite: text): a hand-edited time must stop the read in one line, not crash it.
    type_coerce(DraftRow.recorded_at, Text).label("recorded_at"),
    DraftRow.base_id, DraftRow.chain_depth, DraftRow.term_count, DraftRow.link,
)


def _check_history(slug: str, digest: str, document: str, records: Sequence[DraftRecord]) -> None:
    """The negotiation's stored document against its hash, and each draft's link against the
    one before it (``canonical.link_hash``); ``tracker verify`` says what else is wrong."""
    if canonical.content_hash(json.loads(document)) != digest:
        raise IntegrityFailure(f"negotiation {slug!r} no longer matches its hash: it was changed outside tracker; run `tracker verify`")
    previous = digest
    for r in records:
        if not _follows(previous, r):
            raise IntegrityFailure(
                f"draft {r.id!r} (v{r.seq}) does not follow the history before it (a draft was renumbered, re-timed or removed,"
                " or the negotiation rewritten, outside tracker); run `tracker verify`"
            )
        previous = r.link  # type: ignore[assignment]


def _follows(previous: str, record: DraftRecord) -> bool:
    """Whether the draft's stored link is the one it gets after the link ``previous``."""
    return record.recorded_at is not None and record.link == canonical.link_hash(previous, record.seq, record.hash, record.recorded_at)


def _recorded_at(value: Any, draft: str) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise IntegrityFailure(f"{draft}: its stored recording time {value!r} is not a time; run `tracker verify`") from None
    if isinstance(value, dt.datetime) and value.tzinfo is None:  # SQLite drops the zone; it is UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def _record(row: Any) -> DraftRecord:
    pk, seq, digest, header, recorded_at, base, depth, count, link = row
    try:
        parsed = DraftHeader.model_validate_json(header)
    except ValueError:  # pydantic's ValidationError included: the row was changed by hand
        raise IntegrityFailure(f"draft #{pk} (v{seq}): its stored header no longer reads as a draft header; run `tracker verify`") from None
    return DraftRecord(pk, seq, digest, parsed, _recorded_at(recorded_at, f"draft {parsed.id!r} (v{seq})"), base, depth, count, link)


class _Ref(NamedTuple):
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


def _parents_first(pending: Sequence[Pending]) -> list[Pending]:
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


def _insert_ignoring_duplicates(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _blob_bodies(conn: Connection, blob_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(set(blob_ids))):
        rows = _plain_rows(conn, select(TermBlobRow.id, TermBlobRow.hash, TermBlobRow.body).where(TermBlobRow.id.in_(chunk)))
        for blob_id, digest, body in rows:
            _check_body(digest, body)
            out[blob_id] = body
    return out


def _check_body(digest: str, body: str) -> None:
    """A stored term is its own canonical JSON, so its hash is that of its text as stored: a
    body changed outside tracker stops the read (a careful forger who also rewrote the hash is
    caught by the draft hashes, which ``tracker verify`` recomputes)."""
    if f"{canonical.ALGORITHM}:{hashlib.sha256(body.encode('utf-8')).hexdigest()}" != digest:
        raise IntegrityFailure(f"a stored term ({digest[:19]}…) no longer matches its hash: it was changed outside tracker; run `tracker verify`")


def _plain_rows(conn: Connection, statement: Any) -> list[Any]:
    """Fetch a bulk read straight from the driver's cursor. For plain integer and text columns
    SQLAlchemy's per-row ``Row`` objects add nothing but time (a third of reading a large
    negotiation); the statement is still built and executed by SQLAlchemy."""
    result = conn.execute(statement)
    try:
        return result.cursor.fetchall()  # type: ignore[union-attr]
    finally:
        result.close()


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", exc)
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
