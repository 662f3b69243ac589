"""The DuckDB half of the CSR build (litmap/dataset_csr.py has the whole picture): the
citation shards read by DuckDB's JSON reader, the joins and sorts that number the papers and
their edges, and the sorted results streamed into the index's .npy arrays, CHUNK rows at a time
(never memory-mapped for writing: the build's memory is DuckDB's limit plus one chunk)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .blocks import write_key_table
from .bulk import Progress, _Report
from .csr_store import bucket_bits, bucket_of
from .errors import DatasetError, SettingsError

# Rows fetched from DuckDB at a time: 2 M rows are ~100 MB of Python strings (paperIds, aliases)
# or 32 MB an integer column, so the build's memory beyond DuckDB's limit stays flat at any
# size; larger chunks are no faster (a chunk is a rowid range: DuckDB reads only those rows).
CHUNK = 1 << 21


def connect(scratch: Path, threads: int, memory: str) -> tuple[Any, Any]:
    """An in-memory DuckDB for the build: `memory` (LITMAP_DUCKDB_MEMORY) is its limit, beyond
    which its tables and sorts spill to the scratch folder; `threads` its worker threads."""
    try:
        import duckdb  # here: only a build needs DuckDB (0.07 s to import); maps read the arrays
    except ImportError:
        raise DatasetError("the csr engine needs the duckdb package to build an index: pip install duckdb "
                           "(or use LITMAP_ENGINE=sqlite)") from None
    con = duckdb.connect()
    try:
        con.execute("SET memory_limit = ?", [memory])
    except duckdb.Error:
        con.close()
        raise SettingsError(f"LITMAP_DUCKDB_MEMORY must be a size such as 4GB or 512MB, not {memory!r}") from None
    for setting in (f"threads = {int(threads)}", "preserve_insertion_order = true", "enable_progress_bar = false"):
        con.execute(f"SET {setting}")
    con.execute("SET temp_directory = ?", [str(scratch / "spill")])
    return con, duckdb


def _tsv(paths: list[str], columns: dict[str, str]) -> str:
    cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    paths = [p for p in paths if os.path.getsize(p)]
    if not paths:
        return "(SELECT " + ", ".join(f"NULL::{v} AS {k}" for k, v in columns.items()) + " WHERE false)"
    return (f"read_csv({paths!r}, delim='\t', quote='', escape='', header=false, columns={{{cols}}}, "
            "nullstr='', auto_detect=false, max_line_size=1000000000)")


def _id(col: str) -> str:
    """bulk._int in SQL: a JSON integer, or a string of ASCII digits; else NULL."""
    return (f"CASE WHEN json_type({col}) IN ('BIGINT', 'UBIGINT') THEN TRY_CAST({col} AS BIGINT) "
            f"WHEN json_type({col}) = 'VARCHAR' AND regexp_full_match({col} ->> '$', '[0-9]+') "
            f"THEN TRY_CAST({col} ->> '$' AS BIGINT) END")


def _read_json(paths: list[str]) -> str:
    """bulk._citation_row in SQL, over these shards; `bad` marks the rows it would reject."""
    cols = "{citingcorpusid: 'JSON', citedcorpusid: 'JSON', isinfluential: 'JSON', intents: 'JSON'}"
    return f"""SELECT CAST(filename AS shard) AS file, citing, cited, infl, intents,
                      citing IS NULL OR (named AND cited IS NULL) AS bad FROM (
        SELECT filename, {_id('citingcorpusid')} AS citing, {_id('citedcorpusid')} AS cited,
               citedcorpusid IS NOT NULL AS named,
               CASE WHEN json_type(isinfluential) = 'BOOLEAN'
                    THEN CAST(CAST(isinfluential AS BOOLEAN) AS TINYINT) END AS infl,
               CASE WHEN json_type(intents) IN ('ARRAY', 'OBJECT') THEN CAST(intents AS VARCHAR) END AS intents
        FROM read_json({paths!r}, format='newline_delimited', columns={cols}, ignore_errors=true,
                       filename=true))"""


def _load_citations(con, duckdb, paths: list[str], read_by_python, progress: Progress | None) -> None:
    """The citations table: DuckDB reads every shard it can; bulk.py's reader the others
    (read_by_python(paths) yields (path, TSV of its rows))."""
    bad: set[str] = set()
    unreadable = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
    # each row's shard as an ENUM: 1-2 bytes a row where the path as text took ~60, the larger
    # part of this table (10^8 rows at 10^8 edges, spilled to disk beyond the memory limit)
    con.execute("CREATE TYPE shard AS ENUM (SELECT unnest(?::VARCHAR[]))", [paths])
    try:
        con.execute("CREATE TABLE cite AS " + _read_json(paths))
    except unreadable:  # e.g. a truncated gzip stream: find the shards DuckDB cannot read, one by one
        con.execute("CREATE OR REPLACE TABLE cite (file shard, citing BIGINT, cited BIGINT, infl TINYINT, "
                    "intents VARCHAR, bad BOOLEAN)")
        for p in paths:
            try:
                con.execute("INSERT INTO cite " + _read_json([p]))
            except unreadable:
                bad.add(p)
    bad |= {r[0] for r in con.execute("SELECT DISTINCT file FROM cite WHERE bad").fetchall()}
    if bad:
        con.execute("DELETE FROM cite WHERE file IN (SELECT unnest(?::VARCHAR[]))", [sorted(bad)])
    todo = [p for p in paths if p in bad]
    if progress:
        for p in todo:
            progress(f"citations/{Path(p).name}: read line by line (DuckDB rejected a line of it)")
    for path, tsv in read_by_python(todo):
        con.execute("INSERT INTO cite SELECT ?, citing, cited, infl, intents, false FROM " + _tsv(
            [tsv], {"citing": "BIGINT", "cited": "BIGINT", "infl": "TINYINT", "intents": "VARCHAR"}), [path])
    if progress:
        progress(f"citations: {len(paths) - len(bad)} of {len(paths)} files read by DuckDB")


# -- the arrays ---------------------------------------------------------------------------------


def _int_dtype(lo, hi, unknown: bool = True, unsigned: bool = False) -> np.dtype:
    """The narrowest integer type holding every value in [lo, hi] and, when `unknown`, one more
    value that none of them is (csr_store.none_value: a signed type's minimum, an unsigned one's
    maximum)."""
    if unsigned and (lo is None or lo >= 0):
        for u in (np.dtype(np.uint32), np.dtype(np.uint64)):
            if hi is None or hi <= np.iinfo(u).max - unknown:
                return u
    for s in (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64)):
        info = np.iinfo(s)
        if (lo is None or lo >= info.min + unknown) and (hi is None or hi <= info.max):
            return s
    return np.dtype(np.int64)


class _Npy:
    """A .npy file of known length written front to back (never mapped: the build's memory
    stays that of one chunk)."""

    def __init__(self, path: Path, dtype: npt.DTypeLike, length: int):
        self.f = open(path, "wb")
        self.dtype, self.length, self.n = np.dtype(dtype), length, 0
        np.lib.format.write_array_header_2_0(self.f, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                      "fortran_order": False, "shape": (length,)})

    def write(self, values: np.ndarray) -> None:
        self.f.write(np.ascontiguousarray(values, dtype=self.dtype).tobytes())
        self.n += len(values)

    def close(self) -> None:
        self.f.close()
        if self.n != self.length:
            raise DatasetError(f"internal error: {self.f.name} got {self.n} values, not {self.length}")


def _chunks(con, sql: str, total: int, params: list | None = None) -> Iterator[dict[str, np.ndarray]]:
    """A table's rows in rowid order (its sorted insertion order), CHUNK at a time."""
    for lo in range(0, total, CHUNK):
        yield con.execute(sql + " WHERE rowid >= ? AND rowid < ?", [*(params or []), lo, lo + CHUNK]).fetchnumpy()


