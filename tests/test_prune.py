"""Gradual magnitude pruning (train/prune.py): the schedule, the masks against a sort, and a
pruned training run."""

from __future__ import annotations

import numpy as np
import pytest

import hwd
from train.prune import Pruning, keep_largest
from train.train import main


def test_sparsity_grows_as_a_cubic_from_start_to_end() -> None:
    pruning = Pruning(0.9, start=0.25, end=0.75)
    assert pruning.sparsity(0.0) == pruning.sparsity(0.25) == 0.0
    assert pruning.sparsity(0.5) == pytest.approx(0.9 * (1 - 0.5**3))
    assert pruning.sparsity(0.75) == pruning.sparsity(1.0) == pytest.approx(0.9)
    steps = [pruning.sparsity(t) for t in np.linspace(0, 1, 101)]
    assert steps == sorted(steps)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5, 0.93, 1.0])
def test_keep_largest_keeps_the_share_largest_in_magnitude(share: float) -> None:
    w = np.random.default_rng(0).normal(size=(40, 30)).astype(np.float32)
    mask = keep_largest(w, share)
    order = np.argsort(-np.abs(w).ravel())  # independently: sort, keep the first ones
    expected = np.zeros(w.size, np.float32)
    expected[order[:round(share * w.size)]] = 1
    assert mask.dtype == w.dtype
    np.testing.assert_array_equal(mask.ravel(), expected)


def test_pruned_weights_stay_zero_and_the_output_layer_whole() -> None:
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(50, 78)), rng.normal(size=(20, 50)), rng.normal(size=(10, 20))]
    pruning = Pruning(0.8)
    for progress in np.linspace(0, 1, 400):
        for w in weights:  # an optimizer step moves every weight
            w += rng.normal(scale=0.01, size=w.shape)
        pruning.apply(weights, progress)
    for w in weights[:-1]:
        assert np.mean(w == 0) == pytest.approx(0.8, abs=0.01)
    assert not np.any(weights[-1] == 0)
    zeros = [w == 0 for w in weights]
    for w in weights:
        w += 1.0
    pruning.apply(weights, 1.0)  # the masks are fixed once the sparsity is final
    assert all(np.array_equal(w == 0, z) for w, z in zip(weights, zeros, strict=True))


def test_prune_is_refused_outside_0_to_1(tmp_path, capsys) -> None:
    assert main(["--prune", "1", "--out", str(tmp_path)]) == 2
    assert "--prune must be in [0, 1)" in capsys.readouterr().err


@pytest.mark.slow
def test_a_pruned_run_saves_sparse_hidden_layers(data_dir, tmp_path) -> None:
    assert main(["--layers", "784,64,32,10", "--limit", "2000", "--batch", "64", "--lr", "2e-3",
                 "--epochs", "2", "--prune", "0.7", "--out", str(tmp_path / "run"), "--save",
                 str(tmp_path / "net.npz"), "--target-error", "25"]) == 0
    assert hwd.load(tmp_path / "net.npz").meta["training"]["prune"] == 0.7
    with np.load(tmp_path / "net.npz") as saved:
        assert np.mean(saved["weights_0"] == 0) == pytest.approx(0.7, abs=0.01)
        assert np.mean(saved["weights_1"] == 0) == pytest.approx(0.7, abs=0.01)
        assert np.mean(saved["weights_2"] == 0) < 0.1
