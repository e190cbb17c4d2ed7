"""Where answers go: every read command writes to standard output, to ``-o FILE`` (atomically,
never over a file without ``--force``) or, on a terminal, through a pager; every format a
command offers is one the renderer registry draws."""

from __future__ import annotations

import inspect
import os
import pty
import select
import subprocess
import sys
from collections import Counter
from importlib import import_module
from pathlib import Path

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO
from tracker.cli import COMMANDS, cli
from tracker.render.columns import display_width, table
from tracker.render.registry import RENDERERS

SAMPLE = REPO / "tests" / "sample"

# Each read command, as a user would type it on the sample negotiation, and its answer's name.
READS = {
    "log": (["log"], "log"),
    "show": (["show", "counter", "--quotes"], "draft"),
    "parties": (["parties"], "parties"),
    "negotiations": (["negotiations"], "negotiations"),
    "diff": (["diff", "first-offer", "counter"], "diff"),
    "blame": (["blame"], "blame"),
    "history": (["history", "structure"], "history"),
    "positions": (["positions"], "positions"),
    "gap": (["gap"], "gap"),
    "verify": (["verify"], "verify"),
}


@pytest.fixture
def sample(tracker):  # type: ignore[no-untyped-def]
    tracker.ok("record", *sorted(str(p) for p in SAMPLE.glob("*.yaml")))
    return tracker


def _command(name: str) -> click.Command:
    return import_module(f"tracker.commands.{COMMANDS[name][0]}").__dict__[f"{name}_command"]


@pytest.mark.parametrize("name", sorted(READS))
def test_a_commands_formats_are_those_the_registry_draws(name):
    fmt = next(p for p in _command(name).params if p.name == "fmt")
    assert tuple(fmt.type.choices) == tuple(RENDERERS[READS[name][1]])


def test_the_report_offers_the_formats_the_registry_draws():
    fmt = next(p for p in _command("report").params if p.name == "fmt")
    assert tuple(fmt.type.choices) == tuple(RENDERERS["report"]) == ("markdown", "html", "json", "csv")


@pytest.mark.parametrize("answer, fmt", [(a, f) for a, formats in RENDERERS.items() for f in formats])
def test_every_registered_renderer_exists_and_takes_the_options_it_is_given(answer, fmt):
    r = RENDERERS[answer][fmt]
    function = getattr(import_module(f"tracker.render.{r.module}"), r.function)
    params = inspect.signature(function).parameters
    assert all(o in params for o in r.options)


@pytest.mark.parametrize("name", sorted(READS))
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_o_file_holds_exactly_what_standard_output_shows(sample, tmp_path, name, fmt):
    args, _ = READS[name]
    shown = sample.ok(*args, "--format", fmt).stdout
    assert sample.ok(*args, "--format", fmt, "-o", "-").stdout == shown
    done = sample.ok(*args, "--format", fmt, "-o", "out.txt")
    assert (done.stdout, (tmp_path / "out.txt").read_text(encoding="utf-8")) == ("", shown)


@pytest.mark.parametrize("fmt", ["markdown", "jsonpatch"])
def test_a_diff_in_any_format_goes_to_a_file_as_it_would_to_the_screen(sample, tmp_path, fmt):
    shown = sample.ok("diff", "first-offer", "counter", "--format", fmt).stdout
    sample.ok("diff", "first-offer", "counter", "--format", fmt, "-o", "d.out")
    assert (tmp_path / "d.out").read_text(encoding="utf-8") == shown


def test_a_file_is_never_written_over_without_force(sample, tmp_path):
    (tmp_path / "kept.txt").write_text("mine\n")
    result = sample("blame", "-o", "kept.txt")
    assert (result.exit_code, result.stdout, result.stderr) == (5, "", "Error: kept.txt: already exists; use --force to overwrite it\n")
    assert (tmp_path / "kept.txt").read_text() == "mine\n"
    sample.ok("blame", "-o", "kept.txt", "--force")
    assert (tmp_path / "kept.txt").read_text(encoding="utf-8") == sample.ok("blame").stdout


def test_a_bad_target_is_refused_before_any_work_and_nothing_is_written(sample, tmp_path):
    result = sample("diff", "first-offer", "nowhere", "-o", "missing/out.txt")
    assert (result.exit_code, result.stderr) == (3, "Error: missing/out.txt: folder missing does not exist\n")
    result = sample("diff", "first-offer", "nowhere", "-o", "d.txt")  # an unknown draft: no file appears
    assert result.exit_code == 4 and not (tmp_path / "d.txt").exists()


def test_a_coloured_diff_is_never_coloured_in_a_file(sample, tmp_path):
    result = sample.runner.invoke(cli, ["--db", sample.url, "diff", "first-offer", "counter", "-o", str(tmp_path / "d.txt")],
                                  env={"TRACKER_DB_URL": "", "NO_COLOR": "", "TERM": "xterm-256color"}, color=True)
    assert result.exit_code == 0
    assert "\x1b[" not in (tmp_path / "d.txt").read_text(encoding="utf-8")


# --- the pager, on a real terminal ------------------------------------------------------------


