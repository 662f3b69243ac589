"""Every engine's dataset index as the SQLite store's tables, for tests that compare engines.

tables(store) is a connection (SQLite or DuckDB) holding the tables papers, edges, lists,
aliases and meta with the columns of litmap/store.py: the SQLite and Parquet stores' own, and
for a CSR index a DuckDB database made of its arrays and blocks (in memory: small indexes
only). counts(store) is the number of papers and of edges in them.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np

from litmap.blocks import KeyTable
from litmap.csr_store import CsrStore


def tables(st: Any) -> Any:
    if not isinstance(st, CsrStore):
        return st.conn
    cached = getattr(st, "_test_tables", None)
    if cached is None:
        cached = st._test_tables = _csr_tables(st)
    return cached


def counts(st: Any) -> dict[str, int]:
    q = tables(st).execute
    return {"papers": q("SELECT count(*) FROM papers").fetchone()[0],
            "edges": q("SELECT count(*) FROM edges").fetchone()[0]}


def _csr_tables(st: CsrStore) -> Any:
    con = duckdb.connect()
    n = st.paper_count()
    pids = st.hex_ids(np.arange(n))
    papers = st.get_papers(pids)
    name = np.array(pids, dtype=object)
    con.register("_p", {"row": np.arange(n), "paper_id": name, "corpus_id": st.a("papers.corpus_id").astype(np.int64),
                        "data": np.array([json.dumps(papers[p], ensure_ascii=False) for p in pids], dtype=object),
                        "refs": np.diff(st.a("references.offsets")), "cits": np.diff(st.a("citations.offsets"))})
    con.execute("""CREATE TABLE papers AS SELECT paper_id, corpus_id, data, 1 AS "full", 0.0 AS fetched_at FROM _p""")
    con.execute("""CREATE TABLE lists AS
        SELECT paper_id, 'citations' AS kind, 'complete' AS status, cits AS total, 0.0 AS fetched_at FROM _p
        UNION ALL SELECT paper_id, 'references', 'complete', refs, 0.0 FROM _p""")
    citing = np.repeat(np.arange(n), np.diff(st.a("references.offsets")))
    con.register("_e", {"citing": name[citing], "cited": name[st.a("references.rows")[:].astype(np.int64)]})
    con.execute("""CREATE TABLE edges AS SELECT citing, cited, CAST(is_influential AS INTEGER) AS is_influential,
                    intents FROM _e POSITIONAL JOIN read_parquet(?)""", [str(st.path / "edges.attrs.parquet")])
    aliases = KeyTable(st.path, "aliases")
    entries = [json.loads(line) for b in range(len(aliases.store.blocks) - 1) for line in aliases.store.block(b)]
    aliases.close()
    con.register("_a", {"alias": np.array([k for k, _ in entries], dtype=object),
                        "row": np.array([r for _, r in entries], dtype=np.int64)})
    con.execute("""CREATE TABLE aliases AS SELECT alias, _p.paper_id FROM _a JOIN _p ON _p.row = _a.row
                   UNION ALL SELECT 'CORPUSID:' || corpus_id, paper_id FROM _p""")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO meta VALUES (?, ?)", [[k, str(v)] for k, v in st.meta.items()])
    for t in ("_p", "_e", "_a"):
        con.unregister(t)
    return con
