"""What PyScript costs the first visit: HWD against a copy of it that boots Pyodide itself.

    python bench/no_pyscript.py [--loads 5] [--slow]

Builds the site, then a copy without PyScript: a module script loads Pyodide, writes the
config's files (``hwd/*.py``, the page's modules) and runs main.py with ``runPythonAsync``,
and a small ``pyscript`` module stands in for what the page's start uses (``document``,
``window``, ``when``, ``fetch``, ``ffi``).  The copy is for measuring only: it recognizes the
first drawings, nothing more is promised (no service worker).  Prints, for a bare Pyodide boot,
HWD and the copy, loaded fresh and interleaved: the median time to ready and the median CPU
seconds that the browser's processes spent until ready (less sensitive to a busy machine
than the time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    ROOT,
    GzipHandler,
    add_bare_page,
    build_site,
    first_visit,
    serve,
)
from playwright.sync_api import sync_playwright

SHIM = '''"""Stands in for PyScript's module (bench/no_pyscript.py): what the page's start uses."""
import asyncio

import js
from pyodide.ffi import create_proxy

document = js.document
window = js


def when(event, selector):
    def decorate(handler):
        def run(e):
            result = handler(e)
            if asyncio.iscoroutine(result):
                asyncio.ensure_future(result)
        for element in document.querySelectorAll(selector):
            element.addEventListener(event, create_proxy(run))
        return handler
    return decorate


class Response:
    def __init__(self, response):
        self.response, self.ok, self.status = response, response.ok, response.status

    async def bytearray(self):
        return bytearray((await self.response.arrayBuffer()).to_bytes())


async def fetch(url):
    return Response(await js.fetch(url))
'''
BOOT = """import { loadPyodide } from "./pyodide/pyodide.mjs";
const FILES = FILE_LIST;
const sources = FILES.map((f) => fetch("./" + f).then((r) => r.arrayBuffer()));
const main = fetch("./main.py").then((r) => r.text());
const pyodide = await loadPyodide({ indexURL: "./pyodide/" });
for (const [i, f] of FILES.entries()) {
  const dir = f.split("/").slice(0, -1).join("/");
  if (dir) pyodide.FS.mkdirTree(dir);
  pyodide.FS.writeFile(f, new Uint8Array(await sources[i]));
}
await pyodide.runPythonAsync(await main, { filename: "main.py" });
"""


def without_pyscript(site: Path, copy: Path) -> None:
    """A copy of the built site that boots Pyodide without PyScript."""
    shutil.copytree(site, copy)
    shutil.rmtree(copy / "pyscript")
    files = [f.removeprefix("./") for f in json.loads((copy / "pyscript.json").read_text())["files"]]
    (copy / "pyscript").mkdir()
    (copy / "pyscript" / "__init__.py").write_text(SHIM)
    (copy / "pyscript" / "ffi.py").write_text("from pyodide.ffi import create_proxy, to_js\n")
    files += ["pyscript/__init__.py", "pyscript/ffi.py"]
    (copy / "boot.js").write_text(BOOT.replace("FILE_LIST", json.dumps(files)))
    html = (copy / "index.html").read_text()
    html = html.replace('<script type="module" src="./pyscript/core.js">',
                        '<script type="module" src="./boot.js">')
    html = re.sub(r'\n *<link rel="[a-z]*preload" href="\./(pyscript[/.][^"]*)"[^>]*>', "", html)
    html = re.sub(r'<script type="py".*?</script>|<mpy-config>.*?</mpy-config>', "", html, flags=re.S)
    html = html.replace("</head>", "".join(
        f'  <link rel="preload" href="./{f}" as="fetch" crossorigin="anonymous">\n'
        for f in files[-2:]) + "</head>")
    (copy / "index.html").write_text(html)
    (copy / "sw.js").write_text("")


def cpu_seconds(marker: str) -> float:
    """CPU time of the browser launched with ``marker`` and its descendants (those already
    ended included, as their parents' children time)."""
    parents, times, roots = {}, {}, set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(pid)] = int(fields[1])
        times[int(pid)] = sum(map(int, fields[11:15]))  # utime stime cutime cstime
        if marker.encode() in command:
            roots.add(int(pid))
    tree, grown = set(roots), True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return sum(times[pid] for pid in tree) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="fresh loads per page (5)")
    parser.add_argument("--slow", action="store_true", help="at 10 Mbit/s, 40 ms")
    args = parser.parse_args()
    marker = f"--hwd-bench-{os.getpid()}"  # names our browser's processes
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        add_bare_page(Path(tmp) / "hwd" / "bare")
        without_pyscript(Path(tmp) / "hwd", Path(tmp) / "no-pyscript")
        shutil.rmtree(Path(tmp) / "no-pyscript" / "bare")
        pages = {"bare Pyodide": "hwd/bare", "HWD": "hwd", "HWD without PyScript": "no-pyscript"}
        results = {name: ([], []) for name in pages}
        with serve(Path(tmp), GzipHandler) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, marker])
            for path in pages.values():  # warms the server's gzip cache
                context = browser.new_context()
                first_visit(context, f"{origin}/{path}/", args.slow)
                context.close()
            for _ in range(args.loads):
                for name, path in pages.items():
                    context = browser.new_context()
                    before = cpu_seconds(marker)
                    elapsed, _ = first_visit(context, f"{origin}/{path}/", args.slow)
                    results[name][0].append(elapsed)
                    results[name][1].append(cpu_seconds(marker) - before)
                    context.close()
            browser.close()
    bare = [statistics.median(v) for v in results["bare Pyodide"]]
    print(f"{'10 Mbit/s, 40 ms' if args.slow else 'served locally'}, median of {args.loads}:")
    for name, (times, cpu) in results.items():
        t, c = statistics.median(times), statistics.median(cpu)
        print(f"  {name:22} ready {t:6.0f} ms ({t / bare[0]:.2f}x)   "
              f"CPU {c:5.2f} s ({c / bare[1]:.2f}x)")


if __name__ == "__main__":
    main()
