"""litmap.clusters (communities + c-TF-IDF labels) and what the Map carries for the page's views:
cluster ids/labels on nodes, and each Prior/Derivative entry's links to map nodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from litmap import assemble
from litmap import clusters as cl
from litmap import similarity as sim
from litmap.cli import cli
from tests.planted import TOPICS, adjusted_rand_index, planted_corpus
from tests.test_similarity import random_graph

ROOT = Path(__file__).resolve().parents[1]


def clique(names, w=0.5):
    return [{"source": a, "target": b, "weight": w} for i, a in enumerate(names) for b in names[i + 1:]]


# ---------------------------------------------------------------- communities

def test_two_cliques_with_a_weak_bridge_are_two_clusters_and_strays_stay_unclustered():
    a, b = [f"a{i}" for i in range(6)], [f"b{i}" for i in range(4)]
    edges = clique(a) + clique(b) + [{"source": "a0", "target": "b0", "weight": 0.01}]
    got = cl.communities(a + b + ["lone"], edges)
    assert {got[x] for x in a} == {0} and {got[x] for x in b} == {1}  # 0 = the larger one
    assert got["lone"] is None


def test_communities_are_deterministic_and_input_order_free():
    edges, counts = random_graph()
    ranked = sim.rank(edges, ["p150"], counts)
    nodes = ["p150"] + sim.select(ranked, 60)
    me = sim.map_edges(edges, nodes, counts, ["p150"])
    first = cl.communities(nodes, me)
    assert len(set(first.values()) - {None}) >= 2
    assert cl.communities(nodes[::-1], me[::-1]) == first
    assert cl.communities(nodes, [dict(e) for e in reversed(me)]) == first


def test_clusters_and_labels_identical_across_hash_seeds():
    code = ("import json, sys; sys.path.insert(0, '.'); from tests.test_clusters import big_map; "
            "print(json.dumps(big_map()))")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, text=True, capture_output=True,
                           env={**os.environ, "PYTHONHASHSEED": h}).stdout for h in ("0", "1", "987", "31337")}
    assert len(outs) == 1 and len(json.loads(outs.pop())[1]) >= 3


def big_map():
    """Clusters of a 150-paper map of the random graph, with texts that share many terms."""
    edges, counts = random_graph()
    ranked = sim.rank(edges, ["p150"], counts)
    nodes = ["p150"] + sim.select(ranked, 150)
    words = "black hole entropy string brane gauge field theory holography duality".split()
    papers = {p: {"title": " ".join(words[(i * k) % len(words)] for k in range(1, 5)),
                  "abstract": " ".join(words[(i + k * k) % len(words)] for k in range(30))}
              for i, p in enumerate(nodes)}
    return cl.cluster_map(nodes, sim.map_edges(edges, nodes, counts, ["p150"]), papers)


def test_min_size_scales_with_the_map():
    nodes = [f"n{i:03d}" for i in range(300)]
    edges = clique(nodes[:290]) + clique(nodes[290:])  # a 10-paper community in a 300-paper map
    got = cl.communities(nodes, edges, min_size=11)
    assert {got[x] for x in nodes[290:]} == {None}
    assert cl.communities(nodes, edges)[nodes[295]] is not None  # default: 1% = 3


# ---------------------------------------------------------------- labels

def test_plain_text_drops_math_commands_and_markup():
    s = cl.plain_text(r"Entropy of $AdS_5 \times S^5$ \emph{black} <b>holes</b> \cite{x}")
    assert "ads_5" not in s and "times" not in s and "emph" not in s and "<b>" not in s
    assert "black" in s and "holes" in s and "entropy" in s
    assert cl.plain_text(r"Poincar\'e and G\"{o}del") == "poincaré and gödel"  # accents kept
    runs = cl._words("Ñúñez-García, 3+1-dimensional d1-d5; the large $N$ limit; N=4 SYM")
    assert runs == [[("ñúñez", " "), ("garcía", "-")], [("dimensional", " "), ("d1", " "), ("d5", "-")],
                    [("large", " "), ("n", " "), ("limit", " ")], [("n", " ")], [("sym", " ")]]
    terms = cl._terms(runs, {})
    assert terms[("ñúñez", "garcía")] == "ñúñez-garcía" and terms[("d1", "d5")] == "d1-d5"
    assert ("large", "n", "limit") in terms and ("large", "n") not in terms and ("n",) not in terms


def test_labels_are_distinctive_terms_without_stop_words_or_latex():
    docs = {
        "a1": ("Black holes and entropy", r"We study the entropy of black holes with $\alpha$."),
        "a2": ("Black hole entropy revisited", "The entropy of a black hole is computed."),
        "a3": ("Entropy of black holes", r"Black hole \textbf{entropy} from strings."),
        "b1": ("Monetary policy and inflation", "Inflation targeting by the central bank."),
        "b2": ("Inflation expectations", "Monetary policy shapes inflation."),
        "b3": ("Central bank policy", "Monetary policy and inflation in the model."),
    }
    assign = {"a1": 0, "a2": 0, "a3": 0, "b1": 1, "b2": 1, "b3": 1}
    got = cl.label_terms(docs, assign)
    assert got[0][0] == "black hole entropy"  # most papers with "black hole" say "black hole entropy"
    assert "inflation" in got[1] and "monetary policy" in got[1]
    words = {w for terms in got.values() for t in terms for w in t.split()}
    assert not words & {"the", "we", "of", "alpha", "textbf", "study"}
    assert all(2 <= len(t) <= 4 for t in got.values())
    assert cl.label_terms(docs, assign) == got and cl.label_terms(dict(reversed(docs.items())), assign) == got


def test_terms_of_two_papers_first_one_paper_terms_only_fill_up_to_two():
    docs = {"a": ("Unique zebra title", None), "b": ("Common words here", None), "c": ("Common words", None),
            "d": (None, None), "e": (None, None), "f": ("Shared term", "Shared term again; lonely"),
            "g": ("Shared term", "Quartz crystal text"), "h": ("Quartz crystal", None)}
    assign = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 2, "g": 2, "h": 2}
    got = cl.label_terms(docs, assign)
    assert got[0][0] == "common words" and got[0][1] in {"unique", "zebra", "title"}  # one paper's: fills up
    assert got[1] == []                                # no text, no label
    assert got[2] == ["shared term", "quartz crystal"]  # two terms of 2+ papers: no one-paper term
    ids = list(docs)
    _, clusters = cl.cluster_map(ids, clique(ids[:3]) + clique(ids[3:5]) + clique(ids[5:]),
                                 {k: {"title": t, "abstract": a} for k, (t, a) in docs.items()})
    assert [c["label"] for c in clusters] == ["common words, " + got[0][1], "shared term, quartz crystal", None]


# ---------------------------------------------------------------- the Map

def test_map_nodes_carry_cluster_and_lists_carry_links():
    edges, counts = random_graph()
    ranked = sim.rank(edges, ["p150"], counts)
    nodes = ["p150"] + sim.select(ranked, 30)
    m = assemble.assemble_map(["p150"], ranked, nodes, {}, edges, counts, {})
    ids = {n["id"] for n in m["nodes"]}
    by_id = {c["id"]: c for c in m["clusters"]}
    assert sum(c["size"] for c in m["clusters"]) == sum(n["cluster"] is not None for n in m["nodes"])
    for n in m["nodes"]:
        assert n["cluster"] is None or n["cluster_label"] == by_id[n["cluster"]]["label"]
    A = set(edges)
    for p in m["prior"]:
        assert p["links"] == sorted(x for x in ids if (x, p["id"]) in A) and len(p["links"]) == p["count"]
    for p in m["derivative"]:
        assert p["links"] == sorted(x for x in ids if (p["id"], x) in A) and len(p["links"]) == p["count"]
    assert any(p["links"] for p in m["prior"]) and any(p["links"] for p in m["derivative"])


@pytest.mark.parametrize("rng_seed", [1, 2, 3])
def test_planted_topics_are_found_and_named(make_fake_api, tmp_path, rng_seed):
    corpus, seed_id, truth = planted_corpus(rng_seed)
    make_fake_api(corpus)
    out = tmp_path / "planted.html"
    res = CliRunner().invoke(cli, ["seed", seed_id, "-o", str(out), "-q"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    m = json.loads(out.with_suffix(".json").read_text())
    nodes = [n for n in m["nodes"] if n["id"] != seed_id]
    assert len(nodes) >= 30
    planted = [truth[n["id"]] for n in nodes]
    found = [n["cluster"] if n["cluster"] is not None else "none:" + n["id"] for n in nodes]
    ari = adjusted_rand_index(planted, found)
    assert ari >= 0.8, (ari, Counter(zip(planted, found)))
    for c in m["clusters"]:  # a cluster's label speaks of its majority topic
        topic = Counter(t for t, f in zip(planted, found) if f == c["id"]).most_common(1)[0][0]
        assert all(len(set(t.replace("-", " ").split())) == len(t.replace("-", " ").split()) for t in c["terms"])
        own = {w for word in TOPICS[topic] for w in word.split("-")}
        assert own & {w for t in c["terms"] for w in t.replace("-", " ").split()}, (topic, c)


def test_adjusted_rand_index_helper():
    assert adjusted_rand_index([0, 0, 1, 1], ["x", "x", "y", "y"]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)
    # by hand: index = 2 agreeing pairs, expected = 6 * 3 / 15, max = (6 + 3) / 2
    assert adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(
        (2 - 18 / 15) / (4.5 - 18 / 15))


def test_phrases_up_to_three_words_spelled_as_most_papers_do():
    docs = {"x1": ("D-branes in anti-de Sitter space", None), "x2": ("Anti de Sitter space and D-branes", None),
            "x3": ("D-brane probes of anti-de Sitter space", None),
            "y1": ("Monetary policy rules", None), "y2": ("Monetary policy shocks", None)}
    got = cl.label_terms(docs, {"x1": 0, "x2": 0, "x3": 0, "y1": 1, "y2": 1})
    # hyphen or not: one phrase, of up to 3 whole words (a hyphenated compound is one word)
    assert set(got[0]) == {"d-brane", "anti-de sitter space"}
    assert got[1][0] == "monetary policy"


def test_labels_are_whole_words_deduplicated_after_normalisation():
    # Issue 23, point 7: labels of the hep-th sample read "atrix" (M(atrix) theory), "supersymmetric
    # su" (SU(N)), "noncommutative, non-commutative", "alternative, exact" and a lone "anti".
    docs = {"m1": ("M(atrix) theory and noncommutative geometry", "Supersymmetric SU(N) gauge theory."),
            "m2": ("Compactification of M(atrix) theory on non-commutative tori", "An exact alternative."),
            "m3": ("Non-commutative geometry from M(atrix) theory", "Supersymmetric SU(2) and anti-de Sitter."),
            "m4": ("Noncommutative tori in M(atrix) theory", "Exact results, an alternative to branes."),
            "y1": ("Monetary policy rules", None), "y2": ("Monetary policy shocks", None)}
    got = cl.label_terms(docs, {"m1": 0, "m2": 0, "m3": 0, "m4": 0, "y1": 1, "y2": 1}, k=10)
    terms = got[0]
    assert "matrix theory" in terms and "noncommutative" in [t.replace("-", "") for t in terms]
    words = [w for t in terms for w in t.replace("-", " ").split()]
    assert not {"atrix", "su", "anti", "alternative", "exact"} & set(terms) and "atrix" not in words
    assert not any(t.endswith(" su") for t in terms)
    keys = [t.replace("-", "").replace(" ", "") for t in terms]
    assert len(keys) == len(set(keys))  # one spelling of a term
    assert not any(a != b and a in b.split() for a in terms for b in terms)
