"""Distillation (train.distill): the gradient against the objective written out, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interrupt_on_call

import hwd
from train.distill import Soft, Teachers, soften
from train.manifest import reproduce_command
from train.mlp import MLP, softmax
from train.train import main

SMALL = ["--layers", "784,32,10", "--limit", "4000", "--batch", "64", "--lr", "2e-3"]


def objective(net: MLP, x: np.ndarray, y: np.ndarray, targets: np.ndarray,
              temperature: float, weight: float) -> float:
    """Hinton et al.'s objective, mean over the batch, from the logits computed directly."""
    a = x
    for w, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        a = np.maximum(a @ w.T + b, 0)
    z = a @ net.weights[-1].T + net.biases[-1]
    hard = -np.log(softmax(z)[np.arange(len(y)), y])
    soft = -(targets * np.log(softmax(z / temperature))).sum(axis=1)
    return float(((1 - weight) * hard + weight * temperature**2 * soft).mean())


@pytest.mark.parametrize(("temperature", "weight"), [(1.0, 1.0), (2.0, 0.5), (4.0, 0.25)])
def test_gradient_is_the_objectives(temperature, weight):
    """Every parameter's gradient against a central difference of the objective."""
    rng = np.random.default_rng(0)
    net = MLP([6, 5, 4], "relu", rng)
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) + 0.1 for b in net.biases]
    x, y = rng.random((7, 6)), rng.integers(0, 4, 7)
    targets = softmax(rng.normal(size=(7, 4)) * 3)
    _, grads = net.backprop(x, y, soft=Soft(targets, temperature, weight))
    for p, g in zip(net.parameters, grads, strict=True):
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + 1e-6
            up = objective(net, x, y, targets, temperature, weight)
            p[i] = old - 1e-6
            down = objective(net, x, y, targets, temperature, weight)
            p[i] = old
            assert g[i] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-7), (p.shape, i)


def test_softening_matches_the_logits():
    z = np.array([[3.0, 1.0, -2.0], [0.0, 0.0, 9.0]])
    assert np.allclose(soften(softmax(z), 3.0), softmax(z / 3.0))
    assert np.allclose(soften(softmax(z), 1.0), softmax(z))


def test_teachers_average_their_softened_outputs(tmp_path):
    rng = np.random.default_rng(1)
    paths = []
    for i in range(2):
        net = MLP([784, 8, 10], "relu", rng)
        paths.append(net.save(tmp_path / f"t{i}.npz", {}))
    teachers = Teachers([str(p) for p in paths], deskew=False, temperature=2.0, weight=0.5)
    x = rng.random((5, 784)).astype(np.float32)
    expected = np.mean([soften(MLP.load(p).feedforward(x), 2.0) for p in paths], axis=0)
    soft = teachers.soft(x)
    assert np.allclose(soft.targets, expected, atol=1e-6)
    assert np.allclose(soft.targets.sum(axis=1), 1, atol=1e-5)
    assert [t["file"] for t in teachers.describe()] == ["t0.npz", "t1.npz"]


@pytest.mark.slow
def test_a_student_learns_from_a_teacher_alone(data_dir, tmp_path):
    """With --distill 1 the labels have no say: what the student knows comes from the teacher."""
    teacher = tmp_path / "teacher.npz"
    assert main([*SMALL, "--epochs", "2", "--out", str(tmp_path / "t"),
                 "--save", str(teacher)]) == 0
    assert main([*SMALL, "--epochs", "2", "--out", str(tmp_path / "s"), "--seed", "3",
                 "--teacher", str(teacher), "--distill", "1", "--save", str(tmp_path / "student.npz"),
                 "--target-error", "15"]) == 0
    student = hwd.load(tmp_path / "student.npz").meta["training"]
    assert student["teacher_files"][0]["file"] == "teacher.npz" and student["temperature"] == 2.0


def test_teachers_are_checked_before_training(tmp_path, capsys):
    net = MLP([784, 8, 10], "relu", np.random.default_rng(0))
    path = net.save(tmp_path / "raw.npz", {})
    assert main(["--out", str(tmp_path / "a"), "--teacher", str(tmp_path / "none.npz")]) == 2
    assert main(["--out", str(tmp_path / "b"), "--teacher", str(path), "--deskew"]) == 2
    assert main(["--out", str(tmp_path / "c"), "--teacher", str(path), "--distill", "0"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "raw inputs" in err and "--distill in (0, 1]" in err


@pytest.mark.slow
def test_teachers_are_trained_first_and_reused(data_dir, tmp_path, capsys):
    """--teachers N is one command for the whole recipe, its teachers dense; a rerun reuses
    finished teachers."""
    args = [*SMALL, "--limit", "1000", "--epochs", "1", "--teachers", "1", "--prune", "0.5",
            "--out", str(tmp_path / "run")]
    assert main([*args, "--save", str(tmp_path / "student.npz")]) == 0
    teacher = tmp_path / "run" / "teacher-1" / "epoch-001.npz"
    assert hwd.load(teacher).meta["training"]["seed"] == 1  # the student's seed + 1
    assert "prune" not in hwd.load(teacher).meta["training"]  # dense
    with np.load(teacher) as dense, np.load(tmp_path / "student.npz") as pruned:
        assert np.mean(dense["weights_0"] == 0) < 0.01
        assert np.mean(pruned["weights_0"] == 0) == pytest.approx(0.5, abs=0.01)
    assert "seed 1, into" in capsys.readouterr().out
    assert main(args) == 0
    assert "trained before" in capsys.readouterr().out
    meta = hwd.load(tmp_path / "student.npz").meta
    assert meta["training"]["teacher_files"][0]["file"] == "epoch-001.npz"
    command = reproduce_command("student", meta["training"])
    assert "--teachers 1 --temperature 2.0 --distill 0.5" in command and "--prune 0.5" in command
    assert "--teacher " not in command and "--teachers" not in reproduce_command(
        "teacher", hwd.load(teacher).meta["training"])


@pytest.mark.slow
def test_ctrl_c_while_a_teacher_trains_names_its_folder(data_dir, tmp_path, monkeypatch, capsys):
    """The epochs kept are the teacher's, in its own folder: the message says where."""
    monkeypatch.setattr(MLP, "backprop", interrupt_on_call(1000 // 64 + 3, MLP.backprop))
    out = tmp_path / "run"
    assert main([*SMALL, "--limit", "1000", "--epochs", "3", "--teachers", "1",
                 "--out", str(out)]) == 130
    assert "kept 1 finished epoch(s) in " + str(out / "teacher-1") in capsys.readouterr().err
    assert [p.name for p in (out / "teacher-1").iterdir()] == ["epoch-001.npz"]
