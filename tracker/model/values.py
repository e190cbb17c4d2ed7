"""Typed term values, their canonical JSON form, and the shorthand authors write.

Every value is a pydantic model with a ``type`` discriminator. Numbers are ``Decimal`` and
serialise as exact decimal strings (``"500000000000"``, never ``5e11`` or a float), so equal
values always have equal canonical JSON and equal hashes.

Shorthand (files and ``--set``) is parsed by ``shorthand.parse_value``.
"""

# No ``from __future__ import annotations``: pydantic would compile and evaluate each field's
# annotation from its text while defining every model, a quarter of their cost at start-up.

import datetime as dt
import functools
import importlib.util
import json
import os
import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from tracker.model.canonical import canonical_json
from tracker.model.plain import CONTROL

if TYPE_CHECKING:
    from pydantic import TypeAdapter

# Amounts beyond this are typos or hostile input: the largest real-world sums fit easily.
MAX_INTEGER_DIGITS = 18
MAX_FRACTION_DIGITS = 8


PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def canonical_decimal(d: Decimal) -> str:
    """The one string form of an exact number: no exponent, no trailing zeros, no ``-0``."""
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_decimal(raw: Any) -> Decimal:
    """Accept ints, Decimals and decimal strings (floats only via their shortest repr)."""
    if isinstance(raw, bool):
        raise ValueError("expected a number, got a yes/no value")
    if isinstance(raw, (int, Decimal)):
        d = Decimal(raw)
    elif isinstance(raw, float):
        d = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace("_", "")
        if not PLAIN_DECIMAL.fullmatch(text):
            raise ValueError(f"{raw!r} is not a plain decimal number")
        d = Decimal(text)
    else:
        raise ValueError(f"expected a number, got {type(raw).__name__}")
    if not d.is_finite():
        raise ValueError("numbers must be finite (no NaN or Infinity)")
    if d and d.adjusted() >= MAX_INTEGER_DIGITS:  # before normalize(): 1e1000000 would overflow it
        raise ValueError(f"number has {d.adjusted() + 1} digits before the point; at most {MAX_INTEGER_DIGITS}")
    if d and d.adjusted() < -MAX_FRACTION_DIGITS:
        raise ValueError(f"number has {-d.adjusted()} decimal places; at most {MAX_FRACTION_DIGITS}")
    sign, digits, exponent = d.normalize().as_tuple()
    int_digits = max(len(digits) + exponent, 0)
    frac_digits = max(-exponent, 0)
    if int_digits > MAX_INTEGER_DIGITS:
        raise ValueError(f"number has {int_digits} digits before the point; at most {MAX_INTEGER_DIGITS}")
    if frac_digits > MAX_FRACTION_DIGITS:
        raise ValueError(f"number has {frac_digits} decimal places; at most {MAX_FRACTION_DIGITS}")
    return d if d != 0 else Decimal(0)


def _only_true_or_false(v: Any) -> bool:
    """A typed yes/no value is true or false: not 0, "off" or "n" (shorthand reads yes/no)."""
    if isinstance(v, bool):
        return v
    raise ValueError(f"a boolean value is true or false, not {v!r}")


def _only_a_date(v: Any) -> Any:
    """A date is a date or a ``YYYY-MM-DD`` string: never a number (``0`` is not 1970-01-01)."""
    if isinstance(v, dt.datetime):
        raise ValueError("dates are plain YYYY-MM-DD, without a time")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and DATE_RE.match(v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"{v.strip()!r} is not a valid date") from None
    if isinstance(v, str) and LOOKS_LIKE_DATE_RE.match(v.strip()):
        raise ValueError(f"ambiguous date {v.strip()!r}: write dates as YYYY-MM-DD")
    raise ValueError(f"a date is written YYYY-MM-DD, not {v!r}")


IsoDate = Annotated[dt.date, BeforeValidator(_only_a_date), WithJsonSchema({"type": "string", "format": "date"})]

Exact = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    PlainSerializer(canonical_decimal, return_type=str, when_used="always"),
    # Spelled out in full so the generated schemas do not change with pydantic's version.
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "an exact decimal number"}),
]

def _iso_4217() -> frozenset[str]:
    """ISO 4217's list of currency codes, as pycountry ships it (from Debian's iso-codes,
    updated as ISO amends the list), read from its data file without importing pycountry,
    whose import would add a twentieth of a second to every command. The test and no-currency
    codes (XTS, XXX) are no currency anyone negotiates in."""
    spec = importlib.util.find_spec("pycountry")
    folder = spec.submodule_search_locations if spec is not None else None
    if not folder:
        raise RuntimeError("tracker needs the pycountry package for ISO 4217 currency codes: pip install pycountry")
    with open(os.path.join(list(folder)[0], "databases", "iso4217.json"), encoding="utf-8") as fh:
        return frozenset(c["alpha_3"] for c in json.load(fh)["4217"]) - {"XTS", "XXX"}


