"""Run every benchmark in benchmarks/ and write benchmarks/RESULTS.md from what they print.

    python benchmarks/run_all.py                  # all of them, one after the other
    python benchmarks/run_all.py --only crawl     # a subset (RESULTS.md then holds only those)
    python benchmarks/run_all.py --out /tmp/R.md  # write elsewhere

Each benchmarks/*.py (except this file and files starting with "_") runs as its own process
with its default arguments, sequentially so they do not compete for the CPU. Their standard
output is copied into RESULTS.md as printed: a script that prints a Markdown table gets it
embedded, any other output goes in a text block. A script that is missing, fails or times
out is reported as such, with the end of its stderr. The machine (CPU model, nproc, memory,
load average before and after each script) and the date head the file: wall times depend
on both, and on a shared machine the load average says how much to trust them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# What the issue asks RESULTS.md to cover, and which script measures it.
EXPECTED = {
    "crawl": "requests per map (litmap vs naive), cold and warm wall time, time under a 1 request/second limit, "
             "the hep-th sample through HTTP, a 50,000-citation fan-out",
    "similarity": "similarity time and memory at 1k/10k/50k papers",
    "render": "HTML size and render time at 40/500/2,000 nodes",
    "dataset": "dataset source cold/warm times",
}


def machine() -> list[str]:
    def meminfo(key: str) -> str:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith(key + ":"):
                    kb = int(line.split()[1])
                    return f"{kb / 1024 / 1024:.1f} GiB"
        except OSError:
            pass
        return "unknown"

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "litmap"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        commit = (commit or "unknown") + (" (with uncommitted changes under litmap/)" if dirty else "")
    except OSError:
        commit = "unknown"
    return [
        f"- CPU: {model}; nproc: {usable} (os.cpu_count(): {os.cpu_count()})",
        f"- Memory: {meminfo('MemTotal')} total, {meminfo('MemAvailable')} available at start",
        f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()}",
        f"- litmap: git {commit}",
        f"- Load average at start (1/5/15 min): {' / '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


# Run by hand, not here: scale.py measures the growth curve for hours and writes SCALE.md
# itself; synth_s2ag.py, hubprofile.py and scale_report.py are its parts.
BY_HAND = {"scale", "synth_s2ag", "hubprofile", "scale_report"}


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if only:
        return [p for p in found if p.stem in only]
    return [p for p in found if p.stem not in BY_HAND]


def run(path: Path, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc = "timeout"
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    return {"rc": rc, "out": out, "err": err, "wall": time.perf_counter() - t0,
            "load": (before, os.getloadavg()[0])}


def section(name: str, res: dict | None) -> list[str]:
    lines = [f"## {name}", ""]
    if name in EXPECTED:
        lines += [f"Covers: {EXPECTED[name]}.", ""]
    if res is None:
        return lines + [f"**Not run: benchmarks/{name}.py does not exist.**", ""]
    status = "ok" if res["rc"] == 0 else f"**FAILED (exit {res['rc']})**"
    lines += [f"`python benchmarks/{name}.py`: {status}, {res['wall']:.0f} s; "
              f"load average {res['load'][0]:.2f} before, {res['load'][1]:.2f} after.", ""]
    out = res["out"].rstrip()
    if out:
        if any(line.startswith("|---") or line.startswith("| ---") for line in out.splitlines()):
            lines += [out, ""]
        else:
            lines += ["```text", out, "```", ""]
    else:
        lines += ["(no output)", ""]
    if res["rc"] != 0:
        tail = "\n".join(res["err"].rstrip().splitlines()[-25:])
        lines += ["stderr (last lines):", "", "```text", tail, "```", ""]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description="Run benchmarks/*.py and write RESULTS.md.")
    ap.add_argument("--only", nargs="*", help="script names without .py (default: all)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per script")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()

    started = dt.datetime.now(dt.timezone.utc)
    head = machine()
    results: dict[str, dict] = {}
    for path in scripts(args.only):
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        results[path.stem] = res = run(path, args.timeout)
        print(f"  {path.name}: exit {res['rc']} in {res['wall']:.0f} s", file=sys.stderr, flush=True)
    finished = dt.datetime.now(dt.timezone.utc)

    names = [n for n in EXPECTED if not args.only or n in args.only]
    names += [n for n in results if n not in names]
    missing = [n for n in names if n not in results]
    failed = [n for n, r in results.items() if r["rc"] != 0]
    lines = [
        "# litmap benchmarks: results",
        "",
        f"Written by `python benchmarks/run_all.py` on {started:%Y-%m-%d}, "
        f"{started:%H:%M}–{finished:%H:%M} UTC. Every figure below was measured in that run; "
        "each section is the output of one script, copied as printed.",
        "",
        "Machine:",
        "",
        *head,
        "",
    ]
    if missing or failed:
        lines += ["Problems in this run:", ""]
        lines += [f"- benchmarks/{n}.py is missing" for n in missing]
        lines += [f"- benchmarks/{n}.py failed (exit {results[n]['rc']}), see its section" for n in failed]
        lines += [""]
    for name in names:
        lines += section(name, results.get(name))
    args.out.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
