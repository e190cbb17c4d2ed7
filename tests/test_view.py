"""The negotiation view (the position model of shared/negotiation-semantics.md), as properties.

Random small negotiations — two or three parties, full and partial drafts, branches, merges,
joint texts, explicit absences, declared preferences and defaults — are recorded and read back:

- a label never depends on the order in which drafts were recorded;
- relabelling the parties swaps the labels;
- a partial draft that states nothing changes no position;
- the convergence a gap works out from where positions moved (``View.positions``) is the
  convergence of the definition, every term's positions looked up afresh at every date.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, _truncate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(REPO / "benchmarks"))
import synthetic  # noqa: E402

from tracker.db.store import Store  # noqa: E402
from tracker.db.timeline import value_token  # noqa: E402
from tracker.history import positions as answers  # noqa: E402
from tracker.history import reading
from tracker.history.view import View  # noqa: E402
from tracker.input.pending import Pending
from tracker.model.errors import NotFound
from tracker.model.shorthand import parse_value
from tracker.model.termsheet import Draft, Negotiation, Term  # noqa: E402
from tracker.model.values import token_of  # noqa: E402


def record_synthetic(tracker, tmp_path: Path, seed: int, shuffle_dates: bool) -> Store:  # type: ignore[no-untyped-def]
    """A synthetic negotiation (benchmarks/synthetic.py) recorded with the CLI. Even seeds
    rename a term in every draft; seeds from 3 on have a third party; ``shuffle_dates`` dates
    drafts before their parents."""
    neg = synthetic.generate(60, 14, seed=seed, renames=seed % 2 == 0, parties=3 if seed >= 3 else 2)
    if shuffle_dates:
        rng = random.Random(seed)
        for d in neg.drafts:
            d.date = synthetic.START + dt.timedelta(days=rng.randrange(6))
    synthetic.write(neg, tmp_path / "drafts")
    tracker.ok("record", str(neg.negotiation_path), *[str(d.path) for d in neg.drafts])
    return Store.open(tracker.url)


# --- random negotiations ------------------------------------------------------------------------

# key → the values a draft may give it (shorthand), and the preferences it may carry.
POOL = {
    "share": (["5%", "10%", "20%", "30%"], {"A": "higher", "B": "lower"}),
    "fee": (["$1 million", "$2 million", "$5 million"], {"default": "$0", "B": "lower"}),
    # The same values as the fee: a term left out beside another holding its value moved there.
    "cap": (["$1 million", "$2 million", "$5 million"], {}),
    "tier": (["choice:gold", "choice:silver", "choice:bronze"], {"A": ["gold", "silver", "bronze"]}),
    "audit": (["yes", "no"], {"B": ["no", "yes"], "default": "no"}),
    "term": (["30 days", "2 months", "1 year"], {}),
    "law": (["text:New York law", "text:English law"], {}),
}


@st.composite
def negotiations(draw: Any) -> dict[str, Any]:
    parties = draw(st.sampled_from([["A", "B"], ["A", "B", "C"]]))
    keys = sorted(POOL)
    prefs = {k: POOL[k][1] for k in keys if POOL[k][1] and draw(st.booleans())}
    drafts = []
    for i in range(draw(st.integers(2, 6))):
        parents = [] if i == 0 else sorted(set(draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=2))))
        day = max((drafts[p]["day"] for p in parents), default=0) + draw(st.integers(0, 2))
        coverage = draw(st.sampled_from(["full", "full", "partial"]))
        terms = {}
        for k in keys:
            if draw(st.integers(0, 3)) == 0:
                continue
            terms[k] = "none" if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(POOL[k][0]))
        drafts.append({
            "id": f"d{i}", "parents": [f"d{p}" for p in parents], "day": day, "coverage": coverage,
            "tabled_by": draw(st.lists(st.sampled_from(parties), min_size=1, max_size=2, unique=True)), "terms": terms,
        })
    return {"parties": parties, "preferences": prefs, "drafts": drafts}


def _models(spec: dict[str, Any], swap: dict[str, str] | None = None) -> tuple[Negotiation, list[Draft]]:
    swap = swap or {}

    def code(c: str) -> str:
        return swap.get(c, c)

    prefs = {k: {code(p) if p != "default" else p: v for p, v in ps.items()} for k, ps in spec["preferences"].items()}
    neg = Negotiation(id="n", title="N", parties=[{"code": code(p), "name": f"Party {code(p)}"} for p in spec["parties"]], preferences=prefs)
    drafts = [
        Draft(
            negotiation="n", id=d["id"], title=d["id"], tabled_by=sorted(code(c) for c in d["tabled_by"]),
            date=dt.date(2025, 1, 1) + dt.timedelta(days=d["day"]), parents=d["parents"], coverage=d["coverage"],
            terms={k: Term(value=parse_value(v)) for k, v in d["terms"].items()},
        )
        for d in spec["drafts"]
    ]
    return neg, drafts


def _empty_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL: a new SQLite file, or the shared PostgreSQL schema emptied."""
    if backend == "sqlite":
        path = tmp_path / f"{uuid.uuid4().hex}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_shared_url")
    _truncate(url)
    return url


