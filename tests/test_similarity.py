"""litmap.similarity on hand-built citation graphs: each test pins one claimed behaviour."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from litmap import similarity as sim


def by_id(ranked):
    return {r["id"]: r for r in ranked}


def refs(paper, cited):
    return [(paper, c) for c in cited]


def citers(paper, citing):
    return [(c, paper) for c in citing]


# ---------------------------------------------------------------- matrix

def test_build_matrix_dedupes_drops_self_loops_and_sorts_ids():
    M = sim.build_matrix([("b", "a"), ("b", "a"), ("c", "c"), ("a", "c"), ["c", "b"]])
    assert M.ids == ["a", "b", "c"]
    assert M.index == {"a": 0, "b": 1, "c": 2}
    assert M.A.toarray().tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]  # c->c dropped
    assert sim.build_matrix(M) is M  # a built matrix passes through


# ---------------------------------------------------------------- rank

def test_coupled_and_cocited_beats_coupling_only_and_weak_tie():
    edges = refs("S", ["r1", "r2", "r3", "r4"]) + citers("S", ["c1", "c2", "c3", "c4"])
    edges += refs("both", ["r1", "r2", "r3"]) + citers("both", ["c1", "c2", "c3"])
    edges += refs("coup", ["r1", "r2", "r3"])
    edges += refs("weak", ["r4", "x1", "x2", "x3", "x4", "x5"])
    r = by_id(sim.rank(edges, ["S"], {}))
    assert r["both"]["score"] > r["coup"]["score"] > r["weak"]["score"] > 0
    assert (r["both"]["coupling"], r["both"]["cocitation"]) == (3, 3)
    assert (r["coup"]["coupling"], r["coup"]["cocitation"]) == (3, 0)
    assert (r["weak"]["coupling"], r["weak"]["cocitation"]) == (1, 0)
    assert not any(r[p]["direct"] for p in ("both", "coup", "weak"))
    order = [x["id"] for x in sim.rank(edges, ["S"], {})]
    assert order.index("both") < order.index("coup") < order.index("weak")
    assert "x1" not in r  # shares nothing with the seed


def test_cocitation_share_beats_small_denominators():
    """A: its one reference is the seed's only reference (Salton = 1/sqrt(2*3), the old trap).
    B: cited by 30 of the seed's 200 citers. What the seed's citers cite is what a reader of
    the seed needs: B first, and B's share is exactly 30/200."""
    seed_citers = [f"c{i:03d}" for i in range(200)]
    edges = refs("S", ["r0"]) + citers("S", seed_citers)
    edges += refs("A", ["r0", "x"])
    edges += citers("B", seed_citers[:30] + [f"d{i:02d}" for i in range(30)])
    ranked = sim.rank(edges, ["S"], {})
    r = by_id(ranked)
    assert (r["A"]["coupling"], r["A"]["cocitation"], r["A"]["evidence"]) == (1, 0, 1)
    assert (r["B"]["coupling"], r["B"]["cocitation"], r["B"]["evidence"]) == (0, 30, 30)
    ids = [x["id"] for x in ranked]
    assert ids.index("B") < ids.index("A")
    # the documented formula, exactly (no years: every citer weighs the same)
    # B: share 30/200; popularity 1 + ln(1 + 60 citations)
    # (the citers cite nothing of the seed's neighbourhood: all weigh the same)
    K = sim.EVIDENCE_K
    assert r["B"]["similarity"] == pytest.approx(30 / 200, abs=1e-6)
    assert r["B"]["cocitation_score"] == pytest.approx(30 / 200 * (1 + math.log(61)) * 30 / (30 + K), abs=1e-5)
    # A: no co-citation; coupling share 1 shared reference / the seed's 1 reference, weighted
    # by W_COUPLING; A has no citers, so popularity 1 + ln 1 = 1; evidence 1 shared paper
    assert r["A"]["similarity"] == 0
    assert r["A"]["cocitation_score"] == pytest.approx(sim.W_COUPLING * 1 / (1 + K), abs=1e-6)


