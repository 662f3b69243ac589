"""`litmap serve` in Chromium (marked browser; driven as in tests/test_render.py): the walk a
researcher takes on the sample, a hostile corpus through every app page, and the progress
page's Cancel and Try again. Every wait is on a condition the page reports (waits.wait_until)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from litmap.dataset import arxiv_paper_id
from litmap.text import plain
from tests import guard, test_render, test_serve
from tests.fakeapi import SMALL, Corpus
from tests.test_render import XSS, _errors, _wait_download
from tests.test_serve import SEED_DOI
from tests.waits import wait_until

MALDACENA, GKP = arxiv_paper_id("hep-th/9711200"), arxiv_paper_id("hep-th/9802109")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# the fixtures of those modules, shared: one Chromium per module, servers stopped after each test
browser, serve, sample_env = test_render.browser, test_serve.serve, test_serve.sample_env


def _until(drv, script: str, *args):
    """Wait until the page's `script` (an expression) is truthy; its value."""
    got = wait_until(lambda: drv.execute_script("try { return " + script + "; } catch (e) { return null; }", *args))
    assert got, f"the page never satisfied {script}: {drv.current_url} {drv.get_log('browser')!r}"
    return got


def _map_of(drv, seeds: list[str]) -> None:
    """The map page of these seeds is drawn and its app addon ready (after the progress page, if any)."""
    _until(drv, "window.litmap.ready && window.litmap.firstDraw && window.litmap.app.ready && "
                "JSON.stringify(window.litmap.data.seeds) === arguments[0]", json.dumps(seeds, separators=(",", ":")))


