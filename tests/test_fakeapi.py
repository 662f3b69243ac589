"""The fake API against the recorded live API: same statuses, same keys, same error bodies.

Every recorded exchange in tests/fixtures/s2 is sent, with plain requests, to a FakeS2 whose corpus
was built from those same recordings; the answer must have the recorded shape (and, where the
recording fixes it, the same paper ids in the same order).  The rest checks the fake's own
features: field selection, id forms, paging, limits, key, faults, corpus constructors, replay.
"""

from __future__ import annotations

import gzip
import json
import time

import pytest
import requests

from tests.fakeapi import (
    FIXTURES,
    SMALL,
    TOO_MANY_REQUESTS,
    Corpus,
    FakeS2,
    Replay,
    all_interactions,
    load_interactions,
    paper_id,
    recording_files,
)
from tests.waits import refuses_connections, wait_until

INTERACTIONS = all_interactions()
SEED = SMALL["seed"]
MIRACLE = "cb1ebd913c3724c599f6b276b14b5c6253da68f3"

# Free-form values: their inner keys vary from paper to paper (journal may hold only "pages").
VALUE_KEYS = {"journal", "externalIds", "openAccessPdf", "publicationVenue", "citationStyles",
              "s2FieldsOfStudy", "tldr", "embedding", "contextsWithIntent"}


def same_shape(got, want, where="$"):
    if want is None or got is None:
        return
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {type(got).__name__} instead of an object"
        assert set(got) == set(want), \
            f"{where}: keys differ: extra {sorted(set(got) - set(want))}, missing {sorted(set(want) - set(got))}"
        for k, v in want.items():
            if k not in VALUE_KEYS:
                same_shape(got[k], v, f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list), f"{where}: {type(got).__name__} instead of a list"
        for i, (g, w) in enumerate(zip(got, want)):
            same_shape(g, w, f"{where}[{i}]")
    elif isinstance(want, bool):
        assert isinstance(got, bool), where
    elif isinstance(want, (int, float)):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), where
    else:
        assert isinstance(got, type(want)), f"{where}: {type(got).__name__} instead of {type(want).__name__}"


def ids_of(kind, data):
    if kind in ("references", "citations"):
        key = "citedPaper" if kind == "references" else "citingPaper"
        return [(d[key] or {}).get("paperId") for d in data["data"]]
    if kind == "batch":
        return [d and d["paperId"] for d in data]
    if kind == "paper":
        return [data["paperId"]]
    if kind == "match":
        return [d["paperId"] for d in data["data"]]
    if kind == "search":
        return [d["paperId"] for d in data.get("data", [])]
    return None


@pytest.fixture(scope="module")
def recorded_api(recorded_corpus):
    with FakeS2(recorded_corpus) as api:
        yield api


def test_fixtures_are_all_there():
    files = recording_files()
    assert len([f for f in files if f.suffix == ".yaml"]) == 45
    assert len(INTERACTIONS) >= 120
    assert (FIXTURES / "recorded" / "LICENSE").exists()
    # both cassette layouts are read
    layouts = set()
    for f in files:
        if f.suffix == ".yaml":
            text = f.read_text()
            layouts.add("content" if "    content:" in text else "body")
    assert layouts == {"content", "body"}


