"""Real pen-drawn digits (UNIPEN 1a) for replaying on the page, as a person would draw them.

The data lives in ``$HWD_DATA_DIR/unipen-digits/unipen-1a-digits.jsonl.gz`` (see its
README).  We leave out the ``ibm`` samples with any coordinate above 500: that
subset was normalized box by box and often holds a fragment of a digit (a 4's bar,
a 1's foot) under the digit's label, which the README lists as label noise.
A sample is a fixed, seeded draw from what remains, so every run replays the
same digits.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

FILE = Path("unipen-digits") / "unipen-1a-digits.jsonl.gz"
SEED = 2026


class DataMissing(Exception):
    """HWD_DATA_DIR is unset: tests skip.  (Set but without the file: tests fail.)"""


@dataclass(frozen=True)
class Digit:
    """One pen-drawn digit: its label, where it comes from and its strokes (device units)."""

    label: int
    source: str
    writer: str
    strokes: list[list[list[int]]]


def data_file() -> Path:
    """The UNIPEN file under $HWD_DATA_DIR; DataMissing if unset, FileNotFoundError if absent."""
    folder = os.environ.get("HWD_DATA_DIR")
    if not folder:
        raise DataMissing("HWD_DATA_DIR is not set (the folder holding unipen-digits/)")
    path = Path(folder) / FILE
    if not path.exists():
        raise FileNotFoundError(f"HWD_DATA_DIR={folder} but {path} does not exist")
    return path


def usable(record: dict) -> bool:
    """False for the ibm samples in the box-normalized coordinate regime (label noise)."""
    if record["source"] != "ibm":
        return True
    return all(v <= 500 for stroke in record["strokes"] for point in stroke for v in point)


def load(path: Path | None = None) -> list[Digit]:
    """Every usable digit, in file order."""
    with gzip.open(path or data_file(), "rt", encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines)
        return [Digit(r["label"], r["source"], r["writer"], r["strokes"])
                for r in records if usable(r)]


def sample(n: int, seed: int = SEED) -> list[Digit]:
    """A fixed random sample of ``n`` usable digits (the same for the same n and seed)."""
    digits = load()
    return random.Random(seed).sample(digits, n)
