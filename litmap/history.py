"""What changed in a map since last time, and maps restricted to recent papers.

Each time a map of a seed set is shown, its related papers (id, rank, title) are compared with
the newest version stored for that seed set (`map_history` in the cache, the newest
store.HISTORY_KEEP = 10 versions per seed set; older ones are deleted as new ones arrive).
A seed set is the sorted seed paperIds with --nodes/--depth/--max-papers, not the source, so a
map from fresh API data or a newer dataset is compared with the previous one. If the map differs
from the newest version, it becomes a new version and the difference (new, dropped, top movers)
is stored with it; if it is the same, the difference stored with that version is shown again, so
re-opening an unchanged map keeps its "new" badges and gives byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time

from litmap.errors import UsageError
from litmap.records import clean, published_since, terminal_text
from litmap.store import HISTORY_KEEP, Store
from litmap.text import plain

MOVERS = 5


class DateError(UsageError, ValueError):
    """--since got something that is not a date (or --max-age not an age)."""


def seedset_key(seeds: list[str], options: dict) -> str:
    text = json.dumps([sorted(seeds), options], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()


def _related(result: dict) -> list[dict]:
    return [n for n in result["nodes"] if n.get("role") != "seed"]


def _summary(result: dict) -> dict:
    return {"nodes": [[n["id"], n.get("rank"), n.get("title"), n.get("year")] for n in _related(result)]}


def _fingerprint(summary: dict) -> str:
    return hashlib.sha1(json.dumps([n[:2] for n in summary["nodes"]]).encode()).hexdigest()


def _day(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d")


def compare(old: dict, new: dict) -> dict:
    """new / dropped / movers between two summaries (ids in rank order; movers by |rank change|)."""
    before = {n[0]: n for n in old["nodes"]}
    after = {n[0]: n for n in new["nodes"]}
    moved = [(before[i][1] - after[i][1], i) for i in after if i in before
             and before[i][1] is not None and after[i][1] is not None and before[i][1] != after[i][1]]
    moved.sort(key=lambda m: (-abs(m[0]), m[1]))
    return {
        "new": [i for i in after if i not in before],
        "dropped": [{"id": i, "title": before[i][2], "year": before[i][3]} for i in before if i not in after],
        "movers": [{"id": i, "title": after[i][2], "from": before[i][1], "to": after[i][1]}
                   for _, i in moved[:MOVERS]],
    }


def track(result: dict, cache: Store, options: dict, now: float | None = None) -> dict:
    """The map with `changes` (None the first time) and `new: true` on papers new to it.

    changes = {"since": "YYYY-MM-DD" (when the compared version was made), "new": [ids],
               "dropped": [{id, title, year}], "movers": [{id, title, from, to}],
               "versions": how many versions are stored}."""
    key = seedset_key(result.get("seeds") or [], options)
    summary = _summary(result)
    fp = _fingerprint(summary)
    past = cache.map_history(key)
    if past and past[0][1] == fp:
        changes = past[0][2].get("changes")
        current = past[0][0]
    else:
        changes = None
        if past:
            changes = {"since": _day(past[0][0]), **compare(past[0][2], summary)}
        when = time.time() if now is None else now
        if past and when <= past[0][0]:
            when = past[0][0] + 1e-3  # versions stay ordered even with a clock that went back
        cache.put_history(key, fp, {**summary, "changes": changes}, when=when)
        current = when
    out = dict(result)
    fresh = set(changes["new"]) if changes else set()
    out["nodes"] = [{**n, "new": True} if n["id"] in fresh else n for n in result["nodes"]]
    if "missing" in out:
        out["missing"] = [{**n, "new": True} if n["id"] in fresh else n for n in out["missing"]]
    versions = len(cache.map_history(key))
    out["changes"] = None if changes is None else {**changes, "versions": versions}
    out["version"] = {"since": _day(current), "versions": versions}
    return out


def parse_date(text: str) -> dt.date:
    """YYYY, YYYY-MM or YYYY-MM-DD; the first day of the period it names."""
    m = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", text or "")
    try:
        if not m:
            raise ValueError
        return dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        raise DateError(f"{text!r} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY") from None


def since(result: dict, day: dt.date) -> dict:
    """A map ranked among papers published since `day` (crawl.Options.since), marked so, with
    its Derivative works and a library's Missing list held to the same dates. Prior works stay
    whatever their date: they are what the recent papers build on. The seeds stay too."""
    out = dict(result)
    for name in ("derivative", "missing"):
        if name in result:
            out[name] = [p for p in result[name] if published_since(p, day)]
    if "citations" in result:
        keep = {n["id"] for n in out["nodes"]}
        keep |= {p["id"] for name in ("prior", "derivative") for p in out.get(name, [])}
        keep |= {p["id"] for p in (result.get("library") or {}).get("unlinked", [])}
        out["citations"] = [e for e in result["citations"] if e["source"] in keep and e["target"] in keep]
    out["since"] = day.isoformat()
    return out


def known(result: dict, cache: Store, options: dict) -> bool:
    """Whether a version of this map's seed set is stored already (before `track` adds one)."""
    return bool(cache.map_history(seedset_key(result.get("seeds") or [], options)))


def since_note(info: dict) -> str:
    """What --since left out, in one line (stats["since"] of crawl.Crawler._since)."""
    older = info.get("older", 0)
    return (f"ranked among papers published since {info.get('date')}: {info.get('left_out', 0)} of the "
            f"{info.get('of', 0)} most related papers are older and left out ({older:,} older candidate"
            f"{'' if older == 1 else 's'} in all)")


def summary_lines(result: dict, titles: int = 3, first: bool | None = None) -> list[str]:
    """The short printed summary of a tracked map: what is new (by title), the top movers.
    `first`: whether this run made the first version (None: guessed from the version's date)."""
    changes, version = result.get("changes"), result.get("version") or {}
    if changes is None:
        if first is None:
            first = version.get("versions", 1) == 1 and version.get("since") == _day(time.time())
        if not first:
            return [f"the map is the same as on {version.get('since')}"
                    + (" (its first version)" if version.get("versions", 1) == 1 else "")]
        return ["first map of these seeds: later runs (--refresh, --max-age, a newer dataset) show what changed"]
    lines = [f"since {changes['since']}: {len(changes['new'])} new, {len(changes['dropped'])} dropped"
             + (f", {len(changes['movers'])} moved" if changes["movers"] else "")
             + f" (map of {version.get('since')}; {changes['versions']} versions kept, at most {HISTORY_KEEP})"]
    by_id = {n["id"]: n for n in result.get("nodes") or []}
    fresh = [by_id[i] for i in changes["new"] if i in by_id]  # --since may have hidden some
    for n in fresh[:titles]:
        lines.append(f"  new {n.get('rank')}: {_short(n.get('title'))}")
    if len(fresh) > titles:
        lines.append(f"  … and {len(fresh) - titles} more new (marked NEW on the page)")
    for m in changes["movers"][:titles]:
        lines.append(f"  moved {m['from']} -> {m['to']}: {_short(m['title'])}")
    return lines


def _short(title, n: int = 70) -> str:
    text = terminal_text(plain(clean(title))) or "(untitled)"  # as the terminal tables show titles
    return text if len(text) <= n else text[: n - 1] + "…"


def parse_age(text: str) -> float:
    """Seconds in '30d', '12h', '45m', '2w' or a bare number of days; DateError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", (text or "").lower())
    if not m:
        raise DateError(f"{text!r} is not an age; use e.g. 30d, 12h, 2w (s, m, h, d, w; a bare number is days)")
    return float(m[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 86400}[m[2]]
