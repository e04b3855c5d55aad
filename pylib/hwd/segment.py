"""Read a number: split pen strokes written left to right into digits, and recognize each.

The rule.  Every stroke belongs to exactly one digit, and a digit is a set of strokes
that may have been written at different times (the bar of a 4 or a 7, the flag of a 5
added after the next digit).  Writing goes left to right on one line, so:

1. Sort the strokes by the centre of their horizontal extent.  A digit is then a run of
   consecutive strokes in that order; the order in which they were drawn does not matter.
2. Between two consecutive strokes there is a *cut* when every stroke on the left ends
   before every stroke on the right begins; its *gap* is that empty horizontal space.
   A gap of at least ``SPLIT_GAP`` times the writing's height (about a sixth of a digit's
   width) separates two digits: geometry decides.  Except beside a *fragment*, a stroke
   that cannot be a digit alone because it is shorter than half the line or ends above the
   baseline (``FRAGMENT_HEIGHT``, ``FRAGMENT_LIFT``: a 4's open L, a 5's flag, a 7's bar):
   it may join its neighbour across a gap of up to ``FRAGMENT_GAP`` heights, and the score
   below decides.
3. Everywhere else (strokes that overlap horizontally, or lie close together) the
   geometry is ambiguous, and the network takes part.  Every way of cutting the strokes
   into runs gets a score, a weighted sum (``WEIGHTS``) of features of its digits
   (``DIGIT_FEATURES``: the network's log-probability of the top digit and its margin over
   the second, how much shorter than the line, wider than it is tall, or lifted off the
   baseline the digit is, how much wider than its widest stroke it is, how many of its end
   strokes the network could do without, reading the same digit, whether it reads the whole
   as a digit that no part of it reads, how far apart its strokes' ink is along a
   shortest spanning tree, how much of its height no stroke covers, and how wide the empty
   gap between two parts of it that each stand on its bottom is, at its own scale), of
   the neighbours it joins (``JOIN_FEATURES``: how much they overlap, how far their ink is
   apart) and of each two digits side by side (``PAIR_FEATURES``: how far their bottoms differ).
   Strokes that overlap substantially or whose ink touches tend to be joined, a run that
   does not stand on the baseline is no digit alone, the strokes of one digit nest (a 4's
   stem within its L, a 5's flag above its body) where two digits stand side by side, and
   hang together, each near another (a 1's flag and foot both touch its stem, though they
   lie side by side, far apart), and together cover the digit's height (a 1's flag and
   foot alone leave its middle empty), two parts standing side by side with space between
   them are two digits however small they are beside the line's tallest digit (a 1 and a
   small 0, which the network may read together as a 6), two digits side by side stand on
   one line (a 4's L read alone ends halfway up its stem), a stroke that changes nothing
   in the network's reading of a digit is probably not part of it, one that turns two
   parts into a new digit (an L and a stem into a 4) probably is, and between these the
   network's confidence tips the balance.  Dynamic programming over the last digit of a
   cut finds the best-scoring cut exactly.  The weights were fitted on numbers written by
   half of the UNIPEN writers (``bench/read_numbers.py --fit``) and checked on the other
   half; docs/numbers.md has the figures.

Cost: each candidate digit (a run of at most ``MAX_STROKES`` strokes with no forced cut
inside) is rasterized and read once, and a :class:`Reader` remembers the answers of the
runs it has seen and how far apart the strokes' ink is, so recognizing again after each new
stroke reads and measures only what the new stroke is part of.
The number of candidates grows linearly with the strokes; ``MAX_CANDIDATES`` and
``MAX_POINTS_READ`` bound the work: beyond them, any clean cut is taken as a split and runs
get shorter.

What it cannot do: digits written on several lines (everything is one line); digits
that touch within one stroke (a stroke is never split, so a joined "00" is one digit);
a digit whose own whole strokes are further apart than ``SPLIT_GAP`` (it becomes two);
numbers written right to left or on a slope steep enough to lift whole digits off the
baseline (they look like fragments).  Where the geometry is ambiguous it is only as good as
its cues: the MNIST-trained network is sure of most shapes, fragments included, so a 4's L
that touches the digit before it can still be given to that digit, its stem read as a 1,
a 5's flag reaching over the next digit can be given to that digit, a small 4 whose L
stands well apart from its stem can be read as a 2 and a 1 (the "step" and "composed"
features catch most of them), a 1 beside an open 4 can take the 4's L ("41" for "14"),
and a stray dot is given to whichever neighbour scores better.  Signs, decimal points and
other characters are read as digits too.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .inputs import TooLarge
from .inputs import strokes as checked_strokes
from .preprocess import Pixels, Strokes, strokes_to_pixels

SPLIT_GAP = 0.12  # a cut at least this wide, in writing heights, always separates digits
# The score of a way to cut the strokes into digits is a weighted sum of these features;
# the weights were fitted on half of the UNIPEN writers (bench/read_numbers.py --fit).
DIGIT_FEATURES = ("confidence",  # log p(top digit), from the network
                  "margin",  # (log p(top) - log p(second)) / MARGIN, up to 1, from the network
                  "short", "very short",  # how far it is below 0.6 and 0.35 of the height
                  "wide",  # how far it is wider than the height
                  "lifted",  # how far its bottom is above the baseline (beyond 0.1 height)
                  "raised",  # the same beyond 0.04 height
                  "strokes",  # strokes beyond the first
                  "digit",  # 1 for each digit
                  "spread",  # how much wider than its widest stroke it is (in heights)
                  "redundant",  # end strokes without which the network reads the same digit
                  "detached",  # how far its strokes' ink is apart: a shortest spanning tree's links
                  "linked",  # links of that tree where the ink touches (closer than TOUCH)
                  "composed",  # its margin, if no end stroke less reads the same digit
                  "hollow",  # how much of its height no stroke covers (in heights)
                  "parted")  # empty cuts between parts standing on its bottom (own heights)
JOIN_FEATURES = ("join",  # 1 for each two neighbours joined into one digit
                 "overlap",  # how much they overlap, as a fraction of the narrower one
                 "depth",  # how far the cut between them is filled (in heights, <= 0)
                 "gap",  # how wide the empty cut between them is (in heights, >= 0)
                 "touch",  # 1 if their ink touches or crosses (closer than TOUCH)
                 "apart")  # how far apart their ink is (in heights, up to FAR)
PAIR_FEATURES = ("step",)  # how far two neighbouring digits' bottoms differ (see _step)
WEIGHTS = {"confidence": -1.93, "margin": 3.01, "short": -7.8, "very short": -12.9, "wide": -1.48,
           "lifted": -25.5, "raised": -48, "strokes": -0.269, "digit": 0.269, "spread": -6.11,
           "redundant": -0.183, "detached": -12, "linked": -0.657, "composed": 2, "hollow": -10,
           "parted": -8, "join": -2.27, "overlap": -0.24, "depth": -33.3, "gap": 6.9,
           "touch": -0.0889, "apart": -0.312, "step": -20}
FRAGMENT_HEIGHT = 0.5  # a stroke shorter than this (in heights) is no digit alone,
FRAGMENT_LIFT = 0.1  # nor one whose bottom is this far above the baseline
FRAGMENT_GAP = 0.6  # a fragment may join a neighbour up to this far (in heights)
STEP_FREE = 0.1  # neighbours' bottoms may differ by this much of the taller's height
PART_HEIGHT = 0.25  # a part standing on a digit's bottom, this tall (of its height), may be a digit
MARGIN = 10.0  # log-odds of the top digit over the second beyond which all are sure
TOUCH = 0.01  # ink closer than this (in heights) touches
FAR = 0.6  # and ink further apart than this counts as this far
SAMPLES = 40  # points per stroke kept to measure how far apart two strokes' ink is
MAX_STROKES = 4  # strokes in one digit (UNIPEN's digits have 1-5, 99.97 % at most 3)
MAX_CANDIDATES = 60  # candidate digits read per drawing (~2 ms each in CPython)
MAX_POINTS_READ = 40_000  # and points rasterized in all of them (~65 us each)
MAX_CACHE = 512  # candidate digits a Reader remembers


@dataclass(frozen=True)
class Digit:
    """One digit of a number: its strokes (indices in drawing order), input and answer."""

    strokes: tuple[int, ...]
    pixels: Pixels
    probabilities: list[float]

    @property
    def digit(self) -> int:
        """The most probable digit."""
        return max(range(len(self.probabilities)), key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class _Stroke:
    index: int
    left: float
    right: float
    top: float
    bottom: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class Layout:
    """A drawing's strokes sorted left to right, its candidate digits and their features."""

    boxes: list[_Stroke]
    runs: dict[tuple[int, int], list[float]]  # [i, j) -> DIGIT_FEATURES of boxes[i:j]
    joins: list[list[float]]  # k -> JOIN_FEATURES of boxes[k] and boxes[k + 1]
    digits: dict[tuple[int, int], Digit]

    def pair(self, a: tuple[int, int], b: tuple[int, int]) -> list[float]:
        """PAIR_FEATURES of two neighbouring runs a and b, read as two digits."""
        return [_step(self.boxes[a[0]:a[1]], self.boxes[b[0]:b[1]])]

    def features(self, cut: Sequence[tuple[int, int]]) -> list[float]:
        """The features of a way to cut the strokes (DIGIT_FEATURES + JOIN_FEATURES +
        PAIR_FEATURES)."""
        total = [0.0] * (len(DIGIT_FEATURES) + len(JOIN_FEATURES) + len(PAIR_FEATURES))
        for n, (i, j) in enumerate(cut):
            values = self.runs[i, j] + [sum(f[k] for f in self.joins[i:j - 1])
                                        for k in range(len(JOIN_FEATURES))]
            values += self.pair(cut[n - 1], (i, j)) if n else [0.0] * len(PAIR_FEATURES)
            total = [t + v for t, v in zip(total, values, strict=True)]
        return total

    def best(self, weights: dict[str, float]) -> list[tuple[int, int]]:
        """The way to cut with the highest score (dynamic programming over the runs)."""
        digit_w = [weights[name] for name in DIGIT_FEATURES]
        join_w = [weights[name] for name in JOIN_FEATURES]
        pair_w = [weights[name] for name in PAIR_FEATURES]
        join = [_dot(join_w, f) for f in self.joins]
        score = {(i, j): _dot(digit_w, f) + sum(join[i:j - 1])
                 for (i, j), f in self.runs.items()}
        return _best_cut(len(self.boxes), score, lambda a, b: _dot(pair_w, self.pair(a, b)))


