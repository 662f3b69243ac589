"""The network path and the terminal, as a new user meets them: the key never follows a
redirect off the host, progress without a terminal, --open without a browser, long and
non-Latin seed strings."""

from __future__ import annotations

import json
import re
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import rich.console
from click.testing import CliRunner

from litmap import ids, s2
from litmap.cli import cli
from tests.conftest import send_gaps, timed_sends
from tests.fakeapi import SMALL, Corpus, FakeS2

KEY = "test-key-redirect-0123456789"


class _Recorder(BaseHTTPRequestHandler):
    seen: list = []
    location = ""

    def do_GET(self):  # noqa: N802
        type(self).seen.append((self.headers.get("Host"), self.headers.get("x-api-key")))
        if type(self).location:
            self.send_response(302)
            self.send_header("Location", type(self).location + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"data": [{"paperId": "a" * 40, "title": "T"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _server(location: str):
    handler = type("H", (_Recorder,), {"seen": [], "location": location})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, handler


def test_api_key_does_not_follow_a_redirect_to_another_host():
    target, got = _server("")
    # "localhost" and "127.0.0.1" are different hosts to a browser and to requests
    origin, first = _server(f"http://localhost:{target.server_port}")
    try:
        client = s2.Client(base_url=f"http://127.0.0.1:{origin.server_port}", api_key=KEY, rate=0)
        assert client.match_title("T", "title")["title"] == "T"
        assert first.seen[0][1] == KEY           # the API itself gets the key
        assert got.seen and got.seen[0][1] is None, got.seen
    finally:
        origin.shutdown()
        target.shutdown()



def test_progress_without_a_terminal_is_plain_timestamped_lines(api):
    result = CliRunner().invoke(cli, ["seed", SMALL["seed"]])
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    stamped = [line for line in lines if re.match(r"\d\d:\d\d:\d\d litmap: \S", line)]
    assert stamped and "requests" in stamped[-1], result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr  # no cursor tricks in a log
    # --quiet is silent
    quiet = CliRunner().invoke(cli, ["seed", SMALL["seed"], "-q", "-o", "q.html"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_open_without_a_browser_says_so(api, monkeypatch):
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)  # what it answers with no browser
    result = CliRunner().invoke(cli, ["seed", SMALL["seed"], "-q", "--open"])
    assert result.exit_code == 0
    assert "no web browser" in result.stderr and ".html" in result.stderr

    def fail(*a, **k):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "open", fail)
    result = CliRunner().invoke(cli, ["seed", SMALL["seed"], "-q", "--open"])
    assert result.exit_code == 0 and "no web browser" in result.stderr


def test_a_10kb_seed_string_is_cut_in_the_error():
    result = CliRunner().invoke(cli, ["seed", "x" * 10_000])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and len(line) < 600 and "10,000 characters" in line


@pytest.mark.parametrize("title", ["深層学習による画像認識", "Глубокое_обучение", "التعلم العميق"])
def test_a_non_latin_title_is_searched_as_a_title(title):
    assert ids.parse(title).kind == "title"
    assert ids.parse("2305.01610").kind == "arxiv"  # ids still read as ids


def test_a_non_latin_title_reaches_title_search(api):
    result = CliRunner().invoke(cli, ["seed", "深層学習による画像認識", "-q"])
    # the fake has no such paper: what matters is that it was looked up as a title
    assert result.exit_code == 1 and "not found" in result.stderr, result.stderr
    assert any("/paper/search/match" in e.get("path", "") for e in api.log), api.log[-3:]


def test_an_error_is_never_printed_into_a_live_spinner_line(tmp_path, monkeypatch):
    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: True))
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_RATE", "0")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["seed", SMALL["seed"]])  # the session's dead API URL
    assert result.exit_code == 1
    # What a terminal shows: carriage returns and cursor moves redraw the spinner line.
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", result.stderr).replace("\r", "\n")
    error = [line for line in screen.splitlines() if "litmap: error:" in line]
    assert error and all(line.startswith("litmap: error:") for line in error), repr(result.stderr)
    assert "requests ·" not in result.stderr.split("litmap: error:")[-1]


def test_default_pacing_is_never_throttled_by_a_strict_limiter(tmp_path, monkeypatch):
    # At the default 1 request/second (LITMAP_RATE unset) a cold run paces with a margin: its
    # requests leave more than 1 s apart, and a server that answers 429 to two requests
    # arriving 1 s apart (less 0.25 s it forgives: the scheduling of the fake's own threads on
    # a loaded machine; a client that does not pace is off by about a second) sees none.
    with FakeS2(Corpus.small()) as server, timed_sends() as sends:
        server.rate_limit(1.0, burst=1, tolerance=0.25)
        monkeypatch.setenv("LITMAP_API_URL", server.url)
        monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.delenv("LITMAP_RATE", raising=False)
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(cli, ["seed", SMALL["seed"], "-q"])
        assert result.exit_code == 0, result.stderr
        assert server.count >= 3 and server.violations == []
        assert [e["status"] for e in server.log].count(429) == 0
    assert min(send_gaps(sends)) >= 1.05, send_gaps(sends)  # a margin of 50 ms at least
