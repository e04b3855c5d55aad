"""What reading numbers costs on the page (Pyodide): after each stroke, and on Recognize.

    HWD_DATA_DIR=../shared/data python bench/numbers_browser.py [--n 10]

Builds the site, ticks Number and draws ``--n`` numbers per gap class
(train/unipen_numbers.py, 6 to 10 digits) with the mouse.  With live results off it
presses Recognize, which reads every candidate digit ("cold"); then it draws the number
again, one pixel to the right, with live results on, timing each stroke's recognition
(from the pointerup event to the end of its handlers, Python included), and presses
Recognize, which finds every candidate already read ("warm").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from pagetools import (  # noqa: E402
    CHROMIUM,
    LAUNCH_ARGS,
    build_site,
    draw,
    fit_wide,
    open_page,
    serve,
)
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from train import unipen, unipen_numbers  # noqa: E402

# Each pointerup: a capturing listener on window runs first, a bubbling one last.
TIME_STROKES = """() => {
    window.strokeTimes = [];
    let start = 0;
    addEventListener('pointerup', () => { start = performance.now(); }, true);
    addEventListener('pointerup', () => { strokeTimes.push(performance.now() - start); });
}"""
CLICK = """() => { const t = performance.now();
    document.querySelector('[data-testid=recognize]').click(); return performance.now() - t; }"""


def measure(page: Page, numbers: list[unipen_numbers.Number]) -> dict[str, list[float]]:
    box = page.locator("[data-testid=pad]").bounding_box()
    times: dict[str, list[float]] = {"stroke": [], "warm": [], "cold": []}
    page.evaluate(TIME_STROKES)
    for number in numbers:
        strokes = fit_wide(number.strokes, box["width"], box["height"])
        page.click("[data-testid=clear]")
        page.uncheck("[data-testid=live]")
        draw(page, strokes)
        times["cold"].append(page.evaluate(CLICK))
        # The same number one pixel to the right: new ink, so nothing comes from the cache.
        page.click("[data-testid=clear]")
        page.check("[data-testid=live]")
        page.evaluate("() => { strokeTimes.length = 0; }")
        draw(page, [[(x + 1, y) for x, y in stroke] for stroke in strokes])
        times["stroke"] += page.evaluate("() => strokeTimes")
        times["warm"].append(page.evaluate(CLICK))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="numbers per gap class (10)")
    parser.add_argument("--data", help="the folder holding unipen-digits/ ($HWD_DATA_DIR)")
    args = parser.parse_args()
    writers = unipen_numbers.by_writer(unipen.drawings(args.data))
    numbers = unipen_numbers.sample(writers, args.n, unipen.SEED, lengths=(6, 10))
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        with serve(Path(tmp)) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            open_page(page, f"{origin}/hwd/")
            page.check("[data-testid=number-mode]")
            network = page.locator("[data-testid=status]").get_attribute("data-network")
            times = measure(page, numbers)
            browser.close()
    print(f"{len(numbers)} numbers of 6-10 digits, network {network}, ms in the page:")
    for name, label in (("stroke", "live, after each stroke"),
                        ("warm", "Recognize after live results"),
                        ("cold", "Recognize, live results off")):
        values = sorted(times[name])
        print(f"  {label:<30} p50 {statistics.median(values):6.0f}  "
              f"p95 {values[int(0.95 * (len(values) - 1))]:6.0f}  max {values[-1]:6.0f}  "
              f"({len(values)})")


if __name__ == "__main__":
    main()