@pytest.mark.parametrize("it", INTERACTIONS, ids=[it.source for it in INTERACTIONS])
def test_fake_answers_recorded_requests_like_the_live_api(recorded_api, it):
    headers = {}
    if it.status == 403:       # the recording was made with a rejected key
        recorded_api.required_key = "the-right-key"
        headers["x-api-key"] = it.request_headers.get("x-api-key", "wrong")
    try:
        resp = requests.request(it.method, recorded_api.url + it.path_and_query,
                                json=it.body if it.method == "POST" else None, headers=headers, timeout=30)
    finally:
        recorded_api.required_key = None
    assert resp.status_code == it.status, resp.text[:300]
    assert resp.headers["Content-Type"] == "application/json"
    want, got = it.json, resp.json()
    if it.status != 200:
        assert got == want            # error bodies word for word
        return
    same_shape(got, want)
    kind = it.kind
    if kind == "search" and want.get("total") == 0:
        assert got == {"total": 0, "offset": 0}
    want_ids = ids_of(kind, want)
    if kind == "search":
        # the same query was recorded twice, a day apart, with a slightly different ranking
        got_ids = ids_of(kind, got)
        assert len(got_ids) == len(want_ids) and len(set(got_ids) & set(want_ids)) >= 0.9 * len(want_ids)
    elif want_ids is not None:
        assert ids_of(kind, got) == want_ids
    if kind in ("references", "citations"):
        assert ("next" in got) == ("next" in want) and got.get("next") == want.get("next")
        assert got["offset"] == want["offset"]
    if kind.startswith("recommend"):
        assert len(got["recommendedPapers"]) == len(want["recommendedPapers"])


def test_recorded_item_shapes_match_saved_bodies(recorded_api, recorded_corpus):
    """Citation.json / Reference.json are single list items with every field: same keys."""
    fields = "contexts,intents,contextsWithIntent,isInfluential," + ",".join(
        k for k in json.loads((FIXTURES / "recorded" / "Citation.json").read_text())["citingPaper"])
    for name, kind in (("Citation.json", "citations"), ("Reference.json", "references")):
        want = json.loads((FIXTURES / "recorded" / name).read_text())
        page = requests.get(f"{recorded_api.url}/graph/v1/paper/{MIRACLE}/{kind}",
                            params={"fields": fields, "limit": 5}).json()
        assert page["data"]
        for item in page["data"]:
            same_shape(item, want)


def test_neighbourhood_numbers(neighbourhood_corpus):
    c = neighbourhood_corpus
    assert c.seed == MIRACLE
    refs, cits = c.references(MIRACLE), c.citations(MIRACLE)
    assert len(refs) == 67 and sum(e.cited is None for e in refs) == 23
    assert len(cits) == 2167 and sum(e.citing is None for e in cits) == 4
    assert c.resolve("10.2139/ssrn.2250500") == MIRACLE == c.resolve("CorpusId:3142471")
    with FakeS2(c) as api:
        pages, offset = 0, 0
        while offset is not None:
            r = requests.get(f"{api.url}/graph/v1/paper/DOI:10.2139/SSRN.2250500/citations",
                             params={"fields": "title", "offset": offset, "limit": 100}).json()
            pages += 1
            offset = r.get("next")
        assert pages == 22
        r = requests.get(f"{api.url}/graph/v1/paper/{MIRACLE}/references",
                         params={"fields": "title", "limit": 1000}).json()
        unresolved = [d["citedPaper"] for d in r["data"] if d["citedPaper"]["paperId"] is None]
        assert len(unresolved) == 23 and all(set(u) == {"paperId", "title"} and u["title"] for u in unresolved)


# ---- field selection ------------------------------------------------------------------------

def get(api, path, **params):
    return requests.get(api.url + "/graph/v1" + path, params=params, timeout=10)


def test_default_fields_are_paper_id_and_title(fake_api):
    assert get(fake_api, f"/paper/{SEED}").json() == {"paperId": SEED, "title": "The Seed Paper on Literature Maps"}


def test_only_requested_fields_in_live_order(fake_api):
    r = get(fake_api, f"/paper/{SEED}", fields="year,authors,externalIds,tldr,journal").json()
    assert list(r) == ["paperId", "externalIds", "year", "tldr", "journal", "authors"]
    assert r["authors"][0] == {"authorId": "1001", "name": "Ada Lovelace"}
    assert r["tldr"] == {"model": "tldr@v2.0.0", "text": "Maps of literature from citations."}
    assert r["externalIds"]["DOI"] == "10.1234/seed.2020" and isinstance(r["externalIds"]["CorpusId"], int)


