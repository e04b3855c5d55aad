"""Stopping ``hwd serve`` under load: SIGTERM finishes what is in flight and cuts nothing.

On SIGTERM the server stops accepting (new connections are refused), closes idle keep-alive
connections, finishes requests in flight, answers a request that arrives on an open
connection with ``Connection: close``, and exits within its grace period.  No answer is ever
cut in the middle: a client sees either a whole answer or a connection closed before any
byte of one.  Each test starts ``python -m hwd serve`` as a user would; loopback only, every
loop bounded in count and time.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEVEN = json.dumps({"strokes": [[[0, 0], [10, 0], [3, 20]]]})
BODY = SEVEN.encode()
HEAD = b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(BODY)


def start(*options: str) -> tuple[subprocess.Popen, int]:
    """``python -m hwd serve --quiet --port 0 OPTIONS``; the process and its port."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "pylib"), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "hwd", "serve", "--quiet", "--port", "0",
                                "--network", "quick", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    assert line.startswith("serving on http://127.0.0.1:"), (line, process.stderr.read())
    return process, int(line.rsplit(":", 1)[1])


@dataclass
class Client:
    """A keep-alive client posting a drawn 7 until the server closes on it (bounded)."""

    port: int
    answers: list[tuple[int, bytes, bool]] = field(default_factory=list)  # status, body, close
    ending: str = ""  # how the last request ended
    truncated: list[str] = field(default_factory=list)  # answers cut after their first byte

    def run(self, until: float) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for _ in range(20_000):
            if time.monotonic() > until:
                self.ending = "out of time"
                break
            try:
                connection.request("POST", "/recognize", SEVEN,
                                   {"Content-Type": "application/json"})
            except OSError as e:  # refused (stopped), or closed while we were sending
                self.ending = type(e).__name__
                break
            try:
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                self.ending = type(e).__name__  # closed before any byte of an answer
                break
            except Exception as e:  # a status line cut in the middle
                self.truncated.append(repr(e))
                break
            try:
                body = response.read()
            except Exception as e:  # IncompleteRead, reset mid-body
                self.truncated.append(repr(e))
                break
            self.answers.append((response.status, body, response.will_close))
        connection.close()


def read_answer(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The one answer the server sends on ``s`` before closing it: status, headers, body."""
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert len(body) == int(headers["Content-Length"])  # whole, and nothing after it
    return int(lines[0].split()[1]), headers, body


def test_sigterm_under_keep_alive_load():
    """8 keep-alive clients, an idle connection and a request still arriving, then SIGTERM."""
    process, port = start("--grace", "3")
    try:
        clients = [Client(port) for _ in range(8)]
        until = time.monotonic() + 20
        threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
        for thread in threads:
            thread.start()
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        idle.request("GET", "/healthz")
        assert idle.getresponse().read() and idle.sock is not None  # kept alive, then idle
        arriving = socket.create_connection(("127.0.0.1", port), timeout=10)
        arriving.sendall(HEAD + BODY[:10])  # a request in flight: the rest of it comes later
        time.sleep(0.5)  # the clients are well under way
        served_before = sum(len(c.answers) for c in clients)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)

        assert idle.sock.recv(100) == b""  # the idle keep-alive connection is closed at once
        idle_closed = time.monotonic() - signalled
        idle.close()
        time.sleep(0.3)
        arriving.sendall(BODY[10:])  # the request in flight is finished and answered
        status, headers, body = read_answer(arriving)
        assert status == 200 and headers["Connection"] == "close"
        assert json.loads(body)["digit"] == 7
        arriving.close()
        for thread in threads:
            thread.join(15)
        _, err = process.communicate(timeout=10)
        stopped = time.monotonic() - signalled
    finally:
        process.kill()

    assert process.returncode == 0, err
    assert "stopped (SIGTERM)" in err and "Traceback" not in err, err
    assert stopped < 3 + 1.5  # the grace period, and the time to start Python's exit
    assert idle_closed < 1.0
    assert served_before >= 8  # the load was real
    for client in clients:
        assert client.truncated == []  # nothing cut in the middle
        assert client.answers and all(status == 200 and json.loads(body)["digit"] == 7
                                      for status, body, _ in client.answers)
        # At most one answer after the stop, and it says Connection: close; the next
        # request finds the connection closed and new connections refused.
        closes = [close for _, _, close in client.answers]
        assert closes.count(True) <= 1 and True not in closes[:-1]
        assert client.ending in ("ConnectionRefusedError", "RemoteDisconnected",
                                 "ConnectionResetError", "BrokenPipeError"), client.ending


def test_stop_ends_within_the_grace_period_without_half_answers():
    """A client trickling its request is still reading when the grace period ends: it is
    closed without an answer (never part of one) and the server exits on time."""
    process, port = start("--grace", "1")
    try:
        slow = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow.sendall(b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
        assert _get(port, "/healthz") == 200
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        received = b""
        for _ in range(40):  # bounded: 40 bytes of body at most, about 4 s
            try:
                slow.sendall(b" ")
            except OSError:
                break
            time.sleep(0.1)
            try:
                slow.settimeout(0.01)
                chunk = slow.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        _, err = process.communicate(timeout=10)
        stopped = time.monotonic() - signalled
        refused = _refused(port)
        slow.close()
    finally:
        process.kill()
    assert received == b""  # no answer, so no half answer
    assert process.returncode == 0 and "1 still open after 1 s closed" in err, err
    assert 0.9 < stopped < 1 + 1.5
    assert refused


def _get(port: int, target: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target)
        return connection.getresponse().status
    finally:
        connection.close()


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False
