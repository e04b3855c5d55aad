"""Data augmentation for 28x28 digits, vectorized over a batch.

Each image is resampled (bilinear) through a random geometric map: an affine
part (rotation, scale, shear, shift; the ancestor rotated by +-10 degrees) plus
an optional elastic displacement field (Simard et al. 2003: uniform noise
smoothed by a Gaussian of width ``sigma`` and scaled by ``alpha``).  A random
stroke-thickness change (grey dilation or erosion, partially blended) mimics
the range of pen widths a drawing pad and MNIST's scanners produce, and
``european`` adds the bar, slash or flag of European 7s, 0s and 1s
(:mod:`train.european`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .european import add_strokes

SIDE = 28
_CENTRE = (SIDE - 1) / 2


@dataclass(frozen=True)
class Augment:
    """Ranges of the random distortions; zero turns one off."""

    rotate: float = 0.0  # max rotation, degrees
    scale: float = 0.0  # max relative change of size
    shear: float = 0.0  # max shear factor
    shift: float = 0.0  # max translation, px
    alpha: float = 0.0  # elastic displacement strength, px
    sigma: float = 5.0  # elastic smoothness, px
    thickness: float = 0.0  # max blend towards dilation (+) or erosion (-)
    european: float = 0.0  # fraction of 0s, 1s and 7s drawn European-style

    @property
    def active(self) -> bool:
        """True if any distortion is switched on."""
        return any((self.rotate, self.scale, self.shear, self.shift, self.alpha, self.thickness,
                    self.european))

    def __call__(self, images: np.ndarray, rng: np.random.Generator,
                 labels: np.ndarray | None = None) -> np.ndarray:
        """Distorted copies of ``images`` (n, 784) float32 (``labels`` for ``european``)."""
        if not self.active:
            return images
        n = len(images)
        x = images.reshape(n, SIDE, SIDE)
        if self.european and labels is not None:
            x = add_strokes(x, labels, self.european, rng)
        if self.thickness:
            x = _thicken(x, rng.uniform(-self.thickness, self.thickness, n).astype(np.float32))
        warped = _warp(x, self._source_coordinates(n, rng))
        return warped.reshape(n, SIDE * SIDE).astype(np.float32, copy=False)

    def _source_coordinates(self, n: int, rng: np.random.Generator
                            ) -> tuple[np.ndarray, np.ndarray]:
        """For every output pixel of every image, the (row, column) to sample from."""
        theta = np.deg2rad(rng.uniform(-self.rotate, self.rotate, n))
        zoom = 1 + rng.uniform(-self.scale, self.scale, n)
        shear = rng.uniform(-self.shear, self.shear, n)
        cos, sin = np.cos(theta) / zoom, np.sin(theta) / zoom
        # Inverse map: output (r, c) -> source; rotation and zoom, then a horizontal shear.
        m = np.stack([np.stack([cos, -sin], -1),
                      np.stack([sin + shear * cos, cos - shear * sin], -1)], -2)  # (n, 2, 2)
        r, c = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) - _CENTRE
        rows = m[:, 0, 0, None, None] * r + m[:, 0, 1, None, None] * c + _CENTRE
        cols = m[:, 1, 0, None, None] * r + m[:, 1, 1, None, None] * c + _CENTRE
        shifts = rng.uniform(-self.shift, self.shift, (2, n, 1, 1))
        rows, cols = rows + shifts[0], cols + shifts[1]
        if self.alpha:
            rows = rows + self.alpha * _smooth_noise(n, self.sigma, rng)
            cols = cols + self.alpha * _smooth_noise(n, self.sigma, rng)
        return rows.astype(np.float32), cols.astype(np.float32)


def _gaussian_matrix(sigma: float) -> np.ndarray:
    """G with G @ f = f convolved with a normalized Gaussian (zero outside the image)."""
    i = np.arange(SIDE)
    g = np.exp(-((i[:, None] - i[None, :]) ** 2) / (2 * sigma**2))
    return (g / np.sqrt(2 * np.pi * sigma**2)).astype(np.float32)


def _smooth_noise(n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform(-1, 1) noise fields smoothed by a 2-D Gaussian: G f G^T for each field."""
    g = _gaussian_matrix(sigma)
    return g @ rng.uniform(-1, 1, (n, SIDE, SIDE)).astype(np.float32) @ g.T


def _warp(x: np.ndarray, coordinates: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Bilinear sampling of images x (n, 28, 28) at (rows, cols); zero outside."""
    rows, cols = coordinates
    n = len(x)
    padded = np.zeros((n, SIDE + 2, SIDE + 2), np.float32)
    padded[:, 1:-1, 1:-1] = x
    rows = np.clip(rows + 1, 0, SIDE + 1 - 1e-3)  # +1: padded coordinates
    cols = np.clip(cols + 1, 0, SIDE + 1 - 1e-3)
    r0, c0 = np.floor(rows).astype(np.int32), np.floor(cols).astype(np.int32)
    r1, c1 = np.minimum(r0 + 1, SIDE + 1), np.minimum(c0 + 1, SIDE + 1)
    fr, fc = rows - r0, cols - c0
    flat = padded.reshape(n, -1)
    w = SIDE + 2

    def at(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.take_along_axis(flat, (r * w + c).reshape(n, -1), 1).reshape(n, SIDE, SIDE)

    top = at(r0, c0) * (1 - fc) + at(r0, c1) * fc
    bottom = at(r1, c0) * (1 - fc) + at(r1, c1) * fc
    return top * (1 - fr) + bottom * fr


def _thicken(x: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Blend each image towards its 3x3-cross dilation (amount > 0) or erosion (amount < 0)."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    neighbours = np.stack([p[:, 1:-1, 1:-1], p[:, :-2, 1:-1], p[:, 2:, 1:-1],
                           p[:, 1:-1, :-2], p[:, 1:-1, 2:]])
    target = np.where(amount[:, None, None] > 0, neighbours.max(0), neighbours.min(0))
    return x + np.abs(amount)[:, None, None] * (target - x)
