"""The map page's views (issue 13): topic clusters (colour toggle, legend that highlights and
filters), the timeline layout, and Prior/Derivative rows that highlight their linked papers.

Unit tests check the page's data; tests marked `browser` drive chromium like tests/test_render.py
(same fixture and helpers)."""
from __future__ import annotations

import json
import random

import pytest

from litmap.clusters import cluster_map
from litmap.render import render_html
from tests.test_render import _errors, _open, browser, make_bibtex, make_map, payload  # noqa: F401
from tests.waits import wait_until


def clustered_map(n: int = 40, seed: int = 7) -> dict:
    """make_map's map with what `litmap seed` adds: clusters on nodes, links on list entries."""
    m = make_map(n, seed=seed)
    ids = [p["id"] for p in m["nodes"]]
    assign, clusters = cluster_map(ids, m["edges"], {p["id"]: p for p in m["nodes"]})
    by_id = {c["id"]: c for c in clusters}
    for p in m["nodes"]:
        p["cluster"] = assign[p["id"]]
        p["cluster_label"] = by_id[p["cluster"]]["label"] if p["cluster"] is not None else None
    m["clusters"] = clusters
    rng = random.Random(seed)
    for k, p in enumerate(m["prior"] + m["derivative"]):  # each linked to one cluster's papers
        own = [x for x in ids if assign[x] == k % len(clusters)]
        p["links"] = sorted(rng.sample(own, min(p["count"], len(own))))
        p["count"] = len(p["links"])
    return m


def test_payload_carries_clusters_timeline_and_links():
    m = clustered_map()
    data = payload(render_html(m, {}))
    assert len(data["clusters"]) >= 2
    assert [c["id"] for c in data["clusters"]] == [c["id"] for c in m["clusters"]]
    colours = [c["color"] for c in data["clusters"]]
    assert len(set(colours)) == len(colours)
    by_cluster = {c["id"]: c for c in data["clusters"]}
    for src, node in zip(m["nodes"], data["nodes"]):
        assert node["cluster"] == src["cluster"]
        assert node["ccolor"] == (by_cluster[src["cluster"]]["color"] if src["cluster"] is not None
                                  else "#d4d4d4")
        assert isinstance(node["tx"], float) and isinstance(node["ty"], float)
    index = {p["id"]: i for i, p in enumerate(m["nodes"])}
    for key in ("prior", "derivative"):
        for src, row in zip(m[key], data[key]):
            assert row["links"] == sorted(index[x] for x in src["links"])
    ax = data["timeline"]
    assert ax["years"] == [min(p["year"] for p in m["nodes"]), max(p["year"] for p in m["nodes"])]


def test_timeline_positions_follow_year_and_citations_and_labels_do_not_overlap():
    m = clustered_map()
    data = payload(render_html(m, {}))
    nodes = data["nodes"]
    # x follows the year, y the citations (up = more): rank agreement over all pairs
    agree = total = 0
    for a in nodes:
        for b in nodes:
            if a["year"] < b["year"]:
                total += 1
                agree += a["tx"] < b["tx"]
    assert agree / total > 0.9
    cited = sorted(nodes, key=lambda n: n["cites"] or 0)
    assert sum(a["ty"] > b["ty"] for a, b in zip(cited, cited[1:])) / (len(cited) - 1) > 0.6
    boxes = []
    for n in nodes:
        w = max(2 * n["size"], len(n["label"]) * 8.4 + 6)
        boxes.append((n["tx"] - w / 2, n["ty"] - n["size"], n["tx"] + w / 2, n["ty"] + n["size"] + 4 + 14 * 1.3))
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            assert min(a[2], b[2]) - max(a[0], b[0]) <= 0 or min(a[3], b[3]) - max(a[1], b[1]) <= 0, (i, j)


def test_views_are_deterministic_and_old_maps_still_render():
    m = clustered_map()
    assert render_html(m, {}) == render_html(json.loads(json.dumps(m)), {})
    old = make_map(40)                       # a map cached before clusters existed
    data = payload(render_html(old, {}))
    assert data["clusters"] == [] and all(n["cluster"] is None for n in data["nodes"])
    assert all(r["links"] == [] for r in data["prior"])


def test_page_budget_40_nodes_with_clusters():
    m = clustered_map()
    size = len(render_html(m, make_bibtex(m)).encode("utf-8"))
    assert size < 1_000_000, size


# ----------------------------------------------------------------------------- browser

@pytest.fixture
def cpage(browser, tmp_path):  # noqa: F811
    m = clustered_map()
    _open(browser, render_html(m, make_bibtex(m)), tmp_path)
    return m, payload(render_html(m, {}))


def _state(drv):
    return drv.execute_script("return window.litmap.views.state()")


def _dimmed(drv):
    return set(drv.execute_script("var L = window.litmap; return L.nodes.getIds().filter(id => L.isDimmed(id))"))


