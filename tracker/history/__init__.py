"""One negotiation's view — every term in every draft, held, left out, carried over or
unknown, and each party's position (``view``) — and the answers read off it: who pushed each
change (``attribution``), diffs (``compare``), blame, term histories, positions and gaps, and
the change-history report. Reads the store (``db``) once; never writes."""
