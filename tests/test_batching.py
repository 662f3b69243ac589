"""How a crawl packs its requests (litmap/batching.py): the plan's arithmetic, without a server.
The request counts it leads to are pinned end to end in test_crawl.py against the fake API."""

from __future__ import annotations

import math

from litmap import batching, s2


def test_a_batch_call_never_passes_the_id_limit_or_the_answer_budget():
    # 1,200 papers, each with 60 references and citations: the budget, not the id limit, cuts
    order = [f"p{i:04d}" for i in range(1200)]
    counts = {p: (60, 60) for p in order}
    need = {p: {"references", "citations"} for p in order}
    calls = batching.chunks_by_budget(order, need, set(), counts)
    assert [p for chunk, _, _ in calls for p in chunk] == order  # every paper once, in order
    for chunk, kinds, full in calls:
        assert len(chunk) <= s2.BATCH_SIZE and kinds == batching.KINDS and not full
        assert len(chunk) + sum(120 for _ in chunk) <= batching.BATCH_EDGE_BUDGET
    assert len(calls) == math.ceil(1200 / (batching.BATCH_EDGE_BUDGET // 121))


def test_few_short_lists_fill_a_call_to_the_id_limit():
    order = [f"p{i:04d}" for i in range(1001)]
    calls = batching.chunks_by_budget(order, {p: {"references"} for p in order}, set(), {p: (1, 1) for p in order})
    assert [len(chunk) for chunk, _, _ in calls] == [500, 500, 1]
    assert all(kinds == ("references",) for _, kinds, _ in calls)


def test_a_paper_costs_every_kind_its_call_asks_for():
    # b, c, d need only references, but a call asking a's citations asks them of all (one
    # `fields` per call): their long citation lists (9,999 served each) count against the
    # budget, so d opens a new call, which asks only references
    counts = {p: (20_000, 5) for p in "abcd"}  # (citations, references)
    need = {"a": {"citations"}, **{p: {"references"} for p in "bcd"}}
    calls = batching.chunks_by_budget(list("abcd"), need, {"d"}, counts)
    assert calls == [(list("abc"), batching.KINDS, False), (["d"], ("references",), True)]
    # asked for references alone, all four fit in one call
    calls = batching.chunks_by_budget(list("abcd"), {p: {"references"} for p in "abcd"}, set(), counts)
    assert calls == [(list("abcd"), ("references",), False)]


def test_completion_pages_follow_the_nested_cap_and_the_offset_cap():
    cut = batching.NESTED_SUSPECT
    assert batching.completion_pages(cut) == 0  # served whole in the batch answer
    assert batching.completion_pages(cut + 1) == 1
    assert batching.completion_pages(cut + s2.PAGE_LIMIT + 1) == 2
    # a neighbour's list longer than the API pages is not completed; a seed's is, up to the cap
    assert batching.completion_pages(50_000) == 0
    assert batching.completion_pages(50_000, seed=True) == math.ceil((s2.OFFSET_CAP - cut) / s2.PAGE_LIMIT)
    need = {"a": {"citations", "references"}, "b": {"references"}}
    counts = {"a": (cut + 1, cut + 1), "b": (cut + 5000, 5)}  # (citations, references)
    assert batching.completion_requests(["a", "b"], need, counts) == 2  # b's citations were not asked for
    assert batching.completion_requests(["c"], {"c": {"citations"}}, {}) == 0  # unknown count: nothing planned


def test_batch_fields_ask_each_kind_nested_and_full_records_or_counts():
    full = batching.batch_fields(("references",)).split(",")
    assert "title" in full and "abstract" in full
    assert [f for f in full if "." in f] == [f"references.{f}" for f in batching.NESTED_FIELDS.split(",")]
    counts_only = batching.batch_fields(batching.KINDS, full=False).split(",")
    assert "title" not in counts_only and "citations.publicationDate" in counts_only
    assert batching.batch_fields(()) == batching.PAPER_FIELDS


def test_by_specificity_puts_the_least_cited_first_ties_by_id():
    counts = {"x": (5, 0), "y": (1, 0), "z": (5, 0), "w": (None, 0)}
    assert batching.by_specificity(["x", "y", "z", "w", "unknown"], counts) == ["unknown", "w", "y", "x", "z"]
