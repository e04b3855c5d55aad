"""Slant correction: shear a 28x28 digit so its ink stands upright.

Deskewing by the second moments of the ink (as Meier et al. 2011 did for their
0.39 % committee of perceptrons on MNIST): with ink-weighted means (cx, cy),
variance var(y) of the rows and covariance cov(x, y), the digit leans by

    alpha = cov(x, y) / var(y)

columns per row.  The image is sheared back about its centre of mass row,
output pixel (x, y) taking the ink at (x + alpha (y - cy), y), linearly
interpolated along the row with nothing outside the image; the centre of mass
stays where it was.  |alpha| is capped at MAX_SLANT.

A network may ask for part of the correction, ``strength`` times the lean
("deskew_strength" in its meta; 1 when absent).  The moments measure the lean
of all the ink, including strokes that are not slant: a 1's flag pulls the ink
of its top to the left, and a full correction then tilts the stem and flattens
the flag into a 7's bar.  A partial one straightens most slanted digits enough
and keeps more of what tells a flagged 1 from a 7 (docs/accuracy.md).

Networks trained on deskewed MNIST say so in their meta ("input_transform":
"deskew"), and :meth:`hwd.network.Network.prepare` then applies this to every
input, with the network's strength.  ``train/deskew.py`` is the numpy twin used
in training, and a test holds the two together.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

SIZE = 28
MAX_SLANT = 1.0  # columns per row: 45 degrees
_COLUMNS = range(SIZE)
PAD = SIZE + 1  # > |shift|, as |alpha| <= MAX_SLANT = 1 and |y - cy| < SIZE
_ZEROS = [0.0] * PAD


def meta_strength(meta: dict) -> float:
    """How much of the lean a network with this ``meta`` reads corrected: 0 (none) to 1.

    ValueError if the meta asks for a transform or a strength this module does not know.
    """
    transform = meta.get("input_transform")
    if transform is None:
        return 0.0
    if transform != "deskew":
        raise ValueError(f"meta's input_transform {str(transform)[:40]!r} is not known "
                         f"(\"deskew\" is)")
    value = meta.get("deskew_strength", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError("meta's deskew_strength must be a number in (0, 1]")
    return float(value)


def slant(pixels: Sequence[float]) -> tuple[float, float]:
    """(alpha, cy): the lean in columns per row and the row of the centre of mass."""
    rows = [pixels[y * SIZE:(y + 1) * SIZE] for y in range(SIZE)]
    ink = [sum(row) for row in rows]  # per row
    moment = [sum(map(operator.mul, row, _COLUMNS)) for row in rows]  # per row: sum of v x
    total = sum(ink)
    if total <= 0:
        return 0.0, 0.0
    cx, cy = sum(moment) / total, sum(map(operator.mul, ink, _COLUMNS)) / total
    # var(y) and cov(x, y), row by row: sum over x of v (x - cx) is moment - cx ink.
    var = sum(v * (y - cy) ** 2 for y, v in enumerate(ink))
    cov = sum((y - cy) * (m - cx * v) for y, (v, m) in enumerate(zip(ink, moment, strict=True)))
    alpha = cov / var if var > 0 else 0.0
    return max(-MAX_SLANT, min(MAX_SLANT, alpha)), cy


def deskew(pixels: Sequence[float], strength: float = 1.0) -> list[float]:
    """The 784 ``pixels`` (row-major, 0..1) sheared upright, by ``strength`` (0..1) times
    their lean (see the module docstring)."""
    alpha, cy = slant(pixels)
    alpha *= strength
    out = []
    for y in range(SIZE):
        row = list(pixels[y * SIZE:(y + 1) * SIZE])
        if not any(row):
            out += row
            continue
        shift = alpha * (y - cy)  # source column = x + shift, between x + k and x + k + 1
        k = math.floor(shift)
        f = shift - k
        padded = _ZEROS + row + _ZEROS  # column x is padded[PAD + x]
        left = padded[PAD + k:PAD + k + SIZE]
        right = padded[PAD + k + 1:PAD + k + 1 + SIZE]
        out += [a + f * (b - a) for a, b in zip(left, right, strict=True)]
    return out
