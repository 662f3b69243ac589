"""Render a map (see docs/internals.md) as ONE self-contained, offline HTML page.

The page inlines vis-network (the copy bundled with pyvis, so no CDN and no ``lib/``
folder), the project's template/CSS/JS (``litmap/templates/map.*``) and the data as a
JSON block.  Every text field of the corpus is untrusted: it only ever reaches the page
inside ``<script type="application/json">`` with ``< > & U+2028 U+2029`` escaped, and the
page's JS puts it into the DOM with ``textContent`` only.  A Content-Security-Policy with
the hashes of the page's own scripts blocks anything else from running or loading.

Output is deterministic: same map and bibtex dict give byte-identical HTML.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litmap.names import surname
from litmap.text import plain

__all__ = ["render_html", "Addon", "inline_script", "csp_hash", "script_json"]

VIS_VERSION = "9.1.2"
FONT = 14.0                      # label font size, canvas units (vis scales it with zoom)
CHAR_W = 0.6 * FONT              # conservative average glyph width for the label box
LABEL_MAX = 22                   # label characters before an ellipsis
R_MIN, R_MAX = 7.0, 26.0         # node radius range (log of citation count)
SEED_R_MIN = 16.0                # seeds are never drawn tiny
PALETTE = ["#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0",
           "#225ea8", "#253494", "#081d58"]           # YlGnBu: light = old, dark = new
UNKNOWN_YEAR = "#c9c9c9"
CLUSTER_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948",
                   "#76b7b2", "#ff9da7", "#9c755f", "#86bcb6"]  # Tableau 10: tell apart, no order
NO_CLUSTER = "#d4d4d4"
EDGE_RGB = (92, 107, 122)

_ARXIV_RE = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(v\d+)?$", re.I)
_DOI_RE = re.compile(r"^10\.\d{3,9}/[^\s\"<>]+$")
_S2_RE = re.compile(r"^[0-9a-f]{40}$")
_CTRL = {c: " " for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_MARKER_RE = re.compile(r"@@LITMAP_([A-Z_]+)@@")
_VIS_CSS_DROP = ("vis-manipulation", "vis-edit", "vis-configuration", "vis-config",
                 "vis-color-picker", "vis-close", "vis-navigation", "vis-button")


# --------------------------------------------------------------------------- assets
def _vendor() -> tuple[str, str]:
    """vis-network JS and (trimmed) CSS from the installed pyvis package."""
    # Locate the installed pyvis package without executing it (importing pyvis pulls in
    # jinja2/networkx/IPython: ~1 s); only its bundled vis-network files are used.
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litmap's HTML map needs the 'pyvis' package (pip install pyvis)")
    base = os.path.join(list(spec.submodule_search_locations)[0], "lib", f"vis-{VIS_VERSION}")
    with open(os.path.join(base, "vis-network.min.js"), encoding="utf-8") as fh:
        js = fh.read()
    with open(os.path.join(base, "vis-network.css"), encoding="utf-8") as fh:
        css = fh.read()
    # Drop the rules of UI parts the page never enables (editing toolbar, configurator,
    # navigation buttons): they are ~200 kB of base64 icons.
    rules = re.findall(r"[^{}]+\{[^{}]*\}", css)
    css = "".join(r for r in rules if not any(k in r.split("{", 1)[0] for k in _VIS_CSS_DROP))
    return js, css


def _template(name: str) -> str:
    # a file beside this module (package data); importlib.resources would cost 20 ms at every start
    return (Path(__file__).parent / "templates" / name).read_text(encoding="utf-8")


def inline_script(js: str) -> str:
    # Nothing inside a <script> may close it or open an HTML comment (the only two ways
    # out of script data); both rewrites are no-ops for JS semantics in strings/regexes.
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.I)
    return js.replace("<!--", "<\\!--")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def script_json(obj) -> str:
    """JSON that is safe inside <script type="application/json">."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --------------------------------------------------------------------------- values
def _text(value, multiline: bool = False, limit: int = 20000):
    """Untrusted text -> clean str (or None).  Never escaped here: the page uses textContent."""
    if value is None:
        return None
    s = str(value)
    if not s.isascii():
        s = s.encode("utf-8", "replace").decode("utf-8")        # lone surrogates -> '?'
    s = s.translate(_CTRL)
    if multiline:
        lines = (" ".join(line.split()) for line in s.replace("\r", "\n").split("\n"))
        s = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        s = " ".join(s.split())
    return s.strip()[:limit] or None


