"""Which clause of a new document is which clause of the draft it answers.

A new version of a text renumbers, retitles, moves, splits and merges clauses. Its clauses are
matched with the parent draft's text terms in this order, each step taking only what the
steps before it left:

1. ``--rename OLD=NEW`` given by the user: that pairing, whatever the texts say.
2. The same key, for a clause keyed by its heading (or the preamble, the recitals, a schedule,
   a table) under headings all the way up: the same heading in the same place is the same
   clause, whatever its text now says. (Under a clause keyed by its number, ``s3.scope``, the
   same key may be another clause renumbered: it waits for step 5.)
3. The same or nearly the same text: ``fuzz.ratio`` (rapidfuzz's normalised Indel similarity,
   0–100, on text with case and spacing folded) of at least ``RENAME_RATIO``. A clause under a
   new heading or number whose text a clause that is gone had is that clause renamed.
4. The same heading, moved under another parent: the last part of the key equal on both sides
   and found once on each, with texts at least ``MOVED_RATIO`` alike.
5. The same number, for a clause keyed by its number (``s3_1``): what now sits at 3.1 is the
   clause at 3.1 rewritten, when no text anywhere matched better.

What is left is added (new) or dropped (gone; in a partial draft, not stated). A split — one
parent clause whose text now lies in two or more clauses — and a merge (the reverse) are
reported beside that: each piece scores at least ``PIECE_RATIO`` in ``fuzz.partial_ratio``
(the best-aligned window of the longer text: a piece scores about 100 in the text it came
from), the pieces cover at least ``COVERED`` of the whole, and at least one of them is added
(a split) or dropped (a merge) — a clause kept beside an unrelated one is no split.

A clause matched with one of the parent's takes its new key only where that makes a clean
rename; where its new key is one the parent holds, it keeps its old one (``_recorded_keys``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from rapidfuzz import fuzz

from tracker.input.documents import Clause

# Measured on contract clauses: a figure or a few words edited in a sentence scores 90–95;
# two different clauses of the same boilerplate shape ("The Buyer shall pay … within thirty
# days", "The Seller shall deliver … within thirty days") about 75; unrelated clauses 35–55.
# 85 keeps the edits and leaves the look-alikes apart.
RENAME_RATIO = 85
# A moved clause keeps its heading, which already says much: its text need only be more alike
# than unrelated clauses are (so that "General" dropped here and a new "General" there are not
# taken for one clause).
MOVED_RATIO = 60
# A piece of a split or merge is found nearly verbatim in the whole (minor edits score 90–99);
# unrelated text scores under 70 even in its best window.
PIECE_RATIO = 90
MIN_PIECE = 20  # characters: a shorter text is found nearly anywhere
COVERED = 0.6  # of the whole's length: two phrases quoted out of a long clause are no split
# Comparing every clause left with every one gone is exact but quadratic: beyond this many pairs
# (a third of a second), only texts sharing words are compared.
EXHAUSTIVE = 250_000
# Texts are compared when one holds at least this share of the other's word trigrams: a piece
# found 90% verbatim in a whole keeps most of them, and so does a clause 85% alike unless
# nearly every phrase of it was reworded; unrelated clauses share a few percent.
SHARED = 0.25


@dataclass
class Alignment:
    """What aligning a document with its parent draft did. ``keys``: each clause's key as the
    splitter named it → the key it is recorded under."""

    parent: str | None
    clauses: list[Clause]
    keys: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # kept, moved or renamed clauses whose text changed
    moved: list[str] = field(default_factory=list)  # kept their key in a new place (their label says where)
    renames: list[tuple[str, str]] = field(default_factory=list)  # (old key, new key)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    unstated: list[str] = field(default_factory=list)  # a partial draft's: not in this document, unknown
    splits: list[tuple[str, list[str]]] = field(default_factory=list)
    merges: list[tuple[list[str], str]] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _leaf(key: str) -> str:
    return key.rpartition(".")[2]


def align(parent: Mapping[str, str], clauses: Sequence[Clause], *, forced: Mapping[str, str] | None = None,
          partial: bool = False, parent_id: str | None = None, taken: Iterable[str] = (),
          labels: Mapping[str, str | None] | None = None) -> Alignment:
    """Align ``clauses`` with ``parent`` (its text terms: key → text). ``forced``: old → new
    pairings the user gave; ``taken``: the parent's other keys, which no clause may take;
    ``labels``: the parent's labels, to tell a clause that kept its key in a new place."""
    old_text = {k: _norm(t) for k, t in parent.items()}
    new_text = {c.key: _norm(c.text) for c in clauses}
    match: dict[str, str] = {}  # new key → old key
    free_old = dict.fromkeys(parent)  # insertion-ordered set: the parent's order breaks ties

    def pair(new: str, old: str) -> None:
        match[new] = old
        free_old.pop(old, None)

    for old, new in (forced or {}).items():
        pair(new, old)
    for c in clauses:
        if c.key not in match and not c.by_number and not c.under_number and c.key in free_old:
            pair(c.key, c.key)
    _pair_same_text(match, free_old, clauses, old_text, new_text, pair)
    _pair_best(match, free_old, clauses, old_text, new_text, pair)
    _pair_moved(match, free_old, clauses, old_text, new_text, pair)
    for c in clauses:
        if c.key not in match and c.key in free_old:
            pair(c.key, c.key)

    out = Alignment(parent_id, list(clauses))
    out.keys = _recorded_keys(clauses, match, {*parent, *taken}, forced or {})
    for c in clauses:
        old, key = match.get(c.key), out.keys[c.key]
        if old is None:
            out.added.append(key)
            continue
        if parent[old] != c.text:
            out.changed.add(key)
        if key != old:
            out.renames.append((old, key))
        elif c.key != old and (labels or {}).get(old) != c.label:
            out.moved.append(key)
        else:
            out.kept.append(key)
    gone = [k for k in parent if k in free_old]
    (out.unstated if partial else out.dropped).extend(gone)
    splits, merges = _pieces(match, clauses, parent, gone, [c.key for c in clauses if c.key not in match], old_text, new_text)
    out.splits = [(old, [out.keys[k] for k in news]) for old, news in splits]
    out.merges = [(olds, out.keys[new]) for olds, new in merges]
    return out


