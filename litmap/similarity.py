"""Similarity and ranking over the crawled citation graph (litmap/assemble.py makes the map).

Everything here is a pure function over a sparse citation matrix ``A`` (``A[i, j] = 1`` when
paper i cites paper j); pair statistics are sparse products, never Python loops over pairs.

Ranking: which papers a reader of the seed needs (``rank``)
-------------------------------------------------------------
A researcher who maps a paper wants what the people who build on it read next. The papers that
the seed's *citers* also cite say that best, so the co-citation score is the share of the seed's
citers that also cite the candidate, with recent citers weighted most, times a mild popularity
factor (blended with the neighbourhood walk below as the seed's citers are few)::

    w(c)     = exp(-(newest citer's year - year(c)) / 1 year) * sqrt(1 + |R(c) & N(s)|)
    share(a) = sum of w(c) over citers c of s that cite a / sum of w(c) over all citers of s
               + 1/|C(s)| if a cites s or s cites a         (a direct link: one more citer)
    cocitation score(a) = (share(a) + 0.02 * coupling share(a)) * (1 + ln(1 + citations(a))) * n/(n + 3)

* ``N(s)`` is the seed's neighbourhood (its references and citers): a citer that cites none of it
  is probably citing the seed in passing, from another topic, and weighs less.
* ``coupling share`` = (shared references + direct links) / the seed's reference count, with a
  small weight: a tie-breaker among papers no citer co-cites.
* ``citations(a)`` is max(local in-degree, citationCount); ``n`` = shared references + shared
  citers + 2 x direct links: a candidate tied by one paper only is thin evidence, a quarter off.
* Several seeds: shares and coupling shares are averaged over all the user's seeds.

Measured (``python benchmarks/quality.py``, development split: held-out review articles of
hep-th, cutoff 1997-12-31, 123 cases from 41 reviews of 1998-99): the co-citation score alone
scores recall@40 0.349, +0.016 [0.005, 0.027] over raw co-citation (0.334), against personalized
PageRank's 0.330 and the old Salton formula's 0.252. docs/ranking.md says how it was chosen.

New papers: the neighbourhood walk, and the blend by evidence
--------------------------------------------------------------
A paper out last week has no citers, so the co-citation share above is empty. What it does have
is its neighbourhood: its references (and any citers), and the papers two steps away, those its
references cite and those citing its references. The walk scores a candidate by where two steps
from the seeds lead::

    walk(a) = [ 2 x near(a) + sum over neighbours b that cite a of 1 / |R'(b)|^0.3
                            + sum over neighbours b that a cites of 1 / |C'(b)|^0.3 ] / |N(s)|
              x (1 + ln(1 + citations(a)))^0.5
    score(a) = trust x cocitation score(a) / best + (1 - trust) x walk(a) / best,
    trust    = n / (n + 30)           n = the seed's citers (mean over the seeds)

``near(a)`` is how many seeds ``a`` cites or is cited by (a paper citing three of a library's
papers is three times their neighbour); a neighbour with a long list (a survey, a classic) says
less about each paper on it. With no citers the map is the walk alone; a classic with hundreds
of citers keeps the co-citation ranking (trust 0.97 at 1,000 citers); 30 citers weigh both
halves alike. Candidates are every paper the walk or the co-citation score reaches.

Measured (``benchmarks/quality.py --split recent``: seeds that are new at the cutoff, the
newest in-slice reference of a 1998-99 paper, truth the paper's other references; 150 cases, 59
with no citers; before the walk litmap scored 0.327, 0.307 with no citers). The walk's
constants come from a cross-validated grid (``benchmarks/tune_ranking.py``); docs/ranking.md
says what else was tried and why the no-citer bucket sits at PageRank (benchmarks/CEILING.md:
even a model fitted on the whole slice gains only 0.007 [-0.004, 0.020] there).
Result (``benchmarks/QUALITY.md``): ``recent`` 0.390, +0.008 [-0.002, 0.017] over PageRank; no
citers 0.400 against 0.417, -0.018 [-0.033, -0.002]; 1-2 citers 0.439 against 0.428; 3 or more
0.329 against 0.292. ``dev`` 0.352 (was 0.349). Not tuned on: ``papers`` 0.275 (was 0.268) and
``later`` 0.290 (was 0.283), both above PageRank with the paired CI above 0; the final check,
``recent-later`` (cutoff 1999), 0.392 against PageRank's 0.393 (no citers 0.393 against 0.406).
For a paper nobody cites yet the map is about as good as PageRank over the whole graph, not
better; the page and the terminal say what it rests on (``evidence_note``).

Map edges (``map_edges``) are a symmetric similarity between two map papers, for the drawing:
    coupling'  = |R'(a) & R'(b)|,  cocitation' = |C'(a) & C'(b)|   (R' = R + self, C' = C + self)
    sim   = 0.5 * coupling' / sqrt(|R'(a)| |R'(b)|) + 0.5 * cocitation' / sqrt(|C'(a)| |C'(b)|)
    weight = sim * n / (n + 3)        n = coupling' + cocitation'
with ``|R'(x)| = max(local out-degree, referenceCount) + 1`` (likewise C'): the crawl sees only
part of most papers' lists, and the global count is what the paper really has.

Everything returned is sorted and rounded, so the same crawl gives byte-identical JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

# ranking (module docstring, "Ranking"): chosen on benchmarks/quality.py's development split
RECENCY_YEARS = 1.0  # a citer one year older than the seed's newest citer weighs 1/e
W_COUPLING = 0.02  # coupling share: a tie-breaker among papers no citer co-cites
EVIDENCE_K = 3.0  # n / (n + K): ranking and map edges alike
EDGE_W_COUPLING, EDGE_W_COCITATION = 0.5, 0.5  # map edges: symmetric Salton blend
SEED_EDGE_FACTOR = 2  # seeds keep 2 * per_node edges: they are the map's subject
SCORE_DIGITS = 6  # rounding before sorting: removes platform float noise from the order
CITER_K = 30.0  # co-citation's weight n/(n + K) for a seed with n citers; the rest: the walk
WALK_DIRECT = 2.0  # one step (a seed's reference or citer) weighs this much against two
WALK_DEGREE = 0.3  # a neighbour's vote / (its reference or citation count + 1) ** this
WALK_POPULARITY = 0.5  # the walk's popularity factor: (1 + ln(1 + citations)) ** this
THIN_CITERS = 3  # fewer citers than this: the map says it rests on thin evidence
MAP_EDGE_BLOCK = 256  # map_edges scores this many nodes' rows at a time

Counts = Mapping[str, Sequence[int | None]]  # paperId -> (citationCount, referenceCount)
Years = Mapping[str, int | None]  # paperId -> publication year


def ranking() -> dict[str, Any]:
    """What ranked the map, as its ``stats.ranking`` records it."""
    return {"formula": "recent-cocitation-share x popularity, blended with the neighbourhood walk by citers",
            "recency_years": RECENCY_YEARS, "w_coupling": W_COUPLING, "citer_k": CITER_K,
            "walk_degree": WALK_DEGREE, "walk_popularity": WALK_POPULARITY, "seeds": "mean"}


@dataclass(frozen=True)  # not a NamedTuple: its field `index` would hide tuple.index
class CitationMatrix:
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
    rows = np.fromiter(map(index.__getitem__, src), dtype=np.int64, count=len(src))
    cols = np.fromiter(map(index.__getitem__, dst), dtype=np.int64, count=len(dst))
    return matrix_from_indices(ids, rows, cols, index)


def matrix_from_indices(ids: list[str], rows: np.ndarray, cols: np.ndarray,
                        index: dict[str, int] | None = None) -> CitationMatrix:
    """The matrix build_matrix makes of the edges (ids[rows[k]], ids[cols[k]]), `ids` sorted:
    for a store that holds the edges as integers, with no Python per edge."""
    n = len(ids)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if index is None:
        index = dict(zip(ids, range(n)))
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


def _shared(M: CitationMatrix, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per paper: distinct refs / citers shared with any of S (raw A), cites or cited by S."""
    refs_of_s = np.asarray(M.A[S].sum(axis=0)).ravel() > 0
    cites_s = np.asarray(M.A[:, S].sum(axis=1)).ravel() > 0
    coupling = M.A @ refs_of_s.astype(np.float64)
    cocitation = M.A.T @ cites_s.astype(np.float64)
    return coupling, cocitation, refs_of_s | cites_s


