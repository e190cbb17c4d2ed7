"""The diff engine: two term sheets compared key by key and value by value, renames paired.
Pure: no store, no click; imports only ``model``. Attribution walks one negotiation's view
and so lives with it, in ``history``."""
