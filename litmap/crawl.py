"""Neighbourhood expansion: from seeds to the citation lists a map needs, in few requests.

The plan, the same whatever the source (live API, cache only, or a bulk dataset index):
  1. the seeds' own references and citations (paginated, with isInfluential and intents);
  2. the references of every one of those neighbours, 500 papers per /paper/batch call with
     nested `references.paperId`: this reveals what is co-cited with the seed;
  3. (depth 2) the citers of the seeds' references, most specific references first, within the
     budget: the papers bibliographically coupled with the seed;
  4. rank, select the map's papers, then their own references and citations and full metadata
     (for the edges among them and the Prior/Derivative lists), again in batches.
Every step asks the store first and fetches only what is missing; every answer is committed
when it arrives. Decisions depend only on stored data, so an interrupted crawl re-run, or a
crawl against a dataset holding the same data, yields the identical map.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

from litmap import ids as idmod
from litmap import s2
from litmap.store import Store

PAPER_FIELDS = (
    "paperId,corpusId,externalIds,title,abstract,tldr,authors,year,venue,journal,"
    "publicationTypes,publicationDate,citationCount,referenceCount,url"
)
COUNT_FIELDS = "paperId,citationCount,referenceCount"
EDGE_FIELDS = "isInfluential,intents," + COUNT_FIELDS
# A nested list at least this long and shorter than the paper's count was probably cut by
# the API's cap on nested lists, so it is fetched again through the paginated endpoint.
NESTED_SUSPECT = 1000
# Keep one batch answer well under the API's 10 MB limit: sum of nested list lengths.
BATCH_EDGE_BUDGET = 40_000
# The coupling step skips references cited more than this: citing a classic says little about
# a paper's topic, and its citers would cost many requests for a weak signal.
COUPLING_MAX_CITERS = 2000
# Bump when a map gains or changes keys: cached maps of an older revision are then rebuilt
# (from cached lists, no requests) instead of being shown without the new parts.
MAP_REVISION = 2  # 2: clusters, list links


class CrawlError(Exception):
    """Something the user must hear about in one line (no seed, nothing cached offline...)."""


@dataclass
class Options:
    nodes: int = 40
    depth: int = 2
    max_papers: int = 5000

    def key(self, seeds: list[str], source: str) -> str:
        text = json.dumps([seeds, self.nodes, self.depth, self.max_papers, source, MAP_REVISION])
        return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class Crawler:
    store: Store
    client: s2.Client | None = None  # None: use only what the store holds
    progress: Callable[[str], None] = lambda stage: None
    stats: dict = field(default_factory=lambda: {"truncated": [], "missing": [], "unresolved_references": 0})

    # -- seeds ----------------------------------------------------------------------------

    def resolve(self, refs: Iterable[idmod.Ref]) -> list[str]:
        """paperIds of the seeds, asking the API only for those the cache cannot name."""
        refs = list(refs)
        found: dict[idmod.Ref, str] = {}
        for ref in refs:
            pid = self.store.resolve(_alias(ref))
            if pid is None and ref.kind == "s2" and self.store.full_ids([ref.value]):
                pid = ref.value
            if pid and self.store.full_ids([pid]):
                found[ref] = pid
        todo = [r for r in refs if r not in found]
        if todo and self.client is None:
            raise CrawlError(f"{todo[0]} is not in the cache (offline); run without --offline to fetch it")
        self.progress("resolving seeds")
        titles = [r for r in todo if r.kind == "title"]
        others = [r for r in todo if r.kind != "title"]
        answers: list[tuple[idmod.Ref, dict | None]] = []
        if others:
            answers += zip(others, self.client.batch([r.api_id for r in others], PAPER_FIELDS))
        for ref in titles:
            try:
                answers.append((ref, self.client.match_title(ref.value, PAPER_FIELDS)))
            except s2.NotFound:
                answers.append((ref, None))
        for ref, raw in answers:
            if not raw or not raw.get("paperId"):
                raise CrawlError(f"paper {ref} not found on Semantic Scholar")
            paper = s2.normalise_paper(raw)
            self.store.put_papers([paper], full=True)
            self.store.put_aliases([(_alias(ref), paper["paperId"]), *_paper_aliases(paper)])
            found[ref] = paper["paperId"]
        return list(dict.fromkeys(found[r] for r in refs))

    # -- lists ----------------------------------------------------------------------------

    def seed_lists(self, seeds: list[str]) -> None:
        """Seeds' references and citations through the paginated endpoints."""
        for kind in ("references", "citations"):
            have = self.store.list_status(seeds, kind)
            for pid in seeds:
                if pid in have:
                    continue
                if self.client is None:
                    self.stats["missing"].append(f"{pid} {kind}")
                    continue
                self.progress(f"{kind} of the seed")
                fetch = self.client.references if kind == "references" else self.client.citations
                self._store_items(pid, kind, *fetch(pid, EDGE_FIELDS))

    def _learned(self, pid: str, kind: str, items: list[dict], truncated: bool) -> tuple[list[dict], tuple]:
        """Stubs and the list row that one paper's list items teach."""
        edges, unresolved = s2.edges_from_items(pid, kind, items)
        other = "citedPaper" if kind == "references" else "citingPaper"
        stubs = [s2.stub_paper(i[other]) for i in items if (i.get(other) or {}).get("paperId")]
        if truncated:
            self.stats["truncated"].append(f"{pid} {kind}")
        return stubs, (pid, kind, edges, "truncated" if truncated else "complete", len(edges) + unresolved)

    def _store_items(self, pid: str, kind: str, items: list[dict], truncated: bool) -> None:
        stubs, row = self._learned(pid, kind, items, truncated)
        self.store.put_answer(stubs, [row])

    def ensure_lists(self, pids: list[str], kinds: tuple[str, ...], counts: dict[str, tuple]) -> None:
        """Lists of many papers through /paper/batch with nested lists, in budgeted chunks.

        Asking for both kinds at once costs one request where two would do the same work."""
        have = {kind: self.store.list_status(pids, kind) for kind in kinds}
        todo = [p for p in pids if any(p not in have[k] for k in kinds)]
        if not todo:
            return
        if self.client is None:
            self.stats["missing"].extend(f"{p} {k}" for p in todo for k in kinds if p not in have[k])
            return
        fields = ",".join([COUNT_FIELDS, *(f"{k}.paperId,{k}.citationCount,{k}.referenceCount" for k in kinds)])
        sizes = [sum(min((counts.get(p) or (0, 0))[k == "references"] or 0, 9999) + 1 for k in kinds) for p in todo]
        for chunk in _budget_chunks(todo, sizes):
            self.progress(f"{' and '.join(kinds)} of {len(todo)} papers")
            answer = self.client.batch_chunk(chunk, fields)
            stubs, rows, refetch = [], [], []
            for pid, raw in zip(chunk, answer):
                for kind in kinds:
                    if raw is None:  # the API no longer knows it: remember, don't ask again
                        rows.append((pid, kind, [], "truncated", 0))
                        continue
                    nested = [n for n in raw.get(kind) or [] if isinstance(n, dict)]
                    count = raw.get("citationCount" if kind == "citations" else "referenceCount") or 0
                    capped = NESTED_SUSPECT <= len(nested) < count
                    if capped and count <= s2.OFFSET_CAP:
                        refetch.append((pid, kind))  # the paginated endpoint can give it all
                        continue
                    key = "citedPaper" if kind == "references" else "citingPaper"
                    more, row = self._learned(pid, kind, [{key: n} for n in nested], capped)
                    stubs += more
                    rows.append(row)
            self.store.put_answer(stubs, rows)
            for pid, kind in refetch:
                fetch = self.client.references if kind == "references" else self.client.citations
                self._store_items(pid, kind, *fetch(pid, EDGE_FIELDS))

    def ensure_papers(self, pids: list[str]) -> None:
        todo = sorted(set(pids) - self.store.full_ids(pids))
        if not todo:
            return
        if self.client is None:
            self.stats["missing"].extend(f"{p} metadata" for p in todo)
            return
        self.progress(f"details of {len(todo)} papers")
        for i in range(0, len(todo), s2.BATCH_SIZE):
            chunk = todo[i : i + s2.BATCH_SIZE]
            papers = [s2.normalise_paper(r) for r in self.client.batch_chunk(chunk, PAPER_FIELDS) if r]
            self.store.put_papers(papers, full=True)

    # -- the whole map --------------------------------------------------------------------

    def build(self, refs: list[idmod.Ref], opts: Options) -> dict:
        from litmap import similarity

        seeds = self.resolve(refs)
        self.seed_lists(seeds)
        seed_refs = sorted({b for a, b in self.store.list_edges(seeds, "references") if a in seeds} - set(seeds))
        seed_cits = sorted({a for a, b in self.store.list_edges(seeds, "citations") if b in seeds} - set(seeds))
        if not seed_refs and not seed_cits:
            raise CrawlError(
                f"{', '.join(seeds)} has no references or citations on record, so there is no neighbourhood to map"
            )
        counts = self.store.counts([*seed_refs, *seed_cits])
        neighbours = list(dict.fromkeys([*seed_refs, *seed_cits]))
        if len(neighbours) > opts.max_papers:
            self.stats["truncated"].append(f"neighbours: {len(neighbours)} > --max-papers {opts.max_papers}")
            neighbours = neighbours[: opts.max_papers]
        self.ensure_lists(neighbours, ("references",), counts)
        expanded_cits: list[str] = []
        if opts.depth >= 2:
            budget = max(0, opts.max_papers - len(neighbours))
            specific = [p for p in seed_refs if ((counts.get(p) or (0,))[0] or 0) <= COUPLING_MAX_CITERS]
            expanded_cits = _by_specificity(specific, counts)[:budget]
            self.ensure_lists(expanded_cits, ("citations",), counts)
        edges = self._edges(seeds, neighbours, expanded_cits)
        counts = self.store.counts({x for e in edges for x in e})
        self.progress("ranking")
        ranked = similarity.rank(edges, seeds, counts)
        self.stats["papers_considered"] = len(counts)
        node_ids = [*seeds, *similarity.select(ranked, opts.nodes)]
        self.ensure_lists(node_ids, ("references", "citations"), counts)
        map_edges = sorted(set(edges) | set(self.store.list_edges(node_ids, "references"))
                           | set(self.store.list_edges(node_ids, "citations")))
        counts = self.store.counts({x for e in map_edges for x in e})
        prior = similarity.prior_works(map_edges, node_ids, k=10, exclude=frozenset(seeds))
        derivative = similarity.derivative_works(map_edges, node_ids, k=10, exclude=frozenset(seeds))
        listed = [*node_ids, *(p for p, _ in prior), *(p for p, _ in derivative)]
        self.ensure_papers(listed)
        papers = self.store.get_papers(listed)
        self.stats["unresolved_references"] = max(
            0, self.store.list_total(seeds, "references") - len(self.store.list_edges(seeds, "references")))
        return similarity.assemble_map(seeds, ranked, node_ids, papers, map_edges, counts, self.stats,
                                       prior=prior, derivative=derivative)

    def _edges(self, seeds: list[str], neighbours: list[str], expanded_cits: list[str]) -> list[tuple[str, str]]:
        out = set(self.store.list_edges(seeds, "references")) | set(self.store.list_edges(seeds, "citations"))
        out |= set(self.store.list_edges(neighbours, "references"))
        out |= set(self.store.list_edges(expanded_cits, "citations"))
        return sorted(out)


