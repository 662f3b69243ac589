"""Topic clusters of a map: communities of its similarity graph, labelled by distinctive terms.

* Communities: networkx Louvain on the map's similarity edges (weight = similarity score), a
  fixed RNG seed and sorted inputs, so the same map gives the same clusters. Communities smaller
  than ``min_size`` (isolated papers, pairs in a big map) stay unclustered (``None``): a legend
  entry per stray paper would say nothing.
* Labels: class-based TF-IDF (c-TF-IDF, as in BERTopic) over titles and abstracts, each cluster
  against the rest of the map: ``w(t, c) = p(t | c) * log(1 + A / f(t))`` where ``p(t | c)`` is the
  share of the cluster's papers using term t (a title use counts double: titles say what a paper
  is about), ``f(t)`` the papers of the whole map using it and ``A`` the mean cluster size. Paper
  counts rather than word counts: one abstract repeating a word ten times is one vote. Terms are
  words and two-word phrases ("black hole") with stop words, numbers and markup removed and LaTeX
  read as text (litmap.text: "AdS$_5$" counts as "ads5", "Poincar\\'e" as "poincaré");
  a plural is folded into its singular when the map uses both. A cluster's label is its 3 best
  terms used by at least two of its papers (terms of one paper fill it up to two), no two
  sharing a word.

Pure functions; ties broken by term / id, so output is deterministic.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from litmap.text import plain

LOUVAIN_SEED = 13
RESOLUTION = 1.0       # networkx default; higher splits the map into more, smaller clusters
LABEL_TERMS = 3        # terms per label (fewer when fewer are distinctive)
TITLE_WEIGHT = 2.0     # a title use counts as much as two abstract uses
PHRASE_SHARE = 0.5     # a phrase replaces its word when used by >= half of the word's papers

_STOP = frozenset("""
a about above across after again against all almost along already also although always am among an
and another any anyone are around as at away back based be became because become been before being
below between both but by can cannot could did do does doing done down due during each either else
even ever every few first for from further get given gives giving go had has have having he her here
hers him his how however i if in into is it its itself just least less like made make makes many may
me might more most much must my neither never new no nor not now of off often on once one only or
other others our out over own per perhaps rather same several she should show shown shows since so
some such than that the their them then there therefore these they this those though three through
thus to too two under until up upon us use used uses using very via was we well were what when where
whether which while who whom whose why will with within without would yet you your
paper papers present presents presented study studies studied result results approach approaches
method methods propose proposed proposes discuss discussed consider considered obtain obtained find
found work works case cases general new recent recently known well-known also various different
certain particular order terms way ways example examples first second third non well able
appropriate considering compare compared comparing comment comments see seen time times small large
high low higher lower simple simply find finds including include includes included provide provides
provided allow allows allowed possible possibly related relation analysis analyze analyse argue
argued point points part parts number numbers give main important interesting novel briefly explicit explicitly detail
detailed directly indeed hence several whereas thereby respectively
""".split())

_TAG = re.compile(r"<[^>]{0,200}>")
_TOKEN = re.compile(r"[^\W\d_](?:[^\W_]|-(?=[^\W_]))*")  # words, digits inside, inner hyphens


def plain_text(text: str | None) -> str:
    """Text for term counting: LaTeX and entities as readable Unicode (litmap.text), HTML tags
    dropped, NFKC (AdS₅ -> ads5, ligatures split) and lower case."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", _TAG.sub(" ", plain(str(text)))).lower()