@pytest.fixture
def fresh(backend: str, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A function that records a negotiation into an empty database and returns its view."""
    def make(negotiation: Negotiation, drafts: list[Draft]) -> View:
        store = Store.open(_empty_url(backend, request, tmp_path))
        try:
            store.record([Pending(d) for d in drafts], [negotiation])
            view = reading.load(store, store.negotiation())
            view.timeline.prefetch(view.timeline.blobs())  # nothing left to read once it is closed
            return view
        finally:
            store.close()
    return make


@pytest.fixture
def empty_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A function that opens a store on an empty database, kept open for the narrow reads of
    the test (each call closes the one before); the last is closed after the test."""
    opened: list[Store] = []

    def make() -> Store:
        while opened:
            opened.pop().close()
        opened.append(Store.open(_empty_url(backend, request, tmp_path)))
        return opened[-1]

    yield make
    while opened:
        opened.pop().close()


def labels(view: View) -> dict[tuple[str, str, str], str]:
    """(draft, term, party) → how the party moved on the term in that draft."""
    out = {}
    for d in view.ordered:
        for key in sorted(view.all_keys):
            for party, label in view.moves(d, view.aliases(key)).items():
                out[(d, key, party)] = label
    return out


def positions(view: View) -> dict[tuple[str, str], tuple[str, str] | None]:
    """(term, party) → (draft, value token) of its position now."""
    p = answers.positions(view)
    return {
        (t.key, c): (pos.draft, pos.state.token) if (pos := t.positions[c]) is not None else None
        for t in p.terms for c in p.parties
    }


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(spec=negotiations(), order=st.randoms())
def test_a_label_never_depends_on_the_order_drafts_were_recorded(fresh, spec, order):
    negotiation, drafts = _models(spec)
    shuffled = _parents_first_shuffled(drafts, order)
    a, b = fresh(negotiation, drafts), fresh(negotiation, shuffled)
    assert labels(a) == labels(b)
    assert positions(a) == positions(b)
    assert [(g.a, g.b, [(r.key, r.distance) for r in g.rows], len(g.agreed)) for g in [answers.gap(a, "A", "B")]] == [
        (g.a, g.b, [(r.key, r.distance) for r in g.rows], len(g.agreed)) for g in [answers.gap(b, "A", "B")]
    ]


def test_a_partial_draft_only_carrying_a_renamed_term_does_not_rename_it_back(fresh):
    """d1 moved the cap's value to the fee (a rename by identical value); a later partial draft
    answering d0 states nothing and only carries the cap over. The term is still named fee, and
    its positions do not move (found by the property test below)."""
    spec = {"parties": ["A", "B"], "preferences": {}, "drafts": [
        {"id": "d0", "parents": [], "day": 0, "coverage": "full", "tabled_by": ["A"], "terms": {"cap": "$1 million"}},
        {"id": "d1", "parents": ["d0"], "day": 0, "coverage": "full", "tabled_by": ["A"], "terms": {"fee": "$1 million"}},
    ]}
    negotiation, drafts = _models(spec)
    silent = Draft(negotiation="n", id="silent", title="silent", coverage="partial", parents=["d0"], tabled_by=["B"], date=drafts[-1].date)
    before, after = fresh(negotiation, drafts), fresh(negotiation, [*drafts, silent])
    assert positions(after) == positions(before) == {("fee", "A"): ("d1", token_of(parse_value("$1 million"))), ("fee", "B"): None}


def _parents_first_shuffled(drafts: list[Draft], rng: random.Random) -> list[Draft]:
    """The drafts in another order that still records each after its parents."""
    todo, done, out = list(drafts), set(), []
    while todo:
        ready = [d for d in todo if set(d.parents) <= done]
        pick = rng.choice(ready)
        todo.remove(pick)
        done.add(pick.id)
        out.append(pick)
    return out


@PROPERTY
@given(spec=negotiations())
def test_relabelling_the_parties_swaps_the_labels(fresh, spec):
    a = fresh(*_models(spec))
    b = fresh(*_models(spec, swap={"A": "B", "B": "A"}))
    swap = {"A": "B", "B": "A"}
    assert {(d, k, swap.get(p, p)): label for (d, k, p), label in labels(a).items()} == labels(b)


@PROPERTY
@given(spec=negotiations(), data=st.data())
def test_a_partial_draft_that_states_nothing_changes_no_position(fresh, spec, data):
    negotiation, drafts = _models(spec)
    before = fresh(negotiation, drafts)
    parent = data.draw(st.sampled_from(drafts))
    silent = Draft(
        negotiation="n", id="silent", title="silent", coverage="partial", parents=[parent.id],
        tabled_by=[data.draw(st.sampled_from(spec["parties"]))], date=max(d.date for d in drafts),
    )
    after = fresh(negotiation, [*drafts, silent])
    assert positions(after) == positions(before)
    assert {k: v for k, v in labels(after).items() if k[0] != "silent"} == labels(before)
    assert not any(k[0] == "silent" for k in labels(after))


@PROPERTY
@given(spec=negotiations())
def test_convergence_from_the_moves_is_the_convergence_of_the_definition(fresh, spec):
    view = fresh(*_models(spec))
    assert _convergence(answers.gap(view, "A", "B")) == _plain_convergence(view, "A", "B")


@PROPERTY
@given(spec=negotiations())
def test_a_partys_moves_found_from_its_drafts_differences_are_the_moves_along_the_terms_track(fresh, spec):
    """``View.positions`` looks only where a key is held or left out otherwise than in the
    party's draft before; the definition walks every draft the party tabled along the track."""
    view = fresh(*_models(spec))
    last = len(view.ordered) - 1
    for keys in view.terms():
        t = view.track(keys)
        for party in view.parties:
            for upto in (last // 2, last):
                walked, before = [], None
                for i in view.tabled_ranks(party):
                    if i <= upto and t.stated[i] and (t.norm[i], t.blob[i]) != before:
                        walked.append((i, view.ordered[i], t.token[i], t.blob[i]))
                        before = (t.norm[i], t.blob[i])
                found = [(i, p.draft, p.state.token, p.state.blob) for i, p in view.positions(keys, party, upto)]
                assert found == walked, (sorted(keys), party, upto)


def _convergence(g: positions.Gap) -> list[tuple]:  # type: ignore[type-arg]
    return [(c.date, c.agreed, c.open, c.unaddressed, c.open_terms, {k: d.text() for k, d in c.distances.items()}) for c in g.convergence]


def _plain_convergence(view: View, a: str, b: str) -> list[tuple]:  # type: ignore[type-arg]
    out = []
    dates = sorted({view.by_id[d].header.date for d in view.ordered})
    for day in dates:
        last = reading.upto(view, day)
        counts = {"agreed": 0, "open": 0, "unaddressed": 0}
        open_terms, distances = [], {}
        for keys in view.terms():
            pa, pb = view.position(a, keys, last + 1), view.position(b, keys, last + 1)
            if pa is None and pb is None:
                continue
            state = answers.status(view, keys, [pa, pb])
            counts[state] += 1
            if state == "open":
                name = view.name(keys, last)
                open_terms.append(name)
                d = answers.term_distance(view, keys, pa, pb, (a, b))
                if d is not None:
                    distances[name] = d.text()
        out.append((day, counts["agreed"], counts["open"], counts["unaddressed"], sorted(open_terms), distances))
    return out


# --- on larger synthetic negotiations ------------------------------------------------------------


@pytest.mark.parametrize("seed,shuffle", [(1, False), (2, False), (3, True)])
def test_value_tokens_cut_from_stored_bodies_are_the_values_comparable_json(tracker, tmp_path, seed, shuffle):
    store = record_synthetic(tracker, tmp_path, seed, shuffle)
    view = reading.load(store, store.negotiation())
    tl = view.timeline
    for blob in tl.blobs():
        value = tl.term(blob).value
        expected = token_of(value)
        assert value_token(tl.body(blob)) == expected


def _tracks(view: View) -> dict[str, tuple]:  # type: ignore[type-arg]
    return {k: (t.blob, t.token, t.norm, t.stated, t.origin) for k in sorted(view.all_keys) for t in [view.track(frozenset((k,)))]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=negotiations())
def test_every_term_worked_out_at_once_is_each_term_worked_out_alone(fresh, spec):
    """The pass over every draft's terms (and its shortcut through a draft's own delta rows)
    gives each key the track the key-by-key rule gives it."""
    view = fresh(*_models(spec))
    alone = View(view.negotiation, view.timeline)
    for key in sorted(view.all_keys):
        alone.compute([key])
    view.compute(view.all_keys)
    assert _tracks(view) == _tracks(alone)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_long_negotiation_worked_out_at_once_is_each_term_worked_out_alone(tracker, tmp_path, seed):
    store = record_synthetic(tracker, tmp_path, seed, shuffle_dates=seed == 3)
    try:
        view = reading.load(store, store.negotiation())
        view.timeline.prefetch(view.timeline.blobs())
    finally:
        store.close()
    alone = View(view.negotiation, view.timeline)
    for key in sorted(view.all_keys):
        alone.compute([key])
    view.compute(view.all_keys)
    assert _tracks(view) == _tracks(alone)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=negotiations())
def test_a_state_read_off_the_drafts_sets_is_the_state_its_track_lays_out(fresh, spec):
    """Positions read a draft's state off the sets the rule keeps per draft (held, stated
    absent, carried over); walks read it off the term's track. Both give every term — renamed
    ones under any of their keys — the same state in every draft."""
    view = fresh(*_models(spec))
    read = View(view.negotiation, view.timeline)
    laid_out = View(view.negotiation, view.timeline)
    terms = read.terms()
    assert not read._tracks  # nothing laid out: every state below is read off the sets
    for keys in terms:
        for i, d in enumerate(read.ordered):
            assert read.state_at(i, keys) == laid_out.track(keys).state(i, d), (sorted(keys), d)
        for party in read.parties:
            assert read.position(party, keys, len(read.ordered)) == laid_out.position(party, keys, len(read.ordered))


# --- one term read alone ------------------------------------------------------------------------


def _history_json(view: View, key: str) -> str:
    from tracker.history.term_history import term_history
    from tracker.render.registry import render

    return "".join(render("history", "json", term_history(view, key), negotiation=view.negotiation))  # type: ignore[arg-type]


def _every_history_read_alone_is_its_history_in_the_whole_view(store: Store) -> int:
    """For every key: the view read for that key alone (its rows first, others' as renames need
    them) gives the history, aliases and labels of the view that worked out every term at once
    (as the report does). Returns how many keys were read alone without reading every draft's
    rows."""
    whole = reading.load(store, store.negotiation())
    whole.terms()
    narrow = 0
    for key in sorted(whole.all_keys):
        alone = reading.load(store, store.negotiation(), keys=[key])
        assert reading.known_key(alone, key) is None
        assert _history_json(alone, key) == _history_json(whole, key), key
        assert alone.aliases(key) == whole.aliases(key), key
        narrow += alone.timeline.loaded is not None
    return narrow


def _every_diff_on_a_view_that_read_no_term_is_the_diff_read_whole(store: Store) -> None:
    """A diff works on a view however much of the negotiation it has read (``whole``): each
    draft against each parent, and the first against the last, as JSON."""
    from tracker.history.compare import diff_view
    from tracker.render.registry import render

    whole = reading.load(store, store.negotiation())
    pairs = [(p, d) for d in whole.ordered for p in whole.lineage.parents(d)] + [(whole.ordered[0], whole.ordered[-1])]
    for old, new in pairs:
        lazy = reading.load(store, store.negotiation(), keys=())
        assert ("".join(render("diff", "json", diff_view(lazy, old, new, three_way=True))) ==  # type: ignore[arg-type]
                "".join(render("diff", "json", diff_view(whole, old, new, three_way=True)))), (old, new)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed,shuffle,chain", [(1, False, 24), (2, False, 3), (3, True, 24), (4, False, 2)])
def test_a_terms_history_read_alone_is_its_history_read_with_every_term(tracker, tmp_path, monkeypatch, seed, shuffle, chain):
    """Synthetic negotiations with branches and merges; even seeds rename a term in every
    draft, seed 3 has three parties and dates drafts before their parents; a short delta chain
    stores drafts whole every few drafts (what the rename search then reads whole)."""
    monkeypatch.setattr("tracker.db.store.MAX_CHAIN", chain)
    store = record_synthetic(tracker, tmp_path, seed, shuffle_dates=shuffle)
    try:
        assert _every_history_read_alone_is_its_history_in_the_whole_view(store) > 0
        _every_diff_on_a_view_that_read_no_term_is_the_diff_read_whole(store)
    finally:
        store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=negotiations(), chain=st.sampled_from([1, 24]))