def test_nested_fields(fake_api):
    r = get(fake_api, f"/paper/{SEED}", fields="authors.url,references.year,citations").json()
    assert set(r["authors"][0]) == {"authorId", "name", "url"}
    assert all(set(x) == {"paperId", "year"} for x in r["references"])
    assert {"paperId": None, "year": 1999} in r["references"]      # the unresolved one
    assert all(set(x) == {"paperId", "title"} for x in r["citations"]) and len(r["citations"]) == 6


def test_counts_and_defaults_are_derived(fake_api):
    r = get(fake_api, f"/paper/{SEED}",
            fields="citationCount,referenceCount,influentialCitationCount,url,venue,isOpenAccess").json()
    assert r["citationCount"] == 6 and r["referenceCount"] == 7 and r["influentialCitationCount"] == 1
    assert r["url"] == f"https://www.semanticscholar.org/paper/{SEED}" and r["isOpenAccess"] is False


def test_unknown_fields_400_like_live(fake_api):
    r = get(fake_api, f"/paper/{SEED}", fields="title,unknown,garbage")
    assert r.status_code == 400
    assert r.json() == {"error": "Unrecognized or unsupported fields: [unknown, garbage]"}
    assert r.text.endswith("\n")
    r = get(fake_api, f"/paper/{SEED}/references", fields="citations")      # not a BasePaper field
    assert r.status_code == 400
    r = requests.post(fake_api.url + "/graph/v1/paper/batch", params={"fields": "bogus"}, json={"ids": [SEED]})
    assert r.status_code == 400 and r.json()["error"].startswith("Unrecognized or unsupported fields")


def test_not_found_comes_before_field_errors(fake_api):
    r = get(fake_api, "/paper/0", fields="t,i,t,l,e")      # as recorded/test_not_found.yaml
    assert r.status_code == 404 and r.json() == {"error": "Paper with id 0 not found"}


# ---- id forms -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,name", [
    (SMALL["seed"], "seed"), (SMALL["seed"].upper(), "seed"),
    ("DOI:10.1234/seed.2020", "seed"), ("doi:10.1234/SEED.2020", "seed"), ("10.1234/seed.2020", "seed"),
    ("10.1126/science.149.3683.510", "r4"), ("ARXIV:2001.00001", "seed"), ("arXiv:2001.00001v3", "seed"),
    ("ARXIV:hep-th/9711200", "maldacena"), ("ARXIV:hep-th/9711200v2", "maldacena"),
    ("PMID:111111", "r1"), ("PMCID:333333", "r2"), ("PMCID:PMC333333", "r2"), ("MAG:2222222", "r2"),
    ("ACL:P63-1001", "r3"), ("URL:https://arxiv.org/abs/hep-th/9711200v1", "maldacena"),
    ("URL:https://arxiv.org/pdf/2001.00001.pdf", "seed"),
    (f"URL:https://www.semanticscholar.org/paper/The-Seed/{SMALL['seed']}", "seed"),
    ("URL:https://doi.org/10.1234/seed.2020", "seed"), (SMALL["merged-old"], "r5"),
])
def test_id_forms(fake_api, raw, name):
    r = get(fake_api, f"/paper/{raw}")
    assert r.status_code == 200, r.text
    assert r.json()["paperId"] == SMALL[name]


@pytest.mark.parametrize("prefix", ["CorpusId", "CorpusID", "corpusid"])
def test_corpus_id_prefix_any_case(fake_api, prefix):
    cid = fake_api.corpus[SEED]["corpusId"]
    assert get(fake_api, f"/paper/{prefix}:{cid}").json()["paperId"] == SEED


def test_percent_encoded_ids(fake_api):
    r = requests.get(fake_api.url + "/graph/v1/paper/DOI%3A10.1234%2Fseed.2020")
    assert r.status_code == 200 and r.json()["paperId"] == SEED


def test_unknown_ids_404(fake_api):
    for raw in ("DOI:10.9999/none", "CorpusId:1", "URL:https://example.com/x", "0" * 40):
        r = get(fake_api, f"/paper/{raw}")
        assert r.status_code == 404 and r.json() == {"error": f"Paper with id {raw} not found"}


# ---- batch ----------------------------------------------------------------------------------

