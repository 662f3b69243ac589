"""Building the SQLite index of a bulk dataset; the public side is litmap/dataset.py.

Everything streams: the files are read in 8 MB chunks, parsed line by line (json.loads) and
loaded in batches of up to 50,000 rows into scratch tables keyed by corpusid (in a separate
"-scratch" file, deleted at the end). SQL then joins them into the store's tables: the
corpusid -> paperId mapping of the citations is a join and the sorts are SQLite's (spilling
to temporary files), never a Python dict of the dataset, so memory stays flat whatever the
size of the dataset (the full S2 datasets hold hundreds of millions of rows; point
SQLITE_TMPDIR at a roomy disk for those).

Malformed lines (not JSON, not an object, no usable id) are skipped and reported as
"file:line: reason"; a file that cannot be read to its end stops the build (DatasetError).
The index is written to a temporary file that replaces the old one only when complete.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from . import store as store_mod
from . import titles
from .bulk import ALIAS_PREFIXES, DatasetError, Progress, _Report, dead_builds, index_meta, row_batches

# -- loading ------------------------------------------------------------------------------
#
# Each folder is loaded into its scratch table (in the attached database s), keyed by corpusid.
# The first row of a repeated corpusid wins in papers, the last in abstracts and tldrs (blank
# texts are not rows).

_INSERT = {
    "papers": "INSERT OR IGNORE INTO s.paper VALUES (?, ?, ?)",
    "abstracts": "INSERT OR REPLACE INTO s.abstract SELECT ?1, ?2 WHERE ?2 IS NOT NULL",
    "tldrs": "INSERT OR REPLACE INTO s.tldr SELECT ?1, ?2 WHERE ?2 IS NOT NULL",
    "citations": "INSERT INTO s.cite VALUES (?, ?, ?, ?)",
}

_SCRATCH = """
CREATE TABLE s.paper (corpusid INTEGER PRIMARY KEY, paper_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE s.abstract (corpusid INTEGER PRIMARY KEY, abstract TEXT NOT NULL);
CREATE TABLE s.tldr (corpusid INTEGER PRIMARY KEY, tldr TEXT NOT NULL);
CREATE TABLE s.cite (citing INTEGER NOT NULL, cited INTEGER, infl INTEGER, intents TEXT);
"""


def _load_folder(conn: sqlite3.Connection, files: list[Path], folder: str, report: _Report) -> int:
    """Load one dataset folder into its scratch table; returns the number of valid lines."""
    valid = 0
    for rows in row_batches(files, folder, report):
        conn.executemany(_INSERT[folder], rows)
        valid += len(rows)
    return valid


# The alias key of each external id, as litmap.ids.alias_key writes it: DOI lowercased (by
# Python: SQLite's lower() folds ASCII only), PMCID with its "PMC" prefix (the bulk data has the
# bare number), the others as given.
_ALIAS_VALUE = {
    "DOI": "py_lower(e.value)",
    "PubMedCentral": "CASE WHEN upper(e.value) LIKE 'PMC%' THEN e.value ELSE 'PMC' || e.value END",
}


def _alias_select() -> str:
    cases = " ".join(
        f"WHEN '{key}' THEN '{prefix}:' || {_ALIAS_VALUE.get(key, 'e.value')}"
        for key, prefix in ALIAS_PREFIXES.items()
    )
    keys = ",".join(f"'{k}'" for k in ALIAS_PREFIXES)
    return f"""
        SELECT alias, paper_id FROM (
            SELECT 'CORPUSID:' || p.corpusid AS alias, p.paper_id, p.corpusid
            FROM s.paper p
            UNION ALL
            SELECT CASE e.key {cases} END, p.paper_id, p.corpusid
            FROM s.paper p, json_each(p.data, '$.externalIds') e
            WHERE e.key IN ({keys})
        ) ORDER BY alias, corpusid
    """


# -- building -----------------------------------------------------------------------------


def build_index(root: Path, files: dict[str, list[Path]], dest: Path, fp: str,
                progress: Progress | None = None) -> dict:
    """Build the index of the dataset at `root` into the new file `dest`; returns a summary."""
    t0 = time.perf_counter()
    report = _Report(progress)
    scratch = dest.with_name(dest.name + "-scratch")
    conn = sqlite3.connect(dest, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                       "cache_size=-262144", "threads=2"):  # 256 MiB page cache; sorter threads
            conn.execute(f"PRAGMA {pragma}")
        conn.create_function("py_lower", 1, str.lower, deterministic=True)
        store_mod.create_schema(conn)
        conn.execute("DROP INDEX edges_cited")  # made after the bulk load: much faster
        conn.execute("ATTACH DATABASE ? AS s", (str(scratch),))
        conn.execute("PRAGMA s.journal_mode=OFF")
        conn.execute("PRAGMA s.synchronous=OFF")
        conn.executescript(_SCRATCH)
        conn.execute("BEGIN")

        valid = {name: _load_folder(conn, files[name], name, report)
                 for name in ("papers", "abstracts", "tldrs", "citations")}
        n_unique = conn.execute("SELECT count(*) FROM s.paper").fetchone()[0]
        if not n_unique:
            raise DatasetError(f"no dataset at {root}: papers/ holds no valid paper records")
        repeated = valid["papers"] - n_unique
        if repeated:
            report.note(f"papers: {repeated:,} rows repeat a corpusid already seen; the first was kept")
        if progress:
            progress("indexing papers, aliases and citation edges ...")

        now = time.time()
        # A slim corpusid -> paperId map: the edge join and the sorts below handle small rows
        # (s.paper rows carry the whole record).
        conn.execute("CREATE TABLE s.map (corpusid INTEGER PRIMARY KEY, paper_id TEXT NOT NULL)")
        conn.execute("INSERT INTO s.map SELECT corpusid, paper_id FROM s.paper ORDER BY corpusid")
        conn.execute("CREATE INDEX s.map_paper ON map (paper_id)")  # papers go in in paper_id order
        conn.execute(
            """INSERT OR IGNORE INTO papers (paper_id, corpus_id, data, full, fetched_at)
               SELECT m.paper_id, m.corpusid,
                      CASE WHEN a.abstract IS NULL AND t.tldr IS NULL THEN p.data
                           ELSE json_set(p.data, '$.abstract', a.abstract, '$.tldr', t.tldr) END,
                      1, ?
               FROM s.map m INDEXED BY map_paper
               JOIN s.paper p ON p.corpusid = m.corpusid
               LEFT JOIN s.abstract a ON a.corpusid = m.corpusid LEFT JOIN s.tldr t ON t.corpusid = m.corpusid
               ORDER BY m.paper_id""",
            (now,),
        )
        conn.execute("INSERT OR IGNORE INTO aliases " + _alias_select())
        # titles: what Store.match_title looks a title seed up in (the key in Python: the same
        # normalisation on every engine)
        conn.create_function("title_key", 1, titles.title_key, deterministic=True)
        conn.execute(titles.TITLES_TABLE)
        conn.execute("""INSERT OR IGNORE INTO titles
                        SELECT key, paper_id, citations FROM (
                            SELECT title_key(json_extract(data, '$.title')) AS key, paper_id,
                                   json_extract(data, '$.citationCount') AS citations FROM papers)
                        WHERE key IS NOT NULL ORDER BY key, paper_id""")
        before = conn.total_changes
        conn.execute(
            """INSERT OR IGNORE INTO edges (citing, cited, is_influential, intents)
               SELECT a.paper_id, b.paper_id, c.infl, c.intents
               FROM s.cite c JOIN s.map a ON a.corpusid = c.citing JOIN s.map b ON b.corpusid = c.cited
               WHERE c.citing != c.cited
               ORDER BY 1, 2"""
        )
        n_edges = conn.total_changes - before
        n_cites, unmatched, self_cites = conn.execute(
            "SELECT count(cited), count(*) - count(cited), count(*) FILTER (WHERE citing = cited) FROM s.cite"
        ).fetchone()
        report.citation_summary(n_cites, unmatched, self_cites, n_edges)

        store_mod.create_schema(conn)  # re-creates edges_cited, now in one sorted pass
        conn.execute(
            """INSERT INTO lists (paper_id, kind, status, total, fetched_at)
               SELECT p.paper_id, k.kind, 'complete',
                      CASE k.kind WHEN 'references' THEN (SELECT count(*) FROM edges WHERE citing = p.paper_id)
                                  ELSE (SELECT count(*) FROM edges WHERE cited = p.paper_id) END,
                      ?
               FROM papers p CROSS JOIN (SELECT 'citations' AS kind UNION ALL SELECT 'references') k
               ORDER BY p.paper_id, k.kind""",
            (now,),
        )
        n_papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        meta = index_meta(root, fp, n_papers, n_edges, report, now)
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE s")
        conn.execute("PRAGMA locking_mode=NORMAL")
        conn.execute("PRAGMA journal_mode=DELETE")  # a plain file: opens read-only, no -wal/-shm
    finally:
        conn.close()
        _unlink(scratch)
    return {"papers": n_papers, "edges": n_edges, "malformed": len(report.warnings) + report.dropped,
            "seconds": time.perf_counter() - t0}


# -- the engine interface (litmap/dataset.py) ------------------------------------------------

SUFFIX = ".sqlite"


def read_meta(path: Path) -> dict[str, str] | None:
    """The index's meta rows, or None when the file is not a usable index."""
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM meta "
                                     "WHERE key LIKE 'dataset_%' OR key = 'schema_version'"))
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def open_store(path: Path) -> store_mod.Store:
    # read-only: opening it writable would switch the file to WAL mode, whose -wal file must
    # never outlive a rebuild's os.replace
    return store_mod.Store(path, readonly=True)


# -- the index file: built aside, moved into place when complete ----------------------------


def rebuild(root: Path, files: dict[str, list[Path]], final: Path, fp: str, progress: Progress | None) -> dict:
    """Build the index into a temporary file beside `final` and move it over `final` only when
    complete (fsynced), so an interrupted build never leaves a file taken as an index."""
    _clean_stale_temps(final)
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        result = build_index(root, files, tmp, fp, progress)
        _fsync(tmp)
        os.replace(tmp, final)
        _fsync(final.parent, directory=True)
    except BaseException:  # Ctrl-C included: nothing of this build is left behind
        _unlink(tmp)
        raise
    return result


def _unlink(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _fsync(path: Path, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _clean_stale_temps(final: Path) -> None:
    for p in dead_builds(final):
        _unlink(p)
