"""Everything that can go wrong, as one tree under ``LitmapError``.

Each error's ``str()`` (and ``message``) is the one line the command line prints after
``litmap: error:``; ``usage`` says whether the caller asked for something that cannot work
(the CLI exits 2) or the world failed (exit 1). Modules raise these classes, or subclasses that
name their own failure (``s2.KeyRejected`` is a ``KeyRejectedError``), so a caller catches
``litmap.NotFoundError`` wherever the paper went missing.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

__all__ = [
    "LitmapError", "UsageError", "InvalidIdError", "LibraryFileError", "SettingsError", "NotFoundError",
    "NoNeighbourhoodError", "ApiError", "ApiUnreachableError", "RateLimitedError", "KeyRejectedError",
    "DatasetError", "StorageError", "OutputError", "Cancelled", "Interrupted", "storage_problem",
]


class LitmapError(Exception):
    """Any failure litmap reports; ``str(error)`` is one line fit for the user."""

    usage: bool = False

    def __init__(self, message: str = "", usage: bool | None = None):
        super().__init__(message)
        if usage is not None:
            self.usage = usage

    @property
    def message(self) -> str:
        return " ".join(str(self).split())


class UsageError(LitmapError):
    """Arguments that cannot work together, or a value litmap cannot read (a date, an age)."""

    usage = True


class InvalidIdError(UsageError, ValueError):
    """Text that is not a paper identifier litmap understands; the message names the accepted forms."""


class LibraryFileError(UsageError):
    """A library file (.bib, .ris, CSL-JSON, CSV, id list) its parser cannot read, with the line."""


class SettingsError(LitmapError):
    """A LITMAP_* setting that holds something it cannot mean."""


class NotFoundError(LitmapError):
    """A seed that Semantic Scholar, the dataset or the cache (offline) does not know."""


class NoNeighbourhoodError(LitmapError):
    """The seeds have no references or citations on record: there is nothing to map."""


class ApiError(LitmapError):
    """The Semantic Scholar API failed: server errors, broken answers, a rejected request."""


class ApiUnreachableError(ApiError):
    """No connection to the API (offline, DNS, refused, timed out)."""


class RateLimitedError(ApiError):
    """The API kept answering 429 (or asked to wait too long) after every retry."""


class KeyRejectedError(ApiError):
    """The API key was refused, or cannot be sent at all."""


class DatasetError(LitmapError):
    """A bulk dataset (``source=``) that cannot be used: wrong layout, unreadable shard."""


class StorageError(LitmapError):
    """The cache cannot be used: a full disk, read-only or damaged, a file in its place."""


class OutputError(LitmapError):
    """A file that cannot be written; ``usage`` when the name itself cannot work (a directory,
    a device, a name clashing with the page's siblings)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C where the plain "everything fetched is kept" is not the whole story (an index
    build, which starts again from the beginning): ``message`` says what happens next."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Cancelled(LitmapError):
    """A progress callback stopped the map; everything fetched so far stays in the cache."""


def storage_problem(exc: BaseException, cache_dir: Path, db_name: str) -> str | None:
    """A fault of the cache as one line that says what to do; None when ``exc`` is not one."""
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text or "disk i/o" in text:
        return (f"the disk holding {cache_dir} is full (or over quota); free some space or set LITMAP_CACHE_DIR "
                "to another disk; everything fetched before is kept")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text or "read-only" in text:
        return (f"the cache {cache_dir} is read-only; maps already in it still work, to fetch more set "
                "LITMAP_CACHE_DIR to a writable directory")
    if code in (errno.EEXIST, errno.ENOTDIR) or (cache_dir.exists() and not cache_dir.is_dir()):
        return f"the cache path {cache_dir} is a file, not a directory; set LITMAP_CACHE_DIR to a directory"
    if isinstance(exc, (sqlite3.DatabaseError, StorageError)) and ("malformed" in text or "not a database" in text):
        return (f"the cache {cache_dir / db_name} is damaged; move it aside (or run `litmap cache clear`) "
                "and run again to start a new cache")
    if isinstance(exc, sqlite3.OperationalError):
        return f"the cache {cache_dir} cannot be used ({exc}); check the directory, or set LITMAP_CACHE_DIR elsewhere"
    return None
