"""A corpus with planted topics, for the fake API: clusters must find the topics again.

One seed paper sits between TOPICS; each topic has old foundation papers and newer member
papers. Members cite the seed, foundations of their own topic and earlier members of it, and
now and then one foundation of another topic (noise). Titles and abstracts mix the topic's own
words with words common to all topics. Deterministic (seeded RNG, fixed ids).
"""

from __future__ import annotations

import random
from collections import Counter

from tests.fakeapi import Corpus, paper_id

TOPICS = {
    "quantum": "quantum entanglement qubit decoherence teleportation photon superposition".split(),
    "protein": "protein folding enzyme peptide ligand binding conformational".split(),
    "monetary": "monetary inflation interest-rate central-bank liquidity deflation policy".split(),
}
COMMON = ("model data framework evidence dynamics large-scale structure measurement theory "
          "simulation experiment network").split()
FOUNDATIONS, MEMBERS = 8, 14


def _text(rng: random.Random, own: list[str], n: int) -> str:
    return " ".join(rng.choice(own) if rng.random() < 0.55 else rng.choice(COMMON) for _ in range(n))


def _paper(pid: str, title: str, abstract: str, year: int, k: int) -> dict:
    return {"paperId": pid, "title": title, "abstract": abstract, "year": year,
            "authors": [{"authorId": str(500 + k), "name": f"Ada Author{k}"}],
            "venue": "Journal of Tests", "externalIds": {"DOI": f"10.5555/planted.{k}"}}


def planted_corpus(seed: int = 1) -> tuple[Corpus, str, dict[str, str]]:
    """(corpus, seed paper id, planted topic of every non-seed paper)."""
    rng = random.Random(f"planted:{seed}")
    seed_id = paper_id("planted-seed")
    papers = [_paper(seed_id, "A review across quantum protein and monetary research",
                     "We review " + " ".join(COMMON), 2015, 0)]
    truth: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    k = 1
    for topic, words in TOPICS.items():
        found[topic], members[topic] = [], []
        for i in range(FOUNDATIONS):
            pid = paper_id(f"planted-{topic}-f{i}")
            papers.append(_paper(pid, _text(rng, words, 7).capitalize(), _text(rng, words, 60) + ".",
                                 1990 + i, k))
            found[topic].append(pid)
            truth[pid] = topic
            k += 1
        for i in range(MEMBERS):
            pid = paper_id(f"planted-{topic}-m{i}")
            papers.append(_paper(pid, _text(rng, words, 8).capitalize(), _text(rng, words, 60) + ".",
                                 2016 + i % 8, k))
            members[topic].append(pid)
            truth[pid] = topic
            k += 1
    edges: list[tuple[str, str]] = []
    topics = list(TOPICS)
    for topic in topics:
        edges.append((seed_id, found[topic][-1]))  # the seed cites each topic once
        for i, m in enumerate(members[topic]):
            edges.append((m, seed_id))
            edges += [(m, f) for f in rng.sample(found[topic], 4)]
            edges += [(m, e) for e in rng.sample(members[topic][:i], min(i, 3))]
            if rng.random() < 0.25:  # noise: a foundation of another topic
                other = rng.choice([t for t in topics if t != topic])
                edges.append((m, rng.choice(found[other])))
        for i, f in enumerate(found[topic]):  # foundations cite older foundations
            edges += [(f, g) for g in found[topic][:i][-2:]]
    return Corpus.from_papers(papers, sorted(set(edges))), seed_id, truth


def adjusted_rand_index(a: list, b: list) -> float:
    """Hubert & Arabie's ARI of two labelings of the same items (1 = identical partitions)."""
    def pairs(n: int) -> float:
        return n * (n - 1) / 2

    n = len(a)
    index = sum(pairs(v) for v in Counter(zip(a, b)).values())
    sa = sum(pairs(v) for v in Counter(a).values())
    sb = sum(pairs(v) for v in Counter(b).values())
    expected = sa * sb / pairs(n) if n > 1 else 0.0
    top = (sa + sb) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)
