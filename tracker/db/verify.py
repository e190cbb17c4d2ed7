"""``tracker verify``: re-derive every stored hash and check the bookkeeping around it.

Recorded history is append-only and content-addressed, so any row changed behind the tool's
back shows up here. The checks, per negotiation:

* the negotiation document hashes to its stored hash and is a valid negotiation;
* every term blob's body hashes to its hash and is a valid term;
* every draft's hash, recomputed from its stored header, its parents' hashes (``draft_parents``
  in position order) and its manifest rebuilt from the delta rows (``canonical.py``'s contract),
  equals the stored hash;
* the ``date`` column equals the header's date, ``draft_parents`` equals the header's parents,
  parents and delta bases were recorded earlier (so lineage and delta chains terminate),
  ``chain_depth`` and ``term_count`` match what the rows say;
* sequence numbers run 1..N without gaps;
* every event's body hashes to its hash, reads as an event and names drafts of its negotiation
  by their hashes; events are numbered e1..eM;
* the history chain: each draft's and event's link follows the one before it.

Each finding is a :class:`Problem` naming the draft and, where it can be known, the term. A
changed delta row cannot be traced to one term (nothing else records a draft's term hashes),
so it is reported as the draft's content no longer matching its hash.

Some 440 lines on purpose: one function per check listed above, sharing the rows read once
per negotiation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Text, select, type_coerce

from tracker.db import tables as db
from tracker.db.rows import layered
from tracker.db.store import Store
from tracker.model import canonical
from tracker.model.errors import InvalidInput, NotFound
from tracker.model.events import EventRecord, body_of, parse_body
from tracker.model.records import chain_order
from tracker.model.termsheet import DraftHeader, Negotiation, Term


@dataclass(frozen=True)
class Problem:
    draft: str | None
    term: str | None
    message: str
    negotiation: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.negotiation:
            parts.append(f"negotiation {self.negotiation}")
        if self.draft:
            parts.append(f"draft {self.draft}" + (f" (v{self.seq})" if self.seq is not None else ""))
        if self.term:
            parts.append(f"term {self.term}")
        return ": ".join(parts + [self.message])


@dataclass
class Summary:
    negotiations: int = 0
    drafts: int = 0
    terms: int = 0  # distinct stored terms (blobs) checked
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)  # negotiation → the head of its history
    links: dict[str, dict[str, int]] = field(default_factory=dict)  # negotiation → link → seq (0: before any draft)


def verify(store: Store, negotiation: str | None = None) -> list[Problem]:
    """Every problem found in the database (or one negotiation); empty when all is well."""
    return check(store, negotiation).problems


HEAD_PREFIX = 12  # hex digits of a kept head that must be given, at least


def parse_head(kept: str) -> str:
    """The hex digits of a head as written (``sha256:`` optional, any case); a malformed one is
    the user's typing, not tampering."""
    text = kept.strip().lower().removeprefix(f"{canonical.ALGORITHM}:")
    if not (HEAD_PREFIX <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text)):
        raise InvalidInput(f"--head {kept!r}: expected a head as `log` or `verify` print it (sha256: and at least {HEAD_PREFIX} hex digits)")
    return text


def check_head(summary: Summary, kept: str) -> list[Problem]:
    """Whether the one negotiation's history still holds the head ``kept`` (its current head,
    or the head it had at an earlier draft: recording since is no tampering)."""
    (slug, head), = summary.heads.items()
    wanted = f"{canonical.ALGORITHM}:{parse_head(kept)}"
    if wanted == head:
        return []
    found = [link for link in summary.links[slug] if link.startswith(wanted)]
    if len(found) == 1:
        return []  # an earlier head: the drafts after it were recorded since
    return [Problem(None, None, f"its history does not hold the head {kept.strip()!r} (now {head}): drafts were removed"
                    " from its end, or the history was rewritten", slug)]