# Codes ISO has withdrawn since tracker first accepted them: drafts recorded with them must
# stay readable (ZWL became ZWG in 2024, ANG became XCG in 2025, Bulgaria's BGN the euro in 2026).
WITHDRAWN_CURRENCIES = frozenset({"ANG", "BGN", "ZWL"})
CURRENCIES = _iso_4217() | WITHDRAWN_CURRENCIES

# Durations: unit (singular) → (family, size in the family's base unit). Within a family
# units convert exactly; ``tracker.model.quantities`` compares across families with care.
DURATIONS: dict[str, tuple[str, Decimal]] = {
    "day": ("days", Decimal(1)), "week": ("days", Decimal(7)), "fortnight": ("days", Decimal(14)),
    "month": ("months", Decimal(1)), "year": ("months", Decimal(12)),
    "minute": ("minutes", Decimal(1)), "hour": ("minutes", Decimal(60)),
}
_UNIT_ALIASES = {"d": "day", "wk": "week", "mo": "month", "yr": "year", "hr": "hour", "min": "minute"}


def unit_name(unit: str) -> str | None:
    """A duration unit's singular name (``"Years"`` → ``"year"``), or None for other units."""
    word = unit.strip().lower()
    word = _UNIT_ALIASES.get(word.rstrip("s"), word)
    if word in DURATIONS:
        return word
    if word.endswith("s") and word[:-1] in DURATIONS:
        return word[:-1]
    return None


def unit_text(amount: Decimal, unit: str | None) -> str:
    """``1 year``, ``8 years``, ``40 hours``: a duration unit agrees with its number; other
    units are printed as written."""
    n = grouped(amount)
    if not unit:
        return n
    name = unit_name(unit)
    if name is None:
        return f"{n} {unit}"
    return f"{n} {name}" if abs(amount) == 1 else f"{n} {name}s"


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]

# One line of plain text (titles, names, labels, units, options): no control character, no
# line or paragraph separator — such a string could forge a row of output or send a terminal a
# command. Checked on what is recorded (``termsheet.input_problems``), not on what was: a
# database written before the rule stays readable.
def one_line_problem(text: str) -> str | None:
    """Why ``text`` is not one line of plain text, or None (surrounding blanks are allowed:
    YAML's folded ``>`` ends a line with one)."""
    return control_message(text.strip(" \n")) if CONTROL.search(text.strip(" \n")) else None


def currency_unit_problem(unit: str) -> str | None:
    """A currency is never a unit: ``{type: number, unit: USD}`` is money written wrongly."""
    u = unit.strip()
    return f"{u!r} is a currency, not a unit: write the amount as money (e.g. {u} 5)" if u in CURRENCIES or u in CURRENCY_SYMBOLS else None


def control_message(text: str) -> str:
    """Why ``text`` is not one line of plain text."""
    found = CONTROL.search(text)
    code = f"U+{ord(found.group()):04X}" if found else "a control character"
    return f"control character {code} is not allowed here: titles, names, labels, units and options are one line of plain text"

Qualifier = Literal["cap", "floor", "approximate"]


class TypedValue(BaseModel):
    # Validators are built on first use (``defer_build``): a command that only reads stored
    # values rebuilds them without validation (``model.stored``) and never needs one.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def short(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class Money(TypedValue):
    type: Literal["money"]
    amount: Exact
    currency: Currency
    qualifier: Qualifier | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, v: str) -> str:
        if v not in CURRENCIES:
            raise ValueError(f"unknown currency {v!r} (expected an ISO 4217 code such as USD, EUR)")
        return v

    def short(self) -> str:
        prefix = {"cap": "up to ", "floor": "at least ", "approximate": "about "}.get(self.qualifier or "", "")
        return f"{prefix}{format_money(self.amount, self.currency)}"


class Percent(TypedValue):
    """A share, between 0 and 100. Rates that can exceed 100 are numbers with unit ``%``."""

    type: Literal["percent"]
    value: Exact

    @field_validator("value")
    @classmethod
    def _is_share(cls, v: Decimal) -> Decimal:
        if v < 0 or v > 100:
            raise ValueError(
                f"a percentage share must be between 0 and 100, got {canonical_decimal(v)}"
                " (for a rate use a number with unit '%')"
            )
        return v

    def short(self) -> str:
        return f"{canonical_decimal(self.value)}%"


class Number(TypedValue):
    type: Literal["number"]
    value: Exact
    unit: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _no_negative_duration(self) -> "Number":
        if self.value < 0 and self.unit and unit_name(self.unit):
            raise ValueError(f"a duration cannot be negative, got {canonical_decimal(self.value)} {self.unit}")
        return self

    def short(self) -> str:
        return unit_text(self.value, self.unit)


class Boolean(TypedValue):
    type: Literal["boolean"]
    value: Annotated[bool, BeforeValidator(_only_true_or_false)]

    def short(self) -> str:
        return "yes" if self.value else "no"


class Choice(TypedValue):
    type: Literal["choice"]
    value: str = Field(min_length=1, max_length=200)

    def short(self) -> str:
        return self.value


