"""Tests for litmap.export: every format on a hostile corpus, validated by the real tools.

bibtex (texlive-binaries + texlive-base) and biber are Debian packages; tests that need them
skip when they are missing, except under CI=true where a missing tool is a failure.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import bibtexparser
import jsonschema
import networkx as nx
import pytest
from bibtexparser.bparser import BibTexParser
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from litmap import export
from litmap import text as ltext
from litmap.export import FORMATS, bibtex_entries, to_bibtex, to_csl_json, to_csv, to_gexf, to_graphml, to_json, to_ris
from tests import guard

FIXTURES = Path(__file__).parent / "fixtures"


def hostile() -> list[dict]:
    return json.loads((FIXTURES / "hostile_papers.json").read_text(encoding="utf-8"))


def by_tag() -> dict[str, dict]:
    """Fixture papers by a readable handle (the fixture's order is part of the fixture)."""
    papers = hostile()
    return {"luk": papers[0], "yamada": papers[1], "nunez": papers[2], "anon": papers[3],
            "script": papers[4], "img": papers[5], "cmd": papers[6], "ctrl": papers[10],
            "gurnee": papers[14], "malda": papers[15], "mathag": papers[16],
            "vaswani": papers[17], "lecun": papers[18], "bishop": papers[19],
            "thesis": papers[20], "names": papers[21], "doi": papers[22],
            "confnoyear": papers[23], "braces": papers[24], "empty": papers[27]}


def hostile_map() -> dict:
    """A Map dict (docs/internals.md) whose nodes are the hostile papers."""
    papers = hostile()
    nodes = []
    for i, p in enumerate(papers):
        nodes.append({**p, "id": p["paperId"], "role": "seed" if i == 0 else "related",
                      "similarity": 1.0 if i == 0 else round(1 / (i + 1), 3),
                      "coupling": i % 4, "cocitation": i % 3, "rank": i,
                      "x": round(10.5 * i - 40, 1), "y": round(-3.3 * i, 1)})
    ids = [n["id"] for n in nodes]
    edges = [{"source": min(a, b), "target": max(a, b), "weight": round(0.1 + k / 100, 2)}
             for k, (a, b) in enumerate(zip(ids, ids[1:]))]
    return {"format": "litmap-map/1", "seeds": [ids[0]], "nodes": nodes, "edges": edges,
            "prior": [], "derivative": [], "stats": {"papers_considered": len(nodes)}}


def need(tool: str) -> str:
    return guard.need_tool(tool, "apt-get install texlive-binaries texlive-base biber")


def keys_of(papers: list[dict]) -> dict[str, str]:
    """paperId -> citation key, read back from the entries themselves."""
    return {pid: re.match(r"@\w+\{([^,]+),", e).group(1)
            for pid, e in bibtex_entries(papers).items()}


def parse_bib(text: str) -> list[dict]:
    parser = BibTexParser(common_strings=False, ignore_nonstandard_types=False,
                          interpolate_strings=False)
    return bibtexparser.loads(text, parser=parser).entries


def untex(value: str) -> str:
    """What a LaTeX reader makes of a .bib value (pylatexenc, math as text), one line."""
    value = value.replace("\\textless{}", "<").replace("\\textgreater{}", ">")
    return " ".join(LatexNodes2Text(math_mode="text", strict_latex_spaces=False).latex_to_text(value).split())


def meant(value: str) -> str:
    """What the exporter means a text to read as: clean, LaTeX and HTML entities resolved."""
    return " ".join(ltext.plain(export._clean(value)).split())


def same_reading(bib_value: str, title: str) -> bool:
    """A .bib title reads as the text meant. Random strings that only look like LaTeX
    (a stray backslash, ^ or brace) are interpreted differently by every LaTeX reader, so
    for them the real tools (bibtex, biber, pandoc) are the judges, not this comparison."""
    if re.search(r"[\\$^_{}~]", export._clean(title)):
        return True
    # NFKC: the encoder may spell a ligature (ﬁ) as its letters
    # and LaTeX reads -- as an en dash, which is what "Yang--Mills" means
    want = meant(title).replace("---", "\u2014").replace("--", "\u2013")
    return unicodedata.normalize("NFKC", untex(bib_value)) == unicodedata.normalize("NFKC", want)


def split_authors(value: str) -> list[str]:
    """BibTeX's own rule: ' and ' separates names only at brace depth 0."""
    names, depth, start, i = [], 0, 0, 0
    while i < len(value):
        c = value[i]
        depth += c == "{"
        depth -= c == "}"
        if depth == 0 and value[i:i + 5].lower() == " and ":
            names.append(value[start:i])
            start = i = i + 5
            continue
        i += 1
    return names + [value[start:]]


def assert_braces_balanced(text: str) -> None:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0, text
    assert depth == 0, text


# ------------------------------------------------------------------ keys


def test_clean_makes_one_printable_line():
    assert export._clean(None) == ""
    assert export._clean("  a\tb\nc\r\nd\u2028e\x85f  ") == "a b c d e f"
    assert export._clean("nul\x00 esc\x1b del\x7f \ud800\ufffe") == "nul esc del"
    # NFC runs after the control is gone, so the accent lands on its letter.
    assert export._clean("Z\x00\u0301") == "\u0179"


def test_clean_drops_exactly_the_unprintable_code_points():
    """Every code point between two letters: dropped when it is a control that is not
    whitespace (category Cc), a surrogate (Cs) or U+FFFE/F; whitespace becomes one space; any
    other character is kept (NFC may compose it with its neighbour)."""
    for i in range(0x110000):
        c = chr(i)
        got = export._clean("a" + c + "b")
        if c.isspace():
            want = "a b"
        elif unicodedata.category(c) in ("Cc", "Cs") or c in "\ufffe\uffff":
            want = "ab"
        else:
            want = unicodedata.normalize("NFC", "a" + c + "b")
        assert got == want, hex(i)


def test_keys_are_google_scholar_style():
    t = by_tag()
    keys = keys_of(hostile())
    assert keys[t["gurnee"]["paperId"]] == "gurnee2023finding"
    assert keys[t["luk"]["paperId"]] == "lukasiewicz1930logic"  # Ł folded, "On the" skipped
    assert keys[t["malda"]["paperId"]] == "maldacena1997large"
    assert keys[t["anon"]["paperId"]] == "anon2021anonymous"  # no authors
    assert keys[t["nunez"]["paperId"]] == "nunezcosts"  # Ñúñez folded, no year: omitted
    assert keys[t["yamada"]["paperId"]] == "anon2019deep"  # 山田太郎 folds to nothing
    assert keys[t["names"]["paperId"]] == "berg2001latex"  # particle "van der" not keyed
    assert keys[t["empty"]["paperId"]] == "anon"
    assert all(re.fullmatch(r"[a-z0-9]+", k) for k in keys.values())
    assert len(set(keys.values())) == len(keys)


def test_colliding_keys_all_get_letters_in_paper_id_order():
    keys = keys_of(hostile())
    assert keys["a" * 40] == "smith2020deepa"
    assert keys["b" * 40] == "smith2020deepb"
    assert keys["c" * 40] == "smith2020deepc"  # "The deep end": "the" is a stopword


def test_keys_do_not_depend_on_input_order():
    papers = hostile()
    shuffled = papers[:]
    random.Random(7).shuffle(shuffled)
    assert bibtex_entries(shuffled) == bibtex_entries(papers)
    # Output order follows the input, though.
    assert list(bibtex_entries(shuffled)) == [p["paperId"] for p in shuffled]


def test_letter_suffix_never_lands_on_another_papers_key():
    def smith(pid: str, title: str) -> dict:
        return {"paperId": pid, "title": title, "authors": [{"name": "John Smith"}], "year": 2020}

    papers = [smith("1" * 40, "Deep one"), smith("2" * 40, "Deep two"), smith("3" * 40, "Deepa")]
    assert keys_of(papers) == {"1" * 40: "smith2020deepb", "2" * 40: "smith2020deepc",
                               "3" * 40: "smith2020deepa"}
    many = keys_of([smith(f"{i:040d}", "Deep") for i in range(28)])
    assert [many[f"{i:040d}"] for i in (0, 25, 26, 27)] == [
        "smith2020deepa", "smith2020deepz", "smith2020deepaa", "smith2020deepab"]
    assert len(set(many.values())) == 28


def test_duplicate_paper_ids_are_exported_once():
    p = hostile()[14]
    assert len(bibtex_entries([p, copy.deepcopy(p)])) == 1
    assert to_ris([p, p]).count("ER  - ") == 1


# ------------------------------------------------------------------ BibTeX content


def test_entry_types_and_fields():
    t = by_tag()
    entries = {e["ID"]: e for e in parse_bib(to_bibtex(hostile()))}
    lecun = entries["lecun2015deep"]
    assert (lecun["ENTRYTYPE"], lecun["journal"], lecun["volume"], lecun["pages"]) == \
        ("article", "Nature", "521", "436--444")
    assert lecun["doi"] == "10.1038/nature14539" and "url" not in lecun  # url only without DOI
    vaswani = entries["vaswani2017attention"]
    assert vaswani["ENTRYTYPE"] == "inproceedings"
    assert vaswani["booktitle"] == "Neural Information Processing Systems"
    gurnee = entries["gurnee2023finding"]  # S2 says JournalArticle in "ArXiv": a preprint
    assert gurnee["ENTRYTYPE"] == "misc" and "journal" not in gurnee
    assert (gurnee["eprint"], gurnee["archiveprefix"]) == ("2305.01610", "arXiv")
    assert "primaryclass" not in gurnee  # new-style ids do not carry their class
    assert gurnee["url"] == "https://arxiv.org/abs/2305.01610"
    assert entries["maldacena1997large"]["primaryclass"] == "hep-th"
    assert entries["grothendieck2006old"]["primaryclass"] == "math.AG"
    bishop = entries["bishop2006pattern"]
    assert (bishop["ENTRYTYPE"], bishop["publisher"]) == ("book", "Springer")
    thesis = entries["sutskever2013training"]
    assert (thesis["ENTRYTYPE"], thesis["school"]) == ("phdthesis", "University of Toronto")
    # A conference paper without a year cannot satisfy @inproceedings: @misc keeps the venue.
    noyear = entries["noyearconference"]
    assert noyear["ENTRYTYPE"] == "misc" and noyear["howpublished"] == "ICML"
    assert "year" not in noyear
    anon = entries["anon2021anonymous"]
    assert "author" not in anon and anon["key"] == "Anonymous report on things"
    assert entries["anon"]["note"] == f"Semantic Scholar paper {t['empty']['paperId']}"
    assert "None" not in to_bibtex(hostile())


def test_author_names():
    entry = bibtex_entries([by_tag()["names"]])[by_tag()["names"]["paperId"]]
    author = re.search(r"author = \{(.*)\},\n", entry).group(1)
    assert split_authors(author) == [
        "van der Berg, Ludwig", "King, Jr., Martin Luther", "Van Gogh, Vincent", "Aristotle",
        "{Research and Development Team}", "{Smith, J.}",
        r"Name\textbraceright{}, \textbraceleft{}Evil\textbraceright{}",
        r"Person\_1, Percent \%",
    ]  # the blank name "  " is dropped
    # biber would read a lowercase surname as a particle; braces keep it a surname.
    odd = {"paperId": "d" * 40, "title": "T", "year": 2000,
           "authors": [{"name": "bell hooks"}, {"name": "山田太郎"}, {"name": "- Ann"}]}
    assert "author = {{hooks}, bell and {山田太郎} and {- Ann}}" in bibtex_entries([odd])["d" * 40]


def test_title_case_protection_and_escaping():
    t = by_tag()
    entries = bibtex_entries(hostile())

    def title(tag: str) -> str:
        return re.search(r"title = \{(.*)\},\n", entries[t[tag]["paperId"]]).group(1)

    assert title("names") == (
        "{LaTeX} on the {iPhone:} {N=2} models with {GPT-4} and {BERT} for Method {B}")
    assert title("malda") == "The Large {N} Limit of Superconformal Field Theories and Supergravity"
    assert title("vaswani") == "Attention is All you Need"  # plain words left to the style
    # Math stays math, so it renders as the author meant; a private macro (\path) becomes
    # upright text instead of stopping LaTeX; a stray backslash is printed.
    assert title("nunez") == (r"Costs of {$\alpha$-divergence} \textasciitilde{} {50$^2$} in "
                              r"{C:$\mathrm{path}$\textbackslash{}}")
    # braces are LaTeX grouping; specials outside math are escaped
    assert title("luk") == r"On the {Logic} of 100\% certain \& probable\_events \#1"
    # (a sentence-case title: its capital word mid-sentence is a name to keep)
    assert title("ctrl") == "Line one line two {Tabbednull} verticalescape sep"


def test_every_entry_is_balanced_and_clean():
    for entry in bibtex_entries(hostile()).values():
        assert_braces_balanced(entry)
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", entry)
        assert entry.startswith("@") and entry.endswith("}\n")
        assert entry.count("\n@") == 0  # nothing in a value can start a new entry


def test_doi_and_url_are_percent_encoded_only_where_needed():
    t = by_tag()
    entries = bibtex_entries(hostile())
    # "10.1000/x}y%z {w}\\v": braces, backslash, space and the bare % are encoded.
    assert "doi = {10.1000/x%7Dy%25z%20%7Bw%7D%5Cv}" in entries[t["doi"]["paperId"]]
    assert "doi = {10.1000/luk%7Ba%7D%25}" in entries[t["luk"]["paperId"]]
    assert export._safe_uri("https://x.org/a%20b?q=1&r=_~#f") == "https://x.org/a%20b?q=1&r=_~#f"
    assert export._safe_uri("https://x.org/é") == "https://x.org/%C3%A9"


def test_bibtexparser_reads_back_what_was_written():
    papers = hostile()
    entries = parse_bib(to_bibtex(papers))
    keys = keys_of(papers)
    assert [e["ID"] for e in entries] == [keys[p["paperId"]] for p in papers]
    for paper, entry in zip(papers, entries):
        assert same_reading(entry.get("title", ""), paper["title"])
        assert entry.get("year") == (str(paper["year"]) if paper["year"] else None)
        names = [a for a in paper["authors"] if a["name"].strip()]
        assert (len(split_authors(entry["author"])) if "author" in entry else 0) == len(names)
        assert ("eprint" in entry) == ("ArXiv" in paper["externalIds"])
        if "eprint" in entry:
            assert entry["eprint"] == paper["externalIds"]["ArXiv"]
        if "DOI" in paper["externalIds"]:
            assert export._safe_uri(paper["externalIds"]["DOI"]) == entry["doi"]


def test_hundreds_of_authors_are_all_kept():
    paper = {"paperId": "f" * 40, "title": "Observation of a new particle", "year": 2012,
             "authors": [{"name": f"Given{i} Family{i}"} for i in range(300)]}
    (entry,) = parse_bib(to_bibtex([paper]))
    assert len(split_authors(entry["author"])) == 300


# ------------------------------------------------------------------ the real tools


def run_bibtex(tmp_path: Path, papers: list[dict], style: str = "plain") -> str:
    need("bibtex")
    (tmp_path / "refs.bib").write_text(to_bibtex(papers), encoding="utf-8")
    cites = "".join(f"\\citation{{{k}}}\n" for k in keys_of(papers).values())
    (tmp_path / "doc.aux").write_text(f"\\relax\n{cites}\\bibstyle{{{style}}}\n\\bibdata{{refs}}\n")
    proc = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    blg = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, proc.stdout + proc.stderr + blg
    assert "Warning--" not in blg, blg
    assert "error message" not in blg and "I couldn't open" not in blg, blg
    return (tmp_path / "doc.bbl").read_text(encoding="utf-8")


def test_bibtex_plain_accepts_the_hostile_corpus_without_a_warning(tmp_path):
    papers = hostile()
    bbl = run_bibtex(tmp_path, papers)
    assert bbl.count("\\bibitem{") == len(papers)
    # bibtex 0.99 reads bytes: letters with a LaTeX spelling go as accent commands, the
    # rest (CJK) passes through as UTF-8
    assert "{\\L}ukasiewicz" in bbl and "山田太郎" in bbl
    assert "100\\% certain" in bbl  # % arrives escaped, so LaTeX will not eat the line


def test_bibtex_raw_percent_in_field_is_not_a_comment(tmp_path):
    # BibTeX itself does not treat % as a comment inside a braced value (LaTeX would, which
    # is why text fields escape it and URLs only carry %XX); prove the first half.
    need("bibtex")
    (tmp_path / "refs.bib").write_text(
        "@misc{k,\n  author = {A, B},\n  title = {Hundred % sure},\n  year = {2000}\n}\n")
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{k}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, timeout=60, check=True)
    assert "Hundred % sure" in (tmp_path / "doc.bbl").read_text()


