"""How papers and maps are named: author names, surnames, citation keys and file names.

One rule, used by every output, so that the map page, the .bib beside it, its file name and
any later ``litmap export`` agree:
* Names are split the way BibTeX splits them (``Ludwig van der Berg Jr.``: first, von, last,
  jr); the surname is what BibTeX sorts by, and the map's labels show it too.
* Keys look like Google Scholar's (``gurnee2023finding``; no year: ``smithdeep``; no usable
  author: ``anon…``). The surname and the title word are cut at ``KEY_PART`` characters: a
  100,000-letter "word" makes neither a key TeX refuses nor a file name too long to create.
  Colliding keys all get ``a``, ``b``, … in publication order (the date, then the paperId), as
  a reader expects ``2003a`` to precede ``2003b``: a key is stable while the set of papers
  sharing its base key is; a paper joining or leaving that group can re-letter the others. A
  key without a collision never depends on other papers. A map's keys are computed once over
  all its papers (``maps.Map.keys``) and used everywhere.
* A map's files are ``litmap-<first seed's key>`` (several seeds: the key of the first seed
  typed, how many and a digest of the set), or ``litmap-<library file name>`` for a library
  (``litmap-refs-csv`` when ``litmap-refs`` is the map of another file, such as refs.bib; a
  long name cut, with a digest of the whole).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator

from litmap import text as _text
from litmap.records import cap, clean, pid, unique, year

__all__ = ["split_name", "surname", "author_names", "authors", "first_author", "title", "citation_keys",
           "default_stem", "library_stem"]

# NFKD leaves these alone: they are letters of their own, not "letter + accent".
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i",
                       "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t", "ŋ": "ng", "ĸ": "k", "ə": "e"})


def _ascii_fold(text: str) -> str:
    """Lowercase ASCII approximation: 'Łukasiewicz' -> 'lukasiewicz'."""
    s = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return s.encode("ascii", "ignore").decode("ascii")


# ---------------------------------------------------------------- people

_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "des", "dos",
              "das", "do", "la", "le", "ter", "ten", "zu", "af", "av", "bin", "ibn", "al"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def split_name(name: str) -> tuple[str, str, str, str] | None:
    """'Ludwig van der Berg Jr.' -> (first, von, last, jr); None: keep the name literal."""
    tokens = name.split()
    # A comma, a bare "and" or a lone hyphen is name structure to BibTeX (a first name "-"
    # is even an error); such names stay one literal, brace-protected token.
    if not tokens or "," in name or any(t.lower() == "and" or not t.strip("-") for t in tokens):
        return None
    jr = ""
    if len(tokens) >= 3 and tokens[-1].lower() in _SUFFIXES:
        jr, tokens = tokens[-1], tokens[:-1]
    i = len(tokens) - 2  # the first token is always a given name ("Van Morrison")
    while i >= 1 and tokens[i].lower() in _PARTICLES:
        i -= 1
    return " ".join(tokens[: i + 1]), " ".join(tokens[i + 1:-1]), tokens[-1], jr


def surname(name: str) -> str:
    """The surname BibTeX would sort by (the map labels use it too, so they agree with the keys)."""
    parts = split_name(name)
    if parts:
        return parts[2]
    # Literal names: "Smith, J." is surname-first; organisations key on their last word.
    return ((name.split(",")[0] if "," in name else name).split() or name.split())[-1]


def author_names(paper: dict[str, Any]) -> Iterator[str]:
    """The authors' names as readable Unicode, lazily (a key needs the first one only)."""
    names = (a.get("name") if isinstance(a, dict) else a for a in paper.get("authors") or [])
    # Reading LaTeX costs ~1 ms per 100 characters; no output keeps more than 200 of a name,
    # so a longer one (garbage, not a name) is cut before it is read.
    return (n for n in (_text.plain(cap(clean(n), 800), scripts=False) for n in names) if n)


def authors(paper: dict[str, Any]) -> list[str]:
    return list(author_names(paper))


def first_author(paper: dict[str, Any]) -> str:
    return next(author_names(paper), "")


def title(paper: dict[str, Any]) -> str:
    """The title as readable Unicode (LaTeX and HTML entities resolved)."""
    return _text.plain(clean(paper.get("title")))


# ---------------------------------------------------------------- citation keys

_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "by", "at",
              "from", "as", "is", "are", "be", "via", "into", "about", "its", "s"}


KEY_PART = 24  # most characters a key takes from the surname, and from the title word


def _base_key(paper: dict[str, Any]) -> str:
    first = first_author(paper)
    last = re.sub(r"[^a-z0-9]", "", _ascii_fold(surname(first)))[:KEY_PART] if first else ""
    when = year(paper)
    words = re.split(r"[^a-z0-9]+", _ascii_fold(title(paper)))
    word = next((w for w in words if w and w not in _STOPWORDS), "")[:KEY_PART]
    # A name that folds to nothing (山田太郎) keys like an anonymous work.
    return re.sub(r"[^a-z0-9]", "", f"{last or 'anon'}{'' if when is None else when}{word}")


def _letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa."""
    s, n = "", n + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def citation_keys(papers: Iterable[dict[str, Any]]) -> dict[str, str]:
    """paperId -> citation key ([a-z0-9]+), unique within these papers."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for p in unique(papers):
        # an unknown date sorts after every known one ("~" > any digit)
        groups.setdefault(_base_key(p), []).append((clean(p.get("publicationDate"))[:10] or "~", pid(p)))
    keys = {ids[0][1]: base for base, ids in groups.items() if len(ids) == 1}
    taken = set(keys.values())
    for base in sorted(b for b, ids in groups.items() if len(ids) > 1):
        n = 0
        for _, paper_id in sorted(groups[base]):
            while base + _letters(n) in taken:  # "deep"+"a" may be another paper's "deepa"
                n += 1
            keys[paper_id] = base + _letters(n)
            taken.add(keys[paper_id])
    return keys


# ---------------------------------------------------------------- file names


def default_stem(keys: list[str], seed_ids: list[str]) -> str:
    """litmap-<key> for one seed; for several, the key of the first seed typed (`keys` in the
    order typed), how many, and a short digest of the set, so a multi-seed map never
    overwrites a single-seed map's files."""
    first = keys[0] if keys else "map"
    if len(seed_ids) <= 1:
        return f"litmap-{first}"
    digest = hashlib.sha256("\n".join(sorted(seed_ids)).encode()).hexdigest()[:6]
    return f"litmap-{first}-{len(seed_ids)}seeds-{digest}"


_STEM_MAX = 80  # leaves room for a suffix (".csl.json", "-2") within any file system's 255


def library_stem(path: str | Path, with_format: bool = False) -> str:
    """litmap-<the library file's name>, in characters every file system takes; `with_format`:
    its extension too (litmap-refs-csv), for when litmap-refs is another file's map. A long
    name is cut, with a digest of the whole so that two long names that start alike stay apart."""
    path = Path(path)
    tail = "-" + (path.suffix.lstrip(".") or "list") if with_format else ""
    stem = re.sub(r"[^\w.-]+", "_", path.stem + tail)
    if len(stem) > _STEM_MAX:
        stem = stem[:_STEM_MAX] + "-" + hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return "litmap-" + stem
