"""The Semantic Scholar bulk-dataset format: reading the shards and normalising their records.

Shared by every index engine (litmap/dataset_index.py for SQLite, litmap/dataset_duckdb.py for
DuckDB over Parquet), so both hold exactly the same papers, edges and aliases, and report the
same malformed lines. litmap/dataset.py is the public side (the directory, opening an index).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import DatasetError
from .records import publication_year, sane_text

INDEX_VERSION = "3"  # bump when the index layout or the normalisation changes: forces rebuilds

Progress = Callable[[str], None]

# external id key in the bulk data -> alias prefix (the API's id prefixes)
ALIAS_PREFIXES = {
    "ArXiv": "ARXIV",
    "DOI": "DOI",
    "PubMed": "PMID",
    "PubMedCentral": "PMCID",
    "ACL": "ACL",
    "MAG": "MAG",
}

BATCH = 50_000
CHUNK = 8 << 20  # bytes read from a dataset file at a time
MAX_WARNINGS = 1000  # kept individually; beyond that only counted


# -- ids ----------------------------------------------------------------------------------


def arxiv_paper_id(arxiv_id: str) -> str:
    """The 40-hex paperId the bundled sample (and the fake API server) gives an arXiv paper."""
    return hashlib.sha1(("ARXIV:" + arxiv_id).encode()).hexdigest()


def corpus_paper_id(corpusid: int) -> str:
    """A deterministic paperId for a record without a Semantic Scholar url."""
    return hashlib.sha1(f"CorpusId:{corpusid}".encode()).hexdigest()


_WS = " \t\n\r"
_DIGITS_RE = re.compile(r"[0-9]+")
_HEX40_RE = re.compile(r"[0-9a-f]{40}")


def _int(value) -> int | None:
    """A JSON integer, or a string of ASCII digits, as an int; anything else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        return int(value)
    return None


def _str(value) -> str | None:
    """A non-blank JSON string (half surrogate pairs replaced, as the API client does); else None."""
    if not isinstance(value, str) or not value.strip(_WS):
        return None
    return value if value.isascii() else sane_text(value)  # isascii is O(1): most strings skip the regex


