import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from litmap.store import DB_NAME, SCHEMA, SCHEMA_VERSION, Store, StoreError
from tests.conftest import integrity
from tests.fakeapi import SMALL


def paper(pid, **kw):
    return {"paperId": pid, "corpusId": kw.pop("corpusId", None), "title": kw.pop("title", pid),
            "citationCount": kw.pop("cc", None),
            "referenceCount": kw.pop("rc", None), **kw}


def test_schema_version_and_wal(tmp_path):
    with Store.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert integrity(db.path) == "ok"


def test_incompatible_schema_is_refused_with_advice(tmp_path):
    with Store.open(tmp_path) as db:
        db.conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 999.*LITMAP_CACHE_DIR"):
        Store.open(tmp_path)


def test_not_a_database_is_a_store_error(tmp_path):
    (tmp_path / "litmap.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the cache"):
        Store.open(tmp_path)


def test_stub_never_overwrites_full_record(tmp_path):
    with Store.open(tmp_path) as db:
        db.put_papers([paper("a", title="Full title", cc=10)], full=True)
        db.put_papers([paper("a", title=None, cc=11), paper("b", cc=3)], full=False)
        got = db.get_papers(["a", "b", "zzz"])
        assert got["a"]["title"] == "Full title" and got["b"]["citationCount"] == 3 and "zzz" not in got
        assert db.full_ids(["a", "b"]) == {"a"}
        assert db.counts(["a", "b"]) == {"a": (10, None), "b": (3, None)}
        db.put_papers([paper("b", title="Now full", cc=4)], full=True)
        assert db.full_ids(["a", "b"]) == {"a", "b"}


def test_stub_keeps_the_year_and_date_an_earlier_stub_gave(tmp_path):
    """A list that did not ask for the date (an older cache's, a library's lookup) must not
    erase what an earlier answer said: --since judges papers by their date."""
    with Store.open(tmp_path) as db:
        db.put_papers([dict(paper("a"), year=1997, publicationDate="1997-11-20")], full=False)
        db.put_papers([dict(paper("a", cc=5), year=None, publicationDate=None)], full=False)
        db.put_papers([dict(paper("b"), year=1996)], full=False)
        db.put_papers([paper("b", cc=2)], full=False)
        got = db.get_papers(["a", "b"])
        assert (got["a"]["year"], got["a"]["publicationDate"], got["a"]["citationCount"]) == (1997, "1997-11-20", 5)
        assert got["b"]["year"] == 1996 and "publicationDate" not in got["b"] and got["b"]["citationCount"] == 2
        db.put_papers([dict(paper("a"), year=1998, publicationDate="1998-01-02")], full=False)
        assert db.get_papers(["a"])["a"]["publicationDate"] == "1998-01-02"  # a newer answer wins


def test_lists_and_edges(tmp_path):
    with Store.open(tmp_path) as db:
        db.put_answer([], [("s", "references", [("s", "r1", True, '["background"]'), ("s", "r2", None, None)],
                            "complete", 3),
                           ("s", "citations", [("c1", "s", False, None)], "truncated", 1)])
        assert db.list_status(["s", "x"], "references") == {"s": "complete"}
        assert db.list_status(["s"], "citations") == {"s": "truncated"}
        assert sorted(db.list_edges(["s"], "references")) == [("s", "r1"), ("s", "r2")]
        assert db.list_edges(["s"], "citations") == [("c1", "s")]
        # a later answer without influence data keeps what an earlier one said
        db.put_answer([], [("r1", "citations", [("s", "r1", None, None)], "complete", 1)])
        row = db.conn.execute("SELECT is_influential, intents FROM edges WHERE citing='s' AND cited='r1'").fetchone()
        assert row == (1, '["background"]')


def test_aliases_and_maps(tmp_path):
    with Store.open(tmp_path) as db:
        db.put_aliases([("ARXIV:2305.01610", "p1"), ("DOI:10.1/x", "p1")])
        assert db.resolve("ARXIV:2305.01610") == "p1" and db.resolve("DOI:10.1/y") is None
        db.put_map("k", {"nodes": [1, 2], "b": "é"})
        assert db.get_map("k") == {"nodes": [1, 2], "b": "é"} and db.get_map("other") is None
        info = db.info()
        assert info["maps"] == 1 and info["bytes"] > 0


def test_failed_transaction_leaves_nothing(tmp_path):
    with Store.open(tmp_path) as db:
        with pytest.raises(RuntimeError):
            with db.transaction() as c:
                c.execute("INSERT INTO aliases VALUES ('X:1', 'p')")
                raise RuntimeError("crash mid-write")
        assert db.resolve("X:1") is None