def batch(api, ids, **params):
    return requests.post(api.url + "/graph/v1/paper/batch", params=params, json={"ids": ids}, timeout=10)


def test_batch_order_nulls_and_merged(fake_api):
    r = batch(fake_api, [SMALL["r1"], "CorpusId:1", SMALL["merged-old"], "DOI:10.1234/seed.2020"], fields="year")
    assert r.status_code == 200
    assert r.json() == [{"paperId": SMALL["r1"], "year": 2001}, None, {"paperId": SMALL["r5"], "year": 2010},
                        {"paperId": SEED, "year": 2020}]


def test_batch_limit_500(fake_api):
    assert batch(fake_api, [SEED] * 500).status_code == 200
    r = batch(fake_api, [SEED] * 501)
    assert r.status_code == 400 and set(r.json()) == {"error"}
    r = requests.post(fake_api.url + "/graph/v1/paper/batch", json={"nope": []})
    assert r.status_code == 400 and "error" in r.json()


def test_batch_nested_cap(fake_api):
    fake_api.nested_cap = 2
    r = batch(fake_api, [SEED], fields="citations,references").json()[0]
    assert len(r["citations"]) == 2 and len(r["references"]) == 2
    fake_api.nested_cap = 9999
    assert len(batch(fake_api, [SEED], fields="citations").json()[0]["citations"]) == 6


# ---- lists ----------------------------------------------------------------------------------

def test_pagination_next_absent_on_last_page(fake_api):
    r = get(fake_api, f"/paper/{SEED}/citations", offset=0, limit=4).json()
    assert r["offset"] == 0 and r["next"] == 4 and len(r["data"]) == 4
    r = get(fake_api, f"/paper/{SEED}/citations", offset=4, limit=4).json()
    assert r["offset"] == 4 and "next" not in r and len(r["data"]) == 2
    r = get(fake_api, f"/paper/{SEED}/citations", offset=2, limit=4).json()
    assert "next" not in r and len(r["data"]) == 4
    r = get(fake_api, f"/paper/{SMALL['lonely']}/citations").json()
    assert r == {"offset": 0, "data": []}


def test_list_items_and_edge_fields(fake_api):
    r = get(fake_api, f"/paper/{SEED}/references",
            fields="contexts,intents,contextsWithIntent,isInfluential,year").json()
    first = r["data"][0]
    assert list(first) == ["contexts", "intents", "contextsWithIntent", "isInfluential", "citedPaper"]
    assert first["isInfluential"] is True and first["intents"] == ["background"]
    assert first["citedPaper"] == {"paperId": SMALL["r1"], "year": 2001}
    plain = get(fake_api, f"/paper/{SEED}/references").json()["data"]
    assert all(list(d) == ["citedPaper"] and set(d["citedPaper"]) == {"paperId", "title"} for d in plain)
    unresolved = [d["citedPaper"] for d in plain if d["citedPaper"]["paperId"] is None]
    assert unresolved == [{"paperId": None, "title": "An Unpublished Manuscript on Maps"}]
    cits = get(fake_api, f"/paper/{SEED}/citations", fields="isInfluential").json()["data"]
    assert all(set(d) == {"isInfluential", "citingPaper"} for d in cits)


def test_list_order_is_stable(fake_api):
    a = get(fake_api, f"/paper/{SEED}/references", limit=3).json()
    b = get(fake_api, f"/paper/{SEED}/references", limit=3).json()
    assert a == b


def test_list_limits(fake_api):
    r = get(fake_api, f"/paper/{SEED}/citations", limit=1001)
    assert r.status_code == 400 and "error" in r.json()
    assert get(fake_api, f"/paper/{SEED}/citations", limit=1000).status_code == 200
    assert get(fake_api, f"/paper/{SEED}/citations", offset=8999, limit=1000).status_code == 200
    r = get(fake_api, f"/paper/{SEED}/citations", offset=9000, limit=1000)
    assert r.status_code == 400 and r.json() == {"error": "offset + limit must be < 10000"}
    r = get(fake_api, f"/paper/{SEED}/references", offset="x")
    assert r.status_code == 400


