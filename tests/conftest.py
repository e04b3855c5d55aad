"""Shared fixtures: the data directory, MNIST and the shipped networks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT


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
