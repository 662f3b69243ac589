"""The HTTP client against the fake API: retries, pacing, pagination, typed errors, the key."""

import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from litmap import pacing, s2, store
from litmap.store import Store
from tests.fakeapi import SMALL, Corpus, FakeS2

SEED = SMALL["seed"]


class Sleeps(list):
    """A sleep that records instead of waiting, so backoff is checked without slow tests."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def api():
    with FakeS2(Corpus.small()) as server:
        yield server


def client_for(api, **kw):
    kw.setdefault("rate", 0)
    kw.setdefault("sleep", Sleeps())
    return s2.Client(base_url=api.url, **kw)


def test_key_is_sent_as_header_and_only_there(api):
    api.required_key = "sekrit-key-123"
    client = client_for(api, api_key="sekrit-key-123")
    assert client.batch([SEED], "title")[0]["title"] == "The Seed Paper on Literature Maps"
    entry = api.log[-1]
    assert entry["headers"]["x-api-key"] == "sekrit-key-123"
    assert "sekrit" not in entry["path"] + str(entry["query"])


def test_key_from_environment(api, monkeypatch):
    monkeypatch.setenv("S2_API_KEY", "env-key")
    client_for(api).batch([SEED], "title")[0]
    assert api.log[-1]["headers"]["x-api-key"] == "env-key"


def test_no_key_no_header(api, monkeypatch):
    monkeypatch.delenv("S2_API_KEY", raising=False)
    client_for(api).batch([SEED], "title")[0]
    assert "x-api-key" not in api.log[-1]["headers"]


def test_rejected_key_is_one_clear_error_without_the_key(api):
    api.required_key = "right"
    with pytest.raises(s2.KeyRejected) as info:
        client_for(api, api_key="wrong-key-xyz").batch([SEED], "title")[0]
    assert "rejected" in str(info.value) and "wrong-key-xyz" not in str(info.value)
    assert api.count == 1  # a 403 is not retried


def test_not_found_and_bad_request_are_typed_and_not_retried(api):
    client = client_for(api)
    with pytest.raises(s2.NotFound, match="not found"):
        client.references("CorpusId:999999999", "title")
    with pytest.raises(s2.BadRequest, match="Unrecognized or unsupported fields"):
        client.batch([SEED], "title,unknown")
    assert api.count == 2


def test_batch_chunks_of_500_keep_order_and_nulls(api):
    ids = [SMALL["r1"], "CorpusId:1", SMALL["r2"]] * 400  # 1200 ids -> 3 calls
    client = client_for(api)
    answer = client.batch(ids, "title")
    assert len(answer) == 1200 and api.count == 3
    assert all(len(r["json"]["ids"]) <= 500 for r in api.log)
    assert answer[0]["title"] == "Citation Analysis Foundations" and answer[1] is None
    assert answer[2]["paperId"] == SMALL["r2"] and answer[-1]["paperId"] == SMALL["r2"]


def test_merged_paper_answers_with_its_new_id(api):
    (answer,) = client_for(api).batch([SMALL["merged-old"]], "title")
    assert answer["paperId"] == SMALL["r5"]


def test_pagination_follows_next_and_keeps_unresolved(api):
    client = client_for(api)
    items, truncated = client.citations(SEED, "title", limit=2)
    assert not truncated and len(items) == 6 and api.count == 3
    assert [r["query"]["offset"] for r in api.log] == ["0", "2", "4"]
    refs, truncated = client.references(SEED, "title,isInfluential,intents")
    edges, unresolved = s2.edges_from_items(SEED, "references", refs)
    assert unresolved == 1 and len(edges) == 6 and not truncated
    assert (SEED, SMALL["r1"], True, '["background"]') in edges


def test_offset_cap_stops_cleanly_and_reports_truncation(api, monkeypatch):
    monkeypatch.setattr(s2, "OFFSET_CAP", 4)  # the live cap is 10,000; same logic, smaller list
    api.list_window = 5
    items, truncated = client_for(api).citations(SEED, "title", limit=2)
    assert truncated and len(items) == 4
    assert all(int(r["query"]["offset"]) + int(r["query"]["limit"]) < 5 for r in api.log)


def test_429_with_retry_after_is_honoured(api):
    api.throttle(times=2, retry_after=7)
    sleeps = Sleeps()
    client = client_for(api, sleep=sleeps)
    assert client.batch([SEED], "title")[0]["paperId"] == SEED
    assert [e["status"] for e in api.log] == [429, 429, 200]
    assert sum(1 for s in sleeps if 6.5 <= s <= 7.0) == 2


def test_429_without_retry_after_backs_off_exponentially_with_jitter(api):
    api.throttle(times=4)
    sleeps = Sleeps()
    client = client_for(api, sleep=sleeps, backoff=1.0)
    client.batch([SEED], "title")[0]
    assert len(sleeps) == 4
    for attempt, wait in enumerate(sleeps):
        base = 2.0**attempt
        assert base / 2 <= wait <= base + 0.01
    assert len(set(round(s, 6) for s in sleeps)) == 4


@pytest.mark.parametrize("attempt", [0, 1, 3, 6, 9])
def test_backoff_jitter_is_spread_evenly_over_the_upper_half_of_the_wait(attempt):
    """"Equal jitter": the wait after the n-th failure is uniform on [base/2, base], base =
    min(backoff * factor**n, max_wait). 4000 draws: all within the interval, and their
    distribution within 0.03 (Kolmogorov-Smirnov distance) of the uniform one. A constant wait,
    or a jitter a tenth as wide, is off by 0.5 or more."""
    policy = pacing.RetryPolicy()
    base = min(policy.backoff * policy.factor**attempt, policy.max_wait)
    lo = base / 2
    rng = random.Random(1000 + attempt)
    waits = sorted(policy.wait(attempt, None, rng) for _ in range(4000))
    assert lo <= waits[0] and waits[-1] <= base
    cdf = [(w - lo) / (base - lo) for w in waits]
    n = len(cdf)
    distance = max(max((i + 1) / n - f, f - i / n) for i, f in enumerate(cdf))
    assert distance < 0.03, distance


def test_two_clients_throttled_together_do_not_retry_in_lockstep(api):
    """Two litmap processes sharing an IP get their 429s together; with the same jitter they
    would come back together, every time."""
    waits = []
    for _ in range(2):
        api.reset()
        api.throttle(times=5)
        sleeps = Sleeps()
        client_for(api, sleep=sleeps).batch([SEED], "title")[0]
        assert len(sleeps) == 5
        waits.append(sleeps)
    assert max(abs(a - b) for a, b in zip(*waits)) > 0.05, waits


def test_retries_are_bounded_then_one_clear_error(api):
    api.throttle()
    client = client_for(api, max_tries=4)
    with pytest.raises(s2.RateLimited, match="gave up after 4 tries"):
        client.batch([SEED], "title")[0]
    assert api.count == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(api, status):
    api.fail(status, times=2)
    assert client_for(api).batch([SEED], "title")[0]["paperId"] == SEED
    assert api.count == 3


def test_persistent_server_error_says_so(api):
    api.fail(503)
    with pytest.raises(s2.ServerError, match="503"):
        client_for(api, max_tries=3).batch([SEED], "title")[0]


@pytest.mark.parametrize("fault", ["drop", "truncate", "html_error", "short_batch"])
def test_broken_answers_are_retried(api, fault):
    getattr(api, fault)(times=1)
    answer = client_for(api).batch([SEED, SMALL["r1"]], "title")
    assert [a["paperId"] for a in answer] == [SEED, SMALL["r1"]]
    assert api.count == 2


def test_timeout_is_retried(api):
    """An answer that stalls past the read timeout is asked for again. The timeout is ten times
    an answer measured here first (at least 0.5 s), so the retry answers in time on a loaded
    machine; the stall outlasts it by a second, so the first try always times out."""
    start = time.monotonic()
    client_for(api).batch([SEED], "title")[0]
    timeout = max(0.5, 10 * (time.monotonic() - start))
    api.reset()
    api.slow(timeout + 1.0, times=1)
    client = client_for(api, timeout=timeout)
    assert client.batch([SEED], "title")[0]["paperId"] == SEED
    assert api.count == 2


def test_unreachable_server_fails_fast_with_network_error():
    client = s2.Client(base_url="http://127.0.0.1:9", rate=0, sleep=Sleeps())
    with pytest.raises(s2.NetworkError, match="cannot reach http://127.0.0.1:9"):
        client.batch([SEED], "title")[0]
    assert client.requests == pacing.RetryPolicy().connect_tries


def test_pacer_keeps_under_the_server_rate_limit(api):
    api.rate_limit(5, tolerance=0.1)  # latency jitter on a loaded machine; no pacing would miss by 0.2 s
    client = s2.Client(base_url=api.url, rate=5)
    for _ in range(8):
        client.batch([SEED], "title")[0]
    assert api.violations == [] and [e["status"] for e in api.log] == [200] * 8


def test_pacer_holds_everyone_after_a_429():
    clock = [0.0]
    sleeps = Sleeps()
    pacer = pacing.Pacer(1.0, clock=lambda: clock[0], sleep=sleeps)
    pacer.wait()
    pacer.hold(5.0)
    pacer.wait()
    assert sleeps == [5.0]


def test_pacer_counts_the_interval_from_when_a_request_really_goes():
    """A sleep on a loaded machine overruns (here by 0.3 s): the next request still waits the
    whole interval after the late one, instead of following it closer to catch up."""
    clock = [0.0]
    sleeps = Sleeps()

    def late_sleep(seconds: float) -> None:
        sleeps(seconds)
        clock[0] += seconds + 0.3

    pacer = pacing.Pacer(1.0, clock=lambda: clock[0], sleep=late_sleep)
    for _ in range(3):
        pacer.wait()
    assert sleeps == [pytest.approx(1 + pacing.PACE_MARGIN)] * 2


def test_title_match(api):
    client = client_for(api)
    assert client.match_title("the seed paper on literature maps", "title")["paperId"] == SEED
    with pytest.raises(s2.NotFound, match="Title match not found"):
        client.match_title("zzzz qqqq no such paper", "title")


def test_normalise_paper_fills_every_key():
    paper = s2.normalise_paper({"paperId": "x" * 40, "title": "T",
                                "externalIds": {"DOI": "10.1/x", "MAG": None, "CorpusId": 5},
                                "tldr": {"model": "m", "text": "short"},
                                "authors": [{"authorId": None, "name": " A B "}, {"name": ""}],
                                "journal": {"name": "", "volume": None}, "year": "2020", "publicationTypes": None})
    assert paper["externalIds"] == {"CorpusId": "5", "DOI": "10.1/x"} and paper["corpusId"] == 5
    assert paper["tldr"] == "short" and paper["authors"] == [{"authorId": None, "name": "A B"}]
    assert paper["journal"] is None and paper["year"] == 2020 and paper["publicationTypes"] == []
    assert set(paper) == {"paperId", "corpusId", "externalIds", "title", "abstract", "tldr", "authors", "year", "venue",
                          "journal", "publicationTypes", "publicationDate", "citationCount", "referenceCount", "url"}


def test_empty_page_with_next_is_not_the_end(api):
    api.inject("status", status=200, body={"offset": 0, "next": 2, "data": []}, times=1, path="/citations$")
    items, truncated = client_for(api).citations(SEED, "title", limit=2)
    assert [r["query"]["offset"] for r in api.log] == ["0", "2", "4"]  # went on past the empty page
    assert len(items) == 4 and not truncated


def test_a_title_match_holding_no_paper_is_a_bad_response(api):
    # the caller reads the match as a paper (raw.get("paperId")): anything else must not reach it
    for data in (["not a paper"], {"paperId": "x"}):
        api.inject("status", status=200, body={"data": data}, times=1, path="/search/match$")
        with pytest.raises(s2.BadResponse, match="a title match that holds no paper"):
            client_for(api).match_title("Anything at all", "title")


# -- pacing shared by processes on one cache ----------------------------------------------------

class _ClaimClock:
    """litmap.store's `time`, remembering the last time.time() it gave: after a successful
    claim, the instant the slot was claimed at, inside the claim's transaction. (A time taken
    after the claim returns would add the scheduling of a loaded machine to the gaps.)"""

    def __init__(self):
        self.last = 0.0

    def time(self) -> float:
        self.last = time.time()
        return self.last

    def __getattr__(self, name):
        return getattr(time, name)


def _claims(path: str, n: int, interval: float, out) -> None:
    clock = store.time = _ClaimClock()
    with store.Store(path) as st:
        pacer = pacing.Pacer(1 / interval, shared=st.pacing("http://api"))
        sends = []
        for _ in range(n):
            pacer.wait()
            sends.append(clock.last)
        out.put(sends)


def test_shared_send_slots_are_claimed_atomically_across_processes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    path = str(tmp_path / "litmap.sqlite")
    procs = [ctx.Process(target=_claims, args=(path, 10, 0.05, out)) for _ in range(4)]
    for p in procs:
        p.start()
    sends = sorted(s for _ in procs for s in out.get(timeout=600))
    for p in procs:
        p.join(timeout=600)
    assert len(sends) == 40
    assert min(b - a for a, b in zip(sends, sends[1:])) >= 0.05  # never two processes in one interval


def test_a_hold_is_seen_by_the_other_processes_and_a_stale_clock_is_ignored(tmp_path):
    # waits of minutes, checked to within 10 s: the steps between take milliseconds
    with Store(tmp_path / "c.sqlite") as a, Store(tmp_path / "c.sqlite") as b:
        a.pacing("http://api").hold(time.time() + 300)
        assert b.pacing("http://api").claim(1.0) >= 290
        assert b.pacing("http://other").claim(100.0) == 0.0  # another API: its own budget
        assert 90 <= a.pacing("http://other").claim(100.0) <= 100  # ... which b just used
        b.conn.execute("UPDATE pacing SET next_send = ?", (time.time() + 10 ** 6,))  # a clock jump
        assert a.pacing("http://api").claim(1.0) == 0.0


def _seed_processes(api, caches, seed):
    root = Path(__file__).resolve().parents[1]
    procs = []
    for i, cache in enumerate(caches):
        env = {**os.environ, "LITMAP_API_URL": api.url, "LITMAP_CACHE_DIR": str(cache), "LITMAP_RATE": "1",
               "PYTHONPATH": str(root)}
        env.pop("S2_API_KEY", None)
        procs.append(subprocess.Popen([sys.executable, "-m", "litmap", "seed", seed, "--quiet",
                                       "-o", str(cache / f"map{i}.html")], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    return [p.communicate(timeout=600) + (p.returncode,) for p in procs]


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 4])
def test_processes_on_one_cache_share_one_request_per_second(tmp_path, n):
    # A server that answers 429 to any two requests arriving much less than 1 s apart, from
    # anyone. It forgives 0.3 s of arrival jitter (the scheduling of its own threads and of
    # the children on a loaded machine): processes that pace alone, each to 1.1 s, send some
    # two requests at most 0.55 s apart, which it still catches.
    corpus = Corpus.synthetic(20, 30, 5)
    with FakeS2(corpus) as api:
        api.rate_limit(1.0, burst=1, tolerance=0.3)
        runs = _seed_processes(api, [tmp_path] * n, corpus.seeds[0])
        assert all(rc == 0 for _, _, rc in runs), runs
        # one crawl's 3 requests (the request floor), and every other process asked for something
        assert api.count >= 3 + (n - 1)
        assert [e["status"] for e in api.log].count(429) == 0 and api.violations == []
        arrivals = sorted(e["time"] for e in api.log)
        assert min(b - a for a, b in zip(arrivals, arrivals[1:])) >= 0.7


@pytest.mark.slow
def test_without_a_shared_cache_two_processes_are_throttled(tmp_path):
    # The control: the same two processes on separate caches each pace to 1/s, together 2/s.
    corpus = Corpus.synthetic(20, 30, 5)
    with FakeS2(corpus) as api:
        api.rate_limit(1.0, burst=1, tolerance=0.0)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        _seed_processes(api, [tmp_path / "a", tmp_path / "b"], corpus.seeds[0])
        assert api.violations


def test_unpaced_client_never_waits_and_a_paced_one_waits_longer_after_a_new_connection():
    clock, sleeps = [0.0], Sleeps()
    unpaced = pacing.Pacer(0, clock=lambda: clock[0], sleep=sleeps)
    unpaced.wait(extra=pacing.CONNECT_MARGIN)
    unpaced.wait()
    assert sleeps == []
    paced = pacing.Pacer(1.0, clock=lambda: clock[0], sleep=sleeps)
    paced.wait(extra=pacing.CONNECT_MARGIN)
    paced.wait()
    assert sleeps == [pytest.approx(1.0 + pacing.PACE_MARGIN + pacing.CONNECT_MARGIN)]


# -- a server's error text reaches the user without the key, and short (issue 24) ----------------

@pytest.fixture
def echoing_server():
    """A server that answers every request with `status` and an error text echoing the request's
    key (as a careless proxy or a hostile server may), padded to 10,000 characters."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        status = 400

        def _answer(self):
            body = json.dumps({"error": f"bad request from key={self.headers.get('x-api-key')} "
                                        + "x" * 10_000 + f" again {self.headers.get('x-api-key')}"}).encode()
            self.send_response(Echo.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, Echo
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("status, error", [(400, s2.BadRequest), (404, s2.NotFound), (500, s2.ServerError)])
def test_server_error_text_is_redacted_and_cut_short(echoing_server, status, error):
    server, handler = echoing_server
    handler.status = status
    key = "sekrit-key-123"
    client = s2.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}", api_key=key, rate=0,
                       max_tries=2, sleep=Sleeps())
    with pytest.raises(error) as info:
        client.batch([SEED], "title")
    message = str(info.value)
    assert key not in message and "bad request from key=[API key]" in message
    assert len(message) < 400 and "\n" not in message and "…" in message


@pytest.mark.parametrize("value, expected", [(-5, None), (0, None), ("-5", None), (20201, None), (True, None),
                                             ("1997", 1997), (2024, 2024), (1665, 1665)])
def test_a_hostile_year_is_refused_as_a_year(value, expected):
    from litmap import bulk

    assert s2.normalise_paper({"paperId": "p", "year": value})["year"] == expected
    assert s2.stub_paper({"paperId": "p", "year": value})["year"] == expected
    assert bulk.normalise_record({"corpusid": 1, "year": value})["year"] == expected
