"""The cache's finished maps: each map by its key (what a re-run serves with 0 requests), the
list of maps the app shows (map_index, newest first), and the versions of a seed set's map
that history.py compares. A part of store.Store (its base class), kept apart for size: it
works on Store's connection and transactions and adds no table of its own (store.SCHEMA)."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager

HISTORY_KEEP = 10  # earlier maps kept per seed set (history.py compares with the newest)


class MapShelf:
    """Store's methods for maps (see the module's docstring)."""

    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # Store's

    # -- maps -----------------------------------------------------------------------------

    def put_map(self, key: str, data: dict, about: dict | None = None) -> None:
        """Keep a finished map; `about` (seeds as given, options, source, title) lists it among
        the cache's maps (map_index), in the same transaction."""
        with self.transaction() as c:
            now = time.time()
            c.execute(
                "INSERT OR REPLACE INTO maps VALUES (?,?,?)",
                (key, json.dumps(data, sort_keys=True, ensure_ascii=False), now),
            )
            if about is not None:
                c.execute("INSERT OR REPLACE INTO map_index VALUES (?,?,?,?,?,?,?)",
                          (key, json.dumps(about["seeds"]), json.dumps(about["options"], sort_keys=True),
                           about.get("source"), about.get("title"), len(data.get("nodes") or []), now))

    def map_index(self, limit: int = 100) -> list[dict]:
        """The maps put with `about`, newest first: {key, seeds, options, source, title, papers,
        created_at}. A cache older than the index (read-only, so never given the table) has none."""
        try:
            rows = self.conn.execute("SELECT i.key, i.seeds, i.options, i.source, i.title, i.papers, i.created_at "
                                     "FROM map_index i JOIN maps m ON m.key = i.key "
                                     "ORDER BY i.created_at DESC, i.key LIMIT ?", (limit,)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        return [{"key": k, "seeds": json.loads(seeds), "options": json.loads(options), "source": source,
                 "title": title, "papers": papers, "created_at": created}
                for k, seeds, options, source, title, papers, created in rows]

    def get_map(self, key: str, newer_than: float = 0.0) -> dict | None:
        row = self.conn.execute("SELECT data FROM maps WHERE key = ? AND created_at >= ?", (key, newer_than)).fetchone()
        return json.loads(row[0]) if row else None

    # -- map history (history.py) -----------------------------------------------------------

    def put_history(self, seedset: str, fingerprint: str, data: dict, when: float | None = None,
                    keep: int = HISTORY_KEEP) -> None:
        """Remember one version of a seed set's map; only the newest `keep` are kept."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO map_history VALUES (?,?,?,?)",
                      (seedset, time.time() if when is None else when, fingerprint,
                       json.dumps(data, sort_keys=True, ensure_ascii=False)))
            c.execute("DELETE FROM map_history WHERE seedset = ? AND created_at NOT IN "
                      "(SELECT created_at FROM map_history WHERE seedset = ? ORDER BY created_at DESC LIMIT ?)",
                      (seedset, seedset, keep))

    def map_history(self, seedset: str) -> list[tuple[float, str, dict]]:
        """(created_at, fingerprint, data) of the seed set's stored maps, newest first."""
        rows = self.conn.execute("SELECT created_at, fingerprint, data FROM map_history WHERE seedset = ? "
                                 "ORDER BY created_at DESC", (seedset,)).fetchall()
        return [(t, fp, json.loads(d)) for t, fp, d in rows]
