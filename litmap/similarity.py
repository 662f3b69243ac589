"""Similarity, ranking and map assembly over the crawled citation graph.

Everything here is a pure function over a sparse citation matrix ``A`` (``A[i, j] = 1`` when
paper i cites paper j); pair statistics are sparse products, never Python loops over pairs.

Similarity of a candidate ``a`` to a seed ``s`` (also used for the map's edges)::

    R'(x) = R(x) | {x}      C'(x) = C(x) | {x}        (A' = A + I)
    coupling'  = |R'(a) & R'(s)|   = shared references   + direct citations
    cocitation' = |C'(a) & C'(s)|  = shared citers       + direct citations
    sim   = 0.5 * coupling' / sqrt(|R'(a)| |R'(s)|) + 0.5 * cocitation' / sqrt(|C'(a)| |C'(s)|)
    score = sim * n / (n + 3)        n = coupling' + cocitation'   (evidence, shared papers)

* Salton (cosine) for both signals, equal weights: coupling speaks for recent papers, co-citation
  for older ones, and neither is known to dominate (Connected Papers combines both without a
  published weight). Inciteful's 0.25 on co-citation damps popular papers; here the denominators
  already do that, so the sum (halved, so sim <= 1) keeps past and future work balanced.
* ``|R'(x)| = max(local out-degree, referenceCount) + 1`` (same for C with citationCount): the
  crawl sees only part of most papers' lists (a paper found because it cites one of the seed's
  references has one known edge); dividing by the local degree would make it look perfectly
  similar. The global count is what the paper really has.
* Self-extension (A + I): a direct citation is the strongest single tie there is, yet without it a
  paper that only cites the seed would score 0. With R'/C' it counts once as a shared reference
  and once as a shared citer (both are true statements about R'/C'), i.e. about two shared papers.
* Evidence shrinkage ``n / (n + K)``, K = 3: read the Salton value as an estimate from n shared
  papers, shrunk toward 0 by a prior worth K pseudo-papers. In a crawled neighbourhood nearly every
  candidate shares one or two papers by chance (a textbook everyone cites), so the factor is
  1/4 at n = 1, 1/2 at n = 3 and 0.91 at n = 30: a 1-shared paper needs 3.6x the raw similarity
  of a 30-shared one to beat it (small denominators alone no longer do), while well-supported
  scores are left nearly intact. K = 1 would still rank such flukes high; K = 10 would bury
  genuine 3-5-paper ties, common for recent papers.
* Several seeds: the mean of the per-seed scores (over all distinct seeds), so a paper tied to
  several seeds rises above one tied as strongly to one, while a paper unique to one seed keeps
  1/m of its score and still competes. Scores stay absolute (not normalised per seed): a seed
  with one flimsy neighbour does not lift it to the top, and a thin neighbourhood shows as low
  values; Salton's sqrt(|seed|) leaves a mild bias toward the seed with shorter lists.

Everything returned is sorted and rounded, so the same crawl gives byte-identical JSON.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp

from .clusters import cluster_map
from .layout import layout

W_COUPLING, W_COCITATION, EVIDENCE_K = 0.5, 0.5, 3.0  # see the module docstring
SEED_EDGE_FACTOR = 2  # seeds keep 2 * per_node edges: they are the map's subject
SCORE_DIGITS = 6  # rounding before sorting: removes platform float noise from the order

Counts = Mapping[str, Sequence[int | None]]  # paperId -> (citationCount, referenceCount)

PAPER_KEYS: dict[str, Any] = {  # docs/internals.md Paper, nothing known
    "paperId": None, "corpusId": None, "externalIds": {}, "title": None, "abstract": None,
    "tldr": None, "authors": [], "year": None, "venue": None, "journal": None,
    "publicationTypes": [], "publicationDate": None, "citationCount": None,
    "referenceCount": None, "url": None}


class CitationMatrix(NamedTuple):
    """``A`` (csr, float64 0/1, no diagonal), ``ids`` sorted, ``index`` id -> row."""

    A: sp.csr_matrix
    ids: list[str]
    index: dict[str, int]


EdgeInput = Iterable[Sequence[str]] | CitationMatrix


def build_matrix(edges: EdgeInput) -> CitationMatrix:
    """Deduplicated citation matrix; self-loops dropped. Accepts a built matrix unchanged, so
    callers (assemble_map) build once and pass it to every function below."""
    if isinstance(edges, CitationMatrix):
        return edges
    pairs = edges if isinstance(edges, (list, tuple)) else list(edges)
    src = [e[0] for e in pairs]  # comprehensions: ~4x faster than a loop with appends
    dst = [e[1] for e in pairs]
    ids = sorted(set(src).union(dst))  # sorted: row order, hence every tie-break, is canonical
    index = {pid: i for i, pid in enumerate(ids)}
    n = len(ids)
    rows = np.fromiter(map(index.__getitem__, src), dtype=np.int64, count=len(src))
    cols = np.fromiter(map(index.__getitem__, dst), dtype=np.int64, count=len(dst))
    keys = np.sort((rows * n + cols)[rows != cols])  # drop self-loops; int64 keys, row-major
    # dedupe by sort + neighbour compare: numpy 2.x np.unique (hash based) is ~50x slower here
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    rows, cols = keys // max(n, 1), keys % max(n, 1)  # keys sorted => row-major CSR order
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n))))
    A = sp.csr_matrix((np.ones(len(keys)), cols, indptr), shape=(n, n))
    return CitationMatrix(A, ids, index)


def _norms(M: CitationMatrix, counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """|R'(x)| and |C'(x)|: max(local degree, global count) + 1 (the +1 is x itself)."""
    n = len(M.ids)
    raw = [counts.get(pid) or (0, 0) for pid in M.ids]  # one pass over papers, not pairs
    glob = np.nan_to_num(np.array(raw, dtype=np.float64).reshape(n, 2))  # None -> nan -> 0
    out_deg = np.diff(M.A.indptr)
    in_deg = np.bincount(M.A.indices, minlength=n)
    return np.maximum(out_deg, glob[:, 1]) + 1.0, np.maximum(in_deg, glob[:, 0]) + 1.0


def _pair_stats(M: CitationMatrix, counts: Counts, rows: np.ndarray, cols: np.ndarray
                ) -> dict[str, np.ndarray]:
    """Dense rows x cols blocks (all papers x seeds, or nodes x nodes: small either way)."""
    n = len(M.ids)
    Ap = (M.A + sp.identity(n, format="csr")).tocsr()
    R, C = _norms(M, counts)
    coup = (Ap[rows] @ Ap[cols].T).toarray()
    Apc = Ap.tocsc()
    cocit = (Apc[:, rows].T @ Apc[:, cols]).toarray()
    sim = (W_COUPLING * coup / np.sqrt(np.outer(R[rows], R[cols]))
           + W_COCITATION * cocit / np.sqrt(np.outer(C[rows], C[cols])))
    n_ev = coup + cocit
    return {"evidence": n_ev, "sim": sim, "score": sim * n_ev / (n_ev + EVIDENCE_K)}


def _shared(M: CitationMatrix, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per paper: distinct refs / citers shared with any of S (raw A), cites or cited by S."""
    refs_of_s = np.asarray(M.A[S].sum(axis=0)).ravel() > 0
    cites_s = np.asarray(M.A[:, S].sum(axis=1)).ravel() > 0
    coupling = M.A @ refs_of_s.astype(np.float64)
    cocitation = M.A.T @ cites_s.astype(np.float64)
    return coupling, cocitation, refs_of_s | cites_s


