"""Numbers (issue 13): hwd.segment's rule, the command line and the REST answer.

The rule's pieces are tested against hand-made drawings and a stand-in classifier; the whole
reader against the shipped network on hand-drawn numbers and, with $HWD_DATA_DIR, on a fixed
sample of numbers built from UNIPEN digits (bench/read_numbers.py prints the full figures).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

import hwd
from hwd import models, segment
from hwd.segment import Reader, read_number
from hwd.server import App

# Digits drawn by hand in a 100 x 100 box (y down), as in tools/pagetools.py.
ONE = [[(50, 10), (50, 50), (50, 90)]]
SEVEN = [[(25, 15), (50, 15), (78, 15), (65, 40), (52, 65), (42, 90)]]
ZERO = [[(50, 10), (30, 20), (22, 50), (30, 80), (50, 90), (70, 80), (78, 50), (70, 20),
         (50, 10)]]
# A 4 in two strokes: the open L, then the stem crossing its bar.
FOUR = [[(45, 10), (20, 60), (80, 60)], [(62, 30), (62, 95)]]
# An open 4: the L, and a stem beside it that does not reach its bar (a gap of 0.15 height).
OPEN_FOUR = [[(22, 10), (15, 35), (15, 55), (50, 55)], [(62, 10), (62, 90)]]
# A 1 in three strokes: a slanted stem, a flag to its upper left, a foot to its lower left.
# In left-to-right order the foot and the flag come first, side by side, and each reads as a 1.
ONE_FLAG_FOOT = [[(60, 10), (52, 90)], [(40, 22), (58, 8)], [(28, 92), (52, 92)]]
# A 5: the body, then the flag at the top (written last).
FIVE = [[(30, 12), (27, 45), (50, 40), (68, 55), (65, 80), (45, 90), (25, 82)],
        [(30, 12), (70, 12)]]


def at(strokes, dx: float) -> list[list[tuple[float, float]]]:
    """The strokes moved right by dx."""
    return [[(x + dx, y) for x, y in s] for s in strokes]


def number(*digits, step: float = 90) -> list:
    """Digits (lists of strokes) written left to right, ``step`` apart."""
    return [s for k, d in enumerate(digits) for s in at(d, k * step)]


@pytest.fixture(scope="module")
def network() -> hwd.Network:
    return hwd.load(models.resolve("quick"))


def always_sure(pixels: list[float]) -> list[float]:
    """A stand-in classifier that is sure of every piece: the geometry alone decides."""
    return [0.91] + [0.01] * 9


# --- the rule's pieces ---------------------------------------------------------------------

def test_cut_gaps_are_the_empty_space_between_left_and_right():
    boxes = segment._boxes(segment._points([[(0, 0), (10, 5)], [(8, 0), (20, 5)],
                                            [(25, 0), (30, 5)]]))
    assert segment._cut_gaps(boxes) == [-2.0, 5.0]


def test_best_cut_finds_the_highest_scoring_runs():
    score = {(0, 1): -1.0, (1, 2): -1.0, (0, 2): -0.5, (2, 3): 0.0, (1, 3): -5.0}
    assert segment._best_cut(3, score) == [(0, 2), (2, 3)]
    score[0, 2] = -3.0
    assert segment._best_cut(3, score) == [(0, 1), (1, 2), (2, 3)]


def test_best_cut_adds_the_score_of_neighbouring_runs():
    """A pair score between neighbouring runs changes which cut is best."""
    score = {(0, 1): -1.0, (1, 2): -1.0, (0, 2): -2.5, (2, 3): 0.0}
    assert segment._best_cut(3, score) == [(0, 1), (1, 2), (2, 3)]
    penalty = {((0, 1), (1, 2)): -1.0}  # only this pair of neighbours costs something
    assert segment._best_cut(3, score, lambda a, b: penalty.get((a, b), 0.0)) == [
        (0, 2), (2, 3)]


def test_best_cut_is_the_best_of_all_cuts():
    """On random run and pair scores, the dynamic programming finds the total of the best
    of all cuts, enumerated one by one (an independent construction)."""
    rng = random.Random(11)

    def cuts(i: int, n: int):  # every way to cover i..n with runs of at most 3
        if i == n:
            yield []
        for j in range(i + 1, min(i + 3, n) + 1):
            for rest in cuts(j, n):
                yield [(i, j), *rest]

    for n in range(1, 7):
        score = {(i, j): rng.uniform(-3, 1) for i in range(n) for j in range(i + 1,
                                                                             min(i + 3, n) + 1)}
        pairs = {(a, b): rng.uniform(-1, 1) for a in score for b in score if a[1] == b[0]}

        def total(cut, pairs=pairs, score=score):
            return (sum(score[run] for run in cut)
                    + sum(pairs[a, b] for a, b in itertools.pairwise(cut)))

        found = segment._best_cut(n, score, lambda a, b, pairs=pairs: pairs[a, b])
        assert total(found) == pytest.approx(max(total(cut) for cut in cuts(0, n)))


def test_hollow_is_the_height_no_stroke_covers():
    """A 1's flag and foot alone leave the middle of their height empty; a digit's own
    strokes cover it."""
    flag_foot = segment._boxes(segment._points(ONE_FLAG_FOOT[1:]))
    assert segment._hollow(flag_foot) == pytest.approx(92 - 22)
    assert segment._hollow(segment._boxes(segment._points(FOUR))) == 0.0
    assert segment._hollow(segment._boxes(segment._points(FIVE))) == 0.0
    assert segment._hollow(segment._boxes(segment._points(ONE))) == 0.0


def test_step_is_how_far_neighbours_bottoms_differ():
    """An open 4's L, read alone, ends far above its stem's bottom; digits side by side on
    one line do not (up to STEP_FREE of the taller one's height)."""
    l_shape, stem = segment._boxes(segment._points(OPEN_FOUR))
    assert segment._step([l_shape], [stem]) == pytest.approx(
        (90 - 55) / 80 - segment.STEP_FREE)
    one, zero = segment._boxes(segment._points(number(ONE, ZERO)))
    assert segment._step([one], [zero]) == 0.0


def test_parted_is_the_gap_between_standing_parts():
    """A 1 and a small 0 side by side both stand on the bottom of the pair, with an empty
    gap between them (counted in the pair's own height); a digit's own fragments (a 4's L
    ends above its stem's bottom, a 1's flag and foot are flat) leave no such gap."""
    small_zero = [[(x / 2 + 75, y / 2 + 45) for x, y in ZERO[0]]]  # beside the 1's bottom
    one_zero = sorted(segment._boxes(segment._points(ONE + small_zero)),
                      key=lambda s: s.centre)
    assert segment._parted(one_zero) == pytest.approx((86 - 50) / 80)
    open_four = segment._boxes(segment._points(OPEN_FOUR))
    assert segment._cut_gaps(open_four)[0] > 0 and segment._parted(open_four) == 0.0
    flag_foot = sorted(segment._boxes(segment._points(ONE_FLAG_FOOT)), key=lambda s: s.centre)
    assert segment._parted(flag_foot) == 0.0
    assert segment._parted(segment._boxes(segment._points(ONE))) == 0.0


def test_candidate_runs_never_cross_a_forced_cut_and_are_bounded():
    runs = segment._candidate_runs([False, True, False, False], longest=2)
    assert runs == [(0, 1), (0, 2), (1, 2), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]


def test_fragments_are_strokes_that_cannot_be_a_digit_alone():
    """Short strokes and strokes ending above the baseline; tall strokes on it are not."""
    boxes = segment._boxes(segment._points([OPEN_FOUR[0], OPEN_FOUR[1], FIVE[1], ONE[0]]))
    assert [segment._is_fragment(b, baseline=90, height=80) for b in boxes] == [
        True, False, True, False]


def test_a_wide_gap_beside_a_fragment_is_no_forced_cut(network: hwd.Network):
    """The open L of a 4 and its stem, further apart than SPLIT_GAP: both are candidates
    together (a wide gap between two whole digits still forces a cut)."""
    layout = Reader(network.feedforward).layout(number(OPEN_FOUR, ONE))
    assert (0, 2) in layout.runs  # the L with its stem
    assert (1, 3) not in layout.runs  # the stem with the 1 beyond a wide gap


def test_spanning_tree_is_as_short_as_kruskals():
    """Prim's tree over a digit's strokes has the total length of Kruskal's (an independent
    construction) on random distances."""
    rng = random.Random(3)
    for n in range(1, 6):
        table = {(k, m): rng.uniform(0, 1) for k in range(n) for m in range(k + 1, n)}
        links = segment._spanning_tree(range(n),
                                       lambda k, m, t=table: t[min(k, m), max(k, m)])
        group = list(range(n))  # Kruskal: the shortest links that join two groups
        kruskal = []
        for (k, m), length in sorted(table.items(), key=lambda item: item[1]):
            if group[k] != group[m]:
                kruskal.append(length)
                old = group[m]
                group = [group[k] if g == old else g for g in group]
        assert len(links) == n - 1
        assert sum(links) == pytest.approx(sum(kruskal))


# --- reading numbers -----------------------------------------------------------------------

def test_digits_far_apart_are_split_left_to_right_whatever_the_drawing_order():
    strokes = number(ONE, ZERO, ONE)
    digits = Reader(always_sure).read([strokes[2], strokes[0], strokes[1]])
    assert [d.strokes for d in digits] == [(1,), (2,), (0,)]


def test_a_late_bar_joins_its_digit(network: hwd.Network):
    """A 4 whose stem is written after the 7 beside it: strokes 0 and 2 are one digit."""
    four, seven = FOUR, at(SEVEN, 100)
    digits = read_number([four[0], seven[0], four[1]], network.feedforward)
    assert [d.strokes for d in digits] == [(0, 2), (1,)]
    assert "".join(str(d.digit) for d in digits) == "47"


def test_an_open_four_in_two_strokes_is_one_digit(network: hwd.Network):
    """The L and the stem of an open 4 do not touch and a gap wider than SPLIT_GAP lies
    between them; the L does not reach the baseline, so it is no digit alone."""
    for digits, expected, groups in [((OPEN_FOUR,), "4", [(0, 1)]),
                                     ((ONE, OPEN_FOUR, SEVEN), "147", [(0,), (1, 2), (3,)])]:
        strokes = number(*digits)
        height = max(y for s in strokes for _, y in s) - min(y for s in strokes for _, y in s)
        assert segment.SPLIT_GAP * height < 62 - 50  # the gap alone would split them
        read = read_number(strokes, network.feedforward)
        assert [d.strokes for d in read] == groups
        assert "".join(str(d.digit) for d in read) == expected


def test_a_late_flag_joins_its_five_not_the_next_digit(network: hwd.Network):
    """A 5's flag written after the 7 beside it, its end over the 7's box: strokes 0 and 2
    are one digit."""
    digits = read_number([FIVE[0], at(SEVEN, 45)[0], FIVE[1]], network.feedforward)
    assert [d.strokes for d in digits] == [(0, 2), (1,)]
    assert "".join(str(d.digit) for d in digits) == "57"


def test_a_one_in_three_strokes_is_one_digit():
    """The flag and the foot of a 1 lie side by side, far apart, each touching the stem: they
    are no digit together (their ink does not hang together), alone or inside a number.
    (They were read as a 1 beside a 1: "11", and "7110" for 710.)"""
    network = hwd.load(models.resolve(None))
    for digits, expected, groups in [((ONE_FLAG_FOOT,), "1", [(0, 1, 2)]),
                                     ((SEVEN, ONE_FLAG_FOOT, ZERO), "710",
                                      [(0,), (1, 2, 3), (4,)])]:
        read = read_number(number(*digits, step=80), network.feedforward)
        assert [d.strokes for d in read] == groups
        assert "".join(str(d.digit) for d in read) == expected


def test_hand_drawn_numbers(network: hwd.Network):
    for digits, expected in [((ONE, SEVEN), "17"), ((SEVEN, ZERO, ZERO), "700"),
                             ((FOUR, ONE, SEVEN), "417")]:
        read = read_number(number(*digits), network.feedforward)
        assert "".join(str(d.digit) for d in read) == expected


def test_one_digit_is_read_exactly_as_before(network: hwd.Network):
    for strokes in (SEVEN, FOUR, ZERO):
        [digit] = read_number(strokes, network.feedforward)
        assert digit.strokes == tuple(range(len(strokes)))
        assert digit.pixels == hwd.strokes_to_pixels(strokes)
        assert digit.probabilities == network.feedforward(hwd.strokes_to_pixels(strokes))


def test_reader_reads_each_candidate_once_as_strokes_are_added(network: hwd.Network):
    reader = Reader(network.feedforward)
    strokes = number(ONE, SEVEN, ZERO, ONE)
    for n in range(1, len(strokes) + 1):
        reader.read(strokes[:n])
    once = reader.reads
    reader.read(strokes)
    assert reader.reads == once  # nothing new to read
    assert once <= 2 * len(strokes)  # well-separated digits: about one candidate per stroke


def test_what_a_reader_remembers_changes_no_answer(network: hwd.Network):
    """Read stroke by stroke, the line growing taller as it goes (so ink distances measured
    earlier were measured against another height): every feature is what a fresh Reader
    computes."""
    strokes = [*number(ONE, OPEN_FOUR, FIVE, ZERO), [(400, -60), (400, 140)]]
    reader = Reader(network.feedforward)
    for n in range(1, len(strokes) + 1):
        remembered, fresh = reader.layout(strokes[:n]), Reader(network.feedforward).layout(
            strokes[:n])
        assert remembered.runs == fresh.runs
        assert remembered.joins == fresh.joins


def test_work_is_bounded_for_many_touching_strokes(network: hwd.Network):
    """Forty overlapping strokes: at most MAX_CANDIDATES digits are rasterized and read."""
    rng = random.Random(1)
    strokes = [[(k * 8 + rng.uniform(0, 10), 0), (k * 8 + rng.uniform(0, 10), 100)]
               for k in range(40)]
    reader = Reader(network.feedforward)
    digits = reader.read(strokes)
    assert reader.reads <= segment.MAX_CANDIDATES
    assert sorted(i for d in digits for i in d.strokes) == list(range(40))


def test_empty_and_bad_strokes_are_refused(network: hwd.Network):
    with pytest.raises(hwd.EmptyDrawing):
        read_number([[], []], network.feedforward)
    with pytest.raises(ValueError):
        read_number([[(0, 0), ("a", 1)]], network.feedforward)
    with pytest.raises(ValueError):
        read_number([[(0, 0), (float("nan"), 1)]], network.feedforward)


def test_empty_strokes_belong_to_no_digit(network: hwd.Network):
    digits = read_number([[], *number(ONE, ZERO)], network.feedforward)
    assert [d.strokes for d in digits] == [(1,), (2,)]


# --- command line and REST server ----------------------------------------------------------

def hwd_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hwd", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_cli_prints_the_number(tmp_path):
    path = tmp_path / "number.json"
    path.write_text(json.dumps({"strokes": number(SEVEN, ONE, ZERO)}))
    quick = str(ROOT / "models" / "quick.npz")
    r = hwd_cli("recognize", str(path), "--network", quick)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "number: 710"
    r = hwd_cli("recognize", str(path), "--network", quick, "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["number"] == "710"
    assert [d["digit"] for d in answer["digits"]] == [7, 1, 0]
    assert [d["strokes"] for d in answer["digits"]] == [[0], [1], [2]]
    assert all(len(d["probabilities"]) == 10 for d in answer["digits"])


def test_cli_one_digit_prints_as_before(tmp_path):
    path = tmp_path / "seven.json"
    path.write_text(json.dumps({"strokes": SEVEN}))
    r = hwd_cli("recognize", str(path), "--network", str(ROOT / "models" / "quick.npz"),
                "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == {"digit", "probabilities"}


def test_rest_answer_adds_number_and_digits(network: hwd.Network):
    app = App(network, "quick")
    strokes = number(ONE, SEVEN)
    response = app.handle("POST", "/recognize", json.dumps({"strokes": strokes}).encode())
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["number"] == "17"
    assert [(d["digit"], d["strokes"]) for d in answer["digits"]] == [(1, [0]), (7, [1])]
    # The ancestor's fields are still there, for the whole drawing.
    expected = network.predict(hwd.strokes_to_pixels(strokes))
    assert (answer["digit"], answer["probabilities"]) == (expected[0], expected[1])


def test_rest_one_digit_answer_is_unchanged(network: hwd.Network):
    app = App(network, "quick")
    response = app.handle("POST", "/recognize", json.dumps({"strokes": SEVEN}).encode())
    assert set(json.loads(response.body)) == {"digit", "probabilities"}


# --- numbers written by real people (UNIPEN, needs $HWD_DATA_DIR) --------------------------

UNIPEN_SAMPLE = 20  # numbers of 2 to 6 digits per gap class, by the writers not tuned on
# The default network segments 19 of 20 right in each class; a few more misses are allowed.
UNIPEN_SEGMENTED = {"gap": 0.85, "close": 0.85, "overlap": 0.8}


@pytest.fixture(scope="module")
def writers(data_dir: Path) -> dict:
    from train import unipen, unipen_numbers

    return unipen_numbers.by_writer(unipen.drawings(data_dir))


@pytest.mark.parametrize("gap_class", list(UNIPEN_SEGMENTED))
def test_numbers_by_real_writers_are_segmented(writers: dict, gap_class: str):
    from train import unipen_numbers

    check = {w: writers[w] for w in unipen_numbers.halves(writers)[1]}
    sample = unipen_numbers.sample(check, UNIPEN_SAMPLE, seed=7, gap_classes=(gap_class,),
                                   lengths=(2, 6))
    reader = Reader(hwd.load(models.resolve(None)).feedforward)
    right = sum(tuple(d.strokes for d in reader.read(n.strokes)) == n.groups for n in sample)
    assert right / len(sample) >= UNIPEN_SEGMENTED[gap_class], right


def test_samples_far_larger_than_their_writers_digits_make_no_number():
    """A sample of two zeros (3.5 times as wide as the writer's median) and one with a stroke
    across the tablet (30 times as tall) are left out; a narrow 1 and a wide 2 are not."""
    from train import unipen_numbers

    def sample(label: int, width: float, height: float) -> dict:
        return {"label": label, "strokes": [[(0, 0), (width, height)]]}

    digits = [sample(label, 60, 100) for label in range(8)] + [sample(1, 5, 100),
                                                               sample(2, 170, 90)]
    two_zeros, stray = sample(0, 210, 100), sample(8, 60, 3000)
    assert unipen_numbers.one_digit([*digits, two_zeros, stray]) == digits


@pytest.fixture(scope="module")
def read_numbers():
    """bench/read_numbers.py, a script rather than a module of a package."""
    spec = importlib.util.spec_from_file_location("read_numbers", ROOT / "bench/read_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writer_interval_resamples_writers_not_numbers(read_numbers):
    """Two writers, one right on 9 of 10 numbers, the other on all 30: a resample holds
    the first twice a quarter of the time, the second twice a quarter of the time, so the
    90 % interval runs from the first's share to the second's.  One writer: no spread."""
    rng = random.Random(1)
    assert read_numbers.writer_interval([[9, 10], [30, 30]], rng) == (0.9, 1.0)
    assert read_numbers.writer_interval([[7, 8]], rng) == (7 / 8, 7 / 8)


def test_misses_are_summed_by_source_over_its_writers(read_numbers):
    counts = {("ced", "a"): [8, 10], ("ced", "b"): [4, 5], ("art", "c"): [2, 3],
              ("val", "d"): [6, 6]}
    assert read_numbers.misses_by_source(counts) == {"ced": (3, 15), "art": (1, 3)}


# Writing styles the rule once misread (writers of the tune half, whose numbers the weights
# were fitted on): the label, how many numbers of 3 digits with one such digit in the middle
# it must segment right, of how many (the rule before the "hollow" and "step" cues: 5 and 16).
STYLES = {("ibm", "r01-13"): (1, 10, 10),  # a 1 whose flag and foot both point left
          ("ced", "AYML3525"): (4, 18, 20)}  # small 4s whose L stands apart from the stem


@pytest.mark.parametrize("writer", list(STYLES))
def test_styles_once_misread_are_segmented(writers: dict, writer: tuple[str, str]):
    from train import unipen_numbers

    label, needed, total = STYLES[writer]
    own = writers[writer]
    special = [d for d in own if d["label"] == label and len(d["strokes"]) > 1]
    others = [d for d in own if d["label"] != label]
    rng = random.Random(5)
    numbers = [unipen_numbers.build([a, digit, b], "gap", rng)
               for digit in special for _ in range(total // len(special))
               for a, b in [rng.sample(others, 2)]]
    assert len(numbers) == total
    reader = Reader(hwd.load(models.resolve(None)).feedforward)
    right = sum(tuple(d.strokes for d in reader.read(n.strokes)) == n.groups for n in numbers)
    assert right >= needed, right


def test_a_one_beside_a_small_zero_stays_two_digits(writers: dict):
    """A tune writer's 1 and small 0 after a digit half as tall again as theirs (so the 1 and
    the 0 are small to the line): the network reads the pair as a sure 6, and before the
    "parted" cue 105 of these 110 numbers were segmented right."""
    from train import unipen_numbers

    own = writers["app", "BryanMacDonald"]
    ones = [d for d in own if d["label"] == 1]
    zeros = [d for d in own if d["label"] == 0]
    others = [d for d in own if d["label"] not in (0, 1)]
    rng = random.Random(5)

    def big(d: dict) -> dict:
        return d | {"strokes": [[(x * 1.5, y * 1.5) for x, y in s] for s in d["strokes"]]}

    numbers = [unipen_numbers.build([big(rng.choice(others)), one, zero], "gap", rng)
               for one in ones for zero in zeros]
    assert len(numbers) == 110
    reader = Reader(hwd.load(models.resolve(None)).feedforward)
    right = sum(tuple(d.strokes for d in reader.read(n.strokes)) == n.groups for n in numbers)
    assert right >= 108, right
