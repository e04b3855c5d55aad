"""hwd.npzwrite against numpy's own reader, and round trips through hwd.load."""

from __future__ import annotations

import io

import numpy as np
from helpers import ROOT, random_mlp

import hwd
from hwd.npzwrite import network_bytes, save


def test_int16_network_round_trips_exactly(tmp_path) -> None:
    """The shipped int16 network written back: the same bytes of weights, the same answers."""
    original = ROOT / "models" / "quick.npz"
    path = save(hwd.load(original), tmp_path / "copy.npz", {"note": "copied"})
    with np.load(original) as a, np.load(path) as b:
        for name in a.files:
            if name != "meta":
                np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        assert b["meta"].tobytes().decode().count('"note": "copied"') == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_float_network_written_as_float32_is_read_by_numpy(tmp_path) -> None:
    """A float network (packed to 24 bits) is written as float32 that numpy reads."""
    mlp = random_mlp([784, 30, 10], "sigmoid", seed=3)
    path = tmp_path / "float.npz"
    mlp.save(path, {"epoch": 1}, dtype="float32")
    network = hwd.load(path)
    with np.load(io.BytesIO(network_bytes(network))) as z:
        for l, w in enumerate(mlp.weights):
            np.testing.assert_allclose(z[f"weights_{l}"], w, rtol=0, atol=1e-6 * np.abs(w).max())
            np.testing.assert_allclose(z[f"biases_{l}"], mlp.biases[l])
    x = np.random.default_rng(0).random(784)
    again = hwd.load(network_bytes(network))
    np.testing.assert_allclose(again.feedforward(x.tolist()), network.feedforward(x.tolist()),
                               atol=1e-6)
