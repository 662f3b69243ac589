"""Crawling against the fake API: request counts, caching, resume, storms, multi-seed."""

import json

import pytest
from click.testing import CliRunner

from litmap import batching, crawl, errors, ids, pacing, s2
from litmap.cli import cli
from litmap.store import Store
from tests.conftest import integrity
from tests.fakeapi import SMALL, Corpus, FakeS2, paper_id


def no_sleep(seconds):
    pass


def client(api, **kw):
    return s2.Client(base_url=api.url, rate=0, sleep=no_sleep, **kw)


def build(store, api, seeds, **opts):
    c = client(api) if api is not None else None
    result = crawl.Crawler(store, c).build([ids.parse(s) for s in seeds], crawl.Options(**opts))
    return result, (c.requests if c else 0)


def dump(result):
    return json.dumps(result, sort_keys=True)


def db_content(store):
    tables = {}
    for table, cols in [("papers", "paper_id, data, full"), ("edges", "*"), ("lists", "paper_id, kind, status, total"),
                        ("aliases", "*")]:
        tables[table] = store.conn.execute(f"SELECT {cols} FROM {table} ORDER BY 1, 2").fetchall()
    return tables


@pytest.fixture(scope="module")
def synthetic():
    # ~100 references, ~300 citations, neighbours with ~40 references each (the benchmark shape)
    return Corpus.synthetic()


def test_cold_map_in_a_handful_of_requests_then_none(tmp_path, synthetic):
    with FakeS2(synthetic) as api, Store.open(tmp_path) as store:
        cold, made = build(store, api, synthetic.seeds)
        assert made <= 8 and api.count == made
        assert len(cold["nodes"]) == 41 and cold["nodes"][0]["role"] == "seed"
        assert all(n["title"] for n in cold["nodes"])  # full details fetched for every node
        warm, made = build(store, api, synthetic.seeds)
        assert made == 0 and dump(warm) == dump(cold)


def test_offline_uses_only_the_cache(tmp_path, synthetic):
    with FakeS2(synthetic) as api, Store.open(tmp_path) as store:
        with pytest.raises(errors.NotFoundError, match="not in the cache"):
            build(store, None, synthetic.seeds)
        cold, _ = build(store, api, synthetic.seeds)
        offline, _ = build(store, None, synthetic.seeds)
        assert dump(offline) == dump(cold)


def test_interrupted_anywhere_resumes_to_the_identical_map(tmp_path, synthetic):
    with FakeS2(synthetic) as api, Store.open(tmp_path / "ref") as store:
        reference, cold_requests = build(store, api, synthetic.seeds)
    for k in range(cold_requests):
        with FakeS2(synthetic) as api, Store.open(tmp_path / f"cut{k}") as store:
            api.die_after(k, mode="refuse")
            with pytest.raises(s2.NetworkError):
                build(store, api, synthetic.seeds)
            assert integrity(store.path) == "ok"
        with FakeS2(synthetic) as api, Store.open(tmp_path / f"cut{k}") as store:
            resumed, again = build(store, api, synthetic.seeds)
        assert dump(resumed) == dump(reference)
        assert k + again <= cold_requests + 1 < 2 * cold_requests  # only what was missing is fetched


def test_rate_limit_storm_gives_identical_data(tmp_path, synthetic):
    with FakeS2(synthetic) as api, Store.open(tmp_path / "calm") as store:
        calm, _ = build(store, api, synthetic.seeds)
        calm_db = db_content(store)
    with FakeS2(synthetic) as api, Store.open(tmp_path / "storm") as store:
        api.throttle(prob=0.5, seed=7)
        stormy, made = build(store, api, synthetic.seeds)
        assert api.requests_to(".") and any(r["status"] == 429 for r in api.log)
        assert dump(stormy) == dump(calm)
        strip = lambda t: {k: [r for r in v] for k, v in t.items()}  # noqa: E731
        storm_db = db_content(store)
        assert [(p, d, f) for p, d, f in storm_db["papers"]] == [(p, d, f) for p, d, f in calm_db["papers"]]
        assert strip(storm_db)["edges"] == strip(calm_db)["edges"] and storm_db["lists"] == calm_db["lists"]


