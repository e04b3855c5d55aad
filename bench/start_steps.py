"""What the page does between Pyodide's start and "ready", step by step, for two builds.

    python bench/start_steps.py [--loads 5] [--against REF]

Once Pyodide has started, a first visit still runs PyScript's Python bootstrap, main.py's
imports (``hwd`` compiled from source), and the network's parse; this prints how long each
step takes, in milliseconds since the previous mark, median of ``--loads`` fresh loads
served locally (gzip-compressed, as bench/browser.py serves them).  With ``--against REF``
(a git revision, e.g. ``main``) it builds that revision too and interleaves the loads of
the two builds, so that the machine's load hits both alike: compare them within one run.

The marks are added to copies of the built files: PyScript's bootstrap (its first Python
line, the package files written, ``import pyscript``), main.py (bench/timeline.py's marks
and the steps of ``Page.select``) and ``hwd.load``.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    ROOT,
    GzipHandler,
    build_site,
    serve,
    wait_ready,
)
from playwright.sync_api import sync_playwright
from timeline import NOTE_STEPS, add_marks, mark

FIRST = "PyScript: Loaded Pyodide"


def replace(path: Path, old: str, new: str) -> None:
    """``old`` -> ``new`` once in ``path``; a missing ``old`` means the code moved on."""
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"{path.name}: cannot place a mark at {old!r}; update this bench")
    path.write_text(text.replace(old, new))


def add_step_marks(site: Path) -> None:
    """Marks in PyScript's bootstrap, main.py and hwd.load (copies in ``site``)."""
    js_mark = "_js.hwdMark('{}')"
    core = next((site / "pyscript").glob("core-*.js"))
    replace(core, 'ho=["import os as _os",',
            'ho=["import js as _js; ' + js_mark.format("PyScript: its first Python") + '",'
            '"import os as _os",')
    replace(core, 'ho.push("import pyscript as _pyscript")',
            'ho.push("' + js_mark.format("PyScript: its files written") + '",'
            '"import pyscript as _pyscript",'
            '"' + js_mark.format("PyScript: import pyscript") + '")')
    main = site / "main.py"
    add_marks(main)
    replace(main, "import hwd\n", mark("main.py: page modules imported") + "import hwd\n")
    replace(main, "                buffer = await pad.networkBytes(name)\n",
            "                buffer = await pad.networkBytes(name)\n"
            + mark("select: the network's bytes in", " " * 16))
    npz = site / "hwd" / "npz.py"
    js = "__import__('js').hwdMark({!r})\n"
    replace(npz, "    arrays = read_arrays(source)\n",
            "    arrays = read_arrays(source)\n    " + js.format("hwd.load: zip read, inflated"))
    replace(npz, "    weights = [_matrix(",
            "    " + js.format("hwd.load: meta") + "    weights = [_matrix(")
    replace(npz, "    biases = [arrays[f\"biases_{l}\"]",
            "    " + js.format("hwd.load: matrices packed") + "    biases = [arrays[f\"biases_{l}\"]")


def build_revision(ref: str, out: Path, work: Path) -> None:
    """Build the site of git revision ``ref`` (its build.py, hwd, site/ and models/)."""
    source = work / "source"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    os.symlink(ROOT / "node_modules", source / "node_modules")
    result = subprocess.run([sys.executable, str(source / "build.py"), "--out", str(out),
                             "--models", str(source / "models")], capture_output=True, text=True,
                            check=False, env={**os.environ, "PYTHONPATH": str(source / "pylib")})
    if result.returncode:
        raise SystemExit(f"building {ref} failed:\n{result.stdout}{result.stderr}")


def steps_of_one_load(browser, url: str) -> list[tuple[float, str]]:
    """(ms since the previous mark, mark) from Pyodide's start to ready, one fresh load."""
    context = browser.new_context()
    context.add_init_script(NOTE_STEPS)
    page = context.new_page()
    page.goto(url)
    wait_ready(page)
    marks = sorted([*page.evaluate("window.hwdMarks"), [page.evaluate("window.readyAt"), "READY"]])
    context.close()
    start = next(at for at, name in marks if name == FIRST)
    marks = [(at, name) for at, name in marks if at >= start and name != FIRST]
    steps, previous = [], start
    for at, name in marks:
        steps.append((at - previous, name))
        previous = at
    return [*steps, (previous - start, "total, Pyodide started -> ready")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="fresh loads per build (5)")
    parser.add_argument("--against", metavar="REF", help="a git revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sites = {"this tree": Path(tmp) / "this"}
        build_site(sites["this tree"], ROOT / "models")
        if args.against:
            sites[args.against] = Path(tmp) / "against"
            work = Path(tmp) / "work"
            work.mkdir()
            build_revision(args.against, sites[args.against], work)
        for site in sites.values():
            add_step_marks(site)
        with serve(Path(tmp), GzipHandler) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for site in sites.values():  # warms the server's gzip cache; not counted
                steps_of_one_load(browser, f"{origin}/{site.name}/")
            found = {name: collections.defaultdict(list) for name in sites}
            for _ in range(args.loads):
                for name, site in sites.items():
                    for ms, step in steps_of_one_load(browser, f"{origin}/{site.name}/"):
                        found[name][step].append(ms)
            browser.close()
    names = list(sites)
    steps = list(dict.fromkeys(step for name in names for step in found[name]))
    print(f"ms since the previous mark, median of {args.loads} loads each, served locally")
    print(f"{'':44s}" + "".join(f"{name:>14s}" for name in names))
    for step in steps:
        print(f"{step:44s}" + "".join(
            f"{statistics.median(found[name][step]):14.1f}" if found[name][step] else f"{'-':>14s}"
            for name in names))


if __name__ == "__main__":
    main()
