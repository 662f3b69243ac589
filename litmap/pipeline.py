"""From seed ids (or a library file) to a finished ``Map``: the one path every caller takes.

``build_map`` is what ``litmap.map()``, ``litmap.library_map()``, the command line and a server
call. It reads the ids, chooses the source (the API through the cache, the cache alone, or a
bulk dataset, also the one a map of the same seeds last came from), resolves a library file,
takes a finished map from the cache or crawls one and keeps it there, compares it with the
last version (history.py) and restricts it to recent papers. Around it: what a map's files
are called and how they are written (all or none); the cache's housekeeping is in housekeeping.py.

Nothing here is global: each call opens its own cache connection and client, so calls may run
side by side (threads, a long-running server). ``progress`` receives a ``Progress`` at every
stage and before every request; raising ``Cancelled`` (or anything) from it stops the map, and
everything fetched so far stays in the cache, as with Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from litmap import crawl, dataset, history, ids, libfile, library, names, s2, store
from litmap.errors import ApiUnreachableError, LitmapError, NotFoundError, StorageError, UsageError, storage_problem
from litmap.libfile import Entry
from litmap.maps import Map, write_map
from litmap.outputs import check_target, map_paths, write_all
from litmap.records import paper_aliases
from litmap.settings import Settings

__all__ = ["Progress", "build_map", "failures", "check_output", "write_map", "write_text", "progress_printer",
           "notes", "library_lines", "seed_ids", "source_name", "library_entries", "check_source", "SAMPLE_HINT"]

SAMPLE_HINT = "to see litmap work offline, try: litmap seed hep-th/9711200 --source sample --open"
LIMITS = {"nodes": (1, 2000), "depth": (1, 2), "max_papers": (1, 1_000_000)}  # the CLI's ranges too


@dataclass(frozen=True)
class Progress:
    """Where a map is: the stage, requests made so far, papers the cache knows; and, once the
    crawl can tell, the requests it expects in all and the seconds they should still take.

    ``expected`` is the crawl's own plan (crawl.Crawler.build): exact for the step under way
    (the batch calls it is about to make, and the pages completing the lists they will cut),
    estimated for the later steps from the counts known so far, and revised at each step; None
    until the seeds are known, and for a map that needs no request. ``seconds_left`` is the
    requests still expected at the pace requests have gone so far, never faster than the
    paced rate (LITMAP_RATE); None without an estimate."""

    stage: str
    requests: int
    papers: int
    expected: int | None = None
    seconds_left: float | None = None

    def __str__(self) -> str:
        if self.expected is None:
            return f"{self.stage} · {self.requests} requests · {self.papers} papers known"
        left = f" · about {_duration(self.seconds_left)} left" if self.seconds_left else ""
        return f"{self.stage} · {self.requests} of about {self.expected} requests{left} · {self.papers} papers known"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


ProgressCallback = Callable[[Progress], None]


def build_map(seeds: Sequence[str] = (), *, library_file: str | Path | None = None, source: str | None = None,
              nodes: int = 40, depth: int = 2, max_papers: int = 5000, offline: bool = False,
              refresh: bool = False, max_age: str | float | dt.timedelta | None = None,
              since: str | dt.date | None = None, settings: Settings | None = None,
              progress: ProgressCallback | None = None, library_data: bytes | None = None) -> Map:
    """The map of `seeds` (any identifier form, or a title) or of the papers of `library_file`.

    source: "sample" or a bulk-dataset directory (no API); offline: the cache only; refresh /
    max_age ("30d", seconds or a timedelta): fetch again lists cached longer ago; since
    ("2024-06" or a date): only papers published after it; library_data: the library file's
    bytes, already read (an upload; `library_file` then only names it, nothing is read from
    disk). Raises a LitmapError whose message is the one line the command line prints."""
    settings = settings or Settings.from_env()
    with failures(settings):
        if bool(seeds) == bool(library_file):
            raise UsageError("give either seed ids or --from FILE (a library file), not both or neither")
        refs = [ids.parse(s) for s in seeds]
        for name, value in (("nodes", nodes), ("depth", depth), ("max_papers", max_papers)):
            low, high = LIMITS[name]
            if not low <= value <= high:
                raise UsageError(f"{name} must be {low} to {high:,}, not {value}")
        if source and offline:
            raise UsageError("--source and --offline do not go together: a dataset is already offline")
        if offline and (refresh or max_age is not None):
            raise UsageError("--refresh and --max-age fetch again, which --offline forbids")
        age = 0.0 if refresh else _seconds(max_age)
        day = history.parse_date(since) if isinstance(since, str) else since
        options: dict[str, Any] = {"nodes": nodes, "depth": depth, "max_papers": max_papers}
        with _Run(settings, progress) as run:
            opts = crawl.Options(**options, since=day)
            if day:  # a map of recent papers has its own versions
                options["since"] = day.isoformat()
            resolutions: list[library.Resolution] = []
            if library_file:
                refs, resolutions = _resolve_library(Path(library_file), run, source, offline, library_data)
            result, store_ = _crawl_map(refs, opts, run, source, offline, age, listed=not library_file)
            if library_file:
                resolutions = library.find_in_map(resolutions, result["nodes"])
                result = library.library_view(result, store_, resolutions)
                # which file the map is of: `--from refs.csv` then never overwrites refs.bib's map
                result["library"] = {**result["library"], "file": Path(library_file).name}
            # export too: the same map gives the same JSON (an unchanged map adds no version)
            seen = history.known(result, run.cache, options)
            result = history.track(result, run.cache, options)
        if day:
            result = history.since(result, day)
        stem = names.library_stem(library_file) if library_file else None
        m = Map(result, stem=stem, requests=run.requests, resolutions=resolutions)
        m.first_version = not seen
        return m


def _options_json(opts: crawl.Options) -> dict:
    """A map's options as the cache lists them (JSON: --since as an ISO date; null without it)."""
    out = dataclasses.asdict(opts)
    out["since"] = opts.since.isoformat() if opts.since else None
    return out