def test_a_terms_history_read_alone_is_the_same_in_random_negotiations(empty_store, monkeypatch, spec, chain):
    """Partial drafts (what they carry over is read whole), explicit absences, merges, defaults
    and values two terms share, with drafts stored whole or as deltas."""
    monkeypatch.setattr("tracker.db.store.MAX_CHAIN", chain)
    store = empty_store()
    negotiation, drafts = _models(spec)
    store.record([Pending(d) for d in drafts], [negotiation])
    _every_history_read_alone_is_its_history_in_the_whole_view(store)
    _every_diff_on_a_view_that_read_no_term_is_the_diff_read_whole(store)


def test_an_unknown_term_read_alone_is_refused_with_the_keys_it_may_mean(tracker, tmp_path):
    store = record_synthetic(tracker, tmp_path, 2, shuffle_dates=False)
    try:
        view = reading.load(store, store.negotiation(), keys=["nope"])
        key = sorted(reading.load(store, store.negotiation()).all_keys)[0]
        with pytest.raises(NotFound, match="unknown term 'nope': no draft of .* has it"):
            reading.known_key(view, "nope")
        typo = key[:-1] + ("x" if key[-1] != "x" else "y")
        with pytest.raises(NotFound, match=f"did you mean {key}"):
            reading.known_key(reading.load(store, store.negotiation(), keys=[typo]), typo)
    finally:
        store.close()


