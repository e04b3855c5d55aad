"""A tiny HTTP server for recognition: ``python -m hwd serve`` (GitHub issue #4).

Endpoints (see docs/server.md)::

    GET  /recognize?imgdata=v0,...,v783   -> "7" as text/plain, like the ancestor's Flask app
    POST /recognize  {"imgdata": [...]} or {"strokes": [[[x, y], ...], ...]}
                                          -> {"digit": 7, "probabilities": [10 floats]}
    GET  /healthz                         -> {"status": "ok", "network": ..., "layers": [...]}
    GET  /<file>                          -> the built site, with ``--site DIR``

``imgdata`` is the wire format of :mod:`hwd.wire` (784 values in [-1, 1], +1 = ink,
column-major).  Every bad request gets a JSON ``{"error": "..."}`` with a 4xx status; a
bug gets a 500 with no details, and its traceback goes to the server's stderr only.

Built on the standard library's ``http.server.ThreadingHTTPServer``: hwd has no
dependencies, a thread per connection keeps a slow client from blocking the others, and
recognition is pure Python under the GIL, so an async framework would not make it faster.

The request logic (:class:`App`) takes a method, a target and a body and returns a
:class:`Response`, so it is tested without sockets; :class:`Handler` only moves bytes.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import inputs, models
from .art import ascii_art
from .network import Network
from .npz import NetworkFileError, load
from .preprocess import strokes_to_pixels
from .wire import WireFormatError, from_wire, parse_wire

MAX_URL = 32 * 1024  # request target, bytes: 784 values need about 5 KiB
MAX_BODY = 1024 * 1024  # request body, bytes; checked against Content-Length before reading
MAX_POINTS = inputs.MAX_POINTS  # points in all strokes: hwd.inputs, the one validation path
MAX_COORDINATE = inputs.MAX_COORDINATE  # |x| and |y| of a stroke point, in any units
TIMEOUT = 10.0  # seconds a connection may stay silent before the server drops it
DRAIN = 5.0  # seconds to let requests in progress finish when stopping

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
        return json_response(200, {"digit": digit, "probabilities": probabilities}, CORS)

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
    """Moves bytes between a connection and :class:`App`; HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = "hwd"
    sys_version = ""
    server: Server

    def setup(self) -> None:
        """Drop clients that stay silent for longer than the server's timeout."""
        self.timeout = self.server.timeout_seconds
        super().setup()

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Send every method (``do_GET``, ``do_PUT``, ``do_FOO``...) to :meth:`dispatch`."""
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def dispatch(self) -> None:
        """Read the body (if it is acceptable), ask the app, send the answer."""
        with self.server.busy():
            try:
                length = body_length(self.headers)
            except HTTPError as e:
                self.close_connection = True  # the unread body would be taken for a request
                self.send(error_response(e.status, e.message))
                return
            try:
                body = self.rfile.read(length) if length else b""
            except OSError as e:  # too slow (the timeout) or gone
                self.log_error("reading the body: %r", e)
                body = b""
            if len(body) < length:
                self.close_connection = True
                return
            self.send(self.server.app.handle(self.command, self.path, body))

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it."""
        try:
            body_length(self.headers)
        except HTTPError as e:
            self.send_error(e.status, e.message)
            return False
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by http.server itself (bad request line, 414, 431...), as JSON."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unparsable request line: still send a status
            self.request_version = "HTTP/1.0"
        self.send(error_response(code, message or HTTPStatus(code).phrase))

    def send(self, response: Response) -> None:
        """Write the status, headers and (except for HEAD) the body."""
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


class Server(ThreadingHTTPServer):
    """A thread per connection, a listen backlog for bursts, and a count of requests in progress."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, quiet: bool = False,
                 timeout: float = TIMEOUT) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app, self.quiet, self.timeout_seconds = app, quiet, timeout
        self._log_lock = threading.Lock()
        self._active = 0
        self._idle = threading.Condition()
        super().__init__(address, Handler)

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

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Count a request in progress, so that :meth:`drain` can wait for it."""
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def drain(self, timeout: float = DRAIN) -> bool:
        """Wait until no request is in progress (or ``timeout`` s); True if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)


def load_network(name: str | None) -> tuple[Network, str]:
    """The network to serve and its name; the default falls back on ``quick`` if missing."""
    path = models.resolve(name)
    if name is None and not path.exists():
        fallback = models.resolve("quick")
        print(f"hwd serve: warning: {path} not found; serving {fallback}", file=sys.stderr)
        path = fallback
    return load(path), name or path.stem


def port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: the system picks a free one)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The options of ``hwd serve``."""
    parser = argparse.ArgumentParser(
        prog="hwd serve", description="Recognize digits over HTTP (GET/POST /recognize).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 exposes the server)")
    parser.add_argument("--port", type=port, default=5000, help="port (default 5000; 0 = any free)")
    parser.add_argument("--network", metavar="NAME|FILE",
                        help="a shipped network (best, quick) or an .npz file "
                             "(default: the manifest's default, else quick)")
    parser.add_argument("--site", metavar="DIR", type=Path,
                        help="also serve this folder (the built app, dist/) at /")
    parser.add_argument("--quiet", action="store_true",
                        help="log neither requests nor the ASCII art of each input")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT or SIGTERM; 0 on a clean stop."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.site is not None and not args.site.is_dir():
        print(f"hwd serve: --site {args.site}: not a folder", file=sys.stderr)
        return 2
    try:
        network, name = load_network(args.network)
    except NetworkFileError as e:
        print(f"hwd serve: {e}", file=sys.stderr)
        return 2
    try:
        server = Server((args.host, args.port), App(network, name, args.site), args.quiet)
    except OSError as e:
        print(f"hwd serve: cannot listen on {args.host}:{args.port}: {e.strerror}", file=sys.stderr)
        return 1
    if not args.quiet:
        server.app.log = server.write_log
    return run(server, network, name)


def run(server: Server, network: Network, name: str) -> int:
    """Serve in the main thread; SIGINT or SIGTERM stops accepting, then drains and closes."""
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
        drained = server.drain()
        server.server_close()
    left = "" if drained else f", requests still running after {DRAIN:g} s"
    server.write_log(f"hwd serve: stopped ({received[0] if received else 'interrupted'}) in "
                     f"{time.monotonic() - started:.2f} s{left}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
