"""Where a command writes: standard output (``-o -``) or a regular file, never anything else.

A file is written only if it does not exist yet, or with ``--force`` over an existing regular
file, atomically (a temporary file renamed over it: a reader sees the old file or the new
one). A symbolic link, a device, a FIFO or a socket is refused: renaming over it would replace
it (``/dev/null`` would become a regular file), and writing through it goes where the user did
not say. Both checks run before any work and again just before the file is touched.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterable

from tracker.model.errors import Conflict, InvalidInput, OutputError

STDOUT = "-"


def is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == STDOUT


def check(path: Path, force: bool) -> None:
    """Refuse, before any work is done, a target that is not a new or (with ``force``) an
    existing regular file in an existing folder."""
    if "\x00" in str(path):
        raise InvalidInput(f"{path}: is not a file name: it holds a NUL character")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot write: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise InvalidInput(f"{path}: is a symbolic link; give the path of a regular file")
        if stat.S_ISDIR(st.st_mode):
            raise InvalidInput(f"{path}: is a folder; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"{path}: is not a regular file (a device, FIFO or socket); give the path of a regular file")
        if not force:
            raise Conflict(f"{path}: already exists; use --force to overwrite it")
    parent = path.parent
    if not parent.is_dir():
        raise InvalidInput(f"{path}: folder {parent} does not exist")


def write(path: Path, pieces: Iterable[str | bytes], force: bool) -> None:
    """Write the pieces to ``path`` (see the module's rules); nothing is left behind if
    writing fails."""
    check(path, force)
    fd, tmp, claimed = None, None, False
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.chmod(tmp, _file_mode(path))  # mkstemp makes it private; an export is an ordinary file
        with os.fdopen(fd, "wb") as f:
            fd = None
            for piece in pieces:
                f.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        check(path, force)  # the target may have appeared, or been swapped, meanwhile
        if not force:
            _claim(path)  # fails if the path exists by now: never replaces a file
            claimed = True
        os.replace(tmp, path)
        tmp = claimed = None
    except FileExistsError:
        raise Conflict(f"{path}: already exists; use --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if claimed:
            path.unlink(missing_ok=True)


def echo(pieces: Iterable[str]) -> None:
    """Write the pieces to standard output (a closed pipe or a full disk is the CLI's to report)."""
    for piece in pieces:
        sys.stdout.write(piece)
    sys.stdout.flush()


def _claim(path: Path) -> None:
    """Create ``path`` empty, only if it does not exist (it is then replaced by the full file)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, or what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
