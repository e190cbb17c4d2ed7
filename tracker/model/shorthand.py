"""The shorthand authors write for values — ``$500B``, ``up to 50%``, ``45 days``, ``2025-02-12``,
``none``, ``choice:joint`` — read into typed values (``values``).

Anything that could be read two ways (``1,5``, ``1.000.000``, ``¥5m``, ``12/02/2025``, ``5M``
with no currency) is an error naming both readings, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from tracker.model.values import (
    CURRENCIES,
    CURRENCY_SYMBOLS,
    DATE_RE,
    LOOKS_LIKE_DATE_RE,
    PLAIN_DECIMAL,
    VALUE_TYPES,
    Absent,
    Boolean,
    Choice,
    Date,
    Money,
    Number,
    Percent,
    StringSet,
    Text,
    TypedValue,
    canonical_decimal,
    to_decimal,
    unit_name,
    value_from_json,
)

# Symbols shared by several currencies: refuse rather than guess.
_AMBIGUOUS_SYMBOLS = {"¥": "JPY or CNY", "kr": "SEK, NOK, DKK or ISK", "Fr": "CHF or another franc",
                      "R": "ZAR or another rand/real"}
_SCALES = {
    "k": 3, "thousand": 3,
    "m": 6, "mm": 6, "mn": 6, "mln": 6, "million": 6, "millions": 6,
    "b": 9, "bn": 9, "bln": 9, "billion": 9, "billions": 9,
    "t": 12, "tn": 12, "trn": 12, "trillion": 12, "trillions": 12,
}
_QUALIFIERS = [
    ("up to ", "cap"), ("at most ", "cap"), ("no more than ", "cap"), ("max ", "cap"),
    ("at least ", "floor"), ("no less than ", "floor"), ("min ", "floor"),
    ("about ", "approximate"), ("approximately ", "approximate"), ("around ", "approximate"),
    ("roughly ", "approximate"), ("~", "approximate"), ("c. ", "approximate"),
]
_NUMBER = r"\d[\d,.\s]*"
# Digits are ASCII (re.ASCII): "٥٠%" is refused with a hint, never read as 50%. A sign may
# come before or after a currency prefix: "-$5 million", "$-5 million", "USD -5".
_MONEY_RE = re.compile(
    r"^(?P<sign>[+-])?\s*(?P<pre>[A-Za-z]{3}|US\$|NZ\$|HK\$|[CASR]\$|[$€£₴₹₩₽₺₪¥₣]|kr|Fr|zł)?\s*"
    r"(?P<sign2>[+-])?(?P<num>\d[\d,. ]*?)\s*"
    r"(?P<scale>[A-Za-z]+)?\s*"
    r"(?P<post>[A-Za-z]{3}|kr|zł)?$",
    re.ASCII,
)
_PERCENT_RE = re.compile(r"^(?P<num>[+-]?\d[\d,.]*)\s*(%|percent|per cent|pct)$", re.IGNORECASE | re.ASCII)
_NUMBER_UNIT_RE = re.compile(r"^(?P<num>[+-]?\d[\d,.]*)(?:\s+(?P<unit>[^\d\s][^\n]{0,39}))?$", re.ASCII)
# A number written with other digits than 0-9 (Arabic-Indic, Devanagari, full-width, …).
_OTHER_DIGITS_RE = re.compile(r"^[^\d]{0,4}[+-]?\d[\d,.\s]*\D{0,12}$")
_TYPED_PREFIX_RE = re.compile(r"^(?P<type>money|percent|number|boolean|choice|set|text|date|none):(?P<rest>.*)$", re.S)
_TRUE = {"true", "yes", "y"}
_FALSE = {"false", "no", "n"}


class ShorthandError(ValueError):
    """Raised (as a ValueError, so pydantic reports it with its location) for unreadable shorthand."""


def parse_number_text(text: str) -> Decimal:
    """``1,250.5`` → 1250.5. Thousands separators must be commas in groups of three."""
    t = text.replace(" ", "")
    if "," in t:
        int_part, _, frac = t.partition(".")
        groups = int_part.lstrip("+-").split(",")
        if (
            "," in frac
            or not groups[0]
            or len(groups[0]) > 3
            or any(len(g) != 3 for g in groups[1:])
        ):
            raise ShorthandError(
                f"ambiguous number {text!r}: a comma is read only as a thousands separator in "
                "groups of three (write 1.5 or 1,500)"
            )
        t = int_part.replace(",", "") + ("." + frac if frac else "")
    if t.count(".") > 1:
        raise ShorthandError(f"ambiguous number {text!r}: several dots (write 1000000 or 1,000,000)")
    if not PLAIN_DECIMAL.fullmatch(t):
        raise ShorthandError(f"{text!r} is not a number")
    # Digit limits apply to the final amount (after "bn" etc.), in the value models.
    return Decimal(t)


def _parse_money(text: str, default_currency: str | None) -> Money | None:
    qualifier = None
    lowered = text.lower()
    for word, q in _QUALIFIERS:
        if lowered.startswith(word):
            qualifier, text = q, text[len(word):].strip()
            break
    m = _MONEY_RE.match(text)
    if not m:
        return None
    pre, num, scale, post = m.group("pre"), m.group("num"), m.group("scale"), m.group("post")
    if m.group("sign") and m.group("sign2"):
        raise ShorthandError(f"two signs in {text!r}")
    negative = "-" in (m.group("sign"), m.group("sign2"))
    if scale and not pre and not post and unit_name(scale):
        return None  # "1 day", "2 yrs": a duration, not an amount in currency "DAY"
    if scale and scale.upper() in CURRENCIES and not post:
        # "500 USD": the trailing word is the currency, not a scale.
        scale, post = None, scale
    if scale and post is None and scale.lower() not in _SCALES and len(scale) == 3 and scale.isalpha():
        raise ShorthandError(f"unknown currency {scale!r} in {text!r}")
    currency = None
    for marker in (pre, post):
        if not marker:
            continue
        if marker in _AMBIGUOUS_SYMBOLS:
            raise ShorthandError(
                f"ambiguous currency symbol {marker!r} in {text!r}: it stands for "
                f"{_AMBIGUOUS_SYMBOLS[marker]}; write the ISO code (e.g. JPY 5m)"
            )
        code = CURRENCY_SYMBOLS.get(marker) or marker.upper()
        if code not in CURRENCIES:
            if pre and marker == pre and len(marker) == 3 and not post and (not scale or scale.lower() not in _SCALES):
                return None  # "abc 5", "per 100 shares" are not money; let the caller try other readings
            raise ShorthandError(f"unknown currency {marker!r} in {text!r}")
        if currency and currency != code:
            raise ShorthandError(f"two currencies in {text!r}")
        currency = code
    if scale is not None and scale.lower() not in _SCALES:
        return None
    if currency is None:
        if scale is None or default_currency is None:
            if scale is not None:
                raise ShorthandError(
                    f"ambiguous amount {text!r}: money needs a currency (e.g. $5M or EUR 5M)"
                )
            return None
        currency = default_currency
    if scale == "M" and pre is None and post is None and default_currency is None:
        raise ShorthandError(f"ambiguous amount {text!r}: money needs a currency")
    amount = parse_number_text(num.strip())
    if scale:
        amount = amount * (Decimal(10) ** _SCALES[scale.lower()])
    if negative:
        amount = -amount
    try:
        return Money(type="money", amount=amount, currency=currency, qualifier=qualifier)
    except ValueError as exc:
        raise ShorthandError(_first_message(exc)) from None


def _first_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        msg = errors()[0]["msg"]
        return msg.removeprefix("Value error, ")
    return str(exc)


def parse_value(raw: Any, hint: str | None = None, like: Any = None) -> Any:
    """Turn shorthand or a canonical mapping into a typed value.

    ``hint`` is a type name the term is known to have (``type:`` in a file, or the existing
    term's type for ``--set``): a bare word becomes a choice when the hint is ``choice``, a bare
    number takes the hinted type. ``like`` is the existing value, whose unit or currency a bare
    number keeps. The value's own form wins over the hint (``50%`` is a percent whatever the hint).
    """
    if hint is not None and hint not in VALUE_TYPES:
        raise ShorthandError(f"unknown type {hint!r} (expected one of {', '.join(VALUE_TYPES)})")
    if isinstance(raw, TypedValue):
        return raw
    if isinstance(raw, dict):
        return value_from_json(raw)
    if raw is None:
        return Absent(type="none")
    if isinstance(raw, bool):
        return Boolean(type="boolean", value=raw)
    if isinstance(raw, (int, Decimal, float)):
        return _from_number(to_decimal(raw), hint, like)
    if isinstance(raw, (list, tuple, set, frozenset)):
        return StringSet(type="set", items=list(raw))
    if isinstance(raw, dt.datetime):
        raise ShorthandError("dates are plain YYYY-MM-DD, without a time")
    if isinstance(raw, dt.date):
        return Date(type="date", value=raw)
    if not isinstance(raw, str):
        raise ShorthandError(f"cannot read a value from {type(raw).__name__}")
    return _from_text(raw, hint, like)


def _from_number(d: Decimal, hint: str | None, like: Any) -> Any:
    if hint == "percent":
        return Percent(type="percent", value=d)
    if hint == "money":
        if isinstance(like, Money):
            return Money(type="money", amount=d, currency=like.currency, qualifier=like.qualifier)
        raise ShorthandError(f"ambiguous amount {canonical_decimal(d)!r}: money needs a currency")
    unit = like.unit if isinstance(like, Number) else None
    return Number(type="number", value=d, unit=unit)


def _from_text(raw: str, hint: str | None, like: Any) -> Any:
    text = raw.strip()
    if text.startswith("\u2212") and hint not in ("choice", "text"):  # "−5%": the typeset minus sign
        text = "-" + text[1:]
    typed = _TYPED_PREFIX_RE.match(text)
    if typed:
        kind, rest = typed.group("type"), typed.group("rest").strip()
        if kind == "text":
            return Text(type="text", value=rest)
        if kind == "choice":
            return Choice(type="choice", value=rest)
        if kind == "none":
            if rest:
                raise ShorthandError("'none:' takes no value")
            return Absent(type="none")
        value = _from_text(rest, kind, like)
        if value.type != kind:
            raise ShorthandError(f"{rest!r} is not a {kind}")
        return value
    if hint == "text":
        return Text(type="text", value=raw)
    lowered = text.lower()
    if hint == "choice" and (lowered in ("none", "null") or lowered in _TRUE | _FALSE):
        return Choice(type="choice", value=text)  # an option may well be called "none" or "yes"
    if lowered in ("none", "null", "~"):
        return Absent(type="none")
    if lowered in _TRUE | _FALSE and hint in (None, "boolean"):
        return Boolean(type="boolean", value=lowered in _TRUE)
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        items = [i.strip().strip("'\"") for i in inner.split(",")] if inner else []
        if any(not i for i in items):
            raise ShorthandError(f"empty item in set {text!r}")
        return StringSet(type="set", items=items)
    if DATE_RE.match(text):
        try:
            return Date(type="date", value=dt.date.fromisoformat(text))
        except ValueError:
            raise ShorthandError(f"{text!r} is not a valid date") from None
    if LOOKS_LIKE_DATE_RE.match(text):
        raise ShorthandError(f"ambiguous date {text!r}: write dates as YYYY-MM-DD")
    m = _PERCENT_RE.match(text) if hint != "number" else None
    if m:
        try:
            return Percent(type="percent", value=parse_number_text(m.group("num")))
        except ShorthandError:
            raise
        except ValueError as exc:
            raise ShorthandError(_first_message(exc)) from None
    money = _parse_money(text, like.currency if isinstance(like, Money) else None)
    if money is not None:
        return money
    m = _NUMBER_UNIT_RE.match(text)
    if m:
        number = parse_number_text(m.group("num"))
        unit = m.group("unit")
        if unit is None:
            return _from_number(number, hint, like)
        if hint == "money":
            raise ShorthandError(f"cannot read {text!r} as money")
        return Number(type="number", value=number, unit=unit.strip())
    if hint not in ("choice", "text") and any(ch.isdecimal() and not ch.isascii() for ch in text) and _OTHER_DIGITS_RE.match(text):
        raise ShorthandError(f"{text!r} has digits other than 0-9: write numbers with 0-9 (or text:… for text)")
    if hint == "choice":
        return Choice(type="choice", value=text)
    if hint not in (None, "text"):
        raise ShorthandError(f"cannot read {text!r} as {hint}")
    return Text(type="text", value=raw)
