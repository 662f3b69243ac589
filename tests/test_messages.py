"""Names and messages (issue 23, point 8): where the map's files go and what they are called,
and what litmap says on the way (history, tables, pauses, questions, interruptions). Through
the CLI against the fake API and the bundled sample."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import litmap.dataset
from litmap.cli import cli, main
from tests.fakeapi import SMALL
from tests.test_dataset import _tiny
from tests.test_library import FIX, _grow

MALDACENA, WITTEN = "hep-th/9711200", "hep-th/9802150"


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "cache")


# -- names --------------------------------------------------------------------------------------

def test_output_directory_takes_the_map_inside_it(api, tmp_path):
    result = run("seed", SMALL["seed"], "-q", "-o", "maps/")              # a directory still to make
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "maps").is_file()
    inside = files(tmp_path / "maps")
    assert len(inside) == 3 and inside[0].startswith("litmap-lovelace2020") and inside[0].endswith(".bib")
    assert f"wrote maps/{inside[1]}" in result.stdout
    (tmp_path / "old").mkdir()                                             # an existing one, no slash
    assert run("seed", SMALL["seed"], "-q", "-o", "old").exit_code == 0
    assert files(tmp_path / "old") == inside
    (tmp_path / "afile").write_text("mine")
    for name, said in (("afile/", "-o afile/: afile is a file, not a directory"),
                       ("map.bib", "-o map.bib: the map page needs its own name")):
        refused = run("seed", SMALL["seed"], "-q", "-o", name)
        assert refused.exit_code == 2 and said in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert (tmp_path / "afile").read_text() == "mine"
    export = run("export", SMALL["seed"], "-o", "refs/")
    assert export.exit_code == 2 and "-o refs/ names a directory; an export is one file" in export.stderr
    assert files(tmp_path) == ["afile", "maps", "old"]                     # no file named maps, refs


def test_library_files_of_one_name_keep_their_own_maps(on_sample):
    (on_sample / "mylib.txt").write_text(f"{MALDACENA}\n{WITTEN}\n")
    (on_sample / "mylib.csv").write_text(f"arXiv\n{MALDACENA}\nhep-th/9802109\n")
    assert run("seed", "--from", "mylib.txt", "--source", "sample", "-q").exit_code == 0
    txt_map = (on_sample / "litmap-mylib.json").read_text()
    assert json.loads(txt_map)["library"]["file"] == "mylib.txt"
    for _ in range(2):                                                     # and again: the same names
        csv = run("seed", "--from", "mylib.csv", "--source", "sample", "-q")
        assert csv.exit_code == 0, csv.stderr
        assert "wrote litmap-mylib-csv.html, litmap-mylib-csv.bib, litmap-mylib-csv.json" in csv.stdout
        assert "litmap-mylib.html is the map of another file than mylib.csv; " \
               "this map is litmap-mylib-csv.html" in csv.stderr
    assert (on_sample / "litmap-mylib.json").read_text() == txt_map         # not overwritten
    assert json.loads((on_sample / "litmap-mylib-csv.json").read_text())["library"]["file"] == "mylib.csv"
    again = run("seed", "--from", "mylib.txt", "--source", "sample", "-q")  # its own name, no note
    assert "wrote litmap-mylib.html" in again.stdout and "another file" not in again.stderr


def test_a_multi_seed_map_is_named_after_the_first_seed_typed(on_sample):
    one = run("seed", WITTEN, MALDACENA, "--source", "sample", "-q", "--nodes", "5")
    other = run("seed", MALDACENA, WITTEN, "--source", "sample", "-q", "--nodes", "5")
    assert one.exit_code == other.exit_code == 0
    assert re.search(r"wrote litmap-witten1998anti[a-z]?-2seeds-[0-9a-f]{6}\.html", one.stdout), one.stdout
    assert re.search(r"wrote litmap-maldacena1997large[a-z]?-2seeds-[0-9a-f]{6}\.html", other.stdout), other.stdout


# -- what is new --------------------------------------------------------------------------------

def test_a_rerun_the_same_day_is_not_the_first_map(on_sample):
    first = run("seed", MALDACENA, "--source", "sample", "--nodes", "5", "-o", "m.html")
    assert "first map of these seeds" in first.stderr
    again = run("seed", MALDACENA, "--source", "sample", "--nodes", "5", "-o", "m.html")
    assert again.exit_code == 0 and "first map" not in again.stderr
    today = json.loads((on_sample / "m.json").read_text())["version"]["since"]
    assert f"the map is the same as on {today} (its first version)" in again.stderr


def test_what_is_new_names_the_new_papers(api, tmp_path):
    args = ["seed", "--from", FIX / "hostile.bib", "--nodes", "6", "-o", "lib.html"]
    assert run(*args).exit_code == 0
    new = _grow(api.corpus)
    result = run(*args, "--refresh", "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "lib.json").read_text())
    fresh = [n for n in data["nodes"] if n.get("new")]
    assert fresh and {n["id"] for n in fresh} <= set(new)
    for n in fresh:
        assert f"litmap:   new {n['rank']}: {n['title']}\n" in result.stderr


# -- tables -------------------------------------------------------------------------------------

def test_tables_say_what_they_leave_out_and_keep_titles_whole_in_a_pipe(on_sample, monkeypatch):
    monkeypatch.delenv("COLUMNS")                     # a pipe: no terminal width to go by
    result = run("seed", MALDACENA, "--source", "sample")
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 25
    assert any("Anti-de Sitter Space, Thermal Phase Transition, And Confinement In Gauge Theories" in r for r in rows)
    assert "…" not in "".join(rows)
    assert "  … 16 more papers of the map not shown here: all are in litmap-maldacena1997large.html\n" \
        in result.stdout
    lib = run("seed", "--from", FIX / "hepth-ids.txt", "--source", "sample", "--nodes", "20")
    assert lib.exit_code == 0
    assert "  … 5 more suggestions not shown here: all are on the Missing tab of litmap-hepth-ids.html\n" \
        in lib.stdout


# -- the API and the cache ----------------------------------------------------------------------

def test_a_pause_for_429s_says_so(api, tmp_path):
    api.throttle(times=1, retry_after=1)
    result = run("seed", SMALL["seed"], "--nodes", "3")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"litmap: rate limited by the API \(429\): pausing 1 s, then retry 1 of 7 · ",
                     result.stderr), result.stderr


def test_cache_clear_answered_no_keeps_the_cache_and_exits_0(api, tmp_path):
    assert run("seed", SMALL["seed"], "-q").exit_code == 0
    kept = sorted(p.name for p in (tmp_path / "cache").iterdir())
    no = run("cache", "clear", input="n\n")
    assert no.exit_code == 0
    assert no.stdout.endswith(f"kept the cache in {tmp_path / 'cache'}: nothing deleted\n")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == kept
    yes = run("cache", "clear", input="y\n")
    assert yes.exit_code == 0 and "cleared" in yes.stdout


@pytest.mark.parametrize("engine_name", sorted(litmap.dataset.ENGINES))
def test_an_interrupted_index_build_says_it_starts_again(tmp_path, monkeypatch, capsys, engine_name):
    data = _tiny(tmp_path / "ds")
    monkeypatch.setenv("LITMAP_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_ENGINE", engine_name)
    monkeypatch.chdir(tmp_path)
    eng = litmap.dataset.engine(engine_name)
    real = eng.build_index

    def ctrl_c_midway(root, files, dest, fp, progress=None):
        def report(message):
            raise KeyboardInterrupt  # Ctrl-C while the shards are read
        return real(root, files, dest, fp, report)

    monkeypatch.setattr(eng, "build_index", ctrl_c_midway)
    monkeypatch.setattr(sys, "argv", ["litmap", "seed", "CorpusId:1", "--source", str(data)])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 130
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert said.startswith(f"litmap: interrupted while indexing {data}: an unfinished index is not kept, "
                           "so the next run with this dataset builds it again from the start")
    assert not [p for p in (tmp_path / "indexes").rglob("*") if p.is_file()]   # nothing half-built kept
    monkeypatch.setattr(eng, "build_index", real)
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert "(first use); this happens once" in capsys.readouterr().err


# -- the README ---------------------------------------------------------------------------------

def _readme_block(after: str) -> list[str]:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    body = text.split(after, 1)[1].split("```\n", 2)[1]
    return [line for line in body.splitlines() if line != "  ..." and not line.startswith("$ ")]


@pytest.mark.parametrize("after, args", [
    ("opens the page in your browser:", ["seed", MALDACENA, "--source", "sample"]),
    ("works the same way (0 requests):", ["seed", "--from", "reading-list.txt", "--source", "sample", "--nodes", "20"]),
])
def test_readme_examples_are_what_litmap_prints(on_sample, monkeypatch, after, args):
    monkeypatch.setenv("COLUMNS", "100")                  # as the README says its examples are
    (on_sample / "reading-list.txt").write_text((FIX / "hepth-ids.txt").read_text())
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    printed = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    shown = _readme_block(after)
    assert len(shown) > 10
    missing = [line for line in shown if line.rstrip() not in printed]
    assert missing == []


def test_readme_library_example_is_what_litmap_prints(api, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    (tmp_path / "refs.bib").write_text((FIX / "hostile.bib").read_text())
    result = run("seed", "--from", "refs.bib", "--nodes", "5")
    assert result.exit_code == 0, result.stderr
    printed = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    shown = _readme_block("serving\n`tests/fixtures/library/hostile.bib`'s papers):")
    assert len(shown) > 10 and [line for line in shown if line.rstrip() not in printed] == []
