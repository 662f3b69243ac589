"""The CSR engine: a bulk dataset as integer-id adjacency arrays (read by litmap/csr_store.py).

The index is a directory of numpy arrays and compressed blocks:

    papers.corpus_id.npy           corpus id of each paper row, ascending (a row is a paper number)
    papers.pid_sorted.npy          the 40-hex paperIds as 20 bytes, sorted; papers.pid_rows.npy the
                                   row of each; papers.pid_pos.npy the position of each row's
    papers.citation_count|reference_count|year.npy   (the dtype's minimum: unknown)
    papers.title_hash.npy          64-bit hashes of the titles (case and spacing aside), sorted;
                                   papers.title_rows.npy the row of each (a title seed's lookup)
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

The build is parallel, in bounded memory (this module: step 1 and the whole; litmap/csr_duckdb.py:
steps 2 and 3; litmap/blocks.py: the block and key-table formats):
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import bulk, csr_duckdb
from . import store as store_mod
from .blocks import BLOCK, BlockWriter, join_parts
from .bulk import (
    ALIAS_PREFIXES,
    Progress,
    _Report,
    index_meta,
    normalise_record,
    row_batches,
)
from .csr_store import CsrStore, title_hash
from .errors import DatasetError
from .ids import alias_key
from .settings import Settings

SUFFIX = ".csr"
PARALLEL_BYTES = 64 << 20  # inputs smaller than this are read in this process: a pool costs more
_TEXT_FOLDERS = ("papers", "abstracts", "tldrs")
_STORE = {"papers": "records", "abstracts": "abstracts", "tldrs": "tldrs"}
_BIG = 1 << 62  # counts and years beyond this are not numbers a paper has: unknown


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
                    th = title_hash(row.get("title"))
                    lines.append(f"{base + i}\t{cid}\t{row['paperId']}\t{_number(row['citationCount'])}\t"
                                 f"{_number(row['referenceCount'])}\t{_number(row['year'])}\t"
                                 f"{'' if th is None else th}\t{slot}\n")
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
            out.writelines(f"{a}\t{'' if b is None else b}\t{'' if f is None else f}\t{t or ''}\n"
                           for a, b, f, t in rows)
            n += len(rows)
    return {"valid": n, "warnings": report.warnings, "dropped": report.dropped, "tsv": str(path)}


def _run(fn: Callable[[_Task], dict], tasks: list[_Task], processes: int) -> Iterator[tuple[_Task, dict]]:
    """fn over the tasks, in their order; in a pool of `processes` worker processes (1: here)."""
    if processes < 2 or len(tasks) < 2:
        for t in tasks:
            yield t, fn(t)
        return
    # spawn: a fresh interpreter per worker, never a fork of a process that may run DuckDB threads
    pool = multiprocessing.get_context("spawn").Pool(min(processes, len(tasks)))
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


# -- the build --------------------------------------------------------------------------------------


class _Clock:
    """Wall and CPU seconds of each phase of a build, the CPU split by where it ran: the main
    thread (Python, and its share of DuckDB's work), DuckDB's other threads, and the worker
    processes. A split that does not depend on the machine's load: benchmarks/scale_report.py
    reads from it what share of each phase runs in parallel."""

    def __init__(self, threads: int):
        self.threads = threads  # DuckDB's threads, the main one included
        self.phases: dict[str, dict[str, float]] = {}
        self.t, self.c, self.w, self.m = time.perf_counter(), *self._cpu(), time.thread_time()

    @staticmethod
    def _cpu() -> tuple[float, float]:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime

    def lap(self, name: str) -> None:
        t, (c, w), m = time.perf_counter(), self._cpu(), time.thread_time()
        self.phases[name] = {"wall": round(t - self.t, 2), "cpu": round(c - self.c + w - self.w, 2),
                             "main_thread": round(m - self.m, 2), "workers": round(w - self.w, 2),
                             "threads": self.threads}
        self.t, self.c, self.w, self.m = t, c, w, m


def build_index(root: Path, files: dict[str, list[Path]], dest: Path, fp: str,
                progress: Progress | None = None) -> dict:
    """Write the CSR index of the dataset at `root` into the new directory `dest`."""
    t0 = time.perf_counter()
    settings = Settings.from_env()
    processes = settings.build_processes()  # LITMAP_BUILD_WORKERS: a bad value stops the build before any work
    report = _Report(progress)
    dest.mkdir(parents=True)
    scratch = dest / "scratch"
    scratch.mkdir()
    max_warnings = bulk.MAX_WARNINGS
    try:
        # first, so a bad LITMAP_DUCKDB_MEMORY stops the build before the shards are read
        con, duckdb = csr_duckdb.connect(scratch, processes, settings.duckdb_memory)
        try:
            clock = _Clock(processes)
            bases = _read_text_folders(files, scratch, dest, processes, report, progress)
            clock.lap("papers, abstracts, tldrs: worker processes")

            def read_by_python(paths: list[str]) -> Iterator[tuple[str, str]]:
                shards = [_Task("citations", files["citations"].index(Path(p)), p, str(scratch), str(dest),
                                max_warnings) for p in paths]
                big = sum(map(os.path.getsize, paths)) >= PARALLEL_BYTES
                for task, result in _run(_parse_citations, shards, processes if big else 1):
                    _relay(report, progress, f"citations/{Path(task.path).name}", result)
                    yield task.path, result["tsv"]

            out = csr_duckdb.assemble(con, duckdb, root, files["citations"], bases, scratch, dest, report, progress,
                                      clock, read_by_python)
        except duckdb.OutOfMemoryException as exc:
            raise DatasetError(f"the index build ran out of memory (LITMAP_DUCKDB_MEMORY={settings.duckdb_memory}; "
                               f"fewer LITMAP_BUILD_WORKERS need less): {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    meta = {"schema_version": str(store_mod.SCHEMA_VERSION),
            **index_meta(root, fp, out["papers"], out["edges"], report, time.time())}
    (dest / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return {**out, "malformed": len(report.warnings) + report.dropped, "seconds": time.perf_counter() - t0,
            "phases": clock.phases}


def _read_text_folders(files: dict[str, list[Path]], scratch: Path, dest: Path, processes: int, report: _Report,
                       progress: Progress | None) -> list[tuple[str, int, int]]:
    """Step 1: papers/, abstracts/ and tldrs/, one shard a task; each folder's blocks joined into
    one block store. Returns (folder, shard, first slot) of every shard's blocks."""
    tasks = [_Task(folder, i, str(p), str(scratch), str(dest), bulk.MAX_WARNINGS)
             for folder in _TEXT_FOLDERS for i, p in enumerate(files[folder])]
    big = sum(p.stat().st_size for name in files for p in files[name]) >= PARALLEL_BYTES
    results = {}
    for task, result in _run(_parse, tasks, processes if big else 1):
        _relay(report, progress, f"{task.folder}/{Path(task.path).name}", result)
        results[task] = result
    bases = []
    for folder in _TEXT_FOLDERS:
        mine = [t for t in tasks if t.folder == folder]
        first = join_parts(dest, _STORE[folder], [(results[t]["part"], results[t]["offsets"]) for t in mine])
        bases += [(folder, t.index, f * BLOCK) for t, f in zip(mine, first)]
    return bases


# -- the engine interface (litmap/dataset.py) ------------------------------------------------


def rebuild(root: Path, files: dict[str, list[Path]], final: Path, fp: str, progress: Progress | None) -> dict:
    """Build into a directory beside `final`; swap it in only when complete."""
    return bulk.rebuild_dir(build_index, root, files, final, fp, progress)


read_meta = bulk.read_dir_meta


def open_store(path: Path) -> CsrStore:
    return CsrStore(path)