def test_unknown_seed_and_lonely_seed_are_clear_errors(tmp_path):
    with FakeS2(Corpus.small()) as api, Store.open(tmp_path) as store:
        with pytest.raises(errors.NotFoundError, match="not found"):
            build(store, api, ["CorpusId:424242"])
        with pytest.raises(errors.NoNeighbourhoodError, match="no references or citations"):
            build(store, api, [SMALL["lonely"]])


def test_seed_by_alias_needs_no_request_the_second_time(tmp_path):
    with FakeS2(Corpus.small()) as api, Store.open(tmp_path) as store:
        first, _ = build(store, api, ["10.1234/seed.2020"])
        again, made = build(store, api, ["arXiv:2001.00001"])  # another id of the same paper
        assert made == 0 and dump(again) == dump(first)


def test_merged_id_is_recorded_as_alias(tmp_path):
    with FakeS2(Corpus.small()) as api, Store.open(tmp_path) as store:
        c = crawl.Crawler(store, client(api))
        assert c.resolve([ids.parse(SMALL["merged-old"])]) == [SMALL["r5"]]
        assert store.resolve(SMALL["merged-old"]) == SMALL["r5"]


def test_title_seed_uses_search_match(tmp_path):
    with FakeS2(Corpus.small()) as api, Store.open(tmp_path) as store:
        result, _ = build(store, api, ['"The Seed Paper on Literature Maps"'])
        assert result["seeds"] == [SMALL["seed"]]
        assert api.requests_to("/paper/search/match")


def test_multi_seed_builds_one_map_around_all(tmp_path):
    with FakeS2(Corpus.small()) as api, Store.open(tmp_path) as store:
        result, _ = build(store, api, [SMALL["seed"], SMALL["c1"]], nodes=5)
        assert result["seeds"] == [SMALL["seed"], SMALL["c1"]]
        roles = {n["id"]: n["role"] for n in result["nodes"]}
        assert roles[SMALL["seed"]] == roles[SMALL["c1"]] == "seed" and len(roles) == 7


def _per_step(api, store, seed):
    """Requests per crawl step (the progress stage current when each request was sent)."""
    stage, steps = ["start"], {}
    c = s2.Client(base_url=api.url, rate=0, sleep=no_sleep,
                  on_request=lambda: steps.__setitem__(stage[0], steps.get(stage[0], 0) + 1))
    crawler = crawl.Crawler(store, c, progress=lambda s: stage.__setitem__(0, s))
    result = crawler.build([ids.parse(seed)], crawl.Options())
    return result, steps


SEED_STEP = "resolving seeds with their references and citations"


@pytest.mark.parametrize("shape, expected", [
    ((44, 72, 40), {SEED_STEP: 1, "references and citations of 116 papers": 1, "details of 100 papers": 1}),
    ((100, 300, 40), {SEED_STEP: 1, "references and citations of 400 papers": 1, "details of 100 papers": 1}),
])
def test_request_floor_per_step_with_nested_lists_capped_at_1000(tmp_path, shape, expected):
    # The seed's lists ride in the call that resolves it (nested, under the cap), the neighbours'
    # references and the coupling step's citations share one batch call, and the map's details
    # ride with its papers' lists: 3 requests where 5 were made before (7 before that).
    corpus = Corpus.synthetic(*shape)
    with FakeS2(corpus, nested_cap=1000) as api, Store.open(tmp_path / "new") as store:
        result, steps = _per_step(api, store, corpus.seeds[0])
        assert steps == expected and api.count == 3
    with FakeS2(corpus) as api, Store.open(tmp_path / "old") as store:  # the same map as the slow way
        slow = crawl.Crawler(store, client(api))
        seed = slow.resolve([ids.parse(corpus.seeds[0])])
        slow.seed_lists(seed)
        everything = [p for p in corpus.papers]
        slow.ensure([(everything, ("references", "citations"))], store.counts(everything))
        slow.ensure_papers(everything)
        offline, _ = build(store, None, corpus.seeds)
    assert dump(result) == dump(offline)