def test_list_of_unknown_paper_404(fake_api):
    r = get(fake_api, "/paper/DOI:10.9/none/references")
    assert r.status_code == 404 and r.json() == {"error": "Paper with id DOI:10.9/none not found"}


# ---- search, match, recommendations ---------------------------------------------------------

def test_title_match(fake_api):
    r = get(fake_api, "/paper/search/match", query="Seed paper on literature maps", fields="year").json()
    (hit,) = r["data"]
    assert hit["paperId"] == SEED and hit["year"] == 2020 and isinstance(hit["matchScore"], float)
    assert list(hit)[-1] == "matchScore"
    r = get(fake_api, "/paper/search/match", query="zzzz qqqq")
    assert r.status_code == 404 and r.json() == {"error": "Title match not found"}


def test_search(fake_api):
    r = get(fake_api, "/paper/search", query="n0 r3sult s3arch t3rm", fields="title")
    assert r.json() == {"total": 0, "offset": 0}           # as recorded: no data key
    r = get(fake_api, "/paper/search", query="maps", limit=2).json()
    assert r["total"] == 4 and r["next"] == 2 and len(r["data"]) == 2
    r = get(fake_api, "/paper/search", query="maps", offset=2, limit=2).json()
    assert "next" not in r and len(r["data"]) == 2


def test_recommendations(fake_api):
    r = requests.get(f"{fake_api.url}/recommendations/v1/papers/forpaper/{SEED}",
                     params={"fields": "title,year", "limit": 3})
    recs = r.json()["recommendedPapers"]
    assert r.status_code == 200 and 0 < len(recs) <= 3 and all(set(p) == {"paperId", "title", "year"} for p in recs)
    assert SEED not in [p["paperId"] for p in recs]
    r = requests.post(f"{fake_api.url}/recommendations/v1/papers/",
                      json={"positivePaperIds": [SEED], "negativePaperIds": []})
    assert r.status_code == 200 and r.json()["recommendedPapers"]
    r = requests.get(f"{fake_api.url}/recommendations/v1/papers/forpaper/CorpusId:1")
    assert r.status_code == 404 and "error" in r.json()


# ---- key, log -------------------------------------------------------------------------------

def test_required_key(fake_api):
    fake_api.required_key = "k-123"
    for headers in ({}, {"x-api-key": "wrong"}):
        r = requests.get(f"{fake_api.url}/graph/v1/paper/{SEED}", headers=headers)
        assert r.status_code == 403 and r.content == b'{"message":"Forbidden"}'
    r = requests.get(f"{fake_api.url}/graph/v1/paper/{SEED}", headers={"x-api-key": "k-123"})
    assert r.status_code == 200


def test_log_count_reset(fake_api):
    batch(fake_api, [SEED], fields="title")
    get(fake_api, f"/paper/{SEED}", fields="year")
    assert fake_api.count == 2
    post, getp = fake_api.log
    assert post["method"] == "POST" and post["path"] == "/graph/v1/paper/batch" and post["json"] == {"ids": [SEED]}
    assert post["query"] == {"fields": "title"} and post["status"] == 200
    assert getp["headers"]["user-agent"].startswith("python-requests")
    assert fake_api.requests_to(r"/batch$") == [post]
    fake_api.reset()
    assert fake_api.count == 0 and fake_api.log == []


# ---- faults ---------------------------------------------------------------------------------

def statuses(api, n, path=None):
    path = path or f"/paper/{SEED}"
    return [get(api, path).status_code for _ in range(n)]


def test_429_body_and_retry_after(fake_api):
    fake_api.throttle(times=1, retry_after=3)
    r = get(fake_api, f"/paper/{SEED}")
    assert r.status_code == 429 and r.json() == TOO_MANY_REQUESTS and r.headers["Retry-After"] == "3"
    assert r.json()["code"] == "429" and "api-key-form" in r.json()["message"]
    assert get(fake_api, f"/paper/{SEED}").status_code == 200
    fake_api.throttle(times=1)
    assert "Retry-After" not in get(fake_api, f"/paper/{SEED}").headers


