#!/usr/bin/env python3
"""Benchmark `litmap serve` on the bundled sample: a cached map served, and re-centring.

    python benchmarks/serve.py                    # prints a Markdown table
    python benchmarks/serve.py --screenshot docs/serve.png

It starts `python -m litmap serve --source sample --port 0` on a fresh cache (the sample's
dataset index is built first, once, outside the timings) and measures:

* a cached map served: GET /map?seed=... until its last byte, the map already in the server's
  memory (a reload), and from the SQLite cache by a running server that has not shown it yet
  (the pipeline reads the finished map and its history, the page is rendered); and the very
  first request of a server just started;
* re-centring in headless Chromium: from the click on *Map this paper* on a paper of the map to
  the new map drawn (the new page's first vis-network frame), for papers whose maps are not in
  the cache yet: the crawl of the sample, the ranking, the page and its drawing. Chromium's own
  time is in it, as a researcher sees it.

Goals (issue 19): a cached map in under 300 ms; re-centring under 3 s. The load average before
and after each measurement is printed: the machine is shared. Needs /usr/bin/chromium,
/usr/bin/chromedriver and selenium for the second part (and for --screenshot).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from litmap.dataset import arxiv_paper_id, dataset_store  # noqa: E402

MALDACENA, OTHER = "hep-th/9711200", "hep-th/9802150"
RECENTRE = ["hep-th/9802109", "hep-th/9802150", "hep-th/9905111", "hep-th/0202021", "hep-th/9803131",
            "hep-th/9906064", "hep-th/9806087"]   # related papers of Maldacena's map
GOALS = {"cached": 0.300, "recentre": 3.0}


def load() -> float:
    return round(os.getloadavg()[0], 1)


class Served:
    """A `litmap serve --source sample` process on `cache`; its URL and token."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-m", "litmap", "serve", "--source", "sample", "--port", "0"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
        if not m:
            self.stop()
            raise SystemExit(f"litmap serve did not start: {line!r}")
        self.base, self.token = m.group(1), m.group(2)
        self.http = requests.Session()
        self.http.get(f"{self.base}/?token={self.token}", timeout=120)      # the cookie

    def get(self, path: str) -> tuple[float, requests.Response]:
        t = time.perf_counter()
        r = self.http.get(self.base + path, timeout=300)
        return time.perf_counter() - t, r

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)


