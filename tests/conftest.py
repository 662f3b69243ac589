"""Shared fixtures.  No test may talk to the real Semantic Scholar API (or any non-loopback host).

fake_api        a running FakeS2 over Corpus.small() (ids in fakeapi.SMALL); LITMAP_API_URL points
                at it, LITMAP_CACHE_DIR = tmp_path/"cache", S2_API_KEY unset, LITMAP_RATE=0
                (no client pacing: the fake only limits when a test calls api.rate_limit)
make_fake_api   factory: make_fake_api(corpus=None, **FakeS2 kwargs) -> started FakeS2, env set as above
cache_dir       tmp_path/"cache" (created) and LITMAP_CACHE_DIR set to it
recorded_corpus     session-wide Corpus.from_recordings() (every recording in tests/fixtures/s2); do not mutate
neighbourhood_corpus session-wide Corpus.from_recording() (the cb1ebd91 seed); do not mutate
sample_corpus       session-wide Corpus.from_dataset(the bundled sample); do not mutate
sample_index_cache  a cache dir holding the bundled sample's built dataset index, built once per
                    run and shared by the xdist workers; open it with dataset_store("sample", dir)
                    (read-only)
sample_index_of     engine name -> the same, built by that index engine
on_sample           a private cache, sample_index_cache as LITMAP_INDEX_DIR, the test's folder as cwd

Helpers: point_cli_at(server, tmp_path, monkeypatch) (the CLI's settings for a fake API),
integrity(db) (SQLite's integrity_check of a cache file), timed_sends() and send_gaps() (when
this process's requests left, for checks of pacing).

Tests run in parallel (pytest-xdist, see pyproject.toml): use tmp_path, port 0, no fixed names.
Timing: see tests/README.md (derive bounds from a measured baseline, wait on conditions).
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests

from litmap import dataset
from tests.fakeapi import Corpus, FakeS2
from tests.guard import pytest_runtest_makereport  # noqa: F401  (a skip under CI=true fails)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers a core (up to 8). Most tests wait on a fake server, a child process
    or Chromium, not on the CPU: on 2 cores, 3-4 workers took the suite from ~300 s to ~250 s."""
    return min(2 * (os.cpu_count() or 1), 8)


# Nothing listens on the discard port of the loopback: a client that forgets the fixture gets
# "connection refused" at once instead of reaching api.semanticscholar.org.
DEAD_API_URL = "http://127.0.0.1:9"


def _loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _no_real_network(tmp_path_factory):
    """Session-wide: the API URL defaults to a dead loopback port, no API key from the
    environment, a throw-away cache dir, and sockets refuse to connect off the loopback."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LITMAP_API_URL", DEAD_API_URL)
    mp.delenv("S2_API_KEY", raising=False)
    mp.setenv("LITMAP_CACHE_DIR", str(tmp_path_factory.mktemp("litmap-cache")))
    # dataset indexes go to the user cache dir: never the real home's, shared by this session
    mp.setenv("LITMAP_INDEX_DIR", str(tmp_path_factory.mktemp("litmap-indexes")))
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            if not _loopback(address[0]):
                raise OSError(errno.ENETUNREACH, f"tests may not reach the network (tried {address[0]!r})")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    mp.setattr(socket.socket, "connect", connect)
    mp.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    mp.undo()


def point_cli_at(server, tmp_path, monkeypatch) -> None:
    """The CLI's settings for a fake API: no key, no pacing, a private cache, a wide terminal
    (rich would fold titles at 80 columns), the test's folder as the working directory."""
    monkeypatch.setenv("LITMAP_API_URL", server.url)
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_RATE", "0")
    monkeypatch.delenv("S2_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def integrity(db: str | os.PathLike) -> str:
    """SQLite's own check of a cache file: "ok" when it is whole."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@contextmanager
def timed_sends() -> Iterator[list[tuple[float, float]]]:
    """Every request litmap sends in this process: (monotonic instant it is handed to requests,
    seconds until its answer has been read). The instants are where the pacer's spacing is
    exact; the server's arrival times add its threads' scheduling, tens of ms on a loaded box."""
    sends: list[tuple[float, float]] = []
    real = requests.Session.send

    def send(session, request, **kw):
        start = time.monotonic()
        try:
            return real(session, request, **kw)
        finally:
            sends.append((start, time.monotonic() - start))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(requests.Session, "send", send)
        yield sends


def send_gaps(sends: list[tuple[float, float]]) -> list[float]:
    return [b - a for (a, _), (b, _) in zip(sends, sends[1:])]


@pytest.fixture
def api(tmp_path, monkeypatch):
    """The small corpus on a fake API, with the CLI pointed at it."""
    with FakeS2(Corpus.small()) as server:
        point_cli_at(server, tmp_path, monkeypatch)
        yield server


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    d.mkdir(exist_ok=True)
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(d))
    return d


@pytest.fixture
def make_fake_api(monkeypatch, cache_dir):
    started: list[FakeS2] = []

    def make(corpus: Corpus | None = None, **kwargs) -> FakeS2:
        api = FakeS2(corpus if corpus is not None else Corpus.small(), **kwargs).start()
        started.append(api)
        monkeypatch.setenv("LITMAP_API_URL", api.url)
        monkeypatch.delenv("S2_API_KEY", raising=False)
        # the fake has no rate limit unless a test asks for one (api.rate_limit): no pacing
        monkeypatch.setenv("LITMAP_RATE", "0")
        return api

    yield make
    for api in started:
        api.close()


@pytest.fixture
def fake_api(make_fake_api):
    return make_fake_api()


@pytest.fixture(scope="session")
def recorded_corpus():
    return Corpus.from_recordings()


@pytest.fixture(scope="session")
def neighbourhood_corpus():
    return Corpus.from_recording()


@pytest.fixture(scope="session")
def sample_corpus():
    return Corpus.from_dataset(dataset.sample_path())


def _shared_sample_index(tmp_path_factory, engine: str | None) -> Path:
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's base, shared by its workers
    name = "sample-index-cache" + (f"-{engine}" if engine else "")
    cache = root / name
    # the first worker builds it; the others wait here, then find it built
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dataset.dataset_store("sample", cache, engine_name=engine).close()
    return cache


@pytest.fixture(scope="session")
def sample_index_cache(tmp_path_factory) -> Path:
    return _shared_sample_index(tmp_path_factory, None)


@pytest.fixture(scope="session")
def sample_index_of(tmp_path_factory):
    """engine name -> a cache dir holding the sample's index built by that engine (shared as above)."""
    return lambda engine: _shared_sample_index(tmp_path_factory, engine)


@pytest.fixture
def on_sample(sample_index_cache, tmp_path, monkeypatch):
    """A private cache, the shared prebuilt index of the bundled sample, the test's folder as cwd."""
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_INDEX_DIR", str(sample_index_cache))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path
