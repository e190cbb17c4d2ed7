"""Renderers: plain data (from store, diff, history) → one output format per module."""
