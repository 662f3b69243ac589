"""The CSR engine: a bulk dataset as integer-id adjacency arrays (read by litmap/csr_store.py).

The index is a directory of numpy arrays and compressed blocks:

    papers.corpus_id.npy           corpus id of each paper row, ascending (a row is a paper number)
    papers.pid_sorted.npy          the 40-hex paperIds as 20 bytes, sorted; papers.pid_rows.npy the
                                   row of each; papers.pid_pos.npy the position of each row's
    papers.citation_count|reference_count|year.npy   (the dtype's minimum: unknown)
    papers.record|abstract|tldr.npy                  slots in the block stores (abstract, tldr:
                                                     the dtype's maximum: none)
    references.offsets.npy, references.rows.npy      CSR by citing row: cited rows, ascending
    citations.offsets.npy, citations.rows.npy        CSR by cited row: citing rows, ascending
    edges.attrs.parquet            is_influential, intents of each edge, in references order
    records|abstracts|tldrs-NNNNN.bin + .blocks.npy + .parts.json   zlib blocks of JSON lines
    aliases-00000.bin + aliases.*  sorted key table alias -> row (canonical CORPUSID: ids are
                                   found through papers.corpus_id instead)
    meta.json                      the dataset_* keys every engine's index carries

An edge costs 4 bytes per direction (rows are 32-bit below 2^32 papers); the paperId is stored
once per paper. The rows are exactly those of the other engines: the same reading and
normalisation (litmap/bulk.py), one paper per paperId (the smallest corpusid), the first row of
a repeated corpusid, the last abstract or tldr, self-citations and repeated pairs dropped (a
repeated pair keeps the smallest flags), so the same crawl gives the same map.

The build is parallel, in bounded memory:
 1. papers/, abstracts/ and tldrs/ shards are read by a pool of worker processes, one shard a
    task (LITMAP_BUILD_WORKERS, default: every core), with bulk.py's reader: records and texts
    go straight into compressed blocks; a small row per paper (ids, counts, year, slot) and its
    aliases into TSV files.
 2. citations/ (nine lines in ten of the release) are read by DuckDB's multi-threaded JSON
    reader with the same rules in SQL. A shard with any line those rules reject (not JSON, not
    an object, no valid id), or that DuckDB cannot read, is read by bulk.py's reader instead,
    which reports each line ("file:line: reason") as every engine does, and stops the build
    with the shard's name when it is truncated. (DuckDB keeps the first of two equal keys in a
    line, Python the last: a line with a repeated key is the one case the two could differ.)
 3. DuckDB (every core, LITMAP_DUCKDB_MEMORY, spilling to the build's scratch folder) keeps
    the first row of each corpusid and one paper per paperId, numbers the papers in corpus-id
    order, maps the citations to rows, drops self-citations and repeats, and sorts the edges
    both ways; the sorted tables are streamed into the arrays in chunks of CHUNK rows.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from . import bulk
from . import store as store_mod
from .bulk import ALIAS_PREFIXES, DatasetError, Progress, _Report, index_meta, normalise_record, row_batches
from .csr_store import BLOCK, BlockWriter, CsrStore, join_parts, write_key_table
from .ids import alias_key

SUFFIX = ".csr"
MEMORY_LIMIT = os.environ.get("LITMAP_DUCKDB_MEMORY", "4GB")
CHUNK = 1 << 24  # rows fetched from DuckDB at a time (an edge chunk: 16 M edges, 256 MB)
PARALLEL_BYTES = 64 << 20  # inputs smaller than this are read in this process: a pool costs more
_TEXT_FOLDERS = ("papers", "abstracts", "tldrs")
_STORE = {"papers": "records", "abstracts": "abstracts", "tldrs": "tldrs"}
_BIG = 1 << 62  # counts and years beyond this are not numbers a paper has: unknown


def workers() -> int:
    env = os.environ.get("LITMAP_BUILD_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


# -- step 1: the text folders, one shard a task ------------------------------------------------


@dataclass(frozen=True)
class _Task:
    folder: str
    index: int  # the file's position in its folder: the high bits of every row's sequence number
    path: str
    scratch: str
    dest: str
    max_warnings: int


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')


def _json_text(text: str) -> str:
    """json.dumps(text, ensure_ascii=False), without its cost for the usual text that needs no escape."""
    return f'"{text}"' if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _number(value) -> int | str:
    return "" if value is None or not -_BIG < value < _BIG else value


def _parse(task: _Task) -> dict:
    """Read one shard: blocks into dest, rows into scratch TSV files. Runs in a worker."""
    bulk.MAX_WARNINGS = task.max_warnings  # a worker process does not see the parent's setting
    report = _Report(lambda message: None)
    part = f"{_STORE[task.folder]}-{task.index:05d}.bin"
    blocks = BlockWriter(Path(task.dest) / part)
    base = task.index << 32
    n = 0
    tsv = open(Path(task.scratch) / f"{task.folder}-{task.index:05d}.tsv", "w", encoding="utf-8", newline="\n")
    aliases = open(Path(task.scratch) / f"aliases-{task.index:05d}.tsv", "w", encoding="utf-8", newline="\n") \
        if task.folder == "papers" else None
    try:
        to_row = normalise_record if task.folder == "papers" else None
        for rows in row_batches([Path(task.path)], task.folder, report, to_row=to_row):
            lines, more = [], []
            for i, row in enumerate(rows, n):
                if task.folder == "papers":
                    slot = blocks.add(json.dumps(row, ensure_ascii=False).encode("utf-8"))
                    cid = row["corpusId"]
                    lines.append(f"{base + i}\t{cid}\t{row['paperId']}\t{_number(row['citationCount'])}\t"
                                 f"{_number(row['referenceCount'])}\t{_number(row['year'])}\t{slot}\n")
                    more += [f"{base + i}\t{cid}\t{_json_text(alias_key(ALIAS_PREFIXES[k].lower(), v))}\n"
                             for k, v in row["externalIds"].items() if k in ALIAS_PREFIXES]
                elif row[1] is not None:  # a blank abstract or tldr is not a row
                    slot = blocks.add(json.dumps(row[1], ensure_ascii=False).encode("utf-8"))
                    lines.append(f"{base + i}\t{row[0]}\t{slot}\n")
            tsv.writelines(lines)
            if aliases:
                aliases.writelines(more)
            n += len(rows)
    finally:
        offsets = blocks.close()
        tsv.close()
        if aliases:
            aliases.close()
    return {"valid": n, "warnings": report.warnings, "dropped": report.dropped, "part": part, "offsets": offsets}


def _parse_citations(task: _Task) -> dict:
    """bulk.py's reader on one citations shard: its rows as TSV for DuckDB."""
    bulk.MAX_WARNINGS = task.max_warnings
    report = _Report(lambda message: None)
    path = Path(task.scratch) / f"citations-{task.index:05d}.tsv"
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for rows in row_batches([Path(task.path)], "citations", report):
            out.writelines(f"{a}\t{'' if b is None else b}\t{'' if f is None else f}\t{t or ''}\n" for a, b, f, t in rows)
            n += len(rows)
    return {"valid": n, "warnings": report.warnings, "dropped": report.dropped, "tsv": str(path)}


