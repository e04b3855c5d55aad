"""Slant correction for a batch of digits in numpy: the twin of :mod:`hwd.deskew`.

The same map (a shear about the centre of mass row by alpha = cov(x, y) / var(y),
capped at +-MAX_SLANT, times a strength, linear along rows, zero outside), written
independently with array operations so the trainer can deskew MNIST and its
augmented copies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from hwd.deskew import MAX_SLANT, meta_strength

SIDE = 28
_INDEX = np.arange(SIDE)


def network_input(meta: dict) -> Callable[[np.ndarray], np.ndarray]:
    """What a network with this ``meta`` does to its input pixels (n, 784) before its first
    layer (:meth:`hwd.network.Network.prepare`)."""
    share = meta_strength(meta)
    return functools.partial(deskew, strength=share) if share else np.asarray


def deskew(images: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Deskewed copies of ``images`` (n, 784), in their dtype, by ``strength`` times their
    lean."""
    n = len(images)
    x = images.reshape(n, SIDE, SIDE)
    moments = x.astype(np.float64)
    row_ink, column_ink = moments.sum(2), moments.sum(1)  # (n, 28) each
    total = np.maximum(row_ink.sum(1), 1e-300)
    cy, cx = row_ink @ _INDEX / total, column_ink @ _INDEX / total
    dy, dx = _INDEX - cy[:, None], _INDEX - cx[:, None]
    var = (row_ink * dy**2).sum(1)
    cov = ((moments * dx[:, None, :]).sum(2) * dy).sum(1)
    alpha = strength * np.clip(np.divide(cov, var, out=np.zeros(n), where=var > 0),
                               -MAX_SLANT, MAX_SLANT)
    shift = alpha[:, None] * dy  # (n, 28): source column = x + shift on each row
    k = np.floor(shift)
    f = (shift - k).astype(images.dtype)[:, :, None]
    k = k.astype(np.int64)[:, :, None] + _INDEX  # (n, 28, 28) source columns, left of x
    # Columns -1 and 28 are zero padding; a source further out gives nothing.
    padded = np.zeros((n, SIDE, SIDE + 2), images.dtype)
    padded[:, :, 1:-1] = x
    inside = (k >= -1) & (k < SIDE)
    start = (np.arange(n * SIDE) * (SIDE + 2)).reshape(n, SIDE, 1)
    i = start + np.clip(k, -1, SIDE - 1) + 1
    flat = padded.ravel()
    left, right = flat.take(i), flat.take(i + 1)
    out = (left + f * (right - left)) * inside
    return out.reshape(n, SIDE * SIDE)
