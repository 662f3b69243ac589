"""litmap.assemble: the map made of ranked papers (contract, determinism, citations)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from litmap import assemble, records
from litmap import similarity as sim
from tests.test_similarity import random_graph

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    return random_graph()


PAPER_KEYS = set(records.PAPER_KEYS)


def make_map(edges, counts, seeds, n=12, stats=None):
    ranked = sim.rank(edges, seeds, counts)
    nodes = sim.select(ranked, n)
    papers = {p: {**records.stub_paper(p), "title": f"Title {p}", "year": 2000}
              for p in nodes[: n // 2] + seeds[:1]}
    return assemble.assemble_map(seeds, ranked, nodes, papers, edges, counts, stats or {"x": 1})


def test_assemble_map_matches_the_contract(graph):
    edges, counts = graph
    m = make_map(edges, counts, ["p150", "p120"], stats={"papers_considered": 300})
    assert set(m) == {"format", "seeds", "nodes", "edges", "prior", "derivative", "citations", "clusters", "stats"}
    assert m["format"] == "litmap-map/1" and m["seeds"] == ["p150", "p120"]
    nodes = m["nodes"]
    assert [x["id"] for x in nodes[:2]] == ["p150", "p120"]
    assert all(x["role"] == "seed" and x["rank"] == 0 and x["similarity"] == 1.0
               for x in nodes[:2])
    related = nodes[2:]
    assert [x["rank"] for x in related] == list(range(1, len(related) + 1))
    sims = [x["similarity"] for x in related]
    assert sims == sorted(sims, reverse=True) and 0 < sims[0] <= 1
    for x in nodes:
        assert PAPER_KEYS <= set(x) and x["paperId"] == x["id"]
        assert isinstance(x["x"], float) and round(x["x"], 1) == x["x"]
    assert nodes[0]["title"] == "Title p150"  # metadata used when present
    assert nodes[-1]["title"] is None  # stub when missing
    ids = {x["id"] for x in nodes}
    assert all(e["source"] < e["target"] and {e["source"], e["target"]} <= ids
               for e in m["edges"])
    for key in ("prior", "derivative"):
        assert m[key] and all(PAPER_KEYS <= set(p) and p["count"] >= 1 and p["id"] not in ids
                              for p in m[key])
    assert m["stats"]["papers_considered"] == 300
    json.dumps(m, allow_nan=False)


def test_assemble_map_deterministic_and_input_order_free(graph):
    edges, counts = graph
    a = json.dumps(make_map(edges, counts, ["p150"]))
    assert a == json.dumps(make_map(edges, counts, ["p150"]))
    shuffled = edges + edges[:100] + [("p001", "p001")]
    random.Random(5).shuffle(shuffled)
    assert a == json.dumps(make_map(shuffled, counts, ["p150"]))


def test_assemble_map_identical_across_processes_and_hash_seeds():
    code = ("import json, sys; sys.path.insert(0, 'tests'); import test_assemble as t; "
            "e, c = t.random_graph(); print(json.dumps(t.make_map(e, c, ['p150', 'p120'])))")
    outs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, text=True,
                           capture_output=True, env={**os.environ, "PYTHONHASHSEED": h}).stdout
            for h in ("1", "987")]
    assert outs[0] == outs[1] and len(outs[0]) > 1000


def test_citations_are_the_known_edges_among_the_listed_papers(graph):
    edges, counts = graph
    m = make_map(edges, counts, ["p150", "p120"], n=30)
    listed = {x["id"] for x in m["nodes"] + m["prior"] + m["derivative"]}
    expected = sorted({(a, b) for a, b in edges if a in listed and b in listed and a != b})
    assert [(e["source"], e["target"]) for e in m["citations"]] == expected and expected
    cites = set(expected)
    for p in m["prior"]:  # a Prior work's links are the map papers citing it, and so on
        assert p["links"] and all((n, p["id"]) in cites for n in p["links"])
    for d in m["derivative"]:
        assert d["links"] and all((d["id"], n) in cites for n in d["links"])
    assert assemble.citations(edges, []) == [] and assemble.citations([], ["p150"]) == []


def test_assemble_map_seed_with_no_neighbourhood():
    m = assemble.assemble_map(["S"], [], [], {}, [], {}, {})
    assert [x["id"] for x in m["nodes"]] == ["S"]
    assert m["nodes"][0]["x"] == 0.0 and m["edges"] == [] and m["prior"] == []
    assert m["derivative"] == [] and m["citations"] == [] and m["stats"]["candidates"] == 0
    json.dumps(m)
