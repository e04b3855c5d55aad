"""hwd.turns: requests take turns at the CPU, small ones first, large ones never starved."""

from __future__ import annotations

import threading
import time

from hwd.turns import Turns


def queue_up(turns: Turns, size: int, name: str, order: list[str]) -> threading.Thread:
    """A thread that waits its turn for a request of ``size`` bytes, then notes ``name``;
    returns once it is waiting."""
    waiting = len(turns.waiting)

    def work() -> None:
        with turns.turn(size):
            order.append(name)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 5
    while len(turns.waiting) == waiting:  # bounded: it queues within milliseconds
        assert time.monotonic() < deadline
        time.sleep(0.001)
    return thread


def run_behind_a_holder(turns: Turns, queued: list[tuple[int, str, float]]) -> list[str]:
    """Hold the CPU while requests (size, name, pause before the next) queue up; the order
    in which they then get their turns."""
    order: list[str] = []
    with turns.turn(0):
        threads = []
        for size, name, pause in queued:
            threads.append(queue_up(turns, size, name, order))
            time.sleep(pause)
    for thread in threads:
        thread.join(5)
    return order


def test_a_small_request_goes_before_a_large_one_that_came_first():
    turns = Turns(rate=1000)  # 100,000 bytes: due 100 s after arriving; 10 bytes: 10 ms
    order = run_behind_a_holder(turns, [(100_000, "large", 0), (10, "small", 0)])
    assert order == ["small", "large"]
    assert not turns.busy and turns.waiting == []


def test_a_large_request_is_not_put_off_for_ever():
    """Due 0.1 s after it came: a small request arriving 0.3 s later goes after it."""
    turns = Turns(rate=1000)
    order = run_behind_a_holder(turns, [(100, "large", 0.3), (10, "small", 0)])
    assert order == ["large", "small"]


def test_equal_requests_go_in_order_of_arrival():
    turns = Turns(rate=1000)
    order = run_behind_a_holder(turns, [(50, f"r{i}", 0.002) for i in range(5)])
    assert order == [f"r{i}" for i in range(5)]


def test_one_at_a_time():
    """However many threads ask, never two inside a turn at once."""
    turns = Turns(rate=1000)
    inside, most = [0], [0]
    lock = threading.Lock()

    def work(size: int) -> None:
        for _ in range(20):
            with turns.turn(size):
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=work, args=(size,)) for size in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 1 and not turns.busy