def check(store: Store, negotiation: str | None = None) -> Summary:
    with store._read() as conn:
        rows = _Rows.load(conn, negotiation)
    return _Checker(rows).run()


@dataclass
class _Rows:
    negotiations: list[Any]
    drafts: list[Any]
    parents: list[Any]
    terms: list[Any]
    blobs: list[Any]
    events: list[Any]

    @classmethod
    def load(cls, conn: Connection, slug: str | None) -> "_Rows":
        negs = select(db.negotiations.c.id, db.negotiations.c.slug, db.negotiations.c.document, db.negotiations.c.hash)
        drafts = select(
            # Raw (uncoerced) date: a hand-edited cell must be reported, not crash the read.
            db.drafts.c.id, db.drafts.c.negotiation_id, db.drafts.c.slug, db.drafts.c.seq, db.drafts.c.hash,
            type_coerce(db.drafts.c.date, Text).label("date"),
            db.drafts.c.header, db.drafts.c.base_id, db.drafts.c.chain_depth, db.drafts.c.term_count,
            type_coerce(db.drafts.c.recorded_at, Text).label("recorded_at"), db.drafts.c.link, db.drafts.c.recorded_by,
        )
        parents = select(db.draft_parents.c.draft_id, db.draft_parents.c.position, db.draft_parents.c.parent_id)
        terms = select(db.draft_terms.c.draft_id, db.draft_terms.c.key, db.draft_terms.c.blob_id)
        blobs = select(db.term_blobs.c.id, db.term_blobs.c.hash, db.term_blobs.c.body)
        events = select(db.events.c.id, db.events.c.negotiation_id, db.events.c.seq, db.events.c.after, db.events.c.kind, db.events.c.draft_id, db.events.c.body,
                        db.events.c.hash, type_coerce(db.events.c.recorded_at, Text).label("recorded_at"), db.events.c.recorded_by, db.events.c.link)
        if slug is not None:
            neg_ids = select(db.negotiations.c.id).where(db.negotiations.c.slug == slug)
            if conn.execute(neg_ids).first() is None:
                known = ", ".join(conn.execute(select(db.negotiations.c.slug).order_by(db.negotiations.c.slug)).scalars())
                raise NotFound(f"unknown negotiation {slug!r}" + (f" (known: {known})" if known else ""))
            draft_ids = select(db.drafts.c.id).where(db.drafts.c.negotiation_id.in_(neg_ids))
            negs = negs.where(db.negotiations.c.slug == slug)
            drafts = drafts.where(db.drafts.c.negotiation_id.in_(neg_ids))
            parents = parents.where(db.draft_parents.c.draft_id.in_(draft_ids))
            terms = terms.where(db.draft_terms.c.draft_id.in_(draft_ids))
            blobs = blobs.where(db.term_blobs.c.id.in_(select(db.draft_terms.c.blob_id).where(db.draft_terms.c.draft_id.in_(draft_ids))))
            events = events.where(db.events.c.negotiation_id.in_(neg_ids))
        return cls(*(conn.execute(q).all() for q in (negs, drafts, parents, terms, blobs, events)))