def _recorded_keys(clauses: Sequence[Clause], match: Mapping[str, str], held: set[str], forced: Mapping[str, str]) -> dict[str, str]:
    """The key each clause is recorded under. A key another term of the parent holds, or one
    that stays in the document, is one term's in both drafts: the diff, the history and every
    position read it so. A matched clause therefore takes its new key only when that key is new
    and its old key leaves the document (a clean rename); otherwise it keeps its old key, and its
    label shows its new number (renumbered clauses known by their numbers: 3.2 is now 3.3, and a
    new 3.2 was inserted). Clauses under a clause that kept its key follow it. A new clause whose
    key is held takes the next free ``_2``, ``_3``."""
    natural = {c.key for c in clauses}
    final: dict[str, str] = {}
    used: set[str] = set()

    def under_final_parents(key: str) -> str:
        parts = key.split(".")
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i])
            if final.get(prefix, prefix) != prefix:
                return f"{final[prefix]}.{'.'.join(parts[i:])}"
        return key

    for c in clauses:
        key, old = under_final_parents(c.key), match.get(c.key)
        if old is not None:
            clean = old in forced or (key not in held and old not in natural and key not in used)
            key = key if key == old or clean else old
        elif key in held or key in used:
            n = 2
            while f"{key}_{n}" in held or f"{key}_{n}" in used or f"{key}_{n}" in natural:
                n += 1
            key = f"{key}_{n}"
        final[c.key] = key
        used.add(key)
    return final


def _pair_same_text(match, free_old, clauses, old_text, new_text, pair) -> None:  # type: ignore[no-untyped-def]
    """Step 3's sure case, found by lookup rather than by comparing every pair: the very same
    text (under the same key first, then in document order)."""
    for c in clauses:
        if c.key not in match and c.key in free_old and new_text[c.key] and new_text[c.key] == old_text[c.key]:
            pair(c.key, c.key)
    by_text: dict[str, list[str]] = {}
    for old in free_old:
        if old_text[old]:
            by_text.setdefault(old_text[old], []).append(old)
    for c in clauses:
        olds = [old for old in by_text.get(new_text[c.key], ()) if old in free_old] if c.key not in match else []
        if olds:
            pair(c.key, olds[0])


