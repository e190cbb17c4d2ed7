import os
import subprocess
import sys

import click

from tracker.cli import cli


def test_seed_then_log_lists_the_six_case_study_drafts(seeded):
    data = seeded.json("log")
    assert [d["id"] for d in data["drafts"]] == [
        "us-initial", "kyiv-amendments", "us-revised", "draft-2025-02-22", "draft-2025-02-24", "fund-framework",
    ]


# The console script skips the garbage collector's start-up and exit work (tracker.cli.main): what it
# prints into a pipe, and its exit code, must be exactly what the command produced.

def run_script(*args: str, cwd) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = {**os.environ, "TRACKER_DB_URL": "", "NO_COLOR": "1", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_help_into_a_pipe_is_complete_and_exits_0(tmp_path):
    # COLUMNS=80 makes click wrap at 78 columns (CliRunner would force 80).
    expected = cli.get_help(click.Context(cli, info_name="tracker", terminal_width=78, **cli.context_settings)) + "\n"
    run = run_script("--help", cwd=tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (0, expected, "")
    assert run.stdout.endswith("tampered with.\n")  # the end of the last command's line: nothing was cut off


def test_database_commands_into_a_pipe_print_everything_and_keep_their_exit_codes(seeded):
    for args, code in [
        (["log"], 0),
        (["diff", "v1", "latest", "--format", "json"], 0),
        (["diff", "v1", "v2", "--exit-code"], 1),  # the drafts differ: 1, like diff(1)
        (["show", "no-such-draft"], 4),  # NOT_FOUND, with its one-line message on stderr
    ]:
        expected = seeded(*args)
        run = run_script("--db", seeded.url, *args, cwd=seeded.cwd)
        assert (run.returncode, run.stdout, run.stderr) == (code, expected.stdout, expected.stderr), args
        assert expected.exit_code == code, args


def test_every_command_shows_examples_in_its_help():
    """Each command's --help ends with lines a user can type (as git and kart show them)."""
    from click.testing import CliRunner

    from tracker.cli import COMMANDS, cli

    names = [[n] for n in COMMANDS] + [["negotiation", "create"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"]]
    for name in names:
        result = CliRunner().invoke(cli, [*name, "--help"])
        assert result.exit_code == 0, name
        assert "\n  tracker " in result.output or "\n    tracker " in result.output, f"{' '.join(name)} --help shows no example"
