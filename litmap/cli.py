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
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _build(seeds, nodes, depth, max_papers, offline, source, api_key, rate, quiet=False) -> tuple[dict, int]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from litmap import crawl, dataset, s2, store

    refs = _parse_ids(seeds)
    if source and offline:
        raise _fail("--source and --offline do not go together: a dataset is already offline", 2)
    console = Console(stderr=True)
    state: dict = {"client": None, "line": None, "at": 0.0}
    failure: tuple[Exception, str] | None = None
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
                result, client = crawl.make_map(refs, opts, cache, source=source, offline=offline,
                                                client_factory=client_factory, progress=progress)
        except s2.NetworkError as exc:
            failure = exc, f". Maps already cached still work with --offline; {SAMPLE_HINT}"
        except (s2.S2Error, crawl.CrawlError, store.StoreError, dataset.DatasetError) as exc:
            failure = exc, ""
    if failure:  # only now that the spinner is gone: an error never lands inside its line
        raise _fail(f"{failure[0]}{failure[1]}") from None
    return result, (client.requests if client else 0)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="litmap")
def cli() -> None:
    """Literature maps around seed papers, from the Semantic Scholar graph.

    Settings: S2_API_KEY (sent as x-api-key), LITMAP_API_URL (default
    https://api.semanticscholar.org), LITMAP_CACHE_DIR (default ./cache).
    """


@cli.command()
@click.argument("seeds", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Map page to write (default litmap-<key>.html); the .bib and .json go beside it.")
@click.option("--open", "open_browser", is_flag=True, help="Open the map in the browser.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no table.")
@_crawl_options
def seed(seeds, output, open_browser, quiet, **options) -> None:
    """Map the papers most related to SEEDS (arXiv id, DOI, S2 id or URL, CorpusId:N, "title")."""
    if output is not None:
        _paths(output, "")  # a name that cannot work is refused before any crawling
    result, requests_made = _build(seeds, quiet=quiet, **options)
    from litmap import export, render

    html_path, bib_path, json_path = _paths(output, _default_stem(result))
    papers = result["nodes"]
    bib = _map_bibtex(result)
    _write((html_path, render.render_html(result, bib, name=html_path.stem)),
           (bib_path, "\n".join(bib[p["paperId"]] for p in papers)),
           (json_path, export.to_json(result)))
    if not quiet:
        _print_table(result)
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
@click.argument("seeds", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="bibtex", show_default=True)
@click.option("--which", type=click.Choice(["map", "prior", "derivative", "all"]), default="map", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@_crawl_options
def export_cmd(seeds, fmt, which, output, **options) -> None:
    """Export the map of SEEDS (built or taken from the cache) as bibtex, ris, csl-json, csv, json, graphml or gexf."""
    result, _ = _build(seeds, quiet=True, **options)
    from litmap import export

    func, _ext, takes = export.FORMATS[fmt]
    groups = {"map": result["nodes"], "prior": result.get("prior", []), "derivative": result.get("derivative", [])}
    chosen = list({p["paperId"]: p for name in (groups if which == "all" else [which]) for p in groups[name]}.values())
    if takes == "map":
        text = func(result)
    elif fmt == "bibtex":  # the keys the map page and `litmap seed`'s .bib use, whatever --which
        bib = _map_bibtex(result)
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
    """Delete the cache (papers, edges, maps and dataset indexes)."""
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
