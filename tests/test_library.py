"""Library files as seeds (litmap/libfile.py, litmap/library.py) and map history
(litmap/history.py), through the CLI against the fake API and the bundled sample."""

from __future__ import annotations

import json
import os
import re
import select
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from litmap import history, libfile, store
from litmap.cli import cli
from tests.conftest import point_cli_at
from tests.fakeapi import SMALL, Corpus, FakeS2, paper_id
from tests.test_render import CHROMEDRIVER, CHROMIUM, _errors, _need_browser
from tests.waits import wait_until

FIX = Path(__file__).parent / "fixtures" / "library"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def calls(server, pattern):
    return len(server.requests_to(pattern))


# -- reading files ------------------------------------------------------------------------------

def test_hostile_bib_entries_and_their_ids():
    fmt, entries = libfile.read(FIX / "hostile.bib")
    assert fmt == "bibtex" and len(entries) == 10          # @string and @comment are not entries
    by = {e.label: e for e in entries}
    assert [str(r) for r in by["lovelace2020seed"].refs] == ["DOI:10.1234/seed.2020", "ARXIV:2001.00001"]
    assert [str(r) for r in by["lovelace2001"].refs] == ["DOI:10.1234/r1", "PMID:111111"]  # doi.org URL read
    assert [str(r) for r in by["maldacena1998"].refs] == ["ARXIV:hep-th/9711200"]          # from the url field
    assert by["lovelace2021mapping"].refs == []
    assert by["lovelace2021mapping"].title == "Mapping Science With Citation Graphs"
    assert by["mueller2022"].title.startswith("Über die Kartierung") and "für Rückblicke" in by["mueller2022"].title
    assert by["anonymous1999"].refs == [] and by["anonymous1999"].title is None
    assert by["badid2018"].refs == [] and by["badid2018"].problems == ["unreadable doi 'not a doi at all'"]
    assert by["price1965"].line == 36                      # where the entry starts


def test_zotero_csl_json():
    fmt, entries = libfile.read(FIX / "zotero.json")
    assert fmt == "csl-json"
    assert [e.label for e in entries][:2] == ["7XKQ2M4P", "B3N9WQ2E"]
    refs = [[str(r) for r in e.refs] for e in entries]
    # an arXiv DOI (10.48550) is looked up by its arXiv id, which S2 indexes
    assert refs == [["DOI:10.1234/seed.2020"], ["DOI:10.1126/science.149.3683.510"], ["ARXIV:1001.12345"],
                    ["PMID:111111"], [], []]


def test_ris_csv_and_list(tmp_path):
    ris = tmp_path / "lib.ris"
    ris.write_text("TY  - JOUR\nTI  - The Seed Paper\nDO  - 10.1234/seed.2020\nER  - \n\n"
                   "TY  - JOUR\nTI  - Foundations\nUR  - https://arxiv.org/abs/1001.12345\nER  - \n")
    fmt, entries = libfile.read(ris)
    assert fmt == "ris"
    assert [[str(r) for r in e.refs] for e in entries] == [["DOI:10.1234/seed.2020"], ["ARXIV:1001.12345"]]
    assert [e.line for e in entries] == [1, 6]
    csv_file = tmp_path / "lib.csv"
    csv_file.write_text('Title,DOI,Year\n"Seed, the paper",10.1234/seed.2020,2020\nNo id here,,2001\n')
    fmt, entries = libfile.read(csv_file)
    assert fmt == "csv" and [str(r) for r in entries[0].refs] == ["DOI:10.1234/seed.2020"]
    assert entries[0].line == 2 and entries[1].refs == [] and entries[1].title == "No id here"
    zotero_csv = tmp_path / "zotero.csv"      # Zotero's CSV export: a preprint has only its Url
    zotero_csv.write_text('"Key","Item Type","Publication Year","Author","Title","DOI","Url"\n'
                          '"ABCD1234","preprint","2010","Lovelace, Ada","A Survey","","http://arxiv.org/abs/1001.12345"\n')
    assert [str(r) for r in libfile.read(zotero_csv)[1][0].refs] == ["ARXIV:1001.12345"]
    ids = tmp_path / "ids"
    ids.write_text("# comment\n\n2001.00001\nPMID:111111\nnot-an-id\n")
    fmt, entries = libfile.read(ids)
    assert fmt == "list" and [e.line for e in entries] == [3, 4, 5]
    assert entries[2].problems == ["not an identifier litmap reads"]


