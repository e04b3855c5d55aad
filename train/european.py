"""European-style digits drawn onto MNIST ones: crossed 7s, slashed 0s, flagged and footed 1s,
hooked 9s.

MNIST was written mostly by Americans: its 7s have no bar, its 0s no slash, few
of its 1s carry a long flag or a foot, few of its 9s a hooked tail.  People
drawing on the pad use all of them.  This augmentation adds the missing stroke
to a random fraction of those digits, placed relative to each digit's ink
bounding box and drawn with an anti-aliased pen of MNIST's width.  A stroke may
reach beyond the digit (a slash through a 0 often does); the digit is then shrunk
so that digit and stroke fit MNIST's 20-pixel box together, as the pad's
preprocessing would scale the whole drawing.

MNIST and the pad then put a digit's centre of mass, not its box, at the middle of
the field. A flag adds ink at a 1's top, so a drawn 1 with a flag sits lower in the
field than its box would: where a 7 sits, whose ink is heavy at the top too. With
``centre_by_mass`` the strokes are placed the same way (``hwd train
--centre-by-mass``); without it, their box is centred, as the networks shipped
before it were trained.
"""

from __future__ import annotations

import numpy as np

from .warp import warp

SIDE = 28
BOX = 20.0  # px: MNIST scaled each digit's ink box to this
PEN_RADIUS = 1.1  # px; MNIST strokes are about 2-3 px wide
MASS_CENTRE = 14.5  # px: MNIST's centre of mass, the middle of pixel (14, 14)
_Y, _X = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) + 0.5  # pixel centres


def add_strokes(images: np.ndarray, labels: np.ndarray, p: float,
                rng: np.random.Generator, long_slashes: bool = False,
                centre_by_mass: bool = False) -> np.ndarray:
    """Copies of ``images`` (n, 28, 28) where a fraction ``p`` of 0s, 1s, 7s and 9s got a stroke
    (with ``long_slashes``, the slashes of :func:`_long_slash`; with ``centre_by_mass``, each
    changed digit's centre of mass put where MNIST puts it)."""
    out = images.copy()
    for digit, segment in LONG_SLASH_STROKES if long_slashes else STROKES:
        chosen = np.flatnonzero((labels == digit) & (rng.random(len(labels)) < p))
        if len(chosen):
            digits = out[chosen]
            box = _ink_box(digits)
            start, end = segment(box, digits, rng)
            out[chosen] = _placed(digits, box, start, end)
            if centre_by_mass:
                # The offset only translates, so moving by the centre's error lands the centre
                # of mass at MASS_CENTRE (up to ink that leaves the field).
                offset = MASS_CENTRE - centre_of_mass(out[chosen])
                out[chosen] = _placed(digits, box, start, end, offset)
    return out


def _placed(x: np.ndarray, box: np.ndarray, start: np.ndarray, end: np.ndarray,
            offset: np.ndarray | float = 0.0) -> np.ndarray:
    """Digits x with the strokes start-end drawn on, fitted by :func:`_fit`, moved by offset."""
    x, start, end = _fit(x, box, start, end, offset)
    return np.maximum(x, _draw(start, end))


def centre_of_mass(x: np.ndarray) -> np.ndarray:
    """(n, 2) float: the ink-weighted mean x, y of each image (pixel centres at i + 0.5)."""
    ink = np.maximum(x.sum((1, 2)), 1e-6)
    cx = (x.sum(1) * (np.arange(SIDE) + 0.5)).sum(1) / ink
    cy = (x.sum(2) * (np.arange(SIDE) + 0.5)).sum(1) / ink
    return np.stack([cx, cy], 1)


def _fit(x: np.ndarray, box: np.ndarray, start: np.ndarray, end: np.ndarray,
         offset: np.ndarray | float = 0.0):
    """Shrink and recentre digits x so that their ink box and the strokes start-end fit BOX px.

    Coordinates are in pixels with pixel i covering [i, i + 1); the union box of ink and
    stroke (pen included) is centred in the field, scaled down to BOX if larger, and then
    moved by ``offset`` (px, (n, 2) as x, y).
    """
    ends = np.stack([start, end])  # (2, n, 2)
    low = np.minimum(box[:, :2], ends.min(0) - PEN_RADIUS)
    high = np.maximum(box[:, 2:], ends.max(0) + PEN_RADIUS)
    scale = np.minimum(1.0, BOX / (high - low).max(1))[:, None]  # (n, 1)
    # The source point that lands on the field's centre; offset px of output are offset / scale
    # px of source.
    centre = (low + high) / 2 - offset / scale

    def moved(point: np.ndarray) -> np.ndarray:
        return (point - centre) * scale + SIDE / 2

    # Output pixel centre (c + 0.5, r + 0.5) shows the source point moved back.
    s = scale[:, :, None].astype(np.float32)
    cols = (_X[None] - SIDE / 2) / s + centre[:, 0, None, None].astype(np.float32) - 0.5
    rows = (_Y[None] - SIDE / 2) / s + centre[:, 1, None, None].astype(np.float32) - 0.5
    return warp(x, rows, cols), moved(start), moved(end)


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
    # The stem's x at that height, if the row has ink, else the middle.
    has_ink = x[np.arange(len(x)), np.clip(y.astype(int), 0, SIDE - 1)].sum(1) > 0.5
    stem = np.where(has_ink, _ink_column(x, y), (left + right) / 2)
    half = (right - left) * rng.uniform(0.2, 0.35, len(box)) + 1.5
    tilt = rng.uniform(-1, 1, len(box))
    return np.stack([stem - half, y + tilt], 1), np.stack([stem + half, y - tilt], 1)