def test_plain_bst_warns_where_the_exporter_adds_key_and_note(tmp_path):
    # What plain.bst says about a bare @misc, i.e. why authorless entries get key = {...}
    # and an entry with nothing at all gets a note.
    need("bibtex")
    (tmp_path / "refs.bib").write_text("@misc{k1,\n  title = {T},\n  year = {2000}\n}\n"
                                       "@misc{k2,\n  key = {x}\n}\n@misc{k3,\n  author = {A, B}\n}\n")
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, timeout=60)
    warnings = re.findall(r"Warning--(.*)", (tmp_path / "doc.blg").read_text())
    # No title and no year on k3 is fine for @misc: plain.bst only needs something to sort
    # by and something to print.
    assert warnings == ["to sort, need author or key in k1",
                        "all relevant fields are empty in k2"]


def test_missing_tool_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        need("bibtex")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        need("bibtex")


def test_bibtex_accepts_every_fallback(tmp_path):
    """Records missing each required field in turn still give a warning-free @misc."""
    base = {"paperId": "", "title": "T", "authors": [{"name": "Ann Author"}], "year": 2000,
            "venue": "V", "journal": {"name": "J", "volume": "1", "pages": "1-2"}}
    papers = []
    for i, types in enumerate([["JournalArticle"], ["Conference"], ["Book"], []]):
        for j, missing in enumerate(["title", "authors", "year", "venue+journal", None]):
            p = copy.deepcopy(base) | {"paperId": f"{i}{j}".ljust(40, "0"), "publicationTypes": types}
            if missing == "venue+journal":
                p["venue"] = p["journal"] = None
            elif missing:
                p[missing] = [] if missing == "authors" else None
            papers.append(p)
    run_bibtex(tmp_path, papers)


