"""MNIST digits redrawn with the pad's pen: thinned to their centre lines, then drawn again.

MNIST's digits were written with pens of many widths and scanned; the pad draws every
stroke with one round pen (``hwd.preprocess``), so a drawing's strokes are thinner than
most MNIST strokes and equally wide everywhere.  Thickening or thinning a whole image
(``Augment.thickness``) changes the width but keeps its variation along the stroke.
Here each digit is thinned to a one-pixel skeleton (Zhang & Suen 1984, "A fast parallel
algorithm for thinning digital patterns") and the skeleton is drawn again as line
segments between neighbouring skeleton pixels, with the pad's own pen profile: full ink
within the pen's radius, fading to none over one more pixel.
"""

from __future__ import annotations

import numpy as np

from hwd.preprocess import PEN_WIDTH

SIDE = 28
INK = 0.4  # a pixel belongs to the stroke above this grey level
REACH = PEN_WIDTH / 2 + 0.5  # px from a stroke's centre line at which the pad's ink ends
# A pixel's 8 neighbours, clockwise from north (Zhang & Suen's P2 ... P9).
NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
# Segments from a skeleton pixel to a neighbour, one direction of each pair; (0, 0) is the
# pixel alone (a skeleton of one pixel is a dot).
STEPS = ((0, 0), (0, 1), (1, 0), (1, 1), (1, -1))


def repen(images: np.ndarray) -> np.ndarray:
    """Copies of ``images`` (n, 784) in [0, 1] redrawn along their centre lines with the pad's pen."""
    n = len(images)
    skeletons = thin(images.reshape(n, SIDE, SIDE) > INK)
    return redraw(skeletons).reshape(n, SIDE * SIDE)


def thin(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of boolean images (n, h, w), all images at once; a new array."""
    ink = ink.copy()
    changed = True
    while changed:
        changed = False
        for first in (True, False):
            p = _neighbours(ink)
            count = sum(q.astype(np.uint8) for q in p)  # B(P1): ink neighbours
            # A(P1): 0 -> 1 transitions around the ring, so 1 for a pixel on a simple edge
            transitions = sum((~p[k] & p[(k + 1) % 8]).astype(np.uint8) for k in range(8))
            if first:  # the south-east boundary and the north-west corner
                keep = (p[0] & p[2] & p[4]) | (p[2] & p[4] & p[6])
            else:  # the north-west boundary and the south-east corner
                keep = (p[0] & p[2] & p[6]) | (p[0] & p[4] & p[6])
            remove = ink & (count >= 2) & (count <= 6) & (transitions == 1) & ~keep
            if remove.any():
                ink &= ~remove
                changed = True
    return ink


def redraw(skeletons: np.ndarray) -> np.ndarray:
    """float32 images (n, h, w) of line segments joining 8-connected skeleton pixels, drawn
    with the pad's pen (ink ``REACH - distance``, clipped to [0, 1])."""
    n, h, w = skeletons.shape
    reach = int(np.ceil(REACH)) + 1  # a segment is up to 1 px long: its ink reaches this far
    out = np.zeros((n, h, w), np.float32)
    for dy, dx in STEPS:
        starts = skeletons if (dy, dx) == (0, 0) else skeletons & _shifted(skeletons, dy, dx)
        kernel = _segment_ink(dy, dx, reach)
        padded = np.pad(starts, ((0, 0), (reach, reach), (reach, reach)))
        for (oy, ox), value in np.ndenumerate(kernel):
            if value > 0:  # pixel (y, x) is (oy - reach, ox - reach) from a segment's start
                source = padded[:, 2 * reach - oy:2 * reach - oy + h, 2 * reach - ox:2 * reach - ox + w]
                np.maximum(out, source * value, out=out)
    return out


def _neighbours(ink: np.ndarray) -> list[np.ndarray]:
    """The 8 neighbour images of boolean images (n, h, w), outside the image counted blank."""
    return [_shifted(ink, dy, dx) for dy, dx in NEIGHBOURS]


def _shifted(ink: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``ink[:, y + dy, x + dx]`` at every (y, x), blank outside the image."""
    _, h, w = ink.shape
    padded = np.pad(ink, ((0, 0), (1, 1), (1, 1)))
    return padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def _segment_ink(dy: int, dx: int, reach: int) -> np.ndarray:
    """The pen's ink (2 reach + 1 square) around a segment from the centre to (dy, dx) px away."""
    ys, xs = np.mgrid[-reach:reach + 1, -reach:reach + 1].astype(np.float32)
    length2 = dy * dy + dx * dx
    t = np.clip((ys * dy + xs * dx) / length2, 0, 1) if length2 else 0.0
    distance = np.hypot(ys - t * dy, xs - t * dx)
    return np.clip(REACH - distance, 0, 1).astype(np.float32)
