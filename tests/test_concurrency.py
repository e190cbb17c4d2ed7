"""Concurrent writers: several processes recording into one negotiation at the same moment.

Each worker is a separate Python process that records its drafts one by one through the store's
write path, so every draft is its own transaction competing for the write lock. Workers start
together on a barrier file. Afterwards every draft must be stored exactly once, numbered 1..N
without gaps, and the database must verify.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import snapshot
from sqlalchemy import text

from tracker.db import SCHEMA_REVISION
from tracker.db.engine import create

SAMPLE = Path(__file__).parent / "sample"
WORKERS = 8
DRAFTS_EACH = 25

# argv: url, worker number, drafts, barrier folder, negotiation. Each draft answers the
# worker's previous one (so most are stored as deltas) and goes through Store.record, the
# write path of every `tracker record`, in a transaction of its own.
WORKER = r"""
import sys, time
from pathlib import Path
from tracker.model.errors import TrackerError
from tracker.input.pending import Pending
from tracker.db.store import Store
from tracker.model.termsheet import Draft

url, w, count, folder, slug = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
store = Store.open(url)
store.negotiation(slug)  # connect and warm up before the start signal
(folder / f"ready-{w}").touch()
deadline = time.time() + 60
while not (folder / "go").exists():
    if time.time() > deadline:
        sys.exit("no go signal")
    time.sleep(0.002)
# Terms shared by every worker (one stored blob each) and terms of its own.
terms = {"escrow": {"value": True}, "earn_out": {"value": "5%"}, "structure": {"type": "choice", "value": "stock"},
         "price": {"value": f"${w + 1} million"}, "owner": {"value": {"type": "text", "value": f"worker {w}"}}}
failures = []
for i in range(count):
    if i:
        terms.update(price={"value": f"${w + 1}.{i:02d} million"}, round={"value": i})
    draft = Draft.model_validate({
        "negotiation": slug, "id": f"w{w}-d{i}", "title": f"Worker {w}, draft {i}", "tabled_by": ["AB"[w % 2]],
        "date": "2025-03-01", "parents": [f"w{w}-d{i - 1}"] if i else [], "terms": terms,
    })
    try:
        (result,) = store.record([Pending(draft)])
        # Read it back, as the next `tracker record --from` would, between two writes.
        if sorted(store.manifest(result.record)) != sorted(terms):
            failures.append(f"w{w}-d{i} reads back other terms")
    except TrackerError as exc:
        failures.append(str(exc))
