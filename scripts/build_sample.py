#!/usr/bin/env python3
"""Build litmap's bundled sample dataset from the arXiv hep-th citation graph.

    python scripts/build_sample.py [SOURCE_DIR] [OUTPUT_DIR]

SOURCE_DIR (default ../shared/datasets/hepth) holds papers.jsonl.gz (KDD Cup 2003 metadata)
and cit-HepTh.txt.gz (the SNAP edge list). OUTPUT_DIR (default litmap/data/sample) receives
the Semantic Scholar bulk-dataset layout, with the field names and value types of the
official S2AG sample shards:

    papers/papers-0.jsonl.gz        one paper per line, sorted by corpusid
    citations/citations-0.jsonl.gz  one citation per line, sorted by (citing, cited)
    abstracts/abstracts-0.jsonl.gz  one abstract per line, sorted by corpusid

The output is byte-for-byte deterministic: rows are sorted, gzip headers carry mtime=0 and
no file name, and nothing depends on the clock. The conversion rules (corpusid = the SNAP
integer id, paperId = sha1("ARXIV:<id>"), year from the arXiv id, venue from the journal
reference, ...) are documented in litmap/data/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import io
import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litmap.dataset import arxiv_paper_id  # noqa: E402  (same ids as the fake API server)

DEFAULT_SOURCE = ROOT.parent / "shared" / "datasets" / "hepth"
DEFAULT_OUTPUT = ROOT / "litmap" / "data" / "sample"

# A fixed "updated" stamp for every row (the end of the KDD Cup 2003 snapshot), so the
# output never depends on when the script ran.
UPDATED = "2003-05-01T00:00:00.000Z"
ABSTRACT_LIMIT = None  # the hep-th abstracts fit the size budget whole (longest: ~2,100 chars)

# -- authors ------------------------------------------------------------------------------

_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a",
}
_LETTERS = {"l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ"}
_LETTER_RE = re.compile(r"\{?\\(ss|ae|AE|oe|OE|aa|AA|[lLoOij])(?![A-Za-z])\}?\s*")
# \'a  \'{a}  {\'a}  \'{\i}  \c{c}  \c c  \v{s}  \u{a}
_ACCENT_RE = re.compile(
    r"\{?\\(['`^\"~=.]|[uvHckr](?=[\s{]))\s*(?:\{\s*([^{}\\]|\\[ijIJ])\s*\}|([^{}\\\s]|\\[ijIJ]))\}?"
)
_BARE_UMLAUT_RE = re.compile(r'(?<=[A-Za-z])"([aouAOU])|^"([aouAOU])|(?<=\s)"([aouAOU])')


def latex_to_unicode(text: str) -> str:
    """Decode the LaTeX accents found in author names: M\\"uller, Garc\\'{\\i}a, Pawe{\\l}czyk."""
    if not any(c in text for c in '\\"{}~'):
        return text

    def accent(m: re.Match) -> str:
        base = m.group(2) or m.group(3)
        base = {"\\i": "i", "\\j": "j", "\\I": "i", "\\J": "j"}.get(base, base)
        return base + _ACCENTS[m.group(1)]

    text = _ACCENT_RE.sub(accent, text)
    text = _LETTER_RE.sub(lambda m: _LETTERS[m.group(1)], text)
    # Old-style German umlauts typed without a backslash: M"uller, J"urgen.
    text = _BARE_UMLAUT_RE.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "\u0308", text)
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"\\(?=[A-Za-z])", "", text)  # a stray command backslash: "\\Mary K. Gaillard"
    text = re.sub(r"(?<!\\)~", " ", text).replace("--", "-")  # TeX ties and dashes: "P.~Berglund"
    return unicodedata.normalize("NFC", text)


_APPENDIX_RE = re.compile(r"\(\s*with an? appendix by\s+([^()]*)\)", re.I)
_INNER_PARENS_RE = re.compile(r"\([^()]*\)")
_BRACKETS_RE = re.compile(r"\[[^\[\]]*\]")
_COLLAB_RE = re.compile(r"^[^,:()]*\bcollaboration\s*:\s*", re.I)
_ET_AL_RE = re.compile(r"\bet\.?\s+al\b\.?", re.I)
_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b|\sy\s)\s*")  # "y": "C. Ordóñez y J.M Pons"
_SUFFIX_RE = re.compile(r"^(?:(?i:jr|jnr|sr)|II|III|IV)\.?$")
# Comments that leaked into the author line: "..., 11 pages, Latex", "| 14p", "Comments 9 pages".
_JUNK_TAIL_RE = re.compile(r"(?:\||\bComments\b|\b\d+\s*(?:pages|pp?\b\.?)|\s\.\s+[A-Z][a-z]+\b).*$")
# An initial glued to the next name part: "K.I.Bolotin" -> "K.I. Bolotin", "S.Kocak" -> "S. Kocak".
_GLUED_RE = re.compile(r"(?<![^\W\d_])([A-Z][a-z]?\.)(?=[^\W\d_](?:['\u2019]?[^\W\d_])+(?![\w.]))")


