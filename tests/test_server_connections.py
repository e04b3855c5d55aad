"""hwd.server's connection cap: slow clients cannot take the server from normal ones.

At most ``max_connections`` are open.  A connection that arrives when all are taken waits
without a thread: once its request head is in, it takes the place of the connection idle or
reading the longest; it takes any place that frees up; after a second of waiting in vain it
gets a 503.  The attack test is bounded: loopback only, fixed counts, a few seconds.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest
from helpers import serving_in_thread

import hwd
from hwd import models
from hwd.server import App

SEVEN = [[[0, 0], [10, 0], [3, 20]]]


@pytest.fixture(scope="module")
def network() -> hwd.Network:
    return hwd.load(models.resolve("quick"))


def get(port: int, target: str = "/healthz", timeout: float = 5) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def closed_by_server(s: socket.socket, wait: float = 2) -> bool:
    """True if the server has closed ``s`` (the end of the stream, or a reset), within ``wait``."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_new_connection_replaces_the_longest_idle_one(network: hwd.Network):
    with serving_in_thread(App(network, "quick"), timeout=10, max_connections=4) as httpd:
        idle = []
        for _ in range(4):
            idle.append(socket.create_connection(("127.0.0.1", httpd.server_port)))
            time.sleep(0.05)  # so that their ages are distinct
        _wait_for(lambda: len(httpd.links.open) == 4)
        assert get(httpd.server_port)[0] == 200  # a fifth client is served at once
        assert closed_by_server(idle[0])  # ... in the place of the oldest
        assert not any(closed_by_server(s, wait=0.2) for s in idle[1:])
        assert httpd.links.evicted == 1 and len(httpd.links.open) <= 4
        for s in idle:
            s.close()


def test_a_newcomer_without_its_whole_head_pushes_no_one_out(network: hwd.Network):
    """All places taken by idle connections: a newcomer that has sent only part of its head
    waits in the lobby and gets a 503 after a second; nobody was closed for it."""
    with serving_in_thread(App(network, "quick"), timeout=10, max_connections=2) as httpd:
        idle = [socket.create_connection(("127.0.0.1", httpd.server_port)) for _ in range(2)]
        _wait_for(lambda: len(httpd.links.open) == 2)
        with socket.create_connection(("127.0.0.1", httpd.server_port), timeout=5) as newcomer:
            newcomer.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line yet
            started = time.monotonic()
            answer = newcomer.recv(65536)
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert 0.9 < time.monotonic() - started < 2
        assert httpd.links.evicted == 0 and httpd.lobby.turned_away == 1
        assert not any(closed_by_server(s, wait=0.1) for s in idle)
        for s in idle:
            s.close()


class Slow(App):
    """/healthz answers once ``release`` is set."""

    release = threading.Event()

    def healthz(self):
        self.release.wait(10)
        return super().healthz()


@pytest.mark.parametrize("busy", [0.3, 10], ids=["busy-briefly", "busy-long"])
def test_connections_being_answered_are_never_replaced(network: hwd.Network, busy: float):
    """Every place busy answering: a new connection waits for one to free up (served), or
    gets a 503 after waiting a second in vain; the connections being answered all finish."""
    app = Slow(network, "quick")
    app.release = threading.Event()
    with serving_in_thread(app, timeout=10, max_connections=2) as httpd:
        results: list[tuple[int, bytes]] = []
        workers = [threading.Thread(target=lambda: results.append(get(httpd.server_port)))
                   for _ in range(2)]
        for worker in workers:
            worker.start()
        _wait_for(lambda: len(httpd.links.open) == 2 and all(
            link.phase == "answering" for link in httpd.links.open.values()))
        timer = threading.Timer(busy, app.release.set)
        timer.start()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", httpd.server_port, timeout=5)
            started = time.monotonic()
            connection.request("GET", "/nope")
            response = connection.getresponse()
            waited = time.monotonic() - started
            if busy < 1:
                assert response.status == 404 and 0.2 < waited < 1  # it got a place
            else:
                assert response.status == 503 and 0.9 < waited < 2
                assert response.getheader("Retry-After") == "1" and response.will_close
                assert "busy" in json.loads(response.read())["error"]
                assert httpd.lobby.turned_away == 1 and httpd.links.evicted == 0
            connection.close()
        finally:
            timer.cancel()
            app.release.set()
            for worker in workers:
                worker.join(10)
        assert [status for status, _ in results] == [200, 200]


class Attack:
    """``count`` slow clients: each sends a request head one byte at a time, every ``pause``
    seconds, and reconnects when the server drops it.  One thread drives them all."""

    HEAD = b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"

    def __init__(self, port: int, count: int, pause: float) -> None:
        self.port, self.count, self.pause = port, count, pause
        self.stopping = threading.Event()
        self.reconnects = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> Attack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(10)

    def connect(self) -> tuple[socket.socket, int]:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        s.setblocking(False)
        return s, 0

    def run(self) -> None:
        clients = [self.connect() for _ in range(self.count)]
        while not self.stopping.wait(self.pause):
            for i, (s, sent) in enumerate(clients):
                try:
                    s.send(self.HEAD[sent % len(self.HEAD):][:1] or b" ")
                    clients[i] = (s, sent + 1)
                except OSError:  # dropped by the server (or its buffer is full): come back
                    s.close()
                    clients[i] = self.connect()
                    self.reconnects += 1
        for s, _ in clients:
            s.close()


def test_a_normal_client_is_served_during_a_slow_client_attack(network: hwd.Network):
    """64 slow clients against a cap of 16: every one of 30 normal requests gets its answer.

    The open connections never exceed the cap (sampled while the attack runs), and the attack
    really pressed: slow clients waited for a place in vain, and normal clients took places
    from slow ones.  The figures for 1,000 slow clients against the default cap are printed
    by ``bench/server.py --worst``.
    """
    app = App(network, "quick")
    text = hwd.format_wire(hwd.strokes_to_pixels(SEVEN))
    with serving_in_thread(app, timeout=10, deadline=30, max_connections=16) as httpd:
        most = 0
        with Attack(httpd.server_port, count=64, pause=0.05) as attack:
            _wait_for(lambda: len(httpd.links.open) == 16 and httpd.lobby.turned_away > 0)
            answers = []
            for _ in range(30):
                answers.append(get(httpd.server_port, f"/recognize?imgdata={text}"))
                most = max(most, len(httpd.links.open))
                time.sleep(0.02)
        assert answers == [(200, b"7")] * 30
        assert most <= 16
        assert httpd.lobby.turned_away > 0 and attack.reconnects > 0
        assert httpd.links.evicted > 0


def _wait_for(condition, seconds: float = 5) -> None:
    """Poll ``condition`` until it holds (bounded)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)
