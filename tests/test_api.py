"""The public API (litmap.map, litmap.library_map, Map, the error tree): docs/api.md runs as a
test, the Map's exports are the CLI's files byte for byte, and every error is the CLI's line."""

from __future__ import annotations

import datetime as dt
import doctest
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import litmap
from litmap import dataset
from litmap.cli import cli
from tests.fakeapi import SMALL
from tests.test_render import browser  # noqa: F401 (a fixture: headless Chromium)

ROOT = Path(__file__).resolve().parents[1]
SEED = "hep-th/9711200"
DONE_WHEN = ("import litmap, networkx; m = litmap.map('hep-th/9711200', source='sample'); assert "
             "isinstance(m.graph, networkx.Graph) and isinstance(m.citations, networkx.DiGraph); print(len(m.related))")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# -- docs/api.md -------------------------------------------------------------------------------


def test_the_examples_of_docs_api_md_run(on_sample):
    shutil.copy(ROOT / "tests" / "fixtures" / "library" / "hepth-ids.txt", on_sample / "reading-list.txt")
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False, report=True,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 25, result


def test_all_is_exactly_what_docs_api_md_documents():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = re.findall(r"^#+ `litmap\.(\w+)`", text, re.M)
    assert len(documented) == len(set(documented))
    assert sorted(documented) == sorted(litmap.__all__)
    for name in litmap.__all__:
        assert getattr(litmap, name).__doc__, name


def test_readme_from_python_example_runs(on_sample):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "litmap.map(" in code
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 (the project's own README)
    assert (on_sample / "litmap-maldacena1997large.bib").exists()


# -- the "done when" -------------------------------------------------------------------


def test_the_done_when_line_prints_40(on_sample):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", DONE_WHEN], capture_output=True, text=True, env=env,
                          cwd=on_sample, timeout=300)
    assert proc.returncode == 0 and proc.stdout == "40\n", proc.stderr


def test_map_exports_are_the_files_litmap_seed_writes(on_sample):
    assert run("seed", SEED, "--source", "sample", "-o", "cli/m.html", "-q").exit_code == 0
    m = litmap.map(SEED, source="sample")
    assert m.requests == 0 and len(m.related) == 40
    cli_dir = on_sample / "cli"
    assert m.to_bibtex() == (cli_dir / "m.bib").read_text(encoding="utf-8")
    assert m.to_json() == (cli_dir / "m.json").read_text(encoding="utf-8")
    assert m.to_html(name="m") == (cli_dir / "m.html").read_text(encoding="utf-8")
    paths = m.save(on_sample / "api" / "m.html")
    for path in paths:
        assert path.read_bytes() == (cli_dir / path.name).read_bytes(), path
    assert [p.name for p in m.save("saved")] == ["saved.html", "saved.bib", "saved.json"]
    for fmt in ("ris", "csl-json", "csv", "graphml", "gexf"):
        for which in ("map", "all"):
            result = run("export", SEED, "--source", "sample", "--format", fmt, "--which", which)
            assert result.stdout_bytes.decode() == m.export(fmt, which), (fmt, which)  # RIS: CRLF kept
    assert run("export", SEED, "--source", "sample", "--which", "prior").stdout == m.to_bibtex("prior")
    with pytest.raises(litmap.UsageError, match="library map"):
        m.to_bibtex("missing")


def test_repr_html_holds_the_page_and_loads_nothing(on_sample):
    m = litmap.map(SEED, source="sample", nodes=10)
    shown = m._repr_html_()
    assert shown.startswith("<iframe ") and shown.endswith("></iframe>") and "sandbox=" in shown
    srcdoc = re.fullmatch(r'<iframe [^>]*srcdoc="([^"]*)"></iframe>', shown).group(1)
    page = html.unescape(srcdoc)
    assert page == m.to_html()
    assert "default-src 'none'" in page and "connect-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", page, re.I)  # all inline
    data = json.loads(re.search(r'<script type="application/json" id="litmap-data">(.*?)</script>', page).group(1))
    assert {n["id"] for n in data["nodes"]} == {n["id"] for n in m.data["nodes"]}


@pytest.mark.browser
def test_repr_html_shows_the_interactive_map_inline(on_sample, browser):  # noqa: F811 (the fixture)
    """The iframe as Jupyter puts it into a notebook: the map draws inside it, offline, with no
    request, no error and no CSP report; its .bib download is named after the map."""
    m = litmap.map(SEED, source="sample", nodes=12)
    host = on_sample / "notebook.html"
    host.write_text(f"<!DOCTYPE html><html><body><h1>Out[1]:</h1>{m._repr_html_()}</body></html>", encoding="utf-8")
    browser.get(host.as_uri())
    browser.switch_to.frame(browser.find_element("css selector", "iframe"))
    try:
        for _ in range(300):
            if browser.execute_script("return !!(window.litmap && window.litmap.ready && window.litmap.firstDraw)"):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the map did not draw: {browser.get_log('browser')}")
        assert browser.execute_script("return window.litmap.nodes.length") == len(m.data["nodes"]) == 13
        assert browser.execute_script("return window.litmap.bibName()") == "litmap-maldacena1997large.bib"
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
        problems = [e for e in browser.get_log("browser")
                    if e["level"] in ("SEVERE", "ERROR") or "Content Security Policy" in e["message"]]
        assert not problems, problems
    finally:
        browser.switch_to.default_content()


