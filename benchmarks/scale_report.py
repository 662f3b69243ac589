"""benchmarks/SCALE.md from the growth curve's results (benchmarks/scale.py) and the hub-map
profile (benchmarks/hubprofile.py): the measured tables, the fits and their extrapolation to
the full release, the build's phases, and where a hub map's time goes."""

from __future__ import annotations

import math
import time

FULL_EDGES = 2.5e9
FULL_PAPERS = 2.2e8
GOALS = {"index_gb": 150, "build_h_8cores": 6, "peak_gb": 16, "median_s": 1, "hub_s": 2}
ENGINE_NAMES = {"csr": "CSR (default)", "sqlite": "SQLite", "duckdb": "DuckDB/Parquet"}


def _line(pts: list[tuple[float, float]]) -> tuple[float, float]:
    n = len(pts)
    mx = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    b = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    return my - b * mx, b


def fit(xs: list[float], ys: list[float]) -> dict | None:
    """log y = a + b log x, and its value at FULL_EDGES, with a range.

    The smallest sizes are dominated by fixed costs (Python start-up, opening files), so the
    central fit uses the sizes from 10^6 edges up (all sizes when fewer than two are that big);
    the range is the spread of the extrapolations by that fit, by the last two sizes' local
    slope, and by the fit over all sizes: how much the answer depends on which part of the curve
    one trusts. It is not a statistical interval: 3-5 sizes do not support one."""
    pts = sorted((math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y and y > 0)
    if len(pts) < 2:
        return None
    big = [p for p in pts if p[0] >= math.log(9e5)]
    main = big if len(big) >= 2 else pts
    x0 = math.log(FULL_EDGES)
    a, b = _line(main)
    values = [math.exp(a + b * x0)]
    for subset in (pts[-2:], pts):
        sa, sb = _line(subset)
        values.append(math.exp(sa + sb * x0))
    return {"slope": b, "at_full": values[0], "low": min(values), "high": max(values), "sizes": len(main)}


MEASURES = [  # key, label, unit conversion to the unit shown, unit
    ("build_s", "index build (wall, 2 cores, niced, shared)", 1 / 3600, "h"),
    ("build_cpu_s", "index build (CPU time)", 1 / 3600, "h"),
    ("build_peak_mb", "peak RSS of the build", 1 / 1024, "GB"),
    ("index_bytes", "index on disk", 1 / 1e9, "GB"),
    ("median_cold_s", "map, median seed, cold", 1, "s"),
    ("median_warm_s", "map, median seed, warm", 1, "s"),
    ("hub_cold_s", "map, hub seed, cold", 1, "s"),
    ("hub_warm_s", "map, hub seed, warm", 1, "s"),
    ("hub_warm_peak_mb", "peak RSS of a hub map", 1 / 1024, "GB"),
]


def _fmt(v: float | None) -> str:
    if v is None or math.isnan(v):
        return "n/a"
    return f"{v:.3g}" if v < 1000 else f"{v:,.0f}"


def _rows(results: list[dict], engine: str) -> list[dict]:
    return sorted((r for r in results if r["engine"] == engine and not r.get("megahub") and not r.get("variant")),
                  key=lambda r: r["edges"])


def _fits(rows: list[dict]) -> dict[str, dict]:
    out = {}
    for key, *_ in MEASURES:
        f = fit([r["edges"] for r in rows], [r.get(key) for r in rows])
        if f:
            out[key] = f
    return out


def _efficiency(row: dict) -> float | None:
    """CPU / (wall x 2 cores) of a build: its parallel efficiency on this machine (a lower bound:
    the wall time includes waiting for other users' processes)."""
    return row["build_cpu_s"] / (2 * row["build_s"]) if row.get("build_s") else None


def serial_share(ph: dict[str, float], measured_on: int = 2, by_wall: bool = False) -> float:
    """The share of a phase's CPU that runs on one core. From the CPU split by where it ran
    (litmap/dataset_csr.py's _Clock: main thread, DuckDB's other threads, worker processes),
    which no other user's load changes: the main thread's CPU beyond what each of DuckDB's
    other threads did is serial (Python, or DuckDB's single-threaded steps); the rest is spread
    over every thread or worker. Without the split (older results): from the phase's CPU / wall
    on `measured_on` cores (w = c(1 - f) + c f / measured_on), which the load makes err long
    (`by_wall`: that way even with the split, the pessimistic bound; the split is the optimistic
    one, as a step DuckDB runs on one of its other threads counts as parallel)."""
    c = ph["cpu"]
    if c <= 0:
        return 0.0
    if "main_thread" in ph and not by_wall:
        others = max(0.0, c - ph["workers"] - ph["main_thread"])
        serial = max(0.0, ph["main_thread"] - others / max(1, ph.get("threads", measured_on) - 1))
        return min(1.0, serial / c)
    return 1 - min(1.0, max(0.0, (1 - ph["wall"] / c) * measured_on / (measured_on - 1)))


def amdahl(phases: dict[str, dict[str, float]], cores: int = 8, by_wall: bool = False) -> float:
    """Wall time on `cores` cores per second of CPU, from a build's phases (serial_share)."""
    cpu = sum(ph["cpu"] for ph in phases.values())
    wall = 0.0
    for ph in phases.values():
        s = serial_share(ph, by_wall=by_wall)
        wall += ph["cpu"] * (s + (1 - s) / cores)
    return wall / cpu if cpu else 1.0


def _cell(f: dict | None, conv: float, unit: str, measured: str = "") -> str:
    if not f:
        return "n/a"
    return f"{_fmt(f['at_full'] * conv)} {unit} ({_fmt(f['low'] * conv)}–{_fmt(f['high'] * conv)})" + \
        (f"; {measured}" if measured else "")


def _load(r: dict, *keys: str) -> str:
    loads = [x for k in keys for x in r.get(k) or []]
    return f"load {min(loads)}–{max(loads)}" if loads else "load not recorded"


def _verdict(f: dict | None, goal: float, conv: float = 1.0) -> str:
    """Met or missed by the central extrapolation, and by the range."""
    if not f:
        return "not extrapolated"
    mid, lo, hi = (f[k] * conv for k in ("at_full", "low", "high"))
    if hi <= goal:
        return "**met** (the whole range)"
    if mid <= goal:
        return f"**met** by the central value; the range's top ({_fmt(hi)}) misses"
    if lo <= goal:
        return f"**missed** by the central value; the range's bottom ({_fmt(lo)}) meets"
    return "**missed** (the whole range)"


TITLE_BYTES = 12  # CsrStore.match_title's table: a 64-bit hash and a 32-bit row a titled paper


def summary(results: list[dict]) -> list[str]:
    csr = _rows(results, "csr")
    if not csr:
        return []
    big = csr[-1]
    fits = {e: _fits(_rows(results, e)) for e in ENGINE_NAMES if _rows(results, e)}
    others = [e for e in fits if e != "csr"]
    r8 = amdahl(big["build_phases"]) if big.get("build_phases") else None
    cf = fits["csr"]
    peak = max(big.get("build_tree_peak_mb", 0), big["build_peak_mb"]) / 1024
    lines = ["## Summary: the full release (2.5·10^9 edges, 2.2·10^8 papers)", "",
             ("*Measured*: on this machine (2 cores, shared; the load average during each measurement in "
              "brackets), the CSR engine at every size up to the one in the third column. *Extrapolated*: every "
              "figure at full scale, by the fits of the engine sections below: the central value, then the range "
              "of the three fits (see `fit()`). SQLite and DuckDB/Parquet: measured up to 3·10^7 edges."), "",
             (f"| measure | goal | CSR measured at {big['edges'] / 1e6:,.0f} M edges, {big['papers'] / 1e6:,.0f} M "
              "papers | CSR at full scale (extrapolated) | CSR vs the goal | "
              + " | ".join(f"{ENGINE_NAMES[e]} at full scale" for e in others) + " |"),
             "|---|---|---|---|---|" + "---|" * len(others)]

    def full(e: str, key: str, conv: float, unit: str) -> str:
        return _cell(fits[e].get(key), conv, unit)

    def row(*cells: str) -> None:
        lines.append("| " + " | ".join(cells) + " |")

    idx = cf.get("index_bytes")
    row("index on disk", "≤ 150 GB",
        f"{big['index_bytes'] / 1e9:.2f} GB ({big['index_bytes'] / big['edges']:.0f} bytes an edge)",
        f"{_cell(idx, 1e-9, 'GB')}; the title table of match_title included ({TITLE_BYTES} bytes a paper: "
        f"{TITLE_BYTES * FULL_PAPERS / 1e9:.1f} GB of it)", _verdict(idx, 150, 1e-9),
        *(full(e, "index_bytes", 1e-9, "GB") for e in others))
    cpu = cf.get("build_cpu_s")
    row("build, CPU time", "", f"{big['build_cpu_s']:,.0f} s", _cell(cpu, 1 / 3600, "h"), "",
        *(full(e, "build_cpu_s", 1 / 3600, "h") for e in others))
    rw = amdahl(big["build_phases"], by_wall=True) if big.get("build_phases") else None
    # central: the CPU's central value x the split's factor; range: the CPU's range x both factors
    w8 = {"at_full": cpu["at_full"] * r8, "low": cpu["low"] * min(r8, rw),
          "high": cpu["high"] * max(r8, rw)} if cpu and r8 and rw else None
    row("build, wall", "≤ 6 h on 8 cores",
        f"{big['build_s']:,.0f} s on 2 cores ({_load(big, 'build_load')}): parallel efficiency "
        f"{_efficiency(big):.2f}; by phase, {r8 or 0:.2f}–{rw or 0:.2f} s of wall per CPU second on 8 cores",
        f"{_cell(w8, 1 / 3600, 'h')} on 8 cores (CPU time x {r8 or 0:.2f}, the range x {r8 or 0:.2f}–{rw or 0:.2f}: "
        "see \"The CSR build\")", _verdict(w8, 6, 1 / 3600),
        *("one writer: ≈ its CPU time" if e == "sqlite" else "Python parse serial: ≈ its CPU time" for e in others))
    row("peak RSS of the build", "≤ 16 GB", f"{peak:.1f} GB (all its processes)",
        "bounded by settings, not size: ≈ LITMAP_DUCKDB_MEMORY (4 GB) + 0.5 GB + 0.25 GB a worker: 6.5 GB "
        "with 8 workers (see \"The CSR build's memory\")", "**met**: DuckDB spills to disk beyond its limit",
        *(f"{_rows(results, e)[-1]['build_peak_mb'] / 1024:.1f} GB at 3·10^7" for e in others))
    if big.get("build_disk_peak_bytes"):
        ratio = big["build_disk_peak_bytes"] / big["index_bytes"]
        row("disk during the build (index, scratch, DuckDB spill)", "",
            f"{big['build_disk_peak_bytes'] / 1e9:.1f} GB ({ratio:.1f}x the index)",
            f"{_fmt(idx['at_full'] * ratio / 1e9) if idx else 'n/a'} GB (the same ratio)",
            "scratch for the build, on top of the index", *("not measured" for _ in others))
    for key, label, goal, limit, loads in (("median_warm_s", "map, median seed, warm", "≤ 1 s", 1.0, "median_load"),
                                           ("hub_warm_s", "map, hub seed, warm", "≤ 2 s", 2.0, "hub_load")):
        c = big.get(key.replace("_s", "_cpu_s"))
        row(label, goal, f"{big[key]:.2f} s (CPU {c:.2f} s; {_load(big, loads)})", full("csr", key, 1, "s"),
            _verdict(cf.get(key), limit), *(full(e, key, 1, "s") for e in others))
    mh = [r for r in results if r.get("megahub") and r["engine"] == "csr" and not r.get("variant")]
    if mh:
        r = mh[-1]
        row("map, a 30,000-citer hub, warm", "≤ 2 s",
            f"{r['megahub_warm_s']:.2f} s at {r['edges'] / 1e6:,.0f} M edges (CPU {r.get('megahub_warm_cpu_s', 0):.2f} "
            f"s; {_load(r, 'megahub_load')})", "bounded by --max-papers (see \"A hub map\")",
            "**met** where measured" if r["megahub_warm_s"] <= 2 else "**missed** where measured",
            *("" for _ in others))
    return lines + [""]


def memory_section(rows: list[dict]) -> list[str]:
    """The CSR build's memory by size and settings: every process of it (sampled), the largest
    one, the worker processes together, and the disk it used at its peak."""
    if not rows:
        return []
    lines = ["### The CSR build's memory", "",
             ("Sampled every 0.2 s over the build's whole process tree (the main process, which runs DuckDB, and "
             "its worker processes); disk: the index directory, its scratch folder and DuckDB's spill, every 2 s."), "",
             ("| edges | papers | LITMAP_DUCKDB_MEMORY | workers | all processes, peak | largest process | worker "
             "processes, peak | disk, peak | index | build CPU |"),
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["edges"], r.get("variant", ""))):
        env = r.get("build_env") or {}
        lines.append(f"| {r['edges']:,} | {r['papers']:,} | {env.get('LITMAP_DUCKDB_MEMORY', '4GB (default)')} | "
                     f"{env.get('LITMAP_BUILD_WORKERS', '2 (all cores)')} | {r['build_tree_peak_mb']:,} MB | "
                     f"{r['build_peak_mb']:,} MB | {r.get('build_workers_peak_mb', 0):,} MB | "
                     f"{r.get('build_disk_peak_bytes', 0) / 1e9:.1f} GB | {r['index_bytes'] / 1e9:.2f} GB | "
                     f"{r['build_cpu_s']:,.0f} s |")
    return lines + [""]