def test_a_title_seed_gets_its_lists_in_one_batch_call(tmp_path):
    # A title match cannot nest lists: the seed's references and citations then come from one
    # /paper/batch call with nested lists, not from two paginated calls.
    corpus = Corpus.synthetic(44, 72, 40)
    title = corpus.papers[corpus.seeds[0]]["title"]
    with FakeS2(corpus, nested_cap=1000) as api, Store.open(tmp_path) as store:
        result, steps = _per_step(api, store, f'"{title}"')
    assert steps == {"resolving seeds": 1, "references and citations of the seed": 1,
                     "references and citations of 116 papers": 1, "details of 100 papers": 1}
    assert result["seeds"] == [corpus.seeds[0]] and not api.requests_to("/references$|/citations$")


def test_a_seed_longer_than_the_nested_cap_is_completed_to_the_api_window(tmp_path):
    # 12,000 citations, nested lists cut at 1,000: the pages after the nested list bring the seed
    # up to the 9,999 positions the API serves (what paging the whole list would give), and the
    # list is marked as cut.
    corpus = Corpus.synthetic(5, 12_000, 1)
    seed = corpus.seeds[0]
    with FakeS2(corpus, nested_cap=1000) as api, Store.open(tmp_path) as store:
        assert crawl.Crawler(store, client(api)).resolve([ids.parse(seed)]) == [seed]
        pages = api.requests_to("/citations$")
        assert [p["query"]["offset"] for p in pages] == [str(o) for o in range(1000, 9999, 1000)]
        assert api.count == 1 + len(pages)
        assert len(store.list_edges([seed], "citations")) == 9999
        assert store.list_status([seed], "citations") == {seed: "truncated"}
        assert store.list_status([seed], "references") == {seed: "complete"}


def test_three_seeds_are_resolved_then_listed_in_one_budgeted_call(tmp_path):
    # Two seeds' lists fit the answer budget of the resolving call; three do not: they are
    # resolved, then their lists come in one batch call sized by their counts.
    corpus = Corpus.small()
    seeds = [SMALL["seed"], SMALL["c1"], SMALL["r1"]]
    with FakeS2(corpus) as api, Store.open(tmp_path) as store:
        stage, steps = ["start"], {}
        c = s2.Client(base_url=api.url, rate=0, sleep=no_sleep,
                      on_request=lambda: steps.__setitem__(stage[0], steps.get(stage[0], 0) + 1))
        crawler = crawl.Crawler(store, c, progress=lambda st: stage.__setitem__(0, st))
        crawler.seed_lists(crawler.resolve([ids.parse(s) for s in seeds]))
        assert steps == {"resolving seeds": 1, "references and citations of 3 seeds": 1}
        for kind in ("references", "citations"):
            assert set(store.list_status(seeds, kind)) == set(seeds)


@pytest.mark.parametrize("reverse", [False, True])
def test_capped_nested_list_is_completed_with_its_rest_only(tmp_path, reverse):
    # 30 citations, nested lists cut at 12: the pages after position 12 complete the list in one
    # request when the nested list is the head of the paginated order; when it is not (the
    # orders differ: the nested papers reappear in the rest), the head is paged too.
    corpus = Corpus.synthetic(n_refs=5, n_cits=30, refs_per_neighbour=3, seed=3)
    with FakeS2(corpus, nested_cap=12) as api, Store.open(tmp_path) as store:
        api.reverse_nested = reverse
        crawler = crawl.Crawler(store, client(api))
        old = batching.NESTED_SUSPECT
        batching.NESTED_SUSPECT = 12
        try:  # the seed's lists ride, nested, in the call that resolves it
            seed = crawler.resolve([ids.parse(corpus.seeds[0])])
        finally:
            batching.NESTED_SUSPECT = old
        assert api.count == 1 + len(api.requests_to("/citations$"))
        pages = api.requests_to("/citations$")
        assert [(p["query"]["offset"], p["query"].get("limit")) for p in pages] == \
            ([("12", "1000")] if not reverse else [("12", "1000"), ("0", "12")])
        assert sorted(a for a, _ in store.list_edges(seed, "citations")) \
            == sorted(e.citing for e in corpus.citations(seed[0]))
        assert store.list_status(seed, "citations") == {seed[0]: "complete"}