def _num(value, digits: int | None = None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else value


def _int(value):
    v = _num(value)
    return int(v) if v is not None else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _label(p: dict) -> str:
    authors = p.get("authors") or []
    name = _text(_plain(authors[0].get("name"), scripts=False)) if authors and isinstance(authors[0], dict) else None
    first = surname(name) if name else None
    if not first:
        first = (_text(_plain(p.get("title"))) or "Untitled").split(" ")[0]
    year = _int(p.get("year"))
    label = f"{first} {year}" if year is not None else first
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "\u2026"


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _year_colour(year, lo, hi) -> str:
    if year is None or lo is None:
        return UNKNOWN_YEAR
    t = 0.5 if hi == lo else (year - lo) / (hi - lo)
    pos = t * (len(PALETTE) - 1)
    i = min(int(pos), len(PALETTE) - 2)
    f = pos - i
    a, b = _hex(PALETTE[i]), _hex(PALETTE[i + 1])
    return "#%02x%02x%02x" % tuple(round(a[k] + (b[k] - a[k]) * f) for k in range(3))


def _plain(value, multiline: bool = False, scripts: bool = True):
    """LaTeX and HTML entities as the reader should see them (None stays None)."""
    if value is None:
        return None
    s = str(value)
    if not s.isascii():
        s = s.encode("utf-8", "replace").decode("utf-8")
    return plain(s.translate(_CTRL), multiline=multiline, scripts=scripts)


def _paper(p: dict) -> dict:
    """The fields the page shows, cleaned.  Links are re-validated by the page's JS too."""
    ext = _dict(p.get("externalIds"))
    doi, arxiv = _text(ext.get("DOI")), _text(ext.get("ArXiv"))
    journal = _dict(p.get("journal"))
    pid = _text(p.get("id") or p.get("paperId")) or ""
    return {
        "id": pid,
        "s2": pid if _S2_RE.match(pid) else None,
        "title": _text(_plain(p.get("title")), limit=1000) or "Untitled",
        "authors": [a for a in (_text(_plain(x.get("name"), scripts=False), limit=300)
                                for x in (p.get("authors") or []) if isinstance(x, dict)) if a],
        "year": _int(p.get("year")),
        "venue": _text(_plain(p.get("venue")), limit=500) or _text(_plain(journal.get("name")), limit=500),
        "cites": _int(p.get("citationCount")),
        "abstract": _text(_plain(p.get("abstract"), multiline=True), multiline=True),
        "tldr": _text(_plain(p.get("tldr"), multiline=True), multiline=True, limit=2000),
        "doi": doi if doi and _DOI_RE.match(doi) else None,
        "arxiv": arxiv if arxiv and _ARXIV_RE.match(arxiv) else None,
    }


# --------------------------------------------------------------------------- payload
def _payload(m: dict, bibtex: dict) -> dict:
    nodes, seen = [], set()
    for p in m.get("nodes") or []:
        pid = _text(p.get("id") or p.get("paperId")) if isinstance(p, dict) else None
        if pid and pid not in seen:
            seen.add(pid)
            nodes.append(p)
    seeds = {_text(s) for s in m.get("seeds") or []}
    years = [y for y in (_int(p.get("year")) for p in nodes) if y is not None]
    lo, hi = (min(years), max(years)) if years else (None, None)
    logs = [math.log1p(max(_int(p.get("citationCount")) or 0, 0)) for p in nodes]
    lmin, lmax = (min(logs), max(logs)) if logs else (0.0, 0.0)
    radii = [R_MIN + (R_MAX - R_MIN) * ((v - lmin) / (lmax - lmin) if lmax > lmin else 0.35)
             for v in logs]
    is_seed = [p.get("role") == "seed" or _text(p.get("id") or p.get("paperId")) in seeds for p in nodes]
    radii = [max(r, SEED_R_MIN) if sd else r for sd, r in zip(is_seed, radii)]
    out_nodes = []
    for p, r, sd in zip(nodes, radii, is_seed):
        d = _paper(p)
        d.update(label=_label(p), size=round(r, 1), color=_year_colour(d["year"], lo, hi),
                 seed=sd,
                 sim=_num(p.get("similarity"), 4), share=_num(p.get("share"), 4),
                 rank=_int(p.get("rank")),
                 coupling=_int(p.get("coupling")), cocitation=_int(p.get("cocitation")),
                 isNew=p.get("new") is True)
        out_nodes.append(d)
    # here, not at the top: every command imports this module (through litmap.maps), and only
    # drawing a page needs numpy and scipy (~0.2 s; `litmap export` and `cache` never draw).
    from litmap.layout import fit_boxes

    widths = [len(d["label"]) * CHAR_W + 6 for d in out_nodes]  # label boxes, canvas units
    pos = fit_boxes([(_num(p.get("x")), _num(p.get("y"))) for p in nodes], radii, widths, FONT)
    for d, (x, y) in zip(out_nodes, pos):
        d["x"], d["y"] = x, y

    clusters = _views(m, nodes, out_nodes, radii, widths)
    index = {d["id"]: i for i, d in enumerate(out_nodes)}
    raw_edges: dict[tuple[int, int], float] = {}
    for e in m.get("edges") or []:
        if not isinstance(e, dict):
            continue
        a, b, wt = index.get(_text(e.get("source"))), index.get(_text(e.get("target"))), _num(e.get("weight"))
        if a is None or b is None or a == b or wt is None or wt < 0:
            continue
        key = (min(a, b), max(a, b))
        raw_edges[key] = max(wt, raw_edges.get(key, 0.0))
    wmax = max(raw_edges.values(), default=0.0) or 1.0
    edges = []
    for (a, b), wt in sorted(raw_edges.items()):
        t = min(wt / wmax, 1.0)
        edges.append([a, b, round(wt, 4), round(0.6 + 3.4 * t, 2),
                      "rgba(%d,%d,%d,%.2f)" % (*EDGE_RGB, 0.12 + 0.5 * t)])

    def side(key):
        rows: list[dict] = []
        ids: set[str | None] = set()
        for p in m.get(key) or []:
            if isinstance(p, dict) and _text(p.get("id") or p.get("paperId")) not in ids | {None}:
                rows.append(dict(_paper(p), count=_int(p.get("count")), _links=p.get("links")))
                ids.add(rows[-1]["id"])
        return rows

    prior, derivative = side("prior"), side("derivative")
    _links(m, prior, derivative, index)
    ids = {d["id"] for d in out_nodes + prior + derivative}
    bib = {str(k): str(v).strip() + "\n" for k, v in (bibtex or {}).items()
           if str(k) in ids and isinstance(v, str) and v.strip()}
    bib = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in bib.items()}
    stats = _dict(m.get("stats"))
    return {**_library_payload(m, index),
        "nodes": out_nodes, "edges": edges, "prior": prior, "derivative": derivative,
        "bibtex": bib, "seeds": [s for s in (_text(s) for s in m.get("seeds") or []) if s],
        "considered": _int(stats.get("papers_considered")),
        "evidenceNote": _text(stats.get("evidence_note"), limit=300),
        "clusters": clusters["list"], "timeline": clusters["axes"],
        "legend": {"min": lo, "max": hi, "stops": PALETTE, "unknown": UNKNOWN_YEAR,
                   "cmax": max((_int(p.get("citationCount")) or 0 for p in nodes), default=0)},
    }


