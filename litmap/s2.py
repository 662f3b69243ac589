"""A small client for the Semantic Scholar Graph API, on one requests.Session.

Why our own: the crawler needs Retry-After honoured, bounded exponential backoff with jitter, a
pacing limiter so a well-behaved run is never throttled, typed errors, and connection reuse.
Retry behaviour is data (`pacing.RetryPolicy`), so tests and users can tune it without subclassing.
The API key lives only in the session's headers: it is never logged, stored or put in an error.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from typing import Any, Callable, Iterable
from urllib.parse import quote

from litmap import errors, records
from litmap.pacing import CONNECT_MARGIN, Pacer, RetryPolicy
from litmap.records import sane_text
from litmap.settings import Settings

BATCH_SIZE = 500  # the API's limit on ids per /paper/batch call
PAGE_LIMIT = 1000  # the API's limit on one page of /references or /citations
OFFSET_CAP = 9999  # offset + limit may not pass this: the API serves only ~10,000 of a list


class S2Error(errors.ApiError):
    """Any failure talking to the API; str() is one line fit for the user."""


class NotFound(S2Error, errors.NotFoundError):
    pass


class BadRequest(S2Error):
    pass


class KeyRejected(S2Error, errors.KeyRejectedError):
    pass


class RateLimited(S2Error, errors.RateLimitedError):
    pass


class ServerError(S2Error):
    pass


class NetworkError(S2Error, errors.ApiUnreachableError):
    pass


class BadResponse(S2Error):
    """The answer was not the JSON the API promises (truncated, an HTML page, short batch)."""


def _session() -> Any:
    """A requests.Session whose redirects drop the API key when they leave the host: requests
    strips only Authorization, and x-api-key would follow a redirect anywhere."""
    # requests is imported where a request is made, not at the top: it costs ~80 ms, which a
    # run from the cache or a dataset (this module is imported for every map) never pays.
    import requests

    class Session(requests.Session):
        def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
            super().rebuild_auth(prepared_request, response)
            if self.should_strip_auth(response.request.url, prepared_request.url):
                prepared_request.headers.pop("x-api-key", None)

    return Session()


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, from delay-seconds or an HTTP date; None when unreadable (then the
    ordinary backoff applies: a proxy's odd header must not break the client)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            import email.utils  # here: an HTTP date is rare, and the module costs 10-30 ms at every start

            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _path_id(paper_id: str) -> str:
    # DOIs may hold '?', '#', '%' or spaces; unescaped they would cut the URL short.
    return quote(paper_id, safe="/:;()[],=+@!$&'*")


SERVER_TEXT_MAX = 200  # characters of a server's own error text that reach the user


def _message(resp: Any, key: str | None = None) -> str:
    """What the server says went wrong: one line of at most SERVER_TEXT_MAX characters, with
    the API key blanked out (a server, or a proxy, may echo the request back)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    text = body.get("error") or body.get("message") if isinstance(body, dict) else None
    text = " ".join(str(text or resp.reason or f"HTTP {resp.status_code}").split())
    if key:
        text = text.replace(key, "[API key]")
    if len(text) > SERVER_TEXT_MAX:
        text = text[: SERVER_TEXT_MAX - 1] + "…"
    return text