def seed_overlap(edges: EdgeInput, seeds: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per seed, (coupling, cocitation) with the other seeds: the distinct references and citers
    it shares with any of them (what a seed shows about the other seeds). Two sparse products
    for all seeds: one product per seed is quadratic in a library of thousands."""
    M = build_matrix(edges)
    S = np.array([M.index[s] for s in seeds if s in M.index], dtype=np.int64)
    seeds_citing = np.bincount(M.A[S].indices, minlength=len(M.ids))     # seeds citing each paper
    seeds_cited = np.asarray(M.A[:, S].sum(axis=1)).ravel()              # seeds each paper cites
    # a seed's own link counts once in these: another seed makes it 2
    coup = M.A @ (seeds_citing >= 2).astype(np.float64)
    cocit = M.A.T @ (seeds_cited >= 2).astype(np.float64)
    return {s: (int(coup[M.index[s]]), int(cocit[M.index[s]])) if s in M.index else (0, 0) for s in seeds}


def rank(edges: EdgeInput, seeds: Sequence[str], counts: Counts,
         exclude: Iterable[str] = frozenset(), years: Years | None = None) -> list[dict[str, Any]]:
    """Every non-seed, non-excluded paper linked to a seed's neighbourhood, by score desc then id.

    ``score`` is the module docstring's blend: ``trust`` x ``cocitation_score`` / its best +
    (1 - trust) x ``neighbourhood`` / its best, with trust = n / (n + CITER_K) for a seed with n
    citers. ``cocitation_score`` is the co-citation formula (recent co-citation share x
    popularity, plus a little coupling), ``neighbourhood`` the two-step walk from the seeds
    (``_neighbourhood_walk``); ``similarity`` is the co-citation share alone (the mean over seeds of the share
    of a seed's citers, recent ones weighted most, that also cite the paper, a direct citation
    counting as one more); ``coupling`` / ``cocitation`` are the distinct references / citers
    shared with any seed (raw counts), ``direct`` whether it cites or is cited by a seed, and
    ``evidence`` coupling + cocitation + direct links. ``years`` (paperId -> year) weights the
    seeds' citers by recency; without it every citer weighs the same."""
    M = build_matrix(edges)
    seeds = list(dict.fromkeys(seeds))
    present = [M.index[s] for s in seeds if s in M.index]
    if not present:
        return []
    n = len(M.ids)
    S = np.array(present, dtype=np.int64)
    A, At = M.A, M.A.T.tocsr()
    R, C = _norms(M, counts)  # |R'|, |C'|: max(local degree, global count) + 1
    # v[c] = sum over seeds j that c cites of w_j(c) / W_j: each seed's citers as a distribution
    v, u = np.zeros(n), np.zeros(len(S))
    yr = _year_vector(M, years)
    for j, s in enumerate(S):
        cit = At[s].indices  # papers citing seed s
        if len(cit) == 0:
            continue
        known = yr[cit][np.isfinite(yr[cit])]
        now = known.max() if len(known) else 0.0
        w = np.exp(-(now - np.where(np.isfinite(yr[cit]), yr[cit], now)) / RECENCY_YEARS)
        near = np.zeros(n)  # the seed's neighbourhood: its references and its citers
        near[A[s].indices] = near[cit] = 1.0
        w *= np.sqrt(1.0 + A[cit] @ near)  # a citer on the seed's topic cites some of it
        v[cit] += w / w.sum()
        u[j] = 1.0 / len(cit)  # a direct citation weighs as one average citer
    as_cited = A.T @ v                              # recent co-citation share, summed over seeds
    direct_share = A[:, S] @ u + A[S].T @ u        # cites / is cited by a seed
    inv_r = 1.0 / np.maximum(R[S] - 1.0, 1.0)       # the seed's own reference count
    coup_share = A @ (A[S].T @ inv_r) + A[:, S] @ inv_r + A[S].T @ inv_r
    m = len(seeds)  # absent seeds count as 0 for everyone: keeps "mean over the user's seeds"
    share = (as_cited + direct_share) / m
    popularity = 1.0 + np.log(C)  # C = citations + 1, so 1 + ln(1 + citations)
    score = (share + W_COUPLING * coup_share / m) * popularity
    coupling, cocitation, direct = _shared(M, S)
    n_direct = np.asarray(A[:, S].sum(axis=1)).ravel() + np.asarray(A[S].sum(axis=0)).ravel()
    evidence = coupling + cocitation + 2 * n_direct  # a direct link: a shared reference and citer
    score = score * evidence / (evidence + EVIDENCE_K)  # one shared paper is thin evidence
    # A new paper has few citers or none: co-citation is silent, so what its neighbourhood says
    # takes over, as much as the citers are few (module docstring, "New papers").
    walk = _neighbourhood_walk(A, At, S, R, C)
    keep = (evidence > 0) | (walk > 0)
    drop = [M.index[p] for p in set(exclude).union(seeds) if p in M.index]
    keep[drop] = False
    idx = np.nonzero(keep)[0]
    citers = sum(len(At[s].indices) for s in S) / m  # mean over the user's seeds, absent ones 0
    trust = citers / (citers + CITER_K)  # co-citation's weight: grows with the evidence
    cocited = score
    score = (trust * cocited / max(cocited[idx].max(initial=0.0), 1e-300)
             + (1.0 - trust) * walk / max(walk[idx].max(initial=0.0), 1e-300))
    idx = idx[np.lexsort((idx, -np.round(score[idx], SCORE_DIGITS)))]  # idx order == id order
    # vectorised rounding + tolist(): Python round() on numpy scalars costs ~20 us each
    cols = zip([M.ids[i] for i in idx], np.round(score[idx], SCORE_DIGITS).tolist(),
               coupling[idx].astype(np.int64).tolist(), cocitation[idx].astype(np.int64).tolist(),
               direct[idx].tolist(), np.round(share[idx], SCORE_DIGITS).tolist(),
               evidence[idx].astype(np.int64).tolist(), np.round(cocited[idx], SCORE_DIGITS).tolist(),
               np.round(walk[idx], SCORE_DIGITS).tolist())
    keys = ("id", "score", "coupling", "cocitation", "direct", "similarity", "evidence", "cocitation_score",
            "neighbourhood")
    return [dict(zip(keys, row)) for row in cols]


def _neighbourhood_walk(A: sp.csr_matrix, At: sp.csr_matrix, S: np.ndarray, R: np.ndarray,
                        C: np.ndarray) -> np.ndarray:
    """Where two steps from the seeds lead: the seeds' references and citers (one step), and the
    papers those cite or are cited by (two), each neighbour's vote shrunk by its own list length
    to the power WALK_DEGREE (a specific neighbour says more than a survey or a classic), times
    a milder popularity factor than co-citation's. Per the seeds' neighbourhood size."""
    # how many seeds each paper is a neighbour of: a paper citing three of a library's papers
    # is three times their neighbour
    near = (np.bincount(A[S].indices, minlength=A.shape[0])
            + np.bincount(At[S].indices, minlength=A.shape[0])).astype(np.float64)
    near[S] = 0.0
    walk: np.ndarray = WALK_DIRECT * near + At @ (near / R ** WALK_DEGREE) + A @ (near / C ** WALK_DEGREE)
    out: np.ndarray = walk / max(float(near.sum()), 1.0) * (1.0 + np.log(C)) ** WALK_POPULARITY
    return out


def evidence_note(seeds: Sequence[str], citers: Mapping[str, int]) -> str | None:
    """What the map was built from, when a seed has too few citers for co-citation to say much
    (fewer than THIN_CITERS): the page and the terminal show it. None for a well-cited seed."""
    counts = [int(citers.get(s, 0)) for s in seeds]
    thin = [n for n in counts if n < THIN_CITERS]
    if not thin:
        return None
    if len(counts) == 1:
        n = counts[0]
        if n == 0:
            return "no citing papers yet: ranked by its references and the papers that share them"
        return (f"only {n} citing paper{'s' if n > 1 else ''} yet: ranked mostly by its references "
                "and the papers that share them")
    if not any(counts):
        return "no citing papers yet for any seed: ranked by their references and the papers that share them"
    return (f"{len(thin)} of the {len(counts)} seeds have fewer than {THIN_CITERS} citing papers: "
            "for those, the map leans on their references and the papers that share them")


def _year_vector(M: CitationMatrix, years: Years | None) -> np.ndarray:
    """Publication year per row, nan where unknown (or no years given: all weigh the same)."""
    if not years:
        return np.full(len(M.ids), np.nan)
    return np.array([years.get(p) if years.get(p) is not None else np.nan for p in M.ids],
                    dtype=np.float64)


def select(ranked: Sequence[Mapping[str, Any]], n: int) -> list[str]:
    """Top n ids, re-sorted (score desc, id) so the caller's list order does not matter."""
    if n <= 0:
        return []
    return [r["id"] for r in sorted(ranked, key=lambda r: (-r["score"], r["id"]))[:n]]


def edge_quota(node_id: str, seeds: Iterable[str], per_node: int = 3) -> int:
    """How many strongest edges a node keeps on its own account (others may add more)."""
    base = max(per_node, 1)  # >= 1: no node with any positive similarity is left isolated
    seed_set = seeds if isinstance(seeds, (set, frozenset)) else set(seeds)
    return base * SEED_EDGE_FACTOR if node_id in seed_set else base


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
    seed_set = set(seeds)
    quota = np.array([edge_quota(p, seed_set, per_node) for p in nodes])
    n = len(M.ids)
    Ap = (M.A + sp.identity(n, format="csr")).tocsr()
    R, C = _norms(M, counts)
    refs = Ap[idx]                        # k x n: each node's references and itself
    citers = Ap.tocsc()[:, idx].T.tocsr()  # k x n: each node's citers and itself
    refs_t, citers_t = refs.T.tocsr(), citers.T.tocsr()
    keys, weights = [], []
    # The module docstring's edge weight, scored a block of rows at a time: memory bounded by
    # MAP_EDGE_BLOCK x k instead of k x k (a library map has thousands of nodes).
    for lo in range(0, k, MAP_EDGE_BLOCK):
        hi = min(k, lo + MAP_EDGE_BLOCK)
        coup = (refs[lo:hi] @ refs_t).toarray()
        cocit = (citers[lo:hi] @ citers_t).toarray()
        sim = (EDGE_W_COUPLING * coup / np.sqrt(np.outer(R[idx[lo:hi]], R[idx]))
               + EDGE_W_COCITATION * cocit / np.sqrt(np.outer(C[idx[lo:hi]], C[idx])))
        n_ev = coup + cocit
        raw = sim * n_ev / (n_ev + EVIDENCE_K)
        raw[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
        r, c = np.nonzero(raw > 0)
        w = np.maximum(np.round(raw[r, c], 4), 1e-4)
        order = np.lexsort((c, -w, r))  # per row: strongest first, ties by id
        r, c, w = r[order], c[order], w[order]
        first = np.searchsorted(r, np.arange(hi - lo))
        keep = np.arange(len(r)) - first[r] < quota[lo + r]
        i, j = lo + r[keep], c[keep]
        keys.append(np.minimum(i, j) * k + np.maximum(i, j))
        weights.append(w[keep])
    keys_all, at = np.unique(np.concatenate(keys), return_index=True)  # sorted (source, target)
    w_all = np.concatenate(weights)[at]
    return [{"source": nodes[a], "target": nodes[b], "weight": float(x)}
            for a, b, x in zip((keys_all // k).tolist(), (keys_all % k).tolist(), w_all.tolist())]


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