def _alias(ref: idmod.Ref) -> str:
    return "TITLE:" + ref.value.casefold() if ref.kind == "title" else ref.alias


def _paper_aliases(paper: dict) -> list[tuple[str, str]]:
    kinds = {"ArXiv": "arxiv", "DOI": "doi", "CorpusId": "corpusid", "PubMed": "pmid", "PubMedCentral": "pmcid", "ACL": "acl", "MAG": "mag"}
    out = [(idmod.alias_key(kinds[k], v), paper["paperId"]) for k, v in paper["externalIds"].items() if k in kinds]
    if paper.get("corpusId") is not None:
        out.append((idmod.alias_key("corpusid", str(paper["corpusId"])), paper["paperId"]))
    return out


def _by_specificity(pids: list[str], counts: dict[str, tuple]) -> list[str]:
    """Least-cited first: a paper cited by few is a more specific signal than a classic."""
    return sorted(pids, key=lambda p: ((counts.get(p) or (None, None))[0] or 0, p))


def _budget_chunks(pids: list[str], sizes: list[int]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    total = 0
    for pid, size in zip(pids, sizes):
        if chunks[-1] and (len(chunks[-1]) >= s2.BATCH_SIZE or total + size > BATCH_EDGE_BUDGET):
            chunks.append([])
            total = 0
        chunks[-1].append(pid)
        total += size
    return [c for c in chunks if c]


def make_map(
    refs: list[idmod.Ref],
    opts: Options,
    cache: Store,
    source: str | None = None,
    offline: bool = False,
    client_factory: Callable[[], s2.Client] | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> tuple[dict, s2.Client | None]:
    """Build (or load) the map for these seeds from the API, the cache, or a dataset.

    With a dataset `source`, its index is the store and no client exists; otherwise the cache
    is the store and a client is made only when something must be fetched."""
    if source:
        from litmap import dataset

        store = dataset.dataset_store(source, cache.path.parent, progress=progress)
        source_key = "dataset:" + str(store.path)
        client = None
    else:
        store, source_key, client = cache, "api", None
    key = opts.key([str(r) for r in refs], source_key)
    cached = cache.get_map(key)
    if cached is not None:
        return cached, client
    if not source and not offline:
        client = (client_factory or s2.Client)()
    crawler = Crawler(store, client, progress)
    result = crawler.build(refs, opts)
    if not crawler.stats["missing"]:  # a partial offline map is shown, never remembered
        cache.put_map(key, result)
    return result, client
