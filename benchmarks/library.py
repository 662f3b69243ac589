#!/usr/bin/env python3
"""Benchmark library maps: `litmap seed --from LIST --source sample` for libraries of N entries.

    python benchmarks/library.py                         # 250, 1,000, 5,000 and 20,000 entries
    python benchmarks/library.py --sizes 1000 --json out.json

Each library is N arXiv ids of the bundled hep-th sample (29,555 papers), drawn by a seeded
shuffle, so every entry resolves and the same N gives the same list. Each size runs as its own
`python -m litmap` process on a fresh cache (the sample's dataset index is built once, before
the first size, and shared), and records its wall time, CPU time (user + sys of that process,
from wait4) and peak RSS; the load average before and after says how busy the shared machine
was. Goals (issue 24): 1,000 entries under 30 s; 20,000 under 5 minutes and 2 GB.
Prints a Markdown table (benchmarks/run_all.py embeds it in RESULTS.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "litmap" / "data" / "sample" / "papers" / "papers-0.jsonl.gz"
GOALS = {1000: (30.0, None), 20000: (300.0, 2048.0)}  # entries -> (wall s, peak MB)


def arxiv_ids(seed: int = 1) -> list[str]:
    with gzip.open(PAPERS, "rt", encoding="utf-8") as fh:
        ids = [a for line in fh if (a := (json.loads(line).get("externalids") or {}).get("ArXiv"))]
    random.Random(seed).shuffle(ids)
    return ids


def run(args: list[str], env: dict, cwd: Path) -> dict:
    """One litmap process: wall, CPU and peak RSS of that process alone (wait4, not Popen.wait,
    so its own resource usage comes back)."""
    load = os.getloadavg()[0]
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "litmap", *args], cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said, errors = out.read(), err.read()
    if code != 0:
        raise SystemExit(f"litmap {' '.join(args)} failed ({code}): {errors.strip()[-2000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_mb": round(usage.ru_maxrss / 1024), "load_before": round(load, 1),
            "load_after": round(os.getloadavg()[0], 1), "summary": said.strip().splitlines()[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="250,1000,5000,20000", help="comma-separated entry counts")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    opts = ap.parse_args()
    ids = arxiv_ids()
    with tempfile.TemporaryDirectory(prefix="litmap-library-bench-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LITMAP_INDEX_DIR": str(tmp / "index")}
        # the sample's index, built once (what a user's first --source sample run pays)
        run(["seed", "hep-th/9711200", "--source", "sample", "-q", "-o", "warm.html"],
            {**env, "LITMAP_CACHE_DIR": str(tmp / "warm")}, tmp)
        rows = []
        for n in (int(x) for x in opts.sizes.split(",")):
            lib = tmp / f"library-{n}.txt"
            lib.write_text("\n".join(ids[:n]) + "\n")
            fig = run(["seed", "--from", str(lib), "--source", "sample", "-q", "-o", f"map-{n}.html"],
                      {**env, "LITMAP_CACHE_DIR": str(tmp / f"cache-{n}")}, tmp)
            fig["entries"] = n
            fig["html_mb"] = round((tmp / f"map-{n}.html").stat().st_size / 1e6, 1)
            rows.append(fig)
            print(f"{n} entries: {fig}", file=sys.stderr, flush=True)
    print("| entries | wall | CPU (user+sys) | peak RSS | load avg (before → after) | page | goal |")
    print("|---:|---:|---:|---:|---|---:|---|")
    for r in rows:
        wall_goal, mem_goal = GOALS.get(r["entries"], (None, None))
        goal = " and ".join(g for g in (f"< {wall_goal:.0f} s" if wall_goal else "",
                                        f"< {mem_goal:.0f} MB" if mem_goal else "") if g)
        ok = "" if not goal else (" met" if (not wall_goal or r["wall_s"] < wall_goal)
                                  and (not mem_goal or r["peak_mb"] < mem_goal) else " MISSED")
        print(f"| {r['entries']:,} | {r['wall_s']} s | {r['cpu_s']} s | {r['peak_mb']} MB | "
              f"{r['load_before']} → {r['load_after']} | {r['html_mb']} MB | {goal}{ok} |")
    if opts.json:
        opts.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