@pytest.mark.parametrize("chain", [0, 24])
def test_a_key_a_partial_draft_carries_over_is_no_new_key_for_a_term_read_alone(empty_store, monkeypatch, chain):
    """d2 reports only the share and carries fee and law over; d3, from the text, holds law and
    leaves fee out. law was known all along, so fee did not move to law (though their values are
    the same): fee is dropped in d3. Read alone, fee's view must still see that d2 carried law,
    a key it never read (with every draft stored whole, no stored row of d2 names it)."""
    monkeypatch.setattr("tracker.db.store.MAX_CHAIN", chain)
    spec = {"parties": ["A", "B"], "preferences": {}, "drafts": [
        {"id": "d1", "parents": [], "day": 0, "coverage": "full", "tabled_by": ["A"], "terms": {"fee": "$5 million", "law": "$5 million", "share": "10%"}},
        {"id": "d2", "parents": ["d1"], "day": 1, "coverage": "partial", "tabled_by": ["B"], "terms": {"share": "20%"}},
        {"id": "d3", "parents": ["d2"], "day": 2, "coverage": "full", "tabled_by": ["A"], "terms": {"law": "$5 million", "share": "20%"}},
    ]}
    store = empty_store()
    negotiation, drafts = _models(spec)
    store.record([Pending(d) for d in drafts], [negotiation])
    alone = reading.load(store, store.negotiation(), keys=["fee"])
    assert alone.aliases("fee") == frozenset({"fee"})
    assert [r["event"] for r in json.loads(_history_json(alone, "fee"))["drafts"]] == ["added", "carried", "dropped"]
    _every_history_read_alone_is_its_history_in_the_whole_view(store)


