"""A tiny HTTP server for recognition: ``python -m hwd serve`` (GitHub issue #4).

Endpoints (see docs/server.md)::

    GET  /recognize?imgdata=v0,...,v783   -> "7" as text/plain, like the ancestor's Flask app
    POST /recognize  {"imgdata": [...]} or {"strokes": [[[x, y], ...], ...]}
                                          -> {"digit": 7, "probabilities": [10 floats]}
                                             (several digits: also "number", "digits")
    GET  /healthz                         -> {"status": "ok", "network": ..., "layers": [...]}
    GET  /<file>                          -> the built site, with ``--site DIR``

``imgdata`` is the wire format of :mod:`hwd.wire` (784 values in [-1, 1], +1 = ink,
column-major).  Every bad request gets a JSON ``{"error": "..."}`` with a 4xx status (505
for HTTP/2 and later, 503 when every place is busy); a bug gets a 500 with no details, and
its traceback goes to the server's stderr only.

Built on the standard library's ``http.server.ThreadingHTTPServer``: hwd has no
dependencies, a thread per connection keeps a slow client from blocking the others, and
recognition is pure Python under the GIL, so an async framework would not make it faster.

The request logic (:class:`App`) takes a method, a target and a body and returns a
:class:`Response`, so it is tested without sockets; :class:`Handler` only moves bytes, and
refuses heads that could be read two ways (:func:`check_head`).  What slow clients and a
stop need (a cap on connections, a deadline per request, a graceful stop) is in
:mod:`hwd.connections`; requests take turns at the CPU, small ones first (:mod:`hwd.turns`).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import inputs, models
from .art import ascii_art
from .connections import READING, Link, Links, Lobby
from .network import Network
from .npz import NetworkFileError, load
from .preprocess import strokes_to_pixels
from .segment import MAX_CANDIDATES, read_number, to_json
from .turns import Turns
from .wire import WireFormatError, from_wire, parse_wire

MAX_URL = 32 * 1024  # request target, bytes: 784 values need about 5 KiB
MAX_LINE = 64 * 1024  # request line, bytes (http.server's own limit; longer gets 414)
MAX_BODY = 1024 * 1024  # request body, bytes; checked against Content-Length before reading
MAX_POINTS = inputs.MAX_POINTS  # points in all strokes: hwd.inputs, the one validation path
MAX_COORDINATE = inputs.MAX_COORDINATE  # |x| and |y| of a stroke point, in any units
TIMEOUT = 10.0  # seconds a connection may stay silent before the server drops it
DEADLINE = 15.0  # seconds from a request's first byte to its last, however it trickles in
MAX_CONNECTIONS = 256  # open at once; a new one replaces the longest idle or slowest one
LOBBY_WAIT = 1.0  # seconds a new connection may wait for a place when all are taken
LOBBY_SIZE = 1024  # connections waiting for a place (without a thread), at most
GRACE = 5.0  # seconds to finish requests in flight when stopping
HEAD_START = 10_000  # bytes/s: a request waits its turn behind smaller ones up to size / this
# Strokes in a drawing read as a number: the reader reads every stroke as a candidate digit
# when there are more strokes than its candidate limit (500 dots took 10 s), so a drawing
# with more strokes gets the one-digit answer only.
MAX_NUMBER_STROKES = MAX_CANDIDATES

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
API = {"/recognize": ("GET", "POST", "OPTIONS"), "/healthz": ("GET", "HEAD", "OPTIONS")}
USAGE = ("GET /recognize?imgdata=<784 comma-separated values>, or POST /recognize with "
         '{"imgdata": [784 numbers]} or {"strokes": [[[x, y], ...], ...]}')
MIME_TYPES = {  # what the browser app needs, whatever the system's mime.types says
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm", ".zip": "application/zip", ".npz": "application/octet-stream",
    ".whl": "application/octet-stream", ".py": "text/plain; charset=utf-8",
    ".toml": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
}


@dataclass
class Response:
    """What to send back: a status, a body and its type, and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class HTTPError(Exception):
    """A request the server refuses; ``message`` goes to the client as ``{"error": ...}``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


def json_response(status: int, value: object, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response (NaN and infinities are never produced: they are not JSON)."""
    body = json.dumps(value, allow_nan=False).encode()
    return Response(status, body, "application/json", dict(headers or {}))