def source_name(source: str | None) -> str | None:
    """How a map's source is listed: None (the API), "sample", or the dataset's absolute path."""
    if not source or str(source) == dataset.SAMPLE:
        return str(source) if source else None
    return str(Path(source).expanduser().resolve())


def seed_ids(m: Map, given: Sequence[str]) -> list[str | None]:
    """For each seed id as given to build_map, the paperId of the map's seed it names (None:
    none). In order when no two given ids name one paper; else their aliases tell."""
    pids: list[str | None] = [str(p) for p in m.data.get("seeds") or []]
    if len(given) == len(pids):
        return pids
    out: list[str | None] = []
    for text in given:
        ref = ids.parse(text)
        out.append(next((n["paperId"] for n in m.seeds if ref.value == n["paperId"] or ref.alias in
                         {a for a, _ in paper_aliases(n)}
                         | {ids.alias_key("title", " ".join(names.title(dict(n)).split()))}), None))
    return out


def _seconds(max_age: str | float | dt.timedelta | None) -> float | None:
    if isinstance(max_age, str):
        return history.parse_age(max_age)
    if isinstance(max_age, dt.timedelta):
        return max_age.total_seconds()
    return None if max_age is None else float(max_age)


class _Run:
    """One build's cache connection, client (made only when something must be fetched) and
    dataset store (opened once), and its progress reports."""

    def __init__(self, settings: Settings, progress: ProgressCallback | None):
        self.settings, self.report = settings, progress
        self.client: s2.Client | None = None
        self.paused: str | None = None  # a 429's pause, shown until the request after it goes
        self.datasets: dict[str, dataset.DatasetStore] = {}
        self.cache = store.Store.open(settings.cache_dir)
        self.planned: tuple[int, int] | None = None  # (requests made, requests still expected) at the last plan
        self.first_request: float | None = None

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        for opened in self.datasets.values():
            opened.close()
        self.cache.close()

    @property
    def requests(self) -> int:
        return self.client.requests if self.client else 0

    def progress(self, stage: str) -> None:
        if self.report is not None:
            expected, left = self.expected()
            self.report(Progress(stage, self.requests, self.cache.paper_count(), expected, left))

    def plan(self, remaining: int) -> None:
        """The crawl expects `remaining` more requests from now (crawl.Crawler.plan)."""
        self.planned = (self.requests, remaining)

    def expected(self) -> tuple[int | None, float | None]:
        """The requests expected in all, and the seconds the rest should take: at the pace so
        far, never faster than the paced rate; requests beyond the plan (retries) add to it."""
        if self.planned is None:
            return None, None
        made, remaining = self.planned
        expected = max(self.requests, made + remaining)
        pace = self.client.pacer.interval if self.client else 0.0
        if self.first_request is not None and self.requests > 1:
            pace = max(pace, (time.monotonic() - self.first_request) / (self.requests - 1))
        return expected, (expected - self.requests) * pace if pace else None

    def make_client(self) -> s2.Client:
        if self.client is None:
            s = self.settings
            self.client = s2.Client(base_url=s.api_url, api_key=s.api_key, rate=s.requests_per_second(),
                                    on_request=self._fetching, on_pause=self._pause)
            self.client.pacer.shared = self.cache.pacing(self.client.base_url)  # one budget per cache
        return self.client

    def _pause(self, message: str) -> None:
        self.paused = message
        self.progress(message)

    def _fetching(self) -> None:
        if self.first_request is None:  # the pace measured from the first request on (seconds_left)
            self.first_request = time.monotonic()
        # the retry after a 429 waits its pause after this call: the pause stays on screen
        stage, self.paused = self.paused or "fetching", None
        self.progress(stage)

    def dataset(self, source: str) -> dataset.DatasetStore:
        """The index of the dataset `source` as a read-only store (built on first use)."""
        if source not in self.datasets:
            self.datasets[source] = dataset.dataset_store(source, dataset.index_dir(self.settings),
                                                          progress=self.progress)
        return self.datasets[source]


