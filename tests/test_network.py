"""The pure-Python forward pass against an independent numpy implementation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import random_mlp

from hwd.network import Network, relu, sigmoid, softmax
from hwd.packed import PackedMatrix


def numpy_forward(weights, biases, activations, x):
    """The textbook forward pass, in float64 numpy."""
    a = np.asarray(x, float)
    for w, b, f in zip(weights, biases, activations, strict=True):
        z = np.asarray(w, float) @ a + np.asarray(b, float)
        if f == "relu":
            a = np.maximum(z, 0)
        elif f == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        else:
            a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return a


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("sizes", [[784, 10], [784, 30, 10], [784, 64, 32, 10]])
def test_feedforward_matches_numpy(sizes, activation):
    rng = np.random.default_rng(1)
    weights = [rng.normal(0, 0.3, (o, i)) for i, o in itertools.pairwise(sizes)]
    biases = [rng.normal(0, 0.3, o) for o in sizes[1:]]
    activations = [activation] * (len(sizes) - 2) + ["softmax"]
    net = Network([w.tolist() for w in weights], [b.tolist() for b in biases], activations)
    for _ in range(5):
        x = rng.random(784) * (rng.random(784) < 0.2)  # sparse, like a digit
        expected = numpy_forward(weights, biases, activations, x)
        # Float weights are rounded to 24 bits of the largest weight: ~1e-7 relative.
        assert np.allclose(net.feedforward(x.tolist()), expected, atol=1e-6, rtol=0)
    assert net.sizes == sizes


def test_packed_matrix_is_exact_for_fixed_point_weights():
    rng = np.random.default_rng(2)
    q = rng.integers(-32768, 32768, (7, 5)).astype("<i2")
    packed = PackedMatrix.from_int16(np.asfortranarray(q).tobytes(order="F"), 7, 5, shift=12)
    assert np.array_equal(np.array(packed.rows()), q / 2**12)
    a = rng.random(5)
    assert np.allclose(packed.dot(a.tolist()), (q / 2**12) @ a, rtol=1e-8, atol=1e-12)


def test_packed_matrix_extremes():
    rows = [[1e3, -1e3, 0.0], [-5e-4, 2.5e-4, 1.0]]
    packed = PackedMatrix.from_rows(rows)
    assert packed.shape == (2, 3)
    assert packed.dot([0.0, 0.0, 0.0]) == [0.0, 0.0]
    a = [1e6, 3.0, 1e-9]
    # Fixed point: each weight is within 2**-24 of the largest one (1e3) of its true value.
    bound = 1e3 * 2.0**-24 * sum(a) + 1e6 * 2.0**-28 * 1e3
    assert np.allclose(packed.dot(a), np.array(rows) @ np.array(a), rtol=0, atol=bound)
    with pytest.raises(ValueError, match="non-negative"):
        packed.dot([1.0, -1.0, 0.0])
    with pytest.raises(ValueError, match="expected 3 inputs"):
        packed.dot([1.0])


def test_activations():
    assert relu([-1.0, 0.0, 2.0]) == [0.0, 0.0, 2.0]
    assert sigmoid([0.0])[0] == 0.5
    assert sigmoid([-1000.0, 1000.0]) == [0.0, 1.0]  # no overflow
    p = softmax([1000.0, 1000.0, -1000.0])
    assert p[0] == pytest.approx(0.5) and p[2] == 0.0


def test_predict_matches_numpy():
    """The digit and the probabilities of predict against the independent numpy forward pass."""
    mlp = random_mlp([784, 20, 10])
    pure = Network([w.tolist() for w in mlp.weights], [b.tolist() for b in mlp.biases],
                   ["relu", "softmax"])
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = rng.random(784) * (rng.random(784) < 0.2)
        expected = numpy_forward(mlp.weights, mlp.biases, ["relu", "softmax"], x)
        digit, probabilities = pure.predict(x.tolist())
        assert digit == int(np.argmax(expected))
        assert np.allclose(probabilities, expected, atol=1e-6, rtol=0)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="weight rows"):
        Network([[[1.0, 2.0]]], [[0.0, 0.0]], ["softmax"])
    with pytest.raises(ValueError, match="takes 3 inputs"):
        Network([[[1.0]] * 2, [[1.0, 1.0, 1.0]]], [[0.0] * 2, [0.0]], ["relu", "softmax"])
    with pytest.raises(ValueError, match="unknown activation"):
        Network([[[1.0]]], [[0.0]], ["tanh"])
