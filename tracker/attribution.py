"""Who pushed each change, and how we know — computed from the recorded lineage alone.

For a change between an older and a newer draft, the draft that *introduced* it is the first
draft on the path between them (the newer one included) that holds the final value. Its basis:

1. ``explicit``: that draft's term says who pushed it (``pushed_by``, with evidence);
2. ``adopted``: the value (or the term's absence) was first proposed earlier — in an ancestor,
   or in any draft dated before — by another party: that party pushed it, the tabling party
   conceded it. The earliest proposal is credited, so a value passed back and forth keeps
   its originator. In a joint draft, the party that proposed the value earlier pushed it;
3. ``author``: otherwise the party or parties that tabled the introducing draft.

Values are compared as typed values (``$5 million`` equals ``USD 5m``; ``10%`` is not the
number 10). A term missing from a draft and a term explicitly ``none`` both mean "absent";
a draft counts as proposing absence only when it dropped a term its parent held, or says
``none`` outright. With declared preferences each change is labelled, for every party that
tabled the introducing draft, ``concession``, ``hardening`` or ``neutral``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from tracker.canonical import canonical_json
from tracker.diff import Attribution, Change, DiffResult, Step
from tracker.lineage import Lineage
from tracker.termsheet import Negotiation, Term
from tracker.values import Absent, Choice, Money, Number, Percent, value_json

ABSENT = "∅"

States = Mapping[str, Mapping[str, Term]]  # key → draft id → term


def state(states: States, key: str, draft: str) -> str:
    """A comparable token for the term's value in a draft (``ABSENT`` when not there)."""
    term = states.get(key, {}).get(draft)
    if term is None or isinstance(term.value, Absent):
        return ABSENT
    return _token(term)


# Attribution compares the same few terms across every draft many times over; their tokens
# are cached by object (the entry keeps the term alive, so an id is never reused meanwhile).
_TOKENS: dict[int, tuple[Term, str]] = {}


def _token(term: Term) -> str:
    hit = _TOKENS.get(id(term))
    if hit is not None and hit[0] is term:
        return hit[1]
    if len(_TOKENS) > 200_000:
        _TOKENS.clear()
    token = canonical_json(value_json(term.value))
    _TOKENS[id(term)] = (term, token)
    return token


def value_in(states: States, key: str, draft: str) -> Any:
    term = states.get(key, {}).get(draft)
    return None if term is None else term.value


def attribute(
    result: DiffResult,
    old_id: str,
    new_id: str,
    lineage: Lineage,
    states: States,
    negotiation: Negotiation,
) -> None:
    """Fill in ``change.attribution`` for every change of value in ``result``."""
    path = lineage.path(old_id, new_id) or [new_id]
    start = old_id if lineage.is_ancestor(old_id, new_id) else (lineage.common_ancestor(old_id, new_id) or old_id)
    for change in result.changes:
        if change.kind == "annotated":
            continue
        change.attribution = attribute_term(change.term, path, start, lineage, states, negotiation)


def attribute_term(
    key: str,
    path: list[str],
    start: str,
    lineage: Lineage,
    states: States,
    negotiation: Negotiation,
) -> Attribution:
    # The key's token in every draft holding it, once: blame asks this for thousands of keys
    # along paths of hundreds of drafts.
    tokens = _tokens(states, key)
    final = tokens.get(path[-1], ABSENT)
    holds = (lambda d: _proposes(states, key, d, final, lineage)) if final == ABSENT else (lambda d: tokens.get(d, ABSENT) == final)
    # Diffing backwards (the newer draft is an ancestor), nothing on the path introduced the
    # value: the newer draft itself is credited.
    introduced = next((d for d in path if holds(d)), path[-1])
    record = lineage.by_id[introduced]
    tabled = tuple(record.header.tabled_by)
    steps = _steps(key, path, start, lineage, states, tokens)
    previous = _previous_value(key, introduced, path, start, states)
    stance = _stance(negotiation, key, tabled, previous, value_in(states, key, introduced))

    term = states.get(key, {}).get(introduced)
    if term is not None and term.pushed_by is not None:
        return Attribution(
            pushed_by=tuple(term.pushed_by.parties), basis="explicit", introduced_in=introduced,
            evidence=term.pushed_by.evidence, steps=steps, stance=stance,
        )
    earlier = lineage.earlier_than(introduced)
    if final == ABSENT:
        proposals = [d for d in earlier if _proposes(states, key, d, final, lineage)]
    else:  # only a draft holding the value can have proposed it
        proposals = [d for d, token in tokens.items() if token == final and d in earlier]
    if proposals:
        first = lineage.order(proposals)[0]
        proposers = tuple(lineage.by_id[first].header.tabled_by)
        if not set(tabled) <= set(proposers):
            pushed = tuple(p for p in proposers if p in tabled) if len(tabled) > 1 else proposers
            pushed = pushed or proposers
            shown = value_in(states, key, first)
            what = "dropping the term" if final == ABSENT else f"the value {shown.short() if shown is not None else ''}".strip()
            evidence = f"{', '.join(pushed)} proposed {what} in {first} ({lineage.by_id[first].header.date.isoformat()})"
            return Attribution(
                pushed_by=pushed, basis="adopted", introduced_in=introduced, adopted_from=first,
                evidence=evidence, steps=steps, stance=stance,
            )
    return Attribution(pushed_by=tabled, basis="author", introduced_in=introduced, steps=steps, stance=stance)


