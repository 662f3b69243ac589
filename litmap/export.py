"""Export papers and maps: BibTeX, RIS, CSL-JSON, CSV, node-link JSON, GraphML, GEXF.

Pure functions: Paper dicts or a Map dict in (docs/internals.md), ``str`` out, no I/O.
S2 text is untrusted, so every writer passes it through ``_clean`` (control characters
dropped, whitespace collapsed) before its own escaping.

Decisions worth knowing:
* BibTeX comes from structured fields, never S2's ``citationStyles``. Titles keep the
  author's LaTeX (math, accents) so they render as meant; everything else is escaped and
  non-ASCII letters are written as accent commands (bibtex 0.99 reads bytes, not UTF-8);
  see litmap/text.py. Every other format gets readable Unicode (``text.plain``).
  A text field is cut at 1000 characters and the author list at about
  120000 (some 5000 real names, then ``and others``) to stay inside bibtex's string pool.
* An unknown year is omitted. plain.bst is silent about that for @misc; ``biber
  --validate-datamodel`` reports the missing date, which is true. The alternatives are
  worse: ``date = {XXXX}`` renders "Smith ()" in biblatex, ``year = {n.d.}`` warns too.
* Citation keys and names follow one rule for every output: litmap/names.py.
* RIS uses CRLF line ends as its spec says: write the string with ``newline=""``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Callable, Iterable
from urllib.parse import quote

from litmap import graphs
from litmap import text as _text
from litmap.names import authors as _authors
from litmap.names import citation_keys
from litmap.names import split_name as _split_name
from litmap.names import title as _title
from litmap.records import cap
from litmap.records import clean as _clean
from litmap.records import external_id as _ext
from litmap.records import pid as _pid
from litmap.records import unique as _unique
from litmap.records import year as _year

Paper = dict[str, Any]


# ---------------------------------------------------------------- what a paper is

_THESIS = re.compile(r"\b(thesis|dissertation)\b", re.I)
_THESIS_ONLY = re.compile(r"(ph\.? ?d\.?|doctoral|master'?s?|msc)?\s*(thesis|dissertation)", re.I)


def _classify(paper: Paper) -> tuple[str, str]:
    """(kind, container), whatever the record lacks: kind is article | inproceedings | book |
    thesis | preprint | misc; container the journal, proceedings, publisher or school."""
    types = set(paper.get("publicationTypes") or [])
    # cut before reading LaTeX (its cost grows with the text); the entry cuts again after
    venue = _text.plain(_cap(_clean(paper.get("venue")), 4 * _MAX_TEXT))
    journal = _text.plain(_cap(_clean((paper.get("journal") or {}).get("name")), 4 * _MAX_TEXT))
    # S2 files preprints under journal "ArXiv" (volume "abs/…"): that is not a container.
    names = [n for n in (journal, venue) if n and "arxiv" not in n.lower()]
    # A venue naming a thesis counts only when S2 claims nothing else ("Thesis Eleven" is
    # a journal).
    claimed = types & {"JournalArticle", "Conference", "Book"}
    if types & {"Thesis", "Dissertation"} or not claimed and any(map(_THESIS.search, names)):
        return "thesis", next((n for n in names if not _THESIS_ONLY.fullmatch(n)), "")
    if "Book" in types:
        return "book", names[0] if names else ""
    # S2 tags many proceedings papers JournalArticle too; Conference is the specific one.
    if "Conference" in types:
        return "inproceedings", venue if venue in names else (names[0] if names else "")
    if names and ("JournalArticle" in types or journal in names):
        return "article", names[0]
    return ("preprint" if _ext(paper, "ArXiv") else "misc"), venue if venue in names else ""


def _pages(paper: Paper) -> tuple[str, str]:
    """(first, last); last is '' for one page or an article number. Other shapes are
    dropped: biber rejects a malformed range and no reader can use one."""
    raw = _clean((paper.get("journal") or {}).get("pages"))
    m = re.fullmatch(r"([\w.:]+)(?:\s*[-\u2010-\u2015]+\s*([\w.:]+))?", raw) if len(raw) < 60 else None
    return (m.group(1), m.group(2) or "") if m else ("", "")


def _volume(paper: Paper, kind: str) -> str:
    return _clean((paper.get("journal") or {}).get("volume")) if kind == "article" else ""


def _link(paper: Paper) -> str:
    arxiv = _ext(paper, "ArXiv")
    return f"https://arxiv.org/abs/{arxiv}" if arxiv else _clean(paper.get("url"))


# ---------------------------------------------------------------- BibTeX

# bibtex stops with "you've exceeded the global-string-size" (200000 in TeX Live, less
# elsewhere) when one value outgrows it, and escaping can multiply a text by 18. S2 text
# that long is an abstract or garbage, not a title, so fields are cut to stay well below.
_MAX_TEXT, _MAX_AUTHORS_TEX = 1000, 120_000


def _cap(text: str, limit: int = _MAX_TEXT) -> str:
    return cap(text, limit)


def _tex(text: str) -> str:
    """Plain text -> a .bib value: LaTeX specials escaped, non-ASCII as accent commands (bibtex
    0.99 reads bytes, not UTF-8: it would drop the hyphen of "Ñúñez-García")."""
    return _text.escape(text)


def _group(esc: str) -> str:
    # "{\cmd...}" is a BibTeX "special character" whose letters change.case$ still
    # lowercases; a second pair of braces makes it a plain protected group.
    return "{{" + esc + "}}" if esc.startswith("\\") else "{" + esc + "}"


def _bib_name(name: str) -> str:
    parts = _split_name(name)
    if parts is None:
        return _group(_tex(name))
    first, von, last, jr = (_tex(x) for x in parts)
    # biber reads a lowercase surname ("hooks, bell") as a particle with no surname at all;
    # braces make it a surname for biber and BibTeX alike.
    last = last if parts[2][:1].isupper() else _group(last)
    return ", ".join(x for x in (f"{von} {last}" if von else last, jr, first) if x)


def _safe_uri(text: str) -> str:
    """Percent-encode what could break a .bib value or \\url: braces, backslash, quote,
    spaces, controls, non-ASCII and a '%' that starts no escape. The rest stays readable."""
    if len(text) > _MAX_TEXT:
        return ""  # an identifier cut short would point somewhere else; this one is garbage
    s = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text)
    return "".join(c if 32 < ord(c) < 127 and c not in '{}\\"' else quote(c, safe="") for c in s)


# kind -> (entry type, field holding the container)
_BIB_TYPES = {"article": ("article", "journal"), "inproceedings": ("inproceedings", "booktitle"),
              # S2 has no publisher field; for books its venue is the closest thing.
              "book": ("book", "publisher"), "thesis": ("phdthesis", "school")}


def _bib_authors(authors: list[str]) -> str:
    names, size = [], 0
    for name in authors:
        if size > _MAX_AUTHORS_TEX:
            names.append("others")  # BibTeX's own "et al."; thousands of real names fit
            break
        names.append(_bib_name(_cap(name, 200)))
        size += len(names[-1]) + 5
    return " and ".join(names)


def _bib_entry(paper: Paper, key: str) -> str:
    kind, container = _classify(paper)
    authors, raw_title, year = _authors(paper), _cap(_clean(paper.get("title"))), _year(paper)
    title, container = _text.plain(raw_title), _cap(_text.plain(container))
    # plain.bst warns about an empty required field (author, title, year and the container
    # for these types), so a record lacking one becomes @misc, which requires nothing.
    if kind in _BIB_TYPES and authors and title and year is not None and container:
        entry_type, place = _BIB_TYPES[kind]
    else:
        entry_type, place = "misc", "howpublished"
    first, last = _pages(paper) if entry_type == "article" else ("", "")
    volume = _volume(paper, entry_type)
    arxiv, doi = _ext(paper, "ArXiv"), _ext(paper, "DOI")
    old_style = re.fullmatch(r"([a-zA-Z-]+(?:\.[a-zA-Z-]+)?)/\d{7}(?:v\d+)?", arxiv)
    fields = [
        ("author", _bib_authors(authors)),
        ("title", _text.latex_title(raw_title)),
        (place, _tex(container)),
        ("volume", volume if volume.isdigit() and len(volume) < 10 else ""),  # biblatex: integer
        ("pages", _tex(f"{first}--{last}" if last else first)),
        ("year", "" if year is None else str(year)),
        # plain.bst sorts by author, else by key: anonymous works sort by their title.
        ("key", "" if authors else _tex(title) or "anon"),
        # A record with nothing above would make plain.bst warn "all relevant fields empty".
        ("note", "" if authors or title or year is not None or container
         else _tex(f"Semantic Scholar paper {_pid(paper)}")),
        ("eprint", _safe_uri(arxiv)),
        ("archivePrefix", "arXiv" if arxiv else ""),
        ("primaryClass", old_style.group(1) if old_style else ""),
        ("doi", _safe_uri(doi)),
        ("url", "" if doi else _safe_uri(_link(paper))),  # a DOI already links the paper
        # the map's topic-cluster terms (biblatex's comma-separated list; BibTeX ignores it)
        ("keywords", _tex(_cap(_keywords(paper), 1000))),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def _keywords(paper: Paper) -> str:
    """The paper's cluster label on a map ("black hole, entropy"), as one clean line."""
    return _clean(paper.get("cluster_label")) if paper.get("cluster_label") else ""


