"""Take the map page's screenshots in docs/screenshots/ with headless Chromium (selenium +
chromedriver, as the browser tests use them): the bundled sample's map of hep-th/9711200
(`litmap seed hep-th/9711200 --source sample`) and a library map of
tests/fixtures/library/hepth-ids.txt (for the Missing and Your library tabs), at 1280 and 420 px
wide: the default view, the timeline, the legend folded and open, a paper's details, each tab,
and NEW rings (the sample map with five papers marked new, as a refreshed map marks them).

    python scripts/screenshots.py [OUT_DIR]        # default docs/screenshots

No network; a throwaway cache.  The PNGs are 8-bit palette images, to keep the repository small.
"""
from __future__ import annotations

import base64
import os
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WIDTHS = {1280: 800, 420: 860}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def indexed_png(rgba: bytes, width: int, height: int) -> bytes:
    """An 8-bit palette PNG of the pixels: the page's 256 commonest colours, every other one (the
    edges of anti-aliased text and discs) mapped to its nearest.  A third of a true-colour PNG."""
    import numpy as np

    px = np.frombuffer(rgba, np.uint8).reshape(height, width, 4)[:, :, :3].astype(np.int32)
    flat = (px[..., 0] << 16) | (px[..., 1] << 8) | px[..., 2]
    cols, inv, counts = np.unique(flat.ravel(), return_inverse=True, return_counts=True)
    keep = np.sort(np.argsort(-counts, kind="stable")[:256])
    rgb = np.stack([(cols >> 16) & 255, (cols >> 8) & 255, cols & 255], axis=1)
    pal = rgb[keep]
    nearest = np.empty(len(cols), np.int64)
    for s in range(0, len(cols), 4096):          # chunked: a few thousand colours x 256
        d = ((rgb[s:s + 4096, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        nearest[s:s + 4096] = d.argmin(axis=1)
    idx = nearest[inv.reshape(-1)].astype(np.uint8).reshape(height, width)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), idx], axis=1).tobytes()   # filter 0 per row
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + _chunk(b"PLTE", pal.astype(np.uint8).tobytes()) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def build_pages(work: Path) -> dict[str, Path]:
    os.environ["LITMAP_CACHE_DIR"] = str(work / "cache")
    import litmap
    from litmap.render import render_html

    pages = {}
    m = litmap.map("hep-th/9711200", source="sample")
    pages["map"] = work / "map.html"
    pages["map"].write_text(m.to_html(), encoding="utf-8")
    lib = litmap.library_map(str(ROOT / "tests/fixtures/library/hepth-ids.txt"), source="sample", nodes=20)
    pages["library"] = work / "library.html"
    pages["library"].write_text(lib.to_html(), encoding="utf-8")
    data = dict(m.data, nodes=[dict(p, new=p.get("rank") in (2, 5, 9, 14, 20)) for p in m.data["nodes"]])
    pages["new"] = work / "new.html"
    pages["new"].write_text(render_html(data, {}), encoding="utf-8")
    return pages


def main(out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="litmap-shots-"))
    pages = build_pages(work)
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--force-color-profile=srgb", f"--user-data-dir={work / 'profile'}"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)

    def js(code: str, *args):
        return drv.execute_script(code, *args)

    def frame() -> None:                         # the page's next frame is drawn
        drv.execute_async_script("var done = arguments[0], n = window.litmap.network; "
                                 "n.once('afterDrawing', function () { done(); }); n.redraw();")

    def open_page(name: str, w: int) -> None:
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": WIDTHS[w], "deviceScaleFactor": 1, "mobile": False})
        drv.get(pages[name].as_uri())
        deadline = time.monotonic() + 60
        while not js("return !!(window.litmap && window.litmap.ready && window.litmap.firstDraw)"):
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshots: {name} did not load: {drv.get_log('browser')}")
            time.sleep(0.05)
        frame()

    def shot(name: str, w: int, scroll_to: str | None = None) -> None:
        js("window.scrollTo(0, 0)")
        if scroll_to and w < 800:                # the panel is under the graph: show its part
            js("window.scrollTo(0, document.getElementById(arguments[0]).getBoundingClientRect().top - 8)", scroll_to)
        frame()
        shots[f"{name}-{w}.png"] = drv.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]

    shots: dict[str, str] = {}

    try:
        for w in WIDTHS:
            open_page("map", w)
            shot("default", w)
            open_legend = js("return document.getElementById('legend-toggle').getAttribute('aria-expanded')") == "true"
            drv.find_element("id", "legend-toggle").click()
            shot("legend-folded" if open_legend else "legend-open", w)
            drv.find_element("id", "legend-toggle").click()
            drv.find_element("id", "btn-view-timeline").click()
            shot("timeline", w)
            drv.find_element("id", "btn-view-map").click()
            js("window.litmap.select(window.litmap.data.nodes[1].id)")
            shot("details", w, "details")
            js("window.litmap.select(null)")
            for tab in ("map", "prior", "derivative"):
                drv.find_element("id", "tab-" + tab).click()
                shot("tab-" + tab, w, "tabs")
            open_page("library", w)
            for tab in ("missing", "library"):
                drv.find_element("id", "tab-" + tab).click()
                shot("tab-" + tab, w, "tabs")
            open_page("new", w)
            shot("new-ring", w)
        drv.get("about:blank")                   # the browser decodes the PNGs; numpy indexes them
        for name, b64 in shots.items():
            w, h, rgba = drv.execute_async_script("""var done = arguments[1], img = new Image();
                img.onload = function () {
                  var c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
                  var x = c.getContext('2d'); x.drawImage(img, 0, 0);
                  var d = x.getImageData(0, 0, c.width, c.height).data, s = '';
                  for (var i = 0; i < d.length; i += 0x8000)
                    s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
                  done([c.width, c.height, btoa(s)]); };
                img.src = 'data:image/png;base64,' + arguments[0];""", b64)
            path = out / name
            path.write_bytes(indexed_png(base64.b64decode(rgba), w, h))
            print(f"{path}  {path.stat().st_size // 1024} kB")
    finally:
        drv.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
