"""Drawing -> 28x28: cropping, scaling to 20 px, centring, and the invariances that follow."""

from __future__ import annotations

import itertools
import math

import pytest

from hwd.inputs import MAX_POINTS, TooLarge
from hwd.preprocess import (
    CENTRE,
    SIZE,
    EmptyDrawing,
    centre_of_mass,
    raster_to_pixels,
    strokes_to_pixels,
)

# A "7" with a bar, in screen coordinates (y down).
SEVEN = [[(10, 10), (60, 10), (30, 90)], [(22, 50), (48, 50)]]
ONE = [[(50, 5), (50, 95)]]


def ink_box(pixels, threshold=0.05):
    xs = [i % SIZE for i, v in enumerate(pixels) if v > threshold]
    ys = [i // SIZE for i, v in enumerate(pixels) if v > threshold]
    return min(xs), max(xs), min(ys), max(ys)


def scaled(strokes, factor, dx=0.0, dy=0.0):
    return [[(x * factor + dx, y * factor + dy) for x, y in s] for s in strokes]


def test_centre_of_mass_is_at_the_centre():
    for strokes in (SEVEN, ONE, [[(0, 0), (100, 30)]]):
        cx, cy = centre_of_mass(strokes_to_pixels(strokes))
        assert cx == pytest.approx(CENTRE, abs=0.05) and cy == pytest.approx(CENTRE, abs=0.05)


def test_larger_side_is_twenty_pixels():
    left, right, top, bottom = ink_box(strokes_to_pixels(SEVEN))
    assert bottom - top + 1 in (20, 21)  # taller than wide: height fills the box
    assert right - left + 1 < 20
    assert all(0 <= v <= 1 for v in strokes_to_pixels(SEVEN))


def test_invariant_to_scale_and_position():
    reference = strokes_to_pixels(SEVEN)
    for factor, dx, dy in ((0.01, 0, 0), (7.5, 300, -40), (1000, 1e5, 1e5)):
        other = strokes_to_pixels(scaled(SEVEN, factor, dx, dy))
        assert max(abs(a - b) for a, b in zip(reference, other, strict=True)) < 1e-6


def test_invariant_to_point_density():
    """A stroke sampled densely (a fast pointer) or sparsely gives the same image."""
    dense = [[(50 + 40 * math.cos(t / 100), 50 + 40 * math.sin(t / 100)) for t in range(629)]]
    sparse = [[*dense[0][::10], dense[0][-1]]]
    a, b = strokes_to_pixels(dense), strokes_to_pixels(sparse)
    assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) / sum(a) < 0.03


def test_pen_width_sets_stroke_thickness():
    thin, thick = strokes_to_pixels(ONE, pen_width=1.5), strokes_to_pixels(ONE, pen_width=3.0)
    assert sum(thick) > 1.6 * sum(thin)


def test_empty_drawings_are_reported():
    for empty in ([], [[]], [[], []]):
        with pytest.raises(EmptyDrawing):
            strokes_to_pixels(empty)
    with pytest.raises(EmptyDrawing):
        raster_to_pixels([[0.0] * 50] * 50)


def test_bad_points_are_rejected():
    with pytest.raises(ValueError, match="finite"):
        strokes_to_pixels([[(0, 0), (float("nan"), 1)]])
    with pytest.raises(ValueError, match="x and y"):
        strokes_to_pixels([[(0,)]])
    for bad in ("1", True, None):
        with pytest.raises(ValueError, match=r"strokes\[0\]\[1\] x is not a number"):
            strokes_to_pixels([[(0, 0), (bad, 1)]])
    with pytest.raises(ValueError, match="outside"):
        strokes_to_pixels([[(-1e308, 0), (1e308, 1)]])  # the span would overflow
    with pytest.raises(ValueError, match="too large"):
        strokes_to_pixels([[(0, 0), (10**400, 1)]])  # an integer no float can hold


def test_drawing_work_is_bounded():
    """A zigzag whose every segment crosses the box is refused, not rasterized for seconds."""
    zigzag = [[(i % 2 * 1000, i * 0.1) for i in range(10_000)]]
    with pytest.raises(TooLarge, match="segments after simplification"):
        strokes_to_pixels(zigzag)
    with pytest.raises(TooLarge, match="pen path"):
        strokes_to_pixels([zigzag[0][:100]])
    with pytest.raises(TooLarge, match="points"):
        strokes_to_pixels([[(0, 0)]] * (MAX_POINTS + 1))
    # Real digits stay far below the limits: a dense circle of 629 points is fine.
    circle = [[(50 + 40 * math.cos(t / 100), 50 + 40 * math.sin(t / 100)) for t in range(629)]]
    assert sum(strokes_to_pixels(circle)) > 0


def test_subnormal_spans_are_a_dot():
    pixels = strokes_to_pixels([[(0, 0), (5e-324, 1e-320)]])
    assert centre_of_mass(pixels) == pytest.approx((CENTRE, CENTRE), abs=0.05)


def test_a_dot_is_ink():
    pixels = strokes_to_pixels([[(5, 5)]])
    assert sum(pixels) > 0 and centre_of_mass(pixels) == pytest.approx((CENTRE, CENTRE), abs=0.05)


def rasterize(strokes, size, width):
    """A crude independent rasterizer: pixels within width/2 of a segment are ink."""
    rows = [[0.0] * size for _ in range(size)]
    for stroke in strokes:
        for (ax, ay), (bx, by) in itertools.pairwise(stroke):
            steps = int(max(abs(bx - ax), abs(by - ay)) * 2) + 1
            for k in range(steps + 1):
                x, y = ax + (bx - ax) * k / steps, ay + (by - ay) * k / steps
                r = width / 2
                for yy in range(max(int(y - r), 0), min(int(y + r) + 1, size)):
                    for xx in range(max(int(x - r), 0), min(int(x + r) + 1, size)):
                        if (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2 <= r * r:
                            rows[yy][xx] = 1.0
    return rows


def test_raster_is_cropped_scaled_and_centred():
    small = raster_to_pixels(rasterize(scaled(SEVEN, 0.5), 60, 5))
    large = raster_to_pixels(rasterize(scaled(SEVEN, 3.0, 40, 25), 400, 30))
    for pixels in (small, large):
        _left, _right, top, bottom = ink_box(pixels, 0.3)
        assert 19 <= bottom - top + 1 <= 21
        assert centre_of_mass(pixels) == pytest.approx((CENTRE, CENTRE), abs=0.1)
    # Same shape at different sizes and positions: nearly the same input.
    assert sum(abs(a - b) for a, b in zip(small, large, strict=True)) / sum(large) < 0.3
