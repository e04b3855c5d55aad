"""Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune").

The page sends a network's weights as int8 compressed by deflate, and a weight of zero
costs about one bit there against four or five for the others; every byte the network
does not need is a byte of the first visit's budget for something that makes the page
start sooner.  Pruning sets the smallest weights of each hidden layer's matrix to zero
while the network trains, so the others learn to do without them:

    sparsity(t) = final * (1 - (1 - (t - start) / (end - start))**3)  for start <= t <= end

of the way ``t`` through training: nothing before ``start``, fast at first and slowly
towards ``end``, then ``final`` until the end with the survivors fine-tuned.  The output
layer (10 rows, a few thousand weights) is left whole.
"""

from __future__ import annotations

import numpy as np


class Pruning:
    """Masks of the hidden layers' weight matrices, growing with training progress."""

    def __init__(self, final: float, start: float = 0.25, end: float = 0.75,
                 every: float = 0.005) -> None:
        check_share(final)
        self.final, self.start, self.end, self.every = final, start, end, every
        self.masks: list[np.ndarray] | None = None
        self.pruned_at = -1.0  # progress at which the masks were last chosen

    def sparsity(self, progress: float) -> float:
        """The share of each hidden matrix that is zero ``progress`` of the way through."""
        ramp = min(max((progress - self.start) / (self.end - self.start), 0.0), 1.0)
        return self.final * (1 - (1 - ramp) ** 3)

    def apply(self, weights: list[np.ndarray], progress: float) -> None:
        """Zero the pruned weights in place (after every optimizer step); the masks are
        chosen anew every ``every`` of training while the sparsity grows."""
        if progress < self.start:
            return
        if self.masks is None or (progress <= self.end + self.every
                                  and progress - self.pruned_at >= self.every):
            self.masks = [keep_largest(w, 1 - self.sparsity(progress)) for w in weights[:-1]]
            self.pruned_at = progress
        for w, mask in zip(weights[:-1], self.masks, strict=True):
            w *= mask


def check_share(final: float) -> None:
    """Raise ValueError unless ``final`` is a share of the weights that leaves some."""
    if not 0 <= final < 1:
        raise ValueError("--prune must be in [0, 1)")


def keep_largest(w: np.ndarray, share: float) -> np.ndarray:
    """A 0/1 mask (w's dtype) keeping the ``share`` of w's entries largest in magnitude."""
    magnitude = np.abs(w).ravel()
    drop = round((1 - share) * magnitude.size)
    if drop <= 0:
        return np.ones_like(w)
    threshold = np.partition(magnitude, drop - 1)[drop - 1]
    return (np.abs(w) > threshold).astype(w.dtype)
