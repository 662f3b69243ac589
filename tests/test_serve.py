"""Tests for `litmap serve` (litmap/serve/): who may ask (token, Host, Origin, upload cap), the
builds behind the pages (progress, Cancel, one crawl for two tabs, other pages answered during
a crawl, failures as the CLI's line), what the pages and downloads hold, and the command.

The server runs in this process (Server(...).start(), port 0) against the fake API or the
bundled sample; requests go through a `Visitor`, a session holding the cookie the token link
sets, as a browser's would. Tests marked `browser` are in tests/test_serve_browser.py.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

import litmap
from litmap import pipeline
from litmap.cli import cli
from litmap.serve import Server
from litmap.serve import app as serve_app
from litmap.settings import Settings
from tests.conftest import integrity
from tests.fakeapi import SMALL, Corpus
from tests.waits import PATIENCE, wait_until

ROOT = Path(__file__).resolve().parents[1]
PAGE_DATA = re.compile(r'<script type="application/json" id="litmap-page">(.*?)</script>', re.S)
ADDON = re.compile(r'<script type="application/json" id="litmap-addon">(.*?)</script>', re.S)
SEED_DOI = "10.1234/seed.2020"          # the small corpus's seed (tests/fakeapi.py)
MALDACENA = "hep-th/9711200"


class Visitor:
    """A browser's requests: the server's own Host, the cookie set by the token link."""

    def __init__(self, server: Server):
        self.base = f"http://127.0.0.1:{server.app.port}"
        self.session = requests.Session()
        first = self.session.get(server.url, allow_redirects=False, timeout=PATIENCE)
        assert first.status_code == 303 and first.headers["Location"] == "/", first.text

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, timeout=PATIENCE, **kw)

    def post(self, path: str, origin: str | None = "", **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if origin is not None:
            headers["Origin"] = origin or self.base
        return self.session.post(self.base + path, headers=headers, timeout=PATIENCE, **kw)


def page_data(r: requests.Response) -> dict:
    return json.loads(PAGE_DATA.search(r.text).group(1))


def open_map(v: Visitor, path: str, **kw) -> requests.Response:
    """A map page as a browser ends up with it: after the progress page, if the build took a while."""
    r = v.get(path, **kw)
    found = PAGE_DATA.search(r.text)
    if found and json.loads(found.group(1))["kind"] == "wait":
        job = json.loads(found.group(1))["job"]["id"]
        wait_until(lambda: v.get("/api/job?job=" + job).json()["state"], lambda state: state != "running")
        r = v.get(path, **kw)
    return r


@pytest.fixture
def serve():
    started: list[Server] = []

    def start(source: str | None = None, **kw) -> Server:
        server = Server(Settings.from_env(), source=source, port=0, **kw).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sample_env(monkeypatch, sample_index_cache, cache_dir):
    """The bundled sample's index built once per run; a fresh crawl cache."""
    monkeypatch.setenv("LITMAP_INDEX_DIR", str(sample_index_cache))
    return cache_dir


def running_job(server: Server):
    jobs = list(server.app.jobs.running.values())
    return jobs[0] if len(jobs) == 1 else None


# -- who may ask ---------------------------------------------------------------------------------

ROUTES = [("GET", "/"), ("GET", "/map?seed=10.1234/seed.2020"), ("GET", "/api/map?seed=10.1234/seed.2020"),
          ("GET", "/api/export?seed=10.1234/seed.2020&format=bibtex"), ("GET", "/api/page?seed=10.1234/seed.2020"),
          ("GET", "/api/maps"), ("GET", "/api/events?job=x"), ("GET", "/api/job?job=x"), ("GET", "/library/x"),
          ("POST", "/api/library?name=a.txt"), ("POST", "/api/jobs/x/cancel"), ("GET", "/no/such/page")]