class Reader:
    """Reads numbers with one classifier (``probabilities(pixels)``, e.g. a network's
    ``feedforward``), remembering the candidate digits it has read."""

    def __init__(self, probabilities: Callable[[Pixels], Sequence[float]],
                 weights: dict[str, float] | None = None, max_cache: int = MAX_CACHE) -> None:
        self.probabilities = probabilities
        self.weights = dict(weights or WEIGHTS)
        self.max_cache = max_cache
        self.cache: dict[tuple, Digit] = {}
        self.reads = 0  # candidate digits rasterized and classified (not from the cache)
        # How far apart two strokes' ink is, and up to what distance it was measured.
        self.distances: dict[tuple, tuple[float, float]] = {}

    def read(self, strokes: Strokes) -> list[Digit]:
        """The digits of the drawing, left to right (see the module docstring)."""
        layout = self.layout(strokes)
        return [layout.digits[run] for run in layout.best(self.weights)]

    def layout(self, strokes: Strokes) -> Layout:
        """The strokes' candidate digits, read by the network, and their features."""
        points = _points(strokes)
        boxes = sorted(_boxes(points), key=lambda s: s.centre)
        if not boxes:
            strokes_to_pixels([])  # raises EmptyDrawing, as for one digit
        top, bottom = _extent(boxes)
        height = max(bottom - top, max(s.right - s.left for s in boxes), 1e-9)
        gaps = _cut_gaps(boxes)
        longest = MAX_STROKES
        sizes = [len(points[box.index]) for box in boxes]

        def too_much(runs: list[tuple[int, int]]) -> bool:
            return (len(runs) > MAX_CANDIDATES
                    or sum(sum(sizes[i:j]) for i, j in runs) > MAX_POINTS_READ)

        # Digits stand on a baseline: the median bottom of the strokes at least half as tall
        # as the line (a 4's open L, a 5's flag or a 7's bar end above it).
        baseline = statistics.median([s.bottom for s in boxes if s.bottom - s.top >= height / 2]
                                     or [bottom])
        fragment = [_is_fragment(s, baseline, height) for s in boxes]

        def cuts(split_gap: float) -> list[bool]:
            """Which cuts separate digits: those at least ``split_gap`` wide, except beside a
            fragment (a stroke that cannot be a digit alone) and narrower than FRAGMENT_GAP."""
            return [g >= split_gap and not (g < FRAGMENT_GAP * height
                                            and (fragment[k] or fragment[k + 1]))
                    for k, g in enumerate(gaps)]

        forced = cuts(SPLIT_GAP * height)
        runs = _candidate_runs(forced, longest)
        if too_much(runs):  # every clean cut splits (but beside fragments)
            forced = cuts(0.0)
            runs = _candidate_runs(forced, longest)
        while too_much(runs) and longest > 1:  # and digits have fewer strokes
            longest -= 1
            runs = _candidate_runs(forced, longest)
        distances: dict[tuple[int, int], float] = {}

        def apart(k: int, m: int) -> float:
            """How far apart the ink of boxes[k] and boxes[m] is (in heights, up to FAR)."""
            k, m = min(k, m), max(k, m)
            if (k, m) not in distances:
                distances[k, m] = self._ink_distance(points[boxes[k].index],
                                                     points[boxes[m].index], FAR * height) / height
            return distances[k, m]

        joins = []
        for k, ((a, b), g, cut) in enumerate(zip(itertools.pairwise(boxes), gaps, forced,
                                                  strict=True)):
            if cut:  # no candidate joins them: their ink need not be measured
                joins.append([0.0] * len(JOIN_FEATURES))
                continue
            ink = apart(k, k + 1)
            joins.append([1.0, _overlap(a, b), min(g / height, 0.0), max(g / height, 0.0),
                          float(ink < TOUCH), ink])
        digits, features = {}, {}
        for i, j in runs:
            group = boxes[i:j]
            try:
                digits[i, j] = digit = self._digit(points, group)
            except TooLarge:  # more ink than one digit may have (docs/limits.md)
                if j - i == 1:
                    raise
                continue
            group_top, group_bottom = _extent(group)
            tall = (group_bottom - group_top) / height
            wide = (max(s.right for s in group) - min(s.left for s in group)) / height
            first, second = sorted(digit.probabilities, reverse=True)[:2]
            spread = wide - max(s.right - s.left for s in group) / height
            features[i, j] = [math.log(max(first, 1e-12)),
                              min(math.log(max(first, 1e-12) / max(second, 1e-12)) / MARGIN,
                                  1.0),
                              max(0.6 - tall, 0.0), max(0.35 - tall, 0.0),
                              max(wide - 1.0, 0.0),
                              max((baseline - group_bottom) / height - 0.1, 0.0),
                              max((baseline - group_bottom) / height - 0.04, 0.0),
                              j - i - 1.0, 1.0, spread]
        for (i, j), values in features.items():
            same = sum(run in digits and digits[run].digit == digits[i, j].digit
                       for run in ((i + 1, j), (i, j - 1)) if j - i > 1)
            links = _spanning_tree(range(i, j), apart)
            composed = values[1] if j - i > 1 and not same else 0.0
            values += [float(same), sum(links), float(sum(link < TOUCH for link in links)),
                       composed, _hollow(boxes[i:j]) / height, _parted(boxes[i:j])]
        return Layout(boxes, features, joins, digits)

    def _ink_distance(self, a: tuple[tuple[float, float], ...],
                      b: tuple[tuple[float, float], ...], far: float) -> float:
        """:func:`_ink_distance`, remembered (live recognition measures the same strokes again
        after each new one, against a line height that may have grown)."""
        known = self.distances.get((a, b))
        if known is not None:
            distance, measured_to = known
            if distance < measured_to or far <= measured_to:  # exact, or beyond both limits
                return min(distance, far)
        distance = _ink_distance(a, b, far)
        if len(self.distances) >= self.max_cache:
            self.distances.pop(next(iter(self.distances)))
        self.distances[a, b] = distance, far
        return distance

    def _digit(self, points: list[tuple[tuple[float, float], ...]],
               group: list[_Stroke]) -> Digit:
        """The strokes of ``group`` as one digit, read by the network or from the cache."""
        indices = tuple(sorted(s.index for s in group))
        key = tuple(points[i] for i in indices)
        digit = self.cache.get(key)
        if digit is None:
            pixels = strokes_to_pixels(key)
            digit = Digit(indices, pixels, list(self.probabilities(pixels)))
            self.reads += 1
            if len(self.cache) >= self.max_cache:
                self.cache.pop(next(iter(self.cache)))
            self.cache[key] = digit
        elif digit.strokes != indices:  # the same ink, now at other indices
            digit = Digit(indices, digit.pixels, digit.probabilities)
        return digit


