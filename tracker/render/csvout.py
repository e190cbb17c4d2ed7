"""CSV for spreadsheets: one row per change, from the JSON form of the report.

A cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` first, after any
blanks, in ASCII or full-width form; or a tab, carriage return or newline first) is prefixed with an apostrophe, unless it is a plain number: term text is data,
never something a spreadsheet should run.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Any

COLUMNS = (
    "negotiation", "date", "draft", "seq", "tabled_by", "status", "coverage", "against", "term", "label", "old_term", "kind",
    "old", "old_stated", "new", "new_stated", "change", "pushed_by", "basis", "introduced_in", "adopted_from", "stance",
    "disputed", "evidence", "sources", "quotes",
)
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if _NUMBER.fullmatch(text):
        return text
    # Spreadsheets skip leading blanks and read full-width forms ("＝") as the ASCII ones.
    first = text.lstrip()[:1]
    if text[:1] in ("\t", "\r", "\n") or (first and unicodedata.normalize("NFKC", first) in ("=", "+", "-", "@")):
        return "'" + text
    return text


def rows(data: dict[str, Any]) -> list[dict[str, str]]:
    by_id = {d["id"]: d for d in data["timeline"]}
    out = []
    for block in data["changes"]:
        d = by_id[block["draft"]]
        for c in block["changes"]:
            quotes = [q for q in c["quotes"] if q["quote"]]
            row = {
                "negotiation": data["negotiation"]["id"],
                "date": d["date"],
                "draft": d["id"],
                "seq": d["seq"],
                "tabled_by": " ".join(d["tabled_by"]),
                "status": d["status"],
                "coverage": d["coverage"],
                "against": block["against"],
                "term": c["term"],
                "label": c["label"],
                "old_term": c["old_term"],
                "kind": c["kind"],
                "old": c["old_text"],
                "old_stated": "yes" if c["old_stated"] else "no",
                "new": c["new_text"],
                "new_stated": "yes" if c["new_stated"] else "no",
                "change": c["delta_text"],
                "pushed_by": " ".join(c["pushed_by"] or []),
                "basis": c["basis"],
                "introduced_in": c["introduced_in"],
                "adopted_from": c["adopted_from"],
                "stance": "; ".join(f"{p} {s}" for p, s in sorted((c["stance"] or {}).items())),
                "disputed": " | ".join(f"{r['text']} ({' '.join(x['source'] for x in r['sources'])})" for r in c["new_reports"] or []),
                "evidence": c["evidence"],
                "sources": " ".join(q["source"] for q in c["quotes"]),
                "quotes": " | ".join(f"[{q['source']}] {q['quote']}" for q in quotes),
            }
            out.append({k: safe(v) for k, v in row.items()})
    return out


def report(data: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(data))
    return buf.getvalue()
