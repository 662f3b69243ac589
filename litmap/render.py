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
from pathlib import Path
from typing import Any

from litmap.names import surname
from litmap.text import plain

__all__ = ["render_html"]

VIS_VERSION = "9.1.2"
FONT = 14.0                      # label font size, canvas units (vis scales it with zoom)
CHAR_W = 0.6 * FONT              # conservative average glyph width for the label box
LABEL_MAX = 22                   # label characters before an ellipsis
R_MIN, R_MAX = 7.0, 26.0         # node radius range (log of citation count)
NN_TARGET = 60.0                 # median nearest-neighbour distance after scaling
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


def _inline_script(js: str) -> str:
    # Nothing inside a <script> may close it or open an HTML comment (the only two ways
    # out of script data); both rewrites are no-ops for JS semantics in strings/regexes.
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.I)
    return js.replace("<!--", "<\\!--")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _script_json(obj) -> str:
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


# --------------------------------------------------------------------------- layout
def _layout(raw: list[tuple], radii: list[float], widths: list[float]) -> list[tuple[float, float]]:
    """Scale the map's precomputed layout, then nudge nodes so no node+label boxes overlap.

    The shape of the layout is kept; vis scales labels with zoom, so boxes that do not
    overlap in canvas units do not overlap at any zoom level.
    """
    # numpy here, not at the top: every command imports this module (through litmap.maps), and
    # only drawing a page needs numpy (~50 ms to import; `litmap export` and `cache` never draw).
    import numpy as np

    n = len(raw)
    if n == 0:
        return []
    pts = np.array([(x, y) if x is not None and y is not None else (np.nan, np.nan)
                    for x, y in raw], dtype=float)
    missing = np.isnan(pts).any(axis=1)
    have = pts[~missing]
    if len(have):
        have -= np.median(have, axis=0)
    if len(have) > 1:
        nn = np.empty(len(have))
        for s in range(0, len(have), 512):            # chunked: 2,000 nodes stay small
            d = np.hypot(*(have[s:s + 512, None, :] - have[None, :, :]).transpose(2, 0, 1))
            d[np.arange(d.shape[0]), np.arange(s, s + d.shape[0])] = np.inf
            nn[s:s + 512] = d.min(axis=1)
        med = float(np.median(nn))
        if med <= 1e-9:
            med = float(np.ptp(have, axis=0).max()) / math.sqrt(len(have)) or 1.0
        have *= NN_TARGET / med
        # Pull far outliers in (radially, log-compressed, order kept) so that fit() does
        # not shrink every label to keep one stray paper in view.
        rad = np.hypot(have[:, 0], have[:, 1])
        r90 = float(np.percentile(rad, 90))
        far = (rad > r90) & (r90 > 0)
        new = r90 * (1 + 0.5 * np.log1p((rad[far] - r90) / r90))
        have[far] *= (new / rad[far])[:, None]
    pts[~missing] = have
    if missing.any():                                 # no position: golden-angle spiral
        k = np.arange(missing.sum()) + 1.0
        ang, rad = k * 2.399963, np.sqrt(k) * NN_TARGET
        pts[missing] = np.c_[rad * np.cos(ang), rad * np.sin(ang)]
    # Coincident points: spread each group on a small golden-angle spiral (deterministic).
    _, inv, cnt = np.unique(pts, axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    if (cnt > 1).any():
        rank = np.zeros(n)
        seen: dict[int, int] = {}
        for i, g in enumerate(inv.tolist()):
            rank[i] = seen[g] = seen.get(g, -1) + 1
        ang = rank * 2.399963
        pts += np.c_[np.cos(ang), np.sin(ang)] * (np.sqrt(rank) * NN_TARGET / 3)[:, None]

    return _unoverlap(pts, radii, widths)


def _unoverlap(pts, radii: list[float], widths: list[float], x_cost: float = 1.0) -> list[tuple[float, float]]:
    """Nudge points so no node+label boxes overlap; ``x_cost`` > 1 prefers vertical moves."""
    import numpy as np  # here: see _layout

    n = len(pts)
    # Boxes: node disc on top, label under it (as vis draws dot/diamond labels).
    pad = 6.0
    w = [max(2 * r, lw) + pad for r, lw in zip(radii, widths)]
    h = [2 * r + 4 + FONT * 1.3 + pad for r in radii]
    off = [(hh - pad) / 2 - r for hh, r in zip(h, radii)]   # box centre below node centre
    cx, cy = pts[:, 0].copy(), pts[:, 1] + np.asarray(off)
    _separate(cx, cy, np.asarray(w), np.asarray(h), 400 if n <= 300 else 150, x_cost)
    return [(round(float(cx[i]), 1), round(float(cy[i] - off[i]), 1)) for i in range(n)]


def _separate(cx, cy, w, h, iterations: int, x_cost: float = 1.0) -> None:
    """Push overlapping boxes (centres cx/cy, sizes w/h) apart along their smaller overlap
    (the horizontal overlap counted ``x_cost`` times: the timeline keeps its x = date).

    Vectorised Jacobi sweeps over candidate pairs from a uniform grid (so 2,000 dense nodes
    take well under a second); deterministic: no randomness, pairs in a fixed order.
    """
    import numpy as np  # here: see _layout

    n = len(cx)
    if n < 2:
        return
    cell = float(max(w.max(), h.max()))
    idx = np.arange(n)
    for _ in range(iterations):
        gx, gy = np.floor(cx / cell).astype(np.int64), np.floor(cy / cell).astype(np.int64)
        span = int(gy.max() - gy.min()) + 3
        key = (gx - gx.min() + 1) * span + (gy - gy.min() + 1)
        order = np.argsort(key, kind="stable")
        cells, start, count = np.unique(key[order], return_index=True, return_counts=True)
        ii, jj = [], []
        for d in (-span - 1, -span, -span + 1, -1, 0, 1, span - 1, span, span + 1):
            pos = np.minimum(np.searchsorted(cells, key + d), len(cells) - 1)
            ok = cells[pos] == key + d
            c, s0 = count[pos[ok]], start[pos[ok]]
            i = np.repeat(idx[ok], c)
            j = order[np.repeat(s0 - np.cumsum(c) + c, c) + np.arange(c.sum())]
            ii.append(i[i < j])
            jj.append(j[i < j])
        i, j = np.concatenate(ii), np.concatenate(jj)
        dx, dy = cx[i] - cx[j], cy[i] - cy[j]
        ox = (w[i] + w[j]) / 2 - np.abs(dx)
        oy = (h[i] + h[j]) / 2 - np.abs(dy)
        hit = (ox > 0) & (oy > 0)
        if not hit.any():
            return
        i, j, dx, dy, ox, oy = i[hit], j[hit], dx[hit], dy[hit], ox[hit], oy[hit]
        alt = np.where(i % 2 == 1, 1.0, -1.0)                     # tie-break for equal coords
        along_x = ox * x_cost < oy
        mx = np.where(along_x, np.where(dx != 0, np.sign(dx), alt) * (ox / 2 + 0.5), 0.0)
        my = np.where(~along_x, np.where(dy != 0, np.sign(dy), alt) * (oy / 2 + 0.5), 0.0)
        cx += np.bincount(i, mx, n) - np.bincount(j, mx, n)
        cy += np.bincount(i, my, n) - np.bincount(j, my, n)


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
    pos = _layout([(_num(p.get("x")), _num(p.get("y"))) for p in nodes], radii,
                  [len(d["label"]) * CHAR_W + 6 for d in out_nodes])
    for d, (x, y) in zip(out_nodes, pos):
        d["x"], d["y"] = x, y

    clusters = _views(m, nodes, out_nodes, radii)
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


def _views(m: dict, nodes: list, out_nodes: list[dict], radii: list[float]) -> dict:
    """The page's other views, computed here so switching is instant: cluster colours (node
    ``cluster``/``ccolor``, the labelled cluster list) and timeline positions (``tx``/``ty``)."""
    import numpy as np  # here: see _layout

    from litmap.layout import timeline  # here: layout imports numpy and scipy (~0.2 s); see _layout

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
    moved = _unoverlap(pts, radii, [len(d["label"]) * CHAR_W + 6 for d in out_nodes], x_cost=1.0)
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
                          "unlinked": [_paper(p) for p in lib.get("unlinked") or [] if isinstance(p, dict)]}
    ch = m.get("changes")
    if isinstance(ch, dict):
        out["changes"] = {"since": _text(ch.get("since"), limit=20), "new": len(ch.get("new") or []),
                          "dropped": len(ch.get("dropped") or []), "moved": len(ch.get("movers") or [])}
    if m.get("since"):
        out["since"] = _text(m.get("since"), limit=20)
    return out


def render_html(map: dict, bibtex: dict[str, str], name: str | None = None) -> str:  # noqa: A002
    """Return one self-contained HTML page for `map`, embedding `bibtex` for the .bib download.

    `name` (the page's file stem) names the downloaded .bib when the page cannot read its own
    file name."""
    vis_js, vis_css = _vendor()
    app_js = _inline_script(_template("map.js"))
    vis_js = _inline_script(vis_js)
    css = (vis_css + "\n" + _template("map.css")).replace("</", "<\\/")
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in (vis_js, app_js))
           + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
             "connect-src 'none'; base-uri 'none'; form-action 'none'; object-src 'none'")
    parts = {"CSP": csp, "CSS": css, "DATA": _script_json(dict(_payload(map, bibtex), name=_text(name, limit=200))),
             "VIS_JS": vis_js, "APP_JS": app_js}
    return _MARKER_RE.sub(lambda mo: parts[mo.group(1)], _template("map.html"))
