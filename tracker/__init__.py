"""tracker: a negotiation-position tracker with versioned proposals.

Kept import-free on purpose: ``tracker --help`` must start fast, so nothing heavy is imported here.
"""

__version__ = "0.1.0"
