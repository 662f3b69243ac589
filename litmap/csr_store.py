"""Reading the CSR index (litmap/dataset_csr.py builds it): the store the crawl reads, on
memory-mapped numpy arrays and zlib-compressed blocks, with no database at map time.

A paper is a *row*: its position in corpus-id order. Every per-paper array is indexed by row,
and the edges are rows too (32-bit), sorted and offset-indexed per direction (CSR), so a
paper's references are `references.rows[offsets[r]:offsets[r + 1]]`: one slice, whatever the
size of the graph. The 40-hex paperId is stored once per paper (20 bytes, sorted, with the
row of each), so the crawl's paperId lookups are one binary search (np.searchsorted) per id.

Records, abstracts and tldrs are JSON lines in zlib blocks of BLOCK lines (a map reads a few
dozen records: a block each), aliases a sorted key table of such blocks. Everything is read
lazily: opening the store reads meta.json only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .blocks import BlockStore, KeyTable, load
from .titles import title_key

_HEX40 = re.compile(r"[0-9a-f]{40}")
_HEX = re.compile(r"[0-9a-f]*")
_DIGITS = re.compile(r"[1-9][0-9]*|0")


def none_value(a: np.ndarray) -> int:
    """The value an integer column stores for "unknown": its dtype's minimum (unsigned: maximum)."""
    info = np.iinfo(a.dtype)
    return info.max if info.min == 0 else info.min