def _strip_parentheses(text: str) -> str:
    prev = None
    while prev != text:  # innermost first, so nested "((1) Univ. X, (2) Univ. Y)" goes too
        prev = text
        # A comma, not a space: "A (X) B (Y)" lost its separator between the names.
        text = _INNER_PARENS_RE.sub(", ", text)
    text = re.sub(r"\(.*$", " ", text)  # an unclosed "(" runs to the end: affiliation
    text = text.replace(")", " ")
    return text


def _clean_name(name: str) -> str:
    name = latex_to_unicode(name).strip()
    # A sentence full stop after a surname ("S.D.Odintsov."), not an initial's or "Jr.".
    if re.search(r"[^\W\d_]{3,}\.$", name) and not _SUFFIX_RE.match(name.rsplit(" ", 1)[-1]):
        name = name[:-1]
    name = _GLUED_RE.sub(r"\1 ", name)
    name = re.sub(r"\s+", " ", name)
    return name.strip(" \t-*:,;'`")


def split_authors(text: str | None) -> list[str]:
    """Split a free-text arXiv author line into names.

    Handles "A, B and C", "A and B", "A, B, C", "A & B", "A; B", Oxford commas,
    affiliations in (nested) parentheses, "[email removed]", "et al", "X Collaboration:",
    "(with an appendix by D)" (D is kept, last), "Jr." suffixes and LaTeX accents.
    Initials are kept as written ("C.N. Pope"); an initial glued to a surname gets a space.
    """
    if not text:
        return []
    text = re.sub(r"\s+", " ", text).strip()
    extra: list[str] = []
    for m in _APPENDIX_RE.finditer(text):
        extra.append(m.group(1))
    text = _APPENDIX_RE.sub(" ", text)
    text = _BRACKETS_RE.sub(" ", text)
    text = _strip_parentheses(text)
    text = _COLLAB_RE.sub("", text)
    text = _ET_AL_RE.sub(" ", text)
    text = _JUNK_TAIL_RE.sub("", text)
    names: list[str] = []
    for chunk in [text, *extra]:
        for piece in _SPLIT_RE.split(chunk):
            name = _clean_name(piece)
            if not name or not re.search(r"[^\W\d_]", name):
                continue
            if _SUFFIX_RE.match(name):
                if names:
                    suffix = name.rstrip(".").capitalize() + "." if name[0] in "jJsS" else name
                    suffix = "Jr." if suffix == "Jnr." else suffix
                    names[-1] = f"{names[-1]} {suffix}"
                continue
            names.append(name)
    return names


# -- journal references -------------------------------------------------------------------

# INSPIRE style, the large majority: "Class.Quant.Grav. 17 (2000) 4867-4876", "Nucl.Phys. B486 (1997) 339".
_JREF_INSPIRE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z.&'\s-]*?)\s*(?P<series>[A-Z]{1,2}(?=\d))?(?P<vol>\d+[A-Za-z0-9]*)\s*"
    r"\((?P<year>(?:19|20)\d\d)\)\s*(?P<pages>[A-Za-z]?\d+[A-Za-z]?(?:\s*-+\s*[A-Za-z]?\d+[A-Za-z]?)?)"
)
# APS style: "Phys. Rev. Lett. 75, 588 (1995)", "Eur. Phys. J. C 23, 757-760 (2002)".
_JREF_APS = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z.&'\s-]*?)\s*(?P<series>[A-Z]{1,2}(?=\d))?(?P<vol>\d+[A-Za-z0-9]*)\s*,\s*"
    r"(?P<pages>[A-Za-z]?\d+[A-Za-z]?(?:\s*-+\s*[A-Za-z]?\d+[A-Za-z]?)?)\s*,?\s*\((?P<year>(?:19|20)\d\d)\)"
)
_NOT_A_JOURNAL = re.compile(r"(?i)^in\b|\b(?:eds?|edited|published|talk|school|workshop|symposium|"
                            r"conference|series|volume)\b")


