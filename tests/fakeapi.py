"""A fake Semantic Scholar API for the tests (stdlib only), and a replay server for recordings.

    with FakeS2(Corpus.small()) as api:      # threaded HTTP server on 127.0.0.1:<random port>
        client = Client(base_url=api.url)     # the client appends /graph/v1/...
        api.throttle(every=3)                 # fault injection
        api.log, api.count, api.violations    # what the server saw

Corpus (what is served; lists keep insertion order = paging order):
    Corpus.small()                              hand-built default graph, ids in SMALL[name]
    Corpus.from_papers(papers, edges)           API-shaped dicts + (citing, cited[, infl[, intents[, contexts]]])
    Corpus.from_recording(path=None)            neighborhood/ file (cb1ebd91 seed: 67 refs, 23 unresolved, 2167 cits)
    Corpus.from_recordings(paths=None)          every recording under tests/fixtures/s2
    Corpus.from_dataset(dir)                    S2 bulk format: papers/ citations/ [abstracts/ tldrs/] *.jsonl[.gz]
    Corpus.synthetic(n_refs, n_cits, refs_per_neighbour, seed=0)   deterministic graph, corpus.seed
    c.add_paper(rec) c.add_edge(citing, cited, ...) c.add_unresolved_reference(citing, title)
    c.merge(old_id, new_id) c.alias(id_form, pid) c.resolve(id_form) c.references(pid) c.citations(pid)
FakeS2(corpus=None, required_key=None, nested_cap=9999, paper_nested_cap=1000)
    .url .port .corpus .required_key .nested_cap .paper_nested_cap .list_window(10000) .max_limit(1000)
    .max_batch(500) .log [{method, path, query, json, headers, time, status, raw_query}] .count
    .connections (open client connections) .reset() .requests_to(regex) .faults [Fault]
    .violations .dead .start() .close()
Faults (each returns a Fault; common keywords: every=k, prob=p + seed=, seconds=T, after=n,
times=n, path=regex, method=, retry_after= (a value, or a callable asked at each answer)):
    .throttle(**kw) 429   .fail(status=500, **kw)   .slow(delay, **kw)   .drop(**kw)   .hang(delay, **kw)
    .truncate(**kw)   .html_error(status=502, **kw)   .short_batch(missing=1, **kw)
    .die_after(n, mode="drop"|"refuse")   .rate_limit(per_second, burst=1, tolerance=None, retry_after=None)
    .inject(kind, **kw)   .clear_faults()
Replay(interactions) serves recordings verbatim; load_interactions(path), all_interactions(),
recording_files() read them (both cassette layouts and the re-packaged .json files).

The fake answers the way the live API answers in the recordings under tests/fixtures/s2/
(field selection, defaults, paging with `next`, `null` in batch answers, unresolved references,
error bodies and statuses).  Where the recordings do not show a behaviour, the choice made is
marked "NOT RECORDED" in a comment next to it.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import random
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "s2"

# --------------------------------------------------------------------------------------------
# What the live API speaks (field names and their order in answers, messages)
# --------------------------------------------------------------------------------------------

# Order of keys in a paper object as the live API writes them (recorded/Paper.json, batch answers).
PAPER_ORDER = [
    "paperId", "externalIds", "corpusId", "publicationVenue", "url", "title", "abstract", "venue",
    "year", "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess",
    "openAccessPdf", "fieldsOfStudy", "s2FieldsOfStudy", "tldr", "publicationTypes",
    "publicationDate", "journal", "citationStyles", "embedding", "textAvailability", "authors",
    "citations", "references",
]
# BasePaper in the swagger: what a nested paper (citedPaper, citingPaper, citations.X,
# recommendedPapers) can carry.
BASE_PAPER_FIELDS = {
    "paperId", "corpusId", "externalIds", "url", "title", "abstract", "venue", "publicationVenue",
    "year", "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess",
    "openAccessPdf", "fieldsOfStudy", "s2FieldsOfStudy", "publicationTypes", "publicationDate",
    "journal", "citationStyles", "authors",
}
FULL_PAPER_FIELDS = BASE_PAPER_FIELDS | {"citations", "references", "embedding", "tldr", "textAvailability"}
AUTHOR_ORDER = ["authorId", "externalIds", "url", "name", "affiliations", "homepage", "paperCount",
                "citationCount", "hIndex"]
AUTHOR_FIELDS = set(AUTHOR_ORDER)
EDGE_ORDER = ["contexts", "intents", "contextsWithIntent", "isInfluential"]
EDGE_FIELDS = set(EDGE_ORDER)
EMBEDDING_VERSIONS = {"specter_v1", "specter_v2"}

# Bodies the gateway and the service answer with.
FORBIDDEN_BODY = b'{"message":"Forbidden"}'                      # recorded/test_debug.yaml (403)
TOO_MANY_REQUESTS = {
    "message": "Too Many Requests. Please wait and try again or apply for a key for higher rate "
               "limits. https://www.semanticscholar.org/product/api#api-key-form",
    "code": "429",
}
# NOT RECORDED: the material only says "5xx bodies carry message".  500 is the API Gateway
# default text; 504 is the gateway's integration timeout text reported in allenai/s2-folks#58.
SERVER_ERROR_BODIES = {
    500: {"message": "Internal Server Error"},
    502: {"message": "Internal server error"},
    503: {"message": "Service Unavailable"},
    504: {"message": "Endpoint request timed out"},
}
CLOUDFRONT_502_HTML = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">
<TITLE>ERROR: The request could not be satisfied</TITLE>
</HEAD><BODY>
<H1>{status} ERROR</H1>
<H2>The request could not be satisfied.</H2>
<HR noshade size="1px">
CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.
We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.
<BR clear="all">
If you provide content to customers through CloudFront, you can find steps to troubleshoot and help prevent this error by reviewing the CloudFront documentation.
<BR clear="all">
<HR noshade size="1px">
<PRE>
Generated by cloudfront (CloudFront)
Request ID: 6zc4NIMW_Pv1Wt0rCO95424W0VyiM0qGTbAiAMncLi2vbDWu5L8dIw==
</PRE>
<ADDRESS>
</ADDRESS>
</BODY></HTML>"""  # noqa: E501 (CloudFront's page, as served)

# Limits (swagger): batch 500 ids, nested lists "up to 9999 citations at a time", list limit <= 1000.
MAX_BATCH = 500
NESTED_CAP = 9999
# recorded/Paper.json: GET /paper/{id} with citations embedded answered 1000 of 10059 citations.
PAPER_NESTED_CAP = 1000
MAX_LIST_LIMIT = 1000
# Not in the recordings; two independent public reports quote the live answer
# 400 {"error":"offset + limit must be < 10000"} for /citations and /references.
LIST_WINDOW = 10000
SEARCH_WINDOW = 1000
MAX_SEARCH_LIMIT = 100
MAX_RECOMMENDATIONS = 500
TLDR_MODEL = "tldr@v2.0.0"

_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_ID_PREFIX = re.compile(r"^(corpusid|doi|arxiv|mag|acl|pmid|pmcid|url|dblp):(.*)$", re.I | re.S)


def paper_id(name: str) -> str:
    """A stable 40-hex paperId for a test paper name (sha1 of the name)."""
    return hashlib.sha1(("litmap-test:" + str(name)).encode()).hexdigest()


def s2_url(pid: str) -> str:
    return f"https://www.semanticscholar.org/paper/{pid}"


def _norm_doi(doi: str) -> str:
    doi = doi.strip()
    doi = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "", doi, flags=re.I)
    return doi.lower()


def _norm_arxiv(aid: str) -> str:
    aid = aid.strip().lower()
    aid = re.sub(r"^arxiv:", "", aid)
    aid = re.sub(r"\.pdf$", "", aid)
    return re.sub(r"v\d+$", "", aid)


def _norm_query(q: str) -> str:
    return " ".join(re.findall(r"\w+", (q or "").lower()))


def _dumps(obj: Any) -> bytes:
    """Service answers: json with ", " / ": " separators, ASCII escapes and a newline (recorded)."""
    return (json.dumps(obj) + "\n").encode()


def _error(message: str) -> bytes:
    """Service error answers: compact json plus newline, e.g. '{"error":"Paper with id 0 not found"}\\n'."""
    return (json.dumps({"error": message}, separators=(",", ":")) + "\n").encode()


# --------------------------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Edge:
    """One citation: `citing` cites `cited`.  Either side may be None (unresolved): then `stub`
    holds what the API still says about that side (at least a title)."""
    citing: str | None
    cited: str | None
    is_influential: bool = False
    intents: list | None = None
    contexts: list | None = None
    contexts_with_intent: list | None = None
    stub: dict | None = None