def fuzz_corpus(seed: int = 1, n: int = 200) -> list[dict]:
    """Seeded random Paper dicts built from the characters that break exporters."""
    rng = random.Random(seed)
    alphabet = list("abcXYZ ,.-'{}\\%&$#_~^@\"()[]<>=|!?:;/\t\n\x00\x0b") + [
        "and", "AND", " and ", "van", "de", "Jr.", "Ł", "é", "ß", "山", "🧠", "\u0301",
        "\u2028", "\u200b", "ﬁ", "İ", "\\textbf{", "$x$", "--"]

    def text(k: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, k)))

    return [{"paperId": f"{i:040x}", "title": text(30), "year": rng.choice([None, 1999, 2020]),
             "authors": [{"authorId": None, "name": text(15)} for _ in range(rng.randint(0, 4))],
             "venue": rng.choice([None, text(10)]),
             "journal": rng.choice([None, {"name": text(10), "volume": text(4), "pages": text(6)}]),
             "publicationTypes": rng.choice([[], ["JournalArticle"], ["Conference"], ["Book"]]),
             "externalIds": rng.choice([{}, {"DOI": text(12)}, {"ArXiv": text(8)}]),
             "url": rng.choice([None, text(10)]), "abstract": rng.choice([None, text(20)]),
             "citationCount": rng.choice([None, 0, 7])} for i in range(n)]