@pytest.mark.parametrize("name, text, expected", [
    ("bad.bib", "@article{ok1, title={A}, doi={10.1/a}}\n\n@article{broken, title={Unclosed, doi={10.1/b}\n",
     "line 3: the BibTeX entry @article{broken, cannot be parsed"),
    ("bad.json", '[\n  {"id": "a",\n   "title": "x",,\n  }\n]', "line 3: not valid JSON"),
    ("bad.json", '{"not": "a list"}', "a CSL-JSON file is a list of items"),
    ("bad.csv", "Name,Year\nx,2020\n", "line 1: no DOI column"),
    ("bad.bib", "just some words, no entries", "no BibTeX entries found"),
    ("bad.txt", "\n# only a comment\n", "no entries found"),
])
def test_malformed_files_are_one_line_with_the_line(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(libfile.LibraryFileError) as info:
        libfile.read(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_malformed_file_at_the_cli_is_exit_2_without_traceback(api, tmp_path):
    (tmp_path / "bad.bib").write_text("@article{ok, title={A}, doi={10.1234/seed.2020}}\n@article{x, title={oops}\n")
    (tmp_path / "latin1.bib").write_bytes("@article{a, title={M\xfcller}}\n".encode("latin-1"))
    for name, expected in (("bad.bib", "line 2"), ("latin1.bib", "line 1: not UTF-8"), ("absent.bib", "cannot read")):
        result = run("seed", "--from", name)
        assert result.exit_code == 2, result.output
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert api.count == 0
    both = run("seed", SMALL["seed"], "--from", "bad.bib")
    assert both.exit_code == 2 and "not both" in both.stderr


# -- a library map against the fake API ---------------------------------------------------------

def test_seed_from_hostile_bib(api, tmp_path):
    result = run("seed", "--from", FIX / "hostile.bib", "--nodes", "5")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Library: 6 of 10 entries resolved" in out
    assert "duplicate of line 20" in out                                     # 10.1234/R1 = 10.1234/r1
    assert "not found on Semantic Scholar: DOI:10.9999/not.in.semantic.scholar" in out
    assert "no DOI, arXiv id, PMID, S2 id or title to look up" in out
    assert "unreadable doi 'not a doi at all'" in out
    assert "Missing from your library" in out and "of your papers" in out
    # ids in one batch call (500 per call), titles only for the two entries without an id
    batch_ids = [r["json"]["ids"] for r in api.requests_to(r"/paper/batch") if "title" in r["query"].get("fields", "")]
    assert batch_ids[0] == ["DOI:10.1234/seed.2020", "DOI:10.1234/r1", "DOI:10.1126/science.149.3683.510",
                            "ARXIV:hep-th/9711200", "DOI:10.9999/not.in.semantic.scholar"]
    assert calls(api, r"/paper/search/match") == 2
    data = json.loads((tmp_path / "litmap-hostile.json").read_text())
    assert sorted(data["seeds"]) == sorted(SMALL[n] for n in ("seed", "r1", "r4", "maldacena", "c1", "lonely"))
    lib = data["library"]
    assert lib["entries"] == 10 and lib["seeds"] == 6 and lib["suggestions"] == 5
    # "A Paper Nobody Cites" is tied to nothing: listed, not drawn
    assert [p["id"] for p in lib["unlinked"]] == [SMALL["lonely"]]
    assert SMALL["lonely"] not in {n["id"] for n in data["nodes"]}
    assert lib["drawn"] == 5 and sum(n["role"] == "seed" for n in data["nodes"]) == 5
    assert [m["id"] for m in data["missing"]] == [n["id"] for n in data["nodes"] if n["role"] == "related"]
    assert not set(data["seeds"]) & {m["id"] for m in data["missing"]}
    # evidence: r2 is cited by the seed, r1 and c1 (all three in the library)
    r2 = next(m for m in data["missing"] if m["id"] == SMALL["r2"])
    assert r2["evidence"]["cited_by"] == 3 and "cited by 3 of your papers" in r2["why"]
    assert "the map draws 5 of your papers and 5 suggestions" in result.stderr
    html = (tmp_path / "litmap-hostile.html").read_text()
    assert '"missing":' in html and "cited by 3 of your papers" in html
    # the second run resolves from the cache; only the unresolvable id is asked again
    before = api.count
    again = run("seed", "--from", FIX / "hostile.bib", "--nodes", "5", "-q")
    assert again.exit_code == 0
    assert api.count - before == 1 and calls(api, r"/paper/search/match") == 2


def test_seed_from_zotero_export(api, tmp_path):
    result = run("seed", "--from", FIX / "zotero.json", "--nodes", "4", "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "litmap-zotero.json").read_text())
    assert sorted(data["seeds"]) == sorted(SMALL[n] for n in ("seed", "r4", "r5", "r1", "c1"))
    assert data["library"]["unresolved"] == [{"line": None, "label": "M1N2B3V4",
                                              "reason": "no DOI, arXiv id, PMID, S2 id or title to look up"}]


def test_export_missing_writes_only_what_is_named(api, tmp_path):
    def files():  # what the user sees in the working directory (the cache lives in ./cache)
        return sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")

    before = files()
    result = run("export", "--from", FIX / "hostile.bib", "--which", "missing", "--format", "bibtex", "--nodes", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("@") == 5 and "Co-citation in Scientific Literature" in result.stdout
    assert files() == before                                               # nothing written
    target = tmp_path / "missing.bib"
    target.write_text("my own notes\n")
    result = run("export", "--from", FIX / "hostile.bib", "--which", "missing", "--format", "ris",
                 "--nodes", "5", "-o", target)
    assert result.exit_code == 0 and "my own notes" not in target.read_text()  # the named file, replaced
    assert target.read_text().count("TY  - ") == 5
    assert files() == sorted(before + ["missing.bib"])
    usage = run("export", SMALL["seed"], "--which", "missing")
    assert usage.exit_code == 2 and "--from" in usage.stderr


def test_hundred_entry_bib_request_count(tmp_path, monkeypatch):
    """100 library papers of a synthetic neighbourhood: 1 resolution call, then the crawl."""
    corpus = Corpus.synthetic(100, 300, 40)
    pids = sorted(corpus.papers)
    cited = [p for p in pids if corpus.citations(p)][:100]
    bib = "".join(f"@article{{p{i},\n  title = {{{corpus[p]['title']}}},\n"
                  f"  doi = {{{corpus[p]['externalIds']['DOI']}}},\n}}\n"
                  for i, p in enumerate(cited))
    (tmp_path / "lib.bib").write_text(bib)
    with FakeS2(corpus) as server:
        point_cli_at(server, tmp_path, monkeypatch)
        result = run("seed", "--from", "lib.bib", "-q")
        assert result.exit_code == 0, result.stderr
        resolution = [r for r in server.requests_to(r"/paper/batch")
                      if any(i.startswith("DOI:") for i in r["json"]["ids"])]
        assert len(resolution) == 1 and len(resolution[0]["json"]["ids"]) == 100
        total = server.count
        pages = calls(server, r"/(references|citations)")
        assert pages == 0            # 100 seeds' lists come in batch calls, not 2 x 100 paged calls
        assert total <= 12, [r["path"] for r in server.log]
        drawn = len(json.loads((tmp_path / "litmap-lib.json").read_text())["nodes"])
        assert f"({drawn} papers, {total} requests)" in result.stdout
        before = server.count
        assert run("seed", "--from", "lib.bib", "-q").exit_code == 0
        assert server.count == before                                      # all cached: no request
        print(f"100-entry .bib: {total} requests")


# -- what's new -----------------------------------------------------------------------------------

def _grow(corpus: Corpus) -> list[str]:
    """New papers citing the library: what a refresh a month later would find."""
    new = []
    for k in range(3):
        pid = paper_id(f"new{k}")
        corpus.add_paper({"paperId": pid, "title": f"A Fresh Look at Literature Maps, part {k + 1}", "year": 2026,
                          "publicationDate": f"2026-0{k + 1}-10",
                          "authors": [{"authorId": "9", "name": "Grace Hopper"}],
                          "externalIds": {"DOI": f"10.5555/new.{k}"}, "corpusId": 900 + k})
        for target in ("seed", "r1", "r4", "c1"):
            corpus.add_edge(pid, SMALL[target])
        new.append(pid)
    return new


def test_refresh_shows_what_is_new_and_keeps_it(api, tmp_path):
    args = ["seed", "--from", FIX / "hostile.bib", "--nodes", "6", "-o", "lib.html"]
    first = run(*args)
    assert first.exit_code == 0 and "first map of these seeds" in first.stderr
    cold = api.count
    new = _grow(api.corpus)
    cached = run(*args)                       # cached lists: the new papers are not seen
    assert "since" not in cached.stderr and api.corpus and not set(new) & {
        n["id"] for n in json.loads((tmp_path / "lib.json").read_text())["nodes"]}
    before = api.count
    fresh = run(*args, "--max-age", "0s")
    assert fresh.exit_code == 0, fresh.stderr
    data = json.loads((tmp_path / "lib.json").read_text())
    shown_new = [n["id"] for n in data["nodes"] if n.get("new")]
    assert shown_new and set(shown_new) <= set(new)
    ch = data["changes"]
    assert ch["new"] == shown_new or set(ch["new"]) == set(shown_new)
    assert len(ch["dropped"]) == len(shown_new)       # the map has a fixed size: as many left
    assert f"{len(ch['new'])} new, {len(ch['dropped'])} dropped" in fresh.stderr
    assert all(m.get("new") for m in data["missing"] if m["id"] in new)
    refresh_requests = api.count - before
    html = (tmp_path / "lib.html").read_text()
    assert '"isNew":true' in html and '"changes":' in html
    # the same map again (cached): the same badges, byte for byte
    again = run(*args)
    assert (tmp_path / "lib.html").read_text() == html and f"{len(ch['new'])} new" in again.stderr
    # --refresh: every list fetched again, never more requests than the cold run (which also
    # resolved the library and fetched details the cache now has)
    before = api.count
    assert run(*args, "--refresh").exit_code == 0
    assert 0 < api.count - before <= refresh_requests <= cold


def test_max_age_keeps_fresh_lists_and_since_filters(api, tmp_path):
    args = ["seed", "--from", FIX / "hostile.bib", "--nodes", "8", "-o", "lib.html", "-q"]
    assert run(*args).exit_code == 0
    before = api.count
    assert run(*args, "--max-age", "30d").exit_code == 0
    # nothing older than 30 days: the only request asks again for the id S2 did not know
    assert api.count == before + 1 and api.log[-1]["json"] == {"ids": ["DOI:10.9999/not.in.semantic.scholar"]}
    result = run(*args, "--since", "2021-06")
    assert result.exit_code == 0
    data = json.loads((tmp_path / "lib.json").read_text())
    related = [n for n in data["nodes"] if n["role"] == "related"]
    assert related and all(n["year"] > 2021 for n in related)
    assert all(m["year"] > 2021 for m in data["missing"]) and data["since"] == "2021-06-01"
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    for bad, word in ((["--since", "last week"], "not a date"), (["--max-age", "a month"], "not an age"),
                      (["--refresh", "--offline"], "--offline")):
        r = run(*args, *bad)
        assert r.exit_code == 2 and word in r.stderr


def test_plain_seed_maps_have_history_too(api, tmp_path):
    assert run("seed", SMALL["seed"], "-o", "m.html", "--nodes", "3").exit_code == 0
    _grow(api.corpus)
    result = run("seed", SMALL["seed"], "-o", "m.html", "--nodes", "3", "--refresh")
    assert result.exit_code == 0 and "new, " in result.stderr
    assert any(n.get("new") for n in json.loads((tmp_path / "m.json").read_text())["nodes"])


def test_history_is_bounded_and_ordered(tmp_path):
    with store.Store(tmp_path / "c.sqlite") as st:
        m = {"seeds": ["s"], "nodes": [{"id": "s", "role": "seed"}]}
        for k in range(13):
            nodes = m["nodes"] + [{"id": f"p{j}", "role": "related", "rank": j - k, "title": "t", "year": 2000}
                                  for j in range(k, k + 3)]
            out = history.track({**m, "nodes": nodes}, st, {"nodes": 3}, now=1_000_000 + k * 86400)
        versions = st.map_history(history.seedset_key(["s"], {"nodes": 3}))
        assert len(versions) == store.HISTORY_KEEP
        assert [v[0] for v in versions] == sorted((v[0] for v in versions), reverse=True)
        assert out["changes"]["new"] == ["p14"] and out["changes"]["dropped"][0]["id"] == "p11"
        assert out["changes"]["since"] == "1970-01-23"   # the version before: 1e6 s + 11 days


def test_old_cache_gains_the_history_table_and_keeps_its_data(tmp_path):
    path = tmp_path / "litmap.sqlite"
    with store.Store(path) as st:
        st.put_papers([{"paperId": "a" * 40, "title": "kept"}], full=True)
        st.put_answer([], [("a" * 40, "references", [("a" * 40, "b" * 40, None, None)], "complete", 1)])
    conn = sqlite3.connect(path)                  # what a cache from before this change looks like
    conn.execute("DROP TABLE map_history")
    conn.commit()
    conn.close()
    with store.Store(path) as st:
        assert st.get_papers(["a" * 40])["a" * 40]["title"] == "kept"
        assert st.list_status(["a" * 40], "references") == {"a" * 40: "complete"}
        assert st.map_history("x") == []
        st.stale_before = 4e9                     # a list older than the cut-off counts as absent
        assert st.list_status(["a" * 40], "references") == {}


# -- the bundled sample ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("library-sample-cache")


def test_seed_from_id_list_on_the_sample(sample_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(sample_cache))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    result = run("seed", "--from", FIX / "hepth-ids.txt", "--source", "sample", "--nodes", "20")
    assert result.exit_code == 0, result.stderr
    assert "Library: 10 of 10 entries resolved" in result.stdout and "0 requests" in result.stdout
    data = json.loads((tmp_path / "litmap-hepth-ids.json").read_text())
    assert len(data["seeds"]) == 10 and data["library"]["suggestions"] == 20
    assert data["missing"][0]["evidence"]["cocited"] >= 5


# -- the page in Chromium ---------------------------------------------------------------------

@pytest.mark.browser
def test_browser_missing_tab_new_badges_and_filter(api, tmp_path):
    _need_browser()
    args = ["seed", "--from", FIX / "hostile.bib", "--nodes", "6", "-o", "lib.html", "-q"]
    assert run(*args).exit_code == 0
    new = _grow(api.corpus)
    assert run(*args, "--refresh").exit_code == 0
    data = json.loads((tmp_path / "lib.json").read_text())
    fresh = [n for n in data["nodes"] if n.get("new")]
    assert fresh and {n["id"] for n in fresh} <= set(new)
    drv = _chrome(tmp_path / "chrome-profile")
    try:
        drv.get((tmp_path / "lib.html").as_uri())
        _wait(drv, "window.litmap && window.litmap.ready")
        tabs = drv.execute_script("return Array.from(document.querySelectorAll('.tab')).map(t => t.textContent)")
        assert tabs == ["Map (11)", "Prior works (%d)" % len(data["prior"]),
                        "Derivative works (%d)" % len(data["derivative"]), "Missing (6)", "Your library (6)"]
        sub = drv.find_element("id", "map-sub").text          # the diff summary, on the page
        assert f"{len(data['changes']['new'])} new since {data['changes']['since']}" in sub
        assert "5 of your papers drawn, 6 suggestions" in sub
        assert drv.find_element("id", "map-title").text == "Your library: 6 papers"
        # the Map list carries NEW badges on exactly the new papers
        badged = drv.execute_script("""return Array.from(document.querySelectorAll('#list li'))
            .filter(li => li.querySelector('.new-badge')).map(li => li.querySelector('.item-title').textContent)""")
        assert sorted(t.replace("NEW", "", 1) for t in badged) == sorted(n["title"] for n in fresh)
        # the "new since" filter narrows the list and dims the other nodes of the graph
        label = drv.find_element("id", "new-filter")
        assert label.is_displayed() and f"New since {data['changes']['since']} ({len(fresh)})" in label.text
        drv.find_element("id", "only-new").click()
        shown = drv.execute_script("return document.querySelectorAll('#list li .item-title').length")
        assert shown == len(fresh)
        assert drv.execute_script("return window.litmap.isDimmed(arguments[0])", data["seeds"][0]) is True
        assert drv.execute_script("return window.litmap.isDimmed(arguments[0])", fresh[0]["id"]) is False
        drv.find_element("id", "only-new").click()
        # the Missing tab: the suggestions with their evidence
        drv.find_element("id", "tab-missing").click()
        metas = drv.execute_script(
            "return Array.from(document.querySelectorAll('#list li .item-meta')).map(e => e.textContent)")
        assert len(metas) == 6 and all(m["why"] in meta for m, meta in zip(data["missing"], metas))
        assert any("of your papers" in meta for meta in metas)
        # Your library: the unlinked paper is listed with why it is not drawn
        drv.find_element("id", "tab-library").click()
        rows = drv.execute_script("return Array.from(document.querySelectorAll('#list li')).map(li => li.textContent)")
        assert any("A Paper Nobody Cites" in r and "not drawn" in r for r in rows)
        assert drv.execute_script("return window.litmap.nodes.get(arguments[0])", SMALL["lonely"]) is None
        assert _errors(drv) == []
    finally:
        drv.quit()


def _chrome(profile: Path):
    # selenium inside the browser test only: see test_render
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--window-size=1280,800",
                f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def _wait(drv, condition: str) -> None:
    if not wait_until(lambda: drv.execute_script("return !!(" + condition + ")")):
        raise AssertionError(f"page never satisfied {condition}: {drv.get_log('browser')!r}")


# -- hostile files: bounded reads, deep nesting, a FIFO (issue 24) -------------------------------

def test_endless_input_is_cut_at_the_cap_with_one_line(tmp_path, monkeypatch):
    # /dev/zero or <(yes) must not be read until the memory runs out.
    monkeypatch.setattr(libfile, "MAX_BYTES", 10**6)
    big = tmp_path / "big.bib"
    with open(big, "wb") as fh:
        fh.truncate(10**6 + 1)  # a regular file: refused by its size, nothing read
    for path in ("/dev/zero", big):
        with pytest.raises(libfile.LibraryFileError) as info:
            libfile.read(path)
        assert "more than 1 MB" in str(info.value) and "\n" not in str(info.value)
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)  # a pipe that never ends
    try:
        with pytest.raises(libfile.LibraryFileError, match="more than 1 MB"):
            libfile.read(f"/dev/fd/{yes.stdout.fileno()}")
    finally:
        yes.kill()
        yes.wait()
        yes.stdout.close()


def test_dev_zero_at_the_cli_is_exit_2_at_the_real_cap(tmp_path):
    env = {**os.environ, "LITMAP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "litmap", "seed", "--from", "/dev/zero", "-q"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("litmap: error: /dev/zero: more than 200 MB; litmap reads library files up to "
                                   "200 MB (is it the right file?)")


def test_a_fifo_without_a_writer_says_it_is_waiting(tmp_path):
    fifo = tmp_path / "refs.txt"
    os.mkfifo(fifo)
    env = {**os.environ, "LITMAP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "litmap", "seed", "--from", str(fifo), "--offline"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said, _, _ = select.select([proc.stderr], [], [], 30)
        assert said, "litmap waits on the FIFO without a word"
        line = proc.stderr.readline()
        assert f"waiting for something to write to {fifo} (a FIFO)" in line
        with open(fifo, "w") as fh:
            fh.write("# nothing but a comment\n")
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2 and "no entries found" in err


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '[{"id": "a", "title": "x", "note": ' + "[" * 100_000 + "]" * 100_000 + "}]"])
def test_deeply_nested_json_is_one_line_with_the_position(tmp_path, cache_dir, text):
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(libfile.LibraryFileError) as info:
        libfile.read(path)
    message = str(info.value)
    assert "nested more than 100 levels deep" in message and "\n" not in message
    assert re.search(r"line 1, column \d+", message)
    result = run("seed", "--from", path, "--offline")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
