"""The command line through click's CliRunner and as a real process, against the fake API."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from litmap.cli import cli
from tests.fakeapi import SMALL
from tests.test_ids import BAD

KEY = "test-key-9f8e7d6c5b4a-never-on-disk"



def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_help_and_version():
    result = run("--help")
    assert result.exit_code == 0 and "seed" in result.output and "S2_API_KEY" in result.output
    assert run("--version").output.strip() == "litmap, version 0.1.0"
    for command in ("seed", "export", "cache"):
        assert run(command, "--help").exit_code == 0


def test_seed_writes_map_bib_and_json(api, tmp_path):
    result = run("seed", SMALL["seed"], "-o", "out/map.html", "--nodes", "5")
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "out/map.html").read_text()
    bib = (tmp_path / "out/map.bib").read_text()
    data = json.loads((tmp_path / "out/map.json").read_text())
    assert "<html" in html.lower() and "@" in bib and len(data["nodes"]) == 6
    assert "The Seed Paper on Literature Maps" in result.stdout  # the table
    assert "6 papers" in result.stdout


def test_default_output_name_from_the_seed_key(api, tmp_path):
    result = run("seed", "doi:10.1234/seed.2020", "--quiet")
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in tmp_path.glob("litmap-*"))
    assert len(written) == 3 and written[0].startswith("litmap-lovelace2020") and written[0].endswith(".bib")


def test_export_makes_no_request_when_cached(api, tmp_path):
    assert run("seed", SMALL["seed"], "-o", "m.html", "--quiet").exit_code == 0
    before = api.count
    for fmt in ("bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"):
        result = run("export", SMALL["seed"], "--format", fmt, "-o", f"refs.{fmt}")
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / f"refs.{fmt}").stat().st_size > 0
    assert api.count == before
    out = run("export", SMALL["seed"], "--which", "all").stdout
    assert out.count("@") >= 6


def test_export_offline_from_cache(api, tmp_path):
    run("seed", SMALL["seed"], "-o", "m.html", "--quiet")
    api.die_after(0, mode="refuse")
    result = run("export", SMALL["seed"], "--offline", "--format", "csv")
    assert result.exit_code == 0 and "The Seed Paper on Literature Maps" in result.stdout


@pytest.mark.parametrize("bad", BAD)
def test_malformed_ids_exit_2_with_one_line(api, bad):
    result = run("seed", bad)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "accepted" in result.stderr
    assert api.count == 0


def test_unknown_paper_exits_1_not_found(api):
    result = run("seed", "CorpusId:77777777", "--quiet")
    assert result.exit_code == 1 and "not found" in result.stderr and result.stderr.count("\n") == 1


def test_lonely_seed_is_explained(api):
    result = run("seed", SMALL["lonely"], "--quiet")
    assert result.exit_code == 1 and "no references or citations" in result.stderr


def test_rejected_key_says_so_and_never_leaks(api, tmp_path, monkeypatch):
    api.required_key = "the-right-key"
    monkeypatch.setenv("S2_API_KEY", KEY)
    result = run("seed", SMALL["seed"], "--quiet")
    assert result.exit_code == 1 and "key was rejected" in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_key_never_written_anywhere(api, tmp_path, monkeypatch):
    api.required_key = KEY
    monkeypatch.setenv("S2_API_KEY", KEY)
    result = run("seed", SMALL["seed"], "-o", "m.html")
    assert result.exit_code == 0, result.stderr
    assert all(r["headers"].get("x-api-key") == KEY for r in api.log)
    for fmt in ("bibtex", "ris", "csl-json", "csv", "json", "graphml", "gexf"):
        run("export", SMALL["seed"], "--format", fmt, "-o", f"e.{fmt}", "--api-key", KEY)
    assert KEY not in result.stdout + result.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("litmap.sqlite") for p in files)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path


def test_unreachable_api_suggests_the_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("LITMAP_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LITMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LITMAP_RATE", "0")
    result = run("seed", "2305.01610", "--quiet")
    assert result.exit_code == 1 and "cannot reach" in result.stderr and "--source sample" in result.stderr
    assert result.stderr.count("\n") == 1


def test_source_and_offline_conflict(api):
    result = run("seed", "hep-th/9711200", "--source", "sample", "--offline")
    assert result.exit_code == 2 and "do not go together" in result.stderr


def test_cache_info_and_clear(api, tmp_path):
    assert "no cache yet" in run("cache", "info").stdout
    run("seed", SMALL["seed"], "-o", "m.html", "--quiet")
    info = run("cache", "info").stdout
    assert "papers" in info and "edges" in info and " 0 papers" not in info
    assert run("cache", "clear", "--yes").exit_code == 0
    assert not (tmp_path / "cache" / "litmap.sqlite").exists()
    assert "nothing to clear" in run("cache", "clear", "--yes").stdout


def test_real_process_error_has_no_traceback(tmp_path):
    env = {**os.environ, "LITMAP_CACHE_DIR": str(tmp_path / "c"), "LITMAP_API_URL": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-m", "litmap", "seed", "not-an-id"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    bad_cache = tmp_path / "bad"
    bad_cache.mkdir()
    (bad_cache / "litmap.sqlite").write_bytes(b"garbage" * 1000)
    env["LITMAP_CACHE_DIR"] = str(bad_cache)
    proc = subprocess.run([sys.executable, "-m", "litmap", "seed", "2305.01610"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "is damaged; move it aside" in proc.stderr
    assert (bad_cache / "litmap.sqlite").read_bytes() == b"garbage" * 1000  # never "repaired" away


def test_export_bib_equals_the_bib_beside_the_map_and_ris_keeps_crlf(api, tmp_path):
    assert run("seed", SMALL["seed"], "-o", "m.html", "--quiet").exit_code == 0
    assert run("export", SMALL["seed"], "-o", "e.bib").exit_code == 0
    assert (tmp_path / "e.bib").read_bytes() == (tmp_path / "m.bib").read_bytes()
    assert run("export", SMALL["seed"], "--format", "ris", "-o", "e.ris").exit_code == 0
    raw = (tmp_path / "e.ris").read_bytes()
    assert b"\r\n" in raw and b"\r\r\n" not in raw


def test_wrong_dataset_path_is_one_line(api, tmp_path):
    result = run("seed", "hep-th/9711200", "--source", str(tmp_path / "nowhere"), "--quiet")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "no dataset at" in result.stderr and "papers/" in result.stderr
    assert api.count == 0


def test_cached_map_needs_no_client_at_all(api, tmp_path, monkeypatch):
    assert run("seed", SMALL["seed"], "-o", "m.html", "--quiet").exit_code == 0
    # a key no client would accept: only a run that never makes a client succeeds
    monkeypatch.setenv("S2_API_KEY", "not a header value")
    result = run("export", SMALL["seed"], "--format", "csv")
    assert result.exit_code == 0, result.stderr


NEW_PAPER = "hep-th/0304271"  # "The Glueball Superpotential" (2003): nobody in the sample cites it yet


def test_a_new_paper_says_what_its_map_rests_on(on_sample):
    result = run("seed", NEW_PAPER, "--source", "sample", "--nodes", "10", "-o", "m.html")
    assert result.exit_code == 0, result.stderr
    assert "litmap: note: no citing papers yet: ranked by its references and the papers that share them\n" \
        in result.stderr
    data = json.loads((on_sample / "m.json").read_text())
    seed = data["seeds"][0]
    assert data["stats"]["seed_citers"] == {seed: 0}
    assert data["stats"]["evidence_note"].startswith("no citing papers yet")
    # its own references lead the map (the people who will cite it read those beside it)
    cited = {e["target"] for e in data["citations"] if e["source"] == seed}
    related = [n["id"] for n in data["nodes"] if n["role"] != "seed"]
    assert sum(p in cited for p in related[:5]) >= 4
    # a classic has citers enough: no such note
    classic = run("seed", "hep-th/9711200", "--source", "sample", "--nodes", "10", "-o", "c.html")
    assert classic.exit_code == 0 and "citing paper" not in classic.stderr
    assert "evidence_note" not in json.loads((on_sample / "c.json").read_text())["stats"]
