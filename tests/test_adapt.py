"""hwd.adapt: teaching a network someone's handwriting, against a numpy reference."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest
from helpers import ROOT, random_mlp

import hwd
from hwd import adapt, anchors
from hwd.npzwrite import network_bytes
from hwd.packed import PackedMatrix

# A UNIPEN writer whose European 1s (a long flag) `best` reads as 7s.
WRITER = ("val", "val01")


@pytest.fixture(scope="module")
def best() -> hwd.Network:
    return hwd.load(ROOT / "models" / "best.npz")


@pytest.fixture(scope="module")
def writers(data_dir) -> dict[tuple[str, str], list[dict]]:
    """UNIPEN drawings by (source, writer), in file order."""
    from train.unipen import drawings

    by_writer = defaultdict(list)
    for d in drawings(data_dir):
        by_writer[(d["source"], d["writer"])].append(d)
    return by_writer


def examples_of(items: list[dict]) -> list[adapt.Example]:
    return [adapt.Example(d["label"], tuple(hwd.strokes_to_pixels(d["strokes"]))) for d in items]


def misread_ones(network: hwd.Network, items: list[dict]) -> list[adapt.Example]:
    """The writer's 1s that the network reads as another digit."""
    ones = examples_of([d for d in items if d["label"] == 1])
    return [e for e in ones if network.predict(e.pixels)[0] != 1]


def test_adapting_fixes_the_examples_and_others_like_them(best, writers) -> None:
    wrong = misread_ones(best, writers[WRITER])
    assert len(wrong) >= 4, "the base network should misread several of this writer's 1s"
    taught, unseen = wrong[:2], wrong[2:]
    adapted = adapt.adapt(best, taught, base="best")
    assert [adapted.predict(e.pixels)[0] for e in taught] == [1, 1]
    # The writer's other flagged 1s, never shown, now mostly read right too.
    fixed = sum(adapted.predict(e.pixels)[0] == 1 for e in unseen)
    assert fixed >= len(unseen) / 2, f"{fixed} of {len(unseen)}"
    info = adapted.meta["adapted"]
    assert info["base"] == "best" and info["examples"] == 2 and info["per_digit"][1] == 2
    assert "test_accuracy" not in adapted.meta  # that figure belonged to the base network


def test_mnist_error_stays_within_a_tenth_of_a_point(best, writers, mnist) -> None:
    """20 examples of one writer (two of each digit: the first writer, in sorted order, who
    drew that many); the MNIST test set through numpy.  (Writers whose 1s look like MNIST's
    7s cost more: docs/adapt.md gives the worst case.)"""
    from train.mlp import MLP

    items = next(writers[key] for key in sorted(writers)
                 if all(sum(d["label"] == digit for d in writers[key]) >= 2 for digit in range(10)))
    chosen = [d for digit in range(10) for d in [d for d in items if d["label"] == digit][:2]]
    adapted = adapt.adapt(best, examples_of(chosen))
    mlp = MLP.load(ROOT / "models" / "best.npz")
    a = mnist[2].astype(np.float64)
    for w, b in zip(mlp.weights[:-1], mlp.biases[:-1], strict=True):
        a = np.maximum(a @ w.T + b, 0)
    labels = mnist[3]
    before = ((a @ mlp.weights[-1].T + mlp.biases[-1]).argmax(1) != labels).mean()
    w, b = np.array(adapted.weights[-1].rows()), np.array(adapted.biases[-1])
    after = ((a @ w.T + b).argmax(1) != labels).mean()
    assert after - before <= 0.001, (before, after)
    assert all(adapted.predict(e.pixels)[0] == e.label for e in examples_of(chosen))


def test_same_examples_same_network(best, writers) -> None:
    examples = examples_of(writers[WRITER][:12])
    first = network_bytes(adapt.adapt(best, examples, base="best"))
    assert network_bytes(adapt.Adapter(best, "best").adapt(examples)) == first
    assert network_bytes(adapt.adapt(best, examples[:11], base="best")) != first