def _run(fn, tasks: list[_Task], parallel: bool) -> Iterator[tuple[_Task, dict]]:
    """fn over the tasks, in their order; in a pool of worker processes when `parallel`."""
    if not parallel or len(tasks) < 2 or workers() < 2:
        for t in tasks:
            yield t, fn(t)
        return
    # spawn: a fresh interpreter per worker, never a fork of a process that may run DuckDB threads
    pool = multiprocessing.get_context("spawn").Pool(min(workers(), len(tasks)))
    try:
        yield from zip(tasks, pool.imap(fn, tasks))
        pool.close()
    finally:
        pool.terminate()  # an error or Ctrl-C: stop the other shards at once
        pool.join()


def _relay(report: _Report, progress: Progress | None, rel: str, result: dict) -> None:
    """A worker's warnings and row count, in the order a serial build reports them."""
    for message in result["warnings"]:
        report.warn(message)
    report.dropped += result["dropped"]
    if progress:
        progress(f"{rel}: {result['valid']:,} rows")


# -- step 2 and 3: DuckDB ---------------------------------------------------------------------------


def _duckdb(scratch: Path):
    try:
        import duckdb
    except ImportError:
        raise DatasetError("the csr engine needs the duckdb package to build an index: pip install duckdb "
                           "(or use LITMAP_ENGINE=sqlite)") from None
    con = duckdb.connect()  # in memory, tables spilling to the scratch folder beyond the limit
    for setting in (f"memory_limit = '{MEMORY_LIMIT}'", f"threads = {workers()}", "preserve_insertion_order = true",
                    "enable_progress_bar = false"):
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
    return f"""SELECT filename AS file, citing, cited, infl, intents,
                      citing IS NULL OR (named AND cited IS NULL) AS bad FROM (
        SELECT filename, {_id('citingcorpusid')} AS citing, {_id('citedcorpusid')} AS cited,
               citedcorpusid IS NOT NULL AS named,
               CASE WHEN json_type(isinfluential) = 'BOOLEAN' THEN CAST(CAST(isinfluential AS BOOLEAN) AS TINYINT) END AS infl,
               CASE WHEN json_type(intents) IN ('ARRAY', 'OBJECT') THEN CAST(intents AS VARCHAR) END AS intents
        FROM read_json({paths!r}, format='newline_delimited', columns={cols}, ignore_errors=true,
                       filename=true))"""


