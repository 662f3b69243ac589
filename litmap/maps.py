"""``Map``: a built literature map as a Python object, with its graphs and every export.

A Map wraps the map dict of docs/internals.md (``Map.data``, exactly what ``litmap seed`` writes
as JSON) and reads its parts as attributes. Its exports are the CLI's, byte for byte: the page,
the .bib and the .json of ``m.save()`` are what ``litmap seed`` writes for the same map, and
``m.to_bibtex(which=...)`` what ``litmap export --which ...`` prints. The citation keys are
computed once per map, over all its papers, so the page, the .bib, the CSL-JSON ids and the
default file name agree.
"""

from __future__ import annotations

import html
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from litmap import export, graphs, names, outputs, render
from litmap.errors import UsageError
from litmap.records import PAPER_KEYS, Changes, Cluster, ListedWork, MissingPaper, Node, Paper

if TYPE_CHECKING:
    import networkx as nx

    from litmap.library import Resolution

__all__ = ["Map", "WHICH", "write_map"]

WHICH = ("map", "prior", "derivative", "missing", "all")  # the papers an export holds


class Map:
    """A literature map around one or more seed papers (or a library).

    Build one with ``litmap.map(...)`` or ``litmap.library_map(...)``, or read a saved one with
    ``Map.load(path)``. Treat it as read-only: the attributes are views of ``data``.
    """

    def __init__(self, data: dict[str, Any], *, stem: str | None = None, requests: int = 0,
                 resolutions: Sequence[Resolution] = ()):
        self.data = data
        self.requests = requests  # API requests made to build it (0: cache or dataset)
        self.resolutions = list(resolutions)  # a library map: how each entry of the file resolved
        self._stem = stem
        # whether building it made the first version of its seed set (None: not known, e.g. loaded)
        self.first_version: bool | None = None

    @classmethod
    def load(cls, path: str | Path) -> Map:
        """The map of a .json that ``save()`` or ``litmap seed`` wrote; no request, no cache."""
        path = Path(path)
        return cls(json.loads(path.read_text(encoding="utf-8")), stem=path.stem)

    # -- parts --------------------------------------------------------------------------

    @property
    def seeds(self) -> list[Node]:
        """The seed papers, in the order given (a library map: every resolved entry)."""
        unlinked = (self.data.get("library") or {}).get("unlinked") or []
        found = {n["id"]: n for n in [*self.data["nodes"], *unlinked] if n.get("role") == "seed"}
        return [found[s] for s in self.data.get("seeds") or [] if s in found]

    @property
    def related(self) -> list[Node]:
        """The related papers, best first (``rank`` 1, 2, ...)."""
        return [n for n in self.data["nodes"] if n.get("role") != "seed"]

    @property
    def prior(self) -> list[ListedWork]:
        """Older works many map papers cite (``count`` of them, ``links``: which)."""
        return list(self.data.get("prior") or [])

    @property
    def derivative(self) -> list[ListedWork]:
        """Works citing many map papers (surveys, follow-ups)."""
        return list(self.data.get("derivative") or [])

    @property
    def clusters(self) -> list[Cluster]:
        return list(self.data.get("clusters") or [])

    @property
    def missing(self) -> list[MissingPaper]:
        """A library map's suggestions, in rank order, with their evidence; [] for other maps."""
        return list(self.data.get("missing") or [])

    @property
    def changes(self) -> Changes | None:
        """What is new since the last map of these seeds (None: the first map, or no change)."""
        return self.data.get("changes")

    @property
    def papers(self) -> dict[str, Paper]:
        """Every paper of the map (seeds, related, Prior, Derivative) as the Paper record."""
        out: dict[str, Paper] = {}
        for p in self._listed + list((self.data.get("library") or {}).get("unlinked") or []):
            out.setdefault(p["paperId"], {k: p.get(k) for k in PAPER_KEYS})  # type: ignore[arg-type]
        return out

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.data.get("stats") or {})

    @cached_property
    def graph(self) -> nx.Graph:
        """The drawn papers and their similarity edges (``weight``), with node attributes."""
        return graphs.similarity_graph(self.data)

    @cached_property
    def citations(self) -> nx.DiGraph:
        """citing -> cited among the map's papers and its Prior and Derivative works."""
        return graphs.citation_graph(self.data)

    @cached_property
    def keys(self) -> dict[str, str]:
        """paperId -> citation key, unique over the map: the page's, the .bib's, the CSL ids."""
        return names.citation_keys(self._listed)

    @property
    def stem(self) -> str:
        """The default file name without extension: litmap-<seed key> or litmap-<library>."""
        if self._stem:
            return self._stem
        seeds = [n for n in self.data["nodes"] if n.get("role") == "seed"]
        ids = [str(s) for s in self.data.get("seeds") or [n.get("paperId") for n in seeds]]
        return names.default_stem([self.keys[n["paperId"]] for n in seeds if n["paperId"] in self.keys], ids)

    def table(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The seeds and related papers as plain-text rows (what ``litmap seed`` prints)."""
        return [{"rank": "seed" if n.get("role") == "seed" else n.get("rank"), "score": n.get("similarity", 0),
                 "year": n.get("year"), "citations": n.get("citationCount"), "first_author": names.first_author(n),
                 "title": names.title(n), "id": n["id"]} for n in self.data["nodes"][:limit]]

    # -- exports ------------------------------------------------------------------------

    def to_html(self, name: str | None = None, addon: render.Addon | None = None) -> str:
        """The self-contained page (works offline); `name` names its .bib download. `addon`:
        what `litmap serve` adds (render.Addon); without it, the page `litmap seed` writes."""
        return render.render_html(self.data, self._bib, name=name or self.stem, addon=addon)

    def to_bibtex(self, which: str = "map") -> str:
        return self.export("bibtex", which)

    def to_ris(self, which: str = "map") -> str:
        return self.export("ris", which)

    def to_csl_json(self, which: str = "map") -> str:
        return self.export("csl-json", which)

    def to_csv(self, which: str = "map") -> str:
        return self.export("csv", which)

    def to_json(self) -> str:
        return export.to_json(self.data)

    def to_graphml(self) -> str:
        return export.to_graphml(self.data)

    def to_gexf(self) -> str:
        return export.to_gexf(self.data)

    def export(self, fmt: str, which: str = "map") -> str:
        """One of export.FORMATS, of the papers `which` names (map, prior, derivative, missing,
        all); json, graphml and gexf are always the whole map."""
        if fmt not in export.FORMATS:
            raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(export.FORMATS)}")
        groups = {"map": self.data["nodes"], "prior": self.prior, "derivative": self.derivative}
        if "missing" in self.data:
            groups["missing"] = self.missing
        if which not in WHICH or which not in groups and which != "all":
            raise UsageError(f"which={which!r}: use one of {', '.join(groups)} or all"
                             + ("; missing needs a library map (litmap.library_map)" if which == "missing" else ""))
        chosen = list({p["paperId"]: p for name in (groups if which == "all" else [which])
                       for p in groups[name]}.values())
        func, _ext, takes = export.FORMATS[fmt]
        if takes == "map":
            return func(self.data)
        if fmt == "bibtex":  # the keys the map page and the .bib use, whatever `which`
            bib = dict(self._bib)
            bib.update({k: v for k, v in export.bibtex_entries(chosen).items() if k not in bib})
            return "\n".join(bib[p["paperId"]] for p in chosen)
        if fmt in ("csl-json", "ris"):  # ids are those same keys
            return export.FORMATS[fmt][0](chosen, keys=self.keys)  # type: ignore[call-arg]
        return func(chosen)

    def save(self, stem_or_path: str | Path | None = None) -> tuple[Path, Path, Path]:
        """Write the page, the .bib and the .json, all or none: ``save("refs")`` writes refs.html,
        refs.bib, refs.json; ``save("out/map.html")`` names the page; ``save()`` uses ``stem``.
        Returns the three paths."""
        page = None if stem_or_path is None else Path(stem_or_path)
        if page is not None and page.suffix.lower() not in outputs.PAGE_SUFFIXES:
            page = page.with_name(page.name + ".html")
        return write_map(self, page)

    def _repr_html_(self) -> str:
        """The interactive map inline in Jupyter: the page in a sandboxed iframe, no request."""
        return ('<iframe title="litmap map" style="width:100%;height:640px;border:1px solid #ccc" '
                'sandbox="allow-scripts allow-downloads allow-popups allow-popups-to-escape-sandbox" '
                f'srcdoc="{html.escape(self.to_html(), quote=True)}"></iframe>')

    def __repr__(self) -> str:
        return (f"<litmap.Map {self.stem}: {len(self.seeds)} seeds, {len(self.related)} related, "
                f"{len(self.prior)} prior, {len(self.derivative)} derivative, {len(self.clusters)} clusters>")

    @property
    def _listed(self) -> list[dict[str, Any]]:
        return [*self.data["nodes"], *self.prior, *self.derivative]

    @cached_property
    def _bib(self) -> dict[str, str]:
        """paperId -> BibTeX entry of every paper the map shows (what the page offers)."""
        return export.bibtex_entries(self._listed, keys=self.keys)


def write_map(m: Map, page: Path | str | None) -> tuple[Path, Path, Path]:
    """The page at `page` (None: ``m.stem``.html; a directory: ``m.stem``.html in it) and its
    .bib and .json beside it, all or none: what ``litmap seed -o PAGE`` writes. A name that
    cannot work raises OutputError (usage)."""
    paths = outputs.map_paths(page, _free_stem(m, page))
    for path in paths:
        outputs.check_target(path)
    html_path, bib_path, json_path = paths
    outputs.write_all([(html_path, m.to_html(name=html_path.stem)), (bib_path, m.to_bibtex()),
                       (json_path, m.to_json())])
    return paths


def _free_stem(m: Map, page: Path | str | None) -> str:
    """``m.stem``, unless the page goes under its default name where that name holds the map of
    another library file (`--from refs.csv` beside refs.bib's map): then litmap-refs-csv."""
    mine = (m.data.get("library") or {}).get("file")
    if not mine or not (page is None or outputs.names_directory(page)):
        return m.stem
    there = Path(page or ".") / (m.stem + ".json")
    try:
        theirs = (json.loads(there.read_text(encoding="utf-8")).get("library") or {}).get("file")
    except (OSError, ValueError, AttributeError):
        return m.stem  # nothing there, or not a map: the ordinary name (and its checks)
    return m.stem if theirs in (None, mine) else names.library_stem(mine, with_format=True)

