"""Benchmark litmap.similarity on synthetic citation neighbourhoods.

    python benchmarks/similarity.py                 # 1k, 10k, 12k, 50k papers
    python benchmarks/similarity.py --sizes 12000   # one size

Each (model, size) runs in its own subprocess so ru_maxrss (peak RSS, includes the
numpy/scipy/networkx imports) is per size. Two generators (numpy RNG, fixed seed):
``crawl`` is shaped like what the crawler gathers around one seed (see crawl_shaped), ``copy``
is a denser preferential-attachment graph as a stress case. Global counts exceed local
degrees, as in a real crawl that sees only part of most lists. Edges arrive shuffled, with 5%
duplicates.

Goal: a 12,000-paper neighbourhood under 2 s and under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litmap import assemble  # noqa: E402
from litmap import similarity as sim  # noqa: E402
from litmap.layout import layout  # noqa: E402

N_NODES = 40


def _finish(n, s, d, seed_idx, cites, refs, rng):
    ids = [f"{i:040x}" for i in range(n)]  # 40-hex like Semantic Scholar ids
    counts = {ids[i]: (int(cites[i]), int(refs[i])) for i in range(n)}
    edges = [(ids[a], ids[b]) for a, b in zip(s.tolist(), d.tolist())]
    edges += edges[: len(edges) // 20]  # some duplicates, as the crawler may produce
    order = rng.permutation(len(edges))  # crawl order is arbitrary
    return [edges[i] for i in order], ids[seed_idx], counts


def crawl_shaped(n: int, seed: int = 20240501) -> tuple[list[tuple[str, str]], str, dict]:
    """The neighbourhood the crawler gathers: seed 0 cites r = 50 references; c = n/10 papers
    cite the seed and each cite 1+Poisson(30) papers (25% the seed's references, 65% a
    background of b = n/5 older papers, 10% earlier citers); the references cite 30 background
    papers each; the rest (~2n/3) are papers known only because they cite 1+Poisson(1.5) of the
    seed's references. Reference and background popularity is Zipf-like (preferential)."""
    rng = np.random.default_rng(seed)
    r, c, b = 50, n // 10, n // 5
    p = n - 1 - r - c - b
    R0, C0, B0, P0 = 1, 1 + r, 1 + r + c, 1 + r + c + b
    zipf = lambda m: (w := 1.0 / np.arange(1, m + 1) ** 0.8) / w.sum()  # noqa: E731
    wr, wb = zipf(r), zipf(b)
    src, dst = [np.zeros(r, np.int64)], [np.arange(R0, C0)]  # seed -> refs
    src.append(np.arange(C0, B0))  # citers -> seed
    dst.append(np.zeros(c, np.int64))
    src.append(np.repeat(np.arange(R0, C0), 30))
    dst.append(B0 + rng.choice(b, 30 * r, p=wb))
    k = 1 + rng.poisson(30, c)
    cs = np.repeat(np.arange(C0, B0), k)
    u = rng.random(len(cs))
    to_r = R0 + rng.choice(r, len(cs), p=wr)
    to_b = B0 + rng.choice(b, len(cs), p=wb)
    to_c = C0 + (rng.random(len(cs)) * (cs - C0)).astype(np.int64)  # an earlier citer
    src.append(cs)
    dst.append(np.where(u < 0.25, to_r, np.where(u < 0.9, to_b, to_c)))
    k = 1 + rng.poisson(1.5, p)
    src.append(np.repeat(np.arange(P0, n), k))
    dst.append(R0 + rng.choice(r, k.sum(), p=wr))
    s, d = np.concatenate(src), np.concatenate(dst)
    indeg, outdeg = np.bincount(d, minlength=n), np.bincount(s, minlength=n)
    cites = indeg + rng.poisson(15, n)
    cites[R0:C0] += rng.poisson(300, r)
    cites[B0:P0] += rng.poisson(200, b)
    refs = np.maximum(outdeg, rng.poisson(30, n))  # P papers: 2 refs known of ~30
    return _finish(n, s, d, 0, cites, refs, rng)


