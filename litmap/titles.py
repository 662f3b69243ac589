"""Finding a paper by its title where there is no title search: a dataset's index or the cache.

A title seed (`litmap seed "The Large N Limit ..." --source sample`) or a library entry that has
a title and no id matches the paper whose title is the same, case and spacing aside
(`title_key`); among several, the most cited, then the least paperId: the same answer every
time, on every engine. Each engine's store has `match_title(title) -> paperId | None`
(store.GraphStore): the SQLite index keeps a `titles` table (title_key, paper_id, citations)
and the DuckDB index a `titles/` Parquet folder, both sorted by key and built with the index;
the API cache, and an index built before the table existed, scan the records holding the
title's longest word instead (`title_word`, `best_title_match`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

# The index table of a dataset (litmap/dataset_index.py); the cache never has one.
TITLES_TABLE = """CREATE TABLE titles (
    key TEXT NOT NULL,
    paper_id TEXT NOT NULL,
    citations INTEGER,
    PRIMARY KEY (key, paper_id)
) WITHOUT ROWID"""


def title_key(title: object) -> str | None:
    """A title as a title seed matches it: case and spacing aside; None for no title."""
    key = " ".join(title.split()).casefold() if isinstance(title, str) else ""
    return key or None


def title_word(title: str) -> str | None:
    """The longest plain word of a title, which any record holding that title holds (a filter)."""
    return max(re.findall(r"[A-Za-z0-9]{3,}", title), key=len, default=None)


def best_title_match(title: str, rows: Iterable[tuple[str, Any, Any]]) -> str | None:
    """Of (paperId, title, citationCount) rows, the id of the most cited whose title is `title`,
    case and spacing aside (the least id among equals)."""
    want = title_key(title)
    found = [(-(cites if isinstance(cites, int) else 0), pid) for pid, text, cites in rows
             if want is not None and title_key(text) == want]
    return min(found)[1] if found else None
