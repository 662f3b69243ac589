"""The cache's housekeeping: what it holds, the maps it can give again, clearing it.

What `litmap cache info|clear` and the server's home page show; every fault of the cache comes
out as the LitmapError line pipeline.failures gives.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from litmap import dataset, store
from litmap.pipeline import failures, source_name
from litmap.settings import Settings

__all__ = ["CacheInfo", "cache_info", "CachedMap", "recent_maps", "cache_files", "clear_cache"]


@dataclass(frozen=True)
class CacheInfo:
    path: Path                       # the crawl cache's database
    info: dict[str, int] | None      # store.Store.info(); None: no cache yet
    index_dir: Path                  # the shared dataset indexes
    indexes: list[Path]
    index_bytes: int


def cache_info(settings: Settings | None = None) -> CacheInfo:
    """The crawl cache (papers, edges, maps) and the dataset indexes shared by all projects."""
    settings = settings or Settings.from_env()
    with failures(settings):
        path = settings.cache_dir / store.DB_NAME
        info = None
        if path.exists():
            with store.Store(path) as db:
                info = db.info()
        where = dataset.index_dir(settings) / "datasets"
        suffixes = tuple(engine.SUFFIX for engine in dataset.ENGINES.values())  # a file or a folder each
        indexes = sorted(p for p in where.glob("*") if p.name.endswith(suffixes)) if where.is_dir() else []
        size = sum(p.stat().st_size for p in where.rglob("*") if p.is_file()) if where.is_dir() else 0
        return CacheInfo(path, info, where, indexes, size)


@dataclass(frozen=True)
class CachedMap:
    seeds: list[str]            # as they were given (identifier forms build_map reads)
    options: dict[str, int]     # nodes, depth, max_papers
    source: str | None          # None: the API; "sample" or a dataset's path
    title: str | None           # the first seed's title
    papers: int                 # papers drawn
    created: float              # when it was built (time.time())


def recent_maps(settings: Settings | None = None, source: str | None = None, limit: int = 50) -> list[CachedMap]:
    """The maps the cache holds from `source` (None: the API), newest first, one per seeds and
    options; what build_map gives again for those seeds and options with no request."""
    settings = settings or Settings.from_env()
    with failures(settings):
        if not (settings.cache_dir / store.DB_NAME).exists():
            return []
        with store.Store.open(settings.cache_dir) as db:
            rows = db.map_index(4 * limit)  # older versions of a map (another revision) are skipped
    want, seen, out = source_name(source), set(), []
    for r in rows:
        ident = (tuple(r["seeds"]), tuple(sorted(r["options"].items())))
        if r["source"] == want and ident not in seen:
            seen.add(ident)
            out.append(CachedMap(r["seeds"], r["options"], r["source"], r["title"], r["papers"], r["created_at"]))
    return out[:limit]


def cache_files(settings: Settings | None = None) -> tuple[Path, list[Path]]:
    """The cache directory, and what `clear_cache` deletes there: the crawl cache's files (the
    shared dataset indexes stay)."""
    directory = (settings or Settings.from_env()).cache_dir
    targets = [*directory.glob(store.DB_NAME + "*"), directory / "datasets"]
    return directory, [p for p in targets if p.exists()]


def clear_cache(paths: list[Path], settings: Settings | None = None) -> None:
    with failures(settings or Settings.from_env()):
        for p in paths:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
