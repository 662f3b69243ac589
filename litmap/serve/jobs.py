"""Map builds behind `litmap serve`: one build per map however many pages ask, progress for
the pages that watch it, and Cancel.

A build runs `pipeline.build_map` in its own thread (the pipeline opens its own cache
connection and client per call, so builds and page requests never share a SQLite
connection). Requests for a map that is being built join that build (single flight: two
tabs, one crawl); a finished map is kept for a short while, so the progress page's reload
and a second tab get it without building again. Cancel sets a flag that the build's progress
callback turns into `litmap.Cancelled` at its next report (before every request and at every
stage): the crawl stops between two requests, and every answer already received stays in the
cache, committed, as with Ctrl-C.
"""

from __future__ import annotations

import secrets
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from litmap import errors
from litmap.maps import Map
from litmap.pipeline import Progress

__all__ = ["Job", "Jobs", "http_status"]

FRESH = 30.0      # seconds a finished map is handed out again without a new build
KEEP = 8          # finished maps kept for that (each holds a Map in memory)
KNOWN = 64        # jobs a page can still ask about by id (progress, cancel)

Build = Callable[[Callable[[Progress], None]], Map]


def http_status(exc: BaseException) -> int:
    """The HTTP status of a failed build: the caller's fault (400, 404) or the world's (502, 500)."""
    if isinstance(exc, errors.NotFoundError):
        return 404
    if isinstance(exc, errors.LitmapError) and exc.usage:
        return 400
    if isinstance(exc, errors.Cancelled):
        return 409
    if isinstance(exc, errors.ApiError):
        return 502
    return 500


@dataclass
class Outcome:
    state: str = "running"            # running | done | failed | cancelled
    result: Map | None = None
    message: str | None = None        # a failure's one line (LitmapError.message), never a traceback
    status: int = 200


class Job:
    """One map being built; its progress and outcome, watched by any number of pages."""

    def __init__(self, key: Hashable, label: str):
        self.id = secrets.token_urlsafe(9)
        self.key, self.label = key, label
        self.outcome = Outcome()
        self.progress: Progress | None = None
        self.version = 0                   # bumped at every change, for watchers
        self.watchers = 0                  # requests waiting on it now (pages, exports, progress streams)
        self.started = time.monotonic()
        self.finished_at: float | None = None
        self.cancel_requested = threading.Event()
        self.changed = threading.Condition()

    @property
    def state(self) -> str:
        return self.outcome.state

    def report(self, event: Progress) -> None:
        """The build's progress callback (in the build's thread): raising stops the crawl."""
        if self.cancel_requested.is_set():
            raise errors.Cancelled("cancelled; everything fetched so far is kept in the cache")
        with self.changed:
            self.progress = event
            self.version += 1
            self.changed.notify_all()

    def cancel(self) -> None:
        self.cancel_requested.set()
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def finish(self, outcome: Outcome) -> None:
        with self.changed:
            self.outcome = outcome
            self.finished_at = time.monotonic()
            self.version += 1
            self.changed.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the build has ended (done, failed or cancelled), within `timeout` seconds."""
        with self.changed:
            self.watchers += 1
            try:
                return self.changed.wait_for(lambda: self.state != "running", timeout)
            finally:
                self.watchers -= 1

    def watch(self, seen: int, timeout: float) -> int:
        """The version after `seen` (at once if there is one), or `seen` after `timeout` seconds."""
        with self.changed:
            self.watchers += 1
            try:
                self.changed.wait_for(lambda: self.version != seen, timeout)
                return self.version
            finally:
                self.watchers -= 1

    def snapshot(self) -> dict[str, Any]:
        """What a page shows: the state, the stage and the progress figures, the failure's line."""
        with self.changed:
            p, o = self.progress, self.outcome
            return {"id": self.id, "state": o.state, "label": self.label,
                    "cancelling": self.cancel_requested.is_set() and o.state == "running",
                    "stage": p.stage if p else "starting", "requests": p.requests if p else 0,
                    "expected": p.expected if p else None, "papers": p.papers if p else 0,
                    "seconds_left": None if p is None or p.seconds_left is None else round(p.seconds_left, 1),
                    "elapsed": round((self.finished_at or time.monotonic()) - self.started, 1),
                    "message": o.message}


class Jobs:
    """The builds of one server: started on demand, joined while running, kept briefly when done."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[Hashable, Job] = {}
        self.recent: OrderedDict[Hashable, Job] = OrderedDict()   # finished, done: reused while FRESH
        self.known: OrderedDict[str, Job] = OrderedDict()         # by id
        self.threads: list[threading.Thread] = []

    def get(self, key: Hashable, label: str, build: Build) -> Job:
        """The running or freshly finished build of `key`, else a new one of `build`."""
        with self.lock:
            job = self.running.get(key) or self.recent.get(key)
            if job is not None and (job.state == "running" or time.monotonic() - (job.finished_at or 0) < FRESH):
                return job
            job = Job(key, label)
            self.running[key] = job
            self.known[job.id] = job
            while len(self.known) > KNOWN:
                self.known.popitem(last=False)
            thread = threading.Thread(target=self._run, args=(job, build), name=f"litmap-build-{job.id}", daemon=True)
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
            thread.start()
            return job

    def find(self, job_id: str) -> Job | None:
        with self.lock:
            return self.known.get(job_id)

    def _run(self, job: Job, build: Build) -> None:
        try:
            outcome = Outcome("done", result=build(job.report))
        except errors.Cancelled as exc:
            outcome = Outcome("cancelled", message=exc.message, status=409)
        except errors.LitmapError as exc:
            outcome = Outcome("failed", message=exc.message, status=http_status(exc))
        except Exception as exc:  # a bug: the page gets one line, the terminal the traceback
            traceback.print_exc(file=sys.stderr)
            outcome = Outcome("failed", status=500, message=f"litmap hit an internal error ({type(exc).__name__}); "
                                                            "the terminal running litmap serve shows where")
        with self.lock:
            self.running.pop(job.key, None)
            if outcome.state == "done":
                self.recent[job.key] = job
                self.recent.move_to_end(job.key)
                while len(self.recent) > KEEP:
                    self.recent.popitem(last=False)
            job.finish(outcome)

    def cancel_all(self, timeout: float = 30.0) -> None:
        """Stop every build (server shutdown) and wait for them to let go of the cache."""
        with self.lock:
            jobs, threads = list(self.running.values()), list(self.threads)
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
