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
  words and phrases of up to three ("black hole") with stop words, numbers and markup removed and LaTeX
  read as text (litmap.text: "AdS$_5$" counts as "ads5", "Poincar\\'e" as "poincaré");
  a plural is folded into its singular when the map uses both. A cluster's label is its 3 best
  terms used by at least two of its papers (terms of one paper fill it up to two), no two
  sharing a word; a term most of whose papers use one longer phrase is shown as that phrase
  ("hole" as "black hole", "sitter space" as "de sitter space"), as most papers spell it.

Pure functions; ties broken by term / id, so output is deterministic.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import networkx as nx

from litmap.text import plain

LOUVAIN_SEED = 13
RESOLUTION = 1.0       # networkx default; higher splits the map into more, smaller clusters
LABEL_TERMS = 3        # terms per label (fewer when fewer are distinctive)
TITLE_WEIGHT = 2.0     # a title use counts as much as two abstract uses
PHRASE_SHARE = 0.5     # a longer phrase replaces a term when used by more than half of its papers

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
certain particular order terms way ways example examples first second third well able
appropriate considering compare compared comparing comment comments see seen time times
simple simply find finds including include includes included provide provides
provided allow allows allowed possible possibly related relation analysis analyze analyse argue
argued point points part parts number numbers give main important interesting novel briefly explicit explicitly detail
detailed directly indeed hence several whereas thereby respectively compute computed computing
revisit revisited
""".split())

_TAG = re.compile(r"<[^>]{0,200}>")
_TOKEN = re.compile(r"[^\W\d_][^\W_]*")  # a letter, then letters and digits


def plain_text(text: str | None) -> str:
    """Text for term counting: LaTeX and entities as readable Unicode (litmap.text), HTML tags
    dropped, NFKC (AdS₅ -> ads5, ligatures split) and lower case."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", _TAG.sub(" ", plain(str(text)))).lower()


Run = list[tuple[str, str]]  # (word, what joined it to the previous word: " " or "-")


def _words(text: str | None) -> list[Run]:
    """Runs of content words: a stop word, or anything but a space or hyphen between two words
    (punctuation, math, a number), ends a run, so phrases never span one. A hyphen splits
    words ("anti-de sitter" and "anti de sitter" are one phrase) but is kept for display."""
    s = plain_text(text)
    runs: list[Run] = [[]]
    last = None
    for m in _TOKEN.finditer(s):
        word, gap = m.group(), s[last:m.start()] if last is not None else " "
        last = m.end()
        joined = "-" if gap == "-" else " " if gap.isspace() else None
        if joined is None or word in _STOP:
            if runs[-1]:
                runs.append([])
            if word in _STOP:
                continue
        runs[-1].append((word, joined or " "))
    return [r for r in runs if r]


def _terms(runs: list[Run], fold: Mapping[str, str]) -> dict[tuple[str, ...], str | None]:
    """Terms of 1-3 words -> how the text writes them when a hyphen is involved, else None. A
    one-letter word (a symbol) only counts inside a phrase: first when a hyphen joins it
    ("d-brane"), last never ("large n limit" but not "large n": "four dimensional n" would be
    the start of "N = 4", cut)."""
    out: dict[tuple[str, ...], str | None] = {}
    for r in runs:
        words = [fold.get(w, w) for w, _ in r]
        m = len(words)
        ok_last = [len(w) > 1 for w in words]
        ok_first = [ok_last[i] or (i + 1 < m and r[i + 1][1] == "-") for i in range(m)]
        for i in range(m):
            if ok_last[i]:
                out.setdefault((words[i],), None)
            if ok_first[i]:  # (a word twice is a stutter, not a phrase: "peptide peptide")
                if i + 1 < m and ok_last[i + 1] and words[i] != words[i + 1]:
                    out.setdefault((words[i], words[i + 1]), None)
                if i + 2 < m and ok_last[i + 2] and len({words[i], words[i + 1], words[i + 2]}) == 3:
                    out.setdefault((words[i], words[i + 1], words[i + 2]), None)
        for j in range(1, m):  # the spelled form of terms across a hyphen
            if r[j][1] == "-":
                for i in range(max(0, j - 2), j):
                    for n in range(j - i + 1, 4):
                        key = tuple(words[i:i + n])
                        if key in out and out[key] is None and i + n <= m:
                            out[key] = words[i] + "".join(r[x][1] + words[x] for x in range(i + 1, i + n))
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
    G: nx.Graph[int] = nx.Graph()
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
    vocab = {w for abstract, title in runs.values() for r in abstract + title for w, _ in r}
    fold = {w: _singular(w, vocab) for w in vocab if len(w) > 3}
    df: Counter[tuple[str, ...]] = Counter()
    surfaces: dict[tuple[str, ...], Counter[str]] = {}
    by_cluster: dict[int, Counter[tuple[str, ...]]] = {}
    papers_using: dict[int, Counter[tuple[str, ...]]] = {}
    sizes: Counter[int] = Counter()
    for pid, (abstract, title) in runs.items():
        found = _terms(abstract, fold)
        weights = dict.fromkeys(found, 1.0)
        in_title = _terms(title, fold)
        weights.update(dict.fromkeys(in_title, TITLE_WEIGHT))
        for key, text in {**found, **in_title}.items():
            if text is not None:  # (the plain spelling is the default)
                surfaces.setdefault(key, Counter())[text] += 1
        c = assignment.get(pid)
        df.update(weights.keys())
        if c is not None:
            by_cluster.setdefault(c, Counter()).update(weights)
            papers_using.setdefault(c, Counter()).update(weights.keys())
            sizes[c] += 1
    if not sizes:
        return {}
    mean = sum(sizes.values()) / len(sizes)

    def shown(t: tuple[str, ...]) -> str:  # the spelling most papers use ("d-brane")
        other = surfaces.get(t, Counter())
        counts = {**other, " ".join(t): df[t] - sum(other.values())}
        return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    out: dict[int, list[str]] = {}
    for c in sorted(by_cluster):
        n_c, tf, uses = sizes[c], by_cluster[c], papers_using[c]
        floor = 2 if n_c >= 3 else 1  # a term of one paper is not the cluster's topic...
        strong = [t for t, u in uses.items() if u >= floor]
        score = {t: (tf[t] / n_c) * math.log(1 + mean / df[t]) for t in strong}
        longer: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for t in strong:
            if len(t) > 1:
                longer.setdefault(t[:-1], []).append(t)
                longer.setdefault(t[1:], []).append(t)
        chosen: list[tuple[str, ...]] = []
        used: set[str] = set()
        for t in sorted(strong, key=lambda t: (-score[t], t)):
            # A term most of whose papers use one longer phrase ("hole" -> "black hole",
            # "sitter space" -> "de sitter space") is shown as that phrase.
            while True:
                ext = [e for e in longer.get(t, []) if uses[e] > PHRASE_SHARE * uses[t]]
                if not ext:
                    break
                t = min(ext, key=lambda e: (-uses[e], -score[e], e))
            if used.intersection(t) or t in chosen:
                continue
            chosen.append(t)
            used.update(t)
            if len(chosen) == k:
                break
        if len(chosen) < 2:  # ...unless the label would have fewer than two: one paper's words
            weak = {t: (tf[t] / n_c) * math.log(1 + mean / df[t]) for t, u in uses.items()
                    if len(t) == 1 and u < floor and t[0] not in used}
            chosen += sorted(weak, key=lambda t: (-weak[t], t))[:2 - len(chosen)]
        out[c] = [shown(t) for t in chosen]
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
