"""Neighbourhood expansion: from seeds to the citation lists a map needs, in few requests.

The plan, the same whatever the source (live API, cache only, or a bulk dataset index):
  1. the seeds' own references and citations, nested in the /paper/batch call that resolves
     them (nested items carry no isInfluential or intents, which nothing here uses);
  2. the references of every one of those neighbours, 500 papers per /paper/batch call with
     nested `references.paperId`: this reveals what is co-cited with the seed;
  3. (depth 2) the citers of the seeds' references, most specific references first, within the
     budget: the papers bibliographically coupled with the seed. Steps 2 and 3 depend only on
     step 1, so they share their batch calls (one call can carry both kinds of nested list);
  4. rank, select the map's papers, then their own references and citations and full metadata
     (for the edges among them and the Prior/Derivative lists) in the same calls, with the
     details of the likely Prior/Derivative works; the few the lists change come after.
A nested list cut by the batch cap is completed through the paginated endpoint from where it
ends (see Crawler._complete). Request counts per step: benchmarks/crawl.py.
Every step asks the store first and fetches only what is missing; every answer is committed
when it arrives. Decisions depend only on stored data, so an interrupted crawl re-run, or a
crawl against a dataset holding the same data, yields the identical map.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from litmap import batching, s2
from litmap import ids as idmod
from litmap.errors import NoNeighbourhoodError, NotFoundError
from litmap.records import paper_aliases, published_since
from litmap.store import GraphStore, Store, writable

LISTED_WORKS = 10  # Prior and Derivative works listed on a map
# The coupling step skips references cited more than this: citing a classic says little about
# a paper's topic, and its citers would cost many requests for a weak signal.
COUPLING_MAX_CITERS = 2000
# Bump when a map gains or changes keys: cached maps of an older revision are then rebuilt
# (from cached lists, no requests) instead of being shown without the new parts.
MAP_REVISION = 7  # 2: clusters, list links; 3: ranking by recent co-citation share; 4: labels of phrases;
# 5: the citation edges among the map's papers ("citations", for Map.citations); 6: new papers
# ranked by their neighbourhood (similarity.rank); 7: labels of whole words, one spelling each


@dataclass
class Options:
    nodes: int = 40
    depth: int = 2
    max_papers: int = 5000
    since: dt.date | None = None  # rank and select only papers published on or after it

    def key(self, seeds: list[str], source: str) -> str:
        parts: list = [seeds, self.nodes, self.depth, self.max_papers, source, MAP_REVISION]
        if self.since:  # (maps without --since keep their keys)
            parts.append(self.since.isoformat())
        text = json.dumps(parts)
        return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class Crawler:
    store: GraphStore  # the API cache (a Store), or a dataset's read-only index
    client: s2.Client | None = None  # None: use only what the store holds
    progress: Callable[[str], None] = lambda stage: None
    source: str | None = None  # the dataset the store is, if any (for messages)
    # Told the requests still expected until the map is done, whenever the estimate changes
    # (see Crawler.build): exact for the step about to run, from the counts known so far for
    # the steps after it. Never called without a client (a dataset or the cache alone).
    plan: Callable[[int], None] = lambda remaining: None
    stats: dict = field(default_factory=lambda: {"truncated": [], "missing": [], "unresolved_references": 0})
    planned: bool = False  # a plan was announced: later steps keep it up to date, down to 0
    uncut: bool = False    # the API sent a nested list longer than NESTED_SUSPECT whole: it cuts none

    def _api(self) -> s2.Client:
        """The client, for the steps that run only when something must be fetched."""
        if self.client is None:
            raise RuntimeError("this crawl has no client: it cannot fetch")
        return self.client

    # -- seeds ----------------------------------------------------------------------------

    def resolve(self, refs: Iterable[idmod.Ref]) -> list[str]:
        """paperIds of the seeds, asking the API only for those the cache cannot name."""
        refs = list(refs)
        found: dict[idmod.Ref, str] = {}
        for ref in refs:
            pid = known_id(self.store, ref)
            if pid:
                found[ref] = pid
        todo = [r for r in refs if r not in found]
        client = self.client
        if client is None:  # a dataset (or the cache alone) has no title search: its titles
            for ref in [r for r in todo if r.kind == "title"]:
                pid = self.store.match_title(ref.value)
                if pid:
                    found[ref] = pid
            todo = [r for r in todo if r not in found]
        if todo and client is None:
            what = f"no paper titled {todo[0].value!r}" if todo[0].kind == "title" else None
            if what and self.source:
                name = "the bundled sample" if str(self.source) == "sample" else f"the dataset {self.source}"
                raise NotFoundError(f"{what} in {name} (a title matches whole, case and spacing aside); give its "
                                    "id, or drop --source to look the title up on Semantic Scholar")
            if self.source:
                name = "the bundled sample (arXiv hep-th, 1992-2003)" if str(self.source) == "sample" \
                    else f"the dataset {self.source}"
                raise NotFoundError(f"{todo[0]} is not in {name}; drop --source to fetch it from Semantic Scholar")
            raise NotFoundError(f"{todo[0]} is not in the cache (offline); run without --offline to fetch it")
        titles = [r for r in todo if r.kind == "title"]
        others = [r for r in todo if r.kind != "title"]
        # A seed's lists ride in the call that resolves it, as nested lists: as many seeds as
        # fit the answer's budget with both lists as long as the API serves (title matches
        # cannot nest lists: seed_lists fetches theirs).
        with_lists = 0 < len(others) * (2 * s2.OFFSET_CAP + 1) <= batching.BATCH_EDGE_BUDGET
        self.progress("resolving seeds" + (" with their references and citations" if with_lists else ""))
        answers: list[tuple[idmod.Ref, dict | None]] = []
        if others and client is not None:  # (without a client, todo is empty here)
            fields = batching.batch_fields(batching.KINDS if with_lists else ())
            answers += zip(others, client.batch([r.api_id for r in others], fields))
        for ref in titles:
            try:
                answers.append((ref, self._api().match_title(ref.value, batching.PAPER_FIELDS)))
            except s2.NotFound:
                answers.append((ref, None))
        for ref, raw in answers:
            if not raw or not raw.get("paperId"):
                raise NotFoundError(f"paper {ref} not found on Semantic Scholar")
            found[ref] = learn(writable(self.store), ref.alias, raw)
            if with_lists and ref in others:
                self._store_nested([(found[ref], raw)], set(batching.KINDS), seeds=True)
        return list(dict.fromkeys(found[r] for r in refs))

    # -- lists ----------------------------------------------------------------------------

    def seed_lists(self, seeds: list[str], after: int = 0) -> None:
        """Seeds' references and citations (those the resolving call did not bring): through
        /paper/batch with nested lists, all seeds in as few calls as the budget allows; a list
        the batch answer cut short is completed page by page (_complete). `after`: the
        requests expected for the steps after this one (for the plan)."""
        have = {kind: self.store.list_status(seeds, kind) for kind in batching.KINDS}
        todo = [p for p in seeds if any(p not in have[k] for k in batching.KINDS)]
        if not todo:
            return
        if self.client is None:
            self.stats["missing"].extend(f"{p} {k}" for k in batching.KINDS for p in seeds if p not in have[k])
            return
        self.ensure([(todo, batching.KINDS)], self.store.counts(todo), seeds=True, after=after)

    def _announce(self, remaining: int) -> None:
        self.planned = True
        self.plan(remaining)

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
        writable(self.store).put_answer(stubs, [row])

    def _calls(self, wants: list[tuple[list[str], tuple[str, ...]]], counts: dict[str, tuple],
               details: Iterable[str] = ()) -> tuple[dict[str, set[str]], set[str], list[batching.Call]]:
        """What `ensure` lacks (paper -> kinds of list; papers without their details) and the
        batch calls that fetch it."""
        need: dict[str, set[str]] = {}
        for pids, kinds in wants:
            have = {kind: self.store.list_status(pids, kind) for kind in kinds}
            for p in pids:
                missing = {k for k in kinds if p not in have[k]}
                if missing:
                    need.setdefault(p, set()).update(missing)
        detail = sorted(set(details) - self.store.full_ids(details))
        if not need and not detail:
            return need, set(), []
        # papers needing more go first, so a chunk asking for more fields is shared by as few
        # papers as possible that did not need them (their answers only cost bytes)
        first = {p: i for i, p in enumerate(dict.fromkeys([*(p for pids, _ in wants for p in pids), *detail]))}
        order = sorted(set(need) | set(detail), key=lambda p: (p not in detail, -len(need.get(p, ())), first[p]))
        return need, set(detail), batching.chunks_by_budget(order, need, set(detail), counts)

    def ensure(self, wants: list[tuple[list[str], tuple[str, ...]]], counts: dict[str, tuple],
               details: Iterable[str] = (), seeds: bool = False, after: int = 0) -> None:
        """Several papers' lists (each paper the kinds its group asks for), and full records of
        `details`, in as few /paper/batch calls as the budget allows: one call can carry both
        kinds and the details, so steps that do not depend on each other share their calls.
        `seeds`: the lists are seeds' (a list the nested cap cut is completed up to what the
        API serves, however long). `after`: the requests expected for the steps after this one
        (for the plan)."""
        need, detail, calls = self._calls(wants, counts, details)
        # each call, and the pages completing the lists it will find cut at NESTED_SUSPECT (none
        # once the API has been seen to send a longer nested list whole)
        pages = [batching.completion_requests(chunk, need, counts, seeds) for chunk, _, _ in calls]

        def remaining(i: int) -> int:
            return len(calls) - i + after + (0 if self.uncut else sum(pages[i:]))

        if self.client is not None and (calls or self.planned):
            self._announce(remaining(0))
        if not calls:
            return
        if self.client is None:  # missing details are ensure_papers' to report
            self.stats["missing"].extend(f"{p} {k}" for p in need for k in batching.KINDS if k in need[p])
            return
        for i, (chunk, kinds, full) in enumerate(calls):
            if i:
                self._announce(remaining(i))
            what = [*(["details"] if full else []), *kinds]
            whose = ("the seed" if len(chunk) == 1 else f"{len(chunk)} seeds") if seeds \
                else f"{len(chunk)} paper{'s' if len(chunk) != 1 else ''}"
            self.progress(f"{', '.join(what[:-1])}{' and ' if what[:-1] else ''}{what[-1]} of {whose}")
            answer = list(zip(chunk, self._api().batch_chunk(chunk, batching.batch_fields(kinds, full))))
            papers = [s2.normalise_paper(raw) for pid, raw in answer if raw and full and pid in detail]
            if papers:
                writable(self.store).put_papers(papers, full=True)
            self._store_nested([(pid, raw) for pid, raw in answer if need.get(pid)], need, seeds)

    def _store_nested(self, answer: list[tuple[str, dict | None]], need: dict[str, set[str]] | set[str],
                      seeds: bool) -> None:
        """The nested lists of a batch answer [(paperId, paper or None)], the kinds `need` names
        (per paper, or one set for all), in one transaction; then the lists the API cut short
        are completed page by page. A neighbour's list longer than the API serves through the
        pages stays as cut (the coupling step needs a sample, not the whole); a seed's is
        completed to the API's limit."""
        stubs: list[dict] = []
        rows: list[tuple] = []
        capped_lists: list[tuple[str, str, list[dict]]] = []
        for pid, raw in answer:
            for kind in (k for k in batching.KINDS if k in (need if isinstance(need, set) else need.get(pid, ()))):
                if raw is None:  # the API no longer knows it: remember, don't ask again
                    rows.append((pid, kind, [], "truncated", 0))
                    continue
                nested = [n for n in raw.get(kind) or [] if isinstance(n, dict)]
                count = raw.get("citationCount" if kind == "citations" else "referenceCount") or 0
                capped = batching.NESTED_SUSPECT <= len(nested) < count
                self.uncut = self.uncut or batching.NESTED_SUSPECT < len(nested) >= count
                if capped and (seeds or count <= s2.OFFSET_CAP):
                    capped_lists.append((pid, kind, nested))  # the paginated endpoint has the rest
                    continue
                key = "citedPaper" if kind == "references" else "citingPaper"
                more, row = self._learned(pid, kind, [{key: n} for n in nested], capped)
                stubs += more
                rows.append(row)
        writable(self.store).put_answer(stubs, rows)
        for pid, kind, nested in capped_lists:
            self._complete(pid, kind, nested)

    def _complete(self, pid: str, kind: str, nested: list[dict]) -> None:
        """A nested list cut by the batch cap, completed through the paginated endpoint.

        The rest is asked from where the nested list ends. The nested list holds distinct
        papers of this list, the pages hold the positions after it; when no paper is in both
        (and no nested item is unresolved, so unnamed), together they are the whole list. If
        they overlap the two orders differ, and the positions before are paged too: never
        less than the whole list, and one request instead of two in the common case."""
        client = self._api()
        fetch = client.references if kind == "references" else client.citations
        key = "citedPaper" if kind == "references" else "citingPaper"
        rest, truncated = fetch(pid, batching.EDGE_FIELDS, offset=len(nested))
        named = [n.get("paperId") for n in nested]
        later = {(i.get(key) or {}).get("paperId") for i in rest} - {None}
        if all(named) and not later & set(named):
            items = [{key: n} for n in nested] + rest
        else:
            head, _ = fetch(pid, batching.EDGE_FIELDS, stop=len(nested))
            items = head + rest
        self._store_items(pid, kind, items, truncated)

    def ensure_papers(self, pids: list[str]) -> None:
        todo = sorted(set(pids) - self.store.full_ids(pids))
        if self.client is not None and (todo or self.planned):
            self._announce(math.ceil(len(todo) / s2.BATCH_SIZE))
        if not todo:
            return
        if self.client is None:
            self.stats["missing"].extend(f"{p} metadata" for p in todo)
            return
        self.progress(f"details of {len(todo)} papers")
        for i in range(0, len(todo), s2.BATCH_SIZE):
            chunk = todo[i : i + s2.BATCH_SIZE]
            papers = [s2.normalise_paper(r) for r in self._api().batch_chunk(chunk, batching.PAPER_FIELDS) if r]
            writable(self.store).put_papers(papers, full=True)

    # -- the whole map --------------------------------------------------------------------

    def build(self, refs: list[idmod.Ref], opts: Options) -> dict:
        # here, not at the top: numpy and scipy take 0.5 s to import, and a cached map needs neither
        from litmap import assemble, similarity

        seeds = self.resolve(refs)
        # Before the seeds' lists arrive, the later steps can only be guessed from the seeds'
        # counts: a batch call per 500 neighbours, one for the map's papers. Each step then
        # plans exactly what it asks (ensure), and the guess for the rest is revised.
        seed_counts = self.store.counts(seeds)
        neighbours_guess = min(opts.max_papers, sum((c or 0) + (r or 0) for c, r in seed_counts.values()))
        map_guess = math.ceil((len(seeds) + opts.nodes) / s2.BATCH_SIZE)
        self.seed_lists(seeds, after=math.ceil(neighbours_guess / s2.BATCH_SIZE) + map_guess)
        seed_set = set(seeds)  # a library has thousands of seeds: no `in` on the list
        seed_refs = sorted({b for a, b in self.store.list_edges(seeds, "references") if a in seed_set} - seed_set)
        cited = [(a, b) for a, b in self.store.list_edges(seeds, "citations") if b in seed_set and a != b]
        seed_cits = sorted({a for a, _ in cited} - seed_set)
        # how much co-citation evidence each seed has: the ranking leans on it as much (similarity.rank)
        per_seed = Counter(b for _, b in set(cited))
        self.stats["seed_citers"] = {s: per_seed[s] for s in sorted(seed_set)}
        if not seed_refs and not seed_cits:
            raise NoNeighbourhoodError(
                f"{', '.join(seeds)} has no references or citations on record, so there is no neighbourhood to map"
            )
        counts = self.store.counts([*seed_refs, *seed_cits])
        neighbours = list(dict.fromkeys([*seed_refs, *seed_cits]))
        if len(neighbours) > opts.max_papers:
            self.stats["truncated"].append(f"neighbours: {len(neighbours)} > --max-papers {opts.max_papers}")
            neighbours = neighbours[: opts.max_papers]
        expanded_cits: list[str] = []
        if opts.depth >= 2:
            budget = max(0, opts.max_papers - len(neighbours))
            specific = [p for p in seed_refs if batching.list_length(counts, p, "citations") <= COUPLING_MAX_CITERS]
            expanded_cits = batching.by_specificity(specific, counts)[:budget]
        # both depend only on the seeds' lists: one round of batch calls serves both
        self.ensure([(neighbours, ("references",)), (expanded_cits, ("citations",))], counts, after=map_guess)
        lists = [(seeds, "references"), (seeds, "citations"), (neighbours, "references"), (expanded_cits, "citations")]
        edges = self._matrix(lists)
        counts = self.store.counts(edges.ids)
        self.progress("ranking")
        ranked = similarity.rank(edges, seeds, counts, years=self.store.years(seed_cits))
        self.stats["papers_considered"] = len(counts)
        if opts.since:
            ranked = self._since(ranked, opts)
        node_ids = [*seeds, *similarity.select(ranked, opts.nodes)]
        # The details of the map's papers ride with their lists, and so do those of the likely
        # Prior/Derivative works (from what is known before the lists arrive); any the lists
        # change are fetched after. (Without a client nothing is fetched: no guess is needed.)
        map_lists = [*lists, (node_ids, "references"), (node_ids, "citations")]
        likely = self._likely_listed(map_lists, node_ids, seeds) if self.client else []
        self.ensure([(node_ids, batching.KINDS)], counts, details=[*node_ids, *likely])
        map_edges = self._matrix(map_lists)
        counts = self.store.counts(map_edges.ids)
        prior = similarity.prior_works(map_edges, node_ids, k=LISTED_WORKS, exclude=frozenset(seeds))
        derivative = similarity.derivative_works(map_edges, node_ids, k=LISTED_WORKS, exclude=frozenset(seeds))
        listed = [*node_ids, *(p for p, _ in prior), *(p for p, _ in derivative)]
        self.ensure_papers(listed)
        papers = self.store.get_papers(listed)
        self.stats["unresolved_references"] = max(
            0, self.store.list_total(seeds, "references") - len(self.store.list_edges(seeds, "references")))
        return assemble.assemble_map(seeds, ranked, node_ids, papers, map_edges, counts, self.stats,
                                     prior=prior, derivative=derivative)

    def _since(self, ranked: list[dict], opts: Options) -> list[dict]:
        """The candidates published since opts.since: the map ranks and selects among them, and
        its lists come from the papers it then holds. stats["since"] says what that left out:
        how many of the --nodes papers the map would hold without it, and of all candidates."""
        from litmap import similarity  # here: see build

        assert opts.since is not None
        papers = self.store.get_papers([r["id"] for r in ranked])
        recent = [r for r in ranked if published_since(papers.get(r["id"]) or {}, opts.since)]
        keep = {r["id"] for r in recent}
        top = similarity.select(ranked, opts.nodes)
        self.stats["since"] = {"date": opts.since.isoformat(), "left_out": sum(p not in keep for p in top),
                               "of": len(top), "older": len(ranked) - len(recent)}
        return recent

    def _likely_listed(self, lists: list[tuple[list[str], str]], node_ids: list[str], seeds: list[str]) -> list[str]:
        from litmap import similarity  # here: see build

        known = self._matrix(lists)
        k = 3 * LISTED_WORKS
        out = similarity.prior_works(known, node_ids, k=k, exclude=frozenset(seeds))
        out += similarity.derivative_works(known, node_ids, k=k, exclude=frozenset(seeds))
        return [p for p, _ in out]

    def _matrix(self, lists: list[tuple[list[str], str]]):
        """The citation matrix of these lists' edges ((paperIds, kind) each). A store holding the
        edges as integers (the CSR index) builds it with no Python per edge."""
        from litmap import similarity  # here: see build

        if hasattr(self.store, "edge_arrays"):
            return similarity.matrix_from_indices(*self.store.edge_arrays(lists))
        return similarity.build_matrix(list(set().union(*(self.store.list_edges(ids, kind) for ids, kind in lists))))


def known_id(store: GraphStore, ref: idmod.Ref) -> str | None:
    """The paperId of `ref` if the store holds its full record (then no request is needed)."""
    pid = store.resolve(ref.alias) or (ref.value if ref.kind == "s2" else None)
    return pid if pid and store.full_ids([pid]) else None


def learn(store: Store, alias: str, raw: dict) -> str:
    """Keep a paper the API found for `alias` (its record and every id naming it); its paperId."""
    paper = s2.normalise_paper(raw)
    store.put_papers([paper], full=True)
    store.put_aliases([(alias, paper["paperId"]), *paper_aliases(paper)])
    pid: str = paper["paperId"]
    return pid