def to_json(digits: Sequence[Digit]) -> dict:
    """``{"number": "2026", "digits": [{"digit", "probabilities", "strokes"}, ...]}``."""
    return {"number": "".join(str(d.digit) for d in digits),
            "digits": [{"digit": d.digit, "probabilities": d.probabilities,
                        "strokes": list(d.strokes)} for d in digits]}


def read_number(strokes: Strokes, probabilities: Callable[[Pixels], Sequence[float]]
                ) -> list[Digit]:
    """The digits written in ``strokes``, left to right, read with ``probabilities``."""
    return Reader(probabilities).read(strokes)


def _points(strokes: Strokes) -> list[tuple[tuple[float, float], ...]]:
    """The strokes, checked by :mod:`hwd.inputs`, as tuples of (x, y) floats (hashable, so
    candidate digits can be cached)."""
    return [tuple(stroke) for stroke in checked_strokes(strokes)]


def _boxes(points: list[tuple[tuple[float, float], ...]]) -> list[_Stroke]:
    """Each non-empty stroke's horizontal and vertical extent."""
    boxes = []
    for index, stroke in enumerate(points):
        if stroke:
            xs, ys = [x for x, _ in stroke], [y for _, y in stroke]
            boxes.append(_Stroke(index, min(xs), max(xs), min(ys), max(ys)))
    return boxes