def _load_citations(con, duckdb, files: list[Path], scratch: Path, dest: Path, report: _Report,
                    progress: Progress | None, max_warnings: int) -> None:
    """The citations table: DuckDB reads every shard it can; bulk.py's reader the others."""
    paths = [str(p) for p in files]
    bad: set[str] = set()
    unreadable = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
    try:
        con.execute("CREATE TABLE cite AS " + _read_json(paths))
    except unreadable:  # e.g. a truncated gzip stream: find the shards DuckDB cannot read, one by one
        con.execute("CREATE OR REPLACE TABLE cite (file VARCHAR, citing BIGINT, cited BIGINT, infl TINYINT, "
                    "intents VARCHAR, bad BOOLEAN)")
        for p in paths:
            try:
                con.execute("INSERT INTO cite " + _read_json([p]))
            except unreadable:
                bad.add(p)
    bad |= {r[0] for r in con.execute("SELECT DISTINCT file FROM cite WHERE bad").fetchall()}
    if bad:
        con.execute("DELETE FROM cite WHERE file IN (SELECT unnest(?::VARCHAR[]))", [sorted(bad)])
    tasks = [_Task("citations", i, p, str(scratch), str(dest), max_warnings) for i, p in enumerate(paths) if p in bad]
    if progress:
        for t in tasks:
            progress(f"citations/{Path(t.path).name}: read line by line (DuckDB rejected a line of it)")
    big = sum(os.path.getsize(t.path) for t in tasks) >= PARALLEL_BYTES
    for task, result in _run(_parse_citations, tasks, big):
        _relay(report, progress, f"citations/{Path(task.path).name}", result)
        con.execute("INSERT INTO cite SELECT ?, citing, cited, infl, intents, false FROM " + _tsv(
            [result["tsv"]], {"citing": "BIGINT", "cited": "BIGINT", "infl": "TINYINT", "intents": "VARCHAR"}),
            [task.path])
    if progress:
        progress(f"citations: {len(paths) - len(bad)} of {len(paths)} files read by DuckDB")


# -- step 4: the arrays ---------------------------------------------------------------------------


def _int_dtype(lo, hi, unknown: bool = True, unsigned: bool = False) -> np.dtype:
    """The narrowest integer type holding every value in [lo, hi] and, when `unknown`, one more
    value that none of them is (csr_store.none_value: a signed type's minimum, an unsigned one's
    maximum)."""
    if unsigned and (lo is None or lo >= 0):
        for t in (np.uint32, np.uint64):
            if hi is None or hi <= np.iinfo(t).max - unknown:
                return np.dtype(t)
    for t in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(t)
        if (lo is None or lo >= info.min + unknown) and (hi is None or hi <= info.max):
            return np.dtype(t)
    return np.dtype(np.int64)