def copy_model(n: int, seed: int = 20240501) -> tuple[list[tuple[str, str]], str, dict]:
    """A denser stress graph (~15 edges per paper): time-ordered copy model, each paper cites
    1+Poisson(14) earlier papers, half preferentially (target of a random existing edge), half
    from a recent window. The seed is the most-cited paper of the middle third."""
    rng = np.random.default_rng(seed)
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    targets = np.zeros(n * 40, dtype=np.int64)  # all edge targets so far (copy model pool)
    used = 0
    for i in range(1, n):
        m = min(i, 1 + rng.poisson(14))
        pref = rng.random(m) < 0.5
        t = np.where(pref & (used > 0), targets[rng.integers(0, max(used, 1), m)],
                     rng.integers(max(0, i - 200), i, m))
        t = np.unique(t)
        src.append(np.full(len(t), i))
        dst.append(t)
        targets[used:used + len(t)] = t
        used += len(t)
    s, d = np.concatenate(src), np.concatenate(dst)
    indeg, outdeg = np.bincount(d, minlength=n), np.bincount(s, minlength=n)
    seed_idx = n // 3 + int(np.argmax(indeg[n // 3: 2 * n // 3]))
    cites = indeg + rng.poisson(0.3 * indeg + 1)
    refs = outdeg + rng.poisson(0.5 * outdeg + 2)
    return _finish(n, s, d, seed_idx, cites, refs, rng)


MODELS = {"crawl": crawl_shaped, "copy": copy_model}


def pipeline(edges, seed_id, counts) -> dict[str, float]:
    t = {}
    cpu0 = time.process_time()  # CPU time too: wall time is noisy on a shared machine
    t0 = time.perf_counter()
    M = sim.build_matrix(edges)
    t["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ranked = sim.rank(M, [seed_id], counts)
    t["rank"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    nodes = [seed_id] + sim.select(ranked, N_NODES)
    t["select"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    me = sim.map_edges(M, nodes, counts, [seed_id])
    t["map_edges"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    layout(nodes, me, [seed_id])
    t["layout"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.prior_works(M, nodes, 10, exclude=[seed_id])
    sim.derivative_works(M, nodes, 10, exclude=[seed_id])
    t["prior+deriv"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    t["cpu_total"] = time.process_time() - cpu0
    t0 = time.perf_counter()
    out = assemble.assemble_map([seed_id], ranked, nodes, {}, M, counts, {})
    json.dumps(out)
    t["assemble_map"] = time.perf_counter() - t0
    t["candidates"] = len(ranked)
    return t


def one(model: str, n: int) -> dict:
    edges, seed_id, counts = MODELS[model](n)
    pipeline(edges[:2000], edges[0][1], counts)  # warm-up: first-call overheads in scipy/nx
    times = pipeline(edges, seed_id, counts)
    tracemalloc.start()
    pipeline(edges, seed_id, counts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"model": model, "n": n, "edges": len(edges), **times, "traced_peak_mb": peak / 2**20,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 12000, 50000])
    ap.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], int(a.one[1]))))
        return
    cols = ["model", "n", "edges", "candidates", "build", "rank", "select", "map_edges",
            "layout", "prior+deriv", "total", "cpu_total", "assemble_map", "traced_peak_mb",
            "maxrss_mb"]
    print(" | ".join(f"{c:>10}" for c in cols))
    for model in a.models:
        for n in a.sizes:
            res = json.loads(subprocess.run(
                [sys.executable, __file__, "--one", model, str(n)],
                check=True, capture_output=True, text=True).stdout)
            print(" | ".join(f"{res[c]:>10.3f}" if isinstance(res[c], float) else f"{res[c]:>10}"
                             for c in cols))
    print("times in s; total = build+rank+select+map_edges+layout+prior+deriv (40 nodes), "
          "wall; cpu_total = the same in process CPU time; "
          "assemble_map = the Map dict (its own map_edges, layout, lists) + json.dumps; "
          "traced_peak = tracemalloc peak of one pipeline; maxrss = process peak RSS (MB)")


if __name__ == "__main__":
    main()
