"""Look inside the network: what it computed for one drawing, and why it answered as it did.

Everything is exact for the network as loaded, whatever its layer sizes and hidden
activations (ReLU or sigmoid).  With ``weights[l]`` = W_l of shape (out, in)::

    z_l = W_l · a_l + b_l,      a_{l+1} = f_l(z_l),      a_0 = network.prepare(pixels)

* :func:`trace` keeps every layer of the forward pass: the hidden activations, and the
  logits z_{L-1} (the output layer's values before softmax).
* :func:`evidence` is *gradient x input* of one digit's logit: for each pixel i,
  ``a_0[i] * d z_{L-1}[digit] / d a_0[i]``.  Positive: the ink there pushed the network
  towards that digit; negative: against it.  The gradient comes from backpropagation::

      delta_{L-1} = e_digit,   g_l = W_l^T · delta_l,   delta_{l-1} = g_l * f'_{l-1}(z_{l-1})

  and the input gradient is g_0.
* :func:`unit_weights` and :func:`unit_drive` show what a first-layer unit looks for
  (its 784 incoming weights) and how it moves the ten logits through the rest of the
  network for this drawing (d z_{L-1} / d a_1[unit], forward-mode).

Speed: W^T · delta uses W^T packed like W (:meth:`PackedMatrix.transpose`, built once per
weight matrix, when first needed) and the packed product for inputs of any sign, so each product
costs one big-integer multiply-add per non-zero entry of delta (ReLUs that are off
contribute nothing), as in the forward pass.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from .network import ACTIVATIONS, Network, Vector
from .packed import PackedMatrix

# W^T of each weight matrix, kept as long as the matrix (networks adapted from another one
# share its matrices, and so their transposes).
_transposed: weakref.WeakKeyDictionary[PackedMatrix, PackedMatrix] = weakref.WeakKeyDictionary()


@dataclass
class Trace:
    """One forward pass, layer by layer: ``activations`` = [a_0, a_1, ..., a_L] (a_0 the
    network's input, a_L the ten probabilities) and ``zs`` = [z_0, ..., z_{L-1}]."""

    activations: list[Vector]
    zs: list[Vector]

    @property
    def logits(self) -> Vector:
        """The output layer's values before softmax (z_{L-1})."""
        return self.zs[-1]

    @property
    def probabilities(self) -> Vector:
        """The network's output: ten probabilities."""
        return self.activations[-1]

    @property
    def digit(self) -> int:
        """The recognized digit (the most probable)."""
        p = self.probabilities
        return max(range(len(p)), key=p.__getitem__)

    @property
    def hidden(self) -> list[Vector]:
        """The activations of each hidden layer, first to last."""
        return self.activations[1:-1]


def trace(network: Network, pixels: Sequence[float]) -> Trace:
    """The forward pass for 28x28 ``pixels``, keeping every layer's z and activations."""
    a = network.prepare(pixels)
    activations, zs = [a], []
    for w, b, f in zip(network.weights, network.biases, network.activations, strict=True):
        z = [zj + bj for zj, bj in zip(w.dot(a), b, strict=True)]
        a = ACTIVATIONS[f](z)
        zs.append(z)
        activations.append(a)
    return Trace(activations, zs)


def transposed(network: Network) -> list[PackedMatrix]:
    """W_l^T for every layer, packed once per weight matrix (on first use) and kept with it."""
    for w in network.weights:
        if w not in _transposed:
            _transposed[w] = w.transpose()
    return [_transposed[w] for w in network.weights]


def derivative(activation: str, z: Vector, a: Vector) -> Vector:
    """f'(z) of a hidden layer, from its z and its activations a = f(z)."""
    if activation == "relu":
        return [1.0 if v > 0.0 else 0.0 for v in z]
    if activation == "sigmoid":
        return [s * (1.0 - s) for s in a]
    raise ValueError(f"no derivative for a hidden layer of {activation!r}")


def logit_gradient(network: Network, trace: Trace, digit: int) -> Vector:
    """d z_{L-1}[digit] / d a_0: how the digit's logit changes with each input pixel."""
    weights_t = transposed(network)
    delta = [0.0] * network.sizes[-1]
    delta[digit] = 1.0
    for l in range(len(network.weights) - 1, 0, -1):
        g = weights_t[l].dot(delta, signed=True)
        f_prime = derivative(network.activations[l - 1], trace.zs[l - 1], trace.activations[l])
        delta = [gi * d for gi, d in zip(g, f_prime, strict=True)]
    return weights_t[0].dot(delta, signed=True)


def evidence(network: Network, trace: Trace, digit: int) -> Vector:
    """Gradient x input of the digit's logit: each input pixel's push towards (> 0) or
    against (< 0) that digit."""
    gradient = logit_gradient(network, trace, digit)
    return [g * x for g, x in zip(gradient, trace.activations[0], strict=True)]


def unit_weights(network: Network, unit: int) -> Vector:
    """The 784 incoming weights of first-layer unit ``unit`` (row ``unit`` of W_0)."""
    return transposed(network)[0].column(unit)


def unit_drive(network: Network, trace: Trace, unit: int) -> Vector:
    """d z_{L-1} / d a_1[unit]: how much each of the ten logits rises (or falls) per unit of
    that first-layer unit's activation, through the rest of the network for this drawing.
    For a network with one hidden layer these are just the unit's outgoing weights."""
    if len(network.weights) < 2:
        raise ValueError("this network has no hidden layer")
    u = network.weights[1].column(unit)
    for l in range(2, len(network.weights)):
        f_prime = derivative(network.activations[l - 1], trace.zs[l - 1], trace.activations[l])
        u = network.weights[l].dot([ui * d for ui, d in zip(u, f_prime, strict=True)],
                                    signed=True)
    return u


def strongest(values: Sequence[float], n: int) -> list[int]:
    """The indices of the ``n`` largest values, largest first (ties: lower index first)."""
    return heapq.nlargest(n, range(len(values)), key=values.__getitem__)
