"""Benchmark tracker at scale, side by side with DeepDiff and git on the same drafts.

    python benchmarks/run.py                       the full sweep on SQLite
    python benchmarks/run.py --pg postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/run.py --sizes 5000:200      one size only
    python benchmarks/run.py --sizes 40:4,6 --runs 1 --out /tmp/bench   a smoke run

``--sizes`` lists ``N:V1,V2,…``: one synthetic negotiation of N terms per entry, measured
after V1, V2, … drafts (a smaller V's drafts are a prefix of a larger one's, so recording
continues from one checkpoint to the next). Drafts are recorded with the real CLI, in
batches; the last ``--runs`` drafts before each checkpoint are recorded one command at a time
and timed. Everything else is the median of ``--runs`` runs after a warm-up.

Prints a table per size and the targets at N=5,000, V=200, and writes all figures as JSON to
``<out>/latest.json`` and ``<out>/bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anchors
import synthetic
from measure import Command, Figure, alternating, in_process, start_spawner, unavailable

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = "100:50 1000:50 5000:10,50,200 20000:50"
TARGET_SIZE = (5000, 200)
MIB = 2**20
# Terms recorded per CLI call while building the database (bounds the loader's memory).
BATCH_TERMS = 60_000


def parse_sizes(specs: list[str]) -> list[tuple[int, list[int]]]:
    out = []
    for spec in specs:
        n, _, vs = spec.partition(":")
        checkpoints = sorted({int(v) for v in vs.split(",")}) if vs else [200]
        if int(n) < 10 or checkpoints[0] < 2:
            raise SystemExit(f"--sizes {spec}: need N ≥ 10 and every V ≥ 2")
        out.append((int(n), checkpoints))
    return out


# --- databases ---------------------------------------------------------------------------


class Backend:
    """A fresh, empty database for one negotiation; dropped by ``close``."""

    def __init__(self, name: str, base_url: str | None, folder: Path):
        self.name = name
        self.base_url = base_url
        self.schema: str | None = None
        if name == "sqlite":
            path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
            self.path: Path | None = path
            self.url = f"sqlite:///{path}"
        else:
            assert base_url is not None
            self.path = None
            self.schema = f"bench_{uuid.uuid4().hex[:10]}"
            self._pg(f'CREATE SCHEMA "{self.schema}"')
            sep = "&" if "?" in base_url else "?"
            self.url = f"{base_url}{sep}options=-csearch_path%3D{self.schema}"

    def _pg(self, sql: str) -> Any:
        from sqlalchemy import text

        from tracker.db.engine import create

        engine = create(self.base_url)  # type: ignore[arg-type]
        try:
            with engine.begin() as conn:
                result = conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()

    def size(self) -> int:
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            wal = self.path.with_name(self.path.name + "-wal")
            return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        return int(self._pg(
            "SELECT sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)) "
            f"FROM pg_tables WHERE schemaname = '{self.schema}'"
        ))

    def close(self, keep: bool = False) -> None:
        if self.path is not None:
            if not keep:
                for p in self.path.parent.glob(self.path.name + "*"):
                    p.unlink()
        elif not keep:
            self._pg(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


# --- one size ------------------------------------------------------------------------------


def record_until(cmd: Command, neg: synthetic.Negotiation, done: int, upto: int, runs: int) -> tuple[int, Figure]:
    """Record drafts ``done+1 .. upto``: in batches, then the last ``runs`` one by one, timed."""
    timed = neg.drafts[max(done, upto - runs):upto]
    bulk = neg.drafts[done:max(done, upto - runs)]
    files = ([neg.negotiation_path] if done == 0 else []) + [d.path for d in bulk]
    per_batch = max(1, BATCH_TERMS // neg.n_terms)
    for i in range(0, len(files), per_batch):
        cmd.ok(["record", *map(str, files[i:i + per_batch])])
    done_runs = [cmd.ok(["record", str(d.path)]) for d in timed]
    return upto, Figure(
        statistics.median(r.seconds for r in done_runs), len(done_runs), max(r.peak_mib for r in done_runs),
        statistics.median(r.cpu for r in done_runs), samples=[round(r.seconds, 4) for r in done_runs],
    )


def measure_checkpoint(cmd: Command, backend: Backend, neg: synthetic.Negotiation, v: int, runs: int, commands: dict[str, bool]) -> dict[str, Any]:
    """Everything measured on one database holding the first ``v`` drafts."""
    from deepdiff import DeepDiff

    from tracker.db.store import Store
    from tracker.engine.diff import compare
    from tracker.history.compare import diff_records

    latest = neg.drafts[v - 1]
    adjacent_old = latest.parents[0]
    first = neg.drafts[0].id
    key = neg.busiest_key(v)
    figures: dict[str, Figure] = {}

    figures["tracker diff (adjacent)"] = cmd.measure(["diff", adjacent_old, latest.id], runs)
    figures["tracker diff (first → latest)"] = cmd.measure(["diff", first, latest.id], runs)
    for name, args, available in (
        ("tracker blame latest", ["blame", "latest"], commands["blame"]),
        ("tracker history KEY", ["history", key], commands["history"]),
        ("tracker report --format html", ["report", "--format", "html"], commands["report"]),
    ):
        figures[name] = cmd.measure(args, runs) if available else unavailable("not available")

    store = Store.open(backend.url)
    try:
        negotiation = store.negotiation(synthetic.NEGOTIATION)
        records = {r.id: r for r in store.log(negotiation.id)}
        new, old, one = records[latest.id], records[adjacent_old], records[first]
        sheets = {r.id: store.terms(r) for r in (new, old, one)}
        hashes = {r.id: store.manifest(r) for r in (new, old, one)}
        for label, a in (("adjacent", old), ("first → latest", one)):
            figures[f"diff engine compare() ({label})"] = in_process(
                lambda a=a: compare(sheets[a.id], sheets[new.id], hashes[a.id], hashes[new.id]), runs
            )
            figures[f"diff_records() ({label})"] = in_process(lambda a=a: diff_records(store, negotiation, a, new), runs)
            whole_a = {k: t.canonical() for k, t in sheets[a.id].items()}
            whole_b = {k: t.canonical() for k, t in sheets[new.id].items()}
            # threshold_to_diff_deeper=0: by default DeepDiff stops at the root ("the sheet
            # changed") once over a third of the keys differ, which is no term-by-term diff.
            figures[f"DeepDiff whole sheets ({label})"] = in_process(
                lambda x=whole_a, y=whole_b: DeepDiff(x, y, threshold_to_diff_deeper=0), min(runs, 3), budget_s=20
            )
        # "Any draft": the first snapshot, the one with the longest delta chain, the middle, the latest.
        deepest = max(records.values(), key=lambda r: (r.chain_depth, r.seq))
        middle = sorted(records.values(), key=lambda r: r.seq)[len(records) // 2]
        reads = {r.id: in_process(lambda r=r: store.read(r.id, negotiation.id), runs) for r in (one, deepest, middle, new)}
        slowest = max(reads, key=lambda i: reads[i].median_s or 0)
        figures["read back a draft (slowest of 4)"] = reads[slowest]
        figures["read back a draft (slowest of 4)"].note = f"{slowest} (chain depth {records[slowest].chain_depth})"
        # Terms are parsed when first looked at; what it costs to parse every one of them too.
        figures["read back a draft, every term parsed"] = in_process(lambda: store.read(slowest, negotiation.id).draft, runs)
        # What one row per term per draft would take: every draft's terms at their stored size.
        mean_body = sum(len(t.model_dump_json(exclude_defaults=True)) + len(k) for k, t in sheets[new.id].items()) / max(1, len(sheets[new.id]))
        naive = sum(r.term_count for r in records.values()) * mean_body
    finally:
        store.close()
    size = backend.size()
    return {
        "figures": {k: f.json() for k, f in figures.items()},
        "db_bytes": size,
        "naive_bytes": int(naive),
        "history_key": key,
        "adjacent": [adjacent_old, latest.id],
        "terms_in_latest": len(neg.drafts[v - 1].terms),
    }


def measure_git(neg: synthetic.Negotiation, repo: Path, v: int, runs: int, cmd: Command) -> dict[str, Any]:
    latest = neg.drafts[v - 1]
    figures = {
        name: cmd.measure(argv, runs, tool=True)
        for name, argv in anchors.git_commands(repo, latest.parents[0], latest.id, neg.drafts[0].id).items()
    }
    return {"figures": {k: f.json() for k, f in figures.items()}}


def run_size(n: int, checkpoints: list[int], args: argparse.Namespace, backends: list[tuple[str, str | None]], commands: dict[str, bool]) -> dict[str, Any]:
    data = args.out / "data" / f"N{n}"
    if data.exists():
        shutil.rmtree(data)
    t = time.perf_counter()
    neg = synthetic.write(synthetic.generate(n, checkpoints[-1], args.seed), data / "drafts")
    generated = time.perf_counter() - t
    out: dict[str, Any] = {"n": n, "checkpoints": {}, "generate_s": round(generated, 2)}
    for v in checkpoints:
        out["checkpoints"][str(v)] = {}

    for name, base_url in backends:
        backend = Backend(name, base_url, data)
        cmd = Command.for_url(backend.url, data)
        try:
            if name == "postgresql":
                cmd.ok(["db", "upgrade"])
            done = 0
            for v in checkpoints:
                t = time.perf_counter()
                done, record = record_until(cmd, neg, done, v, args.runs)
                point = measure_checkpoint(cmd, backend, neg, v, args.runs, commands)
                point["figures"] = {"tracker record FILE": record.json(), **point["figures"]}
                point["seconds"] = round(time.perf_counter() - t, 1)
                out["checkpoints"][str(v)][name] = point
                print(f"  N={n} V={v} {name}: {point['seconds']} s", file=sys.stderr, flush=True)
        finally:
            backend.close(keep=args.keep_data)

    if not args.no_git:
        t = time.perf_counter()
        repo = anchors.build_git_repo(neg, data / "git")
        cmd = Command.for_url("", data)
        for v in checkpoints:
            out["checkpoints"][str(v)]["git"] = measure_git(neg, repo, v, args.runs, cmd)
        out["git_bytes"] = anchors.git_size(repo)
        print(f"  N={n} git: {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    if not args.keep_data:
        shutil.rmtree(data)
    return out


# --- the report ----------------------------------------------------------------------------


# What this machine makes of the same work, to compare runs on different machines: a fixed
# pure-Python loop, an interpreter that does nothing, and one that imports what every command
# reading the database imports (SQLAlchemy, pydantic, tracker's models) before any work, with
# the garbage collector handled as the console script handles it (tracker.cli.main).
FLOOR = {
    "python -c pass": "pass",
    "imports of a reading command": "import gc; gc.disable(); import click, tracker.history.reading, tracker.history.compare; gc.freeze()",
}


def _loop() -> int:
    x = 0
    for i in range(3_000_000):
        x += i
    return x


# A short read command against the interpreter that only imports SQLAlchemy: the issue's
# start-up target (``targets``), measured side by side on the case study's six drafts.
IMPORT_SQLALCHEMY = 'python -c "import sqlalchemy"'
LOG_SMALL = "tracker log (small database)"
# The same on PostgreSQL: what any command reading a PostgreSQL database costs before its work
# (the driver, a connection), the floor under its targets there.
LOG_SMALL_PG = "tracker log (small database, postgresql)"
STARTUP_LIMIT = 1.25


def calibrate(cmd: Command, runs: int) -> dict[str, Figure]:
    out = {"python loop, 3 million additions": in_process(_loop, runs, memory=False)}
    for name, code in FLOOR.items():
        out[name] = cmd.measure([sys.executable, "-c", code], runs, tool=True)
    return out


def startup(folder: Path, runs: int, pg: str | None) -> dict[str, Figure]:
    """``tracker log`` on a small database (the case study, ``tracker seed``) and a bare
    ``import sqlalchemy``, alternating run by run, and with ``pg`` the same ``tracker log`` on
    PostgreSQL; the databases are removed after."""
    path = folder / "small.db"
    small = Command.for_url(f"sqlite:///{path}", folder)
    server = Backend("postgresql", pg, folder) if pg else None
    try:
        small.ok(["seed"])
        commands = {IMPORT_SQLALCHEMY: (small, [sys.executable, "-c", "import sqlalchemy"], True), LOG_SMALL: (small, ["log"], False)}
        if server is not None:
            on_server = Command.for_url(server.url, folder)
            on_server.ok(["db", "upgrade"])
            on_server.ok(["seed"])
            commands[LOG_SMALL_PG] = (on_server, ["log"], False)
        return alternating(commands, runs)
    finally:
        for p in folder.glob("small.db*"):
            p.unlink()
        if server is not None:
            server.close()


def startup_ratio(floor: dict[str, Any]) -> float | None:
    """``tracker log`` on a small database ÷ ``import sqlalchemy``, by median CPU time."""
    log, bare = floor.get(LOG_SMALL), floor.get(IMPORT_SQLALCHEMY)
    if not log or not bare or log.get("cpu_s") is None or not bare.get("cpu_s"):
        return None
    return log["cpu_s"] / bare["cpu_s"]


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    mem = next((int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), None) if Path("/proc/meminfo").exists() else None
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    import deepdiff
    import pydantic
    import sqlalchemy

    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1) if mem else None,
        "os": platform.platform(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "git": git, "deepdiff": deepdiff.__version__, "pydantic": pydantic.VERSION, "sqlalchemy": sqlalchemy.__version__,
    }


def seconds(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 0.1 else f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def fmt_time(f: dict[str, Any] | None, width: int = 36) -> str:
    if not f:
        return "—"
    if f.get("median_s") is None:
        note = f.get("note", "—")
        return note if len(note) <= width else note[: width - 1] + "…"
    return seconds(f["median_s"])


def fmt_cpu(f: dict[str, Any] | None) -> str:
    return seconds(f["cpu_s"]) if f and f.get("cpu_s") is not None else ""


def fmt_ratio(r: float | None) -> str:
    return "" if r is None else f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def fmt_mem(f: dict[str, Any] | None) -> str:
    return f"{f['peak_mib']:.0f} MiB" if f and f.get("peak_mib") is not None else ""


def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if not a or not b or a.get("median_s") is None or b.get("median_s") is None or not b["median_s"]:
        return None
    return a["median_s"] / b["median_s"]


# tracker figure → the anchor it is compared with
ANCHORS = {
    "tracker diff (adjacent)": ("git", "git diff (adjacent)"),
    "tracker diff (first → latest)": ("git", "git diff (first → latest)"),
    "tracker blame latest": ("git", "git blame"),
    "tracker history KEY": ("git", "git log -p"),
    "diff engine compare() (adjacent)": ("sqlite", "DeepDiff whole sheets (adjacent)"),
    "diff engine compare() (first → latest)": ("sqlite", "DeepDiff whole sheets (first → latest)"),
    "diff_records() (adjacent)": ("sqlite", "DeepDiff whole sheets (adjacent)"),
    "diff_records() (first → latest)": ("sqlite", "DeepDiff whole sheets (first → latest)"),
}


def table(results: dict[str, Any]) -> str:
    lines = []
    names = [b for b in ("sqlite", "postgresql") if b in results["backends"]]
    for size in results["sizes"]:
        for v, point in size["checkpoints"].items():
            lines.append(f"\nN={size['n']} terms, V={v} drafts")
            head = ["operation"] + [h for b in names for h in (b, "cpu", "peak")] + ["anchor", "anchor time", "anchor ÷ sqlite"]
            rows = [head]
            ops = list(point[names[0]]["figures"])
            for op in ops:
                row = [op]
                for b in names:
                    f = point[b]["figures"].get(op)
                    row += [fmt_time(f), fmt_cpu(f), fmt_mem(f)]
                where, anchor = ANCHORS.get(op, (None, None))
                af = point.get(where, {}).get("figures", {}).get(anchor) if where else None
                r = ratio(af, point[names[0]]["figures"].get(op))
                row += [anchor or "", fmt_time(af) if anchor else "", fmt_ratio(r)]
                rows.append(row)
            for b in names:
                p = point[b]
                rows.append([f"database size ({b})", f"{p['db_bytes'] / MIB:.2f} MiB", "", "", *([""] * (3 * len(names) - 3)),
                             "one row per term per draft", f"{p['naive_bytes'] / MIB:.2f} MiB", fmt_ratio(p['naive_bytes'] / max(1, p['db_bytes']))])
            widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
            for r in rows:
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if "git_bytes" in size:
            lines.append(f"git repository of the {max(map(int, size['checkpoints']))} drafts: {size['git_bytes'] / MIB:.1f} MiB")
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The issues' targets, checked at N=5,000, V=200 (or the largest size measured): those
    of commands on the database on each database measured (issue 14: "both databases")."""
    points = [(s["n"], int(v), p) for s in results["sizes"] for v, p in s["checkpoints"].items()]
    n, v, point = next(((n, v, p) for n, v, p in points if (n, v) == TARGET_SIZE), max(points, key=lambda x: (x[0] * x[1], x[0])))
    sq = point["sqlite"]["figures"]
    help_ = results["help"]
    floor = results.get("floor", {})
    checks: list[dict[str, Any]] = []

    def check(name: str, figure: dict[str, Any] | None, limit_s: float, extra: str = "") -> None:
        value = figure.get("median_s") if figure else None
        checks.append({"target": name, "limit": f"≤ {limit_s * 1000:.0f} ms" if limit_s < 1 else f"≤ {limit_s:g} s",
                       "measured": fmt_time(figure) + extra, "met": value is not None and value <= limit_s})

    def against_deepdiff(name: str, figure: dict[str, Any] | None, deepdiff: dict[str, Any] | None, limit: float, what: str) -> None:
        r = ratio(figure, deepdiff)
        checks.append({"target": name, "limit": f"≤ {what} DeepDiff", "met": None if r is None else r <= limit,
                       "measured": f"{fmt_time(figure)} against {fmt_time(deepdiff)} ({fmt_ratio(r)})" if r is not None else "not measured"})

    check("tracker --help", help_, 0.080)
    start = startup_ratio(floor)
    checks.append({"target": LOG_SMALL, "limit": f"≤ {STARTUP_LIMIT}× import sqlalchemy",
                   "measured": f"{start:.2f}× ({fmt_cpu(floor[LOG_SMALL])} / {fmt_cpu(floor[IMPORT_SQLALCHEMY])} CPU, "
                               f"{floor[LOG_SMALL]['runs']} runs each, alternating)" if start else "not measured",
                   "met": None if start is None else start <= STARTUP_LIMIT})
    check("tracker record of a file", sq["tracker record FILE"], 1.0)
    dd = ratio(sq.get("DeepDiff whole sheets (adjacent)"), sq.get("diff engine compare() (adjacent)"))
    engine = sq["diff engine compare() (adjacent)"]
    checks.append({"target": "diff engine in-process (adjacent drafts)", "limit": "≤ 10 ms and ≥ 20× DeepDiff",
                   "measured": f"{fmt_time(engine)}, {dd:.0f}× DeepDiff" if dd else fmt_time(engine),
                   "met": bool(engine.get("median_s") is not None and engine["median_s"] <= 0.010 and dd and dd >= 20)})
    check("read back any draft in-process", sq["read back a draft (slowest of 4)"], 0.030)
    size = point["sqlite"]["db_bytes"]
    checks.append({"target": "database size", "limit": "≤ 10 MiB", "measured": f"{size / MIB:.2f} MiB", "met": size <= 10 * MIB})
    for b in ("sqlite", "postgresql"):
        if b not in point:
            continue
        fig = point[b]["figures"]
        base = floor.get(LOG_SMALL if b == "sqlite" else LOG_SMALL_PG)
        below = f" (`tracker log` of six drafts here: {fmt_time(base)})" if base and base.get("median_s") else ""
        against_deepdiff(f"tracker diff (adjacent) ({b})", fig.get("tracker diff (adjacent)"), fig.get("DeepDiff whole sheets (adjacent)"), 0.5, "½ an in-process")
        against_deepdiff(f"diff_records() first → latest ({b})", fig.get("diff_records() (first → latest)"),
                         fig.get("DeepDiff whole sheets (first → latest)"), 1.0, "an in-process")
        check(f"tracker blame latest ({b})", fig.get("tracker blame latest"), 1.0)
        check(f"tracker history KEY ({b})", fig.get("tracker history KEY"), 0.300, below)
        check(f"tracker report --format html ({b})", fig.get("tracker report --format html"), 5.0)
    peaks = [(f"{b}: {op}", f["peak_mib"]) for b in ("sqlite", "postgresql") if b in point for op, f in point[b]["figures"].items() if f.get("peak_mib") is not None]
    worst = max(peaks, key=lambda p: p[1])
    checks.append({"target": "peak memory of any of these", "limit": "≤ 300 MiB", "measured": f"{worst[1]:.0f} MiB ({worst[0]})", "met": worst[1] <= 300})
    if "postgresql" in point:
        pg = point["postgresql"]["figures"]
        ratios = {op: ratio(pg.get(op), f) for op, f in sq.items() if not op.startswith("DeepDiff")}
        known = {op: r for op, r in ratios.items() if r is not None}
        worst_op = max(known, key=known.get)
        checks.append({"target": "PostgreSQL within 2× of SQLite", "limit": "≤ 2×", "measured": f"worst {known[worst_op]:.2f}× ({worst_op})", "met": known[worst_op] <= 2})
    else:
        checks.append({"target": "PostgreSQL within 2× of SQLite", "limit": "≤ 2×", "measured": "not measured (no --pg URL)", "met": None})
    rows = [("target", "limit", "measured", "met")] + [(c["target"], c["limit"], c["measured"], {True: "yes", False: "NO", None: "—"}[c["met"]]) for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    text = f"\nTargets at N={n}, V={v}\n" + "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    return text, checks


def markdown(results: dict[str, Any]) -> str:
    """README tables from a results file: the targets, then how each cost grows."""
    _, checks = targets(results)
    out = ["| target | limit | measured | met |", "| --- | --- | --- | --- |"]
    out += [f"| {c['target']} | {c['limit']} | {c['measured']} | {dict([(True, 'yes'), (False, '**no**'), (None, '—')])[c['met']]} |" for c in checks]
    points = [(s["n"], v, p) for s in results["sizes"] for v, p in s["checkpoints"].items()]
    backends = results["backends"]
    head = "| operation | " + " | ".join(f"N={n} V={v}" for n, v, _ in points) + " |"
    out += ["", head, "|" + " --- |" * (len(points) + 1)]
    ops = list(points[0][2][backends[0]]["figures"])
    for b in backends:
        for op in ops:
            cells = [fmt_time(p[b]["figures"].get(op), 24) for _, _, p in points]
            out.append(f"| {op} ({b}) | " + " | ".join(cells) + " |")
        out.append(f"| database size ({b}) | " + " | ".join(f"{p[b]['db_bytes'] / MIB:.2f} MiB" for _, _, p in points) + " |")
    if "git" in points[0][2]:
        for op in points[0][2]["git"]["figures"]:
            out.append(f"| {op} | " + " | ".join(fmt_time(p["git"]["figures"].get(op), 24) for _, _, p in points) + " |")
    if results.get("floor"):  # runs before these figures existed have none
        out += ["", "| this machine | time | CPU |", "| --- | --- | --- |"]
        out += [f"| {name} | {fmt_time(f, 24)} | {fmt_cpu(f)} |" for name, f in results["floor"].items()]
        if startup_ratio(results["floor"]):
            out.append(f"| {LOG_SMALL} ÷ import sqlalchemy | | {startup_ratio(results['floor']):.2f}× |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES.split(), metavar="N:V,V", help=f"default: {DEFAULT_SIZES}")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median); default 5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", metavar="URL", default=os.environ.get("TRACKER_BENCH_PG_URL"), help="also measure PostgreSQL (default: $TRACKER_BENCH_PG_URL)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder (default: benchmarks/results)")
    parser.add_argument("--no-git", action="store_true", help="skip the git anchor")
    parser.add_argument("--keep-data", action="store_true", help="keep generated drafts, databases and the git repository")
    parser.add_argument("--markdown", type=Path, metavar="JSON", help="print the README tables of an earlier run's results file, and stop")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    start_spawner()  # before anything big is in memory (see measure.Spawner)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    backends: list[tuple[str, str | None]] = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
    probe = Command.for_url(f"sqlite:///{args.out / 'probe.db'}", args.out)
    help_ = probe.measure(["--help"], max(args.runs, 5))
    floor = calibrate(probe, max(args.runs, 5))
    floor.update(startup(args.out, max(4 * args.runs + 1, 9), args.pg))
    commands = {name: probe.available(name) for name in ("blame", "history", "report")}
    results: dict[str, Any] = {
        "schema": "tracker.benchmark/v1",
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "seed": args.seed, "runs": args.runs,
        "backends": [b for b, _ in backends], "help": help_.json(), "floor": {k: f.json() for k, f in floor.items()},
        "commands": commands, "sizes": [],
    }
    for n, checkpoints in parse_sizes(args.sizes):
        results["sizes"].append(run_size(n, checkpoints, args, backends, commands))
    results["total_s"] = round(time.perf_counter() - started, 1)

    print(f"tracker --help: {fmt_time(results['help'])} (peak {fmt_mem(results['help'])})")
    for name, f in results["floor"].items():
        print(f"{name}: {fmt_time(f)}" + (f" ({fmt_cpu(f)} CPU)" if name in (IMPORT_SQLALCHEMY, LOG_SMALL, LOG_SMALL_PG) else ""))
    if startup_ratio(results["floor"]):
        print(f"{LOG_SMALL} ÷ import sqlalchemy: {startup_ratio(results['floor']):.2f}× (CPU)")
    print(table(results))
    text, checks = targets(results)
    results["targets"] = checks
    print(text)
    print(f"\nWhole run: {results['total_s']:.0f} s on {results['machine']['cpu']}, {results['machine']['cores']} cores")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for name in ("latest.json", f"bench-{stamp}.json"):
        (args.out / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Figures written to {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
