"""How long the page takes to learn 100 examples, and the longest pause it causes.

``python bench/adapt_browser.py [--examples 100] [--runs 3] [--data DIR]``

Builds the site, stores ``--examples`` UNIPEN drawings (ten writers' first digits) as taught
examples in the page's localStorage, and measures in headless Chromium:

- *from scratch*: after a reload, from "learning" to "ready" (every example preprocessed,
  its activations computed, the network adapted), the path after a reload;
- *one more*: the person draws one more digit and chooses it in the "I meant" row, from the
  click to "ready" (the other examples' activations are remembered);
- the longest main-thread task during the adaptation (Long Tasks API) and the longest gap
  between two animation frames: the longest the page could not respond or draw.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from pagetools import (  # noqa: E402
    CHROMIUM,
    LAUNCH_ARGS,
    ONE,
    build_site,
    draw,
    fit,
    pad_box,
    serve,
    wait_ready,
)
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from train.unipen import drawings  # noqa: E402

# Records the times of the taught line's state changes, the long tasks and the frame gaps.
WATCH = """
window.hwdBench = {states: [], tasks: [], frames: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) hwdBench.tasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: true});
(function frame(t) { hwdBench.frames.push(t); requestAnimationFrame(frame); })(0);
document.addEventListener("DOMContentLoaded", () => {
  const taught = document.getElementById("taught");
  new MutationObserver(() => hwdBench.states.push([performance.now(), taught.dataset.state,
                                                   taught.dataset.count]))
    .observe(taught, {attributes: true, attributeFilter: ["data-state", "data-count"]});
});
"""


def examples(n: int, data: str | None) -> list[dict]:
    """n UNIPEN drawings in file order, as the page stores them."""
    chosen = []
    for d in drawings(data):
        chosen.append({"label": d["label"], "strokes": d["strokes"]})
        if len(chosen) == n:
            return chosen
    return chosen


def learning_span(page: Page, count: int) -> tuple[float, float, float]:
    """Wait until the page has learned ``count`` examples; the span from the last "learning"
    to "ready", the longest task and the longest frame gap within it (ms)."""
    page.wait_for_function(
        "n => { const t = document.getElementById('taught');"
        " return Number(t.dataset.count) === n && t.dataset.state === 'ready'; }",
        arg=count, timeout=120_000)
    record = page.evaluate("hwdBench")
    start = max(t for t, state, _ in record["states"] if state == "learning")
    end = min(t for t, state, _ in record["states"] if state == "ready" and t >= start)
    tasks = [d for t, d in record["tasks"] if t + d >= start and t <= end] or [0.0]
    frames = [t for t in record["frames"] if start <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(frames)] or [end - start]
    return end - start, max(tasks), max(gaps)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=100)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--data", help="folder with unipen-digits/ (default $HWD_DATA_DIR)")
    args = p.parse_args(argv)
    stored = json.dumps(examples(args.examples - 1, args.data))
    scratch, more = [], []
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        with serve(Path(tmp)) as origin, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1100, "height": 820})
                context.add_init_script(WATCH)
                page = context.new_page()
                page.on("console", lambda m: print("  ", m.text) if "adapted" in m.text else None)
                page.goto(f"{origin}/hwd/")
                wait_ready(page)
                page.evaluate("text => localStorage.setItem('hwd.examples', text)", stored)
                page.reload()
                wait_ready(page)
                scratch.append(learning_span(page, args.examples - 1))
                page.uncheck("[data-testid=live]")
                draw(page, fit(ONE, pad_box(page)[2], 0.6))
                page.click("[data-testid=recognize]")
                page.click("[data-testid=meant] [data-digit='1']")
                more.append(learning_span(page, args.examples))
                context.close()
            browser.close()

    def show(name: str, spans: list[tuple[float, float, float]]) -> None:
        print(f"{name:34} median {statistics.median(s[0] for s in spans):6.0f} ms "
              f"(max {max(s[0] for s in spans):.0f}); longest task {max(s[1] for s in spans):.0f} "
              f"ms; longest frame gap {max(s[2] for s in spans):.0f} ms")

    print(f"page adapting network `best` (default), {args.runs} runs, headless Chromium:")
    show(f"{args.examples - 1} examples after a reload", scratch)
    show(f"one more ({args.examples}th) taught", more)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
