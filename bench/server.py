"""The REST server on loopback: throughput and latency, and the worst a client can do to it.

    .venv/bin/python bench/server.py                      # concurrency 1 and 16, 400 requests each
    .venv/bin/python bench/server.py --concurrency 50 --requests 100000 --input blank   # 50 x 2,000
    .venv/bin/python bench/server.py --worst              # worst-case requests, normal client p99

Starts ``python -m hwd.server --quiet --port 0`` in a subprocess (so clients and server do not
share a GIL), then each client thread sends its share of the requests over one keep-alive
connection, the way a browser would.  Prints requests/s and p50/p99 latency per concurrency.
Inputs: ``digit`` is a drawn 7 (about 90 ink pixels, like a real digit: recognition dominates);
``blank`` is all background (recognition is nearly free, so this measures the HTTP path).

``--worst`` first times the costliest stroke requests (a 10,000-point zigzag and its kin, one
at a time): each shape at the documented point limit, and with the most points the server
still accepts (found by bisection in-process), so it measures whatever bound the server
enforces.  Then it measures a normal client (GET /recognize of a drawn 7 on a fresh connection
each time) alone, beside ``--heavy`` clients sending the costliest request over and over, and
during a slow-client attack: ``--attackers`` connections that each send a request head one
byte a second and reconnect when dropped.  Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

PYLIB = str(Path(__file__).resolve().parents[1] / "pylib")
sys.path.insert(0, PYLIB)
import hwd  # noqa: E402  (after the sys.path line, so the checkout is used)
import hwd.models  # noqa: E402
from hwd.server import MAX_NUMBER_STROKES, App  # noqa: E402

SEVEN = [[[0, 0], [10, 0], [3, 20]]]


def start_server(network: str | None) -> tuple[subprocess.Popen, str, int]:
    """A quiet server on a free loopback port; returns the process, host and port."""
    command = [sys.executable, "-m", "hwd.server", "--quiet", "--port", "0"]
    if network:
        command += ["--network", network]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PYLIB, os.environ.get(
        "PYTHONPATH")]))}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()  # "serving on http://127.0.0.1:PORT"
    host, port = line.split("//")[1].strip().rsplit(":", 1)
    return process, host, int(port)


def client(host: str, port: int, target: str, count: int, latencies: list[float],
           errors: list[str]) -> None:
    """Send ``count`` requests on one keep-alive connection, recording each latency."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(count):
        started = time.perf_counter()
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200 or not body.isdigit():
                errors.append(f"{response.status} {body[:80]!r}")
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append(time.perf_counter() - started)
    connection.close()


def run(host: str, port: int, target: str, concurrency: int, requests: int) -> dict:
    """``requests`` requests split over ``concurrency`` clients; the figures of the run."""
    latencies: list[float] = []
    errors: list[str] = []
    share = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    threads = [threading.Thread(target=client, args=(host, port, target, n, latencies, errors))
               for n in share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"concurrency": concurrency, "requests": len(latencies), "errors": len(errors),
            "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "first_error": errors[:1]}


class Heavy:
    """``count`` clients sending ``body`` to POST /recognize over and over, until stopped."""

    def __init__(self, host: str, port: int, body: bytes, count: int) -> None:
        self.host, self.port, self.body = host, port, body
        self.stopping = threading.Event()
        self.sent = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(count)]

    def __enter__(self) -> Heavy:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # every heavy request is under way
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def run(self) -> None:
        while not self.stopping.is_set():
            post(self.host, self.port, self.body)
            self.sent += 1


