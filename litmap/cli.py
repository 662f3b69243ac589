"""The litmap command line: parse, call the library (litmap.pipeline), print (litmap/terminal.py
makes the tables).

Errors are the library's LitmapErrors, printed as their one line: exit 2 when the arguments
cannot work (``usage``), 1 when the world failed, 130 on Ctrl-C.
"""

from __future__ import annotations

import sys
import webbrowser
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click
from rich.console import Console
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

import litmap
from litmap import terminal
from litmap.settings import Settings

EXPORT_FORMATS = ["bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"]


class _Group(click.Group):
    """A LitmapError, wherever in a command, is its one line on stderr and exit 2 (usage) or 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except litmap.LitmapError as exc:
            if exc.__cause__ is not None and Settings.from_env().debug:
                raise  # LITMAP_DEBUG: the traceback of what went wrong underneath
            click.echo(f"litmap: error: {terminal.error_line(exc.message)}", err=True)
            raise click.exceptions.Exit(2 if exc.usage else 1) from None


def _crawl_options(f: Callable) -> Callable:
    options = [
        click.option("--nodes", default=40, show_default=True, type=click.IntRange(1, 2000),
                     help="Related papers in the map."),
        click.option("--depth", default=2, show_default=True, type=click.IntRange(1, 2),
                     help="2 also follows the citers of the seeds' references (coupling)."),
        click.option("--max-papers", default=5000, show_default=True, type=click.IntRange(1, 1_000_000),
                     help="Most papers whose lists are fetched."),
        click.option("--offline", is_flag=True, help="Use only the cache; make no request."),
        click.option("--source", metavar="PATH|sample",
                     help="Build from a local Semantic Scholar bulk dataset "
                          "('sample': the bundled arXiv hep-th graph)."),
        click.option("--api-key", metavar="KEY", help="Semantic Scholar API key (default: $S2_API_KEY). Never stored."),
        click.option("--rate", type=click.FloatRange(0), help="Requests per second (default 1; 0 = no pacing)."),
        click.option("--from", "library_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="Seeds from your library: .bib, .ris, CSL-JSON .json, .csv with a DOI column, "
                          "or ids one per line."),
        click.option("--refresh", is_flag=True, help="Fetch the lists again, however recently cached."),
        click.option("--max-age", metavar="AGE", help="Fetch again lists cached longer ago than AGE (30d, 12h, 2w)."),
        click.option("--since", metavar="DATE", help="Rank only papers published since DATE (YYYY[-MM[-DD]])."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[litmap.pipeline.Progress], None] | None]:
    """A spinner on a terminal; plain timestamped lines in a log or pipe; nothing with -q. The
    spinner is gone before an error is printed: an error never lands inside its line."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None if quiet else litmap.pipeline.progress_printer()
        return
    with Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
             transient=True) as bar:
        task = bar.add_task("starting")
        yield lambda event: bar.update(task, description=str(event))


def _build(seeds: tuple[str, ...], quiet: bool, api_key: str | None, rate: float | None, **options: Any) -> litmap.Map:
    with _progress(quiet) as progress:
        settings = Settings.from_env(api_key=api_key, rate=rate)
        return litmap.pipeline.build_map(seeds, settings=settings, progress=progress, **options)


def _note(line: str) -> None:
    click.echo(f"litmap: {line}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(litmap.__version__, prog_name="litmap")
def cli() -> None:
    """Literature maps around seed papers, from the Semantic Scholar graph.

    Settings: S2_API_KEY (sent as x-api-key), LITMAP_API_URL (default
    https://api.semanticscholar.org), LITMAP_CACHE_DIR (default ./cache).
    """


@cli.command()
@click.argument("seeds", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=str),
              help="Map page to write (default litmap-<key>.html), or a directory to write it in "
                   "(maps/); the .bib and .json go beside it.")
@click.option("--open", "open_browser", is_flag=True, help="Open the map in the browser.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no table.")
@_crawl_options
def seed(seeds: tuple[str, ...], output: str | None, open_browser: bool, quiet: bool, **options: Any) -> None:
    """Map the papers most related to SEEDS (arXiv id, DOI, S2 id or URL, CorpusId:N, "title"),
    or to the papers of a library file (--from refs.bib)."""
    litmap.pipeline.check_output(output)  # a name that cannot work is refused before any crawling
    m = _build(seeds, quiet, **options)
    html_path, bib_path, json_path = litmap.pipeline.write_map(m, output)
    if html_path.stem not in (m.stem, Path(output or "").stem):  # another library file's map is there
        _note(f"{m.stem}.html is the map of another file than {m.data['library']['file']}; "
              f"this map is {html_path.stem}.html")
    if m.resolutions and not quiet:
        terminal.print_resolutions(m)
    if not quiet and "library" not in m.data:
        terminal.print_table(m, html_path)
    if "library" in m.data:
        where = f"the Your library tab of {html_path}" if quiet else "the table"
        for line in litmap.pipeline.library_lines(m, where):
            _note(line)
        if not quiet:
            terminal.print_missing(m, html_path)
    for line in litmap.pipeline.notes(m, quiet):
        _note(line)
    click.echo(f"wrote {html_path}, {bib_path}, {json_path} ({len(m.data['nodes'])} papers, {m.requests} requests)")
    if open_browser:
        try:
            opened = webbrowser.open(html_path.resolve().as_uri())
        except webbrowser.Error:
            opened = False
        if not opened:
            _note(f"note: no web browser found to open the map; open {html_path} yourself")