store.close()
print(f"worker {w}: {count - len(failures)} recorded, {len(failures)} failed {failures[:1]}", flush=True)
sys.exit(1 if failures else 0)
"""


def _spawn_workers(url: str, folder: Path, negotiations: list[str], workers: int, drafts: int) -> tuple[list[str], float]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(w), str(drafts), str(folder), negotiations[w % len(negotiations)]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in range(workers)
    ]
    deadline = time.time() + 60
    while len(list(folder.glob("ready-*"))) < workers:
        assert time.time() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
        time.sleep(0.01)
    started = time.time()
    (folder / "go").touch()
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"{out}{err}"
        assert err == ""
        outputs.append(out.strip())
    return outputs, time.time() - started


def _rows(url: str, query: str) -> list[tuple]:
    engine = create(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(query))]
    engine.dispose()
    return rows


def test_eight_writers_record_two_hundred_drafts_without_gaps_or_duplicates(tracker, tmp_path, capsys):
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"))
    outputs, elapsed = _spawn_workers(tracker.url, tmp_path, ["acme-merger"], WORKERS, DRAFTS_EACH)
    assert outputs == [f"worker {w}: {DRAFTS_EACH} recorded, 0 failed []" for w in range(WORKERS)]

    log = tracker.json("log")["drafts"]
    total = WORKERS * DRAFTS_EACH
    assert [d["seq"] for d in log] == list(range(1, total + 1))
    assert len({d["id"] for d in log}) == total and len({d["hash"] for d in log}) == total
    # Each worker's chain is in order (a parent is always numbered before its child) ...
    for w in range(WORKERS):
        mine = [int(d["id"].split("-d")[1]) for d in log if d["id"].startswith(f"w{w}-")]
        assert mine == list(range(DRAFTS_EACH))
    # ... and the workers really did interleave.
    switches = sum(a["id"].split("-")[0] != b["id"].split("-")[0] for a, b in zip(log, log[1:]))
    assert switches >= WORKERS
    assert tracker.ok("verify").stdout.startswith(f"verified {total} drafts, ")
    # The last draft of a worker holds its own values, read back through the delta chain.
    last = tracker.json("show", "w3-d24")["terms"]
    assert last["price"]["value"] == {"type": "money", "amount": "4240000", "currency": "USD"}
    assert last["owner"]["value"] == {"type": "text", "value": "worker 3"}
    assert last["round"]["value"] == {"type": "number", "value": "24"}
    with capsys.disabled():
        print(f"\n[concurrency {tracker.url.split(':')[0]}] {total} drafts by {WORKERS} processes in {elapsed:.1f}s, {switches} writer switches")


@pytest.fixture
def held_lock(tracker):  # type: ignore[no-untyped-def]
    """Another session holding the write lock of the negotiation (SQLite: of the database)."""
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    if tracker.url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(tracker.url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
        conn.close()
    else:
        engine = create(tracker.url)
        conn = engine.connect()
        tx = conn.begin()
        conn.execute(text("SELECT pg_advisory_xact_lock(29810, id) FROM negotiations WHERE slug = 'acme-merger'"))  # store.PG_LOCK_NAMESPACE
        yield
        tx.rollback()
        conn.close()
        engine.dispose()


@pytest.mark.parametrize("timeout, at_least, below", [("0.5", 0.4, 10), ("0", 0, 2)], ids=["half-a-second", "do-not-wait"])
def test_writer_that_cannot_get_the_lock_in_time_fails_cleanly_and_writes_nothing(tracker, held_lock, timeout, at_least, below):
    before = snapshot(tracker.url)
    started = time.time()
    result = tracker(
        "record", "--from", "first-offer", "--id", "late", "--tabled-by", "B", "--set", "price=$7m",
        env={"TRACKER_LOCK_TIMEOUT": timeout},
    )
    elapsed = time.time() - started
    assert (result.exit_code, result.stdout, result.stderr) == (
        5, "", "Error: the database is busy: could not get the write lock in time; nothing was recorded\n",
    )
    assert at_least <= elapsed < below  # 0 means "do not wait" on both databases
    assert snapshot(tracker.url) == before


def test_writer_waits_for_a_lock_released_within_its_timeout(tracker, tmp_path):
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"))
    # A subprocess holds the lock for half a second; the writer (timeout 10 s) queues behind it.
    holder = _lock_holder(tracker.url, seconds=0.5, ready=tmp_path / "held")
    deadline = time.time() + 30
    while not (tmp_path / "held").exists():
        assert holder.poll() is None and time.time() < deadline, holder.communicate()
        time.sleep(0.01)
    result = tracker("record", "--from", "first-offer", "--id", "patient", "--tabled-by", "B", "--set", "price=$7m",
                     env={"TRACKER_LOCK_TIMEOUT": "10"})
    assert holder.wait(timeout=30) == 0
    assert (result.exit_code, result.stdout.split(" (")[0]) == (0, "Recorded patient as v2")


def _lock_holder(url: str, seconds: float, ready: Path) -> subprocess.Popen:
    code = r"""
import sys, time
from pathlib import Path
url, seconds, ready = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
if url.startswith("sqlite"):
    import sqlite3
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    ready.touch(); time.sleep(seconds); conn.execute("ROLLBACK")
else:
    from sqlalchemy import text
    from tracker.db.engine import create
    with create(url).connect() as conn:
        with conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(29810, id) FROM negotiations WHERE slug = 'acme-merger'"))  # store.PG_LOCK_NAMESPACE
            ready.touch(); time.sleep(seconds)