class _Npy:
    """A .npy file of known length written front to back (never mapped: the build's memory
    stays that of one chunk)."""

    def __init__(self, path: Path, dtype: np.dtype, length: int):
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
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rows, offsets = _Npy(dest / f"{name}.rows.npy", row_type, total), _Npy(dest / f"{name}.offsets.npy", np.int64, n + 1)
    done, next_row, last = 0, 0, (-1, -1)
    for c in _chunks(con, f"SELECT {key} AS k, {other} AS o FROM {table}", total):
        k, o = c["k"].astype(np.int64), c["o"].astype(np.int64)
        if len(k) and (((k[0], o[0]) <= last) or np.any((np.diff(k) < 0) | ((np.diff(k) == 0) & (np.diff(o) <= 0)))):
            raise DatasetError(f"internal error: {table} is not sorted by ({key}, {other})")
        # offsets of the rows up to this chunk's last key (a key may continue into the next chunk)
        starts = np.searchsorted(k, np.arange(next_row, int(k[-1]) + 1)) + done if len(k) else []
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


# -- the build --------------------------------------------------------------------------------------


class _Clock:
    """Wall and CPU seconds (this process, its threads and its finished worker processes) of
    each phase of a build: what benchmarks/scale.py reports as the build's parallel share."""

    def __init__(self):
        self.phases: dict[str, dict[str, float]] = {}
        self.t, self.c = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def lap(self, name: str) -> None:
        t, c = time.perf_counter(), self._cpu()
        self.phases[name] = {"wall": round(t - self.t, 2), "cpu": round(c - self.c, 2)}
        self.t, self.c = t, c