def test_429_every_kth(fake_api):
    fake_api.throttle(every=3)
    assert statuses(fake_api, 7) == [200, 200, 429, 200, 200, 429, 200]


def test_429_with_probability_is_deterministic(fake_api):
    fake_api.throttle(prob=0.5, seed=7)
    first = statuses(fake_api, 20)
    fake_api.reset()
    fake_api.throttle(prob=0.5, seed=7)
    assert statuses(fake_api, 20) == first and 429 in first and 200 in first


def test_429_for_some_seconds(fake_api):
    fake_api.throttle(seconds=1.5)
    assert statuses(fake_api, 2) == [429, 429]
    time.sleep(1.6)
    assert statuses(fake_api, 2) == [200, 200]


def test_fault_path_after_and_times(fake_api):
    f = fake_api.fail(503, path=r"/citations$", after=1, times=2)
    got = statuses(fake_api, 5, f"/paper/{SEED}/citations")
    assert got == [200, 503, 503, 200, 200] and f.hits == 2
    assert statuses(fake_api, 1) == [200]


@pytest.mark.parametrize("status,message", [(500, "Internal Server Error"), (502, "Internal server error"),
                                            (503, "Service Unavailable"), (504, "Endpoint request timed out")])
def test_server_errors(fake_api, status, message):
    fake_api.fail(status, times=1)
    r = get(fake_api, f"/paper/{SEED}")
    assert r.status_code == status and r.json() == {"message": message}


def test_rate_limit_mode_records_violations(fake_api):
    fake_api.rate_limit(1)
    assert statuses(fake_api, 2) == [200, 429]
    assert len(fake_api.violations) == 1 and fake_api.violations[0]["wait"] > 0
    assert fake_api.violations[0]["path"] == f"/graph/v1/paper/{SEED}"
    time.sleep(1.05)
    assert statuses(fake_api, 1) == [200]
    fake_api.rate_limit(None)
    assert statuses(fake_api, 3) == [200, 200, 200]


def test_slow(fake_api):
    fake_api.slow(0.3, times=1)
    t = time.monotonic()
    assert get(fake_api, f"/paper/{SEED}").status_code == 200
    assert time.monotonic() - t >= 0.3
    with pytest.raises(requests.Timeout):
        fake_api.slow(1.0, times=1)
        requests.get(f"{fake_api.url}/graph/v1/paper/{SEED}", timeout=0.2)


def test_dropped_connection(fake_api):
    fake_api.drop(times=1)
    with pytest.raises(requests.ConnectionError):
        get(fake_api, f"/paper/{SEED}")
    assert get(fake_api, f"/paper/{SEED}").status_code == 200
    assert [r["status"] for r in fake_api.log] == ["dropped", 200]


def test_truncated_json(fake_api):
    fake_api.truncate(times=1)
    r = get(fake_api, f"/paper/{SEED}", fields="title,abstract")
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(r.content)
    with pytest.raises(ValueError):
        r.json()


def test_html_502(fake_api):
    fake_api.html_error(times=1)
    r = get(fake_api, f"/paper/{SEED}")
    assert r.status_code == 502 and r.headers["Content-Type"] == "text/html"
    assert "CloudFront" in r.text and "The request could not be satisfied" in r.text


def test_short_batch(fake_api):
    fake_api.short_batch(times=1)
    assert len(batch(fake_api, [SEED, SMALL["r1"], SMALL["r2"]]).json()) == 2
    assert len(batch(fake_api, [SEED, SMALL["r1"], SMALL["r2"]]).json()) == 3


@pytest.mark.parametrize("mode", ["drop", "refuse"])
def test_die_after(fake_api, mode):
    fake_api.die_after(2, mode=mode)
    assert statuses(fake_api, 2) == [200, 200]
    with pytest.raises(requests.ConnectionError):
        get(fake_api, f"/paper/{SEED}")
    if mode == "refuse":  # the server stops listening from a thread of its own: wait for it
        assert wait_until(lambda: refuses_connections(fake_api.port))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fake_api.url}/graph/v1/paper/{SEED}", timeout=2)
    assert fake_api.dead


