"""The pages of `litmap serve`: the map page (the page `litmap seed` writes, plus the app's
addon) and the app's own pages (home, progress, failure).

Every app page is one fixed template (templates/serve.html) with its script inlined and
allowed by hash in the Content-Security-Policy header, and its data in a JSON block
(render.script_json escapes it); the script puts every string into the DOM as text. So no
title, id or message from outside ever becomes markup, on these pages as on the map page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litmap import export, pipeline, render
from litmap.maps import Map

__all__ = ["MapView", "map_page", "app_page", "app_csp", "FORMATS", "export_name", "CONTENT_TYPES"]

TEMPLATES = Path(render.__file__).parent / "templates"
FORMATS = [("bibtex", "BibTeX"), ("ris", "RIS"), ("csl-json", "CSL-JSON"), ("csv", "CSV"), ("json", "JSON"),
           ("graphml", "GraphML"), ("gexf", "GEXF")]
CONTENT_TYPES = {"bibtex": "application/x-bibtex", "ris": "application/x-research-info-systems",
                 "csl-json": "application/vnd.citationstyles.csl+json", "csv": "text/csv",
                 "json": "application/json", "graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}
DEFAULTS = {"nodes": 40, "depth": 2, "max_papers": 5000}
MAX_URL_SEEDS = 100  # "Add as seed" on a bigger library map would make a URL too long to share


@lru_cache(maxsize=None)
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _app_script() -> str:
    return render.inline_script(_template("serve.js"))


def warm_up() -> None:
    """Render a map of one paper once: imports, caches and templates loaded before a page asks."""
    paper = {"id": "0" * 40, "paperId": "0" * 40, "title": "warm-up", "role": "seed", "year": 2000, "x": 0.0, "y": 0.0}
    render.render_html({"format": "litmap-map/1", "seeds": [paper["id"]], "nodes": [paper], "edges": []}, {})
    app_page("home", {})


def app_csp() -> str:
    """The app pages' policy: their one script, fetch and forms to the server itself, no frames."""
    return (f"default-src 'none'; script-src {render.csp_hash(_app_script())}; style-src 'unsafe-inline'; "
            "img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
            "object-src 'none'")


def app_page(kind: str, data: dict[str, Any]) -> str:
    """An app page: `kind` is home, wait or error; `data` what its script shows."""
    page = _template("serve.html")
    parts = {"@@CSS@@": _template("serve.css").replace("</", "<\\/"),
             "@@DATA@@": render.script_json({"kind": kind, **data}), "@@JS@@": _app_script()}
    for marker, text in parts.items():
        page = page.replace(marker, text, 1)
    return page


@dataclass(frozen=True)
class MapView:
    """Which map a page shows: seeds as given in the URL (or an uploaded library), options."""

    seeds: tuple[str, ...] = ()
    library: str | None = None     # an upload's id
    library_name: str | None = None
    options: tuple[tuple[str, int], ...] = ()

    def query(self, **more: str) -> str:
        pairs: list[tuple[str, Any]] = [("seed", s) for s in self.seeds]
        if self.library:
            pairs.append(("library", self.library))
        pairs += [(k, v) for k, v in self.options if DEFAULTS.get(k) != v]
        return urlencode(pairs + list(more.items()))


def export_name(m: Map, fmt: str, which: str = "map") -> str:
    ext = export.FORMATS[fmt][1]
    takes_which = export.FORMATS[fmt][2] == "papers" and which != "map"
    return f"{m.stem}{'-' + which if takes_which else ''}.{ext}"


def map_page(m: Map, view: MapView, source_label: str) -> str:
    """The map as `litmap seed` draws it, with the app's bar and its actions on every paper."""
    given = pipeline.seed_ids(m, view.seeds) if view.seeds else []
    options = {k: v for k, v in view.options if DEFAULTS.get(k) != v}
    data = {
        "seeds": [{"given": g, "id": pid} for g, pid in zip(view.seeds, given)],
        "library": {"id": view.library, "name": view.library_name, "seeds": [str(s) for s in m.data.get("seeds") or []]}
        if view.library else None,
        "options": options, "maxSeeds": MAX_URL_SEEDS, "requests": m.requests, "source": source_label,
        "formats": FORMATS, "query": view.query(), "stem": m.stem,
        "missing": "missing" in m.data,
    }
    addon = render.Addon(_template("serve-map.js"), data, _template("serve-map.css"))
    return m.to_html(addon=addon)
