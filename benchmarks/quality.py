"""Ranking quality against truth written by real authors: do the map's papers match a review's?

Protocol (issues #10 and #16). A researcher at time T writes a review: does the map around one paper they
cite surface the other papers they cite? On the bundled hep-th graph (litmap/data/sample):

* Slice: the papers submitted up to the cutoff date and the citations among them, written in the
  bulk-dataset format (citation and reference counts recomputed inside the slice, so nothing from
  after the cutoff leaks in) and read by litmap with ``--source``.
* Reviews: papers submitted in the review window whose title or arXiv comments say review /
  lectures / TASI / introduction / primer / notes, or that appeared in Phys. Rep. / Rev. Mod. Phys.
  (benchmarks/data/hepth-reviews.txt, made by scripts/review_list.py: the bulk format has no
  comments field), with at least 25 references inside the slice.
* Seeds: from each review's in-slice references with at least 5 citations in the slice, the most
  cited, the median and the least cited (ties by id). Truth: the review's other in-slice references.
* litmap: the real pipeline (``litmap.map`` on the slice index, ``--nodes 40``, defaults
  otherwise), i.e. exactly ``litmap seed ID --source SLICE --nodes 40``. Its 40 related papers are
  scored: recall@40 = hits / min(40, |truth|), precision@40 = hits / 40. "map + Prior works" is
  the 40 plus the page's Prior works list (10), scored at 50.
* Baselines over the whole slice (scipy sparse), top 40 / 50, ties by citations then id.
* 95% CIs: bootstrap over reviews (a review's three cases share one truth), 2000 resamples,
  fixed RNG; paired differences resample the same reviews for both methods.

Recent seeds (issue #16, splits ``recent`` and ``recent-later``): the seed is new at the cutoff.
For each paper of the window that is not review-like and has at least 20 in-slice references,
the seed is its newest in-slice reference (the largest arXiv id of the cutoff year among those
with at least 5 in-slice references of their own) and truth its other in-slice references: what
the people who cited that new paper read beside it. A fixed sample of 150 by sha1(arXiv id); each
case is its own cluster in the bootstrap. A table by the seed's citers in the slice (0, 1-2, 3+)
compares litmap with each bucket's best baseline, paired.

Splits: ``dev`` (cutoff 1997-12-31, reviews 1998-1999) and ``recent`` (same cutoff) are the ones
to tune on; ``papers`` (cutoff 1997-12-31, ordinary papers of 1998-1999 with the same reference
rule, a fixed sample of 60) is not tuned on; ``later`` and ``recent-later`` (cutoff 1999-12-31,
papers of 2000-2001) are the final check, never a thing to select on.

    python benchmarks/quality.py                 # all splits (dev first) -> benchmarks/QUALITY.md
    python benchmarks/quality.py --split dev     # one split, printed only (--write to save)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import litmap  # noqa: E402
from litmap.dataset import sample_path  # noqa: E402

SPLITS = {
    "dev": ("1997-12-31", "1998-01-01", "1999-12-31", "reviews"),
    "recent": ("1997-12-31", "1998-01-01", "1999-12-31", "recent"),
    "recent-later": ("1999-12-31", "2000-01-01", "2001-12-31", "recent"),
    "later": ("1999-12-31", "2000-01-01", "2001-12-31", "reviews"),
    "papers": ("1997-12-31", "1998-01-01", "1999-12-31", "papers"),
}
MIN_REFS, MIN_SEED_CITES, K, K_PLUS = 25, 5, 40, 50
N_ORDINARY = 60  # ordinary papers sampled for the "papers" split
MIN_REFS_RECENT, MIN_SEED_REFS, N_RECENT = 20, 5, 150  # the "recent" splits
BUCKETS = ((0, 0, "0 citers"), (1, 2, "1–2 citers"), (3, 10**9, "≥ 3 citers"))  # the seed's, in the slice
BOOT = 2000
REVIEWS = Path(__file__).resolve().parent / "data" / "hepth-reviews.txt"


# -- data -------------------------------------------------------------------------------------

@dataclass
class Sample:
    papers: dict[int, dict]          # corpusid -> bulk record
    refs: dict[int, list[int]]       # citing -> cited (whole sample)


def load_sample() -> Sample:
    root = sample_path()
    papers: dict[int, dict] = {}
    with gzip.open(root / "papers" / "papers-0.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            papers[rec["corpusid"]] = rec
    refs: dict[int, list[int]] = {}
    with gzip.open(root / "citations" / "citations-0.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            a, b = int(rec["citingcorpusid"]), int(rec["citedcorpusid"])
            if a != b:
                refs.setdefault(a, []).append(b)
    return Sample(papers, refs)


def slice_ids(s: Sample, cutoff: str) -> set[int]:
    return {c for c, r in s.papers.items() if r.get("publicationdate") and r["publicationdate"] <= cutoff}


def write_slice(s: Sample, keep: set[int], dest: Path) -> Path:
    """The slice in the bulk format: kept papers (counts recomputed), citations among them."""
    edges = sorted((a, b) for a in keep for b in set(s.refs.get(a, ())) if b in keep)
    cit = dict.fromkeys(keep, 0)
    ref = dict.fromkeys(keep, 0)
    for a, b in edges:
        ref[a] += 1
        cit[b] += 1
    (dest / "papers").mkdir(parents=True, exist_ok=True)
    (dest / "citations").mkdir(parents=True, exist_ok=True)
    with gzip.open(dest / "papers" / "papers-0.jsonl.gz", "wt", encoding="utf-8") as f:
        for c in sorted(keep):
            rec = dict(s.papers[c], citationcount=cit[c], referencecount=ref[c])
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    with gzip.open(dest / "citations" / "citations-0.jsonl.gz", "wt", encoding="utf-8") as f:
        for a, b in edges:
            f.write(json.dumps({"citingcorpusid": str(a), "citedcorpusid": str(b),
                                "isinfluential": False, "contexts": None, "intents": None}) + "\n")
    return dest


@dataclass
class Case:
    review: int
    seed: int
    truth: frozenset[int]


def make_cases(s: Sample, split: str, limit: int | None = N_RECENT) -> list[Case]:
    """The split's cases; for a `recent` split the first `limit` by sha1 (None: all of them)."""
    cutoff, start, end, kind = SPLITS[split]
    keep = slice_ids(s, cutoff)
    cites = dict.fromkeys(keep, 0)
    for a in keep:
        for b in set(s.refs.get(a, ())):
            if b in keep:
                cites[b] += 1
    marked = set(REVIEWS.read_text(encoding="utf-8").split())
    if kind == "recent":
        return _recent_cases(s, keep, start, end, marked)[:limit]
    out: list[Case] = []
    pool = []
    for c in sorted(s.papers):
        rec = s.papers[c]
        date = rec.get("publicationdate")
        if not date or not (start <= date <= end):
            continue
        is_review = rec["externalids"]["ArXiv"] in marked
        if is_review != (kind == "reviews"):
            continue
        inref = sorted(set(s.refs.get(c, ())) & keep)
        if len(inref) < MIN_REFS:
            continue
        eligible = sorted((b for b in inref if cites[b] >= MIN_SEED_CITES), key=lambda b: (-cites[b], b))
        if len(eligible) < 3:
            continue
        pool.append((c, inref, eligible))
    if kind == "papers":  # a fixed, spread-out sample of ordinary papers
        step = max(1, len(pool) // N_ORDINARY)
        pool = pool[::step][:N_ORDINARY]
    for c, inref, eligible in pool:
        picks = list(dict.fromkeys([eligible[0], eligible[len(eligible) // 2], eligible[-1]]))
        for seed in picks:
            out.append(Case(c, seed, frozenset(inref) - {seed}))
    return out


def _recent_cases(s: Sample, keep: set[int], start: str, end: str, marked: set[str]) -> list[Case]:
    """Seeds that are new at the cutoff (issue #16): for a non-review paper of the window with
    at least 20 in-slice references, the seed is its newest in-slice reference, the largest
    arXiv id of the cutoff year among those with at least 5 in-slice references of their own;
    truth is the paper's other in-slice references (what the people who cited that new paper
    read beside it). Ordered by sha1 of the citing paper's arXiv id: make_cases keeps the first 150."""
    year = start[:4]
    year = str(int(year) - 1)  # the cutoff year: the window starts the day after it
    arxiv = {c: s.papers[c]["externalids"]["ArXiv"] for c in s.papers}
    n_refs = {c: len(set(s.refs.get(c, ())) & keep) for c in keep}
    pool = []
    for c in sorted(s.papers):
        date = s.papers[c].get("publicationdate")
        if not date or not (start <= date <= end) or arxiv[c] in marked:
            continue
        inref = set(s.refs.get(c, ())) & keep
        if len(inref) < MIN_REFS_RECENT:
            continue
        new = [b for b in inref if (s.papers[b].get("publicationdate") or "").startswith(year)
               and n_refs[b] >= MIN_SEED_REFS]
        if not new:
            continue
        seed = max(new, key=lambda b: arxiv[b])
        pool.append((hashlib.sha1(arxiv[c].encode()).hexdigest(), c, seed, frozenset(inref - {seed})))
    return [Case(c, seed, truth) for _, c, seed, truth in sorted(pool)]


# -- litmap ------------------------------------------------------------------------------------

def corpus_of(paper: dict) -> int:
    return int(paper["externalIds"]["CorpusId"])


def run_litmap(s: Sample, cases: list[Case], slice_dir: Path, work: Path) -> dict[int, tuple[list[int], list[int]]]:
    """seed -> (related papers in rank order, Prior works), from the real pipeline."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    os.environ["LITMAP_CACHE_DIR"] = str(work / "cache")  # maps live here
    os.environ["LITMAP_INDEX_DIR"] = str(work / "indexes")  # the slice's index: not the user's
    for seed in sorted({c.seed for c in cases}):
        m = litmap.map(s.papers[seed]["externalids"]["ArXiv"], source=str(slice_dir), nodes=K, cache_dir=work / "cache")
        out[seed] = ([corpus_of(n) for n in m.related], [corpus_of(p) for p in m.prior])
    return out


# -- baselines ----------------------------------------------------------------------------------

def baselines(s: Sample, cases: list[Case], cutoff: str) -> dict[str, dict[int, list[int]]]:
    keep = sorted(slice_ids(s, cutoff))
    index = {c: i for i, c in enumerate(keep)}
    rows, cols = [], []
    for a in keep:
        for b in set(s.refs.get(a, ())):
            if b in index:
                rows.append(index[a])
                cols.append(index[b])
    n = len(keep)
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    At = A.T.tocsr()
    cit = np.asarray(A.sum(axis=0)).ravel()
    ref = np.asarray(A.sum(axis=1)).ravel()
    U = ((A + At) > 0).astype(np.float64).tocsr()
    deg = np.asarray(U.sum(axis=1)).ravel()
    P = sp.diags(1.0 / np.maximum(deg, 1)) @ U  # row-stochastic walk
    Pt = P.T.tocsr()
    ids_arr = np.array(keep)

    def top(score: np.ndarray, seed_i: int, k: int = K_PLUS) -> list[int]:
        score = score.astype(np.float64).copy()
        score[seed_i] = -np.inf
        cand = np.nonzero(score > 0)[0]
        order = cand[np.lexsort((ids_arr[cand], -cit[cand], -score[cand]))]
        return [int(keep[i]) for i in order[:k]]

    out: dict[str, dict[int, list[int]]] = {m: {} for m in BASELINES}
    for seed in sorted({c.seed for c in cases}):
        i = index[seed]
        e = np.zeros(n)
        e[i] = 1.0
        refs_s, cits_s = A[i].toarray().ravel(), At[i].toarray().ravel()
        coup = A @ refs_s                      # shared references
        cocit = At @ cits_s                    # shared citers
        s_coup = coup / np.sqrt(np.maximum(ref * ref[i], 1))
        s_cocit = cocit / np.sqrt(np.maximum(cit * cit[i], 1))
        direct = (refs_s + cits_s) > 0
        hop2 = (U @ (U @ e)) > 0
        r = e.copy()
        for _ in range(50):
            r = 0.15 * e + 0.85 * (Pt @ r)
        out["cocitation"][seed] = top(cocit, i)
        out["ppr"][seed] = top(r, i)
        out["popularity"][seed] = top(np.where(hop2 | direct, cit + 1e-9, 0), i)
        out["direct"][seed] = top(np.where(direct, cit + 1e-9, 0), i)
        out["cp_like"][seed] = top(s_coup + s_cocit, i)
        out["inciteful_like"][seed] = top(s_coup + 0.25 * s_cocit, i)
        out["coupling"][seed] = top(coup, i)
    return out


BASELINES = {
    "cocitation": "raw co-citation count with the seed",
    "ppr": "personalized PageRank from the seed (undirected, restart 0.15)",
    "popularity": "popularity (2-hop pool ranked by citations)",
    "direct": "direct neighbours ranked by citations",
    "cp_like": "Connected-Papers-like: Salton(coupling) + Salton(co-citation)",
    "inciteful_like": "Inciteful-like: Salton(coupling) + 0.25·Salton(co-citation)",
    "coupling": "raw coupling count",
}


# -- scoring ------------------------------------------------------------------------------------

def per_case(cases: list[Case], ranked: dict[int, list[int]], k: int) -> tuple[np.ndarray, np.ndarray]:
    rec, prec = [], []
    for c in cases:
        hits = len(set(ranked[c.seed][:k]) & c.truth)
        rec.append(hits / min(k, len(c.truth)))
        prec.append(hits / k)
    return np.array(rec), np.array(prec)


def bootstrap(cases: list[Case], values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95% CI, resampling reviews (clusters of cases) with replacement."""
    reviews = sorted({c.review for c in cases})
    groups = [np.array([j for j, c in enumerate(cases) if c.review == r]) for r in reviews]
    sums = np.array([values[g].sum() for g in groups])
    sizes = np.array([len(g) for g in groups])
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(groups), size=(BOOT, len(groups)))
    means = sums[draw].sum(axis=1) / sizes[draw].sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def fmt(m: tuple[float, float, float]) -> str:
    return f"{m[0]:.3f} [{m[1]:.3f}, {m[2]:.3f}]"


def evaluate(split: str, work: Path) -> tuple[str, dict]:
    t0 = time.time()
    s = load_sample()
    cases = make_cases(s, split)
    cutoff = SPLITS[split][0]
    slice_dir = write_slice(s, slice_ids(s, cutoff), work / f"slice-{split}")
    lit = run_litmap(s, cases, slice_dir, work)
    t_lit = time.time() - t0
    base = baselines(s, cases, cutoff)
    methods = {"litmap": {seed: rel for seed, (rel, _) in lit.items()}, **base}
    rows, figures = [], {}
    for name, ranked in methods.items():
        r, p = per_case(cases, ranked, K)
        r50, _ = per_case(cases, ranked, K_PLUS)
        figures[name] = (r, p, r50)
    plus = {seed: (rel[:K] + [x for x in pri if x not in rel[:K]])[:K_PLUS] for seed, (rel, pri) in lit.items()}
    plus_r, _ = per_case(cases, plus, K_PLUS)
    best = max(BASELINES, key=lambda m: figures[m][0].mean())
    best50 = max(BASELINES, key=lambda m: figures[m][2].mean())
    for name in ["litmap", *sorted(BASELINES, key=lambda m: -figures[m][0].mean())]:
        r, p, r50 = figures[name]
        label = "**litmap**" if name == "litmap" else BASELINES[name]
        rows.append(f"| {label} | {fmt(bootstrap(cases, r))} | {fmt(bootstrap(cases, p))} | {r50.mean():.3f} |")
    diff = bootstrap(cases, figures["litmap"][0] - figures[best][0])
    diff_p = bootstrap(cases, figures["litmap"][1] - figures[best][1])
    diff50 = bootstrap(cases, plus_r - figures[best50][2])
    wins = int((figures["litmap"][0] > figures[best][0]).sum())
    losses = int((figures["litmap"][0] < figures[best][0]).sum())
    n_rev = len({c.review for c in cases})
    cutoff, start, end, kind = SPLITS[split]
    text = "\n".join([
        f"### Split `{split}`: cutoff {cutoff}, {kind} submitted {start} – {end}",
        "",
        f"{len(cases)} cases from {n_rev} {kind}; slice of {len(slice_ids(s, cutoff)):,} papers. "
        f"Truth per case: median {int(np.median([len(c.truth) for c in cases]))} in-slice references.",
        "",
        "| method (same slice, top 40) | recall@40 [95% CI] | precision@40 [95% CI] | recall@50 |",
        "|---|---|---|---|",
        *rows,
        f"| **litmap map + Prior works** (40 + 10) | | | **{plus_r.mean():.3f}** |",
        "",
        f"* litmap − best baseline ({best}), recall@40, paired: {fmt(diff)}; "
        f"litmap better in {wins} cases, worse in {losses}, tied in {len(cases) - wins - losses}.",
        f"* litmap − {best}, precision@40, paired: {fmt(diff_p)}.",
        f"* map + Prior works − best baseline at 50 ({best50}), recall@50, paired: {fmt(diff50)}.",
        f"* litmap pipeline: {t_lit:.0f} s for {len({c.seed for c in cases})} maps (slice index build included).",
        "",
        *(_bucket_table(s, cases, cutoff, figures) if kind == "recent" else []),
    ])
    return text, {"diff": diff, "best": best}


def _bucket_table(s: Sample, cases: list[Case], cutoff: str, figures: dict) -> list[str]:
    """recall@40 by how many citers the seed has in the slice, and litmap against the best
    baseline of each bucket, paired."""
    keep = slice_ids(s, cutoff)
    citers = {c.seed: sum(1 for a in keep if c.seed in s.refs.get(a, ()) and a != c.seed) for c in cases}
    groups = [[j for j, c in enumerate(cases) if lo <= citers[c.seed] <= hi] for lo, hi, _ in BUCKETS]
    names = ["litmap", *sorted(BASELINES, key=lambda m: -figures[m][0].mean())]
    head = "| method | all " + str(len(cases)) + " | " + " | ".join(
        f"{label} ({len(g)})" for (_, _, label), g in zip(BUCKETS, groups)) + " |"
    lines = ["Recall@40 by the seed's citers in the slice:", "", head, "|---" * (2 + len(BUCKETS)) + "|"]
    for name in names:
        r = figures[name][0]
        cells = [f"{r.mean():.3f}", *(f"{r[g].mean():.3f}" if g else "–" for g in groups)]
        lines.append(f"| {'**litmap**' if name == 'litmap' else name} | " + " | ".join(cells) + " |")
    lines.append("")
    for (_, _, label), g in zip(BUCKETS, groups):
        if not g:
            continue
        sub = [cases[j] for j in g]
        best = max(BASELINES, key=lambda m: figures[m][0][g].mean())
        d = bootstrap(sub, figures["litmap"][0][g] - figures[best][0][g])
        lines.append(f"* {label}: litmap − best baseline of the bucket ({best}), recall@40, paired: {fmt(d)}.")
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=sorted(SPLITS), action="append",
                    help="split(s) to run (default: all; dev and recent first)")
    ap.add_argument("--write", action="store_true", help="write benchmarks/QUALITY.md (default without --split)")
    args = ap.parse_args(argv)
    splits = args.split or ["dev", "recent", "later", "papers", "recent-later"]
    sections = []
    with tempfile.TemporaryDirectory(prefix="litmap-quality-") as tmp:
        for split in splits:
            text, _ = evaluate(split, Path(tmp))
            print(text, flush=True)
            sections.append(text)
    if args.write or not args.split:
        head = ("# Ranking quality on real reviews (benchmarks/quality.py)\n\n"
                "Generated by `python benchmarks/quality.py" + "".join(f" --split {s}" for s in splits)
                + "`; the protocol is in the script's docstring. Deterministic: the same code and "
                "sample give the same table. Tuned on the cutoff-1997 splits `dev` and `recent` "
                "(`benchmarks/tune_ranking.py`); `papers` was not tuned on; `later` and `recent-later` "
                "(cutoff 1999) are the final check.\n\n")
        (Path(__file__).resolve().parent / "QUALITY.md").write_text(head + "\n".join(sections), encoding="utf-8")


if __name__ == "__main__":
    main()
