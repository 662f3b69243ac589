"""The HTTP layer of `litmap serve`: who may ask (checked on every request), and the routes.

Every request must come with the server's token (the `token` query parameter, or the cookie
set from it: a cookie per port, HttpOnly, SameSite=Strict), name this server in its Host
header (DNS rebinding: a foreign name resolving to 127.0.0.1 is refused), and, when it
changes something (POST), come from this server's origin (CSRF). Anything else is 403,
before any route runs. The client never names a file: an upload is parsed in memory, its
name only tells its format. Maps come from `pipeline.build_map` through jobs.Jobs; the pages
from pages.py.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import sys
import threading
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from litmap import errors, housekeeping, ids, pipeline
from litmap.maps import Map
from litmap.serve import pages
from litmap.serve.jobs import Job, Jobs, http_status
from litmap.settings import Settings

__all__ = ["App", "Handler", "UPLOAD_MAX", "QUICK"]

UPLOAD_MAX = 10 * 10**6   # bytes of a library upload (a .bib of ~20,000 entries)
UPLOADS_KEPT = 8          # uploaded libraries kept in memory (their maps can be reopened)
QUICK = 2.0               # seconds a map page waits for its map before showing the progress page
HEARTBEAT = 15.0          # seconds between keep-alive comments on a quiet progress stream
OPTIONS = {"nodes": "nodes", "depth": "depth", "max_papers": "max_papers"}
WILDCARDS = ("0.0.0.0", "::", "")


class Failed(Exception):
    """A map that could not be had: its HTTP status and its one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


