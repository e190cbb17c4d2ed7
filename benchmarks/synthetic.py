"""A synthetic negotiation, reproducible from a seed, written as tracker draft files.

N terms of mixed types (money, percent, number, choice, set, text, boolean, date), about half
of them under dotted groups (``ch07.art0123``). V drafts form a lineage with branches: most
drafts answer the previous one, about one in eight answers the one before it (a sibling
branch), and the draft after a branch merges both. Each draft, against its first parent,
changes about 1% of the terms, adds 0.5% and drops 0.5%. Parties alternate; some drafts are
joint texts. The same seed always gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

NEGOTIATION = "synthetic-bench"
PARTIES = ("P1", "P2")
NAMES = {"P1": "One", "P2": "Two"}
SOURCES = tuple(f"src-{i:02d}" for i in range(1, 7))
TYPES = ("money", "money", "percent", "percent", "number", "choice", "choice", "set", "text", "text", "boolean", "date")
CHOICES = ("joint", "unilateral", "arbitration", "courts", "annual", "quarterly", "binding", "advisory")
SET_ITEMS = ("minerals", "energy", "ports", "rail", "telecom", "water", "agriculture", "finance", "defence")
WORDS = (
    "the parties shall consult each other in good faith before any transfer of rights under this "
    "article and notify the joint committee within a reasonable period subject to national law"
).split()
START = dt.date(2024, 1, 1)


@dataclass
class DraftSpec:
    id: str
    parents: list[str]
    tabled_by: list[str]
    date: dt.date
    terms: dict[str, str]  # key → the term's YAML lines (rendered once, shared by drafts)
    path: Path | None = None


@dataclass
class Negotiation:
    n_terms: int
    n_drafts: int
    seed: int
    parties: tuple[str, ...] = PARTIES
    drafts: list[DraftSpec] = field(default_factory=list)
    preferences: dict[str, dict[str, str]] = field(default_factory=dict)
    negotiation_path: Path | None = None

    def draft(self, draft_id: str) -> DraftSpec:
        return next(d for d in self.drafts if d.id == draft_id)

    def busiest_key(self, upto: int) -> str:
        """A term of draft ``upto`` (1-based) changed by as many earlier drafts as any."""
        last = self.drafts[upto - 1].terms
        counts: dict[str, int] = {}
        for d in self.drafts[1:upto]:
            base = self.draft(d.parents[0]).terms
            for key, body in d.terms.items():
                if key in last and base.get(key, body) != body:
                    counts[key] = counts.get(key, 0) + 1
        return max(sorted(counts), key=counts.get) if counts else next(iter(last))


class _Terms:
    """Renders terms as YAML; keeps each term's type so a change keeps it."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.kind: dict[str, str] = {}
        self.next_id = 0

    def new_key(self) -> str:
        i = self.next_id
        self.next_id += 1
        return f"ch{i % 40:02d}.art{i:05d}" if i % 2 else f"term{i:05d}"

    def render(self, key: str, kind: str) -> str:
        rng = self.rng
        lines = [f"  {key}:", f"    label: {json.dumps('Provision ' + key)}"]
        if kind == "money":
            amount = rng.choice(("USD", "EUR", "$")) + f"{rng.randint(1, 999)}" + rng.choice(("m", "bn", " million"))
            if amount.startswith(("USD", "EUR")):
                amount = amount[:3] + " " + amount[3:]
            lines.append(f"    value: {json.dumps(amount)}")
        elif kind == "percent":
            lines.append(f"    value: \"{rng.randint(0, 99)}.{rng.randint(0, 9)}%\"")
        elif kind == "number":
            lines.append(f"    value: \"{rng.randint(1, 720)} {rng.choice(('days', 'months', 'years'))}\"")
        elif kind == "choice":
            lines += ["    type: choice", f"    value: {rng.choice(CHOICES)}"]
        elif kind == "set":
            lines.append(f"    value: [{', '.join(sorted(rng.sample(SET_ITEMS, rng.randint(1, 4))))}]")
        elif kind == "text":
            words = " ".join(rng.sample(WORDS, rng.randint(6, 14)))
            lines += ["    type: text", f"    value: {json.dumps(words.capitalize() + '.')}"]
        elif kind == "boolean":
            lines.append(f"    value: {rng.choice(('true', 'false'))}")
        else:
            lines.append(f"    value: {START + dt.timedelta(days=rng.randint(0, 2000))}")
        roll = rng.random()
        if roll < 0.5:
            lines.append("    confidence: confirmed")
        if roll < 0.8:
            lines += ["    sources:", f"      - source: {rng.choice(SOURCES)}"]
            if roll < 0.2:
                lines.append(f"        quote: {json.dumps(' '.join(rng.sample(WORDS, 5)))}")
        return "\n".join(lines) + "\n"

    def fresh(self) -> tuple[str, str]:
        key = self.new_key()
        self.kind[key] = self.rng.choice(TYPES)
        return key, self.render(key, self.kind[key])