def _fills(drv):
    return drv.execute_script("""var L = window.litmap, out = {};
        L.nodes.getIds().forEach(id => { out[id] = L.network.body.nodes[id].options.color.background; });
        return out""")


@pytest.mark.browser
def test_browser_colour_by_cluster_or_year(browser, cpage):
    m, data = cpage
    assert _state(browser)["colorBy"] == "cluster"
    assert _fills(browser) == {n["id"]: n["ccolor"] for n in data["nodes"]}
    assert browser.execute_script("return document.getElementById('legend-years').hidden") is True
    browser.find_element("id", "btn-color-year").click()
    assert _fills(browser) == {n["id"]: n["color"] for n in data["nodes"]}
    st = browser.execute_script("""return [document.getElementById('legend-years').hidden,
        document.getElementById('legend-clusters').hidden,
        document.getElementById('btn-color-year').getAttribute('aria-pressed'),
        getComputedStyle(document.querySelector('#list li .dot')).backgroundColor]""")
    assert st[:3] == [False, True, "true"]
    r, g, b = (int(data["nodes"][0]["color"][k:k + 2], 16) for k in (1, 3, 5))
    assert st[3] == f"rgb({r}, {g}, {b})"        # the list's dots follow the colouring
    browser.find_element("id", "btn-color-cluster").click()
    assert _fills(browser) == {n["id"]: n["ccolor"] for n in data["nodes"]}
    assert _errors(browser) == []


@pytest.mark.browser
def test_browser_cluster_legend_click_highlights_and_filters(browser, cpage):
    m, data = cpage
    keys = browser.find_elements("css selector", "#cluster-list button")
    assert [k.text.rsplit("\n", 1)[0] for k in keys] == [c["label"] or f"Cluster {c['id'] + 1}"
                                                         for c in data["clusters"]]
    target = data["clusters"][1]
    members = {n["id"] for n in data["nodes"] if n["cluster"] == target["id"]}
    keys[1].click()
    assert wait_until(lambda: _state(browser)["cluster"], lambda c: c == target["id"]) == target["id"]
    assert _dimmed(browser) == {n["id"] for n in data["nodes"]} - members
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#list li .item-title')).map(t => t.textContent)")
    assert len(titles) == len(members) == target["size"]
    assert browser.find_element("id", "cluster-note").text.endswith(target["label"] or "")
    # the Prior list keeps the entries linked to the cluster's papers
    browser.find_element("id", "tab-prior").click()
    want = [p["title"] for p in data["prior"]
            if any(data["nodes"][i]["cluster"] == target["id"] for i in p["links"])]
    got = browser.execute_script(
        "return Array.from(document.querySelectorAll('#list li .item-title')).map(t => t.textContent)")
    assert sorted(got) == sorted(want) and 0 < len(want) < len(data["prior"])
    browser.find_element("id", "tab-map").click()
    keys = browser.find_elements("css selector", "#cluster-list button")
    keys[1].click()                                   # a second click clears it
    assert _state(browser)["cluster"] is None and _dimmed(browser) == set()
    assert len(browser.find_elements("css selector", "#list li .item-main")) == len(data["nodes"])


@pytest.mark.browser
def test_browser_cluster_shown_in_details_and_list(browser, cpage):
    m, data = cpage
    node = next(n for n in data["nodes"] if n["cluster"] is not None)
    label = next(c for c in data["clusters"] if c["id"] == node["cluster"])["label"]
    browser.execute_script("window.litmap.select(arguments[0])", node["id"])
    members = sum(n["cluster"] == node["cluster"] for n in data["nodes"])
    assert browser.find_element("id", "d-cluster").text == f"Cluster: {label} ({members} papers)"
    tags = browser.execute_script("return Array.from(document.querySelectorAll('#list li')).map(li => "
                                  "(li.querySelector('.cluster-tag') || {}).textContent || null)")
    assert tags[:3] == [next((c["label"] for c in data["clusters"] if c["id"] == n["cluster"]), None)
                        for n in data["nodes"][:3]]


@pytest.mark.browser
def test_browser_timeline_toggle_moves_every_node_and_back(browser, cpage):
    m, data = cpage

    def positions():  # vis truncates the positions it is first given to whole px
        return {k: (round(x), round(y)) for k, x, y in browser.execute_script(
            "var b = window.litmap.network.body.nodes; "
            "return window.litmap.nodes.getIds().map(k => [k, b[k].x, b[k].y])")}

    def near(got, key):
        return all(abs(got[n["id"]][0] - n[key[0]]) <= 1 and abs(got[n["id"]][1] - n[key[1]]) <= 1
                   for n in data["nodes"]) and len(got) == len(data["nodes"])
    assert near(positions(), ("x", "y"))
    browser.find_element("id", "btn-view-timeline").click()
    assert _state(browser)["view"] == "timeline"
    assert near(positions(), ("tx", "ty"))
    edge = browser.execute_script("var L = window.litmap; return L.network.body.edges['e0'].options.color.color")
    assert edge.startswith("rgba(") and float(edge.rstrip(")").split(",")[3]) <= 0.1   # edges kept faint
    inside = browser.execute_script("""var L = window.litmap, c = document.getElementById('graph');
        return L.nodes.getIds().every(id => { var p = L.network.canvasToDOM(L.network.getPosition(id));
            return p.x > 0 && p.y > 0 && p.x < c.clientWidth && p.y < c.clientHeight; })""")
    assert inside                                      # fitted to the new layout
    browser.find_element("id", "btn-view-map").click()
    assert near(positions(), ("x", "y"))
    colour = browser.execute_script("return window.litmap.network.body.edges['e0'].options.color.color")
    assert colour == data["edges"][0][4]
    assert _errors(browser) == []


