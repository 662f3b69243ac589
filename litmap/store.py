"""The local cache: normalised papers and citation edges in SQLite.

Every API answer is committed in its own short transaction as soon as it arrives, so an
interrupted run keeps everything it had and a re-run asks only for what is missing. WAL mode
lets several litmap processes share one cache: readers never block, and writers queue on
SQLite's lock with a generous busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence

from litmap.errors import StorageError
from litmap.settings import Settings
from litmap.sqlite_open import connect_readonly, switch_to_wal
from litmap.store_maps import HISTORY_KEEP, MapShelf  # noqa: F401 (HISTORY_KEEP: public name)
from litmap.titles import best_title_match, title_key, title_word

SCHEMA_VERSION = 1
DB_NAME = "litmap.sqlite"

# (citing, cited, is_influential or None, intents as JSON text or None)
Edge = tuple[str, str, "bool | None", "str | None"]
# edges.lists: which fetched lists hold the edge, so a list reads back as the API gave it and
# not as every edge other lists taught (the API's reference and citation lists disagree, a
# list cut at 10,000 misses what other papers' lists name): a map then depends only on the
# lists its crawl asks for, whatever else the cache holds. NULL: stored before the column
# existed (or a dataset index, whose lists agree): in both.
IN_REFERENCES, IN_CITATIONS = 1, 2
_LIST_BIT = {"references": IN_REFERENCES, "citations": IN_CITATIONS}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS papers (
    paper_id TEXT PRIMARY KEY,
    corpus_id INTEGER,
    data TEXT NOT NULL,
    full INTEGER NOT NULL DEFAULT 0,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    citing TEXT NOT NULL,
    cited TEXT NOT NULL,
    is_influential INTEGER,
    intents TEXT,
    lists INTEGER,
    PRIMARY KEY (citing, cited)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_cited ON edges (cited, citing);
CREATE TABLE IF NOT EXISTS lists (
    paper_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('references', 'citations')),
    status TEXT NOT NULL CHECK (status IN ('complete', 'truncated')),
    total INTEGER,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (paper_id, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, paper_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS maps (key TEXT PRIMARY KEY, data TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS map_index (
    key TEXT PRIMARY KEY,
    seeds TEXT NOT NULL,
    options TEXT NOT NULL,
    source TEXT,
    title TEXT,
    papers INTEGER NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pacing (api TEXT PRIMARY KEY, next_send REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS map_history (
    seedset TEXT NOT NULL,
    created_at REAL NOT NULL,
    fingerprint TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (seedset, created_at)
) WITHOUT ROWID;
"""
# A shared send time further ahead than this is stale (a clock jump, a crashed process's hold):
# the longest honest wait is a capped Retry-After (pacing.RetryPolicy.max_retry_after, 300 s).
PACING_HORIZON = 600.0
# Tables are only ever added (CREATE ... IF NOT EXISTS at every writable open), so a cache made
# by an older litmap gains them on its next open and keeps all it holds: no version bump needed.


class StoreError(StorageError):
    """The cache cannot be opened or is from an incompatible litmap."""


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """`explicit`, else LITMAP_CACHE_DIR, else ./cache."""
    return Path(explicit) if explicit else Settings.from_env().cache_dir


