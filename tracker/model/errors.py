"""Errors users see, each with a documented exit code.

The library raises these; only the CLI turns them into a one-line message and an exit status.
This module imports nothing heavy so the CLI can use it at start-up.

Exit codes:
    0  success
    1  ``diff --exit-code`` / ``verify``-style "differences found" answers
    2  usage error (click's own; a binary format asked for on standard output)
    3  invalid input: a malformed file, a wrong type, bad shorthand
    4  not found: unknown negotiation, draft, party, source or term
    5  conflict: already recorded with other content, lock timeout
    6  database: unreachable, not migrated, wrong URL
    7  integrity: ``tracker verify`` found tampering
    8  aborted by the user (an unchanged or emptied editor buffer)
    9  output: the file or standard output could not be written (a full disk, no permission)
   70  internal error: a bug in tracker (please report it, with TRACKER_DEBUG=1's traceback)
  130  interrupted (Ctrl-C); nothing was recorded
"""

from __future__ import annotations

from tracker.model.plain import escaped, one_line

DIFFERENT = 1
USAGE = 2
INVALID_INPUT = 3
NOT_FOUND = 4
CONFLICT = 5
DATABASE = 6
INTEGRITY = 7
ABORTED = 8
OUTPUT = 9


class TrackerError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = INVALID_INPUT

    def __init__(self, message: str, *, where: str | None = None):
        # Always one line of plain text: messages quote user input (a file name, a value) and
        # driver text, which may hold newlines or terminal escapes.
        message = one_line(str(message))
        where = escaped(where) if where is not None else None  # a file name: every character shown
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class UsageProblem(TrackerError):
    """Options that cannot go together, found before any work (click reports its own)."""

    exit_code = USAGE


class InvalidInput(TrackerError):
    exit_code = INVALID_INPUT


class NotFound(TrackerError):
    exit_code = NOT_FOUND


class Conflict(TrackerError):
    exit_code = CONFLICT


class DatabaseError(TrackerError):
    exit_code = DATABASE


class IntegrityFailure(TrackerError):
    exit_code = INTEGRITY


class Aborted(TrackerError):
    exit_code = ABORTED


class OutputError(TrackerError):
    exit_code = OUTPUT