def parse_journal_ref(ref: str | None) -> dict | None:
    """The first journal of an arXiv journal_ref as {name, volume, pages}, or None.

    "Class.Quant.Grav. 17 (2000) 4867-4876" -> {"name": "Class.Quant.Grav.", "volume": "17",
    "pages": "4867-4876"}; a series letter moves to the name: "Nucl.Phys. B486 (1997) 339-352"
    -> {"name": "Nucl.Phys. B", "volume": "486", ...}. Of several references separated by ";"
    the first is taken. Conference proceedings and free-form references give None.
    """
    if not ref:
        return None
    first = re.sub(r"\s+", " ", ref).strip().split(";")[0].strip()
    m = _JREF_INSPIRE.match(first) or _JREF_APS.match(first)
    if not m:
        return None
    name = m.group("name").strip(" ,:")
    if not name or len(name) > 60 or _NOT_A_JOURNAL.search(name) or not re.search(r"[A-Za-z]{2}", name):
        return None
    if m.group("vol").strip("0") == "":
        return None
    series = m.group("series")
    if series and series != "V":  # "Mod.Phys.Lett. V16": V is "volume", not a series
        name = f"{name} {series}"
    pages = re.sub(r"\s*-+\s*", "-", m.group("pages"))
    return {"name": name, "volume": m.group("vol"), "pages": pages}


# -- dates --------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DATE_RFC = re.compile(r"\b(?P<d>\d{1,2})[\s-]+(?P<m>[A-Za-z]{3})[a-z]*\.?[\s-]+(?P<y>\d{4}|\d{2})\b")
_DATE_CTIME = re.compile(
    r"\b(?P<m>[A-Za-z]{3})[a-z]*\s+(?P<d>\d{1,2})\s+\d{1,2}:\d{2}(?::\d{2})?\s+(?:[A-Z]{3,4}\s+)?(?P<y>\d{4})\b"
)


def arxiv_year_month(arxiv_id: str) -> tuple[int, int]:
    """hep-th/9711200 -> (1997, 11); hep-th/0001001 -> (2000, 1)."""
    num = arxiv_id.rsplit("/", 1)[-1]
    yy, mm = int(num[:2]), int(num[2:4])
    return (1900 + yy if yy >= 91 else 2000 + yy), mm


def parse_date(line: str | None, arxiv_id: str) -> str | None:
    """The submission date of an arXiv "Date:" line as YYYY-MM-DD, or None.

    Accepts RFC 822 ("Thu, 27 Nov 1997 23:53:13 GMT", also with 2-digit years) and ctime
    ("Tue Jan 7 07:55:11 1992") forms. A date more than one month before or any month after
    the month of the arXiv id is a mistyped mail header and is dropped.
    """
    if not line:
        return None
    for pattern in (_DATE_RFC, _DATE_CTIME):
        m = pattern.search(line)
        if m and m.group("m").lower() in _MONTHS:
            break
    else:
        return None
    year = int(m.group("y"))
    year = year + 1900 if year < 100 else year
    month = _MONTHS[m.group("m").lower()]
    try:
        date = _dt.date(year, month, int(m.group("d")))
    except ValueError:
        return None
    id_year, id_month = arxiv_year_month(arxiv_id)
    if (year * 12 + month) - (id_year * 12 + id_month) not in (-1, 0):
        return None
    return date.isoformat()


# -- conversion ---------------------------------------------------------------------------


def paper_row(rec: dict, refs: int, cits: int) -> dict:
    arxiv_id = rec["id"]
    corpusid = int(rec["snap_id"])
    journal = parse_journal_ref(rec.get("journal_ref"))
    return {
        "corpusid": corpusid,
        "externalids": {
            "ACL": None, "DBLP": None, "ArXiv": arxiv_id, "MAG": None, "CorpusId": str(corpusid),
            "PubMed": None, "DOI": None, "PubMedCentral": None,
        },
        "url": "https://www.semanticscholar.org/paper/" + arxiv_paper_id(arxiv_id),
        "title": re.sub(r"\s+", " ", rec.get("title") or "").strip(),
        "authors": [{"authorId": None, "name": n} for n in split_authors(rec.get("authors"))],
        "venue": journal["name"] if journal else "arXiv",
        "publicationvenueid": None,
        "year": arxiv_year_month(arxiv_id)[0],
        "referencecount": refs,
        "citationcount": cits,
        "influentialcitationcount": 0,
        "isopenaccess": True,
        "s2fieldsofstudy": [{"category": "Physics", "source": "external"}],
        "publicationtypes": ["JournalArticle"] if journal else None,
        "publicationdate": parse_date(rec.get("date"), arxiv_id),
        "journal": journal,
        "updated": UPDATED,
    }


