"""Tests for litmap.render: the self-contained HTML map page.

Unit tests need no browser.  Tests marked `browser` drive Debian's chromium through
selenium from a file:// URL; they skip when chromium/chromedriver are missing, except on CI
(CI=true) where that is a failure.  Screenshots go to artifacts/ (git-ignored).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from litmap.render import render_html
from litmap.text import plain
from tests import guard
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DATA_RE = re.compile(r'<script type="application/json" id="litmap-data">(.*?)</script>', re.S)

# ----------------------------------------------------------------------------- test maps
WORDS = ("deep learning graph neural network citation analysis transformer attention bayesian "
         "inference causal effect labour market randomized trial language model retrieval "
         "embedding survey benchmark robust optimisation").split()
SURNAMES = ["Bertrand", "Mullainathan", "Vaswani", "Devlin", "Kipf", "Welling", "Hamilton",
            "Leskovec", "Pearl", "Imbens", "Angrist", "Card", "Krueger", "Duflo", "Banerjee",
            "Goodfellow", "Bengio", "LeCun", "Hinton", "Müller", "García", "Nakamura", "Zhang"]


def _pid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


def make_paper(rng: random.Random, i: int) -> dict:
    pid = _pid(rng)
    ext = {}
    if i % 3 != 2:
        ext["DOI"] = f"10.{1000 + i}/paper.{i}"
    if i % 2 == 0:
        ext["ArXiv"] = f"{1500 + i}.{10000 + i}"
    authors = [{"authorId": str(100 + i * 7 + k), "name": f"{rng.choice(['Anna', 'Li', 'José'])} "
                f"{SURNAMES[(i + k) % len(SURNAMES)]}"} for k in range(1 + i % 4)]
    return {
        "paperId": pid, "id": pid, "corpusId": 1000 + i, "externalIds": ext,
        "title": f"Paper {i}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10))),
        "abstract": " ".join(rng.choice(WORDS) for _ in range(60)) if i % 4 else None,
        "tldr": "A short summary." if i % 5 == 0 else None,
        "authors": authors, "year": 1990 + (i * 7) % 34, "venue": rng.choice(["NeurIPS", "QJE", None]),
        "journal": None, "publicationTypes": [], "publicationDate": None,
        "citationCount": int(rng.lognormvariate(3, 2)), "referenceCount": 20, "url": None,
    }


def make_map(n: int = 40, seed: int = 7, n_side: int = 6) -> dict:
    rng = random.Random(seed)
    nodes = []
    for i in range(n):
        p = make_paper(rng, i)
        p.update(role="seed" if i == 0 else "related", similarity=1.0 if i == 0 else round(1 - i / (n + 1), 4),
                 share=1.0 if i == 0 else round(0.5 - i / (4 * n), 4),
                 coupling=rng.randint(0, 9), cocitation=rng.randint(0, 9), rank=i,
                 x=round(rng.uniform(-400, 400), 1), y=round(rng.uniform(-300, 300), 1))
        nodes.append(p)
    pairs = set()
    for i in range(n):
        for j in rng.sample(range(n), min(3, n)):
            if i != j:
                pairs.add((min(i, j), max(i, j)))
    edges = []
    for a, b in sorted(pairs):
        s, t = sorted((nodes[a]["id"], nodes[b]["id"]))
        edges.append({"source": s, "target": t, "weight": round(rng.uniform(0.05, 0.9), 3)})
    prior = [dict(make_paper(rng, 500 + k), count=20 - k) for k in range(n_side)]
    derivative = [dict(make_paper(rng, 700 + k), count=15 - k) for k in range(n_side)]
    return {"format": "litmap-map/1", "seeds": [nodes[0]["id"]] if nodes else [], "nodes": nodes,
            "edges": edges, "prior": prior, "derivative": derivative,
            "stats": {"papers_considered": 12400, "truncated": []}}


def make_bibtex(m: dict) -> dict[str, str]:
    out = {}
    for i, p in enumerate(m["nodes"] + m["prior"] + m["derivative"]):
        out[p["id"]] = f"@article{{key{i},\n  title = {{Entry {i}}},\n  year = {{{p['year']}}}\n}}\n"
    return out


XSS = [
    '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
    "</script><script>window.__xss=(window.__xss||0)+1</script>",
    "<svg onload=\"window.__xss=(window.__xss||0)+1\"></svg>",
    '" onmouseover="window.__xss=(window.__xss||0)+1" x="',
    "' onmouseover='window.__xss=(window.__xss||0)+1' x='",
    "javascript:window.__xss=(window.__xss||0)+1",
    "<!--<script>window.__xss=(window.__xss||0)+1</script>-->",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<a href="javascript:window.__xss=1">link</a> & &amp; \u2028\u2029 </SCRIPT >',
    "<style>*{display:none}</style><b onclick=window.__xss=1>bold</b>",
]


def make_xss_map(n: int = 40) -> dict:
    m = make_map(n, seed=3)
    for i, p in enumerate(m["nodes"] + m["prior"] + m["derivative"]):
        pay = XSS[i % len(XSS)]
        p["title"] = pay + f" #{i}"
        p["abstract"] = pay
        p["tldr"] = XSS[(i + 1) % len(XSS)]
        p["venue"] = XSS[(i + 2) % len(XSS)]
        p["journal"] = {"name": pay, "volume": pay, "pages": None}
        p["authors"] = [{"authorId": pay, "name": XSS[(i + 3) % len(XSS)]}, {"authorId": None, "name": pay}]
        p["externalIds"] = {"DOI": "javascript:window.__xss=1" if i % 2 else '10.1/x" onmouseover="window.__xss=1',
                            "ArXiv": XSS[(i + 4) % len(XSS)]}
    m["prior"][0]["id"] = m["prior"][0]["paperId"] = XSS[1]        # an id that is itself a payload
    m["stats"]["truncated"] = XSS
    return m


def payload(html: str) -> dict:
    return json.loads(DATA_RE.search(html).group(1))


# ----------------------------------------------------------------------------- unit tests
def test_self_contained_and_no_lib_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = make_map()
    html = render_html(m, make_bibtex(m))
    assert list(tmp_path.iterdir()) == []                       # no lib/ (or anything) written
    low = html.lower()
    bad = [s for s in ('src="http', "src='http", 'href="http', "href='http", "<link", "cdnjs", "unpkg.com",
                       "jsdelivr", "bootstrap", "tom-select", "googleapis") if s in low]
    assert bad == []
    assert re.search(r"<script[^>]*\ssrc=", low) is None
    assert ("vis-network" in html and "@version 9.1.2" in html) is True    # vis inlined
    assert len(re.findall(r"^<script", html, re.M)) == 3 and low.count("</script") == 3


def test_pyvis_is_not_imported_at_module_import():
    code = "import sys, litmap.render; assert 'pyvis' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr


def test_json_block_escaping_round_trips():
    m = make_xss_map(12)
    m["nodes"][1]["title"] = "A </script><script>alert(1)</script> & <!-- \u2028 \u2029 > end"
    m["nodes"][2]["abstract"] = "line one\n</SCRIPT>line two\u2028"
    html = render_html(m, {m["nodes"][0]["id"]: "@misc{x, note={</script><b>}}"})
    block = DATA_RE.search(html).group(1)
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        assert ch not in block, repr(ch)
    data = json.loads(block)
    titles = [n["title"] for n in data["nodes"]]
    assert titles[1] == " ".join(m["nodes"][1]["title"].split())
    assert "</SCRIPT>line two" in data["nodes"][2]["abstract"]
    assert data["bibtex"][m["nodes"][0]["id"]].startswith("@misc{x, note={</script><b>}}")
    # no payload reaches the HTML outside the JSON block
    outside = DATA_RE.sub("", html)
    leaked = [pay for pay in XSS if pay in outside]
    assert leaked == [] and outside.count("__xss") == 0


def test_links_only_from_valid_ids():
    m = make_xss_map(10)
    data = payload(render_html(m, {}))
    for n in data["nodes"] + data["prior"] + data["derivative"]:
        assert n["doi"] is None and n["arxiv"] is None
    m2 = make_map(6)
    m2["nodes"][0]["externalIds"] = {"DOI": "10.1038/nature14539", "ArXiv": "1706.03762v5"}
    d2 = payload(render_html(m2, {}))
    assert d2["nodes"][0]["doi"] == "10.1038/nature14539" and d2["nodes"][0]["arxiv"] == "1706.03762v5"
    assert d2["nodes"][0]["s2"] == m2["nodes"][0]["id"]


def test_deterministic_across_runs_and_hash_seeds():
    m = make_map(40)
    bib = make_bibtex(m)
    a = render_html(m, bib)
    shuffled = dict(reversed(list(bib.items())))
    m2 = json.loads(json.dumps(m))
    m2["nodes"] = [dict(reversed(list(n.items()))) for n in m2["nodes"]]
    assert render_html(m2, shuffled) == a
    code = ("import json,sys; from litmap.render import render_html; m,b=json.load(sys.stdin); "
            "sys.stdout.write(hashlib.sha256(render_html(m,b).encode()).hexdigest())").replace(
        "import json,sys;", "import json,sys,hashlib;")
    digests = set()
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps([m, bib]), cwd=ROOT, text=True,
                             capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout)
    assert digests == {hashlib.sha256(a.encode()).hexdigest()}


def test_size_budget():
    m = make_map(40)
    size = len(render_html(m, make_bibtex(m)).encode("utf-8"))
    assert size < 1_500_000, size


def test_csp_hashes_match_inline_scripts():
    html = render_html(make_map(5), {})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 2
    for s in scripts:
        digest = base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_csp_in_full_allows_nothing_beyond_the_page_itself():
    """Every directive, not just script-src: the page may not fetch or send anything (no
    connect-src, forms, base URL, plugins, frames), loads images and fonts only from data:/blob:
    URLs, and runs only its two hashed scripts."""
    html = render_html(make_map(5), {})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    directives = {}
    for part in filter(None, (p.strip() for p in csp.split(";"))):
        name, *values = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = values
    hashes = directives.pop("script-src")
    assert len(hashes) == 2 and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", h) for h in hashes), hashes
    assert directives == {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:", "blob:"],
        "font-src": ["data:"],
        "connect-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "object-src": ["'none'"],
    }


def test_visual_encoding():
    m = make_map(40)
    m["nodes"][5]["year"] = None
    m["nodes"][6]["authors"] = [{"authorId": None, "name": "Bertrand, Marianne"}]
    m["nodes"][7]["authors"] = []
    data = payload(render_html(m, {}))
    nodes = data["nodes"]
    assert [n["id"] for n in nodes] == [p["id"] for p in m["nodes"]]
    assert nodes[0]["seed"] and not any(n["seed"] for n in nodes[1:])
    assert nodes[1]["label"] == f"{m['nodes'][1]['authors'][0]['name'].split()[-1]} {m['nodes'][1]['year']}"
    assert nodes[6]["label"] == f"Bertrand {m['nodes'][6]['year']}"
    assert nodes[7]["label"].startswith("Paper ")
    assert nodes[5]["color"] == data["legend"]["unknown"]

    def lum(c):
        r, g, b = (int(c[k:k + 2], 16) for k in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    dated = sorted((n for n in nodes if n["year"] is not None), key=lambda n: n["year"])
    lums = [lum(n["color"]) for n in dated]
    assert lums == sorted(lums, reverse=True)                   # light = old, dark = new
    assert lum(dated[0]["color"]) - lum(dated[-1]["color"]) > 120
    related = sorted(nodes[1:], key=lambda n: n["cites"] or 0)
    sizes = [n["size"] for n in related]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]      # size grows with citations
    assert len(data["edges"]) == len(m["edges"])
    ws = sorted(data["edges"], key=lambda e: e[2])
    assert ws[0][3] < ws[-1][3]                                 # width grows with weight


def _boxes(nodes):
    out = []
    for n in nodes:
        w = max(2 * n["size"], len(n["label"]) * 8.4 + 6)
        out.append((n["x"] - w / 2, n["y"] - n["size"], n["x"] + w / 2, n["y"] + n["size"] + 4 + 14 * 1.3))
    return out


def test_layout_has_no_overlapping_node_label_boxes_for_40_nodes():
    m = make_map(40)
    for p in m["nodes"][::4]:                                   # some coincident points
        p["x"], p["y"] = 0.0, 0.0
    m["nodes"][3]["x"] = None
    data = payload(render_html(m, {}))
    b = _boxes(data["nodes"])
    for i in range(len(b)):
        for j in range(i + 1, len(b)):
            ox = min(b[i][2], b[j][2]) - max(b[i][0], b[j][0])
            oy = min(b[i][3], b[j][3]) - max(b[i][1], b[j][1])
            assert ox <= 0 or oy <= 0, (i, j)


def test_degenerate_maps_render():
    empty = {"format": "litmap-map/1", "seeds": [], "nodes": [], "edges": [], "prior": [], "derivative": [],
             "stats": {}}
    assert payload(render_html(empty, {}))["nodes"] == []
    m = make_map(3, n_side=0)
    for p in m["nodes"]:
        p.update(x=None, y=None, year=None, citationCount=None, similarity=float("nan"), authors=None)
    m["edges"].append({"source": "missing", "target": m["nodes"][0]["id"], "weight": 1.0})
    m["edges"].append({"source": m["nodes"][0]["id"], "target": m["nodes"][1]["id"], "weight": float("inf")})
    m["nodes"].append(dict(m["nodes"][0]))                       # duplicate id
    data = payload(render_html(m, {"not-in-map": "@misc{x}"}))
    assert len(data["nodes"]) == 3 and data["bibtex"] == {}
    assert all(n["sim"] is None and math.isfinite(n["x"]) for n in data["nodes"])
    assert all(e[0] != e[1] for e in data["edges"])
    one = make_map(1, n_side=0)
    assert payload(render_html(one, {}))["nodes"][0]["seed"]
    far = make_map(40, n_side=0)
    far["nodes"][5]["x"], far["nodes"][6]["y"] = 1e15, -1e12          # stray layout points
    far["nodes"][7]["x"] = float("nan")
    nodes = payload(render_html(far, {}))["nodes"]
    span = max(n["x"] for n in nodes) - min(n["x"] for n in nodes)
    assert span < 20 * 95 * math.sqrt(40)                               # outliers pulled in


# ----------------------------------------------------------------------------- browser
# selenium is imported inside the browser tests: without it they report it missing (guard: a
# skip with the reason locally, a failure under CI=true) while the rest of this file runs.
def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python package selenium")
    if missing:
        guard.missing("browser tests need " + ", ".join(missing) + " (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # under pytest's temporary root, which it prunes: nothing is left behind in /tmp
    profile = tmp_path_factory.mktemp("chrome-profile")
    downloads = str(tmp_path_factory.mktemp("chrome-downloads"))
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--window-size=1280,800"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.downloads = downloads
    try:
        yield drv
    finally:
        drv.quit()


def _viewport(drv, w, h):
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


def _open(drv, html: str, tmp_path: Path, w: int = 1280, h: int = 800, name: str = "map.html"):
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    _viewport(drv, w, h)
    drv.get(path.as_uri())
    if not wait_until(lambda: drv.execute_script(
            "return !!(window.litmap && window.litmap.ready && window.litmap.firstDraw)")):
        raise AssertionError("page did not become ready: %r" % drv.get_log("browser"))
    drv.get_log("browser")  # flush (later checks read only new entries)
    return path


def _errors(drv):
    return [e for e in drv.get_log("browser") if e["level"] in ("SEVERE", "ERROR")
            or "Content Security Policy" in e["message"]]


def _node_offset(drv, node_id):
    """Center the view on a node and return the canvas offset of its centre (from the element centre)."""
    drv.execute_script("var n=window.litmap.network; n.moveTo({position:n.getPosition(arguments[0]), scale:1.0});",
                       node_id)
    return 0, 0


def _list_items(drv):
    return drv.execute_script(
        "return Array.from(document.querySelectorAll('#list li'))"
        ".map(li => li.querySelector('.item-title').textContent)")


@pytest.fixture
def page40(browser, tmp_path):
    m = make_map(40)
    bib = make_bibtex(m)
    _open(browser, render_html(m, bib), tmp_path)
    return m, bib


@pytest.mark.browser
def test_browser_graph_loaded(browser, page40):
    m, _ = page40
    st = browser.execute_script("""var L = window.litmap; return {n: L.nodes.length, e: L.edges.length,
        physics: L.network.physics.options.enabled, scale: L.network.getScale(),
        items: document.querySelectorAll('#list li').length,
        tabs: Array.from(document.querySelectorAll('.tab')).map(t => t.textContent)}""")
    assert st["n"] == len(m["nodes"]) and st["e"] == len(m["edges"])
    assert st["physics"] is False and st["items"] == 40
    assert st["tabs"] == ["Map (40)", "Prior works (6)", "Derivative works (6)"]
    assert 0.5 < st["scale"] <= 1.6
    assert _errors(browser) == []


@pytest.mark.browser
def test_browser_labels_do_not_overlap_at_default_zoom(browser, page40):
    boxes = browser.execute_script("""var L = window.litmap; return L.nodes.getIds().map(id => {
        var b = L.network.getBoundingBox(id); return [b.left, b.top, b.right, b.bottom]; })""")
    assert len(boxes) == 40
    for i in range(40):
        for j in range(i + 1, 40):
            a, b = boxes[i], boxes[j]
            ox = min(a[2], b[2]) - max(a[0], b[0])
            oy = min(a[3], b[3]) - max(a[1], b[1])
            assert ox <= 0.5 or oy <= 0.5, (i, j, a, b)
    # everything is inside the viewport after fit()
    inside = browser.execute_script("""var L = window.litmap, c = document.getElementById('graph');
        var w = c.clientWidth, h = c.clientHeight;
        return L.nodes.getIds().every(id => { var p = L.network.canvasToDOM(L.network.getPosition(id));
            return p.x > 0 && p.y > 0 && p.x < w && p.y < h; })""")
    assert inside


@pytest.mark.browser
def test_browser_click_list_item_selects_and_shows_details(browser, page40):
    m, _ = page40
    target = m["nodes"][5]
    items = browser.find_elements("css selector", "#list li .item-main")
    idx = [i for i, t in enumerate(_list_items(browser)) if t.endswith(target["title"])][0]
    browser.execute_script("arguments[0].scrollIntoView({block:'center'})", items[idx])
    items[idx].click()
    st = wait_until(lambda: browser.execute_script("""var L = window.litmap; return {sel: L.network.getSelectedNodes(),
        title: document.getElementById('d-title').textContent, hidden: document.getElementById('details').hidden,
        authors: document.getElementById('d-authors').textContent, meta: document.getElementById('d-meta').textContent,
        links: Array.from(document.querySelectorAll('#d-links a')).map(a => [a.textContent, a.href]),
        liSel: document.querySelector('#list li.selected .item-title').textContent,
        dim: L.nodes.getIds().filter(id => L.isDimmed(id)),
        drawnDim: L.nodes.getIds().filter(id =>
            L.network.body.nodes[id].options.color.background.startsWith('rgba('))}"""),
        lambda st: st["sel"] == [target["id"]] and not st["hidden"] and st["dim"]
        and set(st["drawnDim"]) == set(st["dim"]))
    assert st["sel"] == [target["id"]] and not st["hidden"]
    assert st["title"] == target["title"] and st["liSel"].endswith(target["title"])
    assert st["authors"] == ", ".join(a["name"] for a in target["authors"])
    assert str(target["year"]) in st["meta"] and f"{target['citationCount']:,} citations" in st["meta"]
    # the score says what it means: relative to the best, and the co-citation share behind it
    assert f"score {target['similarity']:.2f} (1.00 = most related)" in st["meta"]
    assert f"cited along with the seed by {round(100 * target['share'])}% of its citing papers" in st["meta"]
    links = dict(st["links"])
    assert links["Semantic Scholar"] == "https://www.semanticscholar.org/paper/" + target["id"]
    if "DOI" in target["externalIds"]:
        assert links["DOI"] == "https://doi.org/" + target["externalIds"]["DOI"]
    if "ArXiv" in target["externalIds"]:
        assert links["arXiv"] == "https://arxiv.org/abs/" + target["externalIds"]["ArXiv"]
    # neighbours stay lit, the rest is dimmed
    nbrs = {e["source"] for e in m["edges"] if e["target"] == target["id"]} | \
           {e["target"] for e in m["edges"] if e["source"] == target["id"]}
    assert set(st["dim"]) == {p["id"] for p in m["nodes"]} - nbrs - {target["id"]}
    assert set(st["drawnDim"]) == set(st["dim"])         # what vis draws follows the state


@pytest.mark.browser
def test_browser_click_node_in_graph(browser, page40):
    from selenium.webdriver.common.action_chains import ActionChains

    m, _ = page40
    target = m["nodes"][9]
    _node_offset(browser, target["id"])
    graph = browser.find_element("id", "graph")
    ActionChains(browser, duration=0).move_to_element(graph).click().perform()
    st = wait_until(lambda: browser.execute_script("""return {sel: window.litmap.network.getSelectedNodes(),
        title: document.getElementById('d-title').textContent,
        li: (document.querySelector('#list li.selected .item-title') || {}).textContent}"""),
        lambda st: st["sel"] == [target["id"]] and st["li"] is not None)
    assert st["sel"] == [target["id"]] and st["title"] == target["title"] and st["li"].endswith(target["title"])


@pytest.mark.browser
def test_browser_search_and_year_filter(browser, page40):
    m, _ = page40
    box = browser.find_element("id", "search")
    box.send_keys("KIPF  neurips")              # every term must match (case-insensitive)

    def hay(p):
        return " ".join([p["title"], *(a["name"] for a in p["authors"]), p["venue"] or "", str(p["year"])]).lower()
    want = [p for p in m["nodes"] if "kipf" in hay(p) and "neurips" in hay(p)]
    titles = wait_until(lambda: _list_items(browser), lambda t: len(t) == len(want))
    assert 0 < len(want) < 40 and len(titles) == len(want)
    assert all(any(t.endswith(p["title"]) for p in want) for t in titles)
    dim = set(browser.execute_script("var L=window.litmap; return L.nodes.getIds().filter(id => L.isDimmed(id))"))
    assert dim == {p["id"] for p in m["nodes"]} - {p["id"] for p in want}
    box.clear()
    box.send_keys(" ")
    assert len(wait_until(lambda: _list_items(browser), lambda t: len(t) == 40)) == 40
    ymin = browser.find_element("id", "year-min")
    ymin.clear()
    ymin.send_keys("2015")
    want = sum(1 for p in m["nodes"] if p["year"] >= 2015)
    assert len(wait_until(lambda: _list_items(browser), lambda t: len(t) == want)) == want


@pytest.mark.browser
def test_browser_sort_and_tabs(browser, page40):
    from selenium.webdriver.support.ui import Select

    m, _ = page40
    Select(browser.find_element("id", "sort")).select_by_value("citations")
    cites = [p["citationCount"] for p in m["nodes"]]
    by_title = {p["title"]: p["citationCount"] for p in m["nodes"]}

    def cites_shown():
        return [by_title[[k for k in by_title if t.endswith(k)][0]] for t in _list_items(browser)]
    assert wait_until(cites_shown, lambda got: got == sorted(cites, reverse=True)) == sorted(cites, reverse=True)
    Select(browser.find_element("id", "sort")).select_by_value("year-asc")
    years = wait_until(lambda: browser.execute_script(
                           "return Array.from(document.querySelectorAll('#list .item-meta'))"
                           ".map(e => e.textContent.split(' \u00b7 ')[1])"),
                       lambda ys: [int(y) for y in ys] == sorted(int(y) for y in ys))
    assert [int(y) for y in years] == sorted(int(y) for y in years)
    browser.find_element("id", "tab-prior").click()
    order = sorted(range(len(m["prior"])), key=lambda i: (m["prior"][i]["year"], i))
    want = [m["prior"][i]["title"] for i in order]
    assert wait_until(lambda: _list_items(browser), lambda t: t == want) == want
    browser.find_element("id", "tab-derivative").click()
    Select(browser.find_element("id", "sort")).select_by_value("similarity")
    want = [p["title"] for p in sorted(m["derivative"], key=lambda p: -p["count"])]
    assert wait_until(lambda: _list_items(browser), lambda t: t == want) == want
    browser.find_elements("css selector", "#list li .item-main")[0].click()
    st = wait_until(lambda: browser.execute_script(
                        "return [document.getElementById('d-title').textContent, "
                        "document.getElementById('d-meta').textContent, window.litmap.network.getSelectedNodes()]"),
                    lambda st: st[0] == m["derivative"][0]["title"])
    assert st[0] == m["derivative"][0]["title"] and "cites 15 map papers" in st[1] and st[2] == []


def _wait_download(folder: str, before: set) -> Path:
    new = wait_until(lambda: [f for f in os.listdir(folder) if f not in before and not f.endswith(".crdownload")])
    assert new, "no download appeared in %s" % folder
    return Path(folder) / new[0]


@pytest.mark.browser
def test_browser_download_bib_of_checked_papers(browser, page40):
    m, bib = page40
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": browser.downloads})
    boxes = browser.find_elements("css selector", "#list li input.pick")
    picks = [2, 7]
    for i in picks:
        browser.execute_script("arguments[0].scrollIntoView({block:'center'})", boxes[i])
        boxes[i].click()
    assert browser.find_element("id", "btn-bib").text == "Download .bib (2)"
    before = set(os.listdir(browser.downloads))
    browser.find_element("id", "btn-bib").click()
    got = _wait_download(browser.downloads, before)
    text = got.read_text(encoding="utf-8")
    assert got.name.endswith(".bib")
    ids = [m["nodes"][i]["id"] for i in picks]          # list is in similarity order = map order
    assert text == "\n".join(bib[i] for i in ids)
    assert text.count("@article") == 2
    # select all (shown) on the prior tab adds those entries too
    browser.find_element("id", "tab-prior").click()
    browser.find_element("id", "check-all").click()
    assert browser.find_element("id", "btn-bib").text == f"Download .bib ({2 + len(m['prior'])})"
    blob = browser.execute_script("return window.litmap.bibText()")
    assert blob == "\n".join(bib[i] for i in ids + [p["id"] for p in m["prior"]])
    got.unlink()


@pytest.mark.browser
def test_browser_physics_toggle(browser, page40):
    btn = browser.find_element("id", "btn-physics")
    btn.click()
    assert browser.execute_script("return window.litmap.network.physics.options.enabled") is True
    assert btn.get_attribute("aria-pressed") == "true"
    btn.click()
    assert browser.execute_script("return window.litmap.network.physics.options.enabled") is False


@pytest.mark.browser
def test_browser_xss_corpus_executes_nothing(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains

    m = make_xss_map(40)
    bib = {p["id"]: "@misc{k,\n note = {" + XSS[0] + "}\n}" for p in m["nodes"][:5] + m["prior"][:2]}
    _open(browser, render_html(m, bib), tmp_path)
    graph = browser.find_element("id", "graph")
    for p in m["nodes"]:
        _node_offset(browser, p["id"])
        ActionChains(browser, duration=0).move_to_element_with_offset(graph, 0, 60).move_to_element(graph).perform()
        tip = wait_until(lambda: browser.execute_script(
                             "var t=document.querySelector('div.vis-tooltip');"
                             "return t && t.style.visibility !== 'hidden' ? t.textContent : null"),
                         lambda text: text is not None)
        assert tip is not None and plain(p["title"]) in tip
        ActionChains(browser, duration=0).click().perform()
        got = browser.execute_script("return document.getElementById('d-title').textContent")
        assert got == plain(p["title"])  # entities decoded, shown as text
    for tab in ("tab-map", "tab-prior", "tab-derivative"):
        browser.find_element("id", tab).click()
        seen = browser.execute_script("""return Array.from(document.querySelectorAll('#list li .item-main')).map(it => {
            it.click(); return [document.getElementById('d-title').textContent,
                                Array.from(document.querySelectorAll('#d-links a')).map(a => a.href)]; })""")
        assert len(seen) == {"tab-map": 40, "tab-prior": 6, "tab-derivative": 6}[tab]
        for title, hrefs in seen:
            assert "#" in title and all(h.startswith(("https://www.semanticscholar.org/paper/", "https://arxiv.org/abs/",
                                                      "https://doi.org/")) for h in hrefs)
    browser.find_element("id", "check-all").click()
    st = browser.execute_script("""return {xss: window.__xss, injected:
        document.querySelectorAll('img, iframe, svg, style:not(head style), b, a:not(#d-links a), '
                                  + '[onerror], [onload], [onmouseover], [onclick]').length,
        title: document.title, h1: document.getElementById('map-title').textContent,
        links: Array.from(document.querySelectorAll('a')).map(a => a.href)}""")
    assert st["xss"] is None and st["injected"] == 0, st
    assert st["h1"] == plain(m["nodes"][0]["title"])
    try:
        _ = browser.switch_to.alert
        raise AssertionError("an alert is open")
    except NoAlertPresentException:
        pass
    assert _errors(browser) == []          # incl. no CSP violation: nothing even tried to run
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "render-xss-1280x800.png"))


@pytest.mark.browser
def test_browser_layouts_and_screenshots(browser, tmp_path):
    m = make_map(40)
    html = render_html(m, make_bibtex(m))
    ARTIFACTS.mkdir(exist_ok=True)
    for w, h in ((1280, 800), (420, 800)):
        _open(browser, html, tmp_path, w, h)
        browser.execute_script("window.litmap.select(arguments[0])", m["nodes"][3]["id"])
        wait_until(lambda: browser.execute_script("return document.getElementById('details').hidden"),
                   lambda hidden: hidden is False)
        geo = browser.execute_script("""var g = document.getElementById('graph-wrap').getBoundingClientRect(),
            p = document.getElementById('panel').getBoundingClientRect();
            return {g: [g.left, g.top, g.width, g.height], p: [p.left, p.top, p.width, p.height],
                    sw: document.documentElement.scrollWidth}""")
        if w >= 800:    # side by side, graph fills the rest
            assert geo["p"][0] >= geo["g"][0] + geo["g"][2] - 1 and geo["g"][2] >= w - 450
            assert abs(geo["g"][3] - h) < 2 and abs(geo["p"][3] - h) < 2
        else:           # panel stacks under the graph
            assert geo["p"][1] >= geo["g"][1] + geo["g"][3] - 1 and geo["g"][2] >= w - 20
            assert geo["g"][3] >= 320
        assert geo["sw"] <= w                   # no horizontal scrolling
        browser.save_screenshot(str(ARTIFACTS / f"render-{w}x{h}.png"))
    _viewport(browser, 1280, 800)


# ----------------------------------------------------------------------------- first hour (#11)
def _side_years_map() -> dict:
    """Prior works older and derivative works newer than every map paper, one year unknown."""
    m = make_map(40)
    for k, p in enumerate(m["prior"]):
        p["year"] = 1960 + k                     # the map's years start at 1990
    for k, p in enumerate(m["derivative"]):
        p["year"] = 2030 + k if k else None      # the map's years end at 2023
    return m


def _tab_state(drv):
    return drv.execute_script("""return {tabs: Array.from(document.querySelectorAll('.tab')).map(t => t.textContent),
        rows: document.querySelectorAll('#list li:not(.more)').length,
        info: document.getElementById('list-info').textContent}""")


@pytest.mark.browser
def test_browser_year_filter_hides_no_side_list_row_by_default(browser, tmp_path):
    m = _side_years_map()
    _open(browser, render_html(m, make_bibtex(m)), tmp_path)
    for tab, papers in (("prior", m["prior"]), ("derivative", m["derivative"])):
        browser.find_element("id", "tab-" + tab).click()
        st = wait_until(lambda: _tab_state(browser), lambda st, papers=papers: st["rows"] == len(papers))
        label = [t for t in st["tabs"] if t.lower().startswith(tab)][0]
        assert label.endswith(f"({len(papers)})") and st["rows"] == len(papers), st
    # a bound the user moves does filter, and the tab count says how many rows show
    ymin = browser.find_element("id", "year-min")
    ymin.clear()
    ymin.send_keys("2031")
    want = sum(1 for p in m["derivative"] if p["year"] is not None and p["year"] >= 2031)
    st = wait_until(lambda: _tab_state(browser), lambda st: st["rows"] == want)
    assert st["rows"] == want and f"Derivative works ({want} of {len(m['derivative'])})" in st["tabs"], st


@pytest.mark.browser
def test_browser_tab_switch_closes_other_tabs_details(browser, page40):
    m, _ = page40
    browser.execute_script("window.litmap.select(arguments[0])", m["nodes"][3]["id"])
    assert browser.execute_script("return document.getElementById('details').hidden") is False
    browser.find_element("id", "tab-prior").click()
    st = wait_until(lambda: browser.execute_script("""return {hidden: document.getElementById('details').hidden,
        sel: window.litmap.network.getSelectedNodes()}"""), lambda st: st["hidden"] is True)
    assert st["hidden"] is True and st["sel"] == []
    # a prior work's details close when going back to the map tab
    hidden = lambda: browser.execute_script("return document.getElementById('details').hidden")  # noqa: E731
    browser.find_elements("css selector", "#list li .item-main")[0].click()
    assert wait_until(hidden, lambda h: h is False) is False
    browser.find_element("id", "tab-map").click()
    assert wait_until(hidden, lambda h: h is True) is True


@pytest.mark.browser
def test_browser_narrow_click_on_node_keeps_graph_in_view(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    m = make_map(40)
    _open(browser, render_html(m, make_bibtex(m)), tmp_path, w=420, h=800)
    target = m["nodes"][-1]                      # the last row of the list, far below the graph
    _node_offset(browser, target["id"])
    ActionChains(browser, duration=0).move_to_element(browser.find_element("id", "graph")).click().perform()
    # the click handler selects and scrolls in one go: once the selection shows, so would a scroll
    st = wait_until(lambda: browser.execute_script("""var r = document.getElementById('graph').getBoundingClientRect();
        return {sel: window.litmap.network.getSelectedNodes(), top: r.top, bottom: r.bottom,
                h: window.innerHeight, y: window.scrollY}"""), lambda st: st["sel"] == [target["id"]])
    assert st["sel"] == [target["id"]]
    assert st["y"] == 0 and st["top"] >= 0 and st["bottom"] <= st["h"], st


@pytest.mark.browser
def test_browser_download_is_named_after_the_map(browser, tmp_path):
    m = make_map(12)
    _open(browser, render_html(m, make_bibtex(m), name="other"), tmp_path, name="paper.v1.html")
    assert browser.execute_script("return window.litmap.bibName()") == "paper.v1.bib"
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": browser.downloads})
    browser.find_elements("css selector", "#list li input.pick")[0].click()
    before = set(os.listdir(browser.downloads))
    browser.find_element("id", "btn-bib").click()
    got = _wait_download(browser.downloads, before)
    assert got.name == "paper.v1.bib"
    got.unlink()


def test_page_carries_its_name_for_the_download():
    m = make_map(5)
    assert payload(render_html(m, {}, name="litmap-maldacena1997large"))["name"] == "litmap-maldacena1997large"


@pytest.mark.browser
def test_browser_a_new_papers_map_says_it_rests_on_thin_evidence(browser, on_sample):
    import litmap

    new = litmap.map("hep-th/0304271", source="sample", nodes=10)  # nobody in the sample cites it
    _open(browser, new.to_html(), on_sample, name="new.html")
    note = browser.find_element("id", "map-note")
    assert note.is_displayed()
    assert note.text == ("Thin evidence \u2014 no citing papers yet: ranked by its references and the papers "
                         "that share them.")
    assert not _errors(browser)
    classic = litmap.map("hep-th/9711200", source="sample", nodes=10)
    _open(browser, classic.to_html(), on_sample, name="classic.html")
    assert not browser.find_element("id", "map-note").is_displayed()
