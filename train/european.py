"""European-style digits drawn onto MNIST ones: crossed 7s, slashed 0s, flagged 1s.

MNIST was written mostly by Americans: its 7s have no bar, its 0s no slash, and
few of its 1s carry a long flag.  People drawing on the pad use all three.  This
augmentation adds the missing stroke to a random fraction of those digits,
placed relative to each digit's ink bounding box and drawn with an
anti-aliased pen of MNIST's width, so the network learns them without seeing
a single real drawing.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
PEN_RADIUS = 1.1  # px; MNIST strokes are about 2-3 px wide
_Y, _X = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) + 0.5  # pixel centres


def add_strokes(images: np.ndarray, labels: np.ndarray, p: float,
                rng: np.random.Generator) -> np.ndarray:
    """Copies of ``images`` (n, 28, 28) where a fraction ``p`` of 0s, 1s and 7s got their stroke."""
    out = images.copy()
    for digit, segment in ((7, _bar), (0, _slash), (1, _flag)):
        chosen = np.flatnonzero((labels == digit) & (rng.random(len(labels)) < p))
        if len(chosen):
            box = _ink_box(images[chosen])
            start, end = segment(box, images[chosen], rng)
            out[chosen] = np.maximum(out[chosen], _draw(start, end))
    return out


def _ink_box(x: np.ndarray) -> np.ndarray:
    """(n, 4) float: left, top, right, bottom edges of each image's ink (> 0.2)."""
    rows, cols = (x > 0.2).any(2), (x > 0.2).any(1)
    left, top = cols.argmax(1), rows.argmax(1)
    right, bottom = SIDE - cols[:, ::-1].argmax(1), SIDE - rows[:, ::-1].argmax(1)
    return np.stack([left, top, right, bottom], 1).astype(np.float32)


def _bar(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """A horizontal bar across a 7's stem, a little below half height."""
    left, top, right, bottom = box.T
    y = top + (bottom - top) * rng.uniform(0.45, 0.6, len(box))
    # The stem's x at that height: the ink-weighted mean column of that row.
    row = x[np.arange(len(x)), np.clip(y.astype(int), 0, SIDE - 1)]
    stem = (row * (np.arange(SIDE) + 0.5)).sum(1) / np.maximum(row.sum(1), 1e-6)
    stem = np.where(row.sum(1) > 0.5, stem, (left + right) / 2)
    half = (right - left) * rng.uniform(0.2, 0.35, len(box)) + 1.5
    tilt = rng.uniform(-1, 1, len(box))
    return np.stack([stem - half, y + tilt], 1), np.stack([stem + half, y - tilt], 1)


def _slash(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """A diagonal through a 0, from beyond its top-right to beyond its bottom-left."""
    left, top, right, bottom = box.T
    w, h = right - left, bottom - top
    over = rng.uniform(0.0, 0.15, (4, len(box)))
    start = np.stack([right + w * over[0], top - h * over[1]], 1)
    end = np.stack([left - w * over[2], bottom + h * over[3]], 1)
    return start, end


def _flag(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """The up-stroke of a 1: from its top, down and to the left."""
    _, top, _, bottom = box.T
    h = bottom - top
    row = x[np.arange(len(x)), top.astype(int)]  # the top row of ink: where the flag starts
    tip = (row * (np.arange(SIDE) + 0.5)).sum(1) / np.maximum(row.sum(1), 1e-6)
    length = h * rng.uniform(0.25, 0.45, len(box))
    angle = np.deg2rad(rng.uniform(25, 50, len(box)))  # below the horizontal
    start = np.stack([tip, top + 0.5], 1)
    end = np.stack([tip - length * np.cos(angle), top + 0.5 + length * np.sin(angle)], 1)
    return start, end


def _draw(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Anti-aliased segments start->end (n, 2 as x, y), one per image: (n, 28, 28) in [0, 1]."""
    a = start[:, :, None, None]
    d = (end - start)[:, :, None, None]
    px, py = _X[None] - a[:, 0], _Y[None] - a[:, 1]
    length2 = np.maximum((d**2).sum(1), 1e-6)
    t = np.clip((px * d[:, 0] + py * d[:, 1]) / length2, 0, 1)
    distance = np.hypot(px - t * d[:, 0], py - t * d[:, 1])
    return np.clip(PEN_RADIUS + 0.5 - distance, 0, 1).astype(np.float32)