def _id_str(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _str(value)


def _url_paper_id(url: str | None) -> str | None:
    """The 40-hex id of a ".../paper/<id>" url (the first "/paper/"), else None."""
    if not url:
        return None
    i = url.find("/paper/")
    if i < 0:
        return None
    h = url[i + 7 : i + 47]
    if _HEX40_RE.fullmatch(h) and url[i + 47 : i + 48] in ("", "/", "?", "#"):
        return h
    return None


# -- normalisation ------------------------------------------------------------------------


def normalise_record(rec: dict) -> dict | None:
    """The normalised Paper (docs/internals.md) of one bulk `papers` row; None without a corpusid.

    Rules: strings must be
    non-blank JSON strings (the bulk data's venue "" becomes None), counts and years JSON
    integers or digit strings; externalIds keeps the string and integer ids as strings and
    always holds CorpusId; authors without a name are left out; a journal with no value is
    None; publicationtypes null is []. Abstract and tldr come from their own datasets.
    """
    corpusid = _int(rec.get("corpusid"))
    if corpusid is None:
        return None
    url = _str(rec.get("url"))
    hexid = _url_paper_id(url)

    ext = rec.get("externalids")
    external_ids = {k: s for k, v in ext.items() if (s := _id_str(v))} if isinstance(ext, dict) else {}
    external_ids["CorpusId"] = str(corpusid)

    authors = rec.get("authors")
    authors = [
        {"authorId": _id_str(a.get("authorId")), "name": name}
        for a in (authors if isinstance(authors, list) else [])
        if isinstance(a, dict) and (name := _str(a.get("name")))
    ]

    journal = rec.get("journal")
    journal = {k: _str(journal.get(k)) for k in ("name", "volume", "pages")} if isinstance(journal, dict) else None
    if journal and not any(journal.values()):
        journal = None

    types = rec.get("publicationtypes")
    return {
        "paperId": hexid or corpus_paper_id(corpusid),
        "corpusId": corpusid,
        "externalIds": external_ids,
        "title": _str(rec.get("title")),
        "abstract": None,
        "tldr": None,
        "authors": authors,
        "year": publication_year(rec.get("year")),
        "venue": _str(rec.get("venue")),
        "journal": journal,
        "publicationTypes": [t for t in types if isinstance(t, str)] if isinstance(types, list) else [],
        "publicationDate": _str(rec.get("publicationdate")),
        "citationCount": _int(rec.get("citationcount")),
        "referenceCount": _int(rec.get("referencecount")),
        "url": url if hexid else None,
    }


# -- reading ------------------------------------------------------------------------------


def index_meta(root: Path, fp: str, n_papers: int, n_edges: int, report: _Report,
               built_at: float) -> dict[str, str]:
    """The meta rows every engine's index carries (read back by dataset.dataset_store)."""
    return {
        "dataset_index_version": INDEX_VERSION,
        "dataset_source": str(root),
        "dataset_fingerprint": fp,
        "dataset_papers": str(n_papers),
        "dataset_edges": str(n_edges),
        "dataset_warnings": json.dumps(report.all_warnings(), ensure_ascii=False),
        "dataset_notes": json.dumps(report.notes, ensure_ascii=False),
        "dataset_built_at": str(built_at),
    }


class _Report:
    """Warnings (malformed lines, kept individually up to MAX_WARNINGS) and notes (summaries)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.dropped = 0

    def warn(self, msg: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(msg)
            if self.progress:
                self.progress(msg)
            else:
                print(f"litmap: {msg}", file=sys.stderr)
        else:
            self.dropped += 1

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        if self.progress:
            self.progress(msg)

    def citation_summary(self, n_cites: int, unmatched: int, self_cites: int, n_edges: int) -> None:
        """The citation rows that did not become edges, and why (the same for every engine)."""
        if unmatched:
            self.note(f"citations: {unmatched:,} rows cite no known paper (citedcorpusid null); not edges")
        if self_cites:
            self.note(f"citations: {self_cites:,} self-citations dropped")
        if n_cites - self_cites - n_edges:
            self.note(f"citations: {n_cites - self_cites - n_edges:,} rows dropped: "
                      "an endpoint is not in papers/, or a repeated pair")

    def all_warnings(self) -> list[str]:
        more = [f"... and {self.dropped:,} more malformed lines"] if self.dropped else []
        return self.warnings + more


def _decode(body: bytes, first: int, rel: str, report: _Report) -> list[str]:
    """The lines of `body`, numbered from `first`, as text; a line that is not UTF-8 is
    reported and becomes blank (decoding the whole body at once is the fast common case)."""
    try:
        return body.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        for n, raw in enumerate(body.split(b"\n"), first):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                report.warn(f"{rel}:{n}: not valid JSON (bad UTF-8), skipped")
                lines.append("")
        return lines


def _line_batches(path: Path, rel: str, report: _Report) -> Iterator[list[tuple[int, str]]]:
    """[(line number, line)] batches (up to BATCH lines) of one .jsonl / .jsonl.gz file.

    Blank lines are left out; lines that are not UTF-8 are reported. A file that cannot be
    read to its end (truncated or corrupt gzip) raises DatasetError. The file is read in
    CHUNK-sized pieces split in C: much faster than line-by-line reads of a gzip stream.
    """
    lineno = count = 0
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            rest = b""
            while True:
                chunk = f.read(CHUNK)
                if chunk:  # the complete lines so far; a line longer than a chunk waits for more
                    buf = rest + chunk
                    cut = buf.rfind(b"\n")
                    lines = _decode(buf[:cut], lineno + 1, rel, report) if cut >= 0 else []
                    rest = buf[cut + 1 :]
                else:  # the end: the last line, without a newline (or nothing)
                    lines = _decode(rest, lineno + 1, rel, report) if rest else []
                batch = [(n, line) for n, line in enumerate(lines, lineno + 1) if line and not line.isspace()]
                lineno += len(lines)
                for i in range(0, len(batch), BATCH):
                    part = batch[i : i + BATCH]
                    count += len(part)
                    yield part
                    if report.progress and count % 1_000_000 < len(part):
                        report.progress(f"{rel}: {count:,} rows")
                if not chunk:
                    break
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{rel}: unreadable after line {lineno} ({exc}); is the file truncated?") from None
    if report.progress:
        report.progress(f"{rel}: {count:,} rows")


# -- rows ---------------------------------------------------------------------------------
#
# Every line goes through json.loads, so "valid JSON" means the same in every folder, and a row
# function (same rules as normalise_record) turns it into the row to load, or None when it
# lacks its ids. Papers: (corpusid, paperId, record JSON); abstracts and tldrs: (corpusid, text
# or None); citations: (citing corpusid, cited corpusid or None, 1/0/None, intents JSON or None).


def _paper_row(rec: dict) -> tuple | None:
    paper = normalise_record(rec)
    return None if paper is None else (paper["corpusId"], paper["paperId"], json.dumps(paper, ensure_ascii=False))


def _abstract_row(rec: dict) -> tuple | None:
    corpusid = _int(rec.get("corpusid"))
    return None if corpusid is None else (corpusid, _str(rec.get("abstract")))


def _tldr_row(rec: dict) -> tuple | None:
    corpusid = _int(rec.get("corpusid"))
    return None if corpusid is None else (corpusid, _str(rec.get("text")))


def _citation_row(rec: dict) -> tuple | None:
    citing, cited = _int(rec.get("citingcorpusid")), rec.get("citedcorpusid")
    if cited is not None:  # null (or absent) is valid: S2 could not match the reference; a note counts it
        cited = _int(cited)
        if cited is None:
            return None
    if citing is None:
        return None
    infl, intents = rec.get("isinfluential"), rec.get("intents")
    if isinstance(intents, (list, dict)):
        intents = json.dumps(intents, ensure_ascii=False, separators=(",", ":"))  # the store keeps JSON text
    else:
        intents = None
    return citing, cited, 1 if infl is True else 0 if infl is False else None, intents


# folder -> (row function, the ids a valid line has)
ROWS: dict[str, tuple[Callable[[dict], tuple | None], str]] = {
    "papers": (_paper_row, "corpusid"),
    "abstracts": (_abstract_row, "corpusid"),
    "tldrs": (_tldr_row, "corpusid"),
    "citations": (_citation_row, "citingcorpusid/citedcorpusid"),
}


def row_batches(files: list[Path], folder: str, report: _Report,
                to_row: Callable[[dict], Any] | None = None) -> Iterator[list[Any]]:
    """The valid rows of one dataset folder, in batches (file order, then line order); each
    malformed line is reported as "folder/file:line: reason" and skipped. `to_row` replaces the
    folder's row function (same rule: None when the record lacks its ids)."""
    default, ids = ROWS[folder]
    to_row = to_row or default
    for path in files:
        rel = f"{folder}/{path.name}"
        for batch in _line_batches(path, rel, report):
            rows = []
            for n, text in batch:
                try:
                    rec = json.loads(text)
                except ValueError:
                    report.warn(f"{rel}:{n}: not valid JSON, skipped")
                    continue
                if not isinstance(rec, dict):
                    report.warn(f"{rel}:{n}: not a JSON object, skipped")
                elif (row := to_row(rec)) is None:
                    report.warn(f"{rel}:{n}: no valid {ids}, skipped")
                else:
                    rows.append(row)
            yield rows


# -- an index that is a directory (the Parquet and CSR engines) -----------------------------------


def read_dir_meta(path: Path) -> dict[str, str] | None:
    """The meta.json of a directory index, or None when it is not a usable index."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def dead_builds(final: Path) -> Iterator[Path]:
    """The leftovers (NAME.tmp-PID-..., NAME.old-PID-...) of builds of the index `final` whose
    process is gone: killed, not merely interrupted (an interrupted build removes its own)."""
    for p in final.parent.glob(final.name + ".*-*"):
        m = re.match(r".*\.(tmp|old)-(\d+)-", p.name)
        if not m or int(m.group(2)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(2)), 0)  # still running: another build of the same dataset
        except ProcessLookupError:
            yield p
        except OSError:  # e.g. another user's process
            pass


def rebuild_dir(build: Callable[..., dict], root: Path, files: dict[str, list[Path]], final: Path, fp: str,
                progress: Progress | None) -> dict:
    """Build a directory index beside `final` with `build(root, files, dest, fp, progress)`; swap
    it in only when complete, so an interrupted build (Ctrl-C included) leaves nothing taken as
    an index, and remove the leftovers of builds whose process is gone."""
    for p in dead_builds(final):
        shutil.rmtree(p, ignore_errors=True)
    tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        result = build(root, files, tmp, fp, progress)
        old = final.with_name(f"{final.name}.old-{os.getpid()}-{os.urandom(4).hex()}")
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result
