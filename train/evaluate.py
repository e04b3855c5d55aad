"""The load test of a network file on the 10,000 MNIST test images (``hwd evaluate``).

It measures accuracy with the numpy forward pass, checks that the pure-Python
forward pass of :mod:`hwd` agrees on a sample, and compares with the accuracy the
file claims.  "NETWORK IS OK" means: the file reads, both forward passes agree,
and the measured accuracy is no worse than the stored one.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

import hwd
from hwd import models

from .data import load_mnist
from .mlp import feedforward64

PARITY_SAMPLE = 200  # images checked with the (slow) pure-Python forward pass
TOLERANCE = 1e-5  # largest allowed difference of a probability between the two passes


def outputs(path: str | Path, images: np.ndarray, batch: int = 1000, progress: bool = True
            ) -> np.ndarray:
    """Probabilities (n, 10) of the numpy reference forward pass, with a progress bar."""
    chunks = range(0, len(images), batch)
    return np.concatenate([feedforward64(path, images[i:i + batch])
                           for i in tqdm(chunks, desc="evaluating", leave=False,
                                         disable=not progress)])


def evaluate(path: str | Path, data: str | None = None, progress: bool = True) -> dict:
    """Accuracy, per-digit accuracy, confusion matrix and parity of one network file."""
    network = hwd.load(path)
    _, _, images, labels = load_mnist(data)
    probabilities = outputs(path, images, progress=progress)
    predicted = probabilities.argmax(1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (labels, predicted), 1)
    accuracy = float((predicted == labels).mean())
    sample = range(PARITY_SAMPLE)
    worst = max(float(np.abs(np.array(network.feedforward(images[i].tolist())) -
                             probabilities[i]).max()) for i in sample)
    stored = network.meta.get("test_accuracy")
    ok = worst <= TOLERANCE and (stored is None or accuracy >= stored - 1e-9)
    created = network.meta.get("created") or (
        datetime.fromtimestamp(network.meta["created_unix"], UTC).isoformat()
        if "created_unix" in network.meta else None)
    return {"network": str(path), "layers": network.sizes, "n": len(labels),
            "accuracy": accuracy, "error_rate": 1 - accuracy, "stored_accuracy": stored,
            "created": created, "parity_max_difference": worst,
            "per_digit": (confusion.diagonal() / confusion.sum(1)).tolist(),
            "confusion": confusion.tolist(), "ok": ok,
            "_probabilities": probabilities, "_labels": labels, "_images": images}


def print_report(result: dict) -> None:
    """The human-readable load test."""
    stored = result["stored_accuracy"]
    print(f"network   {result['network']}")
    print(f"layers    {'-'.join(map(str, result['layers']))}")
    print(f"created   {result['created'] or 'unknown'}")
    print(f"stored    {'unknown' if stored is None else f'{stored:.2%}'} accuracy")
    print(f"measured  {result['accuracy']:.2%} accuracy, {result['error_rate']:.2%} error "
          f"on {result['n']} MNIST test images")
    print(f"parity    pure Python vs numpy on {PARITY_SAMPLE} images: max |dp| = "
          f"{result['parity_max_difference']:.1e}")
    print("\nper digit " + " ".join(f"{d:>6}" for d in range(10)))
    print("accuracy  " + " ".join(f"{a:>6.1%}" for a in result["per_digit"]))
    print("\nconfusion (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{d:>6}" for d in range(10)))
    for d, row in enumerate(result["confusion"]):
        print(f"{d:>6}" + "".join(f"{v:>6}" for v in row))
    print("\nNETWORK IS OK" if result["ok"] else "\nNETWORK IS NOT OK")


def write_report(result: dict, folder: str | Path) -> list[Path]:
    """confusion.png and mistakes.png (the 36 most confident mistakes) in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    confusion = np.array(result["confusion"])
    fig, ax = plt.subplots(figsize=(6, 5.2))
    shown = confusion.astype(float)
    np.fill_diagonal(shown, np.nan)  # the diagonal would drown the mistakes
    image = ax.imshow(shown, cmap="Reds")
    for (t, p), v in np.ndenumerate(confusion):
        ax.text(p, t, str(v), ha="center", va="center", fontsize=7,
                color="black" if t != p else "gray")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true digit",
           title=f"{Path(result['network']).name}: {result['error_rate']:.2%} error")
    fig.colorbar(image, label="mistakes")
    fig.tight_layout()
    paths = [folder / "confusion.png"]
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    probabilities, labels, images = (result[k] for k in ("_probabilities", "_labels", "_images"))
    predicted = probabilities.argmax(1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]])][:36]
    fig, axes = plt.subplots(6, 6, figsize=(7, 7.8))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[i].reshape(28, 28), cmap="gray_r")
        ax.set_title(f"#{i}: {labels[i]}→{predicted[i]} {probabilities[i, predicted[i]]:.0%}",
                     fontsize=7)
    fig.suptitle("most confident mistakes (true→predicted, probability)")
    fig.tight_layout()
    paths.append(folder / "mistakes.png")
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)
    return paths


def main(args: argparse.Namespace) -> int:
    """``hwd evaluate``: exit 0 if the network is OK, 1 if not."""
    path = models.resolve(args.network)
    result = evaluate(path, args.data, progress=not args.json)
    if args.report:
        for p in write_report(result, args.report):
            print(f"wrote {p}")
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}))
    else:
        print_report(result)
    return 0 if result["ok"] else 1