def test_a_terms_keys_do_not_depend_on_which_term_was_asked_about_first(empty_store):
    """d1 leaves law out; d2 leaves fee out and holds law with fee's value. From d1 to d2, fee
    moved to law (what `tracker diff d1 d2` says): law's keys are {fee, law} whether fee or law
    is asked about first, and law's history is the same read alone, read with every term or
    read after fee's."""
    spec = {"parties": ["A", "B"], "preferences": {}, "drafts": [
        {"id": "d0", "parents": [], "day": 0, "coverage": "full", "tabled_by": ["A"], "terms": {"fee": "$5 million", "law": "$2 million"}},
        {"id": "d1", "parents": ["d0"], "day": 1, "coverage": "full", "tabled_by": ["B"], "terms": {"fee": "$5 million"}},
        {"id": "d2", "parents": ["d1"], "day": 2, "coverage": "full", "tabled_by": ["A"], "terms": {"law": "$5 million"}},
    ]}
    store = empty_store()
    negotiation, drafts = _models(spec)
    store.record([Pending(d) for d in drafts], [negotiation])
    fee_first = reading.load(store, store.negotiation())
    fee_first.aliases("fee")
    law_first = reading.load(store, store.negotiation())
    assert law_first.aliases("law") == fee_first.aliases("law") == frozenset({"fee", "law"})
    every = reading.load(store, store.negotiation())
    every.terms()
    alone = reading.load(store, store.negotiation(), keys=["law"])
    assert _history_json(alone, "law") == _history_json(law_first, "law") == _history_json(fee_first, "law") == _history_json(every, "law")
