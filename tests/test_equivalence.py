"""The source is the only difference: the bundled sample read as a dataset and the same data
served by the (fake) API give the identical map, the API path in a couple dozen requests."""

import datetime as dt
import inspect
import json

import pytest
from click.testing import CliRunner

from litmap import crawl, dataset, dataset_duckdb, ids, s2
from litmap.cli import cli
from litmap.csr_store import CsrStore
from litmap.store import Store
from tests import guard
from tests.fakeapi import FakeS2

SEED = "hep-th/9711200"


@pytest.mark.parametrize("nested_cap, requests", [(9999, 7), (1000, 15)])
def test_sample_as_dataset_and_through_http_give_the_same_map(tmp_path, sample_corpus, sample_index_cache,
                                                             nested_cap, requests):
    # The seed and its lists: 1 call (its 54 references and 2,414 citations nested); its 2,468
    # neighbours: 5 batch calls (500 ids each) that also carry the coupling step; the map's lists
    # and details: 1 call. With nested lists capped at 1000 as the live API caps them, 2 pages
    # complete the seed's citations after its first 1000, 1 page a reference's 1,199 citations,
    # and 5 pages the map's five lists of more than 1000 citations (the ranking favours the
    # field's well-cited papers: Witten's 1,775, Gubser-Klebanov-Polyakov's 1,641, ...): the
    # floor of this crawl, computed per step by benchmarks/crawl.py (17 and 11 before).
    # --since 2001-06-15 decides the papers of 2001 by their dates. The dataset knows every
    # paper's date; over HTTP, most candidates are known only from nested list items, which
    # therefore carry publicationDate too (no extra request): without it, a 2001 paper known by
    # its year alone counted from 1 January and was left out on the API path only. The same
    # cache, filled by the crawl above it, serves the --since map.
    since = crawl.Options(since=dt.date(2001, 6, 15))
    with FakeS2(sample_corpus, nested_cap=nested_cap) as api, \
            Store.open(tmp_path / "api") as store:
        client = s2.Client(base_url=api.url, rate=0)
        over_http = crawl.Crawler(store, client).build([ids.parse(SEED)], crawl.Options())
        assert client.requests == api.count == requests
        recent_over_http = crawl.Crawler(store, client).build([ids.parse(SEED)], since)
    with dataset.dataset_store("sample", sample_index_cache) as store:
        from_dataset = crawl.Crawler(store, None).build([ids.parse(SEED)], crawl.Options())
        recent_from_dataset = crawl.Crawler(store, None).build([ids.parse(SEED)], since)
    assert json.dumps(over_http, sort_keys=True) == json.dumps(from_dataset, sort_keys=True)
    titles = [n["title"] for n in from_dataset["nodes"][:4]]
    assert titles[0] == "The Large N Limit of Superconformal Field Theories and Supergravity"
    # Gubser-Klebanov-Polyakov and Witten's "Anti De Sitter Space And Holography": the two papers
    # that, with the seed, founded AdS/CFT, are the nearest neighbours.
    assert {"Gauge Theory Correlators from Non-Critical String Theory",
            "Anti De Sitter Space And Holography"} <= set(titles)
    assert json.dumps(recent_over_http, sort_keys=True) == json.dumps(recent_from_dataset, sort_keys=True)
    dates = [n.get("publicationDate") or "" for n in recent_from_dataset["nodes"][1:]]
    assert any(d.startswith("2001-") for d in dates)  # the boundary year is in the map...
    assert all(d >= "2001-06-15" for d in dates if d), dates  # ...by date


def test_bundled_sample_map_is_byte_identical_on_every_index_engine(tmp_path, sample_index_of):
    # The same crawl on the SQLite, DuckDB/Parquet and CSR indexes: the same page, .bib, .json.
    guard.need_module("duckdb", "pip install -e '.[test]'")
    outputs = {}
    for engine, module in dataset.ENGINES.items():
        out = tmp_path / engine
        out.mkdir()
        index_dir = sample_index_of(engine)  # built once per run and engine, shared by the test files
        result = CliRunner().invoke(cli, ["seed", SEED, "--source", "sample", "--quiet", "-o", str(out / "map.html")],
                                    env={"LITMAP_CACHE_DIR": str(tmp_path / f"cache-{engine}"), "LITMAP_ENGINE": engine,
                                         "LITMAP_INDEX_DIR": str(index_dir)})
        assert result.exit_code == 0, result.output
        assert list((index_dir / "datasets").glob("*" + module.SUFFIX))
        outputs[engine] = {name: (out / name).read_bytes() for name in ("map.html", "map.bib", "map.json")}
    assert len(outputs) == 3
    assert outputs["sqlite"] == outputs["duckdb"] == outputs["csr"]


def test_every_store_reads_everything_the_crawl_reads():
    # Every reading method of the SQLite store exists on the other engines' stores, with the same
    # parameters: a method added to one engine only would fail here, not in a user's crawl.
    writing = ("put_", "_", "pacing", "transaction", "open", "info", "get_map", "map_")
    for other in (dataset_duckdb.ParquetStore, CsrStore):
        for name, fn in inspect.getmembers(Store, inspect.isfunction):
            if name.startswith(writing):
                continue
            theirs = getattr(other, name, None)
            assert theirs is not None, (other.__name__, name)
            assert list(inspect.signature(fn).parameters) == list(inspect.signature(theirs).parameters), name
