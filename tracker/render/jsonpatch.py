"""RFC 6902 JSON Patch from a diff: turns the ``terms`` object of ``tracker show A --format
json`` into B's. Every removal or replacement is guarded by a ``test`` of the old term, so the
patch refuses to apply to anything but A. Those objects hold the terms each draft states; a
term a partial draft only carries over is not among them."""

from __future__ import annotations

from typing import Any


def pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def patch(d: Any) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for c in d.result.changes:
        if c.kind == "annotated" and not c.old_stated:
            ops.append({"op": "add", "path": pointer(c.term), "value": c.new.canonical()})
        elif c.kind == "unreported" or c.kind == "dropped" and not c.old_stated:
            if c.old_stated:
                ops.append({"op": "test", "path": pointer(c.term), "value": c.old.canonical()})
                ops.append({"op": "remove", "path": pointer(c.term)})
        elif c.kind == "added" or not c.old_stated:
            ops.append({"op": "add", "path": pointer(c.term), "value": c.new.canonical()})
        elif c.kind == "dropped":
            ops.append({"op": "test", "path": pointer(c.term), "value": c.old.canonical()})
            ops.append({"op": "remove", "path": pointer(c.term)})
        elif c.kind == "renamed":
            ops.append({"op": "test", "path": pointer(c.old_term), "value": c.old.canonical()})
            ops.append({"op": "remove", "path": pointer(c.old_term)})
            ops.append({"op": "add", "path": pointer(c.term), "value": c.new.canonical()})
        else:
            ops.append({"op": "test", "path": pointer(c.term), "value": c.old.canonical()})
            ops.append({"op": "replace", "path": pointer(c.term), "value": c.new.canonical()})
    return ops
