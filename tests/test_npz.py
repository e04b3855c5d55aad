"""Reading network files without numpy: HWD's format, the ancestor's, and broken files."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers import ROOT, random_mlp

import hwd
from hwd.npz import NetworkFileError, parse_npy
from train.mlp import feedforward64

X = (np.random.default_rng(3).random((20, 784)) * (np.random.default_rng(4).random((20, 784))
                                                    < 0.25)).astype(np.float32)


def forward_all(net: hwd.Network) -> np.ndarray:
    return np.array([net.feedforward(x.tolist()) for x in X])


@pytest.mark.parametrize("dtype", ["float32", "float16", "int16"])
def test_reads_every_dtype_stored_and_deflated(tmp_path, dtype):
    path = random_mlp([784, 40, 10]).save(tmp_path / "n.npz", {"epoch": 3}, dtype)
    deflated = tmp_path / "deflated.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    reference = feedforward64(path, X)
    for p in (path, deflated, path.read_bytes()):
        net = hwd.load(p)
        assert net.sizes == [784, 40, 10] and net.meta["epoch"] == 3
        assert np.abs(forward_all(net) - reference).max() < 1e-6


def test_npy_header_parsing_matches_numpy():
    for array in (np.arange(6, dtype="<f4").reshape(2, 3), np.arange(6, dtype=">f8").reshape(3, 2),
                  np.asfortranarray(np.arange(6, dtype="<i2").reshape(2, 3))):
        buffer = io.BytesIO()
        np.save(buffer, array)
        parsed = parse_npy(buffer.getvalue())
        assert parsed.shape == array.shape
        assert parsed.rows() == array.tolist()


def ancestor_file(path, sizes, rng):
    """A network as the ancestor saved it: np.savez(info, W1, W2, ...), no biases."""
    weights = [rng.normal(0, 0.2, (o, i)) for i, o in itertools.pairwise(sizes)]
    np.savez(path, np.array([0.1, 95.3, 4, 1.6e9]), *weights)
    return weights


def test_reads_the_ancestors_format(tmp_path):
    rng = np.random.default_rng(5)
    weights = ancestor_file(tmp_path / "old.npz", [784, 50, 10], rng)
    net = hwd.load(tmp_path / "old.npz")
    assert net.sizes == [784, 50, 10]
    assert net.meta["format"] == "ancestor" and net.meta["test_accuracy"] == pytest.approx(0.953)
    # The ancestor's own arithmetic: inputs scaled to 0.01..1, sigmoid on every layer.
    a = 0.01 + 0.99 * X.astype(float)
    for w in weights:
        a = 1 / (1 + np.exp(-(a @ w.T)))
    expected = a / a.sum(1, keepdims=True)
    assert np.abs(forward_all(net) - expected).max() < 1e-6
    assert np.abs(feedforward64(tmp_path / "old.npz", X) - expected).max() < 1e-12


def test_an_ancestor_time_out_of_range_is_left_out(tmp_path):
    np.savez(tmp_path / "old.npz", np.array([0.1, 95.3, 4, 1e300]),
             np.random.default_rng(0).normal(0, 0.1, (10, 784)))
    meta = hwd.load(tmp_path / "old.npz").meta
    assert "created_unix" not in meta and meta["epoch"] == 4


def test_broken_files_give_clear_errors(tmp_path):
    good = random_mlp([784, 10]).save(tmp_path / "good.npz", {})
    raw = good.read_bytes()
    cases = {
        "missing.npz": (None, "no such file"),
        "text.npz": (b"hello, I am not a network", "not an .npz"),
        "truncated.npz": (raw[: len(raw) // 2], "not an .npz"),
        "empty.npz": (b"", "not an .npz"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(NetworkFileError, match=message) as e:
            hwd.load(path)
        assert name in str(e.value)


def test_member_names_are_read_as_utf8(tmp_path):
    """Names are decoded as UTF-8 (not zipfile's cp437, one more module on the page's start):
    numpy's and HWD's names are ASCII; bytes that are not UTF-8 are refused clearly."""
    path = random_mlp([784, 10]).save(tmp_path / "net.npz", {})
    assert hwd.load(path.read_bytes()).sizes == [784, 10]
    raw = path.read_bytes()
    assert raw.count(b"biases_0.npy") == 2  # the local header and the central directory
    bad = tmp_path / "bad.npz"
    bad.write_bytes(raw.replace(b"biases_0.npy", b"biases_\xe9.npy"))
    with pytest.raises(NetworkFileError, match=r"bad\.npz: a member's name is not UTF-8"):
        hwd.load(bad)


def test_reading_a_network_imports_no_zipfile():
    """hwd reads the zip itself (struct, zlib): zipfile is ~70 ms of compiling and running
    on the page's first visit, before it is ready (docs/browser.md)."""
    code = ("import sys, hwd; hwd.load('models/quick.npz'); "
            "print(sorted(m for m in sys.modules if m.startswith(('zipfile', 'encodings.cp'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_foreign_and_inconsistent_files(tmp_path):
    with pytest.raises(NetworkFileError, match="not a network file"):
        hwd.load(write_npz(tmp_path / "foreign.npz", images=np.zeros((2, 2))))
    with pytest.raises(NetworkFileError, match="unsupported dtype"):
        hwd.load(write_npz(tmp_path / "obj.npz", arr_0=np.array([{"a": 1}], dtype=object)))
    meta = np.frombuffer(b'{"format": "hwd-network", "activations": ["softmax"]}', np.uint8)
    with pytest.raises(NetworkFileError, match="missing arrays: weights_0, biases_0"):
        hwd.load(write_npz(tmp_path / "nometa.npz", meta=meta))
    with pytest.raises(NetworkFileError, match="weight rows"):
        hwd.load(write_npz(tmp_path / "shape.npz", meta=meta, weights_0=np.zeros((10, 784)),
                           biases_0=np.zeros(3)))
    # A member whose bytes stop short of its shape.
    path = random_mlp([784, 10]).save(tmp_path / "cut.npz", {})
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["weights_0.npy"] = members["weights_0.npy"][:-100]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(NetworkFileError, match="truncated"):
        hwd.load(path)


def test_saving_is_atomic(tmp_path, monkeypatch):
    net = random_mlp([784, 10])
    path = net.save(tmp_path / "n.npz", {"epoch": 1})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        net.save(path, {"epoch": 2})
    assert path.read_bytes() == before  # the old network is intact
    assert [p.name for p in tmp_path.iterdir()] == ["n.npz"]  # no temporary file left