def run_biber(tmp_path: Path, papers: list[dict]) -> list[dict]:
    """Validate with biber; only "no year" / "no title" may be reported, and only for the
    papers that really lack one. Returns biber's own re-serialisation, parsed."""
    need("biber")
    (tmp_path / "refs.bib").write_text(to_bibtex(papers), encoding="utf-8")
    proc = subprocess.run(["biber", "--tool", "--validate-datamodel", "--output-file",
                           str(tmp_path / "out.bib"), "refs.bib"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "ERROR" not in log, log
    keys = keys_of(papers)
    prefix = "WARN - Datamodel: Entry '{}' (refs.bib): Missing mandatory field"
    # biber's data model requires a date, and there is no honest value for an unknown one.
    allowed = {prefix.format(keys[p["paperId"]]) + " - one of 'date, year' must be defined"
               for p in papers if p["year"] is None}
    allowed |= {prefix.format(keys[p["paperId"]]) + " 'title'"
                for p in papers if not export._clean(p["title"])}
    warnings = {line for line in log.splitlines() if line.startswith("WARN")}
    assert warnings <= allowed, warnings - allowed
    return parse_bib((tmp_path / "out.bib").read_text(encoding="utf-8"))


def assert_biber_agrees(theirs: list[dict], papers: list[dict]) -> None:
    """biber parsed every entry and reads titles, names and identifiers as we wrote them."""
    ours = {e["ID"]: e for e in parse_bib(to_bibtex(papers))}
    assert sorted(e["ID"] for e in theirs) == sorted(ours) and len(ours) == len(papers)
    for e in theirs:
        mine = ours[e["ID"]]
        # biber re-serialises harmlessly (``\_,`` -> ``\_{},``): compare text, name by name.
        assert untex(e.get("title", "")) == untex(mine.get("title", "")), e["ID"]
        assert [untex(n) for n in split_authors(e.get("author", ""))] == \
            [untex(n) for n in split_authors(mine.get("author", ""))], e["ID"]
        assert (e.get("doi"), e.get("eprint")) == (mine.get("doi"), mine.get("eprint")), e["ID"]


def giant_papers() -> list[dict]:
    """S2 sometimes stores an abstract, or garbage, where a short field belongs."""
    def paper(i: int, **kw) -> dict:
        return {"paperId": f"{i:040d}", "title": "Giant", "year": 2001,
                "authors": [{"name": "Ann Author"}], **kw}

    return [paper(1, title="^" * 40_000, authors=[]),  # escapes 18-fold, and keys by title
            paper(2, venue="{" * 40_000, journal={"name": "x" * 40_000, "volume": "9" * 40_000,
                                                   "pages": "1" * 40_000 + "-2"},
                  publicationTypes=["JournalArticle"], externalIds={"DOI": "é" * 40_000}),
            paper(3, authors=[{"name": "{" * 200 + " " + "}" * 199}] * 300),  # unbalanced: literal
            paper(4, authors=[{"name": f"Given{i} Family{i}"} for i in range(4000)])]


def test_giant_values_stay_within_bibtex_limits(tmp_path):
    papers = giant_papers()
    run_bibtex(tmp_path, papers)
    entries = {e["ID"]: e for e in parse_bib(to_bibtex(papers))}
    first = entries[keys_of(papers)[papers[0]["paperId"]]]
    assert first["title"] == r"\textasciicircum{}" * 999 + "…"  # symbols stay UTF-8
    second = entries[keys_of(papers)[papers[1]["paperId"]]]
    assert second["ENTRYTYPE"] == "article" and untex(second["journal"]) == "x" * 999 + "…"
    assert not {"volume", "pages", "doi"} & set(second)  # no sense to be made of those
    third = split_authors(entries[keys_of(papers)[papers[2]["paperId"]]]["author"])
    assert 10 < len(third) < 300 and third[-1] == "others"
    assert len(split_authors(entries[keys_of(papers)[papers[3]["paperId"]]]["author"])) == 4000


@pytest.mark.slow
def test_biber_accepts_giant_values(tmp_path):
    # Not the brace-names paper: biber accepts it too, but needs ~3 minutes for 7600 macros.
    papers = giant_papers()
    run_biber(tmp_path, papers[:2] + papers[3:])


def test_biber_validates_the_hostile_corpus(tmp_path):
    papers = hostile()
    assert_biber_agrees(run_biber(tmp_path, papers), papers)


def test_fuzz_corpus_passes_bibtex_and_biber(tmp_path):
    papers = fuzz_corpus(n=120)
    bbl = run_bibtex(tmp_path, papers)
    assert bbl.count("\\bibitem{") == len(papers)
    assert_biber_agrees(run_biber(tmp_path, papers), papers)
    for paper, entry in zip(papers, parse_bib(to_bibtex(papers))):
        assert same_reading(entry.get("title", ""), paper["title"])
        kept = export._authors(paper)
        assert (len(split_authors(entry["author"])) if "author" in entry else 0) == len(kept)


def test_fuzz_corpus_reads_back_in_every_other_format():
    papers = fuzz_corpus(seed=2)
    assert len(parse_ris(to_ris(papers))) == len(papers)
    rows = list(csv.reader(io.StringIO(to_csv(papers), newline="")))
    titles = [ltext.plain(export._clean(p["title"])) for p in papers]
    assert [r[1] for r in rows[1:]] == [("'" if t[:1] in ("=", "+", "-", "@") else "") + t
                                        for t in titles]
    schema = json.loads((FIXTURES / "csl-data.json").read_text())
    jsonschema.validate(json.loads(to_csl_json(papers)), schema, cls=jsonschema.Draft7Validator)
    m = {"nodes": [{**p, "id": p["paperId"], "role": "related", "similarity": 0.5, "x": 1.0,
                    "y": 2.0} for p in papers], "edges": []}
    for text, reader in ((to_graphml(m), nx.read_graphml), (to_gexf(m), nx.read_gexf)):
        g = reader(io.BytesIO(text.encode("utf-8")))
        assert [g.nodes[p["paperId"]].get("title", "") for p in papers] == titles


# ------------------------------------------------------------------ RIS


def parse_ris(text: str) -> list[list[tuple[str, str]]]:
    records, current = [], None
    for line in text.split("\r\n"):
        if not line:
            continue
        m = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert m, repr(line)
        tag, value = m.groups()
        if tag == "TY":
            assert current is None
            current = []
        current.append((tag, value))
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None
    return records


def test_ris_reads_back():
    papers = hostile()
    text = to_ris(papers)
    assert "\n" not in text.replace("\r\n", "")  # CRLF only, no stray newlines in values
    records = parse_ris(text)
    assert len(records) == len(papers)
    for paper, rec in zip(papers, records):
        tags = dict(rec)
        assert rec[0][0] == "TY" and rec[-1] == ("ER", "")
        assert tags.get("TI", "") == meant(paper["title"])
        assert [v for t, v in rec if t == "AU"] == [
            export._ris_name(ltext.plain(export._clean(a["name"]), scripts=False))
            for a in paper["authors"] if a["name"].strip()]
        assert tags.get("PY") == (str(paper["year"]) if paper["year"] else None)
        assert tags.get("DO") == paper["externalIds"].get("DOI")
    t = dict(zip([p["paperId"] for p in papers], records))
    lecun = dict(t[by_tag()["lecun"]["paperId"]])
    assert (lecun["TY"], lecun["JO"], lecun["VL"], lecun["SP"], lecun["EP"]) == \
        ("JOUR", "Nature", "521", "436", "444")
    assert dict(t[by_tag()["vaswani"]["paperId"]])["T2"] == "Neural Information Processing Systems"
    assert dict(t[by_tag()["gurnee"]["paperId"]])["TY"] == "UNPB"
    assert dict(t[by_tag()["luk"]["paperId"]])["AB"] == "An abstract with a newline."
    names = [v for tag, v in t[by_tag()["names"]["paperId"]] if tag == "AU"]
    assert names[:4] == ["van der Berg, Ludwig", "King, Martin Luther, Jr.", "Van Gogh, Vincent",
                         "Aristotle"]


# ------------------------------------------------------------------ CSL-JSON


def test_csl_json_validates_against_the_official_schema():
    schema = json.loads((FIXTURES / "csl-data.json").read_text())
    items = json.loads(to_csl_json(hostile()))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(items, schema, cls=jsonschema.Draft7Validator)
    keys = keys_of(hostile())
    assert [i["id"] for i in items] == [keys[p["paperId"]] for p in hostile()]
    by_id = {i["id"]: i for i in items}
    assert by_id["lecun2015deep"]["type"] == "article-journal"
    assert by_id["lecun2015deep"]["container-title"] == "Nature"
    assert by_id["lecun2015deep"]["issued"] == {"date-parts": [[2015]]}
    assert by_id["lecun2015deep"]["page"] == "436-444"
    assert by_id["vaswani2017attention"]["type"] == "paper-conference"
    assert by_id["gurnee2023finding"]["type"] == "article"
    assert by_id["gurnee2023finding"]["number"] == "arXiv:2305.01610"
    assert by_id["bishop2006pattern"]["type"] == "book"
    assert by_id["sutskever2013training"]["type"] == "thesis"
    assert by_id["berg2001latex"]["author"][:5] == [
        {"family": "Berg", "given": "Ludwig", "non-dropping-particle": "van der"},
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
        {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "Van"},
        {"literal": "Aristotle"}, {"literal": "Research and Development Team"}]
    assert "issued" not in by_id["nunezcosts"] and "author" not in by_id["anon2021anonymous"]
    assert by_id["control2017line"]["title"] == "Line one line two Tabbednull verticalescape sep"


# ------------------------------------------------------------------ CSV


def test_csv_reads_back_and_neutralises_formulas():
    papers = hostile()
    rows = list(csv.reader(io.StringIO(to_csv(papers), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["paperId", "title", "authors", "year", "venue", "citationCount", "doi",
                      "arxiv", "url"]
    assert len(body) == len(papers)
    titles = {r[0]: r[1] for r in body}
    t = by_tag()
    assert titles[t["cmd"]["paperId"]] == "'=cmd|' /C calc'!A0"
    assert {titles[p["paperId"]][:2] for p in papers[7:10]} == {"'+", "'-", "'@"}
    assert titles[t["script"]["paperId"]] == "</script>"
    assert titles[t["ctrl"]["paperId"]] == "Line one line two Tabbednull verticalescape sep"
    for row in body:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)
    lecun = next(r for r in body if r[0] == t["lecun"]["paperId"])
    assert lecun[2:] == ["Yann LeCun; Yoshua Bengio; Geoffrey E. Hinton", "2015", "Nature", "",
                         "10.1038/nature14539", "", t["lecun"]["url"]]


def test_csv_of_map_nodes_has_similarity_and_role():
    rows = list(csv.DictReader(io.StringIO(to_csv(hostile_map()["nodes"]), newline="")))
    assert rows[0]["role"] == "seed" and float(rows[0]["similarity"]) == 1.0
    assert rows[3]["role"] == "related" and float(rows[3]["similarity"]) == 0.25


# ------------------------------------------------------------------ map formats


def test_json_is_the_map_itself():
    m = hostile_map()
    text = to_json(m)
    assert json.loads(text) == m
    assert text == json.dumps(m, sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    assert "Łukasiewicz" in text  # not \u-escaped
    with pytest.raises(ValueError):
        to_json({"nodes": [{"x": float("nan")}]})
    # Half an emoji from the API: still UTF-8, still the same map when read back.
    half = {"t": "a\ud83d b", "k\udcff": ["\udfff"]}
    assert json.loads(to_json(half).encode("utf-8")) == half


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_formats_read_back_with_networkx(fmt):
    m = hostile_map()
    text = FORMATS[fmt][0](m)
    reader = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    g = reader(io.BytesIO(text.encode("utf-8")))
    assert g.number_of_nodes() == len(m["nodes"]) and g.number_of_edges() == len(m["edges"])
    for node in m["nodes"]:
        data = g.nodes[node["id"]]
        assert data.get("title", "") == meant(node["title"])
        assert data.get("authors", "") == "; ".join(
            ltext.plain(export._clean(a["name"]), scripts=False) for a in node["authors"] if a["name"].strip())
        assert data.get("year") == node["year"]  # absent (not None) when unknown
        assert data.get("venue", "") == (node["venue"] or "")
        assert data.get("citationCount") == node["citationCount"]
        assert (data["role"], data["similarity"], data["x"], data["y"]) == \
            (node["role"], node["similarity"], node["x"], node["y"])
        assert all(v is not None for v in data.values())
    ctrl = g.nodes[by_tag()["ctrl"]["paperId"]]  # \x00 \x0b \x1b would make XML invalid
    assert ctrl["title"] == "Line one line two Tabbednull verticalescape sep"
    for e in m["edges"]:
        assert g.edges[e["source"], e["target"]]["weight"] == e["weight"]


def test_gexf_carries_layout_and_no_timestamp():
    text = to_gexf(hostile_map())
    assert "lastmodifieddate" not in text
    assert 'viz:position x="-29.5" y="-3.3" z="0.0"' in text
    assert text.count("<viz:position") == len(hostile_map()["nodes"])


def test_graph_skips_edges_to_unknown_nodes():
    m = hostile_map()
    m["edges"].append({"source": "0" * 40, "target": m["nodes"][0]["id"], "weight": 0.5})
    g = nx.read_graphml(io.BytesIO(to_graphml(m).encode()))
    assert g.number_of_nodes() == len(m["nodes"])


# ------------------------------------------------------------------ all formats


def test_networkx_is_imported_lazily():
    code = "import sys, litmap.export; assert 'networkx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_formats_table_dispatches_every_format():
    assert set(FORMATS) == {"bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"}
    assert {FORMATS[n][1] for n in FORMATS} == {"bib", "ris", "csl.json", "csv", "json",
                                                "graphml", "gexf"}
    for name, (fn, _ext, kind) in FORMATS.items():
        assert kind in ("papers", "map")
        data = hostile_map() if kind == "map" else hostile()
        out = fn(data)
        assert isinstance(out, str) and out, name
        out.encode("utf-8")  # no lone surrogates or other unencodable text


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_output_is_deterministic_and_input_untouched(name):
    fn, _ext, kind = FORMATS[name]
    data = hostile_map() if kind == "map" else hostile()
    before = copy.deepcopy(data)
    first = fn(data)
    assert data == before  # pure: no mutation of the caller's data
    assert fn(copy.deepcopy(before)).encode("utf-8") == first.encode("utf-8")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_hostile_markup_is_inert_text(name):
    fn, _ext, kind = FORMATS[name]
    out = fn(hostile_map() if kind == "map" else hostile())
    assert "\x00" not in out and "\x0b" not in out and "\x1b" not in out
    if name in ("graphml", "gexf"):  # XML escapes markup; the raw tag must not survive
        assert "</script" not in out and "<img" not in out


# ------------------------------------------------------------------ property


def test_random_text_never_breaks_an_entry():
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)

    @settings(max_examples=60, deadline=None)
    @given(title=text, names=st.lists(text, max_size=4), doi=text)
    def check(title, names, doi):
        paper = {"paperId": "p" * 40, "title": title, "year": 2001,
                 "authors": [{"name": n} for n in names], "externalIds": {"DOI": doi}}
        entry = to_bibtex([paper])
        assert_braces_balanced(entry)
        (parsed,) = parse_bib(entry)
        assert same_reading(parsed.get("title", ""), title)
        # a name that reads as nothing is none
        kept = [n for n in names if ltext.plain(export._clean(n), scripts=False)]
        assert (len(split_authors(parsed["author"])) if kept else 0) == len(kept)

    check()


# ------------------------------------------------------------------ topic clusters

HOSTILE_LABEL = 'black hole, 50% {entropy} & c_d, $x^2$ \\emph{y} ~#, "quoted" <b>'


def clustered_map() -> dict:
    """hostile_map with topic clusters as litmap.clusters puts them on nodes (a few in none)."""
    m = hostile_map()
    labels = [HOSTILE_LABEL, "monetary policy, inflation"]
    for i, node in enumerate(m["nodes"]):
        c = None if i % 5 == 4 else i % 2
        node["cluster"], node["cluster_label"] = c, None if c is None else labels[c]
    m["clusters"] = [{"id": c, "label": labels[c], "terms": labels[c].split(", "), "size": 1}
                     for c in (0, 1)]
    return m


def test_csv_has_the_cluster_columns():
    m = clustered_map()
    rows = list(csv.DictReader(io.StringIO(to_csv(m["nodes"]), newline="")))
    assert [r["cluster"] for r in rows] == ["" if n["cluster"] is None else str(n["cluster"])
                                            for n in m["nodes"]]
    assert rows[0]["cluster_label"] == export._clean(HOSTILE_LABEL)
    assert rows[1]["cluster_label"] == "monetary policy, inflation" and rows[4]["cluster_label"] == ""


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_formats_carry_the_cluster(fmt):
    m = clustered_map()
    reader = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    g = reader(io.BytesIO(FORMATS[fmt][0](m).encode("utf-8")))
    for node in m["nodes"]:
        data = g.nodes[node["id"]]
        assert data.get("cluster") == node["cluster"]  # an integer attribute, absent when none
        assert data.get("cluster_label") == (export._clean(node["cluster_label"])
                                             if node["cluster_label"] else None)


def literal(value: str) -> str:
    """Invert the exporter's escaping of plain text (a keyword is never LaTeX source)."""
    names = {"textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}", "textasciitilde": "~",
             "textasciicircum": "^", "textless": "<", "textgreater": ">"}
    return re.sub(r"\\([a-z]+)\{\}|\\([&%$#_])", lambda m: names[m.group(1)] if m.group(1) else m.group(2), value)


def test_bibtex_keywords_are_the_cluster_terms_escaped(tmp_path):
    papers = clustered_map()["nodes"]
    entries = {e["ID"]: e for e in parse_bib(to_bibtex(papers))}
    keys = keys_of(papers)
    for p in papers:
        entry = entries[keys[p["paperId"]]]
        if p["cluster_label"] is None:
            assert "keywords" not in entry
        else:
            assert literal(entry["keywords"]) == export._clean(p["cluster_label"])
    assert to_bibtex(papers).count("  keywords = {") == sum(p["cluster"] is not None for p in papers)
    (tmp_path / "bibtex").mkdir()
    bbl = run_bibtex(tmp_path / "bibtex", papers)
    assert bbl.count("\\bibitem{") == len(papers)  # no warning either (run_bibtex checks)
    (tmp_path / "biber").mkdir()
    theirs = run_biber(tmp_path / "biber", papers)
    assert_biber_agrees(theirs, papers)
    assert sum(bool(e.get("keywords")) for e in theirs) == sum(p["cluster"] is not None for p in papers)


def test_csl_json_keyword_is_the_cluster_label_and_validates():
    papers = clustered_map()["nodes"]
    items = json.loads(to_csl_json(papers))
    jsonschema.validate(items, json.loads((FIXTURES / "csl-data.json").read_text()),
                        cls=jsonschema.Draft7Validator)
    assert [it.get("keyword") for it in items] == [export._clean(p["cluster_label"]) if p["cluster_label"]
                                                   else None for p in papers]


# ------------------------------------------------------------------ issue 23.5 and 24.10: text


def test_letter_suffixes_follow_publication_order():
    # Issue 23.5: the a/b suffixes followed the paperIds, so a reader's maldacena1998a could be
    # the later paper; now the earlier one is "a" (papers without a date come last).
    def malda(pid: str, date: str | None) -> dict:
        return {"paperId": pid, "title": "Wilson loops", "authors": [{"name": "Juan Maldacena"}], "year": 1998,
                "publicationDate": date}

    papers = [malda("1" * 40, "1998-11-20"), malda("2" * 40, None), malda("3" * 40, "1998-03-02")]
    assert keys_of(papers) == {"3" * 40: "maldacena1998wilsona", "1" * 40: "maldacena1998wilsonb",
                               "2" * 40: "maldacena1998wilsonc"}


def test_a_hostile_year_is_no_year_in_any_output():
    # Issue 24.10: the client and the dataset reader refuse year -5, but a record given to the
    # Python API (or a saved map) still wrote year = {-5}, PY - -5 and date-parts [[-5]].
    papers = [{"paperId": f"{i:040d}", "title": "A Title", "authors": [{"name": "Ann Bee"}], "year": y}
              for i, y in enumerate((-5, 0, 20201, "abc", 1999))]
    bib = to_bibtex(papers)
    assert re.findall(r"year = \{(.*?)\}", bib) == ["1999"]
    assert [dict(r).get("PY") for r in parse_ris(to_ris(papers))] == [None] * 4 + ["1999"]
    assert [i.get("issued") for i in json.loads(to_csl_json(papers))] == [None] * 4 + [{"date-parts": [[1999]]}]
    assert sorted(keys_of(papers).values()) == ["bee1999title", "beetitlea", "beetitleb", "beetitlec", "beetitled"]


def test_ris_carries_the_key_and_cluster_terms_and_readable_math():
    # Issue 24.10: RIS had no ID (the citation key) and no KW (the map's cluster terms).
    # Issue 23.5: "$\k$-symmetric" (an author's shorthand) came out as "$̨-symmetric" in AB.
    paper = {"paperId": "e" * 40, "title": "Branes", "year": 2001, "authors": [{"name": "Ann Bee"}],
             "cluster_label": "black hole, entropy",
             "abstract": r"We present a $\k$-symmetric action on the Dirac ($\d$-like) measure with $\alpha_{3}$."}
    (rec,) = parse_ris(to_ris([paper]))
    assert ("ID", "bee2001branes") in rec and [v for t, v in rec if t == "KW"] == ["black hole", "entropy"]
    assert dict(rec)["AB"] == "We present a k-symmetric action on the Dirac (d-like) measure with α₃."
    assert not re.search("[\u0300-\u036f$]", dict(rec)["AB"])


def test_csl_json_reads_tex_dashes():
    # Issue 24.10: "Yang--Mills" reached CSL-JSON (and so pandoc and Zotero) with both hyphens.
    paper = {"paperId": "e" * 40, "title": "Yang--Mills theory --- a review", "year": 2001,
             "authors": [{"name": "Ann Bee"}]}
    assert json.loads(to_csl_json([paper]))[0]["title"] == "Yang\u2013Mills theory \u2014 a review"
