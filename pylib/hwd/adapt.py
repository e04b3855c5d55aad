"""Teach a network someone's handwriting: the smallest change to its last layer that reads
their examples as they meant them, while MNIST digits keep their scores.

The hidden layers stay as trained; only the last layer ``z = W h + b`` (the ten scores,
before softmax) changes.  Write ``x = (h, 1) / s`` for a drawing's last-hidden-layer
activations with a 1 for the bias, scaled by ``s`` (the anchors' root-mean-square norm,
so the settings mean the same for every network).  For each taught example ``j`` we
want its scores to move by a target ``t_j``: up for the digit meant, down for its
strongest rival, until the digit meant leads by as much as the network's own digit leads
on a typical MNIST digit (``MARGIN`` times the anchors' median lead; zero when it already
does).
For each anchor (an MNIST training digit, :mod:`hwd.anchors`) the target is zero.  The
change of ``[W | b]`` that meets the targets with the least squared size (ridge) is

    ΔW = Σ_j a_j x_j^T,    A = (K + λI)^-1 T,    K_ij = x_i · x_j,

a combination of the drawings' own activations: a drawing that resembles taught
example ``j`` (large ``x · x_j``) moves the way example ``j`` was told to.  The targets
are recomputed from the adapted scores ``ROUNDS`` times (a correction can create a new
rival).  One Cholesky factorization, a few triangular solves, no iterations to tune,
and the same examples always give the same network.  docs/adapt.md says why this and
how the settings were chosen.

The work is a generator (:meth:`Adapter.steps`) that yields after each small piece, so
the page can hand control back to the browser between pieces; :func:`adapt` runs it to
the end.  Standard library only.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass

from . import anchors
from .inputs import InputError, describe, number, one_line, parse_json
from .network import ACTIVATIONS, Network
from .packed import PackedMatrix
from .preprocess import strokes_to_pixels

# How far the digit meant must lead its rival, in multiples of how far an anchor's own digit
# leads (the median over the anchors): a network's scores have their own scale.
MARGIN = 1.0
RIDGE = 0.01  # λ: the price of changing the weights, relative to fitting the targets
ROUNDS = 3  # times the targets are recomputed from the adapted scores
N_PIXELS = 784
INT16_BITS = 15  # PackedMatrix of int16 weights: |q| < 2**15
FLOAT_BITS = 24  # PackedMatrix.from_rows's default for float weights

Vector = list[float]


def _sumprod(a: Sequence[float], b: Sequence[float]) -> float:
    """a · b (math.sumprod exists from Python 3.12; Pyodide has it)."""
    return sum(map(operator.mul, a, b))


dot = getattr(math, "sumprod", _sumprod)


class ExampleError(InputError):
    """An example that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Example:
    """A drawing as the network sees it (784 pixels, 0..1) and the digit the person meant."""

    label: int
    pixels: tuple[float, ...]


def example_from_json(data: object) -> Example:
    """An Example from ``{"label": d, "strokes": [...]}`` or ``{"label": d, "pixels": [784]}``
    (parsed JSON), checked by :mod:`hwd.inputs` like every input HWD reads."""
    if not isinstance(data, dict):
        raise ExampleError('an example must be a JSON object {"label": d, "strokes": [...]}, '
                           f"not {describe(data)}")
    label = data.get("label")
    if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9:
        raise ExampleError(f'"label" must be a digit 0-9, not {describe(label)}')
    try:
        if "pixels" in data:
            pixels = data["pixels"]
            if not isinstance(pixels, list) or len(pixels) != N_PIXELS:
                raise ExampleError(f'"pixels" must be a list of {N_PIXELS} numbers')
            values = tuple(number(v, f"pixels[{i}]") for i, v in enumerate(pixels))
            if not all(0.0 <= v <= 1.0 for v in values):
                raise ExampleError('"pixels" must be numbers from 0 (background) to 1 (ink)')
            return Example(label, values)
        if "strokes" not in data:
            raise ExampleError('needs "strokes": [[[x, y], ...], ...] or "pixels": [784 numbers]')
        return Example(label, tuple(strokes_to_pixels(data["strokes"])))
    except ExampleError:
        raise
    except InputError as e:  # the strokes or numbers, as hwd.inputs describes them
        raise ExampleError(one_line(e)) from None


