"""Compressed blocks of lines, and a sorted key table made of them: the CSR index's text
(records, abstracts, tldrs, aliases). Lines are bytes without a newline (JSON text never holds
a raw one), BLOCK to a zlib block; a line is found by its slot, block number * BLOCK + its
position, so reading one costs one block's decompression (~0.1 ms)."""

from __future__ import annotations

import bisect
import json
import os
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

BLOCK = 64  # lines per compressed block: a block of records is ~20-80 KB
LEVEL = 6  # zlib level: 3.6x on the sample's records (level 1: 3.0x), decompression as fast


def load(path: Path) -> np.ndarray:
    """A .npy array, memory-mapped (an empty one cannot be mapped: read). The kernel's read-ahead
    stays on: a cold hub map at 10^8 edges took 73,000 page faults and 8 s without it, 215 and
    2 s with it (the lookups cluster)."""
    try:
        arr: np.ndarray = np.load(path, mmap_mode="r")
    except ValueError:
        arr = np.load(path)
    return arr


# -- blocks of lines --------------------------------------------------------------------------


class BlockWriter:
    """Lines (bytes without a newline) compressed BLOCK at a time into one part file."""

    def __init__(self, path: Path):
        self.path = path
        self.f = open(path, "wb")
        self.offsets = array("q", [0])  # byte offsets of the blocks written so far, and the end
        self.lines: list[bytes] = []

    def add(self, line: bytes) -> int:
        """The line's slot in this part: block number * BLOCK + position in the block."""
        slot = (len(self.offsets) - 1) * BLOCK + len(self.lines)
        self.lines.append(line)
        if len(self.lines) == BLOCK:
            self._flush()
        return slot

    def _flush(self) -> None:
        data = zlib.compress(b"\n".join(self.lines), LEVEL)
        self.f.write(data)
        self.offsets.append(self.offsets[-1] + len(data))
        self.lines = []

    def close(self) -> array:
        if self.lines:
            self._flush()
        self.f.close()
        return self.offsets


def join_parts(folder: Path, name: str, parts: list[tuple[str, Sequence[int]]]) -> list[int]:
    """Make one block store `name` of the part files [(file name, offsets)] (in this order):
    writes name.blocks.npy (virtual byte offsets of every block, and the end) and
    name.parts.json; returns each part's first block number. Empty parts are removed."""
    blocks, kept, first_block, n, virtual = [], [], [], 0, 0
    for file, offsets in parts:
        first_block.append(n)
        if len(offsets) < 2:
            (folder / file).unlink(missing_ok=True)
            continue
        kept.append([file, virtual])
        blocks.append(virtual + np.asarray(offsets[:-1], dtype=np.int64))
        n += len(offsets) - 1
        virtual += offsets[-1]
    np.save(folder / f"{name}.blocks.npy", np.concatenate([*blocks, np.array([virtual], dtype=np.int64)]))
    (folder / f"{name}.parts.json").write_text(json.dumps(kept), encoding="utf-8")
    return first_block


class BlockStore:
    """Read side of join_parts: lines by slot."""

    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.blocks = load(folder / f"{name}.blocks.npy")
        parts = json.loads((folder / f"{name}.parts.json").read_text(encoding="utf-8"))
        self.files = [p[0] for p in parts]
        self.starts = [p[1] for p in parts]
        self.fds: dict[int, int] = {}

    def block(self, b: int) -> list[bytes]:
        start, end = int(self.blocks[b]), int(self.blocks[b + 1])
        k = bisect.bisect_right(self.starts, start) - 1
        fd = self.fds.get(k)
        if fd is None:
            fd = self.fds[k] = os.open(self.folder / self.files[k], os.O_RDONLY)
        return zlib.decompress(os.pread(fd, end - start, start - self.starts[k])).split(b"\n")

    def lines(self, slots: Iterable[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        by_block: dict[int, list[int]] = {}
        for s in slots:
            by_block.setdefault(s // BLOCK, []).append(s)
        for b, wanted in by_block.items():
            lines = self.block(b)
            out.update((s, lines[s % BLOCK]) for s in wanted)
        return out

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


# -- a sorted key table (aliases; titles could be another) --------------------------------------


def write_key_table(folder: Path, name: str, pairs: Iterator[tuple[str, int]]) -> int:
    """A sorted table of (key, row): blocks of BLOCK JSON lines [key, row] and the first key of
    each block for the binary search. `pairs` must come in ascending UTF-8 byte order (as a
    database sorts text), each key once; returns the number of keys."""
    w = BlockWriter(folder / f"{name}-00000.bin")
    offsets = array("q", [0])  # of the first keys in name.first.bin, written as they come
    prev: bytes | None = None
    n = 0
    with open(folder / f"{name}.first.bin", "wb") as first:
        for key, row in pairs:
            k = key.encode("utf-8")
            if prev is not None and k <= prev:
                raise ValueError(f"{name}: keys not in ascending byte order at {key!r}")
            if n % BLOCK == 0:
                first.write(k)
                offsets.append(offsets[-1] + len(k))
            w.add(json.dumps([key, int(row)], ensure_ascii=False).encode("utf-8"))
            prev, n = k, n + 1
    join_parts(folder, name, [(w.path.name, w.close())])
    np.save(folder / f"{name}.first.npy", np.frombuffer(offsets, dtype=np.int64))
    return n


class KeyTable:
    def __init__(self, folder: Path, name: str):
        self.store = BlockStore(folder, name)
        self.offsets = load(folder / f"{name}.first.npy")
        self.first = (folder / f"{name}.first.bin").read_bytes() if len(self.offsets) > 1 else b""

    def _first(self, i: int) -> bytes:
        return self.first[int(self.offsets[i]) : int(self.offsets[i + 1])]

    def get(self, key: str) -> int | None:
        k = key.encode("utf-8", "surrogatepass")
        lo, hi = 0, len(self.offsets) - 1  # the last block whose first key <= k
        if hi == 0 or self._first(0) > k:
            return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._first(mid) <= k:
                lo = mid
            else:
                hi = mid
        for line in self.store.block(lo):
            entry, row = json.loads(line)
            if entry == key:
                return int(row)
        return None

    def close(self) -> None:
        self.store.close()
