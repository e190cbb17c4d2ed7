"""The draft store: record drafts (append-only), resolve references, read drafts back.

Everything leaving this module is a pydantic model or a plain dataclass, never a live ORM row,
so callers cannot change recorded history by accident. How terms are laid out on disk
(content-addressed blobs, delta manifests) is described in ``db/tables.py``.

One module of some 800 lines on purpose: every transaction on the database goes through the
one ``Store`` — recording (append-only, with its locks and hash chain) and reading back share
its connections and checks. What it hands out is in ``model/records.py``; terms read back,
in ``db/rows.py``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import Connection, Engine, Text, func, insert, select, type_coerce
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tracker.db import tables as db
from tracker.db.engine import database_error, is_sqlite, open_engine, resolve_url
from tracker.model import canonical, stored
from tracker.model.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from tracker.model.events import (
    REVISE,
    EventRecord,
    Revision,
    parse_body,
    revision_problems,
)
from tracker.model.records import (
    DraftRecord,
    History,
    NegotiationSummary,
    Ref,
    chain_order,
    follows,
    resolve_ref,
)
from tracker.model.termsheet import DraftHeader, Negotiation

# What only recording needs (``input.pending``) and a draft's terms as read (``db.rows``) are
# imported by the methods that use them: a command that reads a negotiation's history
# (``tracker log``) needs neither.
if TYPE_CHECKING:
    from tracker.db.rows import Loaded, StoredTerms, TermPair
    from tracker.input.pending import Pending, Recorded

# The first key of PostgreSQL advisory locks on a negotiation (the second is its id): "tr".
PG_LOCK_NAMESPACE = 0x7472
# A delta chain longer than this is cut by a full snapshot, bounding the rows read per draft.
MAX_CHAIN = 24
_DRAFT = itemgetter(0)  # a row's draft
# Keep IN (...) lists well under every driver's parameter limit.
CHUNK = 900
# A record or import of at least this many terms is a bulk load: statistics are refreshed after.
BULK_TERMS = 10_000


def _stored_negotiation(document: str, digest: str) -> Negotiation:
    found = rebuilt(document, stored.negotiation, digest)
    if found is not None:
        return found
    try:
        return Negotiation.model_validate_json(document)
    except ValueError:
        raise IntegrityFailure("a stored negotiation no longer reads as a negotiation; run `tracker verify`") from None


class Store:
    def __init__(self, engine: Engine, url: str = "", user: str | None = None):
        self.engine = engine
        self.url = url
        self._user = user

    @property
    def user(self) -> str:
        """Who is recording (``recorder``), looked up when a write first asks: a malformed
        ``TRACKER_USER`` stops a write, never a read."""
        if self._user is None:
            self._user = recorder()
        return self._user

    @classmethod
    def open(cls, url: str | None = None, user: str | None = None) -> "Store":
        resolved = resolve_url(url)
        return cls(open_engine(resolved), resolved, user)

    def close(self) -> None:
        self.engine.dispose()

    # --- negotiations ---------------------------------------------------------------------

    def negotiations(self) -> list[NegotiationSummary]:
        with self._read() as conn:
            counts = dict(
                conn.execute(select(db.drafts.c.negotiation_id, func.count()).group_by(db.drafts.c.negotiation_id)).all()
            )
            rows = conn.execute(
                select(db.negotiations.c.id, db.negotiations.c.document, db.negotiations.c.hash).order_by(db.negotiations.c.slug)
            ).all()
        return [NegotiationSummary(_stored_negotiation(doc, digest), counts.get(pk, 0)) for pk, doc, digest in rows]

    def negotiation(self, slug: str | None = None) -> Negotiation:
        """The named negotiation; with no name, the only one in the database."""
        with self._read() as conn:
            return self._negotiation(conn, slug)[1]

    def _negotiation(self, conn: Connection, slug: str | None, *, lock: bool = False) -> tuple[int, Negotiation]:
        pk, document, digest = self._negotiation_row(conn, slug, lock=lock)
        revised = self._latest_revision(conn, pk)
        return pk, revised if revised is not None else _stored_negotiation(document, digest)

    def _negotiation_row(self, conn: Connection, slug: str | None, *, lock: bool = False) -> tuple[int, str, str]:
        """The named negotiation's (or the only one's) row: its key, its first record as stored, and that record's hash."""
        query = select(db.negotiations.c.id, db.negotiations.c.document, db.negotiations.c.hash)
        if slug is None:
            rows = conn.execute(query.limit(2)).all()
            if not rows:
                raise NotFound("no negotiations recorded yet (try `tracker seed` or `tracker negotiation create`)")
            if len(rows) > 1:
                names = ", ".join(conn.execute(select(db.negotiations.c.slug).order_by(db.negotiations.c.slug)).scalars())
                raise InvalidInput(f"several negotiations recorded ({names}); choose one with --negotiation")
            row = rows[0]
        else:
            row = conn.execute(query.where(db.negotiations.c.slug == slug)).first()
            if row is None:
                known = ", ".join(conn.execute(select(db.negotiations.c.slug).order_by(db.negotiations.c.slug)).scalars())
                raise NotFound(f"unknown negotiation {slug!r}" + (f" (known: {known})" if known else ""))
            if lock and not is_sqlite(self.engine):
                # Writers to one negotiation take turns (SQLite's writers already do). An advisory
                # lock, not SELECT … FOR UPDATE: that needs UPDATE rights, which a writer role that
                # may only INSERT and SELECT has not (README). Held until the transaction ends.
                conn.execute(select(func.pg_advisory_xact_lock(PG_LOCK_NAMESPACE, row[0])))
        return row[0], row[1], row[2]

    def _latest_revision(self, conn: Connection, neg_pk: int) -> Negotiation | None:
        """The negotiation as its latest revision (an event) has it; None while it has none."""
        revised = conn.execute(
            select(db.events.c.body, db.events.c.hash)
            .where(db.events.c.negotiation_id == neg_pk, db.events.c.kind == REVISE).order_by(db.events.c.seq.desc()).limit(1)
        ).first()
        if revised is None or not revised.body:
            return None
        return _stored_event(*revised, "a revision of the negotiation", checked=False).negotiation

    def add_negotiation(self, negotiation: Negotiation) -> bool:
        """Record a negotiation; False if the identical one exists. Different content conflicts."""
        from tracker.input.pending import RECORDED  # see the imports above

        with self._write() as conn:
            return self._add_negotiation(conn, negotiation) == RECORDED

    def _add_negotiation(self, conn: Connection, negotiation: Negotiation, *, revise: bool = False, first: bool = False) -> Any:
        """RECORDED, UNCHANGED (identical to its latest revision), or with ``revise`` the event of
        the new revision other content makes; without it, other content conflicts. ``first``
        (an import): the document is the negotiation's first record, its revisions come after."""
        from tracker.input.pending import RECORDED, UNCHANGED  # see the imports above

        document = canonical.canonical_json(negotiation.canonical())
        digest = canonical.content_hash(negotiation.canonical())
        existing = conn.execute(select(db.negotiations.c.hash).where(db.negotiations.c.slug == negotiation.id)).scalar()
        if existing is None:
            # Another writer may be recording the same negotiation right now (PostgreSQL does not
            # lock a row that does not exist yet): its row, once committed, is simply there.
            inserted = conn.execute(  # RETURNING: psycopg cannot count the rows of ON CONFLICT DO NOTHING
                _insert_ignoring_duplicates(conn, db.negotiations)
                .values(slug=negotiation.id, document=document, hash=digest, created_at=_now())
                .returning(db.negotiations.c.id)
            ).first()
            if inserted is not None:
                return RECORDED
            existing = conn.execute(select(db.negotiations.c.hash).where(db.negotiations.c.slug == negotiation.id)).scalar()
        if first and existing == digest:
            return UNCHANGED
        neg_pk, current = self._negotiation(conn, negotiation.id, lock=True)
        if current == negotiation:
            return UNCHANGED
        if not revise:
            raise Conflict(f"negotiation {negotiation.id!r} is already recorded with different content;"
                           " record the changed negotiation file with `tracker record` to revise it")
        for problem in revision_problems(current, negotiation):
            raise Conflict(f"negotiation {negotiation.id!r}: {problem}")
        return self._append_event(conn, neg_pk, Revision(negotiation=negotiation), None, None)

    # --- recording --------------------------------------------------------------------------

    def record(
        self, pending: Sequence[Pending], negotiations: Sequence[Negotiation] = (), *, outcomes: dict[str, Any] | None = None,
        events: Sequence[tuple[str, EventRecord]] = (), restoring: bool = False,
    ) -> list[Recorded]:
        """Record negotiations and drafts in one transaction: all of them or none.

        Drafts may come in any order; parents are recorded before their children. A draft
        already recorded with identical content is skipped; with other content it conflicts.
        ``outcomes`` receives what became of each negotiation: RECORDED, UNCHANGED, or the event of
        its new revision.
        ``restoring`` (an import): each negotiation is its first record, never revised here, and
        ``events`` (negotiation id, event) are appended in their places among the drafts.
        """
        from tracker.input.pending import parents_first  # see the imports above

        ordered: list[Any] = parents_first(pending)
        if events:  # an import: drafts in sequence order, each event after the drafts before it
            keyed = [((p.seq or 0, 0, 0), p) for p in ordered] + [((e.after, 1, e.seq), (slug, e)) for slug, e in events]
            ordered = [item for _, item in sorted(keyed, key=lambda x: x[0])]
        with self._write_errors():
            with self._write() as conn:
                done = {n.id: self._add_negotiation(conn, n, revise=not restoring, first=restoring) for n in negotiations}
                locked: dict[str, tuple[int, Negotiation]] = {}
                results = []
                for item in ordered:
                    if isinstance(item, tuple):
                        slug, event = item
                        if slug not in locked:
                            locked[slug] = self._negotiation(conn, slug, lock=True)
                        self._restore_event(conn, locked[slug][0], event)
                        if isinstance(event.body, Revision):  # the drafts after it are checked against it
                            locked[slug] = (locked[slug][0], event.body.negotiation)
                        continue
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
        if outcomes is not None:
            outcomes.update(done)
        return results

    @contextmanager
    def _write_errors(self) -> Iterator[None]:
        """A write's database errors as one line each; nothing was recorded."""
        try:
            yield
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
        from tracker.input.pending import Recorded  # see the imports above

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

        seq = (conn.execute(select(func.max(db.drafts.c.seq)).where(db.drafts.c.negotiation_id == neg_pk)).scalar() or 0) + 1
        if item.seq is not None and item.seq != seq:
            raise item.error(
                Conflict, ("seq",),
                f"draft {draft.id!r} would be recorded as v{seq}, not v{item.seq}: the database holds other drafts of this negotiation",
            )
        recorded_at = (item.recorded_at or _now()).astimezone(dt.timezone.utc)  # SQLite keeps no zone: store UTC
        recorded_by = item.recorded_by if item.recorded_at is not None else self.user  # an import keeps who it was
        # The history here, whatever another database's was: an import's own chain is checked
        # against the file (``portable``); here the draft follows this database's head.
        link = canonical.link_hash(self._head(conn, neg_pk), seq, digest, recorded_at, recorded_by)
        pk = conn.execute(
            insert(db.drafts)
            .values(
                negotiation_id=neg_pk, slug=draft.id, seq=seq, hash=digest, date=draft.date,
                header=canonical.canonical_json(header), base_id=base.pk if base else None,
                chain_depth=depth, term_count=len(manifest), recorded_at=recorded_at, link=link, recorded_by=recorded_by,
            )
            .returning(db.drafts.c.id)
        ).scalar_one()
        if parents:
            conn.execute(
                insert(db.draft_parents),
                [{"draft_id": pk, "position": i, "parent_id": p.pk} for i, p in enumerate(parents)],
            )
        if rows:
            conn.execute(insert(db.draft_terms), [{"draft_id": pk, "key": k, "blob_id": v} for k, v in rows.items()])
        record = DraftRecord(pk, seq, digest, draft.header, recorded_at, base.pk if base else None, depth, len(manifest), link, recorded_by)
        return Recorded(record, created=True)

    def _head(self, conn: Connection, neg_pk: int) -> str:
        """The last link of the negotiation's history (its own hash while it has nothing else):
        its last event when that was recorded after its last draft, else its last draft."""
        draft = conn.execute(
            select(db.drafts.c.seq, db.drafts.c.link).where(db.drafts.c.negotiation_id == neg_pk).order_by(db.drafts.c.seq.desc()).limit(1)
        ).first()
        event = conn.execute(
            select(db.events.c.after, db.events.c.link).where(db.events.c.negotiation_id == neg_pk).order_by(db.events.c.seq.desc()).limit(1)
        ).first()
        if event is not None and (draft is None or event[0] >= draft[0]):
            return event[1]
        if draft is not None:
            return draft[1]
        return conn.execute(select(db.negotiations.c.hash).where(db.negotiations.c.id == neg_pk)).scalar_one()

    # --- events -----------------------------------------------------------------------------

    def record_event(self, negotiation: str, body: Any, *, draft: DraftRecord | None = None,
                     correction: Pending | None = None) -> tuple[EventRecord, Recorded | None]:
        """Append an event about ``draft`` to a negotiation's history, in one transaction with
        the draft it needs, if any (``correction``: the corrected draft, recorded first)."""
        with self._write_errors():
            with self._write() as conn:
                neg_pk, current = self._negotiation(conn, negotiation, lock=True)
                recorded = None
                if correction is not None:
                    for loc, message in current.problems(correction.draft):
                        raise correction.error(InvalidInput, loc, message)
                    recorded = self._record_one(conn, neg_pk, correction)
                    if not recorded.created:
                        raise Conflict(f"draft {correction.draft.id!r} is already recorded (v{recorded.record.seq}); nothing was recorded")
                    body = body.model_copy(update={"by_hash": recorded.record.hash})
                return self._append_event(conn, neg_pk, body, draft.pk if draft else None, None), recorded

    def _restore_event(self, conn: Connection, neg_pk: int, event: EventRecord) -> None:
        """An imported event: kept if the database holds it already, else appended in its place."""
        there = conn.execute(select(db.events.c.hash).where(db.events.c.negotiation_id == neg_pk, db.events.c.seq == event.seq)).scalar()
        if there == event.hash:
            return
        if there is not None:
            raise Conflict(f"event e{event.seq} is already recorded with different content")
        target = getattr(event.body, "draft_hash", None)
        draft_pk = None
        if target is not None:
            draft_pk = conn.execute(select(db.drafts.c.id).where(db.drafts.c.negotiation_id == neg_pk, db.drafts.c.hash == target)).scalar()
        self._append_event(conn, neg_pk, event.body, draft_pk, event)

    def _append_event(self, conn: Connection, neg_pk: int, body: Any, draft_pk: int | None, restore: EventRecord | None) -> EventRecord:
        """``restore``: an imported event, which keeps its number, place, time and recorder."""
        canonical_body = body.canonical()
        digest = canonical.content_hash(canonical_body)
        after = conn.execute(select(func.max(db.drafts.c.seq)).where(db.drafts.c.negotiation_id == neg_pk)).scalar() or 0
        seq = (conn.execute(select(func.max(db.events.c.seq)).where(db.events.c.negotiation_id == neg_pk)).scalar() or 0) + 1
        if restore is not None and (restore.seq, restore.after) != (seq, after):
            raise Conflict(f"event e{restore.seq} would be recorded as e{seq} after v{after}, not after v{restore.after}:"
                           " the database holds other drafts or events of this negotiation")
        recorded_at = (restore.recorded_at if restore else _now()).astimezone(dt.timezone.utc)
        recorded_by = restore.recorded_by if restore else self.user
        link = canonical.event_link_hash(self._head(conn, neg_pk), seq, digest, recorded_at, recorded_by)
        conn.execute(insert(db.events).values(
            negotiation_id=neg_pk, seq=seq, after=after, kind=body.kind, draft_id=draft_pk,
            body=canonical.canonical_json(canonical_body), hash=digest, recorded_at=recorded_at, recorded_by=recorded_by, link=link,
        ))
        return EventRecord(seq, after, digest, body, recorded_at, recorded_by, link)

    def _events(self, conn: Connection, neg_pk: int) -> list[EventRecord]:
        rows = conn.execute(
            select(db.events.c.seq, db.events.c.after, db.events.c.hash, db.events.c.body, type_coerce(db.events.c.recorded_at, Text),
                   db.events.c.recorded_by, db.events.c.link)
            .where(db.events.c.negotiation_id == neg_pk).order_by(db.events.c.seq)
        ).all()
        out = []
        for seq, after, digest, body, at, by, link in rows:
            parsed = _stored_event(body, digest, f"event e{seq}")
            out.append(EventRecord(seq, after, digest, parsed, _recorded_at(at, f"event e{seq}"), by, link))  # type: ignore[arg-type]
        return out

    def history(self, negotiation: str | None = None) -> "History":
        """A negotiation's drafts and events, in one transaction, their history chain checked."""
        with self._read() as conn:
            neg_pk, document, digest = self._negotiation_row(conn, negotiation)
            revised = self._latest_revision(conn, neg_pk)
            current = revised if revised is not None else _stored_negotiation(document, digest)
            records = self._records(conn, neg_pk)
            events = self._events(conn, neg_pk)
        _check_history(current.id, digest, document, records, events)
        first = current if revised is None else _stored_negotiation(document, digest)
        return History(first, current, digest, records, events)

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
            ids.update(conn.execute(select(db.term_blobs.c.hash, db.term_blobs.c.id).where(db.term_blobs.c.hash.in_(chunk))).all())
        missing = [h for h in wanted if h not in ids]
        if missing:
            # Blobs are shared across negotiations, whose writers do not serialise on one lock:
            # a blob another writer stored meanwhile is simply already there.
            conn.execute(
                _insert_ignoring_duplicates(conn, db.term_blobs),
                [{"hash": h, "body": canonical.canonical_json(bodies[wanted[h]])} for h in missing],
            )
            for chunk in _chunks(missing):
                ids.update(conn.execute(select(db.term_blobs.c.hash, db.term_blobs.c.id).where(db.term_blobs.c.hash.in_(chunk))).all())
        return ids

    # --- reading ----------------------------------------------------------------------------

    def log(self, negotiation: str | None = None) -> list[DraftRecord]:
        """Every draft of a negotiation, in sequence order, without terms; the history chain
        they form is checked on the way (a few hundred small hashes): every read of a whole
        negotiation stops at a renumbered, re-timed or removed draft, or a rewritten negotiation."""
        return self.history(negotiation).records

    def _records(self, conn: Connection, neg_pk: int) -> list[DraftRecord]:
        rows = conn.execute(
            select(
                *_RECORD_COLUMNS,
            )
            .where(db.drafts.c.negotiation_id == neg_pk)
            .order_by(db.drafts.c.seq)
        ).all()
        return [_record(r) for r in rows]

    def _by_slug(self, conn: Connection, neg_pk: int, slug: str) -> DraftRecord | None:
        row = conn.execute(
            select(
                *_RECORD_COLUMNS,
            ).where(db.drafts.c.negotiation_id == neg_pk, db.drafts.c.slug == slug)
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
            Ref(*row)
            for row in conn.execute(
                select(db.drafts.c.id, db.drafts.c.slug, db.drafts.c.seq, db.drafts.c.hash).where(db.drafts.c.negotiation_id == neg_pk)
            )
        ]
        pk = resolve_ref(refs, ref).pk
        row = conn.execute(
            select(
                *_RECORD_COLUMNS,
            ).where(db.drafts.c.id == pk)
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
        from tracker.db.rows import StoredTerms  # see the imports above

        full = self._manifest(conn, record, bodies=True)
        if keys is not None:
            wanted = set(keys)
            full = {k: v for k, v in full.items() if k in wanted}
        return StoredTerms({k: full[k] for k in sorted(full)})  # type: ignore[misc]

    def pair(self, old: DraftRecord, new: DraftRecord) -> "TermPair":
        """What diffing two drafts needs, in one transaction: both manifests, and the terms of
        only the keys that differ. Equal terms are skipped without reading their bodies, so
        the cost grows with the number of changes, not with the size of the sheets."""
        from tracker.db.rows import TermPair, parse_terms  # see the imports above

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

    def draft_rows(self, records: Sequence[DraftRecord], keys: Iterable[str] | None = None) -> list[tuple[int, str, int | None]]:
        """The stored rows of these drafts: (draft pk, key, blob id or None for a dropped key);
        with ``keys``, only the rows of those keys (a question about a few terms reads their
        rows, not every draft's).

        A snapshot draft's rows are its whole manifest, a delta draft's only what differs from
        its base (see ``db/tables.py``); ``timeline.Timeline`` layers them. Grouped by draft."""
        columns = (db.draft_terms.c.draft_id, db.draft_terms.c.key, db.draft_terms.c.blob_id)
        pks = [r.pk for r in records]
        wanted = sorted(set(keys)) if keys is not None else None
        out: list[tuple[int, str, int | None]] = []
        with self._read() as conn:
            if wanted is None:
                for chunk in _chunks(pks):
                    out += _plain_rows(conn, select(*columns).where(db.draft_terms.c.draft_id.in_(chunk)).order_by(db.draft_terms.c.draft_id))
            else:  # both lists bound as parameters: each kept to half a chunk
                for drafts in _chunks(pks, CHUNK // 2):
                    for some in _chunks(wanted, CHUNK // 2):
                        out += _plain_rows(conn, select(*columns).where(db.draft_terms.c.draft_id.in_(drafts), db.draft_terms.c.key.in_(some)))
                out.sort(key=_DRAFT)
        return out

    def blob_bodies(self, blob_ids: Iterable[int]) -> dict[int, str]:
        """Stored canonical JSON of these term blobs, by id."""
        with self._read() as conn:
            return _blob_bodies(conn, blob_ids)

    def read(self, ref: str, negotiation: str | None = None) -> "Loaded":
        """A draft and its terms, in one transaction."""
        from tracker.db.rows import Loaded  # see the imports above

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
                select(db.drafts.c.id, db.drafts.c.base_id).where(
                    db.drafts.c.negotiation_id == select(db.drafts.c.negotiation_id).where(db.drafts.c.id == record.pk).scalar_subquery()
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
        rows = _plain_rows(conn, select(db.draft_terms.c.draft_id, db.draft_terms.c.key, db.draft_terms.c.blob_id).where(db.draft_terms.c.draft_id.in_(chain)))
        return _apply_chain(chain, rows)

    def _manifest(self, conn: Connection, record: DraftRecord, *, bodies: bool) -> dict[str, tuple[str, str | None]]:
        from tracker.db.rows import layer  # see the imports above

        chain = self._chain(conn, record)
        columns = [db.draft_terms.c.draft_id, db.draft_terms.c.key, db.term_blobs.c.hash]
        if bodies:
            columns.append(db.term_blobs.c.body)
        # A base is always recorded before the drafts built on it, so ascending ids layer the
        # chain from its snapshot up: one pass, later rows overriding earlier ones.
        rows = _plain_rows(
            conn,
            select(*columns)
            .select_from(db.draft_terms)
            .outerjoin(db.term_blobs, db.term_blobs.c.id == db.draft_terms.c.blob_id)
            .where(db.draft_terms.c.draft_id.in_(chain))
            .order_by(db.draft_terms.c.draft_id),
        )
        manifest: dict[str, tuple[str, str | None]] = {}
        for _, own in groupby(rows, _DRAFT):
            layer(manifest, {row[1]: (row[2], row[3] if bodies else None) if row[2] is not None else None for row in own})
        if bodies:
            for digest, body in manifest.values():
                _check_body(digest, body)  # type: ignore[arg-type]
        return manifest

    def check_draft(self, record: DraftRecord) -> None:
        """Refuse to build on a draft whose stored rows no longer match its hashes (a term, its
        header, its parents or its place in the history changed outside tracker): a new draft
        derived from it would carry the change on under a valid hash of its own."""
        with self._read() as conn:
            layered = self._manifest(conn, record, bodies=True)
            parents = conn.execute(
                select(db.drafts.c.hash).join(db.draft_parents, db.draft_parents.c.parent_id == db.drafts.c.id)
                .where(db.draft_parents.c.draft_id == record.pk).order_by(db.draft_parents.c.position)
            ).scalars().all()
            neg_pk = conn.execute(select(db.drafts.c.negotiation_id).where(db.drafts.c.id == record.pk)).scalar_one()
            # The link before it: the last event recorded after the draft before it, else that draft.
            previous = conn.execute(
                select(db.events.c.link).where(db.events.c.negotiation_id == neg_pk, db.events.c.after == record.seq - 1)
                .order_by(db.events.c.seq.desc()).limit(1)
            ).scalar()
            if previous is None:
                previous = conn.execute(select(db.drafts.c.link).where(db.drafts.c.negotiation_id == neg_pk, db.drafts.c.seq == record.seq - 1)).scalar()
            if previous is None and record.seq == 1:
                previous = conn.execute(select(db.negotiations.c.hash).where(db.negotiations.c.id == neg_pk)).scalar()
        bodies_ok = all(canonical.content_hash(json.loads(body)) == digest for digest, body in layered.values() if body is not None)
        digest = canonical.draft_hash(record.header.canonical(), list(parents), {k: h for k, (h, _) in layered.items()})
        if not (bodies_ok and digest == record.hash and previous is not None and follows(previous, record)):
            raise IntegrityFailure(
                f"draft {record.id!r} (v{record.seq}) no longer matches its hashes: it was changed outside tracker;"
                " run `tracker verify`"
            )

    # --- transactions -----------------------------------------------------------------------

    def _read(self):  # type: ignore[no-untyped-def]
        return _Transaction(self, write=False)

    def _write(self):  # type: ignore[no-untyped-def]
        return _Transaction(self, write=True)


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
    from tracker.db.rows import layer  # see the imports above

    own: dict[int, dict[str, Any]] = {pk: {} for pk in chain}
    for draft_pk, key, value in rows:
        own[draft_pk][key] = value
    manifest: dict[str, Any] = {}
    for pk in reversed(chain):
        layer(manifest, own[pk])
    return manifest


_RECORD_COLUMNS = (
    db.drafts.c.id, db.drafts.c.seq, db.drafts.c.hash, db.drafts.c.header,
    # As stored (SQLite: text): a hand-edited time must stop the read in one line, not crash it.
    type_coerce(db.drafts.c.recorded_at, Text).label("recorded_at"),
    db.drafts.c.base_id, db.drafts.c.chain_depth, db.drafts.c.term_count, db.drafts.c.link, db.drafts.c.recorded_by,
)


def _check_history(slug: str, digest: str, document: str, records: Sequence[DraftRecord], events: Sequence[EventRecord] = ()) -> None:
    """The negotiation's stored document against its hash, and each draft's and event's link
    against the one before it (``canonical``); ``tracker verify`` says what else is wrong."""
    if canonical.content_hash(json.loads(document)) != digest:
        raise IntegrityFailure(f"negotiation {slug!r} no longer matches its hash: it was changed outside tracker; run `tracker verify`")
    previous = digest
    for entry in chain_order(records, events):
        if not follows(previous, entry):
            what = f"event {entry.ref}" if isinstance(entry, EventRecord) else f"draft {entry.id!r} (v{entry.seq})"
            raise IntegrityFailure(
                f"{what} does not follow the history before it (a draft or event was renumbered, re-timed, changed or removed,"
                " or the negotiation rewritten, outside tracker); run `tracker verify`"
            )
        previous = entry.link  # type: ignore[assignment]


def rebuilt(document: str, rebuild: Callable[[Any], Any], digest: str | None = None) -> Any:
    """A stored document made its model again without validating it a second time
    (``model.stored``); with ``digest``, only when its JSON is what that hash was taken of (what
    tracker validated and wrote, unchanged). None for anything else, and for a document without
    its model's shape: the caller validates it as before, and it fails as it always did."""
    try:
        data = json.loads(document)
        if digest is not None and canonical.content_hash(data) != digest:
            return None
        return rebuild(data)
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError):  # Decimal's errors are ArithmeticErrors
        return None


def _stored_event(document: str, digest: str, what: str, *, checked: bool = True) -> Any:
    """An event's stored body. ``checked``: one that only reads as an event, but no longer
    matches its hash, stops the read (as the history's check would)."""
    found = rebuilt(document, stored.event_body, digest)
    if found is not None:
        return found
    try:
        body = parse_body(document)
    except ValueError:  # pydantic's ValidationError included: the row was changed by hand
        raise IntegrityFailure(f"{what}: its stored content no longer reads as an event; run `tracker verify`") from None
    if checked and canonical.content_hash(body.canonical()) != digest:
        raise IntegrityFailure(f"{what} ({body.kind}) no longer matches its hash: it was changed outside tracker; run `tracker verify`")
    return body


def recorder() -> str:
    """Who is recording: ``TRACKER_USER``, else the login name (git's committer, in short)."""
    name = os.environ.get("TRACKER_USER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name (a container without a passwd entry)
            name = "unknown"
    if len(name) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput("TRACKER_USER: give a name on one line, at most 200 characters")
    return name


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
    pk, seq, digest, header, recorded_at, base, depth, count, link, by = row
    # Validated, not rebuilt (``model.stored``): reads do not check a header against its draft's
    # hash (that covers the terms too), so validation is what stops a header changed by hand.
    try:
        parsed = DraftHeader.model_validate_json(header)
    except ValueError:  # pydantic's ValidationError included: the row was changed by hand
        raise IntegrityFailure(f"draft #{pk} (v{seq}): its stored header no longer reads as a draft header; run `tracker verify`") from None
    return DraftRecord(pk, seq, digest, parsed, _recorded_at(recorded_at, f"draft {parsed.id!r} (v{seq})"), base, depth, count, link, by)


def _insert_ignoring_duplicates(conn: Connection, table: Any) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _blob_bodies(conn: Connection, blob_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(sorted(set(blob_ids))):
        rows = _plain_rows(conn, select(db.term_blobs.c.id, db.term_blobs.c.hash, db.term_blobs.c.body).where(db.term_blobs.c.id.in_(chunk)))
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
