"""The compact network encoding the site ships (int8 with a scale per row): read by numpy
and by hwd alike, and answering like the original network."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
from helpers import ROOT, random_mlp

import hwd
from hwd.npzwrite import COMPACT_LEVELS, compact_bytes, npz_bytes
from hwd.packed import PackedMatrix


def test_compact_network_is_int8_with_a_scale_per_row(tmp_path) -> None:
    mlp = random_mlp([784, 40, 10], seed=5)
    mlp.save(tmp_path / "float.npz", {"epoch": 1, "history": [{"epoch": 1, "loss": 0.5}]},
             dtype="float32")
    network = hwd.load(tmp_path / "float.npz")
    data = compact_bytes(network, levels=20)
    with np.load(io.BytesIO(data)) as z:
        for l, w in enumerate(mlp.weights):
            q, scales = z[f"weights_{l}"], z[f"scales_{l}"]
            assert q.dtype == np.int8 and q.shape == w.shape and np.isfortran(q)
            assert np.abs(q).max() == 20  # each row's largest weight is +-20 steps
            # Rounding to the nearest step: within half a step (plus float32 rounding).
            np.testing.assert_allclose(q * scales[:, None], w, rtol=0,
                                       atol=0.5001 * scales.max() + 1e-7)
            np.testing.assert_array_equal(z[f"biases_{l}"], mlp.biases[l])
        meta = z["meta"].tobytes().decode()
        assert '"dtype": "int8"' in meta and '"weight_levels": 20' in meta
        assert '"epoch": 1' in meta and "history" not in meta  # the learning curve stays home
    # hwd reads the same matrix as numpy
    compact = hwd.load(data)
    with np.load(io.BytesIO(data)) as z:
        expected = z["weights_0"] * z["scales_0"][:, None].astype(np.float64)
    np.testing.assert_allclose(compact.weights[0].rows(), expected, rtol=1e-12, atol=1e-12)


def test_compact_network_answers_as_numpy_reads_it(tmp_path) -> None:
    """hwd's packed int8 forward pass against train.mlp's numpy forward pass, same file."""
    from train.mlp import feedforward64

    network = hwd.load(ROOT / "models" / "quick.npz")
    path = tmp_path / "quick-compact.npz"
    path.write_bytes(compact_bytes(network))
    x = np.random.default_rng(1).random((20, 784)) * (np.random.default_rng(2).random((20, 784)) < 0.2)
    expected = feedforward64(path, x)
    compact = hwd.load(path)
    for row, want in zip(x, expected, strict=True):
        np.testing.assert_allclose(compact.feedforward(row.tolist()), want, atol=1e-9)


def test_compact_network_saved_again_keeps_its_weights() -> None:
    """A compact network written with network_bytes (float32) holds the same weights."""
    compact = hwd.load(compact_bytes(hwd.load(ROOT / "models" / "quick.npz")))
    again = hwd.load(hwd.npzwrite.network_bytes(compact))
    for a, b in zip(compact.weights, again.weights, strict=True):
        np.testing.assert_allclose(a.rows()[:5], b.rows()[:5], rtol=1e-5, atol=1e-9)


def test_compact_matrix_transposes_for_backward_passes() -> None:
    """transpose(), column() and signed dot() (hwd.explain) hold the row scales too."""
    compact = hwd.load(compact_bytes(hwd.load(ROOT / "models" / "quick.npz")))
    w = compact.weights[1]  # 10 x 800
    dense = np.array(w.rows())
    np.testing.assert_allclose(w.column(3), dense[:, 3], rtol=1e-12)
    t = w.transpose()
    np.testing.assert_allclose(np.array(t.rows()), dense.T, rtol=1e-12)
    np.testing.assert_allclose(t.column(4), dense[4, :], rtol=1e-12)
    delta = np.random.default_rng(3).normal(size=10)
    # the inputs are rounded to 30 bits: each of the 10 terms is off by at most a half-step
    bound = len(delta) * np.abs(dense).max() * np.abs(delta).max() * 2.0**-30
    np.testing.assert_allclose(t.dot(delta.tolist(), signed=True), dense.T @ delta,
                               rtol=0, atol=bound)
    np.testing.assert_allclose(np.array(t.transpose().rows()), dense, rtol=1e-12)


def test_int8_lanes_are_as_narrow_as_the_weights_allow_with_the_same_sums() -> None:
    """int8 weights of the site's range (|q| <= 16) pack into 6-byte lanes, the full int8
    range into 7; either way every product equals the one of 8-byte lanes (the packing
    before narrow lanes, rebuilt here) to the last bit, for plain and signed inputs."""
    rng = np.random.default_rng(7)
    n_out, n_in = 300, 784
    a = (rng.random(n_in) * (rng.random(n_in) < 0.3)).tolist()
    signed = rng.normal(size=n_in).tolist()
    for largest, lane_bytes in ((COMPACT_LEVELS, 6), (128, 7)):
        q = rng.integers(-largest, min(largest, 127) + 1, size=(n_out, n_in), dtype=np.int8)
        scales = (rng.random(n_out) + 0.5).tolist()
        data = q.tobytes(order="F")
        narrow = PackedMatrix.from_int8(data, n_out, n_in, scales)
        assert narrow.lane_bytes == lane_bytes and narrow.input_bits == 30
        wide_columns = [int.from_bytes(b"".join(
            (int(v) + 128).to_bytes(8, "little") for v in q[:, i]), "little") for i in range(n_in)]
        wide = PackedMatrix(wide_columns, n_out, 0, 7, scales)
        assert narrow.dot(a) == wide.dot(a)
        assert narrow.dot(signed, signed=True) == wide.dot(signed, signed=True)
        assert narrow.column(5) == wide.column(5)
        expected = (q * np.array(scales)[:, None]) @ np.array(a)  # inputs rounded to 30 bits:
        np.testing.assert_allclose(narrow.dot(a), expected, rtol=0,  # within n_in half-steps
                                   atol=n_in * largest * max(scales) * 2.0**-30)


def test_zip_of_each_member_s_smallest_deflate_is_a_valid_npz() -> None:
    members = {"a": bytes(range(256)) * 10, "b": b"\x00" * 1000}
    huffman = npz_bytes(members, (zlib.Z_HUFFMAN_ONLY,))
    either = npz_bytes(members, (zlib.Z_HUFFMAN_ONLY, zlib.Z_DEFAULT_STRATEGY))
    assert len(either) < len(huffman)  # the runs find matches
    for data in (huffman, either):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None
            assert {n: z.read(n) for n in z.namelist()} == {f"{k}.npy": v
                                                            for k, v in members.items()}


def test_default_network_answers_the_same_on_mnist(mnist, tmp_path) -> None:
    """The shipped default network in the compact encoding, at the level count the manifest
    gives it: its answers change on at most 0.1 % of the MNIST test images and its test
    error moves by at most 0.02 points."""
    from hwd import models
    from train.mlp import feedforward64

    original = models.resolve()
    manifest = models.manifest()
    levels = manifest["networks"][manifest["default"]]["page_levels"]
    path = tmp_path / "compact.npz"
    path.write_bytes(compact_bytes(hwd.load(original), levels))
    _, _, images, labels = mnist
    # feedforward64 gives each network its own input (slant-corrected if its meta says so).
    before = feedforward64(original, images).argmax(1)
    after = feedforward64(path, images).argmax(1)
    changed = int((before != after).sum())
    errors_before, errors_after = int((before != labels).sum()), int((after != labels).sum())
    print(f"levels {levels}: {changed} of {len(labels)} answers changed, errors "
          f"{errors_before} -> {errors_after}, {path.stat().st_size / 1e6:.3f} MB")
    assert changed <= 0.001 * len(labels)
    assert abs(errors_after - errors_before) <= 0.0002 * len(labels)  # 0.02 points
    # and hwd's pure-Python pass on the compact file agrees with numpy
    compact = hwd.load(path)
    assert [compact.predict(x.tolist())[0] for x in images[:200]] == list(after[:200])
