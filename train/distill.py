"""Knowledge distillation (Hinton, Vinyals and Dean 2015): teachers' soft outputs as targets.

An ensemble of networks reads better than any one of them, but the page runs one.  The
student learns from the labels and from the teachers' averaged outputs, softened by a
temperature T so the small probabilities ("this 1 looks a little like a 7") carry weight.
The objective per image is

    (1 - w) * CE(label, softmax(z)) + w * T^2 * CE(teachers_T, softmax(z / T))

whose gradient with respect to the student's logits z is

    (1 - w) * (softmax(z) - onehot(label)) + w * T * (softmax(z / T) - teachers_T)

(the T^2 keeps the soft term's gradient as large as the hard one's whatever T is).
``teachers_T`` is the mean over teachers of softmax(their logits / T).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwd.deskew import meta_strength

from .conv import ConvNet, is_conv_file
from .data import file_sha256
from .mlp import MLP, softmax

FLOOR = 1e-30  # probabilities below float32's range: log() of them stays finite


@dataclass(frozen=True)
class Soft:
    """The teachers' softened outputs for one batch, and how much they count."""

    targets: np.ndarray  # (n, 10): mean of softmax(teacher logits / temperature)
    temperature: float
    weight: float

    def delta(self, probs: np.ndarray, hard_delta: np.ndarray) -> np.ndarray:
        """d(objective)/d(logits) per image from the student's ``probs`` and the hard term's
        ``hard_delta`` = probs - onehot(label)."""
        soft_probs = soften(probs, self.temperature)
        return ((1 - self.weight) * hard_delta +
                self.weight * self.temperature * (soft_probs - self.targets))


class Teachers:
    """Trained networks whose averaged softened outputs the student learns from."""

    def __init__(self, paths: list[str], deskew: float, temperature: float, weight: float
                 ) -> None:
        check_weights(temperature, weight)
        self.paths, self.temperature, self.weight = list(paths), temperature, weight
        self.networks = [load_teacher(p, deskew) for p in self.paths]

    def soft(self, x: np.ndarray) -> Soft:
        """The soft targets of batch ``x`` (the student's own input, after any deskewing)."""
        targets = np.mean([soften(net.feedforward(x), self.temperature)
                           for net in self.networks], axis=0)
        return Soft(targets.astype(x.dtype, copy=False), self.temperature, self.weight)

    def describe(self) -> list[dict]:
        """What a network's meta records of its teachers: file names and SHA-256."""
        return [{"file": Path(p).name, "sha256": file_sha256(p)}
                for p in self.paths]


def check_weights(temperature: float, weight: float) -> None:
    """Raise ValueError unless the temperature and the teachers' weight make an objective."""
    if temperature <= 0 or not 0 < weight <= 1:
        raise ValueError("--temperature must be > 0 and --distill in (0, 1]")


def load_network(path: str | os.PathLike) -> MLP | ConvNet:
    """A trained network of either kind, as its file's meta says."""
    return ConvNet.load(path) if is_conv_file(path) else MLP.load(path)


def load_teacher(path: str, deskew: float) -> MLP | ConvNet:
    """A teacher network, checked to read the same inputs as the student (slant-corrected by
    the same strength ``deskew``, 0 for none)."""
    if not Path(path).is_file():
        raise ValueError(f"--teacher {path}: no such file")
    net = load_network(path)
    if isinstance(net, MLP) and (net.sizes[0] != 784 or net.sizes[-1] != 10):
        raise ValueError(f"--teacher {path}: layers {net.sizes}, not 784 inputs and 10 outputs")
    reads = meta_strength(net.meta)
    if reads != deskew:
        raise ValueError(f"--teacher {path}: it reads {_inputs(reads)}; the student reads "
                         f"{_inputs(deskew)} (--deskew)")
    return net


def _inputs(strength: float) -> str:
    """How a network's inputs are slant-corrected, in words."""
    if strength == 1:
        return "slant-corrected inputs"
    return f"inputs slant-corrected by {strength:g}" if strength else "raw inputs"


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(z / T) from probs = softmax(z): log(probs) is z up to a constant per row."""
    if temperature == 1:
        return probs
    return softmax(np.log(np.maximum(probs, FLOOR)) / temperature)
