"""Opening the cache's SQLite file: the switch to WAL retried while other processes hold the
file (store.Store's writable open), and a read-only open that works in a read-only directory
or on a read-only mount."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

# How long an opener keeps retrying the switch to WAL while other processes hold the file:
# the same patience as the busy timeout the connections get for ordinary writes.
WAL_SWITCH_PATIENCE = 60.0


def switch_to_wal(conn: sqlite3.Connection, patience: float = WAL_SWITCH_PATIENCE) -> None:
    """PRAGMA journal_mode=WAL, retried while the file is busy.

    Switching a fresh database to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY
    at once when another process holds any lock on it: the busy timeout does not apply. So
    several processes opening a new cache together would fail with "database is locked"."""
    deadline = time.monotonic() + patience
    rng = random.Random()
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() >= deadline:
                raise
        # random pauses so that the openers do not retry in lockstep
        time.sleep(rng.uniform(pause / 2, pause))
        pause = min(pause * 2, 0.1)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection that works in a read-only directory or on a read-only mount.

    mode=ro first: it still sees what another process commits. A WAL database opened so needs
    its -shm file, which such a directory cannot hold when the last writer removed it; then
    immutable=1, which reads the file as it stands with no lock and no -shm (nothing can write
    there anyway)."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=60, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(uri + "?immutable=1", uri=True, timeout=60, isolation_level=None)
