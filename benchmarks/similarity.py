"""Benchmark litmap.similarity on synthetic citation neighbourhoods.

    python benchmarks/similarity.py                 # 1k, 10k, 12k, 50k papers
    python benchmarks/similarity.py --sizes 12000   # one size

Each size runs in its own subprocess so ru_maxrss (peak RSS, includes numpy/scipy/networkx
imports) is per size. The graph is a time-ordered copy model: each paper cites 1 + Poisson(14)
earlier papers, half chosen preferentially (copy the target of a random existing edge, so
probability ~ in-degree: heavy-tailed hubs) and half from a recent window (topical/time
locality). The seed is the most-cited paper in the middle third. Global counts exceed local
degrees (the crawl sees only part of each list). Every paper shares at least a hub with the
seed, so nearly all are candidates: a worst case for rank().

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

N_NODES = 40


def synthetic(n: int, seed: int = 20240501) -> tuple[list[tuple[str, str]], str, dict]:
    rng = np.random.default_rng(seed)
    ids = [f"{i:040x}" for i in range(n)]  # 40-hex like Semantic Scholar ids
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    targets = np.zeros(n * 40, dtype=np.int64)  # all edge targets so far (copy model pool)
    used = 0
    window = 200
    for i in range(1, n):
        m = min(i, 1 + rng.poisson(14))
        pref = rng.random(m) < 0.5
        t = np.where(pref & (used > 0), targets[rng.integers(0, max(used, 1), m)],
                     rng.integers(max(0, i - window), i, m))
        t = np.unique(t)
        src.append(np.full(len(t), i))
        dst.append(t)
        if used + len(t) > len(targets):
            targets = np.concatenate([targets, np.zeros_like(targets)])
        targets[used:used + len(t)] = t
        used += len(t)
    s = np.concatenate(src)
    d = np.concatenate(dst)
    indeg = np.bincount(d, minlength=n)
    outdeg = np.bincount(s, minlength=n)
    lo, hi = n // 3, 2 * n // 3
    seed_idx = lo + int(np.argmax(indeg[lo:hi]))
    cites = indeg + rng.poisson(0.3 * indeg + 1)
    refs = outdeg + rng.poisson(0.5 * outdeg + 2)
    counts = {ids[i]: (int(cites[i]), int(refs[i])) for i in range(n)}
    edges = [(ids[a], ids[b]) for a, b in zip(s.tolist(), d.tolist())]
    edges += edges[: len(edges) // 20]  # some duplicates, as the crawler may produce
    return edges, ids[seed_idx], counts


def pipeline(edges, seed_id, counts) -> dict[str, float]:
    from litmap import similarity as sim

    t = {}
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
    sim.layout(nodes, me, [seed_id])
    t["layout"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.prior_works(M, nodes, 10, exclude=[seed_id])
    sim.derivative_works(M, nodes, 10, exclude=[seed_id])
    t["prior+deriv"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    t0 = time.perf_counter()
    out = sim.assemble_map([seed_id], ranked, nodes, {}, M, counts, {})
    json.dumps(out)
    t["assemble_map"] = time.perf_counter() - t0
    t["candidates"] = len(ranked)
    return t


def one(n: int) -> dict:
    from litmap import similarity  # noqa: F401  (imports outside the timings)
    import networkx  # noqa: F401

    edges, seed_id, counts = synthetic(n)
    pipeline(edges[:2000], edges[0][1], counts)  # warm-up: first-call overheads in scipy/nx
    times = pipeline(edges, seed_id, counts)
    tracemalloc.start()
    pipeline(edges, seed_id, counts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"n": n, "edges": len(edges), **times, "traced_peak_mb": peak / 2**20,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 12000, 50000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one)))
        return
    cols = ["n", "edges", "candidates", "build", "rank", "select", "map_edges", "layout",
            "prior+deriv", "total", "assemble_map", "traced_peak_mb", "maxrss_mb"]
    print(" | ".join(f"{c:>12}" for c in cols))
    for n in a.sizes:
        res = json.loads(subprocess.run([sys.executable, __file__, "--one", str(n)],
                                        check=True, capture_output=True, text=True).stdout)
        print(" | ".join(f"{res[c]:>12.3f}" if isinstance(res[c], float) else f"{res[c]:>12}"
                         for c in cols))
    print("times in s (total = build+rank+select+map_edges+layout+prior+deriv; "
          "assemble_map = the Map dict incl. its own map_edges/layout/lists + json.dumps); "
          "traced_peak = tracemalloc peak of one pipeline; maxrss = process peak RSS")


if __name__ == "__main__":
    main()
