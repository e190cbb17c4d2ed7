"""The whole-negotiation walks (blame, gap, per-draft changes) take shortcuts through the
stored manifests; each must give exactly what the plain definition gives, term by term.

The plain definitions: attribution over every draft's term in memory (``MappingTrack``),
positions evaluated afresh for every day, and ``tracker diff``'s own ``diff_records``.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import synthetic  # noqa: E402

from tracker import attribution, compare, history  # noqa: E402
from tracker.attribution import MappingTrack, attribute_term  # noqa: E402
from tracker.compare import diff_records  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.timeline import value_token  # noqa: E402


def _record(tracker, tmp_path: Path, seed: int, shuffle_dates: bool) -> history.Snapshot:  # type: ignore[no-untyped-def]
    # Even seeds rename a term in every draft; seeds from 3 on have a third party, whose
    # drafts move no position of the other two.
    neg = synthetic.generate(60, 14, seed=seed, renames=seed % 2 == 0, parties=3 if seed >= 3 else 2)
    if shuffle_dates:  # drafts dated before their parents: the shortcuts must fall back
        rng = random.Random(seed)
        for d in neg.drafts:
            d.date = synthetic.START + dt.timedelta(days=rng.randrange(6))
    synthetic.write(neg, tmp_path / "drafts")
    tracker.ok("record", str(neg.negotiation_path), *[str(d.path) for d in neg.drafts])
    store = Store.open(tracker.url)
    return history.Snapshot.load(store, store.negotiation())


@pytest.mark.parametrize("seed,shuffle", [(1, False), (2, False), (3, True), (4, True)])
def test_shortcuts_agree_with_the_plain_definitions(tracker, tmp_path, seed, shuffle, monkeypatch):
    snap = _record(tracker, tmp_path, seed, shuffle)
    tl = snap.timeline
    assert tl.monotonic is (not shuffle)  # both ways are exercised

    # Value tokens cut from stored bodies are the tokens attribution computes from terms.
    for blob in tl.blobs():
        assert value_token(tl.body(blob)) == MappingTrack({"d": tl.term(blob)}).token("d")

    # Blame: every term of every draft, against attribution over the terms in memory.
    for record in snap.records[-3:]:
        fast = history.blame(snap, record.id)
        path = snap.lineage.order(snap.lineage.ancestors(record.id) | {record.id})
        for line in fast.lines:
            terms, _ = snap.followed(line.key)
            plain = attribute_term(line.key, path, history.BEFORE, snap.lineage, MappingTrack(terms), snap.negotiation)
            assert line.attribution == plain, (record.id, line.key)

    # Per-draft changes, as `tracker diff` computes them from the store.
    for record in snap.records:
        for parent in snap.lineage.parents(record.id):
            fast = history.changes(snap, snap.by_id[parent], record)
            plain = diff_records(tl.store, snap.negotiation, snap.by_id[parent], record).result
            assert fast.summary() == plain.summary()
            assert [(c.kind, c.term, c.old_term, c.attribution) for c in fast.changes] == [
                (c.kind, c.term, c.old_term, c.attribution) for c in plain.changes
            ]

    # One term's aliases, followed from its own key, are its group among all the renames.
    assert bool(snap.renames) or seed % 2  # even seeds rename a term in every draft
    for key in sorted(snap.all_keys):
        assert history.Snapshot(snap.negotiation, tl).aliases(key) == set(snap._renamed.get(key, {key})), key

    # `tracker diff` between any two drafts: attributed over the timeline (many changed keys)
    # exactly as over the changed keys' own rows (few).
    rng = random.Random(seed)
    pairs = [(snap.records[0], snap.records[-1])] + [tuple(rng.sample(snap.records, 2)) for _ in range(6)]
    for old, new in pairs:
        found = {}
        for share in (0, float("inf")):
            monkeypatch.setattr(compare, "TIMELINE_SHARE", share)
            d = diff_records(tl.store, snap.negotiation, old, new, three_way=True)
            found[share] = ([(c.kind, c.term, c.old_term, c.attribution) for c in d.result.changes], d.three_way)
        assert found[0] == found[float("inf")], (old.id, new.id)
        # Walks that skip from run to run (the token is unchanged between entries) find what
        # a walk over every draft finds.
        with monkeypatch.context() as m:
            m.setattr(attribution.Track, "runs", lambda self, path: [(i, self.token(d)) for i, d in enumerate(path)])
            d = diff_records(tl.store, snap.negotiation, old, new, three_way=True)
        assert [(c.kind, c.term, c.old_term, c.attribution) for c in d.result.changes] == found[float("inf")][0]

    # Convergence worked out incrementally, against positions evaluated afresh each day.
    for a, b in history.party_pairs(snap.negotiation):
        _check_convergence(snap, a, b)

    # Terms that moved: their value token changed after they first appeared.
    ordered = [r.id for r in snap.ordered()]
    # A renamed term counts once, followed across its keys, under its key in the latest
    # draft that holds it.
    plain_moved = set()
    for key in sorted(snap.all_keys):
        terms, held_as = snap.followed(key)
        track = MappingTrack(terms)
        seen = [track.token(d) for d in ordered]
        first = next(i for i, d in enumerate(ordered) if track.held(d))
        if len(set(seen[first:])) > 1:
            last = max(held_as, key=ordered.index)
            plain_moved.add(min(k for k in snap.aliases(key) if k in tl.manifests[last]))
    assert history.moved_keys(snap) == sorted(plain_moved)
    assert not any(set(snap.aliases(k)) - {k} & set(history.moved_keys(snap)) for k in history.moved_keys(snap))

    # A report's term histories: the plain histories without their unchanged and absent rows.
    moved = history.moved_keys(snap)
    for fast, key in zip(history.term_moves(snap, moved), moved):
        plain = history.term_history(snap, key)
        rows = [r for r in plain.rows if r.event in history.MOVES]
        assert (fast.key, fast.aliases) == (plain.key, plain.aliases)
        assert [(r.record.id, r.key, r.event, r.attribution, r.sources) for r in fast.rows] == [
            (r.record.id, r.key, r.event, r.attribution, r.sources) for r in rows
        ], key
        assert [r.term for r in fast.rows] == [r.term for r in rows]


def _check_convergence(snap: history.Snapshot, a: str, b: str) -> None:
    gap = history.gap(snap, a, b)
    for point in gap.convergence:
        day = history.positions(snap, point.date, [a, b])
        open_terms = sorted(t.key for t in day.terms if t.status == history.OPEN)
        assert (point.agreed, point.open, point.dropped) == (
            day.count(history.AGREED), day.count(history.OPEN), day.count(history.DROPPED)
        ), point.date
        assert point.open_terms == open_terms
        expected = {}
        for t in day.terms:
            pa, pb = t.positions[a], t.positions[b]
            if t.status == history.OPEN and pa and pb:
                d = history.distance(snap.negotiation, t.key, pa.value, pb.value, (a, b))
                if d is not None:
                    expected[t.key] = d
        assert point.distances == expected, (a, b, point.date)
