#!/usr/bin/env python3
"""A synthetic Semantic Scholar bulk dataset (papers/, citations/, optional abstracts/), any size.

    python benchmarks/synth_s2ag.py OUT --edges 1000000 [--seed 1] [--abstracts] [--shard-edges 5000000]
                                    [--megahub 30000]

Writes gzip JSONL shards with the fields of the real S2AG shards (papers: corpusid,
externalids, url, title, authors, venue, publicationvenueid, year, referencecount,
citationcount, influentialcitationcount, isopenaccess, s2fieldsofstudy, publicationtypes,
publicationdate, journal, updated; citations: citingcorpusid, citedcorpusid, isinfluential,
contexts, intents, updated; abstracts: corpusid, openaccessinfo, abstract, updated), with the
structure that makes a citation graph hard to index and interesting to map:

* time order: papers are numbered in publication order and cite only older papers;
* topical communities: each paper belongs to one of ~n/2000 topics, whose words make its
  title; most references stay within the topic (a copied reference keeps the topic of the
  paper it was copied from);
* power-law citation counts: the copying model (Kleinberg et al. 1999) -- a reference is an
  earlier paper of the same topic, or, with probability COPY, one of *that* paper's own
  references -- gives citation counts a power-law tail within a topic; references across
  topics (CROSS) go by preferential attachment over the whole graph, so hubs grow with it;
* about 10 references per paper (geometric counts, some papers with none), and a share of
  references with no resolved paper (citedcorpusid null), as in the real data;
* corpusids scattered over 2^31 and shards in a shuffled order, as in the real release.

Deterministic: the same --seed and --edges give byte-identical files (gzip mtime 0).
Memory is a few int32 arrays per edge (about 20 bytes/edge); 3·10^7 edges need ~1 GB.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REFS_MEAN = 10.5  # before duplicate references are merged: ~10 per paper remain
COPY = 0.6  # probability a reference is copied from the references of a same-topic paper
CROSS = 0.15  # probability a reference goes to any field: to a paper picked by preferential attachment
UNRESOLVED = 0.08  # share of references that name no known paper
TOPIC_SIZE = 2000
BLOCK = 20_000  # papers generated together (they see the graph as it was before the block)
SHARD_EDGES = 5_000_000
UPDATED = "2023-01-01T00:00:00.000Z"
INTENTS = ('null', '["background"]', '["methodology"]', '["result"]', '["background","methodology"]')


def _words(rng: np.random.Generator, n: int) -> list[str]:
    cons, vow = "bcdfghklmnprstvz", "aeiou"
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 4))
        out.append("".join(cons[rng.integers(16)] + vow[rng.integers(5)] for _ in range(k)) + cons[rng.integers(16)])
    return out


def generate(edges: int, seed: int) -> dict:
    """The graph as arrays: per paper its topic and year; per edge citing, cited (-1: unresolved)."""
    rng = np.random.default_rng(seed)
    n = max(1000, int(edges / (REFS_MEAN * 0.95)))
    topics = max(4, n // TOPIC_SIZE)
    topic = rng.integers(0, topics, n, dtype=np.int32)
    topic[:topics] = np.arange(topics)  # every topic has an early paper to cite
    nrefs = rng.geometric(1 / (REFS_MEAN + 1), n).astype(np.int64) - 1
    nrefs[: topics] = 0
    # per topic, its papers in time order: a uniform pick of an earlier same-topic paper
    order = np.argsort(topic, kind="stable")
    starts = np.searchsorted(topic[order], np.arange(topics + 1))
    rank_in_topic = np.empty(n, dtype=np.int64)
    rank_in_topic[order] = np.arange(n) - starts[topic[order]]
    tkey = topic[order].astype(np.int64) * n + order  # sorted: topic, then time
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nrefs, out=offs[1:])
    cited = np.full(int(offs[-1]), -1, dtype=np.int32)
    block = max(50, min(BLOCK, n // 200))
    for s in range(topics, n, block):
        e = min(n, s + block)
        k = nrefs[s:e]
        citing = np.repeat(np.arange(s, e), k)
        m = citing.size
        if not m:
            continue
        t = topic[citing]
        # an earlier paper of the same topic (earlier than the block: the block sees the past)
        limit = np.maximum(np.searchsorted(tkey, t.astype(np.int64) * n + s) - starts[t], 1)
        pick = starts[t] + (rng.random(m) * limit).astype(np.int64)
        j = order[pick]
        # across topics, preferential attachment (Price 1976): the target of a random earlier
        # reference, so the most cited papers of all fields keep gathering citations
        cross = np.flatnonzero(rng.random(m) < CROSS)
        prev = cited[(rng.random(cross.size) * offs[s]).astype(np.int64)] if offs[s] else np.full(cross.size, -1)
        j[cross] = np.where(prev >= 0, prev, (rng.random(cross.size) * s).astype(np.int64))
        copy = rng.random(m) < COPY
        deg = nrefs[j]
        can = copy & (deg > 0)
        idx = offs[j[can]] + (rng.random(int(can.sum())) * deg[can]).astype(np.int64)
        copied = cited[idx]
        jj = j.astype(np.int32)
        jj[np.flatnonzero(can)[copied >= 0]] = copied[copied >= 0]
        jj[rng.random(m) < UNRESOLVED] = -1
        cited[offs[s]:offs[e]] = jj
    citing = np.repeat(np.arange(n, dtype=np.int32), nrefs)
    # a paper citing the same paper twice is one citation: keep the first
    key = citing.astype(np.int64) * (n + 1) + (cited.astype(np.int64) + 1)
    resolved = cited >= 0
    _, first = np.unique(key[resolved], return_index=True)
    keep = ~resolved
    keep[np.flatnonzero(resolved)[first]] = True
    citing, cited = citing[keep], cited[keep]
    return {"n": n, "topics": topics, "topic": topic, "citing": citing, "cited": cited, "rng": rng}


def corpus_ids(n: int) -> np.ndarray:
    """Distinct ids scattered over 2^31 (an odd multiplier is a bijection modulo 2^31)."""
    return ((np.arange(n, dtype=np.int64) * 2654435761 + 12345) % (1 << 31)).astype(np.int64)


def year_of(n: int) -> np.ndarray:
    # publication grows about exponentially: most papers are recent
    x = np.arange(n) / max(1, n - 1)
    return (1960 + np.floor(63 * np.sqrt(x))).astype(np.int32)


class Shards:
    """Gzip JSONL shards named like the release's, each at most `per` lines."""

    def __init__(self, folder: Path, name: str, per: int):
        self.folder, self.name, self.per = folder, name, per
        folder.mkdir(parents=True, exist_ok=True)
        self.index, self.lines, self.f = 0, 0, None

    def write(self, lines: list[str]) -> None:
        i = 0
        while i < len(lines):
            if self.f is None or self.lines >= self.per:
                self.close()
                path = self.folder / f"{self.name}-{self.index:04d}.jsonl.gz"
                self.f = gzip.GzipFile(path, "wb", compresslevel=1, mtime=0)
                self.index, self.lines = self.index + 1, 0
            take = lines[i : i + self.per - self.lines]
            self.f.write(("\n".join(take) + "\n").encode())
            self.lines += len(take)
            i += len(take)

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None