def test_recent_citers_weigh_more_than_old_ones():
    """N and O are each cited together with the seed by two of its four citers: N by the two
    newest, O by the two oldest. A review written now cites what recent work cites."""
    edges = citers("S", ["c1", "c2", "c3", "c4"])
    edges += [("c1", "O"), ("c2", "O"), ("c3", "N"), ("c4", "N")]
    years = {"c1": 1990, "c2": 1990, "c3": 1997, "c4": 1997}
    r = by_id(sim.rank(edges, ["S"], {}, years=years))
    assert r["N"]["score"] > r["O"]["score"]
    w_old = math.exp(-7 / sim.RECENCY_YEARS)  # 7 years older than the newest citer
    assert r["N"]["similarity"] == pytest.approx(2 / (2 + 2 * w_old), abs=1e-6)
    assert r["O"]["similarity"] == pytest.approx(2 * w_old / (2 + 2 * w_old), abs=1e-6)
    # without years (or with unknown years) they are equal, and id order breaks the tie
    r0 = sim.rank(edges, ["S"], {})
    assert by_id(r0)["N"]["score"] == by_id(r0)["O"]["score"]
    assert [x["id"] for x in r0 if x["id"] in "NO"] == ["N", "O"]
    r1 = by_id(sim.rank(edges, ["S"], {}, years={"c1": None}))
    assert r1["N"]["score"] == r1["O"]["score"]


def test_popularity_breaks_equal_shares_and_uses_global_counts():
    """Equal co-citation share: the better-cited paper (global count, not the local degree) ranks
    first, by a log factor only, so a classic does not bury a specific paper with a larger share."""
    edges = citers("S", ["c1", "c2", "c3", "c4"])
    edges += [(c, "P") for c in ("c1", "c2")] + [(c, "Q") for c in ("c1", "c2")]
    edges += [(c, "K") for c in ("c1",)] + [(c, "T") for c in ("c1", "c2", "c3")]
    counts = {"P": (500, 10), "Q": (2, 10), "K": (100_000, 10), "T": (3, 10)}
    r = by_id(sim.rank(edges, ["S"], counts))
    assert r["P"]["score"] > r["Q"]["score"]
    assert r["P"]["similarity"] == r["Q"]["similarity"] == 0.5
    ev = 2 / (2 + sim.EVIDENCE_K)  # two shared citers
    assert r["P"]["cocitation_score"] == pytest.approx(0.5 * (1 + math.log(501)) * ev, abs=1e-5)
    # a local degree above the global count is what is known: max(local, global)
    r1 = by_id(sim.rank(edges, ["S"], {"Q": (0, 0)}))
    assert r1["Q"]["cocitation_score"] == pytest.approx(0.5 * (1 + math.log(3)) * ev, abs=1e-5)
    # T (3 of 4 citers, 3 citations) beats the classic K (1 of 4, 100,000 citations)
    assert r["T"]["score"] > r["K"]["score"]


def test_a_citer_from_another_topic_weighs_less():
    """c1..c3 cite the seed's references too (its topic); x cites the seed and its own topic
    only. X, cited only by x, must rank below T, cited by one on-topic citer."""
    edges = refs("S", ["r1", "r2"]) + citers("S", ["c1", "c2", "c3", "x"])
    edges += [(c, "r1") for c in ("c1", "c2", "c3")] + [("c1", "T"), ("x", "X"), ("x", "y1")]
    r = by_id(sim.rank(edges, ["S"], {}))
    w_on = math.sqrt(2)  # one reference in N(S)
    assert r["T"]["similarity"] == pytest.approx(w_on / (3 * w_on + 1), abs=1e-6)
    assert r["X"]["similarity"] == pytest.approx(1 / (3 * w_on + 1), abs=1e-6)
    assert r["T"]["score"] > r["X"]["score"]


def test_direct_citation_counts_as_one_more_cociting_paper():
    edges = citers("S", ["c1", "c2", "c3", "D"]) + refs("S", ["r1", "r2", "T"])
    edges += [("c1", "P"), ("c2", "P")]  # P: co-cited twice
    edges += [("c1", "E"), ("c2", "E"), ("E", "S")]  # E: the same, and E cites the seed too
    r = by_id(sim.rank(edges, ["S"], {}))
    assert r["D"]["direct"] and r["D"]["score"] > 0  # only cites the seed
    assert (r["D"]["coupling"], r["D"]["cocitation"]) == (0, 0)  # raw counts stay raw
    assert r["T"]["direct"] and r["T"]["score"] > 0  # the seed cites T
    assert r["E"]["direct"] and not r["P"]["direct"]
    # 5 citers of S (c1, c2, c3, D, E); c1 and c2 cite E, one of S's citers, so they are on
    # the seed's topic and weigh sqrt(2); the others sqrt(1). A direct link: 1 / 5.
    W = 2 * math.sqrt(2) + 3
    assert r["P"]["similarity"] == pytest.approx(2 * math.sqrt(2) / W, abs=1e-6)
    assert r["E"]["similarity"] == pytest.approx(2 * math.sqrt(2) / W + 1 / 5, abs=1e-6)
    assert r["D"]["similarity"] == pytest.approx(1 / 5, abs=1e-6)
    assert r["E"]["score"] > r["P"]["score"] > r["D"]["score"]