def engine_section(results: list[dict], engine: str) -> list[str]:
    rows = _rows(results, engine)
    cpu = any("hub_warm_cpu_s" in r for r in rows)
    warm_cpu = " (warm CPU)" if cpu else ""
    lines = [f"## {ENGINE_NAMES[engine]}: measured", "",
             "| edges | papers | build (load) | build CPU | build peak RSS | index on disk | bytes/edge "
             f"| median seed cold / warm{warm_cpu} | hub seed cold / warm{warm_cpu} | hub map peak RSS |"
             + (" load during maps |" if cpu else ""),
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if cpu else "")]
    for r in rows:
        load = f" ({r['build_load'][0]}–{r['build_load'][1]})" if r.get("build_load") else ""
        med = f"{r['median_cold_s']:.2f} / {r['median_warm_s']:.2f} s" \
            + (f" ({r['median_warm_cpu_s']:.2f} s)" if cpu else "")
        hub = f"{r['hub_cold_s']:.2f} / {r['hub_warm_s']:.2f} s" + (f" ({r['hub_warm_cpu_s']:.2f} s)" if cpu else "")
        loads = [x for k in ("median_load", "hub_load") for x in r.get(k, [])]
        lines.append(f"| {r['edges']:,} | {r['papers']:,} | {r['build_s']:,.0f} s{load} | {r['build_cpu_s']:,.0f} s | "
                     f"{r['build_peak_mb']:,} MB | {r['index_bytes'] / 1e6:,.0f} MB | "
                     f"{r['index_bytes'] / r['edges']:.0f} | {med} | {hub} | {r.get('hub_warm_peak_mb', 0):,} MB |"
                     + (f" {min(loads)}–{max(loads)} |" if loads else ""))
    lines += ["", ("Fit, log y = a + b log(edges) over the sizes from 10^6 edges up, extrapolated to the full release "
                   f"({FULL_EDGES:.2g} edges, {FULL_PAPERS:.2g} papers); the range spans the extrapolations by this "
                   "fit, by the last two sizes alone and by all sizes (see `fit()`):"), "",
              "| measure | slope b | at full scale | range |", "|---|---:|---:|---:|"]
    fits = _fits(rows)
    for key, label, conv, unit in MEASURES:
        if key in fits:
            f = fits[key]
            lines.append(f"| {label} | {f['slope']:.2f} | {_fmt(f['at_full'] * conv)} {unit} | "
                         f"{_fmt(f['low'] * conv)} – {_fmt(f['high'] * conv)} {unit} |")
    lines.append("")
    if engine == "csr" and rows[-1].get("build_phases"):
        lines += phase_section(rows[-1], "the largest size: the summary's 8-core figure")
        split = sorted((r for r in results if r["engine"] == "csr" and r.get("build_phases")
                        and all("main_thread" in ph for ph in r["build_phases"].values())), key=lambda r: r["edges"])
        if split and split[-1] is not rows[-1]:
            lines += phase_section(split[-1], "the CPU split by where it ran, which no load changes: a cross-check")
        lines += memory_section([x for x in results if x["engine"] == "csr" and x.get("build_tree_peak_mb")])
    if engine == "sqlite":
        lines += [("Measured 2026-12-02 (reused): 10^5-10^7 at `nice -n 19` under a load of 6-10, 3·10^7 at "
                   "`nice -n 10`, load 2-4; one warm run per map. The build is one SQLite writer."), ""]
    if engine == "duckdb":
        lines += [("Measured 2026-12-02 (reused), as SQLite. The build's memory is bounded by DuckDB's memory_limit "
                   "(LITMAP_DUCKDB_MEMORY, 4 GB), so its peak RSS levels off; its map times swing with the machine's "
                   "load (DuckDB runs its scans on worker threads), so compare sizes row by row."), ""]
    return lines


