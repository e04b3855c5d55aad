"""Latency of the pure-Python forward pass of every shipped network (CPython).

    python bench/infer_speed.py [--n 200]

Inputs are MNIST test digits when $HWD_DATA_DIR is set, else drawings rendered by
hwd.  Beside each figure: the textbook pure-Python forward pass (a loop over every
weight, with ``math.sumprod`` where it exists: what the forward pass would be without
the packed big integers of :mod:`hwd.packed`) run in the same process.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from operator import mul
from pathlib import Path

import hwd
import hwd.models
from hwd.network import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]


def inputs(n: int) -> list[list[float]]:
    """n network inputs: MNIST test images if available, else synthetic strokes."""
    if os.environ.get("HWD_DATA_DIR"):
        from train.data import load_mnist

        return load_mnist(download=False)[2][:n].tolist()
    return [hwd.strokes_to_pixels([[(0, 0), (10 + i % 7, 5), (3, 20 + i % 5)]]) for i in range(n)]


def textbook(network: hwd.Network):
    """Every weight visited: a = f(sum_i W_ji a_i + b_j), with math.sumprod where it exists."""
    rows = [w.rows() for w in network.weights]
    dot = getattr(math, "sumprod", lambda x, y: sum(map(mul, x, y)))

    def forward(a):
        for w, b, f in zip(rows, network.biases, network.activations, strict=True):
            a = ACTIVATIONS[f]([dot(row, a) + bj for row, bj in zip(w, b, strict=True)])
        return a

    return forward


def latencies(forward, xs) -> list[float]:
    """Milliseconds per call, one per input."""
    out = []
    for x in xs:
        start = time.perf_counter()
        forward(x)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200, help="inputs per network")
    args = p.parse_args()
    xs = inputs(args.n)
    print(f"Python {sys.version.split()[0]}, {args.n} inputs, milliseconds per forward pass")
    print(f"{'network':<10} {'layers':<16} {'p50':>6} {'p95':>6} {'textbook p50':>13} {'speed-up':>9}")
    for name in sorted(hwd.models.manifest().get("networks", {})) or ["quick"]:
        network = hwd.load(hwd.models.resolve(name))
        fast = latencies(network.feedforward, xs)
        slow = latencies(textbook(network), xs[: max(10, args.n // 10)])
        p50, p95 = statistics.median(fast), sorted(fast)[math.ceil(0.95 * len(fast)) - 1]
        print(f"{name:<10} {'-'.join(map(str, network.sizes)):<16} {p50:>6.2f} {p95:>6.2f} "
              f"{statistics.median(slow):>13.2f} {statistics.median(slow) / p50:>8.1f}x")


if __name__ == "__main__":
    main()