def test_seed_with_no_citers_ranks_by_coupling():
    """A paper out last week has no citers: its map comes from the references it shares."""
    edges = refs("S", ["r1", "r2", "r3", "r4"])
    edges += refs("P", ["r1", "r2", "r3"]) + refs("Q", ["r1", "x"]) + refs("R", ["x", "y"])
    ranked = sim.rank(edges, ["S"], {})
    order = [x["id"] for x in ranked]
    assert order.index("P") < order.index("Q")
    assert "R" not in order  # shares nothing with the seed
    assert all(x["score"] > 0 for x in ranked)


def test_a_new_paper_is_ranked_by_its_neighbourhood_walk_exactly():
    """No citers (a paper out last week): the score is the neighbourhood walk alone, relative to
    the best candidate, and the seed's own references come first (one step), then what they
    cite and what cites them (two steps), each shrunk by the length of the list it came from."""
    edges = refs("S", ["r1", "r2"]) + refs("r1", ["K"]) + refs("r2", ["K", "z"]) + refs("X", ["r1", "r2"])
    counts = {"r1": (5, 1), "r2": (0, 2), "K": (9, 0), "X": (0, 2), "z": (0, 0)}
    r = by_id(sim.rank(edges, ["S"], counts))
    R = {"r1": 2, "r2": 3, "K": 1, "X": 3, "z": 1}   # max(local out-degree, referenceCount) + 1
    C = {"r1": 6, "r2": 3, "K": 10, "X": 1, "z": 2}  # max(local in-degree, citationCount) + 1
    g, d, a = sim.WALK_DEGREE, sim.WALK_POPULARITY, sim.WALK_DIRECT

    def walk(p, one_step, cited_by, citing):
        raw = a * one_step + sum(1 / R[q] ** g for q in cited_by) + sum(1 / C[q] ** g for q in citing)
        return raw / 2 * (1 + math.log(C[p])) ** d   # two neighbours

    want = {"r1": walk("r1", 1, [], []), "r2": walk("r2", 1, [], []),
            "K": walk("K", 0, ["r1", "r2"], []), "z": walk("z", 0, ["r2"], []),
            "X": walk("X", 0, [], ["r1", "r2"])}
    for p, w in want.items():
        assert r[p]["neighbourhood"] == pytest.approx(w, abs=1e-6)
        assert r[p]["score"] == pytest.approx(w / max(want.values()), abs=1e-6)  # trust = 0
    order = sorted(want, key=lambda p: (-r[p]["score"], p))
    assert order[:2] == ["r1", "r2"] and order.index("K") < order.index("z")
    assert r["K"]["evidence"] == 0  # found only by the walk: its references' reference