def test_graphs_hold_the_map(on_sample, sample_index_cache):
    m = litmap.map(SEED, source="sample")
    assert set(m.graph) == {n["id"] for n in m.data["nodes"]}
    assert {tuple(sorted(e)) for e in m.graph.edges} == {(e["source"], e["target"]) for e in m.data["edges"]}
    assert all(m.graph.edges[e["source"], e["target"]]["weight"] == e["weight"] for e in m.data["edges"])
    seed = m.seeds[0]["id"]
    assert m.graph.nodes[seed]["role"] == "seed" and m.graph.nodes[seed]["year"] == 1997
    listed = {p["id"]: p for p in m.data["nodes"] + m.prior + m.derivative}
    assert set(m.citations) == set(listed) == set(m.papers)
    assert {m.citations.nodes[p["id"]]["role"] for p in m.prior} == {"prior"}
    # every edge is a citation of the dataset, and every citation from or to a drawn paper (the
    # crawl has their whole lists) is an edge
    with dataset.dataset_store("sample", sample_index_cache) as st:
        true = {(a, b) for a, b in st.list_edges(sorted(listed), "references") if b in listed and a != b}
    drawn = {n["id"] for n in m.data["nodes"]}
    assert set(m.citations.edges) <= true
    assert {(a, b) for a, b in true if a in drawn or b in drawn} <= set(m.citations.edges)
    assert m.citations.number_of_edges() > 2 * len(drawn)
    for p in m.prior:
        assert {a for a, _ in m.citations.in_edges(p["id"]) if a in drawn} == set(p["links"])
    for d in m.derivative:
        assert {b for _, b in m.citations.out_edges(d["id"]) if b in drawn} == set(d["links"])


# -- errors: the CLI's line --------------------------------------------------------------------


def _dead_api(tmp_path, monkeypatch):
    monkeypatch.setenv("LITMAP_API_URL", "http://127.0.0.1:9")


def _bad_key(api, monkeypatch):
    api.required_key = "the-right-key"
    monkeypatch.setenv("S2_API_KEY", "a-wrong-key")


def _damaged_cache(tmp_path, monkeypatch):
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "cache" / "litmap.sqlite").write_bytes(b"garbage" * 1000)


def _broken_bib(tmp_path, monkeypatch):
    (tmp_path / "refs.bib").write_text("@article{x,\n  title = {unclosed\n")


ERRORS = [  # (CLI arguments, litmap.map / library_map arguments, class, exit code, set-up)
    (["2305.1"], (("2305.1",), {}), litmap.InvalidIdError, 2, None),
    (["not an id"], (("not an id",), {}), litmap.NotFoundError, 1, None),
    (["CorpusId:77777777"], (("CorpusId:77777777",), {}), litmap.NotFoundError, 1, None),
    ([SMALL["lonely"]], ((SMALL["lonely"],), {}), litmap.NoNeighbourhoodError, 1, None),
    ([SEED, "--source", "sample", "--offline"], ((SEED,), {"source": "sample", "offline": True}),
     litmap.UsageError, 2, None),
    ([SMALL["seed"], "--offline", "--refresh"], ((SMALL["seed"],), {"offline": True, "refresh": True}),
     litmap.UsageError, 2, None),
    ([SMALL["seed"], "--since", "yesterday"], ((SMALL["seed"],), {"since": "yesterday"}), litmap.UsageError, 2, None),
    ([SMALL["seed"], "--max-age", "soon"], ((SMALL["seed"],), {"max_age": "soon"}), litmap.UsageError, 2, None),
    ([SEED, "--source", "nowhere"], ((SEED,), {"source": "nowhere"}), litmap.DatasetError, 1, None),
    (["2305.01610"], (("2305.01610",), {}), litmap.ApiUnreachableError, 1, _dead_api),
    ([SMALL["seed"]], ((SMALL["seed"],), {}), litmap.KeyRejectedError, 1, _bad_key),
    ([SMALL["seed"]], ((SMALL["seed"],), {}), litmap.StorageError, 1, _damaged_cache),
    (["--from", "refs.bib"], (("refs.bib",), {}), litmap.LibraryFileError, 2, _broken_bib),
]


@pytest.mark.parametrize("argv, call, cls, code, setup", ERRORS,
                         ids=[f"{e[2].__name__}-{i}" for i, e in enumerate(ERRORS)])
