"""Slant correction: the standard-library version (hwd.deskew) against the numpy one
(train.deskew), and what it does to a leaning stroke."""

from __future__ import annotations

import numpy as np
import pytest

import hwd
from hwd.deskew import MAX_SLANT, deskew, slant
from hwd.network import Network
from train import deskew as numpy_deskew


def leaning_bar(lean: float) -> list[float]:
    """A vertical bar 2 px wide from row 4 to 23, whose column moves by ``lean`` per row."""
    image = np.zeros((28, 28))
    for y in range(4, 24):
        x = 13 + lean * (y - 13.5)
        for column in range(28):
            image[y, column] = np.clip(1.5 - abs(column + 0.5 - x), 0, 1)
    return image.ravel().tolist()


def test_standard_library_and_numpy_agree_on_mnist(mnist):
    images = mnist[2][:300].astype(np.float64)
    pure = np.array([deskew(x) for x in images.tolist()])
    assert np.abs(pure - numpy_deskew.deskew(images)).max() < 1e-12
    single = numpy_deskew.deskew(mnist[2][:300])  # float32, as in training
    assert single.dtype == np.float32 and np.abs(single - pure).max() < 1e-5
    partly = np.array([deskew(x, 0.75) for x in images.tolist()])
    assert np.abs(partly - numpy_deskew.deskew(images, 0.75)).max() < 1e-12
    assert np.abs(partly - pure).max() > 0.1


def test_a_partial_correction_removes_that_share_of_the_lean():
    for lean in (-0.6, 0.4):
        image = leaning_bar(lean)
        for strength in (0.25, 0.75):
            assert slant(deskew(image, strength))[0] == pytest.approx((1 - strength) * lean,
                                                                      abs=0.03)
        assert deskew(image, 0.0) == image


def test_a_leaning_stroke_stands_up_and_keeps_its_ink_and_centre():
    for lean in (-0.6, -0.2, 0.3, 0.7):
        image = leaning_bar(lean)
        assert slant(image)[0] == pytest.approx(lean, abs=0.05)
        upright = deskew(image)
        assert abs(slant(upright)[0]) < 0.02
        assert sum(upright) == pytest.approx(sum(image), rel=1e-3)
        assert slant(upright)[1] == pytest.approx(slant(image)[1])  # centre row unchanged
        assert np.array_equal(numpy_deskew.deskew(np.array([image]))[0].round(12),
                              np.array(upright).round(12))


def test_extreme_slant_is_capped_and_empty_images_pass_through():
    assert slant(leaning_bar(3.0))[0] == MAX_SLANT
    assert deskew([0.0] * 784) == [0.0] * 784
    assert not numpy_deskew.deskew(np.zeros((2, 784), np.float32)).any()


def test_a_network_deskews_its_input_when_its_meta_says_so():
    weights = [np.eye(784).tolist()]
    image = leaning_bar(0.5)
    plain = Network(weights, [[0.0] * 784], ["relu"])
    assert plain.prepare(image) == image
    deskewing = Network(weights, [[0.0] * 784], ["relu"], {"input_transform": "deskew"})
    assert deskewing.prepare(image) == deskew(image)
    assert np.allclose(deskewing.feedforward(image), deskew(image), atol=1e-6)
    partly = Network(weights, [[0.0] * 784], ["relu"],
                     {"input_transform": "deskew", "deskew_strength": 0.75})
    assert partly.prepare(image) == deskew(image, 0.75) != deskew(image)
    unknown = Network(weights, [[0.0] * 784], ["relu"], {"input_transform": "rotate"})
    with pytest.raises(ValueError, match="input_transform"):
        unknown.prepare(image)
    for strength in (0, 1.5, "half"):
        bad = Network(weights, [[0.0] * 784], ["relu"],
                      {"input_transform": "deskew", "deskew_strength": strength})
        with pytest.raises(ValueError, match="deskew_strength"):
            bad.prepare(image)


def test_a_deskewing_network_file_reads_the_same_in_hwd_and_numpy(tmp_path, mnist):
    from train.mlp import MLP, feedforward64

    net = MLP([784, 30, 10], "relu", np.random.default_rng(0))
    images = mnist[2][:20].astype(np.float64)
    for meta in ({"input_transform": "deskew", "deskew_strength": 0.75},
                 {"input_transform": "deskew"}):
        path = net.save(tmp_path / "d.npz", meta, "int16")
        network = hwd.load(path)
        pure = np.array([network.feedforward(x) for x in images.tolist()])
        assert np.abs(pure - feedforward64(path, images)).max() < 1e-6
    plain = net.save(tmp_path / "p.npz", {}, "int16")
    assert np.abs(feedforward64(plain, images) - pure).max() > 1e-4  # deskewing changed them