def _cut_gaps(boxes: list[_Stroke]) -> list[float]:
    """For each place k between boxes[k] and boxes[k+1]: the empty horizontal space between
    everything left of it and everything right of it (negative: no clean cut)."""
    right_end, ends = -math.inf, []
    for box in boxes[:-1]:
        right_end = max(right_end, box.right)
        ends.append(right_end)
    left_start, starts = math.inf, []
    for box in reversed(boxes[1:]):
        left_start = min(left_start, box.left)
        starts.append(left_start)
    return [start - end for end, start in zip(ends, reversed(starts), strict=True)]


def _candidate_runs(forced: list[bool], longest: int) -> list[tuple[int, int]]:
    """Runs [i, j) of at most ``longest`` strokes with no forced cut inside (``forced[k]``:
    the cut between strokes k and k + 1 always separates digits)."""
    runs = []
    for i in range(len(forced) + 1):
        for j in range(i + 1, min(i + longest, len(forced) + 1) + 1):
            runs.append((i, j))
            if j - 1 < len(forced) and forced[j - 1]:
                break
    return runs


def _is_fragment(stroke: _Stroke, baseline: float, height: float) -> bool:
    """Whether a stroke cannot be a digit alone: shorter than half the line, or ending above
    the baseline (a 4's open L, a 5's flag, a 7's bar)."""
    return (stroke.bottom - stroke.top < FRAGMENT_HEIGHT * height
            or baseline - stroke.bottom > FRAGMENT_LIFT * height)


