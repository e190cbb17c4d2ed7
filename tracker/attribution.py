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
from typing import Any, Callable, Mapping, Sequence

from tracker.canonical import canonical_json
from tracker.diff import Attribution, DiffResult, Step
from tracker.lineage import Lineage
from tracker.termsheet import Negotiation, PushedBy, Term
from tracker.values import Absent, Choice, Money, Number, Percent, value_json

ABSENT = "∅"


class Track:
    """One term key across the drafts of a negotiation: all that attribution reads of it.

    ``MappingTrack`` wraps terms already in memory; ``timeline.TimelineTrack`` reads them from
    a whole negotiation's manifests, with shortcuts for walks along long paths.
    """

    def token(self, draft: str) -> str:
        """A comparable token for the term's value in a draft (``ABSENT`` when not there)."""
        raise NotImplementedError

    def term(self, draft: str) -> Term | None:
        raise NotImplementedError

    def held(self, draft: str) -> bool:
        return self.term(draft) is not None

    def value(self, draft: str) -> Any:
        """The typed value in a draft; None when the draft does not hold the term."""
        term = self.term(draft) if draft else None
        return None if term is None else term.value

    def pushed_by(self, draft: str) -> PushedBy | None:
        term = self.term(draft)
        return None if term is None else term.pushed_by

    def runs(self, path: Sequence[str]) -> list[tuple[int, str]]:
        """(index, token) wherever the token along ``path`` may differ from the step before;
        index 0 always. Between two entries the token does not change."""
        out: list[tuple[int, str]] = []
        previous = None
        for i, d in enumerate(path):
            token = self.token(d)
            if token != previous:
                out.append((i, token))
                previous = token
        return out

    def holders(self, final: str) -> list[str]:
        """Every draft whose token is ``final``."""
        raise NotImplementedError

    def earliest(self, final: str, introduced: str, lineage: Lineage) -> str | None:
        """The first draft in reading order whose token is ``final`` among the drafts
        ``introduced`` could have taken it from (``Lineage.earlier_than``)."""
        earlier = lineage.earlier_than(introduced)
        found = [d for d in self.holders(final) if d in earlier]
        return lineage.order(found)[0] if found else None


    def earliest_absence(self, introduced: str, lineage: Lineage) -> str | None:
        """The first draft in reading order that proposed dropping the term (see
        ``_proposes``) among the drafts ``introduced`` could have taken that from."""
        proposals = [d for d in lineage.earlier_than(introduced) if _proposes(self, d, ABSENT, lineage)]
        return lineage.order(proposals)[0] if proposals else None


class MappingTrack(Track):
    def __init__(self, terms: Mapping[str, Term]):
        self.terms = terms
        self.tokens = {d: ABSENT if isinstance(t.value, Absent) else _token(t) for d, t in terms.items()}

    def token(self, draft: str) -> str:
        return self.tokens.get(draft, ABSENT)

    def term(self, draft: str) -> Term | None:
        return self.terms.get(draft)

    def holders(self, final: str) -> list[str]:
        return [d for d, token in self.tokens.items() if token == final]


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


def attribute(
    result: DiffResult,
    old_id: str,
    new_id: str,
    lineage: Lineage,
    tracks: Callable[[str], Track],
    negotiation: Negotiation,
) -> None:
    """Fill in ``change.attribution`` for every change of value in ``result``."""
    path = lineage.path(old_id, new_id) or [new_id]
    start = old_id if lineage.is_ancestor(old_id, new_id) else (lineage.common_ancestor(old_id, new_id) or old_id)
    for change in result.changes:
        if change.kind == "annotated":
            continue
        change.attribution = attribute_term(change.term, path, start, lineage, tracks(change.term), negotiation)


def attribute_term(
    key: str,
    path: Sequence[str],
    start: str,
    lineage: Lineage,
    track: Track,
    negotiation: Negotiation,
) -> Attribution:
    runs = track.runs(path)
    final = runs[-1][1]
    if final == ABSENT:  # only a draft where the term is absent can have proposed dropping it
        ends = [i for i, _ in runs[1:]] + [len(path)]
        absent = (path[j] for (i, token), end in zip(runs, ends) if token == ABSENT for j in range(i, end))
        introduced = next((d for d in absent if _proposes(track, d, final, lineage)), path[-1])
    else:  # the token only changes where a run starts
        introduced = next((path[i] for i, token in runs if token == final), path[-1])
    record = lineage.by_id[introduced]
    tabled = tuple(record.header.tabled_by)
    steps = _steps(path, start, lineage, track, runs)
    stance: dict[str, str] = {}
    if negotiation.preferences.get(key):
        i = path.index(introduced)
        previous = track.value(path[i - 1] if i > 0 else start)
        stance = _stance(negotiation, key, tabled, previous, track.value(introduced))

    pushed_by = track.pushed_by(introduced)
    if pushed_by is not None:
        return Attribution(
            pushed_by=tuple(pushed_by.parties), basis="explicit", introduced_in=introduced,
            evidence=pushed_by.evidence, steps=steps, stance=stance,
        )
    if final == ABSENT:
        first = track.earliest_absence(introduced, lineage)
    else:  # only a draft holding the value can have proposed it
        first = track.earliest(final, introduced, lineage)
    if first is not None:
        proposers = tuple(lineage.by_id[first].header.tabled_by)
        if not set(tabled) <= set(proposers):
            pushed = tuple(p for p in proposers if p in tabled) if len(tabled) > 1 else proposers
            pushed = pushed or proposers
            shown = track.value(first)
            what = "dropping the term" if final == ABSENT else f"the value {shown.short() if shown is not None else ''}".strip()
            evidence = f"{', '.join(pushed)} proposed {what} in {first} ({lineage.by_id[first].header.date.isoformat()})"
            return Attribution(
                pushed_by=pushed, basis="adopted", introduced_in=introduced, adopted_from=first,
                evidence=evidence, steps=steps, stance=stance,
            )
    return Attribution(pushed_by=tabled, basis="author", introduced_in=introduced, steps=steps, stance=stance)


def _proposes(track: Track, draft: str, final: str, lineage: Lineage) -> bool:
    """Whether ``draft`` put forward ``final``: holds the value, says ``none``, or dropped the
    term its parent held (a draft that merely never had the term proposes nothing)."""
    if track.token(draft) != final:
        return False
    if final != ABSENT:
        return True
    if track.held(draft):  # says "none" outright
        return True
    return any(track.token(p) != ABSENT for p in lineage.parents(draft))  # dropped it


def _steps(path: Sequence[str], start: str, lineage: Lineage, track: Track, runs: list[tuple[int, str]]) -> list[Step]:
    out = []
    current = track.token(start) if start else ABSENT
    for i, token in runs:
        if token != current:
            r = lineage.by_id[path[i]]
            out.append(Step(r.id, r.seq, r.header.date.isoformat(), tuple(r.header.tabled_by), track.value(r.id)))
            current = token
    return out


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