class SlowClients:
    """``count`` connections that each send one byte of a request head per ``pause`` seconds
    and connect again when the server drops them; one thread drives them all (non-blocking)."""

    HEAD = b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"

    def __init__(self, host: str, port: int, count: int, pause: float = 1.0) -> None:
        self.address, self.count, self.pause = (host, port), count, pause
        self.stopping = threading.Event()
        self.dropped = 0  # times the server closed one of them
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> SlowClients:
        self.thread.start()
        time.sleep(3 * self.pause)  # every connection is open, and the first ones were dropped
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(60)

    def open(self) -> socket.socket:
        s = socket.create_connection(self.address, timeout=10)
        s.setblocking(False)
        return s

    def run(self) -> None:
        sockets = [self.open() for _ in range(self.count)]
        sent = [0] * self.count
        while not self.stopping.wait(self.pause):
            for i, s in enumerate(sockets):
                try:
                    if not readable_end(s):
                        s.send(self.HEAD[sent[i] % len(self.HEAD):][:1])
                        sent[i] += 1
                        continue
                except OSError:
                    pass
                s.close()  # dropped by the server (closed, reset): come back at once
                self.dropped += 1
                sockets[i], sent[i] = self.open(), 0
        for s in sockets:
            s.close()


def readable_end(s: socket.socket) -> bool:
    """True if the server has closed (or answered on) the non-blocking socket ``s``."""
    try:
        s.recv(65536)
    except BlockingIOError:
        return False
    return True


