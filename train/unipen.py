"""Real pen-drawn digits, UNIPEN 1a: loading, filtering, samples, and accuracy with :mod:`hwd`.

Never trained on; it measures how the networks do on drawings rather than scans, here
(``python -m train.unipen``) and on the page (tests/e2e/test_unipen.py and
bench/unipen_browser.py replay ``sample(n, SEED)``).  The ibm samples that were normalized
box by box (any coordinate > 500) are left out: many are fragments of multi-stroke digits
with the whole digit's label (see the data's README, "Known quirks").
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

import hwd
from hwd import models

from .conv import ConvNet, is_conv_file
from .data import data_dir
from .deskew import network_input
from .mlp import feedforward64
from .saving import PathError, atomic_write, check_file

FILE = Path("unipen-digits") / "unipen-1a-digits.jsonl.gz"
SEED = 2026  # the sample replayed on the page


def usable(record: dict) -> bool:
    """False for the ibm samples in the box-normalized coordinate regime (label noise)."""
    if record["source"] != "ibm":
        return True
    return all(v <= 500 for stroke in record["strokes"] for point in stroke for v in point)


def drawings(root: str | Path | None = None) -> Iterator[dict]:
    """Every usable UNIPEN digit as {"label", "source", "writer", "strokes"}, in file order."""
    path = data_dir(root) / FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: UNIPEN digits not found (set --data or HWD_DATA_DIR)")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        yield from filter(usable, map(json.loads, f))


def sample(n: int = 0, seed: int = 0, root: str | Path | None = None) -> list[dict]:
    """A fixed random sample of n drawings (all of them for n = 0)."""
    every = list(drawings(root))
    return every if not n or n >= len(every) else random.Random(seed).sample(every, n)


def pixels(items: list[dict], progress: bool = True, **options: float) -> np.ndarray:
    """The 28x28 network inputs (n, 784) that hwd makes of the drawings."""
    return np.array([hwd.strokes_to_pixels(d["strokes"], **options)
                     for d in tqdm(items, desc="preprocessing", leave=False, disable=not progress)])


def probabilities(network: str | Path, x: np.ndarray) -> np.ndarray:
    """A network file's outputs for drawings' pixels ``x``: :func:`feedforward64` for every
    file hwd reads, the teacher's own pass for a convolutional teacher's (train.conv)."""
    if is_conv_file(network):
        net = ConvNet.load(network)
        return net.feedforward(network_input(net.meta)(x.astype(np.float32)))
    return feedforward64(network, x)


def accuracy_report(network: str | Path, items: list[dict], outputs: np.ndarray) -> dict:
    """Overall and per-digit accuracy, the most common confusions, and the writers with the most
    errors (a style one writer repeats is what teaching the page, docs/adapt.md, is for), from
    the network's :func:`probabilities` ``outputs`` for the drawings ``items``."""
    labels = np.array([d["label"] for d in items])
    predicted = outputs.argmax(1)
    confusions: dict[str, int] = {}
    errors_by_writer = Counter(f"{d['source']}/{d['writer']}" for d, t, p
                               in zip(items, labels, predicted, strict=True) if t != p)
    for t, p in zip(labels, predicted, strict=True):
        if t != p:
            confusions[f"{t}->{p}"] = confusions.get(f"{t}->{p}", 0) + 1
    return {"network": str(network), "n": len(items),
            "accuracy": float((predicted == labels).mean()),
            "per_digit": {int(d): float((predicted[labels == d] == d).mean()) for d in range(10)},
            "top_confusions": sorted(confusions.items(), key=lambda kv: -kv[1])[:10],
            "writers_with_errors": len(errors_by_writer),
            "top_writers": errors_by_writer.most_common(5)}


def committee_report(outputs: list[np.ndarray], items: list[dict]) -> dict:
    """What several networks' :func:`probabilities` ``outputs`` say together: the accuracy of
    their averaged answers (a committee), and the drawings every one of them misreads.

    Errors that one network makes and another does not are the ones a better network of the
    same kind might avoid; those all of them make are the drawings the training data does not
    teach, or that are not their label's digit at all (docs/accuracy.md, "What is left")."""
    labels = np.array([d["label"] for d in items])
    wrong_for_all = np.logical_and.reduce([o.argmax(1) != labels for o in outputs])
    return {"n": len(items),
            "accuracy": float((np.mean(outputs, axis=0).argmax(1) == labels).mean()),
            "missed_by_all": np.flatnonzero(wrong_for_all).tolist()}


def main(argv: list[str] | None = None) -> int:
    """Print the UNIPEN accuracy of one or more networks (of several, also their committee's)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("networks", nargs="*", default=[None], help="names or .npz paths")
    p.add_argument("-n", type=int, default=3000, help="sample size (0 = all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data")
    p.add_argument("--pen-width", type=float, default=hwd.preprocess.PEN_WIDTH)
    p.add_argument("--misses", metavar="FILE.jsonl",
                   help="write the drawings every network misreads here, one record a line")
    args = p.parse_args(argv)
    try:
        check_file("--misses", args.misses)
    except PathError as e:
        p.error(str(e))
    items = sample(args.n, args.seed, args.data)
    x = pixels(items, pen_width=args.pen_width)
    outputs = []
    for name in args.networks:
        network = models.resolve(name)
        outputs.append(probabilities(network, x))
        r = accuracy_report(network, items, outputs[-1])
        print(f"{r['network']}: {r['accuracy']:.2%} of {r['n']} UNIPEN drawings "
              f"(pen width {args.pen_width})")
        print("  per digit: " + " ".join(f"{d}:{a:.1%}" for d, a in r["per_digit"].items()))
        print("  top confusions (true->predicted: count): " +
              ", ".join(f"{k}: {v}" for k, v in r["top_confusions"]))
        errors = round((1 - r["accuracy"]) * r["n"])
        print(f"  {errors} errors from {r['writers_with_errors']} writers; the most: " +
              ", ".join(f"{w}: {v}" for w, v in r["top_writers"]))
    c = committee_report(outputs, items)
    if len(outputs) > 1:
        print(f"the {len(outputs)} networks' answers averaged: {c['accuracy']:.2%}; "
              f"{len(c['missed_by_all'])} drawings misread by every one of them")
    if args.misses:
        with atomic_write(args.misses) as f:
            f.writelines(json.dumps(items[i]).encode() + b"\n" for i in c["missed_by_all"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
