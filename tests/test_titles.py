"""Titles found offline (issue 23, point 2): a title seed and a library entry with a title and no
id, on the bundled sample, through the CLI and on both index engines; and a short "title"
such as "Maldacena 1997" refused with what is wrong and what is accepted."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from litmap import dataset, ids, titles
from litmap.cli import cli
from litmap.dataset import arxiv_paper_id
from tests import guard

LARGE_N = "The Large N Limit of Superconformal Field Theories and Supergravity"   # hep-th/9711200
GKP = "Gauge Theory Correlators from Non-Critical String Theory"                   # hep-th/9802109
MALDACENA, GKP_ID = arxiv_paper_id("hep-th/9711200"), arxiv_paper_id("hep-th/9802109")


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def _engine_env(engine: str, sample_index_of) -> dict:
    """LITMAP_ENGINE and the run's shared index of the sample built by that engine."""
    if engine == "duckdb":
        guard.need_module("duckdb", "pip install -e '.[test]'")
    return {"LITMAP_ENGINE": engine, "LITMAP_INDEX_DIR": str(sample_index_of(engine))}


@pytest.fixture(params=["sqlite", "duckdb"])
def engine_env(request, on_sample, sample_index_of) -> dict:
    return _engine_env(request.param, sample_index_of)


# The whole command on the optional DuckDB engine is left to `-m slow` (CI runs it); its title
# look-up itself is checked in the default run (test_the_index_holds_the_titles_...).
@pytest.fixture(params=["sqlite", pytest.param("duckdb", marks=pytest.mark.slow)])
def cli_engine_env(request, on_sample, sample_index_of) -> dict:
    return _engine_env(request.param, sample_index_of)


def test_a_title_seed_is_found_in_the_sample_on_both_engines(cli_engine_env, on_sample):
    for typed in (LARGE_N, "the large n limit of  superconformal field theories and supergravity "):
        result = run("seed", typed, "--source", "sample", "--nodes", "10", "-o", "m.html", env=cli_engine_env)
        assert result.exit_code == 0, result.stderr
        assert "0 requests" in result.stderr
        assert json.loads((on_sample / "m.json").read_text())["seeds"] == [MALDACENA]


def test_a_title_not_in_the_sample_says_so_and_what_matches(on_sample):
    result = run("seed", "title:Maldacena 1997", "--source", "sample")
    assert result.exit_code == 1
    assert result.stderr == ("litmap: error: no paper titled 'Maldacena 1997' in the bundled sample (a title matches "
                             "whole, case and spacing aside); give its id, or drop --source to look the title up "
                             "on Semantic Scholar\n")


def test_a_short_title_is_refused_saying_what_is_wrong_and_what_is_accepted(on_sample):
    # `litmap seed "Maldacena 1997"`: the shell strips the quotes; one word and a year name no paper
    result = run("seed", "Maldacena 1997", "--source", "sample")
    assert result.exit_code == 2
    assert result.stderr == ("litmap: error: cannot read 'Maldacena 1997' as a paper: it is no id, and too short "
                             "for a title (an author and a year name no paper; title:TEXT searches any text as a "
                             f"title); accepted: {ids.ACCEPTED}\n")


def test_title_only_library_entries_resolve_offline(cli_engine_env, on_sample):
    (on_sample / "lib.bib").write_text(
        "@article{large, title = {%s}, year = {1997}}\n"
        "@article{gkp, title = {Gauge theory correlators from non-critical string theory}}\n"
        "@article{none, title = {A Paper That Is Not In The Sample At All}}\n" % LARGE_N, encoding="utf-8")
    result = run("seed", "--from", "lib.bib", "--source", "sample", "--nodes", "10", "-o", "lib.html",
                 env={**cli_engine_env, "COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "2 of 3 entries resolved" in result.stdout
    assert f"title: {LARGE_N}" in result.stdout and f"title: {GKP}" in result.stdout
    assert "not found in the dataset or cache (no API asked): title 'A Paper That Is Not In The Sample At All'" \
        in result.stdout
    data = json.loads((on_sample / "lib.json").read_text())
    assert sorted(data["seeds"]) == sorted([MALDACENA, GKP_ID])


def _all_titles(engine: str, store) -> list[tuple[str, str, int | None]]:
    q = ("SELECT paper_id, json_extract(data, '$.title'), json_extract(data, '$.citationCount') FROM papers"
         if engine == "sqlite" else
         "SELECT paper_id, data ->> '$.title', CAST(data ->> '$.citationCount' AS BIGINT) FROM papers")
    return store.conn.execute(q).fetchall()


def test_the_index_holds_the_titles_and_answers_as_a_scan_would(engine_env, on_sample):
    engine = engine_env["LITMAP_ENGINE"]
    with dataset.dataset_store("sample", engine_env["LITMAP_INDEX_DIR"], engine_name=engine) as store:
        rows = _all_titles(engine, store)
        if engine == "sqlite":
            keys = store.conn.execute("SELECT count(*) FROM titles").fetchone()[0]
        else:
            keys = store.conn.execute(f"SELECT count(*) FROM read_parquet('{store.path}/titles/*.parquet')"
                                      ).fetchone()[0]
        assert keys == sum(titles.title_key(t) is not None for _, t, _ in rows) > 1000  # every titled paper
        by_key: dict[str, list] = {}
        for row in rows:
            by_key.setdefault(titles.title_key(row[1]) or "", []).append(row)
        shared = [k for k, v in by_key.items() if k and len(v) > 1]
        for title in [LARGE_N, GKP, *[by_key[k][0][1] for k in shared[:20]], *[r[1] for r in rows[::97]]]:
            # the scan over the rows whose key is the title's: the only rows a whole scan can match
            assert store.match_title(title) == titles.best_title_match(title, by_key.get(titles.title_key(title) or "",
                                                                                         [])), title
        assert store.match_title(LARGE_N.upper()) == MALDACENA
        assert store.match_title("") is None and store.match_title("Maldacena 1997") is None


def test_an_index_built_before_the_titles_table_still_finds_titles(sample_index_of, tmp_path):
    # An index of an older litmap (no titles table) is not rebuilt for it: the scan answers.
    src = next((sample_index_of("sqlite") / "datasets").glob("*.sqlite"))
    old = tmp_path / "old.sqlite"
    shutil.copy(src, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE titles")
    conn.commit()
    conn.close()
    from litmap.store import Store

    with Store(old, readonly=True) as store:
        assert store.match_title(GKP.lower()) == GKP_ID
        assert store.match_title("A Paper That Is Not In The Sample At All") is None
