"""Text as the field writes it: LaTeX and HTML entities in real titles from the bundled sample,
read by the real consumers (bibtex, biber, pandoc --citeproc) and shown readable everywhere else."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from litmap import export, render, text
from litmap.cli import cli
from tests.fakeapi import SMALL, Corpus, FakeS2
from tests.test_export import need, parse_ris

SAMPLE = Path(__file__).resolve().parents[1] / "litmap" / "data" / "sample" / "papers" / "papers-0.jsonl.gz"

# (what the sample title contains, what a reader must see) — first match in file order
WANT = [
    (r"Poincar\'e", "Poincaré"),
    (r"{\cal N}", "N = 4"),
    ("$AdS_4$", "AdS₄"),
    (r"Hyperk\"ahler", "Hyperkähler"),
    ("0 < Z < 1", "0 < Z < 1"),
    ("QCD_{3+1}", "QCD₃₊₁"),
]


@lru_cache(maxsize=1)
def sample_papers() -> list[dict]:
    found: dict[str, dict] = {}
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            for needle, _ in WANT:
                if needle not in found and needle in (raw.get("title") or ""):
                    found[needle] = {"paperId": f"{raw['corpusid']:040d}", "title": raw["title"],
                                     "year": raw.get("year"),
                                     "authors": [{"name": a["name"]} for a in raw.get("authors") or []],
                                     "externalIds": {"ArXiv": (raw.get("externalids") or {}).get("ArXiv")}}
            if len(found) == len(WANT):
                break
    assert len(found) == len(WANT), set(n for n, _ in WANT) - set(found)
    return [found[n] for n, _ in WANT]


ODD = [{"paperId": "e" * 40, "title": r"Q&amp;A on \CN=2 &lt;sigma&gt; models", "year": 2001,
        "authors": [{"name": "María Ñúñez-García"}]},
       {"paperId": "f" * 40, "title": "Bounds a < b and c > d", "year": 2002,
        "authors": [{"name": "Jean-Pierre Ñúñez-García"}]}]


def squash(value: str) -> str:
    """Spacing aside (pandoc sets math with thin spaces), and 𝒩 as N (\\cal N in pandoc)."""
    return re.sub(r"\s+", "", value).replace("𝒩", "N")


def readable(value: str) -> None:
    assert "\\" not in value and "$" not in value and "&amp;" not in value, value


def test_page_ris_csv_csl_show_readable_unicode():
    papers = sample_papers() + ODD
    page = json.loads(re.search(r'id="litmap-data">(.*?)</script>',
                                render.render_html({"nodes": papers, "edges": []}, {}), re.S).group(1))
    shown = {n["id"]: n["title"] for n in page["nodes"]}
    ris = {dict(r)["TI"] for r in parse_ris(export.to_ris(papers))}
    rows = list(csv.reader(io.StringIO(export.to_csv(papers), newline="")))[1:]
    csl = {i["title"] for i in json.loads(export.to_csl_json(papers))}
    for paper, (_, want) in zip(papers, WANT):
        title = shown[paper["paperId"]]
        readable(title)
        assert squash(want) in squash(title), (want, title)
        assert title in ris and title in csl and title in {r[1] for r in rows}
    assert shown["e" * 40] == "Q&A on 𝒩=2 <sigma> models"
    assert "Q&A on 𝒩=2 <sigma> models" in ris and "Q&A on 𝒩=2 <sigma> models" in csl


def _pandoc(bibliography: Path) -> str:
    need("pandoc")
    doc = bibliography.parent / "doc.md"
    doc.write_text("---\nnocite: '@*'\n---\n", encoding="utf-8")
    proc = subprocess.run(["pandoc", "--citeproc", "--bibliography", str(bibliography), "-t", "plain",
                           "--wrap=none", str(doc)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "warning" not in proc.stderr.lower(), proc.stderr
    return proc.stdout


def test_pandoc_renders_the_bibtex_as_the_authors_meant(tmp_path):
    papers = sample_papers() + ODD
    (tmp_path / "refs.bib").write_text(export.to_bibtex(papers), encoding="utf-8")
    out = _pandoc(tmp_path / "refs.bib")
    for _, want in WANT:
        assert squash(want) in squash(out), (want, out)
    assert "\\" not in out and "{" not in out and "poincar" not in out.lower().replace("poincaré", "")
    assert "q&aon𝒩=2<sigma>models" in re.sub(r"\s+", "", out).lower() and "a < b and c > d" in out
    assert "Ñúñez-García" in out and "¡" not in out and "¿" not in out


def test_pandoc_csl_ids_render_and_no_dangling_in(tmp_path):
    no_venue = {"paperId": "a" * 40, "title": "A Talk", "year": 2003, "authors": [{"name": "Ann Bee"}],
                "publicationTypes": ["Conference"], "venue": None}
    (tmp_path / "refs.json").write_text(export.to_csl_json(sample_papers() + [no_venue]), encoding="utf-8")
    out = _pandoc(tmp_path / "refs.json")
    assert "“A Talk.”" in out and "In." not in out and " In " not in out, out
    assert "Poincaré" in out


def _run_bibtex(tmp_path: Path, papers: list[dict]) -> str:
    need("bibtex")
    (tmp_path / "refs.bib").write_text(export.to_bibtex(papers), encoding="utf-8")
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    proc = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    blg = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0 and "Warning--" not in blg and "error" not in blg.lower(), blg
    return (tmp_path / "doc.bbl").read_text(encoding="utf-8")


def test_bibtex_keeps_hyphens_math_and_angle_brackets(tmp_path):
    bbl = " ".join(_run_bibtex(tmp_path, sample_papers() + ODD).split())
    # the hyphen of a double surname survives bibtex's name formatting
    assert r"Mar{\'i}a {\~N}{\'u}{\~n}ez-Garc{\'i}a" in bbl and r"Jean-Pierre {\~N}{\'u}{\~n}ez-Garc{\'i}a" in bbl
    assert r"Poincar{\'e}" in bbl and "{$AdS_4$}" in bbl and r"Hyperk{\"a}hler" in bbl
    # < and > in text would print as ¡ and ¿ in LaTeX's default font encoding
    assert r"a \textless{} b and c \textgreater{} d" in bbl.lower().replace("{b}", "b")
    assert not re.search(r"(?<![\\$])[<>](?![^$]*\$)", bbl.split("\\bibitem", 1)[1]), bbl


def test_biber_reads_the_accents_and_math(tmp_path):
    need("biber")
    (tmp_path / "refs.bib").write_text(export.to_bibtex(sample_papers() + ODD), encoding="utf-8")
    proc = subprocess.run(["biber", "--tool", "--validate-datamodel", "--output-file", "out.bib", "refs.bib"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "ERROR" not in proc.stdout + proc.stderr and "WARN" not in proc.stdout
    out = (tmp_path / "out.bib").read_text(encoding="utf-8")
    assert "Poincaré" in out and "Hyperkähler" in out and "Ñúñez-García" in out  # biber decoded them
    assert "$AdS_4$" in out


def test_csl_json_ids_are_the_bibtex_keys(tmp_path, monkeypatch):
    corpus = Corpus.small()
    # c3 (a derivative work) now shares the base key lovelace2022local with c2 (on the map):
    # over the whole map both are lettered, and --which derivative must keep that letter
    corpus.papers[SMALL["c3"]]["title"] = "Local Maps of Citations"
    with FakeS2(corpus) as server:
        for k, v in {"LITMAP_API_URL": server.url, "LITMAP_CACHE_DIR": str(tmp_path / "cache"),
                     "LITMAP_RATE": "0"}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.chdir(tmp_path)
        runner = CliRunner()
        assert runner.invoke(cli, ["seed", SMALL["seed"], "--nodes", "3", "-q"]).exit_code == 0
        checked = 0
        for which in ("map", "prior", "derivative", "all"):
            bib = runner.invoke(cli, ["export", SMALL["seed"], "--nodes", "3", "--which", which]).stdout
            csl = runner.invoke(cli, ["export", SMALL["seed"], "--nodes", "3", "--which", which,
                                      "--format", "csl-json"]).stdout
            keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
            assert [i["id"] for i in json.loads(csl)] == keys
            checked += "lovelace2022localb" in keys
        assert checked


def test_plain_and_latex_are_total():
    for s in ["$", "{", "}", "\\", "%", "&", "^", "_", "$$", "\\'", "{\\cal", "a_{b", "&#x;", "\\\\x"]:
        assert isinstance(text.plain(s), str) and isinstance(text.latex_title(s), str)
    assert text.plain("50% of $5 & more") == "50% of $5 & more"
    assert text.latex_title("50% of $5 & more") == r"50\% of \$5 \& more"


def test_garbage_markup_is_shown_as_typed_not_read():
    """Reading LaTeX costs per markup node: a value with more markup than any real title (S2
    stores garbage in short fields) is shown as typed; real titles are still read."""
    garbage = "{" * (text.MAX_MARKUP + 1) + " x " + "}" * text.MAX_MARKUP
    assert text.plain(garbage) == garbage
    assert text.plain(r"Poincar\'e " * (text.MAX_MARKUP // 2)).startswith("Poincaré Poincaré")
    assert text.plain("{" * (text.MAX_MARKUP + 1) + r" \'e") == "{" * (text.MAX_MARKUP + 1) + r" \'e"


# -- no live LaTeX in a .bib (issue 24) ------------------------------------------------------------

HOSTILE_TITLES = [
    r"\input{/etc/passwd}", r"\include{x} and \section{S} and \footnote{f}", r"\item \cite{k} \ref{r} \url{http://x}",
    r"\href{http://x}{y} \hspace{1cm} \vspace{2cm} \maketitle \includegraphics{z}",
    r"$\input{/etc/passwd}$ and $\include{x}\section{y}$",
    r"$\def\x{y}\x$ \def\y{z} \csname relax\endcsname \write18{ls}",
    r"$a # b % c & d$", r"\newcommand{\foo}{bar}\foo $\boldsymbol{x}\mathfrak{g}\mathbb{R}$",
    r"\end{document} \begin{itemize}", r"\catcode`\{=12 \makeatletter\@gobble", r"\LaTeX\ and \TeX{} \ldots $\ldots$",
    # what the field really writes must still render as meant
    r"$\alpha \to \beta_{3}$ AdS$_5\times S^5$ and \CN=4", r"\textbf{Bold} {\it it} \'e\c{c} K\"ahler $\SO(3)$",
]


def test_no_command_of_a_hostile_title_stays_live():
    assert text.latex_title(r"\input{/etc/passwd}") == r"\textbackslash{}input{/etc/passwd}"
    assert text.latex(r"$\input{/etc/passwd}$") == r"$\backslash\mathrm{input}{/etc/passwd}$"
    for title in HOSTILE_TITLES:
        out = text.latex_title(title)
        for name in re.findall(r"\\([A-Za-z]+)", out):
            assert name in text.SAFE_MACROS or name in ("textbackslash", "backslash", "textbraceleft", *"cdbtkruvH"), \
                (title, out)  # (the one-letter names are accents: \c{c})
    assert text.latex_title(r"$\alpha \to \beta_{3}$") == r"{$\alpha \to \beta_{3}$}"  # math stays math


def _compile(where: Path, tex: str, bib_tool: str) -> None:
    (where / "doc.tex").write_text(tex)
    for cmd in (["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc"], [bib_tool, "doc"],
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc"]):
        done = subprocess.run(cmd, cwd=where, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        log = (where / "doc.log").read_text(errors="replace") if (where / "doc.log").exists() else ""
        assert done.returncode == 0, (cmd, done.stdout[-3000:], log[-3000:])
    assert (where / "doc.pdf").stat().st_size > 1000


@pytest.mark.parametrize("toolchain", ["bibtex", "biber"])
def test_a_hostile_export_compiles_to_a_pdf(tmp_path, toolchain):
    # \input{/etc/passwd} in a title made pdflatex stop with no PDF; so did \section, \cite...
    from tests import guard

    guard.need_tool("pdflatex", "apt-get install texlive-latex-base")
    guard.need_tool(toolchain, "apt-get install texlive-binaries biber")
    if toolchain == "biber" and subprocess.run(["kpsewhich", "biblatex.sty"], capture_output=True).returncode:
        guard.missing("biblatex.sty not installed (apt-get install texlive-bibtex-extra)")
    papers = [{"paperId": f"{i:040x}", "title": t, "authors": [{"name": "Ann Author"}], "year": 2000 + i,
               "journal": {"name": "J. Phys."}, "publicationTypes": ["JournalArticle"]}
              for i, t in enumerate(HOSTILE_TITLES)]
    (tmp_path / "refs.bib").write_text("\n".join(export.bibtex_entries(papers).values()), encoding="utf-8")
    if toolchain == "bibtex":
        tex = (r"\documentclass{article}\begin{document}\nocite{*}\bibliographystyle{plain}\bibliography{refs}"
               r"\end{document}")
    else:
        tex = (r"\documentclass{article}\usepackage[backend=biber]{biblatex}\addbibresource{refs.bib}"
               r"\begin{document}\nocite{*}\printbibliography\end{document}")
    _compile(tmp_path, tex + "\n", toolchain)
    bbl = (tmp_path / "doc.bbl").read_text()
    assert re.search(r"\\textbackslash ?\{\}input\{/etc/passwd\}", bbl)  # shown as text, not run
