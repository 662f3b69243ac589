"""Local bulk datasets as a litmap store: maps with no API at all.

`litmap seed ID --source PATH` reads a directory in the Semantic Scholar bulk-dataset
format (the S2AG "papers", "citations" and, optionally, "abstracts" and "tldrs" datasets):

    PATH/papers/*.jsonl[.gz]      corpusid, externalids, url, title, authors, year, venue, ...
    PATH/citations/*.jsonl[.gz]   citingcorpusid, citedcorpusid, isinfluential, intents, ...
    PATH/abstracts/*.jsonl[.gz]   corpusid, abstract            (optional)
    PATH/tldrs/*.jsonl[.gz]       corpusid, text                (optional)

`--source sample` is the arXiv hep-th graph bundled with litmap (litmap/data/sample).

On first use the dataset is indexed into `CACHE_DIR/datasets/<name>-<hash>.sqlite`, a
database with exactly the schema of litmap/store.py: every paper a full record, every
citation an edge, a `complete` list row of both kinds for every paper and an alias for every
external id. The crawler then runs on that store as on the API cache, with no client. The
index is reused while the dataset's files keep their names, sizes and mtimes, and rebuilt
when any of them changes. It is built in a temporary file and moved into place only when
complete, so an interrupted build (Ctrl-C, crash, full disk) never leaves an index that is
taken as complete; the next run simply builds again.

Everything streams: the files are read line by line and loaded in batches of 50,000 rows,
and the corpusid -> paperId mapping of the citations is an SQL join, so memory stays flat
whatever the size of the dataset (the full S2 datasets hold hundreds of millions of rows).

Malformed input policy: a line that is not valid JSON, not an object, or has no usable
corpusid is *skipped and reported* with its file and line number
("papers/papers-0.jsonl.gz:17: not valid JSON, skipped"). Reports go to `progress` (or to
stderr without one), and are kept in the index (`store.dataset_warnings`, also after a
warm open). Citations whose cited paper is unknown to S2 (citedcorpusid null),
self-citations and citations of papers missing from papers/ are not malformed: they are
counted in one summary line each. A file that cannot be read at all (a truncated or corrupt
gzip stream) stops the build with a DatasetError naming the file and line: a partial shard
would silently lose data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
import time
import zlib
from pathlib import Path
from typing import Callable, Iterator

from . import store as store_mod
from .store import Store, StoreError

SAMPLE = "sample"
INDEX_VERSION = "1"  # bump when the index layout or the normalisation changes: forces rebuilds
BATCH = 50_000
MAX_WARNINGS = 1000  # kept individually; beyond that only counted

Progress = Callable[[str], None]

_PAPER_URL_RE = re.compile(r"/paper/([0-9a-f]{40})(?:[/?#]|$)")
# external id key in the bulk data -> alias prefix (the API's id prefixes)
ALIAS_PREFIXES = {
    "ArXiv": "ARXIV",
    "DOI": "DOI",
    "PubMed": "PMID",
    "PubMedCentral": "PMCID",
    "ACL": "ACL",
    "MAG": "MAG",
}


class DatasetError(Exception):
    """The dataset cannot be used; the message is one line saying why."""


# -- ids ----------------------------------------------------------------------------------


def arxiv_paper_id(arxiv_id: str) -> str:
    """The 40-hex paperId the bundled sample (and the fake API server) gives an arXiv paper."""
    return hashlib.sha1(("ARXIV:" + arxiv_id).encode()).hexdigest()


def corpus_paper_id(corpusid: int) -> str:
    """A deterministic paperId for a record without a Semantic Scholar url."""
    return hashlib.sha1(f"CorpusId:{corpusid}".encode()).hexdigest()


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str_or_none(value) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


# -- normalisation ------------------------------------------------------------------------


def normalise_record(rec: dict) -> dict | None:
    """The normalised Paper (docs/internals.md) of one bulk `papers` row; None without a corpusid.

    Abstract and tldr are None here: they come from their own datasets. Empty strings
    (the bulk data's venue "" or journal name "") become None, a journal with no value
    at all becomes None, and publicationtypes null becomes [].
    """
    corpusid = _as_int(rec.get("corpusid"))
    if corpusid is None:
        return None
    url = rec.get("url") if isinstance(rec.get("url"), str) else None
    m = _PAPER_URL_RE.search(url) if url else None
    paper_id = m.group(1) if m else corpus_paper_id(corpusid)

    ext = rec.get("externalids") if isinstance(rec.get("externalids"), dict) else {}
    external_ids = {k: str(v) for k, v in ext.items() if v is not None and str(v).strip()}
    external_ids.setdefault("CorpusId", str(corpusid))

    authors = []
    for a in rec.get("authors") or []:
        if isinstance(a, dict) and _str_or_none(a.get("name")):
            authors.append({"authorId": _str_or_none(a.get("authorId")), "name": str(a["name"])})

    journal = rec.get("journal")
    if isinstance(journal, dict):
        journal = {k: _str_or_none(journal.get(k)) for k in ("name", "volume", "pages")}
        if not any(journal.values()):
            journal = None
    else:
        journal = None

    types = rec.get("publicationtypes")
    return {
        "paperId": paper_id,
        "corpusId": corpusid,
        "externalIds": external_ids,
        "title": _str_or_none(rec.get("title")),
        "abstract": None,
        "tldr": None,
        "authors": authors,
        "year": _as_int(rec.get("year")),
        "venue": _str_or_none(rec.get("venue")),
        "journal": journal,
        "publicationTypes": [str(t) for t in types] if isinstance(types, list) else [],
        "publicationDate": _str_or_none(rec.get("publicationdate")),
        "citationCount": _as_int(rec.get("citationcount")),
        "referenceCount": _as_int(rec.get("referencecount")),
        "url": url if m else None,
    }


# -- the dataset directory ----------------------------------------------------------------


def sample_path() -> Path:
    """The bundled sample dataset (litmap/data/sample)."""
    return Path(__file__).resolve().parent / "data" / "sample"


def _natural_key(path: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _data_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz"))),
        key=_natural_key,
    )


def resolve_source(source: str | os.PathLike) -> Path:
    """"sample" or a path -> the absolute dataset directory (not yet validated)."""
    if str(source) == SAMPLE:
        path = sample_path()
        if not (path / "papers").is_dir():
            raise DatasetError(f"the bundled sample is missing from this litmap install (expected {path})")
        return path
    return Path(source).expanduser().resolve()


def dataset_files(root: Path) -> dict[str, list[Path]]:
    """The data files of each dataset folder; raises DatasetError when the layout is wrong."""
    expected = "expected a directory with papers/ and citations/ holding *.jsonl or *.jsonl.gz files"
    if not root.is_dir():
        raise DatasetError(f"no dataset at {root}: {expected}")
    files = {name: _data_files(root / name) for name in ("papers", "citations", "abstracts", "tldrs")}
    if not (root / "papers").is_dir():
        raise DatasetError(f"no dataset at {root}: {expected}")
    if not files["papers"]:
        raise DatasetError(f"no dataset at {root}: papers/ holds no *.jsonl or *.jsonl.gz files")
    if not (root / "citations").is_dir():
        raise DatasetError(f"incomplete dataset at {root}: no citations/ folder beside papers/ ({expected})")
    if not files["citations"]:
        raise DatasetError(f"incomplete dataset at {root}: citations/ holds no *.jsonl or *.jsonl.gz files")
    return files


def fingerprint(root: Path, files: dict[str, list[Path]]) -> str:
    """Changes when the dataset's location or any file's name, size or mtime changes."""
    entries = []
    for name in sorted(files):
        for p in files[name]:
            st = p.stat()
            entries.append([f"{name}/{p.name}", st.st_size, st.st_mtime_ns])
    blob = json.dumps([INDEX_VERSION, str(root), entries], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def index_path(root: Path, cache_dir: str | os.PathLike) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.name)[:40] or "dataset"
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return Path(cache_dir) / "datasets" / f"{slug}-{digest}.sqlite"


# -- reading ------------------------------------------------------------------------------


class _Report:
    """Warnings (malformed lines, kept individually up to MAX_WARNINGS) and notes (summaries)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.dropped = 0
        self.unmatched = 0  # citations with citedcorpusid null

    def warn(self, msg: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(msg)
            self._say(msg)
        else:
            self.dropped += 1

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        if self.progress:
            self.progress(msg)

    def _say(self, msg: str) -> None:
        if self.progress:
            self.progress(msg)
        else:
            print(f"litmap: {msg}", file=sys.stderr)

    def all_warnings(self) -> list[str]:
        tail = [f"... and {self.dropped:,} more malformed lines"] if self.dropped else []
        return self.warnings + tail


def _records(path: Path, rel: str, report: _Report) -> Iterator[dict]:
    """The JSON objects of one .jsonl / .jsonl.gz file; malformed lines are reported."""
    import gzip

    lineno = 0
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:  # also UnicodeDecodeError
                    report.warn(f"{rel}:{lineno}: not valid JSON, skipped")
                    continue
                if not isinstance(rec, dict):
                    report.warn(f"{rel}:{lineno}: not a JSON object, skipped")
                    continue
                rec["__line"] = lineno
                yield rec
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{rel}: unreadable after line {lineno} ({exc}); is the file truncated?") from None


def _batched(rows: Iterator[tuple], n: int = BATCH) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


# -- building the index ---------------------------------------------------------------------

_SCRATCH = """
CREATE TABLE s.paper (corpusid INTEGER PRIMARY KEY, paper_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE s.abstract (corpusid INTEGER PRIMARY KEY, abstract TEXT NOT NULL);
CREATE TABLE s.tldr (corpusid INTEGER PRIMARY KEY, tldr TEXT NOT NULL);
CREATE TABLE s.cite (citing INTEGER NOT NULL, cited INTEGER NOT NULL, infl INTEGER, intents TEXT);
CREATE TABLE s.raw (n INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE s.parsed (n INTEGER PRIMARY KEY, obj INTEGER, ta TEXT, a, tb TEXT, b, x, y);
"""


def _load(conn: sqlite3.Connection, sql: str, rows: Iterator[tuple]) -> tuple[int, int]:
    """executemany in batches; returns (rows offered, rows inserted)."""
    offered = inserted = 0
    for batch in _batched(rows):
        before = conn.total_changes
        conn.executemany(sql, batch)
        offered += len(batch)
        inserted += conn.total_changes - before
    return offered, inserted


def _each_file(files: list[Path], folder: str, report: _Report) -> Iterator[tuple[str, dict]]:
    for path in files:
        rel = f"{folder}/{path.name}"
        count = 0
        for rec in _records(path, rel, report):
            count += 1
            if count % 1_000_000 == 0 and report.progress:
                report.progress(f"{rel}: {count:,} rows")
            yield rel, rec
        if report.progress:
            report.progress(f"{rel}: {count:,} rows")


def _paper_rows(files: list[Path], report: _Report) -> Iterator[tuple]:
    for rel, rec in _each_file(files, "papers", report):
        paper = normalise_record(rec)
        if paper is None:
            report.warn(f"{rel}:{rec['__line']}: no valid corpusid, skipped")
            continue
        yield paper["corpusId"], paper["paperId"], json.dumps(paper, ensure_ascii=False, sort_keys=True)


def _raw_batches(files: list[Path], folder: str, report: _Report) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """(file, [(line number, line text)]) batches of the non-blank lines; bad UTF-8 is reported."""
    import gzip

    for path in files:
        rel = f"{folder}/{path.name}"
        lineno = count = size = 0
        batch: list[tuple[int, str]] = []
        opener = gzip.open if path.name.endswith(".gz") else open
        try:
            with opener(path, "rb") as f:
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        batch.append((lineno, line.decode("utf-8")))
                    except UnicodeDecodeError:
                        report.warn(f"{rel}:{lineno}: not valid JSON (bad UTF-8), skipped")
                        continue
                    size += len(line)
                    if len(batch) >= BATCH or size >= 64 << 20:
                        count += len(batch)
                        yield rel, batch
                        batch, size = [], 0
                        if report.progress and count % 1_000_000 < BATCH:
                            report.progress(f"{rel}: {count:,} rows")
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{rel}: unreadable after line {lineno} ({exc}); is the file truncated?") from None
        if batch:
            count += len(batch)
            yield rel, batch
        if report.progress:
            report.progress(f"{rel}: {count:,} rows")


def _valid_id(t: str, v: str) -> str:
    """SQL: the JSON value (type t, value v) is a corpusid: an integer or a string of digits."""
    return f"({t} = 'integer' OR ({t} = 'text' AND {v} GLOB '[0-9]*' AND {v} NOT GLOB '*[^0-9]*'))"


# Per batch, SQLite parses the lines (C speed: ~10x Python's json) into s.parsed; rows that
# are not JSON objects or lack a usable id are reported with their line numbers.
_PARSE = {
    "citations": (
        """INSERT INTO s.parsed (n, obj, ta, a, tb, b, x, y)
           SELECT n, json_type(text) = 'object',
                  json_type(text, '$.citingcorpusid'), json_extract(text, '$.citingcorpusid'),
                  json_type(text, '$.citedcorpusid'), json_extract(text, '$.citedcorpusid'),
                  CASE json_type(text, '$.isinfluential') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END,
                  CASE WHEN json_type(text, '$.intents') IN ('array', 'object')
                       THEN json_extract(text, '$.intents') END
           FROM s.raw""",
        "citingcorpusid/citedcorpusid",
        f"obj AND {_valid_id('ta', 'a')} AND (tb IS NULL OR tb = 'null' OR {_valid_id('tb', 'b')})",
        "INSERT INTO s.cite SELECT CAST(a AS INTEGER), CAST(b AS INTEGER), x, y FROM s.parsed "
        f"WHERE obj AND {_valid_id('ta', 'a')} AND {_valid_id('tb', 'b')}",
    ),
}
for _name, _field in (("abstracts", "abstract"), ("tldrs", "text")):
    _PARSE[_name] = (
        f"""INSERT INTO s.parsed (n, obj, ta, a, tb, b)
            SELECT n, json_type(text) = 'object',
                   json_type(text, '$.corpusid'), json_extract(text, '$.corpusid'),
                   json_type(text, '$.{_field}'), json_extract(text, '$.{_field}')
            FROM s.raw""",
        "corpusid",
        f"obj AND {_valid_id('ta', 'a')}",
        f"INSERT OR REPLACE INTO s.{_name[:-1]} SELECT CAST(a AS INTEGER), b FROM s.parsed "
        f"WHERE obj AND {_valid_id('ta', 'a')} AND tb = 'text' AND trim(b) != ''",
    )


def _load_sql_parsed(conn: sqlite3.Connection, files: list[Path], folder: str, report: _Report) -> int:
    """Load one dataset folder through SQLite's JSON parser; returns the rows offered."""
    parse, field, good, insert = _PARSE[folder]
    total = 0
    for rel, batch in _raw_batches(files, folder, report):
        conn.execute("DELETE FROM s.raw")
        conn.execute("DELETE FROM s.parsed")
        conn.executemany("INSERT INTO s.raw VALUES (?, ?)", batch)
        for (n,) in conn.execute("DELETE FROM s.raw WHERE NOT json_valid(text) RETURNING n").fetchall():
            report.warn(f"{rel}:{n}: not valid JSON, skipped")
        conn.execute(parse)
        for n, obj in conn.execute(f"SELECT n, obj FROM s.parsed WHERE NOT ({good}) ORDER BY n").fetchall():
            why = "not a JSON object" if not obj else f"no valid {field}"
            report.warn(f"{rel}:{n}: {why}, skipped")
        if folder == "citations":
            report.unmatched += conn.execute(
                f"SELECT count(*) FROM s.parsed WHERE {good} AND (tb IS NULL OR tb = 'null')"
            ).fetchone()[0]
        conn.execute(insert)
        total += len(batch)
    return total


def _alias_select() -> str:
    cases = " ".join(
        f"WHEN '{key}' THEN '{prefix}:' || {'lower(e.value)' if key == 'DOI' else 'e.value'}"
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
            WHERE e.key IN ({keys}) AND e.value IS NOT NULL AND e.value != ''
        ) ORDER BY alias, corpusid
    """


def build_index(root: Path, files: dict[str, list[Path]], dest: Path, fp: str,
                progress: Progress | None = None) -> dict:
    """Build the index of the dataset at `root` into the new file `dest` (must not exist)."""
    t0 = time.perf_counter()
    report = _Report(progress)
    scratch = dest.with_name(dest.name + "-scratch")
    conn = sqlite3.connect(dest, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache
        store_mod.create_schema(conn)
        conn.execute("DROP INDEX edges_cited")  # made after the bulk load: much faster
        conn.execute("ATTACH DATABASE ? AS s", (str(scratch),))
        conn.execute("PRAGMA s.journal_mode=OFF")
        conn.execute("PRAGMA s.synchronous=OFF")
        conn.executescript(_SCRATCH)
        conn.execute("BEGIN")

        n_rows, n_papers = _load(conn, "INSERT OR IGNORE INTO s.paper VALUES (?,?,?)",
                                 _paper_rows(files["papers"], report))
        if n_rows > n_papers:
            report.note(f"papers: {n_rows - n_papers:,} rows repeat a corpusid already seen; the first was kept")
        if not n_papers:
            raise DatasetError(f"no dataset at {root}: papers/ holds no valid paper records")
        _load_sql_parsed(conn, files["abstracts"], "abstracts", report)
        _load_sql_parsed(conn, files["tldrs"], "tldrs", report)
        _load_sql_parsed(conn, files["citations"], "citations", report)
        n_cites = conn.execute("SELECT count(*) FROM s.cite").fetchone()[0]
        if progress:
            progress("indexing papers, aliases and citation edges ...")

        now = time.time()
        conn.execute(
            """INSERT OR IGNORE INTO papers (paper_id, corpus_id, data, full, fetched_at)
               SELECT p.paper_id, p.corpusid,
                      CASE WHEN a.abstract IS NULL AND t.tldr IS NULL THEN p.data
                           ELSE json_set(p.data, '$.abstract', a.abstract, '$.tldr', t.tldr) END,
                      1, ?
               FROM s.paper p LEFT JOIN s.abstract a USING (corpusid) LEFT JOIN s.tldr t USING (corpusid)
               ORDER BY p.paper_id""",
            (now,),
        )
        conn.execute("INSERT OR IGNORE INTO aliases " + _alias_select())
        before = conn.total_changes
        conn.execute(
            """INSERT OR IGNORE INTO edges (citing, cited, is_influential, intents)
               SELECT a.paper_id, b.paper_id, c.infl, c.intents
               FROM s.cite c JOIN s.paper a ON a.corpusid = c.citing JOIN s.paper b ON b.corpusid = c.cited
               WHERE c.citing != c.cited
               ORDER BY 1, 2"""
        )
        n_edges = conn.total_changes - before
        self_cites = conn.execute("SELECT count(*) FROM s.cite WHERE citing = cited").fetchone()[0]
        if report.unmatched:
            report.note(f"citations: {report.unmatched:,} rows cite no known paper (citedcorpusid null); not edges")
        if self_cites:
            report.note(f"citations: {self_cites:,} self-citations dropped")
        other = n_cites - self_cites - n_edges
        if other:
            report.note(f"citations: {other:,} rows dropped: an endpoint is not in papers/, or a repeated pair")

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
        warnings = report.all_warnings()
        meta = {
            "dataset_index_version": INDEX_VERSION,
            "dataset_source": str(root),
            "dataset_fingerprint": fp,
            "dataset_papers": str(n_papers),
            "dataset_edges": str(n_edges),
            "dataset_warnings": json.dumps(warnings, ensure_ascii=False),
            "dataset_notes": json.dumps(report.notes, ensure_ascii=False),
            "dataset_built_at": str(now),
        }
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE s")
        conn.execute("PRAGMA locking_mode=NORMAL")
        conn.execute("PRAGMA journal_mode=DELETE")  # a plain file: opens read-only, no -wal/-shm
    finally:
        conn.close()
        _unlink(scratch)
    seconds = time.perf_counter() - t0
    return {"papers": n_papers, "edges": n_edges, "warnings": warnings, "notes": report.notes,
            "seconds": seconds}


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
    """Remove temp files of builds whose process is gone (killed, not merely interrupted)."""
    for p in final.parent.glob(final.name + ".tmp-*"):
        m = re.match(r".*\.tmp-(\d+)-", p.name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid != os.getpid():
            try:
                os.kill(pid, 0)
                continue  # still running: another build in progress
            except ProcessLookupError:
                pass
            except OSError:
                continue
        elif p.stat().st_mtime > time.time() - 60:
            continue
        _unlink(p)


def _read_meta(path: Path) -> dict[str, str] | None:
    """The index's meta rows, or None when the file is not a usable index."""
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'dataset_%' OR key = 'schema_version'"))
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _is_current(meta: dict | None, fp: str) -> bool:
    return bool(
        meta
        and meta.get("dataset_fingerprint") == fp
        and meta.get("dataset_index_version") == INDEX_VERSION
        and meta.get("schema_version") == str(store_mod.SCHEMA_VERSION)
    )


def dataset_store(source: str | os.PathLike, cache_dir: str | os.PathLike, progress: Progress | None = None,
                  readonly: bool = True) -> Store:
    """A Store on the index of the dataset `source` ("sample" or a directory), built if needed.

    The index lives in `cache_dir/datasets/`; it is (re)built when missing or when the
    dataset's files changed since. `progress`, if given, receives one-line messages during a
    build (files read, malformed lines skipped, summaries); without it, malformed-line
    warnings go to stderr. The returned store is read-only by default (the crawler only
    reads it; pass readonly=False to allow writes such as Store.put_map).

    Extra attributes on the returned store: `dataset_warnings` (the malformed lines skipped
    when the index was built, "file:line: reason"), `dataset_notes` (summary lines) and
    `dataset_info` (source, index path, papers, edges, built: whether this call built it,
    seconds).
    """
    root = resolve_source(source)
    files = dataset_files(root)
    fp = fingerprint(root, files)
    final = index_path(root, cache_dir)
    final.parent.mkdir(parents=True, exist_ok=True)

    meta = _read_meta(final) if final.exists() else None
    built = False
    seconds = 0.0
    if not _is_current(meta, fp):
        _clean_stale_temps(final)
        if progress:
            why = "first use" if meta is None else "the dataset changed"
            progress(f"indexing {root} ({why}); this happens once")
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            result = build_index(root, files, tmp, fp, progress)
            _fsync(tmp)
            os.replace(tmp, final)
            _fsync(final.parent, directory=True)
        except BaseException:
            _unlink(tmp)
            raise
        finally:
            _unlink(tmp.with_name(tmp.name + "-scratch"))
        built, seconds = True, result["seconds"]
        if progress:
            progress(f"indexed {result['papers']:,} papers and {result['edges']:,} citations in {seconds:.1f} s")
            if result["warnings"]:
                progress(f"{len(result['warnings']):,} malformed lines skipped (listed above)")
        meta = _read_meta(final)
        if meta is None:
            raise DatasetError(f"the index of {root} at {final} cannot be read back after building it")

    try:
        st = Store(final, readonly=readonly)
    except StoreError as exc:
        raise DatasetError(f"cannot open the index of {root}: {exc}") from None
    st.dataset_warnings = json.loads(meta.get("dataset_warnings") or "[]")
    st.dataset_notes = json.loads(meta.get("dataset_notes") or "[]")
    st.dataset_info = {
        "source": str(root),
        "index": str(final),
        "papers": int(meta.get("dataset_papers") or 0),
        "edges": int(meta.get("dataset_edges") or 0),
        "built": built,
        "seconds": seconds,
    }
    return st


def dataset_warnings(st: Store) -> list[str]:
    """The malformed lines skipped when the index behind `st` was built."""
    row = st.conn.execute("SELECT value FROM meta WHERE key = 'dataset_warnings'").fetchone()
    return json.loads(row[0]) if row else []