def add_megahub(g: dict, citers: int, seed: int) -> int:
    """Make an early paper cited by `citers` more papers picked at random among the later ones:
    a hub of the size the real release's most cited papers reach (tens of thousands of citers),
    which preferential attachment at a synthetic size does not. Returns its index."""
    n, citing, cited = g["n"], g["citing"], g["cited"]
    hub = g["topics"]  # the first paper after the topics' founders
    later = np.arange(max(hub + 1, n // 20), n)
    pick = np.random.default_rng(seed + 7).choice(later, size=min(citers, len(later)), replace=False)
    pick = np.setdiff1d(pick, citing[cited == hub]).astype(np.int32)
    g["citing"] = np.concatenate((citing, pick))
    g["cited"] = np.concatenate((cited, np.full(len(pick), hub, dtype=np.int32)))
    return hub


def write(out: Path, edges: int, seed: int, abstracts: bool, shard_edges: int = SHARD_EDGES,
          log=lambda msg: print(msg, file=sys.stderr), megahub: int = 0) -> dict:
    t0 = time.perf_counter()
    g = generate(edges, seed)
    hub = add_megahub(g, megahub, seed) if megahub else None
    n, citing, cited, rng = g["n"], g["citing"], g["cited"], g["rng"]
    log(f"graph: {n:,} papers, {citing.size:,} references ({int((cited < 0).sum()):,} unresolved) "
        f"in {time.perf_counter() - t0:.1f} s")
    cids = corpus_ids(n)
    resolved = cited >= 0
    citations = np.bincount(cited[resolved], minlength=n)
    references = np.bincount(citing, minlength=n)
    infl_share = rng.random(citing.size) < 0.1
    intent = rng.integers(0, len(INTENTS), citing.size)

    perm = rng.permutation(citing.size)  # the release's shards are in no particular order
    sh = Shards(out / "citations", "citations", shard_edges)
    for s in range(0, perm.size, 1_000_000):
        p = perm[s : s + 1_000_000]
        a, b = cids[citing[p]], cited[p]
        bb = np.where(b >= 0, cids[np.maximum(b, 0)], -1)
        fl, it = infl_share[p], intent[p]
        sh.write([
            f'{{"citingcorpusid":"{x}","citedcorpusid":{"null" if y < 0 else chr(34) + str(y) + chr(34)},'
            f'"isinfluential":{"true" if f else "false"},"contexts":null,"intents":{INTENTS[i]},"updated":"{UPDATED}"}}'
            for x, y, f, i in zip(a.tolist(), bb.tolist(), fl.tolist(), it.tolist())
        ])
    sh.close()
    log(f"citations written in {time.perf_counter() - t0:.1f} s")

    vocab = _words(np.random.default_rng(seed + 1), 4000)
    topic_words = np.random.default_rng(seed + 2).integers(0, len(vocab), (g["topics"], 12))
    years = year_of(n)
    papers = Shards(out / "papers", "papers", max(1, shard_edges // 10))
    abst = Shards(out / "abstracts", "abstracts", max(1, shard_edges // 10)) if abstracts else None
    pr = np.random.default_rng(seed + 3)
    for s in range(0, n, 200_000):
        e = min(n, s + 200_000)
        tw = topic_words[g["topic"][s:e]]
        pick = pr.integers(0, 12, (e - s, 5))
        generic = pr.integers(0, len(vocab), (e - s, 2))
        nauth = pr.integers(1, 5, e - s)
        lines, alines = [], []
        for k, i in enumerate(range(s, e)):
            cid = int(cids[i])
            pid = hashlib.sha1(f"synth:{cid}".encode()).hexdigest()
            words = [vocab[w] for w in tw[k][pick[k]]] + [vocab[w] for w in generic[k]]
            title = " ".join(words).capitalize()
            authors = ",".join(f'{{"authorId":"{cid % 999983 + a}","name":"A. {vocab[(cid + a) % 4000].capitalize()}"}}'
                               for a in range(int(nauth[k])))
            y = int(years[i])
            lines.append(
                f'{{"corpusid":{cid},"externalids":{{"ACL":null,"DBLP":null,"ArXiv":null,"MAG":"{cid + 10**9}",'
                f'"CorpusId":"{cid}","PubMed":null,"DOI":"10.5555/synth.{cid}","PubMedCentral":null}},'
                f'"url":"https://www.semanticscholar.org/paper/{pid}","title":{json.dumps(title)},'
                f'"authors":[{authors}],"venue":"Journal of {vocab[int(tw[k][0])].capitalize()}",'
                '"publicationvenueid":null,'
                f'"year":{y},"referencecount":{int(references[i])},"citationcount":{int(citations[i])},'
                f'"influentialcitationcount":0,"isopenaccess":false,"s2fieldsofstudy":null,'
                f'"publicationtypes":["JournalArticle"],"publicationdate":"{y}-01-01",'
                f'"journal":{{"name":"Journal of {vocab[int(tw[k][0])].capitalize()}","pages":null,"volume":"1"}},'
                f'"updated":"{UPDATED}"}}'
            )
            if abst is not None:
                body = " ".join(vocab[w] for w in tw[k]) + ". " + title + "."
                alines.append(f'{{"corpusid":{cid},"openaccessinfo":null,"abstract":{json.dumps(body)},"updated":"{UPDATED}"}}')
        papers.write(lines)
        if abst is not None:
            abst.write(alines)
    papers.close()
    if abst is not None:
        abst.close()
    order = np.argsort(-citations, kind="stable")
    summary = {
        "seed": seed, "papers": n, "topics": g["topics"], "references": int(citing.size),
        "edges": int(resolved.sum()), "unresolved": int((~resolved).sum()),
        "max_citations": int(citations.max()),
        "median_citations": float(np.median(citations)),
        "hub_corpusid": int(cids[order[max(0, int(n * 0.0001) - 1)]]),
        "hub_citations": int(citations[order[max(0, int(n * 0.0001) - 1)]]),
        "median_corpusid": int(cids[_median_paper(citations, references)]),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    summary["median_citations_of_median_seed"] = int(citations[_median_paper(citations, references)])
    if hub is not None:
        summary["megahub_corpusid"], summary["megahub_citations"] = int(cids[hub]), int(citations[hub])
    (out / "synth.json").write_text(json.dumps(summary, indent=1) + "\n")
    log(json.dumps(summary))
    return summary


def _median_paper(citations: np.ndarray, references: np.ndarray) -> int:
    """A paper of median degree among papers with both references and citations (a seed
    with nothing around it makes no map)."""
    deg = citations + references
    ok = np.flatnonzero((citations > 0) & (references > 0))
    med = np.median(deg[ok])
    return int(ok[np.argmin(np.abs(deg[ok] - med))])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--edges", type=float, default=1e6, help="target number of references (e.g. 1e7)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--abstracts", action="store_true")
    ap.add_argument("--shard-edges", type=int, default=SHARD_EDGES)
    ap.add_argument("--megahub", type=int, default=0, help="add a paper cited by this many more papers")
    args = ap.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        sys.exit(f"{args.out} exists and is not empty")
    write(args.out, int(args.edges), args.seed, args.abstracts, args.shard_edges, megahub=args.megahub)


if __name__ == "__main__":
    main()
