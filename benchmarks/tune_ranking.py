"""How the new-paper part of the ranking was chosen: a grid over its constants, cross-validated.

The neighbourhood walk of ``litmap/similarity.py`` (module docstring, "New papers") has four
constants: WALK_DIRECT (a seed's own reference or citer against a two-step paper), WALK_DEGREE
(how much a long list shrinks a neighbour's vote), WALK_POPULARITY (the walk's popularity
exponent) and CITER_K (co-citation's weight n/(n + K) for a seed with n citers). This script
ranks every seed of the cutoff-1997 splits of ``benchmarks/quality.py`` (``dev``, ``recent``,
``papers``: the only splits to tune on) for each point of the grid, from the ranking inputs the
real crawl hands ``similarity.rank`` (captured once per seed, so a grid point costs seconds),
and reports recall@40 per split and a five-fold cross-validation by seed: the point chosen on
four folds (by the mean of ``recent`` and ``dev``) scored on the fifth.

    python benchmarks/tune_ranking.py            # ~3 minutes on 2 cores
    python benchmarks/tune_ranking.py --learned  # the fitted alternative (needs scikit-learn)

``--learned`` asks whether a model fitted to the task would do better than the hand-made walk
from the same inputs: a logistic regression over 15 features of each candidate ``rank`` returns
(the walk, the co-citation score and its parts, PageRank over the crawl's graph at restarts 0.15
and 0.5, counts, year, the seed's citers, co-citation with the seed's references), trained on
the `recent` cases quality.py's sample of 150 leaves out (cutoff 1997; the same design), five
folds by seed, scored on the 150 (docs/ranking.md has the result).
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality as q  # noqa: E402

from litmap import crawl, dataset, ids, similarity  # noqa: E402

CUTOFF = "1997-12-31"
SPLITS = [name for name, spec in q.SPLITS.items() if spec[0] == CUTOFF]
GRID = {"WALK_DIRECT": (1.0, 2.0), "WALK_DEGREE": (0.0, 0.3, 0.5), "WALK_POPULARITY": (0.25, 0.5, 0.75, 1.0),
        "CITER_K": (3.0, 10.0, 30.0)}


def capture(s: q.Sample, seeds: list[int], work: Path) -> dict[int, tuple]:
    """seed -> the arguments the crawl gives similarity.rank (edges, seeds, counts, years)."""
    slice_dir = q.write_slice(s, q.slice_ids(s, CUTOFF), work / "slice")
    store = dataset.dataset_store(str(slice_dir), work / "indexes")
    seen: dict[str, tuple] = {}
    real = similarity.rank

    def spy(edges, seeds, counts, exclude=frozenset(), years=None):  # type: ignore[no-untyped-def]
        kept = edges if isinstance(edges, similarity.CitationMatrix) else list(edges)  # the CSR engine's matrix
        seen["args"] = (kept, list(seeds), dict(counts), dict(years or {}))
        return real(edges, seeds, counts, exclude=exclude, years=years)

    similarity.rank = spy  # type: ignore[assignment]
    out = {}
    try:
        for seed in seeds:
            ref = ids.parse(s.papers[seed]["externalids"]["ArXiv"])
            crawl.Crawler(store, None, source=str(slice_dir)).build([ref], crawl.Options(nodes=q.K))
            out[seed] = seen["args"]
    finally:
        similarity.rank = real  # type: ignore[assignment]
    return out


def paper_ids(edges: similarity.EdgeInput) -> list[str]:
    return similarity.build_matrix(edges).ids


def recall(cases: dict[str, list[q.Case]], inputs: dict[int, tuple], corpus: dict[str, int]) -> dict[str, np.ndarray]:
    top = {}
    for seed, (edges, seeds, counts, years) in inputs.items():
        ranked = similarity.rank(edges, seeds, counts, years=years)
        top[seed] = [corpus[p] for p in similarity.select(ranked, q.K)]
    return {name: q.per_case(cs, top, q.K)[0] for name, cs in cases.items()}


def _ppr(G: sp.csr_matrix, i: int, restart: float) -> np.ndarray:
    walk = (sp.diags(1.0 / np.maximum(np.asarray(G.sum(axis=1)).ravel(), 1)) @ G).T.tocsr()
    e = np.zeros(G.shape[0])
    e[i] = 1.0
    r = e.copy()
    for _ in range(50):
        r = restart * e + (1 - restart) * (walk @ r)
    r[i] = 0.0
    return r / max(r.max(), 1e-300)


def _features(edges: similarity.EdgeInput, seeds: list[str], counts: dict, years: dict,
              corpus: dict[str, int]) -> tuple[np.ndarray, np.ndarray, int]:
    """(candidates as corpus ids, their 15 features, the seed's citers) for one captured seed."""
    ranked = similarity.rank(edges, seeds, counts, years=years)
    M = similarity.build_matrix(edges)
    A = M.A
    i = M.index[seeds[0]]
    U = ((A + A.T) > 0).astype(np.float64).tocsr()
    rows = np.array([M.index[r["id"]] for r in ranked])
    own = np.zeros(A.shape[0])
    own[A[i].indices] = 1.0
    beside_refs = (A.T @ (A @ own))[rows]
    citers = int(A[:, i].sum())
    col = {k: np.array([r[k] for r in ranked], dtype=np.float64)
           for k in ("score", "neighbourhood", "cocitation_score", "similarity", "coupling", "cocitation", "direct",
                     "evidence")}
    cc, rc = (np.array([float((counts.get(r["id"]) or (0, 0))[j] or 0) for r in ranked]) for j in (0, 1))
    year = np.array([float(years.get(r["id"]) or 1990) for r in ranked])
    X = np.column_stack([col["score"], np.log(col["neighbourhood"] + 1e-9), np.log(col["cocitation_score"] + 1e-9),
                         col["similarity"], np.log1p(col["coupling"]), np.log1p(col["cocitation"]), col["direct"],
                         np.log1p(col["evidence"]), np.log(_ppr(U, i, 0.15)[rows] + 1e-12),
                         np.log(_ppr(U, i, 0.5)[rows] + 1e-12), np.log1p(cc), np.log1p(rc), 1997 - year,
                         np.full(len(rows), np.log1p(citers)), np.log1p(beside_refs)])
    return np.array([corpus[r["id"]] for r in ranked]), X, citers


def fit_ranker(cases: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[np.ndarray], np.ndarray]:
    """A logistic regression over the training cases' (candidates' features, is-truth), each case
    weighing alike, on standardised features: its score of a case's candidates' features.
    scikit-learn is imported here: a benchmark-only dependency the callers check for first."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y, weights = training_arrays(cases)
    scale = StandardScaler().fit(X)
    model = LogisticRegression(max_iter=5000).fit(scale.transform(X), y, sample_weight=weights)
    return lambda F: model.decision_function(scale.transform(F))


def training_arrays(cases: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cases' features, is-truth and weights stacked: each case weighs alike, whatever its hits."""
    return (np.vstack([F for F, _ in cases]), np.concatenate([hit for _, hit in cases]),
            np.concatenate([np.full(len(hit), 1.0 / max(int(hit.sum()), 1)) for _, hit in cases]))


def learned() -> None:
    if importlib.util.find_spec("sklearn") is None:
        sys.exit("tune_ranking.py --learned: needs scikit-learn (pip install scikit-learn)")
    s = q.load_sample()
    everything = q.make_cases(s, "recent", limit=None)
    test, train = everything[:q.N_RECENT], everything[q.N_RECENT:]
    with tempfile.TemporaryDirectory(prefix="litmap-tune-") as tmp:
        inputs = capture(s, sorted({c.seed for c in everything}), Path(tmp))
        store = dataset.dataset_store(str(Path(tmp) / "slice"), Path(tmp) / "indexes")
        corpus = {p: int(r["externalIds"]["CorpusId"])
                  for p, r in store.get_papers({x for e, *_ in inputs.values() for x in paper_ids(e)}).items()}
    table = {seed: _features(*args, corpus) for seed, args in inputs.items()}
    fold = {seed: int(hashlib.sha1(str(seed).encode()).hexdigest(), 16) % 5 for seed in table}

    def recall(case: q.Case, score: np.ndarray) -> float:
        cand = table[case.seed][0]
        top = cand[np.lexsort((cand, -np.round(score, 9)))][:q.K]
        return len(set(top.tolist()) & case.truth) / min(q.K, len(case.truth))

    walk = np.array([recall(c, table[c.seed][1][:, 0]) for c in test])
    fitted = np.zeros(len(test))
    for k in range(5):  # never a seed of this fold, never one of the scored cases in training
        score = fit_ranker([(table[c.seed][1], np.isin(table[c.seed][0], list(c.truth)))
                            for c in train if fold[c.seed] != k])
        for j, c in enumerate(test):
            if fold[c.seed] == k:
                fitted[j] = recall(c, score(table[c.seed][1]))
    zero = np.array([table[c.seed][2] == 0 for c in test])
    cases0 = [c for c, z in zip(test, zero) if z]
    print(f"recent ({len(test)} cases, {int(zero.sum())} with no citers; trained on {len(train)} others)")
    print(f"  litmap's walk   {walk.mean():.3f}, no citers {walk[zero].mean():.3f}")
    print(f"  fitted model    {fitted.mean():.3f}, no citers {fitted[zero].mean():.3f}")
    print(f"  fitted - walk   {q.fmt(q.bootstrap(test, fitted - walk))}, "
          f"no citers {q.fmt(q.bootstrap(cases0, (fitted - walk)[zero]))}")


def main() -> None:
    s = q.load_sample()
    cases = {name: q.make_cases(s, name) for name in SPLITS}
    seeds = sorted({c.seed for cs in cases.values() for c in cs})
    with tempfile.TemporaryDirectory(prefix="litmap-tune-") as tmp:
        inputs = capture(s, seeds, Path(tmp))
        store = dataset.dataset_store(str(Path(tmp) / "slice"), Path(tmp) / "indexes")
        corpus = {p: int(r["externalIds"]["CorpusId"])
                  for p, r in store.get_papers({x for e, *_ in inputs.values() for x in paper_ids(e)}).items()}
    saved = {name: getattr(similarity, name) for name in GRID}
    results = {}
    try:
        for point in itertools.product(*GRID.values()):
            for name, value in zip(GRID, point):
                setattr(similarity, name, value)
            results[point] = recall(cases, inputs, corpus)
            print(dict(zip(GRID, point)), {k: round(float(v.mean()), 4) for k, v in results[point].items()},
                  flush=True)
    finally:
        for name, value in saved.items():
            setattr(similarity, name, value)
    chosen = tuple(saved[name] for name in GRID)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(seeds))
    folds = [{seeds[i] for i in order[f::5]} for f in range(5)]
    held = {name: np.zeros(len(cases[name])) for name in ("recent", "dev")}
    for fold in folds:
        def train(point: tuple, fold: set[int] = fold) -> float:
            return float(np.mean([results[point][n][[c.seed not in fold for c in cases[n]]].mean() for n in held]))
        best = max(results, key=train)
        for n in held:
            mask = np.array([c.seed in fold for c in cases[n]])
            held[n][mask] = results[best][n][mask]
        print("fold: chose", dict(zip(GRID, best)))
    print("cross-validated recall@40:", {n: round(float(v.mean()), 4) for n, v in held.items()})
    print("litmap's constants", dict(zip(GRID, chosen)), {k: round(float(v.mean()), 4)
                                                          for k, v in results[chosen].items()})


if __name__ == "__main__":
    learned() if "--learned" in sys.argv[1:] else main()