class _Checker:
    def __init__(self, rows: _Rows):
        self.rows = rows
        self.problems: list[Problem] = []
        self.drafts = {d.id: d for d in rows.drafts}
        self.blob_hash = {b.id: b.hash for b in rows.blobs}
        self.bad_blobs: dict[int, str] = {}
        self.parents: dict[int, list[Any]] = defaultdict(list)
        for p in rows.parents:
            self.parents[p.draft_id].append(p)
        self.delta: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
        for t in rows.terms:
            self.delta[t.draft_id].append((t.key, t.blob_id))
        self.manifests: dict[int, dict[str, int] | None] = {}
        # Only delta bases are read again: other drafts' manifests are dropped once checked.
        self.bases = {d.base_id for d in rows.drafts if d.base_id is not None}
        self.reported_blobs: set[int] = set()
        self.neg_slug: dict[int, str] = {}
        self.heads: dict[str, str] = {}
        self.links: dict[str, dict[str, int]] = {}  # negotiation → link → the seq it is the head at (0: no drafts)

    def problem(self, draft: Any, term: str | None, message: str) -> None:
        neg = self.neg_slug.get(draft.negotiation_id) if draft is not None else None
        self.problems.append(
            Problem(draft.slug if draft is not None else None, term, message, neg, draft.seq if draft is not None else None)
        )

    def run(self) -> Summary:
        for blob in self.rows.blobs:
            message = _check_document(blob.body, blob.hash, Term, "term")
            if message:
                self.bad_blobs[blob.id] = message
        by_neg: dict[int, list[Any]] = defaultdict(list)
        for d in self.rows.drafts:
            by_neg[d.negotiation_id].append(d)
        for neg in sorted(self.rows.negotiations, key=lambda n: n.slug):
            self.neg_slug[neg.id] = neg.slug
            message = _check_document(neg.document, neg.hash, Negotiation, "negotiation")
            if message is None and json.loads(neg.document).get("id") != neg.slug:
                message = "its document's id differs from the stored slug"
            if message:
                self.problems.append(Problem(None, None, message, neg.slug))
            drafts = sorted(by_neg.pop(neg.id, []), key=lambda d: d.seq)
            self.check_negotiation(drafts)
            events = self.check_events(neg, drafts)
            self.heads[neg.slug] = self.check_history(neg.slug, neg.hash, drafts, events)
        for neg_id, drafts in by_neg.items():  # only possible with foreign keys switched off
            for d in drafts:
                self.problem(d, None, f"belongs to negotiation #{neg_id}, which is not stored")
        self.report_orphan_blobs()
        # Stable: each draft's problems stay in the order they were found.
        self.problems.sort(key=lambda p: (p.negotiation is None, p.negotiation or "", p.seq or 0))
        return Summary(len(self.rows.negotiations), len(self.rows.drafts), len(self.rows.blobs), len(self.rows.events), self.problems,
                       self.heads, self.links)

    def check_events(self, neg: Any, drafts: list[Any]) -> list[EventRecord]:
        """Each event's content against its hash and the drafts it names; the events, parsed."""
        rows = sorted((e for e in self.rows.events if e.negotiation_id == neg.id), key=lambda e: e.seq)
        by_hash = {d.hash: d for d in drafts}
        out = []
        for i, e in enumerate(rows, start=1):
            def bad(message: str) -> None:
                self.problems.append(Problem(None, None, f"event e{e.seq} ({e.kind}): {message}", neg.slug))
            if e.seq != i:
                bad(f"is numbered e{e.seq}: events must run e1..e{len(rows)} without gaps")
            message = _check_document(e.body, e.hash, _EventModel, "event")
            if message:
                bad(message)
                continue
            body = parse_body(e.body)
            if body.kind != e.kind:
                bad(f"is stored as a {e.kind} event but its content is a {body.kind} event")
            for field_name in ("draft_hash", "by_hash"):
                digest = getattr(body, field_name, None)
                if digest is not None and digest not in by_hash:
                    bad(f"names a draft {digest[:19]}… this negotiation does not hold")
            target = self.drafts.get(e.draft_id) if e.draft_id is not None else None
            if getattr(body, "draft_hash", None) is not None and (target is None or target.hash != body.draft_hash):
                bad("its draft column does not point at the draft it names")
            at = _as_time(e.recorded_at)
            if at is not None:
                out.append(EventRecord(e.seq, e.after, e.hash, body, at, e.recorded_by, e.link))
            else:
                bad("its recording time is not a time")
        return out

    def check_history(self, slug: str, neg_hash: str, drafts: list[Any], events: list[EventRecord]) -> str:
        """Each draft's and event's link against the history before it (``canonical``); the head."""
        previous = neg_hash
        links = self.links[slug] = {neg_hash: 0}
        entries: list[Any] = [_Entry(d.seq, d.hash, _as_time(d.recorded_at), d.recorded_by, d.link, d) for d in drafts]
        for entry in chain_order(entries, events):  # type: ignore[arg-type]
            if isinstance(entry, EventRecord):
                if entry.link != canonical.event_link_hash(previous, entry.seq, entry.hash, entry.recorded_at, entry.recorded_by):
                    self.problems.append(Problem(None, None, f"event {entry.ref} ({entry.kind}) does not follow the history before it:"
                                                 " an entry before it was removed or renumbered, or its content, time or recorder changed", slug))
                links[entry.link] = entry.after
            else:
                d = entry.row
                if entry.recorded_at is None or d.link != canonical.link_hash(previous, d.seq, d.hash, entry.recorded_at, d.recorded_by):
                    self.problem(d, None, "does not follow the history before it: a draft before it was removed or renumbered,"
                                 " or its number, recording time, recorder or the negotiation was changed")
                links[d.link] = d.seq
            previous = entry.link
        return previous

    def check_negotiation(self, drafts: list[Any]) -> None:
        n = len(drafts)
        missing = sorted(set(range(1, n + 1)) - {d.seq for d in drafts})
        if missing:
            gaps = ", ".join(f"v{m}" for m in missing)
            for d in drafts:
                if not 1 <= d.seq <= n:
                    self.problem(d, None, f"is numbered v{d.seq}: sequence numbers must run v1..v{n} without gaps ({gaps} missing)")
        for d in drafts:
            self.check_draft(d)

    def check_draft(self, d: Any) -> None:
        header = self.header(d)
        parents = self.check_parents(d, header)
        manifest = self.manifest(d)
        if d.id not in self.bases:
            self.manifests.pop(d.id, None)
        if manifest is None:
            return
        if len(manifest) != d.term_count:
            self.problem(d, None, f"term_count is {d.term_count} but its rows hold {len(manifest)} terms")
        hashes: dict[str, str] = {}
        for key, blob_id in sorted(manifest.items()):
            if blob_id not in self.blob_hash:
                self.problem(d, key, "refers to a stored term that does not exist")
                continue
            if blob_id in self.bad_blobs:
                self.problem(d, key, self.bad_blobs[blob_id])
                self.reported_blobs.add(blob_id)
            hashes[key] = self.blob_hash[blob_id]
        if header is None or parents is None or len(hashes) != len(manifest):
            return
        digest = canonical.draft_hash(header.canonical(), [p.hash for p in parents], hashes)
        if digest != d.hash:
            self.problem(d, None, "content does not match its hash (its header, parents or terms were changed)")

    def header(self, d: Any) -> DraftHeader | None:
        try:
            header = DraftHeader.model_validate_json(d.header)
        except ValidationError as exc:
            self.problem(d, None, f"stored header is not a valid draft header ({_first_error(exc)})")
            return None
        neg = self.neg_slug.get(d.negotiation_id)
        if header.id != d.slug:
            self.problem(d, None, f"header names the draft {header.id!r}, the row {d.slug!r}")
        if neg is not None and header.negotiation != neg:
            self.problem(d, None, f"header names negotiation {header.negotiation!r}, the row {neg!r}")
        if header.date != _as_date(d.date):
            self.problem(d, None, f"date column says {_as_date(d.date)}, the header {header.date}")
        return header

    def check_parents(self, d: Any, header: DraftHeader | None) -> list[Any] | None:
        """The parent rows in position order, or None when the lineage is broken."""
        rows = sorted(self.parents.get(d.id, []), key=lambda p: p.position)
        if [p.position for p in rows] != list(range(len(rows))):
            self.problem(d, None, f"parent positions are {[p.position for p in rows]}, not 0..{len(rows) - 1}")
        parents = []
        for p in rows:
            parent = self.drafts.get(p.parent_id)
            if parent is None or parent.negotiation_id != d.negotiation_id:
                self.problem(d, None, f"parent #{p.parent_id} is not a draft of this negotiation")
                return None
            if parent.seq >= d.seq:
                self.problem(d, None, f"parent {parent.slug!r} (v{parent.seq}) is numbered after it (parents come first; a draft cannot be its own ancestor)")
            parents.append(parent)
        names = [p.slug for p in parents]
        if header is not None and names != list(header.parents):
            self.problem(d, None, f"stored parents [{', '.join(names)}] differ from the header's [{', '.join(header.parents)}]")
        return parents

    def manifest(self, d: Any) -> dict[str, int] | None:
        """Term key → blob id, layered along the delta chain; None when the chain is broken."""
        if d.id in self.manifests:
            return self.manifests[d.id]
        chain: list[Any] = []
        cur: Any = d
        while cur is not None and cur.id not in self.manifests:
            chain.append(cur)
            base_id = cur.base_id
            if base_id is None:
                cur = None
                break
            base = self.drafts.get(base_id)
            if base is None or base.negotiation_id != cur.negotiation_id:
                self.problem(cur, None, f"delta base #{base_id} is not a draft of this negotiation")
                return self._broken(chain, "its delta chain is broken")
            if base.seq >= cur.seq:
                self.problem(cur, None, f"delta base {base.slug!r} (v{base.seq}) is numbered after it")
            if any(link.id == base.id for link in chain):
                loop = " → ".join(link.slug for link in chain[[link.id for link in chain].index(base.id):] + [base])
                return self._broken(chain, f"its delta chain loops ({loop})")
            cur = base
        state: dict[str, int] | None = dict(self.manifests[cur.id] or {}) if cur is not None else {}
        if cur is not None and self.manifests[cur.id] is None:
            return self._broken(chain, f"its delta chain runs through {cur.slug!r}, whose terms cannot be rebuilt")
        depth = cur.chain_depth if cur is not None else -1
        for link in reversed(chain):
            depth = depth + 1 if link.base_id is not None else 0
            if link.chain_depth != depth:
                self.problem(link, None, f"chain_depth is {link.chain_depth}, its delta chain is {depth} long")
                depth = link.chain_depth
            state = layered(state, dict(self.delta.get(link.id, ())))
            self.manifests[link.id] = state
        return self.manifests[d.id]

    def _broken(self, chain: list[Any], reason: str) -> None:
        for link in chain:
            self.manifests[link.id] = None
            self.problem(link, None, f"{reason}; its terms cannot be rebuilt")
        return None

    def report_orphan_blobs(self) -> None:
        for blob_id, message in sorted(self.bad_blobs.items()):
            if blob_id not in self.reported_blobs:
                self.problems.append(Problem(None, None, f"{message}; no draft uses it"))


@dataclass(frozen=True)
class _Entry:
    """A stored draft row in the history chain (``store.chain_order`` orders it by ``seq``)."""

    seq: int
    hash: str
    recorded_at: Any
    recorded_by: str | None
    link: str
    row: Any


class _EventModel:
    model_validate = staticmethod(body_of)


def _check_document(body: str, digest: str, model: Any, what: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return f"stored {what} is not valid JSON"
    if canonical.content_hash(data) != digest:
        return f"stored {what} does not match its hash {digest[:19]}… (its content was changed)"
    try:
        model.model_validate(data)
    except (ValidationError, ValueError) as exc:
        return f"stored {what} is not a valid {what} ({_first_error(exc)})"
    return None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in err["loc"])
        return f"{loc}: {err['msg']}" if loc else err["msg"]
    return str(exc)


def _as_date(value: Any) -> Any:
    """SQLite hands dates back as ``date``; a hand-edited cell may come back as text."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _as_time(value: Any) -> Any:
    """A stored recording time (read as text: a hand-edited cell must not crash), or None."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
