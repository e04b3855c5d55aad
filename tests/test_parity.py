"""The centre of the suite: the pure-Python forward pass agrees with numpy's.

For every shipped network, on every one of the 10,000 MNIST test images: the same
digit, and every probability within 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

import hwd
from train.evaluate import outputs

TOLERANCE = 1e-5


@pytest.mark.slow
def test_every_shipped_network_agrees_with_numpy(shipped_networks, mnist):
    images = mnist[2]
    for path in shipped_networks:
        network = hwd.load(path)
        reference = outputs(path, images, progress=False)
        pure = np.array([network.feedforward(x) for x in images.tolist()])
        assert np.array_equal(pure.argmax(1), reference.argmax(1)), path
        assert np.abs(pure - reference).max() <= TOLERANCE, path