def test_every_error_is_the_line_the_cli_prints(api, tmp_path, monkeypatch, argv, call, cls, code, setup):
    if setup is _bad_key:
        setup(api, monkeypatch)
    elif setup is not None:
        setup(tmp_path, monkeypatch)
    result = run("seed", "-q", *argv)
    args, kwargs = call
    function = litmap.library_map if argv[0] == "--from" else litmap.map
    with pytest.raises(cls) as info:
        function(*args, **kwargs)
    assert result.exit_code == code == (2 if info.value.usage else 1)
    assert result.stderr == f"litmap: error: {info.value.message}\n"
    assert isinstance(info.value, litmap.LitmapError) and "\n" not in info.value.message


def test_the_api_checks_its_arguments_as_the_cli_does(api):
    with pytest.raises(litmap.UsageError, match="at least one seed"):
        litmap.map()
    with pytest.raises(litmap.UsageError, match="nodes must be 1 to 2,000, not 0"):
        litmap.map(SMALL["seed"], nodes=0)
    with pytest.raises(litmap.SettingsError, match="the rate must be requests per second"):
        litmap.map(SMALL["seed"], rate=-1)
    assert api.count == 0


# -- options, progress, cancel, threads ---------------------------------------------------------


def test_options_as_python_values(api, tmp_path):
    cold = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "mine")
    assert cold.requests > 0 and (tmp_path / "mine" / "litmap.sqlite").exists()
    warm = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "mine", max_age=dt.timedelta(days=1))
    assert warm.requests == 0 and warm.to_json() == cold.to_json()
    recent = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "mine", since=dt.date(2015, 1, 1))
    assert recent.data["since"] == "2015-01-01" and all((p["year"] or 0) >= 2015 for p in recent.related)
    again = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "mine", refresh=True)
    assert 0 < again.requests <= cold.requests


def test_progress_reports_and_cancel_keeps_what_was_fetched(api, tmp_path):
    events: list[litmap.Progress] = []
    full = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "reference", progress=events.append)
    assert events and events[-1].requests == full.requests and all(isinstance(e, litmap.Progress) for e in events)
    assert [e.requests for e in events] == sorted(e.requests for e in events)

    def stop_at_the_third_request(event: litmap.Progress) -> None:
        if event.requests >= 3:
            raise litmap.Cancelled("cancelled")

    with pytest.raises(litmap.Cancelled):
        litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "c", progress=stop_at_the_third_request)
    with sqlite3.connect(tmp_path / "c" / "litmap.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM lists").fetchone()[0] > 0  # the first answers are kept
    resumed = litmap.map(SMALL["seed"], nodes=5, cache_dir=tmp_path / "c")
    assert resumed.to_json() == full.to_json() and resumed.requests == full.requests - 2


def test_maps_built_side_by_side_in_threads(on_sample):
    seeds = ["hep-th/9711200", "hep-th/9802109", "hep-th/9802150"]
    alone = {s: litmap.map(s, source="sample", nodes=8, cache_dir=on_sample / "alone").to_json() for s in seeds}
    out: dict[str, str] = {}
    failures: list[BaseException] = []

    def build(s: str) -> None:
        try:
            out[s] = litmap.map(s, source="sample", nodes=8, cache_dir=on_sample / "shared").to_json()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=build, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and out == alone


def test_library_map_from_python_matches_the_cli(on_sample):
    reading = ROOT / "tests" / "fixtures" / "library" / "hepth-ids.txt"
    assert run("seed", "--from", reading, "--source", "sample", "--nodes", "20", "-q").exit_code == 0
    m = litmap.library_map(reading, source="sample", nodes=20)
    assert m.stem == "litmap-hepth-ids" and len(m.resolutions) == 10 and len(m.missing) == 20
    assert m.to_bibtex() == (on_sample / "litmap-hepth-ids.bib").read_text(encoding="utf-8")
    assert m.to_bibtex("missing") == run("export", "--from", reading, "--source", "sample", "--nodes", "20",
                                         "--which", "missing").stdout
    assert {s["id"] for s in m.seeds} == set(m.data["seeds"])


def test_import_litmap_loads_no_heavy_library():
    code = ("import sys, litmap; print(sorted(m for m in ('networkx', 'scipy', 'numpy', 'requests', 'rich', "
            "'pylatexenc', 'duckdb') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout == "[]\n", proc.stdout + proc.stderr


def test_the_cli_is_a_thin_layer_over_the_public_api():
    """Issue #18's shape: the CLI parses, prints and picks exit codes (tables in litmap/terminal.py);
    it reaches the library only through `litmap`, its pipeline and the cache's housekeeping, never a
    crawl or a store."""
    source = (ROOT / "litmap" / "cli.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 300
    imported = set(re.findall(r"^\s*(?:from|import) (litmap[\w.]*)", source, flags=re.MULTILINE))
    assert imported <= {"litmap", "litmap.terminal", "litmap.settings", "litmap.serve"}, imported
    reached = set(re.findall(r"\blitmap\.(\w+)\.", source))
    assert reached <= {"pipeline", "housekeeping"}, reached
