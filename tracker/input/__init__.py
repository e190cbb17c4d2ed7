"""Drafts coming in: files and command-line edits read into term sheets (``loading``,
``recording``), corrections and status changes (``amending``), exports read and restored
(``portable``). Works on a store it is handed and never opens one; imports only ``model``."""