def error_response(status: int, message: str,
                   headers: Mapping[str, str] | None = None) -> Response:
    """``{"error": message}`` with a 4xx or 5xx status."""
    return json_response(status, {"error": message}, headers)


class App:
    """The server's behaviour, free of sockets: :meth:`handle` maps a request to a response."""

    def __init__(self, network: Network, name: str, site: Path | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.network, self.name, self.log = network, name, log
        self.site = site.resolve() if site is not None else None

    def handle(self, method: str, target: str, body: bytes = b"") -> Response:
        """Route one request; never raises (a bug becomes a bare 500, logged on stderr)."""
        try:
            return self._route(method, target, body)
        except HTTPError as e:
            return error_response(e.status, e.message, e.headers)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_response(500, "internal server error")

    def _route(self, method: str, target: str, body: bytes) -> Response:
        if len(target) > MAX_URL:
            raise HTTPError(414, f"the request target is {len(target)} bytes; at most {MAX_URL}")
        try:
            url = urlsplit(target)
        except ValueError:
            raise HTTPError(400, "malformed request target") from None
        allowed = API.get(url.path)
        if allowed is None:
            return self.static(method, url.path)
        cors = CORS if url.path == "/recognize" else {"Access-Control-Allow-Origin": "*"}
        if method not in allowed:
            raise HTTPError(405, f"{url.path} does not accept {method[:20]}",
                            {"Allow": ", ".join(allowed), **cors})
        if method == "OPTIONS":
            return Response(204, b"", "text/plain", {"Allow": ", ".join(allowed), **cors})
        try:
            if url.path == "/healthz":
                return self.healthz()
            if method == "GET":
                return self.recognize_query(url.query)
            return self.recognize_json(body)
        except HTTPError as e:
            e.headers.update(cors)
            raise

    def healthz(self) -> Response:
        """The status and the network being served."""
        return json_response(200, {"status": "ok", "network": self.name,
                                   "layers": self.network.sizes,
                                   "activations": self.network.activations},
                             {"Access-Control-Allow-Origin": "*"})

    def recognize_query(self, query: str) -> Response:
        """``?imgdata=v0,...,v783`` (commas raw or as %2C) -> the digit as plain text."""
        try:
            fields = parse_qs(query, keep_blank_values=True, max_num_fields=100)
        except ValueError:
            raise HTTPError(400, "too many query parameters") from None
        values = fields.get("imgdata")
        if not values:
            raise HTTPError(400, f"missing imgdata; {USAGE}")
        if len(values) > 1:
            raise HTTPError(400, "imgdata given more than once")
        try:
            pixels = parse_wire(values[0])
        except WireFormatError as e:
            raise HTTPError(400, f"imgdata: {e}") from None
        digit, _ = self.recognize(pixels)
        return Response(200, str(digit).encode(), "text/plain; charset=utf-8", dict(CORS))

    def recognize_json(self, body: bytes) -> Response:
        """``{"imgdata": [...]}`` or ``{"strokes": [...]}`` -> digit and probabilities."""
        request = parse_json(body)
        if not isinstance(request, dict):
            raise HTTPError(400, f"the body must be a JSON object; {USAGE}")
        given = [key for key in ("imgdata", "strokes") if key in request]
        if len(given) != 1:
            raise HTTPError(400, f"give exactly one of imgdata and strokes; {USAGE}")
        if given == ["imgdata"]:
            pixels = imgdata_pixels(request["imgdata"])
        else:
            pixels = strokes_pixels(request["strokes"])
        digit, probabilities = self.recognize(pixels)
        answer = {"digit": digit, "probabilities": probabilities}
        # Several digits: the number too (docs/numbers.md), for at most MAX_NUMBER_STROKES.
        if given == ["strokes"] and len(request["strokes"]) <= MAX_NUMBER_STROKES:
            digits = read_number(request["strokes"], self.network.feedforward)
            if len(digits) > 1:
                answer.update(to_json(digits))
        return json_response(200, answer, CORS)

    def recognize(self, pixels: list[float]) -> tuple[int, list[float]]:
        """The network's answer, logged as ASCII art of the input (unless quiet)."""
        digit, probabilities = self.network.predict(pixels)
        if self.log:
            self.log(ascii_art(pixels, f"recognized {digit} ({probabilities[digit]:.0%})"))
        return digit, probabilities

    def static(self, method: str, path: str) -> Response:
        """A file of the built site (``--site``): ``/`` is index.html, nothing outside DIR."""
        file = self.site_file(path)
        if file is None:
            raise HTTPError(404, f"not found: {path[:200]}")
        if method not in ("GET", "HEAD"):
            raise HTTPError(405, f"{path[:200]} does not accept {method[:20]}",
                            {"Allow": "GET, HEAD"})
        return Response(200, file.read_bytes(), content_type(file), {"Cache-Control": "no-cache"})

    def site_file(self, path: str) -> Path | None:
        """The file under the site folder that ``path`` names, or None."""
        if self.site is None:
            return None
        try:
            relative = unquote(path, errors="strict").lstrip("/")
            if "\0" in relative:
                return None
            file = (self.site / relative).resolve()
            if not file.is_relative_to(self.site):
                return None
            if file.is_dir():
                file = file / "index.html"
            return file if file.is_file() else None
        except (OSError, ValueError):  # bad UTF-8 escapes, names too long, loops
            return None


def parse_json(body: bytes) -> object:
    """The body as JSON, within the limits of :mod:`hwd.inputs` (nesting, number length, no
    NaN or Infinity, UTF-8)."""
    if not body.strip():
        raise HTTPError(400, f"the body is empty; {USAGE}")
    try:
        return inputs.parse_json(body, "the body")
    except inputs.InputError as e:
        raise refusal(e) from None


def imgdata_pixels(values: object) -> list[float]:
    """The JSON list of 784 wire values -> network pixels."""
    try:
        return from_wire(values)
    except inputs.InputError as e:
        raise refusal(e, "imgdata: ") from None


def strokes_pixels(strokes: object) -> list[float]:
    """The JSON strokes -> network pixels; hwd.inputs checks their shape, size and
    coordinates, hwd.preprocess bounds the drawing work (docs/limits.md)."""
    try:
        return strokes_to_pixels(strokes)
    except inputs.InputError as e:
        raise refusal(e) from None


def refusal(error: inputs.InputError, prefix: str = "") -> HTTPError:
    """The HTTP error for input hwd.inputs refused: 413 over a size or work limit, else 400."""
    return HTTPError(413 if isinstance(error, inputs.TooLarge) else 400, f"{prefix}{error}")


def content_type(file: Path) -> str:
    """The Content-Type of a site file (.mjs as JavaScript and .wasm as application/wasm)."""
    suffix = file.suffix.lower()
    if suffix in MIME_TYPES:
        return MIME_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(file.name)
    return guessed or "application/octet-stream"


TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110 token)
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # not allowed in a header value
SINGLE = ("content-length", "host")  # headers that must not be repeated (RFC 9110, 9112)


