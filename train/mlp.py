"""The perceptron network in numpy: forward pass, backpropagation, and the ``.npz`` file.

Conventions match :mod:`hwd.network`: ``weights[l]`` has shape (out, in),
``biases[l]`` shape (out,), hidden layers use one activation (``relu`` or
``sigmoid``) and the output layer is softmax, trained with cross-entropy.
Inputs are rows of 784 pixels in [0, 1], so a batch ``X`` has shape (n, 784) and
a layer computes ``a @ W.T + b``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .deskew import network_input
from .saving import atomic_write

if TYPE_CHECKING:
    from .distill import Soft

HIDDEN = ("relu", "sigmoid")


class MLP:
    """A multilayer perceptron with ``sizes`` = [784, h1, ..., 10]."""

    def __init__(self, sizes: list[int], activation: str = "relu",
                 rng: np.random.Generator | None = None) -> None:
        if activation not in HIDDEN:
            raise ValueError(f"hidden activation must be one of {HIDDEN}, not {activation!r}")
        if len(sizes) < 2:
            raise ValueError("a network needs at least an input and an output layer")
        rng = rng or np.random.default_rng(0)
        self.sizes, self.activation = list(sizes), activation
        gain = 2.0 if activation == "relu" else 1.0  # He / Glorot-style scaling
        self.weights = [
            (rng.standard_normal((n_out, n_in)) * np.sqrt(gain / n_in)).astype(np.float32)
            for n_in, n_out in itertools.pairwise(sizes)]
        self.biases = [np.zeros(n_out, np.float32) for n_out in sizes[1:]]

    @property
    def parameters(self) -> list[np.ndarray]:
        """Weights and biases, interleaved: [W0, b0, W1, b1, ...]."""
        return [p for wb in zip(self.weights, self.biases, strict=True) for p in wb]

    def feedforward(self, x: np.ndarray) -> np.ndarray:
        """Softmax output probabilities for a batch ``x`` of shape (n, 784)."""
        return self._forward(x, dropout=0.0, rng=None)[-1]

    def _forward(self, x: np.ndarray, dropout: float, rng: np.random.Generator | None,
                 slopes: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """Activations of every layer, input first; inverted dropout on hidden layers.

        With a list ``slopes``, appends d(activation)/dz of each hidden layer, dropout
        included: f'(z) * keep / (1 - p), what backpropagation multiplies delta by.
        """
        activations = [x]
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = activations[-1] @ w.T
            z += b  # in place: one (batch, out) array per layer, not two
            if l == len(self.weights) - 1:
                activations.append(softmax(z))
            else:
                a = np.maximum(z, 0) if self.activation == "relu" else sigmoid(z)
                slope = None if slopes is None else (z > 0) if self.activation == "relu" else (
                    a * (1 - a))
                if dropout and rng is not None:
                    keep = (rng.random(a.shape, dtype=np.float32) >= dropout) / (1 - dropout)
                    a = a * keep
                    slope = None if slope is None else slope * keep
                if slopes is not None:
                    slopes.append(slope.astype(x.dtype, copy=False))
                activations.append(a.astype(x.dtype, copy=False))
        return activations

    def backprop(self, x: np.ndarray, y: np.ndarray, dropout: float = 0.0,
                 rng: np.random.Generator | None = None, soft: Soft | None = None
                 ) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy of batch (x, labels y) and its gradient [dW0, db0, dW1, db1, ...].

        With ``soft`` (teachers' outputs, :mod:`train.distill`) the gradient is the
        distillation objective's; the loss returned stays the labels' cross-entropy.
        """
        slopes: list[np.ndarray] = []
        activations = self._forward(x, dropout, rng, slopes)
        loss, delta = output_delta(activations[-1], y, soft)
        grads: list[np.ndarray] = []
        for l, delta_l in self._deltas(delta, slopes):
            grads[:0] = [delta_l.T @ activations[l], delta_l.sum(axis=0)]
        return loss, grads

    def _deltas(self, delta: np.ndarray, slopes: list[np.ndarray]
                ) -> Iterator[tuple[int, np.ndarray]]:
        """Backpropagation: (l, d(objective)/d(z_l)) for l = L-1 down to 0, from ``delta`` =
        d(objective)/d(output logits) and the hidden layers' ``slopes`` from :meth:`_forward`."""
        for l in range(len(self.weights) - 1, -1, -1):
            yield l, delta
            if l:
                delta = (delta @ self.weights[l]) * slopes[l - 1]

    def logit_gradient(self, x: np.ndarray, digit: int) -> np.ndarray:
        """d(logit of ``digit``)/d(x) for each row of ``x``: the backward pass carried down
        to the input (the reference for :mod:`hwd.explain`)."""
        slopes: list[np.ndarray] = []
        activations = self._forward(x, dropout=0.0, rng=None, slopes=slopes)
        delta = np.zeros((len(x), self.sizes[-1]), activations[-1].dtype)
        delta[:, digit] = 1.0
        *_, (_, delta) = self._deltas(delta, slopes)
        return delta @ self.weights[0]

    def stored_arrays(self, dtype: str) -> tuple[dict[str, np.ndarray], list[int] | None]:
        """The weight and bias arrays as a file of ``dtype`` holds them, and the int16 shifts.

        ``dtype`` is float32, float16, or int16: fixed point W = q / 2**shift with one
        shift per layer, stored column by column so :mod:`hwd` packs it fast.
        """
        shifts = ([15 - int(np.frexp(np.abs(w).max())[1]) for w in self.weights]
                  if dtype == "int16" else None)
        arrays = {}
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if shifts:
                q = np.clip(np.round(w * 2.0 ** shifts[l]), -32768, 32767)
                arrays[f"weights_{l}"] = np.asfortranarray(q.astype("<i2"))
                arrays[f"biases_{l}"] = b.astype(np.float32)
            else:
                arrays[f"weights_{l}"] = w.astype(dtype)
                arrays[f"biases_{l}"] = b.astype(dtype)
        return arrays, shifts

    def as_stored(self, dtype: str) -> MLP:
        """A copy whose weights are rounded as a ``dtype`` file stores them (to measure it)."""
        arrays, shifts = self.stored_arrays(dtype)
        copy = MLP.__new__(MLP)
        copy.sizes, copy.activation = self.sizes, self.activation
        copy.weights = [(arrays[f"weights_{l}"] * 2.0 ** -(shifts[l] if shifts else 0))
                        .astype(np.float32) for l in range(len(self.weights))]
        copy.biases = [arrays[f"biases_{l}"].astype(np.float32) for l in range(len(self.biases))]
        return copy

    def save(self, path: str | os.PathLike, meta: dict, dtype: str = "float32") -> Path:
        """Write the network atomically (temporary file, then rename) as an HWD ``.npz``."""
        arrays, shifts = self.stored_arrays(dtype)
        meta = {"format": "hwd-network", "format_version": 1, "layers": self.sizes,
                "activations": [self.activation] * (len(self.sizes) - 2) + ["softmax"],
                "input": "pixels 28x28 row-major, 0.0 background .. 1.0 ink",
                "dtype": dtype, **meta, **({"weight_shifts": shifts} if shifts else {})}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        return atomic_savez(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MLP:
        """Read an HWD ``.npz`` (float32 weights, whatever dtype the file stores)."""
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(f["meta"].tobytes())
            net = cls.__new__(cls)
            # A single-layer network has no hidden activation; relu is as good a label as any.
            net.sizes, net.activation = meta["layers"], (meta["activations"][:-1] or ["relu"])[0]
            n = len(meta["layers"]) - 1
            shifts = meta.get("weight_shifts") or [0] * n
            net.weights = [weights(f, l, shifts[l]).astype(np.float32) for l in range(n)]
            net.biases = [f[f"biases_{l}"].astype(np.float32) for l in range(n)]
        net.meta = meta
        return net


def output_delta(probs: np.ndarray, y: np.ndarray, soft: Soft | None = None
                 ) -> tuple[float, np.ndarray]:
    """The mean cross-entropy of softmax outputs ``probs`` for labels ``y``, and the gradient
    of the batch's mean objective with respect to each image's logits: the labels' term, or
    with ``soft`` (:mod:`train.distill`) the distillation objective's."""
    n = len(y)
    loss = float(-np.log(probs[np.arange(n), y] + 1e-12).mean())
    delta = probs.copy()
    delta[np.arange(n), y] -= 1  # d(loss)/dz of softmax + cross-entropy
    if soft is not None:
        delta = soft.delta(probs, delta)
    delta /= n
    return loss, delta


def feedforward64(path: str | os.PathLike, x: np.ndarray) -> np.ndarray:
    """Output activations of any network file (HWD or ancestor) in float64: the parity reference.

    Written independently of :mod:`hwd.npz`: it reads the file with numpy and applies
    the ancestor's input scaling itself instead of folding it into biases.
    """
    x = np.asarray(x, np.float64)
    with np.load(path, allow_pickle=False) as f:
        if "meta" in f:
            meta = json.loads(f["meta"].tobytes())
            shifts = meta.get("weight_shifts") or [0] * len(meta["activations"])
            layers = [(weights(f, l, shifts[l]),
                       f[f"biases_{l}"].astype(np.float64), act)
                      for l, act in enumerate(meta["activations"])]
            x = network_input(meta)(x)
        else:
            n = len(f.files) - 1
            layers = [(f[f"arr_{l}"].astype(np.float64), 0.0, "sigmoid") for l in range(1, n + 1)]
            x = 0.01 + 0.99 * x
    a = x
    for w, b, act in layers:
        z = a @ w.T + b
        a = {"relu": lambda z: np.maximum(z, 0), "sigmoid": sigmoid, "softmax": softmax}[act](z)
    if not isinstance(layers[-1][1], np.ndarray):  # ancestor: sigmoid outputs, normalized
        a = a / a.sum(axis=1, keepdims=True)
    return a


def weights(f: np.lib.npyio.NpzFile, l: int, shift: int) -> np.ndarray:
    """W of layer ``l`` in float64: int16 fixed point (q / 2**shift), int8 with a scale per
    row (``scales_l``, the site's compact encoding), or float."""
    q = f[f"weights_{l}"].astype(np.float64)
    if f"scales_{l}" in f.files:
        return q * f[f"scales_{l}"].astype(np.float64)[:, None]
    return q * 2.0**-shift


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum for stability."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """np.savez through a partial file, then rename: never a half-written file (train/saving.py)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        np.savez(f, **arrays)
    return path
