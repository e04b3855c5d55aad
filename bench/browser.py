"""How fast the page opens, against a bare Pyodide boot of the same files, and how fast it answers.

    python bench/browser.py [--loads 5] [--drawings 100] [--levers]

Builds the site into a temporary folder next to a bare Pyodide page (``loadPyodide()``
with the same Pyodide files and its full standard library, and nothing else), serves
both gzip-compressed (``Content-Encoding: gzip``, as a static host such as GitHub
Pages does) and measures in Debian's Chromium, each load in a fresh browser context
(nothing cached), HWD and bare loads interleaved so that the machine's load hits both
alike (targets of issue 10 in brackets):

* time from navigation to ready, median of ``--loads``, served locally [HWD <= 1.0x bare];
* the same over Chromium's network emulation, 10 Mbit/s and 40 ms latency [<= 0.8x];
* bytes transferred until ready (response bodies as sent, gzip) [<= 0.8x];
* a repeat visit (same profile, service worker installed, Python's snapshot made) under the
  same emulation, against the first visit of the same profile [<= 0.3x], and the same for
  a copy of the site that starts Python without a snapshot;
* recognition latency, p50 and p95 over drawn digits, from the Recognize click to the
  result on the page, measured in the page [p95 <= 30 ms], and the same with the
  "Inside the network" panel open [p95 <= 60 ms].

With ``--levers`` it measures instead what each lever of the first visit buys: the site
against a copy with that lever undone (the whole standard library, the int16 network,
no preloads, the network fetched at once, the Python files not preloaded), over the
emulated network, interleaved, time and bytes.

Each measurement is one function taking the browser and a URL; add one the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import re
import shutil
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from pagetools import (  # noqa: E402
    CHROMIUM,
    LAUNCH_ARGS,
    ONE,
    SEVEN,
    ZERO,
    build_site,
    draw,
    fit,
    open_page,
    pad_box,
    python_start,
    serve,
    snapshot_made,
    wait_ready,
)
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

BARE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>bare Pyodide</title>
<link rel="icon" href="data:,"><script type="module" src="./bare.js"></script></head>
<body><p id="status" data-testid="status" data-state="loading">loading</p></body></html>
"""
BARE_JS = """import { loadPyodide } from "./pyodide/pyodide.mjs";
const pyodide = await loadPyodide({ indexURL: "./pyodide/" });
pyodide.runPython("1 + 1");
document.getElementById("status").dataset.state = "ready";
"""
# Time from navigation start to the status becoming ready, noted in the page when it happens.
NOTE_READY = """new MutationObserver(() => {
    const status = document.querySelector('[data-state]');
    if (status && status.dataset.state === 'ready' && !window.readyAt) {
        window.readyAt = performance.now();
    }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-state']});"""
# Bytes received until ready: encoded (gzip) bodies of the page's responses; 0 from a cache.
BYTES_UNTIL_READY = """() => performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .filter(e => e.responseEnd <= window.readyAt)
    .reduce((total, e) => total + e.encodedBodySize * (e.transferSize > 0), 0)"""
# One recognition timed in the page: Python recognizes synchronously inside the click handler.
TIME_ONE = """() => {
    const start = performance.now();
    document.querySelector('[data-testid=recognize]').click();
    return performance.now() - start;
}"""
SLOW_NETWORK = {"offline": False, "latency": 40, "downloadThroughput": 10e6 / 8,
                "uploadThroughput": 10e6 / 8}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="fresh loads per page and setting (5)")
    parser.add_argument("--drawings", type=int, default=100, help="recognitions timed (100)")
    parser.add_argument("--levers", action="store_true",
                        help="measure each lever against the site without it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "hwd"
        build_site(site, ROOT / "models")
        if args.levers:
            measure_levers(Path(tmp), args.loads)
            return
        add_bare_page(site / "bare")
        shutil.copytree(site, Path(tmp) / "without-snapshot", ignore=shutil.ignore_patterns("bare"))
        without_snapshot(Path(tmp) / "without-snapshot")
        with serve(Path(tmp), GzipHandler) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            hwd, bare = f"{origin}/hwd/", f"{origin}/hwd/bare/"
            local = compare(browser, hwd, bare, args.loads, slow=False)
            slow = compare(browser, hwd, bare, args.loads, slow=True)
            visits = [repeat_visit(browser, hwd) for _ in range(args.loads)]
            unsnapped = [repeat_visit(browser, f"{origin}/without-snapshot/")
                         for _ in range(args.loads)]
            latencies = recognition_latencies(browser, hwd, args.drawings)
            inside = recognition_latencies(browser, hwd, args.drawings, open_inside)
            browser.close()
    report("served locally: time to ready", local["time"], "ms", 1.0)
    report("10 Mbit/s, 40 ms: time to ready", slow["time"], "ms", 0.8)
    report("bytes transferred until ready (gzip)", slow["bytes"], "MB", 0.8, scale=1e-6)
    first = [first for first, _ in visits]
    again = [again for _, again in visits]
    report("10 Mbit/s, 40 ms: repeat visit vs first visit", {"HWD": again, "bare": first}, "ms",
           0.3, names=("repeat", "first"))
    report("  the same without the snapshot of Python", {
        "HWD": [again for _, again in unsnapped], "bare": [first for first, _ in unsnapped]},
        "ms", None, names=("repeat", "first"))
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"recognition latency over {len(latencies)} drawings: p50 {q[49]:.1f} ms, "
          f"p95 {q[94]:.1f} ms [target p95 <= 30 ms], max {max(latencies):.1f} ms")
    q = statistics.quantiles(inside, n=100, method="inclusive")
    print(f"  with the Inside panel open: p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms "
          f"[target p95 <= 60 ms], max {max(inside):.1f} ms")