def test_the_cocitation_weight_grows_with_the_seeds_citers():
    """trust = n / (n + CITER_K) for n citers: a classic keeps the co-citation ranking, a paper
    with one citer leans on its neighbourhood. The blend is exact."""
    for n in (1, 3, 40):
        cit = [f"c{i:02d}" for i in range(n)]
        edges = refs("S", ["r1", "r2"]) + citers("S", cit) + [(c, "B") for c in cit[: max(1, n // 2)]]
        edges += refs("r1", ["K"]) + refs("r2", ["K"])
        r = by_id(sim.rank(edges, ["S"], {}))
        trust = n / (n + sim.CITER_K)
        best_c = max(x["cocitation_score"] for x in r.values())
        best_w = max(x["neighbourhood"] for x in r.values())
        for x in r.values():
            assert x["score"] == pytest.approx(trust * x["cocitation_score"] / best_c
                                               + (1 - trust) * x["neighbourhood"] / best_w, abs=1e-6)
    # with 40 citers the co-cited B is first; with 1 the seed's references and K lead
    many = [x["id"] for x in sim.rank(refs("S", ["r1", "r2"]) + citers("S", [f"c{i}" for i in range(40)])
                                      + citers("B", [f"c{i}" for i in range(30)])
                                      + refs("r1", ["K"]) + refs("r2", ["K"]), ["S"], {})]
    assert many[0] == "B"
    few = [x["id"] for x in sim.rank(refs("S", ["r1", "r2"]) + citers("S", ["c0"]) + citers("B", ["c0"])
                                     + refs("r1", ["K"]) + refs("r2", ["K"]), ["S"], {})]
    assert few.index("B") > few.index("K")


def test_a_library_paper_citing_several_seeds_is_their_neighbour_that_many_times():
    edges = refs("S1", ["r"]) + refs("S2", ["r"]) + refs("S3", ["q"])
    edges += refs("N", ["S1", "S2", "S3"]) + refs("M", ["S1"])
    r = by_id(sim.rank(edges, ["S1", "S2", "S3"], {}))
    assert r["N"]["neighbourhood"] == pytest.approx(3 * r["M"]["neighbourhood"], abs=1e-5)


@pytest.mark.parametrize("seeds, citers_, note", [
    (["S"], {"S": 0}, "no citing papers yet: ranked by its references and the papers that share them"),
    (["S"], {}, "no citing papers yet: ranked by its references and the papers that share them"),
    (["S"], {"S": 1}, "only 1 citing paper yet: ranked mostly by its references and the papers that share them"),
    (["S"], {"S": 2}, "only 2 citing papers yet: ranked mostly by its references and the papers that share them"),
    (["S"], {"S": 3}, None),
    (["S", "T"], {}, "no citing papers yet for any seed: ranked by their references and the papers that share them"),
    (["S", "T", "U"], {"S": 50, "T": 1, "U": 9},
     "1 of the 3 seeds have fewer than 3 citing papers: for those, the map leans on their references "
     "and the papers that share them"),
    (["S", "T"], {"S": 50, "T": 3}, None),
])
def test_the_map_says_when_it_rests_on_thin_evidence(seeds, citers_, note):
    assert sim.evidence_note(seeds, citers_) == note


def test_planted_topics_fill_the_top_40_with_the_seeds_topic():
    """Two topics of 120 papers each, each paper citing 12 older ones of its topic; 30 % of
    papers also cite a shared classic and 30 % one paper of the other topic, so some of a
    seed's (recent) citers come from the other topic. The top 40 must be >= 90 % on topic:
    raw co-citation fails this (a060: 26 of 40), the citers' topic weight keeps it."""
    rnd = random.Random(11)
    topic = {}
    edges = []
    classics = [f"k{i}" for i in range(5)]
    for t in ("a", "b"):
        papers = [f"{t}{i:03d}" for i in range(120)]
        for i, p in enumerate(papers):
            topic[p] = t
            older = papers[:i]
            for _ in range(min(len(older), 12)):
                edges.append((p, rnd.choice(older)))
            if rnd.random() < 0.3:
                edges.append((p, rnd.choice(classics)))
    for p in list(topic):  # 10 % of citations cross topics
        if rnd.random() < 0.3:
            other = "b" if topic[p] == "a" else "a"
            edges.append((p, f"{other}{rnd.randrange(120):03d}"))
    years = {p: 1990 + int(p[1:]) // 12 for p in topic}
    counts = {}
    for seed in ("a060", "a030", "b030", "b100"):
        ranked = sim.rank(edges, [seed], counts, years=years)
        top = sim.select(ranked, 40)
        same = sum(topic.get(p) == topic[seed] for p in top)
        assert len(top) == 40 and same >= 0.9 * 40, (seed, same)


def test_multi_seed_mean_lifts_shared_papers_and_keeps_each_seeds_own():
    edges = refs("S1", ["a1", "a2", "a3"]) + refs("S2", ["b1", "b2", "b3"])
    edges += refs("X", ["a1", "a2", "b1", "b2"])  # tied to both seeds
    edges += refs("Y", ["a1", "a2", "y"])  # tied to S1 only
    edges += refs("Z", ["b1", "b2", "z"])  # tied to S2 only
    # real counts for the seeds' references (cited widely): without them the seeds' own
    # references, known only through the seed, would have tiny denominators
    counts = {p: (40, 20) for p in ["a1", "a2", "a3", "b1", "b2", "b3"]}
    ranked = sim.rank(edges, ["S1", "S2"], counts)
    r = by_id(ranked)
    # the seeds' own references (a1.., b1..; 40 citations each) may rank first; among the rest
    assert [x["id"] for x in ranked if x["id"] in ("X", "Y", "Z")][0] == "X"
    assert r["X"]["score"] > r["Y"]["score"] and r["X"]["score"] > r["Z"]["score"]
    assert r["Y"]["score"] == r["Z"]["score"] > 0  # symmetric construction
    assert {"X", "Y", "Z"} <= set(sim.select(ranked, 9))
    assert "S1" not in r and "S2" not in r
    assert r["X"]["coupling"] == 4  # distinct references shared with either seed
    # documented combination: shares averaged over the seeds, evidence counted over both, so a
    # paper tied to both seeds scores at least the mean of its single-seed scores
    one = by_id(sim.rank(edges, ["S1"], counts))["X"]["score"]
    two = by_id(sim.rank(edges, ["S2"], counts))["X"]["score"]
    assert r["X"]["score"] >= (one + two) / 2
    # X alone to S1 is no stronger than Y to S1: only the merge puts X first
    assert one <= by_id(sim.rank(edges, ["S1"], counts))["Y"]["score"] < r["X"]["score"]


def test_exclude_and_seed_without_edges():
    edges = refs("S", ["r1"]) + refs("A", ["r1"]) + refs("B", ["r1"])
    assert [x["id"] for x in sim.rank(edges, ["S"], {}, exclude={"A"})] == ["r1", "B"]
    assert sim.rank([], ["S"], {}) == []
    assert sim.rank([("S", "S")], ["S"], {}) == []  # a self-loop is no neighbourhood
    assert sim.rank(edges, ["lonely"], {}) == []
    # an absent second seed still counts in the mean (scores halve, order is unchanged)
    one = sim.rank(edges, ["S"], {})
    two = sim.rank(edges, ["S", "lonely"], {})
    assert [x["id"] for x in one] == [x["id"] for x in two]
    assert two[0]["cocitation_score"] == pytest.approx(one[0]["cocitation_score"] / 2, abs=1e-6)


def test_select_is_top_n_with_id_tiebreak():
    ranked = [{"id": "b", "score": 0.5}, {"id": "a", "score": 0.5}, {"id": "c", "score": 0.9}]
    assert sim.select(ranked, 2) == ["c", "a"]
    assert sim.select(ranked, 10) == ["c", "a", "b"]
    assert sim.select(ranked, 0) == []


# ---------------------------------------------------------------- prior / derivative

PD_EDGES = (refs("m1", ["p1", "p2"]) + refs("m2", ["p1", "p2", "m3"]) + refs("m3", ["p1", "p3"])
            + refs("d1", ["m1", "m2", "m3"]) + refs("d2", ["m1", "m2"]) + refs("d3", ["m2", "p1"])
            + [("q", "p1"), ("q", "p2"), ("d1", "m1")])
MAP = ["m1", "m2", "m3"]


def test_prior_works_exact():
    assert sim.prior_works(PD_EDGES, MAP) == [("p1", 3), ("p2", 2), ("p3", 1)]
    assert sim.prior_works(PD_EDGES, MAP, k=2) == [("p1", 3), ("p2", 2)]
    assert sim.prior_works(PD_EDGES, MAP, exclude=["p1"]) == [("p2", 2), ("p3", 1)]
    assert sim.prior_works(PD_EDGES, MAP, include_map=True) == [
        ("p1", 3), ("p2", 2), ("m3", 1), ("p3", 1)]


def test_derivative_works_exact():
    assert sim.derivative_works(PD_EDGES, MAP) == [("d1", 3), ("d2", 2), ("d3", 1)]
    assert sim.derivative_works(PD_EDGES, MAP, k=1) == [("d1", 3)]
    assert sim.derivative_works(PD_EDGES, MAP, include_map=True) == [
        ("d1", 3), ("d2", 2), ("d3", 1), ("m2", 1)]
    assert sim.derivative_works(PD_EDGES, ["nowhere"]) == []


# ---------------------------------------------------------------- map edges

def random_graph(n=300, m=2400, seed=3):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, m)
    b = np.minimum(a, rng.integers(0, n, m) ** 2 // n)  # cite older, skewed to popular
    edges = [(f"p{x:03d}", f"p{y:03d}") for x, y in zip(a.tolist(), b.tolist())]
    counts = {f"p{i:03d}": (int(rng.integers(0, 50)), int(rng.integers(0, 50)))
              for i in range(n)}
    return edges, counts


@pytest.fixture(scope="module")
def graph_map():
    edges, counts = random_graph()
    seeds = ["p150"]
    ranked = sim.rank(edges, seeds, counts)
    nodes = seeds + sim.select(ranked, 25)
    return edges, counts, seeds, ranked, nodes


def top_sets(full, nodes, seeds, per_node):
    """Each node's own pick from the complete weight list (per_node huge = every pair)."""
    w = {}
    for e in full:
        w.setdefault(e["source"], []).append((e["weight"], e["target"]))
        w.setdefault(e["target"], []).append((e["weight"], e["source"]))
    return {v: {u for _, u in sorted(w.get(v, []), key=lambda t: (-t[0], t[1]))
                [:sim.edge_quota(v, seeds, per_node)]} for v in nodes}


def test_map_edges_properties(graph_map):
    edges, counts, seeds, _, nodes = graph_map
    out = sim.map_edges(edges, nodes, counts, seeds, per_node=3)
    pairs = [(e["source"], e["target"]) for e in out]
    assert pairs == sorted(set(pairs)) and all(s < t for s, t in pairs)  # sorted, unique
    assert all(e["weight"] > 0 and round(e["weight"], 4) == e["weight"] for e in out)
    full = sim.map_edges(edges, nodes, counts, seeds, per_node=10_000)
    top = top_sets(full, nodes, seeds, 3)
    # exactly the union of each node's strongest quota
    assert set(pairs) == {tuple(sorted((v, u))) for v in nodes for u in top[v]}
    deg = {v: 0 for v in nodes}
    for s, t in pairs:
        deg[s] += 1
        deg[t] += 1
    incoming = {v: sum(v in top[u] for u in nodes) for v in nodes}
    assert all(deg[v] <= sim.edge_quota(v, seeds, 3) + incoming[v] for v in nodes)
    has_sim = {e["source"] for e in full} | {e["target"] for e in full}
    assert all(deg[v] >= 1 for v in has_sim)  # nobody with a positive similarity is isolated
    seed_nb = {t if s == "p150" else s for s, t in pairs if "p150" in (s, t)}
    assert len(top["p150"]) == sim.edge_quota("p150", seeds, 3) == 6
    assert top["p150"] <= seed_nb  # the seed keeps its strongest neighbours
    # the edge weight is the symmetric pair similarity: the same whichever end is asked
    s, t = pairs[0]
    w = next(e["weight"] for e in out if (e["source"], e["target"]) == (s, t))
    pair = sim.map_edges(edges, [s, t], counts, [s], per_node=1)
    assert pair == sim.map_edges(edges, [t, s], counts, [t], per_node=1)
    assert pair[0]["weight"] == w
    # node order and edge order of the input do not matter
    assert sim.map_edges(edges[::-1], nodes[::-1], counts, seeds) == out


def test_map_edges_small_cases():
    edges = refs("S", ["r1", "r2"]) + refs("A", ["r1", "r2"]) + refs("B", ["z"])
    out = sim.map_edges(edges, ["S", "A", "B"], {}, ["S"])
    assert [(e["source"], e["target"]) for e in out] == [("A", "S")]  # B shares nothing
    assert sim.map_edges(edges, ["S"], {}, ["S"]) == []


def test_library_scale_paths_give_the_same_numbers(graph_map, monkeypatch):
    # A library map has thousands of nodes and seeds: map edges are scored in row blocks and the
    # seeds' shared counts in two products. Same results as one block and one _shared per seed.
    edges, counts, _, ranked, nodes = graph_map
    seeds = nodes[:12]  # many seeds, as a library has
    whole = sim.map_edges(edges, nodes, counts, seeds)
    monkeypatch.setattr(sim, "MAP_EDGE_BLOCK", 5)
    assert sim.map_edges(edges, nodes, counts, seeds) == whole and whole
    M = sim.build_matrix(edges)
    overlap = sim.seed_overlap(M, seeds)
    for s in seeds:
        others = np.array([M.index[o] for o in seeds if o != s], int)
        c1, c2, _ = sim._shared(M, others)
        assert overlap[s] == (c1[M.index[s]], c2[M.index[s]])
    assert any(overlap[s][0] for s in seeds) and any(overlap[s][1] for s in seeds)