def test_every_request_needs_the_token(fake_api, serve):
    server = serve()
    base = f"http://127.0.0.1:{server.app.port}"
    for method, path in ROUTES:
        for extra in ({}, {"params": {"token": "not-the-token"}},
                      {"headers": {"Cookie": f"{server.app.cookie}=not-the-token"}},
                      {"headers": {"Cookie": f"litmap-1={server.app.token}"}}):  # another port's cookie
            r = requests.request(method, base + path, data=b"x" if method == "POST" else None, timeout=PATIENCE,
                                 allow_redirects=False, **extra)
            assert r.status_code == 403, (method, path, extra, r.status_code)
            assert "token" in r.text and server.app.token not in r.text
    assert fake_api.count == 0                      # nothing behind a refused request ran
    # the link litmap serve prints: a cookie for this port, then the address without the token
    r = requests.get(server.url, allow_redirects=False, timeout=PATIENCE)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"litmap-{server.app.port}={server.app.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert Visitor(server).get("/").status_code == 200
    # the query parameter alone is enough for the machine-readable routes (no redirect there)
    r = requests.get(base + "/api/maps", params={"token": server.app.token}, timeout=PATIENCE)
    assert r.status_code == 200 and r.json() == {"maps": []}


def test_a_foreign_host_header_is_refused(fake_api, serve):
    server = serve()
    port = server.app.port
    v = Visitor(server)
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}",
                 f"127.0.0.2:{port}", ""):
        r = v.get("/", headers={"Host": host})
        assert r.status_code == 403 and "127.0.0.1 and localhost" in r.text, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):  # (the cookie is 127.0.0.1's)
        assert v.get("/api/maps", params={"token": server.app.token}, headers={"Host": host}).status_code == 200, host


def test_a_post_from_a_foreign_origin_is_refused(fake_api, serve):
    server = serve()
    v = Visitor(server)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Origin": f"http://127.0.0.1:{server.app.port + 1}"},
                    {"Sec-Fetch-Site": "cross-site"}):          # a browser's cross-site request, no Origin
        r = v.post("/api/library?name=refs.txt", origin=None, headers=dict(headers), data=SEED_DOI.encode())
        assert r.status_code == 403 and "another site" in r.text, headers
    assert not server.app.uploads
    # Cancel too: a foreign page cannot stop a crawl
    gate = fake_api.hold()
    page = page_data(v.get("/map?seed=" + SEED_DOI))
    assert page["kind"] == "wait"
    r = v.post(f"/api/jobs/{page['job']['id']}/cancel", origin="http://evil.example")
    assert r.status_code == 403 and not running_job(server).cancel_requested.is_set()
    r = v.post(f"/api/jobs/{page['job']['id']}/cancel")
    assert r.status_code == 202 and r.json()["cancelling"] is True
    gate.release()
    r = v.post("/api/library?name=refs.txt", data=SEED_DOI.encode())     # the app's own origin
    assert r.status_code == 201 and r.json()["url"].startswith("/library/")


def test_an_oversized_upload_is_413_with_what_is_accepted(fake_api, serve, monkeypatch):
    server = serve()
    v = Visitor(server)
    monkeypatch.setattr(serve_app, "UPLOAD_MAX", 1000)
    r = v.post("/api/library?name=refs.bib", data=b"%" * 5000)
    assert r.status_code == 413
    assert r.json()["error"] == ("the file is 5,000 bytes; litmap serve takes library files up to 1,000 bytes "
                                 "(for a bigger one: litmap seed --from FILE)")
    r = v.post("/api/library?name=refs.bib", data=iter([b"%" * 10]))        # chunked: no length given
    assert r.status_code == 411 and "Content-Length" in r.json()["error"]
    assert not server.app.uploads
    monkeypatch.undo()
    assert page_data(v.get("/"))["uploadMax"] == serve_app.UPLOAD_MAX == 10 * 10**6


