"""Throughput and latency of ``GET /recognize`` on loopback, at several concurrencies.

    .venv/bin/python bench/server.py                      # concurrency 1 and 16, 400 requests each
    .venv/bin/python bench/server.py --concurrency 50 --requests 100000 --input blank   # 50 x 2,000

Starts ``python -m hwd.server --quiet --port 0`` in a subprocess (so clients and server do not
share a GIL), then each client thread sends its share of the requests over one keep-alive
connection, the way a browser would.  Prints requests/s and p50/p99 latency per concurrency.
Inputs: ``digit`` is a drawn 7 (about 90 ink pixels, like a real digit: recognition dominates);
``blank`` is all background (recognition is nearly free, so this measures the HTTP path).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PYLIB = str(Path(__file__).resolve().parents[1] / "pylib")
sys.path.insert(0, PYLIB)
import hwd  # noqa: E402  (after the sys.path line, so the checkout is used)

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--input", choices=["digit", "blank"], default="digit")
    parser.add_argument("--network", help="network to serve (default: the server's default)")
    args = parser.parse_args()

    pixels = hwd.strokes_to_pixels(SEVEN) if args.input == "digit" else [0.0] * 784
    target = "/recognize?imgdata=" + hwd.format_wire(pixels)
    process, host, port = start_server(args.network)
    try:
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
