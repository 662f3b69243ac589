"""Ranked papers and their citation graph -> the map (docs/internals.md, format litmap-map/1).

similarity.py decides which papers belong and how strongly; this module lays them out as a
map: the nodes in rank order with their scores, the similarity edges drawn between them, the
topic clusters (clusters.py), the force layout (layout.py), the Prior and Derivative works with
the map papers they are linked to, and the citation edges among all of these. Pure: the same
crawl gives byte-identical JSON.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from litmap import similarity
from litmap.clusters import cluster_map
from litmap.layout import layout
from litmap.records import stub_paper

__all__ = ["assemble_map", "citations"]


def assemble_map(seeds: Sequence[str], ranked: Sequence[Mapping[str, Any]],
                 node_ids: Iterable[str], papers: Mapping[str, Mapping[str, Any]],
                 edges: similarity.EdgeInput, counts: similarity.Counts, stats: Mapping[str, Any],
                 *, per_node: int = 3, k_lists: int = 10,
                 prior: list[tuple[str, int]] | None = None,
                 derivative: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The Map dict of docs/internals.md (format litmap-map/1). ``prior``/``derivative``: lists
    the caller already computed (to fetch their details), else computed here.

    Nodes: seeds (input order, similarity 1.0, rank 0, coupling/cocitation = shared with the
    other seeds) then related papers in rank order (rank 1..N; ids missing from ``ranked`` last,
    by id, similarity 0). A related node's similarity is its score divided by the best related
    paper's (so the top related paper shows 1.0 and the others how far behind they are); its
    ``share`` is the unscaled co-citation share (see ``similarity.rank``). ``citations``: the
    edges of ``edges`` among the nodes and the listed works (``citations``).
    """
    M = similarity.build_matrix(edges)
    seeds = list(dict.fromkeys(seeds))
    seed_set = set(seeds)
    wanted = set(node_ids) - seed_set
    by_rank = sorted(ranked, key=lambda r: (-r["score"], r["id"]))
    info = {r["id"]: r for r in by_rank if r["id"] in wanted}  # dicts keep rank order
    related = list(info) + sorted(wanted - set(info))
    all_ids = seeds + related
    best = max((float(r["score"]) for r in info.values()), default=0.0)
    scale = best if best > 0.0 else 1.0

    m_edges = similarity.map_edges(M, all_ids, counts, seeds, per_node)
    pos = layout(all_ids, m_edges, seeds)
    in_cluster, clusters = cluster_map(all_ids, m_edges, papers)
    cluster_label = {c["id"]: c["label"] for c in clusters}

    def paper(pid: str) -> dict[str, Any]:
        p = papers.get(pid)
        return dict(p) if p is not None else stub_paper(pid)

    overlap = similarity.seed_overlap(M, seeds)
    nodes = []
    for i, pid in enumerate(all_ids):
        if pid in seed_set:
            coup, cocit = overlap[pid]
            sim, rk, share = 1.0, 0, 1.0
        else:
            r = info.get(pid, {})
            coup, cocit = int(r.get("coupling", 0)), int(r.get("cocitation", 0))
            share = round(float(r.get("similarity", 0.0)), 4)
            sim, rk = round(float(r.get("score", 0.0)) / scale, 4), i - len(seeds) + 1
        x, y = pos.get(pid, (0.0, 0.0))
        nodes.append({**paper(pid), "id": pid, "role": "seed" if pid in seed_set else "related",
                      "similarity": sim, "share": share, "coupling": coup, "cocitation": cocit,
                      "rank": rk, "x": x, "y": y, "cluster": in_cluster.get(pid),
                      "cluster_label": cluster_label.get(in_cluster.get(pid))})

    def listing(pairs: list[tuple[str, int]], cited: bool) -> list[dict[str, Any]]:
        return [{**paper(pid), "id": pid, "count": c, "links": similarity.linked_nodes(M, all_ids, pid, cited)}
                for pid, c in pairs]

    if prior is None:
        prior = similarity.prior_works(M, all_ids, k_lists, exclude=seeds)
    if derivative is None:
        derivative = similarity.derivative_works(M, all_ids, k_lists, exclude=seeds)
    out_stats = dict(stats)
    out_stats.setdefault("candidates", len(ranked))
    out_stats.setdefault("ranking", similarity.ranking())
    note = similarity.evidence_note(seeds, out_stats.get("seed_citers") or {})
    if note:
        out_stats["evidence_note"] = note
    listed = [*all_ids, *(p for p, _ in prior), *(p for p, _ in derivative)]
    return {"format": "litmap-map/1", "seeds": seeds, "nodes": nodes, "edges": m_edges,
            "prior": listing(prior, cited=True), "derivative": listing(derivative, cited=False),
            "citations": citations(M, listed), "clusters": clusters, "stats": out_stats}


def citations(edges: similarity.EdgeInput, paper_ids: Iterable[str]) -> list[dict[str, str]]:
    """The citation edges among these papers, ``{"source": citing, "target": cited}``, sorted."""
    M = similarity.build_matrix(edges)
    rows = sorted({M.index[p] for p in paper_ids if p in M.index})
    sub = M.A[rows][:, rows].tocoo()
    # rows ascend and M.ids is sorted, so sorting the positions sorts by (citing, cited) id
    return [{"source": M.ids[rows[i]], "target": M.ids[rows[j]]}
            for i, j in sorted(zip(sub.row.tolist(), sub.col.tolist()))]