class App:
    """One server's state: settings, source, token, builds and uploads."""

    def __init__(self, settings: Settings, source: str | None, host: str, token: str | None = None):
        self.settings, self.source, self.host = settings, source, host
        self.token = token or secrets.token_urlsafe(24)
        self.port = 0
        self.jobs = Jobs()
        self.uploads: OrderedDict[str, Upload] = OrderedDict()
        self.uploads_lock = threading.Lock()
        self.stopping = threading.Event()

    # -- who may ask ------------------------------------------------------------------------

    def hosts(self) -> set[str]:
        names = {"127.0.0.1", "localhost", "[::1]"}
        if self.host not in WILDCARDS:
            names.add(f"[{self.host}]" if ":" in self.host else self.host)
        return {f"{n}:{self.port}".lower() for n in names}

    def host_ok(self, host: str | None) -> bool:
        # bound to every interface, the machine's names cannot be listed: the token still guards
        return self.host in WILDCARDS or (host or "").strip().lower() in self.hosts()

    def origin_ok(self, origin: str | None, fetch_site: str | None, host: str | None) -> bool:
        if origin is None:  # not a browser's cross-site request (those carry Origin)
            return fetch_site in (None, "same-origin", "none")
        allowed = {f"http://{h}" for h in self.hosts()}
        if self.host in WILDCARDS:
            allowed.add(f"http://{(host or '').strip().lower()}")
        return origin.strip().lower() in allowed

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    @property
    def cookie(self) -> str:
        return f"litmap-{self.port}"

    # -- what it shows ------------------------------------------------------------------------

    @property
    def source_label(self) -> str:
        if self.source == "sample":
            return "the bundled sample (arXiv hep-th, 1992-2003)"
        if self.source:
            return f"the dataset {self.source}"
        key = "with an API key" if self.settings.api_key else "without an API key"
        return f"Semantic Scholar ({key}; cache {self.settings.cache_dir})"

    def add_upload(self, name: str, data: bytes) -> str:
        upload_id = secrets.token_urlsafe(9)
        with self.uploads_lock:
            self.uploads[upload_id] = Upload(name, data)
            while len(self.uploads) > UPLOADS_KEPT:
                self.uploads.popitem(last=False)
        return upload_id

    def view(self, query: dict[str, list[str]], library: str | None = None) -> pages.MapView:
        """The map a request names; UsageError for what cannot name one."""
        seeds = tuple(s.strip() for s in query.get("seed", []) if s.strip())
        library = library or _last(query, "library")
        options = []
        for name in OPTIONS:
            raw = _last(query, name)
            if raw is not None and raw.strip():
                if not re.fullmatch(r"\s*\d{1,7}\s*", raw):
                    raise errors.UsageError(f"{name} must be a whole number, not {raw[:40]!r}")
                if int(raw) != pages.DEFAULTS[name]:  # one map, one key: nodes=40 is no option
                    options.append((name, int(raw)))
        if library:
            with self.uploads_lock:
                upload = self.uploads.get(library)
            if upload is None:
                raise errors.NotFoundError("this uploaded library is no longer held by litmap serve (it keeps the "
                                           f"last {UPLOADS_KEPT} until it stops); upload the file again")
            return pages.MapView(library=library, library_name=upload.name, options=tuple(options))
        if not seeds:
            raise errors.UsageError("give a paper to map: an arXiv id, DOI, Semantic Scholar id or URL, "
                                    "CorpusId:N, PMID:N... or a title")
        return pages.MapView(seeds=seeds, options=tuple(options))

    def job(self, view: pages.MapView) -> Job:
        """The build of this map: running, fresh, or started now."""
        settings, source, options = self.settings, self.source, {**pages.DEFAULTS, **dict(view.options)}
        nodes, depth, max_papers = options["nodes"], options["depth"], options["max_papers"]
        if view.library:
            with self.uploads_lock:
                upload = self.uploads.get(view.library) or Upload("", b"")
            key: tuple = ("library", view.library, view.options)
            label = upload.name

            def build(report: Callable) -> Map:
                return pipeline.build_map(library_file=upload.name, library_data=upload.data, source=source,
                                          nodes=nodes, depth=depth, max_papers=max_papers, settings=settings,
                                          progress=report)
        else:
            key = ("seeds", tuple(str(ids.parse(s)) for s in view.seeds), view.options)
            label = " + ".join(view.seeds)

            def build(report: Callable) -> Map:
                return pipeline.build_map(view.seeds, source=source, nodes=nodes, depth=depth, max_papers=max_papers,
                                          settings=settings, progress=report)
        return self.jobs.get(key, label, build)

    def home(self) -> dict[str, Any]:
        maps = []
        for c in housekeeping.recent_maps(self.settings, self.source):
            if c.options.get("since"):  # a --since map: the app has no such option to reopen it
                continue
            view = pages.MapView(seeds=tuple(c.seeds),
                                 options=tuple(sorted((k, v) for k, v in c.options.items() if k != "since")))
            maps.append({"title": c.title, "seeds": c.seeds, "papers": c.papers, "url": "/map?" + view.query(),
                         "created": datetime.fromtimestamp(c.created).strftime("%Y-%m-%d %H:%M")})
        return {"source": self.source_label, "maps": maps, "uploadMax": UPLOAD_MAX,
                "accepted": ".bib, .ris, .json (CSL-JSON), .csv with a DOI column, or a text file of ids"}


def _size(n: int) -> str:
    return f"{round(n / 1e6, 1):g} MB" if n >= 10**5 else f"{n:,} bytes"


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