def bucket_bits(n: int) -> int:
    """papers.pid_buckets splits the sorted paperIds by their first bits into about n/8 buckets."""
    return min(28, max(0, (n // 8).bit_length()))


def bucket_of(keys: bytes, bits: int) -> np.ndarray:
    """The bucket of each 20-byte key: its first `bits` bits."""
    return np.frombuffer(keys, dtype=">u4")[::5].astype(np.int64) >> (32 - bits)


def title_hash(title: object) -> int | None:
    """The 64-bit hash (signed, as DuckDB's BIGINT and numpy's int64 hold it) of a title's key:
    papers.title_hash is sorted by it."""
    key = title_key(title)
    if key is None:
        return None
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


# -- the store ----------------------------------------------------------------------------------


def _unique(a: np.ndarray) -> np.ndarray:
    """np.unique by sort and neighbour compare (numpy 2's hash-based np.unique is slower here)."""
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def _keys(ids: Iterable[str]) -> np.ndarray:
    """These paperIds as sorted distinct 20-byte keys; ids that are not 40 lower-case hex digits
    name no paper and are left out. (One join and one hex decoding for all: a hub map asks
    about a hundred thousand ids at once.)"""
    given: list[object] = list(ids)
    strs = [i for i in given if isinstance(i, str)]  # untrusted: anything may come in
    joined = "".join(strs)
    if len(strs) < len(given) or set(map(len, strs)) - {40} or not (joined.isascii() and joined == joined.lower()) \
            or not _HEX.fullmatch(joined):
        joined = "".join(i for i in strs if _HEX40.fullmatch(i))
    keys = np.frombuffer(bytes.fromhex(joined), dtype="S20")
    return keys if np.all(keys[1:] > keys[:-1]) else _unique(keys)  # a matrix's ids come sorted


_KIND = {"references": "references", "citations": "citations"}


class CsrStore:
    """A read-only litmap store (the reading half of litmap.store.Store) on a CSR index."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        self._arrays: dict[str, np.ndarray] = {}
        self._stores: dict[str, BlockStore] = {}
        self._aliases: KeyTable | None = None

    def a(self, name: str) -> np.ndarray:
        arr = self._arrays.get(name)
        if arr is None:
            arr = self._arrays[name] = load(self.path / f"{name}.npy")
        return arr

    def _blocks(self, name: str) -> BlockStore:
        if name not in self._stores:
            self._stores[name] = BlockStore(self.path, name)
        return self._stores[name]

    def close(self) -> None:
        for s in self._stores.values():
            s.close()
        if self._aliases is not None:
            self._aliases.close()

    def __enter__(self) -> CsrStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- paperIds <-> rows ------------------------------------------------------------------

    def rows(self, ids: Iterable[str]) -> tuple[list[str], np.ndarray]:
        """The known ones of these paperIds (sorted) and their rows."""
        keys = _keys(ids)
        if not len(keys):
            return [], np.zeros(0, dtype=np.int64)
        srt = self.a("papers.pid_sorted")
        if not len(srt):
            return [], np.zeros(0, dtype=np.int64)
        pos = np.minimum(self._positions(srt, keys), len(srt) - 1)
        hit = srt[pos] == keys
        h = keys[hit].tobytes().hex()
        return [h[i : i + 40] for i in range(0, len(h), 40)], self.a("papers.pid_rows")[pos[hit]].astype(np.int64)

    def _positions(self, srt: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """np.searchsorted(srt, keys), but a binary search within each key's bucket (the first bits
        of a paperId; papers.pid_buckets has where each begins): a lookup touches one or two
        pages of the 20-byte ids instead of a dozen (~5 GB of them at full scale, a cold map
        reads them from disk)."""
        if not (self.path / "papers.pid_buckets.npy").exists():
            found: np.ndarray = np.searchsorted(srt, keys)
            return found
        buckets = self.a("papers.pid_buckets")
        bucket = bucket_of(keys.tobytes(), (len(buckets) - 1).bit_length() - 1)
        lo: np.ndarray = buckets[bucket].astype(np.int64)
        hi: np.ndarray = buckets[bucket + 1].astype(np.int64)
        while True:
            active = np.flatnonzero(lo < hi)
            if not len(active):
                return lo
            mid = (lo[active] + hi[active]) >> 1
            less = srt[mid] < keys[active]
            lo[active] = np.where(less, mid + 1, lo[active])
            hi[active] = np.where(less, hi[active], mid)

    def hex_ids(self, rows: np.ndarray) -> list[str]:
        """The paperIds of these rows."""
        if not len(rows):
            return []
        h = self.a("papers.pid_sorted")[self.a("papers.pid_pos")[rows]].tobytes().hex()
        return [h[i : i + 40] for i in range(0, len(h), 40)]

    def neighbours(self, rows: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(row, neighbour row) of every edge of these rows' lists of this kind."""
        off = self.a(f"{_KIND[kind]}.offsets")
        starts, ends = off[rows], off[rows + 1]
        counts = (ends - starts).astype(np.int64)
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # positions of the concatenated slices [starts[i], ends[i])
        shift = np.repeat(starts.astype(np.int64) - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        idx = shift + np.arange(total, dtype=np.int64)
        return np.repeat(rows, counts), self.a(f"{_KIND[kind]}.rows")[idx].astype(np.int64)

    # -- the reads the crawl makes ------------------------------------------------------------

    def get_papers(self, ids, full_only: bool = False) -> dict[str, dict]:
        found, rows = self.rows(ids)
        if not found:
            return {}
        slots = {name: self.a(f"papers.{name}")[rows] for name in ("record", "abstract", "tldr")}
        texts = {name: self._blocks(f"{name}s").lines(
            s for s in slots[name].tolist() if s != none_value(slots[name])) for name in ("abstract", "tldr")}
        records = self._blocks("records").lines(slots["record"].tolist())
        out = {}
        for i, pid in enumerate(found):
            paper = json.loads(records[int(slots["record"][i])])
            for name in ("abstract", "tldr"):
                line = texts[name].get(int(slots[name][i]))
                paper[name] = json.loads(line) if line is not None else None
            out[pid] = paper
        return out

    def _column(self, name: str, rows: np.ndarray) -> list:
        col = self.a(f"papers.{name}")
        values = col[rows]
        none = none_value(col)
        if not np.any(values == none):
            return list(values.tolist())
        return [None if v == none else v for v in values.tolist()]

    def counts(self, ids) -> dict[str, tuple]:
        found, rows = self.rows(ids)
        return dict(zip(found, zip(self._column("citation_count", rows), self._column("reference_count", rows))))

    def years(self, ids) -> dict[str, int | None]:
        found, rows = self.rows(ids)
        return dict(zip(found, self._column("year", rows)))

    def full_ids(self, ids) -> set[str]:
        return set(self.rows(ids)[0])

    def resolve(self, alias: str) -> str | None:
        row = None
        if alias.startswith("CORPUSID:") and _DIGITS.fullmatch(alias[9:]):
            cids = self.a("papers.corpus_id")
            cid = int(alias[9:])
            if np.iinfo(cids.dtype).min <= cid <= np.iinfo(cids.dtype).max:
                # in the array's own type: a Python int would make numpy convert the whole array
                i = int(np.searchsorted(cids, np.array(cid, dtype=cids.dtype)))
                row = i if i < len(cids) and int(cids[i]) == cid else None
        if row is None:
            if self._aliases is None:
                self._aliases = KeyTable(self.path, "aliases")
            row = self._aliases.get(alias)
        return None if row is None else self.hex_ids(np.array([row]))[0]

    def match_title(self, title: str) -> str | None:
        """The paper whose title is `title` (case and spacing aside), the most cited if several
        (the least paperId among equals): a title seed against a dataset. One binary search in
        papers.title_hash (the titles' 64-bit hashes, sorted; 12 bytes a paper with its rows),
        then the candidates' records, most cited first, until one's title is the same (a hash
        shared by two titles is never taken for a match)."""
        h = title_hash(title)
        hashes = self.a("papers.title_hash")
        if h is None or not len(hashes):
            return None
        key = np.array(h, dtype=hashes.dtype)
        lo, hi = int(np.searchsorted(hashes, key)), int(np.searchsorted(hashes, key, side="right"))
        rows = np.asarray(self.a("papers.title_rows")[lo:hi], dtype=np.int64)
        if not len(rows):
            return None
        ids = self.hex_ids(rows)
        cites = [c or 0 for c in self._column("citation_count", rows)]
        want = title_key(title)
        for _, pid in sorted(zip((-c for c in cites), ids)):
            paper = self.get_papers([pid]).get(pid)
            if paper and title_key(paper.get("title")) == want:
                return pid
        return None

    def list_status(self, ids, kind: str) -> dict[str, str]:
        return dict.fromkeys(self.rows(ids)[0], "complete")

    def list_total(self, ids, kind: str) -> int:
        rows = self.rows(ids)[1]
        off = self.a(f"{_KIND[kind]}.offsets")
        return int((off[rows + 1] - off[rows]).sum())

    def list_edges(self, ids, kind: str) -> list[tuple[str, str]]:
        rows = self.rows(ids)[1]
        own, other = self.neighbours(rows, kind)
        if not len(own):
            return []
        uniq, inv = np.unique(np.concatenate((own, other)), return_inverse=True)
        names = self.hex_ids(uniq)
        a, b = inv[: len(own)].tolist(), inv[len(own) :].tolist()
        if kind == "references":
            return [(names[i], names[j]) for i, j in zip(a, b)]
        return [(names[j], names[i]) for i, j in zip(a, b)]

    def edge_arrays(self, lists: Iterable[tuple[Iterable[str], str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The edges of several lists ((paperIds, kind) each) as (paperIds sorted, citing and cited
        positions in them), repeats included: similarity.matrix_from_indices takes it as is."""
        citing, cited = [], []
        for ids, kind in lists:
            own, other = self.neighbours(self.rows(ids)[1], kind)
            citing.append(own if kind == "references" else other)
            cited.append(other if kind == "references" else own)
        a, b = (np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in (citing, cited))
        nodes = _unique(np.concatenate((a, b)))  # rows, ascending
        order = np.argsort(self.a("papers.pid_pos")[nodes], kind="stable")  # the same nodes in paperId order
        local = np.empty(len(nodes), dtype=np.int64)
        local[order] = np.arange(len(nodes))
        return self.hex_ids(nodes[order]), local[np.searchsorted(nodes, a)], local[np.searchsorted(nodes, b)]

    def paper_count(self) -> int:
        return len(self.a("papers.corpus_id"))