def _write_csr(con, table: str, key: str, other: str, n: int, dest: Path, name: str, row_type) -> int:
    """name.offsets.npy and name.rows.npy from `table`, sorted by (key, other)."""
    total = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    rows = _Npy(dest / f"{name}.rows.npy", row_type, total)
    offsets = _Npy(dest / f"{name}.offsets.npy", np.int64, n + 1)
    done, next_row, last = 0, 0, (-1, -1)
    for c in _chunks(con, f"SELECT {key} AS k, {other} AS o FROM {table}", total):
        k, o = c["k"].astype(np.int64), c["o"].astype(np.int64)
        if len(k) and (((k[0], o[0]) <= last) or np.any((np.diff(k) < 0) | ((np.diff(k) == 0) & (np.diff(o) <= 0)))):
            raise DatasetError(f"internal error: {table} is not sorted by ({key}, {other})")
        # offsets of the rows up to this chunk's last key (a key may continue into the next chunk)
        starts = np.searchsorted(k, np.arange(next_row, int(k[-1]) + 1)) + done if len(k) else np.zeros(0, np.int64)
        offsets.write(np.asarray(starts, dtype=np.int64))
        next_row = int(k[-1]) + 1 if len(k) else next_row
        rows.write(o)
        done += len(k)
        if len(k):
            last = (int(k[-1]), int(o[-1]))
    offsets.write(np.full(n + 1 - next_row, done, dtype=np.int64))
    rows.close()
    offsets.close()
    return total


