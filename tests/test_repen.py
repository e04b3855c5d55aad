"""train.repen against plain per-pixel implementations of Zhang-Suen thinning and of the pad's pen."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import hwd
from train import repen
from train.batches import Batches
from train.train import parse_args, recorded_settings, train


def zhang_suen(image: list[list[bool]]) -> list[list[bool]]:
    """Zhang & Suen (1984) written from the paper, one pixel at a time."""
    h, w = len(image), len(image[0])
    ink = [row[:] for row in image]

    def at(y: int, x: int) -> bool:
        return 0 <= y < h and 0 <= x < w and ink[y][x]

    changed = True
    while changed:
        changed = False
        for subiteration in (1, 2):
            marked = []
            for y in range(h):
                for x in range(w):
                    if not ink[y][x]:
                        continue
                    p2, p3, p4, p5 = at(y - 1, x), at(y - 1, x + 1), at(y, x + 1), at(y + 1, x + 1)
                    p6, p7, p8, p9 = at(y + 1, x), at(y + 1, x - 1), at(y, x - 1), at(y - 1, x - 1)
                    ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
                    b = sum(ring[:8])
                    a = sum(1 for u, v in itertools.pairwise(ring) if not u and v)
                    if subiteration == 1:
                        corner = not (p2 and p4 and p6) and not (p4 and p6 and p8)
                    else:
                        corner = not (p2 and p4 and p8) and not (p2 and p6 and p8)
                    if 2 <= b <= 6 and a == 1 and corner:
                        marked.append((y, x))
            for y, x in marked:
                ink[y][x] = False
            changed |= bool(marked)
    return ink


def pen_image(skeleton: np.ndarray) -> np.ndarray:
    """Each pixel's ink: the pad's pen profile at its distance from the nearest segment joining
    two 8-connected skeleton pixels (or from a lone skeleton pixel)."""
    points = list(zip(*np.nonzero(skeleton), strict=True))
    segments = [(p, p) for p in points]
    segments += [(p, q) for p in points for q in points
                 if p < q and max(abs(p[0] - q[0]), abs(p[1] - q[1])) == 1]
    out = np.zeros(skeleton.shape, np.float32)
    for y, x in np.ndindex(*skeleton.shape):
        nearest = min((_distance((y, x), a, b) for a, b in segments), default=math.inf)
        out[y, x] = min(max(repen.REACH - nearest, 0.0), 1.0)
    return out


def _distance(p: tuple[int, int], a: tuple[int, int], b: tuple[int, int]) -> float:
    """Distance from point p to segment a-b."""
    (py, px), (ay, ax), (by, bx) = p, a, b
    dy, dx = by - ay, bx - ax
    length2 = dy * dy + dx * dx
    t = 0.0 if not length2 else min(max(((py - ay) * dy + (px - ax) * dx) / length2, 0.0), 1.0)
    return math.hypot(py - ay - t * dy, px - ax - t * dx)


def shapes() -> np.ndarray:
    """Thick strokes of several kinds, and random blobs, as boolean images (n, 28, 28)."""
    y, x = np.mgrid[0:28, 0:28]
    ring = np.abs(np.hypot(y - 14, x - 14) - 8) < 2.2
    bar = (np.abs(y - 13.5) < 2) & (x > 4) & (x < 23)
    slash = (np.abs((y - 14) - 1.3 * (x - 14)) < 3) & (y > 3) & (y < 25)
    cross = bar | (np.abs(x - 14) < 2) & (y > 4) & (y < 23)
    rng = np.random.default_rng(7)
    blobs = [np.kron(rng.random((7, 7)) < 0.45, np.ones((4, 4), bool)) for _ in range(4)]
    return np.stack([ring, bar, slash, cross, *blobs])


def test_thinning_matches_the_papers_algorithm():
    images = shapes()
    thinned = repen.thin(images)
    for image, result in zip(images, thinned, strict=True):
        assert result.tolist() == zhang_suen(image.tolist())
        assert result.sum() < image.sum() / 2  # thick strokes became thin ones


def test_thinning_keeps_a_ring_closed_and_a_bar_whole():
    ring, bar = repen.thin(shapes()[:2])
    outside = np.zeros((30, 30), bool)
    outside[1:-1, 1:-1] = ~ring
    # The ring's inside stays separated from its outside (8-connected ink, 4-connected gaps).
    assert not _reaches(outside, (0, 0), (15, 15))
    rows = np.flatnonzero(bar.any(1))
    assert len(rows) <= 2 and bar.any(0).sum() >= 12


def _reaches(free: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> bool:
    """Whether goal is 4-connected to start through free pixels."""
    seen, todo = {start}, [start]
    while todo:
        y, x = todo.pop()
        for q in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= q[0] < free.shape[0] and 0 <= q[1] < free.shape[1] and free[q] and q not in seen:
                seen.add(q)
                todo.append(q)
    return goal in seen


def test_redrawing_matches_the_distance_to_the_skeleton():
    skeletons = repen.thin(shapes())
    drawn = repen.redraw(skeletons)
    for skeleton, image in zip(skeletons, drawn, strict=True):
        np.testing.assert_allclose(image, pen_image(skeleton), atol=1e-6)


def test_a_pad_drawn_digit_keeps_its_place_and_width():
    """A digit the pad drew is already one pen wide: redrawn, its ink stays where it was and
    about as much."""
    pixels = np.array(hwd.strokes_to_pixels([[(0, 0), (30, 0), (12, 60)]]), np.float32)
    again = repen.repen(pixels[None])[0]
    assert abs(again.sum() - pixels.sum()) < 0.2 * pixels.sum()
    ink, redrawn = pixels.reshape(28, 28) > 0.2, again.reshape(28, 28) > 0.5
    padded = np.pad(ink, 1)
    near_ink = np.any([padded[1 + dy:29 + dy, 1 + dx:29 + dx]
                       for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
    assert redrawn.sum() > 20 and not (redrawn & ~near_ink).any()


@pytest.mark.slow
def test_the_trainer_adds_the_redrawn_digits(data_dir, tmp_path, monkeypatch):
    sizes = []

    class Recorded(Batches):
        def __init__(self, images: np.ndarray, *args, **kwargs) -> None:
            sizes.append(len(images))
            super().__init__(images, *args, **kwargs)

    monkeypatch.setattr("train.train.Batches", Recorded)
    train(parse_args(["--layers", "784,16,10", "--limit", "300", "--epochs", "1", "--repen",
                      "--out", str(tmp_path)]))
    assert sizes == [600]
    assert hwd.load(tmp_path / "epoch-001.npz").meta["training"]["repen"] is True
    assert "repen" not in recorded_settings(parse_args(["--out", str(tmp_path)]))
