"""Slant correction: shear a 28x28 digit so its ink stands upright.

Deskewing by the second moments of the ink (as Meier et al. 2011 did for their
0.39 % committee of perceptrons on MNIST): with ink-weighted means (cx, cy),
variance var(y) of the rows and covariance cov(x, y), the digit leans by

    alpha = cov(x, y) / var(y)

columns per row.  The image is sheared back about its centre of mass row,
output pixel (x, y) taking the ink at (x + alpha (y - cy), y), linearly
interpolated along the row with nothing outside the image; the centre of mass
stays where it was.  |alpha| is capped at MAX_SLANT.

Networks trained on deskewed MNIST say so in their meta ("input_transform":
"deskew"), and :meth:`hwd.network.Network.prepare` then applies this to every
input.  ``train/deskew.py`` is the numpy twin used in training, and a test holds
the two together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SIZE = 28
MAX_SLANT = 1.0  # columns per row: 45 degrees


def slant(pixels: Sequence[float]) -> tuple[float, float]:
    """(alpha, cy): the lean in columns per row and the row of the centre of mass."""
    total = sx = sy = 0.0
    for i, v in enumerate(pixels):
        if v:
            total += v
            sx += v * (i % SIZE)
            sy += v * (i // SIZE)
    if total <= 0:
        return 0.0, 0.0
    cx, cy = sx / total, sy / total
    var = cov = 0.0
    for i, v in enumerate(pixels):
        if v:
            dy = i // SIZE - cy
            var += v * dy * dy
            cov += v * dy * (i % SIZE - cx)
    alpha = cov / var if var > 0 else 0.0
    return max(-MAX_SLANT, min(MAX_SLANT, alpha)), cy


def deskew(pixels: Sequence[float]) -> list[float]:
    """The 784 ``pixels`` (row-major, 0..1) sheared upright (see the module docstring)."""
    alpha, cy = slant(pixels)
    out = [0.0] * (SIZE * SIZE)
    for y in range(SIZE):
        shift = alpha * (y - cy)  # source column = x + shift
        k = math.floor(shift)
        f = shift - k
        row = pixels[y * SIZE:(y + 1) * SIZE]
        for x in range(max(0, -k - 1), min(SIZE, SIZE - k)):
            left = row[x + k] if x + k >= 0 else 0.0
            right = row[x + k + 1] if x + k + 1 < SIZE else 0.0
            out[y * SIZE + x] = (1 - f) * left + f * right
    return out
