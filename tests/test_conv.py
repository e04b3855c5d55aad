"""The convolutional teacher (train.conv): its pass against loops written out, its gradient
against central differences, its file, and the trainer's options for it."""

from __future__ import annotations

import numpy as np
import pytest

import hwd
from hwd.deskew import deskew
from train.conv import ConvNet, is_conv_file, patch_sums, patches, pool, unpool
from train.distill import load_network
from train.manifest import reproduce_command
from train.mlp import MLP, feedforward64, softmax
from train.train import main
from train.unipen import probabilities


def naive_convolution(a: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """ReLU(sum over a 5x5 window and the channels of pixel times weight, plus bias), pixel by
    pixel; ``kernel`` (25 * c, filters) is read as (row, column, channel, filter)."""
    n, h, w, c = a.shape
    k = kernel.reshape(5, 5, c, -1)
    out = np.zeros((n, h - 4, w - 4, k.shape[3]))
    for y in range(h - 4):
        for x in range(w - 4):
            out[:, y, x] = np.einsum("nijc,ijcf->nf", a[:, y:y + 5, x:x + 5], k) + bias
    return np.maximum(out, 0)


def naive_forward(net: ConvNet, x: np.ndarray) -> np.ndarray:
    """The network's probabilities from the loops above and pooling by taking maxima."""
    a = x.reshape(len(x), 28, 28, 1)
    for l in range(2):
        a = naive_convolution(a, net.weights[l], net.biases[l])
        n, h, w, c = a.shape
        a = np.array([[[[a[i, 2 * y:2 * y + 2, 2 * x:2 * x + 2, f].max() for f in range(c)]
                        for x in range(w // 2)] for y in range(h // 2)] for i in range(n)])
    hidden = np.maximum(a.reshape(len(x), -1) @ net.weights[2] + net.biases[2], 0)
    return softmax(hidden @ net.weights[3] + net.biases[3])


def small_net(seed: int = 0) -> ConvNet:
    """A float64 network whose biases are not all zero."""
    rng = np.random.default_rng(seed)
    net = ConvNet(rng)
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [rng.normal(0, 0.05, b.shape) for b in net.biases]
    return net


def test_forward_pass_matches_the_loops():
    net = small_net()
    x = np.random.default_rng(1).random((3, 784))
    assert np.allclose(net.feedforward(x), naive_forward(net, x), atol=1e-12)


def test_patch_sums_is_the_adjoint_of_patches():
    """<patches(a), r> = <a, patch_sums(r)> for every a and r: what a gradient needs."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=(2, 9, 9, 3))
    rows = rng.normal(size=patches(a).shape)
    assert np.vdot(patches(a), rows) == pytest.approx(np.vdot(a, patch_sums(rows, a.shape)))


def test_unpool_routes_each_window_to_its_maximum():
    a = np.array([[1.0, 5.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
    assert pool(a).item() == 5.0
    assert unpool(a, np.full((1, 1, 1, 1), 7.0)).reshape(2, 2).tolist() == [[0, 7], [0, 0]]


def test_gradient_matches_central_differences():
    """Five entries of every parameter array, the cross-entropy differenced directly."""
    net = small_net(3)
    rng = np.random.default_rng(4)
    x, y = rng.random((3, 784)), np.array([1, 7, 3])

    def loss() -> float:
        return float(-np.log(net.feedforward(x)[np.arange(3), y]).mean())

    _, grads = net.backprop(x, y)
    for p, g in zip(net.parameters, grads, strict=True):
        assert g.shape == p.shape
        for _ in range(5):
            i = tuple(int(rng.integers(0, s)) for s in p.shape)
            old = p[i]
            p[i] = old + 1e-6
            up = loss()
            p[i] = old - 1e-6
            down = loss()
            p[i] = old
            assert g[i] == pytest.approx((up - down) / 2e-6, rel=1e-3, abs=1e-8), (p.shape, i)


def test_file_round_trip_and_hwd_refuses_it(tmp_path):
    net = ConvNet(np.random.default_rng(5))
    path = net.save(tmp_path / "conv.npz", {"deskew_strength": 0.75, "input_transform": "deskew"})
    again = load_network(path)
    assert isinstance(again, ConvNet) and again.meta["deskew_strength"] == 0.75
    x = np.random.default_rng(6).random((4, 784), dtype=np.float32)
    assert np.array_equal(again.feedforward(x), net.feedforward(x))
    with pytest.raises(ValueError, match="hwd-conv-teacher"):
        hwd.load(path)
    # train.unipen reads it as the trainer does, slant correction included
    assert np.allclose(probabilities(path, x.astype(np.float64)),
                       net.feedforward(hwd_deskewed(x, 0.75)), atol=1e-6)


def test_other_network_files_are_read_as_before(tmp_path):
    """train.unipen still reads perceptrons and the ancestor's files (no meta at all)."""
    rng = np.random.default_rng(7)
    ancestor = tmp_path / "ancestor.npz"
    np.savez(ancestor, np.array([0.1, 95.3, 4, 1.6e9]), rng.normal(0, 0.2, (30, 784)),
             rng.normal(0, 0.2, (10, 30)))
    mlp = MLP([784, 20, 10], "relu", rng).save(tmp_path / "mlp.npz", {})
    x = rng.random((5, 784))
    for path in (ancestor, mlp):
        assert not is_conv_file(path)
        assert np.array_equal(probabilities(path, x), feedforward64(path, x))
    assert isinstance(load_network(mlp), MLP)


def hwd_deskewed(x: np.ndarray, strength: float) -> np.ndarray:
    """x slant-corrected by hwd's own pure-Python rule (an independent reference)."""
    return np.array([deskew(list(map(float, row)), strength) for row in x], np.float32)


def test_conv_settings_that_cannot_apply_are_refused(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["--layers", "conv", "--prune", "0.5", "--out", out]) == 2
    assert "not pruned" in capsys.readouterr().err
    assert main(["--layers", "conv", "--dropout", "0.2", "--out", out]) == 2
    assert main(["--teachers", "1", "--teacher-layers", "conv", "--activation", "sigmoid",
                 "--out", out]) == 2
    assert capsys.readouterr().err.count("has ReLUs and no dropout") == 2
    assert main(["--teachers", "1", "--teacher-layers", "conv3", "--out", out]) == 2
    assert "--teacher-layers conv3: comma-separated" in capsys.readouterr().err
    assert main(["--teachers", "1", "--teacher-epochs", "0", "--out", out]) == 2
    assert "--teacher-epochs must be at least 1" in capsys.readouterr().err


@pytest.mark.slow
def test_a_perceptron_learns_from_a_conv_teacher(data_dir, tmp_path, capsys):
    """--teachers 1 --teacher-layers conv: the teacher trains first, with its own epochs and
    distortions; the student is a perceptron hwd runs, and its command says how its teacher
    was made."""
    args = ["--layers", "784,32,10", "--limit", "1000", "--batch", "64", "--lr", "2e-3",
            "--epochs", "2", "--alpha", "8", "--thickness", "0.3", "--teachers", "1",
            "--teacher-layers", "conv", "--teacher-epochs", "1", "--teacher-alpha", "0",
            "--teacher-thickness", "0.1", "--out", str(tmp_path / "run"),
            "--save", str(tmp_path / "student.npz")]
    assert main(args) == 0
    teacher = load_network(tmp_path / "run" / "teacher-1" / "epoch-001.npz")
    assert isinstance(teacher, ConvNet)
    settings = teacher.meta["training"]
    assert (settings["layers"], settings["epochs"], settings["alpha"], settings["thickness"]) == (
        "conv", 1, 0.0, 0.1)
    assert not [name for name in settings if name.startswith("teacher")]
    student = hwd.load(tmp_path / "student.npz")
    assert student.sizes == [784, 32, 10]
    assert (student.meta["training"]["alpha"], student.meta["training"]["thickness"]) == (8, 0.3)
    command = reproduce_command("student", student.meta["training"])
    assert "--teachers 1" in command and ("--teacher-layers conv --teacher-epochs 1 "
                                          "--teacher-alpha 0.0 --teacher-thickness 0.1") in command
    assert main(args) == 0  # a rerun finds the finished teacher
    assert "trained before" in capsys.readouterr().out
