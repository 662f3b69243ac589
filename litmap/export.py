"""Export papers and maps: BibTeX, RIS, CSL-JSON, CSV, node-link JSON, GraphML, GEXF.

Pure functions: data in (Paper dicts / a Map dict, see docs/internals.md), ``str`` out.
All text from Semantic Scholar is untrusted, so every writer passes it through ``_clean``
(control characters dropped, whitespace collapsed) before format-specific escaping.

Decisions worth knowing:
* BibTeX is built from structured fields, never from S2's ``citationStyles``. Text is kept
  as UTF-8 (biber reads it natively; bibtex 0.99 passes bytes through). LaTeX specials are
  escaped everywhere, including titles that look like math (``$\\alpha$`` prints literally):
  S2 titles mix real LaTeX, HTML and stray ``$``; escaping everything is the only choice
  that can never break a document.
* An unknown year is omitted. bibtex's plain.bst is silent about that for @misc, but
  ``biber --validate-datamodel`` reports the missing date; that warning is true, and the
  alternatives (``date = {XXXX}``, ``year = {n.d.}``) render as "Smith ()" or warn too.
* Citation keys look like Google Scholar's (``gurnee2023finding``; no year: ``smithdeep``).
  Colliding keys all get ``a``, ``b``, ... in paperId order, so a key is stable as long
  as the set of papers sharing its base key is the same; a paper joining or leaving that
  group can re-letter the others. Keys without a collision never depend on other papers.
* RIS uses CRLF line ends as the spec says: write the string with ``newline=""``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from typing import Any, Callable, Iterable
from urllib.parse import quote

Paper = dict[str, Any]

# ---------------------------------------------------------------- text hygiene


def _clean(value: Any) -> str:
    """Untrusted text -> one line of printable text ('' for None)."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFC", str(value))
    # Controls that are not whitespace (NUL, ESC, DEL, ...) vanish; surrogates and U+FFFE/F
    # cannot be encoded or are illegal in XML. Whitespace of any kind (tab, newline, U+2028,
    # NEL) becomes one space so no value can start a new RIS tag or CSV record.
    s = "".join(
        c for c in s
        if c.isspace() or (unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufffe\uffff")
    )
    return " ".join(s.split())


def _year(paper: Paper) -> int | None:
    try:
        return int(paper.get("year"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _ext(paper: Paper, name: str) -> str:
    return _clean((paper.get("externalIds") or {}).get(name))


def _is_arxiv_name(name: str) -> bool:
    return "arxiv" in name.lower()


# NFKD leaves these letters alone because they are not "letter + accent".
_FOLD = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th",
    "ð": "d", "ħ": "h", "ŧ": "t", "ŋ": "ng", "ĸ": "k", "ə": "e", "ɨ": "i", "ƒ": "f",
})


def _ascii_fold(text: str) -> str:
    """Lowercase ASCII approximation, e.g. 'Łukasiewicz' -> 'lukasiewicz'."""
    s = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return s.encode("ascii", "ignore").decode("ascii")


# ---------------------------------------------------------------- names

_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "des", "dos",
              "das", "do", "la", "le", "ter", "ten", "zu", "af", "av", "bin", "ibn", "al", "st.",
              "van't", "'t"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def _split_name(name: str) -> tuple[str, str, str, str] | None:
    """'Ludwig van der Berg Jr.' -> (first, von, last, jr); None = keep the name literal."""
    tokens = name.split()
    # A comma, a bare "and" or a lone hyphen would be read by BibTeX as name structure
    # (a first name "-" is an error); such names stay one literal, brace-protected token.
    if not tokens or "," in name or any(t.lower() == "and" or not t.strip("-") for t in tokens):
        return None
    jr = ""
    if len(tokens) >= 3 and tokens[-1].lower() in _SUFFIXES:
        jr, tokens = tokens[-1], tokens[:-1]
    i = len(tokens) - 2
    while i >= 1 and tokens[i].lower() in _PARTICLES:
        i -= 1
    return " ".join(tokens[: i + 1]), " ".join(tokens[i + 1:-1]), tokens[-1], jr


def _authors(paper: Paper) -> list[str]:
    return [n for n in (_clean(a.get("name")) for a in paper.get("authors") or [] if a) if n]


def _surname(name: str) -> str:
    parts = _split_name(name)
    if parts:
        return parts[2]
    # Literal names: "Smith, J." is surname-first; organisations key on their last word.
    return ((name.split(",")[0] if "," in name else name).split() or name.split())[-1]


# ---------------------------------------------------------------- classification


_THESIS_RE = re.compile(r"\b(thesis|dissertation)\b", re.I)
_THESIS_ONLY_RE = re.compile(r"^(ph\.? ?d\.?|doctoral|master'?s?|msc)?\s*(thesis|dissertation)$", re.I)


def _classify(paper: Paper) -> tuple[str, str]:
    """(kind, container): what the paper is, independent of how complete its record is.

    kind is article | inproceedings | book | thesis | preprint | misc; container is the
    journal, proceedings, publisher or school name ('' if unknown). An arXiv "journal"
    (S2 reports preprints as journal "ArXiv", volume "abs/…") is not a container.
    """
    types = set(paper.get("publicationTypes") or [])
    venue = _clean(paper.get("venue"))
    journal = _clean((paper.get("journal") or {}).get("name"))
    names = [n for n in (venue, journal) if n and not _is_arxiv_name(n)]
    if types & {"Thesis", "Dissertation"} or any(_THESIS_RE.search(n) for n in names):
        return "thesis", next((n for n in names if not _THESIS_ONLY_RE.match(n)), "")
    if "Book" in types:
        return "book", names[0] if names else ""
    # S2 tags many proceedings papers JournalArticle as well; Conference is the specific one.
    if "Conference" in types:
        return "inproceedings", names[0] if names else ""
    if "JournalArticle" in types or (journal and not _is_arxiv_name(journal)):
        # The journal's name is the better container; venue is often an abbreviation.
        container = journal if journal and not _is_arxiv_name(journal) else (names[0] if names else "")
        if container:
            return "article", container
    return ("preprint" if _ext(paper, "ArXiv") else "misc"), venue if venue in names else ""


def _pages(paper: Paper) -> tuple[str, str]:
    """(first, last) page; last is '' for a single page or article number. Anything else
    is dropped: biber rejects a malformed range, and no reader can use one."""
    raw = _clean((paper.get("journal") or {}).get("pages"))
    m = re.fullmatch(r"([\w.:]+)(?:\s*[-\u2010-\u2015]+\s*([\w.:]+))?", raw)
    return (m.group(1), m.group(2) or "") if m else ("", "")


def _volume(paper: Paper, kind: str) -> str:
    return _clean((paper.get("journal") or {}).get("volume")) if kind == "article" else ""


def _link(paper: Paper) -> str:
    arxiv = _ext(paper, "ArXiv")
    return f"https://arxiv.org/abs/{arxiv}" if arxiv else _clean(paper.get("url"))


# ---------------------------------------------------------------- citation keys

_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "by", "at",
              "from", "as", "is", "are", "be", "via", "into", "about", "its", "s"}


