"""The bundled hep-th sample (scripts/build_sample.py) and the dataset source (litmap/dataset.py)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from litmap import bulk, dataset, dataset_csr, store, titles
from litmap.dataset import DatasetError, arxiv_paper_id, dataset_store, normalise_record
from litmap.ids import alias_key
from litmap.store import Store
from tests import guard
from tests.indexes import counts, tables

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "litmap" / "data" / "sample"
BAD = Path(__file__).resolve().parent / "fixtures" / "dataset_bad"
MALDACENA = "hep-th/9711200"
MALDACENA_ID = "369113e471049c6b751fca4114c5099c9575bd1b"

PAPER_KEYS = {
    "paperId", "corpusId", "externalIds", "title", "abstract", "tldr", "authors", "year", "venue",
    "journal", "publicationTypes", "publicationDate", "citationCount", "referenceCount", "url",
}


def _load_script():
    spec = importlib.util.spec_from_file_location("build_sample", ROOT / "scripts" / "build_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_sample = _load_script()


def _rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def sample_papers() -> dict[int, dict]:
    return {r["corpusid"]: r for r in _rows(SAMPLE / "papers" / "papers-0.jsonl.gz")}


ENGINES = list(dataset.ENGINES)  # every test of an index runs on each engine


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch) -> str:
    """An index engine's name, and LITMAP_ENGINE set to it (dataset_store's default)."""
    if request.param == "duckdb":
        guard.need_module("duckdb", "pip install -e '.[test]'")
    monkeypatch.setenv("LITMAP_ENGINE", request.param)
    return request.param


@pytest.fixture(scope="module", params=ENGINES)
def sample_engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def sample_cache(sample_index_of, sample_engine) -> Path:
    return sample_index_of(sample_engine)


@pytest.fixture(scope="module")
def sample_store(sample_cache, sample_engine):
    st = dataset_store("sample", sample_cache, engine_name=sample_engine)
    yield st
    st.close()


# -- the shipped sample -------------------------------------------------------------------


def test_arxiv_paper_id():
    assert arxiv_paper_id(MALDACENA) == hashlib.sha1(b"ARXIV:hep-th/9711200").hexdigest() == MALDACENA_ID


def test_sample_layout_and_size_budget():
    files = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file())
    assert files == ["abstracts/abstracts-0.jsonl.gz", "citations/citations-0.jsonl.gz", "papers/papers-0.jsonl.gz"]
    assert sum((SAMPLE / f).stat().st_size for f in files) <= 15 * 1024 * 1024


def test_sample_field_names_match_the_official_bulk_format(sample_papers):
    paper = sample_papers[9711200]
    assert list(paper) == [
        "corpusid", "externalids", "url", "title", "authors", "venue", "publicationvenueid", "year",
        "referencecount", "citationcount", "influentialcitationcount", "isopenaccess", "s2fieldsofstudy",
        "publicationtypes", "publicationdate", "journal", "updated",
    ]
    assert list(paper["externalids"]) == ["ACL", "DBLP", "ArXiv", "MAG", "CorpusId", "PubMed", "DOI", "PubMedCentral"]
    with gzip.open(SAMPLE / "citations" / "citations-0.jsonl.gz", "rt") as f:
        cite = json.loads(f.readline())
    assert list(cite) == ["citingcorpusid", "citedcorpusid", "isinfluential", "contexts", "intents", "updated"]
    assert isinstance(cite["citingcorpusid"], str) and isinstance(cite["citedcorpusid"], str)  # as S2 types them
    assert cite["isinfluential"] is False and cite["contexts"] is None and cite["intents"] is None
    with gzip.open(SAMPLE / "abstracts" / "abstracts-0.jsonl.gz", "rt") as f:
        abstract = json.loads(f.readline())
    assert list(abstract) == ["corpusid", "openaccessinfo", "abstract", "updated"]
    assert list(abstract["openaccessinfo"]) == ["externalids", "license", "url", "status"]


def test_sample_maldacena(sample_papers):
    p = sample_papers[9711200]
    assert p["title"] == "The Large N Limit of Superconformal Field Theories and Supergravity"
    assert p["authors"] == [{"authorId": None, "name": "Juan M. Maldacena"}]
    assert p["year"] == 1997
    assert p["publicationdate"] == "1997-11-27"
    assert p["citationcount"] == 2414 and p["referencecount"] == 54
    assert p["externalids"]["ArXiv"] == MALDACENA and p["externalids"]["CorpusId"] == "9711200"
    assert p["externalids"]["DOI"] is None
    assert p["url"] == f"https://www.semanticscholar.org/paper/{MALDACENA_ID}"
    # "Adv.Theor.Math.Phys. 2 (1998) 231-252; Int.J.Theor.Phys. 38 (1999) 1113-1133": the first one
    assert p["journal"] == {"name": "Adv.Theor.Math.Phys.", "volume": "2", "pages": "231-252"}
    assert p["venue"] == "Adv.Theor.Math.Phys." and p["publicationtypes"] == ["JournalArticle"]


def test_sample_other_real_records(sample_papers):
    p = sample_papers[1002]  # hep-th/0001002
    assert [a["name"] for a in p["authors"]] == ["M. Cvetic", "H. Lu", "C.N. Pope"]
    assert p["journal"] == {"name": "Class.Quant.Grav.", "volume": "17", "pages": "4867-4876"}
    assert p["year"] == 2000 and p["publicationdate"] == "2000-01-03"
    witten = sample_papers[9802150]
    assert witten["citationcount"] == 1775 and witten["title"] == "Anti De Sitter Space And Holography"
    preprint = sample_papers[1001]  # hep-th/0001001, no journal reference
    assert preprint["venue"] == "arXiv" and preprint["journal"] is None and preprint["publicationtypes"] is None
    assert sample_papers[9201001]["year"] == 1992  # submitted on 31 Dec 1991, numbered 9201
    assert sample_papers[9201001]["publicationdate"] == "1991-12-31"


def test_sample_counts_equal_the_graph_degrees(sample_papers):
    refs: dict[int, int] = {}
    cits: dict[int, int] = {}
    n = 0
    with gzip.open(SAMPLE / "citations" / "citations-0.jsonl.gz", "rt") as f:
        for line in f:  # {"citingcorpusid":"<a>","citedcorpusid":"<b>",...}; json.loads is 5x slower
            parts = line.split('"')
            assert parts[1] == "citingcorpusid" and parts[5] == "citedcorpusid"
            a, b = int(parts[3]), int(parts[7])
            assert a != b and a in sample_papers and b in sample_papers
            refs[a] = refs.get(a, 0) + 1
            cits[b] = cits.get(b, 0) + 1
            n += 1
    assert n == 352_807 - 39  # the SNAP edges minus the self-loops
    assert len(sample_papers) == 29_555
    for cid, p in sample_papers.items():
        assert p["citationcount"] == cits.get(cid, 0) and p["referencecount"] == refs.get(cid, 0)


@pytest.mark.parametrize(
    "text, names",
    [
        ("M. Cvetic, H. Lu and C.N. Pope", ["M. Cvetic", "H. Lu", "C.N. Pope"]),
        ("Juan M. Maldacena", ["Juan M. Maldacena"]),
        ("John H. Schwarz and Ashoke Sen", ["John H. Schwarz", "Ashoke Sen"]),
        ("V.I.Tkach, A.Pashnev, J.J.Rosales", ["V.I. Tkach", "A. Pashnev", "J.J. Rosales"]),
        ("Alan L. Carey (1), Stuart Johnson (2), and Michael K. Murray (2) ((1) Australian National "
         "University, (2) The University of Adelaide)", ["Alan L. Carey", "Stuart Johnson", "Michael K. Murray"]),
        ("Sergei V. Ketov (NBI, Copenhagen & ITP, Hannover & HCEI, Tomsk)", ["Sergei V. Ketov"]),
        ("Yasuharu Honda & Masaki Yasue", ["Yasuharu Honda", "Masaki Yasue"]),
        ("Carlos Pinheiro (UFES, Brazil); F.C.Khanna (UofA, Canada)", ["Carlos Pinheiro", "F.C. Khanna"]),
        ("S. James Gates, Jr., Marcus T. Grisaru and Silvia Penati",
         ["S. James Gates Jr.", "Marcus T. Grisaru", "Silvia Penati"]),
        ("Paul S. Aspinwall and David R. Morrison (with an appendix by Mark Gross)",
         ["Paul S. Aspinwall", "David R. Morrison", "Mark Gross"]),
        ("SDLCQ Collaboration: F. Antonuccio, I. Filippov, J. Hiller (University of Minnesota-Duluth)",
         ["F. Antonuccio", "I. Filippov", "J. Hiller"]),
        ("Kimball A. Milton (Department of Physics, The University of Oklahoma; [email removed])",
         ["Kimball A. Milton"]),
        ("H. Babujian, M. Karowski and A. Zapletal", ["H. Babujian", "M. Karowski", "A. Zapletal"]),  # not "et al"
        ("A. Smith et al.", ["A. Smith"]),
        ("  A.  Smith ,   B. Jones  ", ["A. Smith", "B. Jones"]),
        ("Ralf Sch\\\"utzhold, G\\\"unter Plunien, and Gerhard Soff",
         ["Ralf Schützhold", "Günter Plunien", "Gerhard Soff"]),
        ("C. Garc\\'{\\i}a-Recio and L.L. Salcedo", ["C. García-Recio", "L.L. Salcedo"]),
        ("Jacek Pawe{\\l}czyk", ["Jacek Pawełczyk"]),
        ('A. Dimakis and F. M"uller-Hoissen', ["A. Dimakis", "F. Müller-Hoissen"]),
        ("Hanying Guo, Jianming Li and Ke Wu, 10 pages, Latex ASITP-93-67", ["Hanying Guo", "Jianming Li", "Ke Wu"]),
        ("", []),
    ],
)
def test_split_authors(text, names):
    assert build_sample.split_authors(text) == names


@pytest.mark.parametrize(
    "ref, journal",
    [
        ("Class.Quant.Grav. 17 (2000) 4867-4876", {"name": "Class.Quant.Grav.", "volume": "17", "pages": "4867-4876"}),
        ("Nucl.Phys. B486 (1997) 339-352", {"name": "Nucl.Phys. B", "volume": "486", "pages": "339-352"}),
        ("JHEP 0205 (2002) 042", {"name": "JHEP", "volume": "0205", "pages": "042"}),
        ("Phys.Rev. D59 (1999) 048901", {"name": "Phys.Rev. D", "volume": "59", "pages": "048901"}),
        ("Nucl.Phys.Proc.Suppl. 45BC (1996) 177-187",
         {"name": "Nucl.Phys.Proc.Suppl.", "volume": "45BC", "pages": "177-187"}),
        ("Phys. Rev. Lett. 75, 588 (1995)", {"name": "Phys. Rev. Lett.", "volume": "75", "pages": "588"}),
        ("Theor.Math.Phys. 114 (1998) 184-197; Teor.Mat.Fiz. 114 (1998) 233-249",
         {"name": "Theor.Math.Phys.", "volume": "114", "pages": "184-197"}),
        ("Talk given at 2nd International Sakharov Conference on Physics, Moscow, 1996", None),
        ("Proceedings of the 37th Karpacz Winter School of Theoretical Physics, 2001, 204-213", None),
        (None, None),
    ],
)
def test_parse_journal_ref(ref, journal):
    assert build_sample.parse_journal_ref(ref) == journal


@pytest.mark.parametrize(
    "arxiv_id, line, date, year",
    [
        ("hep-th/9711200", "Thu, 27 Nov 1997 23:53:13 GMT   (22kb)", "1997-11-27", 1997),
        ("hep-th/0001001", "Sat, 1 Jan 2000 00:02:31 GMT   (84kb)", "2000-01-01", 2000),
        ("hep-th/0005001", "Sat, 29 Apr 2000 01:49:40 GMT   (15kb)", "2000-04-29", 2000),  # weekend before the month
        ("hep-th/9201001", "Tue Dec 31 23:54:17 MET 1991 +0100   (37kb)", "1991-12-31", 1992),
        ("hep-th/9409001", "Mon, 5 Sep 94 11:30:42 +0200   (24kb)", "1994-09-05", 1994),
        ("hep-th/9308022", "Wed, 5 Aug 92 18:42:48 +0100   (27kb)", None, 1993),  # a year off: dropped
        ("hep-th/9301001", "01/01/93 13:35:33 GMT+0100   (7kb)", None, 1993),
    ],
)
def test_dates_and_years(arxiv_id, line, date, year):
    assert build_sample.parse_date(line, arxiv_id) == date
    assert build_sample.arxiv_year_month(arxiv_id)[0] == year


def _write_gz(path: Path, text: str) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.encode())


def test_build_sample_is_deterministic(tmp_path):
    src = tmp_path / "hepth"
    src.mkdir()
    records = [
        {"id": "hep-th/9711200", "snap_id": 9711200, "title": "Large  N\n limit", "authors": "Juan M. Maldacena",
         "date": "Thu, 27 Nov 1997 23:53:13 GMT   (22kb)", "journal_ref": "Adv.Theor.Math.Phys. 2 (1998) 231-252",
         "report_no": None, "comments": None, "abstract": " We show that ... "},
        {"id": "hep-th/0001002", "snap_id": 1002, "title": "Domain Walls", "authors": "M. Cvetic, H. Lu and C.N. Pope",
         "date": "Mon, 3 Jan 2000 22:38:03 GMT   (64kb)", "journal_ref": None, "report_no": None, "comments": None,
         "abstract": "Walls."},
    ]
    _write_gz(src / "papers.jsonl.gz", "".join(json.dumps(r) + "\n" for r in records))
    _write_gz(src / "cit-HepTh.txt.gz",
              "# Directed graph\r\n# FromNodeId\tToNodeId\r\n1002\t9711200\r\n1002\t1002\r\n1002\t9999999\r\n")
    out1, out2 = tmp_path / "a", tmp_path / "b"
    stats = build_sample.build(src, out1, log=lambda s: None)
    build_sample.build(src, out2, log=lambda s: None)
    for rel in ("papers/papers-0.jsonl.gz", "citations/citations-0.jsonl.gz", "abstracts/abstracts-0.jsonl.gz"):
        assert (out1 / rel).read_bytes() == (out2 / rel).read_bytes()
    assert stats["edges"] == 1 and stats["self_loops_dropped"] == 1 and stats["dangling_dropped"] == 1
    papers = {r["corpusid"]: r for r in _rows(out1 / "papers" / "papers-0.jsonl.gz")}
    assert list(papers) == [1002, 9711200]  # sorted by corpusid
    assert papers[9711200]["title"] == "Large N limit" and papers[9711200]["citationcount"] == 1
    assert papers[1002]["referencecount"] == 1 and papers[1002]["venue"] == "arXiv"
    assert _rows(out1 / "abstracts" / "abstracts-0.jsonl.gz")[1]["abstract"] == "We show that ..."
    assert build_sample.main([str(tmp_path / "nowhere"), str(tmp_path / "c")]) == 2


# -- dataset_store on the sample ------------------------------------------------------------


def test_sample_store_counts(sample_store):
    q = tables(sample_store).execute
    assert q('SELECT count(*), count(*) FILTER (WHERE "full" = 1) FROM papers').fetchone() == (29_555, 29_555)
    assert counts(sample_store)["edges"] == 352_768
    assert q("SELECT count(*) FROM lists").fetchone()[0] == 2 * 29_555
    rows = q("SELECT kind, status, count(*) FROM lists GROUP BY kind, status").fetchall()
    assert sorted(rows) == [("citations", "complete", 29_555), ("references", "complete", 29_555)]
    # every list's total is the number of its edges in the store
    bad = q(
        """SELECT count(*) FROM lists l WHERE total != CASE kind
               WHEN 'references' THEN (SELECT count(*) FROM edges WHERE citing = l.paper_id)
               ELSE (SELECT count(*) FROM edges WHERE cited = l.paper_id) END"""
    ).fetchone()[0]
    assert bad == 0
    assert sample_store.dataset_warnings == []


def test_sample_store_schema_is_the_store_schema(sample_index_of, tmp_path):
    ref = sqlite3.connect(tmp_path / "ref.sqlite")
    sample_store = dataset_store("sample", sample_index_of("sqlite"), engine_name="sqlite")
    store.create_schema(ref)
    ref.execute(titles.TITLES_TABLE)  # the index's own: what match_title looks titles up in
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    assert sample_store.conn.execute(schema).fetchall() == ref.execute(schema).fetchall()
    assert sample_store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    sample_store.close()


def test_sample_store_maldacena(sample_store):
    assert sample_store.resolve(f"ARXIV:{MALDACENA}") == MALDACENA_ID
    assert sample_store.resolve("CORPUSID:9711200") == MALDACENA_ID
    paper = sample_store.get_papers([MALDACENA_ID], full_only=True)[MALDACENA_ID]
    assert set(paper) == PAPER_KEYS
    assert paper["title"] == "The Large N Limit of Superconformal Field Theories and Supergravity"
    assert paper["authors"] == [{"authorId": None, "name": "Juan M. Maldacena"}]
    assert paper["year"] == 1997 and paper["corpusId"] == 9711200
    assert paper["citationCount"] == 2414 and paper["referenceCount"] == 54
    assert paper["externalIds"] == {"ArXiv": MALDACENA, "CorpusId": "9711200"}
    assert paper["abstract"].startswith("We show that the large $N$ limit")
    assert paper["tldr"] is None and paper["publicationTypes"] == ["JournalArticle"]
    assert paper["venue"] == "Adv.Theor.Math.Phys."
    assert paper["url"] == f"https://www.semanticscholar.org/paper/{MALDACENA_ID}"
    assert sample_store.list_status([MALDACENA_ID], "references") == {MALDACENA_ID: "complete"}
    assert sample_store.list_status([MALDACENA_ID], "citations") == {MALDACENA_ID: "complete"}
    refs = sample_store.list_edges([MALDACENA_ID], "references")
    cits = sample_store.list_edges([MALDACENA_ID], "citations")
    assert len(refs) == 54 and all(a == MALDACENA_ID for a, _ in refs)
    assert len(cits) == 2414 and all(b == MALDACENA_ID for _, b in cits)
    gkp = arxiv_paper_id("hep-th/9802109")  # Gubser, Klebanov, Polyakov cite Maldacena
    assert (gkp, MALDACENA_ID) in cits


def test_sample_store_is_read_only(sample_store, sample_engine):
    if sample_engine == "sqlite":
        with pytest.raises(sqlite3.OperationalError):
            sample_store.put_aliases([("ARXIV:x", "y")])
    else:  # the other engines' stores have no writing methods at all
        assert not [m for m in dir(sample_store) if m.startswith("put_")]


def test_index_is_built_once_and_reused(sample_store, sample_cache, sample_engine):
    index = Path(sample_store.dataset_info["index"])
    assert index.parent == sample_cache / "datasets" and index.exists()
    mtime = index.stat().st_mtime_ns
    again = dataset_store("sample", sample_cache, progress=lambda m: pytest.fail(f"rebuilt: {m}"),
                          engine_name=sample_engine)
    try:
        assert again.dataset_info["built"] is False and again.dataset_info["index"] == str(index)
        assert again.resolve(f"ARXIV:{MALDACENA}") == MALDACENA_ID
    finally:
        again.close()
    assert index.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in index.parent.iterdir()) == [index.name]  # no temp or journal files


# -- small datasets built in tmp_path -----------------------------------------------------


def _s2_paper(cid: int, title: str, **extra) -> dict:
    row = {
        "corpusid": cid,
        "externalids": {"ACL": None, "DBLP": None, "ArXiv": None, "MAG": None, "CorpusId": str(cid),
                        "PubMed": None, "DOI": None, "PubMedCentral": None},
        "url": f"https://www.semanticscholar.org/paper/{hashlib.sha1(str(cid).encode()).hexdigest()}",
        "title": title, "authors": [{"authorId": str(cid * 10), "name": f"Author {cid}"}],
        "venue": "", "publicationvenueid": None, "year": 2000 + cid, "referencecount": 0, "citationcount": 0,
        "influentialcitationcount": 0, "isopenaccess": False, "s2fieldsofstudy": None, "publicationtypes": None,
        "publicationdate": None, "journal": {"name": "", "pages": None, "volume": ""},
        "updated": "2022-01-01T00:00:00Z",
    }
    row.update(extra)
    return row


def _cite(a, b, **extra) -> dict:
    row = {"citingcorpusid": None if a is None else str(a), "citedcorpusid": None if b is None else str(b),
           "isinfluential": False, "contexts": None, "intents": None, "updated": "2022-01-01T00:00:00Z"}
    row.update(extra)
    return row


def _jsonl(path: Path, rows: list, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((r if isinstance(r, str) else json.dumps(r, separators=(",", ":"))) + "\n" for r in rows)
    if gz:
        _write_gz(path, text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _tiny(root: Path, gz: bool = False) -> Path:
    ext = ".jsonl.gz" if gz else ".jsonl"
    _jsonl(root / "papers" / f"papers-0{ext}", [
        _s2_paper(1, "One", externalids={"ArXiv": "2101.00001", "DOI": "10.1000/ABC.Def", "PubMed": "123",
                                         "PubMedCentral": "456", "ACL": "P19-1001", "MAG": "789",
                                         "CorpusId": "1", "DBLP": "conf/x/1"}),
        _s2_paper(2, "Two", publicationtypes=["JournalArticle"],
                  journal={"name": "J. Test", "volume": "3", "pages": "1-2"}, venue="J. Test"),
    ], gz)
    _jsonl(root / "papers" / f"papers-1{ext}", [_s2_paper(3, "Three", url=None)], gz)
    _jsonl(root / "citations" / f"citations-0{ext}", [
        _cite(2, 1), _cite(3, 1), _cite(3, 2),
        _cite(3, 3),                                   # self-citation
        _cite(3, None),                                # S2 could not match the reference
        _cite(1, 99),                                  # cited paper not in papers/
        _cite(2, 1),                                   # repeated pair
        _cite(1, 2, isinfluential=True, contexts=["as [1] shows"], intents=["background"]),
    ], gz)
    _jsonl(root / "abstracts" / f"abstracts-0{ext}", [{"corpusid": 1, "abstract": "About one."},
                                                      {"corpusid": 2, "abstract": None}], gz)
    _jsonl(root / "tldrs" / f"tldrs-0{ext}", [{"corpusid": 2, "model": "tldr@v2.0.0", "text": "Two, briefly."}], gz)
    return root


def test_tiny_dataset(tmp_path, engine):
    messages: list[str] = []
    st = dataset_store(_tiny(tmp_path / "ds"), tmp_path / "cache", progress=messages.append)
    try:
        p1 = hashlib.sha1(b"1").hexdigest()
        p2 = hashlib.sha1(b"2").hexdigest()
        p3 = hashlib.sha1(b"CorpusId:3").hexdigest()  # no url: a deterministic id
        assert dataset.corpus_paper_id(3) == p3
        papers = st.get_papers([p1, p2, p3])
        assert set(papers) == {p1, p2, p3}
        assert all(set(p) == PAPER_KEYS for p in papers.values())
        assert papers[p1]["abstract"] == "About one." and papers[p1]["tldr"] is None
        assert papers[p2]["tldr"] == "Two, briefly." and papers[p2]["abstract"] is None
        assert papers[p2]["journal"] == {"name": "J. Test", "volume": "3", "pages": "1-2"}
        assert papers[p1]["journal"] is None and papers[p1]["venue"] is None  # "" -> None
        assert papers[p3]["url"] is None and papers[p3]["paperId"] == p3
        assert papers[p1]["externalIds"]["DOI"] == "10.1000/ABC.Def"
        assert papers[p1]["authors"] == [{"authorId": "10", "name": "Author 1"}]
        for alias, pid in [("ARXIV:2101.00001", p1), ("DOI:10.1000/abc.def", p1), ("PMID:123", p1),
                           ("PMCID:PMC456", p1), ("ACL:P19-1001", p1), ("MAG:789", p1), ("CORPUSID:1", p1),
                           ("CORPUSID:3", p3)]:
            assert st.resolve(alias) == pid, alias
        # the keys are those the crawler looks up (litmap.ids.alias_key)

        for kind, value in [("arxiv", "2101.00001"), ("doi", "10.1000/ABC.DEF"), ("pmid", "123"),
                            ("pmcid", "456"), ("pmcid", "PMC456"), ("acl", "P19-1001"), ("mag", "789"),
                            ("corpusid", "1")]:
            assert st.resolve(alias_key(kind, value)) == p1, (kind, value)
        assert st.resolve("DBLP:conf/x/1") is None
        edges = sorted(tables(st).execute("SELECT citing, cited, is_influential, intents FROM edges").fetchall())
        assert edges == sorted([(p2, p1, 0, None), (p3, p1, 0, None), (p3, p2, 0, None),
                                (p1, p2, 1, '["background"]')])
        complete = "SELECT paper_id, kind, total FROM lists WHERE status = 'complete'"
        totals = dict(((pid, kind), total) for pid, kind, total in tables(st).execute(complete).fetchall())
        assert totals == {(p1, "references"): 1, (p1, "citations"): 2, (p2, "references"): 1,
                          (p2, "citations"): 2, (p3, "references"): 2, (p3, "citations"): 0}
        assert st.dataset_warnings == []
        notes = "\n".join(st.dataset_notes)
        assert "1 rows cite no known paper" in notes and "1 self-citations dropped" in notes
        assert "2 rows dropped: an endpoint is not in papers/, or a repeated pair" in notes
        assert any("indexing" in m for m in messages) and any("indexed 3 papers" in m for m in messages)
    finally:
        st.close()


def test_gzipped_and_plain_files_give_the_same_index(tmp_path, engine):
    plain = dataset_store(_tiny(tmp_path / "plain"), tmp_path / "cache")
    gz = dataset_store(_tiny(tmp_path / "gz", gz=True), tmp_path / "cache")
    try:
        q = "SELECT paper_id, data FROM papers ORDER BY paper_id"
        assert tables(plain).execute(q).fetchall() == tables(gz).execute(q).fetchall()
        q = "SELECT * FROM edges ORDER BY citing, cited"
        assert tables(plain).execute(q).fetchall() == tables(gz).execute(q).fetchall()
        assert plain.dataset_info["index"] != gz.dataset_info["index"]
    finally:
        plain.close()
        gz.close()


def _tangled(root: Path) -> Path:
    """What the index rules decide: a repeated corpusid (the first row wins, its aliases too), two
    corpusids of one paperId (one paper: the smallest corpusid's record and abstract; citations of
    either are its, one becoming a self-citation), repeated abstracts (the last wins; a blank one
    is no row), non-ASCII DOIs (lowercased as the crawler's alias keys are)."""
    merged = f"https://www.semanticscholar.org/paper/{hashlib.sha1(b'merged').hexdigest()}"
    _jsonl(root / "papers" / "papers-0.jsonl", [
        _s2_paper(1, "One"),
        _s2_paper(5, "Five", url=merged, externalids={"DOI": "10.1/ÜNÏ", "MAG": "55", "CorpusId": "5"}),
        _s2_paper(1, "One again", externalids={"DOI": "10.1/not-kept", "CorpusId": "1"}),
    ])
    _jsonl(root / "papers" / "papers-1.jsonl", [
        _s2_paper(4, "Four", url=merged, externalids={"DOI": "10.1/Four", "CorpusId": "4"}),
        _s2_paper(2, "Two", externalids={"DOI": "10.1/Ä", "ArXiv": "2101.00002", "CorpusId": "2"}),
        _s2_paper(3, "Three"),
    ])
    _jsonl(root / "citations" / "citations-0.jsonl", [
        _cite(1, 5), _cite(2, 4), _cite(2, 5), _cite(3, 4), _cite(4, 1), _cite(5, 4), _cite(3, 2),
        _cite(1, 3, isinfluential=True, intents=["methodology", "result"]),
    ])
    _jsonl(root / "abstracts" / "abstracts-0.jsonl", [
        {"corpusid": 2, "abstract": "first"}, {"corpusid": 2, "abstract": "second"}, {"corpusid": 2, "abstract": " "},
        {"corpusid": 4, "abstract": "of four"}, {"corpusid": 5, "abstract": "of five"}])
    return root


def test_every_engine_indexes_the_same_rows(tmp_path):
    guard.need_module("duckdb", "pip install -e '.[test]'")
    root = _tangled(tmp_path / "ds")
    got = {}
    for name in ENGINES:
        st = dataset_store(root, tmp_path / f"cache-{name}", engine_name=name)
        try:
            q = tables(st).execute
            got[name] = {
                "papers": [(p, c, json.loads(d)) for p, c, d in
                           q("SELECT paper_id, corpus_id, data FROM papers ORDER BY paper_id").fetchall()],
                "edges": q("SELECT citing, cited, is_influential, intents FROM edges ORDER BY 1, 2").fetchall(),
                "aliases": q("SELECT alias, paper_id FROM aliases ORDER BY 1").fetchall(),
                "lists": q("SELECT paper_id, kind, status, total FROM lists ORDER BY 1, 2").fetchall(),
                "notes": st.dataset_notes,
            }
        finally:
            st.close()
    assert got["sqlite"] == got["duckdb"] == got["csr"]
    one, two, three = (hashlib.sha1(str(i).encode()).hexdigest() for i in (1, 2, 3))
    merged = hashlib.sha1(b"merged").hexdigest()
    papers = {p: (c, d) for p, c, d in got["csr"]["papers"]}
    assert papers[merged][0] == 4 and papers[merged][1]["title"] == "Four"
    assert papers[merged][1]["abstract"] == "of four" and papers[two][1]["abstract"] == "second"
    assert papers[one][1]["title"] == "One"
    aliases = dict(got["csr"]["aliases"])
    assert aliases["DOI:10.1/ünï"] == aliases["DOI:10.1/four"] == aliases["CORPUSID:5"] == merged
    assert aliases["DOI:10.1/ä"] == two and "DOI:10.1/not-kept" not in aliases
    assert [e[:2] for e in got["csr"]["edges"]] == sorted([(one, merged), (two, merged), (three, merged), (merged, one),
                                                          (merged, merged), (three, two), (one, three)])
    assert (one, three, 1, '["methodology","result"]') in got["csr"]["edges"]
    assert got["csr"]["notes"] == ["papers: 1 rows repeat a corpusid already seen; the first was kept",
                                   "citations: 1 rows dropped: an endpoint is not in papers/, or a repeated pair"]


def test_csr_build_in_worker_processes_gives_the_same_index_and_reports(tmp_path, monkeypatch):
    # On big inputs the CSR engine reads the shards in a pool of worker processes: forced here on
    # small ones (several paper shards, malformed lines), it must give what a serial build gives.
    def build(root: Path, cache: Path) -> tuple:
        messages: list[str] = []
        st = dataset_store(root, cache, progress=messages.append, engine_name="csr")
        try:
            q = tables(st).execute
            rows = [q(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("papers", "edges", "aliases", "lists")]
            return rows, st.dataset_warnings, st.dataset_notes, [m for m in messages if " in " not in m]
        finally:
            st.close()

    pools = []
    real = dataset_csr.multiprocessing.get_context

    def get_context(method):
        pools.append(method)
        return real(method)

    for root in (_tangled(tmp_path / "tangled"), BAD / "malformed"):
        serial = build(root, tmp_path / "serial")
        assert pools == []
        monkeypatch.setattr(dataset_csr, "PARALLEL_BYTES", 0)
        monkeypatch.setattr(dataset_csr.multiprocessing, "get_context", get_context)
        monkeypatch.setenv("LITMAP_BUILD_WORKERS", "2")
        parallel = build(root, tmp_path / "parallel")
        monkeypatch.undo()
        assert pools == ["spawn"] and parallel == serial
        pools.clear()
    assert serial[1][0] == "papers/papers-0.jsonl:3: not valid JSON, skipped"


def test_csr_paperid_lookup_by_bucket_is_a_binary_search(sample_index_of):
    # The CSR store finds paperIds by a binary search within their bucket (their first bits):
    # the same positions as one over the whole sorted array, for present and absent ids alike.
    st = dataset_store("sample", sample_index_of("csr"), engine_name="csr")
    try:
        srt = st.a("papers.pid_sorted")
        rng = np.random.default_rng(1)
        keys = np.concatenate([srt[rng.integers(0, len(srt), 3000)], srt[:2], srt[-2:],
                               np.frombuffer(rng.bytes(20 * 3000), dtype="S20"),
                               np.frombuffer(b"\x00" * 20 + b"\xff" * 20, dtype="S20")])
        assert len(st.a("papers.pid_buckets")) > 1000
        assert (st._positions(srt, keys) == np.searchsorted(srt, keys)).all()
    finally:
        st.close()


def _titled(root: Path) -> Path:
    """Papers whose titles repeat, case and spacing aside: 2 and 4 cited 5 times, 3 cited 9."""
    _jsonl(root / "papers" / "papers-0.jsonl", [
        _s2_paper(1, "A Unique Title"), _s2_paper(2, "Black  holes and\tstrings", citationcount=5),
        _s2_paper(3, "black holes AND strings", citationcount=9), _s2_paper(4, " Black holes and strings ",
                                                                            citationcount=5),
        _s2_paper(5, "Black holes and strings, again", citationcount=99), _s2_paper(6, "Ǆemal ΣΊΣΥΦΟΣ"),
        _s2_paper(7, None), _s2_paper(8, "   "),
    ])
    _jsonl(root / "citations" / "citations-0.jsonl", [_cite(2, 1)])
    return root


def _match_title_store(root: Path, cache: Path):
    st = dataset_store(root, cache, engine_name="csr")
    assert hasattr(st, "match_title")
    return st


def test_csr_match_title_finds_the_most_cited_paper_of_a_title(tmp_path):
    # A title seed against a CSR index: the paper whose title is the same, case and spacing
    # aside; the most cited if several, the least paperId among equally cited.
    st = _match_title_store(_titled(tmp_path / "ds"), tmp_path / "cache")
    try:
        pid = {c: st.resolve(f"CORPUSID:{c}") for c in range(1, 9)}
        assert st.match_title("A Unique Title") == pid[1]
        assert st.match_title("  a   UNIQUE title\n") == pid[1]
        assert st.match_title("Black holes and strings") == pid[3]  # 9 citations beat 5
        assert st.match_title("ǆemal σίσυφος") == pid[6]  # casefold, not ASCII lower
        assert st.match_title("A Unique") is None and st.match_title("Unknown") is None
        assert st.match_title("") is None and st.match_title("   ") is None
        # the index holds the titles' hashes and rows only: 12 bytes a titled paper
        assert len(st.a("papers.title_hash")) == len(st.a("papers.title_rows")) == 6
        assert st.a("papers.title_hash").nbytes + st.a("papers.title_rows").nbytes == 6 * 12
    finally:
        st.close()
    # equally cited: the least paperId, whichever was read first
    _jsonl(tmp_path / "ds" / "papers" / "papers-0.jsonl", [
        _s2_paper(2, "Black holes and strings", citationcount=5), _s2_paper(4, "black holes and strings",
                                                                            citationcount=5)])
    st = _match_title_store(tmp_path / "ds", tmp_path / "cache")
    try:
        assert st.match_title("BLACK HOLES AND STRINGS") == min(st.resolve("CORPUSID:2"), st.resolve("CORPUSID:4"))
    finally:
        st.close()


def test_csr_match_title_never_takes_a_shared_hash_for_a_match(tmp_path, monkeypatch):
    # Every title hashed alike (a collision for all): the answer is still the paper whose title
    # is the same, found by reading the candidates' records, most cited first.
    from litmap import csr_store

    monkeypatch.setattr(dataset_csr, "title_hash", lambda title: 7 if titles.title_key(title) else None)
    monkeypatch.setattr(csr_store, "title_hash", lambda title: 7 if titles.title_key(title) else None)
    st = _match_title_store(_titled(tmp_path / "ds"), tmp_path / "cache")
    try:
        assert st.match_title("a unique title") == st.resolve("CORPUSID:1")  # paper 5 (99 cites) read first
        assert st.match_title("black holes and strings") == st.resolve("CORPUSID:3")
        assert st.match_title("no such title") is None
    finally:
        st.close()


def test_csr_match_title_agrees_with_a_scan_of_the_sample(sample_index_of, sample_papers):
    # On the bundled sample, for titles shared by several papers and for others: the same paper
    # as a scan of every record would pick (most cited, then least paperId).
    st = dataset_store("sample", sample_index_of("csr"), engine_name="csr")
    try:
        papers = st.get_papers(st.hex_ids(np.arange(st.paper_count())))
        by_title: dict[str, list] = {}
        for pid, p in papers.items():
            key = " ".join((p["title"] or "").split()).casefold()
            if key:
                by_title.setdefault(key, []).append((-(p["citationCount"] or 0), pid))
        shared = [t for t, found in by_title.items() if len(found) > 1]
        rng = np.random.default_rng(2)
        titles = [*shared[:50], *(list(by_title)[int(i)] for i in rng.integers(0, len(by_title), 300))]
        assert shared and len(st.a("papers.title_hash")) == sum(map(len, by_title.values()))
        for title in titles:
            assert st.match_title(title.upper()) == min(by_title[title])[1], title
    finally:
        st.close()


def test_normalise_record():
    assert normalise_record({"title": "no id"}) is None
    assert normalise_record({"corpusid": "12x"}) is None
    p = normalise_record({"corpusid": "7", "url": "https://www.semanticscholar.org/paper/NOT-HEX",
                          "externalids": {"DOI": "", "MAG": 5, "ArXiv": None}, "title": "  ",
                          "authors": [{"authorId": None, "name": "A"}, {"name": ""}, "junk"],
                          "year": "1999", "citationcount": True, "publicationtypes": ["Review", 3],
                          "journal": {"name": "", "volume": None, "pages": ""}})
    assert p["paperId"] == hashlib.sha1(b"CorpusId:7").hexdigest() and p["url"] is None
    assert p["corpusId"] == 7 and p["externalIds"] == {"MAG": "5", "CorpusId": "7"}
    assert p["title"] is None and p["authors"] == [{"authorId": None, "name": "A"}]
    assert p["year"] == 1999 and p["citationCount"] is None and p["publicationTypes"] == ["Review"]
    assert p["journal"] is None and p["abstract"] is None and set(p) == PAPER_KEYS


def test_stale_index_is_rebuilt_when_a_file_changes(tmp_path, engine):
    root = _tiny(tmp_path / "ds")
    cache = tmp_path / "cache"
    st = dataset_store(root, cache)
    index = Path(st.dataset_info["index"])
    assert st.dataset_info["built"] and counts(st)["edges"] == 4
    st.close()
    again = dataset_store(root, cache)
    assert again.dataset_info["built"] is False
    again.close()

    cites = root / "citations" / "citations-0.jsonl"
    with open(cites, "a") as f:
        f.write(json.dumps(_cite(2, 3)) + "\n")
    st = dataset_store(root, cache)
    try:
        # new content, new content key: a new index (the old one may serve another copy)
        assert st.dataset_info["built"] is True and st.dataset_info["index"] != str(index)
        assert counts(st)["edges"] == 5
    finally:
        st.close()

    # a new shard is a change too
    _jsonl(root / "citations" / "citations-1.jsonl", [_cite(1, 3)])
    st = dataset_store(root, cache)
    assert st.dataset_info["built"] is True and counts(st)["edges"] == 6
    st.close()
    # a touched file (same content, new mtime) is the same dataset: no rebuild
    os.utime(cites, ns=(cites.stat().st_atime_ns, cites.stat().st_mtime_ns + 10**9))
    st = dataset_store(root, cache)
    assert st.dataset_info["built"] is False
    st.close()


def test_index_is_keyed_by_content_not_path(tmp_path, engine):
    root = _tiny(tmp_path / "ds")
    first = dataset_store(root, tmp_path / "cache")
    assert first.dataset_info["built"]
    first.close()
    copy = shutil.copytree(root, tmp_path / "elsewhere" / "ds")  # another checkout, new mtimes
    second = dataset_store(copy, tmp_path / "cache")
    try:
        assert second.dataset_info["built"] is False
        assert second.dataset_info["index"] == first.dataset_info["index"]
    finally:
        second.close()


class Interrupted(BaseException):
    """Stands for Ctrl-C (KeyboardInterrupt) arriving in the middle of a build."""


def _engine_module(engine: str):
    return dataset.ENGINES[engine]


def _snapshot(index: Path) -> dict[str, bytes]:
    """What an index holds: its file's bytes, or every file of its directory."""
    if index.is_file():
        return {"": index.read_bytes()}
    return {str(p.relative_to(index)): p.read_bytes() for p in sorted(index.rglob("*")) if p.is_file()}


def test_interrupted_build_leaves_no_index(tmp_path, monkeypatch, engine):
    root = _tiny(tmp_path / "ds")
    cache = tmp_path / "cache"
    module = _engine_module(engine)
    real = module.row_batches

    def read_then_interrupt(files, folder, report, *args, **kwargs):
        if folder == "tldrs":  # every engine reads tldrs/ with bulk.row_batches, after papers/
            raise Interrupted()
        return real(files, folder, report, *args, **kwargs)

    monkeypatch.setattr(module, "row_batches", read_then_interrupt)
    with pytest.raises(Interrupted):
        dataset_store(root, cache)
    index = dataset.index_path(root.resolve(), cache)
    assert not index.exists()
    assert list(index.parent.iterdir()) == []  # the temp file or folder and its scratch are gone

    monkeypatch.setattr(module, "row_batches", real)
    st = dataset_store(root, cache)
    try:
        assert st.dataset_info["built"] and counts(st)["edges"] == 4
    finally:
        st.close()


def test_interrupted_rebuild_keeps_the_old_index_stale(tmp_path, monkeypatch, engine):
    root = _tiny(tmp_path / "ds")
    cache = tmp_path / "cache"
    dataset_store(root, cache).close()
    index = dataset.index_path(root.resolve(), cache)
    before = _snapshot(index)
    _jsonl(root / "citations" / "citations-1.jsonl", [_cite(1, 3)])

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_engine_module(engine), "index_meta", boom)  # the last step of every build
    with pytest.raises(KeyboardInterrupt):
        dataset_store(root, cache)
    assert _snapshot(index) == before  # untouched, and still not current:
    assert [p.name for p in index.parent.iterdir()] == [index.name]
    monkeypatch.undo()
    st = dataset_store(root, cache)
    try:
        assert st.dataset_info["built"] is True and counts(st)["edges"] == 5
    finally:
        st.close()


def test_a_broken_index_is_rebuilt(tmp_path, engine):
    root = _tiny(tmp_path / "ds")
    cache = tmp_path / "cache"
    index = dataset.index_path(root.resolve(), cache)
    index.parent.mkdir(parents=True)
    if engine == "sqlite":
        index.write_bytes(b"not a database at all")
    else:
        index.mkdir()
        (index / "meta.json").write_text("not json")
    st = dataset_store(root, cache)
    assert st.dataset_info["built"] and counts(st)["papers"] == 3
    st.close()
    # an index without a build stamp (e.g. copied from a half build)
    if engine == "sqlite":
        index.unlink()
        with Store(index) as half:
            half.put_papers([{"paperId": "x" * 40}], full=True)
    else:
        (index / "meta.json").write_text("{}")
    st = dataset_store(root, cache)
    assert st.dataset_info["built"] and counts(st)["papers"] == 3
    st.close()


def test_stale_temp_files_of_dead_builds_are_removed(tmp_path, engine):
    root = _tiny(tmp_path / "ds")
    cache = tmp_path / "cache"
    index = dataset.index_path(root.resolve(), cache)
    index.parent.mkdir(parents=True)
    dead = index.with_name(f"{index.name}.tmp-999999999-abcd")  # no such process
    if engine == "sqlite":
        dead.write_bytes(b"half")
        Path(f"{dead}-scratch").write_bytes(b"half")
    else:
        (dead / "scratch").mkdir(parents=True)
        (dead / "half.bin").write_bytes(b"half")
    dataset_store(root, cache).close()
    assert sorted(p.name for p in index.parent.iterdir()) == [index.name]


# -- bad datasets -------------------------------------------------------------------------


def test_malformed_lines_are_skipped_and_reported(tmp_path, capsys, engine):
    messages: list[str] = []
    st = dataset_store(BAD / "malformed", tmp_path / "cache", progress=messages.append)
    try:
        expected = [
            "papers/papers-0.jsonl:3: not valid JSON, skipped",
            "papers/papers-0.jsonl:5: not a JSON object, skipped",
            "papers/papers-0.jsonl:6: no valid corpusid, skipped",
            "abstracts/abstracts-0.jsonl:2: not valid JSON, skipped",
            "citations/citations-0.jsonl:3: not valid JSON, skipped",
            "citations/citations-0.jsonl:5: no valid citingcorpusid/citedcorpusid, skipped",
        ]
        assert st.dataset_warnings == expected
        assert [m for m in messages if m in expected] == expected
        # A skipped line leaves no trace: were it read as its neighbour's record again, that
        # record would show up as a repeated corpusid or a repeated citation pair here.
        assert st.dataset_notes == []
        assert counts(st)["papers"] == 4 and counts(st)["edges"] == 4
        assert st.resolve("CORPUSID:8") is not None and st.resolve("CORPUSID:3") is None
    finally:
        st.close()
    assert capsys.readouterr().err == ""  # with a progress callback, nothing on stderr
    # a warm open still has them; without a callback a new build prints them to stderr
    again = dataset_store(BAD / "malformed", tmp_path / "cache")
    assert again.dataset_warnings == expected and not again.dataset_info["built"]
    again.close()
    dataset_store(BAD / "malformed", tmp_path / "other-cache").close()
    assert "papers/papers-0.jsonl:3: not valid JSON, skipped" in capsys.readouterr().err


def test_bad_utf8_and_cap_on_warnings(tmp_path, monkeypatch, engine):
    root = _tiny(tmp_path / "ds")
    with open(root / "papers" / "papers-1.jsonl", "ab") as f:
        f.write(b'{"corpusid": 5, "title": "caf\xe9"}\n')
        f.write(b"garbage\n" * 5)
    monkeypatch.setattr(bulk, "MAX_WARNINGS", 3)
    st = dataset_store(root, tmp_path / "cache", progress=lambda m: None)
    try:
        assert st.dataset_warnings == [
            "papers/papers-1.jsonl:2: not valid JSON (bad UTF-8), skipped",
            "papers/papers-1.jsonl:3: not valid JSON, skipped",
            "papers/papers-1.jsonl:4: not valid JSON, skipped",
            "... and 3 more malformed lines",
        ]
    finally:
        st.close()


def test_missing_citations_folder(tmp_path, engine):
    with pytest.raises(DatasetError, match=r"no citations/ folder") as exc:
        dataset_store(BAD / "no_citations", tmp_path / "cache")
    assert "\n" not in str(exc.value) and str(BAD / "no_citations") in str(exc.value)
    assert not (tmp_path / "cache" / "datasets").exists() or not any((tmp_path / "cache" / "datasets").iterdir())


def test_papers_folder_without_data_files(tmp_path, engine):
    with pytest.raises(DatasetError, match=r"papers/ holds no \*\.jsonl or \*\.jsonl\.gz files"):
        dataset_store(BAD / "empty_papers", tmp_path / "cache")


@pytest.mark.parametrize("make", ["missing", "file", "empty_dir", "only_citations"])
def test_wrong_path(tmp_path, make, engine):
    path = tmp_path / "somewhere"
    if make == "file":
        path.write_text("x")
    elif make == "empty_dir":
        path.mkdir()
    elif make == "only_citations":
        _jsonl(path / "citations" / "c.jsonl", [_cite(1, 2)])
    with pytest.raises(DatasetError) as exc:
        dataset_store(path, tmp_path / "cache")
    assert str(exc.value) == (f"no dataset at {path.resolve()}: expected a directory with papers/ and citations/ "
                              "holding *.jsonl or *.jsonl.gz files")


def test_no_valid_paper_at_all(tmp_path, engine):
    root = tmp_path / "ds"
    _jsonl(root / "papers" / "p.jsonl", ["nonsense"])
    _jsonl(root / "citations" / "c.jsonl", [_cite(1, 2)])
    with pytest.raises(DatasetError, match="no valid paper records"):
        dataset_store(root, tmp_path / "cache", progress=lambda m: None)
    assert list((tmp_path / "cache" / "datasets").iterdir()) == []


def test_truncated_gzip_is_refused(tmp_path, engine):
    root = _tiny(tmp_path / "ds", gz=True)
    shard = root / "citations" / "citations-0.jsonl.gz"
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"citations/citations-0\.jsonl\.gz: unreadable after line \d+"):
        dataset_store(root, tmp_path / "cache")
    assert list((tmp_path / "cache" / "datasets").iterdir()) == []


