"""Timing helpers: medians of in-process calls and of whole commands, with peak memory."""

from __future__ import annotations

import atexit
import gc
import json
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
    # The benchmark holds every generated draft in memory; a tracker process would not. Freeze
    # those objects so that the garbage collector's full passes, which walk every live
    # object, cost what they would cost tracker alone.
    gc.collect()
    gc.freeze()
    try:
        return _in_process(fn, runs, budget_s, slow, memory)
    finally:
        gc.unfreeze()


def _in_process(fn: Callable[[], Any], runs: int, budget_s: float, slow: float, memory: bool) -> Figure:
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
        # The console script installed next to this interpreter, never one found on PATH: a
        # pyenv shim there is a bash script that would add ~40 ms to every run.
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
        return _spawner().run(argv, self.env, str(self.cwd), timeout)

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


def alternating(commands: dict[str, tuple[Command, Sequence[str], bool]], runs: int) -> dict[str, Figure]:
    """Several commands measured side by side: each run once to warm up, then ``runs`` rounds
    that run every one of them, in turn and in the opposite order every other round, so that
    the machine's drift falls on all of them alike. ``commands``: name → (how to run it, its
    arguments, whether it is a tool rather than tracker). A command that fails is not available."""
    names = list(commands)
    done: dict[str, list[Run]] = {name: [] for name in names}
    for i in range(runs + 1):
        for name in names if i % 2 == 0 else reversed(names):
            cmd, args, tool = commands[name]
            r = cmd.run(args, tool=tool)
            if r.code != 0:
                return {n: unavailable(f"{name}: exit {r.code}: {r.error}") for n in names}
            if i:  # the first round warms caches
                done[name].append(r)
    return {
        name: Figure(statistics.median(r.seconds for r in rs), len(rs), max(r.peak_mib for r in rs), statistics.median(r.cpu for r in rs),
                     samples=[round(r.seconds, 4) for r in rs])
        for name, rs in done.items()
    }


@dataclass
class Run:
    code: int
    seconds: float
    cpu: float
    peak_mib: float
    error: str


def run_here(argv: list[str], env: dict[str, str], cwd: str, timeout: float | None) -> Run:
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
        deadline = None if timeout is None else t + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if time.perf_counter() > deadline:  # type: ignore[operator]
                proc.kill()
                os.wait4(proc.pid, 0)
                return Run(-9, time.perf_counter() - t, 0.0, 0.0, f"timed out after {timeout:.0f} s")
            time.sleep(0.002)
        elapsed = time.perf_counter() - t
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip()
    code = os.waitstatus_to_exitcode(status)
    return Run(code, elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.splitlines()[0] if text else "")


class Spawner:
    """Runs commands from a small helper process, started before the benchmark grows.

    Linux counts the memory of the process that forked a command in the command's peak RSS
    (``ru_maxrss`` survives fork and exec), so commands forked straight from the benchmark,
    which holds hundreds of MiB of generated drafts, would all seem to use that much.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )

    def run(self, argv: list[str], env: dict[str, str], cwd: str, timeout: float | None) -> Run:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd, "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        return Run(**json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


_SPAWNER: Spawner | None = None


def _spawner() -> Spawner:
    """The helper process; call early (``run.py`` does, first thing) so that it stays small."""
    global _SPAWNER
    if _SPAWNER is None:
        _SPAWNER = Spawner()
        atexit.register(_SPAWNER.close)
    return _SPAWNER


start_spawner = _spawner


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.write(json.dumps(asdict(run_here(**request))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
