"""The client against the live API's own words: every recorded exchange, replayed verbatim.

For every recorded exchange under tests/fixtures/s2 (recorded/ incl. rich-fields/ and newer-2025/,
neighborhood/, more/) the same request is issued through litmap.s2.Client against a Replay server
that answers with the recorded status, headers and body.  The client must send the recorded
request (nothing unmatched, no extra request), parse the answer into papers and edges with the
real values of the recording, and turn recorded errors into the right typed errors.  A second
pass runs the same calls against FakeS2 over a corpus built from the recordings and checks that
the client sees the same papers and edges there: the fake speaks what the live API speaks.
"""

from __future__ import annotations

import inspect
import json
from collections import OrderedDict
from dataclasses import dataclass

import pytest

from litmap import s2
from tests.fakeapi import FIXTURES, Corpus, FakeS2, Interaction, Replay, load_interactions, paper_id, recording_files

MIRACLE = "cb1ebd913c3724c599f6b276b14b5c6253da68f3"


@dataclass
class Call:
    """One client call and the recorded exchanges it must consume (a list call pages)."""
    name: str
    kind: str
    interactions: list[Interaction]

    @property
    def first(self) -> Interaction:
        return self.interactions[0]


def _calls() -> list[Call]:
    calls: list[Call] = []
    for path in recording_files():
        groups: OrderedDict[tuple, list[Interaction]] = OrderedDict()
        for i, it in enumerate(load_interactions(path)):
            if it.kind in ("references", "citations"):
                fields = ",".join(sorted((it.param("fields") or "").split(",")))
                key = (it.kind, it.path, fields, it.param("limit"))
            else:
                key = (it.kind, i)
            groups.setdefault(key, []).append(it)
        for its in groups.values():
            its.sort(key=lambda it: int(it.param("offset") or 0))
            name = f"{path.parent.name}/{path.name}:{its[0].kind}:{its[0].source.split('#')[1]}"
            calls.append(Call(name, its[0].kind, its))
    return calls


CALLS = _calls()


def make_client(url: str, api_key: str | None = None):
    kwargs = {"base_url": url, "api_key": api_key, "rate": 0, "max_tries": 2, "timeout": 30.0, "backoff": 0.01}
    params = inspect.signature(s2.Client).parameters
    if "sleep" in params:
        kwargs["sleep"] = lambda seconds: None
    return s2.Client(**kwargs)


def issue(client, call: Call):
    """The client method for a recorded request; the transport (_call) where litmap has no
    method of its own for that endpoint (one paper: the crawl asks in batches; search,
    authors, recommendations)."""
    it = call.first
    fields = it.param("fields")
    kind = call.kind
    if kind == "batch":
        return client.batch(it.body["ids"], fields)
    if kind in ("references", "citations"):
        return getattr(client, kind)(it.paper_ref, fields, limit=int(it.param("limit") or 100))
    if kind == "match":
        return client.match_title(it.param("query"), fields)
    params = {k: v[-1] for k, v in it.query.items()}
    expect = list if kind == "batch" else dict
    return client._call(it.method, it.path, params, it.body, expect=expect)


# ---- expectations written from the recorded JSON, independently of the client ---------------

def expected_paper(raw: dict) -> dict:
    """What docs/internals.md says the normalised Paper of a recorded record holds."""
    def text(v):
        return v if isinstance(v, str) and v.strip() else None
    ext = raw.get("externalIds") or {}
    out = {
        "paperId": raw.get("paperId"),
        "title": text(raw.get("title")),
        "year": raw.get("year"),
        "venue": text(raw.get("venue")),
        "abstract": text(raw.get("abstract")),
        "publicationDate": raw.get("publicationDate"),
        "publicationTypes": list(raw.get("publicationTypes") or []),
        "citationCount": raw.get("citationCount"),
        "referenceCount": raw.get("referenceCount"),
        "url": raw.get("url"),
        "externalIds": {k: str(v) for k, v in ext.items() if v not in (None, "")},
        "authors": [a["name"].strip() for a in raw.get("authors") or [] if (a.get("name") or "").strip()],
    }
    cid = raw.get("corpusId", ext.get("CorpusId"))
    out["corpusId"] = int(cid) if cid is not None else None
    tldr = raw.get("tldr")
    out["tldr"] = tldr.get("text") if isinstance(tldr, dict) else tldr
    j = raw.get("journal")
    out["journal_name"] = text(j.get("name")) if isinstance(j, dict) else None
    return out


