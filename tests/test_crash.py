"""Crashes: `tracker record` of many files, killed with SIGKILL at random moments.

Each trial records a fresh negotiation file plus a chain of draft files in one command. Half
the trials kill it after a random delay spread over the command's measured run time (start-up,
reading, validation, writing); the other half watch the database for the write transaction to
begin and kill it after a random part of the time an undisturbed run takes from there to its
exit, so either side of its commit. Every delay comes from a calibration run on this machine and
backend, never from a constant: a faster (or slower) `tracker` must not weaken the test.
Afterwards the database must hold the whole batch or none of it, and verify. Trials run three at
a time. TRACKER_CRASH_TRIALS / TRACKER_CRASH_SEED for longer or repeated runs; the seed is printed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from tracker.db.engine import create

TRIALS = int(os.environ.get("TRACKER_CRASH_TRIALS", "20"))
DRAFTS = 10
TERMS = 40


def write_batch(folder: Path, trial: int) -> list[str]:
    """A negotiation and a chain of drafts; each draft changes a few terms of its parent."""
    folder.mkdir()
    neg = f"crash-{trial}"
    (folder / "negotiation.yaml").write_text(
        f"kind: negotiation\nid: {neg}\ntitle: Crash trial {trial}\nparties:\n"
        "  - {code: A, name: Acme}\n  - {code: B, name: Beta}\n"
    )
    files = [str(folder / "negotiation.yaml")]
    for i in range(DRAFTS):
        lines = [
            "kind: draft", f"negotiation: {neg}", f"id: d{i}", f"title: Draft {i}",
            f"tabled_by: [{'AB'[i % 2]}]", "date: 2025-03-01",
        ]
        if i:
            lines.append(f"parents: [d{i - 1}]")
        lines.append("terms:")
        for k in range(TERMS):
            changed = i if k % 10 == i % 10 else 0
            lines.append(f"  term_{k}:\n    value: {trial + 1}{k:03}{changed} days")
        path = folder / f"d{i:02}.yaml"
        path.write_text("\n".join(lines) + "\n")
        files.append(str(path))
    return files


def run_record(url: str, files: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", url, "record", *files],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "TRACKER_DB_URL": ""},
    )


class Writing:
    """Tells whether the trial's `tracker record` is inside its write transaction right now."""

    def __init__(self, url: str, app: str):
        self.url, self.app = url, app
        if url.startswith("sqlite"):
            import sqlite3

            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        else:
            self.engine = create(url)
            self.conn = self.engine.connect()

    def __call__(self) -> bool:
        if self.url.startswith("sqlite"):
            import sqlite3

            try:  # only a writer mid-transaction holds the write lock
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            self.conn.execute("ROLLBACK")
            return False
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a AND backend_xid IS NOT NULL")
        found = self.conn.execute(query, {"a": self.app}).scalar()
        self.conn.rollback()
        return bool(found)

    def close(self) -> None:
        self.conn.close()
        if not self.url.startswith("sqlite"):
            self.engine.dispose()


@dataclass
class Timing:
    """An undisturbed run: seconds to its exit, and from its start to its write transaction."""

    duration: float
    write_starts: float

    @property
    def write_to_exit(self) -> float:
        return self.duration - self.write_starts


@dataclass
class Trial:
    n: int
    url: str
    mode: str  # "random": killed after a random delay; "writing": killed soon after its transaction began
    returncode: int | None = None
    found: tuple[int, int] = (0, 0)
    seen_writing: bool = False


def run_trial(trial: Trial, folder: Path, timing: Timing, rng: random.Random) -> Trial:
    files = write_batch(folder / str(trial.n), trial.n)
    delay = rng.uniform(0.3, 1.6) * timing.duration  # trials run side by side, so slower than calibration
    # From the moment the write is seen to the exit: the transaction, its commit, closing down.
    pause = rng.uniform(0, 1) * timing.write_to_exit
    writing = Writing(trial.url, f"crash-{trial.n}") if trial.mode == "writing" else None
    proc = run_record(trial.url, files)
    started = time.time()
    try:
        if writing is None:
            time.sleep(delay)
        else:
            time.sleep(0.5 * timing.write_starts)  # start-up and reading come first; don't poll through them
            while proc.poll() is None and not writing() and time.time() - started < 30:
                time.sleep(0.004)
            trial.seen_writing = proc.poll() is None
            time.sleep(pause)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if writing is not None:
            writing.close()
    trial.returncode = proc.returncode
    trial.found = stored(trial.url, trial.n)
    return trial


