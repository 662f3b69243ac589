"""The map page at 1280 and 420 px (issue 23, point 6), driven in chromium like tests/test_render.py:
the legend folds and never covers a paper, timeline labels stay readable at 40 and 100 papers, a
tap on a phone keeps the zoom, no tooltip outlives the pointer, the tabs keep one row at 1280 px,
and the NEW ring shows on every cluster and year colour.  Geometry is read from the page itself
(getBoundingClientRect, vis's node boxes, the canvas pixels)."""
from __future__ import annotations

import pytest

from litmap.render import render_html
from tests.test_render import _errors, _open, _viewport, browser, make_bibtex, make_map  # noqa: F401
from tests.test_views import clustered_map
from tests.waits import wait_until

pytestmark = pytest.mark.browser


def _next_frame(drv) -> None:
    drv.execute_async_script("var done = arguments[0], n = window.litmap.network; "
                             "n.once('afterDrawing', function () { done(); }); n.redraw();")


def _node_boxes(drv) -> dict:
    """Each paper's disc and label as vis lays them out, in page pixels."""
    return drv.execute_script("""var L = window.litmap, n = L.network, g = document.getElementById('graph')
            .getBoundingClientRect(), out = {};
        L.nodes.getIds().forEach(id => { var b = n.getBoundingBox(id),
            a = n.canvasToDOM({x: b.left, y: b.top}), z = n.canvasToDOM({x: b.right, y: b.bottom});
            out[id] = [a.x + g.left, a.y + g.top, z.x + g.left, z.y + g.top]; });
        return out""")


def _centre(drv, pid: str) -> None:
    """Centre the view on a paper at zoom 1."""
    drv.execute_script("var n = window.litmap.network; "
                       "n.moveTo({position: n.getPosition(arguments[0]), scale: 1})", pid)


