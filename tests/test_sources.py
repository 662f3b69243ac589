"""Cache and sources: dataset indexes once per machine (the user cache dir, keyed by content),
`litmap cache info` shows both caches, and a map remembers the source it was built from."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
from click.testing import CliRunner

from litmap import dataset
from litmap.cli import cli

MALDA = "hep-th/9711200"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh project directory with its own ./cache; the network is a dead port."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_API_URL", "http://127.0.0.1:9")
    return tmp_path


def test_index_dir_honours_the_override_and_defaults_to_the_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("LITMAP_INDEX_DIR", str(tmp_path / "ix"))
    assert dataset.index_dir() == tmp_path / "ix"
    monkeypatch.delenv("LITMAP_INDEX_DIR")
    assert dataset.index_dir() == Path(platformdirs.user_cache_dir("litmap", appauthor=False))


def test_sample_map_remembers_its_source_and_indexes_are_shared(project, monkeypatch):
    seed = run("seed", MALDA, "--source", "sample", "-q", "-o", "m.html")
    assert seed.exit_code == 0, seed.stderr
    # export without --source: the cached sample map, no request (the API is a dead port)
    ris = run("export", MALDA, "--format", "ris")
    assert ris.exit_code == 0, ris.stderr
    assert "TY  - " in ris.stdout and "Maldacena" in ris.stdout
    # the index lives in the shared index dir, not in the project's ./cache
    assert not list((project / "cache").rglob("datasets"))
    pattern = "sample-*" + dataset.engine().SUFFIX  # the default engine's
    indexes = list((dataset.index_dir() / "datasets").glob(pattern))
    assert len(indexes) == 1  # other tests of the session may hold other engines' indexes
    # another project reuses it: no second build
    other = project / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(other / "cache"))
    again = run("seed", MALDA, "--source", "sample", "-o", "m.html")
    assert again.exit_code == 0 and "indexing" not in again.stderr, again.stderr
    assert list((dataset.index_dir() / "datasets").glob(pattern)) == indexes
    # cache info names both: the project's crawl cache and the shared indexes
    info = run("cache", "info")
    assert info.exit_code == 0
    assert str(other / "cache") in info.stdout and " dataset index" in info.stdout
    assert indexes[0].name in info.stdout


def test_a_paper_not_in_the_sample_says_so(project):
    result = run("seed", "2305.01610", "--source", "sample", "-q")
    assert result.exit_code == 1
    assert "not in the bundled sample" in result.stderr and "(offline)" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ storage faults
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from tests.fakeapi import SMALL, Corpus, FakeS2  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def one_line(result_stderr: str) -> str:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    assert "Error" not in lines[0] and "LITMAP_DEBUG" not in lines[0], lines[0]
    return lines[0]


def test_cache_path_that_is_a_file(project, monkeypatch):
    (project / "afile").write_text("not a directory")
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(project / "afile"))
    result = run("seed", MALDA, "--offline", "-q")
    assert result.exit_code == 1
    assert "is a file, not a directory" in one_line(result.stderr) and "LITMAP_CACHE_DIR" in result.stderr


def test_corrupt_database_says_what_to_do(project):
    (project / "cache").mkdir()
    (project / "cache" / "litmap.sqlite").write_bytes(b"garbage" * 1000)
    result = run("seed", MALDA, "--offline", "-q")
    assert result.exit_code == 1 and "move it aside" in one_line(result.stderr)
    assert (project / "cache" / "litmap.sqlite").read_bytes() == b"garbage" * 1000


@pytest.fixture
def small_api(project, monkeypatch):
    with FakeS2(Corpus.small()) as server:
        monkeypatch.setenv("LITMAP_API_URL", server.url)
        monkeypatch.setenv("LITMAP_RATE", "0")
        yield server


def test_full_disk_is_one_line(project, small_api):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITMAP_CACHE_DIR": str(project / "cache")}

    def limit():  # writes past 48 KB fail as on a full disk (EFBIG rather than ENOSPC)
        resource.setrlimit(resource.RLIMIT_FSIZE, (48 * 1024, 48 * 1024))

    proc = subprocess.run([sys.executable, "-m", "litmap", "seed", SMALL["seed"], "-q", "-o", "m.html"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert "full" in line and "LITMAP_CACHE_DIR" in line


def test_read_only_cache_serves_cached_maps(project, small_api, monkeypatch):
    assert run("seed", SMALL["seed"], "-q", "-o", "m.html").exit_code == 0
    cache = str(project / "cache")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k:
                        False if mode & os.W_OK and str(p) == cache else real_access(p, mode, *a, **k))
    cached = run("export", SMALL["seed"], "--format", "ris")
    assert cached.exit_code == 0 and "TY  - " in cached.stdout
    new = run("seed", SMALL["maldacena"], "-q", "-o", "n.html")
    assert new.exit_code == 1 and "read-only" in one_line(new.stderr)


@pytest.mark.parametrize("name, value, message, good", [
    ("LITMAP_BUILD_WORKERS", "many", "LITMAP_BUILD_WORKERS must be a number of processes from 1 to 1024, not 'many'",
     "1"),
    ("LITMAP_BUILD_WORKERS", "0", "LITMAP_BUILD_WORKERS must be a number of processes from 1 to 1024, not '0'",
     None),  # (the good value of this setting builds in the case above: one index build is enough)
    ("LITMAP_DUCKDB_MEMORY", "lots", "LITMAP_DUCKDB_MEMORY must be a size such as 4GB or 512MB, not 'lots'", "1GB"),
])
def test_a_bad_build_setting_is_one_line_before_any_work(project, monkeypatch, name, value, message, good):
    # The index build reads its settings first: one line, exit 1, nothing left in the index dir.
    monkeypatch.setenv("LITMAP_INDEX_DIR", str(project / "ix"))
    monkeypatch.setenv("LITMAP_ENGINE", "csr")
    monkeypatch.setenv(name, value)
    result = run("seed", MALDA, "--source", "sample", "-q", "-o", "m.html")
    assert result.exit_code == 1 and result.stderr.splitlines() == [f"litmap: error: {message}"]
    assert list((project / "ix" / "datasets").iterdir()) == []
    if good is None:
        return
    monkeypatch.setenv(name, good)  # a good value builds
    assert run("seed", MALDA, "--source", "sample", "-q", "-o", "m.html").exit_code == 0
