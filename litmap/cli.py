"""The litmap command line: parse, call the library, print. Nothing else lives here."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import click

from litmap import __version__

SAMPLE_HINT = "to see litmap work offline, try: litmap seed hep-th/9711200 --source sample --open"
EXPORT_FORMATS = ["bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"]


def _fail(message: str, code: int = 1) -> "click.exceptions.Exit":
    # One line, no traceback: everything the user needs is in the message.
    click.echo(f"litmap: error: {' '.join(str(message).split())}", err=True)
    return click.exceptions.Exit(code)


def _parse_ids(values: tuple[str, ...]) -> list:
    from litmap import ids

    refs = []
    for value in values:
        try:
            refs.append(ids.parse(value))
        except ids.IdError as exc:
            raise _fail(str(exc), 2) from None
    return refs


def _crawl_options(f):
    options = [
        click.option("--nodes", default=40, show_default=True, type=click.IntRange(1, 2000), help="Related papers in the map."),
        click.option("--depth", default=2, show_default=True, type=click.IntRange(1, 2), help="2 also follows the citers of the seeds' references (coupling)."),
        click.option("--max-papers", default=5000, show_default=True, type=click.IntRange(1, 1_000_000), help="Most papers whose lists are fetched."),
        click.option("--offline", is_flag=True, help="Use only the cache; make no request."),
        click.option("--source", metavar="PATH|sample", help="Build from a local Semantic Scholar bulk dataset ('sample': the bundled arXiv hep-th graph)."),
        click.option("--api-key", metavar="KEY", help="Semantic Scholar API key (default: $S2_API_KEY). Never stored."),
        click.option("--rate", type=click.FloatRange(0), help="Requests per second (default 1; 0 = no pacing)."),
        click.option("--from", "library_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="Seeds from your library: .bib, .ris, CSL-JSON .json, .csv with a DOI column, or ids one per line."),
        click.option("--refresh", is_flag=True, help="Fetch the lists again, however recently cached."),
        click.option("--max-age", metavar="AGE", help="Fetch again lists cached longer ago than AGE (30d, 12h, 2w)."),
        click.option("--since", metavar="DATE", help="Show only papers published after DATE (YYYY[-MM[-DD]])."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _build(seeds, nodes, depth, max_papers, offline, source, api_key, rate, library_file=None, refresh=False,
           max_age=None, since=None, quiet=False) -> tuple[dict, int, list]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from litmap import crawl, dataset, errors, history, libfile, library, s2, store

    if bool(seeds) == bool(library_file):
        raise _fail("give either seed ids or --from FILE (a library file), not both or neither", 2)
    refs = _parse_ids(seeds)
    if source and offline:
        raise _fail("--source and --offline do not go together: a dataset is already offline", 2)
    if offline and (refresh or max_age):
        raise _fail("--refresh and --max-age fetch again, which --offline forbids", 2)
    try:
        age = 0.0 if refresh else (history.parse_age(max_age) if max_age else None)
        day = history.parse_date(since) if since else None
    except history.DateError as exc:
        raise _fail(str(exc), 2) from None
    resolutions: list = []
    console = Console(stderr=True)
    state: dict = {"client": None, "line": None, "at": 0.0}
    failure: tuple[Exception, str] | None = None
    code = 1
    # A terminal gets a spinner; a log file or pipe gets plain timestamped lines, at most one
    # every few seconds unless the stage changes.
    lines = not quiet and not console.is_terminal
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task("starting")

        def progress(stage: str) -> None:
            client = state["client"]
            made = client.requests if client else 0
            text = f"{stage} · {made} requests · {cache.paper_count()} papers known"
            bar.update(task, description=text)
            if lines and (stage != state["line"] or time.monotonic() - state["at"] >= 5):
                state["line"], state["at"] = stage, time.monotonic()
                click.echo(f"{time.strftime('%H:%M:%S')} litmap: {text}", err=True)

        def client_factory() -> s2.Client:
            state["client"] = s2.Client(api_key=api_key, rate=rate, on_request=lambda: progress("fetching"))
            return state["client"]

        try:
            with store.Store.open() as cache:
                opts = crawl.Options(nodes=nodes, depth=depth, max_papers=max_papers)
                if library_file:
                    result, resolutions, client = library.build(
                        library_file, opts, cache, source=source, offline=offline,
                        client_factory=client_factory, progress=progress, max_age=age)
                else:
                    result, client = crawl.make_map(refs, opts, cache, source=source, offline=offline,
                                                    client_factory=client_factory, progress=progress, max_age=age)
                # export too: the same map gives the same JSON (an unchanged map adds no version)
                result = history.track(result, cache, {"nodes": nodes, "depth": depth, "max_papers": max_papers})
        except libfile.LibraryFileError as exc:  # the file: a usage error
            failure, code = (exc, ""), 2
        except s2.NetworkError as exc:
            failure = exc, f". Maps already cached still work with --offline; {SAMPLE_HINT}"
        except store.StoreError as exc:
            failure = (_storage_problem(exc) or exc), ""
        except (s2.S2Error, crawl.CrawlError, dataset.DatasetError, errors.SettingsError) as exc:
            failure = exc, ""
    if failure:  # only now that the spinner is gone: an error never lands inside its line
        raise _fail(f"{failure[0]}{failure[1]}", code) from None
    if day:
        result = history.since(result, day)
    client = state["client"]
    return result, (client.requests if client else 0), resolutions


def _clean(text) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(text or "")).strip()


def _ellipsis(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from litmap.text import plain

    table = Table(title=Text("Papers most related to the seed"), show_lines=False)
    for col, width in (("#", 4), ("score", 5), ("year", 4), ("cites", 5)):
        table.add_column(col, no_wrap=True, width=width)
    table.add_column("first author", no_wrap=True, width=22)
    table.add_column("title")
    console = Console()
    room = max(20, console.width - 62)  # what the other columns and borders leave
    for node in result["nodes"][:25]:
        first = (node.get("authors") or [{}])[0].get("name", "")
        table.add_row(
            Text(str(node.get("rank") if node.get("role") != "seed" else "seed")),
            Text(f"{node.get('similarity', 0):.3f}"),
            Text(str(node.get("year") or "")),
            Text(str(node.get("citationCount") if node.get("citationCount") is not None else "")),
            Text(_ellipsis(_clean(plain(first, scripts=False)), 22)),
            Text(_ellipsis(_clean(plain(node.get("title"))), room)),
        )
    console.print(table)


def _print_resolutions(resolutions: list) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    ok = sum(1 for r in resolutions if r.seed)
    table = Table(title=Text(f"Library: {ok} of {len(resolutions)} entries resolved"))
    table.add_column("line", no_wrap=True, width=5)
    table.add_column("entry", no_wrap=True, max_width=28)
    table.add_column("", no_wrap=True, width=2)
    table.add_column("found as / why not")
    for r in resolutions:
        mark = "ok" if r.seed else ("=" if r.paper_id else "!")
        said = f"{r.via}: {_clean(r.title)}" if r.seed else r.reason
        table.add_row(Text(str(r.entry.line or "")), Text(_ellipsis(_clean(r.entry.label), 28)),
                      Text(mark), Text(_clean(said)))
    Console().print(table)


def _print_library(result: dict, quiet: bool) -> None:
    lib = result["library"]
    unresolved = len(lib["unresolved"])
    dupes = lib["entries"] - unresolved - lib["seeds"]
    click.echo(f"litmap: library: {lib['entries']} entries, {lib['seeds']} papers resolved"
               + (f", {dupes} duplicates" if dupes else "")
               + (f", {unresolved} not resolved (see the table)" if unresolved else ""), err=True)
    click.echo(f"litmap: the map draws {lib['drawn']} of your papers and {lib['suggestions']} suggestions (--nodes); "
               f"listed only, as tied to nothing else in it: {len(lib['unlinked'])}", err=True)
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text("Missing from your library"))
    table.add_column("#", no_wrap=True, width=3)
    table.add_column("year", no_wrap=True, width=4)
    table.add_column("title", ratio=3)
    table.add_column("evidence", ratio=2)
    for n in result["missing"][:15]:
        table.add_row(Text(str(n.get("rank"))), Text(str(n.get("year") or "")),
                      Text(("[new] " if n.get("new") else "") + _clean(n.get("title"))), Text(n["why"]))
    Console().print(table)


def _default_stem(result: dict) -> str:
    from litmap import export, outputs

    seeds = [n for n in result["nodes"] if n.get("role") == "seed"]
    keys = export.citation_keys(seeds)
    ids = sorted(str(s) for s in result.get("seeds") or [n.get("paperId") for n in seeds])
    return outputs.default_stem(sorted(keys.values()), ids)  # order-free: same seeds, same name


def _map_bibtex(result: dict) -> dict[str, str]:
    """Entries for every paper the map shows, keys made unique over all of them, so a paper has
    one key in the page, the .bib beside it and any later `litmap export`."""
    from litmap import export

    return export.bibtex_entries(_map_papers(result))


def _map_papers(result: dict) -> list:
    return result["nodes"] + result.get("prior", []) + result.get("derivative", [])


def _write(*files: tuple[Path, str]) -> None:
    from litmap import outputs

    try:
        outputs.write_all(list(files))
    except outputs.OutputError as exc:
        raise _fail(str(exc), 2 if exc.usage else 1) from None


def _paths(output: Path | None, stem: str) -> tuple[Path, Path, Path]:
    from litmap import outputs

    try:
        paths = outputs.map_paths(output, stem)
        for path in paths:
            outputs.check_target(path)
    except outputs.OutputError as exc:
        raise _fail(str(exc), 2 if exc.usage else 1) from None
    return paths


class _Group(click.Group):
    """Storage faults (full disk, read-only or damaged cache, a file where the cache should be)
    become one line that says what to do, wherever in a command they happen."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = None if os.environ.get("LITMAP_DEBUG") else _storage_problem(exc)
            if message is None:
                raise
            raise _fail(message) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="litmap")
