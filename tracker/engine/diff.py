"""The diff: which terms were added, dropped, renamed or changed between two term sheets.

``compare`` is the engine. It skips every term whose stored hash is equal on both sides, so
its cost grows with the number of changed terms, not the size of the sheet; only the terms
that differ are compared in detail. ``Change`` and ``DiffResult`` are the one diff type every
renderer, report and history function sees. Who pushed each change is added by
``attribution.py``; this module knows nothing about parties.

Kinds of change:
    added / dropped   the key appears / disappears
    renamed           a key moved (``renamed_from``, or an identical value under a new key);
                      never reported as a drop plus an add. It may also change value.
    changed           the value changed
    annotated         the value is the same but its confidence, sources, label or notes changed
    unreported        the older draft states the term; the newer one does not (it is known only
                      from reports, and they say nothing of it): unknown, never "dropped"
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from tracker.model.canonical import term_hash
from tracker.model.values import (
    ABSENT,
    Boolean,
    Choice,
    Date,
    Money,
    Number,
    Percent,
    StringSet,
    Text,
    canonical_decimal,
    token_of,
)

KINDS = ("changed", "renamed", "dropped", "added", "annotated", "unreported")
# Parts of a term other than its value whose change is reported as such.
ANNOTATION_FIELDS = ("confidence", "sources", "reports", "label", "deferred", "notes", "pushed_by")


class Step:
    """One draft on the way from the old draft to the new one where the term's value moved.

    ``value`` (a typed value; ``none`` where the draft leaves the term out) is read when first
    looked at: attribution finds every term's steps, most answers show none of them."""

    __slots__ = ("draft", "seq", "date", "tabled_by", "_value", "_read")

    def __init__(self, draft: str, seq: int, date: str, tabled_by: tuple[str, ...], read: Callable[[], Any]):
        self.draft, self.seq, self.date, self.tabled_by = draft, seq, date, tabled_by
        self._read: Callable[[], Any] | None = read
        self._value: Any = None

    @property
    def value(self) -> Any:
        if self._read is not None:
            self._value, self._read = self._read(), None
        return self._value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.draft, self.seq, self.date, self.tabled_by, self.value) == (other.draft, other.seq, other.date, other.tabled_by, other.value)

    def __repr__(self) -> str:
        return f"Step({self.draft!r}, {self.seq}, {self.date!r}, {self.tabled_by!r}, {self.value!r})"


@dataclass
class Attribution:
    pushed_by: tuple[str, ...]
    basis: str  # explicit | adopted | author
    introduced_in: str
    adopted_from: str | None = None
    evidence: str | None = None
    # The drafts on the path where the value moved; None where the question did not ask (blame).
    steps: list[Step] | None = field(default_factory=list)
    # Each party that tabled ``introduced_in``: its move against its own previous position
    # (opening | concession | hardening | neutral); a party whose position did not move is left out.
    stance: dict[str, str] = field(default_factory=dict)


@dataclass
class Change:
    term: str  # the key in the newer draft (in the older one for a drop)
    kind: str
    old: Any  # Term or None
    new: Any  # Term or None
    old_term: str | None = None  # the previous key of a renamed term
    delta: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    attribution: Attribution | None = None
    # False where that side's term is only carried over from a parent (unconfirmed).
    old_stated: bool = True
    new_stated: bool = True
    carried_from: str | None = None  # the draft whose statement the newer draft carries over

    @property
    def value_changed(self) -> bool:
        return self.kind in ("added", "dropped", "changed") or (self.kind == "renamed" and bool(self.delta))

    @property
    def label(self) -> str | None:
        """The term's human name, as the newer draft (else the older) gives it."""
        for term in (self.new, self.old):
            if term is not None and term.label:
                return term.label
        return None

    @property
    def group(self) -> str:
        """The dotted group a term belongs to (``fund`` for ``fund.governance``), or ''."""
        return self.term.rpartition(".")[0]


