"""A map as networkx graphs: what ``Map.graph`` and ``Map.citations`` are, and what GraphML and
GEXF write (litmap/export.py).

* ``similarity_graph``: undirected, the map's drawn papers and its similarity edges (``weight``).
* ``citation_graph``: directed, citing -> cited, among the map's papers and its Prior and
  Derivative works (the map's ``citations``: the edges the crawl knew, never a guess).

Node attributes are clean, readable values (``title`` as Unicode, numbers as numbers, nothing
None), so they go into GraphML and GEXF as they are: ``label`` ("Witten 1998"), ``title``,
``authors``, ``year``, ``venue``, ``role`` (seed, related; prior, derivative in the citation
graph), ``citationCount``, ``doi``, ``arxiv``, ``cluster``, ``cluster_label``, ``similarity``
(the ranking score, 1.0 = the best related paper), ``x``, ``y``; Prior/Derivative works also
``count`` (how many map papers they are linked to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litmap.names import authors, surname, title
from litmap.records import clean, external_id, pid, year
from litmap.text import plain

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["node_attributes", "similarity_graph", "citation_graph"]


def _number(value: Any, kind: type) -> Any:
    # One XML type per attribute across all nodes, and never a None (the writers choke).
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return kind(value)
    except (ValueError, OverflowError):  # int(nan), int(inf)
        return None


def node_attributes(paper: dict[str, Any], role: str | None = None) -> dict[str, Any]:
    """The attributes of one paper as a graph node (see the module docstring)."""
    names, when = authors(paper), year(paper)
    attrs = {"label": f"{surname(names[0]) if names else 'Anonymous'} {when or ''}".strip(),
             "title": title(paper), "authors": "; ".join(names), "year": when,
             "venue": plain(clean(paper.get("venue"))), "role": clean(role or paper.get("role")),
             "citationCount": _number(paper.get("citationCount"), int),
             "doi": external_id(paper, "DOI"), "arxiv": external_id(paper, "ArXiv"),
             "cluster": _number(paper.get("cluster"), int), "cluster_label": clean(paper.get("cluster_label")),
             "count": _number(paper.get("count"), int),
             **{k: _number(paper.get(k), float) for k in ("similarity", "x", "y")}}
    return {k: v for k, v in attrs.items() if v not in (None, "")}


def similarity_graph(map_: dict[str, Any]) -> nx.Graph[str]:
    """The drawn papers and their similarity edges (``weight``)."""
    import networkx as nx  # here: 0.1-0.5 s to import, and most runs never draw a graph

    graph: nx.Graph[str] = nx.Graph()
    for node in map_.get("nodes") or []:
        graph.add_node(clean(pid(node)), **node_attributes(node))
    for edge in map_.get("edges") or []:
        u, v, weight = clean(edge.get("source")), clean(edge.get("target")), edge.get("weight")
        if u in graph and v in graph:  # an edge to a missing node would invent a bare node
            graph.add_edge(u, v, **({} if _number(weight, float) is None else {"weight": float(weight)}))
    return graph


def citation_graph(map_: dict[str, Any]) -> nx.DiGraph[str]:
    """citing -> cited among the map's papers (drawn, listed library papers) and its Prior and
    Derivative works."""
    import networkx as nx  # here: see similarity_graph

    graph: nx.DiGraph[str] = nx.DiGraph()
    unlinked = (map_.get("library") or {}).get("unlinked") or []
    for role, papers in ((None, map_.get("nodes") or []), ("seed", unlinked),
                         ("prior", map_.get("prior") or []), ("derivative", map_.get("derivative") or [])):
        for paper in papers:
            if clean(pid(paper)) not in graph:
                graph.add_node(clean(pid(paper)), **node_attributes(paper, role))
    for edge in map_.get("citations") or []:
        u, v = clean(edge.get("source")), clean(edge.get("target"))
        if u in graph and v in graph and u != v:
            graph.add_edge(u, v)
    return graph