def bibtex_entries(papers: Iterable[Paper], keys: dict[str, str] | None = None) -> dict[str, str]:
    """paperId -> one BibTeX entry, input order kept; `keys` (paperId -> key): the keys to use,
    e.g. a map's (names.citation_keys over all its papers), else keys unique within the call."""
    papers = _unique(papers)
    keys = keys if keys is not None else citation_keys(papers)
    return {_pid(p): _bib_entry(p, keys[_pid(p)]) for p in papers}


def to_bibtex(papers: Iterable[Paper]) -> str:
    return "\n".join(bibtex_entries(papers).values())


# ---------------------------------------------------------------- RIS

_RIS_TYPES = {"article": "JOUR", "inproceedings": "CPAPER", "book": "BOOK", "thesis": "THES",
              "preprint": "UNPB", "misc": "GEN"}


def _ris_name(name: str) -> str:
    parts = _split_name(name)
    if parts is None:
        return name
    first, von, last, jr = parts
    return ", ".join(x for x in (f"{von} {last}".strip(), first, jr) if x)


def to_ris(papers: Iterable[Paper]) -> str:
    records = []
    for p in _unique(papers):
        kind, container = _classify(p)
        first, last = _pages(p)
        lines = [("TY", _RIS_TYPES[kind])] + [("AU", _ris_name(a)) for a in _authors(p)]
        lines += [("TI", _title(p)), ("PY", str(_year(p) or "")),
                  ({"article": "JO", "book": "PB", "thesis": "PB"}.get(kind, "T2"), container),
                  ("VL", _volume(p, kind)), ("SP", first), ("EP", last), ("DO", _ext(p, "DOI")),
                  ("UR", _link(p)), ("AB", _text.plain(_clean(p.get("abstract"))))]
        records.append("".join(f"{tag}  - {v}\r\n" for tag, v in lines if v) + "ER  - \r\n")
    return "\r\n".join(records)


