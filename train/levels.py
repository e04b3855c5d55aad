"""How many int8 steps each network gets on the page: the fewest that keep its answers.

The site sends every network int8, one scale per row (:func:`hwd.npzwrite.compact_bytes`):
fewer steps either side of zero make a smaller file and change more answers. The rule looks
at the training images only, never the test set: a network gets the smallest count in
``CANDIDATES`` whose answers differ from its stored file's on at most ``BUDGET`` of the
60,000 MNIST training images. Networks differ here (a pruned 784-800-10 network needs
more steps than a 784-1000-500-10 one), so each gets its own count, recorded as
``page_levels`` in ``models/manifest.json``, which ``build.py`` reads.

    python -m train.levels [--models models] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

import hwd
import hwd.models
from hwd.npzwrite import compact_bytes

from .data import DataError, file_sha256, load_mnist
from .manifest import write as write_manifest
from .mlp import feedforward64

CANDIDATES = (10, 12, 14, 16, 20, 24, 32)
BUDGET = 0.0005  # 0.05 % of the images: 30 of MNIST's 60,000 training images


def changed_answers(path: str | os.PathLike, images: np.ndarray,
                    candidates: tuple[int, ...] = CANDIDATES) -> dict[int, int]:
    """For each level count, on how many ``images`` the compact encoding of the network at
    ``path`` answers differently from the file itself."""
    before = feedforward64(path, images).argmax(1)
    network = hwd.load(path)
    changed = {}
    with tempfile.TemporaryDirectory() as folder:
        compact = Path(folder) / "compact.npz"
        for levels in candidates:
            compact.write_bytes(compact_bytes(network, levels))
            changed[levels] = int((feedforward64(compact, images).argmax(1) != before).sum())
    return changed


def page_levels(changed: dict[int, int], n_images: int, budget: float = BUDGET) -> int:
    """The smallest level count whose changed answers are within ``budget`` of ``n_images``
    (the largest count measured when none is)."""
    within = [levels for levels, n in changed.items() if n <= budget * n_images]
    return min(within) if within else max(changed)


def main(argv: list[str] | None = None) -> int:
    """Measure the manifest's networks and write each one's ``page_levels`` into it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="networks of the manifest (default: all)")
    p.add_argument("--models", default=str(hwd.models.models_dir()))
    p.add_argument("--data", help="the folder holding mnist/ (default: $HWD_DATA_DIR)")
    args = p.parse_args(argv)
    manifest_file = Path(args.models) / "manifest.json"
    if not manifest_file.exists():
        p.error(f"{manifest_file} is missing: write it first with python -m train.manifest")
    manifest = json.loads(manifest_file.read_text())
    names = args.names or list(manifest["networks"])
    unknown = sorted(set(names) - set(manifest["networks"]))
    if unknown:
        p.error(f"not in {manifest_file}: {', '.join(unknown)}")
    for name in names:  # the count belongs to the file the manifest names, not a newer one
        entry = manifest["networks"][name]
        if file_sha256(Path(args.models) / entry["file"]) != entry["sha256"]:
            p.error(f"{entry['file']} has changed since {manifest_file} was written: "
                    "run python -m train.manifest first")
    try:
        images = load_mnist(args.data)[0]
    except DataError as e:
        p.error(str(e))
    for name in names:
        entry = manifest["networks"][name]
        print(f"{name}: reading {len(images):,} images at {len(CANDIDATES)} level counts...",
              flush=True)  # a minute or two per network
        changed = changed_answers(Path(args.models) / entry["file"], images)
        entry["page_levels"] = page_levels(changed, len(images))
        table = ", ".join(f"{levels}: {n} ({100 * n / len(images):.3f} %)"
                          for levels, n in changed.items())
        print(f"{name}: {entry['page_levels']} levels (training answers changed: {table})")
    write_manifest(Path(args.models), manifest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
