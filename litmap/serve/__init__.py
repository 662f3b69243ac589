"""`litmap serve`: a local web app where any paper on a map is one click from its own map.

    server = Server(Settings.from_env(), source="sample")   # binds 127.0.0.1 on a free port
    print(server.url)                                       # http://127.0.0.1:PORT/?token=...
    server.run()                                            # until Ctrl-C (or server.start()
                                                            # in a thread, then server.stop())

The server is the standard library's ThreadingHTTPServer: a thread per connection, so a page,
an export or a progress stream is answered while maps are built in their own threads (the
work is the pipeline's: waiting on the API, SQLite, ranking), and no dependency. app.py holds
the checks made on every request and the routes, jobs.py the builds, pages.py the pages.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from http.server import ThreadingHTTPServer

from litmap import errors, pipeline
from litmap.serve import pages
from litmap.serve.app import App, Handler
from litmap.settings import Settings

__all__ = ["Server", "DEFAULT_PORT", "is_loopback"]

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server(ThreadingHTTPServer):
    daemon_threads = True        # a stuck page's connection never holds the process at exit
    allow_reuse_address = True   # a restart on the same port right after a stop
    request_queue_size = 64

    def __init__(self, settings: Settings | None = None, source: str | None = None, host: str = "127.0.0.1",
                 port: int = DEFAULT_PORT, token: str | None = None):
        pipeline.check_source(source)
        self.app = App(settings or Settings.from_env(), source, host, token)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise errors.LitmapError(f"port {port} is in use (another litmap serve?); choose another with "
                                         "--port N, or --port 0 for any free port") from None
            raise errors.LitmapError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.app.port = self.server_address[1]
        self._thread: threading.Thread | None = None
        # The first page would pay the renderer's imports and first use (numpy, the bundled
        # vis-network, the templates): 0.7 s, measured. Paid here, in the background, instead.
        threading.Thread(target=pages.warm_up, name="litmap-warm-up", daemon=True).start()

    @property
    def url(self) -> str:
        """The address to open, with the token (as Jupyter prints it)."""
        host = "127.0.0.1" if self.app.host in ("0.0.0.0", "::", "") or is_loopback(self.app.host) else self.app.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.app.port}/?token={self.app.token}"

    def run(self) -> None:
        """Serve until Ctrl-C, then stop every build (everything fetched stays in the cache)."""
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def start(self) -> Server:
        """Serve from a background thread (tests, notebooks); stop() ends it."""
        self._thread = threading.Thread(target=self.serve_forever, name="litmap-serve", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.app.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()
        self.app.jobs.cancel_all()