def post(host: str, port: int, body: bytes) -> tuple[int, bytes]:
    """One POST /recognize on a fresh connection."""
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request("POST", "/recognize", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def worst_inputs() -> dict[str, Callable[[int], list]]:
    """Stroke shapes of ``n`` points that cost the most to draw (long segments, many strokes)."""
    corners = [[0, 0], [1000, 1000], [0, 1000], [1000, 0]]
    return {
        "zigzag, corner to corner": lambda n: [[corners[i % 4][:] for i in range(n)]],
        "zigzag, (37i mod 101, 53i mod 97)": lambda n: [[[(i * 37) % 101, (i * 53) % 97]
                                                        for i in range(n)]],
        "diagonals, 2-point strokes": lambda n: [[[0, 0], [1000, 1000]] for _ in range(n // 2)],
        "dots, 1-point strokes": lambda n: [[[i % 1000, i // 1000 * 100]] for i in range(n)],
        "a number: a row of 2-point strokes": lambda n: [
            [[i * 10, 0], [i * 10 + 5, 20]] for i in range(min(n // 2, MAX_NUMBER_STROKES))],
    }


def largest_accepted(app: App, shape: Callable[[int], list], limit: int) -> int:
    """The most points of ``shape`` the server accepts (asked in-process; bisection)."""
    def accepted(n: int) -> bool:
        body = json.dumps({"strokes": shape(n)}).encode()
        return app.handle("POST", "/recognize", body).status == 200

    if accepted(limit):
        return limit
    low, high = 2, limit  # accepted, refused
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if accepted(middle) else (low, middle)
    return low


def timed_post(host: str, port: int, body: bytes, times: int = 3) -> tuple[int, float]:
    """The status and the median time (ms) of ``times`` POSTs of ``body``."""
    spent, status = [], 0
    for _ in range(times):
        started = time.perf_counter()
        status, _ = post(host, port, body)
        spent.append((time.perf_counter() - started) * 1000)
    return status, statistics.median(spent)


def normal_client(host: str, port: int, target: str, count: int, seconds: float) -> dict:
    """At least ``count`` GETs over at least ``seconds``, 10 ms apart, each on a fresh
    connection; the latencies of the answered ones, and the failures."""
    latencies, failures = [], []
    end = time.monotonic() + seconds
    while len(latencies) + len(failures) < count or time.monotonic() < end:
        time.sleep(0.01)
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request("GET", target)
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status != 200 or not body.isdigit():
                failures.append(f"{response.status} {body[:60]!r}")
                continue
        except (OSError, http.client.HTTPException) as e:
            failures.append(repr(e))
            continue
        latencies.append(time.perf_counter() - started)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"sent": len(latencies) + len(failures), "answered": len(latencies),
            "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": max(latencies, default=float("nan")) * 1000, "failures": failures}


def worst(host: str, port: int, target: str, args: argparse.Namespace) -> bool:
    """The worst-case table and the normal client's table; False if a normal request failed."""
    from hwd.server import MAX_POINTS

    app = App(hwd.load(hwd.models.resolve(args.network)), "bench")
    print(f"\nThe costliest stroke requests: each shape at the limit ({MAX_POINTS:,} points) "
          "and at the most points the server accepts; median of 3 POSTs")
    print(f"{'shape':<36} {'at limit':>9} {'ms':>8} {'accepted':>9} {'KB':>6} {'ms':>8}")
    worst = {"accepted": (0.0, b""), "any": (0.0, b"")}  # the costliest request: ms, body
    for name, shape in worst_inputs().items():
        at_limit = json.dumps({"strokes": shape(MAX_POINTS)}).encode()
        status, limit_ms = timed_post(host, port, at_limit)
        points = largest_accepted(app, shape, MAX_POINTS)
        body = json.dumps({"strokes": shape(points)}).encode()
        ms = limit_ms if points == MAX_POINTS else timed_post(host, port, body)[1]
        print(f"{name:<36} {status:>9} {limit_ms:>8.1f} {points:>9,} {len(body) / 1000:>6.0f} "
              f"{ms:>8.1f}", flush=True)
        worst["accepted"] = max(worst["accepted"], (ms, body))
        worst["any"] = max(worst["any"], (ms, body), (limit_ms, at_limit))
    print(f"worst case: {worst['any'][0]:.1f} ms for any request, "
          f"{worst['accepted'][0]:.1f} ms for one accepted")
    worst_body = worst["any"][1]

    print(f"\nA normal client: GET /recognize (a drawn 7), a fresh connection each, 10 ms apart, "
          f"for {args.seconds:g} s and at least {args.samples} requests")
    print(f"{'while':<36} {'answered':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    conditions = [("nothing else", lambda: Heavy(host, port, worst_body, 0)),
                  (f"{args.heavy} costliest requests run",
                   lambda: Heavy(host, port, worst_body, args.heavy)),
                  (f"{args.attackers:,} slow clients attack",
                   lambda: SlowClients(host, port, args.attackers))]
    ok = True
    for name, load in conditions:
        with load() as running:
            r = normal_client(host, port, target, args.samples, args.seconds)
        extra = f"  (slow clients dropped {running.dropped:,} times)" \
            if isinstance(running, SlowClients) else ""
        print(f"{name:<36} {r['answered']:>5}/{r['sent']:<5} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}{extra}", flush=True)
        if r["failures"]:
            print(f"  {len(r['failures'])} failed, first: {r['failures'][0]}")
            ok = False
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--input", choices=["digit", "blank"], default="digit")
    parser.add_argument("--network", help="network to serve (default: the server's default)")
    parser.add_argument("--worst", action="store_true",
                        help="worst-case requests and a normal client's latency under attack")
    parser.add_argument("--heavy", type=int, default=8, help="with --worst: worst-case clients")
    parser.add_argument("--attackers", type=int, default=1000,
                        help="with --worst: slow-client connections")
    parser.add_argument("--samples", type=int, default=200,
                        help="with --worst: normal requests per condition, at least")
    parser.add_argument("--seconds", type=float, default=15,
                        help="with --worst: seconds per condition, at least")
    args = parser.parse_args()

    pixels = hwd.strokes_to_pixels(SEVEN) if args.input == "digit" else [0.0] * 784
    target = "/recognize?imgdata=" + hwd.format_wire(pixels)
    process, host, port = start_server(args.network)
    try:
        if args.worst:
            return 0 if worst(host, port, target, args) else 1
        print(f"GET /recognize, input {args.input}, {len(target)} bytes, server pid {process.pid}")
        print(f"{'clients':>8} {'requests':>9} {'errors':>7} {'seconds':>8} {'req/s':>8} "
              f"{'p50 ms':>8} {'p99 ms':>8}")
        failed = False
        for concurrency in args.concurrency:
            r = run(host, port, target, concurrency, args.requests)
            print(f"{r['concurrency']:>8} {r['requests']:>9} {r['errors']:>7} {r['seconds']:>8.1f} "
                  f"{r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}", flush=True)
            if r["errors"]:
                print(f"  first error: {r['first_error'][0]}")
                failed = True
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
