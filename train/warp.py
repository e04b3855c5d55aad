"""Bilinear resampling of a batch of 28x28 images through any map of coordinates."""

from __future__ import annotations

import numpy as np

SIDE = 28


def warp(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear sampling of images x (n, 28, 28) at float32 (rows, cols); zero outside."""
    n, w = len(x), SIDE + 2
    padded = np.zeros((n, w, w), np.float32)
    padded[:, 1:-1, 1:-1] = x
    rows = np.clip(rows + 1, 0, SIDE + 1 - 1e-3)  # +1: padded coordinates, all >= 0
    cols = np.clip(cols + 1, 0, SIDE + 1 - 1e-3)
    r0, c0 = rows.astype(np.int32), cols.astype(np.int32)  # floor, as both are >= 0
    fr, fc = rows - r0, cols - c0
    # Flat index of each sample's top-left neighbour in the whole batch; the other three
    # are +1, +w and +w+1 (never past the padding, as r0, c0 <= SIDE).
    i = r0 * w + c0 + (np.arange(n, dtype=np.int32) * w * w)[:, None, None]
    flat = padded.ravel()
    top_left, top_right = flat.take(i), flat.take(i + 1)
    bottom_left, bottom_right = flat.take(i + w), flat.take(i + w + 1)
    top = top_left + fc * (top_right - top_left)
    bottom = bottom_left + fc * (bottom_right - bottom_left)
    return top + fr * (bottom - top)