def test_an_upload_is_read_in_memory_and_its_name_only_names_it(sample_env, serve):
    server = serve(source="sample")
    v = Visitor(server)
    ids = (ROOT / "tests" / "fixtures" / "library" / "hepth-ids.txt").read_bytes()
    r = v.post("/api/library?name=../../../etc/passwd", data=ids)   # a path names nothing here
    assert r.status_code == 201 and r.json()["entries"] == 10
    page = open_map(v, r.json()["url"])
    data = json.loads(ADDON.search(page.text).group(1))
    assert data["library"]["name"] == "passwd" and len(data["library"]["seeds"]) == 10 and data["missing"]
    assert "litmap-passwd" in page.text                               # the page's name: the upload's
    r = v.post("/api/library?name=refs.json", data=b'[{"id": "a", "DOI": "10.1/x"},\n {"id": ')
    assert r.status_code == 400 and r.json()["error"].startswith("refs.json: line 2") and "\n" not in r.json()["error"]
    r = v.get("/library/no-such-upload")
    assert r.status_code == 404 and "upload the file again" in page_data(r)["message"]


# -- builds: progress, Cancel, single flight, responsiveness, failures ----------------------------

def _events(v: Visitor, job_id: str, into: list) -> None:
    """The progress stream of a build, (event, data) pairs appended as they arrive."""
    with v.get(f"/api/events?job={job_id}", stream=True) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines(chunk_size=1, decode_unicode=True):   # each event as it comes
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                into.append((name, json.loads(line[6:])))
                if name != "progress":
                    return


def test_progress_arrives_during_a_cold_crawl_and_cancel_keeps_what_was_fetched(make_fake_api, sample_corpus, serve,
                                                                                 cache_dir, tmp_path):
    api = make_fake_api(sample_corpus, nested_cap=1000)     # nested lists cut as the live API cuts them
    reference = litmap.map(MALDACENA, cache_dir=tmp_path / "reference")
    assert reference.requests >= 10
    api.reset()
    start = api.hold(path="/paper/batch", times=1)   # the seed's look-up waits until the stream listens
    gate = api.hold(path="/paper/batch", after=1)    # then the neighbours' first batch call waits
    server = serve()
    v = Visitor(server)
    page = page_data(v.get("/map?seed=" + MALDACENA))
    assert page["kind"] == "wait" and page["job"]["state"] == "running"
    events: list = []
    stream = threading.Thread(target=_events, args=(v, page["job"]["id"], events), daemon=True)
    stream.start()
    wait_until(lambda: events, bool)
    start.release()
    wait_until(lambda: len(api.requests_to("/paper/batch")), lambda n: n == 2)   # held there
    made = api.count
    progress = wait_until(lambda: [d for name, d in events if name == "progress"],
                          lambda ds: bool(ds) and ds[-1]["requests"] == made)
    # (a stream sends the newest state: steps quicker than the stream are seen together)
    assert len(progress) >= 2 and progress[0]["requests"] < made == progress[-1]["requests"], progress
    assert [d["requests"] for d in progress] == sorted(d["requests"] for d in progress)
    planned = [d for d in progress if d["expected"] is not None]
    assert planned and all(d["expected"] >= d["requests"] for d in planned)
    assert made < planned[-1]["expected"] <= reference.requests + 2        # the plan is near the truth
    assert planned[-1]["seconds_left"] is not None and planned[-1]["papers"] > 0
    assert v.post(f"/api/jobs/{page['job']['id']}/cancel").status_code == 202
    sent = api.count                           # (a retry, on a machine slow enough for a timeout)
    gate.release()                             # the request under way is answered, and kept
    stream.join(PATIENCE)
    name, last = events[-1]
    assert name == "cancelled" and last["state"] == "cancelled" and "kept" in last["message"]
    assert api.count == sent                   # no request after Cancel
    assert integrity(cache_dir / "litmap.sqlite") == "ok"
    # what was fetched is kept: the map built now asks for less than a cold crawl, and is the same
    again = v.get("/api/map?seed=" + MALDACENA)
    assert again.status_code == 200
    assert api.count - sent < reference.requests <= api.count
    assert [n["id"] for n in again.json()["nodes"]] == [n["id"] for n in reference.data["nodes"]]
    assert integrity(cache_dir / "litmap.sqlite") == "ok"


