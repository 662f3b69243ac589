"""Maps of a researcher's own library: resolve its entries, map it, and say what it is missing.

Resolution costs ⌈ids/500⌉ `POST /paper/batch` calls per round (a round tries each unresolved
entry's next id: DOI, then arXiv, then PubMed...), plus one `/paper/search/match` call per entry
that carries no id at all; ids the cache already knows cost nothing. The map itself is the
ordinary crawl with every resolved entry as a seed (pipeline.build_map), so its request count is
the crawl's. What this module adds on top of the map, all computed from the store's lists:
  * `library`: how many entries resolved, which seeds are drawn and which are tied to nothing
    else in the map (listed, not drawn as isolated dots), and how many suggestions there are;
  * `missing`: the map's suggestions (papers most related to the library and not in it, in the
    crawl's rank order), each with its evidence: how many library papers cite it, it cites, are
    co-cited with it (share a citer) and are coupled with it (share a reference).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable

from litmap import batching, crawl, s2, text
from litmap import ids as idmod
from litmap.libfile import Entry
from litmap.records import paper_aliases
from litmap.store import GraphStore, Store, writable

NO_ID = "no DOI, arXiv id, PMID, S2 id or title to look up"


@dataclass
class Resolution:
    entry: Entry
    paper_id: str | None = None
    via: str = ""                 # the id or "title" that found it
    reason: str | None = None     # why it is not a seed (unresolved, or a duplicate)
    title: str | None = None      # Semantic Scholar's title, when resolved
    in_map: str | None = None     # unresolved, yet a paper of the map is this entry (find_in_map)
    in_map_by: str = ""           # "title" or the id that matched it
    duplicate: bool = False       # another entry of the file names the same paper (or id)

    @property
    def seed(self) -> bool:
        return self.paper_id is not None and self.reason is None


def resolve(entries: list[Entry], store: GraphStore, client: s2.Client | None,
            progress: Callable[[str], None] = lambda stage: None) -> list[Resolution]:
    """One Resolution per entry, in file order. Never raises for an entry it cannot resolve;
    only a failure of the API itself (network, key, rate limit) propagates."""
    out = [Resolution(e) for e in entries]
    first: dict[str, Resolution] = {}
    pending: list[Resolution] = []
    for r in out:
        e = r.entry
        if not e.refs and not e.title:
            r.reason = "; ".join(e.problems) or NO_ID
            continue
        key = e.refs[0].alias if e.refs else idmod.alias_key("title", e.title or "")
        if key in first:
            r.reason, r.duplicate = f"duplicate of {_where(first[key].entry)}", True
            continue
        first[key] = r
        pending.append(r)
    for r in pending:  # what the cache (or the dataset index) already knows
        for ref in r.entry.refs or [idmod.Ref("title", r.entry.title or "")]:
            pid = crawl.known_id(store, ref)
            if pid:
                r.paper_id, r.via = pid, str(ref) if ref.kind != "title" else "title"
                break
    todo = [r for r in pending if r.paper_id is None]
    known = store.get_papers([r.paper_id for r in pending if r.paper_id])
    if client is None:  # a dataset or the cache alone: titles matched in the store (match_title)
        _match_titles(todo, store)
    else:
        _ask_ids(todo, writable(store), client, progress)
        _ask_titles([r for r in todo if not r.entry.refs], writable(store), client, progress)
    known.update(store.get_papers([r.paper_id for r in todo if r.paper_id]))
    for r in todo:
        if r.paper_id is None and r.reason is None:
            tried = ", ".join(str(ref) for ref in r.entry.refs) or f"title {r.entry.title!r}"
            where = "on Semantic Scholar" if client is not None else "in the dataset or cache (no API asked)"
            r.reason = f"not found {where}: {tried}" + "".join(f"; {p}" for p in r.entry.problems)
    seen: dict[str, Resolution] = {}
    for r in out:
        if r.paper_id and r.reason is None:
            r.title = (known.get(r.paper_id) or {}).get("title")
            if r.paper_id in seen:
                r.reason, r.duplicate = f"same paper as {_where(seen[r.paper_id].entry)}", True
            else:
                seen[r.paper_id] = r
    return out


def _where(entry: Entry) -> str:
    return f"line {entry.line}" if entry.line else repr(entry.label)


def _learn(r: Resolution, ref: idmod.Ref | None, raw: dict, store: Store) -> None:
    alias = ref.alias if ref is not None else idmod.alias_key("title", r.entry.title or "")
    r.paper_id, r.via = crawl.learn(store, alias, raw), str(ref) if ref is not None else "title"


def _ask_ids(todo: list[Resolution], store: Store, client: s2.Client, progress) -> None:
    # Round k asks every entry still unresolved for its k-th id, all in the same batch calls.
    depth = max((len(r.entry.refs) for r in todo), default=0)
    for k in range(depth):
        ask = [(r, r.entry.refs[k]) for r in todo if r.paper_id is None and len(r.entry.refs) > k]
        if not ask:
            break
        progress(f"resolving {len(ask)} library entries")
        answers = client.batch([ref.api_id for _, ref in ask], batching.PAPER_FIELDS)
        for (r, ref), raw in zip(ask, answers):
            if raw and raw.get("paperId"):
                _learn(r, ref, raw, store)


def _match_titles(todo: list[Resolution], store: GraphStore) -> None:
    # Offline no other id can be asked for: an entry whose ids are unknown here is matched by
    # its title too.
    for r in todo:
        if r.paper_id is None and r.entry.title:
            pid = store.match_title(r.entry.title)
            if pid:
                r.paper_id, r.via = pid, "title"


def _ask_titles(todo: list[Resolution], store: Store, client: s2.Client, progress) -> None:
    for r in todo:
        if r.paper_id is not None or not r.entry.title:
            continue
        progress(f"matching the title of {_where(r.entry)}")
        try:
            raw = client.match_title(r.entry.title, batching.PAPER_FIELDS)
        except s2.NotFound:
            continue
        except s2.BadRequest as exc:  # e.g. a title the API refuses as a query
            r.reason = f"title not accepted by the API: {exc}"
            continue
        if raw.get("paperId"):
            _learn(r, None, raw, store)


# -- the library view of a map ------------------------------------------------------------------

def title_key(title: str | None) -> str:
    """A title as it compares: LaTeX read, accents, case, punctuation and spacing ignored
    ("The Large {$N$} Limit..." and "The large N limit..." are one key)."""
    plain = unicodedata.normalize("NFKD", text.plain(title or "")).casefold()
    return " ".join(re.findall(r"[^\W_]+", "".join(c for c in plain if not unicodedata.combining(c))))


def find_in_map(resolutions: list[Resolution], nodes: list[dict]) -> list[Resolution]:
    """The resolutions, with each entry that did not resolve but names a suggestion of the map
    (by one of its ids or by its normalised title) pointing at that paper (`in_map`): a paper
    of the library is never suggested as missing from it, even when its entry did not resolve."""
    by_key: dict[str, str] = {}
    for node in nodes:
        if node.get("role") == "seed":  # a paper of the library already (a duplicate entry of it)
            continue
        paper = {**node, "paperId": node.get("paperId") or node["id"]}
        for alias, pid in paper_aliases(paper):
            by_key.setdefault(alias, pid)
        by_key.setdefault(node["id"].lower(), node["id"])
        key = title_key(node.get("title"))
        if key:
            by_key.setdefault("title:" + key, node["id"])
    out = []
    for r in resolutions:
        if r.paper_id is None:
            hit = next(((str(ref), by_key[ref.alias]) for ref in r.entry.refs if ref.alias in by_key), None)
            key = title_key(r.entry.title)
            if hit is None and key and "title:" + key in by_key:
                hit = ("title", by_key["title:" + key])
            if hit is not None:
                r = replace(r, in_map=hit[1], in_map_by=hit[0])
        out.append(r)
    return out


def evidence(store: GraphStore, library: list[str], candidates: list[str]) -> dict[str, dict[str, int]]:
    """Per candidate: library papers citing it, it cites, co-cited with it, coupled with it.

    Read from the lists the crawl fetched for the map's papers (their references and citations),
    so a figure counts only what the store holds; never asks the API. Sparse products over
    the library at once: a library of 20,000 papers costs a second, not a loop per pair."""
    # Here, not at the top: the pipeline imports this module for every map, and numpy with
    # scipy.sparse take ~0.2 s to import, which only a library map needs.
    import numpy as np
    import scipy.sparse as sp

    lib = sorted(set(library))
    ids = sorted(set(lib) | set(candidates))
    ref_edges = store.list_edges(ids, "references")   # (paper, a reference of it)
    cit_edges = store.list_edges(ids, "citations")    # (a citer, paper)
    index = {p: i for i, p in enumerate(sorted({p for e in ref_edges + cit_edges for p in e} | set(ids)))}

    def matrix(pairs: list[tuple[str, str]]) -> sp.csr_matrix:
        rows = [index[a] for a, _ in pairs]
        cols = [index[b] for _, b in pairs]
        m = sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(index), len(index)))
        m.data[:] = 1.0  # an edge stored twice counts once
        return m

    refs = matrix(ref_edges)                           # refs[p, q]: q in p's reference list
    citers = matrix([(b, a) for a, b in cit_edges])    # citers[p, q]: q in p's citation list
    L = np.array([index[p] for p in lib], dtype=np.int64)
    K = np.array([index[c] for c in candidates], dtype=np.int64)
    in_lib = np.isin(K, L)  # a candidate that is itself in the library is not co-cited with itself

    def count(m, self_pair=None) -> list[int]:
        n = np.asarray((sp.csr_matrix(m) > 0).sum(axis=1)).ravel().astype(int)
        if self_pair is not None:
            n -= in_lib & (np.diff(self_pair[K].indptr) > 0)
        counted: list[int] = n.tolist()
        return counted

    cited_by = count(refs[L][:, K].T + citers[K][:, L])
    cites = count(refs[K][:, L] + citers[L][:, K].T)
    cocited = count(citers[K] @ citers[L].T, self_pair=citers)
    coupled = count(refs[K] @ refs[L].T, self_pair=refs)
    return {c: {"cited_by": cited_by[i], "cites": cites[i], "cocited": cocited[i], "coupled": coupled[i]}
            for i, c in enumerate(candidates)}


def evidence_text(ev: dict[str, int]) -> str:
    parts = []
    if ev.get("cited_by"):
        parts.append(f"cited by {ev['cited_by']} of your papers")
    if ev.get("cites"):
        parts.append(f"cites {ev['cites']} of your papers")
    if ev.get("cocited"):
        parts.append(f"co-cited with {ev['cocited']}")
    if ev.get("coupled"):
        parts.append(f"shares references with {ev['coupled']}")
    return ", ".join(parts) or "related through the wider neighbourhood"


def library_view(result: dict, store: GraphStore, resolutions: list[Resolution]) -> dict:
    """The map with `library` and `missing` added, and library papers tied to nothing else in
    the map taken off the drawing (they stay listed in `library.unlinked`). Pure over `result`
    and the store's lists: the same map and cache give the same view."""
    seeds = list(result.get("seeds") or [])
    linked = {x for e in result.get("edges") or [] for x in (e["source"], e["target"])}
    drawn: list[dict] = []
    unlinked: list[dict] = []
    related: list[dict] = []
    for node in result["nodes"]:
        if node.get("role") == "seed":
            (drawn if node["id"] in linked else unlinked).append(node)
        else:
            related.append(node)
    mine = {r.in_map for r in resolutions if r.in_map}  # entries that did not resolve, found in the map
    suggested = [n for n in related if n["id"] not in mine]
    ev = evidence(store, seeds, [n["id"] for n in suggested])
    missing = [{**n, "evidence": ev[n["id"]], "why": evidence_text(ev[n["id"]])} for n in suggested]
    # A duplicate is counted as one (pipeline.library_lines), not as an entry that did not resolve.
    unresolved = [{"line": r.entry.line, "label": r.entry.label, "reason": r.reason,
                   **({"in_map": r.in_map, "in_map_by": r.in_map_by} if r.in_map else {})}
                  for r in resolutions if r.paper_id is None and not r.duplicate]
    out = dict(result)
    out["nodes"] = drawn + related
    out["missing"] = missing
    out["library"] = {
        "entries": len(resolutions), "seeds": len(seeds), "drawn": len(drawn),
        "unlinked": [{k: v for k, v in n.items() if k not in ("x", "y")} for n in unlinked],
        "suggestions": len(suggested), "unresolved": unresolved,
    }
    return out


def seed_refs(resolutions: list[Resolution]) -> list[idmod.Ref]:
    return [idmod.Ref("s2", r.paper_id) for r in resolutions if r.seed and r.paper_id is not None]
