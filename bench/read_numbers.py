"""Numbers written by real people: how well hwd.segment splits them into digits and reads them.

    HWD_DATA_DIR=../shared/data python bench/read_numbers.py [--n 400] [--writers all|tune|check]
    HWD_DATA_DIR=../shared/data python bench/read_numbers.py --fit --writers tune --n 300
    HWD_DATA_DIR=../shared/data python bench/read_numbers.py --writers tune --n 1000 \
        --search hollow=0,-3,-6,-10,-15 --search step=0,-5,-10,-20,-30

Numbers of 2 to 12 UNIPEN digits of one writer (train/unipen_numbers.py builds them: natural
size ratios, size and baseline jitter, a late bar or flag in 30 % of them), ``--n`` per gap
class.  For each gap class it prints: segmentation accuracy (every digit's strokes grouped
right), digit accuracy (digits grouped right and read right), whole-number accuracy, and
beside them what perfect segmentation gives (the number; each digit drawn alone, i.e. the
single-digit accuracy of the same drawings), the cost (digits rasterized and read per
number, ms per number in CPython), how many writers the misgrouped numbers come from (misses
cluster: a writer's style repeats in all the numbers made of their digits, so a few writers
can decide a class's figure whatever ``--n`` is), how many misgrouped numbers were out
of reach (their right digits not among the candidates, so no weights could find them), and
a 90 % interval of the segmentation accuracy from resampling the writers (how far another
set of writers might move it); after the table, whose data the misgrouped numbers are made
of, by UNIPEN source.  The
segmentation's settings were tuned on the ``tune`` half of the writers (``--fit``);
``check`` is the other half.  (Not named numbers.py: the standard library's ``numbers``,
which numpy imports, would be shadowed for every script in bench/.)
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections import Counter, defaultdict

import hwd
from hwd import models, segment
from hwd.segment import Reader
from train import unipen, unipen_numbers

ROWS = (*unipen_numbers.GAP_CLASSES, "late", "check writers", "all")  # the table's, in order
EPOCHS = 40  # passes of the structured perceptron over the tuning numbers (--fit)
# Where the fit starts: weights set by hand before any fitting (every other feature's is 0).
START = {"confidence": 1.0, "short": -10.0, "very short": -10.0, "wide": -2.0, "lifted": -10.0,
         "raised": -10.0, "join": -2.0, "overlap": 4.0, "depth": -30.0, "gap": -30.0,
         "touch": 2.0, "apart": -10.0}


Tally = dict[str, dict[str, float]]  # each row's figures
Sources = dict[str, dict[str, tuple[int, int]]]  # each row's misses_by_source


def measure(reader: Reader, numbers: list[unipen_numbers.Number], alone: dict[tuple, int],
            check: set | frozenset = frozenset()) -> tuple[Tally, Sources]:
    """The figures of each gap class, of the numbers with a late stroke and of those by the
    writers in ``check``, and whose data each one's misgrouped numbers are made of."""
    tally: Tally = defaultdict(lambda: defaultdict(float))
    # Numbers segmented right and numbers, by writer: whose numbers were misgrouped, and
    # the interval, drawn over writers.
    by_writer: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for number in numbers:
        reads, start = reader.reads, time.perf_counter()
        digits = reader.read(number.strokes)
        seconds, reads = time.perf_counter() - start, reader.reads - reads
        grouped = tuple(d.strokes for d in digits) == number.groups
        # Misgrouped with the right digits not even among the candidates (a stroke further
        # from its digit than the rule lets any stroke join): no weights could find it.
        out_of_reach = not grouped and not _in_reach(reader.layout(number.strokes), number)
        found = {d.strokes: d.digit for d in digits}
        right = [alone[_key(number, g)] == label
                 for g, label in zip(number.groups, number.labels, strict=True)]
        for name in (number.gap_class, "late" if number.late else None,
                     "check writers" if number.writer in check else None, "all"):
            if name is None:
                continue
            t = tally[name]
            by_writer[name][number.writer][0] += grouped
            by_writer[name][number.writer][1] += 1
            t["numbers"] += 1
            t["segmented"] += grouped
            t["out of reach"] += out_of_reach
            t["digits"] += len(number.labels)
            t["digits right"] += sum(found.get(g) == label
                                     for g, label in zip(number.groups, number.labels,
                                                         strict=True))
            t["alone right"] += sum(right)
            t["number right"] += "".join(str(d.digit) for d in digits) == number.text
            t["perfect number right"] += all(right)
            t["reads"] += reads
            t["seconds"] += seconds
    for name, counts in by_writer.items():  # seeded by name: a rerun prints the same interval
        tally[name]["writers"] = sum(ok < n for ok, n in counts.values())
        interval = writer_interval(list(counts.values()), random.Random(name))
        tally[name]["low"], tally[name]["high"] = interval
    return tally, {name: misses_by_source(counts) for name, counts in by_writer.items()}