def check_head(lines: Sequence[bytes]) -> None:
    """Refuse a header block that could be read two ways (400), so no request hides another.

    ``lines`` are the raw lines after the request line, ending with the empty line.  The
    standard library's parser ends the headers at the first line it cannot parse and takes the
    rest for the body; a proxy may read the same bytes differently (request smuggling).  So a
    line without a colon, a name that is not a token (a space before the colon, non-ASCII, a
    folded continuation line), control characters in a value, or headers cut short by the end
    of the stream make the whole request a 400, and the connection is closed.
    """
    if not lines or lines[-1] not in (b"\r\n", b"\n"):
        raise HTTPError(400, "the request headers are incomplete")
    seen = set()
    for line in lines[:-1]:
        name, colon, value = line.partition(b":")
        if not colon or not TOKEN.fullmatch(name):
            raise HTTPError(400, f"malformed header line {line[:60]!r}")
        if CONTROL.search(value.rstrip(b"\r\n")):
            raise HTTPError(400, f"control characters in header {name[:60]!r}")
        name = name.lower()
        if name in seen and name.decode() in SINGLE:
            raise HTTPError(400, f"header {name.decode()} given more than once")
        seen.add(name)


def body_length(headers: Mapping[str, str]) -> int:
    """The declared body size, refusing what the server will not read (before reading it)."""
    if "Transfer-Encoding" in headers:
        raise HTTPError(411, "chunked bodies are not supported; send Content-Length")
    declared = headers.get("Content-Length")
    if declared is None:
        return 0
    declared = declared.strip()
    if not (declared.isascii() and declared.isdigit()):  # not "-5", "1e3" or "²"
        raise HTTPError(400, "Content-Length is not a number")
    if len(declared) > 15:
        raise HTTPError(413, f"the body is {declared[:20]}... bytes; at most {MAX_BODY}")
    length = int(declared)
    if length > MAX_BODY:
        raise HTTPError(413, f"the body is {length} bytes; at most {MAX_BODY}")
    return length