def cached(env: dict, repeat: int) -> list[dict]:
    rows = []
    server = Served(env)
    try:
        before = load()
        cold, r = server.get(f"/map?seed={MALDACENA}")           # builds it (and keeps it in the cache)
        assert r.status_code == 200 and server.get(f"/map?seed={OTHER}")[1].status_code == 200
        times = [server.get(f"/map?seed={MALDACENA}")[0] for _ in range(repeat)]
        rows.append({"what": "cached map, in the server's memory (reload)", "n": repeat,
                     "median": statistics.median(times), "max": max(times), "load": (before, load()),
                     "size": len(r.content), "goal": "cached"})
        rows.append({"what": "first map of the sample, built (crawl of the dataset, page)", "n": 1,
                     "median": cold, "max": cold, "load": (before, load()), "size": len(r.content), "goal": None})
    finally:
        server.stop()
    first, warm, before = [], [], load()
    for _ in range(max(3, repeat // 4)):                       # a new server each time: nothing in memory
        server = Served(env)
        try:
            t, r = server.get(f"/map?seed={MALDACENA}")          # its first request
            assert r.status_code == 200 and 'id="litmap-addon"' in r.text
            first.append(t)
            t, r = server.get(f"/map?seed={OTHER}")              # the next: a warm server, from SQLite
            assert r.status_code == 200 and 'id="litmap-addon"' in r.text
            warm.append(t)
        finally:
            server.stop()
    rows.append({"what": "cached map, from the SQLite cache (a running server)", "n": len(warm),
                 "median": statistics.median(warm), "max": max(warm), "load": (before, load()),
                 "size": len(r.content), "goal": "cached"})
    rows.append({"what": "cached map, the first request to a server just started", "n": len(first),
                 "median": statistics.median(first), "max": max(first), "load": (before, load()),
                 "size": None, "goal": None})
    return rows


def chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--window-size=1280,800",
                f"--user-data-dir={tempfile.mkdtemp(prefix='litmap-bench-')}"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait(drv, script: str, *args, timeout: float = 300.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = drv.execute_script("try { return " + script + "; } catch (e) { return null; }", *args)
        if got:
            return got
        time.sleep(0.005)
    raise SystemExit(f"the page never satisfied {script}")


def drawn(drv, seed_id: str) -> None:
    wait(drv, "window.litmap.firstDraw && window.litmap.app.ready && window.litmap.data.seeds[0] === arguments[0] "
              "&& window.litmap.data.seeds.length === 1", seed_id)


def select_node(drv, pid: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    drv.execute_script("var n = window.litmap.network; n.moveTo({position: n.getPosition(arguments[0]), scale: 1.0});",
                       pid)
    ActionChains(drv, duration=0).move_to_element(drv.find_element("id", "graph")).click().perform()
    wait(drv, "window.litmap.app.selected === arguments[0]", pid)


def map_this(drv, pid: str) -> float:
    """Seconds from the click on Map this paper (on `pid`, in Maldacena's map) to its map drawn;
    then Back to Maldacena's."""
    select_node(drv, pid)
    t = time.perf_counter()
    drv.find_element("id", "lm-map-this").click()
    drawn(drv, pid)
    took = time.perf_counter() - t
    drv.back()
    drawn(drv, arxiv_paper_id(MALDACENA))
    return took


def recentre(env: dict, screenshot: Path | None) -> list[dict]:
    server = Served(env)
    drv = chrome()
    rows = []
    try:
        drv.get(f"{server.base}/?token={server.token}")
        drv.get(f"{server.base}/map?seed={MALDACENA}")
        drawn(drv, arxiv_paper_id(MALDACENA))
        for what, papers in (("re-centring in Chromium: Map this paper -> the new map drawn (its first map)", RECENTRE),
                             ("re-centring on a map already in the cache", RECENTRE[:3])):   # the same again
            before = load()
            times = [map_this(drv, arxiv_paper_id(arxiv)) for arxiv in papers]
            rows.append({"what": what, "n": len(times), "median": statistics.median(times), "max": max(times),
                         "load": (before, load()), "size": None, "goal": "recentre"})
        if screenshot:
            select_node(drv, arxiv_paper_id("hep-th/9802109"))    # Gubser-Klebanov-Polyakov, its actions shown
            drv.find_element("id", "btn-fit").click()
            drv.execute_script("document.getElementById('panel').scrollTop = 0")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            drv.save_screenshot(str(screenshot))
    finally:
        drv.quit()
        server.stop()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--screenshot", type=Path, help="save a screenshot of the app (PNG) there")
    ap.add_argument("--no-browser", action="store_true", help="only the HTTP figures")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="litmap-serve-bench-"))
    env = {**os.environ, "LITMAP_CACHE_DIR": str(work / "cache"), "LITMAP_INDEX_DIR": str(work / "indexes"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    dataset_store("sample", work / "indexes").close()          # the index, built outside the timings
    rows = cached(env, args.repeat)
    if not args.no_browser:
        rows += recentre(env, args.screenshot)
    print(f"`litmap serve --source sample`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores "
          "(shared: load average before → after each row)\n")
    print("| measured | n | median | max | load avg | goal |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        goal = GOALS.get(r["goal"]) if r["goal"] else None
        verdict = "" if goal is None else f"< {goal * 1000:.0f} ms " if goal < 1 else f"< {goal:.0f} s "
        if goal is not None:
            verdict += "met" if r["median"] < goal else "MISSED"
        print(f"| {r['what']} | {r['n']} | {r['median'] * 1000:.0f} ms | {r['max'] * 1000:.0f} ms | "
              f"{r['load'][0]} → {r['load'][1]} | {verdict} |")


if __name__ == "__main__":
    main()