def _base_key(paper: Paper) -> str:
    authors = _authors(paper)
    surname = re.sub(r"[^a-z0-9]", "", _ascii_fold(_surname(authors[0]))) if authors else ""
    year = _year(paper)
    words = re.split(r"[^a-z0-9]+", _ascii_fold(_clean(paper.get("title"))))
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    # A name that folds to nothing (山田太郎) keys like an anonymous work.
    return f"{surname or 'anon'}{year if year is not None else ''}{word}"


def _letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: suffixes for colliding keys."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def _unique(papers: Iterable[Paper]) -> list[Paper]:
    """Drop repeated paperIds (first wins), since every export is keyed by paperId."""
    seen: set[str] = set()
    out = []
    for p in papers:
        pid = str(p.get("paperId") or p.get("id") or "")
        if pid not in seen:
            seen.add(pid)
            out.append(p)
    return out


def citation_keys(papers: Iterable[Paper]) -> dict[str, str]:
    """paperId -> citation key, unique within this set of papers."""
    groups: dict[str, list[str]] = {}
    for p in _unique(papers):
        groups.setdefault(_base_key(p), []).append(str(p.get("paperId") or p.get("id") or ""))
    keys = {ids[0]: base for base, ids in groups.items() if len(ids) == 1}
    taken = set(keys.values())
    for base in sorted(b for b, ids in groups.items() if len(ids) > 1):
        n = 0
        for pid in sorted(groups[base]):
            # Skip a suffix that another paper's base key already is ("deep"+"a" vs "deepa").
            while base + _letters(n) in taken:
                n += 1
            keys[pid] = base + _letters(n)
            taken.add(keys[pid])
            n += 1
    return keys