def test_downloaded_network_round_trips_through_hwd_load(best, writers) -> None:
    examples = examples_of(writers[WRITER][:10])
    adapted = adapt.adapt(best, examples, base="best")
    data = network_bytes(adapted)
    with np.load(io.BytesIO(data)) as z:
        assert z["weights_2"].dtype == np.int16  # an int16 network stays int16 (and small)
    again = hwd.load(data)
    assert again.meta["adapted"]["examples"] == 10
    assert again.weights[-1].rows() == adapted.weights[-1].rows()
    for e in examples:
        assert again.predict(e.pixels)[0] == adapted.predict(e.pixels)[0] == e.label


def test_matches_a_numpy_reference_on_a_float_network(tmp_path) -> None:
    """The same ridge solution, written with numpy from the docstring's equations."""
    mlp = random_mlp([784, 40, 10], "sigmoid", seed=5)
    mlp.save(tmp_path / "float.npz", {}, dtype="float32")
    network = hwd.load(tmp_path / "float.npz")
    rng = np.random.default_rng(1)
    examples = [adapt.Example(int(d), tuple(rng.random(784).round(3).tolist()))
                for d in rng.integers(0, 10, 7)]
    adapted = adapt.adapt(network, examples)
    assert adapted.weights[-1].offset != 1 << 15  # a float network stays float

    w0, b0 = mlp.weights[1].astype(np.float64), mlp.biases[1].astype(np.float64)

    def hidden(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(x @ mlp.weights[0].T.astype(np.float64) + mlp.biases[0])))

    anchor_pixels = np.array([p for _, p in anchors.digits()])
    h = np.vstack([hidden(np.array([e.pixels for e in examples])), hidden(anchor_pixels)])
    x = np.hstack([h, np.ones((len(h), 1))])
    scale = np.sqrt((x[len(examples):] ** 2).sum(1).mean())
    x /= scale
    k = x @ x.T
    anchor_scores = hidden(anchor_pixels) @ w0.T + b0
    labels = np.array(anchors.LABELS)
    own = anchor_scores[np.arange(len(labels)), labels]
    anchor_scores[np.arange(len(labels)), labels] = -np.inf
    margin = adapt.MARGIN * max(np.median(own - anchor_scores.max(1)), 1.0)
    targets = np.zeros((len(x), 10))
    coefficients = np.zeros_like(targets)
    for _ in range(adapt.ROUNDS):
        scores = (h[:len(examples)] @ w0.T + b0) + (k @ coefficients)[:len(examples)]
        for j, e in enumerate(examples):
            others = scores[j].copy()
            others[e.label] = -np.inf
            rival = others.argmax()
            need = max(0.0, margin - (scores[j, e.label] - scores[j, rival]))
            targets[j, e.label] += need / 2
            targets[j, rival] -= need / 2
        coefficients = np.linalg.solve(k + adapt.RIDGE * np.eye(len(x)), targets)
    change = coefficients.T @ x / scale
    np.testing.assert_allclose(np.array(adapted.weights[-1].rows()), w0 + change[:, :-1],
                               atol=1e-5 * np.abs(w0).max())
    np.testing.assert_allclose(adapted.biases[-1], b0 + change[:, -1], rtol=1e-6, atol=1e-6)


