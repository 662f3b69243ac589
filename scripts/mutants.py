#!/usr/bin/env python3
"""Mutation check: plant known bugs one at a time and make sure the fast tests catch each.

    python scripts/mutants.py              # every mutant
    python scripts/mutants.py -k crawl     # the mutants whose name contains "crawl"
    python scripts/mutants.py --list       # what each mutant plants, and the tests it runs
    python scripts/mutants.py --check      # only check that every anchor is still found

Each mutant replaces one small snippet of litmap/ (or of a template) with a buggy variant and
runs the tests that should catch it, without the `slow` marker. It works in a throw-away copy
of the tree (tracked and untracked files, as in the working tree now), so the working tree is
never modified and Ctrl-C cannot leave a bug planted.

A snippet that is not found exactly once is an error, reported as "anchor not found": the code
moved, and the mutant must be updated; it is never skipped silently. The chosen tests are first
run on the unmutated copy: they must pass there, or the check means nothing.

Prints one line per mutant (killed / SURVIVED / ERROR) and exits 1 unless all were killed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the repository root
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, -k expressions
    what: str


CRAWL = "tests/test_crawl.py"

MUTANTS = [
    # -- the crawl ---------------------------------------------------------------------------
    Mutant("crawl-no-depth-2", "litmap/crawl.py",
           "if opts.depth >= 2:", "if opts.depth >= 3:",
           (CRAWL,), "skip the depth-2 (bibliographic coupling) step"),
    Mutant("crawl-truncated-stored-complete", "litmap/crawl.py",
           '"truncated" if truncated else "complete"', '"complete"',
           (CRAWL,), "store a truncated list as complete"),
    Mutant("crawl-unresolved-not-counted", "litmap/crawl.py",
           "len(edges) + unresolved", "len(edges)",
           (CRAWL,), "stop counting unresolved references in a list's total (and the stats)"),
    Mutant("crawl-last-batch-dropped", "litmap/batching.py",
           "if chunk:\n{indent}    out.append(", "if chunk and not out:\n{indent}    out.append(",
           (CRAWL, "tests/test_batching.py"), "drop the last batch of lists when there are several"),
    Mutant("crawl-last-details-batch-dropped", "litmap/crawl.py",
           "for i in range(0, len(todo), s2.BATCH_SIZE):",
           "for i in range(0, max(1, len(todo) - s2.BATCH_SIZE), s2.BATCH_SIZE):",
           (CRAWL,), "drop the last batch of paper details when there are several"),
    Mutant("crawl-refetches-stored-lists", "litmap/crawl.py",
           "missing = {k for k in kinds if p not in have[k]}",
           "missing = set(kinds)",
           (CRAWL,), "ignore the lists already in the cache and fetch them again"),
    # -- the store ---------------------------------------------------------------------------
    Mutant("store-list-row-before-edges", "litmap/store.py",
           "for paper_id, kind, edges, status, total in lists:",
           "for paper_id, kind, edges, status, total in lists:\n"
           "{indent}    c.execute(\"INSERT OR REPLACE INTO lists VALUES (?,?,?,?,?)\", "
           "(paper_id, kind, status, total, now))\n"
           "{indent}    c.execute(\"COMMIT\")\n"
           "{indent}    c.execute(\"BEGIN IMMEDIATE\")",
           ("tests/test_store.py",), "commit a list row before its edges"),
    Mutant("store-stub-overwrites-full", "litmap/store.py",
           'sql if full else sql + " WHERE papers.full = 0"', "sql",
           ("tests/test_store.py",), "let a stub record overwrite a full one"),
    Mutant("store-wal-switch-not-retried", "litmap/store.py",
           "switch_to_wal(self.conn)", 'self.conn.execute("PRAGMA journal_mode=WAL")',
           ("tests/test_store.py::test_eight_processes_open_a_fresh_cache_at_once_50_times",),
           "switch a fresh cache to WAL once, failing when another process holds it"),
    # -- the HTTP client ---------------------------------------------------------------------
    Mutant("s2-no-jitter", "litmap/pacing.py",
           "return base / 2 + rng.uniform(0, base / 2)", "return base",
           ("tests/test_s2.py",), "remove the backoff jitter"),
    Mutant("s2-weak-jitter", "litmap/pacing.py",
           "return base / 2 + rng.uniform(0, base / 2)", "return base / 2 + rng.uniform(0, base / 20)",
           ("tests/test_s2.py",), "make the backoff jitter a tenth as wide"),
    Mutant("s2-retry-after-ignored", "litmap/pacing.py",
           "return min(max(retry_after, 0.0), self.max_retry_after)", "pass",
           ("tests/test_s2.py",), "ignore the server's Retry-After"),
    # -- the map page ------------------------------------------------------------------------
    Mutant("csp-connect-anywhere", "litmap/render.py",
           "connect-src 'none'", "connect-src *",
           ("tests/test_render.py", "-k", "csp"), "let the page connect anywhere (connect-src *)"),
    Mutant("csp-no-base-uri-form-action", "litmap/render.py",
           "base-uri 'none'; form-action 'none'; ", "",
           ("tests/test_render.py", "-k", "csp"), "drop base-uri and form-action from the CSP"),
    Mutant("csp-no-object-src", "litmap/render.py",
           "; object-src 'none'", "",
           ("tests/test_render.py", "-k", "csp"), "drop object-src from the CSP"),
    Mutant("render-json-lt-unescaped", "litmap/render.py",
           r'(text.replace("<", "\\u003c")', "(text",
           ("tests/test_render.py", "-k", "not browser"), "leave '<' unescaped in the page's embedded JSON"),
    # -- exports -----------------------------------------------------------------------------
    Mutant("export-tex-unescaped", "litmap/text.py",
           '_encode("".join(_SPECIAL.get(c, c) for c in text))', "_encode(text)",
           ("tests/test_export.py",), "write BibTeX values without escaping TeX's special characters"),
    # -- datasets ----------------------------------------------------------------------------
    Mutant("dataset-bad-json-not-skipped", "litmap/bulk.py",
           'report.warn(f"{rel}:{n}: not valid JSON, skipped")\n{indent}continue',
           'report.warn(f"{rel}:{n}: not valid JSON, skipped")',
           ("tests/test_dataset.py", "-k", "malformed"), "report a malformed line but read it anyway"),
]


def copy_tree(dest: Path) -> None:
    """The working tree as it is (tracked and untracked, minus what git ignores)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():  # a file deleted but not yet committed is listed, and absent
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _with_indent(snippet: str, text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    return snippet.replace("{indent}", indent if not indent.strip() else "")


def plant(m: Mutant, text: str) -> str:
    """`text` with the mutant planted; ValueError when its anchor is not there exactly once."""
    # {indent} in a snippet stands for the indentation of the anchor's first line: anchors
    # spanning lines are written without knowing how deep the code sits.
    first = m.old.split("{indent}")[0]
    hits = [i for i in range(len(text)) if text.startswith(first, i)]
    matches = [i for i in hits if text.startswith(_with_indent(m.old, text, i), i)]
    if len(matches) != 1:
        found = "not found" if not matches else f"found {len(matches)} times"
        raise ValueError(f"mutant {m.name}: anchor {found} in {m.path} (the code moved: update the mutant): {m.old!r}")
    i = matches[0]
    old = _with_indent(m.old, text, i)
    return text[:i] + _with_indent(m.new, text, i) + text[i + len(old):]


def run_tests(tree: Path, args: tuple[str, ...], timeout: float) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o", "addopts=",
           "-m", "not slow", *args]
    try:
        proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:.0f} s"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    failed = [line.split(" - ")[0].removeprefix("FAILED ") for line in lines if line.startswith("FAILED ")]
    summary = lines[-1] if lines else proc.stderr.strip()[-300:]
    return proc.returncode, (f"by {failed[0]}; " if failed else "") + summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="pattern", default="", help="only the mutants whose name contains this")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--check", action="store_true", help="only check that every mutant can be planted")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per test run (default 600)")
    opts = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if opts.pattern in m.name]
    if opts.list:
        for m in chosen:
            print(f"{m.name:36} {m.path:26} {m.what}  [{' '.join(m.tests)}]")
        return 0
    if not chosen:
        print(f"no mutant name contains {opts.pattern!r}", file=sys.stderr)
        return 2
    if opts.check:
        bad = 0
        for m in chosen:
            try:
                plant(m, (ROOT / m.path).read_text(encoding="utf-8"))
            except ValueError as exc:
                bad += 1
                print(f"ERROR     {exc}")
        print(f"{len(chosen) - bad} of {len(chosen)} anchors found")
        return 1 if bad else 0
    # kill (SIGTERM) unwinds like Ctrl-C does, so the temporary copy is removed either way
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    results: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="litmap-mutants-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        originals = {m.path: (tree / m.path).read_text(encoding="utf-8") for m in chosen}
        # Every anchor first: a moved snippet is reported before any time is spent on tests.
        planted = {}
        for m in chosen:
            try:
                planted[m.name] = plant(m, originals[m.path])
            except ValueError as exc:
                results[m.name] = "ERROR"
                print(f"ERROR     {exc}", flush=True)
        for args in dict.fromkeys(m.tests for m in chosen if m.name in planted):
            code, last = run_tests(tree, args, opts.timeout)
            if code != 0:
                print(f"ERROR     the tests fail without any mutant ({' '.join(args)}): {last}", flush=True)
                return 1
        for m in chosen:
            if m.name not in planted:
                continue
            t0 = time.monotonic()
            (tree / m.path).write_text(planted[m.name], encoding="utf-8")
            try:
                code, last = run_tests(tree, m.tests, opts.timeout)
            finally:
                (tree / m.path).write_text(originals[m.path], encoding="utf-8")
            # pytest exits 1 when a test failed; anything else (2-5, a timeout) is not a kill
            # by an assertion but a broken run, which says nothing about the tests.
            verdict = {0: "SURVIVED", 1: "killed"}.get(code, "ERROR")
            results[m.name] = verdict
            print(f"{verdict:9} {m.name:36} {time.monotonic() - t0:5.1f} s  {m.what}  ({last})", flush=True)
    bad = [name for name, v in results.items() if v != "killed"]
    print(f"\n{len(results) - len(bad)} of {len(results)} mutants killed"
          + (f"; not killed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