def read_examples(lines: Iterable[str], name: str = "examples") -> list[Example]:
    """Examples from JSON Lines (blank lines skipped); a bad line raises ExampleError naming it."""
    examples = []
    for line_number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}, line {line_number}"
        try:
            examples.append(example_from_json(parse_json(line, where)))
        except ExampleError as e:
            raise ExampleError(f"{where}: {e}") from None
        except InputError as e:  # parse_json's message names the line already
            raise ExampleError(one_line(e)) from None
    if not examples:
        raise ExampleError(f"{name}: no examples")
    return examples


def last_hidden(network: Network, pixels: Sequence[float]) -> Vector:
    """The activations that feed the last layer (the input itself for a one-layer network)."""
    a = network.prepare(pixels)
    for w, b, f in zip(network.weights[:-1], network.biases[:-1], network.activations[:-1],
                       strict=True):
        a = ACTIVATIONS[f]([z + bj for z, bj in zip(w.dot(a), b, strict=True)])
    return list(a)


class Adapter:
    """Adapts one base network to one set of examples after another, remembering what does
    not change: each drawing's activations, their dot products, and the factorization's rows
    for the examples taught before.  Teaching one more example then costs one forward pass
    and one new row, not the whole work again (the result is the same either way)."""

    def __init__(self, network: Network, base: str = "", margin: float = MARGIN,
                 ridge: float = RIDGE) -> None:
        """``base``: how to name the base network in the adapted one's meta."""
        self.network, self.base = network, base
        self.margin_ratio, self.ridge = margin, ridge
        self.margin = 0.0  # in scores: set with the anchors
        self.scale = 1.0  # s: set with the anchors
        # Every drawing seen gets a number (the anchors are 0..49): its x = (h, 1) / s and
        # its scores before adapting.
        self._numbers: dict[tuple[float, ...], int] = {}
        self._x: list[Vector] = []
        self._scores: list[Vector] = []
        self._dots: dict[tuple[int, int], float] = {}  # (i, j), i <= j: x_i · x_j
        self._factored: tuple[list[int], list[Vector]] = ([], [])  # numbers, Cholesky rows

    def _anchor_steps(self) -> Generator[None, None, None]:
        """The anchors' features, the scale s and the margin in scores, once per network."""
        if self._x:
            return
        hidden, scores, leads = [], [], []
        for label, pixels in anchors.digits():
            hidden.append([*last_hidden(self.network, pixels), 1.0])
            scores.append(self._base_scores(hidden[-1]))
            leads.append(scores[-1][label] - max(v for c, v in enumerate(scores[-1]) if c != label))
            yield
        self.scale = math.sqrt(sum(dot(x, x) for x in hidden) / len(hidden)) or 1.0
        self._x = [[v / self.scale for v in x] for x in hidden]
        self._scores = scores
        self.margin = self.margin_ratio * max(statistics.median(leads), 1.0)

    def _base_scores(self, x: Vector) -> Vector:
        """W h + b for x = (h, 1)."""
        return [z + b for z, b in zip(self.network.weights[-1].dot(x[:-1]),
                                      self.network.biases[-1], strict=True)]

    def _number(self, pixels: tuple[float, ...]) -> int:
        """The drawing's number, computing its activations the first time it is seen."""
        if pixels not in self._numbers:
            x = [*last_hidden(self.network, pixels), 1.0]
            self._scores.append(self._base_scores(x))
            self._x.append([v / self.scale for v in x])
            self._numbers[pixels] = len(self._x) - 1
        return self._numbers[pixels]

    def _dot(self, i: int, j: int) -> float:
        key = (i, j) if i <= j else (j, i)
        if key not in self._dots:
            self._dots[key] = dot(self._x[i], self._x[j])
        return self._dots[key]

    def adapt(self, examples: Sequence[Example]) -> Network:
        """The adapted network (all steps at once)."""
        return finish(self.steps(examples))

    def steps(self, examples: Sequence[Example]) -> Generator[None, None, Network]:
        """Adapt to ``examples``, yielding after each small piece of work; returns the network."""
        if not examples:
            return self.network
        yield from self._anchor_steps()
        numbers = list(range(len(anchors.LABELS)))  # the anchors, then the examples
        for example in examples:
            numbers.append(self._number(example.pixels))
            yield
        first, size = len(anchors.LABELS), len(numbers)
        gram = []  # K + λI, row by row
        for i, a in enumerate(numbers):
            gram.append([self._dot(a, b) + (self.ridge if i == j else 0.0)
                         for j, b in enumerate(numbers)])
            yield
        factor = yield from self._cholesky_steps(numbers, gram)
        targets = [[0.0] * size for _ in range(10)]  # per digit: one target per drawing
        coefficients = [[0.0] * size for _ in range(10)]
        for _ in range(ROUNDS):
            for j in range(first, size):
                scores = [s + dot(gram[j], coefficients[c]) - self.ridge * coefficients[c][j]
                          for c, s in enumerate(self._scores[numbers[j]])]
                meant = examples[j - first].label
                rival = max((c for c in range(10) if c != meant), key=scores.__getitem__)
                need = max(0.0, self.margin - (scores[meant] - scores[rival]))
                targets[meant][j] += need / 2
                targets[rival][j] -= need / 2
            coefficients = []
            for t in targets:
                coefficients.append(factor.solve(t))
                yield
        # The change of s·[W | b] is A^T X: its column k is Σ_j a_jc x_jk.
        columns = list(zip(*[self._x[a] for a in numbers], strict=True))
        w_rows, bias = self.network.weights[-1].rows(), self.network.biases[-1]
        rows = []
        for c in range(10):
            delta = [dot(coefficients[c], column) / self.scale for column in columns]
            rows.append([w + d for w, d in zip(w_rows[c], delta[:-1], strict=True)] +
                        [bias[c] + delta[-1]])
            yield
        weights = [*self.network.weights[:-1],
                   pack_like(self.network.weights[-1], [r[:-1] for r in rows])]
        biases = [*self.network.biases[:-1], [r[-1] for r in rows]]
        return Network(weights, biases, self.network.activations, self._meta(examples))

    def _cholesky_steps(self, numbers: list[int], gram: list[Vector]
                        ) -> Generator[None, None, Cholesky]:
        """L with L L^T = K + λI, row by row.  Row i depends only on rows 0..i, so the rows of
        the drawings that come first in the same order as last time are reused."""
        done, rows = self._factored
        lower: list[Vector] = []
        same = True  # so far, the same drawings in the same order as the last factorization
        for i, row in enumerate(gram):
            same = same and i < len(done) and done[i] == numbers[i]
            if same:
                lower.append(rows[i])
                continue
            li = [0.0] * (i + 1)
            for j in range(i):
                li[j] = (row[j] - dot(li[:j], lower[j][:j])) / lower[j][j]
            li[i] = math.sqrt(row[i] - dot(li[:i], li[:i]))
            lower.append(li)
            yield
        self._factored = (numbers, lower)
        return Cholesky(lower)

    def _meta(self, examples: Sequence[Example]) -> dict:
        """The base network's meta, saying it was adapted, to what and how."""
        meta = dict(self.network.meta)
        accuracy = meta.pop("test_accuracy", None)
        meta["adapted"] = {
            "base": self.base or "unknown", "examples": len(examples),
            "per_digit": [sum(e.label == d for e in examples) for d in range(10)],
            "method": "hwd.adapt: least change of the last layer (ridge) meeting score targets",
            "margin": self.margin_ratio, "margin_scores": round(self.margin, 3),
            "ridge": self.ridge, "rounds": ROUNDS, "anchors": len(anchors.LABELS),
            "base_test_accuracy": accuracy}
        return meta


