"""Every setting litmap takes from the environment, read in one place and only when asked.

``Settings.from_env()`` reads S2_API_KEY and the LITMAP_* variables when it is called (never at
import), so a long-running process sees a changed environment on its next map, and code passes
a ``Settings`` down instead of each module reading ``os.environ`` on its own. Values given in
code (``litmap.map(api_key=...)``, ``--rate``) override the environment.

A value that cannot be used is reported by the code that needs it, not here: a malformed
LITMAP_RATE fails only when a request would be paced by it, so a cached map still opens.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from litmap.errors import SettingsError

__all__ = ["Settings", "DEFAULT_API_URL"]

DEFAULT_API_URL = "https://api.semanticscholar.org"


@dataclass(frozen=True)
class Settings:
    api_url: str = DEFAULT_API_URL        # LITMAP_API_URL
    api_key: str = field(default="", repr=False)  # S2_API_KEY: sent as x-api-key, never shown
    rate: float | None = None             # requests per second given in code or by --rate
    rate_env: str | None = None           # LITMAP_RATE as written; read by requests_per_second()
    cache_dir: Path = Path("cache")       # LITMAP_CACHE_DIR: the project's crawl cache
    index_dir: Path | None = None         # LITMAP_INDEX_DIR; None: the platform's user cache dir
    engine: str | None = None             # LITMAP_ENGINE (dataset.engine checks the name)
    duckdb_memory: str = "4GB"            # LITMAP_DUCKDB_MEMORY: DuckDB's memory limit in an index build
    build_workers: str | None = None      # LITMAP_BUILD_WORKERS as written; read by build_processes()
    debug: bool = False                   # LITMAP_DEBUG: tracebacks instead of one-line errors

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **given: Any) -> Settings:
        """The environment's settings; keyword arguments that are not None win over it."""
        env = os.environ if environ is None else environ
        out = cls(
            api_url=env.get("LITMAP_API_URL") or DEFAULT_API_URL,
            api_key=(env.get("S2_API_KEY") or "").strip(),
            rate_env=env.get("LITMAP_RATE") or None,
            cache_dir=Path(env.get("LITMAP_CACHE_DIR") or "cache"),
            index_dir=Path(env["LITMAP_INDEX_DIR"]) if env.get("LITMAP_INDEX_DIR") else None,
            engine=env.get("LITMAP_ENGINE") or None,
            duckdb_memory=(env.get("LITMAP_DUCKDB_MEMORY") or "").strip() or "4GB",
            build_workers=env.get("LITMAP_BUILD_WORKERS") or None,
            debug=bool(env.get("LITMAP_DEBUG")),
        )
        return out.but(**given)

    def but(self, **given: Any) -> Settings:
        """These settings with the given values (None: keep the current one)."""
        chosen = {k: v for k, v in given.items() if v is not None}
        if "api_url" in chosen:
            chosen["api_url"] = str(chosen["api_url"]).rstrip("/") or DEFAULT_API_URL
        if "api_key" in chosen:
            chosen["api_key"] = str(chosen["api_key"]).strip()
        if "cache_dir" in chosen:
            chosen["cache_dir"] = Path(chosen["cache_dir"]).expanduser()
        if "index_dir" in chosen:
            chosen["index_dir"] = Path(chosen["index_dir"]).expanduser()
        if "rate" in chosen:
            chosen["rate"] = float(chosen["rate"])
        return replace(self, **chosen)

    def requests_per_second(self) -> float:
        """The pace of API requests (0 = unpaced): the given rate, else LITMAP_RATE, else 1."""
        name = "LITMAP_RATE" if self.rate is None else "the rate"
        if self.rate is not None:
            rate, raw = self.rate, repr(self.rate)
        else:
            raw = self.rate_env or "1"
            try:
                rate = float(raw)
            except ValueError:
                rate = -1.0
        if not (math.isfinite(rate) and rate >= 0):
            raise SettingsError(f"{name} must be requests per second, a number such as 1 or 0.5 (0: no pacing), "
                                f"not {raw!r}")
        return rate

    def build_processes(self) -> int:
        """Worker processes of a dataset index build (and DuckDB's threads in it):
        LITMAP_BUILD_WORKERS, else one per core."""
        raw = (self.build_workers or "").strip()
        if not raw:
            return max(1, os.cpu_count() or 1)
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 1024:
            return int(raw)
        raise SettingsError(f"LITMAP_BUILD_WORKERS must be a number of processes from 1 to 1024, not {raw!r}")
