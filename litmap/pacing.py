"""When a request may go: the retry policy as data, and a pacer whose budget every process on
one cache shares (one API key allows 1 request/second however many litmap processes use it).

Pure timing, no HTTP: litmap/s2.py's client asks the pacer before each send and the policy how
long to wait after a failure; litmap/store.py keeps the shared clock.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

__all__ = ["RetryPolicy", "Pacer", "SharedClock", "PACE_MARGIN", "CONNECT_MARGIN"]


@dataclass(frozen=True)
class RetryPolicy:
    tries: int = 8
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    backoff: float = 1.0  # first wait, seconds
    factor: float = 2.0
    max_wait: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is an outage, not throttling
    # A refused connection or failed DNS look-up rarely heals within a minute: give up sooner,
    # so an offline laptop hears so in seconds.
    connect_tries: int = 3

    def wait(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        base = min(self.backoff * self.factor**attempt, self.max_wait)
        return base / 2 + rng.uniform(0, base / 2)  # "equal jitter": never 0, never in lockstep


# Requests leave this far apart beyond 1/rate: the time from the go to the arrival varies (tens of
# milliseconds on a loaded machine), so two sent exactly 1/rate apart may arrive closer than that.
PACE_MARGIN = 0.1
# A request on a new connection (TCP and TLS handshakes first) arrives later after its go than
# one on a kept-alive connection: the next sender, maybe another process, waits this much more.
CONNECT_MARGIN = 0.25


class SharedClock(Protocol):
    """The next allowed send time (time.time()), shared by every process using one cache."""

    def claim(self, interval: float) -> float:
        """0.0 when this process may send now (and the next send is then `interval` away, for
        everyone); else the seconds to wait before asking again. Atomic across processes."""

    def hold(self, until: float) -> None:
        """Nobody sends before `until`."""


class Pacer:
    """At most `rate` request starts per second (0 = unlimited); thread-safe. With `shared`,
    the budget is shared with the other processes on the same cache (one API key allows
    1 request/second however many litmap processes use it)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, shared: SharedClock | None = None):
        self.interval = 1.0 / rate + PACE_MARGIN if rate and rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()
        self.shared = shared

    def wait(self, extra: float = 0.0) -> None:
        """Block until this request may go; the one after it waits `extra` more."""
        with self.lock:
            if self.shared is not None and self.interval:
                # Claimed on waking, not booked ahead: a process that wakes late pushes the
                # next sender back instead of letting two requests arrive too close together.
                while (delay := self.shared.claim(self.interval + extra)) > 0:
                    self.sleep(delay)
                return
            now = self.clock()
            if now < self.next_at:
                self.sleep(self.next_at - now)
                # from when this request really goes: on a loaded machine a sleep overruns, and
                # the next request must not make up for it by following closer than `interval`
                now = max(self.next_at, self.clock())
            self.next_at = now + (self.interval + extra if self.interval else 0.0)

    def hold(self, seconds: float) -> None:
        """After a 429 or Retry-After, nobody sends before the wait is over."""
        with self.lock:
            self.next_at = max(self.next_at, self.clock() + seconds)
            if self.shared is not None and self.interval:
                self.shared.hold(time.time() + seconds)
