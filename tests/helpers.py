"""Helpers shared by the tests (a module of its own: tests/e2e has a conftest too)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def random_mlp(sizes: list[int], activation: str = "relu", seed: int = 0):
    """A train.mlp.MLP with random weights and non-zero biases."""
    from train.mlp import MLP

    rng = np.random.default_rng(seed)
    net = MLP(sizes, activation, rng)
    net.biases = [rng.normal(0, 0.1, b.shape).astype(np.float32) for b in net.biases]
    return net


def interrupt_on_call(n: int, original):
    """A stand-in for ``original`` that raises KeyboardInterrupt on its n-th call (Ctrl-C)."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    return wrapper


@contextmanager
def serving_in_thread(app, timeout: float, **options) -> Iterator:
    """A quiet hwd server for ``app`` on a free loopback port, in a thread; yields it.

    ``options`` go to hwd.server.Server (``deadline``, ``max_connections``).
    """
    from hwd.server import Server

    httpd = Server(("127.0.0.1", 0), app, quiet=True, timeout=timeout, **options)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
