"""Write benchmarks/data/hepth-reviews.txt: the hep-th papers that are reviews, by the rule of
benchmarks/quality.py (title or arXiv comments say review / lectures / TASI / introduction /
primer / notes, or the journal is Phys. Rep. / Rev. Mod. Phys.).

The bundled sample carries titles and journals but not the arXiv "Comments:" line (the bulk
format has no such field), so the benchmark reads the rule's result from this list. Deterministic;
to check the shipped list against the source:

    python scripts/review_list.py ../shared/datasets/hepth /tmp/reviews.txt
    diff /tmp/reviews.txt benchmarks/data/hepth-reviews.txt
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

WORDS = re.compile(r"review|lectures|\btasi|introduction|primer|notes", re.I)
JOURNALS = re.compile(r"phys\.?\s*rep|rev\.?\s*mod\.?\s*phys", re.I)


def is_review(title: str | None, comments: str | None, journal_ref: str | None) -> bool:
    return bool(WORDS.search(title or "") or WORDS.search(comments or "")
                or JOURNALS.search(journal_ref or ""))


def main(src: str, out: str) -> None:
    ids = []
    with gzip.open(Path(src) / "papers.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if is_review(r.get("title"), r.get("comments"), r.get("journal_ref")):
                ids.append(r["id"])
    Path(out).write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="utf-8")
    print(f"{len(ids)} reviews -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/review_list.py HEPTH_DIR OUT.txt")
    main(sys.argv[1], sys.argv[2])