def test_faults_do_not_hide_key_errors(fake_api):
    fake_api.required_key = "k"
    fake_api.throttle()
    assert statuses(fake_api, 1) == [403]


# ---- corpus constructors --------------------------------------------------------------------

def test_from_papers_hand_built():
    a, b, c = paper_id("a"), paper_id("b"), paper_id("c")
    corpus = Corpus.from_papers(
        [{"paperId": a, "title": "A"}, {"paperId": b, "title": "B", "year": 2000}, {"paperId": c, "title": "C"}],
        [(a, b, True, ["methodology"]), {"citing": a, "cited": None, "title": "Lost"}, (c, a)])
    with FakeS2(corpus) as api:
        refs = get(api, f"/paper/{a}/references", fields="isInfluential,intents,title").json()["data"]
        assert refs == [{"intents": ["methodology"], "isInfluential": True, "citedPaper": {"paperId": b, "title": "B"}},
                        {"intents": [], "isInfluential": False, "citedPaper": {"paperId": None, "title": "Lost"}}]
        assert get(api, f"/paper/{a}", fields="citationCount,referenceCount").json() == \
            {"paperId": a, "referenceCount": 2, "citationCount": 1}
        cid = corpus[a]["corpusId"]
        assert get(api, f"/paper/CorpusId:{cid}").json()["paperId"] == a


def test_from_dataset_real_sample_format():
    corpus = Corpus.from_dataset(FIXTURES / "s2ag-sample")
    assert len(corpus) == 100
    pid, rec = next(iter(corpus.papers.items()))
    assert len(pid) == 40 and rec["url"].endswith(pid) and isinstance(rec["corpusId"], int)
    assert isinstance(rec["externalIds"]["CorpusId"], int) and None not in rec["externalIds"].values()
    # the official sample's edges do not connect: its references are unresolved or dangling
    assert corpus.stats.get("dangling", 0) + corpus.stats.get("unresolved", 0) == 100
    with FakeS2(corpus) as api:
        r = get(api, f"/paper/CorpusId:{rec['corpusId']}", fields="title,year,authors,journal,externalIds").json()
        assert r["paperId"] == pid and r["title"] == rec["title"]


def write_jsonl(path, rows, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)


def test_from_dataset_connected(tmp_path):
    pids = [paper_id(f"d{i}") for i in range(3)]
    rows = [{"corpusid": 10 + i, "externalids": {"CorpusId": str(10 + i), "DOI": None, "ArXiv": f"hep-th/990100{i}"},
             "url": f"https://www.semanticscholar.org/paper/{p}", "title": f"Paper {i}",
             "authors": [{"authorId": "7", "name": "E. Witten"}], "year": 1999, "venue": "JHEP",
             "citationcount": 1, "referencecount": 1, "journal": {"name": "JHEP", "pages": None, "volume": "3"},
             "publicationtypes": ["JournalArticle"], "publicationdate": None} for i, p in enumerate(pids)]
    write_jsonl(tmp_path / "papers" / "part0.jsonl.gz", rows[:2], gz=True)
    write_jsonl(tmp_path / "papers" / "part1.jsonl", rows[2:])
    write_jsonl(tmp_path / "citations" / "part0.jsonl.gz", [
        {"citingcorpusid": "11", "citedcorpusid": "10", "isinfluential": True, "intents": ["methodology"],
         "contexts": None},
        {"citingcorpusid": 12, "citedcorpusid": 10, "isinfluential": False, "intents": None, "contexts": None},
        {"citingcorpusid": 12, "citedcorpusid": None, "isinfluential": False, "intents": None, "contexts": None},
        {"citingcorpusid": 12, "citedcorpusid": 999, "isinfluential": False, "intents": None, "contexts": None},
    ], gz=True)
    write_jsonl(tmp_path / "abstracts" / "a.jsonl", [{"corpusid": 10, "abstract": "Branes."}])
    corpus = Corpus.from_dataset(tmp_path)
    assert len(corpus) == 3 and corpus.stats == {"unresolved": 1, "dangling": 1}
    assert corpus.resolve("ARXIV:hep-th/9901000") == pids[0]
    with FakeS2(corpus) as api:
        cits = get(api, f"/paper/{pids[0]}/citations", fields="isInfluential,intents,title").json()["data"]
        assert [c["citingPaper"]["paperId"] for c in cits] == [pids[1], pids[2]]
        assert cits[0]["isInfluential"] is True and cits[0]["intents"] == ["methodology"]
        assert get(api, f"/paper/{pids[0]}", fields="abstract").json()["abstract"] == "Branes."
        refs = get(api, f"/paper/{pids[2]}/references").json()["data"]
        assert [r["citedPaper"]["paperId"] for r in refs] == [pids[0], None]


