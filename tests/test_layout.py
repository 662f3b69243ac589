"""litmap.layout: force layout positions (scale, centre, determinism, large maps)."""

from __future__ import annotations

import math

import pytest

from litmap import layout as lay
from litmap import similarity as sim
from tests.test_similarity import random_graph, refs


@pytest.fixture(scope="module")
def graph_map():
    edges, counts = random_graph()
    seeds = ["p150"]
    ranked = sim.rank(edges, seeds, counts)
    nodes = seeds + sim.select(ranked, 25)
    return edges, counts, seeds, ranked, nodes


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