def _column(con, expr: str, table: str, n: int, path: Path, unknown: bool = True, unsigned: bool = False) -> None:
    lo, hi = con.execute(f"SELECT min({expr}), max({expr}) FROM {table}").fetchone()
    dtype = _int_dtype(lo, hi, unknown, unsigned)
    none = np.iinfo(dtype).max if np.iinfo(dtype).min == 0 else np.iinfo(dtype).min
    out = _Npy(path, dtype, n)
    for c in _chunks(con, f"SELECT coalesce({expr}, {none}) AS v FROM {table}", n):
        out.write(c["v"])
    out.close()


def _title_table(con, n: int, dest: Path, row_type) -> None:
    """papers.title_hash.npy (the titles' hashes, sorted) and papers.title_rows.npy (the row of
    each): a title seed found by one binary search (CsrStore.match_title)."""
    con.execute("CREATE TABLE wt AS SELECT th, row FROM w WHERE th IS NOT NULL ORDER BY th, row")
    total = int(con.execute("SELECT count(*) FROM wt").fetchone()[0])
    hashes = _Npy(dest / "papers.title_hash.npy", np.int64, total)
    rows = _Npy(dest / "papers.title_rows.npy", row_type, total)
    for c in _chunks(con, "SELECT th, row FROM wt", total):
        hashes.write(c["th"])
        rows.write(c["row"])
    hashes.close()
    rows.close()
    con.execute("DROP TABLE wt")


# -- the whole -----------------------------------------------------------------------------------