"""
    return subprocess.Popen([sys.executable, "-c", code, url, str(seconds), str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_term_being_stored_by_a_writer_of_another_negotiation_does_not_fail_a_record(tracker):
    # Writer 1 (another negotiation, so no shared negotiation lock) has stored a term and not
    # yet committed; writer 2 stores the same term. Writer 2 must wait and then succeed.
    import threading

    from tracker.model import canonical
    from tracker.model.termsheet import Term

    other = (SAMPLE / "negotiation.yaml").read_text().replace("id: acme-merger", "id: beta-deal")
    (Path(tracker.cwd) / "other.yaml").write_text(other)
    tracker.ok("record", str(SAMPLE / "negotiation.yaml"), "other.yaml")
    body = Term.model_validate({"value": "42 widgets"}).canonical()
    engine = create(tracker.url)
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(text("INSERT INTO term_blobs (hash, body) VALUES (:h, :b)"),
                 {"h": canonical.term_hash(body), "b": canonical.canonical_json(body)})
    timer = threading.Timer(1.0, lambda: (tx.commit(), conn.close()))
    timer.start()
    try:
        result = tracker("record", "-n", "beta-deal", "--id", "b1", "--tabled-by", "A", "--set", "stock=42 widgets",
                         env={"TRACKER_LOCK_TIMEOUT": "10"})
    finally:
        timer.join()
        engine.dispose()
    assert (result.exit_code, result.stderr) == (0, "")
    assert _rows(tracker.url, "SELECT count(*) FROM term_blobs") == [(1,)]
    assert tracker("verify").exit_code == 0


def _all_at_once(commands: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    """Start every command as a process of its own, at once, and wait for all of them."""
    procs = [subprocess.Popen([sys.executable, "-m", "tracker", *c], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


FILES = [str(SAMPLE / "negotiation.yaml"), str(SAMPLE / "d1.yaml"), str(SAMPLE / "d2.yaml")]


def test_the_same_drafts_recorded_at_once_by_many_writers_all_succeed(db_url, tmp_path):
    """Negotiation and drafts in one batch, twelve times at once: one writer records them, the
    others find them recorded — including the negotiation, a row no lock can cover yet."""
    done = _all_at_once([["--db", db_url, "record", *FILES]] * 12, tmp_path)
    assert [(d.returncode, d.stderr) for d in done] == [(0, "")] * 12
    assert sorted(d.stdout.count("Recorded ") for d in done) == [0] * 11 + [3]  # the negotiation and two drafts
    assert _rows(db_url, "SELECT slug, seq FROM drafts ORDER BY seq") == [("first-offer", 1), ("counter", 2)]


def test_the_same_export_imported_at_once_by_many_writers_all_succeed(db_url, tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert subprocess.run([sys.executable, "-m", "tracker", "--db", source, "record", *FILES], capture_output=True).returncode == 0
    assert subprocess.run([sys.executable, "-m", "tracker", "--db", source, "export", "-o", str(tmp_path / "dump.json")],
                          capture_output=True).returncode == 0
    done = _all_at_once([["--db", db_url, "import", "dump.json"]] * 12, tmp_path)
    assert [(d.returncode, d.stderr) for d in done] == [(0, "")] * 12
    assert sorted(d.stdout for d in done).count(f"Imported acme-merger: 0 drafts recorded, 2 already present\nDatabase: {db_url}\n") == 11


def test_first_use_of_a_new_sqlite_file_by_many_writers_sets_it_up_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'tracker.db'}"
    done = _all_at_once([["--db", url, "record", *FILES]] * 16, tmp_path)
    assert [(d.returncode, d.stderr) for d in done] == [(0, "")] * 16
    assert _rows(url, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]
    assert _rows(url, "SELECT COUNT(*) FROM drafts") == [(2,)]
