"""train.unipen's report: accuracy, per digit, confusions and writers, against a direct count."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from train.mlp import MLP
from train.unipen import accuracy_report, committee_report, probabilities


def test_report_counts_what_the_network_answers(tmp_path):
    rng = np.random.default_rng(0)
    path = MLP([784, 16, 10], "relu", rng).save(tmp_path / "net.npz", {})
    x = rng.random((200, 784)).astype(np.float32)
    items = [{"label": int(rng.integers(10)), "source": "s", "writer": f"w{i % 7}"}
             for i in range(200)]
    answers = MLP.load(path).feedforward(x).argmax(1)
    report = accuracy_report(path, items, probabilities(path, x))

    right = [int(a) == d["label"] for a, d in zip(answers, items, strict=True)]
    assert report["n"] == 200 and report["accuracy"] == sum(right) / 200
    wrong = Counter(f"s/{d['writer']}" for d, r in zip(items, right, strict=True) if not r)
    assert report["writers_with_errors"] == len(wrong)
    assert all(wrong[writer] == n for writer, n in report["top_writers"])
    assert [n for _, n in report["top_writers"]] == sorted(wrong.values(), reverse=True)[:5]
    confusions = Counter(f"{d['label']}->{a}" for a, d, r in zip(answers, items, right,
                                                                  strict=True) if not r)
    assert all(confusions[pair] == n for pair, n in report["top_confusions"])
    assert [n for _, n in report["top_confusions"]] == [n for _, n in confusions.most_common(10)]


def test_committee_averages_answers_and_finds_what_all_miss():
    items = [{"label": label} for label in (0, 1, 2, 3)]
    # Drawing 0: both right. 1: the first wrong (5), the second right and sure. 2: both wrong,
    # differently, each giving the truth its second place. 3: both wrong alike.
    first = np.full((4, 10), 0.0)
    second = np.full((4, 10), 0.0)
    first[0, 0], second[0, 0] = 1.0, 1.0
    first[1, [1, 5]], second[1, [1, 6]] = [0.45, 0.55], [0.9, 0.1]
    first[2, [4, 2]], second[2, [5, 2]] = [0.6, 0.4], [0.6, 0.4]
    first[3, 7], second[3, 7] = 1.0, 1.0

    report = committee_report([first, second], items)

    # Averaged: 0 right, 1 right (0.675 for 1), 2 right (0.4 for 2 against 0.3 and 0.3), 3 wrong.
    assert report == {"n": 4, "accuracy": 0.75, "missed_by_all": [2, 3]}


def test_misses_file_holds_the_drawings_every_network_misreads(tmp_path, monkeypatch):
    from train import unipen

    rng = np.random.default_rng(1)
    items = [{"label": i % 10, "source": "s", "writer": "w", "strokes": [[[0, 0], [0, i + 1]]]}
             for i in range(30)]
    nets = [MLP([784, 8, 10], "relu", rng).save(tmp_path / f"n{k}.npz", {}) for k in range(2)]
    monkeypatch.setattr(unipen, "sample", lambda n, seed, root: items)
    out = tmp_path / "misses.jsonl"
    assert unipen.main([str(n) for n in nets] + ["-n", "0", "--misses", str(out)]) == 0

    x = unipen.pixels(items, progress=False)
    wrong = [all(MLP.load(n).feedforward(x[i:i + 1]).argmax() != d["label"] for n in nets)
             for i, d in enumerate(items)]
    assert any(wrong)
    lines = out.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [d for d, w in zip(items, wrong, strict=True)
                                                    if w]
