"""A multilayer perceptron at inference time, in pure Python.

The goal is a forward pass that reads like the equation and runs where numpy
cannot (Pyodide in the browser).  For each layer ``l``::

    a_{l+1} = f_l(W_l · a_l + b_l)

where ``W_l`` has shape (out, in) (given as a list of rows, or packed), ``b_l`` is
a list of ``out`` floats and ``f_l`` is ``relu``, ``sigmoid`` or, on the last
layer, ``softmax``.  The input ``a_0`` is 784 pixels of a 28x28 image in
row-major order, 0.0 = background and 1.0 = ink.

Speed comes from one helper, :class:`hwd.packed.PackedMatrix`: each column of
W lives in one big integer, so ``W · a`` costs one C-level multiply-add per
non-zero input (most pixels are background, most ReLUs are off) instead of a
Python loop over every weight.  With int16 fixed-point weights (the shipped
networks) it is exact up to rounding the activations to ~30 bits; float
weights are first rounded to 24 bits of the matrix's largest weight.  It is
10-25x faster than visiting every weight, even with ``math.sumprod``
(bench/infer_speed.py measures both).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .deskew import deskew, meta_strength
from .packed import PackedMatrix

Vector = list[float]
Matrix = list[list[float]]


def relu(z: Vector) -> Vector:
    """max(0, z) element-wise."""
    return [v if v > 0.0 else 0.0 for v in z]


def sigmoid(z: Vector) -> Vector:
    """1 / (1 + e^-z) element-wise, without overflow for large |z|."""
    return [1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)) for v in z]


def softmax(z: Vector) -> Vector:
    """e^z / sum(e^z), shifted by max(z) for stability."""
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    total = sum(exps)
    return [e / total for e in exps]


def normalized_sigmoid(z: Vector) -> Vector:
    """Sigmoid outputs scaled to sum to 1 (the ancestor's output layer, read as probabilities)."""
    s = sigmoid(z)
    total = sum(s)
    return [v / total for v in s]


ACTIVATIONS: dict[str, Callable[[Vector], Vector]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "normalized_sigmoid": normalized_sigmoid,
}


class Network:
    """A perceptron network: ``sizes`` = [784, h1, ..., 10] and one activation per layer."""

    def __init__(self, weights: Sequence[PackedMatrix | Matrix], biases: Sequence[Vector],
                 activations: Sequence[str], meta: dict | None = None) -> None:
        """``weights[l]``: W_l of shape (out, in), as float rows or already packed."""
        self.weights = [w if isinstance(w, PackedMatrix) else PackedMatrix.from_rows(w)
                        for w in weights]
        self.biases = [list(map(float, b)) for b in biases]
        self.activations = list(activations)
        self.meta = meta or {}
        if not (len(self.weights) == len(self.biases) == len(self.activations) > 0):
            raise ValueError("need as many weight matrices, bias vectors and activations (>= 1)")
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if w.shape[0] != len(b):
                raise ValueError(f"layer {l}: {w.shape[0]} weight rows but {len(b)} biases")
            if l and w.shape[1] != self.weights[l - 1].shape[0]:
                raise ValueError(f"layer {l}: takes {w.shape[1]} inputs, previous layer gives "
                                 f"{self.weights[l - 1].shape[0]}")
        unknown = set(self.activations) - set(ACTIVATIONS)
        if unknown:
            raise ValueError(f"unknown activation(s): {', '.join(sorted(unknown))}")

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, input first: e.g. [784, 800, 10]."""
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    def prepare(self, pixels: Sequence[float]) -> Vector:
        """The input this network reads for 28x28 ``pixels`` (row-major, 0..1): the pixels
        themselves, unless the network's meta asks for more preprocessing: "input_transform":
        "deskew" (it was trained on slant-corrected digits, :mod:`hwd.deskew`, by its
        "deskew_strength")."""
        strength = meta_strength(self.meta)
        return deskew(pixels, strength) if strength else list(pixels)

    def feedforward(self, a: Sequence[float]) -> Vector:
        """The output activations (ten probabilities) for the input pixels ``a``."""
        a = self.prepare(a)
        for w, b, f in zip(self.weights, self.biases, self.activations, strict=True):
            a = ACTIVATIONS[f]([z + bj for z, bj in zip(w.dot(a), b, strict=True)])
        return list(a)

    def predict(self, a: Sequence[float]) -> tuple[int, Vector]:
        """The most probable digit and the ten probabilities."""
        probabilities = self.feedforward(a)
        return max(range(len(probabilities)), key=probabilities.__getitem__), probabilities
