"""hwd.explain against the numpy trainer's backward pass (train/mlp.py) on MNIST test digits.

The gradient of a digit's logit with respect to the 784 inputs must agree to 1e-4 (relative
to its largest entry) for every shipped network, for HWD networks with sigmoid hidden layers
and for an ancestor network (sigmoid everywhere, no biases, inputs scaled to 0.01..1).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from helpers import random_mlp

import hwd
from hwd import explain, models
from hwd.packed import PackedMatrix
from train.deskew import network_input
from train.mlp import MLP

TOLERANCE = 1e-4
N_DIGITS = 12


def float64(net: MLP) -> MLP:
    """The same network in float64, so the reference does not round more than hwd does."""
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) for b in net.biases]
    return net


def assert_close(gradient: list[float], reference: np.ndarray) -> None:
    scale = np.abs(reference).max()
    assert scale > 0
    assert np.abs(np.array(gradient) - reference).max() <= TOLERANCE * scale


def check_gradients(network: hwd.Network, reference: MLP, images: np.ndarray,
                    input_scale: float = 1.0, input_offset: float = 0.0) -> None:
    """For each image: the logit gradient of the recognized digit and of one other digit."""
    for k, x in enumerate(images):
        t = explain.trace(network, x.tolist())
        # The gradient is with respect to the network's own input: slant-corrected if it says so.
        inputs = network_input(network.meta)(x[None, :])
        for digit in (t.digit, (t.digit + 1 + k) % 10):
            expected = reference.logit_gradient(input_offset + input_scale * inputs, digit)[0]
            assert_close(explain.logit_gradient(network, t, digit), input_scale * expected)


def test_every_shipped_network(shipped_networks, mnist):
    images = mnist[2][:N_DIGITS].astype(np.float64)
    for path in shipped_networks:
        check_gradients(hwd.load(path), float64(MLP.load(path)), images)


@pytest.mark.parametrize(("sizes", "activation", "dtype"), [
    ([784, 60, 30, 10], "sigmoid", "float32"),
    ([784, 50, 40, 20, 10], "relu", "int16"),
    ([784, 10], "relu", "float32"),
])
def test_hwd_networks_of_any_shape(tmp_path, mnist, sizes, activation, dtype):
    path = random_mlp(sizes, activation, seed=len(sizes)).save(tmp_path / "n.npz", {}, dtype)
    check_gradients(hwd.load(path), float64(MLP.load(path)), mnist[2][:N_DIGITS].astype(float))


def test_ancestor_network(tmp_path, mnist):
    """Sigmoid on every layer and no biases; the ancestor fed 0.01 + 0.99 x."""
    rng = np.random.default_rng(11)
    sizes = [784, 80, 40, 10]
    weights = [rng.normal(0, 0.15, (o, i)) for i, o in itertools.pairwise(sizes)]
    np.savez(tmp_path / "old.npz", np.array([0.1, 95.3, 4, 1.6e9]), *weights)
    reference = MLP(sizes, "sigmoid")
    reference.weights = weights
    reference.biases = [np.zeros(n) for n in sizes[1:]]
    check_gradients(hwd.load(tmp_path / "old.npz"), reference, mnist[2][:N_DIGITS].astype(float),
                    input_scale=0.99, input_offset=0.01)


def test_evidence_is_gradient_times_input_and_sums_to_the_logit():
    """A ReLU network without biases is linear along its input: sum(evidence) = the logit."""
    net = random_mlp([784, 30, 20, 10], "relu", seed=2)
    network = hwd.Network([w.tolist() for w in net.weights], [[0.0] * len(b) for b in net.biases],
                          ["relu", "relu", "softmax"])
    x = np.random.default_rng(1).random(784) * (np.random.default_rng(2).random(784) < 0.2)
    t = explain.trace(network, x.tolist())
    assert t.probabilities == pytest.approx(network.feedforward(x.tolist()), abs=1e-9)
    for digit in range(10):
        e = explain.evidence(network, t, digit)
        g = explain.logit_gradient(network, t, digit)
        assert e == pytest.approx([gi * xi for gi, xi in zip(g, x, strict=True)])
        assert sum(e) == pytest.approx(t.logits[digit], rel=1e-6, abs=1e-9)


def test_unit_weights_and_drive(tmp_path, mnist):
    path = random_mlp([784, 40, 30, 10], "relu", seed=4).save(tmp_path / "n.npz", {}, "int16")
    network, reference = hwd.load(path), float64(MLP.load(path))
    x = mnist[2][0].astype(float)
    t = explain.trace(network, x.tolist())
    for unit in (0, 17, 39):
        assert explain.unit_weights(network, unit) == pytest.approx(reference.weights[0][unit])
        # d z_out / d a_1[unit] through the rest: W_2 diag(relu'(z_1)) W_1[:, unit]
        a1 = np.maximum(reference.weights[0] @ x + reference.biases[0], 0)
        z1 = reference.weights[1] @ a1 + reference.biases[1]
        expected = reference.weights[2] @ ((z1 > 0) * reference.weights[1][:, unit])
        assert np.abs(np.array(explain.unit_drive(network, t, unit)) - expected).max() <= 1e-6


def test_drive_of_a_single_hidden_layer_is_the_outgoing_weights():
    rng = np.random.default_rng(0)
    w0, w1 = rng.normal(size=(5, 784)), rng.normal(size=(10, 5))
    network = hwd.Network([w0.tolist(), w1.tolist()], [[0.0] * 5, [0.0] * 10],
                          ["sigmoid", "softmax"])
    t = explain.trace(network, [0.5] * 784)
    assert explain.unit_drive(network, t, 3) == pytest.approx(w1[:, 3], rel=1e-6)


def test_transpose_and_signed_product():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(13, 29))
    packed = PackedMatrix.from_rows(w.tolist())
    v = rng.normal(size=13)
    assert np.abs(np.array(packed.transpose().rows()) - w.T).max() <= 1e-6
    for x in (v, -np.abs(v), np.abs(v), np.where(v > 0, v * 1e6, v)):
        assert packed.transpose().dot(x.tolist(), signed=True) == pytest.approx(
            w.T @ x, abs=1e-6 * np.abs(x).max())
    with pytest.raises(ValueError, match="non-negative"):
        packed.transpose().dot(v.tolist())
    assert packed.column(3) == pytest.approx(w[:, 3], abs=1e-6)


def test_strongest():
    assert explain.strongest([0.0, 3.0, 1.0, 3.0, 2.0], 3) == [1, 3, 4]


def test_recognize_explain_on_the_command_line(capsys, mnist, tmp_path):
    from hwd.cli import main

    x = mnist[2][0].astype(float).tolist()  # a 7
    wire = tmp_path / "seven.txt"
    wire.write_text(hwd.format_wire(x))
    wire = str(wire)
    assert main(["recognize", wire, "--network", "quick", "--explain"]) == 0
    out = capsys.readouterr().out
    art = out.split("evidence for 7 (gradient x input of its logit):\n")[1].splitlines()[:28]
    assert len(art) == 28 and all(len(line) <= 56 for line in art)
    assert "@@" in out.split("digit: 7")[1] and "--" in "".join(art)  # towards and against
    assert main(["recognize", "--explain", wire, "--network", "quick", "--digit", "2",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    network = hwd.load(models.resolve("quick"))
    x = hwd.parse_wire(hwd.format_wire(x))  # as read back from the file
    expected = explain.evidence(network, explain.trace(network, x), 2)
    assert result["evidence"]["digit"] == 2 and result["evidence"]["values"] == pytest.approx(
        expected)
    assert main(["recognize", wire, "--explain", "--digit", "12"]) == 2
    assert "--digit takes a digit 0-9" in capsys.readouterr().err


@pytest.mark.parametrize("q", [-32768, 32767])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_signed_product_at_the_lanes_limits(q, sign):
    """The largest sums a lane can hold, of either sign, come back exact (int16 weights)."""
    n_out, n_in = 3, 1000
    packed = PackedMatrix.from_int16(np.full(n_out * n_in, q, "<i2").tobytes(), n_out, n_in, 15)
    v = [sign * (1.0 - 1e-9)] * n_in
    expected = q / 2**15 * sum(v)
    assert packed.dot(v, signed=True) == pytest.approx([expected] * n_out, rel=1e-8)


def test_transposes_are_kept_per_weight_matrix():
    """A network adapted from another (the page's "teach it") shares its first layers."""
    net = random_mlp([784, 20, 10], "relu", seed=5)
    base = hwd.Network([w.tolist() for w in net.weights], [b.tolist() for b in net.biases],
                       ["relu", "softmax"])
    adapted = hwd.Network([base.weights[0], (net.weights[1] * 2).tolist()], base.biases,
                          base.activations)
    first, second = explain.transposed(base), explain.transposed(adapted)
    assert second[0] is first[0] and second[1] is not first[1]
    assert explain.transposed(base)[1] is first[1]
