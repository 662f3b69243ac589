"""The DuckDB engine: a bulk dataset as plain Parquet files, read through DuckDB's zone maps.

The index is a directory of Parquet files that Spark, DuckDB (also over object storage) or any
Arrow engine reads unchanged:

    papers/*.parquet          paper_id, corpus_id, data (record JSON), citation_count,
                              reference_count, year, n_references, n_citations   sorted by paper_id
    edges_by_citing/*.parquet citing, cited, is_influential, intents     sorted by citing, cited
    edges_by_cited/*.parquet  the same rows                              sorted by cited, citing
    aliases/*.parquet         alias, paper_id                            sorted by alias
    titles/*.parquet          key, paper_id, citations (titles.title_key) sorted by key, paper_id
    meta.json                 the dataset_* keys of the SQLite engine's meta table

Each folder's files are consecutive key ranges with small row groups, so a lookup of a few
thousand ids reads only the row groups whose min/max statistics can hold them. The rows are
exactly those of the SQLite engine (litmap/dataset_index.py): the same reading and
normalisation (litmap/bulk.py), the same rules for repeated ids, so the same crawl on either
gives the same map. The build loads the normalised rows through temporary TSV files (DuckDB
then does the joins and sorts, spilling to disk within a memory limit) and writes the
directory aside, moved into place when complete. `duckdb` is an optional dependency
(`pip install 'litmap[duckdb]'`), imported only here.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from . import store as store_mod
from . import titles
from .bulk import ALIAS_PREFIXES, DatasetError, Progress, _Report, index_meta, read_dir_meta, rebuild_dir, row_batches
from .settings import Settings

SUFFIX = ".parquet"
ROW_GROUP = 16_384  # rows: small groups, so a point lookup reads little
FILE_SIZE = "512MB"
IN_CHUNK = 2000  # ids per IN list


def _duckdb():
    try:
        import duckdb  # here: an optional dependency, named in the message when missing
    except ImportError:
        raise DatasetError("the duckdb engine needs the duckdb package: pip install 'litmap[duckdb]' "
                           "(or use LITMAP_ENGINE=sqlite)") from None
    return duckdb


def _connect(tmp: Path | None = None):
    duckdb = _duckdb()
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{Settings.from_env().duckdb_memory}'")  # LITMAP_DUCKDB_MEMORY
    con.execute(f"SET threads = {max(1, os.cpu_count() or 1)}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if tmp is not None:
        con.execute("SET temp_directory = ?", [str(tmp)])
    return con


def _tsv(value) -> str:
    return "" if value is None else str(value)


def _write_folder(path: Path, files: list[Path], folder: str, report: _Report) -> int:
    """Normalised rows of one folder as a TSV (JSON text has no raw tabs or newlines; texts are
    written as JSON strings), with a sequence number: the order repeated ids are decided by."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for rows in row_batches(files, folder, report):
            if folder == "papers":
                lines = [f"{n + i}\t{c}\t{p}\t{d}\n" for i, (c, p, d) in enumerate(rows)]
            elif folder == "citations":
                lines = [f"{n + i}\t{a}\t{_tsv(b)}\t{_tsv(f)}\t{_tsv(t)}\n" for i, (a, b, f, t) in enumerate(rows)]
            else:
                lines = [f"{n + i}\t{c}\t{json.dumps(t, ensure_ascii=False)}\n"
                         for i, (c, t) in enumerate(rows) if t is not None]
            out.writelines(lines)
            n += len(rows)
    return n


def _read_tsv(path: Path, columns: dict[str, str]) -> str:
    cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    if not path.stat().st_size:  # nothing to sniff: an empty relation of these columns
        return "(SELECT " + ", ".join(f"NULL::{v} AS {k}" for k, v in columns.items()) + " WHERE false)"
    return (f"read_csv('{path}', delim='\t', quote='', escape='', header=false, columns={{{cols}}}, "
            "nullstr='', auto_detect=false, max_line_size=1000000000)")


# as litmap/dataset_index.py writes them (json_each gives JSON values: v is the text)
_ALIAS_VALUE = {
    "DOI": "lower(v)",
    "PubMedCentral": "CASE WHEN upper(v) LIKE 'PMC%' THEN v ELSE 'PMC' || v END",
}


