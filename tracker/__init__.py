"""tracker: a negotiation-position tracker with versioned proposals.

Kept import-free on purpose: ``tracker --help`` must start fast, so nothing heavy is imported
here. The Python API (``tracker.open`` and what it returns, in ``tracker/api.py``) is loaded
on first use.
"""

__version__ = "0.1.0"

_API = frozenset({"open", "Database", "Negotiation", "Answer"})


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name in _API:
        from tracker import api

        return getattr(api, name)
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")
