"""Map layouts: positions in px for the renderer, computed once in Python and embedded, and the
page's node+label boxes kept from overlapping.

Pure functions of sorted inputs and a fixed RNG seed, so the same map gives the same positions
byte for byte.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

PX_PER_SQRT_N = 60.0  # layout half-width = 60 * sqrt(n) px
TETHER = 0.05  # layout-only spring from every node to the seed(s), vs 1 for the best edge
CORE_MAX = 300  # layout: nodes laid out by force; more are placed beside their neighbours
NN_TARGET = 60.0  # page: median nearest-neighbour distance after scaling, canvas units


def layout(node_ids: Iterable[str], map_edges: Iterable[Mapping[str, Any]],
           seeds: Sequence[str], *, rng_seed: int = 7, iterations: int = 300
           ) -> dict[str, tuple[float, float]]:
    """Force-directed positions in px, centred on the seed(s), half-width ~60*sqrt(n).

    networkx spring_layout, Fruchterman-Reingold "force" method (~0.1 s for 40 nodes; "energy"
    took 0.2-3 s). FR has no gravity: an edgeless node would drift off and squash the rest once
    scaled, so every node gets a weak layout-only tether to the seed(s), which also draws seeds
    inward. One seed is pinned at the centre; several float (pinned together their clusters
    would overlap) and their centroid becomes the origin. Label boxes are kept apart by
    fit_boxes below, with the real sizes the renderer knows (litmap/render.py).
    FR is O(n^2) per round (2000 nodes: ~1 min): beyond CORE_MAX nodes only the best-connected
    CORE_MAX are laid out, the rest placed beside their neighbours. Sorted inputs + seeded RNG:
    reproducible byte for byte."""
    # Here, not at the top: render imports this module for timeline(), also when it draws a
    # map from the cache, and networkx costs ~0.4 s to import; only the layout needs it.
    import networkx as nx

    nodes = sorted(set(node_ids))
    n = len(nodes)
    if n == 0:
        return {}
    node_set = set(nodes)
    best: dict[tuple[str, str], float] = {}
    for e in map_edges:
        s, t, w = e["source"], e["target"], float(e["weight"])
        if s in node_set and t in node_set and s != t and w > 0:
            key = (min(s, t), max(s, t))
            best[key] = max(w, best.get(key, 0.0))  # max: independent of input order
    wmax = max(best.values(), default=1.0)
    spring = {key: w / wmax for key, w in best.items()}  # weights in (0, 1]
    seed_nodes = [s for s in list(dict.fromkeys(seeds)) if s in node_set]
    strength = dict.fromkeys(nodes, 0.0)
    for (s, t), w in spring.items():
        strength[s] += w
        strength[t] += w
    anchors = seed_nodes or [max(nodes, key=lambda v: (strength[v], v))]  # no seed: the hub
    core = nodes
    if n > CORE_MAX and len(anchors) <= CORE_MAX:
        rest = sorted(set(nodes) - set(anchors), key=lambda v: (-strength[v], v))
        core = sorted(anchors + rest[:CORE_MAX - len(anchors)])
    elif n > CORE_MAX:
        # More seeds than the core holds (a big library): the core is the best-connected nodes,
        # seeds or not, and the seeds among them anchor it; the other seeds are placed beside
        # their neighbours like any node outside the core.
        core = sorted(sorted(nodes, key=lambda v: (-strength[v], v))[:CORE_MAX])
        in_core = set(core)
        anchors = [a for a in anchors if a in in_core] or [min(anchors, key=lambda v: (-strength[v], v))]
        core = sorted(set(core) | set(anchors))
    core_set = set(core)
    links = {k: w for k, w in spring.items() if k[0] in core_set and k[1] in core_set}
    for a in anchors:
        for v in core:
            if v != a:
                key = (min(a, v), max(a, v))
                links[key] = links.get(key, 0.0) + TETHER / len(anchors)
    if n == 1:
        xy = np.zeros((1, 2))
    else:
        G: nx.Graph[str] = nx.Graph()
        G.add_nodes_from(core)
        G.add_weighted_edges_from((s, t, w) for (s, t), w in sorted(links.items()))
        kw: dict[str, Any] = {}
        if len(seed_nodes) == 1:
            kw = {"pos": {seed_nodes[0]: (0.5, 0.5)}, "fixed": [seed_nodes[0]],
                  "center": (0.25, 0.25)}  # others start in [0.25, 0.75)^2 around it
        p = nx.spring_layout(G, seed=rng_seed, iterations=iterations, method="force", **kw)
        xy = np.array([p[v] for v in core], dtype=np.float64)
        xy -= xy[[core.index(a) for a in anchors]].mean(axis=0)
        if n > CORE_MAX:
            xy = _satellites(nodes, core, xy, spring)
        half = np.abs(xy).max()
        if half > 0:
            xy *= PX_PER_SQRT_N * math.sqrt(n) / half
    out: dict[str, tuple[float, float]] = {}
    for v, (x, y) in zip(nodes, xy):
        out[v] = (round(float(x), 1) + 0.0, round(float(y), 1) + 0.0)  # + 0.0: no "-0.0"
    return out


def _satellites(nodes: list[str], core: list[str], core_xy: np.ndarray,
                spring: Mapping[tuple[str, str], float]) -> np.ndarray:
    """Place non-core nodes at the weighted mean of their placed neighbours (then neighbours
    of those, ...), spread on a golden-angle spiral so siblings do not stack; nodes with no
    path to the core go on a ring just outside. Sparse products, no pair loops."""
    pos = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    ij = np.array([(pos[s], pos[t]) for s, t in spring], dtype=np.int64).reshape(-1, 2)
    W = sp.csr_matrix((list(spring.values()), (ij[:, 0], ij[:, 1])), shape=(n, n))
    W = (W + W.T).tocsr()
    xy = np.zeros((n, 2))
    placed = np.zeros(n, dtype=bool)
    ci = np.array([pos[v] for v in core])
    xy[ci], placed[ci] = core_xy, True
    radius = np.hypot(core_xy[:, 0], core_xy[:, 1]).max() or 1.0
    step = radius / math.sqrt(len(core))  # ~ the core's node spacing
    while True:  # ring by ring outward from the core; each pass is one sparse product
        todo = np.nonzero(~placed)[0]
        sub = W[todo][:, placed]
        tot = np.asarray(sub.sum(axis=1)).ravel()
        ok = tot > 0
        if not ok.any():
            break
        xy[todo[ok]] = (sub @ xy[placed])[ok] / tot[ok, None]
        placed[todo[ok]] = True
    j = np.arange(n)
    angle = j * 2.399963  # golden angle: successive nodes never line up
    spiral = step * 0.3 * np.sqrt(1 + j % 9)[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    sat = np.ones(n, dtype=bool)
    sat[ci] = False
    lost = ~placed
    xy[lost] = 1.1 * radius * np.c_[np.cos(angle[lost]), np.sin(angle[lost])]
    xy[sat] += spiral[sat]
    return xy


TIMELINE_ASPECT = 1.6  # timeline width : height
TIMELINE_MIN_PX_PER_YEAR = 40.0  # so that consecutive years are told apart at the default zoom


def timeline(papers: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, tuple[float, float]],
                                                               dict[str, Any]]:
    """Litmaps-style positions in px: x = publication date (year, plus the month when the
    date is known; papers of a year with no month are spread evenly over it, in id order, so
    they do not start as one column), y = log(1 + citations), more cited higher (canvas y grows
    downwards).

    ``papers``: id -> {"year", "citationCount", "publicationDate"} (missing values allowed:
    an unknown year goes in a column left of the earliest one, unknown citations count 0).
    Width 2 * 60 * sqrt(n) * 1.6 (a little wider than the force layout: dates bunch papers),
    at least 40 px a year; height = width / 1.6 from the least to the most cited paper. Also
    returns the axes, for drawing: ``{"year0", "years": [lo, hi], "px_per_year", "log0",
    "px_per_log", "undated_x"}``: x = (year - year0) * px_per_year,
    y = -(log1p(citations) - log0) * px_per_log.
    Label overlap is the renderer's job (it knows the label sizes). Pure and deterministic."""
    ids = sorted(papers)
    n = len(ids)
    when: dict[str, float | None] = {}
    by_year: dict[int, list[str]] = {}
    for pid in ids:
        p = papers[pid]
        year = p.get("year")
        if not isinstance(year, int) or isinstance(year, bool):
            when[pid] = None
            continue
        date = str(p.get("publicationDate") or "")
        month = int(date[5:7]) if len(date) >= 7 and date[:4] == str(year) and date[5:7].isdigit() else 0
        when[pid] = year + (min(max(month, 1), 12) - 0.5) / 12 if month else None
        if not month:
            by_year.setdefault(year, []).append(pid)
    for year, pids in by_year.items():  # no month: spread over the year (id order), not one column
        for k, pid in enumerate(pids):
            when[pid] = year + 0.1 + 0.8 * (k + 0.5) / len(pids)
    dated = [w for w in when.values() if w is not None]
    lo = math.floor(min(dated)) if dated else 2000
    hi = math.floor(max(dated)) if dated else 2000
    span = hi - lo + 1
    width = max(2 * PX_PER_SQRT_N * math.sqrt(max(n, 1)) * 1.6, span * TIMELINE_MIN_PX_PER_YEAR)
    per_year = width / span
    logs = {pid: math.log1p(max(c, 0)) if isinstance((c := papers[pid].get("citationCount")), (int, float))
            and not isinstance(c, bool) and math.isfinite(c) else 0.0 for pid in ids}
    log0 = min(logs.values(), default=0.0)  # the least cited paper sits on the bottom line
    per_log = (width / TIMELINE_ASPECT) / max(max(logs.values(), default=0.0) - log0, 1.0)
    undated_x = -1.5 * per_year
    out: dict[str, tuple[float, float]] = {}
    for pid in ids:
        w = when[pid]
        x = undated_x if w is None else (w - lo) * per_year
        out[pid] = (round(x, 1) + 0.0, round(-(logs[pid] - log0) * per_log, 1) + 0.0)
    axes = {"year0": lo, "years": [lo, hi] if dated else [], "px_per_year": round(per_year, 3),
            "log0": round(log0, 6), "px_per_log": round(per_log, 3), "undated_x": round(undated_x, 1)}
    return out, axes


# --------------------------------------------------------------------------- label boxes
def fit_boxes(raw: list[tuple], radii: list[float], widths: list[float], font: float
              ) -> list[tuple[float, float]]:
    """Scale the map's precomputed layout, then nudge nodes so no node+label boxes overlap.

    The shape of the layout is kept; vis scales labels with zoom, so boxes that do not
    overlap in canvas units do not overlap at any zoom level.
    """
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

    return unoverlap(pts, radii, widths, font)


def unoverlap(pts, radii: list[float], widths: list[float], font: float, x_cost: float = 1.0
              ) -> list[tuple[float, float]]:
    """Nudge points so no node+label boxes overlap; ``x_cost`` > 1 prefers vertical moves."""
    n = len(pts)
    # Boxes: node disc on top, label under it (as vis draws dot/diamond labels).
    pad = 6.0
    w = [max(2 * r, lw) + pad for r, lw in zip(radii, widths)]
    h = [2 * r + 4 + font * 1.3 + pad for r in radii]
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
