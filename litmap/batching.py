"""How a crawl packs its requests: the fields it asks for, what one /paper/batch answer may hold,
which nested lists the API cut, and the split of the papers into batch calls.

Pure functions over counts (no I/O): crawl.py decides what to fetch, this decides how many
calls that takes, and benchmarks/crawl.py counts requests with the same numbers.
"""

from __future__ import annotations

import math
from typing import Iterable

from litmap import s2

PAPER_FIELDS = (
    "paperId,corpusId,externalIds,title,abstract,tldr,authors,year,venue,journal,"
    "publicationTypes,publicationDate,citationCount,referenceCount,url"
)
COUNT_FIELDS = "paperId,citationCount,referenceCount"
# year: the ranking weighs the seed's recent citers most (similarity.rank); publicationDate:
# --since decides a candidate known only from a list by its date, as a dataset does; same requests
EDGE_FIELDS = "isInfluential,intents,year,publicationDate," + COUNT_FIELDS
# a nested list's items: stubs with years and dates (every list, so a seed's ranking does not
# depend on whether its citers came nested or paged)
NESTED_FIELDS = "paperId,year,publicationDate,citationCount,referenceCount"
# A nested list at least this long and shorter than the paper's count was probably cut by
# the API's cap on nested lists, so it is fetched again through the paginated endpoint.
NESTED_SUSPECT = 1000
# Keep one batch answer well under the API's 10 MB limit: sum of nested list lengths.
BATCH_EDGE_BUDGET = 40_000
KINDS = ("references", "citations")
Call = tuple[list[str], tuple[str, ...], bool]  # one /paper/batch call: ids, nested kinds, full records?


def list_length(counts: dict[str, tuple], pid: str, kind: str) -> int:
    """The length of `pid`'s list of `kind` by its count (0 when unknown)."""
    return (counts.get(pid) or (0, 0))[kind == "references"] or 0


def completion_pages(count: int, seed: bool = False) -> int:
    """Requests completing a list the batch call cut at NESTED_SUSPECT (Crawler._complete): a
    neighbour's only when the paginated endpoint serves it whole, a seed's up to what it serves."""
    if count <= NESTED_SUSPECT or (count > s2.OFFSET_CAP and not seed):
        return 0
    return math.ceil((min(count, s2.OFFSET_CAP) - NESTED_SUSPECT) / s2.PAGE_LIMIT)


def completion_requests(chunk: list[str], need: dict[str, set[str]], counts: dict[str, tuple],
                        seed: bool = False) -> int:
    """Requests completing the lists one batch call of `chunk` will find cut."""
    return sum(completion_pages(list_length(counts, p, k), seed) for p in chunk for k in need.get(p, ()))


def batch_fields(kinds: Iterable[str], full: bool = True) -> str:
    """The `fields` of a /paper/batch call: full records (or only counts) and each kind's nested list."""
    nested = [f"{k}.{f}" for k in kinds for f in NESTED_FIELDS.split(",")]
    return ",".join([PAPER_FIELDS if full else COUNT_FIELDS, *nested])


def by_specificity(pids: list[str], counts: dict[str, tuple]) -> list[str]:
    """Least-cited first: a paper cited by few is a more specific signal than a classic."""
    return sorted(pids, key=lambda p: (list_length(counts, p, "citations"), p))


def chunks_by_budget(order: list[str], need: dict[str, set[str]], detail: set[str],
                     counts: dict[str, tuple]) -> list[Call]:
    """(ids, nested kinds, full records?) of each batch call. A call asks every paper for the
    union of what its papers need, so a paper costs the nested lists of all the call's kinds:
    the budget counts that, in list items, one per paper besides."""
    def size(p: str, kind: str) -> int:
        return min(list_length(counts, p, kind), s2.OFFSET_CAP)

    out: list[Call] = []
    chunk: list[str] = []
    kinds: set[str] = set()
    sums = dict.fromkeys(KINDS, 0)
    for p in order:
        more = kinds | need.get(p, set())
        total = len(chunk) + 1 + sum(sums[k] + size(p, k) for k in more)
        if chunk and (len(chunk) >= s2.BATCH_SIZE or total > BATCH_EDGE_BUDGET):
            out.append((chunk, tuple(k for k in KINDS if k in kinds), bool(detail & set(chunk))))
            chunk, kinds, sums = [], set(), dict.fromkeys(KINDS, 0)
            more = set(need.get(p, set()))
        chunk.append(p)
        kinds = more
        for k in KINDS:
            sums[k] += size(p, k)
    if chunk:
        out.append((chunk, tuple(k for k in KINDS if k in kinds), bool(detail & set(chunk))))
    return out
