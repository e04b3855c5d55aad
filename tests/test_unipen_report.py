"""train.unipen's report: accuracy, per digit, confusions and writers, against a direct count."""

from __future__ import annotations

from collections import Counter

import numpy as np

from train.mlp import MLP
from train.unipen import accuracy_report


def test_report_counts_what_the_network_answers(tmp_path):
    rng = np.random.default_rng(0)
    path = MLP([784, 16, 10], "relu", rng).save(tmp_path / "net.npz", {})
    x = rng.random((200, 784)).astype(np.float32)
    items = [{"label": int(rng.integers(10)), "source": "s", "writer": f"w{i % 7}"}
             for i in range(200)]
    answers = MLP.load(path).feedforward(x).argmax(1)
    report = accuracy_report(path, items, x)

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
