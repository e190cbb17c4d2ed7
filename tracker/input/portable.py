"""Export and import: a whole negotiation (or database) as one portable JSON file.

The file (``"schema": "tracker.export/v1"``) lists each negotiation's first document and hash, its
drafts in sequence order with their full content, sequence number, recording time, recorder, hash
and per-term hashes, and its events (status changes, evidence, corrections, revisions) with
their places in the history. Importing re-derives every hash from the content before writing anything: a
file whose content does not match its hashes is refused, naming the draft and term. The import
is one transaction, and each draft must land at its exported sequence number, so a database
that already holds other drafts of the negotiation is refused rather than renumbered.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import ValidationError

from tracker import __version__
from tracker.input.loading import (
    Origin,
    exact_int,
    format_loc,
    parse_text,
    read_bounded,
    read_bytes,
)
from tracker.input.pending import Pending, Recorded
from tracker.model import canonical
from tracker.model.errors import Conflict, InvalidInput
from tracker.model.events import EventRecord, parse_body
from tracker.model.termsheet import Draft, Negotiation

if TYPE_CHECKING:  # handed a store, never opening one: the database layer sits above this one
    from tracker.db.store import Store

SCHEMA = "tracker.export/v1"


# --- export -----------------------------------------------------------------------------------


def export(store: Store, negotiation: str | None = None) -> dict[str, Any]:
    """One negotiation, or every negotiation in the database, as a JSON-ready dict."""
    if negotiation is not None:
        negotiations = [store.negotiation(negotiation)]
    else:
        negotiations = [s.negotiation for s in store.negotiations()]
    return {
        "schema": SCHEMA,
        "tracker": __version__,
        "exported_at": _iso(dt.datetime.now(dt.timezone.utc).replace(microsecond=0)),
        "negotiations": [_export_negotiation(store, n) for n in negotiations],
    }


def _export_negotiation(store: Store, negotiation: Negotiation) -> dict[str, Any]:
    drafts = []
    history = store.history(negotiation.id)
    for record in history.records:
        # The stored canonical JSON and hashes as they are: `import` checks every one of them.
        stored = store.terms(record)
        drafts.append({
            "seq": record.seq,
            "hash": record.hash,
            "link": record.link,
            "recorded_at": _iso(record.recorded_at) if record.recorded_at else None,
            **({"recorded_by": record.recorded_by} if record.recorded_by is not None else {}),
            "draft": {**record.header.canonical(), "terms": {k: json.loads(stored.stored(k)[1]) for k in stored}},
            "term_hashes": {k: stored.stored(k)[0] for k in stored},
        })
    events = [{
        "seq": e.seq, "after": e.after, "hash": e.hash, "link": e.link, "recorded_at": _iso(e.recorded_at),
        **({"recorded_by": e.recorded_by} if e.recorded_by is not None else {}), "event": e.body.canonical(),
    } for e in history.events]
    return {
        "negotiation": history.first.canonical(),  # the chain starts from it; revisions are events
        "hash": history.hash,
        "head": history.head,  # the history's head (`verify --head`)
        "drafts": drafts,
        **({"events": events} if events else {}),
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _iso(value: dt.datetime) -> str:
    # SQLite returns naive datetimes; everything the store records is UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat()


# --- import -----------------------------------------------------------------------------------


@dataclass
class Imported:
    negotiation: str
    results: list[Recorded]

    @property
    def created(self) -> int:
        return sum(r.created for r in self.results)


# An export holds every draft in full: far larger than one draft file may be, but bounded.
MAX_IMPORT_BYTES = 1024 * 2**20


def read(path: str | Path, *, display_name: str | None = None) -> "ExportFile":
    name = display_name or str(path)
    return ExportFile.from_bytes(read_bytes(Path(path), name, max_bytes=MAX_IMPORT_BYTES), name)


def read_stdin(stream: BinaryIO) -> "ExportFile":
    return ExportFile.from_bytes(read_bounded(stream, "<stdin>", MAX_IMPORT_BYTES), "<stdin>")


class ExportFile:
    """A parsed export, checked against its own hashes before anything touches a database."""

    def __init__(self, data: Any, text: str, name: str):
        self.data, self.text, self.name = data, text, name
        self._origin: Origin | None = None
        self.events: dict[str, list[EventRecord]] = {}  # negotiation → its events, once validated
        self._validated: list[tuple[Negotiation, list[Pending]]] | None = None

    @classmethod
    def from_bytes(cls, raw: bytes, name: str) -> "ExportFile":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not UTF-8 text (byte {exc.start})", where=name) from None
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=Decimal, parse_int=exact_int)
        except (ValueError, RecursionError):
            # The loader parses JSON by the same rules and names the line of what is wrong.
            parse_text(text, name, is_json=True)
            raise InvalidInput("invalid JSON", where=name) from None
        return cls(data, text, name)

    def error(self, loc: tuple[Any, ...], message: str) -> InvalidInput:
        """``file:line: path: message``; lines are worked out only when something is wrong."""
        if self._origin is None:
            try:
                self._origin = parse_text(self.text, self.name, is_json=True)[1]
            except InvalidInput:
                self._origin = Origin(self.name)
        return self._origin.error(loc, message)

    def validate(self) -> list[tuple[Negotiation, list[Pending]]]:
        """Models for every negotiation and draft, each checked against its recorded hash."""
        if self._validated is not None:
            return self._validated
        data = self.data
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, dict) else None
            raise self.error(("schema",) if found else (), f"not a tracker export (expected \"schema\": \"{SCHEMA}\", found {found!r})")
        entries = data.get("negotiations")
        if not isinstance(entries, list):
            raise self.error(("negotiations",), "expected a list of negotiations")
        out = [self._negotiation(("negotiations", i), entry) for i, entry in enumerate(entries)]
        slugs = [n.id for n, _ in out]
        for i, slug in enumerate(slugs):
            if slug in slugs[:i]:
                raise self.error(("negotiations", i, "negotiation", "id"), f"negotiation {slug!r} is listed twice")
        self._validated = out
        return out

    def _negotiation(self, loc: tuple[Any, ...], entry: Any) -> tuple[Negotiation, list[Pending]]:
        entry = self._mapping(loc, entry, ("negotiation", "hash", "drafts"))
        negotiation = self._model(loc + ("negotiation",), Negotiation, entry["negotiation"])
        if canonical.content_hash(negotiation.canonical()) != entry["hash"]:
            raise self.error(loc + ("hash",), f"negotiation {negotiation.id!r}: content does not match its hash")
        if not isinstance(entry["drafts"], list):
            raise self.error(loc + ("drafts",), "expected a list of drafts")
        hashes: dict[str, str] = {}
        pending = []
        events = self._events(loc, entry.get("events", []))
        previous = entry["hash"]  # the history chain, checked link by link
        # An export written since the chain exists names its head, and every draft has its link;
        # an older one has neither, and its drafts join the history as they are imported.
        chained = entry.get("head") is not None
        for j, item in enumerate(entry["drafts"]):
            at = loc + ("drafts", j)
            item = self._mapping(at, item, ("seq", "hash", "draft"))
            if type(item["seq"]) is not int or item["seq"] != j + 1:
                raise self.error(at + ("seq",), f"expected seq {j + 1}: drafts must be listed in sequence order from 1")
            draft = self._model(at + ("draft",), Draft, item["draft"])
            if draft.negotiation != negotiation.id:
                raise self.error(at + ("draft", "negotiation"), f"draft belongs to {draft.negotiation!r}, not {negotiation.id!r}")
            self._check_hashes(at, item, draft, hashes)
            hashes[draft.id] = item["hash"]
            origin = Origin(f"{self.name}: {format_loc(at)}")
            recorded_at = self._time(at, item.get("recorded_at"))
            link = item.get("link")
            if chained and (link is None or recorded_at is None):
                raise self.error(at, f"draft {draft.id!r} has no place in the history the file's head stands for (no 'link' or 'recorded_at')")
            by = item.get("recorded_by")
            if by is not None and not isinstance(by, str):
                raise self.error(at + ("recorded_by",), "expected the name of who recorded it")
            previous = self._follow_events(loc, events, j, previous)
            if link is not None:
                if recorded_at is None or link != canonical.link_hash(previous, j + 1, item["hash"], recorded_at, by):
                    raise self.error(at + ("link",), f"draft {draft.id!r} does not follow the history before it (its place, recording time, recorder or negotiation was changed)")
                previous = link
            pending.append(Pending(draft, origin, seq=j + 1, recorded_at=recorded_at, recorded_by=by))
        previous = self._follow_events(loc, events, len(pending), previous)
        for i, e in events:
            if e.after > len(pending):
                raise self.error(loc + ("events", i, "after"), f"event e{e.seq} follows v{e.after}, but the file lists {len(pending)} drafts")
        digests = set(hashes.values())
        for i, e in events:
            for name in ("draft_hash", "by_hash"):
                target = getattr(e.body, name, None)
                if target is not None and target not in digests:
                    raise self.error(loc + ("events", i, "event", name.removesuffix("_hash")), f"event e{e.seq} names a draft the file does not hold")
        self.events[negotiation.id] = [e for _, e in events]
        if chained and entry["head"] != previous:
            raise self.error(loc + ("head",), f"negotiation {negotiation.id!r}: the history's head does not match its drafts (drafts were removed or changed)")
        return negotiation, pending

    def _events(self, loc: tuple[Any, ...], items: Any) -> list[tuple[int, EventRecord]]:
        if not isinstance(items, list):
            raise self.error(loc + ("events",), "expected a list of events")
        out = []
        for i, item in enumerate(items):
            at = loc + ("events", i)
            item = self._mapping(at, item, ("seq", "after", "hash", "link", "recorded_at", "event"))
            if type(item["seq"]) is not int or item["seq"] != i + 1:
                raise self.error(at + ("seq",), f"expected seq {i + 1}: events must be listed in order from 1")
            if type(item["after"]) is not int or item["after"] < (out[-1][1].after if out else 0):
                raise self.error(at + ("after",), "expected the number of drafts before the event, never fewer than the event before it had")
            try:
                body = parse_body(json.dumps(item["event"]))
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                raise self.error(at + ("event", *err["loc"]), err["msg"].removeprefix("Value error, ")) from None
            if canonical.content_hash(body.canonical()) != item["hash"]:
                raise self.error(at + ("hash",), f"event e{i + 1}: content does not match its hash")
            by = item.get("recorded_by")
            if by is not None and not isinstance(by, str):
                raise self.error(at + ("recorded_by",), "expected the name of who recorded it")
            at_time = self._time(at, item["recorded_at"])
            out.append((i, EventRecord(i + 1, item["after"], item["hash"], body, at_time, by, item["link"])))  # type: ignore[arg-type]
        return out

    def _follow_events(self, loc: tuple[Any, ...], events: list[tuple[int, EventRecord]], drafts: int, previous: str) -> str:
        """The link after the events recorded when the negotiation had ``drafts`` drafts."""
        for i, e in events:
            if e.after == drafts:
                if e.link != canonical.event_link_hash(previous, e.seq, e.hash, e.recorded_at, e.recorded_by):
                    raise self.error(loc + ("events", i, "link"), f"event e{e.seq} does not follow the history before it (its place, time, recorder or content was changed)")
                previous = e.link
        return previous

    def _check_hashes(self, at: tuple[Any, ...], item: dict[str, Any], draft: Draft, earlier: dict[str, str]) -> None:
        term_hashes = {key: canonical.term_hash(term.canonical()) for key, term in draft.terms.items()}
        listed = item.get("term_hashes")
        if listed is not None:
            if not isinstance(listed, dict) or set(listed) != set(term_hashes):
                raise self.error(at + ("term_hashes",), "must list exactly the draft's terms")
            for key, digest in sorted(term_hashes.items()):
                if listed[key] != digest:
                    raise self.error(at + ("draft", "terms", key), f"draft {draft.id!r}: term {key!r} does not match its hash")
        parents = []
        for k, parent in enumerate(draft.parents):
            if parent not in earlier:
                raise self.error(at + ("draft", "parents", k), f"parent {parent!r} is not listed before draft {draft.id!r}")
            parents.append(earlier[parent])
        if canonical.draft_hash(draft.header.canonical(), parents, term_hashes) != item["hash"]:
            raise self.error(at + ("hash",), f"draft {draft.id!r}: content does not match its hash")

    def _mapping(self, loc: tuple[Any, ...], value: Any, required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(loc, "expected a mapping")
        for name in required:
            if name not in value:
                raise self.error(loc, f"missing field {name!r}")
        return value

    def _model(self, loc: tuple[Any, ...], model: Any, value: Any) -> Any:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            raise self.error(loc + tuple(err["loc"]), err["msg"].removeprefix("Value error, ")) from None

    def _time(self, loc: tuple[Any, ...], value: Any) -> dt.datetime | None:
        if value is None:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.error(loc + ("recorded_at",), f"expected an ISO date and time, got {value!r}") from None
        # Stored in UTC on both databases (SQLite keeps no zone: an offset would be lost).
        return parsed.astimezone(dt.timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def restore(store: Store, export_file: ExportFile) -> list[Imported]:
    """Record everything in the file, in one transaction; identical drafts already there are kept."""
    validated = export_file.validate()
    pending = [p for _, items in validated for p in items]
    negotiations = [n for n, _ in validated]
    events = [(slug, e) for slug, items in export_file.events.items() for e in items]
    try:
        results = store.record(pending, negotiations, events=events, restoring=True)
    except Conflict as exc:
        raise Conflict(f"{exc} (import into an empty database, or one holding the same drafts)") from None
    by_neg: dict[str, list[Recorded]] = {n.id: [] for n in negotiations}
    for result in results:
        by_neg[result.record.header.negotiation].append(result)
    return [Imported(slug, items) for slug, items in by_neg.items()]


def _no_duplicates(items: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(items)
    if len(out) != len(items):
        raise ValueError("duplicate key")
    return out


def _no_constant(word: str) -> Any:
    raise ValueError(word)
