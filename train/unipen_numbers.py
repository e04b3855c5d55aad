"""Numbers written by real people: UNIPEN digits of one writer, placed left to right.

Shared by bench/read_numbers.py (the figures) and the tests (fixed samples); the digits come from
:mod:`train.unipen` (records with "label", "source", "writer" and "strokes").  A number has
2 to 12 digits of one writer (samples far larger than the writer's digits left out: they
are not one digit), at their natural size ratios (one writer, one device), bottoms on a
common baseline, with small size (±5 %) and baseline (±5 % of the height) jitter.  Its
gaps all come from one *gap class*, in units of the writer's median digit width: from
boxes overlapping by 15 % to gaps of a whole digit.  In ``LATE_SHARE`` of the numbers a 4,
5 or 7 of two or more strokes gets its last stroke (the bar or the flag) written after the
next digit, as people do.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Gap between neighbouring digits' boxes, as a fraction of the writer's median digit width.
GAP_CLASSES = {"overlap": (-0.15, 0.0), "close": (0.0, 0.10), "gap": (0.10, 1.0)}
LATE_SHARE = 0.3  # numbers with a late bar or flag
LATE_LABELS = (4, 5, 7)
JITTER = 0.05
MIN_DIGITS_PER_WRITER = 12
OVERSIZE = 3  # a sample this many times as wide or as tall as its writer's median is no digit


@dataclass(frozen=True)
class Number:
    """A written number: its strokes in drawing order and, left to right, each digit's
    label and stroke indices."""

    strokes: list[list[tuple[float, float]]]
    labels: tuple[int, ...]
    groups: tuple[tuple[int, ...], ...]
    gap_class: str
    writer: tuple[str, str]
    late: bool

    @property
    def text(self) -> str:
        return "".join(map(str, self.labels))


def by_writer(digits: Iterable[dict]) -> dict[tuple[str, str], list[dict]]:
    """The digits of each writer with at least MIN_DIGITS_PER_WRITER, keyed (source, writer),
    each one digit of the writer's size (:func:`one_digit`)."""
    writers: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for d in digits:
        writers[(d["source"], d["writer"])].append(d)
    kept = {w: one_digit(ds) for w, ds in sorted(writers.items())}
    return {w: ds for w, ds in kept.items() if len(ds) >= MIN_DIGITS_PER_WRITER}


def one_digit(digits: Sequence[dict]) -> list[dict]:
    """One writer's samples but those more than OVERSIZE times as wide or as tall as their
    median.  Such a sample is not one digit of the writer's line: the data's README names
    samples of several zeros and samples with strokes 11,000 units across where the digits
    are 400.  In a number it would also set the scale of every gap and fragment."""
    sizes = [(_extent(d["strokes"], 0), _extent(d["strokes"], 1)) for d in digits]
    width = statistics.median(w for w, _ in sizes)
    height = statistics.median(h for _, h in sizes)
    return [d for d, (w, h) in zip(digits, sizes, strict=True)
            if w <= OVERSIZE * width and h <= OVERSIZE * height]


def halves(writers: Sequence[tuple[str, str]]) -> tuple[list, list]:
    """The writers split in two, alternately in sorted order (so each source is in both):
    one half to tune the segmentation on, the other to check it on."""
    ordered = sorted(writers)
    return ordered[0::2], ordered[1::2]


def build(digits: Sequence[dict], gap_class: str, rng: random.Random,
          late: bool = False) -> Number:
    """Place ``digits`` (of one writer) left to right with gaps of ``gap_class``."""
    widths = [_extent(d["strokes"], 0) for d in digits]
    heights = [_extent(d["strokes"], 1) for d in digits]
    width, height = statistics.median(widths), statistics.median(heights)
    low, high = GAP_CLASSES[gap_class]
    placed, x = [], 0.0
    for d, w, h in zip(digits, widths, heights, strict=True):
        scale = 1 + rng.uniform(-JITTER, JITTER)
        bottom = height * (1 + rng.uniform(-JITTER, JITTER))
        left, top = min(p[0] for s in d["strokes"] for p in s), bottom - h * scale
        placed.append([[(x + (p[0] - left) * scale, top + p[1] * scale) for p in s]
                       for s in d["strokes"]])
        x += w * scale + rng.uniform(low, high) * width
    order = [(i, k) for i, strokes in enumerate(placed) for k in range(len(strokes))]
    late_ones = [i for i, d in enumerate(digits[:-1])
                 if d["label"] in LATE_LABELS and len(d["strokes"]) > 1]
    if late and late_ones:
        i = rng.choice(late_ones)
        bar = (i, len(placed[i]) - 1)
        order.remove(bar)
        after_next = max(n for n, (j, _) in enumerate(order) if j == i + 1)
        order.insert(after_next + 1, bar)
    groups = tuple(tuple(n for n, (j, _) in enumerate(order) if j == i)
                   for i in range(len(digits)))
    return Number([placed[i][k] for i, k in order], tuple(d["label"] for d in digits), groups,
                  gap_class, (digits[0]["source"], digits[0]["writer"]), bool(late and late_ones))


def sample(writers: dict[tuple[str, str], list[dict]], n: int, seed: int,
           gap_classes: Sequence[str] = tuple(GAP_CLASSES), lengths: tuple[int, int] = (2, 12)
           ) -> list[Number]:
    """``n`` numbers for each gap class, from writers chosen at random (fixed by ``seed``)."""
    rng = random.Random(seed)
    keys = sorted(writers)
    numbers = []
    for gap_class in gap_classes:
        for _ in range(n):
            own = writers[rng.choice(keys)]
            length = min(rng.randint(*lengths), len(own))
            numbers.append(build(rng.sample(own, length), gap_class, rng,
                                 late=rng.random() < LATE_SHARE))
    return numbers


def _extent(strokes: Sequence[Sequence[Sequence[float]]], axis: int) -> float:
    values = [p[axis] for s in strokes for p in s]
    return max(values) - min(values)