def _views(m: dict, nodes: list, out_nodes: list[dict], radii: list[float], widths: list[float]) -> dict:
    """The page's other views, computed here so switching is instant: cluster colours (node
    ``cluster``/``ccolor``, the labelled cluster list) and timeline positions (``tx``/``ty``)."""
    import numpy as np  # here: see _payload

    from litmap.layout import timeline, unoverlap  # here: see _payload

    known: dict[int, dict] = {}
    for c in m.get("clusters") or []:
        cid = _int(c.get("id")) if isinstance(c, dict) else None
        if cid is not None and cid >= 0 and cid not in known:
            known[cid] = {"id": cid, "label": _text(c.get("label"), limit=200),
                          "size": 0, "color": CLUSTER_COLOURS[len(known) % len(CLUSTER_COLOURS)]}
    for p, d in zip(nodes, out_nodes):
        cid = _int(p.get("cluster"))
        c = known.get(cid) if cid is not None else None
        d["cluster"] = c["id"] if c else None
        d["ccolor"] = c["color"] if c else NO_CLUSTER
        if c:
            c["size"] += 1
    pos, axes = timeline({d["id"]: {"year": d["year"], "citationCount": d["cites"],
                                    "publicationDate": _text(p.get("publicationDate"), limit=20)}
                          for p, d in zip(nodes, out_nodes)})
    pts = np.array([pos[d["id"]] for d in out_nodes], dtype=float).reshape(-1, 2)
    moved = unoverlap(pts, radii, widths, FONT)
    for d, (x, y) in zip(out_nodes, moved):
        d["tx"], d["ty"] = x, y
    return {"list": [c for c in known.values() if c["size"]], "axes": axes}