def test_nested_list_at_cap_is_completed_through_pagination(tmp_path):
    corpus = Corpus.synthetic(n_refs=5, n_cits=30, refs_per_neighbour=3, seed=3)
    with FakeS2(corpus) as api, Store.open(tmp_path) as store:
        api.nested_cap = 4
        crawler = crawl.Crawler(store, client(api))
        old = batching.NESTED_SUSPECT
        batching.NESTED_SUSPECT = 4
        try:
            seed = crawler.resolve([ids.parse(corpus.seeds[0])])
            crawler.ensure([(seed, ("citations",))], store.counts(seed))
        finally:
            batching.NESTED_SUSPECT = old
        assert len(store.list_edges(seed, "citations")) == 30
        assert store.list_status(seed, "citations") == {seed[0]: "complete"}
        assert api.requests_to("/citations$")


# -- independent expectations: small hand-built graphs whose right answer is worked out by hand --


def hand_corpus(edges, unresolved=()):
    """Papers named by the edges' ends; `unresolved`: (citing name, title) bibliography entries
    S2 could not match. Every paper gets a title and year, so a node without one was never fetched."""
    names = list(dict.fromkeys(n for e in edges for n in e[:2]))
    papers = [{"paperId": paper_id(n), "title": f"Paper {n}", "year": 2000 + i % 20} for i, n in enumerate(names)]
    corpus = Corpus.from_papers(papers, [(paper_id(a), paper_id(b)) for a, b in edges])
    for citing, title in unresolved:
        corpus.add_unresolved_reference(paper_id(citing), title)
    return corpus


def related(result):
    return {n["id"] for n in result["nodes"] if n["role"] != "seed"}


def test_a_paper_coupled_only_through_shared_references_needs_depth_2(tmp_path):
    """S cites R1 and R2; X cites R1 and R2 and has no other tie to S; Z only cites X.
    Depth 1 sees S's references and citers and their references: R1, R2. Depth 2 also follows the
    citers of R1 and R2, which brings in X (coupling 2: both of S's references). Z shares
    nothing with S at either depth."""
    corpus = hand_corpus([("S", "R1"), ("S", "R2"), ("X", "R1"), ("X", "R2"), ("Z", "X")])
    S, R1, R2, X = (paper_id(n) for n in ("S", "R1", "R2", "X"))
    with FakeS2(corpus) as api:
        with Store.open(tmp_path / "d1") as store:
            shallow, _ = build(store, api, [S], depth=1, nodes=10)
        with Store.open(tmp_path / "d2") as store:
            deep, _ = build(store, api, [S], depth=2, nodes=10)
    assert related(shallow) == {R1, R2}
    assert related(deep) == {R1, R2, X}
    x = next(n for n in deep["nodes"] if n["id"] == X)
    assert (x["coupling"], x["cocitation"], x["title"]) == (2, 0, "Paper X")


def test_a_list_cut_by_the_api_window_is_recorded_and_reported_as_truncated(tmp_path):
    """S has 10,001 citers; the API pages at most 9,999 items of a list (offset + limit < 10,000).
    The store must say 'truncated' with the 9,999 edges it got, the map's stats must list it,
    and `litmap seed` must print a note about it. S's one reference list is whole."""
    corpus = hand_corpus([("S", "R1")] + [(f"C{i}", "S") for i in range(10_001)])
    S = paper_id("S")
    cache, out = tmp_path / "cache", tmp_path / "out"
    with FakeS2(corpus) as api:
        env = {"LITMAP_API_URL": api.url, "LITMAP_CACHE_DIR": str(cache), "LITMAP_RATE": "0", "S2_API_KEY": None}
        result = CliRunner().invoke(cli, ["seed", S, "--quiet", "--max-papers", "20", "--nodes", "5",
                                          "-o", str(out / "map.html")], env=env)
    assert result.exit_code == 0, result.output
    assert f"litmap: note: list truncated: {S} citations" in result.stderr.splitlines()
    stats = json.loads((out / "map.json").read_text())["stats"]
    assert f"{S} citations" in stats["truncated"]
    assert f"{S} references" not in stats["truncated"]
    with Store.open(cache) as store:
        assert store.list_status([S], "citations") == {S: "truncated"}
        assert store.list_status([S], "references") == {S: "complete"}
        assert len(store.list_edges([S], "citations")) == 9_999


