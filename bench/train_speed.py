"""Training throughput of the numpy trainer, beside a plain numpy matmul in the same run.

    python bench/train_speed.py [--seconds 4] [--rounds 3]

For 784-800-10 (`quick`) and 784-1000-500-10 (`best`) it times mini-batch steps
(forward, backprop, Adam update; batch 128, float32) and prints the GFLOP/s they
amount to (6 flops per weight per sample: 2 forward, 4 backward) as a ratio of the
GFLOP/s of one plain float32 matmul of the first layer's size, the most this
machine's BLAS gives.  Two ratios: steps alone, and steps fed by the trainer's own
batch pipeline (:mod:`train.batches`) with `best`'s augmentation on.  The machine is
shared, so the three measurements are interleaved for ``--rounds`` rounds and the
best window of each is kept; a window of steps (200) is 25 times the batches the
pipeline holds ready, so a full queue at its start adds at most 4 %.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Callable

# First, so that the trainer's BLAS setting (one thread unless OPENBLAS_NUM_THREADS says
# otherwise, train/__init__.py) is in place before numpy loads: this measures what
# `hwd train` runs.
import train  # noqa: F401

# isort: split
import numpy as np

from train.augment import Augment
from train.batches import Batches
from train.mlp import MLP
from train.optim import Adam

BATCH = 128
BEST_AUGMENTATION = Augment(rotate=10, scale=0.12, shear=0.15, shift=1.5, alpha=30, sigma=5,
                            thickness=0.4, european=0.3)


def timed(step: Callable[[], object], seconds: float, window: int) -> float:
    """Calls per second of ``step``: the best of consecutive windows of ``window`` calls
    over about ``seconds`` (after a warm-up), as other jobs on a shared machine slow some."""
    for _ in range(3):
        step()
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        for _ in range(window):
            step()
        best = max(best, window / (time.perf_counter() - begin))
    return best


def endless(batches: Batches):
    """Batches of epoch after epoch."""
    while True:
        yield from batches.epoch()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    p.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    # Digit-like inputs: sparse ink in [0, 1]; augmentation costs the same whatever they show.
    images = (rng.random((8192, 784), dtype=np.float32) - 0.8).clip(0) * 5
    labels = rng.integers(0, 10, len(images))
    print(f"OpenBLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'network':<16} {'matmul GFLOP/s':>14} {'plain GFLOP/s':>13} {'ratio':>6} "
          f"{'augmented GFLOP/s':>17} {'ratio':>6}")
    for sizes in ([784, 800, 10], [784, 1000, 500, 10]):
        net = MLP(sizes, "relu", rng)
        adam = Adam(net.parameters)
        x, y = images[:BATCH], labels[:BATCH]
        stream = endless(Batches(images, labels, BATCH, BEST_AUGMENTATION,
                                 np.random.default_rng(1)))

        def step(x=x, y=y, net=net, adam=adam) -> None:
            _, grads = net.backprop(x, y)
            adam.step(net.parameters, grads, 1e-3)

        def augmented_step(stream=stream, net=net, adam=adam) -> None:
            xb, yb = next(stream)
            _, grads = net.backprop(xb, yb)
            adam.step(net.parameters, grads, 1e-3)

        a = rng.random((BATCH, sizes[0]), dtype=np.float32)
        b = rng.random((sizes[0], sizes[1]), dtype=np.float32)
        flops = {"matmul": 2 * a.shape[0] * b.size,
                 "plain": 6 * BATCH * sum(w.size for w in net.weights)}
        flops["augmented"] = flops["plain"]
        calls = {"matmul": lambda a=a, b=b: a @ b, "plain": step, "augmented": augmented_step}
        best = dict.fromkeys(calls, 0.0)
        for _, name in itertools.product(range(args.rounds), calls):
            window = 50 if name == "matmul" else 200
            best[name] = max(best[name],
                             timed(calls[name], args.seconds, window) * flops[name] / 1e9)
        stream.close()
        print(f"{'-'.join(map(str, sizes)):<16} {best['matmul']:>14.1f} {best['plain']:>13.1f} "
              f"{best['plain'] / best['matmul']:>6.2f} {best['augmented']:>17.1f} "
              f"{best['augmented'] / best['matmul']:>6.2f}")


if __name__ == "__main__":
    main()
