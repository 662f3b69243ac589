"""Files the user names: where the map page and its .bib/.json go, and writing them safely.

* ``-o`` never replaces what is not a regular file: a symlink to a regular file is written
  through (the link stays), a device, FIFO or directory is refused.
* The siblings of ``paper.v1.html`` are ``paper.v1.bib`` and ``paper.v1.json``; names that
  would clash (``-o refs.bib``) are refused before anything is written.
* All files of a set are written to temporary files beside their targets first and renamed
  into place only when every one is complete: a full disk or an interrupt leaves the old set
  as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from litmap.errors import OutputError

PAGE_SUFFIXES = (".html", ".htm")


def map_paths(output: Path | None, stem: str) -> tuple[Path, Path, Path]:
    """(page, bib, json) for `-o output` (or the default stem); refuses names that clash."""
    if output is None:
        page = Path(stem + ".html")
    else:
        page = output
    base = page.name[: -len(page.suffix)] if page.suffix.lower() in PAGE_SUFFIXES else page.name
    bib, data = page.with_name(base + ".bib"), page.with_name(base + ".json")
    if page.suffix.lower() in (".bib", ".json") or len({_real(p) for p in (page, bib, data)}) < 3:
        raise OutputError(f"-o {output}: the map page needs its own name, such as "
                          f"{base.rsplit('.', 1)[0] if '.' in base else base}.html "
                          "(the .bib and .json are written beside it)", usage=True)
    return page, bib, data


def _real(path: Path) -> str:
    return os.path.realpath(path)


def check_target(path: Path) -> Path:
    """The regular file to write for `path` (a symlink's target); refuses anything else."""
    real = Path(os.path.realpath(path))
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
        raise OutputError(f"{path} is {kind}; litmap writes only regular files (name a file with -o)",
                          usage=True)
    return real


def write_all(files: list[tuple[Path, str]]) -> None:
    """Write every (path, text) or none: temporary files first, renamed only when all are done."""
    targets = [(path, check_target(path), text) for path, text in files]
    done: list[tuple[str, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for path, real, text in targets:
            current = path
            real.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix="." + real.name + ".", suffix=".part", dir=real.parent)
            done.append((tmp, real))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:  # RIS keeps its CRLF
                fh.write(text)
            os.chmod(tmp, _mode(real))
        for tmp, real in done:
            os.replace(tmp, real)
        done = []
    except OSError as exc:
        raise OutputError(f"cannot write {current}: {exc.strerror or exc}; nothing was replaced") from None
    finally:
        for tmp, _ in done:  # an error or an interrupt: no temporary file stays behind
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _mode(real: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(real).st_mode)  # keep an existing file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