def _click_node(drv, node_id: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains  # inside: see test_render

    drv.execute_script("var n = window.litmap.network; n.moveTo({position: n.getPosition(arguments[0]), scale: 1.0});",
                       node_id)
    ActionChains(drv, duration=0).move_to_element(drv.find_element("id", "graph")).click().perform()
    _until(drv, "window.litmap.app.selected === arguments[0]", node_id)


def _click_row(drv, paper_id: str) -> None:
    row = _until(drv, "Array.from(document.querySelectorAll('#list li')).find(li => li._paper && "
                      "li._paper.id === arguments[0]).querySelector('.item-main')", paper_id)
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    row.click()
    _until(drv, "window.litmap.app.selected === arguments[0]", paper_id)


def _bibtex_accepts(path: Path, work: Path) -> int:
    """Run bibtex (plain style, in `work`) over every entry of `path`; how many it formatted."""
    tool = guard.need_tool("bibtex", "apt-get install texlive-binaries")
    work.mkdir()
    (work / "refs.bib").write_bytes(path.read_bytes())
    (work / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    proc = subprocess.run([tool, "doc"], cwd=work, capture_output=True, text=True, timeout=120)
    blg = (work / "doc.blg").read_text(errors="replace")
    assert proc.returncode == 0 and "error message" not in blg and "Warning--" not in blg, proc.stdout + blg
    return (work / "doc.bbl").read_text(encoding="utf-8").count("\\bibitem{")


@pytest.mark.browser
def test_browser_walk_on_the_sample(browser, sample_env, serve, tmp_path):
    server = serve(source="sample")
    drv = browser
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": drv.downloads})
    drv.get(server.url)                                  # the printed link: cookie set, token dropped
    _until(drv, "window.litmapApp.ready && window.litmapApp.kind === 'home'")
    assert "token" not in drv.current_url
    drv.find_element("id", "seed").send_keys("hep-th/9711200")
    drv.find_element("id", "go").click()
    _map_of(drv, [MALDACENA])
    assert drv.execute_script("return location.pathname + location.search") == "/map?seed=hep-th%2F9711200"
    _click_node(drv, GKP)                                # Gubser-Klebanov-Polyakov, on the graph
    assert drv.find_element("id", "d-title").text == "Gauge Theory Correlators from Non-Critical String Theory"
    assert [b.text for b in drv.find_elements("css selector", "#litmap-actions button") if b.is_displayed()] == \
        ["Map this paper", "Add as seed"]
    drv.find_element("id", "lm-map-this").click()
    _map_of(drv, [GKP])
    drv.back()                                           # the first map again
    _map_of(drv, [MALDACENA])
    assert drv.execute_script("return location.search") == "?seed=hep-th%2F9711200"
    drv.forward()
    _map_of(drv, [GKP])
    _click_row(drv, MALDACENA)                           # Maldacena, from the list this time
    drv.find_element("id", "lm-add-seed").click()
    _map_of(drv, [GKP, MALDACENA])                       # a two-seed map
    assert drv.find_element("id", "map-title").text == "2 seed papers"
    assert len(drv.find_elements("css selector", "#litmap-bar .lm-chip")) == 2
    before = set(os.listdir(drv.downloads))
    drv.find_element("id", "lm-export-bibtex").click()
    bib = _wait_download(drv.downloads, before)
    assert bib.name.endswith(".bib") and bib.name.startswith("litmap-")
    entries = len(re.findall(r"^@", bib.read_text(encoding="utf-8"), re.M))
    assert entries == len(drv.execute_script("return window.litmap.data.nodes")) == 42
    assert _bibtex_accepts(bib, tmp_path / "bibtex") == entries
    ARTIFACTS.mkdir(exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / "serve-two-seeds-1280x800.png"))
    bib.unlink()
    drv.find_elements("css selector", "#litmap-bar .lm-chip .lm-x")[1].click()   # Remove seed: Maldacena's chip
    _map_of(drv, [GKP])
    assert _errors(drv) == []                            # no script error, no CSP report on any page


def _nothing_ran(drv) -> None:
    st = drv.execute_script("""return {xss: window.__xss, injected: document.querySelectorAll(
        'img, iframe, svg, b, style:not(head style):not(body > style), [onerror], [onload], [onmouseover], [onclick]'
        ).length}""")
    assert st["xss"] is None and st["injected"] == 0, st


@pytest.mark.browser
def test_browser_hostile_titles_run_no_script_on_any_app_page(browser, make_fake_api, serve):
    corpus = Corpus.small()
    for i, name in enumerate(("seed", "r1", "r2", "c1", "c2", "c3", "c4", "maldacena")):
        corpus.add_paper({"paperId": SMALL[name], "title": XSS[i % len(XSS)] + f" #{i}",
                          "authors": [{"authorId": None, "name": XSS[(i + 1) % len(XSS)]}],
                          "venue": XSS[(i + 2) % len(XSS)], "abstract": XSS[(i + 3) % len(XSS)]}, overwrite=True)
    make_fake_api(corpus)
    server = serve()
    drv = browser
    drv.get(server.url)
    _until(drv, "window.litmapApp.ready")
    drv.get(f"http://127.0.0.1:{server.app.port}/map?seed={SEED_DOI}")
    _map_of(drv, [SMALL["seed"]])
    _nothing_ran(drv)
    ids = drv.execute_script("return window.litmap.data.nodes.map(n => n.id)")
    for pid in ids:
        _click_node(drv, pid)
        assert drv.find_element("id", "lm-map-this").is_displayed()
        _nothing_ran(drv)
    assert drv.find_element("id", "map-title").text == plain(XSS[0] + " #0")
    drv.find_element("css selector", "#litmap-bar .lm-home").click()          # home: the hostile title listed
    _until(drv, "window.litmapApp.ready && document.querySelectorAll('#maps li').length === 1")
    assert drv.find_element("css selector", "#maps .map-link").text == plain(XSS[0] + " #0")
    _nothing_ran(drv)
    assert _errors(drv) == []
    search = drv.find_element("id", "seed")                                    # a hostile id: the failure page
    search.send_keys("<img/src=x/onerror=window.__xss=1>")
    drv.find_element("id", "go").click()
    _until(drv, "window.litmapApp.ready && window.litmapApp.kind === 'error'")
    assert "cannot read '<img/src=x/onerror=window.__xss=1>' as a paper id" in drv.find_element("id", "message").text
    _nothing_ran(drv)
    # the page's own 400 is logged as a failed load; nothing else is
    assert [e["message"] for e in _errors(drv) if "status of 400" not in e["message"]] == []


@pytest.mark.browser
def test_browser_progress_page_cancel_and_try_again(browser, fake_api, serve):
    server = serve()
    drv = browser
    drv.get(server.url)
    _until(drv, "window.litmapApp.ready")
    gate = fake_api.hold()                                   # the crawl's first request waits
    drv.get(f"http://127.0.0.1:{server.app.port}/map?seed={SEED_DOI}")
    _until(drv, "window.litmapApp.kind === 'wait' && window.litmapApp.events > 0")
    assert "1 request" in drv.find_element("id", "figures").text
    drv.find_element("id", "cancel").click()
    _until(drv, "document.getElementById('stage').textContent === 'Cancelling...'")
    gate.release()
    _until(drv, "window.litmapApp.state === 'cancelled'")
    assert drv.find_element("id", "message").text == "Cancelled: everything fetched so far is kept in the cache."
    assert not drv.find_element("id", "cancel").is_displayed()
    drv.find_element("id", "again").click()                  # goes on from the cache
    _map_of(drv, [SMALL["seed"]])
    assert _errors(drv) == []


@pytest.mark.browser
def test_browser_library_upload_and_the_actions_on_its_missing_list(browser, sample_env, serve, tmp_path):
    server = serve(source="sample")
    drv = browser
    drv.get(server.url)
    _until(drv, "window.litmapApp.ready")
    library = Path(__file__).parent / "fixtures" / "library" / "hepth-ids.txt"
    drv.find_element("id", "library").send_keys(str(library))       # read in memory by the server
    _until(drv, "window.litmap && window.litmap.ready && window.litmap.firstDraw && window.litmap.app.ready")
    assert drv.execute_script("return location.pathname").startswith("/library/")
    assert drv.find_element("id", "map-title").text == "Your library: 10 papers"
    drv.find_element("id", "tab-missing").click()
    first = _until(drv, "document.querySelector('#list li')._paper.id")
    _click_row(drv, first)
    assert drv.find_element("id", "lm-map-this").is_displayed() and drv.find_element("id", "lm-add-seed").is_displayed()
    drv.find_element("id", "lm-add-seed").click()                   # the library's papers and this one
    seeds = _until(drv, "window.litmap.app && window.litmap.app.ready && window.litmap.data.seeds.length === 11 "
                        "&& window.litmap.data.seeds")
    assert seeds[-1] == first
    drv.back()
    _until(drv, "window.litmap.app.ready && location.pathname.indexOf('/library/') === 0")
    assert _errors(drv) == []


@pytest.mark.browser
def test_browser_the_app_shows_a_new_papers_thin_evidence_note(browser, sample_env, serve):
    # main's evidence note (#map-note) on the app's map page, as on the page litmap seed writes
    server = serve(source="sample")
    drv = browser
    drv.get(server.url)
    _until(drv, "window.litmapApp.ready && window.litmapApp.kind === 'home'")
    drv.get(server.url.split("/?")[0] + "/map?seed=hep-th/0304271")    # nobody in the sample cites it
    _map_of(drv, [arxiv_paper_id("hep-th/0304271")])
    note = drv.find_element("id", "map-note")
    assert note.is_displayed()
    assert note.text == ("Thin evidence \u2014 no citing papers yet: ranked by its references and the papers "
                         "that share them.")
    drv.get(server.url.split("/?")[0] + "/map?seed=" + MALDACENA)
    _map_of(drv, [MALDACENA])
    assert not drv.find_element("id", "map-note").is_displayed()
    assert not _errors(drv)