def test_sample_source_name_and_paths(tmp_path, monkeypatch, engine):
    assert dataset.resolve_source("sample") == SAMPLE
    monkeypatch.chdir(tmp_path)
    rel = _tiny(tmp_path / "rel")
    st = dataset_store("rel", tmp_path / "cache")  # a relative path is resolved
    try:
        assert st.dataset_info["source"] == str(rel.resolve())
    finally:
        st.close()
    monkeypatch.setattr(dataset, "sample_path", lambda: tmp_path / "not-installed")
    with pytest.raises(DatasetError, match="bundled sample is missing"):
        dataset_store("sample", tmp_path / "cache")


# -- the line reader ----------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as hs  # noqa: E402

_LINE = hs.one_of(
    hs.text(alphabet=hs.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=12)
    .map(lambda t: t.encode("utf-8")),
    hs.sampled_from([b"", b"  ", b"\r", b"\xff\xfe", b"ok\xc3"]),
)


@settings(max_examples=200, deadline=None)
@given(lines=hs.lists(_LINE, max_size=30), final_newline=hs.booleans(), chunk=hs.integers(1, 40),
       batch=hs.integers(1, 7), gz=hs.booleans())
def test_line_batches_match_a_plain_split(tmp_path_factory, lines, final_newline, chunk, batch, gz):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("lines") / ("f.jsonl.gz" if gz else "f.jsonl")
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    expected, bad = [], []
    for n, raw in enumerate(data.split(b"\n") if data else [], 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(f"f:{n}: not valid JSON (bad UTF-8), skipped")
            continue
        if text.strip():
            expected.append((n, text))
    old = bulk.CHUNK, bulk.BATCH
    bulk.CHUNK, bulk.BATCH = chunk, batch
    try:
        report = bulk._Report(progress=lambda m: None)
        batches = list(bulk._line_batches(path, "f", report))
    finally:
        bulk.CHUNK, bulk.BATCH = old
    assert [row for b in batches for row in b] == expected
    assert all(0 < len(b) <= batch for b in batches)
    assert report.warnings == bad


def test_an_unknown_index_engine_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("LITMAP_ENGINE", "bogus")
    with pytest.raises(dataset.DatasetError, match="LITMAP_ENGINE must be one of csr, duckdb, sqlite, not 'bogus'"):
        dataset.dataset_store("sample", tmp_path)
    monkeypatch.setenv("LITMAP_ENGINE", " SQLite ")  # case and spaces do not matter
    assert dataset.engine() is dataset.ENGINES["sqlite"]