def check_paper(paper: dict, raw: dict):
    keys = {"paperId", "corpusId", "externalIds", "title", "abstract", "tldr", "authors", "year", "venue",
            "journal", "publicationTypes", "publicationDate", "citationCount", "referenceCount", "url"}
    assert set(paper) == keys
    want = expected_paper(raw)
    for k in ("paperId", "title", "year", "venue", "abstract", "publicationDate", "publicationTypes",
              "citationCount", "referenceCount", "url", "externalIds", "corpusId", "tldr"):
        if k in raw or k in ("externalIds", "corpusId", "publicationTypes", "tldr"):
            assert paper[k] == want[k], f"{k}: {paper[k]!r} != {want[k]!r}"
    assert [a["name"] for a in paper["authors"]] == want["authors"]
    assert all(set(a) == {"authorId", "name"} for a in paper["authors"])
    if "journal" in raw:
        got = (paper["journal"] or {}).get("name")
        assert got == want["journal_name"]


def check_edges(paper_id: str, kind: str, items: list[dict]):
    edges, unresolved = s2.edges_from_items(paper_id, kind, items)
    other = "citedPaper" if kind == "references" else "citingPaper"
    resolved = [it for it in items if (it.get(other) or {}).get("paperId")]
    assert unresolved == len(items) - len(resolved)
    assert len(edges) == len(resolved)
    for edge, item in zip(edges, resolved):
        pid = item[other]["paperId"]
        assert edge[:2] == ((paper_id, pid) if kind == "references" else (pid, paper_id))
        assert edge[2] == item.get("isInfluential")
        intents = item.get("intents")
        assert (json.loads(edge[3]) if edge[3] is not None else []) == (intents or [])
    return edges, unresolved


def error_for(status: int):
    return {400: s2.BadRequest, 403: s2.KeyRejected, 404: s2.NotFound}[status]


# ---- the replay pass -----------------------------------------------------------------------

@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_client_reads_recorded_exchange(call):
    it = call.first
    key = it.request_headers.get("x-api-key")
    with Replay(call.interactions) as rp:
        client = make_client(rp.url, api_key=key)
        if it.status != 200:
            with pytest.raises(error_for(it.status)) as info:
                issue(client, call)
            message = (it.json or {}).get("error")
            if message:
                assert message in str(info.value)
            if key:
                assert key not in str(info.value)
            assert rp.unmatched == [] and client.requests == 1
            return
        result = issue(client, call)
        assert rp.unmatched == [], f"the client sent a request that was not recorded: {rp.unmatched[0]}"
        assert client.requests == len(call.interactions)
        if key:
            assert all(r["headers"].get("x-api-key") == key for r in rp.log)
    want = it.json
    kind = call.kind
    if kind == "paper":
        assert result == want
        check_paper(s2.normalise_paper(result), want)
    elif kind == "batch":
        assert result == want
        for paper, raw in zip(result, want):
            if raw is None:
                assert paper is None
            else:
                check_paper(s2.normalise_paper(paper), raw)
    elif kind in ("references", "citations"):
        items, truncated = result
        assert truncated is False
        recorded = [x for page in call.interactions for x in page.json["data"]]
        assert items == recorded
        check_edges(MIRACLE if "2250500" in it.path else it.paper_ref, kind, items)
        for item in items:
            other = item["citedPaper" if kind == "references" else "citingPaper"]
            if other.get("paperId"):
                check_paper(s2.normalise_paper(other), other)
    elif kind == "match":
        assert result == want["data"][0]
        check_paper(s2.normalise_paper(result), {k: v for k, v in result.items() if k != "matchScore"})
    else:
        assert result == want