def test_unresolved_references_of_the_seeds_are_counted(tmp_path):
    """S cites R1, R2 and three entries S2 could not match; R1 has one of its own, which is not
    a seed's. The map says 3."""
    corpus = hand_corpus([("S", "R1"), ("S", "R2"), ("C1", "S"), ("C1", "R1")],
                         unresolved=[("S", "A lost preprint"), ("S", "A thesis"), ("S", "A talk"), ("R1", "A letter")])
    with FakeS2(corpus) as api, Store.open(tmp_path) as store:
        result, _ = build(store, api, [paper_id("S")])
    assert result["stats"]["unresolved_references"] == 3
    assert related(result) == {paper_id(n) for n in ("R1", "R2", "C1")}


def test_papers_in_the_last_of_several_batches_are_present(tmp_path):
    """S cites R; 600 papers C0..C599 cite S, and each also cites its own paper X0..X599 that
    nothing else touches. The citers' reference lists take two /paper/batch calls (500 ids
    each at most), whichever order they go in; the map of all candidates (--nodes 2000) takes
    three more for lists and three for details. Every Ci, every Xi (co-cited with S by Ci) and R
    must be in the map, each with its title, and every Ci's reference list in the store."""
    n = 600
    edges = [("S", "R")] + [e for i in range(n) for e in ((f"C{i}", "S"), (f"C{i}", f"X{i}"))]
    corpus = hand_corpus(edges)
    citers = [paper_id(f"C{i}") for i in range(n)]
    expected = {paper_id("R"), *citers, *(paper_id(f"X{i}") for i in range(n))}
    with FakeS2(corpus) as api, Store.open(tmp_path) as store:
        result, _ = build(store, api, [paper_id("S")], nodes=2000)
        assert len(api.requests_to("/paper/batch")) >= 4
        assert store.list_status(citers, "references") == {c: "complete" for c in citers}
        assert set(store.list_edges(citers, "references")) == {
            (paper_id(f"C{i}"), paper_id(x)) for i in range(n) for x in ("S", f"X{i}")}
    assert related(result) == expected
    titles = {n["id"]: n["title"] for n in result["nodes"]}
    assert [p for p in expected if not titles[p]] == []


# -- a map depends only on the data, not on what the cache held before (issue 23, point 1) ------


def _map_files(tmp_path, cache, name, *args):
    """`litmap seed ARGS -q -o <name>/map.html` on `cache`: the page, .bib and .json bytes."""
    out = tmp_path / name
    out.mkdir()
    result = CliRunner().invoke(cli, ["seed", *args, "--quiet", "-o", str(out / "map.html")],
                                env={"LITMAP_CACHE_DIR": str(tmp_path / cache)})
    assert result.exit_code == 0, result.output
    return {f: (out / f).read_bytes() for f in ("map.html", "map.bib", "map.json")}


def test_api_map_is_the_same_in_a_fresh_cache_and_in_one_filled_by_other_maps(tmp_path, monkeypatch):
    # The live API's lists disagree: a paper's references can name the seed while the seed's
    # citations do not name it (and a list cut at 10,000 misses what other lists name). An
    # earlier map of that paper stored the edge; the seed's map must not count it as a citer.
    corpus = Corpus.synthetic(30, 60, 10)
    seed = corpus.seed
    near = {e.cited for e in corpus.references(seed)} | {e.citing for e in corpus.citations(seed)}
    other = sorted(p for p in corpus.papers
                   if p != seed and p not in near and corpus.citations(p))[0]
    corpus.add_edge(other, seed, to_citations=False)
    with FakeS2(corpus) as api:
        monkeypatch.setenv("LITMAP_API_URL", api.url)
        monkeypatch.setenv("LITMAP_RATE", "0")
        fresh = _map_files(tmp_path, "fresh", "a", seed, "--nodes", "10")
        _map_files(tmp_path, "used", "b", other, "--nodes", "10")
        _map_files(tmp_path, "used", "c", corpus.references(seed)[0].cited, "--nodes", "10", "--depth", "1")
        before = api.count
        again = _map_files(tmp_path, "used", "d", seed, "--nodes", "10")
        assert api.count > before  # built from the lists, not a cached map of the seed
    assert again == fresh


