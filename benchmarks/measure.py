"""Timing helpers: medians of in-process calls and of whole commands, with peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence


@dataclass
class Figure:
    """One measured operation: median seconds over ``runs``, peak memory in MiB."""

    median_s: float | None
    runs: int = 0
    peak_mib: float | None = None
    cpu_s: float | None = None  # median CPU time (user + system): steadier than wall time on a busy machine
    note: str | None = None  # why there is no figure ("not available", an error line)
    samples: list[float] | None = None

    def json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def unavailable(note: str) -> Figure:
    return Figure(None, note=note)


def in_process(fn: Callable[[], Any], runs: int, *, budget_s: float = 10.0, slow: float = 2.0, memory: bool = True) -> Figure:
    """Median of ``runs`` calls after one warm-up; stops early once ``budget_s`` is spent.

    A warm-up slower than ``slow`` seconds is the only run (the figure is far over any target
    already). Peak memory is what Python allocated during one extra traced call (tracemalloc
    slows the call, so it is never part of the timing); skipped for slow calls.
    """
    start = time.perf_counter()
    c = time.process_time()
    fn()  # warm-up: first-use caches (pydantic validators, statement compilation)
    warm, warm_cpu = time.perf_counter() - start, time.process_time() - c
    if warm > slow:
        return Figure(warm, 1, None, warm_cpu, samples=[round(warm, 6)])
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if time.perf_counter() - start > budget_s:
            break
    peak = None
    if memory:
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    return Figure(statistics.median(samples), len(samples), peak, statistics.median(cpu), samples=[round(s, 6) for s in samples])


@dataclass
class Command:
    """How to run the tracker CLI (and other tools) as a user would, from a clean environment."""

    tracker: list[str]
    env: dict[str, str]
    cwd: Path

    @classmethod
    def for_url(cls, url: str, cwd: Path) -> "Command":
        script = Path(sys.executable).parent / "tracker"
        tracker = [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]
        env = dict(os.environ)
        # A user's installation caches bytecode; some sandboxes turn that off, which would
        # make every start-up recompile tracker's own modules.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update({"TRACKER_DB_URL": url, "NO_COLOR": "1", "GIT_PAGER": "cat", "PAGER": "cat"})
        return cls(tracker, env, cwd)

    def run(self, args: Sequence[str], *, tool: bool = False, timeout: float | None = None) -> "Run":
        """One run: exit code, wall and CPU seconds, peak RSS in MiB, first stderr line."""
        argv = list(args) if tool else [*self.tracker, *args]
        with tempfile.TemporaryFile() as err:
            t = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=self.env, cwd=self.cwd)
            deadline = None if timeout is None else t + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
                if pid:
                    break
                if time.perf_counter() > deadline:  # type: ignore[operator]
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    return Run(-9, time.perf_counter() - t, 0.0, 0.0, f"timed out after {timeout:.0f} s")
                time.sleep(0.005)
            elapsed = time.perf_counter() - t
            proc.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip()
        return Run(proc.returncode, elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.splitlines()[0] if text else "")

    def measure(self, args: Sequence[str], runs: int, *, tool: bool = False, timeout: float = 30.0, slow: float = 3.0) -> Figure:
        """Median wall time of the whole command (start-up included), CPU time and peak RSS.

        The first run warms caches (bytecode, the OS's file cache) and is not counted, unless
        it took longer than ``slow`` seconds: then it is the only run, so that a command far
        over its target cannot stretch the benchmark. A run over ``timeout`` is stopped.
        """
        first = self.run(args, tool=tool, timeout=timeout)
        if first.code != 0:
            return unavailable(first.error if first.code == -9 else f"exit {first.code}: {first.error}")
        done = [first] if first.seconds > slow else []
        while len(done) < (1 if done else runs):
            r = self.run(args, tool=tool, timeout=timeout)
            if r.code != 0:
                return unavailable(r.error if r.code == -9 else f"exit {r.code}: {r.error}")
            done.append(r)
        return Figure(
            statistics.median(r.seconds for r in done), len(done), max(r.peak_mib for r in done),
            statistics.median(r.cpu for r in done), samples=[round(r.seconds, 4) for r in done],
        )

    def ok(self, args: Sequence[str], *, tool: bool = False) -> "Run":
        r = self.run(args, tool=tool)
        if r.code != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {r.code}: {r.error}")
        return r

    def available(self, name: str) -> bool:
        """Whether the tracker has this command (``tracker NAME --help`` exits 0)."""
        return self.run([name, "--help"]).code == 0


@dataclass
class Run:
    code: int
    seconds: float
    cpu: float
    peak_mib: float
    error: str
