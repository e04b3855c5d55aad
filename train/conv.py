"""A small convolutional network in numpy, trained only to teach the perceptron the page runs.

The page runs one multilayer perceptron (issue #14: no convolutions there). A network
that looks at a digit through small shared filters errs differently from perceptrons,
which all see the same 784 pixels the same way; its softened answers are what a
perceptron student learns from (:mod:`train.distill`; Hinton et al. 2015, and Urban et
al. 2017 for convolutional teachers of perceptrons).

The architecture is LeNet's, widened (LeCun et al. 1998): images (n, 28, 28, 1) ->
conv 5x5, 32 filters -> ReLU -> max-pool 2x2 -> conv 5x5, 64 filters -> ReLU -> max-pool
2x2 -> dense 1024 -> 256 -> ReLU -> dense 256 -> 10 -> softmax. A convolution is one
matrix product over the image's 5x5 patches ("im2col"): ``patches(a) @ kernel``, with
``kernel`` of shape (25 * channels_in, channels_out). Its files say ``"format":
"hwd-conv-teacher"``, which :func:`hwd.load` refuses: they are for the trainer only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .mlp import atomic_savez, output_delta, softmax

if TYPE_CHECKING:
    from .distill import Soft

FORMAT = "hwd-conv-teacher"
SIDE, K = 28, 5  # image side, filter side
CHANNELS = (1, 32, 64)  # image, first and second convolution's filters
HIDDEN = 256  # units of the dense hidden layer
FLAT = 4 * 4 * CHANNELS[-1]  # after two convolutions and poolings: 28 -> 24 -> 12 -> 8 -> 4


class ConvNet:
    """Two convolutions with max-pooling, then a perceptron with one hidden layer.

    ``parameters`` are [kernel_0, bias_0, kernel_1, bias_1, weights_2, bias_2, weights_3,
    bias_3]; dense weights have shape (in, out) here, as the kernels do.
    """

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        rng = rng or np.random.default_rng(0)
        shapes = [(K * K * CHANNELS[0], CHANNELS[1]), (K * K * CHANNELS[1], CHANNELS[2]),
                  (FLAT, HIDDEN), (HIDDEN, 10)]
        self.weights = [(rng.standard_normal(s) * np.sqrt(2 / s[0])).astype(np.float32)
                        for s in shapes]  # He initialization, for ReLU
        self.biases = [np.zeros(s[1], np.float32) for s in shapes]
        self.meta: dict = {}

    @property
    def parameters(self) -> list[np.ndarray]:
        """Weights and biases, interleaved, as the optimizers update them."""
        return [p for wb in zip(self.weights, self.biases, strict=True) for p in wb]

    def feedforward(self, x: np.ndarray) -> np.ndarray:
        """Softmax output probabilities for a batch ``x`` of shape (n, 784)."""
        return self._forward(x)[-1]

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        """The layers' values, in order: the image's patches, the first convolution's ReLU,
        its pooling and that's patches, the second ReLU, its pooling (flattened), the dense
        hidden ReLU, the output probabilities."""
        patches_0 = patches(x.reshape(len(x), SIDE, SIDE, 1))
        relu_0 = convolve(patches_0, self.weights[0], self.biases[0], SIDE - K + 1)
        pooled_0 = pool(relu_0)
        patches_1 = patches(pooled_0)
        relu_1 = convolve(patches_1, self.weights[1], self.biases[1], pooled_0.shape[1] - K + 1)
        flat = pool(relu_1).reshape(len(x), FLAT)
        hidden = np.maximum(flat @ self.weights[2] + self.biases[2], 0)
        return [patches_0, relu_0, pooled_0, patches_1, relu_1, flat, hidden,
                softmax(hidden @ self.weights[3] + self.biases[3])]

    def backprop(self, x: np.ndarray, y: np.ndarray, dropout: float = 0.0,
                 rng: np.random.Generator | None = None, soft: Soft | None = None
                 ) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy of batch (x, labels y) and its gradient, in ``parameters``' order
        (``soft``: the distillation objective's gradient, as :meth:`train.mlp.MLP.backprop`).
        """
        if dropout:
            raise ValueError("the convolutional teacher has no dropout")
        patches_0, relu_0, pooled_0, patches_1, relu_1, flat, hidden, probs = self._forward(x)
        n = len(x)
        loss, delta = output_delta(probs, y, soft)
        grads = [hidden.T @ delta, delta.sum(0)]
        delta = (delta @ self.weights[3].T) * (hidden > 0)
        grads[:0] = [flat.T @ delta, delta.sum(0)]
        delta = (delta @ self.weights[2].T).reshape(n, 4, 4, CHANNELS[2])
        delta = unpool(relu_1, delta) * (relu_1 > 0)
        rows = delta.reshape(-1, CHANNELS[2])
        pooled_grad = patch_sums(rows @ self.weights[1].T, pooled_0.shape)
        grads[:0] = [patches_1.T @ rows, rows.sum(0)]
        rows = (unpool(relu_0, pooled_grad) * (relu_0 > 0)).reshape(-1, CHANNELS[1])
        grads[:0] = [patches_0.T @ rows, rows.sum(0)]
        return loss, grads

    def as_stored(self, dtype: str) -> ConvNet:
        """Itself: a teacher's file keeps float32 whatever ``dtype`` the student is stored in."""
        return self

    def save(self, path: str | os.PathLike, meta: dict, dtype: str = "float32") -> Path:
        """Write the network atomically as a teacher's ``.npz`` (float32 always)."""
        meta = {**meta, "format": FORMAT, "layers": "conv", "dtype": "float32"}
        arrays = {f"{kind}_{l}": p for l, (w, b) in enumerate(zip(self.weights, self.biases,
                                                                   strict=True))
                  for kind, p in (("weights", w), ("biases", b))}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ConvNet:
        """Read a file :meth:`save` wrote."""
        net = cls.__new__(cls)
        with np.load(path, allow_pickle=False) as f:
            net.meta = json.loads(f["meta"].tobytes())
            net.weights = [f[f"weights_{l}"].astype(np.float32) for l in range(4)]
            net.biases = [f[f"biases_{l}"].astype(np.float32) for l in range(4)]
        return net