# ---------------------------------------------------------------- BibTeX

# Braces are spelled as commands: BibTeX counts "\{" as a real brace, so only these keep
# every value balanced whatever the input.
_TEX = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
        "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(text: str) -> str:
    return "".join(_TEX.get(c, c) for c in text)


def _needs_case_protection(word: str) -> bool:
    upper = [c.isupper() for c in word]
    # BERT, GPT-4, LaTeX, iPhone, N=2, and lone capitals like "I" or "Method B" ("A" is
    # nearly always the article in Title Case, so it is left to the style).
    return any(upper[1:]) or (any(upper) and any(c.isdigit() for c in word)) \
        or (len(word) == 1 and word.isupper() and word != "A")


def _tex_title(title: str) -> str:
    out = []
    for word in title.split(" "):
        esc = _tex(word)
        if _needs_case_protection(word):
            # A group starting with a backslash is a BibTeX "special character" whose
            # letters change.case$ still lowercases; the extra braces prevent that.
            esc = "{{" + esc + "}}" if esc.startswith("\\") else "{" + esc + "}"
        out.append(esc)
    return " ".join(out)


def _bib_name(name: str) -> str:
    parts = _split_name(name)
    if parts is None:
        return "{" + _tex(name) + "}"
    first, von, last, jr = (_tex(x) for x in parts)
    family = f"{von} {last}" if von else last
    return ", ".join(x for x in (family, jr, first) if x)


def _safe_uri(text: str) -> str:
    """Percent-encode what could break a .bib value or a \\url (braces, backslash, spaces,
    non-ASCII, a '%' that does not start an escape); everything else stays readable."""
    s = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", text)
    return "".join(c if 32 < ord(c) < 127 and c not in "{}\\\"" else quote(c, safe="") for c in s)