def _best_cut(n: int, score: dict[tuple[int, int], float],
              pair: Callable[[tuple[int, int], tuple[int, int]], float] = lambda a, b: 0.0
              ) -> list[tuple[int, int]]:
    """The runs covering 0..n with the largest total score: each run's ``score`` plus
    ``pair(a, b)`` for each two neighbouring runs a, b (dynamic programming over the last
    run of a cut)."""
    ending: dict[int, list[tuple[int, int]]] = {}
    best: dict[tuple[int, int], float] = {}  # run -> the best cut of 0..j ending with it
    previous: dict[tuple[int, int], tuple[int, int] | None] = {}
    for run in sorted(score, key=lambda r: (r[1], r[0])):
        i, j = run
        if i == 0:
            best[run], previous[run] = score[run], None
        else:
            options = [(best[a] + pair(a, run), a) for a in ending.get(i, [])]
            if not options:
                continue
            value, previous[run] = max(options, key=lambda option: option[0])
            best[run] = value + score[run]
        ending.setdefault(j, []).append(run)
    last: tuple[int, int] | None = max(ending[n], key=best.__getitem__)
    cut = []
    while last is not None:
        cut.append(last)
        last = previous[last]
    return cut[::-1]


def _step(a: Sequence[_Stroke], b: Sequence[_Stroke]) -> float:
    """How far two neighbouring digits' bottoms differ, as a fraction of the taller one's
    height, beyond STEP_FREE: digits side by side stand on one line, where a 4's L read
    alone ends halfway up its stem."""
    (top_a, bottom_a), (top_b, bottom_b) = _extent(a), _extent(b)
    tallest = max(bottom_a - top_a, bottom_b - top_b)
    return max(abs(bottom_a - bottom_b) / max(tallest, 1e-9) - STEP_FREE, 0.0)