@pytest.mark.browser
def test_browser_hover_and_click_on_a_list_entry_highlights_its_linked_papers(browser, cpage):
    from selenium.webdriver.common.action_chains import ActionChains  # inside: see test_render

    m, data = cpage
    for tab, key, verb in (("tab-prior", "prior", "Cited by"), ("tab-derivative", "derivative", "Cites")):
        browser.find_element("id", tab).click()
        row = data[key][1]
        linked = {data["nodes"][i]["id"] for i in row["links"]}
        item = browser.find_elements("css selector", "#list li")[1]
        ActionChains(browser, duration=0).move_to_element(item).perform()
        note = browser.find_element("id", "link-note")
        assert wait_until(note.is_displayed)
        assert note.text == f"{verb} {len(linked)} papers in this map: {row['title']}"
        assert _dimmed(browser) == {n["id"] for n in data["nodes"]} - linked
        ActionChains(browser, duration=0).move_to_element(browser.find_element("id", "map-title")).perform()
        assert wait_until(note.is_displayed, lambda shown: not shown) is False and _dimmed(browser) == set()
        item.find_element("css selector", ".item-main").click()   # a click keeps it highlighted
        # the mouse leaves the row: wait for the leave to be handled, then the click's highlight remains
        ActionChains(browser, duration=0).move_to_element(browser.find_element("id", "map-title")).perform()
        wait_until(lambda: browser.execute_script(
            "return document.querySelector('#list li:hover') === null"))
        assert _state(browser)["linked"] == row["id"] and note.is_displayed()
        assert _dimmed(browser) == {n["id"] for n in data["nodes"]} - linked
        browser.find_element("id", "details-close").click()
        assert _dimmed(browser) == set() and not note.is_displayed()
    assert _errors(browser) == []


def test_hostile_cluster_data_is_cleaned_or_dropped():
    m = clustered_map()
    m["clusters"] = [{"id": 0, "label": "<img src=x onerror=alert(1)>\u2028 x"}, {"id": "1"},
                     {"id": True}, {"id": -3}, "junk", {"id": 0, "label": "duplicate"}]
    m["nodes"][0]["cluster"], m["nodes"][1]["cluster"], m["nodes"][2]["cluster"] = 0, True, 99
    m["prior"][0]["links"] = [m["nodes"][3]["id"], None, 5, {"a": 1}, "nope", m["nodes"][3]["id"]]
    m["prior"][1]["links"] = "not a list"
    html = render_html(m, {})
    assert "<img" not in html.split('id="litmap-data">')[1].split("</script>")[0]
    data = payload(html)
    assert [c["id"] for c in data["clusters"]] == [0] and data["clusters"][0]["label"].startswith("<img")
    assert [n["cluster"] for n in data["nodes"][:3]] == [0, None, None]
    assert data["prior"][0]["links"] == [3] and data["prior"][1]["links"] == []


@pytest.mark.browser
def test_browser_hostile_cluster_label_is_text(browser, tmp_path):  # noqa: F811
    m = clustered_map()
    bad = '<img src=x onerror="window.__xss=1">'
    m["clusters"][0]["label"] = bad
    _open(browser, render_html(m, {}), tmp_path)
    text = browser.execute_script("return document.querySelector('#cluster-list .cluster-name').textContent")
    assert text == bad and browser.execute_script("return window.__xss || null") is None
    assert _errors(browser) == []


@pytest.mark.browser
def test_browser_timeline_labels_do_not_overlap(browser, cpage):
    browser.find_element("id", "btn-view-timeline").click()
    # vis updates a node's label box when it draws it: read them after the next frame
    browser.execute_async_script("var done = arguments[0], n = window.litmap.network; "
                                 "n.once('afterDrawing', function () { done(); }); n.redraw();")
    boxes = browser.execute_script("""var L = window.litmap; return L.nodes.getIds().map(id => {
        var b = L.network.getBoundingBox(id); return [b.left, b.top, b.right, b.bottom]; })""")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            assert min(a[2], b[2]) - max(a[0], b[0]) <= 0.5 or min(a[3], b[3]) - max(a[1], b[1]) <= 0.5, (i, j)