def _bib_entry(paper: Paper, key: str) -> str:
    kind, container = _classify(paper)
    authors = _authors(paper)
    title = _clean(paper.get("title"))
    year = _year(paper)
    arxiv = _ext(paper, "ArXiv")
    # plain.bst warns about any empty required field, so an entry that lacks one is
    # written as @misc, which requires nothing.
    complete = bool(authors and title and year is not None and container)
    if kind in ("article", "inproceedings", "book", "thesis") and complete:
        entry_type, place = {"article": ("article", "journal"),
                             "inproceedings": ("inproceedings", "booktitle"),
                             "book": ("book", "publisher"),  # S2 has no publisher field;
                             "thesis": ("phdthesis", "school")}[kind]  # venue is closest
    else:
        entry_type, place = "misc", "howpublished"
    first, last = _pages(paper) if entry_type == "article" else ("", "")
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(_bib_name(a) for a in authors)),
        ("title", _tex_title(title)),
        (place, _tex(container)),
        # biblatex's data model types volume as an integer ("PP", "XII" are rejected).
        ("volume", volume if (volume := _volume(paper, entry_type)).isdigit() else ""),
        ("pages", _tex(f"{first}--{last}" if last else first)),
        ("year", str(year) if year is not None else ""),
        # plain.bst sorts by author, falling back to key: anonymous works sort by title.
        ("key", "" if authors else _tex(title) or "anon"),
    ]
    if not (authors or title or year is not None or container):
        fields.append(("note", _tex(f"Semantic Scholar paper {paper.get('paperId') or ''}")))
    if arxiv:
        fields.append(("eprint", _safe_uri(arxiv)))
        fields.append(("archivePrefix", "arXiv"))
        old_style = re.fullmatch(r"([a-z-]+(?:\.[A-Z]{2})?)/\d{7}(?:v\d+)?", arxiv)
        fields.append(("primaryClass", old_style.group(1) if old_style else ""))
    doi = _ext(paper, "DOI")
    fields.append(("doi", _safe_uri(doi)))
    fields.append(("url", "" if doi else _safe_uri(_link(paper))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def bibtex_entries(papers: Iterable[Paper]) -> dict[str, str]:
    """paperId -> one BibTeX entry; keys unique within the call, input order kept."""
    papers = _unique(papers)
    keys = citation_keys(papers)
    return {pid: _bib_entry(p, keys[pid]) for p in papers
            for pid in [str(p.get("paperId") or p.get("id") or "")]}


def to_bibtex(papers: Iterable[Paper]) -> str:
    return "\n".join(bibtex_entries(papers).values())


# ---------------------------------------------------------------- RIS

_RIS_TYPES = {"article": "JOUR", "inproceedings": "CPAPER", "book": "BOOK", "thesis": "THES",
              "preprint": "UNPB", "misc": "GEN"}


def to_ris(papers: Iterable[Paper]) -> str:
    records = []
    for p in _unique(papers):
        kind, container = _classify(p)
        first, last = _pages(p)
        lines = [("TY", _RIS_TYPES[kind])]
        lines += [("AU", _ris_name(a)) for a in _authors(p)]
        lines += [("TI", _clean(p.get("title"))), ("PY", str(_year(p) or ""))]
        place = {"article": "JO", "book": "PB", "thesis": "PB"}.get(kind, "T2")
        lines += [(place, container), ("VL", _volume(p, kind)), ("SP", first), ("EP", last),
                  ("DO", _ext(p, "DOI")), ("UR", _link(p)), ("AB", _clean(p.get("abstract")))]
        records.append("".join(f"{tag}  - {value}\r\n" for tag, value in lines if value)
                       + "ER  - \r\n")
    return "\r\n".join(records)


def _ris_name(name: str) -> str:
    parts = _split_name(name)
    if parts is None:
        return name
    first, von, last, jr = parts
    return ", ".join(x for x in (f"{von} {last}".strip(), first, jr) if x)


# ---------------------------------------------------------------- CSL-JSON

_CSL_TYPES = {"article": "article-journal", "inproceedings": "paper-conference", "book": "book",
              "thesis": "thesis", "preprint": "article", "misc": "document"}


def _csl_name(name: str) -> dict[str, str]:
    parts = _split_name(name)
    if parts is None or not parts[0]:
        return {"literal": name}
    first, von, last, jr = parts
    out = {"family": last, "given": first}
    if von:
        out["non-dropping-particle"] = von
    if jr:
        out["suffix"] = jr
    return out


def to_csl_json(papers: Iterable[Paper]) -> str:
    papers = _unique(papers)
    keys = citation_keys(papers)
    items = []
    for p in papers:
        kind, container = _classify(p)
        first, last = _pages(p)
        arxiv, year = _ext(p, "ArXiv"), _year(p)
        item: dict[str, Any] = {
            "id": keys[str(p.get("paperId") or p.get("id") or "")], "type": _CSL_TYPES[kind],
            "title": _clean(p.get("title")), "author": [_csl_name(a) for a in _authors(p)],
            "container-title": container if kind not in ("book", "thesis") else "",
            "publisher": container if kind in ("book", "thesis") else ("arXiv" if kind == "preprint" else ""),
            "number": f"arXiv:{arxiv}" if kind == "preprint" else "",
            "volume": _volume(p, kind), "page": f"{first}-{last}" if last else first,
            "DOI": _ext(p, "DOI"), "URL": _link(p),
        }
        if year is not None:
            item["issued"] = {"date-parts": [[year]]}
        items.append({k: v for k, v in item.items() if v not in ("", [])})
    return json.dumps(items, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# ---------------------------------------------------------------- CSV

_CSV_FIELDS = ["paperId", "title", "authors", "year", "venue", "citationCount", "doi", "arxiv",
               "url"]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # numbers are data, not text a spreadsheet could run
    text = _clean(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(papers: Iterable[Paper]) -> str:
    papers = _unique(papers)
    extra = [f for f in ("similarity", "role") if any(f in p for p in papers)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_CSV_FIELDS + extra)
    for p in papers:
        row = [p.get("paperId") or p.get("id"), p.get("title"), "; ".join(_authors(p)),
               _year(p), p.get("venue"), p.get("citationCount"), _ext(p, "DOI"),
               _ext(p, "ArXiv"), p.get("url")] + [p.get(f) for f in extra]
        writer.writerow(["" if v is None else _csv_cell(v) for v in row])
    return buf.getvalue()


# ---------------------------------------------------------------- map formats


def to_json(map_: dict[str, Any]) -> str:
    # allow_nan=False: NaN/Infinity is not JSON, so fail loudly rather than write it.
    return json.dumps(map_, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def _graph(map_: dict[str, Any]) -> Any:
    import networkx as nx  # lazy: the bibliography formats must not pay for it

    graph = nx.Graph()
    for node in map_.get("nodes") or []:
        authors = _authors(node)
        attrs: dict[str, Any] = {
            "label": f"{_surname(authors[0]) if authors else 'Anonymous'} {_year(node) or ''}".strip(),
            "title": _clean(node.get("title")), "authors": "; ".join(authors),
            "year": _year(node), "venue": _clean(node.get("venue")),
            "citationCount": node.get("citationCount"), "role": _clean(node.get("role")),
            "doi": _ext(node, "DOI"), "arxiv": _ext(node, "ArXiv"),
        }
        for name in ("similarity", "x", "y"):
            if isinstance(node.get(name), (int, float)):
                attrs[name] = float(node[name])  # one XML type per attribute across nodes
        # Attributes must be scalars and never None (the writers reject or mangle those).
        graph.add_node(_clean(node.get("id") or node.get("paperId")),
                       **{k: v for k, v in attrs.items() if v not in (None, "")})
    for edge in map_.get("edges") or []:
        u, v = _clean(edge.get("source")), _clean(edge.get("target"))
        if u in graph and v in graph:  # an edge to a missing node would add a bare node
            weight = edge.get("weight")
            graph.add_edge(u, v, **({"weight": float(weight)} if isinstance(weight, (int, float)) else {}))
    return graph


def to_graphml(map_: dict[str, Any]) -> str:
    from networkx.readwrite.graphml import GraphMLWriter

    # The writer object rather than generate_graphml: that one splits lines with
    # str.splitlines(), which also splits inside values.
    writer = GraphMLWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph_element(_graph(map_))
    return "<?xml version='1.0' encoding='utf-8'?>\n" + str(writer) + "\n"


def to_gexf(map_: dict[str, Any]) -> str:
    from networkx.readwrite.gexf import GEXFWriter

    graph = _graph(map_)
    for _, data in graph.nodes(data=True):
        if "x" in data and "y" in data:  # Gephi opens with the map's own layout
            data["viz"] = {"position": {"x": data["x"], "y": data["y"], "z": 0.0}}
    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph(graph)
    # networkx stamps today's date into <meta>; drop it so output is reproducible.
    writer.xml.find("meta").attrib.pop("lastmodifieddate", None)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + str(writer) + "\n"


# name -> (function, file extension without dot, input kind: "papers" or "map")
FORMATS: dict[str, tuple[Callable[[Any], str], str, str]] = {
    "bibtex": (to_bibtex, "bib", "papers"),
    "ris": (to_ris, "ris", "papers"),
    "csl-json": (to_csl_json, "csl.json", "papers"),
    "csv": (to_csv, "csv", "papers"),
    "json": (to_json, "json", "map"),
    "graphml": (to_graphml, "graphml", "map"),
    "gexf": (to_gexf, "gexf", "map"),
}