def rank(edges: EdgeInput, seeds: Sequence[str], counts: Counts,
         exclude: Iterable[str] = frozenset()) -> list[dict[str, Any]]:
    """Every non-seed, non-excluded paper sharing anything with a seed, by score desc then id:
    ``id``, ``score`` (module docstring), ``coupling`` / ``cocitation`` (distinct references /
    citers shared with any seed; raw, without the self-extension), ``direct`` (cites or is cited
    by a seed), ``similarity`` (mean sim before shrinkage), ``evidence`` (n summed over seeds)."""
    M = build_matrix(edges)
    seeds = list(dict.fromkeys(seeds))
    present = [M.index[s] for s in seeds if s in M.index]
    if not present:
        return []
    S = np.array(present, dtype=np.int64)
    everyone = np.arange(len(M.ids))
    st = _pair_stats(M, counts, everyone, S)
    m = len(seeds)  # absent seeds count as 0 for everyone: keeps "mean over the user's seeds"
    score = st["score"].sum(axis=1) / m
    sim = st["sim"].sum(axis=1) / m
    evidence = st["evidence"].sum(axis=1)
    coupling, cocitation, direct = _shared(M, S)
    keep = evidence > 0
    drop = [M.index[p] for p in set(exclude).union(seeds) if p in M.index]
    keep[drop] = False
    idx = np.nonzero(keep)[0]
    idx = idx[np.lexsort((idx, -np.round(score[idx], SCORE_DIGITS)))]  # idx order == id order
    # vectorised rounding + tolist(): Python round() on numpy scalars costs ~20 us each
    cols = zip([M.ids[i] for i in idx], np.round(score[idx], SCORE_DIGITS).tolist(),
               coupling[idx].astype(np.int64).tolist(), cocitation[idx].astype(np.int64).tolist(),
               direct[idx].tolist(), np.round(sim[idx], SCORE_DIGITS).tolist(),
               evidence[idx].astype(np.int64).tolist())
    keys = ("id", "score", "coupling", "cocitation", "direct", "similarity", "evidence")
    return [dict(zip(keys, row)) for row in cols]


