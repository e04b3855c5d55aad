"""Training throughput of the numpy trainer, beside a plain numpy matmul in the same run.

    python bench/train_speed.py [--seconds 5]

For 784-100-10 and 784-800-10 it times mini-batch steps (forward, backprop, Adam
update; batch 128, float32) and prints samples/s and the GFLOP/s they amount to
(6 flops per weight per sample: 2 forward, 4 backward), next to the GFLOP/s of a
single float32 matmul of the same size, the most this machine's BLAS gives.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from train.mlp import MLP
from train.optim import Adam

BATCH = 128


def timed(step, seconds: float) -> float:
    """Calls per second of ``step`` over about ``seconds`` (after a warm-up)."""
    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 784), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    print(f"{'network':<12} {'samples/s':>10} {'GFLOP/s':>8} {'matmul GFLOP/s':>15} {'ratio':>6}")
    for sizes in ([784, 100, 10], [784, 800, 10]):
        net = MLP(sizes, "relu", rng)
        adam = Adam(net.parameters)

        def step(net=net, adam=adam) -> None:
            _, grads = net.backprop(x, y)
            adam.step(net.parameters, grads, 1e-3)

        samples = timed(step, args.seconds) * BATCH
        weights = sum(w.size for w in net.weights)
        gflops = 6 * weights * samples / 1e9
        a = rng.random((BATCH, sizes[0]), dtype=np.float32)
        b = rng.random((sizes[0], sizes[1]), dtype=np.float32)
        matmul = timed(lambda a=a, b=b: a @ b, args.seconds / 2) * 2 * a.shape[0] * b.size / 1e9
        print(f"{'-'.join(map(str, sizes)):<12} {samples:>10,.0f} {gflops:>8.1f} {matmul:>15.1f} "
              f"{gflops / matmul:>6.2f}")


if __name__ == "__main__":
    main()