def _overlap(a, b, slack: float = 0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def _overlay_rects(drv) -> dict:
    return drv.execute_script("""function r(e) {
            var b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }
        return {legend: r(document.getElementById('legend')),
                tools: Array.from(document.getElementById('toolbar').children).map(r)}""")


# ----------------------------------------------------------------------------- legend
@pytest.mark.parametrize("width,height", [(1280, 800), (420, 860)])
def test_browser_legend_folds_and_covers_no_paper(browser, tmp_path, width, height):  # noqa: F811
    m = clustered_map(40)
    _open(browser, render_html(m, make_bibtex(m)), tmp_path, width, height)
    phone = width < 600
    for k in range(2):                                   # as it starts, then toggled (the map reframes)
        _next_frame(browser)
        rects, boxes = _overlay_rects(browser), _node_boxes(browser)
        covered = [pid for pid, box in boxes.items()
                   if _overlap(box, rects["legend"]) or any(_overlap(box, t) for t in rects["tools"])]
        assert covered == [], (width, k, f"{len(covered)} papers under the legend or the toolbar")
        toggle = browser.find_element("id", "legend-toggle")
        if k == 0:                                       # a phone starts folded
            assert toggle.get_attribute("aria-expanded") == ("false" if phone else "true")
        graph = browser.execute_script("var r = document.getElementById('graph').getBoundingClientRect();"
                                       "return [r.left, r.top, r.right, r.bottom]")
        assert all(b[0] >= graph[0] - 0.5 and b[2] <= graph[2] + 0.5 and b[1] >= graph[1] - 0.5
                   and b[3] <= graph[3] + 0.5 for b in boxes.values())            # and every paper in view
        folded = browser.execute_script("return document.getElementById('legend-body').hidden")
        assert folded == (toggle.get_attribute("aria-expanded") == "false")
        if folded:                                      # folded, it is one small button
            assert rects["legend"][3] - rects["legend"][1] < 40 and rects["legend"][2] - rects["legend"][0] < 120
        toggle.click()
    assert _errors(browser) == []


# ----------------------------------------------------------------------------- timeline labels
def _drawn_labels(drv) -> list[dict]:
    """Every label drawn on the timeline: the page's own (litmap.views.labels) and any vis draws."""
    return drv.execute_script("""var L = window.litmap, n = L.network, s = n.getScale(),
            g = document.getElementById('graph').getBoundingClientRect(), out = [];
        if (L.views.labels) out = L.views.labels();
        L.nodes.getIds().forEach(id => { var b = n.body.nodes[id], lm = b.labelModule, f = lm.fontOptions;
            var visible = !/rgba\\([^)]*,\\s*0\\)$/.test(f.color)
                && f.size * s >= b.options.scaling.label.drawThreshold - 1;
            if (!visible || !lm.size || !lm.size.width) return;
            var a = n.canvasToDOM({x: lm.size.left, y: lm.size.top}),
                z = n.canvasToDOM({x: lm.size.left + lm.size.width, y: lm.size.top + lm.size.height});
            out.push({id: id, px: f.size * s, left: a.x + g.left, top: a.y + g.top,
                      right: z.x + g.left, bottom: z.y + g.top}); });
        return out""")


def _discs(drv) -> dict:
    return drv.execute_script("""var L = window.litmap, n = L.network, g = document.getElementById('graph')
            .getBoundingClientRect(), s = n.getScale(), out = {};
        L.nodes.getIds().forEach(id => { var b = n.body.nodes[id], p = n.canvasToDOM({x: b.x, y: b.y}),
            r = b.options.size * s;
            out[id] = [p.x + g.left - r, p.y + g.top - r, p.x + g.left + r, p.y + g.top + r]; });
        return out""")


@pytest.mark.parametrize("n", [40, 100])
def test_browser_timeline_labels_are_readable(browser, tmp_path, n):  # noqa: F811
    m = clustered_map(n)
    _open(browser, render_html(m, make_bibtex(m)), tmp_path)
    browser.find_element("id", "btn-view-timeline").click()
    _next_frame(browser)
    labels, discs = _drawn_labels(browser), _discs(browser)
    box = lambda lab: (lab["left"], lab["top"], lab["right"], lab["bottom"])  # noqa: E731
    small = [lab for lab in labels if lab["px"] < 11]
    assert small == [], f"{len(small)} of {len(labels)} labels under 11 px, e.g. {small[0]['px']:.1f} px"
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert not _overlap(box(a), box(b)), (a, b)
        hit = [pid for pid, d in discs.items() if pid != a["id"] and _overlap(box(a), d, 1.0)]
        assert hit == [], (a, hit)                      # no label lies on another paper
    ids = {lab["id"] for lab in labels}
    assert m["nodes"][0]["id"] in ids                   # the seed is named
    assert len(ids) >= min(n, 40) * 0.6, (len(ids), n)  # and most papers are
    graph = browser.execute_script("var r = document.getElementById('graph').getBoundingClientRect();"
                                   "return [r.left, r.top, r.right, r.bottom]")
    assert all(lab["left"] >= graph[0] - 0.5 and lab["right"] <= graph[2] + 0.5 and lab["top"] >= graph[1] - 0.5
               and lab["bottom"] <= graph[3] + 0.5 for lab in labels)                  # in view, not cut
    # zooming in names more papers, at the same readable size
    browser.find_element("id", "btn-zoom-in").click()
    browser.find_element("id", "btn-zoom-in").click()
    _next_frame(browser)
    closer = _drawn_labels(browser)
    assert all(lab["px"] >= 11 for lab in closer)
    if len(ids) < n:
        assert {lab["id"] for lab in closer} - ids, "zooming in names no paper that was unnamed"
    assert _errors(browser) == []


# ----------------------------------------------------------------------------- phone tap
def test_browser_tap_on_a_phone_keeps_the_zoom(browser, tmp_path):  # noqa: F811
    m = clustered_map(40)
    path = tmp_path / "map.html"
    path.write_text(render_html(m, make_bibtex(m)), encoding="utf-8")
    phone = {"width": 420, "height": 860, "deviceScaleFactor": 1, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        browser.get(path.as_uri())
        assert wait_until(lambda: browser.execute_script("return !!(window.litmap && window.litmap.firstDraw)"))
        browser.find_element("id", "btn-zoom-in").click()     # the reader zooms in to reach a paper
        _next_frame(browser)
        scale = browser.execute_script("return window.litmap.network.getScale()")
        target = m["nodes"][1]["id"]
        x, y = browser.execute_script("""var n = window.litmap.network, p = n.canvasToDOM(n.getPosition(arguments[0])),
            r = document.getElementById('graph').getBoundingClientRect(); return [p.x + r.left, p.y + r.top]""", target)
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        assert wait_until(lambda: browser.execute_script("return window.litmap.network.getSelectedNodes()"),
                          lambda sel: sel == [target]) == [target]
        # the phone's address bar slides away (or the panel opening changes the page): the
        # graph's box changes height, as it does on a phone after a tap
        before = browser.execute_script("return document.getElementById('graph').clientHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", dict(phone, height=780))
        assert wait_until(lambda: browser.execute_script(
            "return window.litmap.network.canvas.frame.canvas.clientHeight"), lambda h: h != before) != before
        _next_frame(browser)
        st = browser.execute_script("""var n = window.litmap.network; return {scale: n.getScale(),
            sel: n.getSelectedNodes(), y: window.scrollY, tip: Array.from(document.querySelectorAll('div.vis-tooltip'))
            .some(t => getComputedStyle(t).display !== 'none' && t.style.visibility !== 'hidden')}""")
        assert st["sel"] == [target] and st["y"] == 0
        assert abs(st["scale"] - scale) < 1e-9, f"zoom went from {scale:.3f} to {st['scale']:.3f}"
        assert st["tip"] is False                               # a tap leaves no tooltip behind
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        _viewport(browser, 1280, 800)


# ----------------------------------------------------------------------------- tooltips
def _tip_shown(drv) -> bool:
    return drv.execute_script("""return Array.from(document.querySelectorAll('div.vis-tooltip'))
        .some(t => getComputedStyle(t).display !== 'none' && t.style.visibility !== 'hidden')""")


def test_browser_no_tooltip_stays_after_the_pointer_leaves(browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains  # inside: see test_render

    m = make_map(40)
    _open(browser, render_html(m, make_bibtex(m)), tmp_path)
    graph, away = browser.find_element("id", "graph"), browser.find_element("id", "map-title")
    delay = browser.execute_script("return window.litmap.network.interactionHandler.options.tooltipDelay")
    for k in (3, 9):
        _centre(browser, m["nodes"][k]["id"])
        _next_frame(browser)
        # shown, then the pointer leaves the map straight from the paper
        ActionChains(browser, duration=0).move_to_element_with_offset(graph, 0, 80).move_to_element(graph).perform()
        assert wait_until(lambda: _tip_shown(browser)) is True
        ActionChains(browser, duration=0).move_to_element(away).perform()
        assert wait_until(lambda: _tip_shown(browser), lambda shown: not shown) is False
        # leaving before the tooltip's delay: it must not appear afterwards.  The page's timer runs
        # before one set later for twice as long, so when that one fires the tooltip had its chance.
        ActionChains(browser, duration=0).move_to_element(graph).move_to_element(away).perform()
        browser.execute_async_script("setTimeout(arguments[1], 2 * arguments[0])", delay)
        assert _tip_shown(browser) is False
    assert _errors(browser) == []


# ----------------------------------------------------------------------------- tabs
def _library_map(n: int) -> dict:
    m = clustered_map(n)
    m["missing"] = [{"id": p["id"], "why": "cited by 2 of your papers"} for p in m["nodes"][10:]]
    m["library"] = {"entries": 120, "seeds": 10, "unlinked": [dict(p, paperId=p["id"] + "x", id=p["id"] + "x")
                                                              for p in m["prior"][:5]]}
    for p in m["nodes"][:10]:
        p["role"] = "seed"
    return m


def _tab_rows(drv) -> dict:
    return drv.execute_script("""var t = document.getElementById('tabs').getBoundingClientRect(),
            bs = Array.from(document.querySelectorAll('#tabs .tab'));
        return {tops: bs.map(b => Math.round(b.getBoundingClientRect().top)), right: t.right,
                rights: bs.map(b => b.getBoundingClientRect().right), text: bs.map(b => b.textContent),
                labels: bs.map(b => b.getAttribute('aria-label'))}""")


def test_browser_tabs_keep_one_row_at_1280(browser, tmp_path):  # noqa: F811
    m = _library_map(120)
    _open(browser, render_html(m, make_bibtex(m)), tmp_path)
    st = _tab_rows(browser)
    assert len(st["tops"]) == 5 and len(set(st["tops"])) == 1, st
    assert max(st["rights"]) <= st["right"], st
    box = browser.find_element("id", "search")                # a filter: "n of N" counts
    box.send_keys("deep learning")
    st = wait_until(lambda: _tab_rows(browser), lambda st: any(" of " in (lab or "") for lab in st["labels"]))
    assert len(set(st["tops"])) == 1, st
    assert any(" of " in lab for lab in st["labels"]), st     # a screen reader hears the full text
    assert [lab.split(" (")[0] for lab in st["labels"]] == ["Map", "Prior works", "Derivative works", "Missing",
                                                            "Your library"], st
    assert max(st["rights"]) <= st["right"], st
    # a map with the three usual tabs keeps their full names
    plain = clustered_map(40)
    _open(browser, render_html(plain, {}), tmp_path, name="plain.html")
    st = _tab_rows(browser)
    assert st["text"] == ["Map (40)", "Prior works (6)", "Derivative works (6)"] and len(set(st["tops"])) == 1
    assert _errors(browser) == []


# ----------------------------------------------------------------------------- NEW ring
NEW_RGB = (0x1A, 0x98, 0x50)


def _lum(c) -> float:
    def ch(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])


def _contrast(a, b) -> float:
    la, lb = sorted((_lum(a), _lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _ray_pixels(drv, pid: str, angle: float, reach: int = 14) -> list[tuple[int, int, int]]:
    """Canvas pixels from the disc's edge outwards (device pixel ratio 1)."""
    return drv.execute_script("""var n = window.litmap.network, id = arguments[0], a = arguments[1],
            reach = arguments[2];
        var c = document.querySelector('#graph canvas'), ctx = c.getContext('2d'), p = n.canvasToDOM(n.getPosition(id)),
            r = n.body.nodes[id].options.size * n.getScale(), out = [];
        for (var k = -2; k <= reach; k++) {
            var x = Math.round(p.x + Math.cos(a) * (r + k)), y = Math.round(p.y + Math.sin(a) * (r + k));
            var d = ctx.getImageData(x, y, 1, 1).data; out.push([d[0], d[1], d[2]]); }
        return out""", pid, angle, reach)


def _ring_contrast(pixels) -> float:
    """How the NEW ring stands out: the lower of its contrasts with what lies inside and outside it
    (0 when no pixel has the ring's colour)."""
    near = [i for i, px in enumerate(pixels) if sum((a - b) ** 2 for a, b in zip(px, NEW_RGB)) ** 0.5 < 40]
    if not near:
        return 0.0
    k0, k1 = near[0], near[0]
    while k1 + 1 in near:
        k1 += 1
    ring = pixels[(k0 + k1) // 2]
    inside = [pixels[i] for i in (k0 - 2, k0 - 1) if i >= 0]
    outside = [pixels[i] for i in (k1 + 1, k1 + 2) if i < len(pixels)]
    if not inside or not outside:
        return 0.0
    return min(max(_contrast(ring, px) for px in inside), max(_contrast(ring, px) for px in outside))


def test_browser_new_ring_shows_on_every_cluster_and_year_colour(browser, tmp_path):  # noqa: F811
    import math

    m = make_map(30)
    m["edges"] = []                                       # nothing crosses the rings
    m["clusters"] = [{"id": k, "label": f"topic {k}"} for k in range(10)]
    for i, p in enumerate(m["nodes"]):
        p["cluster"] = i % 10
        p["new"] = 10 <= i < 20                           # one new paper in each of the 10 clusters
    new = [p["id"] for p in m["nodes"][10:20]]
    _open(browser, render_html(m, {}), tmp_path)
    for mode in ("btn-color-cluster", "btn-color-year"):
        browser.find_element("id", mode).click()
        fills = set()
        for pid in new:
            _centre(browser, pid)
            _next_frame(browser)
            fills.add(browser.execute_script(
                "return window.litmap.network.body.nodes[arguments[0]].options.color.background", pid))
            rays = [_ring_contrast(_ray_pixels(browser, pid, k * math.pi / 4)) for k in range(8)]
            good = [c for c in rays if c >= 3]
            assert len(good) >= 5, (mode, pid, [round(c, 2) for c in rays])
        if mode == "btn-color-cluster":
            assert len(fills) == 10                       # every cluster colour was checked
    assert browser.execute_script("return document.getElementById('legend-new').hidden") is False  # keyed
    assert _errors(browser) == []