def test_two_tabs_asking_for_one_map_start_one_crawl(fake_api, serve, tmp_path):
    reference = litmap.map(SEED_DOI, cache_dir=tmp_path / "reference")
    fake_api.reset()
    gate = fake_api.hold()
    server = serve()
    v = Visitor(server)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        tabs = [pool.submit(v.get, "/api/map?seed=" + form) for form in (SEED_DOI, "doi:" + SEED_DOI)]
        job = wait_until(lambda: running_job(server), lambda j: j is not None and j.watchers == 2)
        assert job is not None and job.watchers == 2 and len(server.app.jobs.known) == 1
        gate.release()
        answers = [t.result(PATIENCE) for t in tabs]
    assert [a.status_code for a in answers] == [200, 200] and answers[0].text == answers[1].text
    assert fake_api.count == reference.requests > 0      # one crawl's requests, not two


def test_other_pages_answer_during_a_crawl(fake_api, serve):
    server = serve()
    v = Visitor(server)
    assert v.get("/api/map?seed=" + MALDACENA).status_code == 200     # a map in the cache
    gate = fake_api.hold()                                           # the next crawl waits
    assert page_data(v.get("/map?seed=" + SMALL["lonely"]))["kind"] == "wait"
    job = running_job(server)
    assert page_data(v.get("/"))["kind"] == "home"
    cached = v.get("/map?seed=" + MALDACENA)      # a map in memory: no build, no wait
    assert cached.status_code == 200 and ADDON.search(cached.text)
    assert v.get(f"/api/export?seed={MALDACENA}&format=ris").status_code == 200
    assert v.get("/api/job?job=" + job.id).json()["state"] == "running"
    assert job.state == "running"                                    # all that while the crawl waited
    gate.release()
    assert job.wait(PATIENCE) and job.state == "failed"              # a paper nobody cites: nothing to map
    assert "no references or citations" in job.outcome.message


def _cli_error(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (1, 2), result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("litmap: error: ")
    return line[len("litmap: error: "):]


def test_a_failure_shows_the_cli_line_not_a_traceback(fake_api, serve, monkeypatch, capfd):
    server = serve()
    v = Visitor(server)
    for seed, status in (("10.9999/not.there", 404), ("2305.1", 400)):
        r = v.get("/map", params={"seed": seed})
        assert r.status_code == status and page_data(r)["kind"] == "error"
        assert page_data(r)["message"] == _cli_error(["seed", seed])
        assert "Traceback" not in r.text
        assert v.get("/api/map", params={"seed": seed}).json() == {"error": page_data(r)["message"]}
    r = v.get("/map", params={"seed": SEED_DOI, "nodes": "lots"})
    assert r.status_code == 400 and page_data(r)["message"] == "nodes must be a whole number, not 'lots'"
    r = v.get("/map", params={"seed": SEED_DOI, "nodes": "0"})
    assert r.status_code == 400 and page_data(r)["message"] == "nodes must be 1 to 2,000, not 0"

    def broken(*args, **kw):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "build_map", broken)
    r = v.get("/map", params={"seed": "10.1234/other"})
    assert r.status_code == 500 and "ZeroDivisionError" in page_data(r)["message"] and "Traceback" not in r.text
    assert "Traceback" in capfd.readouterr().err             # where it happened: in the terminal


def test_an_unreachable_api_is_the_cli_line(make_fake_api, serve):
    api = make_fake_api()
    server = serve()
    api.close()
    r = Visitor(server).get("/api/map", params={"seed": SEED_DOI})
    assert r.status_code == 502
    assert r.json()["error"].startswith(f"cannot reach {api.url} (connection failed)")
    assert r.json()["error"] == _cli_error(["seed", SEED_DOI])


# -- what the pages and downloads hold -----------------------------------------------------------

