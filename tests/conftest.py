"""Shared fixtures: the data directory, MNIST, and small network files made on the spot."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """$HWD_DATA_DIR; tests that need data skip without it and fail if it is set but empty."""
    value = os.environ.get("HWD_DATA_DIR")
    if not value:
        pytest.skip("HWD_DATA_DIR is not set (the folder holding mnist/ and unipen-digits/)")
    path = Path(value)
    assert (path / "mnist").is_dir(), f"HWD_DATA_DIR={value} has no mnist/ folder"
    return path


@pytest.fixture(scope="session")
def mnist(data_dir: Path) -> tuple[np.ndarray, ...]:
    """(train_images, train_labels, test_images, test_labels)."""
    from train.data import load_mnist

    return load_mnist(data_dir, download=False)


@pytest.fixture(scope="session")
def shipped_networks() -> list[Path]:
    """Every network listed in models/manifest.json (or every models/*.npz without one)."""
    from hwd import models

    listed = models.manifest().get("networks", {})
    paths = [ROOT / "models" / e["file"] for e in listed.values()] if listed else sorted(
        (ROOT / "models").glob("*.npz"))
    assert paths, "no shipped networks in models/"
    return paths


def random_mlp(sizes: list[int], activation: str = "relu", seed: int = 0):
    """A train.mlp.MLP with random weights and non-zero biases."""
    from train.mlp import MLP

    rng = np.random.default_rng(seed)
    net = MLP(sizes, activation, rng)
    net.biases = [rng.normal(0, 0.1, b.shape).astype(np.float32) for b in net.biases]
    return net


@contextmanager
def serving_in_thread(app, timeout: float) -> Iterator:
    """A quiet hwd server for ``app`` on a free loopback port, in a thread; yields it."""
    from hwd.server import Server

    httpd = Server(("127.0.0.1", 0), app, quiet=True, timeout=timeout)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