def build_index(root: Path, files: dict[str, list[Path]], dest: Path, fp: str,
                progress: Progress | None = None) -> dict:
    """Write the Parquet index of the dataset at `root` into the new directory `dest`."""
    t0 = time.perf_counter()
    report = _Report(progress)
    dest.mkdir(parents=True)
    scratch = dest / "scratch"
    scratch.mkdir()
    valid = {name: _write_folder(scratch / f"{name}.tsv", files[name], name, report)
             for name in ("papers", "abstracts", "tldrs", "citations")}
    con = _connect(scratch)
    try:
        con.execute("CREATE TABLE paper AS SELECT * FROM " + _read_tsv(
            scratch / "papers.tsv", {"seq": "BIGINT", "corpusid": "BIGINT", "paper_id": "VARCHAR", "data": "VARCHAR"}))
        n_unique = con.execute("SELECT count(DISTINCT corpusid) FROM paper").fetchone()[0]
        if not n_unique:
            raise DatasetError(f"no dataset at {root}: papers/ holds no valid paper records")
        if valid["papers"] - n_unique:
            report.note(f"papers: {valid['papers'] - n_unique:,} rows repeat a corpusid already seen; "
                        "the first was kept")
        if progress:
            progress("indexing papers, aliases and citation edges ...")
        # first row of a corpusid wins; last row of an abstract or tldr
        con.execute("CREATE TABLE p AS SELECT corpusid, arg_min(paper_id, seq) AS paper_id, arg_min(data, seq) AS data "
                    "FROM paper GROUP BY corpusid")
        con.execute("DROP TABLE paper")
        for name, col in (("abstracts", "abstract"), ("tldrs", "tldr")):
            con.execute(f"CREATE TABLE {col} AS SELECT corpusid, "
                        f"json_extract_string(arg_max(text, seq), '$') AS {col} FROM "
                        + _read_tsv(scratch / f"{name}.tsv", {"seq": "BIGINT", "corpusid": "BIGINT", "text": "VARCHAR"})
                        + " GROUP BY corpusid")
        con.execute("CREATE TABLE cite AS SELECT * FROM " + _read_tsv(
            scratch / "citations.tsv", {"seq": "BIGINT", "citing": "BIGINT", "cited": "BIGINT", "infl": "TINYINT",
                                        "intents": "VARCHAR"}))
        # one paper per paperId (the smallest corpusid), as INSERT OR IGNORE in corpusid order does;
        # every corpusid still names its paperId for the edges
        con.execute("""CREATE TABLE edges AS
            SELECT a.paper_id AS citing, b.paper_id AS cited, arg_min(c.infl, c.seq) AS infl,
                   arg_min(c.intents, c.seq) AS intents
            FROM cite c JOIN p a ON a.corpusid = c.citing JOIN p b ON b.corpusid = c.cited
            WHERE c.citing != c.cited GROUP BY 1, 2""")
        n_edges = con.execute("SELECT count(*) FROM edges").fetchone()[0]
        n_cites, unmatched, self_cites = con.execute(
            "SELECT count(cited), count(*) - count(cited), count(*) FILTER (WHERE citing = cited) FROM cite").fetchone()
        report.citation_summary(n_cites, unmatched, self_cites, n_edges)
        con.execute("DROP TABLE cite")
        opts = f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP}, FILE_SIZE_BYTES '{FILE_SIZE}'"
        con.execute(f"""COPY (
            SELECT w.paper_id, w.corpusid AS corpus_id,
                   CASE WHEN a.abstract IS NULL AND t.tldr IS NULL THEN w.data
                        WHEN t.tldr IS NULL THEN json_merge_patch(w.data, json_object('abstract', a.abstract))
                        WHEN a.abstract IS NULL THEN json_merge_patch(w.data, json_object('tldr', t.tldr))
                        ELSE json_merge_patch(w.data, json_object('abstract', a.abstract, 'tldr', t.tldr)) END AS data,
                   CAST(json_extract(w.data, '$.citationCount') AS BIGINT) AS citation_count,
                   CAST(json_extract(w.data, '$.referenceCount') AS BIGINT) AS reference_count,
                   TRY_CAST(json_extract(w.data, '$.year') AS BIGINT) AS year,
                   (SELECT count(*) FROM edges e WHERE e.citing = w.paper_id) AS n_references,
                   (SELECT count(*) FROM edges e WHERE e.cited = w.paper_id) AS n_citations
            FROM (SELECT paper_id, arg_min(corpusid, corpusid) AS corpusid, arg_min(data, corpusid) AS data
                  FROM p GROUP BY paper_id) w
            LEFT JOIN abstract a ON a.corpusid = w.corpusid LEFT JOIN tldr t ON t.corpusid = w.corpusid
            ORDER BY w.paper_id) TO '{dest / "papers"}' ({opts})""")
        n_papers = con.execute("SELECT count(DISTINCT paper_id) FROM p").fetchone()[0]
        for name, order in (("edges_by_citing", "citing, cited"), ("edges_by_cited", "cited, citing")):
            con.execute(f"COPY (SELECT citing, cited, CAST(infl AS BOOLEAN) AS is_influential, intents FROM edges "
                        f"ORDER BY {order}) TO '{dest / name}' ({opts})")
        con.execute("DROP TABLE edges")
        cases = " ".join(f"WHEN '{k}' THEN '{prefix}:' || {_ALIAS_VALUE.get(k, 'v')}"
                         for k, prefix in ALIAS_PREFIXES.items())
        keys = ",".join(f"'{k}'" for k in ALIAS_PREFIXES)
        con.execute(f"""COPY (
            SELECT alias, arg_min(paper_id, corpusid) AS paper_id FROM (
                SELECT 'CORPUSID:' || corpusid AS alias, paper_id, corpusid FROM p
                UNION ALL
                SELECT CASE key {cases} END, paper_id, corpusid FROM (
                    SELECT e.key, e.value ->> '$' AS v, p.paper_id, p.corpusid
                    FROM p, json_each(p.data, '$.externalIds') e WHERE e.key IN ({keys}))
            ) GROUP BY alias ORDER BY alias) TO '{dest / "aliases"}' ({opts})""")
        # the key in Python (a UDF): the same normalisation as the other engines
        con.create_function("title_key", titles.title_key, ["VARCHAR"], "VARCHAR", null_handling="special",
                            side_effects=False)
        con.execute(f"""COPY (
            SELECT key, paper_id, citation_count AS citations FROM (
                SELECT title_key(data ->> '$.title') AS key, paper_id, citation_count
                FROM read_parquet('{dest / "papers"}/*.parquet'))
            WHERE key IS NOT NULL ORDER BY key, paper_id) TO '{dest / "titles"}' ({opts})""")
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    meta = {"schema_version": str(store_mod.SCHEMA_VERSION),
            **index_meta(root, fp, n_papers, n_edges, report, time.time())}
    (dest / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return {"papers": n_papers, "edges": n_edges, "malformed": len(report.warnings) + report.dropped,
            "seconds": time.perf_counter() - t0}


def rebuild(root: Path, files: dict[str, list[Path]], final: Path, fp: str, progress: Progress | None) -> dict:
    """Build into a directory beside `final`; swap it in only when complete."""
    return rebuild_dir(build_index, root, files, final, fp, progress)


read_meta = read_dir_meta


# -- reading: the store interface the crawl uses --------------------------------------------


def _quoted(ids) -> str:
    return ",".join("'" + str(i).replace("'", "''") + "'" for i in ids)


class ParquetStore:
    """A read-only litmap store (the reading half of litmap.store.Store) on a Parquet index.

    `conn` is a DuckDB connection with views named like the SQLite store's tables (papers,
    edges, lists, aliases, meta), so the same SQL inspects either engine."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.conn = _connect()
        self.conn.execute("SET threads = 2")
        self.conn.execute("SET parquet_metadata_cache = true")
        for name in ("papers", "edges_by_citing", "edges_by_cited", "aliases"):
            self.conn.execute(f"CREATE VIEW pq_{name} AS SELECT * FROM read_parquet('{self.path / name}/*.parquet')")
        meta = read_meta(self.path) or {}
        self.conn.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self.conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        self.conn.execute("""CREATE VIEW papers AS SELECT paper_id, corpus_id, data, 1 AS "full", 0.0 AS fetched_at
                             FROM pq_papers""")
        self.conn.execute("""CREATE VIEW edges AS SELECT citing, cited,
                             CAST(is_influential AS INTEGER) AS is_influential, intents FROM pq_edges_by_citing""")
        self.conn.execute("""CREATE VIEW lists AS
            SELECT paper_id, 'citations' AS kind, 'complete' AS status, n_citations AS total, 0.0 AS fetched_at
            FROM pq_papers
            UNION ALL
            SELECT paper_id, 'references', 'complete', n_references, 0.0 FROM pq_papers""")
        self.conn.execute("CREATE VIEW aliases AS SELECT alias, paper_id FROM pq_aliases")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ParquetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _each(self, ids, sql: str) -> list[tuple]:
        """Rows for these ids. A short list goes in as constants, which DuckDB checks against
        each row group's min/max, reading only the groups that can hold them; a long one hits
        every group anyway, so it is one scan joined with the ids rather than one per chunk."""
        ids = sorted(set(ids))
        if not ids:
            return []
        if len(ids) <= IN_CHUNK:
            rows: list[tuple] = self.conn.execute(sql.format(ids=_quoted(ids))).fetchall()
            return rows
        self.conn.execute("CREATE OR REPLACE TEMP TABLE wanted AS SELECT unnest(?::VARCHAR[]) AS id", [ids])
        rows = self.conn.execute(sql.format(ids="SELECT id FROM wanted")).fetchall()
        return rows

    def get_papers(self, ids, full_only: bool = False) -> dict[str, dict]:
        rows = self._each(ids, "SELECT paper_id, data FROM pq_papers WHERE paper_id IN ({ids})")
        return {p: json.loads(d) for p, d in rows}

    def counts(self, ids) -> dict[str, tuple]:
        return {p: (c, r) for p, c, r in self._each(
            ids, "SELECT paper_id, citation_count, reference_count FROM pq_papers WHERE paper_id IN ({ids})")}

    def years(self, ids) -> dict[str, int | None]:
        return dict(self._each(ids, "SELECT paper_id, year FROM pq_papers WHERE paper_id IN ({ids})"))

    def full_ids(self, ids) -> set[str]:
        return {r[0] for r in self._each(ids, "SELECT paper_id FROM pq_papers WHERE paper_id IN ({ids})")}

    def resolve(self, alias: str) -> str | None:
        row = self.conn.execute("SELECT paper_id FROM pq_aliases WHERE alias = ?", [alias]).fetchone()
        return row[0] if row else None

    def match_title(self, title: str) -> str | None:
        """As Store.match_title (litmap/titles.py): a lookup in titles/, sorted by key; an index
        built before that folder existed scans the records holding the title's longest word."""
        if (self.path / "titles").is_dir():
            row = self.conn.execute(f"SELECT paper_id FROM read_parquet('{self.path / 'titles'}/*.parquet') "
                                    "WHERE key = ? ORDER BY coalesce(citations, 0) DESC, paper_id LIMIT 1",
                                    [titles.title_key(title)]).fetchone()
            return str(row[0]) if row else None
        word = titles.title_word(title)
        rows = self.conn.execute("SELECT paper_id, data, citation_count FROM pq_papers"
                                 + (" WHERE data ILIKE ?" if word else ""), [f"%{word}%"] if word else []).fetchall()
        return titles.best_title_match(title, ((p, json.loads(d).get("title"), c) for p, d, c in rows))

    def list_status(self, ids, kind: str) -> dict[str, str]:
        return {p: "complete" for p in self.full_ids(ids)}

    def list_total(self, ids, kind: str) -> int:
        col = "n_references" if kind == "references" else "n_citations"
        return sum(r[0] for r in self._each(ids, f"SELECT {col} FROM pq_papers WHERE paper_id IN ({{ids}})"))

    def list_edges(self, ids, kind: str) -> list[tuple[str, str]]:
        table, col = ("pq_edges_by_citing", "citing") if kind == "references" else ("pq_edges_by_cited", "cited")
        return self._each(ids, f"SELECT citing, cited FROM {table} WHERE {col} IN ({{ids}})")

    def paper_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM pq_papers").fetchone()[0])


def open_store(path: Path) -> ParquetStore:
    return ParquetStore(path)