def _slash(box: np.ndarray, x: np.ndarray, rng: np.random.Generator, lean: float = 50.0,
           reach: float = 0.5):
    """A line through a 0's centre, from vertical to ``lean`` degrees, often reaching well
    beyond it: each end up to ``reach`` times half the 0's height further out."""
    left, top, right, bottom = box.T
    n = len(box)
    centre = np.stack([(left + right) / 2, (top + bottom) / 2], 1)
    angle = np.deg2rad(rng.uniform(0, lean, n))  # from the vertical, top end to the right
    half = (bottom - top) / 2 * (1 + rng.uniform(0.0, reach, (2, n)))  # beyond top, bottom
    direction = np.stack([np.sin(angle), -np.cos(angle)], 1)
    return centre + half[0, :, None] * direction, centre - half[1, :, None] * direction


def _long_slash(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """A slash leaning up to 60 degrees, past the diagonal, each end up to half the 0's height
    beyond it, as many drawn 0s have (``hwd train --long-slashes``; docs/accuracy.md)."""
    return _slash(box, x, rng, lean=60.0, reach=1.0)


def _flag(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """The up-stroke of a 1: from its top, down and to the left, short or nearly as long as
    the 1."""
    _, top, _, bottom = box.T
    h = bottom - top
    tip = _ink_column(x, top)  # the top row of ink: where the flag starts
    length = h * rng.uniform(0.25, 0.7, len(box))
    angle = np.deg2rad(rng.uniform(20, 65, len(box)))  # below the horizontal
    start = np.stack([tip, top + 0.5], 1)
    end = np.stack([tip - length * np.cos(angle), top + 0.5 + length * np.sin(angle)], 1)
    return start, end


def _foot(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """A horizontal base under a 1, centred on its stem."""
    _, top, _, bottom = box.T
    h, n = bottom - top, len(box)
    stem = _ink_column(x, bottom - 1)
    y = bottom - 0.5 + rng.uniform(-0.5, 0.5, n)
    reach = h * rng.uniform(0.15, 0.35, (2, n))
    return np.stack([stem - reach[0], y], 1), np.stack([stem + reach[1], y], 1)


def _hook(box: np.ndarray, x: np.ndarray, rng: np.random.Generator):
    """A 9's tail turned to the left at its bottom end."""
    left, top, right, bottom = box.T
    w, h, n = right - left, bottom - top, len(box)
    tail = _ink_column(x, bottom - 1)
    start = np.stack([tail, bottom - 0.5], 1)
    end = np.stack([tail - w * rng.uniform(0.25, 0.6, n), bottom - 0.5 - h * rng.uniform(0, 0.2, n)],
                   1)
    return start, end


def _ink_column(x: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The ink-weighted mean column (in pixels, centres at i + 0.5) of one row of each image."""
    ink = x[np.arange(len(x)), np.clip(row.astype(int), 0, SIDE - 1)]
    return (ink * (np.arange(SIDE) + 0.5)).sum(1) / np.maximum(ink.sum(1), 1e-6)


def _draw(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Anti-aliased segments start->end (n, 2 as x, y), one per image: (n, 28, 28) in [0, 1]."""
    a = start[:, :, None, None]
    d = (end - start)[:, :, None, None]
    px, py = _X[None] - a[:, 0], _Y[None] - a[:, 1]
    length2 = np.maximum((d**2).sum(1), 1e-6)
    t = np.clip((px * d[:, 0] + py * d[:, 1]) / length2, 0, 1)
    distance = np.hypot(px - t * d[:, 0], py - t * d[:, 1])
    return np.clip(PEN_RADIUS + 0.5 - distance, 0, 1).astype(np.float32)


STROKES = ((7, _bar), (0, _slash), (1, _flag), (1, _foot), (9, _hook))
LONG_SLASH_STROKES = ((7, _bar), (0, _long_slash), (1, _flag), (1, _foot), (9, _hook))