class Handler(BaseHTTPRequestHandler):
    server_version = "litmap"
    sys_version = ""
    timeout = 120  # a client that stops sending mid-request frees its thread
    app: App

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet: the terminal shows the URL)
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        self.app = self.server.app  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        self.query = parse_qs(url.query, keep_blank_values=True)
        try:
            if not self.app.host_ok(self.headers.get("Host")):
                return self._text(403, "403 Forbidden: this server answers only to 127.0.0.1 and localhost "
                                       f"on port {self.app.port}")
            given = _last(self.query, "token")
            if not self.app.token_ok(given or self._cookie()):
                return self._text(403, "403 Forbidden: open the address litmap serve printed (it carries the token)")
            h = self.headers
            if method != "GET" and not self.app.origin_ok(h.get("Origin"), h.get("Sec-Fetch-Site"), h.get("Host")):
                return self._text(403, "403 Forbidden: a request from another site may not change anything here")
            if given and method == "GET" and not url.path.startswith("/api/"):
                # keep the token out of the address bar and the history: the cookie carries it now
                rest = urlencode([(k, v) for k, vs in self.query.items() if k != "token" for v in vs])
                return self._send(303, b"", "text/plain", {"Location": url.path + ("?" + rest if rest else ""),
                                                           "Set-Cookie": f"{self.app.cookie}={self.app.token}; Path=/; "
                                                                         "HttpOnly; SameSite=Strict"})
            self._route(method, url.path)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the page went away, or stopped sending
        except Failed as exc:
            self._failure(exc.status, exc.message, url.path)
        except errors.LitmapError as exc:
            self._failure(http_status(exc), exc.message, url.path)
        except Exception as exc:  # a bug: one line to the client, the traceback to the terminal
            traceback.print_exc(file=sys.stderr)
            self._failure(500, f"litmap hit an internal error ({type(exc).__name__}); the terminal running "
                               "litmap serve shows where", url.path)

    def _route(self, method: str, path: str) -> None:
        routes: dict[tuple[str, str], Callable[[], None]] = {
            ("GET", "/"): self._home, ("GET", "/map"): self._map, ("GET", "/api/map"): self._api_map,
            ("GET", "/api/export"): self._export, ("GET", "/api/page"): self._download_page,
            ("GET", "/api/maps"): self._maps, ("GET", "/api/events"): self._events, ("GET", "/api/job"): self._job,
            ("POST", "/api/library"): self._upload,
            ("GET", "/favicon.ico"): lambda: self._send(204, b"", "image/x-icon"),
        }
        library = re.fullmatch(r"/library/([A-Za-z0-9_-]{1,40})", path)
        cancel = re.fullmatch(r"/api/jobs/([A-Za-z0-9_-]{1,40})/cancel", path)
        if (method, path) in routes:
            routes[(method, path)]()
        elif library and method == "GET":
            self._map(library.group(1))
        elif cancel and method == "POST":
            self._cancel(cancel.group(1))
        elif any(p == path for _, p in routes) or library or cancel:
            self._text(405, f"405: {method} is not accepted here")
        else:
            self._failure(404, f"no page at {path[:100]}", path)

    # -- pages --------------------------------------------------------------------------------

    def _home(self) -> None:
        self._page(200, "home", self.app.home())

    def _map(self, library: str | None = None) -> None:
        view = self.app.view(self.query, library)
        job = self.app.job(view)
        job.wait(QUICK)
        if job.state == "done" and job.outcome.result is not None:
            page = pages.map_page(job.outcome.result, view, self.app.source_label)
            return self._send(200, page, "text/html; charset=utf-8", csp="frame-ancestors 'none'")
        if job.state == "failed":
            return self._failure(job.outcome.status, job.outcome.message or "", "/map")
        self._page(200, "wait", {"job": job.snapshot(), "home": "/"})

    def _failure(self, status: int, message: str, path: str) -> None:
        if path.startswith("/api/"):
            return self._json(status, {"error": message})
        self._page(status, "error", {"status": status, "message": message})

    def _page(self, status: int, kind: str, data: dict[str, Any]) -> None:
        self._send(status, pages.app_page(kind, data), "text/html; charset=utf-8", csp=pages.app_csp())

    # -- machine-readable ---------------------------------------------------------------------

    def _built(self) -> tuple[Map, pages.MapView]:
        view = self.app.view(self.query)
        job = self.app.job(view)
        job.wait()
        if job.outcome.result is None:
            raise Failed(job.outcome.status, job.outcome.message or "the map was not built")
        return job.outcome.result, view

    def _api_map(self) -> None:
        m, _ = self._built()
        self._send(200, m.to_json(), "application/json; charset=utf-8")

    def _export(self) -> None:
        fmt, which = _last(self.query, "format") or "bibtex", _last(self.query, "which") or "map"
        if fmt not in pages.CONTENT_TYPES:
            raise errors.UsageError(f"format must be one of {', '.join(pages.CONTENT_TYPES)}, not {fmt[:40]!r}")
        m, _ = self._built()
        text = m.export(fmt, which)
        self._attachment(text, pages.CONTENT_TYPES[fmt] + "; charset=utf-8", pages.export_name(m, fmt, which))

    def _download_page(self) -> None:
        m, _ = self._built()
        self._attachment(m.to_html(), "text/html; charset=utf-8", m.stem + ".html")

    def _maps(self) -> None:
        self._json(200, {"maps": self.app.home()["maps"]})

    def _job(self) -> None:
        job = self.app.jobs.find(_last(self.query, "job") or "")
        if job is None:
            return self._json(404, {"error": "no such job (litmap serve may have restarted)"})
        self._json(200, job.snapshot())

    def _events(self) -> None:
        """The build's progress as server-sent events, until it ends."""
        job = self.app.jobs.find(_last(self.query, "job") or "")
        if job is None:
            return self._json(404, {"error": "no such job (litmap serve may have restarted)"})
        self.send_response(200)
        for name, value in (("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-store"),
                            ("X-Content-Type-Options", "nosniff")):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(b"retry: 1000\n\n")
        seen = -1
        while not self.app.stopping.is_set():
            version = job.watch(seen, HEARTBEAT)
            if version == seen:
                self.wfile.write(b": still building\n\n")
            else:
                seen, snap = version, job.snapshot()
                name = "progress" if snap["state"] == "running" else snap["state"]
                self.wfile.write(f"event: {name}\ndata: {json.dumps(snap)}\n\n".encode())
                if snap["state"] != "running":
                    self.wfile.flush()
                    return
            self.wfile.flush()

    def _cancel(self, job_id: str) -> None:
        job = self.app.jobs.find(job_id)
        if job is None:
            return self._json(404, {"error": "no such job (litmap serve may have restarted)"})
        job.cancel()
        self._json(202, job.snapshot())

    def _upload(self) -> None:
        """A library file in the body (its name in ?name=): parsed in memory, never written."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return self._json(411, {"error": "send the library file with a Content-Length"})
        size = int(length)
        if size > UPLOAD_MAX:
            self.close_connection = True
            self._json(413, {"error": f"the file is {_size(size)}; litmap serve takes library files up to "
                                      f"{_size(UPLOAD_MAX)} (for a bigger one: litmap seed --from FILE)"})
            return self._drain(size)
        data = self.rfile.read(size)
        if len(data) < size:
            return self._json(400, {"error": f"the upload ended after {len(data):,} of {size:,} bytes; try again"})
        name = Path((_last(self.query, "name") or "").replace("\\", "/")).name[:120] or "library.txt"
        try:
            entries = pipeline.library_entries(data, name)
        except errors.LibraryFileError as exc:
            return self._json(400, {"error": exc.message})
        upload_id = self.app.add_upload(name, data)
        rest = urlencode([(k, v) for k in OPTIONS for v in self.query.get(k, [])[-1:]])
        self._json(201, {"url": f"/library/{upload_id}" + ("?" + rest if rest else ""), "entries": entries})

    def _drain(self, size: int) -> None:
        """Read and drop a refused body (up to a bound, for a few seconds), so the client reads
        the answer instead of a reset connection."""
        left = min(size, 4 * UPLOAD_MAX)
        self.connection.settimeout(5)
        try:
            while left > 0 and (chunk := self.rfile.read(min(left, 1 << 16))):
                left -= len(chunk)
        except OSError:
            pass

    # -- responses ----------------------------------------------------------------------------

    def _cookie(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self.app.cookie:
                return value
        return None

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data), "application/json; charset=utf-8")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text + "\n", "text/plain; charset=utf-8")

    def _attachment(self, text: str, ctype: str, filename: str) -> None:
        ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
        self._send(200, text, ctype, {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                                             f"filename*=UTF-8''{quote(filename)}"})

    def _send(self, status: int, body: str | bytes, ctype: str, headers: dict[str, str] | None = None,
              csp: str = "default-src 'none'; frame-ancestors 'none'; sandbox") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for name, value in {"Content-Type": ctype, "Content-Length": str(len(data)), "Cache-Control": "no-store",
                            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                            "X-Frame-Options": "DENY", "Content-Security-Policy": csp, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