def cli() -> None:
    """Literature maps around seed papers, from the Semantic Scholar graph.

    Settings: S2_API_KEY (sent as x-api-key), LITMAP_API_URL (default
    https://api.semanticscholar.org), LITMAP_CACHE_DIR (default ./cache).
    """


@cli.command()
@click.argument("seeds", nargs=-1)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Map page to write (default litmap-<key>.html); the .bib and .json go beside it.")
@click.option("--open", "open_browser", is_flag=True, help="Open the map in the browser.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no table.")
@_crawl_options
def seed(seeds, output, open_browser, quiet, **options) -> None:
    """Map the papers most related to SEEDS (arXiv id, DOI, S2 id or URL, CorpusId:N, "title"),
    or to the papers of a library file (--from refs.bib)."""
    if output is not None:
        _paths(output, "")  # a name that cannot work is refused before any crawling
    result, requests_made, resolutions = _build(seeds, quiet=quiet, **options)
    from litmap import export, render

    library_file = options.get("library_file")
    stem = "litmap-" + re.sub(r"[^\w.-]+", "_", library_file.stem) if library_file else _default_stem(result)
    html_path, bib_path, json_path = _paths(output, stem)
    papers = result["nodes"]
    bib = _map_bibtex(result)
    _write((html_path, render.render_html(result, bib, name=html_path.stem)),
           (bib_path, "\n".join(bib[p["paperId"]] for p in papers)),
           (json_path, export.to_json(result)))
    if resolutions and not quiet:
        _print_resolutions(resolutions)
    if not quiet and "library" not in result:
        _print_table(result)
    if "library" in result:
        _print_library(result, quiet)
    from litmap import history

    if not quiet or result.get("changes"):
        for line in history.summary_lines(result):
            click.echo(f"litmap: {line}", err=True)
    stats = result.get("stats", {})
    for note in stats.get("truncated", []):
        click.echo(f"litmap: note: list truncated: {note}", err=True)
    if stats.get("missing"):
        click.echo(f"litmap: note: offline map: {len(stats['missing'])} lists or records are not cached", err=True)
    click.echo(f"wrote {html_path}, {bib_path}, {json_path} "
               f"({len(papers)} papers, {requests_made} requests)")
    if open_browser:
        import webbrowser

        try:
            opened = webbrowser.open(html_path.resolve().as_uri())
        except webbrowser.Error:
            opened = False
        if not opened:
            click.echo(f"litmap: note: no web browser found to open the map; open {html_path} yourself", err=True)


