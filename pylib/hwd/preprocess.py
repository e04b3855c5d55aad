"""Turn a drawing into the 28x28 input a network expects, the way MNIST was made.

MNIST digits were cropped to their ink, scaled so the larger side of the ink's
bounding box is 20 px (aspect ratio kept, anti-aliased) and placed in a 28x28
field with their centre of mass at the centre.  We do the same for

* pen strokes: ``[[(x, y), ...], ...]`` in any units, y growing downward.  We
  rasterize them ourselves with a pen whose width is a fixed fraction of the
  box, so the result does not depend on how large the person drew, on the
  screen's pixel density or on the width of the pen they saw;
* grayscale rasters: a list of rows, 0.0 = background and 1.0 = ink, any size.

Conventions of the result: 784 floats in [0, 1], row-major (index y*28 + x),
1.0 = ink.  Pixel (x, y) covers the square [x, x+1) x [y, y+1); the centre of
mass lands on the point (14.5, 14.5), the middle of pixel (14, 14), as in MNIST.
An empty drawing raises :class:`EmptyDrawing`.  Bad points are refused by
:func:`hwd.inputs.strokes`, and the drawing work is bounded: at most ``MAX_SEGMENTS``
segments and ``MAX_PATH`` pixels of pen path once scaled (a real digit has about 40
segments and 45 px), so no drawing costs more than a few tens of milliseconds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

from .inputs import InputError, TooLarge
from .inputs import strokes as checked_strokes

SIZE = 28  # side of the network's input field, px
BOX = 20.0  # side of the box the ink is scaled into, px
PEN_WIDTH = 2.0  # stroke width, in pixels of the 28x28 field
MIN_STEP = 0.5  # points closer than this (px) to the previous one add nothing visible
# Bounds on the drawing work, after scaling into the 28x28 field.  15,466 UNIPEN digits
# have at most 111 segments and 316 px of path (median 36 and 45).
MAX_SEGMENTS = 500
MAX_PATH = 600.0  # px: thirty times the side of the 20 px box
MAX_RASTER = 1024 * 1024  # cells of a raster given to raster_to_pixels
# Where MNIST puts the centre of mass: pixel (14, 14), whose centre is the point 14.5
# (measured on the training set: 14.50 +- 0.29 in both x and y).
CENTRE = 14.5

Pixels = list[float]
Strokes = Sequence[Sequence[Sequence[float]]]


class EmptyDrawing(InputError):
    """The drawing has no ink, so there is nothing to recognize."""


def strokes_to_pixels(strokes: Strokes, pen_width: float = PEN_WIDTH) -> Pixels:
    """Rasterize pen strokes into the 28x28 network input (see module docstring)."""
    points = [s for s in checked_strokes(strokes) if s]
    if not points:
        raise EmptyDrawing("the drawing is empty")
    xs = [x for s in points for x, _ in s]
    ys = [y for s in points for _, y in s]
    x0, y0 = min(xs), min(ys)
    w, h = max(xs) - x0, max(ys) - y0
    # The ink box, pen width included, gets a larger side of BOX pixels.
    # A span below 1e-9 units is a dot (and would overflow the scale).
    scale = (BOX - pen_width) / max(w, h) if max(w, h) > 1e-9 else 0.0
    segments = _segments(
        [[((x - x0) * scale, (y - y0) * scale) for x, y in s] for s in points])
    _check_work(segments)
    ink_w, ink_h = w * scale + pen_width, h * scale + pen_width
    radius = pen_width / 2

    def render(ox: float, oy: float) -> Pixels:
        return _render_segments(segments, ox + radius, oy + radius, radius)

    return _centred(render, ink_w, ink_h)


def raster_to_pixels(rows: Sequence[Sequence[float]]) -> Pixels:
    """Crop, scale and centre a grayscale raster (1.0 = ink) into the 28x28 network input."""
    if sum(len(row) for row in rows) > MAX_RASTER:
        raise TooLarge(f"the raster has more than {MAX_RASTER} cells; downscale it first")
    ink = [(x, y) for y, row in enumerate(rows) for x, v in enumerate(row) if v > 0]
    if not ink:
        raise EmptyDrawing("the image has no ink")
    x0, x1 = min(x for x, _ in ink), max(x for x, _ in ink) + 1
    y0, y1 = min(y for _, y in ink), max(y for _, y in ink) + 1
    crop = [[min(max(float(v), 0.0), 1.0) for v in row[x0:x1]] for row in rows[y0:y1]]
    scale = BOX / max(x1 - x0, y1 - y0)

    def render(ox: float, oy: float) -> Pixels:
        return _area_resample(crop, scale, ox, oy)

    return _centred(render, (x1 - x0) * scale, (y1 - y0) * scale)


def centre_of_mass(pixels: Pixels) -> tuple[float, float]:
    """The ink-weighted mean (x, y) of a 28x28 image; pixel (x, y) has its centre at x+0.5, y+0.5."""
    total = sum(pixels)
    if total <= 0:
        raise EmptyDrawing("no ink")
    cx = sum(v * (i % SIZE + 0.5) for i, v in enumerate(pixels) if v) / total
    cy = sum(v * (i // SIZE + 0.5) for i, v in enumerate(pixels) if v) / total
    return cx, cy


def _centred(render: Callable[[float, float], Pixels], width: float, height: float) -> Pixels:
    """Render with the ink box centred, then again shifted so the centre of mass is at CENTRE.

    Rendering twice costs a little time but keeps the result a continuous function of the
    drawing: a whole-pixel translation (as MNIST used) would jump for tiny changes.
    """
    ox, oy = (SIZE - width) / 2, (SIZE - height) / 2
    cx, cy = centre_of_mass(render(ox, oy))
    return render(ox + CENTRE - cx, oy + CENTRE - cy)


def _check_work(segments: list[tuple[float, ...]]) -> None:
    """Refuse drawings whose rendering would cost more than a real digit ever needs."""
    if len(segments) > MAX_SEGMENTS:
        raise TooLarge(f"the drawing has {len(segments)} segments after simplification; "
                       f"at most {MAX_SEGMENTS} allowed")
    path = sum(math.sqrt(length2) for *_, length2 in segments)
    if path > MAX_PATH:
        raise TooLarge(f"the drawing's pen path is {path:.0f} px long in the 28x28 field; "
                       f"at most {MAX_PATH:.0f} allowed")


def _segments(strokes: list[list[tuple[float, float]]]) -> list[tuple[float, ...]]:
    """Line segments (ax, ay, dx, dy, |d|^2) of the strokes, dropping points too close together."""
    segments = []
    for stroke in strokes:
        kept = [stroke[0]]
        for x, y in stroke[1:]:
            if math.hypot(x - kept[-1][0], y - kept[-1][1]) >= MIN_STEP:
                kept.append((x, y))
        if len(kept) > 1 and stroke[-1] != kept[-1]:
            kept[-1] = stroke[-1]
        kept = kept if len(kept) > 1 else kept * 2  # a dot is a segment of length zero
        for (ax, ay), (bx, by) in itertools.pairwise(kept):
            dx, dy = bx - ax, by - ay
            segments.append((ax, ay, dx, dy, dx * dx + dy * dy))
    return segments


def _render_segments(segments: list[tuple[float, ...]], ox: float, oy: float,
                     radius: float) -> Pixels:
    """Draw segments offset by (ox, oy) with a round pen, anti-aliased over one pixel."""
    pixels = [0.0] * (SIZE * SIZE)
    reach = radius + 0.5  # a pixel whose centre is this far away gets no ink
    for ax, ay, dx, dy, length2 in segments:
        ax, ay = ax + ox, ay + oy
        left = max(int(min(ax, ax + dx) - reach), 0)
        right = min(int(max(ax, ax + dx) + reach) + 1, SIZE)
        top = max(int(min(ay, ay + dy) - reach), 0)
        bottom = min(int(max(ay, ay + dy) + reach) + 1, SIZE)
        for y in range(top, bottom):
            py = y + 0.5 - ay
            for x in range(left, right):
                px = x + 0.5 - ax
                t = (px * dx + py * dy) / length2 if length2 else 0.0
                t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
                ex, ey = px - t * dx, py - t * dy
                d2 = ex * ex + ey * ey
                if d2 < reach * reach:
                    v = reach - math.sqrt(d2)
                    i = y * SIZE + x
                    if v > pixels[i]:
                        pixels[i] = v if v < 1.0 else 1.0
    return pixels


def _area_weights(n_src: int, scale: float, offset: float) -> list[list[tuple[int, float]]]:
    """For each of the SIZE output pixels, (source index, weight) pairs of the source cells it covers.

    Output pixel j covers source interval [(j - offset) / scale, (j + 1 - offset) / scale);
    weights are overlap lengths times ``scale`` so that an all-ink source gives 1.0.
    """
    weights = []
    for j in range(SIZE):
        lo, hi = (j - offset) / scale, (j + 1 - offset) / scale
        cells = []
        for s in range(max(math.floor(lo), 0), min(math.ceil(hi), n_src)):
            overlap = min(hi, s + 1) - max(lo, s)
            if overlap > 0:
                cells.append((s, overlap * scale))
        weights.append(cells)
    return weights


def _area_resample(src: list[list[float]], scale: float, ox: float, oy: float) -> Pixels:
    """Scale ``src`` by ``scale`` with area averaging and place its corner at (ox, oy)."""
    wx = _area_weights(len(src[0]), scale, ox)
    wy = _area_weights(len(src), scale, oy)
    # Columns first (each source row becomes SIZE values), then rows.
    columns = [[sum(row[s] * w for s, w in cells) for cells in wx] for row in src]
    return [min(sum(columns[s][x] * w for s, w in wy[y]), 1.0)
            for y in range(SIZE) for x in range(SIZE)]