@dataclass
class DiffResult:
    changes: list[Change]
    unchanged: int

    def summary(self) -> dict[str, int]:
        counts = {k: 0 for k in KINDS}
        for c in self.changes:
            counts[c.kind] += 1
        counts["unchanged"] = self.unchanged
        return counts

    def by_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def compare(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_hashes: Mapping[str, Any] | None = None,
    new_hashes: Mapping[str, Any] | None = None,
    renamed: Sequence[tuple[str, str]] = (),
    tokens: Callable[[str, Any], str] | None = None,
) -> DiffResult:
    """Compare two term sheets (key → Term). Hashes, when given, let equal terms be skipped
    without being looked at; ``old``/``new`` then need only hold the terms that differ.
    ``renamed`` pairs (old key, new key) known to be one term are paired first. ``tokens``:
    a term's value token (``values.token_of``) from its key and side ("old" or "new"), where
    the caller has them at hand."""
    if old_hashes is None:
        old_hashes = {k: term_hash(t.canonical()) for k, t in old.items()}
    if new_hashes is None:
        new_hashes = {k: term_hash(t.canonical()) for k, t in new.items()}
    unchanged = 0
    differing: list[str] = []
    for key, digest in new_hashes.items():
        if old_hashes.get(key) == digest:
            unchanged += 1
        elif key in old_hashes:
            differing.append(key)
    only_old = sorted(k for k in old_hashes if k not in new_hashes)
    only_new = sorted(k for k in new_hashes if k not in old_hashes)

    changes: list[Change] = []
    known = [(o, n) for o, n in renamed if o in only_old and n in only_new]
    paired_old, paired_new = {o for o, _ in known}, {n for _, n in known}
    free_old = [k for k in only_old if k not in paired_old]
    free_new = [k for k in only_new if k not in paired_new]
    token = tokens or (lambda key, side: _value_key((old if side == "old" else new)[key]))
    found = pair_renames(
        {k: token(k, "old") for k in free_old}, {k: token(k, "new") for k in free_new},
        {k: rf for k in free_new if (rf := new[k].renamed_from) is not None},
    )
    for old_key, new_key in known + found:
        only_old.remove(old_key)
        only_new.remove(new_key)
        change = _detailed(new_key, old[old_key], new[new_key], token(old_key, "old") != token(new_key, "new"), kind="renamed")
        change.old_term = old_key
        changes.append(change)
    for key in differing:
        change = _detailed(key, old[key], new[key], token(key, "old") != token(key, "new"))
        if change.kind == "annotated" and not change.annotations:
            # Only how the term came into its draft differs (``renamed_from``, which a later
            # draft does not carry over): what the two drafts say of it is the same.
            unchanged += 1
            continue
        changes.append(change)
    changes += [Change(term=k, kind="dropped", old=old[k], new=None) for k in only_old]
    changes += [Change(term=k, kind="added", old=None, new=new[k]) for k in only_new]
    changes.sort(key=lambda c: (KINDS.index(c.kind), c.term))
    return DiffResult(changes, unchanged)


def _value_key(term: Any) -> str:
    """What a term's value is compared by (``2 years`` and ``24 months`` are one value)."""
    return token_of(term.value)


# Values too common to identify a term by: yes/no and none are never matched by value alone.
_TOO_COMMON = ('{"type":"boolean"', '{"type":"none"', ABSENT)


def pair_renames(
    old_tokens: Mapping[str, str], new_tokens: Mapping[str, str], declared: Mapping[str, str], *, detect: bool = True
) -> list[tuple[str, str]]:
    """Which keys that left (``old_tokens``: key → value token) moved to which new keys.

    Declared renames (``declared``: new key → its ``renamed_from``) first; then, when
    ``detect``, an identical value under a new key, the most similar key name winning among
    several candidates. The one rename rule of the diff engine and of the negotiation view.
    """
    pairs: list[tuple[str, str]] = []
    free_old = set(old_tokens)
    for key in sorted(new_tokens):
        source = declared.get(key)
        if source in free_old:
            pairs.append((source, key))
            free_old.discard(source)
    if not detect:
        return pairs
    taken_new = {n for _, n in pairs}
    by_value: dict[str, list[str]] = {}
    for key in sorted(free_old):
        if not old_tokens[key].startswith(_TOO_COMMON):
            by_value.setdefault(old_tokens[key], []).append(key)
    for key in sorted(new_tokens):
        if key in taken_new or new_tokens[key].startswith(_TOO_COMMON):
            continue
        candidates = [k for k in by_value.get(new_tokens[key], []) if k in free_old]
        if not candidates:
            continue
        best = _most_similar(candidates, key)
        pairs.append((best, key))
        free_old.discard(best)
    return pairs


def _most_similar(candidates: list[str], key: str) -> str:
    """``max(candidates, key=lambda k: (SequenceMatcher(None, k, key).ratio(), k))``, faster.

    One matcher keeps ``key`` analysed, and a candidate whose cheap upper bound on the ratio
    is already below the best ratio so far cannot win (a tie still can: it is compared)."""
    matcher = difflib.SequenceMatcher(None, "", key)
    best, best_ratio = candidates[0], -1.0
    for k in candidates:
        matcher.set_seq1(k)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if (ratio, k) > (best_ratio, best):
            best, best_ratio = k, ratio
    return best


def _detailed(key: str, old: Any, new: Any, value_moved: bool, kind: str | None = None) -> Change:
    annotations = annotation_changes(old, new)
    if not value_moved and old.value != new.value:  # one value, written another way
        annotations = {"value": {"from": old.value.short(), "to": new.value.short()}, **annotations}
    if kind is None:
        kind = "changed" if value_moved else "annotated"
    return Change(
        term=key, kind=kind, old=old, new=new,
        delta=value_delta(old.value, new.value) if value_moved else {},
        annotations=annotations,
    )


def annotation_changes(old: Any, new: Any) -> dict[str, Any]:
    """What changed besides the value: confidence, sources (by id and quote), label, notes.

    Citations are compared by id and quote; deepdiff looks inside competing reports, with
    ``threshold_to_diff_deeper=0`` so a heavily changed list is itemised, not one blob.
    """
    out: dict[str, Any] = {}
    a, b = old.canonical(), new.canonical()
    for name in ANNOTATION_FIELDS:
        before, after = a.get(name), b.get(name)
        if before == after:
            continue
        if name == "sources":
            out[name] = _citation_delta(before or [], after or [])
        elif name == "reports":
            from deepdiff import DeepDiff

            dd = DeepDiff(before or [], after or [], ignore_order=True, threshold_to_diff_deeper=0)
            out[name] = {"changes": sorted(dd.affected_paths)}
        else:
            out[name] = {"from": before, "to": after}
    return out