class Handler(BaseHTTPRequestHandler):
    """Moves bytes between a connection and :class:`App`; HTTP/1.1 with keep-alive.

    Reads go through the connection's :class:`~hwd.connections.Link`, which enforces the idle
    timeout and the per-request deadline and tells the server what the connection is doing.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = "hwd"
    sys_version = ""
    server: Server
    link: Link
    length = 0  # the body's declared size, once the head is checked

    def setup(self) -> None:
        """Read through the connection's link instead of a plain socket file."""
        super().setup()  # the socket, Nagle off, wfile
        self.rfile.close()
        self.link = self.server.links.get(self.request)
        self.rfile = self.link  # type: ignore[assignment]  # readline/read/close is all it needs

    def handle_one_request(self) -> None:
        """Read one request and answer it: one cut short gets 400, one too slow 408."""
        self.close_connection = True
        # What send_error needs if the request line never arrives whole.
        self.command, self.requestline, self.request_version = "", "", "HTTP/1.1"
        if not self.link.next_request():  # the server is stopping
            return
        try:
            self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
            if not self.raw_requestline:
                return  # the client closed an idle connection
            if len(self.raw_requestline) > MAX_LINE:
                self.send_error(414)
            elif not self.raw_requestline.endswith(b"\n"):
                self.send_error(400, "the request line is incomplete")
            elif self.parse_request():
                self.dispatch()
        except TimeoutError:
            links = self.server.links
            if self.link.phase != READING:  # silence between requests just ends the connection
                pass
            elif time.monotonic() >= self.link.deadline:
                self.send_error(408, f"the request was not complete within {links.deadline:g} s")
            else:
                self.send_error(408, f"the client was silent for {links.timeout:g} s "
                                     "in the middle of its request")
            self.close_connection = True

    def parse_request(self) -> bool:
        """http.server's parsing, then the checks that keep one request from hiding another."""
        return super().parse_request() and self.check_framing()

    def check_framing(self) -> bool:
        """Check the header block and the body's length (a 4xx and False if they are refused)."""
        try:
            check_head(self.link.lines[1:])
            self.length = body_length(self.headers)
        except HTTPError as e:
            self.send_error(e.status, e.message)  # closes: the unread rest cannot be trusted
            return False
        return True

    def dispatch(self) -> None:
        """Read the body, ask the app, send the answer."""
        body = self.rfile.read(self.length) if self.length else b""
        if len(body) < self.length:
            if not self.link.dropped:
                self.send_error(400, f"the body ended after {len(body)} of {self.length} bytes")
            return
        self.link.answering()  # from here on the connection is not taken away
        with self.server.turns.turn(len(self.path) + len(body)):
            response = self.server.app.handle(self.command, self.path, body)
        self.send(response)

    def handle_expect_100(self) -> bool:
        """Refuse a bad head or an oversized body before the client sends the body."""
        return self.check_framing() and super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by http.server itself (bad request line, 414, 431...), as JSON."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unparsable request line: still send a status
            self.request_version = "HTTP/1.0"
        self.send(error_response(code, message or HTTPStatus(code).phrase))

    def send(self, response: Response) -> None:
        """Write the status, headers and (except for HEAD) the body."""
        self.link.answering()
        if self.server.links.stopping:  # the last answer on this connection
            self.close_connection = True
        try:
            self.send_response(response.status)
            if response.status != 204:  # "No Content" has neither type nor length
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:  # the client hung up
            self.close_connection = True

    def version_string(self) -> str:
        """The Server header: the name only."""
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One access-log line, with the request line cut short (imgdata is 5 KiB)."""
        line = getattr(self, "requestline", "")
        self.log_message('"%s" %s', line if len(line) <= 80 else f"{line[:70]}...", code)

    def log_message(self, format: str, *args: object) -> None:
        """The access log, unless the server is quiet."""
        if not self.server.quiet:
            self.server.write_log(f"{self.address_string()} - {format % args}")


BUSY = error_response(503, "the server is busy; try again").body


class Server(ThreadingHTTPServer):
    """A thread per connection, at most ``max_connections`` of them, and a graceful stop."""

    daemon_threads = True
    request_queue_size = 1024  # a burst of connections waits in the kernel, not refused

    def __init__(self, address: tuple[str, int], app: App, quiet: bool = False,
                 timeout: float = TIMEOUT, deadline: float = DEADLINE,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app, self.quiet = app, quiet
        self.turns = Turns(HEAD_START)  # the CPU: one request at a time, small ones first
        self.links = Links(max_connections, timeout, deadline)
        self.lobby = Lobby(self.links, super().process_request, self.refuse, LOBBY_WAIT,
                           LOBBY_SIZE)
        self._log_lock = threading.Lock()
        super().__init__(address, Handler)  # closes the lobby too if it cannot listen

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        """Serve the connection in a thread of its own if it has a place, else let it wait."""
        if self.links.admit(request) is not None:
            super().process_request(request, client_address)
        elif self.links.stopping or not self.lobby.add(request, client_address):
            self.refuse(request)

    def refuse(self, request: socket.socket) -> None:
        """Turn the connection away with a 503 and close it."""
        self.turn_away(request)
        self.shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening, and turn away the connections waiting for a place."""
        super().server_close()
        self.lobby.close()

    @staticmethod
    def turn_away(request: socket.socket) -> None:
        """A 503 written without waiting (the accepting thread must never block on a client)."""
        head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(BUSY)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
        try:
            request.setblocking(False)
            request.send(head.encode() + BUSY)
        except OSError:
            pass

    def shutdown_request(self, request: socket.socket) -> None:
        """The connection is done: forget it, then close it (FIN after the last answer)."""
        self.links.release(request)
        super().shutdown_request(request)

    def stop(self, grace: float = GRACE) -> int:
        """Refuse new connections, finish the open ones within ``grace`` s; the number cut off."""
        self.server_close()
        return self.links.stop(grace)

    def handle_error(self, request: object, client_address: tuple) -> None:
        """A client that hangs up is not an error worth a traceback; anything else is."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def server_bind(self) -> None:
        """Bind without http.server's reverse-DNS lookup of the host, which can hang."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    @property
    def url(self) -> str:
        """The address to give clients, e.g. ``http://127.0.0.1:5000``."""
        host = f"[{self.server_name}]" if ":" in self.server_name else self.server_name
        return f"http://{host}:{self.server_port}"

    def write_log(self, text: str) -> None:
        """One log entry on stderr, never interleaved with another thread's."""
        with self._log_lock:
            sys.stderr.write(text.rstrip("\n") + "\n")
            sys.stderr.flush()