def select(ranked: Sequence[Mapping[str, Any]], n: int) -> list[str]:
    """Top n ids, re-sorted (score desc, id) so the caller's list order does not matter."""
    if n <= 0:
        return []
    return [r["id"] for r in sorted(ranked, key=lambda r: (-r["score"], r["id"]))[:n]]


def edge_quota(node_id: str, seeds: Iterable[str], per_node: int = 3) -> int:
    """How many strongest edges a node keeps on its own account (others may add more)."""
    base = max(per_node, 1)  # >= 1: no node with any positive similarity is left isolated
    return base * SEED_EDGE_FACTOR if node_id in set(seeds) else base


def map_edges(edges: EdgeInput, node_ids: Iterable[str], counts: Counts,
              seeds: Sequence[str], per_node: int = 3) -> list[dict[str, Any]]:
    """Similarity edges among the map's nodes.

    Weight = the ranking score (sim * n/(n+K)) between the two nodes, so a thick edge always
    means much shared evidence, never small denominators. Each node keeps its ``edge_quota``
    strongest positive edges (ties by id); the union is returned, ``source < target``, weights
    rounded to 4 decimals (a positive weight never rounds to 0), sorted by (source, target).
    """
    M = build_matrix(edges)
    nodes = sorted(p for p in set(node_ids) if p in M.index)
    k = len(nodes)
    if k < 2:
        return []
    idx = np.array([M.index[p] for p in nodes], dtype=np.int64)
    raw = _pair_stats(M, counts, idx, idx)["score"]
    np.fill_diagonal(raw, 0.0)
    w = np.where(raw > 0, np.maximum(np.round(raw, 4), 1e-4), 0.0)
    quota = np.array([edge_quota(p, seeds, per_node) for p in nodes])
    order = np.argsort(-w, axis=1, kind="stable")  # stable: ties keep column (= id) order
    pos = np.empty_like(order)
    pos[np.arange(k)[:, None], order] = np.arange(k)[None, :]
    chosen = (pos < quota[:, None]) & (w > 0)
    chosen = np.triu(chosen | chosen.T, 1)
    return [{"source": nodes[i], "target": nodes[j], "weight": float(w[i, j])}
            for i, j in zip(*np.nonzero(chosen))]  # row-major nonzero == sorted (source, target)


def _works(edges: EdgeInput, map_ids: Iterable[str], k: int, exclude: Iterable[str],
           include_map: bool, cited: bool) -> list[tuple[str, int]]:
    M = build_matrix(edges)
    map_ids = set(map_ids)
    ind = np.zeros(len(M.ids))
    ind[[M.index[p] for p in map_ids if p in M.index]] = 1.0
    cnt = (M.A.T @ ind) if cited else (M.A @ ind)  # map papers citing j / cited by i
    hide = set(exclude) | (set() if include_map else map_ids)
    cnt[[M.index[p] for p in hide if p in M.index]] = 0
    idx = np.nonzero(cnt > 0)[0]
    idx = idx[np.lexsort((idx, -cnt[idx]))][:max(k, 0)]  # count desc, then id
    return [(M.ids[i], int(cnt[i])) for i in idx]


def prior_works(edges: EdgeInput, map_ids: Iterable[str], k: int = 10,
                exclude: Iterable[str] = (), include_map: bool = False) -> list[tuple[str, int]]:
    """Papers cited by the most map papers: (id, number of map papers citing it), count desc, id.
    Map papers are left out by default: the map already shows them (Connected Papers' lists
    spend most slots repeating graph nodes); what remains are the foundations the map builds on
    that are not similar enough to be in it (typically older, broader work)."""
    return _works(edges, map_ids, k, exclude, include_map, cited=True)


def derivative_works(edges: EdgeInput, map_ids: Iterable[str], k: int = 10,
                     exclude: Iterable[str] = (), include_map: bool = False
                     ) -> list[tuple[str, int]]:
    """Papers citing the most map papers: (id, number of map papers it cites). Same rules as
    prior_works (map papers excluded by default: the list then shows new work, e.g. surveys)."""
    return _works(edges, map_ids, k, exclude, include_map, cited=False)


