"""The records a map is made of (docs/internals.md), and the rules every module applies to them.

* ``Paper``: the normalised record the client (``s2.normalise_paper``) and the dataset reader
  (``bulk.normalise_record``) produce; ``Node``, ``ListedWork``, ``MissingPaper``, ``Cluster``
  and ``Changes`` are what a map adds. They are TypedDicts: plain dicts that round-trip through
  JSON, typed for readers and mypy.
* ``stub_paper``: a Paper with every key present and only what is known filled in.
* ``clean``, ``cap``, ``year``, ``external_id``, ``unique``: untrusted text and fields, read the
  same way by every output.
* ``paper_aliases``: which external ids name a paper in the cache (the alias rules).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Iterable, Literal, TypedDict

from litmap.ids import alias_key

__all__ = [
    "Author", "Journal", "Paper", "Node", "ListedWork", "Evidence", "MissingPaper", "Cluster", "Changes",
    "PAPER_KEYS", "EXTERNAL_IDS", "stub_paper", "clean", "cap", "pid", "year", "external_id", "unique",
    "paper_aliases", "sane_text", "terminal_text",
]


class Author(TypedDict):
    authorId: str | None
    name: str


class Journal(TypedDict):
    name: str | None
    volume: str | None
    pages: str | None


class Paper(TypedDict):
    """docs/internals.md "Paper": every key present, unknown values None (lists: [])."""

    paperId: str
    corpusId: int | None
    externalIds: dict[str, str]
    title: str | None  # untrusted text: may hold HTML, LaTeX, control characters
    abstract: str | None
    tldr: str | None
    authors: list[Author]
    year: int | None
    venue: str | None
    journal: Journal | None
    publicationTypes: list[str]
    publicationDate: str | None
    citationCount: int | None
    referenceCount: int | None
    url: str | None


class _NodeKeys(Paper):
    id: str
    role: Literal["seed", "related"]
    similarity: float  # score relative to the best related paper (1.0); seeds 1.0
    share: float  # share of the seeds' (recency-weighted) citers citing it
    coupling: int
    cocitation: int
    rank: int  # 0 for seeds, 1..N for related papers
    x: float
    y: float
    cluster: int | None
    cluster_label: str | None


class Node(_NodeKeys, total=False):
    """A paper drawn on the map."""

    new: bool  # new since the last version of this map (history.track)


class ListedWork(Paper):
    """A Prior or Derivative work: ``count`` map papers cite it (Prior) or it cites (Derivative)."""

    id: str
    count: int
    links: list[str]


class Evidence(TypedDict):
    cited_by: int
    cites: int
    cocited: int
    coupled: int


class MissingPaper(Node):
    """A suggestion for a library map, with why it is suggested."""

    evidence: Evidence
    why: str


class Cluster(TypedDict):
    id: int  # 0 = largest
    label: str | None
    terms: list[str]
    size: int


class Dropped(TypedDict):
    id: str
    title: str | None
    year: int | None


Mover = TypedDict("Mover", {"id": str, "title": str | None, "from": int, "to": int})


class Changes(TypedDict):
    """What changed since the last map of the same seeds (history.track)."""

    since: str  # YYYY-MM-DD of the version compared with
    new: list[str]
    dropped: list[Dropped]
    movers: list[Mover]
    versions: int


PAPER_KEYS: tuple[str, ...] = tuple(Paper.__annotations__)

# externalIds key -> the id kind of litmap.ids (alias prefix): how the cache names a paper
EXTERNAL_IDS = {"ArXiv": "arxiv", "DOI": "doi", "CorpusId": "corpusid", "PubMed": "pmid",
                "PubMedCentral": "pmcid", "ACL": "acl", "MAG": "mag"}


YEARS = range(1000, 3000)  # what a publication year can be: -5, 0 or 20201 is no year


def publication_year(value: Any) -> int | None:
    """A publication year from untrusted data, or None for anything that cannot be one."""
    try:
        y = None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return y if y is not None and y in YEARS else None


def stub_paper(paper_id: str | None, title: str | None = None, year: int | None = None,
               citations: int | None = None, references: int | None = None,
               date: str | None = None) -> dict[str, Any]:
    """A Paper holding only what is known (a list item carries id, counts, year and date, maybe a
    title); every other key present and empty. Cheap: a crawl stores tens of thousands of these."""
    return {"paperId": paper_id, "corpusId": None, "externalIds": {}, "title": title, "abstract": None,
            "tldr": None, "authors": [], "year": year, "venue": None, "journal": None,
            "publicationTypes": [], "publicationDate": date, "citationCount": citations,
            "referenceCount": references, "url": None}


def paper_aliases(paper: Paper | dict[str, Any]) -> list[tuple[str, str]]:
    """(alias, paperId) for every external id of the paper, as litmap.ids.alias_key writes them."""
    pid_ = paper["paperId"]
    out = [(alias_key(EXTERNAL_IDS[k], v), pid_) for k, v in (paper.get("externalIds") or {}).items()
           if k in EXTERNAL_IDS]
    if paper.get("corpusId") is not None:
        out.append((alias_key("corpusid", str(paper["corpusId"])), pid_))
    return out


# ---------------------------------------------------------------- untrusted text and fields

# What clean drops: controls (category Cc, i.e. C0 and C1) that are not whitespace, surrogates
# (Cs) and the non-characters U+FFFE/F. One regex pass: a per-character test costs seconds
# on the megabyte-sized fields hostile metadata can hold.
_UNPRINTABLE = re.compile("[" + "".join(re.escape(chr(i)) for i in (*range(0x20), *range(0x7F, 0xA0))
                                        if not chr(i).isspace()) + "\ud800-\udfff\ufffe\uffff]")


def clean(value: Any) -> str:
    """Untrusted text -> one line of printable text ('' for None)."""
    if value is None:
        return ""
    # Non-whitespace controls (NUL, ESC, DEL) vanish; surrogates and U+FFFE/F cannot be
    # encoded or are illegal XML. Any whitespace (tab, newline, U+2028, NEL) becomes one
    # space, so no value can start a new RIS tag or CSV record.
    # NFC last: a dropped control may have separated a letter from its accent.
    s = _UNPRINTABLE.sub("", str(value))
    return unicodedata.normalize("NFC", " ".join(s.split()))


# What a terminal must not be sent: controls (C0, DEL and C1, where ESC and CSI move the cursor
# or recolour) become spaces; bidi embeddings, overrides and isolates (and the marks), which
# reorder the text shown around them, go.
_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(value: Any) -> str:
    """Untrusted text -> one line that a terminal shows as it is ('' for None)."""
    return " ".join(_BIDI.sub("", _TERMINAL_CONTROLS.sub(" ", str(value or ""))).split())


_SURROGATE = re.compile("[\ud800-\udfff]")


def sane_text(value: str) -> str:
    """Half a surrogate pair ("\\ud83d", which JSON may escape) as U+FFFD: no UTF-8 store or
    file can hold it. What the client and the dataset reader do to every text they read."""
    return _SURROGATE.sub("\ufffd", value)


def cap(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def pid(paper: dict[str, Any]) -> str:
    return str(paper.get("paperId") or paper.get("id") or "")


def year(paper: dict[str, Any]) -> int | None:
    """The paper's year as every output writes it: a hostile -5 or 20201 (a saved map, a record
    given to the Python API) is no year, as the client and the dataset reader already say."""
    return publication_year(paper.get("year"))


def external_id(paper: dict[str, Any], name: str) -> str:
    return clean((paper.get("externalIds") or {}).get(name))


def unique(papers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeated paperIds (first wins): every export is keyed by paperId."""
    seen: set[str] = set()
    return [p for p in papers if not (pid(p) in seen or seen.add(pid(p)))]  # type: ignore[func-returns-value]


def published_since(paper: Any, day: dt.date) -> bool:
    """Published on or after `day`. A paper whose date is unknown counts as published on
    1 January of its year (the Semantic Scholar API's own rule for its date filters); with no
    year either, it is not."""
    date = paper.get("publicationDate") if isinstance(paper, dict) else None
    if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        try:
            return dt.date.fromisoformat(date) >= day
        except ValueError:
            pass
    year = paper.get("year") if isinstance(paper, dict) else None
    return isinstance(year, int) and dt.date(year, 1, 1) >= day
