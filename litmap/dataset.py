"""Local bulk datasets as a litmap store: maps with no API at all.

`litmap seed ID --source PATH` reads a directory in the Semantic Scholar bulk-dataset
format (the S2AG "papers", "citations" and, optionally, "abstracts" and "tldrs" datasets):

    PATH/papers/*.jsonl[.gz]      corpusid, externalids, url, title, authors, year, venue, ...
    PATH/citations/*.jsonl[.gz]   citingcorpusid, citedcorpusid, isinfluential, intents, ...
    PATH/abstracts/*.jsonl[.gz]   corpusid, abstract            (optional)
    PATH/tldrs/*.jsonl[.gz]       corpusid, text                (optional)

`--source sample` is the arXiv hep-th graph bundled with litmap (litmap/data/sample).

On first use the dataset is indexed into `INDEX_DIR/datasets/<name>-<content key><suffix>`
by one of three engines (LITMAP_ENGINE): `csr` (the default, litmap/dataset_csr.py: edges as
integer paper numbers in CSR arrays, memory-mapped), `sqlite` (litmap/dataset_index.py: a
database with exactly the schema of litmap/store.py) or `duckdb` (litmap/dataset_duckdb.py:
Parquet). Each holds every paper as a full record, every citation as an edge, every list as
complete and an alias for every external id, and gives a store with the reading methods of
litmap/store.py, so the crawler runs on it as on the API cache, with no client, and the same
map comes out of each. The index is reused while the dataset's content is the same (see
fingerprint) and rebuilt when it changes. It is built aside and moved into place only when
complete, so an interrupted build (Ctrl-C, crash, full disk) never leaves an index that is
taken as complete; the next run simply builds again.

Every build streams or spills, so memory stays bounded whatever the size of the dataset;
this module is the public side: the dataset directory, the normalisation of a paper record,
and opening the index (building it first when needed).

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
from pathlib import Path
from typing import Any, Protocol, cast

import platformdirs

from . import dataset_csr, dataset_duckdb, dataset_index
from . import store as store_mod
from .bulk import INDEX_VERSION, DatasetError, Progress, arxiv_paper_id, corpus_paper_id, normalise_record  # noqa: F401 (public names)
from .errors import Interrupted
from .settings import Settings
from .store import GraphStore, StoreError

SAMPLE = "sample"


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


_WHOLE = 16 << 20  # files up to this size are hashed whole; larger ones by size, head and tail
_EDGE = 1 << 20


def fingerprint(root: Path, files: dict[str, list[Path]]) -> str:
    """The dataset's content key: the same files give the same key wherever they are (a copy,
    another checkout, an editable install), so one index serves them all. Files up to 16 MB
    are hashed whole; a multi-GB shard by its size and first and last MB, which is what tells
    releases apart without reading terabytes on every run."""
    entries = []
    for name in sorted(files):
        for p in files[name]:
            size = p.stat().st_size
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                if size <= _WHOLE:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                else:
                    h.update(fh.read(_EDGE))
                    fh.seek(size - _EDGE)
                    h.update(fh.read(_EDGE))
            entries.append([f"{name}/{p.name}", size, h.hexdigest()])
    blob = json.dumps([INDEX_VERSION, entries], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def index_dir(settings: Settings | None = None) -> Path:
    """Where dataset indexes live: one per machine, shared by every project (they derive from
    immutable files), in the platform's user cache directory; LITMAP_INDEX_DIR overrides it."""
    override = (settings or Settings.from_env()).index_dir
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("litmap", appauthor=False))


class Engine(Protocol):
    """An index engine: one module (litmap/dataset_csr.py, litmap/dataset_index.py,
    litmap/dataset_duckdb.py) with these four names."""

    SUFFIX: str

    def rebuild(self, root: Path, files: dict[str, list[Path]], final: Path, fp: str,
                progress: Progress | None) -> dict: ...
    def read_meta(self, path: Path) -> dict[str, str] | None: ...
    def open_store(self, path: Path) -> GraphStore: ...


class DatasetStore(GraphStore, Protocol):
    """What dataset_store returns: an engine's store, with what the index records of its build."""

    dataset_info: dict[str, Any]
    dataset_warnings: list[str]
    dataset_notes: list[str]


ENGINES: dict[str, Engine] = {"sqlite": dataset_index, "duckdb": dataset_duckdb, "csr": dataset_csr}
DEFAULT_ENGINE = "csr"  # the smallest, fastest to build and to map of the three (benchmarks/SCALE.md)


def engine(name: str | None = None) -> Engine:
    """The index engine module: `name`, else LITMAP_ENGINE, else DEFAULT_ENGINE."""
    name = (name or Settings.from_env().engine or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise DatasetError(f"LITMAP_ENGINE must be one of {', '.join(sorted(ENGINES))}, not {name!r}")
    return ENGINES[name]


def index_path(root: Path, cache_dir: str | os.PathLike, engine_name: str | None = None,
               key: str | None = None) -> Path:
    """The index of the dataset at `root`, named by its content key (see fingerprint)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.name)[:40] or "dataset"
    digest = (key or fingerprint(root, dataset_files(root)))[:16]
    return Path(cache_dir) / "datasets" / f"{slug}-{digest}{engine(engine_name).SUFFIX}"


# -- the index ----------------------------------------------------------------------------


def _is_current(meta: dict | None, fp: str) -> bool:
    return bool(
        meta
        and meta.get("dataset_fingerprint") == fp
        and meta.get("dataset_index_version") == INDEX_VERSION
        and meta.get("schema_version") == str(store_mod.SCHEMA_VERSION)
    )


def dataset_store(source: str | os.PathLike, cache_dir: str | os.PathLike, progress: Progress | None = None,
                  engine_name: str | None = None) -> DatasetStore:
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
    seconds, and the build's phases when the engine times them).
    """
    eng = engine(engine_name)
    root = resolve_source(source)
    files = dataset_files(root)
    fp = fingerprint(root, files)
    final = index_path(root, cache_dir, engine_name, key=fp)
    final.parent.mkdir(parents=True, exist_ok=True)

    meta = eng.read_meta(final) if final.exists() else None
    built = False
    seconds, phases = 0.0, None
    if not _is_current(meta, fp):
        if progress:
            why = "first use" if meta is None else "the dataset changed"
            progress(f"indexing {root} ({why}); this happens once")
        try:
            result = eng.rebuild(root, files, final, fp, progress)
        except KeyboardInterrupt:  # the engine keeps nothing of an unfinished index
            raise Interrupted(f"interrupted while indexing {root}: an unfinished index is not kept, so the next "
                              "run with this dataset builds it again from the start; maps already cached still work"
                              ) from None
        built, seconds, phases = True, result["seconds"], result.get("phases")
        if progress:
            progress(f"indexed {result['papers']:,} papers and {result['edges']:,} citations in {seconds:.1f} s")
            if result["malformed"]:
                progress(f"{result['malformed']:,} malformed lines skipped (see above)")
        meta = eng.read_meta(final)
    if meta is None:  # only after a build: a current index has its meta
        raise DatasetError(f"the index of {root} at {final} cannot be read back after building it")

    try:
        # a DatasetStore once it has the three attributes set below
        st = cast(DatasetStore, eng.open_store(final))
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
        "content_key": fp,
        **({"phases": phases} if phases else {}),
    }
    return st
