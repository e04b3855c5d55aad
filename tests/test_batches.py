"""The background batch pipeline and the fast elastic fields of the trainer."""

from __future__ import annotations

import numpy as np
import pytest

from train import augment
from train.batches import Batches


def numbered(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Images whose first pixel is their index, so batches can be traced back."""
    images = np.zeros((n, 784), np.float32)
    images[:, 0] = np.arange(n)
    return images, np.arange(n) % 10


def test_an_epoch_visits_every_image_once_in_a_seeded_order():
    images, labels = numbered()
    epochs = [[(x.copy(), y.copy()) for x, y in
               Batches(images, labels, 64, None, np.random.default_rng(3), chunk=256).epoch()]
              for _ in range(2)]
    seen = np.concatenate([x[:, 0] for x, _ in epochs[0]]).astype(int)
    assert sorted(seen) == list(range(1000)) and list(seen) != list(range(1000))
    assert [len(x) for x, _ in epochs[0]] == [64] * 15 + [40]
    assert all((y == x[:, 0].astype(int) % 10).all() for x, y in epochs[0])  # labels follow
    for (xa, ya), (xb, yb) in zip(*epochs, strict=True):  # same seed, same batches
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)


def test_the_transform_runs_with_the_labels_and_its_errors_reach_the_trainer():
    images, labels = numbered(300)

    def mark(x, rng, y):
        return x + (y[:, None] == 7)

    batches = Batches(images, labels, 50, mark, np.random.default_rng(0))
    for x, y in batches.epoch():
        assert (x[:, 1] == (y == 7)).all()

    def broken(x, rng, y):
        raise ValueError("bad augmentation")

    with pytest.raises(ValueError, match="bad augmentation"):
        list(Batches(images, labels, 50, broken, np.random.default_rng(0)).epoch())


def test_leaving_an_epoch_early_stops_the_worker():
    images, labels = numbered(5000)
    epoch = Batches(images, labels, 10, None, np.random.default_rng(0), depth=2).epoch()
    next(epoch)
    epoch.close()  # the worker, blocked on a full queue, must not hang the process


def test_elastic_fields_have_the_variance_of_smoothed_uniform_noise():
    # G f G^T with f uniform(-1, 1): Var at (a, b) = 1/3 sum_ij G[a,i]^2 G[b,j]^2.
    g = augment._gaussian_matrix(5.0)
    fields = augment._smooth_noise(4000, 5.0, np.random.default_rng(0))
    for a, b in [(14, 14), (3, 20), (0, 0)]:
        expected = (g[a] ** 2).sum() * (g[b] ** 2).sum() / 3
        assert fields[:, a, b].var() == pytest.approx(expected, rel=0.1)
    # Neighbouring displacements move together, as a smooth field's do.
    assert np.corrcoef(fields[:, 14, 14], fields[:, 14, 16])[0, 1] > 0.9