def test_every_recorded_exchange_is_covered():
    covered = sum(len(c.interactions) for c in CALLS)
    total = sum(len(load_interactions(p)) for p in recording_files())
    assert covered == total >= 120


def test_neighbourhood_of_the_miracle_seed():
    """cb1ebd91…: 67 references of which 23 unresolved, 2167 citation edges over 22 pages."""
    path = next((FIXTURES / "neighborhood").glob("*.json"))
    its = load_interactions(path)
    with Replay(its) as rp:
        client = make_client(rp.url)
        (seed_raw,) = [p for p in client.batch(its[0].body["ids"], its[0].param("fields"))
                       if p and p["paperId"] == MIRACLE]
        seed = s2.normalise_paper(seed_raw)
        assert seed["title"] == "The Miracle of Microfinance? Evidence from a Randomized Evaluation"
        assert seed["corpusId"] == 3142471 and seed["externalIds"]["DOI"] == "10.2139/ssrn.2250500"
        assert seed["year"] == 2013 and seed["publicationDate"] == "2013-04-10" and seed["referenceCount"] == 67
        assert [a["name"] for a in seed["authors"]] == ["E. Duflo", "A. Banerjee", "R. Glennerster", "Cynthia Kinnan"]
        assert seed["journal"] == {"name": "ERN: Credit Risk (Topic)", "volume": None, "pages": None}
        assert seed["venue"] is None and seed["publicationTypes"] == []

        before = client.requests
        refs, truncated = client.references("10.2139/ssrn.2250500", "title", limit=50)
        assert not truncated and client.requests - before == 2
        edges, unresolved = s2.edges_from_items(MIRACLE, "references", refs)
        assert len(refs) == 67 and unresolved == 23 and len(edges) == 44
        assert (MIRACLE, "e945ca4fdcf45b1a118f1462db7afa12629a131f", None, None) in edges

        before = client.requests
        cits, truncated = client.citations("10.2139/ssrn.2250500", "title", limit=100)
        assert not truncated and client.requests - before == 22
        edges, unresolved = s2.edges_from_items(MIRACLE, "citations", cits)
        assert len(cits) == 2167 and unresolved == 4 and len(edges) == 2163
        assert all(e[1] == MIRACLE for e in edges)
        assert rp.unmatched == []


def test_rich_references_carry_influence_and_intents():
    path = FIXTURES / "more" / "references_rich__CorpusID_1033682.json"
    its = load_interactions(path)
    with Replay(its) as rp:
        client = make_client(rp.url)
        items, truncated = client.references("CorpusID:1033682", its[0].param("fields"), limit=100)
    assert not truncated and len(items) == 156 and rp.unmatched == []
    edges, unresolved = s2.edges_from_items("CorpusID:1033682", "references", items)
    assert unresolved == 9 and len(edges) == 147
    influential = [e for e in edges if e[2] is True]
    with_intents = [e for e in edges if e[3]]
    assert influential and with_intents and all(e[2] in (True, False) for e in edges)
    assert all(set(json.loads(e[3])) <= {"background", "methodology", "result"} for e in with_intents)


def test_recorded_errors_are_typed():
    def replay(name):
        return load_interactions(FIXTURES / "recorded" / name)
    with Replay(replay("test_not_found.yaml")) as rp:
        with pytest.raises(s2.NotFound, match="Paper with id 0 not found"):
            make_client(rp.url)._call("GET", "/graph/v1/paper/0", {"fields": "t,i,t,l,e"})
    with Replay(replay("test_bad_query_parameters.yaml")) as rp:
        with pytest.raises(s2.BadRequest, match="Unrecognized or unsupported fields"):
            make_client(rp.url)._call("GET", "/graph/v1/paper/10.1093/mind/lix.236.433", {"fields": "unknown"})
    with Replay(replay("test_debug.yaml")) as rp:
        with pytest.raises(s2.KeyRejected) as info:
            make_client(rp.url, api_key="F@k3K3y").batch(
                ["CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"],
                rp.interactions[0].param("fields"))
        assert "F@k3K3y" not in str(info.value)
    with Replay(load_interactions(FIXTURES / "recorded" / "newer-2025" / "test_bad_titles.yaml")) as rp:
        with pytest.raises(s2.NotFound, match="Title match not found"):
            make_client(rp.url).match_title("askldjrq3rjaw938h", rp.interactions[0].param("fields"))
    for err in (s2.NotFound, s2.BadRequest, s2.KeyRejected, s2.RateLimited, s2.ServerError, s2.NetworkError,
                s2.BadResponse):
        assert issubclass(err, s2.S2Error)