def test_dataset_map_is_the_same_in_a_fresh_cache_and_in_one_filled_by_other_maps(on_sample):
    seed = "hep-th/9802150"
    fresh = _map_files(on_sample, "fresh", "a", seed, "--nodes", "10", "--source", "sample")
    for i, other in enumerate(["hep-th/9711200", "hep-th/9802109"]):
        _map_files(on_sample, "used", f"o{i}", other, "--source", "sample")
    _map_files(on_sample, "used", "n", seed, "--nodes", "20", "--source", "sample")
    assert _map_files(on_sample, "used", "b", seed, "--nodes", "10", "--source", "sample") == fresh


# -- the plan of requests (pipeline.Progress.expected) -------------------------------------------

def _plan(corpus, seeds, tmp_path, rate=0.0, nodes=40, **fake):
    """Progress events of a map of `seeds` over the fake API (cache: tmp_path/cache), and the map."""
    from litmap import pipeline
    from litmap.settings import Settings

    with FakeS2(corpus, **fake) as api:
        events: list = []
        m = pipeline.build_map(seeds, settings=Settings(api_url=api.url, cache_dir=tmp_path / "cache", rate=rate),
                               nodes=nodes, progress=events.append)
        assert m.requests == api.count
    return events, m


@pytest.mark.parametrize("case", ["synthetic", "capped", "uncapped", "library"])
def test_the_plan_ends_at_the_requests_made(case, tmp_path, sample_corpus):
    # Estimated early, exact for the step under way: once the last step is planned, the figure
    # is the count; it is never below what was already sent.
    if case == "synthetic":
        corpus = Corpus.synthetic(100, 300, 40)
        events, m = _plan(corpus, [corpus.seed], tmp_path)
    elif case == "library":  # many seeds: their lists through batch calls
        corpus = Corpus.synthetic(60, 90, 20, seed=5)
        seeds = [e.cited for e in corpus.references(corpus.seed) if e.cited][:12]
        events, m = _plan(corpus, seeds, tmp_path)
    else:  # hep-th/9711200 and its 2,414 citations, nested lists cut at 1000 or whole
        events, m = _plan(sample_corpus, ["arXiv:hep-th/9711200"], tmp_path,
                          nested_cap=1000 if case == "capped" else 9999)
    planned = [e for e in events if e.expected is not None]
    assert planned and all(e.expected >= e.requests for e in planned)
    assert planned[-1].expected == m.requests
    assert events[0].expected is None            # nothing to go on before the seeds are known
    if case == "capped":
        assert any(e.expected < m.requests for e in planned)    # revised as the crawl learnt


def test_no_plan_when_nothing_is_fetched(tmp_path):
    from litmap.pipeline import Progress

    corpus = Corpus.synthetic(20, 30, 5)
    _plan(corpus, [corpus.seed], tmp_path)
    events, m = _plan(corpus, [corpus.seed], tmp_path, nodes=5)   # a new map from cached lists
    assert m.requests == 0 and events and all(e.expected is None for e in events)
    assert str(Progress("ranking", 0, 12)) == "ranking · 0 requests · 12 papers known"   # the CLI's line as before


def test_time_left_is_never_faster_than_the_paced_rate(tmp_path):
    corpus = Corpus.synthetic(100, 300, 40)
    events, m = _plan(corpus, [corpus.seed], tmp_path, rate=20.0)
    interval = 1 / 20.0 + pacing.PACE_MARGIN
    timed = [e for e in events if e.seconds_left is not None]
    assert timed and all(e.seconds_left >= (e.expected - e.requests) * interval - 1e-9 for e in timed)
    line = str(next(e for e in timed if e.seconds_left))
    assert " of about " in line and " left · " in line