def _words(text: str | None) -> list[list[str]]:
    """Runs of content words: a stop word (or punctuation) ends a run, so phrases never span one."""
    runs: list[list[str]] = [[]]
    for piece in re.split(r"[.,;:!?()\[\]\"]", plain_text(text)):
        for tok in _TOKEN.findall(piece):
            if tok in _STOP or len(tok) < 2:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append(tok)
        if runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _terms(runs: list[list[str]]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for r in runs:
        out.update((w,) for w in r)
        out.update(zip(r, r[1:]))
    return out


def _singular(word: str, vocab: set[str]) -> str:
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and not word.endswith(("ss", "us", "is")):
            stem = word[: -len(suffix)] + repl
            if stem in vocab:
                return stem
    return word


def communities(node_ids: Iterable[str], edges: Iterable[Mapping[str, Any]],
                *, min_size: int | None = None, seed: int = LOUVAIN_SEED) -> dict[str, int | None]:
    """Node id -> cluster number (0 = largest cluster; ties by smallest member id), or None for
    a paper in a community smaller than ``min_size`` (default: 2, or 1% of the map if more)."""
    import networkx as nx  # lazy, as in layout

    nodes = sorted(set(node_ids))
    if min_size is None:
        min_size = max(2, len(nodes) // 100)
    node_set = set(nodes)
    best: dict[tuple[str, str], float] = {}
    for e in edges:
        s, t, w = str(e["source"]), str(e["target"]), float(e["weight"])
        if s in node_set and t in node_set and s != t and w > 0:
            key = (min(s, t), max(s, t))
            best[key] = max(w, best.get(key, 0.0))
    # Louvain keeps communities in sets; with int nodes (positions in the sorted ids) their
    # iteration order, hence every tie, does not depend on PYTHONHASHSEED as str hashes do.
    pos = {v: i for i, v in enumerate(nodes)}
    G = nx.Graph()
    G.add_nodes_from(range(len(nodes)))
    G.add_weighted_edges_from((pos[s], pos[t], w) for (s, t), w in sorted(best.items()))
    found = nx.community.louvain_communities(G, weight="weight", resolution=RESOLUTION, seed=seed)
    groups = sorted((sorted(nodes[i] for i in c) for c in found if len(c) >= min_size),
                    key=lambda c: (-len(c), c[0]))
    out: dict[str, int | None] = dict.fromkeys(nodes)
    for k, members in enumerate(groups):
        for v in members:
            out[v] = k
    return out


def label_terms(docs: Mapping[str, tuple[str | None, str | None]],
                assignment: Mapping[str, int | None], k: int = LABEL_TERMS) -> dict[int, list[str]]:
    """Cluster number -> its ``k`` most distinctive terms (c-TF-IDF, module docstring), from
    ``docs``: id -> (title, abstract). Unclustered papers count as "the rest of the map"."""
    runs = {pid: (_words(docs[pid][1]), _words(docs[pid][0])) for pid in sorted(docs)}
    vocab = {w for abstract, title in runs.values() for r in abstract + title for w in r}
    fold = {w: _singular(w, vocab) for w in vocab}
    df: Counter[tuple[str, ...]] = Counter()
    by_cluster: dict[int, Counter[tuple[str, ...]]] = {}
    papers_using: dict[int, Counter[tuple[str, ...]]] = {}
    sizes: Counter[int] = Counter()
    for pid, (abstract, title) in runs.items():
        weights = dict.fromkeys(_terms([[fold[w] for w in r] for r in abstract]), 1.0)
        weights.update(dict.fromkeys(_terms([[fold[w] for w in r] for r in title]), TITLE_WEIGHT))
        c = assignment.get(pid)
        df.update(weights.keys())
        if c is not None:
            by_cluster.setdefault(c, Counter()).update(weights)
            papers_using.setdefault(c, Counter()).update(weights.keys())
            sizes[c] += 1
    if not sizes:
        return {}
    # A pair next to a more common phrase ("hole greybody" beside "black hole", "ads3 black") is
    # a fragment of a longer phrase: it would read as nonsense on its own.
    left: Counter[str] = Counter()   # word -> most papers of a phrase ending with it
    right: Counter[str] = Counter()  # word -> most papers of a phrase starting with it
    for t, n in df.items():
        if len(t) == 2:
            left[t[1]] = max(left[t[1]], n)
            right[t[0]] = max(right[t[0]], n)
    fragment = {t for t, n in df.items() if len(t) == 2 and (left[t[0]] > n or right[t[1]] > n)}
    mean = sum(sizes.values()) / len(sizes)
    out: dict[int, list[str]] = {}
    for c in sorted(by_cluster):
        n_c, tf = sizes[c], by_cluster[c]
        floor = 2 if n_c >= 3 else 1  # a term of one paper is not the cluster's topic...
        score = {t: (v / n_c) * math.log(1 + mean / df[t]) for t, v in tf.items() if t not in fragment}
        weak = {t for t in score if papers_using[c][t] < floor}
        ranked = sorted(score, key=lambda t: (t in weak, -score[t], t))
        chosen: list[tuple[str, ...]] = []
        used: set[str] = set()
        for t in ranked:
            if t in weak and len(chosen) >= 2:  # ...unless the label would have fewer than two
                break
            if len(t) == 1:  # a phrase most of the word's papers use reads better than the word
                phrases = [p for p in ranked if len(p) == 2 and t[0] in p and (p in weak) <= (t in weak)
                           and tf[p] >= PHRASE_SHARE * tf[t]]
                free = [p for p in phrases if not used.intersection(p)]
                if free:
                    t = free[0]
            if used.intersection(t) or t in chosen:
                continue
            chosen.append(t)
            used.update(t)
            if len(chosen) == k:
                break
        out[c] = [" ".join(t) for t in chosen]
    return out


def cluster_map(node_ids: Sequence[str], edges: Iterable[Mapping[str, Any]],
                papers: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, int | None],
                                                                  list[dict[str, Any]]]:
    """(node id -> cluster number or None, clusters) for a map; each cluster is
    ``{"id", "label", "terms", "size"}`` with label = terms joined by ", " (None: no text)."""
    assignment = communities(node_ids, edges)
    docs = {pid: ((papers.get(pid) or {}).get("title"), (papers.get(pid) or {}).get("abstract"))
            for pid in node_ids}
    terms = label_terms(docs, assignment)
    sizes = Counter(c for c in assignment.values() if c is not None)
    clusters = [{"id": c, "label": ", ".join(terms.get(c, [])) or None, "terms": terms.get(c, []),
                 "size": sizes[c]} for c in sorted(sizes)]
    return assignment, clusters
