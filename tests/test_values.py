"""Typed values: shorthand parsing, canonical JSON, and refusing ambiguous input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.model.shorthand import ShorthandError, parse_value
from tracker.model.values import format_money, value_from_json, value_json


@pytest.mark.parametrize(
    "shorthand, canonical",
    [
        ("50%", {"type": "percent", "value": "50"}),
        ("12.5 %", {"type": "percent", "value": "12.5"}),
        ("7 percent", {"type": "percent", "value": "7"}),
        ("$500B", {"type": "money", "amount": "500000000000", "currency": "USD"}),
        ("$100 billion", {"type": "money", "amount": "100000000000", "currency": "USD"}),
        ("USD 1.5bn", {"type": "money", "amount": "1500000000", "currency": "USD"}),
        ("€2.5 million", {"type": "money", "amount": "2500000", "currency": "EUR"}),
        ("£3m", {"type": "money", "amount": "3000000", "currency": "GBP"}),
        ("500 USD", {"type": "money", "amount": "500", "currency": "USD"}),
        ("$5,000,000", {"type": "money", "amount": "5000000", "currency": "USD"}),
        ("USD 5m", {"type": "money", "amount": "5000000", "currency": "USD"}),
        ("CHF 1,250.50", {"type": "money", "amount": "1250.5", "currency": "CHF"}),
        ("up to $500B", {"type": "money", "amount": "500000000000", "currency": "USD", "qualifier": "cap"}),
        ("at least €1m", {"type": "money", "amount": "1000000", "currency": "EUR", "qualifier": "floor"}),
        ("about $100B", {"type": "money", "amount": "100000000000", "currency": "USD", "qualifier": "approximate"}),
        ("45 days", {"type": "number", "value": "45", "unit": "days"}),
        ("3 seats", {"type": "number", "value": "3", "unit": "seats"}),
        ("10", {"type": "number", "value": "10"}),
        ("0.25", {"type": "number", "value": "0.25"}),
        ("true", {"type": "boolean", "value": True}),
        ("no", {"type": "boolean", "value": False}),
        ("[lithium, titanium]", {"type": "set", "items": ["lithium", "titanium"]}),
        ("[titanium, lithium, lithium]", {"type": "set", "items": ["lithium", "titanium"]}),
        ("[]", {"type": "set", "items": []}),
        ("2025-02-12", {"type": "date", "value": "2025-02-12"}),
        ("none", {"type": "none"}),
        ("joint management of the fund", {"type": "text", "value": "joint management of the fund"}),
        ("choice:excluded", {"type": "choice", "value": "excluded"}),
        ("text:50%", {"type": "text", "value": "50%"}),
        ("number:145 %", {"type": "number", "value": "145", "unit": "%"}),
    ],
)
def test_shorthand_parses_to_the_typed_canonical_form(shorthand, canonical):
    assert value_json(parse_value(shorthand)) == canonical


@pytest.mark.parametrize(
    "raw, canonical",
    [
        (True, {"type": "boolean", "value": True}),
        (None, {"type": "none"}),
        (12, {"type": "number", "value": "12"}),
        (Decimal("0.1"), {"type": "number", "value": "0.1"}),
        (["b", "a"], {"type": "set", "items": ["a", "b"]}),
        (dt.date(2025, 2, 25), {"type": "date", "value": "2025-02-25"}),
        ({"type": "money", "amount": "5000000.00", "currency": "USD"}, {"type": "money", "amount": "5000000", "currency": "USD"}),
    ],
)
def test_yaml_native_values_and_canonical_mappings_are_accepted(raw, canonical):
    assert value_json(parse_value(raw)) == canonical


@pytest.mark.parametrize(
    "shorthand, message",
    [
        ("1,5 million", "ambiguous amount '1,5 million': money needs a currency (e.g. $5M or EUR 5M)"),
        ("$1,5 million", "ambiguous number '1,5': a comma is read only as a thousands separator in groups of three (write 1.5 or 1,500)"),
        ("$5,00", "ambiguous number '5,00': a comma is read only as a thousands separator in groups of three (write 1.5 or 1,500)"),
        ("1.000.000", "ambiguous number '1.000.000': several dots (write 1000000 or 1,000,000)"),
        ("¥5m", "ambiguous currency symbol '¥' in '¥5m': it stands for JPY or CNY; write the ISO code (e.g. JPY 5m)"),
        ("kr 100", "ambiguous currency symbol 'kr' in 'kr 100': it stands for SEK, NOK, DKK or ISK; write the ISO code (e.g. JPY 5m)"),
        ("12/02/2025", "ambiguous date '12/02/2025': write dates as YYYY-MM-DD"),
        ("5M", "ambiguous amount '5M': money needs a currency (e.g. $5M or EUR 5M)"),
        ("XYZ 5m", "unknown currency 'XYZ' in 'XYZ 5m'"),
        ("150%", "a percentage share must be between 0 and 100, got 150 (for a rate use a number with unit '%')"),
        ("-5%", "a percentage share must be between 0 and 100, got -5 (for a rate use a number with unit '%')"),
        ("$1000000000000000000000", "number has 22 digits before the point; at most 18"),
        ("2025-02-30", "'2025-02-30' is not a valid date"),
        ("[a, , b]", "empty item in set '[a, , b]'"),
        ("number:lots", "cannot read 'lots' as number"),
    ],
)
def test_ambiguous_or_impossible_shorthand_is_an_error_not_a_guess(shorthand, message):
    with pytest.raises(ValueError) as exc:
        parse_value(shorthand)
    text = exc.value.errors()[0]["msg"].removeprefix("Value error, ") if hasattr(exc.value, "errors") else str(exc.value)
    assert text == message


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_nan_and_infinity_are_refused(raw):
    with pytest.raises(ValueError, match="finite"):
        parse_value(raw)


def test_hints_decide_bare_words_and_numbers():
    assert value_json(parse_value("excluded", hint="choice")) == {"type": "choice", "value": "excluded"}
    assert value_json(parse_value("absent", hint="choice")) == {"type": "choice", "value": "absent"}
    assert value_json(parse_value("40", hint="percent")) == {"type": "percent", "value": "40"}
    # A bare number keeps the unit or currency of the value it replaces.
    assert value_json(parse_value("60", like=parse_value("45 days"))) == {"type": "number", "value": "60", "unit": "days"}
    assert value_json(parse_value("600B", hint="money", like=parse_value("$500B"))) == {
        "type": "money", "amount": "600000000000", "currency": "USD",
    }
    # The value's own form wins over the hint.
    assert value_json(parse_value("50%", hint="money")) == {"type": "percent", "value": "50"}


def test_money_without_a_known_currency_cannot_come_from_a_bare_number():
    with pytest.raises(ShorthandError, match="money needs a currency"):
        parse_value("600", hint="money")


def test_equal_amounts_written_differently_are_equal_values():
    assert parse_value("$5 million") == parse_value("$5,000,000") == parse_value("USD 5m")
    assert parse_value("10%") != parse_value("10")


def test_unknown_canonical_currency_is_refused():
    with pytest.raises(ValueError, match="unknown currency 'ABC'"):
        value_from_json({"type": "money", "amount": "1", "currency": "ABC"})


@pytest.mark.parametrize(
    "amount, currency, text",
    [("500000000000", "USD", "$500 billion"), ("2500000", "EUR", "€2.5 million"), ("1250", "CHF", "CHF 1,250"), ("-1000000", "USD", "-$1 million")],
)
def test_money_is_shown_in_words(amount, currency, text):
    assert format_money(Decimal(amount), currency) == text


# --- properties --------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999"), places=2, allow_nan=False, allow_infinity=False)
shares = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)


@given(amounts, st.sampled_from(["USD", "EUR", "GBP", "CHF", "UAH", "JPY"]))
def test_money_canonical_json_round_trips(amount, currency):
    v = parse_value({"type": "money", "amount": str(amount), "currency": currency})
    assert value_from_json(value_json(v)) == v
    assert Decimal(value_json(v)["amount"]) == amount


@given(shares)
def test_percent_shorthand_round_trips_through_its_short_form(share):
    v = parse_value(f"{share}%")
    assert parse_value(v.short()) == v
    assert Decimal(value_json(v)["value"]) == share


@given(amounts, st.sampled_from(["USD", "EUR", "GBP"]))
def test_money_short_form_reads_back_as_the_same_amount(amount, currency):
    v = parse_value({"type": "money", "amount": str(amount), "currency": currency})
    assert parse_value(v.short()) == v


@given(st.text(max_size=40))
def test_any_text_either_parses_or_fails_with_a_value_error(text):
    try:
        v = parse_value(text)
    except ValueError:
        return
    assert value_from_json(value_json(v)) == v


# Values written many ways: every equality of values (diffs, attribution, positions, gaps) is
# an equality of their tokens, so the two must never disagree.
_units = st.sampled_from(["day", "days", "Days", "week", "weeks", "fortnight", "month", "months", "year", "years", "yr",
                          "hour", "hours", "minute", "min", "seats", "Seats", "tonnes"])
_written = st.one_of(
    st.builds(lambda n, u: f"{n} {u}", st.sampled_from(["1", "2", "7", "12", "14", "24", "60", "90", "0.5", "1.0"]), _units),
    st.builds(lambda n, c: f"{c} {n}", st.sampled_from(["5m", "5,000,000", "5000000.00", "1.5bn", "1,500,000,000"]), st.sampled_from(["USD", "EUR"])),
    st.sampled_from(["$5 million", "up to $5m", "about $5m", "at least $5m", "50%", "50.0%", "12.5%", "10", "10.0", "true", "no",
                     "[a, b]", "[b, a, a]", "[]", "2025-02-12", "choice:joint", "choice:Joint", "joint management", "text:50%", "none"]),
)


@given(a=_written, b=_written)
def test_two_values_are_the_same_exactly_when_their_tokens_are_equal(a, b):
    from tracker.model.quantities import same
    from tracker.model.values import token_of

    x, y = parse_value(a), parse_value(b)
    assert same(x, y) == (token_of(x) == token_of(y))
