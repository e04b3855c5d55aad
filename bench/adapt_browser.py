"""How long the page takes to learn 100 examples, and the longest pause it causes.

``python bench/adapt_browser.py [--examples 100] [--runs 3] [--data DIR]``

Builds the site, stores ``--examples`` - 1 UNIPEN drawings (the first in the file, scaled to
the pad as a person would draw them) as taught examples in the page's localStorage, and
measures in headless Chromium:

- *from scratch*: after a reload with the examples stored but no adapted layer kept (another
  network chosen, or storage written by hand as here), from "learning" to "ready" (every
  example preprocessed, its activations computed, the network adapted): the worst case;
- *one more*: the person draws one more digit and chooses it in the "I meant" row, from the
  click to "ready" (the other examples' activations are remembered);
- the longest main-thread task during the adaptation (Long Tasks API) and the longest gap
  between two animation frames: the longest the page could not respond or draw.

``--cpu`` times the same work in CPython in CPU seconds, which a busy machine inflates less.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

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


def as_drawn(strokes: list) -> list:
    """A UNIPEN drawing as the page would store it drawn at 60 % of a 480 px pad: CSS pixels
    to 0.1 px, without the repeated points a device's resolution gives (raw UNIPEN strokes
    have up to thousands of points in device units)."""
    fitted = fit(strokes, 480, 0.6)
    kept = []
    for stroke in fitted:
        points = [[round(x, 1), round(y, 1)] for x, y in stroke]
        kept.append([p for i, p in enumerate(points) if i == 0 or p != points[i - 1]])
    return kept


def examples(n: int, data: str | None) -> list[dict]:
    """n UNIPEN drawings in file order, as the page stores them."""
    chosen = []
    for d in drawings(data):
        chosen.append({"label": d["label"], "strokes": as_drawn(d["strokes"])})
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


def cpu_costs(stored: list[dict]) -> None:
    """The same work in this CPython, timed in CPU seconds (a busy machine does not inflate
    them): every stored example from scratch, then one more, and the longest step."""
    import hwd
    from hwd import adapt

    network = hwd.load(ROOT / "models" / "best.npz")
    adapter = adapt.Adapter(network, "best")

    def timed(examples: list[dict]) -> tuple[float, float]:
        def steps():
            parsed = []
            for e in examples:
                parsed.append(adapt.example_from_json(e))
                yield
            return (yield from adapter.steps(parsed))

        run, total, longest = steps(), 0.0, 0.0
        while True:
            start = time.process_time()
            try:
                next(run)
            except StopIteration:
                return total + time.process_time() - start, longest
            step = time.process_time() - start
            total, longest = total + step, max(longest, step)

    for name, examples in ((f"{len(stored) - 1} examples from scratch", stored[:-1]),
                           (f"one more ({len(stored)}th)", stored)):
        total, longest = timed(examples)
        print(f"{name:34} {total * 1e3:6.0f} ms CPU; longest step {longest * 1e3:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=100)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--data", help="folder with unipen-digits/ (default $HWD_DATA_DIR)")
    p.add_argument("--cpu", action="store_true",
                   help="time the same work in this CPython instead of the page (CPU time)")
    args = p.parse_args(argv)
    if args.cpu:
        print(f"CPython {sys.version.split()[0]}, network `best`:")
        cpu_costs(examples(args.examples, args.data))
        return 0
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
    show(f"{args.examples - 1} examples, nothing kept", scratch)
    show(f"one more ({args.examples}th) taught", more)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