@cli.command(name="export")
@click.argument("seeds", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="bibtex", show_default=True)
@click.option("--which", type=click.Choice(["map", "prior", "derivative", "missing", "all"]), default="map",
              show_default=True,
              help="missing: papers most related to your library and not in it (needs --from).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
              help="File to write (default: standard output).")
@_crawl_options
def export_cmd(seeds: tuple[str, ...], fmt: str, which: str, output: str | None, **options: Any) -> None:
    """Export the map of SEEDS (built or taken from the cache) as bibtex, ris, csl-json, csv, json, graphml or gexf."""
    if which == "missing" and not options.get("library_file"):
        raise litmap.UsageError("--which missing lists what a library lacks: give the library with --from FILE")
    text = _build(seeds, True, **options).export(fmt, which)
    if output is not None:
        litmap.pipeline.write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--source", metavar="PATH|sample",
              help="Maps from a local Semantic Scholar bulk dataset ('sample': the bundled arXiv hep-th graph).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; anything but the loopback lets other machines reach the app "
                   "(a warning says so).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the browser.")
@click.option("--api-key", metavar="KEY",
              help="Semantic Scholar API key (default: $S2_API_KEY). Never stored, never sent to the browser.")
@click.option("--rate", type=click.FloatRange(0), help="Requests per second (default 1; 0 = no pacing).")
def serve(source: str | None, port: int, host: str, open_browser: bool, api_key: str | None,
          rate: float | None) -> None:
    """A local web app on the same cache: search, maps of your library, and any paper on a map one
    click from its own map. Prints the address to open (with its access token); Ctrl-C stops."""
    from litmap.serve import Server, is_loopback  # here: the server is needed by this command only

    server = Server(Settings.from_env(api_key=api_key, rate=rate), source=source, host=host, port=port)
    if not is_loopback(host):
        _note(f"warning: listening on {host}, not only on this machine: anyone who can reach it on port "
              f"{server.app.port} and has the token can use litmap here (and its API key through it)")
    click.echo(f"litmap serve: {server.url}")
    click.echo("  (maps from " + server.app.source_label + "; Ctrl-C stops)", err=True)
    if open_browser and not webbrowser.open(server.url):
        _note(f"note: no web browser found; open {server.url} yourself")
    server.run()
    _note("stopped; everything fetched is kept in the cache")


@cli.group()
def cache() -> None:
    """Inspect or clear the cache (LITMAP_CACHE_DIR, default ./cache)."""


@cache.command("info")
def cache_info() -> None:
    """The crawl cache (papers, edges, maps) and the dataset indexes shared by all projects."""
    c = litmap.housekeeping.cache_info()
    if c.info is None:
        click.echo(f"{c.path}: empty (no cache yet)")
    else:
        click.echo(f"{c.path}: {c.info['bytes'] / 1e6:.1f} MB, {c.info['papers']} papers ({c.info['full_papers']} "
                   f"with details), {c.info['edges']} edges, {c.info['lists']} lists, {c.info['maps']} maps")
    n = len(c.indexes)
    click.echo(f"{c.index_dir}: {n} dataset index{'es' if n != 1 else ''}, {c.index_bytes / 1e6:.1f} MB"
               + "".join(f"\n  {p.name}" for p in c.indexes))


@cache.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask.")
def cache_clear(yes: bool) -> None:
    """Delete the crawl cache (papers, edges, maps); the shared dataset indexes stay (see cache info)."""
    directory, targets = litmap.housekeeping.cache_files()
    if not targets:
        click.echo(f"{directory}: nothing to clear")
        return
    if not yes and not click.confirm(f"Delete the litmap cache in {directory}?"):
        click.echo(f"kept the cache in {directory}: nothing deleted")
        return
    litmap.housekeeping.clear_cache(targets)
    click.echo(f"cleared {directory}")


def main() -> None:
    try:
        code = cli.main(prog_name="litmap", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        why = exc.__cause__ if isinstance(exc, click.exceptions.Abort) else exc  # click wraps a Ctrl-C in Abort
        said = why.message if isinstance(why, litmap.Interrupted) else \
            "interrupted; everything fetched so far is kept in the cache"
        click.echo(f"litmap: {said}", err=True)
        code = 130
    except Exception as exc:  # a bug or an OS failure: one line, the traceback only on request
        if Settings.from_env().debug:
            raise
        click.echo(f"litmap: error: {type(exc).__name__}: {terminal.error_line(str(exc))} "
                   "(set LITMAP_DEBUG=1 to see where)", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