def _writer(path, n, start):
    with Store(path) as db:
        for i in range(start, start + n):
            edges = [(f"p{i}", f"q{j}", None, None) for j in range(20)]
            db.put_answer([], [(f"p{i}", "references", edges, "complete", 20)])
            db.put_papers([paper(f"p{i}", cc=i)], full=True)


def test_concurrent_writers_never_lock_out(tmp_path):
    path = tmp_path / "litmap.sqlite"
    Store(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, 60, k * 1000)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with Store(path) as db:
        assert integrity(db.path) == "ok"
        assert db.conn.execute("SELECT count(*) FROM lists").fetchone()[0] == 240
        assert db.conn.execute("SELECT count(*) FROM edges").fetchone()[0] == 240 * 20


def test_readonly_store_cannot_write(tmp_path):
    Store(tmp_path / "db.sqlite").close()
    with Store(tmp_path / "db.sqlite", readonly=True) as db:
        with pytest.raises(sqlite3.OperationalError):
            db.conn.execute("INSERT INTO aliases VALUES ('a', 'b')")


# Reads one cache path per line, opens a Store there, writes to it and says "ok" or the error.
_OPENER = r"""
import sys
from litmap.store import Store
for line in sys.stdin:
    try:
        with Store(line.strip()) as db:
            db.put_aliases([("W:" + sys.argv[1], "p")])
            mode = db.conn.execute("PRAGMA journal_mode").fetchone()[0]
        print("ok" if mode == "wal" else "journal mode " + mode, flush=True)
    except Exception as exc:
        print(type(exc).__name__ + ": " + str(exc), flush=True)
"""


def test_eight_processes_open_a_fresh_cache_at_once_50_times(tmp_path):
    """8 processes, each told at the same moment to open the same new cache, 50 rounds: every
    open succeeds (the WAL switch of a fresh file is where "database is locked" came from)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", _OPENER, str(k)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for k in range(8)]
    failures = []
    try:
        for round_ in range(50):
            path = tmp_path / f"r{round_}" / "litmap.sqlite"
            for p in procs:  # all 8 are blocked on readline: they wake within microseconds
                p.stdin.write(f"{path}\n")
                p.stdin.flush()
            answers = [p.stdout.readline().strip() for p in procs]
            failures += [(round_, a) for a in answers if a != "ok"]
            if not failures:
                with Store(path) as db:
                    assert db.conn.execute("SELECT count(*) FROM aliases").fetchone()[0] == 8
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(30)
    assert failures == [], f"{len(failures)} failed opens, e.g. {failures[:3]}"


# Stores one reference list of 50 edges whose edge stream kills the process (os._exit: no
# cleanup, no rollback, like kill -9) after argv[2] edges have been read.
_CRASHER = r"""
import os, sys
from litmap.store import Store

def edges(n):
    for j in range(50):
        if j == n:
            os._exit(9)
        yield ("p", f"q{j}", None, None)
    if n == 50:
        os._exit(9)

