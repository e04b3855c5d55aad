"""The numpy trainer on a small slice of MNIST: it learns, saves every epoch, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, interrupt_on_call

import hwd
import train.train as train_module
from train import data
from train.augment import Augment
from train.mlp import MLP
from train.train import main, parse_args, train

SMALL = ["--layers", "784,64,10", "--limit", "4000", "--batch", "64", "--lr", "2e-3"]


@pytest.mark.slow
def test_it_learns_and_saves_every_epoch(data_dir, tmp_path, capsys):
    plot = tmp_path / "curve.png"
    status = main([*SMALL, "--epochs", "2", "--out", str(tmp_path / "run"), "--plot", str(plot),
                   "--save", str(tmp_path / "final.npz"), "--dtype", "int16",
                   "--target-error", "15"])
    assert status == 0
    out = capsys.readouterr().out
    assert "epoch-001.npz" in out and "epoch-002.npz" in out
    final = hwd.load(tmp_path / "final.npz")
    assert final.meta["epoch"] == 2 and final.meta["test_accuracy"] > 0.85
    assert final.meta["training"]["layers"] == "784,64,10"
    assert len(final.meta["mnist_sha256"]) == 64
    assert plot.stat().st_size > 1000 and plot.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["epoch-001.npz",
                                                                   "epoch-002.npz"]


@pytest.mark.slow
def test_a_partly_deskewing_network_says_so_and_reads_as_trained(data_dir, tmp_path):
    from train.deskew import deskew
    from train.mlp import feedforward64

    net, _ = train(parse_args([*SMALL, "--limit", "500", "--epochs", "1", "--deskew", "0.75",
                               "--out", str(tmp_path / "run")]))
    path = tmp_path / "run" / "epoch-001.npz"
    meta = hwd.load(path).meta
    assert meta["input_transform"] == "deskew" and meta["deskew_strength"] == 0.75
    assert meta["training"]["deskew"] == 0.75
    x = data.load_mnist(data_dir)[2][:50]
    assert np.allclose(feedforward64(path, x), net.feedforward(deskew(x, 0.75)), atol=1e-5)


@pytest.mark.slow
def test_target_error_fails_loudly(data_dir, tmp_path):
    args = [*SMALL, "--limit", "500", "--epochs", "1", "--out", str(tmp_path), "--target-error",
            "0.1"]
    assert main(args) == 1


@pytest.mark.slow
def test_seeded_runs_are_reproducible(data_dir, tmp_path):
    nets = [train(parse_args([*SMALL, "--limit", "1000", "--epochs", "1", "--rotate", "10",
                              "--alpha", "20", "--out", str(tmp_path / str(i))]))[0]
            for i in range(2)]
    for a, b in zip(nets[0].parameters, nets[1].parameters, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_ctrl_c_keeps_finished_epochs(data_dir, tmp_path, monkeypatch, capsys):
    """Ctrl-C in epoch 2: exit 130, epoch 1 stays, --save is never written."""
    monkeypatch.setattr(MLP, "backprop", interrupt_on_call(4000 // 64 + 3, MLP.backprop))
    save = tmp_path / "final.npz"
    assert main([*SMALL, "--epochs", "5", "--out", str(tmp_path / "run"), "--save",
                 str(save)]) == 130
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["epoch-001.npz"]
    assert not save.exists()
    assert "interrupted: kept 1 finished epoch(s)" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_while_saving_an_epoch(data_dir, tmp_path, monkeypatch, capsys):
    """The epoch being written is neither counted nor left half-written."""
    monkeypatch.setattr(np, "savez", interrupt_on_call(2, np.savez))
    args = [*SMALL, "--limit", "500", "--epochs", "3", "--out", str(tmp_path / "run"),
            "--save", str(tmp_path / "final.npz")]
    assert main(args) == 130
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["epoch-001.npz", "run"]
    assert "kept 1 finished epoch(s)" in capsys.readouterr().err
    assert hwd.load(tmp_path / "run" / "epoch-001.npz").meta["epoch"] == 1


@pytest.mark.slow
def test_ctrl_c_during_the_save_copy(data_dir, tmp_path, monkeypatch, capsys):
    import train.saving

    monkeypatch.setattr(train.saving.shutil, "copyfileobj",
                        interrupt_on_call(1, train.saving.shutil.copyfileobj))
    args = [*SMALL, "--limit", "500", "--epochs", "1", "--out", str(tmp_path / "run"),
            "--save", str(tmp_path / "final.npz")]
    assert main(args) == 130
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["epoch-001.npz", "run"]
    assert "--save not written" in capsys.readouterr().err


@pytest.mark.slow
def test_partial_files_are_recognisable_and_cleaned(data_dir, tmp_path, monkeypatch, capsys):
    """A save in progress is NAME.PID.partial; the ones a kill -9 left are removed at start."""
    run = tmp_path / "run"
    run.mkdir()
    stale = [run / "epoch-002.npz.4242.partial", tmp_path / "final.npz.77.partial"]
    for path in stale:
        path.write_bytes(b"half a network")
    names = []
    original = np.savez

    def spy(file, **arrays):
        names.append(Path(file.name).name)
        return original(file, **arrays)

    monkeypatch.setattr(np, "savez", spy)
    args = [*SMALL, "--limit", "500", "--epochs", "1", "--out", str(run), "--save",
            str(tmp_path / "final.npz")]
    assert main(args) == 0
    assert names == [f"epoch-001.npz.{os.getpid()}.partial"]
    assert not any(path.exists() for path in stale)
    assert "removed 2 partial file(s) left by an interrupted run" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["epoch-001.npz", "final.npz", "run"]


def bad_settings(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "folder").mkdir()
    file, folder = str(tmp_path / "file"), str(tmp_path / "folder")
    return {
        "--out is a file": (["--out", file], f"--out: {file} is a file"),
        "--out under a file": (["--out", file + "/run"], "cannot create the folder"),
        "--out empty": (["--out", ""], "--out is empty"),
        "--out not creatable": (["--out", "/proc/hwd-run"], "--out: cannot create the folder"),
        "--save a folder": (["--out", folder, "--save", folder], f"--save {folder} is a folder"),
        "--save under a file": (["--out", folder, "--save", file + "/net.npz"],
                                f"--save: {file} is a file"),
        "--save empty": (["--out", folder, "--save", ""], "--save is empty"),
        "--plot a folder": (["--out", folder, "--plot", folder], f"--plot {folder} is a folder"),
        "--epochs 0": (["--out", folder, "--epochs", "0"], "--epochs and --batch must be"),
        "--batch 0": (["--out", folder, "--batch", "0"], "--epochs and --batch must be"),
        "--layers not numbers": (["--layers", "784,a,10"], "comma-separated integers"),
        "--layers 100 inputs": (["--layers", "100,10"], "784 inputs first"),
        "--layers 0 neurons": (["--layers", "784,0,10"], "every layer at least 1"),
        "--dropout 1": (["--dropout", "1"], "--dropout must be in [0, 1)"),
        "--deskew 2": (["--deskew", "2"], "--deskew must be in [0, 1]"),
    }


def test_settings_and_paths_are_checked_before_training(tmp_path, monkeypatch, capsys):
    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_module, "load_mnist", no_training)
    for case, (args, message) in bad_settings(tmp_path).items():
        assert main(args) == 2, case
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (case, err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in read-only folders")
def test_read_only_outputs_are_refused(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["--out", str(locked)]) == 2
        assert main(["--out", str(tmp_path), "--save", str(locked / "n.npz")]) == 2
    finally:
        locked.chmod(0o700)
    assert capsys.readouterr().err.count("cannot write in") == 2


@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_backprop_matches_numerical_gradient(activation, dropout):
    """Every parameter's gradient against a central difference, with the same dropout mask
    (the same seed) in every pass."""
    rng = np.random.default_rng(0)
    net = MLP([6, 5, 4, 3], activation, rng)
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) + 0.1 for b in net.biases]
    x, y = rng.random((7, 6)), rng.integers(0, 3, 7)

    def loss_and_grads():
        return net.backprop(x, y, dropout, np.random.default_rng(7))

    _, grads = loss_and_grads()
    for p, g in zip(net.parameters, grads, strict=True):
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + 1e-6
            up = loss_and_grads()[0]
            p[i] = old - 1e-6
            down = loss_and_grads()[0]
            p[i] = old
            assert g[i] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-7), (p.shape, i)


def test_augmentation_keeps_shape_and_ink(mnist):
    images = mnist[0][:64]
    rng = np.random.default_rng(0)
    assert Augment()(images, rng) is images  # all off: untouched
    out = Augment(rotate=10, scale=0.1, shear=0.1, shift=2, alpha=30, sigma=5,
                  thickness=0.4)(images, rng)
    assert out.shape == images.shape and out.dtype == np.float32
    assert 0.6 < out.sum() / images.sum() < 1.5  # distorted, not destroyed
    assert not np.allclose(out, images)
    shifted = Augment(shift=1e-9)(images, rng)  # the identity map resamples exactly
    assert np.allclose(shifted, images, atol=1e-5)


def test_missing_data_says_where_to_put_it(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(data.DataError) as e:
        data.load_mnist(tmp_path)
    message = str(e.value)
    assert "network is unreachable" in message
    for name in data.SHA256:
        assert str(tmp_path / "mnist" / name) in message or str(tmp_path / name) in message
    with pytest.raises(data.DataError, match="Put the four original files"):
        data.load_mnist(tmp_path, download=False)


def test_hwd_train_says_where_to_put_missing_data(tmp_path, monkeypatch, capsys):
    """One message and exit status 2, not a traceback."""
    from train.train import main

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    status = main(["--layers", "784,10,10", "--epochs", "1", "--data", str(tmp_path),
                   "--out", str(tmp_path / "run")])
    assert status == 2
    assert "hwd train: error:" in capsys.readouterr().err


def test_corrupt_data_is_refused(tmp_path, data_dir):
    for name in data.SHA256:
        (tmp_path / name).write_bytes((data_dir / "mnist" / name).read_bytes())
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    with pytest.raises(data.DataError, match="SHA-256 mismatch"):
        data.load_mnist(tmp_path, download=False)


def test_european_strokes_go_only_on_zeros_ones_sevens_and_nines(mnist):
    from train.european import add_strokes

    images, labels = mnist[0][:300].reshape(-1, 28, 28), mnist[1][:300]
    out = add_strokes(images, labels, 1.0, np.random.default_rng(0))
    changed = np.abs(out - images).sum((1, 2))
    european = np.isin(labels, (0, 1, 7, 9))
    assert (changed[european] > 3).all()  # a stroke of a few pixels' worth of ink
    assert (changed[~european] == 0).all()


@pytest.mark.parametrize("centre_by_mass", [False, True])
def test_european_digits_still_fit_mnists_box(mnist, centre_by_mass):
    # A slash reaching far beyond a 0 shrinks the 0, as the pad scales the whole drawing.
    from train.european import add_strokes

    images, labels = mnist[0][:2000].reshape(-1, 28, 28), mnist[1][:2000]
    out = add_strokes(images, labels, 1.0, np.random.default_rng(1), True, centre_by_mass)
    european, touching = out[np.isin(labels, (0, 1, 7, 9))], 0
    for x in european:
        rows, cols = np.flatnonzero((x > 0.2).any(1)), np.flatnonzero((x > 0.2).any(0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22
        touching += not (rows[0] > 0 and rows[-1] < 27 and cols[0] > 0 and cols[-1] < 27)
    # Centred by mass, a digit heavy at one end may reach the field's edge, as 1.3 % of MNIST's
    # training digits do.
    assert touching <= (0.013 * len(european) if centre_by_mass else 0)


def test_european_digits_centred_by_mass_sit_where_mnist_and_the_pad_put_digits(mnist):
    # A flag on a 1 or a bar on a 7 moves the ink's centre off the box's: centring the box left
    # such 1s 1.4 px and 7s 2 px higher in the field than MNIST's digits and the pad's drawings.
    from hwd.preprocess import centre_of_mass
    from train.european import add_strokes

    images, labels = mnist[0][:600].reshape(-1, 28, 28), mnist[1][:600]
    european = np.isin(labels, (0, 1, 7, 9))
    for centre_by_mass in (False, True):
        out = add_strokes(images, labels, 1.0, np.random.default_rng(2), True, centre_by_mass)
        centres = np.array([centre_of_mass(x.ravel().tolist()) for x in out[european]])
        error = np.abs(centres - 14.5).max(1)
        if centre_by_mass:  # MNIST's own, a whole-pixel shift, are up to 0.5 px off
            assert error.max() < 0.3
        else:
            assert np.median(error) > 0.7
        assert np.array_equal(out[~european], images[~european])


def test_long_slashes_lean_and_reach_further():
    from train.european import _long_slash, _slash

    box = np.tile([[9.0, 4.0, 19.0, 24.0]], (4000, 1))  # a 0 20 px tall, centre (14, 14)
    for segment, lean, reach in ((_slash, 50, 0.5), (_long_slash, 60, 1.0)):
        top, bottom = segment(box, np.zeros((4000, 28, 28)), np.random.default_rng(0))
        angle = np.degrees(np.arctan2(top[:, 0] - 14, 14 - top[:, 1]))
        beyond = np.hypot(*(top - 14).T) / 10 - 1  # past the 0's top, in half-heights
        assert 0 <= angle.min() < 1 and lean - 1 < angle.max() <= lean
        assert reach - 0.01 < beyond.max() <= reach and 0 <= beyond.min() < 0.01
        assert np.allclose(np.arctan2(*(top - 14).T), np.arctan2(*(14 - bottom).T))


@pytest.mark.slow
def test_a_real_ctrl_c_exits_130(data_dir, tmp_path):
    """SIGINT to ``hwd train`` after its first epoch: status 130, no --save, epoch 1 kept."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hwd", "train", *SMALL, "--limit", "2000", "--epochs", "100",
         "--out", str(tmp_path / "run"), "--save", str(tmp_path / "final.npz")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        # A shell's background job starts with SIGINT ignored; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in process.stdout:
            if "epoch-001.npz" in line:
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "--save not written" in err
    assert not (tmp_path / "final.npz").exists()
    assert "epoch-001.npz" in [p.name for p in (tmp_path / "run").iterdir()]
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.parametrize("setting, expected", [(None, "1"), ("2", "2")])
def test_the_trainer_uses_one_blas_thread_unless_told(setting, expected):
    """``hwd train`` runs with OPENBLAS_NUM_THREADS=1 by default (set before numpy loads),
    and a value the caller set is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if setting is not None:
        env["OPENBLAS_NUM_THREADS"] = setting
    # The setting only counts if numpy was not loaded before ``train`` set it.
    probe = ("import os, sys, hwd.cli; assert 'numpy' not in sys.modules; import train.train; "
             "print(os.environ['OPENBLAS_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == expected