def test_download_this_page_and_the_exports_are_what_the_cli_writes(sample_env, serve, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["seed", MALDACENA, "--source", "sample", "-q"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "litmap-maldacena1997large.html"
    server = serve(source="sample")
    v = Visitor(server)
    r = v.get("/api/page?seed=" + MALDACENA)
    assert r.status_code == 200 and r.content == written.read_bytes()
    assert 'filename="litmap-maldacena1997large.html"' in r.headers["Content-Disposition"]
    # the app's page is that page plus the addon: its style, data and script before </body>, the
    # script's hash added to the same CSP
    app_page = open_map(v, "/map?seed=" + MALDACENA).text
    start, end = app_page.rindex("<style>/* litmap serve's bar"), app_page.rindex("</body>")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', app_page).group(1)
    addon_hash = re.findall(r"'sha256-[^']+'", policy)[-1]
    assert len(re.findall(r"'sha256-[^']+'", policy)) == 3
    assert (app_page[:start] + app_page[end:]).replace(" " + addon_hash, "", 1) == written.read_text()
    for fmt in ("bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"):
        for which in ("map", "prior"):
            cli_out = CliRunner().invoke(cli, ["export", MALDACENA, "--source", "sample", "--format", fmt,
                                               "--which", which])
            r = v.get("/api/export", params={"seed": MALDACENA, "format": fmt, "which": which})
            assert r.status_code == 200 and r.content == cli_out.stdout_bytes, (fmt, which)
    r = v.get("/api/export", params={"seed": MALDACENA, "format": "bibtex", "which": "prior"})
    assert 'filename="litmap-maldacena1997large-prior.bib"' in r.headers["Content-Disposition"]
    r = v.get("/api/export", params={"seed": MALDACENA, "format": "docx"})
    assert r.status_code == 400 and r.json()["error"].startswith("format must be one of bibtex")


def test_a_reload_of_a_cached_map_makes_no_request_and_home_lists_it(fake_api, serve):
    v = Visitor(serve())
    assert v.get("/api/map?seed=" + SEED_DOI).status_code == 200
    assert v.get("/api/map?seed=" + MALDACENA).status_code == 200
    made = fake_api.count
    fresh = Visitor(serve())                       # another server: nothing of the first in memory
    page = fresh.get("/map?seed=" + SEED_DOI)
    assert page.status_code == 200 and ADDON.search(page.text) and fake_api.count == made
    maps = page_data(fresh.get("/"))["maps"]
    assert [m["title"] for m in maps] == ["The Large N Limit of Superconformal Field Theories and Supergravity",
                                          "The Seed Paper on Literature Maps"]        # newest first
    assert maps[1]["url"] == "/map?seed=DOI%3A10.1234%2Fseed.2020" and maps[1]["papers"] >= 5
    assert fresh.get(maps[1]["url"]).status_code == 200 and fake_api.count == made


def test_a_read_only_cache_serves_its_maps_and_says_why_it_builds_no_new_one(fake_api, serve, cache_dir,
                                                                            monkeypatch):
    v = Visitor(serve())
    assert v.get("/api/map?seed=" + SEED_DOI).status_code == 200
    made = fake_api.count
    real_access = os.access     # a shared or archived cache: neither the folder nor the file writable
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if mode & os.W_OK and
                        str(p).startswith(str(cache_dir)) else real_access(p, mode, *a, **k))
    fresh = Visitor(serve())
    page = fresh.get("/map?seed=" + SEED_DOI)
    assert page.status_code == 200 and ADDON.search(page.text) and fake_api.count == made
    assert [m["title"] for m in page_data(fresh.get("/"))["maps"]] == ["The Seed Paper on Literature Maps"]
    assert fresh.get("/api/export", params={"seed": SEED_DOI, "format": "ris"}).text.startswith("TY  - ")
    r = open_map(fresh, "/map?seed=" + MALDACENA)
    assert r.status_code == 500 and page_data(r)["kind"] == "error" and "Traceback" not in r.text
    assert page_data(r)["message"] == (f"the cache {cache_dir} is read-only; maps already in it still work, to "
                                       "fetch more set LITMAP_CACHE_DIR to a writable directory")


def test_the_page_knows_which_given_id_names_which_seed(sample_env, serve):
    v = Visitor(serve(source="sample"))
    r = open_map(v, "/map", params=[("seed", MALDACENA), ("seed", "arXiv:hep-th/9802109"), ("nodes", "12")])
    data = json.loads(ADDON.search(r.text).group(1))
    m = litmap.map(MALDACENA, "arXiv:hep-th/9802109", source="sample", nodes=12)
    assert [s["given"] for s in data["seeds"]] == [MALDACENA, "arXiv:hep-th/9802109"]
    assert [s["id"] for s in data["seeds"]] == m.data["seeds"] and data["options"] == {"nodes": 12}
    # two forms of one paper: one seed, named by both
    both = litmap.map(MALDACENA, "CorpusId:9711200", source="sample", nodes=12)
    assert pipeline.seed_ids(both, [MALDACENA, "CorpusId:9711200"]) == both.data["seeds"] * 2
    assert pipeline.seed_ids(both, [MALDACENA, "hep-th/9802109"])[1] is None


# -- the command ---------------------------------------------------------------------------------

def _serve_process(*args: str, env: dict) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "litmap", "serve", "--port", "0", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, line


def test_litmap_serve_prints_the_link_binds_the_loopback_and_stops_on_ctrl_c(sample_index_cache, tmp_path):
    env = {**os.environ, "LITMAP_INDEX_DIR": str(sample_index_cache), "LITMAP_CACHE_DIR": str(tmp_path / "cache")}
    proc, line = _serve_process("--source", "sample", env=env)
    try:
        m = re.fullmatch(r"litmap serve: (http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{32,}))\n", line)
        assert m, line
        r = requests.get(m.group(1), timeout=PATIENCE)
        assert r.status_code == 200 and page_data(r)["source"].startswith("the bundled sample")
        assert requests.get(f"http://127.0.0.1:{m.group(2)}/", timeout=PATIENCE).status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0 and "stopped; everything fetched is kept in the cache" in err
    assert "warning" not in err
    server = Server(Settings.from_env(), port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_litmap_serve_warns_off_the_loopback_and_says_what_is_wrong(sample_index_cache, tmp_path):
    env = {**os.environ, "LITMAP_INDEX_DIR": str(sample_index_cache), "LITMAP_CACHE_DIR": str(tmp_path / "cache")}
    proc, line = _serve_process("--host", "0.0.0.0", env=env)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=PATIENCE)
    assert re.fullmatch(r"litmap serve: http://127\.0\.0\.1:\d+/\?token=\S+\n", line), line
    assert "warning: listening on 0.0.0.0, not only on this machine" in err
    busy = Server(Settings.from_env(), port=0)
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", str(busy.server_address[1])])
    finally:
        busy.server_close()
    assert result.exit_code == 1
    assert result.stderr == (f"litmap: error: port {busy.server_address[1]} is in use (another litmap serve?); "
                             "choose another with --port N, or --port 0 for any free port\n")
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--source", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.startswith(f"litmap: error: no dataset at {tmp_path}")


def test_titles_are_found_in_a_dataset(sample_env):
    m = litmap.map("Gauge Theory Correlators from Non-Critical String Theory", source="sample", nodes=5)
    assert m.seeds[0]["externalIds"]["ArXiv"] == "hep-th/9802109"
    with pytest.raises(litmap.NotFoundError, match="no paper titled 'A Title Nobody Ever Wrote About Anything' in "
                                                   "the bundled sample"):
        litmap.map("A Title Nobody Ever Wrote About Anything", source="sample", nodes=5)


def test_small_corpus_ids_are_what_these_tests_assume():
    c = Corpus.small()
    assert c.resolve("DOI:" + SEED_DOI) == SMALL["seed"] and c.resolve("arXiv:" + MALDACENA) == SMALL["maldacena"]