class Client:
    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        rate: float | None = None,
        max_tries: int = 8,
        timeout: float = 30.0,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        on_request: Callable[[], None] | None = None,
        on_pause: Callable[[str], None] | None = None,
    ):
        # what is not given comes from the environment (settings.py)
        settings = Settings.from_env(api_url=base_url, api_key=api_key, rate=rate)
        self.base_url = settings.api_url.rstrip("/")
        key = settings.api_key
        if key and not re.fullmatch(r"[\x21-\x7e]+", key):
            # requests would quote the key in its InvalidHeader message: say it without the key.
            raise KeyRejected("the API key holds spaces or characters an HTTP header cannot carry; "
                              "check S2_API_KEY or --api-key")
        rate = settings.requests_per_second()
        self.policy = RetryPolicy(tries=max(1, max_tries), backoff=backoff)
        self.timeout = (min(10.0, timeout), timeout)
        self.session = _session()
        self.session.headers["User-Agent"] = "litmap/0.1 (+https://github.com/litmap)"
        if key:
            self.session.headers["x-api-key"] = key
        self.pacer = Pacer(rate, sleep=sleep)
        self.sleep = sleep
        # seeded from the OS: two litmap processes throttled together must not retry together
        self.rng = random.Random()
        self.requests = 0
        self.connected = False  # a request went out: the session holds a kept-alive connection
        self.on_request = on_request
        self.on_pause = on_pause  # told when a 429 makes it wait before retrying: what and how long

    # -- transport ------------------------------------------------------------------------

    def _call(self, method: str, path: str, params: dict | None = None, body: Any = None, expect: type = dict,
              problem: Callable[[Any], str | None] = lambda data: None) -> Any:
        """One API call with the retry policy; `problem` names what is wrong with a well-formed
        but partial answer (a short batch), which is then retried like any broken answer."""
        import requests  # not at the top: see _session

        url = self.base_url + path
        failure = "no attempt made"
        refused = 0
        # Prepared once, before any pacing: what runs between the pacer's go and the bytes leaving
        # (URL and JSON encoding, lazy imports on a first request) would shorten the gap the
        # server sees between this request and the previous one, maybe another process's.
        prepared = self.session.prepare_request(requests.Request(method, url, params=params, json=body))
        settings = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        for attempt in range(self.policy.tries):
            self.requests += 1
            if self.on_request:
                self.on_request()
            retry_after = None
            self.pacer.wait(CONNECT_MARGIN if not self.connected else 0.0)
            self.connected = True
            try:
                resp = self.session.send(prepared.copy(), timeout=self.timeout, **settings)
            except (requests.ConnectionError, requests.Timeout) as exc:
                timeout = isinstance(exc, requests.Timeout)
                failure = f"cannot reach {self.base_url} ({'timed out' if timeout else 'connection failed'})"
                error: type[S2Error] = NetworkError
                refused += not timeout
                if refused >= self.policy.connect_tries:
                    raise error(f"{failure} (gave up after {attempt + 1} tries)") from exc
            else:
                status = resp.status_code
                if status == 200:
                    try:
                        data = resp.json()
                    except ValueError:
                        failure, error = f"{self.base_url} sent a reply that is not complete JSON", BadResponse
                    else:
                        wrong = f"sent {type(data).__name__} where {expect.__name__} was expected" \
                            if not isinstance(data, expect) else problem(data)
                        if wrong is None:
                            return data
                        failure, error = f"{self.base_url} {wrong}", BadResponse
                elif status in self.policy.statuses:
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
                    if retry_after is not None and retry_after > self.policy.max_retry_after:
                        raise (RateLimited if status == 429 else ServerError)(
                            f"the Semantic Scholar API asks to wait {retry_after:.0f} s before the next request "
                            f"(HTTP {status}); try again later"
                        )
                    if status == 429:
                        failure = ("rate limited by the Semantic Scholar API (429 Too Many Requests); "
                                   "try later or use an API key")
                        error = RateLimited
                    else:
                        failure, error = f"Semantic Scholar API server error {status}: {self._said(resp)}", ServerError
                elif status == 404:
                    raise NotFound(self._said(resp))
                elif status == 403:
                    raise KeyRejected("the Semantic Scholar API refused the request (403 Forbidden): "
                                      "the API key was rejected; check S2_API_KEY or --api-key")
                elif status == 401:
                    raise KeyRejected("the Semantic Scholar API asks for a valid API key (401 Unauthorized); "
                                      "check S2_API_KEY")
                elif 400 <= status < 500:
                    raise BadRequest(f"the Semantic Scholar API rejected the request ({status}): {self._said(resp)}")
                else:
                    failure, error = f"unexpected HTTP {status} from {self.base_url}", ServerError
            if attempt + 1 < self.policy.tries:
                wait = self.policy.wait(attempt, retry_after, self.rng)
                self.pacer.hold(wait)
                if error is RateLimited and self.on_pause:
                    self.on_pause(f"rate limited by the API (429): pausing {wait:.0f} s, then retry "
                                  f"{attempt + 1} of {self.policy.tries - 1}")
        raise error(f"{failure} (gave up after {self.policy.tries} tries)")

    def _said(self, resp: Any) -> str:
        return _message(resp, self.session.headers.get("x-api-key"))

    # -- endpoints ------------------------------------------------------------------------

    def batch(self, ids: Iterable[str], fields: str, chunk: int = BATCH_SIZE) -> list[dict | None]:
        """Papers for many ids, in input order, None for ids the API does not know."""
        ids = list(ids)
        out: list[dict | None] = []
        for i in range(0, len(ids), chunk):
            part = ids[i : i + chunk]
            out.extend(self.batch_chunk(part, fields))
        return out

    def batch_chunk(self, ids: list[str], fields: str) -> list[dict | None]:
        def problem(answer: list) -> str | None:
            if len(answer) == len(ids) and all(a is None or isinstance(a, dict) for a in answer):
                return None
            return f"answered a batch of {len(ids)} ids with {len(answer)} records"

        answer: list[dict | None] = self._call("POST", "/graph/v1/paper/batch", {"fields": fields}, {"ids": ids},
                                               expect=list, problem=problem)  # each a dict or None: see problem
        return answer

    def _pages(self, paper_id: str, kind: str, fields: str, limit: int, offset: int = 0,
               stop: int | None = None) -> tuple[list[dict], bool]:
        """Items from position `offset` to the end (or to `stop`: then the flag is False when
        the list goes on past it); the flag says whether the API's window cut the list."""
        items: list[dict] = []
        while True:
            if stop is not None and offset >= stop:
                return items, False
            size = min(limit, PAGE_LIMIT, OFFSET_CAP - offset, *(() if stop is None else (stop - offset,)))
            if size <= 0:
                return items, True  # the API serves no further: the list is truncated
            page = self._call("GET", f"/graph/v1/paper/{_path_id(paper_id)}/{kind}",
                              {"fields": fields, "offset": offset, "limit": size})
            data = page.get("data") or []
            if not isinstance(data, list):
                raise BadResponse(f"{self.base_url} sent a {kind} page without a data list")
            items.extend(d for d in data if isinstance(d, dict))
            nxt = page.get("next")
            if nxt is None:
                return items, False
            if int(nxt) <= offset:  # a cursor that does not move would loop forever
                return items, True
            offset = int(nxt)  # an empty page with a `next` is not the end (allenai/s2-folks#117)

    def references(self, paper_id: str, fields: str, limit: int = PAGE_LIMIT, offset: int = 0,
                   stop: int | None = None) -> tuple[list[dict], bool]:
        return self._pages(paper_id, "references", fields, limit, offset, stop)

    def citations(self, paper_id: str, fields: str, limit: int = PAGE_LIMIT, offset: int = 0,
                  stop: int | None = None) -> tuple[list[dict], bool]:
        return self._pages(paper_id, "citations", fields, limit, offset, stop)

    def match_title(self, title: str, fields: str) -> dict:
        answer = self._call("GET", "/graph/v1/paper/search/match", {"query": title, "fields": fields})
        data = answer.get("data") or []
        if not data:
            raise NotFound("Title match not found")
        if not isinstance(data, list) or not isinstance(data[0], dict):
            raise BadResponse(f"{self.base_url} sent a title match that holds no paper")
        return data[0]


