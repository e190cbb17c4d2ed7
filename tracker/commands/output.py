"""Where a command's answer goes: standard output — through a pager on a terminal — or a file.

``output_options`` gives a command ``--format`` and ``destination_options``: ``--output/-o
FILE`` ('-': standard output, the default), ``--force`` and ``--no-pager``; the command then hands its answer to
``Output.render``, which draws it through the renderer registry. On a terminal, output goes
through a pager as git's and kart's does: ``TRACKER_PAGER``, else ``PAGER``, else
``less -FRX`` (it quits at once when the text fits the screen, and keeps colour); an empty
pager or ``cat`` means none, and so do ``--no-pager`` and ``TERM=dumb``. A file is written
atomically and never over another without ``--force`` (``outfile``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from tracker.commands import outfile
from tracker.commands.options import FILE
from tracker.model.errors import OutputError, UsageProblem
from tracker.render.registry import binary, formats, render

DEFAULT_PAGER = "less"
# What git sets for less when LESS is not set: quit if one screen, keep colour, no init.
LESS_DEFAULT = "FRX"


def destination_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--output/-o FILE``, ``--force`` and ``--no-pager``: where a command's answer goes."""
    for option in reversed([
        click.option("--output", "-o", type=FILE, metavar="FILE", help="Write to FILE ('-': standard output, the default)."),
        click.option("--force", is_flag=True, help="Overwrite FILE if it exists."),
        click.option("--no-pager", is_flag=True, help="Do not page the output on a terminal (also: TRACKER_PAGER=cat)."),
    ]):
        f = option(f)
    return f


def output_options(answer: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options of a command that prints ``answer`` (a name in the renderer registry): its
    ``--format`` (the registry's formats, the first the default) and ``destination_options``."""
    choices = formats(answer)

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = destination_options(f)
        return click.option("--format", "-f", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                            help="Output format.")(f)

    return decorate


@dataclass(frozen=True)
class Output:
    path: Path | None  # None or '-': standard output
    force: bool = False
    no_pager: bool = False

    def __post_init__(self) -> None:
        if self.to_file:
            outfile.check(self.path, self.force)  # type: ignore[arg-type]  # before any work is done

    def check_format(self, answer: str, fmt: str) -> None:
        """Refuse, before any work, a binary format (a Word file) for standard output: it is
        no text to read on a terminal, nor to pipe on as such."""
        if binary(answer, fmt) and not self.to_file:
            raise UsageProblem(f"--format {fmt} writes a binary file: give it with -o FILE.{fmt}; nothing was written")

    @property
    def to_file(self) -> bool:
        return not outfile.is_stdout(self.path)

    @property
    def colour(self) -> bool | None:
        """False: no colour (a file, NO_COLOR, TERM=dumb); None: where the terminal shows it."""
        if self.to_file or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
            return False
        return None

    def style(self) -> Callable[..., str]:
        """What a text renderer colours with: click's style, or nothing."""
        return click.style if self.colour is not False else _plain

    @property
    def width(self) -> int | None:
        """The columns text tables fit: the terminal's (``COLUMNS`` first), when the output goes
        to one; None for a pipe or a file, whose lines are never wrapped."""
        if self.to_file or not sys.stdout.isatty():
            return None
        import shutil  # only on a terminal

        return shutil.get_terminal_size().columns

    def render(self, answer: str, fmt: str, *args: Any, **options: Any) -> None:
        """Draw ``answer`` in ``fmt`` (``registry.render``) and write it."""
        self.write(render(answer, fmt, *args, width=self.width, **options), styled=options.get("style") is click.style)

    def write(self, pieces: Iterable[str | bytes], *, styled: bool = False) -> None:
        """Write the pieces where the output goes. ``styled``: they hold click's colours, which
        click takes out again where the terminal turns out to show none (a pipe)."""
        if self.to_file:
            outfile.write(self.path, pieces, self.force)  # type: ignore[arg-type]
            return
        pager = None if self.no_pager else pager_command()
        if pager is not None:
            _page(pager, pieces)
        elif styled:
            for piece in pieces:
                click.echo(piece, nl=False, color=self.colour)
        else:
            outfile.echo(pieces)


def pager_command() -> str | None:
    """The pager to use now (a shell command line, as git runs one): None unless standard
    output is a terminal that can page."""
    if not sys.stdout.isatty() or os.environ.get("TERM") == "dumb":
        return None
    spec = os.environ.get("TRACKER_PAGER")
    if spec is None:
        spec = os.environ.get("PAGER", DEFAULT_PAGER)
    spec = spec.strip()
    return None if not spec or spec == "cat" else spec


def _page(command: str, pieces: Iterable[str]) -> None:
    import subprocess  # only on a terminal: a command piped or redirected never loads it

    env = dict(os.environ)
    env.setdefault("LESS", LESS_DEFAULT)
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    try:
        for piece in pieces:
            proc.stdin.write(piece.encode("utf-8"))
    except BrokenPipeError:  # the reader quit the pager early: nothing more to show
        pass
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        code = proc.wait()
    if code in (126, 127):  # the shell could not find or run it
        raise OutputError(f"pager {command!r} could not be run (exit {code}); set TRACKER_PAGER, or give --no-pager")


def _plain(text: str, **_: Any) -> str:
    return text