def create_schema(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would COMMIT the caller's transaction.
    for statement in filter(str.strip, SCHEMA.split(";")):
        conn.execute(statement)
    if not _has_list_column(conn):  # a cache made before edges knew their lists
        conn.execute("ALTER TABLE edges ADD COLUMN lists INTEGER")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    elif int(row[0]) != SCHEMA_VERSION:
        raise StoreError(
            f"cache schema version {row[0]} is not the {SCHEMA_VERSION} this litmap uses; "
            "use another LITMAP_CACHE_DIR or run 'litmap cache clear'"
        )


def _has_list_column(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "lists" for row in conn.execute("PRAGMA table_info(edges)"))


def _chunks(seq: Sequence[str], n: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


STUB_KEEPS = ("year", "publicationDate")  # what --since and the timeline need, kept from earlier answers


def _put_papers(c: sqlite3.Connection, papers: Iterable[dict], full: bool) -> None:
    now = time.time()
    rows = [
        (p["paperId"], p.get("corpusId"), json.dumps(p, sort_keys=True, ensure_ascii=False), int(full), now)
        for p in papers
        if p and p.get("paperId")
    ]
    sql = (
        "INSERT INTO papers (paper_id, corpus_id, data, full, fetched_at) VALUES (?,?,?,?,?) "
        "ON CONFLICT(paper_id) DO UPDATE SET corpus_id = coalesce(excluded.corpus_id, corpus_id), "
        "data = excluded.data, full = excluded.full, fetched_at = excluded.fetched_at"
    )
    if not full:  # a stub from a list that did not ask for the year or date keeps those we know
        kept = "excluded.data"
        for key in STUB_KEEPS:
            kept = (f"CASE WHEN json_extract(excluded.data, '$.{key}') IS NULL "
                    f"AND json_extract(papers.data, '$.{key}') IS NOT NULL "
                    f"THEN json_set({kept}, '$.{key}', json_extract(papers.data, '$.{key}')) ELSE {kept} END")
        sql = sql.replace("data = excluded.data", f"data = {kept}")
    c.executemany(sql if full else sql + " WHERE papers.full = 0", rows)


class GraphStore(Protocol):
    """What a crawl reads: the reading half of Store. A dataset index's store (every engine's,
    litmap/dataset*.py) has exactly this; only the API cache, a Store, is ever written."""

    def get_papers(self, ids: Iterable[str], full_only: bool = False) -> dict[str, dict]: ...
    def counts(self, ids: Iterable[str]) -> dict[str, tuple[int | None, int | None]]: ...
    def years(self, ids: Iterable[str]) -> dict[str, int | None]: ...
    def full_ids(self, ids: Iterable[str]) -> set[str]: ...
    def resolve(self, alias: str) -> str | None: ...
    def match_title(self, title: str) -> str | None: ...
    def list_status(self, ids: Iterable[str], kind: str) -> dict[str, str]: ...
    def list_total(self, ids: Iterable[str], kind: str) -> int: ...
    def list_edges(self, ids: Iterable[str], kind: str) -> list[tuple[str, str]]: ...
    def paper_count(self) -> int: ...
    def close(self) -> None: ...


def writable(store: GraphStore) -> Store:
    """`store` as the cache where the API's answers go. Only a crawl with a client writes, and a
    client always comes with the API cache: a dataset's index is read-only."""
    if not isinstance(store, Store):
        raise TypeError(f"the API's answers go to the cache, not to a {type(store).__name__}")
    return store


class Store(MapShelf):
    """One SQLite database; safe to open from several processes at once."""

    def __init__(self, path: str | os.PathLike, readonly: bool = False):
        self.path = Path(path)
        # Lists fetched before this time (epoch seconds) count as absent, so the crawl fetches
        # them again (--refresh, --max-age); the old edges stay until the new answer lands.
        self.stale_before = 0.0
        self._has_titles: bool | None = None  # a dataset index's titles table (match_title)
        try:
            if readonly:
                self.conn = connect_readonly(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                # WAL: concurrent readers with one writer; NORMAL sync is durable across
                # process crashes (the case that matters here), only an OS crash may lose
                # the last commits, never corrupt the file.
                switch_to_wal(self.conn)
                self.conn.execute("PRAGMA synchronous=NORMAL")
                with self.transaction():
                    create_schema(self.conn)
            # a read-only cache or index from before the column: every edge is in both lists
            self._list_column = _has_list_column(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the cache {self.path}: {exc}") from None

    @classmethod
    def open(cls, directory: str | os.PathLike | None = None) -> Store:
        path = cache_dir(directory) / DB_NAME
        if path.parent.is_dir() and path.is_file() and not (os.access(path.parent, os.W_OK)
                                                             and os.access(path, os.W_OK)):
            # A read-only cache (a shared or archived copy) still serves the maps it holds;
            # anything that must be written fails with the read-only message.
            return cls(path, readonly=True)
        return cls(path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock
        # upgrading a read lock; the busy timeout makes the second one wait its turn.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite itself may have rolled back already (a full disk: "database or disk is
            # full"); a second ROLLBACK would then fail and hide that error behind "cannot
            # rollback - no transaction is active". The first error is the one to report.
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    # -- papers ---------------------------------------------------------------------------

    def put_papers(self, papers: Iterable[dict], full: bool) -> None:
        """Store paper records; a stub never overwrites a full record."""
        with self.transaction() as c:
            _put_papers(c, papers, full)

    def get_papers(self, ids: Iterable[str], full_only: bool = False) -> dict[str, dict]:
        ids = sorted(set(ids))
        out: dict[str, dict] = {}
        cond = " AND full = 1" if full_only else ""
        for chunk in _chunks(ids):
            q = f"SELECT paper_id, data FROM papers WHERE paper_id IN ({','.join('?' * len(chunk))}){cond}"
            for pid, data in self.conn.execute(q, list(chunk)):
                out[pid] = json.loads(data)
        return out

    def counts(self, ids: Iterable[str]) -> dict[str, tuple[int | None, int | None]]:
        """(citationCount, referenceCount) of known papers, without decoding whole records."""
        ids = sorted(set(ids))
        out: dict[str, tuple] = {}
        for chunk in _chunks(ids):
            q = (
                "SELECT paper_id, json_extract(data, '$.citationCount'), json_extract(data, '$.referenceCount') "
                f"FROM papers WHERE paper_id IN ({','.join('?' * len(chunk))})"
            )
            out.update((r[0], (r[1], r[2])) for r in self.conn.execute(q, list(chunk)))
        return out

    def years(self, ids: Iterable[str]) -> dict[str, int | None]:
        """Publication year of known papers (None where unknown), for the ranking's recency."""
        ids = sorted(set(ids))
        out: dict[str, int | None] = {}
        for chunk in _chunks(ids):
            q = (f"SELECT paper_id, json_extract(data, '$.year') FROM papers "
                 f"WHERE paper_id IN ({','.join('?' * len(chunk))})")
            out.update((r[0], r[1] if isinstance(r[1], int) else None) for r in self.conn.execute(q, list(chunk)))
        return out

    def full_ids(self, ids: Iterable[str]) -> set[str]:
        ids = sorted(set(ids))
        have: set[str] = set()
        for chunk in _chunks(ids):
            q = f"SELECT paper_id FROM papers WHERE full = 1 AND paper_id IN ({','.join('?' * len(chunk))})"
            have.update(r[0] for r in self.conn.execute(q, list(chunk)))
        return have

    # -- aliases --------------------------------------------------------------------------

    def put_aliases(self, pairs: Iterable[tuple[str, str]]) -> None:
        rows = [(a, p) for a, p in pairs if a and p]
        if rows:
            with self.transaction() as c:
                c.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?)", rows)

    def resolve(self, alias: str) -> str | None:
        row = self.conn.execute("SELECT paper_id FROM aliases WHERE alias = ?", (alias,)).fetchone()
        return row[0] if row else None

    def match_title(self, title: str) -> str | None:
        """The paper whose title is `title`, case and spacing aside; the most cited if several,
        then the least paperId (litmap/titles.py). A dataset's index looks it up in its titles
        table; the cache (and an index built before that table) scans the full records holding
        the title's longest plain word: 0.1 s on the bundled sample."""
        if self._has_titles is None:
            self._has_titles = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'titles'").fetchone() is not None
        if self._has_titles:
            row = self.conn.execute("SELECT paper_id FROM titles WHERE key = ? "
                                    "ORDER BY coalesce(citations, 0) DESC, paper_id LIMIT 1",
                                    (title_key(title),)).fetchone()
            return row[0] if row else None
        word = title_word(title)
        q = "SELECT paper_id, json_extract(data, '$.title'), json_extract(data, '$.citationCount') FROM papers " \
            "WHERE full = 1" + (" AND data LIKE ?" if word else "")
        return best_title_match(title, self.conn.execute(q, [f"%{word}%"] if word else []))

    # -- citation lists -------------------------------------------------------------------

    def put_answer(self, stubs: Iterable[dict],
                   lists: Iterable[tuple[str, str, Iterable[Edge], str, int | None]]) -> None:
        """Everything one API answer taught us, in one transaction: all of it or none."""
        with self.transaction() as c:
            _put_papers(c, stubs, False)
            now = time.time()
            for paper_id, kind, edges, status, total in lists:
                # the answer replaces the paper's list: what it no longer names leaves the list
                bit, col = _LIST_BIT[kind], "citing" if kind == "references" else "cited"
                c.execute(f"UPDATE edges SET lists = coalesce(lists, 3) & ~{bit} WHERE {col} = ?", (paper_id,))
                c.executemany(
                    "INSERT INTO edges (citing, cited, is_influential, intents, lists) VALUES (?,?,?,?,?) "
                    "ON CONFLICT(citing, cited) DO UPDATE SET "
                    "is_influential = coalesce(excluded.is_influential, is_influential), "
                    "intents = coalesce(excluded.intents, intents), lists = coalesce(lists, 0) | excluded.lists",
                    [(a, b, None if i is None else int(i), t, bit) for a, b, i, t in edges],
                )
                c.execute(f"DELETE FROM edges WHERE {col} = ? AND lists = 0", (paper_id,))
                c.execute("INSERT OR REPLACE INTO lists VALUES (?,?,?,?,?)", (paper_id, kind, status, total, now))

    def list_status(self, ids: Iterable[str], kind: str) -> dict[str, str]:
        ids = sorted(set(ids))
        out: dict[str, str] = {}
        for chunk in _chunks(ids):
            q = (f"SELECT paper_id, status FROM lists WHERE kind = ? AND fetched_at >= ? "
                 f"AND paper_id IN ({','.join('?' * len(chunk))})")
            out.update(self.conn.execute(q, [kind, self.stale_before, *chunk]).fetchall())
        return out

    def list_total(self, ids: Iterable[str], kind: str) -> int:
        """Sum of the lists' sizes as the API reported them (unresolved items included)."""
        ids = sorted(set(ids))
        q = f"SELECT coalesce(sum(total), 0) FROM lists WHERE kind = ? AND paper_id IN ({','.join('?' * len(ids))})"
        return int(self.conn.execute(q, [kind, *ids]).fetchone()[0])

    def list_edges(self, ids: Iterable[str], kind: str) -> list[tuple[str, str]]:
        """The (citing, cited) edges of the given papers' reference or citation lists: those
        lists as fetched, not every stored edge that names the papers (see IN_REFERENCES)."""
        ids = sorted(set(ids))
        col = "citing" if kind == "references" else "cited"
        member = f" AND (lists IS NULL OR lists & {_LIST_BIT[kind]})" if self._list_column else ""
        out: list[tuple[str, str]] = []
        for chunk in _chunks(ids):
            q = f"SELECT citing, cited FROM edges WHERE {col} IN ({','.join('?' * len(chunk))}){member}"
            out.extend(self.conn.execute(q, list(chunk)).fetchall())
        return out

    # -- pacing shared by the processes on this cache ---------------------------------------

    def pacing(self, api: str) -> SharedPacing:
        """The send clock of one API (base URL) shared through this cache; see pacing.Pacer."""
        return SharedPacing(self, api)

    def _claim_send(self, api: str, interval: float) -> float:
        with self.transaction() as c:
            now = time.time()
            row = c.execute("SELECT next_send FROM pacing WHERE api = ?", (api,)).fetchone()
            if row is not None and now < row[0] <= now + PACING_HORIZON:
                return float(row[0]) - now
            c.execute("INSERT OR REPLACE INTO pacing VALUES (?, ?)", (api, now + interval))
        return 0.0

    def _hold_sends(self, api: str, until: float) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO pacing VALUES (?, ?) ON CONFLICT(api) DO UPDATE SET "
                      "next_send = max(next_send, excluded.next_send)", (api, min(until, time.time() + PACING_HORIZON)))

    # -- housekeeping ---------------------------------------------------------------------

    def paper_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])

    def info(self) -> dict[str, int]:
        count = lambda t, w="": self.conn.execute(f"SELECT count(*) FROM {t} {w}").fetchone()[0]  # noqa: E731
        return {
            "papers": count("papers"),
            "full_papers": count("papers", "WHERE full = 1"),
            "edges": count("edges"),
            "lists": count("lists"),
            "maps": count("maps"),
            "bytes": sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file()),
        }


class SharedPacing:
    """pacing.SharedClock on a Store: the next allowed send time of one API, claimed atomically
    (BEGIN IMMEDIATE), so processes sharing the cache share the request budget."""

    def __init__(self, store: Store, api: str):
        self.store, self.api = store, api

    def claim(self, interval: float) -> float:
        return self.store._claim_send(self.api, interval)

    def hold(self, until: float) -> None:
        self.store._hold_sends(self.api, until)
