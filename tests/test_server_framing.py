"""How hwd.server reads a request off the wire: no request hides another, none ends in silence.

A header line the server cannot parse makes the whole request a 400 and closes the connection
(the standard library alone would end the headers there and serve the body as a second
request: request smuggling behind a proxy).  A request cut short gets a 400 (the client
closed its side) or a 408 (too slow), never a silent close; HTTP/2 and later get a 505.
All on loopback, against a server in a thread with short timeouts.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from helpers import serving_in_thread

import hwd
from hwd import models
from hwd.server import App, Server

TIMEOUT, DEADLINE = 1.0, 1.5  # the server's idle timeout and request deadline here
SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"  # the body that must not be served


@pytest.fixture(scope="module")
def live():
    app = App(hwd.load(models.resolve("quick")), "quick")
    with serving_in_thread(app, timeout=TIMEOUT, deadline=DEADLINE) as httpd:
        yield httpd


def exchange(httpd: Server, data: bytes, half_close: bool = False, wait: float = 5) -> bytes:
    """Send ``data`` (then maybe close our side); everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", httpd.server_port), timeout=wait) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def answers(data: bytes) -> list[tuple[int, dict[str, str], dict]]:
    """The responses in ``data``: status, headers and JSON body of each."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int(headers["Content-Length"])
        found.append((int(lines[0].split()[1]), headers, json.loads(rest[:length])))
        data = rest[length:]
    return found


BAD_LINES = {
    "space before colon": b"Transfer-Encoding : chunked",
    "tab before colon": b"Content-Length\t: 0",
    "no colon": b"X-Forwarded-For 10.0.0.1",
    "empty name": b": value",
    "non-ASCII name (latin-1)": "Ünicode: x".encode("latin-1"),
    "non-ASCII name (UTF-8)": "Ünicode: x".encode(),
    "folded continuation": b"X-A: a\r\n continued",
    "bare CR in a value": b"X-A: a\rTransfer-Encoding: chunked",
    "NUL in a value": b"X-A: a\0b",
    "mbox From line": b"From someone",
    "second Content-Length": b"Content-Length: 0",
    "second Host": b"Host: y",
}


@pytest.mark.parametrize("line", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_an_unparsable_header_line_is_a_400_and_nothing_else_is_served(live: Server, line: bytes):
    """One 400 and the connection closed: the body is never taken for a second request."""
    request = (b"POST /recognize HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n"
               + b"Content-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED)
    [(status, headers, body)] = answers(exchange(live, request))
    assert status == 400
    assert headers["Connection"] == "close"
    assert headers["Content-Type"] == "application/json"
    assert body["error"].startswith(("malformed header line", "control characters",
                                     "header content-length given", "header host given"))


def test_a_malformed_head_with_expect_100_gets_no_100(live: Server):
    """The head is checked before the client is told to send its body."""
    request = b"POST /recognize HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX : y\r\n" \
              b"Content-Length: 10\r\n\r\n"
    data = exchange(live, request)
    assert data.startswith(b"HTTP/1.1 400 ") and b" 100 " not in data.split(b"\r\n")[0]


def test_ordinary_heads_are_still_accepted(live: Server):
    """Odd but valid: token punctuation in names, tabs and Latin-1 in values, LF line ends."""
    request = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Odd_Name!#$%&'*+.^`|~: ok\r\n"
               b"X-Tab: a\tb\r\nX-Latin: caf\xe9\r\nAccept: */*\n"
               b"Connection: close\r\n\r\n")
    [(status, _, body)] = answers(exchange(live, request))
    assert status == 200 and body["status"] == "ok"


def test_pipelined_requests_are_each_answered(live: Server):
    """Two requests in one write: two answers, in order (the framing is exact)."""
    request = SMUGGLED + b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert [status for status, _, _ in answers(exchange(live, request))] == [200, 404]


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/9.9", b"HTTP/10.0"])
def test_http_2_and_later_get_505(live: Server, version: bytes):
    [(status, headers, body)] = answers(exchange(live, b"GET /healthz " + version
                                                 + b"\r\nHost: x\r\n\r\n"))
    assert status == 505 and headers["Connection"] == "close"
    assert "version" in body["error"].lower()


def test_http2_preface_gets_505(live: Server):
    """What an HTTP/2 client sends first (``PRI * HTTP/2.0``): a 505, in HTTP/1.1."""
    data = exchange(live, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 505 ")


# --- requests cut short: 400 if the client closed its side, 408 if it went too slowly ------

CUT = {
    "request line": (b"GET /healthz HTT", "request line is incomplete"),
    "headers": (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", "headers are incomplete"),
    "header line": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nAcc", "headers are incomplete"),
    "body": (b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"st",
             "the body ended after 4 of 100 bytes"),
}


@pytest.mark.parametrize(("data", "words"), CUT.values(), ids=CUT.keys())
def test_a_request_cut_by_the_client_gets_400(live: Server, data: bytes, words: str):
    [(status, headers, body)] = answers(exchange(live, data, half_close=True))
    assert status == 400 and headers["Connection"] == "close"
    assert words in body["error"]


@pytest.mark.parametrize("data", [d for d, _ in CUT.values()], ids=CUT.keys())
def test_a_request_left_unfinished_gets_408(live: Server, data: bytes):
    started = time.monotonic()
    [(status, headers, body)] = answers(exchange(live, data))
    assert status == 408 and headers["Connection"] == "close"
    assert body["error"] == "the client was silent for 1 s in the middle of its request"
    assert TIMEOUT - 0.1 < time.monotonic() - started < TIMEOUT + 1


def test_a_trickling_request_meets_its_deadline(live: Server):
    """A byte every 0.2 s never trips the 1 s idle timeout, but the request gets 408 at 1.5 s."""
    request = b"POST /recognize HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b" " * 1000
    with socket.create_connection(("127.0.0.1", live.server_port), timeout=5) as s:
        started = time.monotonic()
        answer = b""
        for byte in request[:40]:  # bounded: 40 bytes, 8 s at most
            try:
                s.sendall(bytes([byte]))
            except OSError:  # the server has answered and closed
                break
            time.sleep(0.2)
            if answer := _ready(s):
                break
        s.settimeout(5)
        while chunk := s.recv(65536):
            answer += chunk
        elapsed = time.monotonic() - started
    [(status, _, body)] = answers(answer)
    assert status == 408 and "not complete within 1.5 s" in body["error"]
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 1


def _ready(s: socket.socket) -> bytes:
    """Whatever the server has sent so far, without waiting."""
    s.setblocking(False)
    try:
        return s.recv(65536)
    except BlockingIOError:
        return b""
    finally:
        s.setblocking(True)
        s.settimeout(5)


def test_an_idle_keep_alive_connection_is_closed_quietly(live: Server):
    """No request begun, nothing owed: after the idle timeout the connection just closes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", live.server_port), timeout=5) as s:
        s.sendall(SMUGGLED)  # one complete request, answered; then silence
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert [status for status, _, _ in answers(data)] == [200]
    assert TIMEOUT - 0.1 < time.monotonic() - started < TIMEOUT + 1.5
