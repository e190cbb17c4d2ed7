"""The Python API: what the commands answer, for a notebook or a script.

    import tracker

    db = tracker.open("sqlite:///data/tracker.db")   # or None: TRACKER_DB_URL, else that file
    deal = db.negotiation()                           # the only one, or by id
    changes = deal.diff("v1", "latest")
    changes.rows()                                    # flat dicts, one per change: pandas.DataFrame(rows)
    changes.json()                                    # the `tracker diff --format json` document
    print(changes.text())                             # what `tracker diff` prints

Each answer — ``drafts``, ``diff``, ``blame``, ``history``, ``positions``, ``gap`` — reads the
negotiation afresh, as the command does, and is the same answer: ``json()`` is the command's
JSON document (its schema in ``schemas/``), ``text()`` its text, ``rows()`` the document's list
of changes, terms or drafts as flat rows (values as their short text, lists joined with ", ",
each party's position in columns named by the party's code). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from tracker.db.engine import missing_database, redact
from tracker.db.store import Store
from tracker.history.blame import blame
from tracker.history.compare import diff_view
from tracker.history.positions import gap, positions
from tracker.history.reading import gap_parties, known_key, load, resolve
from tracker.history.term_history import term_history
from tracker.history.view import View
from tracker.model.events import apply
from tracker.model.termsheet import Negotiation as NegotiationSheet
from tracker.model.values import VALUE_TYPES, value_from_json
from tracker.render.registry import draw, render

__all__ = ["Answer", "Database", "Negotiation", "open"]


def open(url: str | None = None) -> "Database":  # noqa: A001 - tracker.open, as sqlite3.connect or dbm.open
    """Open a database to read (``None``: ``TRACKER_DB_URL``, else ``sqlite:///data/tracker.db``).
    A SQLite file that does not exist is refused, never created."""
    url = url or os.environ.get("TRACKER_DB_URL") or None
    missing_database(url)
    return Database(Store.open(url))


class Database:
    """An open database: its negotiations. Close it (or use ``with``) when done."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def url(self) -> str:
        return redact(self.store.url)

    def negotiations(self) -> list[str]:
        """The ids of the negotiations it holds."""
        return [s.negotiation.id for s in self.store.negotiations()]

    def negotiation(self, id: str | None = None) -> "Negotiation":  # noqa: A002 - the negotiation's id
        """One negotiation, by id (``None``: the only one the database holds)."""
        return Negotiation(self.store, self.store.negotiation(id))

    def __repr__(self) -> str:
        return f"<tracker.Database {self.url}>"


@dataclass(frozen=True)
class Answer:
    """One answer, as a command gives it: ``json()``, ``text()``, ``rows()``; ``value`` is the
    answer itself (a ``DraftDiff``, ``Positions``, …), for what the three do not show."""

    name: str  # its name in the renderer registry
    value: Any
    _args: tuple[Any, ...] = field(repr=False)
    _options: dict[str, Any] = field(repr=False, default_factory=dict)

    def json(self) -> Any:
        return draw(self.name, "json", *self._args, **self._options)

    def text(self) -> str:
        return "".join(render(self.name, "text", *self._args, **self._options))

    def rows(self) -> list[dict[str, Any]]:
        return list(ROWS[self.name](self.json()))


class Negotiation:
    """One negotiation of a database; each answer reads its drafts afresh."""

    def __init__(self, store: Store, sheet: NegotiationSheet):
        self.store = store
        self.sheet = sheet

    @property
    def id(self) -> str:
        return self.sheet.id

    @property
    def title(self) -> str:
        return self.sheet.title

    @property
    def parties(self) -> list[str]:
        return [p.code for p in self.sheet.parties]

    def view(self, *, as_of: dt.date | None = None, corrected: bool = False) -> View:
        """The negotiation read into its view (every term in every draft), as of a day."""
        return load(self.store, self.sheet, as_of=as_of, corrected=corrected)

    def drafts(self) -> Answer:
        """The drafts in recording order, their status now, and the events since (``tracker log``)."""
        history = self.store.history(self.id)
        applied = apply(history.negotiation, history.records, history.events)
        return Answer("log", history.records, (history.negotiation, history.records, history.head, applied), {"database": redact(self.store.url)})

    def diff(self, old: str, new: str = "latest", *, three_way: bool = False, corrected: bool = False) -> Answer:
        """What changed from draft ``old`` to ``new``, and who pushed each change (``tracker diff``)."""
        view = self.view(corrected=corrected)
        (a, _), (b, _) = resolve(view, old), resolve(view, new)
        d = diff_view(view, a.id, b.id, three_way=three_way)
        return Answer("diff", d, (d,))

    def blame(self, ref: str = "latest", *, corrected: bool = False) -> Answer:
        """Where each term of a draft got its value (``tracker blame``)."""
        view = self.view(corrected=corrected)
        b = blame(view, ref)
        return Answer("blame", b, (b,), {"negotiation": view.negotiation})

    def history(self, key: str, *, corrected: bool = False) -> Answer:
        """One term through every draft, following renames (``tracker history``)."""
        view = load(self.store, self.sheet, corrected=corrected, keys=[key])  # the term's rows, as the command reads them
        known_key(view, key)
        h = term_history(view, key)
        return Answer("history", h, (h,), {"negotiation": view.negotiation})

    def positions(self, as_of: dt.date | str | None = None, *, corrected: bool = False) -> Answer:
        """Each party's position on each term, agreed, open or unaddressed (``tracker positions``)."""
        day = _day(as_of)
        view = self.view(as_of=day, corrected=corrected)
        p = positions(view, day)
        return Answer("positions", p, (view, p))

    def gap(self, a: str | None = None, b: str | None = None, as_of: dt.date | str | None = None, *, corrected: bool = False) -> Answer:
        """What is open between two parties (default: the only two), and convergence (``tracker gap``)."""
        day = _day(as_of)
        view = self.view(as_of=day, corrected=corrected)
        pa, pb = gap_parties(view.negotiation, [p for p in (a, b) if p is not None])
        g = gap(view, pa, pb, day)
        return Answer("gap", g, (view, g))

    def __repr__(self) -> str:
        return f"<tracker.Negotiation {self.id}: {self.title}>"


def _day(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    from tracker.history.reading import parse_date

    return parse_date(value, "as_of")


# --- rows: an answer's JSON document as flat records -----------------------------------------


def _flat(record: dict[str, Any], skip: tuple[str, ...] = (), prefix: str = "") -> dict[str, Any]:
    """One flat row: a typed value as its short text, a list of plain items joined (of records:
    how many), a nested record as columns ``name.field`` (a stance: ``stance.US``)."""
    row: dict[str, Any] = {}
    for k, v in record.items():
        if k in skip:
            continue
        if isinstance(v, dict) and v.get("type") in VALUE_TYPES:
            row[prefix + k] = value_from_json(v).short()
        elif isinstance(v, dict):
            row.update(_flat(v, prefix=f"{prefix}{k}."))
        elif isinstance(v, list):
            row[prefix + k] = len(v) if any(isinstance(x, dict) for x in v) else ", ".join(map(str, v))
        else:
            row[prefix + k] = v
    return row


def _positions(record: dict[str, Any]) -> dict[str, Any]:
    """A term's row with each party's position in columns: ``US`` (its value), ``US draft``."""
    row = _flat(record, ("positions", "reports"))
    for party, p in (record.get("positions") or {}).items():
        row[party] = None if p is None else ("absent" if p["absent"] else p["text"])
        row[f"{party} draft"] = None if p is None else p["draft"]
    return row


def _diff_rows(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for c in doc["changes"]:
        yield _flat(c, ("steps", "delta", "annotations", "old_reports", "new_reports", "evidence")) | {
            "disputed": bool(c.get("old_reports") or c.get("new_reports")),
        }


def _gap_rows(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for status in ("open", "agreed", "unaddressed"):
        for r in doc[status]:
            yield {"status": status, **_positions(r)}


ROWS: dict[str, Callable[[Any], Iterator[dict[str, Any]]]] = {
    "log": lambda doc: (_flat(d) for d in doc["drafts"]),
    "diff": _diff_rows,
    "blame": lambda doc: (_flat(t, ("sources", "steps", "reports")) for t in doc["terms"]),
    "history": lambda doc: (_flat(d, ("sources", "reports")) for d in doc["drafts"]),
    "positions": lambda doc: (_positions(t) for t in doc["terms"]),
    "gap": _gap_rows,
}
