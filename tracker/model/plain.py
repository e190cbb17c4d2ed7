"""Plain text: what may go into one line of output, and how anything else is shown.

A control character (C0, DEL, C1) or a line or paragraph separator in user text could forge a
row of a table or send a terminal a command (``ESC [ 2 J``). One-line fields refuse them when
recorded (``termsheet.draft_input_problems``); free text keeps them, and every text renderer and
error message shows them escaped, through this module. Imports only ``re``: error messages use it
at start-up.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(m: "re.Match[str]") -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escaped(text: str) -> str:
    """``text`` with every control character written as an escape (ESC as ``\\x1b``)."""
    return CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """User text for one line of output: any run of whitespace (newlines included) as one
    space, other control characters escaped. JSON and CSV keep text as it is."""
    return escaped(" ".join(text.split()))