def _on_a_terminal(url: str, cwd: Path, args: list[str], **env: str) -> tuple[int, str]:
    """Run tracker with its standard output on a pseudo-terminal: (exit code, what it showed)."""
    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("PAGER", "TRACKER_PAGER", "LESS")}
    full_env.update({"TRACKER_DB_URL": "", "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "500", **env})
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", url, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=full_env)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("tracker did not finish on the terminal")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    code = proc.wait(timeout=60)
    return code, shown.decode("utf-8").replace("\r\n", "\n")


PAGER = "printenv LESS > less.txt; cat > paged.txt"


def test_on_a_terminal_output_goes_through_the_pager(sample, tmp_path):
    code, shown = _on_a_terminal(sample.url, tmp_path, ["log"], TRACKER_PAGER=PAGER)
    assert (code, shown) == (0, "")
    assert (tmp_path / "paged.txt").read_text(encoding="utf-8") == sample.ok("log").stdout
    assert (tmp_path / "less.txt").read_text() == "FRX\n"  # git's options for less, unless LESS is set


def test_the_pager_comes_from_pager_when_tracker_pager_is_not_set_and_keeps_less_options(sample, tmp_path):
    code, _ = _on_a_terminal(sample.url, tmp_path, ["parties"], PAGER=PAGER, LESS="S")
    assert code == 0
    assert (tmp_path / "paged.txt").read_text(encoding="utf-8") == sample.ok("parties").stdout
    assert (tmp_path / "less.txt").read_text() == "S\n"


@pytest.mark.parametrize("how", [{"args": ["--no-pager"]}, {"TRACKER_PAGER": "cat"}, {"TRACKER_PAGER": ""}, {"TERM": "dumb"}])
def test_no_pager_when_asked_or_when_the_terminal_cannot_page(sample, tmp_path, how):
    env = {"TRACKER_PAGER": PAGER, **{k: v for k, v in how.items() if k != "args"}}
    code, shown = _on_a_terminal(sample.url, tmp_path, ["parties", *how.get("args", [])], **env)
    assert (code, shown) == (0, sample.ok("parties").stdout)
    assert not (tmp_path / "paged.txt").exists()


def test_a_pipe_or_a_file_is_never_paged(sample, tmp_path):
    env = {**os.environ, "TRACKER_DB_URL": "", "TRACKER_PAGER": PAGER}
    done = subprocess.run([sys.executable, "-m", "tracker", "--db", sample.url, "parties"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, sample.ok("parties").stdout)
    assert not (tmp_path / "paged.txt").exists()


def test_a_pager_that_cannot_be_run_is_one_line_naming_it(sample, tmp_path):
    master, slave = pty.openpty()
    env = {**os.environ, "TRACKER_DB_URL": "", "TERM": "xterm", "TRACKER_PAGER": "no-such-pager-here"}
    proc = subprocess.run([sys.executable, "-m", "tracker", "--db", sample.url, "parties"], cwd=tmp_path, env=env, stdout=slave,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(slave)
    os.close(master)
    assert proc.returncode == 9
    assert proc.stderr.splitlines()[-1] == (
        "Error: pager 'no-such-pager-here' could not be run (exit 127); set TRACKER_PAGER, or give --no-pager")


# --- tables fit the terminal ------------------------------------------------------------------


def test_on_a_narrow_terminal_tables_wrap_to_fit_and_hold_the_same_words(sample, tmp_path):
    code, shown = _on_a_terminal(sample.url, tmp_path, ["log", "--no-pager"], COLUMNS="80")
    assert code == 0
    lines = shown.rstrip("\n").split("\n")
    rows = [line for line in lines if not line.startswith(("history head:", "Acme"))]  # not table rows
    assert max(display_width(line) for line in rows) <= 80
    assert "    counter-offer" in shown  # the title wrapped at its space, the word whole
    whole = sample.ok("log").stdout
    assert max(display_width(line) for line in whole.split("\n")[1:-2]) > 80  # a pipe gets every row on one line
    assert shown.split() == whole.split()  # the same words, in the same order


def test_a_table_aligns_wide_characters_and_colour_by_what_the_terminal_shows():
    out = table([["a", "日本語", "x"], ["\x1b[1mUS\x1b[0m", "abc", "y"]], ["k", "v", "z"])
    assert out.split("\n") == ["k   v       z", "a   日本語  x", "\x1b[1mUS\x1b[0m  abc     y"]


def test_a_table_wraps_its_widest_column_at_spaces_and_breaks_a_longer_word():
    out = table([["v1", "a title that is much too long", "ok"], ["v2", "x" * 30, "ok"]], width=36)
    assert out.split("\n") == [
        "v1  a title that is much too      ok",
        "    long",
        "v2  xxxxxxxxxxxxxxxxxxxxxxxxxxxx  ok",
        "    xx",
    ]
    assert table([["a", "b"]], width=1) == "a  b"  # cannot fit: left as it is


@given(st.lists(st.lists(st.text(alphabet="ab 日é\u0301", max_size=30), min_size=3, max_size=3), min_size=1, max_size=6),
       st.integers(min_value=20, max_value=80))
def test_a_wrapped_table_keeps_every_word_in_order_and_fits_when_it_can(rows, width):
    out = table(rows, width=width)
    assert Counter("".join(out.split())) == Counter("".join(table(rows).split()))  # nothing lost or added
    assert out.count("\n") >= table(rows).count("\n")
    if all(display_width(w) <= 12 for r in rows for c in r for w in c.split(" ")):
        assert all(display_width(line) <= max(width, 3 * 12 + 4) for line in out.split("\n"))