def assemble(con, duckdb, root: Path, citations: list[Path], bases: list[tuple[str, int, int]], scratch: Path,
             dest: Path, report: _Report, progress: Progress | None, clock, read_by_python) -> dict:
    """Steps 2 and 3 of the build (litmap/dataset_csr.py): from the workers' TSV files in
    `scratch` and the citation shards to the arrays and the alias table in `dest`. `bases`:
    (folder, shard, first slot) of each shard's blocks; `clock.lap(name)` times each phase."""
    con.execute("CREATE TABLE base (folder VARCHAR, task BIGINT, base BIGINT)")
    con.executemany("INSERT INTO base VALUES (?, ?, ?)", bases)

    def tsv(folder: str, prefix: str, columns: dict[str, str]) -> str:
        return _tsv(sorted(str(p) for p in scratch.glob(f"{prefix}-*.tsv")), columns)

    def slots(folder: str, extra: dict[str, str]) -> str:
        cols = {"seq": "BIGINT", "corpusid": "BIGINT", **extra, "slot": "BIGINT"}
        return (f"SELECT r.* EXCLUDE (slot), r.slot + b.base AS slot FROM {tsv(folder, folder, cols)} r "
                f"JOIN base b ON b.folder = '{folder}' AND b.task = r.seq >> 32")

    con.execute("CREATE TABLE paper AS " + slots("papers", {"paper_id": "VARCHAR", "cc": "BIGINT", "rc": "BIGINT",
                                                           "year": "BIGINT", "th": "BIGINT"}))
    n_valid = con.execute("SELECT count(*) FROM paper").fetchone()[0]
    # the first row of a repeated corpusid
    con.execute("""CREATE TABLE p AS SELECT corpusid, r.* FROM (
                       SELECT corpusid, arg_min({'seq': seq, 'paper_id': paper_id, 'cc': cc, 'rc': rc, 'year': year,
                                                 'th': th, 'slot': slot}, seq) AS r FROM paper GROUP BY corpusid)""")
    con.execute("DROP TABLE paper")
    n_unique = con.execute("SELECT count(*) FROM p").fetchone()[0]
    if not n_unique:
        raise DatasetError(f"no dataset at {root}: papers/ holds no valid paper records")
    if n_valid - n_unique:
        report.note(f"papers: {n_valid - n_unique:,} rows repeat a corpusid already seen; the first was kept")
    if progress:
        progress("indexing papers, aliases and citation edges ...")
    # one paper per paperId (its smallest corpusid), numbered in corpus-id order; every corpusid
    # names the row of its paper
    for name, folder in (("ab", "abstracts"), ("tl", "tldrs")):
        con.execute(f"CREATE TABLE {name} AS SELECT corpusid, arg_max(slot, seq) AS slot FROM ({slots(folder, {})}) "
                    "GROUP BY corpusid")
    con.execute("""CREATE TABLE w AS
        SELECT row_number() OVER (ORDER BY p.corpusid) - 1 AS row, p.corpusid, p.paper_id, p.cc, p.rc, p.year,
               p.th, p.slot, ab.slot AS ab, tl.slot AS tl
        FROM p JOIN (SELECT min(corpusid) AS corpusid FROM p GROUP BY paper_id) c ON c.corpusid = p.corpusid
        LEFT JOIN ab ON ab.corpusid = p.corpusid LEFT JOIN tl ON tl.corpusid = p.corpusid
        ORDER BY p.corpusid""")
    n, misplaced = con.execute("SELECT count(*), count(*) FILTER (WHERE row != rowid) FROM w").fetchone()
    if misplaced:  # the arrays are written in rowid order: it must be the row order
        raise DatasetError("internal error: the papers are not stored in corpus-id order")
    row_type = _int_dtype(0, n, unknown=False, unsigned=True)
    # rows as 32-bit integers in the edge tables (below 2^32 papers): half the memory and spill
    sql_row = "UINTEGER" if row_type == np.uint32 else "UBIGINT"
    con.execute(f"CREATE TABLE cmap AS SELECT p.corpusid, CAST(w.row AS {sql_row}) AS row "
                "FROM p JOIN w USING (paper_id)")

    clock.lap("papers: DuckDB (first rows, one per paperId, numbering)")
    _load_citations(con, duckdb, [str(p) for p in citations], read_by_python, progress)
    clock.lap("citations: DuckDB JSON reader")
    con.execute("""CREATE TABLE e AS
        SELECT a.row AS citing, b.row AS cited, min(c.infl) AS infl, min(c.intents) AS intents
        FROM cite c JOIN cmap a ON a.corpusid = c.citing JOIN cmap b ON b.corpusid = c.cited
        WHERE c.citing != c.cited GROUP BY ALL ORDER BY citing, cited""")
    n_cites, unmatched, self_cites = con.execute(
        "SELECT count(cited), count(*) - count(cited), count(*) FILTER (WHERE citing = cited) FROM cite").fetchone()
    con.execute("DROP TABLE cite")
    n_edges = _write_csr(con, "e", "citing", "cited", n, dest, "references", row_type)
    report.citation_summary(n_cites, unmatched, self_cites, n_edges)
    con.execute("COPY (SELECT CAST(infl AS BOOLEAN) AS is_influential, intents FROM e) "
                f"TO '{dest / 'edges.attrs.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
    con.execute("CREATE TABLE e2 AS SELECT cited, citing FROM e ORDER BY cited, citing")
    con.execute("DROP TABLE e")
    _write_csr(con, "e2", "cited", "citing", n, dest, "citations", row_type)
    con.execute("DROP TABLE e2")
    clock.lap("edges: DuckDB join, dedupe, sorts; CSR arrays written")

    if progress:
        progress("writing the paper arrays ...")
    for col, name, unknown in (("corpusid", "corpus_id", False), ("cc", "citation_count", True),
                               ("rc", "reference_count", True), ("year", "year", True)):
        _column(con, col, "w", n, dest / f"papers.{name}.npy", unknown, unsigned=not unknown)
    for col, name, unknown in (("slot", "record", False), ("ab", "abstract", True), ("tl", "tldr", True)):
        _column(con, col, "w", n, dest / f"papers.{name}.npy", unknown, unsigned=True)
    con.execute("CREATE TABLE ws AS SELECT paper_id, row FROM w ORDER BY paper_id")
    srt, rws = _Npy(dest / "papers.pid_sorted.npy", "S20", n), _Npy(dest / "papers.pid_rows.npy", row_type, n)
    bits = bucket_bits(n)
    per_bucket = np.zeros(1 << bits, dtype=np.int64)
    for c in _chunks(con, "SELECT paper_id, row FROM ws", n):
        keys = bytes.fromhex("".join(c["paper_id"].tolist()))
        srt.write(np.frombuffer(keys, dtype="S20"))
        rws.write(c["row"])
        per_bucket += np.bincount(bucket_of(keys, bits), minlength=1 << bits)
    srt.close()
    rws.close()
    np.save(dest / "papers.pid_buckets.npy", np.concatenate(([0], np.cumsum(per_bucket))).astype(row_type))
    con.execute("CREATE TABLE wp AS SELECT row, rowid AS pos FROM ws ORDER BY row")
    if con.execute("SELECT count(*) FROM wp WHERE row != rowid").fetchone()[0]:
        raise DatasetError("internal error: the paperId positions are not stored in row order")
    _column(con, "pos", "wp", n, dest / "papers.pid_pos.npy", unknown=False, unsigned=True)
    con.execute("DROP TABLE ws")
    con.execute("DROP TABLE wp")
    _title_table(con, n, dest, row_type)

    clock.lap("paper arrays: DuckDB sorts; arrays written")
    alias = tsv("papers", "aliases", {"seq": "BIGINT", "corpusid": "BIGINT", "alias": "VARCHAR"})
    con.execute(f"""CREATE TABLE al AS SELECT alias, arg_min(row, corpusid) AS row FROM (
        SELECT json_extract_string(x.alias, '$') AS alias, x.corpusid, m.row
        FROM {alias} x JOIN p ON p.corpusid = x.corpusid AND p.seq = x.seq JOIN cmap m ON m.corpusid = x.corpusid
        UNION ALL
        SELECT 'CORPUSID:' || corpusid, corpusid, row FROM cmap WHERE corpusid NOT IN (SELECT corpusid FROM w)
    ) GROUP BY alias ORDER BY alias""")
    total = con.execute("SELECT count(*) FROM al").fetchone()[0]
    pairs = ((a, r) for c in _chunks(con, "SELECT alias, row FROM al", total)
             for a, r in zip(c["alias"].tolist(), c["row"].tolist()))
    write_key_table(dest, "aliases", pairs)
    clock.lap("aliases: DuckDB join and sort; key table written")
    return {"papers": n, "edges": n_edges}