def misses_by_source(counts: dict[tuple[str, str], list[int]]) -> dict[str, tuple[int, int]]:
    """Each UNIPEN source's misgrouped numbers and numbers, ``counts`` being each (source,
    writer)'s [right, numbers], for the sources with a miss: the sources' quirks differ (the
    data's README: CEDAR's digits were cut out of sentences, some with a neighbouring
    stroke), so this says whose data the misses are made of."""
    missed: Counter = Counter()
    numbers: Counter = Counter()
    for (source, _), (ok, n) in counts.items():
        missed[source] += n - ok
        numbers[source] += n
    return {source: (missed[source], numbers[source]) for source in missed if missed[source]}


def writer_interval(counts: list[list[int]], rng: random.Random, rounds: int = 1000,
                    level: float = 0.9) -> tuple[float, float]:
    """A ``level`` bootstrap interval of the share right, ``counts`` being each writer's
    [right, numbers]: misses cluster by writer (a style repeats in every number made of its
    digits), so the writers, not the numbers, are what another sample would draw anew."""
    shares = []
    for _ in range(rounds):
        drawn = rng.choices(counts, k=len(counts))
        shares.append(sum(r for r, _ in drawn) / sum(n for _, n in drawn))
    shares.sort()
    return (shares[int((1 - level) / 2 * rounds)],
            shares[min(int((1 + level) / 2 * rounds), rounds - 1)])


def fit(reader: Reader, numbers: list[unipen_numbers.Number]) -> dict[str, float]:
    """The weights of segment's features that cut the numbers right most often: an averaged
    structured perceptron (Collins 2002), starting from START."""
    names = (*segment.DIGIT_FEATURES, *segment.JOIN_FEATURES, *segment.PAIR_FEATURES)
    layouts = [(layout, truth) for layout, truth, _ in _reachable(reader, numbers)]
    weights = [START.get(name, 0.0) for name in names]
    total, steps = [0.0] * len(names), 0
    rng = random.Random(0)
    for _ in range(EPOCHS):
        rng.shuffle(layouts)
        for layout, truth in layouts:
            guess = layout.best(dict(zip(names, weights, strict=True)))
            if guess != truth:
                delta = [t - g for t, g in zip(layout.features(truth), layout.features(guess),
                                               strict=True)]
                weights = [w + d for w, d in zip(weights, delta, strict=True)]
            total = [t + w for t, w in zip(total, weights, strict=True)]
            steps += 1
    return {name: t / steps for name, t in zip(names, total, strict=True)}


def search(reader: Reader, numbers: list[unipen_numbers.Number],
           grid: dict[str, list[float]]) -> dict[str, float]:
    """The weights that cut the numbers right most often when only the features in ``grid``
    change (every combination of their values is tried; the others keep the reader's):
    how new features are weighed without moving the fitted ones.  Prints each try."""
    layouts = _reachable(reader, numbers)
    best, most = dict(reader.weights), -1
    for values in itertools.product(*grid.values()):
        weights = reader.weights | dict(zip(grid, values, strict=True))
        right: dict[str, int] = defaultdict(int)
        for layout, truth, gap_class in layouts:
            right[gap_class] += layout.best(weights) == truth
        print(dict(zip(grid, values, strict=True)), dict(right), sum(right.values()))
        if sum(right.values()) > most:  # ties: the first tried
            best, most = weights, sum(right.values())
    return best


def _reachable(reader: Reader, numbers: list[unipen_numbers.Number]
               ) -> list[tuple[segment.Layout, list[tuple[int, int]], str]]:
    """Each number's layout, right digits (as runs) and gap class, for the numbers whose
    right digits are among the candidates (for the others no weights could find them)."""
    layouts = []
    for number in numbers:
        layout = reader.layout(number.strokes)
        if _in_reach(layout, number):
            layouts.append((layout, _truth(layout, number), number.gap_class))
    return layouts


def _in_reach(layout: segment.Layout, number: unipen_numbers.Number) -> bool:
    """Whether the number's right digits are all among the layout's candidate runs."""
    return all(run in layout.runs for run in _truth(layout, number))


