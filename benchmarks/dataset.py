#!/usr/bin/env python3
"""Benchmark the dataset source: cold index build, warm open, a 2-hop query, peak memory.

    python benchmarks/dataset.py [--source sample] [--seed hep-th/9711200] [--runs 1] [--duckdb]

Each phase runs in a fresh Python process, so its peak RSS (getrusage ru_maxrss) is its own:

  cold  a new cache directory: index build + open + 2-hop query
  warm  the same cache again: open (no build) + 2-hop query

The 2-hop query is what the crawl reads around a seed: the seed's references and citations
(list_edges), then the references of all those neighbours, then the citations of the seed's
references, then the full records of every paper met (get_papers). Goals for
`litmap seed hep-th/9711200 --source sample` (crawl and similarity are measured elsewhere):
cold under 30 s, warm under 3 s, peak memory under 1.5 GB. Wall times on a busy machine
vary a lot; CPU times (user+sys) are printed too.

--duckdb also builds the same index in DuckDB (needs `duckdb` importable) for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litmap.dataset import arxiv_paper_id, dataset_files, dataset_store, resolve_source  # noqa: E402

GOALS = {"cold_s": 30.0, "warm_s": 3.0, "peak_mb": 1536.0}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def two_hop(store, seed_id: str) -> dict:
    t0 = time.perf_counter()
    refs1 = store.list_edges([seed_id], "references")
    cits1 = store.list_edges([seed_id], "citations")
    refs = {b for _, b in refs1}
    citers = {a for a, _ in cits1}
    hop2_refs = store.list_edges(refs | citers, "references")
    hop2_cits = store.list_edges(refs, "citations")
    ids = {seed_id} | refs | citers | {b for _, b in hop2_refs} | {a for a, _ in hop2_cits}
    papers = store.get_papers(ids, full_only=True)
    statuses = store.list_status(ids, "references")
    return {
        "seconds": round(time.perf_counter() - t0, 3),
        "edges_read": len(refs1) + len(cits1) + len(hop2_refs) + len(hop2_cits),
        "papers": len(papers),
        "complete_lists": len(statuses),
        "refs": len(refs1),
        "cits": len(cits1),
    }


def phase(source: str, cache: Path, seed: str) -> dict:
    """One phase in this process: dataset_store (building if needed) + the 2-hop query."""
    cpu0, t0 = _cpu(), time.perf_counter()
    store = dataset_store(source, cache)
    opened = time.perf_counter() - t0
    seed_id = store.resolve(f"ARXIV:{seed}") or store.resolve(seed)
    if seed_id is None:
        raise SystemExit(f"benchmark: {seed} is not in {source}")
    query = two_hop(store, seed_id)
    total = time.perf_counter() - t0
    info = store.dataset_info
    store.close()
    return {
        "built": info["built"],
        "build_s": round(info["seconds"], 2),
        "open_s": round(opened, 3),
        "query": query,
        "total_s": round(total, 2),
        "cpu_s": round(_cpu() - cpu0, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "index_mb": round(_bytes(Path(info["index"])) / 2**20, 1),
    }


def _bytes(path: Path) -> int:
    """An index's size on disk: one file (SQLite) or a directory of arrays (the CSR engine)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def run_phase(source: str, cache: Path, seed: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", "--source", source, "--cache", str(cache), "--seed", seed],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def duckdb_phase(source: str, seed: str, workdir: Path) -> dict:
    """The same index in DuckDB: papers (paper_id, corpusid, data), edges, aliases; then the 2-hop query."""
    import duckdb  # optional (--duckdb only): the other phases run without it

    root = resolve_source(source)
    files = dataset_files(root)
    path = workdir / "index.duckdb"
    cpu0, t0 = _cpu(), time.perf_counter()
    con = duckdb.connect(str(path))
    plist = [str(p) for p in files["papers"]]
    clist = [str(p) for p in files["citations"]]
    alist = [str(p) for p in files["abstracts"]]
    con.execute(f"""CREATE TABLE papers AS
        SELECT regexp_extract(p.url, '/paper/([0-9a-f]{{40}})', 1) AS paper_id, p.corpusid AS corpus_id,
               to_json(struct_pack(corpusId := p.corpusid, title := p.title, authors := p.authors,
                                   year := p.year, venue := p.venue, journal := p.journal,
                                   citationCount := p.citationcount, referenceCount := p.referencecount,
                                   externalIds := p.externalids, abstract := a.abstract)) AS data
        FROM read_json({plist!r}, format = 'newline_delimited') p
        LEFT JOIN read_json({alist!r}, format = 'newline_delimited') a ON a.corpusid = p.corpusid""")
    con.execute(f"""CREATE TABLE edges AS
        SELECT a.paper_id AS citing, b.paper_id AS cited
        FROM read_json({clist!r}, format = 'newline_delimited', columns = {{
                 'citingcorpusid': 'BIGINT', 'citedcorpusid': 'BIGINT'}}) c
        JOIN papers a ON a.corpus_id = c.citingcorpusid JOIN papers b ON b.corpus_id = c.citedcorpusid
        WHERE c.citingcorpusid != c.citedcorpusid ORDER BY 1, 2""")
    con.execute("CREATE TABLE aliases AS SELECT 'ARXIV:' || externalIds.ArXiv AS alias, paper_id FROM "
                "(SELECT paper_id, from_json(json_extract(data, '$.externalIds'), '{\"ArXiv\": \"VARCHAR\"}') "
                "AS externalIds FROM papers)")
    con.execute("CREATE INDEX edges_citing ON edges (citing)")
    con.execute("CREATE INDEX edges_cited ON edges (cited)")
    con.close()
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    seed_id = arxiv_paper_id(seed)

    def edges(ids, col):
        q = f"SELECT citing, cited FROM edges WHERE {col} IN (SELECT unnest(?::VARCHAR[]))"
        return con.execute(q, [sorted(ids)]).fetchall()

    refs1 = edges([seed_id], "citing")
    cits1 = edges([seed_id], "cited")
    refs, citers = {b for _, b in refs1}, {a for a, _ in cits1}
    hop2_refs = edges(refs | citers, "citing")
    hop2_cits = edges(refs, "cited")
    ids = {seed_id} | refs | citers | {b for _, b in hop2_refs} | {a for a, _ in hop2_cits}
    rows = con.execute("SELECT paper_id, data FROM papers WHERE paper_id IN (SELECT unnest(?::VARCHAR[]))",
                       [sorted(ids)]).fetchall()
    n = len({pid: json.loads(data) for pid, data in rows})
    query = time.perf_counter() - t1
    con.close()
    return {
        "build_s": round(build, 2),
        "query_s": round(query, 3),
        "papers": n,
        "edges_read": len(refs1) + len(cits1) + len(hop2_refs) + len(hop2_cits),
        "cpu_s": round(_cpu() - cpu0, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "index_mb": round(path.stat().st_size / 2**20, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default="sample")
    ap.add_argument("--seed", default="hep-th/9711200")
    ap.add_argument("--runs", type=int, default=1, help="cold+warm rounds (each with a new cache)")
    ap.add_argument("--duckdb", action="store_true", help="also measure the same index in DuckDB")
    ap.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--duckdb-phase", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        print(json.dumps(phase(args.source, args.cache, args.seed)))
        return 0
    if args.duckdb_phase:
        print(json.dumps(duckdb_phase(args.source, args.seed, args.cache)))
        return 0

    ok = True
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="litmap-bench-") as tmp:
            cache = Path(tmp)
            cold = run_phase(args.source, cache, args.seed)
            warm = run_phase(args.source, cache, args.seed)
        assert cold["built"] and not warm["built"]
        q = cold["query"]
        print(f"run {run + 1}: {args.source}, seed {args.seed}: {q['refs']} refs, {q['cits']} cits, "
              f"2-hop: {q['edges_read']:,} edges read, {q['papers']:,} papers")
        print(f"  cold: {cold['total_s']:6.2f} s wall (index build {cold['build_s']:.2f} s, "
              f"2-hop query {q['seconds']:.2f} s), {cold['cpu_s']:.2f} s CPU, "
              f"peak {cold['peak_mb']:.0f} MB, index {cold['index_mb']:.0f} MB")
        print(f"  warm: {warm['total_s']:6.2f} s wall (open {warm['open_s']:.3f} s, "
              f"2-hop query {warm['query']['seconds']:.2f} s), {warm['cpu_s']:.2f} s CPU, "
              f"peak {warm['peak_mb']:.0f} MB")
        checks = {
            f"cold < {GOALS['cold_s']:.0f} s": cold["total_s"] < GOALS["cold_s"],
            f"warm < {GOALS['warm_s']:.0f} s": warm["total_s"] < GOALS["warm_s"],
            f"peak < {GOALS['peak_mb']:.0f} MB": max(cold["peak_mb"], warm["peak_mb"]) < GOALS["peak_mb"],
        }
        print("  goals: " + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items()))
        ok = ok and all(checks.values())

    if args.duckdb:
        with tempfile.TemporaryDirectory(prefix="litmap-bench-duckdb-") as tmp:
            out = subprocess.run(
                [sys.executable, __file__, "--duckdb-phase", "--source", args.source, "--cache", tmp,
                 "--seed", args.seed],
                check=True, capture_output=True, text=True, env={**os.environ},
            )
            d = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"duckdb: build {d['build_s']:.2f} s, 2-hop query {d['query_s']:.2f} s ({d['edges_read']:,} edges, "
              f"{d['papers']:,} papers), {d['cpu_s']:.2f} s CPU, peak {d['peak_mb']:.0f} MB, "
              f"index {d['index_mb']:.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