def phase_section(r: dict, why: str) -> list[str]:
    """The CSR build's phases at one size: wall, CPU, the serial share, the 8-core estimate."""
    hub = f", a {r['megahub']:,}-citer hub added" if r.get("megahub") else ""
    lines = [f"### The CSR build, phase by phase ({r['edges'] / 1e6:,.0f} M edges{hub}; {_load(r, 'build_load')}; "
             f"{why})", "",
             "| phase | wall | CPU | CPU / wall | serial share of its CPU | wall on 8 cores (Amdahl) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, ph in r["build_phases"].items():
        c, w, s = ph["cpu"], max(ph["wall"], 1e-9), serial_share(ph)
        lines.append(f"| {name} | {w:,.0f} s | {c:,.0f} s | {c / w:.2f} | {s:.2f} | {c * (s + (1 - s) / 8):,.0f} s |")
    r8, rw = amdahl(r["build_phases"]), amdahl(r["build_phases"], by_wall=True)
    how = ("the CPU its main thread did beyond each of DuckDB's other threads (`serial_share()`)"
           if all("main_thread" in ph for ph in r["build_phases"].values())
           else "its CPU / wall on 2 cores (`serial_share()`), which errs long: other users' load made every "
                "phase look less parallel than it is")
    return lines + ["", (f"In all {r['build_s']:,.0f} s wall for {r['build_cpu_s']:,.0f} s of CPU on 2 cores: a "
                         f"parallel efficiency of {_efficiency(r):.2f} (CPU / (wall x 2)). Each phase's serial share "
                         f"follows from {how}; on 8 cores the build would take {r8:.2f} s of wall per second of CPU "
                         f"({1 / r8:.1f}x faster than one core). From each phase's CPU / wall here instead (the "
                         f"pessimistic bound: other users' load and DuckDB's own one-thread steps count as serial), "
                         f"{rw:.2f} s ({1 / rw:.1f}x); the summary's range spans both. It assumes the release's "
                         "shards (dozens per folder) keep 8 workers busy and the disk keeps up. What runs on one "
                         "core is Python: writing the arrays from DuckDB's sorted tables and the alias key table."),
                    ""]


def profile_section(profile: dict, megahub: list[dict]) -> list[str]:
    if not profile:
        return []
    labels = list(profile)
    first = profile[labels[0]]
    lines = ["## A hub map: where the time goes", "",
             (f"`python benchmarks/hubprofile.py` on the 10^7-edge graph with one paper cited by "
              f"{first.get('megahub_citations') or 30332:,} papers (`synth_s2ag.py --megahub 30000`: the size of the "
              "real release's most cited papers; the synthetic hubs have about 3,000 citers): one warm `litmap seed` "
              f"of it, in-process under cProfile ({first.get('papers_considered') or 0:,} papers considered, "
              f"{first.get('candidates') or 0:,} ranked), cumulative seconds by stage. Stages overlap where one calls "
              "another (the store's reads happen inside the crawl's steps), and cProfile inflates Python-heavy code "
              "most: read the shares; the wall times without it are in the table after."), "",
             "| stage | " + " | ".join(f"{k} (load {profile[k].get('load', '?')})" for k in labels) + " |",
             "|---|" + "---:|" * len(labels)]
    stages = [s for s, _ in first["stages"]]
    for i, stage in enumerate(stages):
        lines.append(f"| {stage} | " + " | ".join(f"{profile[k]['stages'][i][1]:.3f} s" for k in labels) + " |")
    lines.append("| whole process, profiled (imports included) | "
                 + " | ".join(f"{profile[k]['profiled_s']:.2f} s" for k in labels) + " |")
    last = profile[labels[-1]]
    lines += ["", (f"Inside `similarity.rank` ({labels[-1]}), its callees and its own list comprehensions "
                   "(`similarity.py:LINE`):"), "", "| in rank | calls | seconds |", "|---|---:|---:|"]
    for name, n, secs in last["rank"][:8]:
        lines.append(f"| `{name}` | {n} | {secs:.3f} |")
    lines.append("")
    if megahub:
        lines += ["Without the profiler, whole `litmap seed` processes (Python start-up included), least of 3 warm "
                  "runs:", "", "| engine | hub citers | papers considered | warm map | warm CPU | load |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in megahub:
            lines.append(f"| {ENGINE_NAMES.get(r['engine'], r['engine'])} | {r.get('megahub_citations', 30332):,} | "
                         f"{r.get('megahub_map') or 'n/a'} | {r['megahub_warm_s']:.2f} s | "
                         f"{r.get('megahub_warm_cpu_s', 0):.2f} s | "
                         f"{'–'.join(str(x) for x in r.get('megahub_load', []))} |")
        lines.append("")
    return lines


def report(results: list[dict], machine: str, profile: dict | None = None, notes: list[str] = ()) -> str:
    lines = ["# Scale: the growth curve of a dataset index", "",
             ("Written by `python benchmarks/scale.py` (see its docstring for what each figure is); "
             f"{time.strftime('%Y-%m-%d', time.gmtime())}, {machine}. The machine is shared with other "
             "developers: every step ran niced, a warm map's time is the least of 3 runs, and the load average "
             "during each measurement is in the tables. Wall times are upper bounds; CPU times and sizes are the "
             "reliable figures."), "",
             ("Data: `benchmarks/synth_s2ag.py --seed 1 --abstracts` (power-law citations, topics, time order, "
             "~10 references a paper, 8 % unresolved). `edges` counts resolved citation edges in the index. "
             "Measured: every row of the tables below; extrapolated: every figure \"at full scale\"."), ""]
    lines += summary(results)
    for engine in ENGINE_NAMES:
        if _rows(results, engine):
            lines += engine_section(results, engine)
    lines += profile_section(profile or {}, [r for r in results if r.get("megahub") and not r.get("variant")])
    lines += ["## Reading the figures", "", *notes, ""]
    return "\n".join(lines) + "\n"