def build_index(root: Path, files: dict[str, list[Path]], dest: Path, fp: str, progress: Progress | None = None) -> dict:
    """Write the CSR index of the dataset at `root` into the new directory `dest`."""
    t0 = time.perf_counter()
    report = _Report(progress)
    dest.mkdir(parents=True)
    scratch = dest / "scratch"
    scratch.mkdir()
    max_warnings = bulk.MAX_WARNINGS
    try:
        tasks = [_Task(folder, i, str(p), str(scratch), str(dest), max_warnings)
                 for folder in _TEXT_FOLDERS for i, p in enumerate(files[folder])]
        big = sum(p.stat().st_size for name in files for p in files[name]) >= PARALLEL_BYTES
        results = {}
        clock = _Clock()
        for task, result in _run(_parse, tasks, big):
            _relay(report, progress, f"{task.folder}/{Path(task.path).name}", result)
            results[task] = result
        clock.lap("papers, abstracts, tldrs: worker processes")
        con, duckdb = _duckdb(scratch)
        try:
            out = _assemble(con, duckdb, root, files, tasks, results, scratch, dest, report, progress, max_warnings,
                            clock)
        except duckdb.OutOfMemoryException as exc:
            raise DatasetError(f"the index build ran out of memory (LITMAP_DUCKDB_MEMORY={MEMORY_LIMIT}; fewer "
                               f"LITMAP_BUILD_WORKERS need less): {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    meta = {"schema_version": str(store_mod.SCHEMA_VERSION),
            **index_meta(root, fp, out["papers"], out["edges"], report, time.time())}
    (dest / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return {**out, "malformed": len(report.warnings) + report.dropped, "seconds": time.perf_counter() - t0,
            "phases": clock.phases}


def _assemble(con, duckdb, root, files, tasks, results, scratch, dest, report, progress, max_warnings,
              clock: _Clock) -> dict:
    # the blocks: one store per text folder, each shard's slots offset by its first block
    bases = []
    for folder in _TEXT_FOLDERS:
        mine = [t for t in tasks if t.folder == folder]
        first = join_parts(dest, _STORE[folder], [(results[t]["part"], results[t]["offsets"]) for t in mine])
        bases += [(folder, t.index, f * BLOCK) for t, f in zip(mine, first)]
    con.execute("CREATE TABLE base (folder VARCHAR, task BIGINT, base BIGINT)")
    con.executemany("INSERT INTO base VALUES (?, ?, ?)", bases)

    def tsv(folder: str, prefix: str, columns: dict[str, str]) -> str:
        return _tsv(sorted(str(p) for p in scratch.glob(f"{prefix}-*.tsv")), columns)

    def slots(folder: str, extra: dict[str, str]) -> str:
        cols = {"seq": "BIGINT", "corpusid": "BIGINT", **extra, "slot": "BIGINT"}
        return (f"SELECT r.* EXCLUDE (slot), r.slot + b.base AS slot FROM {tsv(folder, folder, cols)} r "
                f"JOIN base b ON b.folder = '{folder}' AND b.task = r.seq >> 32")

    con.execute("CREATE TABLE paper AS " + slots("papers", {"paper_id": "VARCHAR", "cc": "BIGINT", "rc": "BIGINT",
                                                           "year": "BIGINT"}))
    n_valid = con.execute("SELECT count(*) FROM paper").fetchone()[0]
    # the first row of a repeated corpusid
    con.execute("""CREATE TABLE p AS SELECT corpusid, r.* FROM (
                       SELECT corpusid, arg_min({'seq': seq, 'paper_id': paper_id, 'cc': cc, 'rc': rc, 'year': year,
                                                 'slot': slot}, seq) AS r FROM paper GROUP BY corpusid)""")
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
               p.slot, ab.slot AS ab, tl.slot AS tl
        FROM p JOIN (SELECT min(corpusid) AS corpusid FROM p GROUP BY paper_id) c ON c.corpusid = p.corpusid
        LEFT JOIN ab ON ab.corpusid = p.corpusid LEFT JOIN tl ON tl.corpusid = p.corpusid
        ORDER BY p.corpusid""")
    con.execute("CREATE TABLE cmap AS SELECT p.corpusid, w.row FROM p JOIN w USING (paper_id)")
    n, misplaced = con.execute("SELECT count(*), count(*) FILTER (WHERE row != rowid) FROM w").fetchone()
    if misplaced:  # the arrays are written in rowid order: it must be the row order
        raise DatasetError("internal error: the papers are not stored in corpus-id order")
    row_type = _int_dtype(0, n, unknown=False, unsigned=True)

    clock.lap("papers: DuckDB (first rows, one per paperId, numbering)")
    _load_citations(con, duckdb, files["citations"], scratch, dest, report, progress, max_warnings)
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
    con.execute(f"COPY (SELECT CAST(infl AS BOOLEAN) AS is_influential, intents FROM e) TO '{dest / 'edges.attrs.parquet'}' "
                "(FORMAT parquet, COMPRESSION zstd)")
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
    for c in _chunks(con, "SELECT paper_id, row FROM ws", n):
        srt.write(np.frombuffer(bytes.fromhex("".join(c["paper_id"].tolist())), dtype="S20"))
        rws.write(c["row"])
    srt.close()
    rws.close()
    con.execute("CREATE TABLE wp AS SELECT row, rowid AS pos FROM ws ORDER BY row")
    if con.execute("SELECT count(*) FROM wp WHERE row != rowid").fetchone()[0]:
        raise DatasetError("internal error: the paperId positions are not stored in row order")
    _column(con, "pos", "wp", n, dest / "papers.pid_pos.npy", unknown=False, unsigned=True)
    con.execute("DROP TABLE ws")
    con.execute("DROP TABLE wp")

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


# -- the engine interface (litmap/dataset.py) ------------------------------------------------


def rebuild(root: Path, files: dict[str, list[Path]], final: Path, fp: str, progress: Progress | None) -> dict:
    """Build into a directory beside `final`; swap it in only when complete."""
    return bulk.rebuild_dir(build_index, root, files, final, fp, progress)


read_meta = bulk.read_dir_meta


def open_store(path: Path) -> CsrStore:
    return CsrStore(path)
