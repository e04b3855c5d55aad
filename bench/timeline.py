"""Where a first visit's time goes: one page load, step by step.

    python bench/timeline.py [--slow] [--loads 1]

Builds the site, adds marks to a copy of its main.py (when it starts, after its imports,
before the first network is selected, once that network is parsed), serves it
gzip-compressed as bench/browser.py does and prints, in milliseconds from navigation, when
each file arrived (resource timing), PyScript's progress events (``py:progress``: loading
the interpreter, the config's files), the marks, and ready.  A first load warms the
server's compression cache and is not printed.  ``--slow``: over Chromium's network
emulation at 10 Mbit/s and 40 ms.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    NOTE_READY,
    ROOT,
    GzipHandler,
    build_site,
    emulate_slow_network,
    serve,
    wait_ready,
)
from playwright.sync_api import sync_playwright

NOTE_STEPS = NOTE_READY + """
window.hwdMarks = [];
window.hwdMark = (name) => window.hwdMarks.push([performance.now(), name]);
addEventListener('py:progress', (e) => hwdMark('PyScript: ' + e.detail));
"""
ARRIVALS = """() => performance.getEntriesByType('resource').map(e => [e.responseEnd,
    `got ${e.name.split('/').slice(-2).join('/')} (asked at ${Math.round(e.startTime)})`])"""


def mark(name: str, indent: str = "") -> str:
    return f"{indent}__import__('pyscript').window.hwdMark({name!r})\n"


def add_marks(main: Path) -> None:
    """Marks in main.py: at its start, after its imports, before the first select, once
    the network is parsed."""
    text = main.read_text()
    text = text.replace("from __future__ import annotations\n",
                        "from __future__ import annotations\n" + mark("main.py starts"), 1)
    text = text.replace("\nSIZE = 28", "\n" + mark("main.py: imports done") + "SIZE = 28", 1)
    text = re.sub(r"\n(await page\.select)", "\n" + mark("main.py: selects the network").rstrip()
                  + r"\n\1", text, count=1)
    text = text.replace("        self.network = self.networks[name]\n",
                        mark("main.py: network parsed", " " * 8)
                        + "        self.network = self.networks[name]\n", 1)
    main.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", action="store_true", help="10 Mbit/s, 40 ms")
    parser.add_argument("--loads", type=int, default=1, help="loads printed (1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        add_marks(Path(tmp) / "hwd" / "main.py")
        with serve(Path(tmp), GzipHandler) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for load in range(args.loads + 1):
                context = browser.new_context()
                context.add_init_script(NOTE_STEPS)
                page = context.new_page()
                if args.slow:
                    emulate_slow_network(page)
                page.goto(f"{origin}/hwd/")
                wait_ready(page)
                rows = (page.evaluate("window.hwdMarks") + page.evaluate(ARRIVALS)
                        + [[page.evaluate("window.readyAt"), "READY"]])
                context.close()
                if load:  # the first one warmed the server's gzip cache
                    for at, what in sorted(rows):
                        print(f"{at:8.0f}  {what}")
                    print()
            browser.close()


if __name__ == "__main__":
    main()