def _links(m: dict, prior: list[dict], derivative: list[dict], index: dict[str, int]) -> None:
    """Each Prior/Derivative row: ``links`` = indices of the map nodes it is linked to."""
    for row in prior + derivative:
        raw = row.pop("_links", None)
        ids = [_text(x) for x in raw] if isinstance(raw, list) else []
        row["links"] = sorted({index[x] for x in ids if x in index})


def _library_payload(m: dict, index: dict) -> dict:
    """What a library map (library.py) and a map's history (history.py) add to the page:
    the Missing list (ids of map nodes, with their evidence), the library papers tied to
    nothing else (listed only), the changes since the last version, the --since date."""
    out: dict = {}
    if isinstance(m.get("missing"), list):
        out["missing"] = [{"id": pid, "why": _text(r.get("why"), limit=300) or ""}
                          for r in m["missing"] if isinstance(r, dict)
                          for pid in [_text(r.get("id") or r.get("paperId"))] if pid in index]
    lib = m.get("library")
    if isinstance(lib, dict):
        out["library"] = {"entries": _int(lib.get("entries")), "seeds": _int(lib.get("seeds")),
                          "unlinked": [_paper(p) for p in lib.get("unlinked") or [] if isinstance(p, dict)],
                          # entries that did not resolve, with why (and the map paper one names)
                          "unresolved": [{"line": _int(u.get("line")), "label": _text(u.get("label"), limit=200),
                                          "reason": _text(u.get("reason"), limit=400),
                                          "inMap": _text(u.get("in_map")) if _text(u.get("in_map")) in index else None,
                                          "by": _text(u.get("in_map_by"), limit=100)}
                                         for u in lib.get("unresolved") or [] if isinstance(u, dict)]}
    ch = m.get("changes")
    if isinstance(ch, dict):
        out["changes"] = {"since": _text(ch.get("since"), limit=20), "new": len(ch.get("new") or []),
                          "dropped": len(ch.get("dropped") or []), "moved": len(ch.get("movers") or [])}
    if m.get("since"):
        out["since"] = _text(m.get("since"), limit=20)
        info = (m.get("stats") or {}).get("since")
        if isinstance(info, dict):  # what --since left out (crawl.Crawler._since)
            out["since_left_out"] = {"n": _int(info.get("left_out")), "of": _int(info.get("of"))}
    return out


@dataclass(frozen=True)
class Addon:
    """What `litmap serve` adds to the page: a script run after the page's own (its hash joins
    the CSP's, nothing else is allowed), its data (a JSON block, ``#litmap-addon``) and style."""

    script: str
    data: dict
    style: str = ""


def render_html(map: dict, bibtex: dict[str, str], name: str | None = None,  # noqa: A002
                addon: Addon | None = None) -> str:
    """Return one self-contained HTML page for `map`, embedding `bibtex` for the .bib download.

    `name` (the page's file stem) names the downloaded .bib when the page cannot read its own
    file name. Without `addon` the page is the one `litmap seed` writes, byte for byte; with
    it, the same page with the addon's script, data and style before ``</body>``."""
    vis_js, vis_css = _vendor()
    app_js = inline_script(_template("map.js"))
    vis_js = inline_script(vis_js)
    extra_js = inline_script(addon.script) if addon else None
    css = (vis_css + "\n" + _template("map.css")).replace("</", "<\\/")
    csp = ("default-src 'none'; script-src " + " ".join(csp_hash(s) for s in (vis_js, app_js, extra_js) if s)
           + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
             "connect-src 'none'; base-uri 'none'; form-action 'none'; object-src 'none'")
    parts = {"CSP": csp, "CSS": css, "DATA": script_json(dict(_payload(map, bibtex), name=_text(name, limit=200))),
             "VIS_JS": vis_js, "APP_JS": app_js}
    page = _MARKER_RE.sub(lambda mo: parts[mo.group(1)], _template("map.html"))
    if addon is None:
        return page
    end = page.rindex("</body>")
    style = "<style>" + addon.style.replace("</", "<\\/") + "</style>\n" if addon.style else ""
    tail = (f'{style}<script type="application/json" id="litmap-addon">{script_json(addon.data)}</script>\n'
            f"<script>{extra_js}</script>\n")
    return page[:end] + tail + page[end:]
