"""The HTTP server (hwd.server, issue #4): its contract, limits, static files, load and shutdown.

Most tests run a quiet server in a thread of this process; the load and signal tests start
``python -m hwd.server`` as a subprocess, as a user would.
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
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import serving_in_thread

import hwd
from hwd import cli, models, server
from hwd.server import App, Server

ROOT = Path(__file__).resolve().parents[1]
SEVEN = [[[0, 0], [10, 0], [3, 20]]]  # a drawn 7, in screen pixels
ONE = [[[5, 0], [5, 30]]]


@pytest.fixture(scope="module")
def network() -> hwd.Network:
    return hwd.load(models.resolve("quick"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small built site, with a secret file beside (not inside) it."""
    base = tmp_path_factory.mktemp("served")
    (base / "secret.txt").write_text("do not serve")
    dist = base / "dist"
    (dist / "pyodide").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>HWD</title>")
    (dist / "pyodide" / "index.html").write_text("<p>listing</p>")
    (dist / "pyodide" / "pyodide.mjs").write_text("export {}")
    (dist / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm\1\0\0\0")
    (dist / "hwd.zip").write_bytes(b"PK\5\6" + bytes(18))
    (dist / "quick.npz").write_bytes(b"PK\5\6" + bytes(18))
    (dist / "pyscript.json").write_text("{}")
    (dist / "escape").symlink_to(base / "secret.txt")
    return dist


@pytest.fixture(scope="module")
def app(network: hwd.Network, site: Path) -> App:
    return App(network, "quick", site)


@pytest.fixture(scope="module")
def live(app: App):
    """A quiet server on a free loopback port, in a thread; yields it."""
    with serving_in_thread(app, timeout=2.0) as httpd:
        yield httpd


def wire(strokes) -> str:
    return hwd.format_wire(hwd.strokes_to_pixels(strokes))


def fetch(httpd: Server, method: str, target: str, body: bytes | None = None,
          headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on a fresh connection: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection("127.0.0.1", httpd.server_port, timeout=10)
    try:
        connection.request(method, target, body, headers or {})
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


def raw(httpd: Server, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes; return the server's first answer (read until complete, closed or quiet)."""
    with socket.create_connection(("127.0.0.1", httpd.server_port), timeout=timeout) as s:
        s.sendall(data)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
                head, found, body = answer.partition(b"\r\n\r\n")
                lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")]
                if found and len(body) >= (lengths[0] if lengths else 0):
                    break
        except TimeoutError:
            pass
        return answer


# --- the ancestor's contract ------------------------------------------------------------------

@pytest.mark.parametrize("encode_commas", [False, True], ids=["raw-commas", "percent-2C"])
def test_ancestor_client_request(live: Server, network: hwd.Network, encode_commas: bool):
    """The exact request the ancestor's jQuery client sends, commas raw or as %2C -> "7"."""
    text = wire(SEVEN)
    query = quote(text, safe="-.") if encode_commas else text
    assert ("%2C" in query) == encode_commas
    request = (f"GET /recognize?imgdata={query}&_=1700000000000 HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{live.server_port}\r\n"
               "Accept: */*\r\nX-Requested-With: XMLHttpRequest\r\n"
               "Origin: http://localhost:8000\r\nConnection: close\r\n\r\n").encode()
    answer = raw(live, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nAccess-Control-Allow-Origin: *\r\n" in head
    assert b"\r\nContent-Type: text/plain; charset=utf-8\r\n" in head
    expected, _ = network.predict(hwd.parse_wire(text))
    assert body == str(expected).encode() == b"7"


def test_get_matches_hwd_on_many_inputs(live: Server, network: hwd.Network):
    """The server gives hwd's answers (so the browser's): values like -1, 1 and 0.53."""
    for strokes in (SEVEN, ONE, [[[0, 0], [20, 0], [20, 20], [0, 20], [0, 0]]]):
        text = wire(strokes)
        status, _, body = fetch(live, "GET", f"/recognize?imgdata={text}")
        assert status == 200
        assert int(body) == network.predict(hwd.parse_wire(text))[0]


def test_post_imgdata_and_strokes(live: Server, network: hwd.Network):
    """POST JSON answers the digit and the ten probabilities, the same as hwd."""
    pixels = hwd.strokes_to_pixels(SEVEN)
    digit, probabilities = network.predict(pixels)
    for request in ({"imgdata": hwd.wire.to_wire(pixels)}, {"strokes": SEVEN}):
        status, headers, body = fetch(live, "POST", "/recognize", json.dumps(request).encode(),
                                      {"Content-Type": "application/json"})
        assert status == 200, body
        assert headers["content-type"] == "application/json"
        assert headers["access-control-allow-origin"] == "*"
        answer = json.loads(body)
        assert answer["digit"] == digit
        assert answer["probabilities"] == pytest.approx(probabilities, abs=1e-6)


def test_cors_preflight(live: Server):
    status, headers, body = fetch(live, "OPTIONS", "/recognize", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 204 and body == b""
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def test_healthz(live: Server):
    status, headers, body = fetch(live, "GET", "/healthz")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "network": "quick", "layers": [784, 800, 10],
                                "activations": ["relu", "softmax"]}


def test_keep_alive(live: Server, network: hwd.Network):
    """Several requests on one HTTP/1.1 connection, errors included."""
    connection = http.client.HTTPConnection("127.0.0.1", live.server_port, timeout=10)
    text = wire(ONE)
    expected = str(network.predict(hwd.parse_wire(text))[0]).encode()
    for target, status, answer in [("/healthz", 200, b'{"status": "ok"'),
                                   (f"/recognize?imgdata={text}", 200, expected),
                                   ("/recognize?imgdata=1,2", 400, b'{"error": '),
                                   (f"/recognize?imgdata={text}", 200, expected)]:
        connection.request("GET", target)
        response = connection.getresponse()
        assert (response.status, response.read()[:len(answer)]) == (status, answer)
        assert not response.will_close
    connection.close()


# --- bad input: a JSON error with a 4xx status, never a crash ----------------------------------

def cases() -> list[tuple[str, str, bytes, int, str]]:
    """(method, target, body, status, words in the error) for the table below."""
    good = ",".join(["-1"] * 784)
    return [
        ("GET", "/recognize", b"", 400, "missing imgdata"),
        ("GET", "/recognize?imgdata=", b"", 400, "got 0"),
        ("GET", "/recognize?imgdata=" + ",".join(["0"] * 783), b"", 400, "got 783"),
        ("GET", "/recognize?imgdata=" + good + ",1", b"", 400, "got 785"),
        ("GET", "/recognize?imgdata=nan" + good[2:], b"", 400, "not finite"),
        ("GET", "/recognize?imgdata=inf" + good[2:], b"", 400, "not finite"),
        ("GET", "/recognize?imgdata=1.5" + good[2:], b"", 400, "out of range"),
        ("GET", "/recognize?imgdata=__import__('os')" + good[2:], b"", 400, "not a number"),
        ("GET", "/recognize?imgdata=" + good + "&imgdata=" + good, b"", 400, "more than once"),
        ("GET", "/recognize?" + "&".join(["a=1"] * 101), b"", 400, "too many"),
        ("GET", "/recognize?imgdata=" + "1," * 20000, b"", 414, "at most"),
        ("POST", "/recognize", b"", 400, "empty"),
        ("POST", "/recognize", b"{", 400, "not valid JSON"),
        ("POST", "/recognize", b"\xff\xfe", 400, "not valid JSON"),
        ("POST", "/recognize", b"[" * 100_000, 400, "JSON"),
        ("POST", "/recognize", b"[1, 2]", 400, "JSON object"),
        ("POST", "/recognize", b"{}", 400, "exactly one"),
        ("POST", "/recognize", b'{"imgdata": [], "strokes": []}', 400, "exactly one"),
        ("POST", "/recognize", b'{"imgdata": "1,2"}', 400, "list"),
        ("POST", "/recognize", b'{"imgdata": [NaN]}', 400, "NaN"),
        ("POST", "/recognize", f'{{"imgdata": [{good}]}}'.replace("-1", "1e400", 1).encode(),
         400, "not finite"),
        ("POST", "/recognize", f'{{"imgdata": [{good}]}}'.replace("-1", "1" + "0" * 400, 1)
         .encode(), 400, "too large"),
        ("POST", "/recognize", f'{{"imgdata": [{good}]}}'.replace("-1", "true", 1).encode(),
         400, "boolean"),
        ("POST", "/recognize", f'{{"imgdata": [{good}]}}'.replace("-1", '"1"', 1).encode(),
         400, "string"),
        ("POST", "/recognize", f'{{"imgdata": [{good}]}}'.replace("-1", "-2", 1).encode(),
         400, "out of range"),
        ("POST", "/recognize", b'{"strokes": []}', 400, "empty"),
        ("POST", "/recognize", b'{"strokes": [[], []]}', 400, "empty"),
        ("POST", "/recognize", b'{"strokes": [[1, 2]]}', 400, "point"),
        ("POST", "/recognize", b'{"strokes": [[[1]]]}', 400, "point"),
        ("POST", "/recognize", b'{"strokes": [[[1, null]]]}', 400, "null"),
        ("POST", "/recognize", b'{"strokes": [[[1e300, 0], [-1e300, 0]]]}', 400, "outside"),
        ("POST", "/recognize", b'{"strokes": {"a": 1}}', 400, "list of strokes"),
        ("POST", "/recognize", json.dumps({"strokes": [[[0, 0]] * 10_001]}).encode(), 413,
         "too many points"),
        ("DELETE", "/recognize", b"", 405, "does not accept"),
        ("PUT", "/healthz", b"", 405, "does not accept"),
        ("BREW", "/recognize", b"", 405, "does not accept"),
        ("POST", "/index.html", b"{}", 405, "does not accept"),
        ("GET", "/nope", b"", 404, "not found"),
        ("GET", "/../secret.txt", b"", 404, "not found"),
        ("GET", "/%2e%2e/secret.txt", b"", 404, "not found"),
        ("GET", "/%2e%2e%2fsecret.txt", b"", 404, "not found"),
        ("GET", "/pyodide/../../secret.txt", b"", 404, "not found"),
        ("GET", "/escape", b"", 404, "not found"),
        ("GET", "/%00", b"", 404, "not found"),
        ("GET", "/%ff", b"", 404, "not found"),
        ("GET", "/" + "a" * 5000, b"", 404, "not found"),
        ("GET", "http://[::1/x", b"", 400, "malformed"),
    ]


@pytest.mark.parametrize(("method", "target", "body", "status", "words"), cases(),
                         ids=lambda v: v[:40] if isinstance(v, str) else None)
def test_bad_requests_without_sockets(app: App, method, target, body, status, words):
    response = app.handle(method, target, body)
    assert response.status == status
    assert response.content_type == "application/json"
    message = json.loads(response.body)["error"]
    assert words in message, message
    assert "Traceback" not in message
    if status == 405:
        assert "Allow" in response.headers


@pytest.mark.parametrize(("method", "target", "body", "status", "words"),
                         [c for c in cases() if c[0] in ("GET", "POST", "DELETE", "BREW")
                          and not c[1].startswith("http")][::3],
                         ids=lambda v: v[:40] if isinstance(v, str) else None)
def test_bad_requests_over_http(live: Server, method, target, body, status, words):
    """The same table through real sockets (a sample of it), with the connection kept usable."""
    got, headers, answer = fetch(live, method, target, body or None)
    assert got == status
    assert headers["content-type"] == "application/json"
    assert words in json.loads(answer)["error"]
    assert fetch(live, "GET", "/healthz")[0] == 200


def test_request_line_over_64k_is_414_json(live: Server):
    """http.server's own limit on the request line also answers JSON."""
    answer = raw(live, b"GET /recognize?imgdata=" + b"1," * 40_000 + b" HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]


def test_oversized_body_refused_before_reading(live: Server):
    """A 2 MiB Content-Length gets 413 without the server waiting for the body."""
    started = time.monotonic()
    answer = raw(live, b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 2097152\r\n\r\n{\"imgdata\": [")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in answer
    assert "at most" in json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    assert time.monotonic() - started < 1.5  # well under the server's 2 s timeout


def test_expect_100_continue_oversized(live: Server):
    answer = raw(live, b"POST /recognize HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                       b"Content-Length: 99999999\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize(("headers", "status"), [
    (b"Transfer-Encoding: chunked\r\n", b"411"), (b"Content-Length: -5\r\n", b"400"),
    (b"Content-Length: abc\r\n", b"400"), (b"Content-Length: \xb2\r\n", b"400"),
    (b"Content-Length: " + b"9" * 5000 + b"\r\n", b"413")])
def test_bad_body_framing(live: Server, headers: bytes, status: bytes):
    answer = raw(live, b"POST /recognize HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n5\r\nhello\r\n")
    assert answer.split(b" ")[1] == status
    assert b"\r\nConnection: close\r\n" in answer
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]


@pytest.mark.parametrize(("request_line", "status"), [
    (b"GET\r\n\r\n", b"400"), (b"\x00\xff garbage\r\n\r\n", b"400"),
    (b"GET /healthz HTTP/1.1 x\r\n\r\n", b"400"), (b"GET /healthz HTTP/1.x\r\n\r\n", b"400"),
    (b"GET /healthz HTTP/9.9\r\n\r\n", b"505")])
def test_garbage_request_line(live: Server, request_line: bytes, status: bytes):
    answer = raw(live, request_line)
    assert answer.split(b" ")[1] == status  # 505: a version this server does not speak
    assert b"Traceback" not in answer
    assert fetch(live, "GET", "/healthz")[0] == 200


@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-limit", "over"])
def test_a_number_is_read_for_at_most_max_number_strokes(app: App, extra: int):
    """More strokes than the number reader's candidate limit: the one-digit answer only (the
    reader would read every stroke; 500 dots took 10 s), so the work stays bounded."""
    strokes = [[[i * 10, 0], [i * 10 + 5, 20]] for i in range(server.MAX_NUMBER_STROKES + extra)]
    response = app.handle("POST", "/recognize", json.dumps({"strokes": strokes}).encode())
    assert response.status == 200
    answer = json.loads(response.body)
    if extra:
        assert set(answer) == {"digit", "probabilities"}
    else:
        assert len(answer["number"]) > 1 and len(answer["digits"]) == len(answer["number"])


def test_internal_error_has_no_details(network: hwd.Network, capsys):
    class Broken(App):
        def healthz(self):
            raise RuntimeError("secret detail")

    response = Broken(network, "quick").handle("GET", "/healthz")
    assert response.status == 500
    assert json.loads(response.body) == {"error": "internal server error"}
    assert "secret detail" in capsys.readouterr().err  # the traceback is for the server's log


# --- the site ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "content_type"), [
    ("/", "text/html; charset=utf-8"),
    ("/index.html", "text/html; charset=utf-8"),
    ("/pyodide/", "text/html; charset=utf-8"),
    ("/pyodide/pyodide.mjs", "text/javascript; charset=utf-8"),
    ("/pyodide/pyodide.asm.wasm", "application/wasm"),
    ("/pyscript.json", "application/json"),
    ("/hwd.zip", "application/zip"),
    ("/quick.npz", "application/octet-stream"),
])
def test_site_files(live: Server, site: Path, path: str, content_type: str):
    status, headers, body = fetch(live, "GET", path)
    assert status == 200
    assert headers["content-type"] == content_type
    file = site / path.lstrip("/")
    assert body == (file / "index.html" if file.is_dir() else file).read_bytes()


def test_head_of_a_site_file(live: Server, site: Path):
    status, headers, body = fetch(live, "HEAD", "/index.html")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == (site / "index.html").stat().st_size


@pytest.mark.parametrize("target", [b"/../secret.txt", b"/pyodide/../../secret.txt",
                                    b"/%2e%2e/secret.txt", b"/..%2fsecret.txt", b"//etc/passwd",
                                    b"/%2fetc%2fpasswd", b"/escape", b"/../dist/../secret.txt"])
def test_no_directory_traversal(live: Server, target: bytes):
    """Raw targets (no client-side normalization) never reach a file outside the site."""
    answer = raw(live, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert b"do not serve" not in answer and b"root:" not in answer


def test_no_site_means_404(network: hwd.Network):
    response = App(network, "quick").handle("GET", "/")
    assert response.status == 404


# --- slow clients, logging --------------------------------------------------------------------

def test_slow_client_does_not_block_others(live: Server):
    """A client that sends half a request and waits does not delay anyone; it is dropped."""
    with socket.create_connection(("127.0.0.1", live.server_port)) as slow:
        slow.sendall(b"POST /recognize HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"imgd")
        started = time.monotonic()
        for _ in range(5):
            assert fetch(live, "GET", "/healthz")[0] == 200
        assert time.monotonic() - started < 1.0
        slow.settimeout(5)
        answer = b""  # 408 after the server's 2 s timeout, then closed
        while chunk := slow.recv(65536):  # the head and the body may come in separate reads
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in answer
        assert "silent for 2 s" in json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
        assert time.monotonic() - started < 4


def test_log_shows_ascii_art_and_digit(network: hwd.Network):
    lines: list[str] = []
    app = App(network, "quick", log=lines.append)
    response = app.handle("GET", f"/recognize?imgdata={wire(SEVEN)}")
    assert response.body == b"7"
    assert lines[0].startswith("recognized 7 (")
    assert "@@" in lines[0] and len(lines[0].splitlines()) == 29


def test_options(tmp_path: Path):
    """``hwd serve``'s options are parsed with the rest of the command line (hwd.cli)."""
    args = cli._parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "0", "--network",
                                     "quick", "--site", str(tmp_path), "--quiet",
                                     "--max-connections", "8", "--grace", "0.5"])
    assert (args.host, args.port, args.network, args.site, args.quiet, args.max_connections,
            args.grace) == ("0.0.0.0", 0, "quick", tmp_path, True, 8, 0.5)
    defaults = cli._parser().parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.network, defaults.max_connections,
            defaults.grace) == ("127.0.0.1", 5000, None, server.MAX_CONNECTIONS, server.GRACE)


@pytest.mark.parametrize("option", [["--port", "65536"], ["--port", "-1"], ["--grace", "0"],
                                    ["--grace", "nan"], ["--max-connections", "0"]])
def test_bad_options(option: list[str], capsys):
    with pytest.raises(SystemExit) as exit:
        cli._parser().parse_args(["serve", *option])
    assert exit.value.code == 2
    assert f"argument {option[0]}" in capsys.readouterr().err


# --- as a process: load, shutdown ---------------------------------------------------------------

def start(*options: str, entry: tuple[str, ...] = ("hwd.server",)) -> tuple[subprocess.Popen, int]:
    """``python -m hwd.server --port 0 OPTIONS``; returns the process and its port."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "pylib"), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", *entry, "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    assert line.startswith("serving on http://127.0.0.1:"), (line, process.stderr.read())
    return process, int(line.rsplit(":", 1)[1])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("entry", [("hwd", "serve"), ("hwd.server",)], ids=" ".join)
def test_clean_shutdown(signum: int, entry: tuple[str, ...]):
    """``python -m hwd serve`` (and ``-m hwd.server``) stops on a signal: exit 0 and a log line."""
    process, port = start("--network", "quick", entry=entry)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/recognize?imgdata={wire(SEVEN)}")
        assert connection.getresponse().read() == b"7"
        connection.close()
        process.send_signal(signum)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert f"stopped ({signal.Signals(signum).name})" in err
    assert "recognized 7" in err and "Traceback" not in err


def test_load(network: hwd.Network):
    """50 clients x 100 requests on keep-alive connections: zero errors, every answer right.

    Bounded: loopback only, fixed counts, a 60 s deadline.  Four inputs in turn (a blank, a 7,
    a 1 and a dense one) so both the HTTP path and recognition are exercised.  The full
    50 x 2,000 run is ``bench/server.py --concurrency 50 --requests 100000 --input blank``.
    """
    clients, per_client = 50, 100
    inputs = [",".join(["-1"] * 784), wire(SEVEN), wire(ONE), ",".join(["0.5"] * 784)]
    expected = [str(network.predict(hwd.parse_wire(t))[0]).encode() for t in inputs]
    process, port = start("--quiet", "--network", "quick")
    errors: list[str] = []
    done = []
    deadline = time.monotonic() + 60

    def client(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(per_client):
            if time.monotonic() > deadline:
                errors.append("deadline")
                return
            j = (k + i) % len(inputs)
            try:
                connection.request("GET", f"/recognize?imgdata={inputs[j]}")
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or body != expected[j]:
                    errors.append(f"{response.status} {body[:60]!r}")
            except (OSError, http.client.HTTPException) as e:
                errors.append(repr(e))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done.append(1)
        connection.close()

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0) + 5)
        elapsed = time.monotonic() - started
        assert fetch_port(port, "/healthz") == 200  # still answering
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=15)
    assert errors == []
    assert len(done) == clients * per_client
    assert process.returncode == 0, err
    print(f"{len(done)} requests in {elapsed:.1f} s = {len(done) / elapsed:.0f}/s")


def fetch_port(port: int, target: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", target)
    status = connection.getresponse().status
    connection.close()
    return status
