"""Comparing typed values: when two are the same, which is more, and how far apart they are.

Positions, concession labels and gaps all compare values through this module, so they agree
on what can be compared. It never guesses: where two values cannot be compared (money in two
currencies, a cap against a floor, free text, a month against 30 days) the answer is None.

- Money, percentages and plain numbers compare by amount, money within one currency only.
- Durations (days, weeks, months, years; hours, minutes) convert within a family exactly
  (a week is 7 days, a year 12 months). Across days and months a month is 28 to 31 days and a
  year 365 or 366, so an order is given only when it holds for every month and year length;
  a distance across them counts a year as 365 days and a month as a twelfth of that.
- Dates compare by day; sets by inclusion (a superset is "more") and by how many items differ;
  choices and yes/no by a declared ranking; text only by equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from tracker.model.values import (
    DURATIONS,
    Absent,
    Boolean,
    Choice,
    Date,
    Money,
    Number,
    Percent,
    StringSet,
    Text,
    canonical_decimal,
    format_money,
    unit_name,
    unit_text,
)

# Across days and months: the shortest and longest month, in days.
_MONTH_DAYS = (Decimal(28), Decimal(31))
_YEAR_DAYS = Decimal(365)


def _duration(value: Number) -> tuple[str, Decimal] | None:
    """(family, amount in the family's base unit) of a duration."""
    name = unit_name(value.unit) if value.unit else None
    if name is None:
        return None
    family, size = DURATIONS[name]
    return family, value.value * size


def _days_range(family: str, amount: Decimal) -> tuple[Decimal, Decimal]:
    if family == "days":
        return amount, amount
    low, high = _MONTH_DAYS
    return amount * low, amount * high


def _numeric(a: Any, b: Any) -> tuple[Decimal, Decimal, str] | None:
    """Both values as exact numbers in one unit, with the unit's name, when that is exact."""
    if isinstance(a, Money) and isinstance(b, Money):
        if a.currency != b.currency or {a.qualifier, b.qualifier} == {"cap", "floor"}:
            return None
        if a.amount == b.amount and a.qualifier != b.qualifier:
            return None  # "up to $5M" against "$5M": not the same, and neither is more
        return a.amount, b.amount, a.currency
    if isinstance(a, Percent) and isinstance(b, Percent):
        return a.value, b.value, "pp"
    if isinstance(a, Number) and isinstance(b, Number):
        if a.unit == b.unit:
            return a.value, b.value, a.unit or ""
        da, db = _duration(a), _duration(b)
        if da and db and da[0] == db[0]:
            return da[1], db[1], da[0]
        return None
    if isinstance(a, Date) and isinstance(b, Date):
        return Decimal(a.value.toordinal()), Decimal(b.value.toordinal()), "days"
    return None


def difference(old: Number, new: Number) -> tuple[Decimal, str | None] | None:
    """``new - old`` in one unit (durations converted exactly within a family, e.g. months),
    with that unit; None when the two are not exactly comparable (days against months)."""
    exact = _numeric(old, new)
    if exact is None:
        return None
    a, b, unit = exact
    return b - a, unit or None


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


def order(a: Any, b: Any) -> int | None:
    """-1 if ``a`` is less than ``b``, 1 if more, 0 if the same; None when it cannot be said.

    Sets are ordered by inclusion (a proper superset is more), yes/no and choices not at all.
    """
    if same(a, b):
        return 0
    exact = _numeric(a, b)
    if exact is not None:
        return _sign(exact[0] - exact[1])
    if isinstance(a, Number) and isinstance(b, Number):
        da, db = _duration(a), _duration(b)
        if da and db:  # days against months: only if it holds for every month length
            (la, ha), (lb, hb) = _days_range(*da), _days_range(*db)
            if ha < lb:
                return -1
            if la > hb:
                return 1
        return None
    if isinstance(a, StringSet) and isinstance(b, StringSet):
        sa, sb = set(a.items), set(b.items)
        return -1 if sa < sb else 1 if sa > sb else None
    return None


def same(a: Any, b: Any) -> bool:
    """Typed equality: ``$5 million`` is ``USD 5m``, ``1 year`` is ``12 months``; ``10%`` is
    not the number 10."""
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    if isinstance(a, Number) and isinstance(b, Number):
        da, db = _duration(a), _duration(b)
        return bool(da and db and da == db)
    return False


@dataclass(frozen=True)
class Distance:
    """How far apart two values are, in the term's own unit."""

    kind: str  # money | percent | number | duration | date | rank | items | differs
    amount: Decimal
    unit: str | None = None  # currency, unit, or (rank) the party whose ranking was used
    steps: int | None = None  # rank: how many steps that ranking has
    approximate: bool = False  # a duration across days and months

    def text(self) -> str:
        n = canonical_decimal(self.amount)
        if self.kind == "money":
            return format_money(self.amount, self.unit or "")
        if self.kind == "percent":
            return f"{n} pp"
        if self.kind == "rank":
            return f"{n} rank{'' if self.amount == 1 else 's'} apart (of {self.steps}, {self.unit}'s ranking)"
        if self.kind == "items":
            return f"{n} item{'' if self.amount == 1 else 's'} differ{'s' if self.amount == 1 else ''}"
        if self.kind == "differs":
            return "opposite" if self.unit == "yes/no" else "different"
        if self.kind == "duration":
            text = unit_text(self.amount, {"days": "day", "months": "month", "minutes": "minute"}.get(self.unit or "", self.unit))
            return ("about " if self.approximate else "") + text
        if self.kind == "date":
            return unit_text(self.amount, "day")
        return unit_text(self.amount, self.unit)


def _month_family_to_days(amount: Decimal) -> Decimal:
    return _nominal_days("months", amount).quantize(Decimal(1))


def distance(a: Any, b: Any, rankings: Sequence[Sequence[str]] = (), ranked_by: Sequence[str] = ()) -> Distance | None:
    """The distance between two values, or None when there is none to give.

    ``rankings`` are declared rankings of a choice (or yes/no) term, best first, with the
    parties that declared them in ``ranked_by``: the first that ranks both values is used.
    """
    if a is None or b is None or isinstance(a, Absent) or isinstance(b, Absent):
        return None
    if same(a, b):
        return None
    exact = _numeric(a, b)
    if exact is not None:
        x, y, unit = exact
        gap = abs(x - y)
        if isinstance(a, Money):
            return Distance("money", gap, unit)
        if isinstance(a, Percent):
            return Distance("percent", gap)
        if isinstance(a, Date):
            return Distance("date", gap)
        if unit in ("days", "months", "minutes") and _duration(a):
            if unit == "months" and gap % 12 == 0 and {unit_name(a.unit or ""), unit_name(b.unit or "")} == {"year"}:
                return Distance("number", gap / 12, "years")
            return Distance("duration", gap, unit)
        return Distance("number", gap, unit or None)
    if isinstance(a, Number) and isinstance(b, Number):
        da, db = _duration(a), _duration(b)
        if da and db and {da[0], db[0]} == {"days", "months"}:
            days = [amount if family == "days" else _month_family_to_days(amount) for family, amount in (da, db)]
            whole_years = all(family == "days" or unit_name(v.unit or "") == "year" for (family, _), v in zip((da, db), (a, b)))
            return Distance("duration", abs(days[0] - days[1]), "days", approximate=not whole_years)
        return None
    if isinstance(a, StringSet) and isinstance(b, StringSet):
        return Distance("items", Decimal(len(set(a.items) ^ set(b.items))))
    if isinstance(a, Boolean) and isinstance(b, Boolean):
        return Distance("differs", Decimal(1), "yes/no")
    if isinstance(a, Choice) and isinstance(b, Choice):
        wa, wb = ranked_word(a), ranked_word(b)
        for party, ranking in zip(ranked_by, rankings):
            if wa in ranking and wb in ranking:
                return Distance("rank", Decimal(abs(list(ranking).index(wa) - list(ranking).index(wb))), party, len(ranking) - 1)
        return Distance("differs", Decimal(1))
    if type(a) is type(b):
        return Distance("differs", Decimal(1))
    return None


def closeness(a: Any, b: Any, rankings: Sequence[Sequence[str]] = ()) -> Decimal | None:
    """A comparable measure of how far ``a`` is from ``b`` (0 when the same), for telling
    whether a move brought a party closer to another; None when it cannot be measured.

    Free text and values of different types measure only as the same or not (0 or None).
    """
    if same(a, b):
        return Decimal(0)
    if isinstance(a, Number) and isinstance(b, Number) and (da := _duration(a)) and (db := _duration(b)) and da[0] != "minutes":
        if db[0] == "minutes":
            return None
        return abs(_nominal_days(*da) - _nominal_days(*db))  # one unit for every pair compared
    d = distance(a, b, rankings, [""] * len(rankings))
    if d is None:
        return None
    if d.kind == "differs" and isinstance(a, Text):
        return None  # changed wording: not measurably closer or farther
    return d.amount


def _nominal_days(family: str, amount: Decimal) -> Decimal:
    return amount if family == "days" else amount * _YEAR_DAYS / 12


def ranked_word(value: Any) -> str:
    """The word a ranking names a choice or yes/no value by."""
    if isinstance(value, Boolean):
        return "yes" if value.value else "no"
    return value.value


def toward(old: Any, new: Any, preference: Any) -> int | None:
    """+1 if moving from ``old`` to ``new`` gets a party more of what ``preference`` wants,
    -1 if less, 0 if neither; None when the two cannot be compared."""
    if isinstance(preference, (tuple, list)):
        if not (isinstance(old, (Choice, Boolean)) and type(old) is type(new)):
            return None
        wa, wb = ranked_word(old), ranked_word(new)
        if wa not in preference or wb not in preference:
            return None
        before, after = list(preference).index(wa), list(preference).index(wb)
        return (before > after) - (before < after)
    o = order(new, old)
    if o is None:
        return None
    return o if preference == "higher" else -o


# --- what a declaration can apply to ---------------------------------------------------------

_TYPE_NAMES = {"money": "an amount of money", "percent": "a percentage", "number": "a number", "boolean": "a yes/no term",
               "choice": "a choice", "set": "a set", "text": "a text", "date": "a date"}


def preference_problem(value: Any, preference: Any, party: str) -> str | None:
    """Why ``party``'s ``preference`` cannot apply to a term holding ``value`` (None if it can)."""
    if isinstance(value, Absent):
        return None
    kind = _TYPE_NAMES.get(value.type, value.type)
    if isinstance(value, Text):
        return "a text term has no direction or ranking: no preference can be declared for it"
    if isinstance(preference, str):
        if isinstance(value, Boolean):
            return f"{preference!r} does not apply to a yes/no term; rank its values instead, e.g. [yes, no]"
        if isinstance(value, Choice):
            return f"{preference!r} does not apply to a choice; rank its options instead, best first"
        return None
    if isinstance(value, Boolean):
        if sorted(preference) != ["no", "yes"]:
            return f"a yes/no term is ranked [yes, no] or [no, yes], not [{', '.join(preference)}]"
        return None
    if isinstance(value, Choice):
        if value.value not in preference:
            return f"{value.value!r} is not among the options ranked for {party}: {', '.join(preference)}"
        return None
    return f"a ranking applies to a choice or a yes/no term; for {kind} use higher or lower"


def default_problem(value: Any, default: Any) -> str | None:
    """Why ``default`` cannot stand in for an absent term that elsewhere holds ``value``."""
    if isinstance(value, Absent) or default is None:
        return None
    if value.type != default.type:
        return f"the default {default.short()} is {_TYPE_NAMES.get(default.type)}, but the term holds {_TYPE_NAMES.get(value.type)}"
    if isinstance(value, Money) and value.currency != default.currency:
        return f"the default {default.short()} is in {default.currency}, but the term is in {value.currency}"
    if isinstance(value, Number) and order(value, default) is None and not same(value, default):
        return f"the default {default.short()} cannot be compared with {value.short()} (different units)"
    return None
