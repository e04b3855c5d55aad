"""The cost of the worst drawings ``hwd.strokes_to_pixels`` accepts, and of refusing the rest.

    python bench/drawing_work.py [--repeat 5]

The drawing-work limits of :mod:`hwd.preprocess` (segments after simplification, pen
path in the 28x28 field) bound what one drawing costs, in the page, the CLI and the
server.  This searches zigzags, diagonal back-and-forths, random scribbles (long segments
in every direction) and scattered dots for the slowest accepted drawing, and times the
10,000-point zigzag that cost 2.4 s before the limits.  For scale it also times a
real-sized drawing (a circle of 300 points).  Medians of ``--repeat`` runs, in ms of CPU
time (``time.process_time``: less noisy than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time

import hwd
from hwd.inputs import TooLarge


def cost(strokes: list, repeat: int) -> float | None:
    """Median milliseconds of strokes_to_pixels, or None if the drawing is refused."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        try:
            hwd.strokes_to_pixels(strokes)
        except TooLarge:
            return None
        times.append(time.process_time() - start)
    return 1000 * statistics.median(times)


def candidates() -> dict[str, list]:
    """Zigzags of n segments and amplitude a (px of a 20-px-tall drawing), diagonal
    back-and-forths, random scribbles and dots."""
    drawings = {}
    for n in (50, 100, 200, 400, 700, 999):
        for amplitude in (0.5, 1, 2, 5, 10, 20):
            drawings[f"zigzag n={n} a={amplitude}"] = [[(i % 2 * amplitude, i * 20 / n)
                                                        for i in range(n + 1)]]
    for n in (10, 20, 23, 30):  # back and forth along the diagonal: the largest boxes
        drawings[f"diagonal n={n}"] = [[(i % 2 * 20, i % 2 * 20) for i in range(n + 1)]]
    rng = random.Random(0)
    for n in (30, 45, 60, 90):
        drawings[f"scribble n={n}"] = [[(rng.random() * 20, rng.random() * 20)
                                        for _ in range(n + 1)]]
    for n in (300, 499):
        drawings[f"{n} dots"] = [[(rng.random() * 20, rng.random() * 20)] for _ in range(n)]
    return drawings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    circle = [[(50 + 40 * math.cos(t / 48), 50 + 40 * math.sin(t / 48)) for t in range(300)]]
    print(f"real-sized drawing (circle, 300 points): {cost(circle, args.repeat):.1f} ms of CPU")
    accepted = {name: c for name, strokes in candidates().items()
                if (c := cost(strokes, args.repeat)) is not None}
    worst = max(accepted, key=accepted.__getitem__)
    print(f"worst accepted of {len(accepted)} candidates: {worst}: {accepted[worst]:.1f} ms")
    zigzag = [[(i % 2 * 1000, i / 10) for i in range(10_000)]]
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        try:
            hwd.strokes_to_pixels(zigzag)
        except TooLarge:
            times.append(time.process_time() - start)
    print(f"10,000-point zigzag: refused in {1000 * statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
