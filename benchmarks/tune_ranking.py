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
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

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
    main()