def without_snapshot(site: Path) -> None:
    """PyScript starts Pyodide itself: no snapshot is used, none is made."""
    config = site / "pyscript.json"
    config.write_text(config.read_text().replace("./start_python.mjs", "./pyodide/pyodide.mjs"))


def without_trimmed_stdlib(site: Path) -> None:
    shutil.copyfile(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip",
                    site / "pyodide" / "python_stdlib.zip")


def without_compact_networks(site: Path) -> None:
    for path in (site / "networks").glob("*.npz"):
        shutil.copyfile(ROOT / "models" / path.name, path)


def without_preloads(site: Path) -> None:
    index = site / "index.html"
    index.write_text(re.sub(r'\n *<link rel="(module)?preload"[^>]*>', "", index.read_text()))


def without_network_after_wasm(site: Path) -> None:
    """The network preloaded and fetched at once, sharing the link with the WebAssembly."""
    pad = site / "pad.js"
    pad.write_text(re.sub(r"\nconst instantiateStreaming = .*?\n  };\n}\n",
                          "\nfetchNetwork(networkSelect.value).catch(() => {});\n",
                          pad.read_text(), flags=re.S))
    index = site / "index.html"
    text = index.read_text()
    default = re.search(r'data-file="([^"]+)" selected', text)[1]
    index.write_text(text.replace("</head>", f'  <link rel="preload" href="./{default}" as="fetch"'
                                            ' crossorigin="anonymous">\n</head>'))


def without_preloaded_files(site: Path) -> None:
    """No preload of the config's files (hwd/*.py, the page's modules): PyScript fetches
    them once Python has started."""
    index = site / "index.html"
    index.write_text(re.sub(r'\n *<link rel="preload" href="\./(hwd/\w+|(?!main)\w+)\.py"[^>]*>',
                            "", index.read_text()))


LEVERS = {"trimmed standard library": without_trimmed_stdlib,
          "compact network": without_compact_networks,
          "preloads": without_preloads,
          "network after the WebAssembly": without_network_after_wasm,
          "preloaded Python files": without_preloaded_files}


def measure_levers(root: Path, loads: int) -> None:
    """For each lever, the site against a copy with the lever undone, at 10 Mbit/s."""
    for i, undo in enumerate(LEVERS.values(), 1):
        shutil.copytree(root / "hwd", root / f"without-{i}")
        undo(root / f"without-{i}")
    with serve(root, GzipHandler) as origin, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for i, name in enumerate(LEVERS):
            result = compare(browser, f"{origin}/hwd/", f"{origin}/without-{i + 1}/", loads,
                             slow=True)
            report(f"{name}: time to ready at 10 Mbit/s, 40 ms", result["time"], "ms", None,
                   names=("with", "without"))
            report(f"{name}: bytes until ready", result["bytes"], "MB", None, scale=1e-6,
                   names=("with", "without"))
        browser.close()


def add_bare_page(folder: Path) -> None:
    """A page that only boots Pyodide: the site's Pyodide files, the full standard library."""
    folder.mkdir()
    shutil.copytree(folder.parent / "pyodide", folder / "pyodide")
    shutil.copyfile(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip",
                    folder / "pyodide" / "python_stdlib.zip")
    (folder / "index.html").write_text(BARE_HTML)
    (folder / "bare.js").write_text(BARE_JS)