def _crawl_map(refs: list[ids.Ref], opts: crawl.Options, run: _Run, source: str | None, offline: bool,
               max_age: float | None, listed: bool = True) -> tuple[dict, store.GraphStore]:
    """The map for these seeds from the cache's finished maps, the API, the cache alone or a
    dataset; and the store it was read from. With a dataset its index is the store and no
    client exists; otherwise the cache is the store and a client is made only when something
    must be fetched. `max_age` (seconds; 0 = refresh everything): cached lists and maps older
    than that are fetched/built again. `listed`: a new map joins the cache's list of maps
    (recent_maps; a library's map is not listed: reopening it needs the library file)."""
    cache = run.cache
    seeds = [str(r) for r in refs]
    # A map remembers where it came from: `litmap export X` after `litmap seed X --source sample`
    # reads the sample's map instead of going to the network.
    remembered = cache.get_map(opts.key(seeds, "source-of-last-map"))
    if not source and remembered and cache.get_map(opts.key(seeds, "api")) is None:
        source = remembered.get("source")
    found: store.GraphStore
    if source:
        found = run.dataset(source)
        source_key = "dataset:" + str(found.dataset_info.get("content_key") or found.dataset_info["index"])
    else:
        found, source_key = cache, "api"
    cutoff = 0.0
    if max_age is not None and not source:  # a dataset's lists are as fresh as the dataset
        cutoff = time.time() - max_age
        cache.stale_before = cutoff
    key = opts.key(seeds, source_key)
    cached = cache.get_map(key, newer_than=cutoff)
    if cached is not None:
        return cached, found
    client = run.make_client() if not source and not offline else None
    crawler = crawl.Crawler(found, client, run.progress, source=source, plan=run.plan)
    result = crawler.build(refs, opts)
    if not crawler.stats["missing"]:  # a partial offline map is shown, never remembered
        seed_nodes = [n for n in result["nodes"] if n.get("role") == "seed"]
        about = {"seeds": seeds, "options": _options_json(opts), "source": source_name(source),
                 "title": names.title(seed_nodes[0]) if seed_nodes else None} if listed else None
        cache.put_map(key, result, about=about)
        cache.put_map(opts.key(seeds, "source-of-last-map"), {"source": str(source) if source else None})
    return result, found


def library_entries(data: bytes, name: str) -> int:
    """How many entries a library file's bytes hold (LibraryFileError if none can be read)."""
    return len(libfile.parse(data, name)[1])


def check_source(source: str | None) -> None:
    """A `source` that is no bulk dataset raises DatasetError now, before any map asks for it."""
    if source:
        dataset.dataset_files(dataset.resolve_source(source))


def _resolve_library(path: Path, run: _Run, source: str | None, offline: bool,
                     data: bytes | None = None) -> tuple[list[ids.Ref], list[library.Resolution]]:
    """The library's entries (from `data` if given, else from the file) resolved
    (library.resolve) and its papers as seed refs. A client is made only if something must
    be fetched; a dataset's index resolves with none."""
    _fmt, entries = libfile.parse(data, path) if data is not None else libfile.read(path, waiting=run.progress)
    if source:
        resolutions = library.resolve(entries, run.dataset(source), None, run.progress)
    else:
        need = not offline and _needs_client(entries, run.cache)
        resolutions = library.resolve(entries, run.cache, run.make_client() if need else None, run.progress)
    refs = library.seed_refs(resolutions)
    if not refs:
        first = f" (first: {resolutions[0].reason})" if resolutions else ""
        raise NotFoundError(f"none of the {len(entries)} entries of {path} could be resolved{first}")
    return refs, resolutions