def generate(n_terms: int, n_drafts: int, seed: int = 1, renames: bool = False, parties: int = 2) -> Negotiation:
    """The negotiation and its drafts in memory (write them with :func:`write`).

    For the tests' negotiations (the benchmark's keep the defaults, so its figures stay
    comparable across runs): ``renames`` makes each draft from the third on also move one
    unchanged term to a new key, declaring ``renamed_from``; ``parties`` above two adds
    parties P3… that table drafts in turn with the others."""
    rng = random.Random(seed)
    terms = _Terms(rng)
    first = dict(terms.fresh() for _ in range(n_terms))
    neg = Negotiation(n_terms, n_drafts, seed, PARTIES + tuple(f"P{i}" for i in range(3, parties + 1)))
    numeric = [k for k, kind in terms.kind.items() if kind in ("money", "percent")]
    for key in numeric[: max(1, len(numeric) // 20)]:
        neg.preferences[key] = {"P1": "higher", "P2": "lower"}

    per_draft = max(1, round(n_terms * 0.01))
    per_add_drop = max(1, round(n_terms * 0.005))
    neg.drafts.append(DraftSpec("d0001", [], ["P1"], START, first))
    for i in range(2, n_drafts + 1):
        prev = neg.drafts[-1]
        if i > 3 and i % 8 == 0:  # a sibling branch: answers the draft before the latest
            parents = [neg.drafts[-2].id]
        elif i > 3 and (i - 1) % 8 == 0:  # and the next draft merges both branches
            parents = [prev.id, neg.drafts[-2].id]
        else:
            parents = [prev.id]
        base = neg.draft(parents[0]).terms
        state = dict(base)
        keys = list(state)
        changed = rng.sample(keys, min(len(keys), per_draft + per_add_drop))
        for key in changed[:per_draft]:
            body = state[key]
            while body == state[key]:  # a yes/no may come out the same: draw again
                body = terms.render(key, terms.kind[key])
            state[key] = body
        for key in changed[per_draft:]:
            del state[key]
        for _ in range(per_add_drop):
            key, body = terms.fresh()
            state[key] = body
        if renames and i > 2:
            _rename(terms, state, rng.choice(sorted(k for k in state if base.get(k) == state[k])))
        tabled = [neg.parties[i % len(neg.parties)]] if i % 10 else list(neg.parties)  # every tenth draft is joint
        neg.drafts.append(DraftSpec(f"d{i:04d}", parents, tabled, START + dt.timedelta(days=i - 1), state))
    return neg


def _rename(terms: _Terms, state: dict[str, str], old: str) -> None:
    key = terms.new_key()
    terms.kind[key] = terms.kind[old]
    fields = [line for line in state.pop(old).splitlines()[1:] if not line.startswith("    renamed_from:")]
    state[key] = "\n".join([f"  {key}:", *fields, f"    renamed_from: {old}"]) + "\n"


def write(neg: Negotiation, folder: Path) -> Negotiation:
    """Write negotiation.yaml and one dNNNN.yaml per draft into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    neg.negotiation_path = folder / "negotiation.yaml"
    neg.negotiation_path.write_text(negotiation_yaml(neg), encoding="utf-8")
    for d in neg.drafts:
        d.path = folder / f"{d.id}.yaml"
        d.path.write_text(draft_yaml(d), encoding="utf-8")
    return neg


def negotiation_yaml(neg: Negotiation) -> str:
    lines = [
        "kind: negotiation",
        f"id: {NEGOTIATION}",
        # The same for every V: a smaller V's drafts are a prefix of a larger one's.
        f"title: Synthetic negotiation ({neg.n_terms} terms, seed {neg.seed})",
        "parties:",
        *(f"  - {{code: {code}, name: Party {NAMES.get(code, code[1:])}}}" for code in neg.parties),
        "preferences:",
        *(f"  {key}: {{P1: higher, P2: lower}}" for key in neg.preferences),
        "sources:",
        *(f"  - {{id: {s}, outlet: Outlet {s[-2:]}, reliability: B}}" for s in SOURCES),
    ]
    return "\n".join(lines) + "\n"


def draft_yaml(d: DraftSpec) -> str:
    head = [
        "kind: draft",
        f"negotiation: {NEGOTIATION}",
        f"id: {d.id}",
        f"title: Draft {d.id}",
        f"tabled_by: [{', '.join(d.tabled_by)}]",
        f"date: {d.date.isoformat()}",
        f"parents: [{', '.join(d.parents)}]",
        f"sources: [{', '.join(SOURCES)}]",
        "terms:",
    ]
    return "\n".join(head) + "\n" + "".join(d.terms.values())
