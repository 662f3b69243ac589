"""Reading the many ways a researcher names a paper.

Every accepted form becomes a `Ref`: what the Graph API accepts as a paper id (`api_id`), and the
key under which the cache remembers which paperId it turned out to be (`alias`), so a second
`litmap seed 2305.01610` needs no request at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from litmap.errors import InvalidIdError

ACCEPTED = (
    "an arXiv id (2305.01610, 2305.01610v2, arXiv:2305.01610, hep-th/9711200, an arxiv.org URL), "
    "a DOI (10.1145/..., doi:10.1145/..., https://doi.org/...), a Semantic Scholar id (40 hex digits) "
    "or URL, CorpusId:N, PMID:N, PMCID:PMCN, ACL:ID, MAG:N, or a title in quotes"
)

_NEW_ARXIV = re.compile(r"(?P<id>(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5})(?:v\d+)?", re.I)
_OLD_ARXIV = re.compile(r"(?P<id>[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3})(?:v\d+)?", re.I)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_HEX40 = re.compile(r"[0-9a-f]{40}", re.I)
_SURROGATE = re.compile("[\ud800-\udfff]")
_PREFIXED = {
    "corpusid": ("CorpusId", re.compile(r"\d+")),
    "pmid": ("PMID", re.compile(r"\d+")),
    "pmcid": ("PMCID", re.compile(r"(?:PMC)?\d+", re.I)),
    "acl": ("ACL", re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")),
    "mag": ("MAG", re.compile(r"\d+")),
}


class IdError(InvalidIdError):
    """The text is not a paper identifier litmap understands."""


@dataclass(frozen=True)
class Ref:
    kind: str  # s2 | arxiv | doi | corpusid | pmid | pmcid | acl | mag | title
    value: str

    @property
    def api_id(self) -> str:
        """The id as the Graph API's /paper/{id} and /paper/batch accept it."""
        if self.kind == "s2":
            return self.value
        if self.kind == "title":
            raise ValueError("a title has no API id; look it up with search/match")
        prefix = {"arxiv": "ARXIV", "doi": "DOI"}.get(self.kind) or _PREFIXED[self.kind][0]
        return f"{prefix}:{self.value}"

    @property
    def alias(self) -> str:
        """Cache key naming this external id (the dataset index uses the same keys)."""
        return alias_key(self.kind, self.value)

    def __str__(self) -> str:
        return self.value if self.kind in ("s2", "title") else self.api_id


def alias_key(kind: str, value: str) -> str:
    """The cache's key for an id (DOIs and titles match whatever their case)."""
    kind = kind.lower()
    if kind == "doi":
        value = value.lower()
    if kind == "title":
        value = value.casefold()
    if kind == "s2":
        return value.lower()
    if kind == "pmcid" and not value.upper().startswith("PMC"):
        value = "PMC" + value
    return f"{kind.upper()}:{value}"


def _arxiv(text: str) -> Ref | None:
    for pattern in (_NEW_ARXIV, _OLD_ARXIV):
        m = pattern.fullmatch(text)
        if m and 1 <= int(m["mm"]) <= 12:
            ident = m["id"]
            if pattern is _OLD_ARXIV:
                archive, number = ident.split("/")
                parts = archive.split(".")
                archive = parts[0].lower() + ("." + parts[1].upper() if len(parts) > 1 else "")
                ident = f"{archive}/{number}"
            return Ref("arxiv", ident)
    return None


def _from_url(text: str) -> Ref | None:
    try:
        url = urlparse(text)
        host = (url.hostname or "").lower()
    except ValueError:  # e.g. "http://[": an unbalanced IPv6 bracket
        return None
    path = unquote(url.path)
    if host.endswith("arxiv.org"):
        m = re.match(r"/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$", path)
        return _arxiv(m.group(1)) if m else None
    if host in ("doi.org", "dx.doi.org", "www.doi.org"):
        doi = path.lstrip("/")
        return Ref("doi", doi) if _DOI.fullmatch(doi) else None
    if host.endswith("semanticscholar.org"):
        m = re.search(r"/paper/(?:.*/)?([0-9a-f]{40})/?$", path, re.I)
        if m:
            return Ref("s2", m.group(1).lower())
        m = re.search(r"/arxiv/(.+?)/?$", path)
        return _arxiv(m.group(1)) if m else None
    return None


def _show(raw: str, limit: int = 80) -> str:
    """The value as typed, cut so one error line stays one readable line."""
    if len(raw) <= limit:
        return repr(raw)
    return repr(raw[:limit]) + f"… ({len(raw):,} characters)"


def _non_latin_letters(text: str) -> int:
    # Letters beyond Latin Extended (CJK, Cyrillic, Greek, Arabic, …): no id looks like that.
    return sum(1 for c in text if c.isalpha() and ord(c) > 0x24F)


def parse(text: str) -> Ref:
    """Read one identifier; raise IdError naming the accepted forms."""
    raw = text
    if _SURROGATE.search(text):
        # Bytes that are not UTF-8 reach argv as lone surrogates (PEP 383).
        raise IdError(f"cannot read {_show(raw.encode('utf-8', 'replace').decode())}: it is not valid UTF-8 text; "
                      f"accepted: {ACCEPTED}")
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        title = " ".join(text[1:-1].split())
        if title:
            return Ref("title", title)
    if text.lower().startswith("title:") and text[6:].strip():
        return Ref("title", " ".join(text[6:].split()))
    if re.match(r"https?://", text, re.I):
        ref = _from_url(text)
        if ref:
            return ref
        raise IdError(f"cannot read the URL {_show(raw)} as a paper; accepted: {ACCEPTED}")
    if any(c.isspace() for c in text) and sum(w[:1].isalpha() for w in text.split()) >= 2:
        # The shell strips the quotes of `litmap seed "Attention is all you need"`.
        return Ref("title", " ".join(text.split()))
    if _HEX40.fullmatch(text):
        return Ref("s2", text.lower())
    head, sep, tail = text.partition(":")
    key = head.lower()
    if sep and key == "arxiv":
        ref = _arxiv(tail.strip())
        if ref:
            return ref
    elif sep and key == "doi":
        doi = tail.strip()
        if _DOI.fullmatch(doi):
            return Ref("doi", doi)
    elif sep and key in _PREFIXED:
        name, pattern = _PREFIXED[key]
        value = tail.strip()
        if pattern.fullmatch(value):
            if key == "pmcid":
                value = "PMC" + value[3:] if value.upper().startswith("PMC") else "PMC" + value
            return Ref(key, value)
    elif not sep or key not in ("arxiv", "doi", *_PREFIXED):
        if _DOI.fullmatch(text):
            return Ref("doi", text)
        ref = _arxiv(text)
        if ref:
            return ref
    if _non_latin_letters(text) >= 2:
        # 深層学習による… has no spaces to tell it is a title, but no identifier is written so
        return Ref("title", " ".join(text.split()))
    raise IdError(f"cannot read {_show(raw)} as a paper id; accepted: {ACCEPTED}")
