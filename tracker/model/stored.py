"""Stored records made models again without validating them a second time.

What tracker stores was validated when it was recorded, and is stored as the canonical JSON
of its model. Validating it again on every read would first build the validators, which the
models build on first use (``defer_build``): for a negotiation, its values and its events, a
good part of a short command such as ``tracker log``. ``model_construct``
makes the same objects of that JSON: a field whose JSON form is its value (text, yes/no, lists
of text, literals) is taken as stored, the others are converted as ``CONVERSIONS`` says (dates,
exact numbers, sets, ranked options, nested models), and a default the canonical form leaves
out is the field's default.

The store decides what is rebuilt (``store.rebuilt``): a negotiation's document and an event's
body only when their JSON is what their hash was taken of. A draft's header is validated as
read: reads do not check it against its hash (which covers the draft's terms too), and
validation is what stops one changed by hand. A mapping without a required field, with a field its model does not
have, or with a value that does not convert raises here, and the store validates it instead,
so that it fails as it always did. Input (files, the command line, an import) is always
validated.

A model that gains a field whose JSON form is not its value must gain its conversion below:
``tests/test_stored.py`` checks every field of these models against ``CONVERSIONS``, and that
both ways give equal models.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from tracker.model.events import Correction, Evidence, Revision, StatusChange
from tracker.model.termsheet import DEFAULT, Negotiation, Party, Source, TermPreferences
from tracker.model.values import Absent, Boolean, Choice, Date, Money, Number, Percent, StringSet, Text

Convert = Callable[[Any], Any]


def _make(cls: Any, data: dict[str, Any]) -> Any:
    """``cls`` from its stored mapping, each field converted from its JSON form as
    ``CONVERSIONS`` says (an optional field's None stays None)."""
    fields = cls.__pydantic_fields__
    convert = CONVERSIONS[cls]
    values = dict(data)
    for name, value in values.items():
        if name not in fields:
            raise KeyError(f"{cls.__name__} has no field {name!r}")
        if name in convert and value is not None:
            values[name] = convert[name](value)
    for name, field in fields.items():
        if name in values:
            continue
        if field.is_required():
            raise KeyError(f"{cls.__name__}.{name} is missing")
        if field.default_factory is not None:
            # Called here: ``model_construct`` would first ask ``inspect.signature`` whether the
            # factory takes the data validated so far, each time, which costs more than the rest.
            values[name] = field.default_factory()
    return cls.model_construct(set(data), **values)


def _one(cls: Any) -> Convert:
    return lambda data: _make(cls, data)


def _each(cls: Any) -> Convert:
    return lambda items: [_make(cls, item) for item in items]


_VALUES = {"money": Money, "percent": Percent, "number": Number, "boolean": Boolean, "choice": Choice, "set": StringSet,
           "text": Text, "date": Date, "none": Absent}
_BODIES = {"status": StatusChange, "cite": Evidence, "correct": Correction, "revise": Revision}


def value(data: dict[str, Any]) -> Any:
    """A typed value from its canonical mapping (``values.value_json``)."""
    return _make(_VALUES[data["type"]], data)


def event_body(data: dict[str, Any]) -> Any:
    """An event's body (``events.Body``) from its canonical mapping."""
    return _make(_BODIES[data["kind"]], data)


negotiation = _one(Negotiation)


def _preferences(data: dict[str, Any]) -> TermPreferences:
    """Stored as written (``TermPreferences._as_written``): party → higher, lower or the options
    ranked best first, and the default value."""
    model = {"parties": {code: p for code, p in data.items() if code != DEFAULT}}
    if DEFAULT in data:
        model["default"] = data[DEFAULT]
    return _make(TermPreferences, model)


_date = dt.date.fromisoformat


# Each model a stored record holds → how its fields whose JSON form is not their value are made.
CONVERSIONS: dict[Any, dict[str, Convert]] = {
    Negotiation: {"parties": _each(Party), "preferences": lambda prefs: {key: _preferences(p) for key, p in prefs.items()},
                  "sources": _each(Source)},
    Party: {},
    Source: {"date": _date},
    TermPreferences: {"parties": lambda parties: {code: tuple(p) if isinstance(p, list) else p for code, p in parties.items()},
                      "default": value},
    StatusChange: {"date": _date, "sources": _each(Source)},
    Evidence: {"source": _one(Source), "value": value},
    Correction: {},
    Revision: {"negotiation": negotiation},
    Money: {"amount": Decimal},
    Percent: {"value": Decimal},
    Number: {"value": Decimal},
    Boolean: {},
    Choice: {},
    StringSet: {"items": tuple},
    Text: {},
    Date: {"value": _date},
    Absent: {},
}