def test_bundled_sample_as_a_corpus(sample_corpus):
    corpus = sample_corpus
    assert len(corpus) > 0 and sum(1 for _ in corpus.edges()) > 0
    maldacena = corpus.resolve("ARXIV:hep-th/9711200")
    if maldacena:
        with FakeS2(corpus) as api:
            assert get(api, f"/paper/{maldacena}/citations", limit=5).json()["data"]


def test_synthetic_is_deterministic_and_shaped():
    a, b = Corpus.synthetic(100, 300, 40, seed=3), Corpus.synthetic(100, 300, 40, seed=3)
    assert a.seed == b.seed and list(a.papers) == list(b.papers)
    assert [e.cited for e in a.references(a.seed)] == [e.cited for e in b.references(b.seed)]
    assert a.papers[a.seed] == b.papers[b.seed]
    refs = a.references(a.seed)
    assert sum(e.cited is not None for e in refs) == 100 and sum(e.cited is None for e in refs) == 10
    assert len(a.citations(a.seed)) == 300
    per = [len(a.references(e.citing)) for e in a.citations(a.seed)]
    assert 30 <= sum(per) / len(per) <= 50
    assert Corpus.synthetic(10, 10, 3, seed=4).seed != Corpus.synthetic(10, 10, 3, seed=5).seed


@pytest.mark.slow
def test_synthetic_fan_out_hits_the_list_window():
    corpus = Corpus.synthetic(20, 50_000, 2, seed=1)
    assert len(corpus.citations(corpus.seed)) == 50_000
    with FakeS2(corpus) as api:
        r = get(api, f"/paper/{corpus.seed}/citations", offset=8999, limit=1000).json()
        assert len(r["data"]) == 1000 and r["next"] == 9999
        assert get(api, f"/paper/{corpus.seed}/citations", offset=9999, limit=1).status_code == 400


# ---- replay ---------------------------------------------------------------------------------

def test_replay_serves_recordings_verbatim():
    its = load_interactions(FIXTURES / "recorded" / "test_not_found.yaml") + \
        load_interactions(FIXTURES / "recorded" / "test_get_papers.yaml")
    with Replay(its) as rp:
        r = requests.get(rp.url + "/graph/v1/paper/0", params={"fields": "t,i,t,l,e"})
        assert r.status_code == 404 and r.content == b'{"error":"Paper with id 0 not found"}\n'
        ids = ["CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"]
        r = requests.post(rp.url + "/graph/v1/paper/batch", params={"fields": "authors"}, json={"ids": ids})
        assert r.status_code == 200 and r.content == its[-1].content
        r = requests.get(rp.url + "/graph/v1/paper/1")
        assert r.status_code == 418 and rp.unmatched and rp.count == 3


def test_hang_then_drop(fake_api):
    fake_api.hang(0.6, times=1)
    with pytest.raises(requests.Timeout):
        requests.get(f"{fake_api.url}/graph/v1/paper/{SEED}", timeout=0.2)
    assert get(fake_api, f"/paper/{SEED}").status_code == 200