def linked_nodes(edges: EdgeInput, map_ids: Iterable[str], pid: str, cited: bool) -> list[str]:
    """Map papers citing ``pid`` (``cited``: a prior work) or cited by it (a derivative work),
    sorted: what the page highlights when the list entry is pointed at."""
    M = build_matrix(edges)
    j = M.index.get(pid)
    if j is None:
        return []
    found = {M.ids[i] for i in (M.A[:, [j]].nonzero()[0] if cited else M.A[[j]].nonzero()[1])}
    return sorted(found.intersection(map_ids))


def stub_paper(pid: str) -> dict[str, Any]:
    """A Paper with every key present and nothing known (metadata never fetched)."""
    paper = {k: (v.copy() if isinstance(v, (dict, list)) else v) for k, v in PAPER_KEYS.items()}
    paper["paperId"] = pid
    return paper


def assemble_map(seeds: Sequence[str], ranked: Sequence[Mapping[str, Any]],
                 node_ids: Iterable[str], papers: Mapping[str, Mapping[str, Any]],
                 edges: EdgeInput, counts: Counts, stats: Mapping[str, Any],
                 *, per_node: int = 3, k_lists: int = 10,
                 prior: list[tuple[str, int]] | None = None,
                 derivative: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The Map dict of docs/internals.md (format litmap-map/1). ``prior``/``derivative``: lists
    the caller already computed (to fetch their details), else computed here.

    Nodes: seeds (input order, similarity 1.0, rank 0, coupling/cocitation = shared with the
    other seeds) then related papers in rank order (rank 1..N; ids missing from ``ranked`` last,
    by id, similarity 0). A related node's similarity is its score, in [0, 1) by construction
    (Salton <= 1, halved sum, shrinkage < 1), so it is not rescaled: absolute values show a thin
    neighbourhood for what it is (divided by the best only if a caller's scores exceed 1).
    """
    M = build_matrix(edges)
    seeds = list(dict.fromkeys(seeds))
    seed_set = set(seeds)
    wanted = set(node_ids) - seed_set
    by_rank = sorted(ranked, key=lambda r: (-r["score"], r["id"]))
    info = {r["id"]: r for r in by_rank if r["id"] in wanted}  # dicts keep rank order
    related = list(info) + sorted(wanted - set(info))
    all_ids = seeds + related
    best = max((float(r["score"]) for r in info.values()), default=0.0)
    scale = best if best > 1.0 else 1.0

    m_edges = map_edges(M, all_ids, counts, seeds, per_node)
    pos = layout(all_ids, m_edges, seeds)
    in_cluster, clusters = cluster_map(all_ids, m_edges, papers)
    cluster_label = {c["id"]: c["label"] for c in clusters}

    def paper(pid: str) -> dict[str, Any]:
        p = papers.get(pid)
        return dict(p) if p is not None else stub_paper(pid)

    nodes = []
    for i, pid in enumerate(all_ids):
        is_seed = pid in seed_set
        if is_seed:
            others = np.array([M.index[s] for s in seeds if s != pid and s in M.index], int)
            coup = cocit = 0
            if len(others) and pid in M.index:
                c1, c2, _ = _shared(M, others)
                coup, cocit = int(c1[M.index[pid]]), int(c2[M.index[pid]])
            sim, rk = 1.0, 0
        else:
            r = info.get(pid, {})
            coup, cocit = int(r.get("coupling", 0)), int(r.get("cocitation", 0))
            sim, rk = round(float(r.get("score", 0.0)) / scale, 4), i - len(seeds) + 1
        x, y = pos.get(pid, (0.0, 0.0))
        nodes.append({**paper(pid), "id": pid, "role": "seed" if is_seed else "related",
                      "similarity": sim, "coupling": coup, "cocitation": cocit, "rank": rk,
                      "x": x, "y": y, "cluster": in_cluster.get(pid),
                      "cluster_label": cluster_label.get(in_cluster.get(pid))})

    def listing(pairs: list[tuple[str, int]], cited: bool) -> list[dict[str, Any]]:
        return [{**paper(pid), "id": pid, "count": c, "links": linked_nodes(M, all_ids, pid, cited)}
                for pid, c in pairs]

    out_stats = dict(stats)
    out_stats.setdefault("candidates", len(ranked))
    out_stats.setdefault("ranking", {"w_coupling": W_COUPLING, "w_cocitation": W_COCITATION,
                                     "evidence_k": EVIDENCE_K, "seeds": "mean"})
    return {"format": "litmap-map/1", "seeds": seeds, "nodes": nodes, "edges": m_edges,
            "prior": listing(prior if prior is not None else prior_works(M, all_ids, k_lists, exclude=seeds),
                             cited=True),
            "derivative": listing(derivative if derivative is not None
                                  else derivative_works(M, all_ids, k_lists, exclude=seeds), cited=False),
            "clusters": clusters, "stats": out_stats}