class StringSet(TypedValue):
    type: Literal["set"]
    items: tuple[str, ...]

    @field_validator("items", mode="before")
    @classmethod
    def _sorted_unique(cls, v: Any) -> tuple[str, ...]:
        if not isinstance(v, (list, tuple, set, frozenset)):
            raise ValueError("a set is a list of strings")
        out = set()
        for item in v:
            if not isinstance(item, str):
                raise ValueError(f"set items must be strings, got {type(item).__name__}")
            # One spelling per item: spacing folded, and composed (NFC), so that "é" typed as one
            # character or as "e" and an accent is one item.
            item = unicodedata.normalize("NFC", " ".join(item.split()))
            if not item:
                raise ValueError("set items must not be empty")
            out.add(item)
        return tuple(sorted(out))

    def short(self) -> str:
        return "[" + ", ".join(self.items) + "]"


class Text(TypedValue):
    type: Literal["text"]
    value: str = Field(max_length=100_000)

    def short(self) -> str:
        return self.value


class Date(TypedValue):
    type: Literal["date"]
    value: IsoDate

    def short(self) -> str:
        return self.value.isoformat()


class Absent(TypedValue):
    """The term is explicitly not in the text (as opposed to: nobody reported on it)."""

    type: Literal["none"]

    def short(self) -> str:
        return "none"


Value = Annotated[
    Union[Money, Percent, Number, Boolean, Choice, StringSet, Text, Date, Absent],
    Field(discriminator="type"),
]
VALUE_TYPES = ("money", "percent", "number", "boolean", "choice", "set", "text", "date", "none")
# The comparable token of an absent term (an explicit ``none``, or a term a text left out);
# any other value's token is its canonical JSON (``value_json``).
ABSENT = "∅"


@functools.cache
def _value_adapter() -> "TypeAdapter[Any]":
    """Built (and pydantic's adapters imported) on first use, like the models' validators."""
    from pydantic import TypeAdapter

    return TypeAdapter(Value)


# --- formatting -----------------------------------------------------------------------------


def grouped(amount: Decimal) -> str:
    """An exact number with thousands separated: ``2,920``, ``-1,250.5``."""
    text = canonical_decimal(amount)
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")

_SYMBOL_OUT = {"USD": "$", "EUR": "€", "GBP": "£"}
_SCALE_OUT = [(Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")]


def format_money(amount: Decimal, currency: str) -> str:
    """Human form: ``$500 billion``, ``€2.5 million``, ``CHF 1,250``."""
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    number = None
    for scale, word in _SCALE_OUT:
        scaled = canonical_decimal(a / scale)
        if a >= scale and len(scaled.partition(".")[2]) <= 3:  # "1.5 billion", not "1.00000000001 billion"
            number = f"{scaled} {word}"
            break
    if number is None:
        whole = canonical_decimal(a)
        int_part, _, frac = whole.partition(".")
        number = f"{int(int_part):,}" + (f".{frac}" if frac else "")
    symbol = _SYMBOL_OUT.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


# What shorthand (``shorthand.py``) and the validators above share.
CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "₴": "UAH", "₹": "INR", "₩": "KRW",
            "₽": "RUB", "₺": "TRY", "₪": "ILS", "C$": "CAD", "A$": "AUD", "NZ$": "NZD", "HK$": "HKD",
            "S$": "SGD", "R$": "BRL", "zł": "PLN", "₣": "CHF"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
LOOKS_LIKE_DATE_RE = re.compile(r"^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}$", re.ASCII)


def value_from_json(data: Any) -> Any:
    """Validate a canonical value mapping (as stored or exported)."""
    return _value_adapter().validate_python(data)


def value_json(value: Any) -> dict[str, Any]:
    """The canonical JSON-ready mapping of a value."""
    return value.model_dump(mode="json", exclude_none=True)


# A duration family's base unit: what durations are compared in.
_BASE_UNITS = {"days": "day", "months": "month", "minutes": "minute"}


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """A value's canonical mapping (``value_json``) as values are compared: a duration in its
    family's base unit, so that ``2 years`` and ``24 months`` are one value (as
    ``quantities.same`` says); any other value as it is (the same object). Every equality of
    values — diffs, attribution, positions — goes through this form."""
    if data.get("type") == "number" and "unit" in data and (name := unit_name(data["unit"])) is not None:
        family, size = DURATIONS[name]
        return {**data, "unit": _BASE_UNITS[family], "value": canonical_decimal(Decimal(data["value"]) * size)}
    return data


def token_of(value: Any) -> str:
    """What a typed value is compared by: ``ABSENT`` for none, else its comparable mapping's
    canonical JSON (the token ``timeline.value_token`` cuts from a stored term)."""
    return ABSENT if isinstance(value, Absent) else canonical_json(comparable(value_json(value)))


def is_duration_json(text: str) -> bool:
    """Whether a value's canonical JSON may hold a duration (a number with a unit): a cheap
    test before parsing it."""
    return text.startswith('{"type":"number"') and '"unit":' in text