# -- normalisation --------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = sane_text(str(value))
    return value if value.strip() else None


def _int(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def normalise_paper(raw: dict) -> dict:
    """The API's paper JSON as litmap's Paper record (docs/internals.md)."""
    ext = raw.get("externalIds") or {}
    tldr = raw.get("tldr")
    journal = raw.get("journal")
    if isinstance(journal, dict):
        journal = {k: _text(journal.get(k)) for k in ("name", "volume", "pages")}
        if not any(journal.values()):
            journal = None
    else:
        journal = None
    authors = [
        {"authorId": _text(a.get("authorId")), "name": sane_text(str(a.get("name") or "")).strip()}
        for a in raw.get("authors") or []
        if isinstance(a, dict) and str(a.get("name") or "").strip()
    ]
    return {
        "paperId": raw.get("paperId"),
        "corpusId": _int(raw.get("corpusId") or ext.get("CorpusId")),
        "externalIds": {str(k): sane_text(str(v)) for k, v in sorted(ext.items()) if v not in (None, "")},
        "title": _text(raw.get("title")),
        "abstract": _text(raw.get("abstract")),
        "tldr": _text(tldr.get("text")) if isinstance(tldr, dict) else _text(tldr),
        "authors": authors,
        "year": records.publication_year(raw.get("year")),
        "venue": _text(raw.get("venue")),
        "journal": journal,
        "publicationTypes": [str(t) for t in raw.get("publicationTypes") or []],
        "publicationDate": _text(raw.get("publicationDate")),
        "citationCount": _int(raw.get("citationCount")),
        "referenceCount": _int(raw.get("referenceCount")),
        "url": _text(raw.get("url")),
    }


def stub_paper(raw: dict) -> dict:
    """A Paper holding only what a nested list item carries: id, counts, year and date, maybe a
    title. Much cheaper than normalise_paper, and a crawl stores tens of thousands of these."""
    return records.stub_paper(raw.get("paperId"), _text(raw.get("title")), records.publication_year(raw.get("year")),
                              _int(raw.get("citationCount")), _int(raw.get("referenceCount")),
                              _text(raw.get("publicationDate")))


def edges_from_items(paper_id: str, kind: str, items: list[dict]) -> tuple[list[tuple], int]:
    """Edges (citing, cited, isInfluential, intents JSON) of one paper's list; and how many
    items named no paper (references the API could not resolve have paperId null)."""
    other = "citedPaper" if kind == "references" else "citingPaper"
    edges, unresolved = [], 0
    for item in items:
        pid = (item.get(other) or {}).get("paperId")
        if not pid:
            unresolved += 1
            continue
        intents = item.get("intents")
        edge = (paper_id, pid) if kind == "references" else (pid, paper_id)
        edges.append((*edge, item.get("isInfluential"), json.dumps(intents) if intents else None))
    return edges, unresolved
