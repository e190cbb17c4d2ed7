"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external asset).

Drawn from the report's JSON form, which it also embeds in ``<script type="application/json"
id="report-data">`` so tools and tests can read the data back. Jinja2 escapes every string from
the data (``autoescape``); the embedded JSON has ``<``, ``>`` and ``&`` written as ``\\u003c``
etc. so no term text can close the script element; a Content-Security-Policy forbids scripts
and every network request, so even a rendering slip could not run or fetch anything.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from decimal import Decimal
from typing import Any, Iterator

from markupsafe import Markup, escape

from tracker.render.redline import DELETE, EQUAL, INSERT, clause_texts, paragraphs, redline

PALETTE = ("#2563eb", "#c2410c", "#059669", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d")
JOINT = "#475569"

# Chart geometry (SVG user units; the charts scale to the page width).
WIDTH = 880
LEFT = 120
RIGHT = 96
# Large negotiations: the distance chart shows this many terms, a convergence row lists this
# many typed distances (the JSON report has them all).
MAX_DISTANCE_ROWS = 24
MAX_LISTED = 6
# The rendered page is written in pieces of this many template outputs.
BUFFERED = 200


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a comment."""
    return "".join(embed_json_chunks(data))


def embed_json_chunks(data: Any) -> Iterator[str]:
    """``embed_json`` in pieces: each section and each of its entries encoded on its own
    (escaping is per character, so it does not depend on where the pieces are cut)."""
    for piece in _json_pieces(data, 2):
        yield _escape_embedded(piece)


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    """``json.dumps(value)`` (compact), cut into pieces ``depth`` levels down."""
    if depth and isinstance(value, dict) and value:
        for i, (key, item) in enumerate(value.items()):
            yield ("{" if i == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _json_pieces(item, depth - 1)
        yield "}"
    elif depth and isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield "[" if i == 0 else ","
            yield from _json_pieces(item, depth - 1)
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _escape_embedded(text: str) -> str:
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def colours(data: dict[str, Any]) -> dict[str, str]:
    return {p["code"]: PALETTE[i % len(PALETTE)] for i, p in enumerate(data["negotiation"]["parties"])}


def group_colour(codes: list[str], colour: dict[str, str]) -> str:
    return colour.get(codes[0], JOINT) if len(codes) == 1 else JOINT


def is_web_address(url: Any) -> bool:
    return isinstance(url, str) and re.fullmatch(r"https?://[^\s<>\"']+", url) is not None


class DateScale:
    def __init__(self, dates: list[str], left: float = LEFT, right: float = WIDTH - RIGHT):
        days = [dt.date.fromisoformat(d) for d in dates] or [dt.date.today()]
        self.first, self.last = min(days), max(days)
        self.left, self.right = left, right

    def __call__(self, date: str) -> float:
        span = (self.last - self.first).days
        if span == 0:
            return (self.left + self.right) / 2
        return self.left + (dt.date.fromisoformat(date) - self.first).days / span * (self.right - self.left)

    def ticks(self, dates: list[str]) -> list[dict[str, Any]]:
        return [{"x": round(self(d), 1), "label": d} for d in sorted(set(dates))]


def timeline_chart(data: dict[str, Any]) -> dict[str, Any]:
    """Drafts on a date axis, one lane per tabling party (or joint group), lineage as edges."""
    colour = colours(data)
    drafts = data["timeline"]
    groups: list[tuple[str, ...]] = []
    for p in data["negotiation"]["parties"]:
        groups.append((p["code"],))
    for d in drafts:
        g = tuple(d["tabled_by"])
        if g not in groups:
            groups.append(g)
    used = [g for g in groups if any(tuple(d["tabled_by"]) == g for d in drafts)]
    lane_h, top = 64, 28
    lanes = [{"y": top + i * lane_h + lane_h / 2, "label": " + ".join(g), "colour": group_colour(list(g), colour)} for i, g in enumerate(used)]
    lane_y = {g: lane["y"] for g, lane in zip(used, lanes)}
    scale = DateScale([d["date"] for d in drafts])
    nodes, seen = {}, {}
    for d in drafts:
        g = tuple(d["tabled_by"])
        x = scale(d["date"])
        n = seen.get((g, d["date"]), 0)
        seen[(g, d["date"])] = n + 1
        nodes[d["id"]] = {
            "x": round(x + n * 14, 1), "y": lane_y[g], "colour": group_colour(d["tabled_by"], colour),
            "id": d["id"], "label": f"v{d['seq']} {d['id']}", "title": f"{d['date']} · {d['title']} · {d['status']}",
            "status": d["status"], "below": n % 2 == 1,
        }
    edges = [
        {"x1": nodes[p]["x"], "y1": nodes[p]["y"], "x2": nodes[d["id"]]["x"], "y2": nodes[d["id"]]["y"]}
        for d in drafts for p in d["parents"] if p in nodes
    ]
    height = top + len(used) * lane_h + 34
    return {
        "width": WIDTH, "height": height, "lanes": lanes, "nodes": list(nodes.values()), "edges": edges,
        "ticks": scale.ticks([d["date"] for d in drafts]), "axis_y": height - 26,
    }


def convergence_chart(data: dict[str, Any]) -> dict[str, Any] | None:
    """Share of live terms agreed at each draft date, one line per pair of parties."""
    gaps = data["gaps"]
    if not gaps or not any(c["share"] is not None for g in gaps for c in g["convergence"]):
        return None
    colour = colours(data)
    top, height_plot = 20, 180
    dates = sorted({c["date"] for g in gaps for c in g["convergence"]})
    scale = DateScale(dates)
    lines = []
    for i, g in enumerate(gaps):
        points = []
        for c in g["convergence"]:
            if c["share"] is None:
                continue
            y = top + (1 - c["share"]) * height_plot
            points.append({
                "x": round(scale(c["date"]), 1), "y": round(y, 1), "label": f"{round(c['share'] * 100)}%",
                "known": c["known"],
                "title": f"{c['date']}: {c['agreed']} agreed, {c['open']} open, {c['unaddressed']} stated by one side only",
            })
        a, b = g["parties"]
        lines.append({
            "label": f"{a} – {b}", "colour": PALETTE[i % len(PALETTE)] if len(gaps) > 1 else colour.get(a, JOINT),
            "points": points, "path": " ".join(f"{p['x']},{p['y']}" for p in points),
        })
    grid = [{"y": round(top + (1 - f) * height_plot, 1), "label": f"{round(f * 100)}%"} for f in (0, 0.25, 0.5, 0.75, 1)]
    return {
        "width": WIDTH, "height": top + height_plot + 40, "lines": lines, "grid": grid,
        "ticks": scale.ticks(dates), "axis_y": top + height_plot + 22, "left": LEFT, "right": WIDTH - RIGHT,
        "bottom": top + height_plot,
    }


def distance_chart(data: dict[str, Any]) -> dict[str, Any] | None:
    """For each term with a typed distance, how far apart the first pair was at each date,
    scaled to the largest distance that term ever had."""
    if not data["gaps"]:
        return None
    conv = data["gaps"][0]["convergence"]
    terms = sorted({k for c in conv for k in c["distances"]})
    if not terms:
        return None
    total = len(terms)
    if total > MAX_DISTANCE_ROWS:  # a chart of thousands of rows reads as noise: those still apart first
        apart = {r["term"] for r in data["gaps"][0]["open"]}
        terms = sorted(sorted(terms, key=lambda k: k not in apart)[:MAX_DISTANCE_ROWS])
    open_sets = [set(c["open_terms"]) for c in conv]
    dates = [c["date"] for c in conv]
    scale = DateScale(dates, left=220, right=WIDTH - 150)
    row_h, top = 46, 12
    rows = []
    for i, key in enumerate(terms):
        found = _distances(conv, open_sets, key)
        biggest = max(amount for _, amount, _ in found) or Decimal(1)
        base = top + i * row_h + row_h - 12
        points = [
            {"x": round(scale(date), 1), "y": round(base - float(amount / biggest) * (row_h - 20), 1), "title": f"{date}: {text}"}
            for date, amount, text in found
        ]
        last_date = dates[-1]
        final = conv[-1]["distances"].get(key)
        rows.append({
            "label": key, "y": base, "top": base - (row_h - 20), "points": points,
            "path": " ".join(f"{p['x']},{p['y']}" for p in points),
            "last": final["text"] if final else ("closed" if _closed(data, key) else "no typed distance"),
            "last_x": scale(last_date) + 14,
        })
    return {"width": WIDTH, "height": top + len(terms) * row_h + 30, "rows": rows, "total": total, "ticks": scale.ticks(dates),
            "axis_y": top + len(terms) * row_h + 18, "left": 220, "right": WIDTH - 150}


def _distances(conv: list[dict[str, Any]], open_sets: list[set[str]], key: str) -> list[tuple[str, Decimal, str]]:
    """(date, magnitude, text) from the term's first typed distance on; a date where the term
    is no longer open counts as no distance at all, one where it is open untyped is left out."""
    out: list[tuple[str, Decimal, str]] = []
    for c, open_terms in zip(conv, open_sets):
        d = c["distances"].get(key)
        if d is not None:
            out.append((c["date"], _magnitude(d), d["text"]))
        elif out and key not in open_terms:
            out.append((c["date"], Decimal(0), "closed"))
    return out


def _closed(data: dict[str, Any], key: str) -> bool:
    return not any(r["term"] == key for r in data["gaps"][0]["open"])


def listed(items: dict[str, Any], limit: int = MAX_LISTED) -> tuple[list[tuple[str, Any]], int]:
    """The first ``limit`` entries of a mapping, and how many more there are."""
    shown = list(items.items())[:limit]
    return shown, len(items) - len(shown)


def _magnitude(d: dict[str, Any]) -> Decimal:
    amount = Decimal(d["amount"])
    return amount / d["steps"] if d["kind"] == "rank" and d["steps"] else amount


class Fragments:
    """The page's small repeated pieces of markup, the template's filters: party chips, values,
    status badges, source links. Made here, not as template macros, because a large report has
    hundreds of thousands of them, and a macro call (or a call of any function from the
    template) costs many times a filter's; chips are made once per party or group of parties.
    Every string from the data is escaped."""

    def __init__(self, colour: dict[str, str], names: dict[str, str]):
        self.colour, self.names = colour, names
        self._chips: dict[tuple[str, ...], Markup] = {}

    def chip(self, code: str) -> Markup:
        c, name = escape(self.colour.get(code, JOINT)), escape(self.names.get(code, code))
        return Markup(f'<span class="chip" style="--c: {c}" title="{name}">{escape(code)}</span>')

    def chips(self, codes: list[str] | None) -> Markup:
        key = tuple(codes or ())
        found = self._chips.get(key)
        if found is None:
            found = self._chips[key] = Markup("").join(self.chip(code) for code in key)
        return found

    @staticmethod
    def val(value: dict[str, Any] | None, text: str | None) -> Markup:
        """A value's text; an absent term and an explicit "none" have their own marks."""
        if value is None:
            return Markup('<span class="absent">—</span>')
        if value["type"] == "none":
            return Markup('<span class="none">none</span>')
        return Markup(f'<span class="v">{escape(text)}</span>')

    @staticmethod
    def label(text: str | None) -> Markup:
        """A term's human name, under its key."""
        return Markup(f'<span class="tlabel">{escape(text)}</span>') if text else Markup("")

    @staticmethod
    def disputed(reports: list[dict[str, Any]] | None) -> Markup:
        """A disputed value's competing accounts, wherever the value is shown."""
        if not reports:
            return Markup("")
        accounts = "; ".join(
            f"{escape(r['text'])} ({escape(', '.join(c['source'] for c in r['sources']) or 'no source')})" for r in reports
        )
        return Markup(f'<span class="disputed">disputed; also reported: {accounts}</span>')

    @staticmethod
    def redline(change: dict[str, Any]) -> Markup:
        """A clause's change as its word redline, ``<del>``/``<ins>`` inline, a ``<p>`` per
        paragraph ('' for any other change, drawn as was → now)."""
        texts = clause_texts(change)
        if texts is None:
            return Markup("")
        tags = {DELETE: "del", INSERT: "ins"}
        out = []
        for p in paragraphs(redline(*texts)):
            parts = [escape(text) if op == EQUAL else Markup(f"<{tags[op]}>{escape(text)}</{tags[op]}>") for op, text in p.parts]
            if p.mark != EQUAL:
                parts.append(Markup(f'<{tags[p.mark]} class="mark">¶</{tags[p.mark]}>'))
            out.append(Markup("<p>") + Markup(" ").join(parts) + Markup("</p>"))
        return Markup('<div class="redline">') + Markup("").join(out) + Markup("</div>")

    @staticmethod
    def status(s: str) -> Markup:
        return Markup(f'<span class="badge st-{escape(s)}">{escape(s)}</span>')

    @staticmethod
    def source_link(source: str) -> Markup:
        return Markup(f'<a class="src" href="#src-{escape(source)}">{escape(source)}</a>')


# What ``getattr`` finds on a plain dict (its keys come second in Jinja's lookup).
_DICT_ATTRIBUTES = frozenset(dir(dict))


def report_chunks(data: dict[str, Any]) -> Iterator[str]:
    """The page in pieces, as rendered: a large negotiation's page (tens of MB, half of it
    the embedded JSON) is written out as it is made, never held whole in memory."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    class DataEnvironment(Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            """Jinja's lookup, a plain dict's keys first unless a dict attribute of that name
            wins anyway: the page reads JSON data, hundreds of thousands of times, and Jinja
            tries (and fails) an attribute lookup first on every read."""
            if type(obj) is dict and attribute in obj and attribute not in _DICT_ATTRIBUTES:
                return obj[attribute]
            return super().getattr(obj, attribute)

    env = DataEnvironment(
        loader=PackageLoader("tracker.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.tests["web_address"] = is_web_address
    env.filters["listed"] = listed
    colour = colours(data)
    names = {p["code"]: p["name"] for p in data["negotiation"]["parties"]}
    fragments = Fragments(colour, names)
    for name in ("chip", "chips", "val", "label", "disputed", "redline", "status", "source_link"):
        env.filters[name] = getattr(fragments, name)
    template = env.get_template("report.html.j2")
    # Stands for the embedded JSON in the rendered page, which is streamed in its place: drawn
    # afresh for each page, so that no value in the data can spell it and splice the JSON in.
    marker = f"\x00report-data-{secrets.token_hex(16)}\x00"
    pieces = template.stream(
        data=data,
        colour=colour,
        joint=JOINT,
        drafts={d["id"]: d for d in data["timeline"]},
        names=names,
        timeline=timeline_chart(data),
        convergence=convergence_chart(data),
        distances=distance_chart(data),
        report_json=Markup(marker),
    )
    pieces.enable_buffering(BUFFERED)  # joined: a page is a million small pieces
    for piece in pieces:
        if marker in piece:
            before, _, after = piece.partition(marker)
            yield before
            yield from embed_json_chunks(data)
            yield after
        else:
            yield piece
