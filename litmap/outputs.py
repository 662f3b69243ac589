"""Files the user names: where the map page and its .bib/.json go, and writing them safely.

* ``-o`` never replaces what is not a regular file: a symlink to a regular file is written
  through (the link stays), a device, FIFO or directory is refused.
* The siblings of ``paper.v1.html`` are ``paper.v1.bib`` and ``paper.v1.json``; names that
  would clash (``-o refs.bib``) are refused before anything is written.
* All files of a set are written to temporary files beside their targets first and renamed
  into place only when every one is complete: a full disk or an interrupt leaves the old set
  as it was and no temporary file behind.
* ``-`` and ``/dev/stdout`` (``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, or a symlink to
  one) are streams: the text is written to that open descriptor, never renamed over the file
  it points to (``export -o /dev/stdout >> refs.bib`` appends to refs.bib). No other name in
  /dev or /proc is followed to a file to replace. The map page comes with its .bib and .json,
  so it cannot go to a stream.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from litmap.errors import OutputError

PAGE_SUFFIXES = (".html", ".htm")


_FD_NAME = re.compile(r"/dev/(?:fd/(\d+)|std(in|out|err))|/proc/(?:self|thread-self|(\d+))/fd/(\d+)")
_SPECIAL_DIRS = ("/dev/", "/proc/")


def stream_fd(path: Path | str) -> int | None:
    """The open descriptor `path` names (``-`` is standard output), following the user's
    symlinks to it; None for a name that is no stream."""
    if str(path) == "-":
        return 1
    name = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a symlink chain
        m = _FD_NAME.fullmatch(name)
        if m and (m.group(3) is None or int(m.group(3)) == os.getpid()):
            return int(m.group(1) or m.group(4)) if m.group(2) is None else ("in", "out", "err").index(m.group(2))
        if not os.path.islink(name):
            return None
        name = os.path.normpath(os.path.join(os.path.dirname(name), os.readlink(name)))
    return None


def _named(output: Path) -> None:
    if str(output) in ("", ".") or not output.name or output.name in (".", ".."):
        raise OutputError("-o needs a file name, such as map.html, not an empty name or a directory", usage=True)


def map_paths(output: Path | None, stem: str) -> tuple[Path, Path, Path]:
    """(page, bib, json) for `-o output` (or the default stem); refuses names that clash."""
    if output is None:
        page = Path(stem + ".html")
    else:
        page = output
        _named(output)
        if stream_fd(output) is not None:
            raise OutputError(f"-o {output}: the map is three files (the page, its .bib and .json) and cannot "
                              "go to a stream; name the page, such as map.html (litmap export writes to a stream)",
                              usage=True)
    base = page.name[: -len(page.suffix)] if page.suffix.lower() in PAGE_SUFFIXES else page.name
    bib, data = page.with_name(base + ".bib"), page.with_name(base + ".json")
    if page.suffix.lower() in (".bib", ".json") or len({_real(p) for p in (page, bib, data)}) < 3:
        raise OutputError(f"-o {output}: the map page needs its own name, such as "
                          f"{base.rsplit('.', 1)[0] if '.' in base else base}.html "
                          "(the .bib and .json are written beside it)", usage=True)
    return page, bib, data


def _real(path: Path) -> str:
    return os.path.realpath(path)


def check_target(path: Path) -> Path | int:
    """The regular file to write for `path` (a symlink's target), or the descriptor of a
    stream (`stream_fd`); refuses anything else."""
    _named(path)
    fd = stream_fd(path)
    if fd is not None:
        return fd
    real = Path(os.path.realpath(path))
    if os.path.abspath(path).startswith(_SPECIAL_DIRS) and not str(real).startswith(_SPECIAL_DIRS):
        # /proc/self/cwd/x, /dev/disk/by-id/... : a kernel link is never followed to a file to replace
        raise OutputError(f"{path} leads out of {os.path.abspath(path).split('/')[1]}/ to {real}; "
                          "name that file itself", usage=True)
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
    targets: list[tuple[Path, Path, str]] = []
    streams: list[tuple[Path, int, str]] = []
    for path, text in files:
        real = check_target(path)  # a file to replace, or a stream's descriptor
        if isinstance(real, int):
            streams.append((path, real, text))
        else:
            targets.append((path, real, text))
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
        for path, fd, text in streams:
            current = path
            _write_stream(fd, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write {current}: {exc.strerror or exc}; nothing was replaced") from None
    finally:
        for tmp, _ in done:  # an error or an interrupt: no temporary file stays behind
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _write_stream(fd: int, data: bytes) -> None:
    # Through sys.stdout/stderr when that is the descriptor (their buffers stay in order, and
    # a test harness that captures them sees the text), else straight to the descriptor.
    stream = {1: sys.stdout, 2: sys.stderr}.get(fd)
    if stream is not None and hasattr(stream, "buffer"):
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()
        return
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _mode(real: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(real).st_mode)  # keep an existing file's permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