def _pair_best(match, free_old, clauses, old_text, new_text, pair) -> None:  # type: ignore[no-untyped-def]
    """Step 3: the most alike pairs first (the same key first among equals, then document order)."""
    olds = [old for old in free_old if old_text[old]]
    news = [(i, c.key) for i, c in enumerate(clauses) if c.key not in match and new_text[c.key]]
    index = _Index({old: old_text[old] for old in olds}) if len(olds) * len(news) > EXHAUSTIVE else None
    order = {k: i for i, k in enumerate(olds)}
    candidates = []
    for i, new in news:
        pool = olds if index is None else sorted(index.sharing(new_text[new]), key=order.__getitem__)
        for old in pool:
            score = fuzz.ratio(new_text[new], old_text[old], score_cutoff=RENAME_RATIO)
            if score:
                candidates.append((-score, old != new, i, order[old], new, old))
    for *_, new, old in sorted(candidates):
        if new not in match and old in free_old:
            pair(new, old)


def _pair_moved(match, free_old, clauses, old_text, new_text, pair) -> None:  # type: ignore[no-untyped-def]
    """Step 4: a heading found once among the clauses left on each side, in another place."""
    new_leaves: dict[str, list[str]] = {}
    for c in clauses:
        if c.key not in match and not c.by_number and c.heading:
            new_leaves.setdefault(_leaf(c.key), []).append(c.key)
    old_leaves: dict[str, list[str]] = {}
    for old in free_old:
        old_leaves.setdefault(_leaf(old), []).append(old)
    for leaf, news in new_leaves.items():
        olds = old_leaves.get(leaf, [])
        if len(news) == 1 and len(olds) == 1 and fuzz.ratio(new_text[news[0]], old_text[olds[0]]) >= MOVED_RATIO:
            pair(news[0], olds[0])


def _piece(part: str, whole: str) -> bool:
    return MIN_PIECE <= len(part) < len(whole) and fuzz.partial_ratio(part, whole, score_cutoff=PIECE_RATIO) > 0


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))} if words else set()


class _Index:
    """Which texts hold which word trigrams: the texts worth comparing with one, found without
    comparing it with all of them."""

    def __init__(self, texts: Mapping[str, str]):
        self.postings: dict[tuple[str, ...], list[str]] = {}
        for key, text in texts.items():
            for gram in _trigrams(text):
                self.postings.setdefault(gram, []).append(key)

    def sharing(self, text: str) -> set[str]:
        """The texts that hold at least ``SHARED`` of ``text``'s trigrams."""
        grams = _trigrams(text)
        hits = Counter(key for gram in grams for key in self.postings.get(gram, ()))
        return {key for key, n in hits.items() if n >= SHARED * len(grams)}


def _pieces(match, clauses, parent, gone, added, old_text, new_text):  # type: ignore[no-untyped-def]
    """The splits and merges among the clauses: what can be told of them (see the module's note).
    A split is a parent clause found in pieces among the new ones, a merge the same the other
    way round: one routine (``_found_in``) for both."""
    inverse = {old: new for new, old in match.items()}
    doc_order = {c.key: i for i, c in enumerate(clauses)}
    parent_order = {k: i for i, k in enumerate(parent)}
    splits = _found_in(list(parent), old_text, new_text, inverse, set(added), doc_order)
    merged = _found_in([c.key for c in clauses], new_text, old_text, match, set(gone), parent_order)
    return splits, [(pieces, whole) for whole, pieces in merged]


def _found_in(wholes, whole_text, piece_text, partner, fresh, order):  # type: ignore[no-untyped-def]
    """(whole, its pieces in ``order``) for each of ``wholes`` found in two or more pieces, at
    least one of them ``fresh`` (a clause added, for a split; dropped, for a merge) and together
    at least ``COVERED`` of it. A piece is a fresh text, or the one ``partner`` pairs with the
    whole. Only texts sharing words are compared: ``partial_ratio`` is too dear to try every pair."""
    index = _Index(whole_text)
    candidates: dict[str, set[str]] = {}
    for piece in fresh | set(partner.values()):
        for whole in index.sharing(piece_text[piece]):
            if piece in fresh or partner.get(whole) == piece:
                candidates.setdefault(whole, set()).add(piece)
    out = []
    for whole in wholes:
        text = whole_text[whole]
        pieces = [k for k in candidates.get(whole, ()) if _piece(piece_text[k], text)]
        if len(pieces) >= 2 and fresh & set(pieces) and sum(len(piece_text[k]) for k in pieces) >= COVERED * len(text):
            out.append((whole, sorted(pieces, key=order.__getitem__)))
    return out