# ---------------------------------------------------------------- CSL-JSON

_CSL_TYPES = {"article": "article-journal", "inproceedings": "paper-conference", "book": "book",
              "thesis": "thesis", "preprint": "article", "misc": "document"}


def _csl_name(name: str) -> dict[str, str]:
    parts = _split_name(name)
    if parts is None or not parts[0]:
        return {"literal": name}
    first, von, last, jr = parts
    out = {"family": last, "given": first, "non-dropping-particle": von, "suffix": jr}
    return {k: v for k, v in out.items() if v}


def to_csl_json(papers: Iterable[Paper], keys: dict[str, str] | None = None) -> str:
    """`keys` (paperId -> key), when given, are the ids: pass the map's BibTeX keys so a
    document can cite one paper by one key whichever file it came from."""
    papers = _unique(papers)
    keys = {**citation_keys(papers), **(keys or {})}
    items = []
    for p in papers:
        kind, container = _classify(p)
        if kind in ("article", "inproceedings") and not container:
            kind = "misc"  # a chapter or article type with no container renders a dangling "In."
        first, last = _pages(p)
        arxiv, year, published = _ext(p, "ArXiv"), _year(p), kind in ("book", "thesis")
        item: dict[str, Any] = {
            "id": keys[_pid(p)], "type": _CSL_TYPES[kind], "title": _title(p),
            "author": [_csl_name(a) for a in _authors(p)],
            "container-title": "" if published else container,
            "publisher": container if published else "arXiv" if kind == "preprint" else "",
            "number": f"arXiv:{arxiv}" if kind == "preprint" else "",
            "volume": _volume(p, kind), "page": f"{first}-{last}" if last else first,
            "DOI": _ext(p, "DOI"), "URL": _link(p),
            "issued": {"date-parts": [[year]]} if year is not None else "",
            "keyword": _keywords(p),  # CSL's variable for keywords (comma-separated)
        }
        items.append({k: v for k, v in item.items() if v not in ("", [])})
    return json.dumps(items, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# ---------------------------------------------------------------- CSV

_CSV_FIELDS = ["paperId", "title", "authors", "year", "venue", "citationCount", "doi", "arxiv",
               "url"]


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # a number is data, not text a spreadsheet could run
    text = _clean(value)
    # Spreadsheets run a cell starting with one of these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(papers: Iterable[Paper]) -> str:
    papers = _unique(papers)
    extra = [f for f in ("similarity", "role", "cluster", "cluster_label") if any(f in p for p in papers)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_CSV_FIELDS + extra)
    for p in papers:
        row = [_pid(p), _title(p), "; ".join(_authors(p)), _year(p), _text.plain(_clean(p.get("venue"))),
               p.get("citationCount"), _ext(p, "DOI"), _ext(p, "ArXiv"), p.get("url")]
        writer.writerow([_csv_cell(v) for v in row + [p.get(f) for f in extra]])
    return buf.getvalue()


# ---------------------------------------------------------------- map formats


def to_json(map_: dict[str, Any]) -> str:
    # NaN/Infinity are not JSON: fail loudly rather than write a file parsers reject.
    text = json.dumps(map_, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False)
    # A lone surrogate (half an emoji in an S2 answer) cannot be written as UTF-8; as a
    # \uXXXX escape it is still JSON and reads back as the very same map.
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def to_graphml(map_: dict[str, Any]) -> str:
    # networkx here, not at the top: every map imports this module, and networkx costs 0.1-0.5 s
    # to import (litmap/graphs.py); only GraphML and GEXF need it.
    from networkx.readwrite.graphml import GraphMLWriter

    # Not generate_graphml: it re-joins str.splitlines(), which also splits inside values.
    writer = GraphMLWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph_element(graphs.similarity_graph(map_))
    return "<?xml version='1.0' encoding='utf-8'?>\n" + str(writer) + "\n"


def to_gexf(map_: dict[str, Any]) -> str:
    from networkx.readwrite.gexf import GEXFWriter  # here: see to_graphml

    graph = graphs.similarity_graph(map_)
    for _, data in graph.nodes(data=True):
        if "x" in data and "y" in data:  # Gephi opens the map with its own layout
            data["viz"] = {"position": {"x": data["x"], "y": data["y"], "z": 0.0}}
    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph(graph)
    # networkx stamps today's date into <meta>; without it the output is reproducible.
    writer.xml.find("meta").attrib.pop("lastmodifieddate", None)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + str(writer) + "\n"


# --format name -> (function, file extension without the dot, input: "papers" or "map")
FORMATS: dict[str, tuple[Callable[[Any], str], str, str]] = {
    "bibtex": (to_bibtex, "bib", "papers"),
    "ris": (to_ris, "ris", "papers"),
    "csl-json": (to_csl_json, "csl.json", "papers"),
    "csv": (to_csv, "csv", "papers"),
    "json": (to_json, "json", "map"),
    "graphml": (to_graphml, "graphml", "map"),
    "gexf": (to_gexf, "gexf", "map"),
}
