"""litmap: literature maps around seed papers from the Semantic Scholar graph.

    >>> import litmap
    >>> m = litmap.map("hep-th/9711200", source="sample")     # doctest: +SKIP
    >>> m.related[0]["title"], m.graph, m.citations           # doctest: +SKIP

The public API is what ``__all__`` lists; docs/api.md documents each name.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from litmap.errors import (
    ApiError,
    ApiUnreachableError,
    Cancelled,
    DatasetError,
    Interrupted,
    InvalidIdError,
    KeyRejectedError,
    LibraryFileError,
    LitmapError,
    NoNeighbourhoodError,
    NotFoundError,
    OutputError,
    RateLimitedError,
    SettingsError,
    StorageError,
    UsageError,
)
from litmap.settings import Settings

if TYPE_CHECKING:
    from litmap import housekeeping as housekeeping  # loaded on first use, as pipeline
    from litmap import pipeline as pipeline  # litmap.pipeline, loaded on first use
    from litmap.maps import Map
    from litmap.pipeline import Progress

    Age = str | float | dt.timedelta | None
    ProgressArg = bool | Callable[[Progress], None]

__version__ = "0.1.0"

__all__ = [
    "map", "library_map", "Map", "Progress",
    "LitmapError", "UsageError", "InvalidIdError", "LibraryFileError", "SettingsError", "NotFoundError",
    "NoNeighbourhoodError", "ApiError", "ApiUnreachableError", "RateLimitedError", "KeyRejectedError",
    "DatasetError", "StorageError", "OutputError", "Cancelled", "Interrupted",
]

# Loaded on first use (PEP 562): the pipeline pulls in every module of litmap, which would double
# what `litmap --help` and `import litmap` cost (0.1 s of CPU, measured); the errors above are cheap.
_LAZY = {"Map": ("litmap.maps", "Map"), "Progress": ("litmap.pipeline", "Progress"),
         "pipeline": ("litmap.pipeline", None), "housekeeping": ("litmap.housekeeping", None)}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'litmap' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = importlib.import_module(module)
    return getattr(value, attr) if attr else value


def map(*seeds: str, source: str | None = None, nodes: int = 40, depth: int = 2, max_papers: int = 5000,  # noqa: A001
        offline: bool = False, cache_dir: str | Path | None = None, api_key: str | None = None,
        rate: float | None = None, refresh: bool = False, max_age: Age = None,
        since: str | dt.date | None = None, progress: ProgressArg = False) -> Map:
    """The literature map around `seeds`: arXiv ids, DOIs, Semantic Scholar ids or URLs,
    ``CorpusId:N``, ``PMID:N``… or titles; several seeds make one map around all of them.

    source: "sample" (the bundled arXiv hep-th graph) or a Semantic Scholar bulk-dataset
    directory, instead of the API. nodes: related papers (1-2000). depth: 2 also follows the
    citers of the seeds' references. max_papers: most papers whose lists are fetched. offline:
    use only the cache. cache_dir, api_key, rate: override LITMAP_CACHE_DIR, S2_API_KEY and
    LITMAP_RATE. refresh / max_age ("30d", seconds or a timedelta): fetch again lists cached
    (longer ago than that). since ("2024-06" or a date): only papers published after it.
    progress: True prints progress lines to stderr; a callable receives a ``Progress`` at every
    stage and before every request (raise ``Cancelled`` from it to stop).

    Raises a ``LitmapError`` subclass whose message is the line ``litmap seed`` prints.
    """
    if not seeds:
        raise UsageError("give at least one seed id (a library file: litmap.library_map)")
    return _build(seeds, None, source, nodes, depth, max_papers, offline, cache_dir, api_key, rate, refresh, max_age,
                  since, progress)


def library_map(path: str | Path, *, source: str | None = None, nodes: int = 40, depth: int = 2,
                max_papers: int = 5000, offline: bool = False, cache_dir: str | Path | None = None,
                api_key: str | None = None, rate: float | None = None, refresh: bool = False,
                max_age: Age = None, since: str | dt.date | None = None, progress: ProgressArg = False) -> Map:
    """The map of a library file (.bib, .ris, CSL-JSON .json, .csv with a DOI column, or ids one
    per line): its papers are the seeds; ``Map.missing`` lists what it lacks, best first, and
    ``Map.resolutions`` how each entry resolved. The other arguments are those of ``map``."""
    return _build((), path, source, nodes, depth, max_papers, offline, cache_dir, api_key, rate, refresh, max_age,
                  since, progress)


def _build(seeds: tuple[str, ...], library_file: str | Path | None, source: str | None, nodes: int, depth: int,
           max_papers: int, offline: bool, cache_dir: str | Path | None, api_key: str | None, rate: float | None,
           refresh: bool, max_age: Age, since: str | dt.date | None, progress: ProgressArg) -> Map:
    from litmap import pipeline  # here: see _LAZY

    report = pipeline.progress_printer() if progress is True else (progress or None)
    return pipeline.build_map(seeds, library_file=library_file, source=source, nodes=nodes, depth=depth,
                              max_papers=max_papers, offline=offline, refresh=refresh, max_age=max_age, since=since,
                              settings=Settings.from_env(cache_dir=cache_dir, api_key=api_key, rate=rate),
                              progress=report)