def _extent(group: Sequence[_Stroke]) -> tuple[float, float]:
    """The top and the bottom of a group of strokes' ink."""
    return min(s.top for s in group), max(s.bottom for s in group)


def _hollow(group: Sequence[_Stroke]) -> float:
    """How much of a group's height no stroke covers: each stroke's ink spans its vertical
    extent, and a digit's strokes together span the digit's (a 1's flag and foot alone,
    one above the other, leave the middle empty)."""
    empty, reached = 0.0, math.inf
    for top, bottom in sorted((s.top, s.bottom) for s in group):
        if top > reached:
            empty += top - reached
        reached = bottom if reached == math.inf else max(reached, bottom)
    return empty


def _parted(group: Sequence[_Stroke]) -> float:
    """How wide the empty cuts inside a group are, in its own height, between parts that
    each stand on its bottom and are at least PART_HEIGHT of its height: two digits side by
    side (a 1 and a small 0, small beside a big digit elsewhere in the line), not a digit
    and its own fragment (a 4's L or a 5's flag ends above the digit's bottom, a 1's foot
    or a dot is flat)."""
    top, bottom = _extent(group)
    tall = max(bottom - top, 1e-9)

    def stands(part: Sequence[_Stroke]) -> bool:
        part_top, part_bottom = _extent(part)
        return (part_bottom - part_top >= PART_HEIGHT * tall
                and bottom - part_bottom <= FRAGMENT_LIFT * tall)

    return sum(gap for k, gap in enumerate(_cut_gaps(list(group)))
               if gap > 0 and stands(group[:k + 1]) and stands(group[k + 1:])) / tall


def _spanning_tree(nodes: Sequence[int], distance: Callable[[int, int], float]) -> list[float]:
    """The lengths of the links of a minimum spanning tree of ``nodes`` (Prim's algorithm):
    how a digit's strokes hang together, whatever the order they lie in."""
    inside, outside, links = [nodes[0]], list(nodes[1:]), []
    while outside:
        length, node = min((distance(k, m), m) for k in inside for m in outside)
        links.append(length)
        inside.append(node)
        outside.remove(node)
    return links


def _ink_distance(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]],
                  far: float) -> float:
    """About how close two strokes' ink comes (points of one to segments of the other, on
    SAMPLES points of each), or ``far`` if their boxes are at least that far apart."""
    a, b = _thin(a), _thin(b)
    if (min(x for x, _ in b) - max(x for x, _ in a) >= far
            or min(x for x, _ in a) - max(x for x, _ in b) >= far):
        return far
    return min(far, min(_to_polyline(p, b) for p in a), min(_to_polyline(p, a) for p in b))


def _thin(stroke: Sequence[tuple[float, float]]) -> Sequence[tuple[float, float]]:
    step = max(len(stroke) // SAMPLES, 1)
    return [*stroke[::step], stroke[-1]]


def _to_polyline(p: tuple[float, float], line: Sequence[tuple[float, float]]) -> float:
    """The distance from point p to a polyline (a single point is a polyline too)."""
    px, py = p
    best = math.inf
    for (ax, ay), (bx, by) in itertools.pairwise(line) if len(line) > 1 else [(line[0],) * 2]:
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = min(max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0) if length2 else 0.0
        best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
    return best


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _overlap(a: _Stroke, b: _Stroke) -> float:
    """How much two strokes overlap horizontally, as a fraction of the narrower one (0..1)."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    narrower = min(a.right - a.left, b.right - b.left)
    if shared <= 0:
        return 0.0
    return 1.0 if narrower <= 0 else min(shared / narrower, 1.0)
