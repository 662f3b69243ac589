"""Crawling against the fake API: request counts, caching, resume, storms, multi-seed."""

import json

import pytest

from litmap import crawl, ids, s2
from litmap.store import Store
from tests.fakeapi import SMALL, Corpus, FakeS2


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
    for table, cols in [("papers", "paper_id, data, full"), ("edges", "*"), ("lists", "paper_id, kind, status, total"), ("aliases", "*")]:
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
        with pytest.raises(crawl.CrawlError, match="not in the cache"):
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
            assert store.integrity() == "ok"
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
        with pytest.raises(crawl.CrawlError, match="not found"):
            build(store, api, ["CorpusId:424242"])
        with pytest.raises(crawl.CrawlError, match="no references or citations"):
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


def test_nested_list_at_cap_is_completed_through_pagination(tmp_path):
    corpus = Corpus.synthetic(n_refs=5, n_cits=30, refs_per_neighbour=3, seed=3)
    with FakeS2(corpus) as api, Store.open(tmp_path) as store:
        api.nested_cap = 4
        crawler = crawl.Crawler(store, client(api))
        old = crawl.NESTED_SUSPECT
        crawl.NESTED_SUSPECT = 4
        try:
            seed = crawler.resolve([ids.parse(corpus.seeds[0])])
            crawler.ensure_lists(seed, ("citations",), store.counts(seed))
        finally:
            crawl.NESTED_SUSPECT = old
        assert len(store.list_edges(seed, "citations")) == 30
        assert store.list_status(seed, "citations") == {seed[0]: "complete"}
        assert api.requests_to("/citations$")
