"""A small two-party negotiation with a branch, a rename and an explicit push, as files.

Parties A and B; B prefers a lower ``x``, and the parties rank ``tier`` in opposite orders.

    d1   A    2025-03-01              x=10%  y=$5M  z=[p, q]  no_shop=45 days  tier=gold
    d2   B    2025-03-03  from d1     x=5%   y=$6M  (z dropped)  exclusivity=45 days (renamed)  tier=bronze
    d2b  A    2025-03-04  from d1     x=5%   (a sibling branch: takes up B's 5%)
    d3   A    2025-03-05  from d2     x=7%   y=$5M  v=3 days (pushed by B)  tier=silver
    d4   A    2025-03-07  from d3     x=5%
    d5   A,B  2025-03-09  from d4     z=[p]  w=yes (pushed by A, with evidence)
"""

from __future__ import annotations

from pathlib import Path

NEGOTIATION = """kind: negotiation
id: deal
title: A small deal
parties:
  - {code: A, name: Alpha}
  - {code: B, name: Beta}
preferences:
  x: {A: higher, B: lower}
  tier: {A: [gold, silver, bronze], B: [bronze, silver, gold]}
sources:
  - {id: memo, outlet: Internal memo, url: "https://example.org/memo"}
  - {id: letter, outlet: Letter from A, date: 2025-03-08}
"""


def _draft(draft_id: str, tabled: str, date: str, parents: str, terms: str, sources: str = "[memo]") -> str:
    return f"""kind: draft
negotiation: deal
id: {draft_id}
title: Draft {draft_id}
tabled_by: [{tabled}]
date: {date}
parents: [{parents}]
sources: {sources}
terms:
{terms}"""


DRAFTS = {
    "d1": _draft("d1", "A", "2025-03-01", "", """  x: {value: 10%, sources: [{source: memo, quote: "ten per cent"}]}
  y: {value: $5 million}
  z: {value: [p, q]}
  no_shop: {value: 45 days}
  tier: {value: gold, type: choice}
"""),
    "d2": _draft("d2", "B", "2025-03-03", "d1", """  x: {value: 5%, sources: [{source: memo, quote: "five per cent"}]}
  y: {value: $6 million}
  exclusivity: {value: 45 days}
  tier: {value: bronze, type: choice}
"""),
    "d2b": _draft("d2b", "A", "2025-03-04", "d1", """  x: {value: 5%}
  y: {value: $5 million}
  z: {value: [p, q]}
  no_shop: {value: 45 days}
  tier: {value: gold, type: choice}
"""),
    "d3": _draft("d3", "A", "2025-03-05", "d2", """  x: {value: 7%}
  y: {value: $5 million}
  exclusivity: {value: 45 days}
  tier: {value: silver, type: choice}
  v: {value: 3 days, pushed_by: {parties: [B], evidence: "B asked for three days"}}
"""),
    "d4": _draft("d4", "A", "2025-03-07", "d3", """  x: {value: 5%}
  y: {value: $5 million}
  exclusivity: {value: 45 days}
  tier: {value: silver, type: choice}
  v: {value: 3 days}
"""),
    "d5": _draft("d5", "A, B", "2025-03-09", "d4", """  x: {value: 5%}
  y: {value: $5 million}
  exclusivity: {value: 45 days}
  tier: {value: silver, type: choice}
  v: {value: 3 days}
  z: {value: [p]}
  w:
    value: yes
    sources: [{source: letter, quote: "we insist on w"}]
    pushed_by: {parties: [A], evidence: "A's letter of 8 March", source: letter}
""", sources="[memo, letter]"),
}


def write_deal(folder: Path, negotiation: str, drafts: dict[str, str]) -> list[str]:
    """Write a negotiation file and its drafts (name → YAML) to ``folder``; the paths, ready for
    `tracker record`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "negotiation.yaml"]
    paths[0].write_text(negotiation, encoding="utf-8")
    for name, text in drafts.items():
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return [str(p) for p in paths]


def write_small_deal(folder: Path) -> list[str]:
    """Write this negotiation and its drafts to ``folder`` (``write_deal``)."""
    return write_deal(folder, NEGOTIATION, DRAFTS)