def _citation_delta(before: list[dict], after: list[dict]) -> dict[str, Any]:
    old_ids = [c["source"] for c in before]
    new_ids = [c["source"] for c in after]
    delta: dict[str, Any] = {
        "added": sorted(set(new_ids) - set(old_ids)),
        "removed": sorted(set(old_ids) - set(new_ids)),
    }
    kept = sorted(set(old_ids) & set(new_ids))
    old_by, new_by = {c["source"]: c for c in before}, {c["source"]: c for c in after}
    # Citations are flat {source, quote} mappings: plain equality, no deepdiff (whose import
    # alone costs a quarter of a second per command).
    requoted = [s for s in kept if old_by[s] != new_by[s]]
    if requoted:
        delta["requoted"] = requoted
    return delta


def _ratio(new: Decimal, old: Decimal) -> str | None:
    if old == 0:
        return None
    return canonical_decimal((new / old).quantize(Decimal("0.0001")))


def value_delta(old: Any, new: Any) -> dict[str, Any]:
    """The typed difference between two values of a term."""
    if old.type != new.type:
        return {"type_changed": {"from": old.type, "to": new.type}}
    if isinstance(old, Money):
        delta: dict[str, Any] = {}
        if old.currency != new.currency:
            delta["currency_changed"] = {"from": old.currency, "to": new.currency}
        else:
            delta["difference"] = canonical_decimal(new.amount - old.amount)
            delta["currency"] = new.currency
            ratio = _ratio(new.amount, old.amount)
            if ratio is not None:
                delta["ratio"] = ratio
        if old.qualifier != new.qualifier:
            delta["qualifier"] = {"from": old.qualifier, "to": new.qualifier}
        return delta
    if isinstance(old, Percent):
        return {"points": canonical_decimal(new.value - old.value)}
    if isinstance(old, Number):
        if old.unit != new.unit:
            return {"unit_changed": {"from": old.unit, "to": new.unit}}
        delta = {"difference": canonical_decimal(new.value - old.value)}
        ratio = _ratio(new.value, old.value)
        if ratio is not None:
            delta["ratio"] = ratio
        return delta
    if isinstance(old, StringSet):
        return _set_delta(old.items, new.items)
    if isinstance(old, (Choice, Boolean)):
        return {"from": old.value, "to": new.value}
    if isinstance(old, Date):
        return {"days": (new.value - old.value).days}
    if isinstance(old, Text):
        return {"redline": redline(old.value, new.value)}
    return {}


def _set_delta(old: tuple[str, ...], new: tuple[str, ...]) -> dict[str, Any]:
    # Plain set arithmetic: a set's items have no identity to pair up, so "minerals" replaced
    # by "natural_resources" is one removal and one addition.
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new))}


BREAK = "\n"  # a paragraph break among a text's words (no word holds a line break)


def words(text: str) -> list[str]:
    """A text as words, ``BREAK`` between its paragraphs (blank lines are no paragraphs)."""
    out: list[str] = []
    for line in text.splitlines():
        found = line.split()
        if found:
            if out:
                out.append(BREAK)
            out += found
    return out


@lru_cache(maxsize=1024)
def word_edits(old: str, new: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The word-level edits from ``old`` to ``new``, as (``equal``|``delete``|``insert``, words);
    a replacement is its deletion, then its insertion. The one word diff: the JSON delta below
    and every redline a renderer draws (``render/redline.py``) are made of it, so a clause's is
    worked out once however many of them show it."""
    a, b = words(old), words(new)
    out: list[tuple[str, tuple[str, ...]]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", tuple(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("delete", tuple(a[i1:i2])))
        if j2 > j1:
            out.append(("insert", tuple(b[j1:j2])))
    return tuple(out)


def redline(old: str, new: str) -> list[dict[str, str]]:
    """Word-level edits: ``[{"op": "equal"|"delete"|"insert", "text": ...}, ...]``, the words
    of each joined by spaces and a paragraph break as a line break."""
    return [{"op": op, "text": _joined(ws)} for op, ws in word_edits(old, new)]


def _joined(ws: tuple[str, ...]) -> str:
    """Words joined by spaces, a paragraph break standing alone (no space either side)."""
    return " ".join(ws).replace(f" {BREAK}", BREAK).replace(f"{BREAK} ", BREAK)


def redline_text(ops: list[dict[str, str]]) -> str:
    """``[-old words-]{+new words+}`` as ``git diff --word-diff`` prints it."""
    parts = []
    for op in ops:
        if op["op"] == "equal":
            parts.append(op["text"])
        elif op["op"] == "delete":
            parts.append(f"[-{op['text']}-]")
        else:
            parts.append(f"{{+{op['text']}+}}")
    return " ".join(parts)