def _needs_client(entries: list[Entry], cache: store.Store) -> bool:
    return any(not any(crawl.known_id(cache, r) for r in e.refs) if e.refs
               else bool(e.title) and not crawl.known_id(cache, ids.Ref("title", e.title or ""))
               for e in entries)


@contextlib.contextmanager
def failures(settings: Settings) -> Iterator[None]:
    """Failures as LitmapErrors with the line to print: the network with what still works, a
    storage fault of the cache (full disk, read-only, damaged, a file in its place) with what
    to do. Anything else is a bug and passes unchanged."""
    try:
        yield
    except s2.NetworkError as exc:
        raise ApiUnreachableError(f"{exc}. Maps already cached still work with --offline; {SAMPLE_HINT}") from exc
    except Exception as exc:
        if isinstance(exc, LitmapError) and not isinstance(exc, StorageError):
            raise
        message = storage_problem(exc, settings.cache_dir, store.DB_NAME)
        if message is None:
            raise
        raise StorageError(message) from exc


# -- files -------------------------------------------------------------------------------------


def check_output(output: Path | str | None) -> None:
    """Refuse a page name that cannot work (a clash with its siblings, a device, a file where a
    directory is named) before any crawling; OutputError (usage). A directory (`-o maps/`)
    takes the page under its default name."""
    if output is not None:
        for path in map_paths(output, "litmap-map"):
            check_target(path)


def write_text(path: Path | str, text: str) -> None:
    """One file, written whole or not at all (`litmap export -o`); OutputError otherwise."""
    if str(path).endswith(("/", os.sep)):
        raise UsageError(f"-o {path} names a directory; an export is one file: name it, such as {path}refs.bib")
    write_all([(Path(path), text)])


# -- what to tell the user ----------------------------------------------------------------------


def progress_printer(stream: Any = None, every: float = 5.0) -> ProgressCallback:
    """A progress callback writing timestamped lines (to stderr): one per stage, and at most one
    every `every` seconds within a stage, so a log stays readable."""
    last: dict[str, Any] = {"stage": "", "at": 0.0}

    def show(event: Progress) -> None:
        if event.stage != last["stage"] or time.monotonic() - last["at"] >= every:
            last.update(stage=event.stage, at=time.monotonic())
            print(f"{time.strftime('%H:%M:%S')} litmap: {event}", file=stream or sys.stderr, flush=True)

    return show


def library_lines(m: Map, table: str = "the table") -> list[str]:
    """How a library file resolved and what its map draws (a library map only); `table`:
    where the entries that did not resolve are listed, with why."""
    lib = m.data["library"]
    unresolved = len(lib["unresolved"])
    dupes = lib["entries"] - unresolved - lib["seeds"]
    in_map = sum(1 for u in lib["unresolved"] if u.get("in_map"))
    return [f"library: {lib['entries']} entries, {lib['seeds']} papers resolved"
            + (f", {dupes} duplicate{'s' if dupes > 1 else ''}" if dupes else "")
            + (f", {unresolved} not resolved (see {table})" if unresolved else "")
            + (f"; {in_map} of those found in the map by title or id, so not suggested as missing"
               if in_map else ""),
            f"the map draws {lib['drawn']} of your papers and {lib['suggestions']} suggestions (--nodes); "
            f"listed only, as tied to nothing else in it: {len(lib['unlinked'])}"]


def notes(m: Map, quiet: bool = False) -> list[str]:
    """What changed since the last map (quiet: only if something did), and what the map lacks."""
    lines = history.summary_lines(m.data, first=m.first_version) if not quiet or m.changes else []
    stats = m.data.get("stats", {})
    if stats.get("since"):
        lines.append(f"note: {history.since_note(stats['since'])}")
    if stats.get("evidence_note"):
        lines.append(f"note: {stats['evidence_note']}")
    lines += [f"note: list truncated: {note}" for note in stats.get("truncated", [])]
    if stats.get("missing"):
        lines.append(f"note: offline map: {len(stats['missing'])} lists or records are not cached")
    return lines
