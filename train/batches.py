"""Shuffled, augmented mini-batches, prepared in a background thread while the network trains.

Augmenting a batch costs about as much as a training step of a small network, so
doing it in line would halve the trainer's speed.  :class:`Batches` runs the
shuffling and augmentation of the next few batches in a worker thread (numpy
releases the GIL in its loops, the training step spends its time in BLAS), in
chunks of several batches so the per-call overhead is paid once per chunk.

The worker draws from its own random generator, so a seeded run gives the same
batches whatever the timing of the two threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np

Transform = Callable[[np.ndarray, np.random.Generator, np.ndarray], np.ndarray]


class Batches:
    """Epochs of (images, labels) mini-batches of ``images`` (n, 784) after ``transform``."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch: int,
                 transform: Transform | None, rng: np.random.Generator,
                 chunk: int = 512, depth: int = 8) -> None:
        self.images, self.labels, self.batch = images, labels, batch
        self.transform, self.rng = transform, rng
        self.chunk = max(batch, chunk // batch * batch)  # whole batches per chunk
        self.depth = depth  # batches prepared ahead

    def __len__(self) -> int:
        """Mini-batches per epoch (the last one may be smaller)."""
        return -(-len(self.images) // self.batch)

    def epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass over the data in a fresh random order; stops the worker when left early."""
        ready: queue.Queue = queue.Queue(self.depth)
        stop = threading.Event()
        worker = threading.Thread(target=self._produce, args=(ready, stop), daemon=True)
        worker.start()
        try:
            for _ in range(len(self)):
                item = ready.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # unblock a worker waiting for room in the queue
                try:
                    ready.get_nowait()
                except queue.Empty:
                    worker.join(0.01)

    def _produce(self, ready: queue.Queue, stop: threading.Event) -> None:
        """The worker: shuffle, then transform and hand over chunk by chunk."""
        try:
            order = self.rng.permutation(len(self.images))
            for start in range(0, len(order), self.chunk):
                index = order[start:start + self.chunk]
                x, y = self.images[index], self.labels[index]
                if self.transform is not None:
                    x = self.transform(x, self.rng, y)
                for i in range(0, len(index), self.batch):
                    if stop.is_set():
                        return
                    ready.put((x[i:i + self.batch], y[i:i + self.batch]))
        except BaseException as e:  # handed to the consumer, who raises it
            ready.put(e)