def test_no_examples_means_the_base_network(best) -> None:
    assert adapt.adapt(best, []) is best


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "line 2 is not valid JSON"),
    ('[1, 2]', "line 2: an example must be a JSON object"),
    ('{"label": 10, "strokes": [[[0, 0], [1, 1]]]}', 'line 2: "label" must be a digit 0-9'),
    ('{"label": true, "strokes": [[[0, 0], [1, 1]]]}', 'line 2: "label" must be a digit'),
    ('{"label": "3", "strokes": [[[0, 0], [1, 1]]]}', 'line 2: "label" must be a digit'),
    ('{"label": 3}', 'line 2: needs "strokes"'),
    ('{"label": 3, "strokes": []}', "line 2: the drawing is empty"),
    ('{"label": 3, "strokes": [[["a", 1]]]}', "line 2: strokes[0][0] x is not a number"),
    ('{"label": 3, "strokes": [[[1]]]}', "line 2: strokes[0][0] must be a point [x, y]"),
    ('{"label": 3, "strokes": 5}', "line 2: strokes must be a list of strokes"),
    ('{"label": 3, "strokes": [[[1, 2]]], "x": [[[[[[[[1]]]]]]]]}', "line 2: JSON nested"),
    ('{"label": 3, "pixels": [0.5]}', 'line 2: "pixels" must be a list of 784 numbers'),
    ('{"label": 3, "pixels": [' + ", ".join(["2"] * 784) + "]}",
     'line 2: "pixels" must be numbers from 0'),
])
def test_bad_examples_are_rejected_naming_the_line(line: str, message: str) -> None:
    good = json.dumps({"label": 1, "strokes": [[[0, 0], [0, 10]]]})
    with pytest.raises(adapt.ExampleError, match="^" + re.escape("mine.jsonl, " + message)):
        adapt.read_examples([good, line], "mine.jsonl")


def test_no_lines_is_an_error() -> None:
    with pytest.raises(adapt.ExampleError, match="no examples"):
        adapt.read_examples(["", "  "], "empty.jsonl")


def test_int16_packing_never_rounds_past_the_range() -> None:
    """A weight that rounds up to 2**15 at the natural shift gets the next smaller shift."""
    packed = PackedMatrix.from_rows([[1 - 2**-20, -0.25]], 15)
    assert packed.rows()[0] == pytest.approx([1 - 2**-20, -0.25], abs=2**-14)
    lanes = [c - packed.offset for c in packed.columns]
    assert max(abs(q) for q in lanes) < 1 << 15


def hwd_cli(*args: str, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "hwd", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=dict(os.environ), timeout=300)


def test_cli_adapt_writes_a_network_that_reads_the_examples(tmp_path, writers) -> None:
    items = writers[WRITER][:6]
    lines = [json.dumps({"label": d["label"], "strokes": d["strokes"]}) for d in items]
    pixels = hwd.strokes_to_pixels(items[0]["strokes"])
    lines.append(json.dumps({"label": items[0]["label"], "pixels": pixels}))
    (tmp_path / "mine.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "mine.npz"
    r = hwd_cli("adapt", "best", str(tmp_path / "mine.jsonl"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "adapted to 7 examples (7 read as taught)" in r.stdout
    network = hwd.load(out)
    assert network.meta["adapted"]["examples"] == 7
    assert network.predict(pixels)[0] == items[0]["label"]


def test_cli_adapt_bad_line_exits_2_naming_it(tmp_path) -> None:
    good = json.dumps({"label": 1, "strokes": [[[0, 0], [0, 10]]]})
    r = hwd_cli("adapt", "quick", "-", "--out", str(tmp_path / "x.npz"),
                stdin=f"{good}\n{good}\n{{\"label\": 1, \"strokes\": 5}}\n")
    assert r.returncode == 2
    assert r.stderr.strip().startswith("hwd adapt: error: stdin, line 3:")
    assert not (tmp_path / "x.npz").exists()


def test_teaching_one_more_gives_what_adapting_from_scratch_gives(best, writers) -> None:
    """The Adapter reuses its earlier work; the network must not depend on that."""
    examples = examples_of(writers[WRITER][:8])
    adapter = adapt.Adapter(best, "best")
    adapter.adapt(examples[:5])
    adapter.adapt(examples[:3] + examples[5:7])  # a different order: the reuse must stop
    again = network_bytes(adapter.adapt(examples))
    assert again == network_bytes(adapt.adapt(best, examples, base="best"))


def test_last_layer_repacked_from_its_rows_is_the_same(best, writers) -> None:
    """The page keeps an adapted last layer as rows of floats and packs it again on reload."""
    adapted = adapt.adapt(best, examples_of(writers[WRITER][:4]))
    again = adapt.pack_like(best.weights[-1], json.loads(json.dumps(adapted.weights[-1].rows())))
    assert again.columns == adapted.weights[-1].columns
    assert again.shift == adapted.weights[-1].shift
