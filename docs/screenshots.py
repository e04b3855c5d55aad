"""Screenshots of the "Inside the network" panel, light and dark: ``python docs/screenshots.py``.

Builds the site into a temporary folder, serves it, draws a digit on the pad in Debian's
Chromium, opens the panel and writes ``docs/inside-light.png`` and ``docs/inside-dark.png``
(``--out DIR`` to write them elsewhere).  Rerun it after changing the panel.
"""

from __future__ import annotations

import argparse
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
    fit,
    open_page,
    pad_box,
    recognize,
    serve,
)
from playwright.sync_api import sync_playwright  # noqa: E402

# A two drawn with the mouse, in a 100 x 100 box (y down): a curve, then the foot.
TWO = [[(22, 30), (30, 16), (48, 10), (66, 14), (74, 28), (70, 44), (56, 60), (38, 76),
        (24, 90), (50, 88), (80, 90)]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder (docs/)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        with serve(Path(tmp)) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 1100, "height": 900},
                                              color_scheme=scheme, device_scale_factor=1)
                page = context.new_page()
                open_page(page, f"{origin}/hwd/", live=False)
                draw(page, fit(TWO, pad_box(page)[2], 0.6))
                recognize(page)
                page.click("[data-testid=inside] > summary")
                page.wait_for_selector("[data-testid=evidence][data-digit='2']")
                page.click("[data-testid=probabilities] [data-digit='7']")  # why not a 7?
                page.click("[data-testid=probabilities] [data-digit='2']")
                page.mouse.move(0, 0)
                path = args.out / f"inside-{scheme}.png"
                page.locator("[data-testid=inside]").screenshot(path=path)
                print(f"wrote {path}")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
