"""What teaching the network your handwriting buys a real writer (UNIPEN, by writer).

``python bench/adapt.py [--network best] [--writers all|tune|check] [--margin M --ridge R]``

For every writer (``source``, ``writer``) with at least two drawings of each digit, adapt
the network (:mod:`hwd.adapt`, the code the page runs) to one drawing of each digit, the
first in file order (ten examples: the person showing each digit once), and recognize that
writer's other drawings with the base and the adapted network.  Prints, before and after:
mean and median per-writer accuracy, total errors on those drawings, how many writers got
worse (and better), and the MNIST test error of the adapted networks (mean and worst).

``--writers tune`` and ``check`` are the two halves of the writers (alternate ones in sorted
order): the settings of hwd.adapt were chosen on ``tune``; ``all`` is the figure we report.
The adaptation is hwd's pure Python; recognizing the 10,000 MNIST test digits with each
adapted network uses numpy on the hidden activations (only the last layer differs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

import hwd
from hwd import adapt, models
from train.data import load_mnist
from train.deskew import network_input
from train.mlp import MLP
from train.unipen import drawings


def writer_sets(data: str | None) -> list[tuple[tuple[str, str], list[dict], list[dict]]]:
    """(writer key, ten taught drawings, the others) for each writer with >= 2 of every digit."""
    by_writer = defaultdict(list)
    for d in drawings(data):
        by_writer[(d["source"], d["writer"])].append(d)
    sets = []
    for key, items in sorted(by_writer.items()):
        counts = Counter(d["label"] for d in items)
        if all(counts[digit] >= 2 for digit in range(10)):
            taught = [next(d for d in items if d["label"] == digit) for digit in range(10)]
            sets.append((key, taught, [d for d in items if not any(d is t for t in taught)]))
    return sets


def hidden_and_last(path: Path) -> tuple:
    """A numpy function giving last-hidden-layer activations of raw 28x28 inputs (slant-
    corrected first if the network asks for it, as ``Network.prepare`` does), and the last
    layer (W, b)."""
    mlp = MLP.load(path)
    layers = [(w.astype(np.float64), b.astype(np.float64))
              for w, b in zip(mlp.weights, mlp.biases, strict=True)]
    transform = network_input(mlp.meta)

    def hidden(x: np.ndarray) -> np.ndarray:
        a = np.asarray(transform(np.asarray(x, np.float64)), np.float64)
        for w, b in layers[:-1]:
            z = a @ w.T + b
            a = np.maximum(z, 0) if mlp.activation == "relu" else 1 / (1 + np.exp(-z))
        return a

    return hidden, layers[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--network", default="best", help="name or .npz path (default best)")
    p.add_argument("--data", help="folder with mnist/ and unipen-digits/ (default $HWD_DATA_DIR)")
    p.add_argument("--writers", choices=("all", "tune", "check"), default="all")
    p.add_argument("--margin", type=float, default=adapt.MARGIN)
    p.add_argument("--ridge", type=float, default=adapt.RIDGE)
    args = p.parse_args(argv)

    path = models.resolve(args.network)
    network = hwd.load(path)
    hidden, (w0, b0) = hidden_and_last(path)
    _, _, test_x, test_y = load_mnist(args.data, download=False)
    test_h = hidden(test_x)
    base_mnist = float(((test_h @ w0.T + b0).argmax(1) != test_y).mean())

    sets = writer_sets(args.data)
    sets = {"all": sets, "tune": sets[0::2], "check": sets[1::2]}[args.writers]
    adapter = adapt.Adapter(network, args.network, margin=args.margin, ridge=args.ridge)
    rows, seconds = [], []
    for key, taught, others in sets:
        examples = [adapt.Example(d["label"], tuple(hwd.strokes_to_pixels(d["strokes"])))
                    for d in taught]
        start = time.perf_counter()
        adapted = adapter.adapt(examples)
        seconds.append(time.perf_counter() - start)
        w = np.array(adapted.weights[-1].rows())
        b = np.array(adapted.biases[-1])
        h = hidden([hwd.strokes_to_pixels(d["strokes"]) for d in others])
        labels = np.array([d["label"] for d in others])
        before = int(((h @ w0.T + b0).argmax(1) != labels).sum())
        after = int(((h @ w.T + b).argmax(1) != labels).sum())
        taught_right = sum(adapted.predict(e.pixels)[0] == e.label for e in examples)
        mnist = float(((test_h @ w.T + b).argmax(1) != test_y).mean())
        rows.append({"writer": key, "n": len(others), "before": before, "after": after,
                     "mnist": mnist, "taught_right": taught_right})

    def accuracy(which: str) -> list[float]:
        return [1 - r[which] / r["n"] for r in rows]

    errors_before = sum(r["before"] for r in rows)
    errors_after = sum(r["after"] for r in rows)
    worse = sum(r["after"] > r["before"] for r in rows)
    better = sum(r["after"] < r["before"] for r in rows)
    mnist = [r["mnist"] for r in rows]
    print(f"network {args.network}; writers: {args.writers}, {len(rows)} with >= 2 drawings of "
          f"each digit; {sum(r['n'] for r in rows)} drawings recognized; taught 10 each "
          f"(margin {args.margin:g}, ridge {args.ridge:g})")
    print(f"{'':28}{'before':>10}{'after':>10}")
    print(f"{'mean per-writer accuracy':28}{statistics.mean(accuracy('before')):>10.2%}"
          f"{statistics.mean(accuracy('after')):>10.2%}")
    print(f"{'median per-writer accuracy':28}{statistics.median(accuracy('before')):>10.2%}"
          f"{statistics.median(accuracy('after')):>10.2%}")
    print(f"{'errors on other drawings':28}{errors_before:>10}{errors_after:>10}"
          f"   ({1 - errors_after / max(errors_before, 1):.1%} fewer)")
    print(f"{'MNIST test error, mean':28}{base_mnist:>10.2%}{statistics.mean(mnist):>10.2%}"
          f"   (+{100 * (statistics.mean(mnist) - base_mnist):.3f} points)")
    print(f"{'MNIST test error, worst':28}{base_mnist:>10.2%}{max(mnist):>10.2%}"
          f"   (+{100 * (max(mnist) - base_mnist):.3f} points)")
    print(f"writers worse: {worse} of {len(rows)} ({worse / len(rows):.1%}); better: {better}; "
          f"taught examples read as taught: {sum(r['taught_right'] for r in rows)} of "
          f"{10 * len(rows)}")
    print(f"adapting (CPython, this process): median {statistics.median(seconds) * 1e3:.0f} ms "
          f"per writer, first {seconds[0] * 1e3:.0f} ms (the 50 anchors' activations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