def abstract_row(rec: dict) -> dict | None:
    text = (rec.get("abstract") or "").strip()
    if not text:
        return None
    if ABSTRACT_LIMIT and len(text) > ABSTRACT_LIMIT:
        text = text[: ABSTRACT_LIMIT - 1].rstrip() + "…"
    arxiv_id = rec["id"]
    return {
        "corpusid": int(rec["snap_id"]),
        "openaccessinfo": {
            "externalids": {"MAG": None, "ACL": None, "DOI": None, "PubMedCentral": None, "ArXiv": arxiv_id},
            "license": None,
            "url": f"https://arxiv.org/abs/{arxiv_id}",
            "status": "GREEN",
        },
        "abstract": text,
        "updated": UPDATED,
    }


def read_edges(path: Path) -> list[tuple[int, int]]:
    edges = []
    with gzip.open(path, "rt", encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            a, b = line.split()
            edges.append((int(a), int(b)))
    return edges


def write_jsonl_gz(path: Path, rows) -> int:
    """Write rows deterministically (no mtime, no file name in the gzip header); atomic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as out:
                for row in rows:
                    out.write(row if isinstance(row, str)
                              else json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
    os.replace(tmp, path)
    return path.stat().st_size


def build(source: Path, output: Path, log=print) -> dict:
    t0 = time.perf_counter()
    with gzip.open(source / "papers.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    by_snap = {int(r["snap_id"]): r for r in records}
    if len(by_snap) != len(records):
        raise SystemExit("duplicate snap_id in papers.jsonl.gz")

    raw_edges = read_edges(source / "cit-HepTh.txt.gz")
    self_loops = sum(1 for a, b in raw_edges if a == b)
    dangling = sum(1 for a, b in raw_edges if a != b and (a not in by_snap or b not in by_snap))
    edges = sorted({(a, b) for a, b in raw_edges if a != b and a in by_snap and b in by_snap})
    duplicates = len(raw_edges) - self_loops - dangling - len(edges)

    refs: dict[int, int] = {}
    cits: dict[int, int] = {}
    for a, b in edges:
        refs[a] = refs.get(a, 0) + 1
        cits[b] = cits.get(b, 0) + 1

    papers = [paper_row(by_snap[s], refs.get(s, 0), cits.get(s, 0)) for s in sorted(by_snap)]
    abstracts = [row for row in (abstract_row(by_snap[s]) for s in sorted(by_snap)) if row]
    # Pre-rendered lines (the same bytes json.dumps gives for these dicts, 5x faster):
    # {"citingcorpusid": "<a>", "citedcorpusid": "<b>", "isinfluential": false, ...}
    citations = (
        f'{{"citingcorpusid":"{a}","citedcorpusid":"{b}","isinfluential":false,'
        f'"contexts":null,"intents":null,"updated":"{UPDATED}"}}'
        for a, b in edges
    )

    for sub in ("papers", "citations", "abstracts"):  # the layout is exactly what we write
        for old in (output / sub).glob("*.jsonl*"):
            old.unlink()
    sizes = {
        "papers": write_jsonl_gz(output / "papers" / "papers-0.jsonl.gz", papers),
        "citations": write_jsonl_gz(output / "citations" / "citations-0.jsonl.gz", citations),
        "abstracts": write_jsonl_gz(output / "abstracts" / "abstracts-0.jsonl.gz", abstracts),
    }
    stats = {
        "papers": len(papers),
        "edges": len(edges),
        "abstracts": len(abstracts),
        "source_edges": len(raw_edges),
        "self_loops_dropped": self_loops,
        "dangling_dropped": dangling,
        "duplicates_dropped": duplicates,
        "with_journal": sum(1 for p in papers if p["journal"]),
        "with_date": sum(1 for p in papers if p["publicationdate"]),
        "authors": sum(len(p["authors"]) for p in papers),
        "bytes": sizes,
        "total_bytes": sum(sizes.values()),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    log(json.dumps(stats, indent=2))
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                    help=f"directory with papers.jsonl.gz and cit-HepTh.txt.gz (default {DEFAULT_SOURCE})")
    ap.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                    help=f"output dataset directory (default {DEFAULT_OUTPUT})")
    args = ap.parse_args(argv)
    for name in ("papers.jsonl.gz", "cit-HepTh.txt.gz"):
        if not (args.source / name).is_file():
            print(f"build_sample: {args.source / name} not found", file=sys.stderr)
            return 2
    stats = build(args.source, args.output)
    if stats["total_bytes"] > 15 * 1024 * 1024:
        print(f"build_sample: WARNING: {stats['total_bytes']:,} bytes is over the 15 MB budget", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