@cli.command(name="export")
@click.argument("seeds", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="bibtex", show_default=True)
@click.option("--which", type=click.Choice(["map", "prior", "derivative", "missing", "all"]), default="map", show_default=True,
              help="missing: papers most related to your library and not in it (needs --from).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@_crawl_options
def export_cmd(seeds, fmt, which, output, **options) -> None:
    """Export the map of SEEDS (built or taken from the cache) as bibtex, ris, csl-json, csv, json, graphml or gexf."""
    if which == "missing" and not options.get("library_file"):
        raise _fail("--which missing lists what a library lacks: give the library with --from FILE", 2)
    result, _, _ = _build(seeds, quiet=True, **options)
    from litmap import export

    func, _ext, takes = export.FORMATS[fmt]
    groups = {"map": result["nodes"], "prior": result.get("prior", []), "derivative": result.get("derivative", [])}
    if "missing" in result:
        groups["missing"] = result["missing"]
    chosen = list({p["paperId"]: p for name in (groups if which == "all" else [which]) for p in groups[name]}.values())
    if takes == "map":
        text = func(result)
    elif fmt == "bibtex":  # the keys the map page and `litmap seed`'s .bib use, whatever --which
        bib = _map_bibtex(result)
        bib.update({k: v for k, v in export.bibtex_entries(chosen).items() if k not in bib})
        text = "\n".join(bib[p["paperId"]] for p in chosen)
    elif fmt == "csl-json":  # ids are those same keys
        text = func(chosen, keys=export.citation_keys(_map_papers(result)))
    else:
        text = func(chosen)
    if output:
        _write((output, text))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group()
def cache() -> None:
    """Inspect or clear the cache (LITMAP_CACHE_DIR, default ./cache)."""


@cache.command("info")
def cache_info() -> None:
    """The crawl cache (papers, edges, maps) and the dataset indexes shared by all projects."""
    from litmap import dataset, store

    path = store.cache_dir() / store.DB_NAME
    if not path.exists():
        click.echo(f"{path}: empty (no cache yet)")
    else:
        try:
            with store.Store(path) as db:
                info = db.info()
        except store.StoreError as exc:
            raise _fail(str(exc)) from None
        click.echo(f"{path}: {info['bytes'] / 1e6:.1f} MB, {info['papers']} papers "
                   f"({info['full_papers']} with details), {info['edges']} edges, {info['lists']} lists, {info['maps']} maps")
    where = dataset.index_dir() / "datasets"
    indexes = sorted(p for p in where.glob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm", ".part"))) \
        if where.is_dir() else []
    size = sum(p.stat().st_size for p in where.glob("*") if p.is_file()) if where.is_dir() else 0
    click.echo(f"{where}: {len(indexes)} dataset index{'es' if len(indexes) != 1 else ''}, {size / 1e6:.1f} MB"
               + "".join(f"\n  {p.name}" for p in indexes))


@cache.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask.")
def cache_clear(yes: bool) -> None:
    """Delete the crawl cache (papers, edges, maps); the shared dataset indexes stay (see cache info)."""
    import shutil

    from litmap import store

    directory = store.cache_dir()
    targets = [p for p in directory.glob(store.DB_NAME + "*")] + [directory / "datasets"]
    targets = [p for p in targets if p.exists()]
    if not targets:
        click.echo(f"{directory}: nothing to clear")
        return
    if not yes and not click.confirm(f"Delete the litmap cache in {directory}?"):
        raise click.exceptions.Exit(1)
    for p in targets:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    click.echo(f"cleared {directory}")


def _storage_problem(exc: BaseException) -> str | None:
    """A storage fault as one line that says what to do; None when it is not one."""
    import errno
    import sqlite3

    from litmap import store

    where = store.cache_dir()
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text or "disk i/o" in text:
        return (f"the disk holding {where} is full (or over quota); free some space or set LITMAP_CACHE_DIR "
                "to another disk; everything fetched before is kept")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        return (f"the cache {where} is read-only; maps already in it still work, to fetch more set "
                "LITMAP_CACHE_DIR to a writable directory")
    if code in (errno.EEXIST, errno.ENOTDIR) or (where.exists() and not where.is_dir()):
        return f"the cache path {where} is a file, not a directory; set LITMAP_CACHE_DIR to a directory"
    if isinstance(exc, (sqlite3.DatabaseError, store.StoreError)) and ("malformed" in text or "not a database" in text):
        return (f"the cache {where / store.DB_NAME} is damaged; move it aside (or run `litmap cache clear`) "
                "and run again to start a new cache")
    if isinstance(exc, sqlite3.OperationalError):
        return f"the cache {where} cannot be used ({exc}); check the directory, or set LITMAP_CACHE_DIR elsewhere"
    return None


def main() -> None:
    try:
        code = cli.main(prog_name="litmap", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("litmap: interrupted; everything fetched so far is kept in the cache", err=True)
        code = 130
    except Exception as exc:  # a bug or an OS failure: one line, the traceback only on request
        if os.environ.get("LITMAP_DEBUG"):
            raise

        click.echo(f"litmap: error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                   "(set LITMAP_DEBUG=1 to see where)", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
