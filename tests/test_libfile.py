"""Library files: every id a researcher writes is read, and every one that cannot be used is
named (issue 23, point 3). litmap/libfile.py and litmap/library.py, through the CLI on the
bundled sample and in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litmap import libfile, library
from litmap.cli import cli
from litmap.libfile import Entry
from litmap.library import Resolution
from tests.test_render import _errors, _open, browser  # noqa: F401

FIX = Path(__file__).parent / "fixtures" / "library"
MALDACENA, GKP = "hep-th/9711200", "hep-th/9802109"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_arxiv_ids_in_note_howpublished_journal_and_eprint():
    _fmt, entries = libfile.read(FIX / "ids-everywhere.bib")
    by = {e.label: e for e in entries}
    refs = {label: [str(r) for r in e.refs] for label, e in by.items()}
    assert refs["maldacena1997"] == ["ARXIV:hep-th/9711200"]           # note = {arXiv:...}
    assert refs["witten1998"] == ["ARXIV:hep-th/9802150"]              # howpublished = {\url{arxiv.org/abs/...v2}}
    assert refs["aharony1999"] == ["ARXIV:hep-th/9905111"]             # journal = {arXiv preprint ...}
    assert refs["randall1999"] == ["ARXIV:hep-th/9906064"]             # a bare eprint
    assert refs["unknown1999"] == ["ARXIV:hep-th/9912999"]             # well formed: asked, and said unknown
    assert refs["typo1999"] == []
    assert by["typo1999"].problems == ["malformed arXiv id 'hep-th/9913999' in eprint "
                                       "(its yymm 9913 names month 13 of 1999)"]


@pytest.mark.parametrize("note, expected", [
    ("arXiv preprint arXiv:2305.01610", ["ARXIV:2305.01610"]),
    ("see hep-th/9711200v2 and arXiv: 1706.03762", ["ARXIV:hep-th/9711200", "ARXIV:1706.03762"]),
    ("https://arxiv.org/pdf/2305.01610v2.pdf", ["ARXIV:2305.01610"]),
    ("pages 1234.5678, vol. 12", []),                 # a bare new-style number is no id in a note
    ("doi 10.1007/JHEP/1234567", []),                 # a DOI's path is no old-style id
])
def test_arxiv_ids_in_free_text(tmp_path, note, expected):
    (tmp_path / "one.bib").write_text(f"@misc{{k, title={{T}}, note={{{note}}}}}\n")
    assert [str(r) for r in libfile.read(tmp_path / "one.bib")[1][0].refs] == expected


def test_id_list_reads_comments_after_an_id_and_names_malformed_ids(tmp_path):
    (tmp_path / "list.txt").write_text(f"# reading list\n{MALDACENA}\n{GKP}   # GKP\n"
                                       "hep-th/9913999\nhttps://arxiv.org/abs/hep-th/9802150#v2\nno-such-thing\n")
    _fmt, entries = libfile.read(tmp_path / "list.txt")
    assert [[str(r) for r in e.refs] for e in entries] == [
        ["ARXIV:hep-th/9711200"], ["ARXIV:hep-th/9802109"], [], ["ARXIV:hep-th/9802150"], []]
    assert entries[1].label == GKP and entries[1].title is None    # the comment is no title
    assert entries[2].problems == ["malformed arXiv id (its yymm 9913 names month 13 of 1999)"]
    assert entries[4].problems == ["not an identifier litmap reads"]


def test_an_unresolved_entry_is_found_in_the_map_by_id_or_title():
    nodes = [{"id": "a" * 40, "title": "Gauge Theory Correlators from Non-Critical String Theory",
              "externalIds": {"ArXiv": GKP}, "corpusId": 7},
             {"id": "b" * 40, "title": "Something Else", "externalIds": {"DOI": "10.1234/X"}}]

    def unresolved(refs=(), title=None):
        return Resolution(Entry(1, "k", refs=list(refs), title=title), reason="not found")

    by_title = unresolved(title="Gauge theory correlators from {non-critical} string theory")
    by_doi = unresolved(refs=[libfile.idmod.parse("doi:10.1234/x")])          # DOIs match whatever their case
    neither = unresolved(refs=[libfile.idmod.parse("CorpusId:8")], title="Gauge theory")
    found = library.find_in_map([by_title, by_doi, neither], nodes)
    assert [(r.in_map, r.in_map_by) for r in found] == [("a" * 40, "title"), ("b" * 40, "DOI:10.1234/x"), (None, "")]


@pytest.fixture
def everywhere(on_sample):
    result = run("seed", "--from", FIX / "ids-everywhere.bib", "--source", "sample", "--nodes", "8")
    assert result.exit_code == 0, result.stderr
    return result, json.loads((on_sample / "litmap-ids-everywhere.json").read_text())


def test_a_library_map_reads_every_id_and_never_suggests_a_paper_of_the_library(everywhere):
    result, data = everywhere
    seeds = {n["title"] for n in data["nodes"] if n["role"] == "seed"} | {
        n["title"] for n in data["library"]["unlinked"]}
    assert {"Anti De Sitter Space And Holography", "An Alternative to Compactification",
            "Large N Field Theories, String Theory and Gravity"} <= seeds and len(seeds) == 4
    # GKP's entry did not resolve (its DOI is unknown), yet the map holds the paper: it is
    # the library's, so it is not missing from it
    gkp = next(n for n in data["nodes"] if n["title"].startswith("Gauge Theory Correlators"))
    assert gkp["id"] not in {m["id"] for m in data["missing"]}
    assert "Gauge Theory Correlators" not in result.stdout.split("Missing from your library")[1]
    assert data["library"]["suggestions"] == len(data["missing"]) == 7
    unresolved = {u["label"]: u for u in data["library"]["unresolved"]}
    assert unresolved["gkp1998"]["in_map"] == gkp["id"] and unresolved["gkp1998"]["in_map_by"] == "title"
    # what did not resolve says why, in the table and in the map's data
    assert unresolved["typo1999"]["reason"].endswith(
        "; malformed arXiv id 'hep-th/9913999' in eprint (its yymm 9913 names month 13 of 1999)")
    assert unresolved["unknown1999"]["reason"] == \
        "not found in the dataset or cache (no API asked): ARXIV:hep-th/9912999"
    table = " ".join(result.stdout.split("Missing from")[0].replace("│", " ").split())  # cells unwrapped
    assert "malformed arXiv id 'hep-th/9913999' in eprint (its yymm 9913 names month 13 of 1999)" in table
    assert "ARXIV:hep-th/9912999" in table
    assert "in the map as #1 'Gauge Theory Correlators from Non-Critical String Theory' (same title), " \
        "not suggested as missing" in table
    assert "3 not resolved (see the table); 1 of those found in the map" in result.stderr


def test_quiet_says_where_the_unresolved_entries_are(on_sample):
    result = run("seed", "--from", FIX / "ids-everywhere.bib", "--source", "sample", "--nodes", "8", "-q")
    assert result.exit_code == 0 and "Library:" not in result.stdout
    assert "3 not resolved (see the Your library tab of litmap-ids-everywhere.html)" in result.stderr
    assert "see the table" not in result.stderr


def test_id_list_with_comments_on_the_sample(on_sample):
    (on_sample / "reading.txt").write_text(f"{MALDACENA}\n{GKP}   # GKP\nhep-th/9913999\n")
    result = run("seed", "--from", "reading.txt", "--source", "sample", "--nodes", "5")
    assert result.exit_code == 0, result.stderr
    data = json.loads((on_sample / "litmap-reading.json").read_text())
    assert data["library"]["seeds"] == 2
    assert not any(m["title"].startswith("Gauge Theory Correlators") for m in data["missing"])
    assert data["library"]["unresolved"] == [
        {"line": 3, "label": "hep-th/9913999",
         "reason": "malformed arXiv id (its yymm 9913 names month 13 of 1999)"}]
    assert "hep-th/9913999" in result.stdout and "month 13" in result.stdout


@pytest.mark.browser
def test_browser_your_library_tab_lists_unresolved_entries_with_why(browser, everywhere, tmp_path):  # noqa: F811
    _result, data = everywhere
    html = (tmp_path / "litmap-ids-everywhere.html").read_text()
    _open(browser, html, tmp_path, name="page.html")
    browser.find_element("id", "tab-library").click()
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#list li')).map(li => li.textContent)")
    assert len(rows) == 7                                        # every entry of the file
    assert browser.find_element("id", "tab-library").get_attribute("aria-label") == "Your library (7)"
    typo = next(r for r in rows if "typo1999" in r)
    assert "line 44: not resolved: " in typo and "month 13 of 1999" in typo
    assert any("unknown1999" in r and "ARXIV:hep-th/9912999" in r for r in rows)
    gkp = next(r for r in rows if r.startswith("Gauge Theory Correlators"))
    assert "your entry line 36: gkp1998 (same title)" in gkp
    # an entry with no paper is a row, not a link to nothing
    browser.execute_script("document.querySelector('#list li.unresolved .item-main').click()")
    assert browser.find_element("id", "details").is_displayed() is False
    assert _errors(browser) == []
