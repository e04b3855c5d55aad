"""Turns at the CPU for :mod:`hwd.server`: one request works at a time, small ones first.

Recognition is pure Python, so under the GIL requests never really run in parallel.  Letting
every connection's thread compute at once only makes them take turns in 5 ms slices, and a
request that needs 4 ms of CPU waits through a slice of every costly request running beside
it: eight costly requests made a normal one wait more than a second.  :class:`Turns` gives
the CPU to one request at a time instead, and when several wait, to the one with the earliest
*due time*: its arrival plus ``size / rate`` seconds.  A small request (a drawing of a few
KiB) thus goes before costly ones that came a little earlier, and waits at most for the one
being worked on; a large request is never put off by more than ``size / rate`` seconds of
later arrivals, so it is never starved.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Turns:
    """A lock that, when released, goes to the waiting request due first (see above)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate  # bytes per second of head start a smaller request gets
        self.lock = threading.Lock()
        self.busy = False
        self.waiting: list[tuple[float, int, threading.Event]] = []  # a heap by due time
        self.order = itertools.count()  # ties go to the earlier arrival

    @contextmanager
    def turn(self, size: int) -> Iterator[None]:
        """Wait for the CPU (a request of ``size`` bytes), work, and hand it on."""
        ready = threading.Event()
        with self.lock:
            if self.busy:
                due = time.monotonic() + size / self.rate
                heapq.heappush(self.waiting, (due, next(self.order), ready))
            else:
                self.busy = True
                ready.set()
        ready.wait()
        try:
            yield
        finally:
            with self.lock:
                if self.waiting:
                    heapq.heappop(self.waiting)[2].set()  # busy stays True: handed on
                else:
                    self.busy = False
