"""What the terminal shows: the map's tables, the library's resolutions, one-line errors.

The CLI (litmap/cli.py) parses and calls the library; this module turns its results into text
for a terminal, a pipe or a log: titles read (LaTeX, entities), control characters removed, long
lines cut where they can be.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

import litmap
from litmap.records import terminal_text
from litmap.text import plain


def clean(text: Any) -> str:
    """What reaches the terminal: no control characters (a title could move the cursor) and no
    bidi overrides (they would reorder what is shown)."""
    return terminal_text(text)


def readable(title: Any) -> str:
    """A title or library entry as the main table shows it: LaTeX and entities read."""
    return clean(plain(clean(title)))


ERROR_MAX = 500  # characters of an error line: a message may quote a 100,000-character name


def error_line(message: str) -> str:
    """One readable line; a long one loses its middle (a quoted name), never the reason at its end."""
    text = clean(message)
    half = ERROR_MAX // 2
    return text if len(text) <= ERROR_MAX else text[:half - 1] + "…" + text[-half:]


def ellipsis(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


TABLE_ROWS, MISSING_ROWS = 25, 15
PIPE_WIDTH = 160  # a pipe or a file has no width: titles there are wrapped whole, not cut at 80 columns


def table_console() -> Console:
    """A terminal's width (or COLUMNS); in a pipe or a file, a width that keeps titles readable."""
    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(width=PIPE_WIDTH)


def left_out(shown: int, total: int, what: str, where: str) -> None:
    if total > shown:
        click.echo(f"  … {total - shown} more {what} not shown here: {where}")


def print_table(m: litmap.Map, page: Path) -> None:
    table = Table(title=Text("Papers most related to the seed"), show_lines=False)
    for col, width in (("#", 4), ("score", 5), ("year", 4), ("cites", 5)):
        table.add_column(col, no_wrap=True, width=width)
    table.add_column("first author", no_wrap=True, width=22)
    console = table_console()
    table.add_column("title", no_wrap=console.is_terminal)
    room = max(20, console.width - 62) if console.is_terminal else 300  # what the other columns leave
    rows = m.table(TABLE_ROWS)
    for row in rows:
        table.add_row(Text(str(row["rank"])), Text(f"{row['score']:.3f}"), Text(str(row["year"] or "")),
                      Text(str(row["citations"]) if row["citations"] is not None else ""),
                      Text(ellipsis(clean(row["first_author"]), 22)), Text(ellipsis(clean(row["title"]), room)))
    console.print(table)
    left_out(len(rows), len(m.data["nodes"]), "papers of the map", f"all are in {page}")


def print_resolutions(m: litmap.Map) -> None:
    ok = sum(1 for r in m.resolutions if r.seed)
    table = Table(title=Text(f"Library: {ok} of {len(m.resolutions)} entries resolved"))
    table.add_column("line", no_wrap=True, width=5)
    table.add_column("entry", no_wrap=True, max_width=28)
    table.add_column("", no_wrap=True, width=2)
    table.add_column("found as / why not")
    for r in m.resolutions:
        mark = "ok" if r.seed else ("=" if r.paper_id or r.in_map or r.duplicate else "!")
        said = f"{r.via}: {readable(r.title)}" if r.seed else r.reason or ""
        if r.seed and r.entry.problems:
            said += f" (ignored: {'; '.join(r.entry.problems)})"
        if r.in_map:
            said = f"{said}; in the map as {map_title(m, r.in_map)} (same {r.in_map_by}), not suggested as missing"
        table.add_row(Text(str(r.entry.line or "")), Text(ellipsis(clean(r.entry.label), 28)),
                      Text(mark), Text(clean(said)))
    table_console().print(table)


def map_title(m: litmap.Map, paper_id: str) -> str:
    node: dict[str, Any] = next((n for n in m.data["nodes"] if n["id"] == paper_id), {})
    return f"#{node.get('rank')} {clean(node.get('title'))!r}"


def print_missing(m: litmap.Map, page: Path) -> None:
    table = Table(title=Text("Missing from your library"))
    table.add_column("#", no_wrap=True, width=3)
    table.add_column("year", no_wrap=True, width=4)
    table.add_column("title", ratio=3)
    table.add_column("evidence", ratio=2)
    for n in m.missing[:MISSING_ROWS]:
        table.add_row(Text(str(n.get("rank"))), Text(str(n.get("year") or "")),
                      Text(("[new] " if n.get("new") else "") + readable(n.get("title"))), Text(n["why"]))
    table_console().print(table)
    left_out(min(MISSING_ROWS, len(m.missing)), len(m.missing), "suggestions",
              f"all are on the Missing tab of {page}")