def load_network(name: str | None) -> tuple[Network, str]:
    """The network to serve and its name; the default falls back on ``quick`` if missing."""
    path = models.resolve(name)
    if name is None and not path.exists():
        fallback = models.resolve("quick")
        print(f"hwd serve: warning: {path} not found; serving {fallback}", file=sys.stderr)
        path = fallback
    return load(path), name or path.stem


def serve(args: argparse.Namespace) -> int:
    """``hwd serve`` (options parsed in :mod:`hwd.cli`): serve until SIGINT or SIGTERM; 0 if clean."""
    if args.site is not None and not args.site.is_dir():
        print(f"hwd serve: --site {args.site}: not a folder", file=sys.stderr)
        return 2
    try:
        network, name = load_network(args.network)
    except NetworkFileError as e:
        print(f"hwd serve: {e}", file=sys.stderr)
        return 2
    try:
        server = Server((args.host, args.port), App(network, name, args.site), args.quiet,
                        max_connections=args.max_connections)
    except OSError as e:
        print(f"hwd serve: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 1
    if not args.quiet:
        server.app.log = server.write_log
    return run(server, network, name, args.grace)


def run(server: Server, network: Network, name: str, grace: float = GRACE) -> int:
    """Serve in the main thread; SIGINT or SIGTERM stops accepting, finishes and closes."""
    received: list[str] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signal.Signals(signum).name)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second signal must not break cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"serving on {server.url}", flush=True)
    server.write_log(f"hwd serve: network {name} {network.sizes}, site "
                     f"{server.app.site or '(none)'}; Ctrl-C stops")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        started = time.monotonic()
        cut = server.stop(grace)
    left = f", {cut} still open after {grace:g} s closed" if cut else ""
    server.write_log(f"hwd serve: stopped ({received[0] if received else 'interrupted'}) in "
                     f"{time.monotonic() - started:.2f} s{left}")
    return 0


if __name__ == "__main__":
    from .cli import main

    sys.exit(main(["serve", *sys.argv[1:]]))