def stored(url: str, trial: int) -> tuple[int, int]:
    """(negotiations, drafts) of this trial in the database."""
    engine = create(url)
    with engine.connect() as conn:
        negs = conn.execute(text("SELECT count(*) FROM negotiations WHERE slug = :s"), {"s": f"crash-{trial}"}).scalar()
        drafts = conn.execute(
            text("SELECT count(*) FROM drafts d JOIN negotiations n ON n.id = d.negotiation_id WHERE n.slug = :s"),
            {"s": f"crash-{trial}"},
        ).scalar()
    engine.dispose()
    return negs, drafts


def calibrate(url: str, folder: Path, runs: int = 3) -> Timing:
    """Time undisturbed runs on this machine and backend, watching for their write transaction.

    The least disturbed of a few runs: one run slowed by the machine's noise would stretch every
    delay and let trials finish before they are killed.
    """
    timings = []
    for run in range(runs):
        batch = 999 - run  # a new batch each time: recording the same one again writes nothing
        writing = Writing(url, "crash-999")  # the application_name url_for(999) gives on PostgreSQL
        proc = run_record(url, write_batch(folder / f"calibration-{run}", batch))
        started = time.time()
        write_starts = None
        try:
            while proc.poll() is None:
                if write_starts is None and writing():
                    write_starts = time.time() - started
                time.sleep(0.002)
            duration = time.time() - started
        finally:
            writing.close()
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert stored(url, batch) == (1, DRAFTS)
        # A transaction too short for the poll to catch: assume it began just before the exit.
        timings.append(Timing(duration, write_starts if write_starts is not None else 0.9 * duration))
    return min(timings, key=lambda t: (t.write_to_exit, t.duration))


def verify(url: str) -> list[str]:
    from tracker.db.store import Store
    from tracker.db.verify import verify as check

    store = Store.open(url)
    try:
        return [str(p) for p in check(store)]
    finally:
        store.close()


def test_record_killed_at_random_moments_stores_all_of_the_batch_or_none(tracker, tmp_path, capsys):
    # SQLite: a database file per trial, so "is it writing?" is a question about one process.
    # PostgreSQL: one schema; each trial's connection carries its own application_name.
    def url_for(n: int) -> str:
        if tracker.url.startswith("sqlite"):
            path = tmp_path / f"trial-{n}.db"
            shutil.copy(tracker.url.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        return f"{tracker.url}&application_name=crash-{n}"

    timing = calibrate(url_for(999), tmp_path)

    seed = int(os.environ.get("TRACKER_CRASH_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    trials = [Trial(n, url_for(n), "writing" if n % 2 else "random") for n in range(TRIALS)]
    rngs = [random.Random(rng.random()) for _ in trials]
    started = time.time()
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = list(pool.map(lambda t: run_trial(t, tmp_path, timing, rngs[t.n]), trials))
    elapsed = time.time() - started

    for t in done:
        context = f"trial {t.n} ({t.mode}, seed {seed}, exit {t.returncode})"
        assert t.found in ((0, 0), (1, DRAFTS)), f"{context}: partial batch stored: {t.found}"
        assert t.returncode in (0, -signal.SIGKILL), context
        assert t.returncode != 0 or t.found == (1, DRAFTS), context
    for url in sorted({t.url for t in done}):
        assert verify(url) == [], url
    killed = [t for t in done if t.returncode == -signal.SIGKILL]
    after_write_began = [t for t in killed if t.seen_writing]
    none = sum(t.found == (0, 0) for t in killed)
    with capsys.disabled():
        print(
            f"\n[crash {tracker.url.split(':')[0]}] {TRIALS} trials in {elapsed:.1f}s (seed {seed}, undisturbed run "
            f"{timing.duration:.2f}s, writing from {timing.write_starts:.2f}s): {len(killed)} killed ({len(after_write_began)} after their write transaction began), "
            f"{none} left nothing, {len(killed) - none} left the whole batch; {TRIALS - len(killed)} finished"
        )
    # The trials must actually interrupt writes, or they prove nothing.
    assert len(killed) >= TRIALS // 2
    assert len(after_write_began) >= TRIALS // 4
