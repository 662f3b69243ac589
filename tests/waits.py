"""Waiting on a condition instead of sleeping a guessed time: fast when things are quick,
patient when the machine is loaded (parallel workers, a busy CI box)."""

from __future__ import annotations

import socket
import time
from typing import Callable, TypeVar

T = TypeVar("T")


# How long a wait may take before the test gives up. It costs nothing when the condition comes
# true (the wait returns at once), so it is sized for a machine far slower than any of ours:
# the things waited on take well under a second on a quiet 2-core box.
PATIENCE = 60.0


def wait_until(probe: Callable[[], T], ok: Callable[[T], bool] = bool, timeout: float = PATIENCE,
               interval: float = 0.02) -> T:
    """probe() until ok(value) holds or `timeout` seconds pass; returns the last value, which
    the caller asserts on (so a timeout fails with what was seen, not with "timed out")."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def refuses_connections(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port any more."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except OSError:  # accepted, then reset: something still listens
        return False
    return False
