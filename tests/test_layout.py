"""litmap.layout: force layout positions (scale, centre, determinism, large maps)."""

from __future__ import annotations

import math

import pytest

from litmap import layout as lay
from litmap import similarity as sim
from tests.test_similarity import graph_map, refs  # noqa: F401 (graph_map: a fixture)

# ---------------------------------------------------------------- force layout

def test_layout_scaled_centred_deterministic(graph_map):
    edges, counts, seeds, _, nodes = graph_map
    nodes = nodes + ["isolated"]
    me = sim.map_edges(edges, nodes, counts, seeds)
    pos = lay.layout(nodes, me, seeds)
    assert set(pos) == set(nodes)
    assert pos["p150"] == (0.0, 0.0)  # single seed pinned in the centre
    half = max(max(abs(x), abs(y)) for x, y in pos.values())
    target = 60 * math.sqrt(len(nodes))
    assert 0.9 * target <= half <= 1.5 * target
    assert all(round(c, 1) == c for xy in pos.values() for c in xy)
    assert math.hypot(*pos["isolated"]) <= half * math.sqrt(2)  # tethered, not flung away
    assert lay.layout(nodes[::-1], list(reversed(me)), seeds) == pos


def test_layout_multi_seed_centroid_and_tiny_inputs():
    edges = refs("S1", ["a", "b"]) + refs("S2", ["a", "c"]) + refs("X", ["a", "b", "c"])
    nodes = ["S1", "S2", "X"]
    pos = lay.layout(nodes, sim.map_edges(edges, nodes, {}, ["S1", "S2"]), ["S1", "S2"])
    cx = (pos["S1"][0] + pos["S2"][0]) / 2
    cy = (pos["S1"][1] + pos["S2"][1]) / 2
    assert abs(cx) <= 0.1 and abs(cy) <= 0.1
    assert lay.layout([], [], ["S"]) == {}
    assert lay.layout(["S"], [], ["S"]) == {"S": (0.0, 0.0)}


def test_layout_beyond_core_places_the_rest_beside_neighbours(monkeypatch):
    monkeypatch.setattr(lay, "CORE_MAX", 20)  # the path 2000-node maps take, at test size
    nodes = [f"n{i:02d}" for i in range(60)] + ["lone"]
    me = [{"source": f"n{i:02d}", "target": f"n{j:02d}", "weight": 0.5}
          for i in range(60) for j in (i + 1, i + 2) if j < 60]
    me += [{"source": "n00", "target": f"n{i:02d}", "weight": 0.9} for i in range(10, 20)]
    pos = lay.layout(nodes, me, ["n00"])
    assert set(pos) == set(nodes) and pos["n00"] == (0.0, 0.0)
    assert len(set(pos.values())) == len(nodes)  # siblings do not stack
    half = max(max(abs(x), abs(y)) for x, y in pos.values())
    assert half == pytest.approx(60 * math.sqrt(len(nodes)), abs=0.2)
    # a chain node far from the core sits nearer its chain neighbour than the map's width
    d = math.dist(pos["n58"], pos["n59"])
    assert d < half / 2
    assert lay.layout(nodes[::-1], me[::-1], ["n00"]) == pos


def test_more_seeds_than_the_core_holds_keeps_the_force_layout_bounded(monkeypatch):
    # A library of thousands: seeds beyond CORE_MAX. The force layout must still see at most
    # CORE_MAX nodes (it was every node, each seed tethered to every other: 368 of 439 s of a
    # 1,000-entry library map); the other seeds are placed beside their neighbours.
    import networkx as nx

    monkeypatch.setattr(lay, "CORE_MAX", 20)
    laid = []
    real = nx.spring_layout

    def spring_layout(G, **kw):
        laid.append((G.number_of_nodes(), G.number_of_edges()))
        return real(G, **kw)

    monkeypatch.setattr(nx, "spring_layout", spring_layout)
    seeds = [f"s{i:02d}" for i in range(50)]
    nodes = seeds + [f"x{i}" for i in range(5)]
    me = [{"source": f"s{i:02d}", "target": f"s{i + 1:02d}", "weight": 0.5} for i in range(49)]
    me += [{"source": f"s{i:02d}", "target": f"x{i % 5}", "weight": 0.9} for i in range(0, 50, 3)]
    pos = lay.layout(nodes, me, seeds)
    assert laid and laid[0][0] <= 20 and laid[0][1] <= 20 * 19 / 2
    assert set(pos) == set(nodes) and len(set(pos.values())) == len(nodes)
    half = max(max(abs(x), abs(y)) for x, y in pos.values())
    assert half == pytest.approx(60 * math.sqrt(len(nodes)), abs=0.2)
    assert math.dist(pos["s48"], pos["s49"]) < half / 2  # chain neighbours stay near
    assert lay.layout(nodes[::-1], me[::-1], seeds) == pos


# ---------------------------------------------------------------- timeline

def test_timeline_x_is_date_y_is_log_citations():
    papers = {"old": {"year": 1990, "citationCount": 5000}, "mid": {"year": 2000, "citationCount": 50},
              "new": {"year": 2010, "citationCount": 0, "publicationDate": "2010-12-01"},
              "jan": {"year": 2010, "citationCount": 0, "publicationDate": "2010-01-15"},
              "nd": {"year": None, "citationCount": 10}, "junk": {"year": "1999", "citationCount": float("nan")}}
    pos, ax = lay.timeline(papers)
    assert pos["old"][0] < pos["mid"][0] < pos["jan"][0] < pos["new"][0]
    assert pos["old"][1] < pos["mid"][1] < pos["new"][1] == 0.0        # more cited = higher (smaller y)
    assert pos["nd"][0] == pos["junk"][0] == ax["undated_x"] < pos["old"][0]  # the no-year column
    assert ax["years"] == [1990, 2010] and ax["year0"] == 1990
    for pid in ("mid", "jan"):  # the axes put a paper where it is
        p = papers[pid]
        frac = (pos[pid][0] / ax["px_per_year"]) - (p["year"] - ax["year0"])
        assert 0 <= frac < 1
        assert math.isclose(pos[pid][1], -(math.log1p(p["citationCount"]) - ax["log0"]) * ax["px_per_log"],
                            abs_tol=0.1)
    assert lay.timeline(dict(reversed(list(papers.items())))) == (pos, ax)
    empty, empty_axes = lay.timeline({})
    assert empty == {} and empty_axes["years"] == []


def test_timeline_spreads_a_year_without_months():
    papers = {f"p{i}": {"year": 2001, "citationCount": 3} for i in range(5)}
    pos, ax = lay.timeline(papers)
    xs = [pos[f"p{i}"][0] for i in range(5)]
    assert xs == sorted(xs) and len(set(xs)) == 5                   # id order, no single column
    assert all(0 < x / ax["px_per_year"] < 1 for x in xs)             # all inside their year