def _truth(layout: segment.Layout, number: unipen_numbers.Number) -> list[tuple[int, int]]:
    """The right digits as runs [i, j) of the layout's strokes (sorted left to right)."""
    position = {box.index: k for k, box in enumerate(layout.boxes)}
    return sorted((min(position[i] for i in g), max(position[i] for i in g) + 1)
                  for g in number.groups)


def _key(number: unipen_numbers.Number, group: tuple[int, ...]) -> tuple:
    return tuple(tuple(map(tuple, number.strokes[i])) for i in group)


def read_alone(network: hwd.Network, numbers: list[unipen_numbers.Number]) -> dict[tuple, int]:
    """Each digit of each number read on its own (perfect segmentation)."""
    alone = {}
    for number in numbers:
        for group in number.groups:
            key = _key(number, group)
            if key not in alone:
                alone[key] = network.predict(hwd.strokes_to_pixels(key))[0]
    return alone


def print_table(tally: Tally, sources: Sources) -> None:
    low_high = {name: f"{lo:+.0%}..{hi:+.0%}" for name, (lo, hi)
                in unipen_numbers.GAP_CLASSES.items()}
    print(f"{'gap class':<22}{'numbers':>8}{'segmented':>11}{'digits':>9}{'number':>9}"
          f"{'perfect seg.':>14}{'alone':>8}{'reads':>7}{'ms':>7}{'writers':>9}"
          f"{'out of reach':>14}{'segmented, 90 % by writer':>28}")
    for name in ROWS:
        t = tally.get(name)
        if not t:
            continue
        label = f"{name} ({low_high[name]})" if name in low_high else name
        n = t["numbers"]
        print(f"{label:<22}{n:>8.0f}{t['segmented'] / n:>11.2%}"
              f"{t['digits right'] / t['digits']:>9.2%}{t['number right'] / n:>9.2%}"
              f"{t['perfect number right'] / n:>14.2%}{t['alone right'] / t['digits']:>8.2%}"
              f"{t['reads'] / n:>7.1f}{1000 * t['seconds'] / n:>7.0f}{t['writers']:>9.0f}"
              f"{t['out of reach']:>14.0f}{t['low']:>18.2%} - {t['high']:.2%}")
    print("misgrouped numbers by UNIPEN source, of its numbers "
          "(the sources' quirks: the data's README)")
    for name in ROWS:
        if by_source := sources.get(name):
            print(f"  {name}: " + ", ".join(f"{source} {missed} of {n}" for source, (missed, n)
                                            in sorted(by_source.items(), key=lambda kv: -kv[1][0])))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=400, help="numbers per gap class (400)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--writers", choices=("all", "tune", "check"), default="all")
    p.add_argument("--network", help="name or .npz path (default: the manifest's default)")
    p.add_argument("--data", help="the folder holding unipen-digits/ (default $HWD_DATA_DIR)")
    p.add_argument("--fit", action="store_true",
                   help="fit the segmentation's weights on these numbers and print them")
    p.add_argument("--search", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="weigh these features on these numbers, the others as they are "
                        "(repeat for several: every combination is tried); print the best")
    args = p.parse_args()
    grid = {name: [float(v) for v in values.split(",")]
            for name, values in (a.split("=", 1) for a in args.search)}
    if unknown := set(grid) - set(segment.WEIGHTS):
        p.error(f"no such feature: {', '.join(sorted(unknown))}")
    writers = unipen_numbers.by_writer(unipen.drawings(args.data))
    check = set(unipen_numbers.halves(writers)[1])
    if args.writers != "all":
        half = unipen_numbers.halves(writers)[args.writers == "check"]
        writers = {w: writers[w] for w in half}
    numbers = unipen_numbers.sample(writers, args.n, args.seed)
    network = hwd.load(models.resolve(args.network))
    print(f"{len(numbers)} numbers of {sum(len(n.labels) for n in numbers)} digits from "
          f"{len(writers)} writers ({args.writers}); network {models.resolve(args.network)}")
    alone = read_alone(network, numbers)
    reader = Reader(network.feedforward, max_cache=10**9)
    if not args.fit and not grid:
        print_table(*measure(reader, numbers, alone, check))
        return 0
    reader.weights = search(reader, numbers, grid) if grid else fit(reader, numbers)
    print("WEIGHTS = {" + ", ".join(f'"{k}": {v:.3g}' for k, v in reader.weights.items()) + "}")
    print_table(*measure(reader, numbers, alone))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
