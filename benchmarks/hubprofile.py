#!/usr/bin/env python3
"""Where a warm hub map's time goes: `litmap seed` under cProfile, summed by stage.

    python benchmarks/hubprofile.py DATASET CORPUSID [--engine csr] [--index-dir DIR] [--label after]
                                    [--code CHECKOUT]

Runs the map of CorpusId:N from the dataset at DATASET in this process (the index must exist in
--index-dir, or is built first; the map cache is fresh, so nothing is cached but the index),
under cProfile, and writes what each stage cost (cumulative seconds of its functions, and
their share of the whole process) to benchmarks/hub-profile.json under --label; SCALE.md
(benchmarks/scale.py) shows it. Inside similarity.rank it lists every callee and rank's own
lines, so the ranking's cost is itemised. cProfile inflates Python-heavy code more than numpy
calls: read the shares, not the absolute seconds (scale.py times the maps without it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# --code DIR profiles another checkout (e.g. main, for a before/after); it must come first on the path
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else ROOT
sys.path.insert(0, str(CODE))

# stage -> the functions (file name, function name) whose cumulative time it is
STAGES = [
    ("Python start-up and imports", None),
    ("resolve the seed", [("crawl.py", "resolve")]),
    ("store: list_edges", [(f, "list_edges") for f in ("store.py", "csr_store.py", "dataset_duckdb.py")]),
    ("store: counts, years", [(f, n) for f in ("store.py", "csr_store.py", "dataset_duckdb.py")
                              for n in ("counts", "years")]),
    ("store: get_papers (records)", [(f, "get_papers") for f in ("store.py", "csr_store.py", "dataset_duckdb.py")]),
    ("citation matrices (crawl._matrix; build_matrix on main)", [("crawl.py", "_matrix"), ("crawl.py", "_edges")]),
    ("similarity.rank", [("similarity.py", "rank")]),
    ("similarity.select", [("similarity.py", "select")]),
    ("Prior/Derivative works", [("similarity.py", "prior_works"), ("similarity.py", "derivative_works")]),
    ("assemble_map: map_edges", [("similarity.py", "map_edges")]),
    ("assemble_map: layout", [("layout.py", "layout")]),
    ("assemble_map: clusters", [("clusters.py", "cluster_map")]),
    ("assemble_map: seed_overlap, linked_nodes, citations",
     [("similarity.py", "seed_overlap"), ("similarity.py", "linked_nodes"), ("assemble.py", "citations")]),
    ("page (render_html)", [("render.py", "render_html")]),
    ("BibTeX and map JSON", [("maps.py", "to_bibtex"), ("maps.py", "to_json")]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("corpusid", type=int)
    ap.add_argument("--engine", default="csr")
    ap.add_argument("--index-dir", type=Path, default=Path(tempfile.gettempdir()) / "litmap-hubprofile")
    ap.add_argument("--label", default="current")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "hub-profile.json")
    ap.add_argument("--code", type=Path, default=ROOT, help="the litmap checkout to profile (default: this one)")
    args = ap.parse_args()
    os.environ.update(LITMAP_ENGINE=args.engine, LITMAP_INDEX_DIR=str(args.index_dir),
                      LITMAP_API_URL="http://127.0.0.1:9")
    # here, not at the top: after the environment above and the --code path are set
    from litmap import dataset

    dataset.dataset_store(args.dataset, dataset.index_dir()).close()  # built outside the profile
    work = Path(tempfile.mkdtemp(prefix="litmap-hubprofile-"))
    os.environ["LITMAP_CACHE_DIR"] = str(work / "cache")
    from litmap.cli import cli  # (as above)

    prof = cProfile.Profile()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    prof.enable()
    try:
        cli.main(["seed", f"CorpusId:{args.corpusid}", "--source", str(args.dataset), "--quiet",
                  "-o", str(work / "map.html")], standalone_mode=False)
    finally:
        prof.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof).stats
    cum: dict[tuple[str, str], float] = {}
    for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in st.items():
        key = (Path(file).name, name)
        cum[key] = max(cum.get(key, 0.0), ct)  # a recursive or twice-defined name: the outer one
    total = sum(tt for (_cc, _nc, tt, _ct, _c) in st.values())
    stats = json.loads((work / "map.json").read_text())["stats"]
    synth = args.dataset / "synth.json"  # benchmarks/synth_s2ag.py's description of its dataset
    info = json.loads(synth.read_text()) if synth.exists() else {}
    out = {"dataset": str(args.dataset), "corpusid": args.corpusid, "engine": args.engine,
           "papers_considered": stats.get("papers_considered"), "candidates": stats.get("candidates"),
           "megahub_citations": (info.get("megahub_citations")
                                 if info.get("megahub_corpusid") == args.corpusid else None),
           "profiled_s": round(total, 3), "wall_s": round(wall, 3), "load": round(load, 1), "stages": [], "rank": []}
    for label, funcs in STAGES[1:]:
        secs = sum(cum.get(f, 0.0) for f in funcs)
        out["stages"].append([label, round(secs, 3)])
    # inside rank: its callees and its own lines (list comprehensions are separate entries)
    for (file, line, name), (_cc, nc, _tt, _ct, callers) in st.items():
        if any(Path(cf).name == "similarity.py" and cn == "rank" for (cf, _cl, cn) in callers):
            out["rank"].append([f"{Path(file).name}:{line} {name}", nc, round(callers[next(
                c for c in callers if Path(c[0]).name == "similarity.py" and c[2] == "rank")][3], 3)])
    out["rank"].sort(key=lambda r: -r[2])
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results[args.label] = out
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    for label, secs in out["stages"]:
        print(f"{secs:7.3f} s  {label}")
    print(f"{total:7.3f} s  profiled in all ({wall:.2f} s wall under the profiler)")
    print("inside similarity.rank:")
    for name, n, secs in out["rank"][:15]:
        print(f"{secs:7.3f} s  {name} ({n} calls)")


if __name__ == "__main__":
    main()
