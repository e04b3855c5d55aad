"""Real pen-drawn digits on the page: UNIPEN digits drawn with Playwright's mouse.

    HWD_DATA_DIR=../shared/data python bench/unipen_browser.py [--n 500] [--seed 2026]

Builds the site, draws a fixed sample of UNIPEN digits (train/unipen.py says
which) at a comfortable size (60 % of the pad) and at 40 % and 90 %, and prints the
default network's accuracy, per-digit results and the agreement between the two sizes.
For reference it also prints what hwd gives in CPython on the same strokes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from pagetools import CHROMIUM, LAUNCH_ARGS, build_site, open_page, replay, serve  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

import hwd  # noqa: E402
from train import unipen  # noqa: E402

SIZES = {"comfortable": 0.6, "small": 0.4, "large": 0.9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="digits in the sample (500)")
    parser.add_argument("--seed", type=int, default=unipen.SEED)
    args = parser.parse_args()
    digits = unipen.sample(args.n, args.seed)
    labels = [str(d["label"]) for d in digits]
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp) / "hwd", ROOT / "models")
        network_file, name = default_network(Path(tmp) / "hwd")
        with serve(Path(tmp)) as origin, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            open_page(page, f"{origin}/hwd/", live=False)
            answers = {}
            for size, fraction in SIZES.items():
                start = time.perf_counter()
                answers[size] = replay(page, [d["strokes"] for d in digits], fraction)
                print(f"{size} ({fraction:.0%} of the pad): {accuracy(answers[size], labels):.2%} "
                      f"right, {time.perf_counter() - start:.0f} s", flush=True)
            browser.close()
        network = hwd.load(network_file)
    reference = [str(network.predict(hwd.strokes_to_pixels(d["strokes"]))[0]) for d in digits]
    shown = answers["comfortable"]
    same = sum(a == b for a, b in zip(answers["small"], answers["large"], strict=True))
    print(f"\nnetwork {name!r}, {len(digits)} UNIPEN digits (seed {args.seed})")
    print(f"accuracy at 60 % of the pad:     {accuracy(shown, labels):.2%}  (target >= 95 %)")
    print(f"same answer at 40 % and 90 %:    {same / len(digits):.2%}  (target >= 97 %)")
    print(f"hwd in CPython, raw strokes:     {accuracy(reference, labels):.2%}")
    print(f"page agrees with CPython (60 %): {accuracy(shown, reference):.2%}")
    print("\ndigit  n  right  most often read as")
    for digit in map(str, range(10)):
        got = [a for a, label in zip(shown, labels, strict=True) if label == digit]
        wrong = Counter(a for a in got if a != digit).most_common(3)
        print(f"{digit:>5} {len(got):>3} {accuracy(got, [digit] * len(got)):>6.0%}  "
              + ", ".join(f"{a} ({n})" for a, n in wrong))
    by_source = Counter(d["source"] for d, a, label in zip(digits, shown, labels, strict=True)
                        if a != label)
    print("\nerrors by source:", ", ".join(f"{s} {n}" for s, n in by_source.most_common()))


def default_network(site: Path) -> tuple[Path, str]:
    """The file and name of the network the built page selects by default."""
    html = (site / "index.html").read_text()
    option = next(line for line in html.splitlines() if "<option" in line and " selected" in line)
    name = option.split('value="', 1)[1].split('"', 1)[0]
    file = option.split('data-file="', 1)[1].split('"', 1)[0]
    return site / file, name


def accuracy(answers: list[str], labels: list[str]) -> float:
    """The fraction of answers equal to their labels."""
    return sum(a == b for a, b in zip(answers, labels, strict=True)) / max(len(labels), 1)


if __name__ == "__main__":
    main()