def compare(browser: Browser, hwd: str, bare: str, loads: int, slow: bool) -> dict[str, dict]:
    """Fresh loads of both pages, interleaved: {"time" | "bytes": {"HWD" | "bare": [...]}}."""
    results: dict[str, dict] = {"time": {"HWD": [], "bare": []}, "bytes": {"HWD": [], "bare": []}}
    for _ in range(loads):
        for name, url in (("bare", bare), ("HWD", hwd)):
            context = browser.new_context()
            elapsed, received = first_visit(context, url, slow)
            context.close()
            results["time"][name].append(elapsed)
            results["bytes"][name].append(received)
    return results


def first_visit(context: BrowserContext, url: str, slow: bool) -> tuple[float, int]:
    """Milliseconds from navigation to ready, and bytes received, for a page of ``context``."""
    context.add_init_script(NOTE_READY)
    page = context.new_page()
    if slow:
        emulate_slow_network(page)
    page.goto(url)
    wait_ready(page)
    return page.evaluate("window.readyAt"), page.evaluate(BYTES_UNTIL_READY)


def repeat_visit(browser: Browser, url: str) -> tuple[float, float]:
    """Milliseconds to ready of a first visit and of the next one in the same profile, once
    the service worker is installed and has the snapshot of Python the first visit has made
    for the next, both at 10 Mbit/s and 40 ms."""
    context = browser.new_context()
    first, _ = first_visit(context, url, slow=True)
    page = context.pages[0]
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if python_start(page) == "fresh":
        snapshot_made(page)
    page.close()
    again, _ = first_visit(context, url, slow=True)
    context.close()
    return first, again


def emulate_slow_network(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)


def recognition_latencies(browser: Browser, url: str, n: int,
                          prepare: Callable[[Page], None] | None = None) -> list[float]:
    """Milliseconds per Recognize, over ``n`` digits drawn with the mouse at varied sizes
    (after ``prepare(page)``, if given)."""
    context = browser.new_context(viewport={"width": 1100, "height": 820})
    page = context.new_page()
    open_page(page, url, live=False)
    if prepare:
        prepare(page)
    side = pad_box(page)[2]
    shapes = [ONE, SEVEN, ZERO]
    times = []
    for i in range(n):
        draw(page, fit(shapes[i % 3], side, 0.3 + 0.6 * (i % 7) / 6))
        times.append(page.evaluate(TIME_ONE))
        assert page.locator("[data-testid=prediction]").get_attribute("data-count") == str(i + 1)
    context.close()
    return times


def open_inside(page: Page) -> None:
    """Open the "Inside the network" panel and wait until its code has loaded."""
    page.click("[data-testid=inside] > summary")
    page.wait_for_selector("[data-testid=evidence]", state="attached")


def report(title: str, values: dict[str, list[float]], unit: str, target: float | None,
           scale: float = 1.0, names: tuple[str, str] = ("HWD", "bare")) -> None:
    """Print the medians of both sides (with every value) and their ratio against the target."""
    print(f"{title}, median of {len(values['HWD'])}:")
    medians = {}
    for key, name in zip(("HWD", "bare"), names, strict=True):
        medians[key] = statistics.median(values[key]) * scale
        each = ", ".join(f"{v * scale:.{2 if scale < 1 else 0}f}" for v in values[key])
        print(f"  {name:8} {medians[key]:9.{2 if scale < 1 else 0}f} {unit}   ({each})")
    ratio = medians["HWD"] / medians["bare"]
    verdict = f"[target <= {target}] {'met' if ratio <= target else 'NOT MET'}" if target else ""
    print(f"  ratio    {ratio:9.2f}      {verdict}")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files gzip-compressed (level 9, cached) to clients that accept it, with
    Last-Modified and 304 answers, as a static host does."""

    compressed: ClassVar[dict[Path, bytes]] = {}
    lock = threading.Lock()

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file():
            super().do_GET()
            return
        modified = int(path.stat().st_mtime)
        since = self.headers.get("If-Modified-Since")
        with contextlib.suppress(TypeError, ValueError):
            if since and parsedate_to_datetime(since).timestamp() >= modified:
                self.send_response(304)
                self.end_headers()
                return
        body = self.gzipped(path)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", formatdate(modified, usegmt=True))
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # a page closed mid-download
            self.wfile.write(body)

    def gzipped(self, path: Path) -> bytes:
        with self.lock:
            if path not in self.compressed:
                self.compressed[path] = gzip.compress(path.read_bytes(), 9)
            return self.compressed[path]

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    main()