def _proposes(states: States, key: str, draft: str, final: str, lineage: Lineage) -> bool:
    """Whether ``draft`` put forward ``final``: holds the value, says ``none``, or dropped the
    term its parent held (a draft that merely never had the term proposes nothing)."""
    if state(states, key, draft) != final:
        return False
    if final != ABSENT:
        return True
    if draft in states.get(key, {}):  # says "none" outright
        return True
    return any(state(states, key, p) != ABSENT for p in lineage.parents(draft))  # dropped it


def _tokens(states: States, key: str) -> dict[str, str]:
    """``state`` of the key in every draft that holds it (the others: ``ABSENT``)."""
    return {d: ABSENT if isinstance(t.value, Absent) else _token(t) for d, t in states.get(key, {}).items()}


def _steps(key: str, path: list[str], start: str, lineage: Lineage, states: States, tokens: Mapping[str, str]) -> list[Step]:
    out = []
    current = tokens.get(start, ABSENT)
    for d in path:
        s = tokens.get(d, ABSENT)
        if s != current:
            r = lineage.by_id[d]
            out.append(Step(d, r.seq, r.header.date.isoformat(), tuple(r.header.tabled_by), value_in(states, key, d)))
            current = s
    return out


def _previous_value(key: str, introduced: str, path: list[str], start: str, states: States) -> Any:
    """The value just before the introducing draft on the path (the start's, for the first)."""
    i = path.index(introduced)
    return value_in(states, key, path[i - 1] if i > 0 else start)


# --- preferences -----------------------------------------------------------------------------


def _magnitude(value: Any, like: Any) -> Decimal | None:
    """A number to compare on, treating an absent term as zero next to a numeric one."""
    if value is None or isinstance(value, Absent):
        return Decimal(0) if isinstance(like, (Money, Percent, Number)) else None
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, (Percent, Number)):
        return value.value
    return None


def movement(old: Any, new: Any, preference: Any) -> int | None:
    """+1 if the change moves toward what ``preference`` wants, -1 if away, 0 if neither."""
    if isinstance(preference, list):
        if not (isinstance(old, Choice) and isinstance(new, Choice)):
            return None
        if old.value not in preference or new.value not in preference:
            return None
        before, after = preference.index(old.value), preference.index(new.value)
        return (before > after) - (before < after)
    if isinstance(old, Money) and isinstance(new, Money) and old.currency != new.currency:
        return None
    a, b = _magnitude(old, new), _magnitude(new, old)
    if a is None or b is None:
        return None
    sign = (b > a) - (b < a)
    return sign if preference == "higher" else -sign


def _stance(negotiation: Negotiation, key: str, tabled: tuple[str, ...], old: Any, new: Any) -> dict[str, str]:
    prefs = negotiation.preferences.get(key)
    if not prefs:
        return {}
    labels: dict[str, str] = {}
    for party in tabled:
        if party in prefs:
            m = movement(old, new, prefs[party])
            sign = m
        else:
            others = [movement(old, new, pref) for q, pref in prefs.items() if q != party]
            known = [m for m in others if m is not None]
            sign = -known[0] if known else None
        if sign is None:
            continue
        labels[party] = "hardening" if sign > 0 else "concession" if sign < 0 else "neutral"
    return labels
