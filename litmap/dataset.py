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

The build (litmap/dataset_index.py) streams, so memory stays flat whatever the size of the
dataset; this module is the public side: the dataset directory, the normalisation of a paper
record, and opening the index (building it first when needed).

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
from pathlib import Path
from typing import Callable

from . import store as store_mod
from .s2 import sane_text
from .store import Store, StoreError

SAMPLE = "sample"
INDEX_VERSION = "3"  # bump when the index layout or the normalisation changes: forces rebuilds

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
    """A non-blank JSON string (half surrogate pairs replaced, as the API client does); else None."""
    return sane_text(value) if isinstance(value, str) and value.strip(_WS) else None


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


# -- the index ----------------------------------------------------------------------------


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
        from . import dataset_index  # here, not at the top: dataset_index imports this module

        if progress:
            why = "first use" if meta is None else "the dataset changed"
            progress(f"indexing {root} ({why}); this happens once")
        result = dataset_index.rebuild(root, files, final, fp, progress)
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