def is_conv_file(path: str | os.PathLike) -> bool:
    """True for a file :meth:`ConvNet.save` wrote (False for any other network file, the
    ancestor's, which have no meta, included)."""
    with np.load(path, allow_pickle=False) as f:
        return "meta" in f and json.loads(f["meta"].tobytes()).get("format") == FORMAT


def patches(a: np.ndarray) -> np.ndarray:
    """Every KxK patch of images ``a`` (n, h, w, c) as a row, (n * (h-K+1) * (w-K+1), K*K*c),
    ordered by patch row, patch column, channel (a kernel's rows are ordered the same)."""
    windows = np.lib.stride_tricks.sliding_window_view(a, (K, K), axis=(1, 2))
    # (n, h', w', c, K, K) -> (n, h', w', K, K, c): channels innermost, so the copy that
    # reshape makes reads runs of c neighbouring floats.
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, K * K * a.shape[3])


def convolve(rows: np.ndarray, kernel: np.ndarray, bias: np.ndarray, side: int) -> np.ndarray:
    """ReLU of a valid convolution (cross-correlation, as in every network library), from the
    :func:`patches` ``rows`` of n images and ``kernel`` (K*K*c, filters): (n, side, side,
    filters)."""
    z = rows @ kernel
    z += bias
    np.maximum(z, 0, out=z)
    return z.reshape(-1, side, side, kernel.shape[1])


def patch_sums(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of :func:`patches` for gradients: an array of ``shape`` (n, h, w, c) in
    which each pixel sums its value in every patch row it took part in (up to KxK)."""
    n, h, w, c = shape
    by_patch = rows.reshape(n, h - K + 1, w - K + 1, K, K, c)
    total = np.zeros(shape, rows.dtype)
    for i in range(K):
        for j in range(K):
            total[:, i:i + h - K + 1, j:j + w - K + 1] += by_patch[:, :, :, i, j]
    return total


def pool(a: np.ndarray) -> np.ndarray:
    """2x2 max-pooling of ``a`` (n, h, w, c) with even h and w: (n, h/2, w/2, c)."""
    n, h, w, c = a.shape
    return a.reshape(n, h // 2, 2, w // 2, 2, c).max((2, 4))


def unpool(a: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """d/d(a) of :func:`pool` from ``delta`` = d/d(pool(a)): to each window's maximum (to
    every tied one: a ReLU's zeros tie, but their slope is zero anyway)."""
    n, h, w, c = a.shape
    windows = a.reshape(n, h // 2, 2, w // 2, 2, c)
    at_max = windows == windows.max((2, 4), keepdims=True)
    return (at_max * delta[:, :, None, :, None, :]).reshape(n, h, w, c)