db = Store(sys.argv[1])
db.put_answer([{"paperId": "p", "title": "P"}], [("p", "references", edges(int(sys.argv[2])), "complete", 50)])
"""


@pytest.mark.parametrize("crash_after", [0, 1, 25, 50])
def test_a_crash_while_storing_a_list_never_leaves_it_complete_with_edges_missing(tmp_path, crash_after):
    """The process dies while one answer (a stub and a list of 50 edges) is being written, before
    it could commit: afterwards none of that answer is in the cache. In particular the list is
    never recorded 'complete' with some of its edges missing (a re-run would trust it)."""
    path = tmp_path / "litmap.sqlite"
    Store(path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", _CRASHER, str(path), str(crash_after)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    with Store(path) as db:
        assert integrity(db.path) == "ok"
        assert db.list_status(["p"], "references") == {}
        assert db.list_edges(["p"], "references") == [] and db.get_papers(["p"]) == {}


# -- a full disk, a read-only cache (issue 24) ---------------------------------------------------

def test_a_full_database_says_so_not_cannot_rollback(tmp_path):
    # SQLite rolls the transaction back itself when the disk fills; a second ROLLBACK failed
    # with "cannot rollback - no transaction is active" and hid the real error.
    with Store(tmp_path / "db.sqlite") as db:
        db.conn.execute("PRAGMA max_page_count = 60")  # a disk that fills at ~240 KB
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            db.put_papers([paper(f"p{i}", title="x" * 2000) for i in range(400)], full=True)
        assert not db.conn.in_transaction and db.paper_count() == 0  # all of it or none
        db.put_papers([paper("small")], full=True)  # the store still works
        assert db.paper_count() == 1


ROOT = Path(__file__).resolve().parents[1]
SMALL_SEED, SMALL_OTHER = SMALL["seed"], SMALL["maldacena"]


def _litmap(tmp_path, args: list[str], cache: Path, wrap: list[str] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITMAP_CACHE_DIR": str(cache)}
    return subprocess.run([*wrap, sys.executable, "-m", "litmap", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def _unshared(script: str) -> list[str]:
    """A shell in a mount namespace of its own (root only): its mounts vanish with it."""
    from tests import guard

    guard.need_tool("unshare", "apt-get install util-linux")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        guard.missing(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")
    return ["unshare", "-m", "sh", "-c", script, "sh"]


def test_full_disk_under_the_cache_is_one_line_saying_disk_full(api, tmp_path):
    # A real ENOSPC: a 256 KB tmpfs as the cache.
    mnt = tmp_path / "small"
    mnt.mkdir()
    wrap = _unshared(f'mount -t tmpfs -o size=256k tmpfs {mnt} && exec "$@"')
    done = _litmap(tmp_path, ["seed", "--from", str(ROOT / "tests/fixtures/library/hostile.bib"), "-q"],
                   mnt, wrap)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().startswith(f"litmap: error: the disk holding {mnt} is full")
    assert len(done.stderr.strip().splitlines()) == 1 and "rollback" not in done.stderr


@pytest.mark.parametrize("how", ["chmod 555", "read-only mount"])
def test_read_only_cache_serves_its_maps(api, tmp_path, how):
    # In WAL mode a reader needs the -shm file, which a read-only directory cannot get.
    cache = tmp_path / "cache"
    made = _litmap(tmp_path, ["seed", SMALL_SEED, "-q", "-o", "m.html"], cache)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["litmap.sqlite"]  # no -wal, no -shm left
    if how == "chmod 555":
        from tests import guard

        guard.need_tool("setpriv", "apt-get install util-linux")
        cache.chmod(0o555)
        where, wrap = cache, ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]  # root, but bound by modes
    else:
        where = tmp_path / "ro"
        where.mkdir()
        wrap = _unshared(f'mount --bind {cache} {where} && mount -o remount,bind,ro {where} && exec "$@"')
    try:
        cached = _litmap(tmp_path, ["export", SMALL_SEED, "--format", "ris"], where, wrap)
        assert cached.returncode == 0, cached.stderr
        assert "TY  - " in cached.stdout
        new = _litmap(tmp_path, ["seed", SMALL_OTHER, "-q", "-o", "n.html"], where, wrap)
        assert new.returncode == 1
        assert new.stderr.strip() == (f"litmap: error: the cache {where} is read-only; maps already in it still "
                                      "work, to fetch more set LITMAP_CACHE_DIR to a writable directory")
    finally:
        cache.chmod(0o755)
    assert sorted(p.name for p in cache.iterdir()) == ["litmap.sqlite"]


def test_a_list_reads_back_as_fetched_not_as_other_lists_name_it(tmp_path):
    with Store.open(tmp_path) as db:
        # x's references name s; s's citations (fetched) do not name x, as the live API may say
        db.put_answer([], [("x", "references", [("x", "s", None, None), ("x", "r", None, None)], "complete", 2),
                           ("s", "citations", [("c1", "s", None, None)], "complete", 1)])
        assert db.list_edges(["s"], "citations") == [("c1", "s")]
        assert sorted(db.list_edges(["x"], "references")) == [("x", "r"), ("x", "s")]
        # a refetched list replaces the old one: what it no longer names leaves it
        db.put_answer([], [("x", "references", [("x", "r", None, None)], "complete", 1)])
        assert db.list_edges(["x"], "references") == [("x", "r")]
        assert db.conn.execute("SELECT count(*) FROM edges WHERE citing = 'x' AND cited = 's'").fetchone()[0] == 0
        # an edge in both lists stays in the one not refetched
        db.put_answer([], [("r", "citations", [("x", "r", None, None)], "complete", 1),
                           ("x", "references", [], "complete", 0)])
        assert db.list_edges(["x"], "references") == [] and db.list_edges(["r"], "citations") == [("x", "r")]


def test_a_cache_from_before_edges_knew_their_lists_keeps_them_in_both(tmp_path):
    old = sqlite3.connect(tmp_path / DB_NAME)
    old.executescript(SCHEMA.replace("    lists INTEGER,\n", ""))
    old.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    old.execute("INSERT INTO edges VALUES ('a', 'b', NULL, NULL)")
    old.commit()
    old.close()
    with Store.open(tmp_path) as db:
        assert db.list_edges(["a"], "references") == [("a", "b")] == db.list_edges(["b"], "citations")
        db.put_answer([], [("b", "citations", [], "complete", 0)])  # b's citations, fetched again
        assert db.list_edges(["b"], "citations") == [] and db.list_edges(["a"], "references") == [("a", "b")]
