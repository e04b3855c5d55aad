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

import functools
from dataclasses import dataclass

import numpy as np

from .european import add_strokes
from .warp import warp

SIDE = 28
_CENTRE = (SIDE - 1) / 2
# Eigenvalues of the smoothing kept for elastic fields: the 9th of G (sigma 5) is 5e-4 of the
# first, and a field scales with their product.
FIELD_RANK = 8
_R, _C = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) - _CENTRE  # pixel offsets from the centre


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
    long_slashes: bool = False  # European 0s with train.european._long_slash
    centre_by_mass: bool = False  # European digits placed by their centre of mass, as MNIST's

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
            x = add_strokes(x, labels, self.european, rng, self.long_slashes,
                            self.centre_by_mass)
        if self.thickness:
            x = _thicken(x, rng.uniform(-self.thickness, self.thickness, n).astype(np.float32))
        warped = warp(x, *self._source_coordinates(n, rng))
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
        shifts = rng.uniform(-self.shift, self.shift, (2, n)) + _CENTRE
        m, shifts = m.astype(np.float32)[..., None, None], shifts.astype(np.float32)[..., None, None]
        rows = m[:, 0, 0] * _R + m[:, 0, 1] * _C + shifts[0]
        cols = m[:, 1, 0] * _R + m[:, 1, 1] * _C + shifts[1]
        if self.alpha:
            rows += self.alpha * _smooth_noise(n, self.sigma, rng)
            cols += self.alpha * _smooth_noise(n, self.sigma, rng)
        return rows, cols


def _gaussian_matrix(sigma: float) -> np.ndarray:
    """G with G @ f = f convolved with a normalized Gaussian (zero outside the image)."""
    i = np.arange(SIDE)
    g = np.exp(-((i[:, None] - i[None, :]) ** 2) / (2 * sigma**2))
    return g / np.sqrt(2 * np.pi * sigma**2)


@functools.lru_cache
def _field_basis(sigma: float) -> np.ndarray:
    """B = U S over G's largest eigenvalues, G = U S U^T: a smooth field is B h B^T."""
    values, vectors = np.linalg.eigh(_gaussian_matrix(sigma))
    largest = np.argsort(-np.abs(values))[:FIELD_RANK]
    return (vectors[:, largest] * values[largest]).astype(np.float32)


def _smooth_noise(n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Fields G f G^T: uniform(-1, 1) noise f smoothed by a 2-D Gaussian G, one per image.

    Sampled in G's eigenbasis: G f G^T = B h B^T with h = U^T f U, whose entries are
    uncorrelated with f's variance 1/3 (and, as sums of many, nearly normal).  G's
    eigenvalues fall so fast that FIELD_RANK of them hold it all, so a field costs an
    8x8 normal draw instead of two 28x28 products.  einsum, not BLAS: this runs beside
    the training's matrix products (train.batches), and BLAS would share their threads.
    """
    basis = _field_basis(sigma)
    h = rng.standard_normal((n, FIELD_RANK, FIELD_RANK), dtype=np.float32)
    h *= np.float32(3**-0.5)
    return np.einsum("naj,bj->nab", np.einsum("ai,nij->naj", basis, h), basis)


def _thicken(x: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Blend each image towards its 3x3-cross dilation (amount > 0) or erosion (amount < 0)."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    neighbours = np.stack([p[:, 1:-1, 1:-1], p[:, :-2, 1:-1], p[:, 2:, 1:-1],
                           p[:, 1:-1, :-2], p[:, 1:-1, 2:]])
    target = np.where(amount[:, None, None] > 0, neighbours.max(0), neighbours.min(0))
    return x + np.abs(amount)[:, None, None] * (target - x)