def pack_like(base: PackedMatrix, rows: list[Vector]) -> PackedMatrix:
    """Weight rows packed as ``base`` was: int16 stays int16 (the file stays small and exact),
    float stays float."""
    return PackedMatrix.from_rows(rows, INT16_BITS if base.offset == 1 << INT16_BITS else FLOAT_BITS)


def finish(steps: Generator[None, None, Network]) -> Network:
    """Run a generator of :meth:`Adapter.steps` to the end and return its network."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def adapt(network: Network, examples: Sequence[Example], base: str = "") -> Network:
    """``network`` adapted to ``examples`` (see the module docstring)."""
    return Adapter(network, base).adapt(examples)


class Cholesky:
    """L with L L^T = K + λI, and its columns below the diagonal for the backward pass."""

    def __init__(self, lower: list[Vector]) -> None:
        self.lower = lower
        n = len(lower)
        self.below = [[lower[k][i] for k in range(i + 1, n)] for i in range(n)]

    def solve(self, t: Vector) -> Vector:
        """a with L L^T a = t: forward, then backward substitution."""
        lower, n = self.lower, len(self.lower)
        y: Vector = []
        for i in range(n):
            y.append((t[i] - dot(lower[i][:i], y)) / lower[i][i])
        a = [0.0] * n
        for i in range(n - 1, -1, -1):
            a[i] = (y[i] - dot(self.below[i], a[i + 1:])) / lower[i][i]
        return a
