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

Everything streams: the files are read in 8 MB chunks and loaded in batches of up to
50,000 lines, the corpusid -> paperId mapping of the citations is an SQL join, and the
sorts are SQLite's (spilling to temporary files), so memory stays flat whatever the size of
the dataset (the full S2 datasets hold hundreds of millions of rows; point SQLITE_TMPDIR at
a roomy disk for those). The lines of citations, abstracts and tldrs are parsed by SQLite's
JSON functions, papers by normalise_record in Python.

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

import gzip
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
INDEX_VERSION = "2"  # bump when the index layout or the normalisation changes: forces rebuilds
BATCH = 50_000
CHUNK = 8 << 20  # bytes read from a dataset file at a time
MAX_WARNINGS = 1000  # kept individually; beyond that only counted

Progress = Callable[[str], None]

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


_WS = " \t\n\r"
_DIGITS_RE = re.compile(r"[0-9]+")


def _int(value) -> int | None:
    """A JSON integer, or a string of ASCII digits, as an int; anything else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        return int(value)
    return None


def _str(value) -> str | None:
    """A non-blank JSON string, unchanged; anything else None."""
    return value if isinstance(value, str) and value.strip(_WS) else None


def _id_str(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _str(value)


def _url_paper_id(url: str | None) -> str | None:
    """The 40-hex id of a ".../paper/<id>" url (the first "/paper/"), else None."""
    if not url:
        return None
    i = url.find("/paper/")
    if i < 0:
        return None
    h = url[i + 7 : i + 47]
    if len(h) == 40 and all(c in "0123456789abcdef" for c in h) and url[i + 47 : i + 48] in ("", "/", "?", "#"):
        return h
    return None


# -- normalisation ------------------------------------------------------------------------


def normalise_record(rec: dict) -> dict | None:
    """The normalised Paper (docs/internals.md) of one bulk `papers` row; None without a corpusid.

    Rules: strings must be
    non-blank JSON strings (the bulk data's venue "" becomes None), counts and years JSON
    integers or digit strings; externalIds keeps the string and integer ids as strings and
    always holds CorpusId; authors without a name are left out; a journal with no value is
    None; publicationtypes null is []. Abstract and tldr come from their own datasets.
    """
    corpusid = _int(rec.get("corpusid"))
    if corpusid is None:
        return None
    url = _str(rec.get("url"))
    hexid = _url_paper_id(url)

    ext = rec.get("externalids")
    external_ids = {k: _id_str(v) for k, v in ext.items() if _id_str(v)} if isinstance(ext, dict) else {}
    external_ids["CorpusId"] = str(corpusid)

    authors = rec.get("authors")
    authors = [
        {"authorId": _id_str(a.get("authorId")), "name": a["name"]}
        for a in (authors if isinstance(authors, list) else [])
        if isinstance(a, dict) and _str(a.get("name"))
    ]

    journal = rec.get("journal")
    journal = {k: _str(journal.get(k)) for k in ("name", "volume", "pages")} if isinstance(journal, dict) else None
    if journal and not any(journal.values()):
        journal = None

    types = rec.get("publicationtypes")
    return {
        "paperId": hexid or corpus_paper_id(corpusid),
        "corpusId": corpusid,
        "externalIds": external_ids,
        "title": _str(rec.get("title")),
        "abstract": None,
        "tldr": None,
        "authors": authors,
        "year": _int(rec.get("year")),
        "venue": _str(rec.get("venue")),
        "journal": journal,
        "publicationTypes": [t for t in types if isinstance(t, str)] if isinstance(types, list) else [],
        "publicationDate": _str(rec.get("publicationdate")),
        "citationCount": _int(rec.get("citationcount")),
        "referenceCount": _int(rec.get("referencecount")),
        "url": url if hexid else None,
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

    def warn(self, msg: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(msg)
            if self.progress:
                self.progress(msg)
            else:
                print(f"litmap: {msg}", file=sys.stderr)
        else:
            self.dropped += 1

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        if self.progress:
            self.progress(msg)

    def all_warnings(self) -> list[str]:
        tail = [f"... and {self.dropped:,} more malformed lines" if self.dropped else ""]
        return self.warnings + [t for t in tail if t]


def _line_batches(path: Path, rel: str, report: _Report) -> Iterator[list[tuple[int, str]]]:
    """[(line number, line)] batches (up to BATCH lines or ~40 MB) of one .jsonl / .jsonl.gz file.

    Blank lines are left out; lines that are not UTF-8 are reported here. A file that cannot
    be read to its end (truncated or corrupt gzip) raises DatasetError. The file is read in
    8 MB chunks split in C: much faster than line-by-line reads of a gzip stream.
    """
    lineno = count = pending_bytes = 0
    pending: list[tuple[int, str]] = []
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            rest = b""
            while True:
                chunk = f.read(CHUNK)
                if chunk:
                    buf = rest + chunk
                    cut = buf.rfind(b"\n") + 1
                    body, rest = buf[:cut], buf[cut:]
                    if not body:  # one line longer than a chunk: read on
                        continue
                else:
                    body, rest = rest, b""  # the last line, without a newline (or nothing)
                try:
                    lines = body.decode("utf-8").split("\n") if body else []
                except UnicodeDecodeError:
                    lines = []
                    for i, raw in enumerate(body.split(b"\n"), lineno + 1):
                        try:
                            lines.append(raw.decode("utf-8"))
                        except UnicodeDecodeError:
                            report.warn(f"{rel}:{i}: not valid JSON (bad UTF-8), skipped")
                            lines.append("")
                if body.endswith(b"\n"):
                    lines.pop()  # the empty string after the last newline
                pending.extend((n, line) for n, line in enumerate(lines, lineno + 1) if line and not line.isspace())
                lineno += len(lines)
                pending_bytes += len(body)
                if len(pending) >= BATCH or pending_bytes >= 32 << 20 or not chunk:
                    for i in range(0, len(pending), BATCH):
                        batch = pending[i : i + BATCH]
                        count += len(batch)
                        yield batch
                        if report.progress and count % 1_000_000 < len(batch):
                            report.progress(f"{rel}: {count:,} rows")
                    pending, pending_bytes = [], 0
                if not chunk:
                    break
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{rel}: unreadable after line {lineno} ({exc}); is the file truncated?") from None
    if report.progress:
        report.progress(f"{rel}: {count:,} rows")


# -- building the index: SQL ----------------------------------------------------------------
#
# Citations, abstracts and tldrs lines are parsed by SQLite's JSON functions (C, several times
# faster than json.loads in Python), one batch at a time in the scratch table s.raw; in these
# templates `text` is the line. Papers go through normalise_record in Python: their nested
# authors/externalids make SQL's JSON functions re-parse each line many times (4x slower).

_TRIM = "' ' || char(9, 10, 13)"


def _sql_str(p: str, doc: str = "text") -> str:
    """SQL: the value at p if it is a non-blank JSON string, else NULL (= _str)."""
    return (f"CASE WHEN json_type({doc}, '{p}') = 'text' AND trim(json_extract({doc}, '{p}'), {_TRIM}) != '' "
            f"THEN json_extract({doc}, '{p}') END")


def _sql_int(p: str, doc: str = "text") -> str:
    """SQL: the value at p as an integer if it is a JSON integer or a digit string, else NULL (= _int)."""
    v = f"json_extract({doc}, '{p}')"
    return (f"CASE json_type({doc}, '{p}') WHEN 'integer' THEN {v} "
            f"WHEN 'text' THEN CASE WHEN {v} GLOB '[0-9]*' AND {v} NOT GLOB '*[^0-9]*' "
            f"THEN CAST({v} AS INTEGER) END END")


def _sql_id_ok(p: str) -> str:
    return f"({_sql_int(p)}) IS NOT NULL"


# A valid row of each folder: the lines failing this are reported and skipped.
_ROW_OK = {
    "abstracts": _sql_id_ok("$.corpusid"),
    "tldrs": _sql_id_ok("$.corpusid"),
    "citations": f"{_sql_id_ok('$.citingcorpusid')} AND (json_type(text, '$.citedcorpusid') IN ('null') "
                 f"OR json_type(text, '$.citedcorpusid') IS NULL OR {_sql_id_ok('$.citedcorpusid')})",
}
_ROW_WHAT = {"abstracts": "corpusid", "tldrs": "corpusid",
             "citations": "citingcorpusid/citedcorpusid"}

# Delete and return the lines that are not JSON (obj NULL), not an object (0) or lack the id (1).
_REJECT = (
    "DELETE FROM s.raw WHERE CASE WHEN json_valid(text) THEN NOT (json_type(text) = 'object' AND {ok}) ELSE 1 END "
    "RETURNING n, CASE WHEN json_valid(text) THEN json_type(text) = 'object' END"
)

_INSERT = {
    "abstracts": f"INSERT OR REPLACE INTO s.abstract SELECT cid, v FROM (SELECT {_sql_int('$.corpusid')} AS cid, "
                 f"{_sql_str('$.abstract')} AS v FROM s.raw) WHERE v IS NOT NULL",
    "tldrs": f"INSERT OR REPLACE INTO s.tldr SELECT cid, v FROM (SELECT {_sql_int('$.corpusid')} AS cid, "
             f"{_sql_str('$.text')} AS v FROM s.raw) WHERE v IS NOT NULL",
    "citations": f"""INSERT INTO s.cite SELECT a, b,
            CASE json_type(text, '$.isinfluential') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END,
            CASE WHEN json_type(text, '$.intents') IN ('array', 'object') THEN json_extract(text, '$.intents') END
        FROM (SELECT text, {_sql_int('$.citingcorpusid')} AS a, {_sql_int('$.citedcorpusid')} AS b FROM s.raw)
        WHERE b IS NOT NULL""",
}

# The common shape of a citations line, validated completely by this pattern, is read without
# a JSON parser (most S2 rows: no contexts, no intents); every other line goes through SQL.
_CITATION_FAST = re.compile(
    r'\{"citingcorpusid":(")?([0-9]+)(?(1)"),"citedcorpusid":(?:(")?([0-9]+)(?(3)")|(null)),'
    r'"isinfluential":(true|false|null),"contexts":null,"intents":null(?:,"updated":(?:"[^"\\]*"|null))?\}\s*'
)
_INFLUENTIAL = {"true": 1, "false": 0, "null": None}

_SCRATCH = """
CREATE TABLE s.raw (n INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE s.paper (corpusid INTEGER PRIMARY KEY, paper_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE s.abstract (corpusid INTEGER PRIMARY KEY, abstract TEXT NOT NULL);
CREATE TABLE s.tldr (corpusid INTEGER PRIMARY KEY, tldr TEXT NOT NULL);
CREATE TABLE s.cite (citing INTEGER NOT NULL, cited INTEGER NOT NULL, infl INTEGER, intents TEXT);
"""


def _paper_rows(batch: list[tuple[int, str]], rel: str, report: _Report) -> Iterator[tuple[int, str, str]]:
    for n, text in batch:
        try:
            rec = json.loads(text)
        except ValueError:
            report.warn(f"{rel}:{n}: not valid JSON, skipped")
            continue
        if not isinstance(rec, dict):
            report.warn(f"{rel}:{n}: not a JSON object, skipped")
            continue
        paper = normalise_record(rec)
        if paper is None:
            report.warn(f"{rel}:{n}: no valid corpusid, skipped")
            continue
        yield paper["corpusId"], paper["paperId"], json.dumps(paper, ensure_ascii=False)


def _load_folder(conn: sqlite3.Connection, files: list[Path], folder: str, report: _Report) -> dict[str, int]:
    """Load one dataset folder into its scratch table; returns counts (rows, kept, ...)."""
    counts = {"rows": 0, "valid": 0, "kept": 0, "unmatched": 0}
    if folder == "papers":
        for path in files:
            rel = f"{folder}/{path.name}"
            for batch in _line_batches(path, rel, report):
                counts["rows"] += len(batch)
                rows = list(_paper_rows(batch, rel, report))
                counts["valid"] += len(rows)
                before = conn.total_changes
                conn.executemany("INSERT OR IGNORE INTO s.paper VALUES (?, ?, ?)", rows)
                counts["kept"] += conn.total_changes - before
        return counts
    reject = _REJECT.format(ok=_ROW_OK[folder])
    insert = _INSERT[folder]
    fast = _CITATION_FAST.fullmatch if folder == "citations" else None
    for path in files:
        rel = f"{folder}/{path.name}"
        for batch in _line_batches(path, rel, report):
            counts["rows"] += len(batch)
            if fast:
                quick, slow = [], []
                for (n, text), m in zip(batch, map(fast, [text for _, text in batch])):
                    if m is None:
                        slow.append((n, text))
                        continue
                    a, b, null, infl = m.group(2, 4, 5, 6)
                    if null:  # citedcorpusid null: S2 could not match the reference
                        counts["unmatched"] += 1
                    else:
                        quick.append((int(a), int(b), _INFLUENTIAL[infl]))
                if quick:
                    conn.executemany("INSERT INTO s.cite VALUES (?, ?, ?, NULL)", quick)
                    counts["kept"] += len(quick)
                counts["valid"] += len(batch) - len(slow)
                batch = slow
                if not batch:
                    continue
            conn.execute("DELETE FROM s.raw")
            conn.executemany("INSERT INTO s.raw VALUES (?, ?)", batch)
            for n, obj in sorted(conn.execute(reject).fetchall()):
                why = "not valid JSON" if obj is None else "not a JSON object" if not obj else f"no valid {_ROW_WHAT[folder]}"
                report.warn(f"{rel}:{n}: {why}, skipped")
            valid = conn.execute("SELECT count(*) FROM s.raw").fetchone()[0]
            counts["valid"] += valid
            before = conn.total_changes
            conn.execute(insert)
            inserted = conn.total_changes - before
            counts["kept"] += inserted
            if folder == "citations":
                counts["unmatched"] += valid - inserted
    conn.execute("DELETE FROM s.raw")
    return counts


# The alias key of each external id, as litmap.ids.alias_key writes it: DOI lowercased, PMCID
# with its "PMC" prefix (the bulk data has the bare number), the others as given.
_ALIAS_VALUE = {
    "DOI": "lower(e.value)",
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
        store_mod.create_schema(conn)
        conn.execute("DROP INDEX edges_cited")  # made after the bulk load: much faster
        conn.execute("ATTACH DATABASE ? AS s", (str(scratch),))
        conn.execute("PRAGMA s.journal_mode=OFF")
        conn.execute("PRAGMA s.synchronous=OFF")
        conn.executescript(_SCRATCH)
        conn.execute("BEGIN")

        counts = {name: _load_folder(conn, files[name], name, report)
                  for name in ("papers", "abstracts", "tldrs", "citations")}
        n_unique = conn.execute("SELECT count(*) FROM s.paper").fetchone()[0]
        if not n_unique:
            raise DatasetError(f"no dataset at {root}: papers/ holds no valid paper records")
        repeated = counts["papers"]["valid"] - counts["papers"]["kept"]
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
        before = conn.total_changes
        conn.execute(
            """INSERT OR IGNORE INTO edges (citing, cited, is_influential, intents)
               SELECT a.paper_id, b.paper_id, c.infl, c.intents
               FROM s.cite c JOIN s.map a ON a.corpusid = c.citing JOIN s.map b ON b.corpusid = c.cited
               WHERE c.citing != c.cited
               ORDER BY 1, 2"""
        )
        n_edges = conn.total_changes - before
        n_cites = counts["citations"]["kept"]
        self_cites = conn.execute("SELECT count(*) FROM s.cite WHERE citing = cited").fetchone()[0]
        if counts["citations"]["unmatched"]:
            report.note(f"citations: {counts['citations']['unmatched']:,} rows cite no known paper "
                        "(citedcorpusid null); not edges")
        if self_cites:
            report.note(f"citations: {self_cites:,} self-citations dropped")
        if n_cites - self_cites - n_edges:
            report.note(f"citations: {n_cites - self_cites - n_edges:,} rows dropped: "
                        "an endpoint is not in papers/, or a repeated pair")

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
    return {"papers": n_papers, "edges": n_edges, "warnings": warnings, "notes": report.notes,
            "malformed": len(report.warnings) + report.dropped, "seconds": time.perf_counter() - t0}


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
    """Remove the temp files of builds whose process is gone (killed, not merely interrupted:
    an interrupted build removes its own)."""
    for p in final.parent.glob(final.name + ".tmp-*"):
        m = re.match(r".*\.tmp-(\d+)-", p.name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # still running: another build of the same dataset
        except ProcessLookupError:
            _unlink(p)
        except OSError:  # e.g. another user's process
            continue


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


def dataset_store(source: str | os.PathLike, cache_dir: str | os.PathLike, progress: Progress | None = None) -> Store:
    """A Store on the index of the dataset `source` ("sample" or a directory), built if needed.

    The index lives in `cache_dir/datasets/`; it is (re)built when missing or when the
    dataset's files changed since. `progress`, if given, receives one-line messages during a
    build (files read, malformed lines skipped, summaries); without it, malformed-line
    warnings go to stderr. The returned store is read-only: the crawler only reads it (every
    list is complete), and keep maps in the API cache. (Opening it writable would switch the
    file to WAL mode, whose -wal file must never outlive a rebuild's os.replace.)

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
            if result["malformed"]:
                progress(f"{result['malformed']:,} malformed lines skipped (see above)")
        meta = _read_meta(final)
        if meta is None:
            raise DatasetError(f"the index of {root} at {final} cannot be read back after building it")

    try:
        st = Store(final, readonly=True)
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
