"""Reading a researcher's own bibliography: BibTeX, RIS, CSL-JSON, CSV or a list of ids.

Each format is read by a maintained parser (bibtexparser, rispy, json, csv); this module only
picks the identifiers out of what they return. Every entry becomes an `Entry` with the ids it
names (DOI, arXiv, PMID, S2 id...) in the order they are tried, and its title for the rare entry
with no id at all. A file the parser cannot read raises `LibraryFileError` with one line naming
the line where the parser stopped; an entry without anything to look up is kept, so the caller
can say why it did not resolve.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import rispy

from litmap import ids as idmod
from litmap.errors import LibraryFileError

FORMATS = ("bibtex", "ris", "csl-json", "csv", "list")
ACCEPTED = ("a .bib (BibTeX), .ris (RIS), .json (CSL-JSON, e.g. a Zotero export), .csv with a DOI column, "
            "or a text file of ids, one per line")
CSV_COLUMNS = {"doi": "doi", "arxiv": "arxiv", "arxiv id": "arxiv", "eprint": "arxiv", "pmid": "pmid",
               "pubmed": "pmid", "paperid": "s2", "s2 id": "s2", "s2id": "s2", "semantic scholar id": "s2",
               "corpusid": "corpusid", "url": "url", "title": "title"}
MAX_BYTES = 200 * 10**6  # a library of 100,000 entries is ~50 MB of BibTeX
_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]*)", re.M)
_ARXIV_NOTE = re.compile(r"arxiv[:\s]*\s*((?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)", re.I)


@dataclass
class Entry:
    line: int | None          # where the entry starts in the file (1-based), if the format says
    label: str                # citation key, or the text of the line
    refs: list[idmod.Ref] = field(default_factory=list)  # ids to try, best first
    title: str | None = None
    problems: list[str] = field(default_factory=list)    # ids present but unreadable


def _add(entry: Entry, kind: str, value) -> None:
    """Read one id-ish value; a value that is no id of that kind is noted, not fatal."""
    text = " ".join(str(value or "").split())
    if not text:
        return
    try:
        if kind == "doi":
            text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.I)
            # arXiv's own DOIs (Zotero exports them for preprints) are rarely indexed by S2:
            # the arXiv id inside is what finds the paper.
            m = re.fullmatch(r"10\.48550/arxiv\.(.+)", text, re.I)
            ref = idmod.parse("arXiv:" + m.group(1)) if m else idmod.parse("doi:" + text)
        elif kind == "arxiv":
            ref = idmod.parse("arXiv:" + re.sub(r"^arxiv:\s*", "", text, flags=re.I))
        elif kind in ("pmid", "corpusid", "pmcid"):
            ref = idmod.parse(f"{kind}:{text}")
        elif kind == "url":
            ref = idmod.parse(text)
            if ref.kind == "title":
                return
        else:  # s2
            ref = idmod.parse(text)
        if kind != "url" and ref.kind not in (kind, "arxiv" if kind == "doi" else kind):
            raise idmod.IdError(text)  # e.g. a "doi" of words reads as a title
    except idmod.IdError:
        if kind != "url":  # any web page may be a URL; only a bad id field is worth a word
            entry.problems.append(f"unreadable {kind} {text[:60]!r}")
        return
    if ref not in entry.refs:
        entry.refs.append(ref)


def _order(entry: Entry) -> Entry:
    # DOI first (what most libraries carry and S2 indexes best), then arXiv, PubMed, S2.
    rank = {"s2": 0, "doi": 1, "arxiv": 2, "pmid": 3, "pmcid": 4, "corpusid": 5}
    entry.refs.sort(key=lambda r: rank.get(r.kind, 9))
    return entry


def _plain_title(text) -> str | None:
    text = " ".join(str(text or "").replace("{", "").replace("}", "").split())
    return text or None


# -- formats ------------------------------------------------------------------------------------

def _bibtex(text: str) -> list[Entry]:
    # Here, not at the top: every `litmap seed` imports this module, only `--from file.bib`
    # reads BibTeX, and bibtexparser costs ~40 ms to import, a fifth of litmap's own start-up.
    import bibtexparser
    from bibtexparser.bparser import BibTexParser
    from bibtexparser.customization import convert_to_unicode

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False, interpolate_strings=True)
    parser.customization = convert_to_unicode
    try:
        db = bibtexparser.loads(text, parser)
    except Exception as exc:  # the parser's own errors carry no type worth naming
        raise LibraryFileError(f"cannot read it as BibTeX: {' '.join(str(exc).split())[:200]}") from None
    starts = [(m.group(1).lower(), m.group(2), text.count("\n", 0, m.start()) + 1)
              for m in _ENTRY_START.finditer(text)]
    starts = [s for s in starts if s[0] not in ("comment", "string", "preamble")]
    # bibtexparser 1.x drops an entry it cannot parse without a word: find it by its key.
    parsed: dict[str, int] = {}
    for e in db.entries:
        parsed[e.get("ID", "")] = parsed.get(e.get("ID", ""), 0) + 1
    for kind, key, line in starts:
        if parsed.get(key, 0) > 0:
            parsed[key] -= 1
        else:
            raise LibraryFileError(f"line {line}: the BibTeX entry @{kind}{{{key}, cannot be parsed "
                                   "(unbalanced braces or quotes, or a missing comma?)")
    if not db.entries:
        raise LibraryFileError("no BibTeX entries found (expected @article{key, ...})")
    lines = iter(line for _, _, line in starts)
    out = []
    for rec in db.entries:
        f = {k.lower(): v for k, v in rec.items()}
        entry = Entry(next(lines, None), f.get("id", ""), title=_plain_title(f.get("title")))
        _add(entry, "doi", f.get("doi"))
        prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").lower()
        if prefix == "arxiv":
            _add(entry, "arxiv", f.get("eprint"))
        elif not prefix:  # a bare eprint is often an arXiv id, or an URL: kept only if it reads as one
            _add(entry, "url", f.get("eprint"))
        _add(entry, "arxiv", f.get("arxiv") or f.get("arxivid"))
        _add(entry, "pmid", f.get("pmid"))
        _add(entry, "url", f.get("url"))
        out.append(_order(entry))
    return out


def _ris(text: str) -> list[Entry]:
    seen = {"n": 0}

    def counted(lines):
        for line in lines:
            seen["n"] += 1
            yield line.rstrip("\r")

    try:
        records = rispy.RisParser().parse_lines(counted(text.split("\n")))
    except Exception as exc:  # rispy raises KeyError/ValueError/... on a broken record
        raise LibraryFileError(f"line {seen['n']}: cannot read it as RIS ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:100]}); each line must be 'XX  - value'") from None
    if not records:
        raise LibraryFileError("no RIS records found (expected 'TY  - JOUR' ... 'ER  - ')")
    starts = [i + 1 for i, line in enumerate(text.split("\n")) if line.startswith("TY  -")]
    out = []
    for i, rec in enumerate(records):
        title = rec.get("title") or rec.get("primary_title") or rec.get("secondary_title")
        entry = Entry(starts[i] if i < len(starts) else None, _plain_title(title) or f"record {i + 1}",
                      title=_plain_title(title))
        _add(entry, "doi", rec.get("doi"))
        for url in rec.get("urls") or []:
            _add(entry, "url", url)
        out.append(_order(entry))
    return out


def _csl_json(text: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryFileError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise LibraryFileError("a CSL-JSON file is a list of items ([{\"id\": ..., \"title\": ...}, ...])")
    out = []
    for i, item in enumerate(data):
        title = item.get("title") if isinstance(item.get("title"), str) else None
        label = str(item.get("citation-key") or item.get("id") or f"item {i + 1}")
        if re.match(r"https?://", label):  # Zotero's item URI: its last part is the item key
            label = label.rstrip("/").rsplit("/", 1)[-1]
        entry = Entry(None, label, title=_plain_title(title))
        _add(entry, "doi", item.get("DOI"))
        _add(entry, "pmid", item.get("PMID"))
        _add(entry, "pmcid", item.get("PMCID"))
        for key in ("number", "note", "archive_location"):  # where Zotero keeps an arXiv id
            m = _ARXIV_NOTE.search(str(item.get(key) or ""))
            if m:
                _add(entry, "arxiv", m.group(1))
        _add(entry, "url", item.get("URL"))
        out.append(_order(entry))
    return out


NESTING = 100  # a CSL-JSON item is three levels deep


def _too_deep(text: str) -> str:
    """Where the text first opens its NESTING-th nested bracket, as "line L, column C" (a
    RecursionError of a parser says nothing of where); quoted strings are skipped."""
    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}()]', text):
        c = m.group()
        if c in "[{(":
            depth += 1
            if depth >= NESTING:
                at = m.start()
                return f"line {text.count(chr(10), 0, at) + 1}, column {at - text.rfind(chr(10), 0, at)}"
        elif c in "]})":
            depth -= 1
    return "somewhere"


def _csv(text: str) -> list[Entry]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        cols = {name: CSV_COLUMNS[name.strip().lower()] for name in header
                if name and name.strip().lower() in CSV_COLUMNS}
        if not cols:
            raise LibraryFileError(f"line 1: no DOI column; a CSV needs a header naming one of: "
                                   f"{', '.join(sorted(set(CSV_COLUMNS)))}")
        out = []
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            title = next((row.get(n) for n, k in cols.items() if k == "title"), None)
            ids_text = [f"{k}:{(row.get(n) or '').strip()}" for n, k in cols.items()
                        if k != "title" and (row.get(n) or "").strip()]
            entry = Entry(reader.line_num, ids_text[0] if ids_text else (_plain_title(title) or ""),
                          title=_plain_title(title))
            for name, kind in cols.items():
                if kind != "title":
                    _add(entry, kind, row.get(name))
            out.append(_order(entry))
    except csv.Error as exc:
        raise LibraryFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return out


def _id_list(text: str) -> list[Entry]:
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entry = Entry(n, line)
        try:
            ref = idmod.parse(line)
        except idmod.IdError:
            entry.problems.append("not an identifier litmap reads")
        else:
            if ref.kind == "title":
                entry.title = ref.value
            else:
                entry.refs.append(ref)
        out.append(entry)
    return out


def detect(path: Path, text: str) -> str:
    ext = path.suffix.lower()
    by_ext = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json", ".csv": "csv"}
    if ext in by_ext:
        return by_ext[ext]
    head = text.lstrip()[:2000]
    if head[:1] in "[{":
        return "csl-json"
    if _ENTRY_START.search(head):
        return "bibtex"
    if re.search(r"^TY  - ", head, re.M):
        return "ris"
    return "list"


def _read_bounded(path: Path, waiting: Callable[[str], None]) -> bytes:
    """The file's bytes, at most MAX_BYTES: /dev/zero or `<(yes)` must not fill the memory.
    A FIFO nobody writes to yet is waited for, and after a second `waiting` says so."""
    too_big = LibraryFileError(f"{path}: more than {MAX_BYTES // 10**6} MB; litmap reads library files "
                               f"up to {MAX_BYTES // 10**6} MB (is it the right file?)")
    try:
        info = path.stat()
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_BYTES:  # no need to read it
            raise too_big
        if stat.S_ISFIFO(info.st_mode):
            # Opened without blocking, then polled: a plain open() would hang, silent, until a
            # writer came.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            poll = select.poll()
            poll.register(fd, select.POLLIN)
            if not poll.poll(1000):
                waiting(f"waiting for something to write to {path} (a FIFO); Ctrl-C stops")
                poll.poll()
            os.set_blocking(fd, True)
            fh = os.fdopen(fd, "rb")
        else:
            fh = open(path, "rb")
        with fh:
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_BYTES:
                chunk = fh.read(1 << 23)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
    except OSError as exc:
        raise LibraryFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    raise too_big


def read(path: str | Path, fmt: str | None = None,
         waiting: Callable[[str], None] = lambda message: None) -> tuple[str, list[Entry]]:
    """(format, entries) of a library file; LibraryFileError if it cannot be read at all."""
    path = Path(path)
    data = _read_bounded(path, waiting)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LibraryFileError(f"{path}: line {line}: not UTF-8 text; export the library as UTF-8") from None
    fmt = fmt or detect(path, text)
    reader = {"bibtex": _bibtex, "ris": _ris, "csl-json": _csl_json, "csv": _csv, "list": _id_list}[fmt]
    try:
        entries = reader(text)
    except LibraryFileError as exc:
        raise LibraryFileError(f"{path}: {exc}") from None
    except RecursionError:  # json and str() recurse per level: [[[[...]]]] 100,000 deep
        raise LibraryFileError(f"{path}: {_too_deep(text)}: nested more than {NESTING} levels deep; "
                               f"accepted: {ACCEPTED}") from None
    if not entries:
        raise LibraryFileError(f"{path}: no entries found; accepted: {ACCEPTED}")
    return fmt, entries