# ---- the same calls against the fake -------------------------------------------------------

FAKE_KINDS = ("paper", "batch", "references", "citations", "match")


@pytest.fixture(scope="module")
def recorded_fake(recorded_corpus):
    with FakeS2(recorded_corpus) as api:
        yield api


def _outcome(client, call):
    try:
        return "ok", issue(client, call)
    except s2.S2Error as exc:
        return type(exc).__name__, None


@pytest.mark.parametrize("call", [c for c in CALLS if c.kind in FAKE_KINDS],
                         ids=[c.name for c in CALLS if c.kind in FAKE_KINDS])
def test_fake_and_replay_give_the_client_the_same_graph(call, recorded_fake):
    it = call.first
    key = it.request_headers.get("x-api-key")
    with Replay(call.interactions) as rp:
        replayed = _outcome(make_client(rp.url, api_key=key), call)
    recorded_fake.required_key = "the-right-key" if it.status == 403 else None
    try:
        faked = _outcome(make_client(recorded_fake.url, api_key=key), call)
    finally:
        recorded_fake.required_key = None
    assert faked[0] == replayed[0]
    if faked[0] != "ok":
        return
    a, b = faked[1], replayed[1]
    if call.kind in ("references", "citations"):
        pid = MIRACLE if "2250500" in it.path else it.paper_ref
        assert s2.edges_from_items(pid, call.kind, a[0]) == s2.edges_from_items(pid, call.kind, b[0])
        assert a[1] == b[1]
    elif call.kind == "batch":
        assert [p and p["paperId"] for p in a] == [p and p["paperId"] for p in b]
        assert [p and s2.normalise_paper(p)["title"] for p in a] == [p and s2.normalise_paper(p)["title"] for p in b]
    else:
        assert set(a) == set(b)
        assert s2.normalise_paper(a)["paperId"] == s2.normalise_paper(b)["paperId"]
        assert s2.normalise_paper(a)["title"] == s2.normalise_paper(b)["title"]


# ---- the client on the fake, where the recordings cannot reach --------------------------------

@pytest.mark.slow
def test_fan_out_is_paged_to_the_window_and_reported_truncated():
    """50,000 citations: the client may page offset+limit < 10,000 only, then says truncated."""
    corpus = Corpus.synthetic(20, 50_000, 2, seed=1)
    with FakeS2(corpus) as api:
        client = make_client(api.url)
        items, truncated = client.citations(corpus.seed, "title,isInfluential,intents")
        assert truncated is True and len(items) == 9999
        assert [e.citing for e in corpus.citations(corpus.seed)[:9999]] == [i["citingPaper"]["paperId"] for i in items]
        assert all(r["status"] == 200 for r in api.log) and api.count == 10
        edges, unresolved = s2.edges_from_items(corpus.seed, "citations", items)
        assert unresolved == 0 and len(edges) == 9999


def test_ids_with_reserved_characters_reach_the_api_whole():
    weird = {"q": "10.1000/a?b=1", "h": "10.1000/x#1", "p": "10.1000/50%2Foff"}
    corpus = Corpus.from_papers([{"paperId": paper_id(k), "title": k, "externalIds": {"DOI": v}}
                                 for k, v in weird.items()])
    with FakeS2(corpus) as api:
        client = make_client(api.url)
        for doi in weird.values():
            items, _ = client.references(f"DOI:{doi}", "title")  # a cut-short id would be a 404
            assert items == [] and api.log[-1]["path"] == f"/graph/v1/paper/DOI:{doi}/references"