class Corpus:
    """The papers and citations a FakeS2 serves.

    papers: paperId -> API-shaped record (any of PAPER_ORDER; missing keys get API-like defaults
    when served: counts from the edges, url from the id, venue "", authors []).
    Reference and citation lists keep insertion order, which is the order the fake pages them in.
    """

    def __init__(self) -> None:
        self.papers: dict[str, dict] = {}
        self.merged: dict[str, str] = {}          # old paperId -> current paperId
        self.seed: str | None = None              # the main paper of a recording / synthetic graph
        self.seeds: list[str] = []
        self.recommendations: dict[Any, list[str]] = {}   # memorised answers (from recordings)
        self.searches: dict[str, tuple[int, dict[int, str]]] = {}
        self.title_matches: dict[str, tuple[str | None, float | None]] = {}
        self.stats: dict[str, int] = {}
        self._refs: dict[str, list[Edge]] = {}
        self._cits: dict[str, list[Edge]] = {}
        self._pairs: set[tuple[str, str]] = set()
        self._index: dict[tuple, str] = {}
        self.authors: dict[str, dict] = {}

    # ---- building ------------------------------------------------------------------------
    def add_paper(self, record: dict, *, overwrite: bool = False) -> str:
        """Add or merge an API-shaped record (must carry paperId).  Existing non-null values win
        unless overwrite=True.  Nested citations/references in the record are ignored here."""
        rec = dict(record)
        pid = rec.get("paperId")
        if not pid:
            raise ValueError("a corpus paper needs a paperId")
        pid = self.merged.get(pid, pid)
        rec.pop("citations", None)
        rec.pop("references", None)
        rec.pop("matchScore", None)
        old = self.papers.get(pid)
        if old is None:
            old = self.papers[pid] = {"paperId": pid}
        for k, v in rec.items():
            if k == "paperId":
                continue
            if overwrite or old.get(k) is None:
                old[k] = v
        if old.get("corpusId") is None:
            cid = (old.get("externalIds") or {}).get("CorpusId")
            if cid is not None:
                old["corpusId"] = int(cid)
        self._index_paper(pid)
        return pid

    def _index_paper(self, pid: str) -> None:
        rec = self.papers[pid]
        self._index[("pid", pid)] = pid
        if rec.get("corpusId") is not None:
            self._index[("corpus", str(rec["corpusId"]))] = pid
        ext = rec.get("externalIds") or {}
        for k, v in ext.items():
            if v is None or v == "":
                continue
            v = str(v)
            if k == "DOI":
                self._index[("doi", _norm_doi(v))] = pid
            elif k == "ArXiv":
                self._index[("arxiv", _norm_arxiv(v))] = pid
            elif k == "CorpusId":
                self._index[("corpus", v)] = pid
            elif k == "PubMed":
                self._index[("pmid", v)] = pid
            elif k == "PubMedCentral":
                self._index[("pmcid", v.upper().removeprefix("PMC"))] = pid
            elif k == "ACL":
                self._index[("acl", v.lower())] = pid
            elif k == "MAG":
                self._index[("mag", v)] = pid
            elif k == "DBLP":
                self._index[("dblp", v)] = pid
        for a in rec.get("authors") or []:
            aid = a.get("authorId") if isinstance(a, dict) else None
            if aid:
                known = self.authors.setdefault(aid, {"authorId": aid, "name": a.get("name")})
                for k, v in a.items():
                    if known.get(k) is None and v is not None:
                        known[k] = v

    def alias(self, alias: str, pid: str) -> None:
        """Make an extra id form (e.g. 'DOI:10.1/x', 'CorpusId:5') answer with paper pid."""
        key = self._key(alias)
        if key is None:
            raise ValueError(f"not an id form the API accepts: {alias!r}")
        self._index[key] = pid

    def add_edge(self, citing: str | None, cited: str | None, is_influential: bool = False,
                 intents: Iterable[str] | None = None, contexts: Iterable[str] | None = None, *,
                 contexts_with_intent: list | None = None, title: str | None = None,
                 stub: dict | None = None, to_references: bool = True,
                 to_citations: bool = True) -> Edge | None:
        """citing cites cited.  cited=None (or citing=None) makes an unresolved entry whose
        visible side is `stub` / `title`.  A second identical resolved pair is ignored."""
        if citing is not None:
            citing = self.merged.get(citing, citing)
        if cited is not None:
            cited = self.merged.get(cited, cited)
        if citing is not None and cited is not None:
            if (citing, cited) in self._pairs:
                return None
            self._pairs.add((citing, cited))
        if (citing is None or cited is None) and stub is None:
            stub = {"title": title}
        e = Edge(citing, cited, bool(is_influential), list(intents) if intents is not None else None,
                 list(contexts) if contexts is not None else None, contexts_with_intent, stub)
        if citing is not None and to_references:
            self._refs.setdefault(citing, []).append(e)
        if cited is not None and to_citations:
            self._cits.setdefault(cited, []).append(e)
        return e

    def add_unresolved_reference(self, citing: str, title: str, **stub: Any) -> Edge:
        """A bibliography entry S2 could not match: citedPaper {"paperId": null, "title": …}."""
        return self.add_edge(citing, None, stub={"title": title, **stub})

    def merge(self, old_id: str, new_id: str) -> None:
        """old_id is a paperId that S2 merged into new_id: asking for it answers with new_id."""
        self.merged[old_id] = new_id
        self._index[("pid", old_id)] = new_id

    # ---- reading -------------------------------------------------------------------------
    def current(self, pid: str) -> str:
        seen = 0
        while pid in self.merged and seen < 10:
            pid = self.merged[pid]
            seen += 1
        return pid

    def references(self, pid: str) -> list[Edge]:
        return self._refs.get(pid, [])

    def citations(self, pid: str) -> list[Edge]:
        return self._cits.get(pid, [])

    def edges(self) -> Iterable[Edge]:
        """Every edge once (reference lists first, then citation-only entries)."""
        seen = set()
        for lst in list(self._refs.values()) + list(self._cits.values()):
            for e in lst:
                if id(e) not in seen:
                    seen.add(id(e))
                    yield e

    def __len__(self) -> int:
        return len(self.papers)

    def __contains__(self, pid: str) -> bool:
        return pid in self.papers

    def __getitem__(self, pid: str) -> dict:
        return self.papers[pid]

    @staticmethod
    def _key(raw: str) -> tuple | None:
        s = (raw or "").strip()
        if _HEX40.match(s.lower()):
            return ("pid", s.lower())
        m = _ID_PREFIX.match(s)
        if m:
            kind, val = m.group(1).lower(), m.group(2).strip()
            if kind == "corpusid":
                return ("corpus", val) if val.isdigit() else None
            if kind == "doi":
                return ("doi", _norm_doi(val))
            if kind == "arxiv":
                return ("arxiv", _norm_arxiv(val))
            if kind == "pmcid":
                return ("pmcid", val.upper().removeprefix("PMC"))
            if kind == "acl":
                return ("acl", val.lower())
            if kind == "url":
                return Corpus._url_key(val)
            return (kind, val)
        if re.match(r"^10\.\d{3,}[^/]*/.+", s):
            return ("doi", _norm_doi(s))
        return ("pid", s) if s else None

    @staticmethod
    def _url_key(url: str) -> tuple | None:
        u = urlsplit(url.strip())
        host = (u.netloc or "").lower()
        path = unquote(u.path)
        if host.endswith("semanticscholar.org"):
            m = re.search(r"/paper/(?:.*/)?([0-9a-fA-F]{40})/?$", path)
            return ("pid", m.group(1).lower()) if m else None
        if host.endswith("arxiv.org"):
            m = re.match(r"^/(?:abs|pdf)/(.+?)/?$", path)
            return ("arxiv", _norm_arxiv(m.group(1))) if m else None
        if host.endswith("aclweb.org") or host.endswith("aclanthology.org"):
            m = re.search(r"([A-Za-z0-9]\d{2}-\d{4}|\d{4}\.[a-z-]+\.\d+)(?:\.pdf)?/?$", path)
            return ("acl", m.group(1).lower()) if m else None
        if host.endswith("acm.org"):
            m = re.search(r"/doi/(?:abs/|pdf/|full/)?(10\..+)$", path)
            return ("doi", _norm_doi(m.group(1))) if m else None
        if host.endswith("biorxiv.org"):
            m = re.search(r"/content/(10\.\d+/[^v]+?\d)(?:v\d+)?(?:\.full.*)?/?$", path)
            return ("doi", _norm_doi(m.group(1))) if m else None
        if host.endswith("doi.org"):
            return ("doi", _norm_doi(path.lstrip("/")))
        return None

    def resolve(self, raw_id: str) -> str | None:
        """The current paperId an id form answers with, or None (-> 404)."""
        key = self._key(raw_id)
        if key is None:
            return None
        pid = self._index.get(key)
        if pid is None and key[0] == "pid" and key[1] in self.papers:
            pid = key[1]
        if pid is None:
            return None
        pid = self.current(pid)
        return pid if pid in self.papers else None

    # ---- constructors --------------------------------------------------------------------
    @classmethod
    def from_papers(cls, papers: Iterable[dict], edges: Iterable = ()) -> Corpus:
        """Hand-built graph.  papers: API-shaped dicts (a normalised litmap Paper works too).
        edges: (citing, cited[, is_influential[, intents[, contexts]]]) tuples or dicts with keys
        citing, cited, isInfluential, intents, contexts, title (cited=None + title = unresolved)."""
        c = cls()
        for p in papers:
            rec = dict(p)
            pid = rec["paperId"]
            if rec.get("corpusId") is None and not (rec.get("externalIds") or {}).get("CorpusId"):
                rec["corpusId"] = int(hashlib.sha1(pid.encode()).hexdigest()[:7], 16)
            if rec.get("corpusId") is not None:
                ext = dict(rec.get("externalIds") or {})
                ext.setdefault("CorpusId", rec["corpusId"])
                rec["externalIds"] = ext
            c.add_paper(rec)
        for e in edges:
            if isinstance(e, dict):
                c.add_edge(e.get("citing"), e.get("cited"), e.get("isInfluential", e.get("is_influential", False)),
                           e.get("intents"), e.get("contexts"), title=e.get("title"),
                           contexts_with_intent=e.get("contextsWithIntent"))
            else:
                c.add_edge(*e)
        return c

    @classmethod
    def from_recording(cls, path: str | Path | None = None) -> Corpus:
        """The neighbourhood recording (default: the cb1ebd91 'Miracle of Microfinance' seed with
        its 67 references, 23 unresolved, and 2167 citations) as a corpus; corpus.seed is set."""
        path = Path(path) if path else next((FIXTURES / "neighborhood").glob("neighborhood__*.json"))
        c = cls.from_recordings([path])
        data = json.loads(Path(path).read_text())
        seed = (data.get("seed") or {}).get("paperId")
        if seed:
            c.seed = c.current(seed)
            c.seeds = [c.seed]
        return c

    @classmethod
    def from_recordings(cls, paths: Iterable[str | Path] | None = None) -> Corpus:
        """Everything the recorded exchanges say about papers: records (paper, batch, match,
        search, recommendations, saved bodies like Paper.json) and reference / citation lists in
        their recorded order.  Search, title-match and recommendation answers are memorised so
        that the fake answers recorded requests the way they were answered.  Ids a list was
        asked for but that no record resolves (e.g. CorpusID:1033682) get a placeholder paper
        whose paperId is sha1 of that id."""
        if paths is None:
            paths = recording_files()
        c = cls()
        inters: list[Interaction] = []
        saved: list[dict] = []
        for p in paths:
            p = Path(p)
            if p.suffix == ".json" and p.parent.name == "recorded":
                saved.append(json.loads(p.read_text()))
            else:
                inters.extend(load_interactions(p))
        # pass 1: records and aliases
        for body in saved:
            if isinstance(body, dict) and body.get("paperId"):
                c.add_paper(body)
        for it in inters:
            if it.status != 200:
                continue
            data = it.json
            kind = it.kind
            if kind == "paper" and isinstance(data, dict) and data.get("paperId"):
                pid = c.add_paper(data)
                c._index.setdefault(c._key(it.paper_ref) or ("none",), pid)
            elif kind == "batch" and isinstance(data, list):
                ids = (it.body or {}).get("ids") or []
                for asked, rec in zip(ids, data):
                    if rec and rec.get("paperId"):
                        pid = c.add_paper(rec)
                        key = c._key(asked)
                        if key:
                            c._index.setdefault(key, pid)
            elif kind == "match" and isinstance(data, dict):
                for rec in data.get("data") or []:
                    pid = c.add_paper(rec)
                    c.title_matches.setdefault(_norm_query(it.param("query")), (pid, rec.get("matchScore")))
            elif kind == "search" and isinstance(data, dict):
                q = _norm_query(it.param("query"))
                total, pos = c.searches.get(q, (0, {}))
                total = data.get("total", total)
                off = int(it.param("offset") or 0)
                for i, rec in enumerate(data.get("data") or []):
                    pos[off + i] = c.add_paper(rec)
                c.searches[q] = (int(total), pos)
            elif kind in ("recommend", "recommend_lists") and isinstance(data, dict):
                ids = [c.add_paper(r) for r in data.get("recommendedPapers") or [] if r.get("paperId")]
                if kind == "recommend":
                    key = ("forpaper", it.paper_ref, it.param("from") or "recent")
                else:
                    b = it.body or {}
                    key = ("lists", tuple(b.get("positivePaperIds") or ()), tuple(b.get("negativePaperIds") or ()))
                c.recommendations.setdefault(key, ids)
        for it in inters:   # recorded "Title match not found"
            if it.kind == "match" and it.status == 404:
                c.title_matches.setdefault(_norm_query(it.param("query")), (None, None))
        # pass 2: lists, grouped per (paper, kind) from the first source that has them
        lists: dict[tuple[str, str], list[Interaction]] = {}
        first_source: dict[tuple[str, str], str] = {}
        for it in inters:
            if it.status != 200 or it.kind not in ("references", "citations"):
                continue
            pid = c.resolve(it.paper_ref)
            if pid is None:
                pid = hashlib.sha1(it.paper_ref.encode()).hexdigest()
                rec = {"paperId": pid}
                m = re.match(r"(?i)corpusid:(\d+)$", it.paper_ref)
                if m:
                    rec.update(corpusId=int(m.group(1)), externalIds={"CorpusId": int(m.group(1))})
                c.add_paper(rec)
                c.alias(it.paper_ref, pid)
                c.stats["placeholders"] = c.stats.get("placeholders", 0) + 1
            key = (pid, it.kind)
            src = first_source.setdefault(key, it.source.split("#")[0])
            if src == it.source.split("#")[0]:
                lists.setdefault(key, []).append(it)
        for body in saved:   # nested lists of saved bodies (Paper.json), when nothing better
            if isinstance(body, dict) and body.get("paperId"):
                pid = c.current(body["paperId"])
                for kind in ("references", "citations"):
                    if body.get(kind) and (pid, kind) not in lists:
                        lists[(pid, kind)] = [_SavedList(kind, body[kind])]
        primary = set(lists)
        for (pid, kind), pages in lists.items():
            items: list[dict] = []
            seen_offsets = set()
            for page in sorted(pages, key=lambda it: int(it.param("offset") or 0)):
                off = int(page.param("offset") or 0)
                if off in seen_offsets:
                    continue
                seen_offsets.add(off)
                items.extend(page.items())
            other_key = "citedPaper" if kind == "references" else "citingPaper"
            for item in items:
                other = item.get(other_key) if other_key in item else item
                if other is None:
                    continue
                opid = other.get("paperId")
                stub = None
                if opid:
                    opid = c.add_paper(other)
                else:
                    stub = {k: v for k, v in other.items() if k != "paperId"}
                kw = dict(is_influential=item.get("isInfluential", False), intents=item.get("intents"),
                          contexts=item.get("contexts"), contexts_with_intent=item.get("contextsWithIntent"),
                          stub=stub)
                if kind == "references":
                    c._add_recorded_edge(pid, opid, to_citations=(opid, "citations") not in primary, **kw)
                else:
                    c._add_recorded_edge(opid, pid, to_references=(opid, "references") not in primary, **kw)
        return c

    def _add_recorded_edge(self, citing, cited, *, to_references=True, to_citations=True, **kw):
        # lists from recordings keep duplicates out per list, not per pair, so that two
        # recorded lists of the same pair both show it.
        e = Edge(citing, cited, bool(kw.get("is_influential")), kw.get("intents"), kw.get("contexts"),
                 kw.get("contexts_with_intent"), kw.get("stub"))
        if citing is not None and to_references:
            self._refs.setdefault(citing, []).append(e)
        if cited is not None and to_citations:
            self._cits.setdefault(cited, []).append(e)
        if citing is not None and cited is not None:
            self._pairs.add((citing, cited))

    @classmethod
    def from_dataset(cls, directory: str | Path, *, keep_dangling: bool = False) -> Corpus:
        """A directory in the S2 bulk-dataset format: papers/*.jsonl[.gz] (corpusid, externalids,
        url .../paper/<40hex>, title, authors, year, venue, citationcount, referencecount, journal,
        publicationtypes, publicationdate, …), citations/*.jsonl[.gz] (citingcorpusid,
        citedcorpusid, isinfluential, intents, contexts) and optional abstracts/ and tldrs/.
        Edges whose ends are not in papers/ are dropped (counted in stats['dangling']) unless
        keep_dangling=True; a null citedcorpusid is an unresolved reference (title null)."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._from_dataset(Path(directory), keep_dangling)
        finally:
            if was_enabled:
                gc.enable()

    @classmethod
    def _from_dataset(cls, root: Path, keep_dangling: bool) -> Corpus:
        c = cls()
        by_corpus: dict[int, str] = {}
        for row in _read_jsonl_dir(root / "papers"):
            pid = _pid_from_url(row.get("url")) or (row.get("sha") or row.get("paperid"))
            if not pid:
                c.stats["no_paper_id"] = c.stats.get("no_paper_id", 0) + 1
                continue
            cid = _int_or_none(row.get("corpusid"))
            ext = {}
            for k, v in (row.get("externalids") or {}).items():
                if v is None or v == "":
                    continue
                ext[k] = int(v) if k == "CorpusId" else str(v)
            if cid is not None:
                ext.setdefault("CorpusId", cid)
            s2fos = row.get("s2fieldsofstudy")
            fos = None
            if s2fos:
                fos = list(dict.fromkeys(f["category"] for f in s2fos if f.get("source") == "external")) or None
            rec = {
                "paperId": pid, "corpusId": cid, "externalIds": ext,
                "url": row.get("url") or s2_url(pid), "title": row.get("title"),
                "abstract": None, "venue": row.get("venue") if row.get("venue") is not None else "",
                "publicationVenue": None, "year": row.get("year"),
                "referenceCount": row.get("referencecount"), "citationCount": row.get("citationcount"),
                "influentialCitationCount": row.get("influentialcitationcount"),
                "isOpenAccess": row.get("isopenaccess"), "openAccessPdf": None,
                "fieldsOfStudy": fos, "s2FieldsOfStudy": s2fos,
                "publicationTypes": row.get("publicationtypes"),
                "publicationDate": row.get("publicationdate"), "journal": row.get("journal"),
                "authors": [{"authorId": a.get("authorId"), "name": a.get("name")} for a in row.get("authors") or []],
            }
            c.add_paper(rec)
            if cid is not None:
                by_corpus[cid] = pid
        for row in _read_jsonl_dir(root / "abstracts"):
            pid = by_corpus.get(_int_or_none(row.get("corpusid")))
            if pid and row.get("abstract"):
                c.papers[pid]["abstract"] = row["abstract"]
        for row in _read_jsonl_dir(root / "tldrs"):
            pid = by_corpus.get(_int_or_none(row.get("corpusid")))
            if pid and row.get("text"):
                c.papers[pid]["tldr"] = {"model": row.get("model") or TLDR_MODEL, "text": row["text"]}
        by_str = {str(k): v for k, v in by_corpus.items()}
        refs, cits, pairs = c._refs, c._cits, c._pairs
        for row in _read_jsonl_dir(root / "citations"):
            a, b = row.get("citingcorpusid"), row.get("citedcorpusid")
            citing = by_str.get(str(a)) if a is not None else None
            if citing is None:
                c.stats["dangling"] = c.stats.get("dangling", 0) + 1
                continue
            intents = row.get("intents")
            if intents and isinstance(intents[0], list):
                intents = _flat_intents(intents)
            if b is None or b == "":
                c.add_edge(citing, None, bool(row.get("isinfluential")), intents, row.get("contexts"), title=None)
                c.stats["unresolved"] = c.stats.get("unresolved", 0) + 1
                continue
            cited = by_str.get(str(b))
            if cited is None:
                if not keep_dangling:
                    c.stats["dangling"] = c.stats.get("dangling", 0) + 1
                    continue
                raw_cited = int(b)
                cited = hashlib.sha1(f"CorpusId:{raw_cited}".encode()).hexdigest()
                c.add_paper({"paperId": cited, "corpusId": raw_cited, "externalIds": {"CorpusId": raw_cited}})
                by_str[str(b)] = cited
            if (citing, cited) in pairs:
                continue
            pairs.add((citing, cited))
            e = Edge(citing, cited, bool(row.get("isinfluential")), intents, row.get("contexts"), None, None)
            refs.setdefault(citing, []).append(e)
            cits.setdefault(cited, []).append(e)
        return c

    @classmethod
    def synthetic(cls, n_refs: int = 100, n_cits: int = 300, refs_per_neighbour: int = 40, seed: int = 0,
                  *, pool: int | None = None, unresolved: float = 0.1, year: int = 2015) -> Corpus:
        """A deterministic graph around corpus.seed: n_refs references (plus ~unresolved*n_refs
        unresolved ones), n_cits citing papers, and every neighbour with ~refs_per_neighbour
        references drawn from the seed's references, older citing papers and a pool of 2-hop
        papers, so coupling and co-citation are non-trivial.  Same arguments -> same ids, records,
        lists and order.  synthetic(100, 300, 40) is the benchmark shape; synthetic(20, 50_000, 2)
        a fan-out (50,000 citations: more than the 10,000 the list window lets a client page)."""
        was_enabled = gc.isenabled()
        gc.disable()      # tens of thousands of small dicts: the collector would dominate
        try:
            return cls._synthetic(n_refs, n_cits, refs_per_neighbour, seed, pool, unresolved, year)
        finally:
            if was_enabled:
                gc.enable()

    @classmethod
    def _synthetic(cls, n_refs, n_cits, refs_per_neighbour, seed, pool, unresolved, year) -> Corpus:
        pool = pool if pool is not None else max(50, 2 * n_refs, 4 * refs_per_neighbour)
        c = cls()
        words, first, last, venues = _WORDS, _FIRST, _LAST, _VENUES
        nw = len(words)
        text = [words[(i * 7 + i // nw) % nw] for i in range(4096)]
        n_authors = max(20, (n_refs + n_cits + pool) // 3)
        ptypes = (["JournalArticle"], ["Conference"], ["JournalArticle", "Review"])

        def pid_of(i: int) -> str:
            return hashlib.sha1(f"synthetic:{seed}:{i}".encode()).hexdigest()

        def make(i: int, yr: int) -> None:
            pid = pid_of(i)
            h = hashlib.sha1(f"meta:{seed}:{i}".encode()).digest()
            nt = 4 + h[0] % 6
            title = " ".join(words[h[1 + k] % nw] for k in range(nt)).capitalize()
            authors = []
            for k in range(1 + h[10] % 4):
                a = (h[11 + k] * 256 + h[15 + k]) % n_authors
                aid = str(100000 + a)
                name = f"{first[a % len(first)]} {last[(a * 7) % len(last)]}"
                authors.append({"authorId": aid, "name": name})
                c.authors.setdefault(aid, {"authorId": aid, "name": name})
            venue = venues[h[19] % len(venues)]
            cid = 10_000_000 + seed * 1_000_000 + i
            ext = {"DOI": f"10.5555/synth.{seed}.{i}", "CorpusId": cid}
            if h[2] & 1:
                ext["ArXiv"] = f"{yr % 100:02d}{(i % 12) + 1:02d}.{i:05d}"
            o = (h[3] * 16 + h[4]) % 4000
            rec = {
                "paperId": pid, "corpusId": cid, "externalIds": ext, "url": s2_url(pid), "title": title,
                "abstract": (" ".join(text[o:o + 30]).capitalize() + ".") if h[5] % 5 else None,
                "tldr": {"model": TLDR_MODEL, "text": title + " is studied."} if h[6] & 1 else None,
                "venue": venue, "year": yr,
                "journal": {"name": venue, "volume": str(1 + h[7] % 60), "pages": f"{1 + h[8] * 3}-{800 + h[8]}"},
                "publicationTypes": ptypes[h[9] % 3],
                "publicationDate": f"{yr}-{1 + h[12] % 12:02d}-{1 + h[13] % 28:02d}",
                "authors": authors, "isOpenAccess": bool(h[14] & 1),
            }
            c.papers[pid] = rec
            idx = c._index
            idx[("pid", pid)] = pid
            idx[("corpus", str(cid))] = pid
            idx[("doi", ext["DOI"])] = pid
            if "ArXiv" in ext:
                idx[("arxiv", ext["ArXiv"])] = pid

        # index layout: 0 seed, 1..n_refs refs, then citers, then pool
        ref_ix = list(range(1, n_refs + 1))
        cit_ix = list(range(n_refs + 1, n_refs + n_cits + 1))
        pool_ix = list(range(n_refs + n_cits + 1, n_refs + n_cits + pool + 1))
        make(0, year)
        for j, i in enumerate(ref_ix):
            make(i, year - 1 - (j * 25) // max(1, n_refs))
        for j, i in enumerate(cit_ix):
            make(i, year + 1 + (j * 9) // max(1, n_cits))
        for j, i in enumerate(pool_ix):
            make(i, year - 2 - (j * 30) // max(1, pool))
        pids = [pid_of(i) for i in range(n_refs + n_cits + pool + 1)]
        seed_pid = pids[0]
        c.seed = seed_pid
        c.seeds = [seed_pid]
        intents_pool = ([], [], [], ["background"], ["methodology"], ["result"], ["background", "methodology"])
        refs, cits = c._refs, c._cits

        def edge(a: int, b: int, r: random.Random) -> None:
            x = r.random()
            e = Edge(pids[a], pids[b], x < 0.12, list(intents_pool[int(x * 1000) % 7]),
                     [f"... as shown in [{int(x * 97) + 1}] ..."] if int(x * 1000) % 2 else [], None, None)
            refs.setdefault(e.citing, []).append(e)
            cits.setdefault(e.cited, []).append(e)

        def unresolved_ref(a: int, u: int) -> None:
            title = f"Unpublished note {a}-{u} on {words[(a + u) % nw]} {words[(a * 3 + u) % nw]}"
            c.add_edge(pids[a], None, stub={"title": title})

        rng = random.Random(f"litmap-synthetic:{seed}")
        n_unres = int(round(unresolved * n_refs))
        step = max(1, n_refs // n_unres) if n_unres else 0
        for j, i in enumerate(ref_ix):       # seed references, unresolved ones interleaved
            edge(0, i, rng)
            if n_unres and j % step == 0 and j // step < n_unres:
                unresolved_ref(0, j)
        for i in cit_ix:
            edge(i, 0, rng)
        spread = refs_per_neighbour // 5
        for j, i in enumerate(ref_ix):       # references of the references: older refs + pool
            r = random.Random(f"refs:{seed}:{i}")
            k = max(0, refs_per_neighbour + (r.randint(-spread, spread) if spread else 0))
            older = n_refs - j - 1
            picks = [ref_ix[j + 1 + x] for x in r.sample(range(older), min(older, k // 2))]
            picks += [pool_ix[x] for x in r.sample(range(len(pool_ix)), min(len(pool_ix), k - len(picks)))]
            for t in picks:
                edge(i, t, r)
            if unresolved and r.random() < unresolved * 3:
                unresolved_ref(i, 0)
        for j, i in enumerate(cit_ix):       # references of the citers: seed refs, older citers, pool
            r = random.Random(f"refs:{seed}:{i}")
            k = max(0, refs_per_neighbour - 1 + (r.randint(-spread, spread) if spread else 0))
            picks = [ref_ix[x] for x in r.sample(range(n_refs), min(n_refs, k // 2))]
            n_c = min(j, k // 6)
            picks += [cit_ix[x] for x in r.sample(range(j), n_c)] if n_c else []
            picks += [pool_ix[x] for x in r.sample(range(len(pool_ix)), min(len(pool_ix), max(0, k - len(picks))))]
            for t in picks:
                edge(i, t, r)
            if unresolved and r.random() < unresolved * 3:
                unresolved_ref(i, 0)
        return c

    @classmethod
    def small(cls) -> Corpus:
        """The hand-built default corpus of the `fake_api` fixture; ids in SMALL (name -> paperId).
        seed (DOI 10.1234/seed.2020, arXiv 2001.00001) cites r1..r5 and maldacena, plus one
        unresolved reference (7 references; r1 and r4 influential, intents on r1, r2, r4);
        c1..c6 cite the seed (6 citations; c1 influential) and some of r1..r5 and each other;
        c2 also cites 'merged-old', a paperId merged into r5 (asking for it answers r5);
        maldacena has the old-style arXiv id hep-th/9711200; r1 PMID 111111, r2 MAG 2222222 and
        PMCID 333333, r3 ACL P63-1001; 'lonely' has no edges."""
        P = SMALL
        def paper(name, title, year, **kw):
            authors = kw.pop("authors", [{"authorId": "1001", "name": "Ada Lovelace"}])
            return {"paperId": P[name], "title": title, "year": year, "authors": authors,
                    "venue": kw.pop("venue", "Journal of Tests"),
                    "abstract": kw.pop("abstract", f"About {title.lower()}."),
                    "journal": kw.pop("journal", {"name": "Journal of Tests", "volume": "1", "pages": "1-10"}),
                    "publicationTypes": kw.pop("publicationTypes", ["JournalArticle"]),
                    "publicationDate": kw.pop("publicationDate", f"{year}-01-15"), **kw}
        papers = [
            paper("seed", "The Seed Paper on Literature Maps", 2020,
                  externalIds={"DOI": "10.1234/seed.2020", "ArXiv": "2001.00001"},
                  authors=[{"authorId": "1001", "name": "Ada Lovelace"}, {"authorId": "1002", "name": "Alan Turing"}],
                  tldr={"model": TLDR_MODEL, "text": "Maps of literature from citations."}),
            paper("r1", "Citation Analysis Foundations", 2001, externalIds={"DOI": "10.1234/r1", "PubMed": "111111"}),
            paper("r2", "Co-citation in Scientific Literature", 1973,
                  externalIds={"MAG": "2222222", "PubMedCentral": "333333"},
                  authors=[{"authorId": "2001", "name": "Henry Small"}]),
            paper("r3", "Bibliographic Coupling Between Scientific Papers", 1963, externalIds={"ACL": "P63-1001"},
                  authors=[{"authorId": "2002", "name": "M. M. Kessler"}], journal=None, publicationTypes=[]),
            paper("r4", "Networks of Scientific Papers", 1965, externalIds={"DOI": "10.1126/science.149.3683.510"},
                  authors=[{"authorId": "2003", "name": "Derek J. de Solla Price"}]),
            paper("r5", "A Survey of Graph Layout", 2010, externalIds={"ArXiv": "1001.12345"}),
            paper("c1", "Mapping Science With Citation Graphs", 2021),
            paper("c2", "Local Citation Networks for Reviews", 2022, abstract=None),
            paper("c3", "<i>Connected</i> Papers and $\\alpha$-Maps", 2022),
            paper("c4", "Recommending Related Work", 2023, venue="", journal=None),
            paper("c5", "A Reproduction of Literature Maps", 2023, publicationDate=None),
            paper("c6", "Literature Maps Revisited", 2024),
            paper("maldacena", "The Large N Limit of Superconformal Field Theories and Supergravity", 1997,
                  externalIds={"ArXiv": "hep-th/9711200", "DOI": "10.1023/A:1026654312961"},
                  authors=[{"authorId": "3001", "name": "J. Maldacena"}], venue="Adv. Theor. Math. Phys."),
            paper("lonely", "A Paper Nobody Cites", 2019, authors=[]),
        ]
        edges = [
            ("seed", "r1", True, ["background"]), ("seed", "r2", False, ["methodology"]),
            ("seed", "r3", False, []), ("seed", "r4", True, ["background", "result"]), ("seed", "r5"),
            ("seed", "maldacena"),
            ("r1", "r2"), ("r1", "r3"), ("r4", "r3"), ("r5", "r1"),
            ("c1", "seed", True, ["methodology"]), ("c1", "r1"), ("c1", "r2"),
            ("c2", "seed"), ("c2", "r1"), ("c2", "c1"),
            ("c3", "seed"), ("c3", "r2"), ("c3", "r3"),
            ("c4", "seed", False, ["result"]), ("c4", "c1"), ("c4", "c2"),
            ("c5", "seed"), ("c5", "r4"), ("c6", "seed"), ("c6", "c5"), ("c6", "r1"),
        ]
        c = cls.from_papers(papers, [(P[e[0]], P[e[1]], *e[2:]) for e in edges])
        c.add_unresolved_reference(P["seed"], "An Unpublished Manuscript on Maps", year=1999)
        c.merge(P["merged-old"], P["r5"])
        c.add_edge(P["c2"], P["merged-old"])      # recorded against the old id, served as r5
        c.seed = P["seed"]
        c.seeds = [P["seed"]]
        return c


SMALL = {name: paper_id(name) for name in (
    "seed", "r1", "r2", "r3", "r4", "r5", "c1", "c2", "c3", "c4", "c5", "c6", "maldacena", "lonely",
    "merged-old")}

_WORDS = ("quantum field string gauge duality entropy black hole boundary conformal lattice "
          "network citation graph map cluster topology learning inference model theory symmetry "
          "anomaly spectrum brane flux vacuum moduli scattering amplitude renormalization").split()
_FIRST = "Ada Alan Grace Emmy Paul Lise Niels Marie Juan Chen Priya Olu Sofia Ivan Mei Omar".split()
_LAST = "Noether Dirac Curie Bohr Meitner Hopper Turing Lovelace Ramanujan Yukawa Okafor Petrova Santos Kim".split()
_VENUES = ["Phys. Rev. D", "JHEP", "Nucl. Phys. B", "Commun. Math. Phys.", "NeurIPS", "Scientometrics", ""]


class _SavedList:
    """A nested citations/references list from a saved body (Paper.json), seen as one page."""
    def __init__(self, kind: str, papers: list):
        self.kind = kind
        self._papers = papers
        self.source = "saved"

    def param(self, name):
        return None

    def items(self):
        key = "citedPaper" if self.kind == "references" else "citingPaper"
        return [{key: p} for p in self._papers]


def _int_or_none(v) -> int | None:
    try:
        return int(v) if v is not None and v != "" else None
    except (TypeError, ValueError):
        return None


def _pid_from_url(url) -> str | None:
    if not url:
        return None
    m = re.search(r"([0-9a-f]{40})/?$", str(url))
    return m.group(1) if m else None


def _flat_intents(intents) -> list | None:
    if intents is None:
        return None
    out = []
    for x in intents:
        if isinstance(x, list):
            out.extend(y for y in x if y not in out)
        elif x not in out:
            out.append(x)
    return out


def _read_jsonl_dir(d: Path) -> Iterable[dict]:
    if not d.is_dir():
        return
    for f in sorted(d.iterdir()):
        name = f.name
        if name.endswith(".gz"):
            text = gzip.decompress(f.read_bytes()).decode("utf-8")
        elif name.endswith((".jsonl", ".json")):
            text = f.read_text(encoding="utf-8")
        else:
            continue
        # one decode per file: per-line json.loads costs more than the parsing itself
        lines = [ln for ln in text.splitlines() if ln.strip()]
        del text
        yield from json.loads("[" + ",".join(lines) + "]")


# --------------------------------------------------------------------------------------------
# Field selection
# --------------------------------------------------------------------------------------------

class FieldError(Exception):
    pass


def parse_fields(raw: str | None, *, top: set[str], nested: dict[str, set[str]], edge: bool = False):
    """-> (spec, edge_fields) where spec maps a top field to the set of requested subfields.
    Raises FieldError('Unrecognized or unsupported fields: [a, b]')."""
    spec: dict[str, set] = {}
    edges: list[str] = []
    bad: list[str] = []
    names = [f.strip() for f in (raw or "").split(",") if f.strip()]
    for name in names:
        if edge and name in EDGE_FIELDS:
            if name not in edges:
                edges.append(name)
            continue
        if "." in name:
            head, sub = name.split(".", 1)
            if head in nested and (sub in nested[head] or (head in ("citations", "references") and sub == "paperId")):
                spec.setdefault(head, set()).add(sub)
            elif head in ("citations", "references") and head in nested and sub.startswith("authors.") \
                    and sub.split(".", 1)[1] in AUTHOR_FIELDS:
                spec.setdefault(head, set()).add(sub)
            else:
                bad.append(name)
        elif name in top:
            spec.setdefault(name, set())
        else:
            bad.append(name)
    if bad:
        raise FieldError("Unrecognized or unsupported fields: [" + ", ".join(bad) + "]")
    return spec, edges


PAPER_NESTED = {"authors": AUTHOR_FIELDS, "citations": BASE_PAPER_FIELDS, "references": BASE_PAPER_FIELDS,
                "embedding": EMBEDDING_VERSIONS}
BASE_NESTED = {"authors": AUTHOR_FIELDS}


def _subspec(sub: set[str]) -> dict[str, set]:
    """Subfields of citations.X / references.X as a paper spec (default: title)."""
    spec: dict[str, set] = {}
    for s in sub:
        if s.startswith("authors."):
            spec.setdefault("authors", set()).add(s.split(".", 1)[1])
        else:
            spec.setdefault(s, set())
    if not spec:
        spec["title"] = set()
    return spec


def _bibtex(pid: str, rec: dict) -> str:
    authors = " and ".join(a.get("name") or "" for a in rec.get("authors") or [])
    first = ((rec.get("authors") or [{}])[0].get("name") or "Anon").split()[-1]
    key = f"{first}{rec.get('year') or ''}{''.join(w[:1] for w in (rec.get('title') or '').split()[:3])}"
    return (f"@Article{{{key},\n author = {{{authors}}},\n title = {{{rec.get('title') or ''}}},\n"
            f" year = {{{rec.get('year') or ''}}}\n}}\n")


class _Renderer:
    def __init__(self, corpus: Corpus):
        self.c = corpus
        # NOT RECORDED: whether a nested list is in the paginated endpoint's order. The fake
        # keeps that order; reverse_nested=True serves nested lists in the opposite order, so
        # a client cannot silently depend on it.
        self.reverse_nested = False

    def value(self, pid: str, rec: dict, name: str, sub: set, cap: int):
        c = self.c
        if name == "paperId":
            return pid
        if name == "authors":
            authors = rec.get("authors", [])
            if authors is None:
                return None
            return [self.author(a, sub) for a in authors]
        if name in ("citations", "references"):
            edges = c.citations(pid) if name == "citations" else c.references(pid)
            if self.reverse_nested:
                edges = edges[::-1]
            spec = _subspec(sub)
            out = []
            for e in edges[:cap]:
                other = e.citing if name == "citations" else e.cited
                out.append(self.paper(other, spec, cap) if other else self.stub(e.stub or {}, spec))
            return out
        if name == "tldr":
            t = rec.get("tldr")
            return {"model": TLDR_MODEL, "text": t} if isinstance(t, str) else t
        if name == "citationCount":
            v = rec.get(name)
            return v if v is not None else len(c.citations(pid))
        if name == "referenceCount":
            v = rec.get(name)
            return v if v is not None else len(c.references(pid))
        if name == "influentialCitationCount":
            v = rec.get(name)
            return v if v is not None else sum(1 for e in c.citations(pid) if e.is_influential)
        if name == "url":
            return rec.get("url") or s2_url(pid)
        if name == "venue":
            v = rec.get("venue")
            return "" if v is None else v
        if name == "isOpenAccess":
            return bool(rec.get("isOpenAccess"))
        if name == "externalIds":
            v = rec.get("externalIds")
            if v is None and rec.get("corpusId") is not None:
                v = {"CorpusId": rec["corpusId"]}
            return v if v is not None else {}
        if name == "citationStyles":
            return rec.get("citationStyles") or {"bibtex": _bibtex(pid, rec)}
        return rec.get(name)

    def author(self, a: dict, sub: set) -> dict:
        a = a or {}
        known = self.c.authors.get(a.get("authorId") or "", {})
        out = {}
        for f in AUTHOR_ORDER:
            if f in ("authorId", "name") or f in sub:
                v = a.get(f)
                out[f] = v if v is not None else known.get(f)
        return out

    def paper(self, pid: str, spec: dict[str, set], cap: int) -> dict:
        pid = self.c.current(pid)
        rec = self.c.papers.get(pid) or {"paperId": pid}
        out = {"paperId": pid}
        for name in PAPER_ORDER:
            if name in spec and name != "paperId":
                out[name] = self.value(pid, rec, name, spec[name], cap)
        return out

    def stub(self, stub: dict, spec: dict[str, set]) -> dict:
        """An unresolved paper: paperId null, what the bibliography gave, null elsewhere."""
        out = {"paperId": None}
        for name in PAPER_ORDER:
            if name in spec and name != "paperId":
                v = stub.get(name)
                if name == "authors":
                    v = [self.author(a, spec[name]) for a in v or []]
                out[name] = v
        return out

    def edge(self, e: Edge, kind: str, edge_fields: list[str], spec: dict[str, set]) -> dict:
        item: dict = {}
        for f in EDGE_ORDER:
            if f in edge_fields:
                if f == "contexts":
                    item[f] = list(e.contexts or [])
                elif f == "intents":
                    item[f] = list(e.intents or [])
                elif f == "isInfluential":
                    item[f] = bool(e.is_influential)
                else:
                    cwi = e.contexts_with_intent
                    if cwi is None:
                        cwi = [{"context": t, "intents": list(e.intents or [])} for t in e.contexts or []]
                    item[f] = cwi
        if kind == "references":
            item["citedPaper"] = self.paper(e.cited, spec, 0) if e.cited else self.stub(e.stub or {}, spec)
        else:
            item["citingPaper"] = self.paper(e.citing, spec, 0) if e.citing else self.stub(e.stub or {}, spec)
        return item


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------

@dataclass
class Fault:
    """One injected misbehaviour.  kind: 'status' (answer `status` with `body`), 'html' (CloudFront
    HTML error page), 'drop' (close the connection, no answer), 'truncate' (JSON cut short,
    honest Content-Length), 'short_batch' (batch answer missing its last `missing` items),
    'slow' (sleep `delay` then answer normally), 'hang' (sleep `delay`, then drop).
    When: every matching request, or every `every`-th, or with probability `prob` (seeded by
    `seed`), or during `seconds` from the first matching request; after skipping `after`
    matching requests; at most `times` times.  Matching: `path` regex searched in the decoded
    path, `method`.  retry_after: a Retry-After header value, or a callable giving one."""
    kind: str = "status"
    status: int | None = None
    every: int | None = None
    prob: float | None = None
    seconds: float | None = None
    after: int = 0
    times: int | None = None
    path: str | None = None
    method: str | None = None
    retry_after: Any = None
    delay: float = 0.0
    body: Any = None
    missing: int = 1
    seed: int = 0
    seen: int = 0
    hits: int = 0
    _rng: random.Random | None = field(default=None, repr=False)
    _start: float | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not self.path or re.search(self.path, path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def header(self) -> str:
        """The Retry-After value; a callable retry_after is asked at each answer (an HTTP date
        relative to when the 429 is sent, whenever that is)."""
        return str(self.retry_after() if callable(self.retry_after) else self.retry_after)

    def fire(self, now: float) -> bool:
        self.seen += 1
        if self.seen <= self.after or self.exhausted:
            return False
        n = self.seen - self.after
        if self.seconds is not None:
            if self._start is None:
                self._start = now
            ok = now - self._start < self.seconds
        elif self.every:
            ok = n % self.every == 0
        elif self.prob is not None:
            if self._rng is None:
                self._rng = random.Random(self.seed)
            ok = self._rng.random() < self.prob
        else:
            ok = True
        if ok:
            self.hits += 1
        return ok


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that timed out and hung up is normal in fault tests: stay quiet about it.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gunicorn"
    sys_version = ""
    timeout = 60
    # Headers and body leave in two send()s; with Nagle on, each kept-alive request would wait
    # ~40 ms for a delayed ACK, a delay no real API shows.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    # Open connections are counted, so a test can wait until a client's requests are all in
    # the log (a killed client's last connection is closed and read to its end).
    def setup(self):
        super().setup()
        with self.server.app._lock:
            self.server.app.connections += 1

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.app._lock:
                self.server.app.connections -= 1

    def do_GET(self):
        self.server.app._handle(self, "GET")

    def do_POST(self):
        self.server.app._handle(self, "POST")

    def do_PUT(self):
        self.server.app._handle(self, "PUT")

    def do_DELETE(self):
        self.server.app._handle(self, "DELETE")


class _Base:
    """Server plumbing shared by FakeS2 and Replay."""

    def __init__(self):
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self.log: list[dict] = []
        self.port: int | None = None
        self.connections = 0  # open client connections

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def count(self) -> int:
        return len(self.log)

    def start(self):
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.app = self
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"{type(self).__name__}:{self.port}", daemon=True)
            self._thread.start()
        return self

    def close(self):
        srv, self._server = self._server, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()

    stop = close

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def _read(self, h) -> tuple[str, str, dict, dict, bytes, Any, dict]:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length > 0 else b""
        split = urlsplit(h.path)
        path = unquote(split.path)
        qs = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[0] for k, v in qs.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in h.headers.items()}
        return path, split.query, query, qs, raw, body, headers

    @staticmethod
    def _send(h, status: int, body: bytes, ctype: str = "application/json", headers: dict | None = None):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Access-Control-Allow-Origin", "*")
        for k, v in (headers or {}).items():
            h.send_header(k, str(v))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    @staticmethod
    def _drop(h):
        h.close_connection = True
        try:
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeS2(_Base):
    """The fake API.  Attributes tests may set: required_key, nested_cap (batch, 9999),
    paper_nested_cap (GET /paper, 1000), list_window (10000), max_limit (1000), max_batch (500),
    reverse_nested (nested lists in the opposite of the paginated order; default False).
    Read: url, port, log (dicts: method, path, query, json, headers, time, status), count,
    connections (open client connections), violations (rate-limit mode), faults."""

    def __init__(self, corpus: Corpus | None = None, *, required_key: str | None = None,
                 nested_cap: int = NESTED_CAP, paper_nested_cap: int = PAPER_NESTED_CAP):
        super().__init__()
        self.corpus = corpus if corpus is not None else Corpus.small()
        self.required_key = required_key
        self.nested_cap = nested_cap
        self.paper_nested_cap = paper_nested_cap
        self.list_window = LIST_WINDOW
        self.max_limit = MAX_LIST_LIMIT
        self.max_batch = MAX_BATCH
        self.faults: list[Fault] = []
        self.violations: list[dict] = []
        self._rate: tuple[float, float, float] | None = None   # (per_second, burst, tolerance)
        self._rate_retry_after = None
        self._tokens = 0.0
        self._last = None
        self._die_at: int | None = None
        self._die_mode = "drop"
        self.dead = False
        self._r = _Renderer(self.corpus)

    @property
    def reverse_nested(self) -> bool:
        return self._r.reverse_nested

    @reverse_nested.setter
    def reverse_nested(self, value: bool) -> None:
        self._r.reverse_nested = value

    # ---- bookkeeping -------------------------------------------------------------------
    def reset(self, faults: bool = True) -> None:
        """Forget the log and violations; also the faults, rate limit and death unless faults=False."""
        with self._lock:
            self.log.clear()
            self.violations.clear()
            if faults:
                self.clear_faults()

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self._rate = None
            self._die_at = None
            self.dead = False

    def requests_to(self, pattern: str, method: str | None = None) -> list[dict]:
        """Logged requests whose path matches the regex."""
        return [r for r in self.log if re.search(pattern, r["path"]) and (method is None or r["method"] == method)]

    # ---- fault API ---------------------------------------------------------------------
    def inject(self, kind: str = "status", **kw) -> Fault:
        f = Fault(kind=kind, **kw)
        with self._lock:
            self.faults.append(f)
        return f

    def throttle(self, **kw) -> Fault:
        """429 Too Many Requests (body as the live API) — e.g. throttle(every=3),
        throttle(prob=0.3, seed=1), throttle(seconds=2.0, retry_after=1), throttle(times=2)."""
        kw.setdefault("body", TOO_MANY_REQUESTS)
        return self.inject("status", status=429, **kw)

    def fail(self, status: int = 500, **kw) -> Fault:
        """A 5xx (or any status) answer with the gateway's {"message": …} body."""
        kw.setdefault("body", SERVER_ERROR_BODIES.get(status, {"message": "Internal Server Error"}))
        return self.inject("status", status=status, **kw)

    def slow(self, delay: float, **kw) -> Fault:
        return self.inject("slow", delay=delay, **kw)

    def drop(self, **kw) -> Fault:
        return self.inject("drop", **kw)

    def hang(self, delay: float = 30.0, **kw) -> Fault:
        return self.inject("hang", delay=delay, **kw)

    def truncate(self, **kw) -> Fault:
        return self.inject("truncate", **kw)

    def html_error(self, status: int = 502, **kw) -> Fault:
        return self.inject("html", status=status, **kw)

    def short_batch(self, missing: int = 1, **kw) -> Fault:
        kw.setdefault("path", r"/paper/batch$")
        return self.inject("short_batch", missing=missing, **kw)

    def die_after(self, n: int, mode: str = "drop") -> None:
        """Answer n more requests, then die: mode 'drop' closes every later connection without an
        answer; 'refuse' also closes the listening socket (connection refused)."""
        with self._lock:
            self._die_at = self.count + n
            self._die_mode = mode

    def rate_limit(self, per_second: float | None, burst: int = 1, tolerance: float | None = None,
                   retry_after: Any = None) -> None:
        """Token bucket: more than per_second requests per second (burst allowed) get 429 and are
        recorded in violations.  tolerance (seconds, default a quarter of the interval but at most
        50 ms) absorbs scheduling jitter between the client's clock and ours.  None switches it off."""
        if per_second is not None and tolerance is None:
            tolerance = min(0.05, 0.25 / float(per_second))
        with self._lock:
            self._rate = None if per_second is None else (float(per_second), float(burst), float(tolerance))
            self._rate_retry_after = retry_after
            self._tokens = float(burst)
            self._last = None

    # ---- request handling ----------------------------------------------------------------
    def _handle(self, h, method: str) -> None:
        path, raw_query, query, qs, raw, body, headers = self._read(h)
        now = time.monotonic()
        entry = {"method": method, "path": path, "query": query, "json": body, "headers": headers,
                 "time": now, "status": None, "raw_query": raw_query}
        delay = 0.0
        action: Fault | None = None
        with self._lock:
            self.log.append(entry)
            n = len(self.log)
            if self._die_at is not None and n > self._die_at:
                self.dead = True
            dead = self.dead
            if not dead:
                key_ok = self.required_key is None or headers.get("x-api-key") == self.required_key
                if key_ok and self._rate is not None:
                    rate, burst, tol = self._rate
                    if self._last is not None:
                        self._tokens = min(burst, self._tokens + (now - self._last) * rate)
                    self._last = now
                    if self._tokens >= 1.0 - tol * rate:
                        self._tokens = max(0.0, self._tokens - 1.0)
                    else:
                        wait = (1.0 - self._tokens) / rate
                        self.violations.append({"time": now, "method": method, "path": path, "wait": wait, "n": n})
                        action = Fault("status", status=429, body=TOO_MANY_REQUESTS, retry_after=self._rate_retry_after)
                if key_ok and action is None:
                    for f in self.faults:
                        if f.matches(method, path) and not f.exhausted and f.fire(now):
                            if f.kind == "slow":
                                delay += f.delay
                                continue
                            action = f
                            break
        if dead:
            entry["status"] = "dead"
            if self._die_mode == "refuse" and self._server is not None:
                threading.Thread(target=self.close, daemon=True).start()
            self._drop(h)
            return
        if not key_ok:
            entry["status"] = 403
            self._send(h, 403, FORBIDDEN_BODY, headers={"x-amzn-ErrorType": "ForbiddenException",
                                                       "X-Cache": "Error from cloudfront"})
            return
        if delay:
            time.sleep(delay)
        if action is not None:
            if action.kind == "hang":
                time.sleep(action.delay)
                entry["status"] = "dropped"
                self._drop(h)
                return
            if action.kind == "drop":
                entry["status"] = "dropped"
                self._drop(h)
                return
            if action.kind == "status":
                b = action.body if action.body is not None \
                    else SERVER_ERROR_BODIES.get(action.status, {"message": "Error"})
                if isinstance(b, (dict, list)):
                    b = json.dumps(b).encode()
                elif isinstance(b, str):
                    b = b.encode()
                hdrs = {}
                if action.retry_after is not None:
                    hdrs["Retry-After"] = action.header()
                entry["status"] = action.status
                self._send(h, action.status, b, headers=hdrs)
                return
            if action.kind == "html":
                status = action.status or 502
                page = CLOUDFRONT_502_HTML.replace("{status}", str(status)).encode("latin-1")
                entry["status"] = status
                hdrs = {"X-Cache": "Error from cloudfront", "Via": "1.1 fake.cloudfront.net (CloudFront)"}
                if action.retry_after is not None:
                    hdrs["Retry-After"] = action.header()
                self._send(h, status, page, ctype="text/html", headers=hdrs)
                return
        try:
            status, payload = self._route(method, path, query, qs, body)
        except Exception as exc:  # a bug in the fake must not look like a network error
            status, payload = 500, json.dumps({"message": f"fake server error: {exc!r}"}).encode()
        if action is not None and status == 200:
            if action.kind == "short_batch":
                data = json.loads(payload)
                if isinstance(data, list):
                    payload = _dumps(data[: max(0, len(data) - action.missing)])
            elif action.kind == "truncate":
                payload = payload[: max(1, len(payload) // 2)]
        entry["status"] = status
        self._send(h, status, payload, headers={"x-amzn-RequestId": f"fake-{n:08d}"})

    # ---- routing ------------------------------------------------------------------------
    def _route(self, method: str, path: str, q: dict, qs: dict, body) -> tuple[int, bytes]:
        if path.startswith("/graph/v1/"):
            rest = path[len("/graph/v1/"):]
            if rest.startswith("paper/"):
                sub = rest[len("paper/"):]
                if sub == "batch":
                    if method != "POST":
                        # NOT RECORDED: GET on the batch route; the service reads 'batch' as an id.
                        return 404, _error("Paper with id batch not found")
                    return self._batch(q, body)
                if method != "GET":
                    return 403, b'{"message":"Missing Authentication Token"}'
                if sub in ("search/match", "search/match/"):
                    return self._match(q)
                if sub in ("search", "search/"):
                    return self._search(q)
                for kind in ("references", "citations", "authors"):
                    if sub.endswith("/" + kind):
                        return self._list(sub[: -len(kind) - 1], kind, q)
                return self._paper(sub, q)
            if rest.startswith("author/") and method == "GET":
                return self._author(rest[len("author/"):], q)
        if path.startswith("/recommendations/v1/papers"):
            rest = path[len("/recommendations/v1/papers"):]
            if rest.startswith("/forpaper/") and method == "GET":
                return self._recommend_for(rest[len("/forpaper/"):], q)
            if rest in ("", "/") and method == "POST":
                return self._recommend_lists(q, body)
        # NOT RECORDED: API Gateway's answer for a route it does not have.
        return 403, b'{"message":"Missing Authentication Token"}'

    def _paper(self, raw_id: str, q: dict):
        pid = self.corpus.resolve(raw_id)
        if pid is None:   # recorded: the 404 comes before field validation (paper/0?fields=t,i,t,l,e)
            return 404, _error(f"Paper with id {raw_id} not found")
        try:
            spec, _ = parse_fields(q.get("fields") or "title", top=FULL_PAPER_FIELDS, nested=PAPER_NESTED)
        except FieldError as e:
            return 400, _error(str(e))
        return 200, _dumps(self._r.paper(pid, spec, self.paper_nested_cap))

    def _batch(self, q: dict, body):
        try:
            spec, _ = parse_fields(q.get("fields") or "title", top=FULL_PAPER_FIELDS, nested=PAPER_NESTED)
        except FieldError as e:
            return 400, _error(str(e))
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            # NOT RECORDED: wording of a malformed batch body.
            return 400, _error('Unacceptable request body: expected {"ids": [<paper id>, ...]}')
        if len(ids) > self.max_batch:
            # NOT RECORDED: the swagger says "Can only process 500 paper ids at a time".
            return 400, _error(f"Cannot process more than {self.max_batch} ids at a time (got {len(ids)})")
        out = []
        for raw in ids:
            pid = self.corpus.resolve(raw)
            out.append(None if pid is None else self._r.paper(pid, spec, self.nested_cap))
        return 200, _dumps(out)

    def _paging(self, q: dict, max_limit: int, window: int, default_limit: int = 100):
        bad = []
        try:
            offset = int(q.get("offset") or 0)
            if offset < 0:
                raise ValueError
        except ValueError:
            bad.append(f"offset={q.get('offset')}")
            offset = 0
        try:
            limit = int(q.get("limit") or default_limit)
            if limit < 1 or limit > max_limit:   # NOT RECORDED: wording (swagger's documented form)
                raise ValueError
        except ValueError:
            bad.append(f"limit={q.get('limit')}")
            limit = default_limit
        if bad:
            return None, None, _error("Unacceptable query params: [" + ", ".join(bad) + "]")
        if offset + limit >= window:
            msg = ("offset + limit must be < %d" % window if window == self.list_window else
                   "Relevance search offset + limit must be < %d. Consider '/paper/search/bulk'" % window)
            return None, None, _error(msg)
        return offset, limit, None

    def _list(self, raw_id: str, kind: str, q: dict):
        pid = self.corpus.resolve(raw_id)
        if pid is None:
            return 404, _error(f"Paper with id {raw_id} not found")
        if kind == "authors":
            return self._paper_authors(pid, q)
        try:
            spec, edge_fields = parse_fields(q.get("fields"), top=BASE_PAPER_FIELDS, nested=BASE_NESTED, edge=True)
        except FieldError as e:
            return 400, _error(str(e))
        if not spec:      # no paper field asked for: the nested paper gets paperId and title
            spec["title"] = set()
        offset, limit, err = self._paging(q, self.max_limit, self.list_window)
        if err:
            return 400, err
        edges = self.corpus.references(pid) if kind == "references" else self.corpus.citations(pid)
        page = edges[offset: offset + limit]
        out: dict = {"offset": offset}
        if offset + limit < len(edges):
            out["next"] = offset + limit
        out["data"] = [self._r.edge(e, kind, edge_fields, spec) for e in page]
        return 200, _dumps(out)

    def _paper_authors(self, pid: str, q: dict):
        authors = self.corpus.papers[pid].get("authors") or []
        try:
            aspec = self._author_spec(q)
        except FieldError as e:
            return 400, _error(str(e))
        offset, limit, err = self._paging(q, 1000, 10 ** 9)
        if err:
            return 400, err
        out: dict = {"offset": offset}
        if offset + limit < len(authors):
            out["next"] = offset + limit
        out["data"] = [self._author_json(a.get("authorId"), a, aspec) for a in authors[offset: offset + limit]]
        return 200, _dumps(out)

    def _author_spec(self, q: dict) -> dict:
        spec: dict[str, set] = {}
        bad = []
        for name in [f.strip() for f in (q.get("fields") or "name").split(",") if f.strip()]:
            if name in AUTHOR_FIELDS or name == "papers":
                spec.setdefault(name, set())
            elif name.startswith("papers.") and name[7:] in BASE_PAPER_FIELDS:
                spec.setdefault("papers", set()).add(name[7:])
            else:
                bad.append(name)
        if bad:
            raise FieldError("Unrecognized or unsupported fields: [" + ", ".join(bad) + "]")
        return spec

    def _author_json(self, aid, a: dict, spec: dict) -> dict:
        known = {**self.corpus.authors.get(aid or "", {}), **{k: v for k, v in (a or {}).items() if v is not None}}
        out = {"authorId": aid}
        for f in AUTHOR_ORDER[1:]:
            if f in spec:
                out[f] = known.get(f)
        if "papers" in spec:
            pspec = _subspec(spec["papers"])
            out["papers"] = [self._r.paper(pid, pspec, 0) for pid, rec in self.corpus.papers.items()
                             if any((x or {}).get("authorId") == aid for x in rec.get("authors") or [])]
        return out

    def _author(self, aid: str, q: dict):
        if aid not in self.corpus.authors:
            return 404, _error(f"Author with id {aid} not found")
        try:
            spec = self._author_spec(q)
        except FieldError as e:
            return 400, _error(str(e))
        return 200, _dumps(self._author_json(aid, {}, spec))

    def _match(self, q: dict):
        try:
            spec, _ = parse_fields(q.get("fields") or "title", top=FULL_PAPER_FIELDS, nested=PAPER_NESTED)
        except FieldError as e:
            return 400, _error(str(e))
        query = q.get("query") or ""
        nq = _norm_query(query)
        if nq in self.corpus.title_matches:
            pid, score = self.corpus.title_matches[nq]
            pid = self.corpus.current(pid) if pid else None
        else:
            pid, score = self._best_title(nq)
        if pid is None or pid not in self.corpus.papers:
            return 404, _error("Title match not found")
        rec = self._r.paper(pid, spec, self.paper_nested_cap)
        rec["matchScore"] = score if score is not None else 100.0
        return 200, _dumps({"data": [rec]})

    def _best_title(self, nq: str):
        qt = nq.split()
        if not qt:
            return None, None
        qs = set(qt)
        best = (0.0, 0.0, None)
        for pid, rec in self.corpus.papers.items():
            t = rec.get("title")
            if not t:
                continue
            tt = set(_norm_query(t).split())
            if not tt:
                continue
            common = len(qs & tt)
            if not common:
                continue
            overlap = common / len(qs)
            coverage = common / len(tt)
            if overlap >= 0.75 and coverage >= 0.3 and (overlap, coverage) > best[:2]:
                best = (overlap, coverage, pid)
        if best[2] is None:
            return None, None
        return best[2], round(50.0 + 60.0 * best[0] + 30.0 * best[1], 5)

    def _search(self, q: dict):
        try:
            spec, _ = parse_fields(q.get("fields") or "title", top=FULL_PAPER_FIELDS - {"citations", "references"},
                                   nested=BASE_NESTED)
        except FieldError as e:
            return 400, _error(str(e))
        offset, limit, err = self._paging(q, MAX_SEARCH_LIMIT, SEARCH_WINDOW)
        if err:
            return 400, err
        nq = _norm_query(q.get("query") or "")
        if nq in self.corpus.searches:
            total, pos = self.corpus.searches[nq]
            ids = [pos[i] for i in range(offset, offset + limit) if i in pos]
        else:
            words = nq.split()
            hits = []
            if words:
                for pid, rec in self.corpus.papers.items():
                    text = _norm_query(f"{rec.get('title') or ''} {rec.get('abstract') or ''}")
                    tw = set(text.split())
                    if all(w in tw for w in words):
                        hits.append(pid)
            hits.sort(key=lambda p: (-(self.corpus.papers[p].get("citationCount") or len(self.corpus.citations(p))), p))
            total = len(hits)
            ids = hits[offset: offset + limit]
        if total == 0:
            return 200, _dumps({"total": 0, "offset": 0})   # recorded: no data key
        out: dict = {"total": total, "offset": offset}
        if offset + limit < total:
            out["next"] = offset + limit
        out["data"] = [self._r.paper(p, spec, 0) for p in ids]
        return 200, _dumps(out)

    def _recommend_spec(self, q: dict):
        return parse_fields(q.get("fields") or "title", top=BASE_PAPER_FIELDS, nested=BASE_NESTED)[0]

    def _rec_limit(self, q):
        try:
            limit = int(q.get("limit") or 100)
            if limit < 0 or limit > MAX_RECOMMENDATIONS:
                raise ValueError
            return limit, None
        except ValueError:   # NOT RECORDED: wording
            return None, _error(f"Unacceptable query params: [limit={q.get('limit')}]")

    def _recommend_for(self, raw_id: str, q: dict):
        pid = self.corpus.resolve(raw_id)
        if pid is None:   # NOT RECORDED: wording of the recommendations 404
            return 404, _error(f"Paper with id {raw_id} not found")
        try:
            spec = self._recommend_spec(q)
        except FieldError as e:
            return 400, _error(str(e))
        limit, err = self._rec_limit(q)
        if err:
            return 400, err
        pool = q.get("from") or "recent"
        ids = self.corpus.recommendations.get(("forpaper", raw_id, pool))
        if ids is None:
            ids = self._similar([pid], [])
        return 200, _dumps({"recommendedPapers": [self._r.paper(p, spec, 0) for p in ids[:limit]]})

    def _recommend_lists(self, q: dict, body):
        try:
            spec = self._recommend_spec(q)
        except FieldError as e:
            return 400, _error(str(e))
        limit, err = self._rec_limit(q)
        if err:
            return 400, err
        body = body if isinstance(body, dict) else {}
        pos = body.get("positivePaperIds") or []
        neg = body.get("negativePaperIds") or []
        ids = self.corpus.recommendations.get(("lists", tuple(pos), tuple(neg)))
        if ids is None:
            p = [x for x in (self.corpus.resolve(i) for i in pos) if x]
            n = [x for x in (self.corpus.resolve(i) for i in neg) if x]
            if not p:   # NOT RECORDED: wording
                return 404, _error("Input papers not found")
            ids = self._similar(p, n)
        return 200, _dumps({"recommendedPapers": [self._r.paper(x, spec, 0) for x in ids[:limit]]})

    def _similar(self, positive: list[str], negative: list[str]) -> list[str]:
        c = self.corpus
        score: dict[str, float] = {}
        for sign, group in ((1.0, positive), (-1.0, negative)):
            for pid in group:
                for e in c.references(pid):          # bibliographic coupling
                    if e.cited:
                        for e2 in c.citations(e.cited):
                            if e2.citing:
                                score[e2.citing] = score.get(e2.citing, 0.0) + sign
                for e in c.citations(pid):           # co-citation
                    if e.citing:
                        for e2 in c.references(e.citing):
                            if e2.cited:
                                score[e2.cited] = score.get(e2.cited, 0.0) + sign
        for pid in positive + negative:
            score.pop(pid, None)
        ranked = sorted(score.items(), key=lambda kv: (-kv[1], -(c.papers.get(kv[0], {}).get("year") or 0), kv[0]))
        return [p for p, s in ranked if s > 0 and p in c.papers]


# --------------------------------------------------------------------------------------------
# Recorded exchanges and the replay server
# --------------------------------------------------------------------------------------------

_DEFAULT_PARAMS = {"offset": "0", "limit": "100", "from": "recent"}


@dataclass
class Interaction:
    """One recorded request and its answer, from either cassette layout or a re-packaged file."""
    method: str
    url: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    headers: dict[str, str]
    content: bytes
    source: str
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self):
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    def param(self, name: str) -> str | None:
        v = self.query.get(name)
        return v[0] if v else None

    @property
    def path_and_query(self) -> str:
        s = urlsplit(self.url)
        return s.path + ("?" + s.query if s.query else "")

    @property
    def kind(self) -> str:
        p = self.path
        if p.startswith("/recommendations/v1/papers/forpaper/"):
            return "recommend"
        if p.rstrip("/") == "/recommendations/v1/papers":
            return "recommend_lists"
        if p.startswith("/graph/v1/author/"):
            return "author"
        if p == "/graph/v1/paper/batch":
            return "batch"
        if p == "/graph/v1/paper/search/match":
            return "match"
        if p == "/graph/v1/paper/search":
            return "search"
        for k in ("references", "citations", "authors"):
            if p.startswith("/graph/v1/paper/") and p.endswith("/" + k):
                return k if k != "authors" else "paper_authors"
        if p.startswith("/graph/v1/paper/"):
            return "paper"
        return "other"

    @property
    def paper_ref(self) -> str | None:
        """The paper id as written in the path (paper, list and recommendation routes)."""
        p = self.path
        if p.startswith("/recommendations/v1/papers/forpaper/"):
            return p[len("/recommendations/v1/papers/forpaper/"):]
        if p.startswith("/graph/v1/paper/"):
            rest = p[len("/graph/v1/paper/"):]
            for k in ("references", "citations", "authors"):
                if rest.endswith("/" + k):
                    return rest[: -len(k) - 1]
            return rest
        return None

    def items(self) -> list:
        data = self.json
        return (data or {}).get("data") or [] if isinstance(data, dict) else []

    def match_key(self) -> tuple:
        return (self.method, self.path, _norm_params(self.query), _canon(self.body))


def _norm_params(query: dict[str, list[str]]) -> tuple:
    out = []
    for k, vals in sorted(query.items()):
        v = vals[-1] if vals else ""
        if _DEFAULT_PARAMS.get(k) == v:
            continue
        if k == "fields":
            v = ",".join(sorted(x.strip() for x in v.split(",") if x.strip()))
        out.append((k, v))
    return tuple(out)


def _canon(body) -> str | None:
    return None if body in (None, "", b"") else json.dumps(body, sort_keys=True)


def _headers_of(raw: dict) -> dict[str, str]:
    out = {}
    for k, v in (raw or {}).items():
        out[k] = v[0] if isinstance(v, list) else v
    return out


def _text(v) -> bytes:
    if v is None:
        return b""
    if isinstance(v, bytes):
        return v
    return str(v).encode()


def load_interactions(path: str | Path) -> list[Interaction]:
    """Recorded exchanges of a VCR cassette (.yaml; both layouts: response.body.string + status.code,
    or response.content + status_code) or of a re-packaged .json (neighborhood/, more/)."""
    path = Path(path)
    out: list[Interaction] = []
    if path.suffix in (".yaml", ".yml"):
        # PyYAML is a test extra and only cassettes need it: the benchmarks also run this
        # fake server, on a plain install
        import yaml
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for i, it in enumerate(data.get("interactions") or []):
            rq, rs = it["request"], it["response"]
            if isinstance(rs.get("body"), dict):
                content = _text(rs["body"].get("string"))
                status = int(rs["status"]["code"])
            else:
                content = _text(rs.get("content"))
                status = int(rs.get("status_code") or (rs.get("status") or {}).get("code"))
            body = rq.get("body")
            if isinstance(body, (bytes, str)) and body:
                try:
                    body = json.loads(body)
                except ValueError:
                    pass
            else:
                body = None if not body else body
            out.append(_interaction(rq["method"], rq["uri"], body, status, _headers_of(rs.get("headers")),
                                    content, f"{path.name}#{i}", _headers_of(rq.get("headers"))))
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, it in enumerate(data.get("interactions") or []):
            content = (json.dumps(it["response"]) + "\n").encode()
            out.append(_interaction(it["method"], it["url"], it.get("request_json"), int(it["status"]),
                                    {"Content-Type": "application/json"}, content, f"{path.name}#{i}", {}))
    return out


def _interaction(method, url, body, status, headers, content, source, req_headers) -> Interaction:
    s = urlsplit(url)
    return Interaction(method.upper(), url, unquote(s.path), parse_qs(s.query, keep_blank_values=True), body,
                       status, headers, content, source, {k.lower(): v for k, v in req_headers.items()})


def recording_files(root: str | Path | None = None) -> list[Path]:
    """Every recording under tests/fixtures/s2: cassettes (recorded/, rich-fields/, newer-2025/),
    neighborhood/ and more/ (the saved bodies recorded/*.json are not exchanges)."""
    root = Path(root) if root else FIXTURES
    files = sorted((root / "recorded").rglob("*.yaml"))
    files += sorted((root / "neighborhood").glob("*.json")) + sorted((root / "more").glob("*.json"))
    return files


def all_interactions(root: str | Path | None = None) -> list[Interaction]:
    out = []
    for f in recording_files(root):
        out.extend(load_interactions(f))
    return out


class Replay(_Base):
    """Serves recorded exchanges verbatim.  A request matches an exchange on method, decoded path,
    query (fields compared as a set; offset=0, limit=100, from=recent treated as absent) and,
    for POST, the JSON body.  Several matches are served in turn (the last one repeats).
    No match -> 418 {"error": "replay: no recorded exchange for …"} and an entry in unmatched."""

    def __init__(self, interactions: Iterable[Interaction]):
        super().__init__()
        self.interactions = list(interactions)
        self._by_key: dict[tuple, list[Interaction]] = {}
        for it in self.interactions:
            self._by_key.setdefault(it.match_key(), []).append(it)
        self._served: dict[tuple, int] = {}
        self.unmatched: list[dict] = []
        self.served: list[Interaction] = []

    def _handle(self, h, method: str) -> None:
        path, raw_query, query, qs, raw, body, headers = self._read(h)
        key = (method, path, _norm_params(qs), _canon(body if body is not None else (raw.decode() if raw else None)))
        entry = {"method": method, "path": path, "query": query, "json": body, "headers": headers,
                 "time": time.monotonic(), "status": None, "raw_query": raw_query}
        with self._lock:
            self.log.append(entry)
            cands = self._by_key.get(key)
            it = None
            if cands:
                i = self._served.get(key, 0)
                it = cands[min(i, len(cands) - 1)]
                self._served[key] = i + 1
                self.served.append(it)
            else:
                self.unmatched.append(entry)
        if it is None:
            entry["status"] = 418
            self._send(h, 418, _error(f"replay: no recorded exchange for {method} {path}?{raw_query}"))
            return
        hdrs = {k: v for k, v in it.headers.items() if k.lower() == "retry-after"}
        ctype = next((v for k, v in it.headers.items() if k.lower() == "content-type"), "application/json")
        entry["status"] = it.status
        self._send(h, it.status, it.content, ctype=ctype, headers=hdrs)
