"""Building, serving and driving HWD's page: shared by tests/e2e and bench/ (both put
tools/ on sys.path; bench/ never imports from tests/).

Uses the automation contract of the page (docs/browser.md): ``[data-testid=pad]``,
``recognize``, ``clear``, ``status[data-state]``, ``prediction[data-count]`` and
``probabilities`` (ten elements with ``data-digit`` and ``data-p``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Any host but the test server fails at once (the request is still recorded).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    # Headless Chromium handles each synthetic mouse move at the next frame (~17 ms); without
    # the frame-rate limit replaying thousands of pen points takes half the time.
    "--disable-frame-rate-limit", "--disable-gpu-vsync",
]
READY_TIMEOUT_MS = 90_000  # a cold Pyodide start on a busy 2-core machine can take a while
SNAPSHOT_TIMEOUT_MS = 120_000  # a second Pyodide starts in a worker on a busy machine

Point = Sequence[float]
Strokes = Sequence[Sequence[Point]]


@dataclass
class Site:
    """A built site: its folder, the URL of its page and the server's origin."""

    folder: Path
    url: str
    origin: str

    def networks(self) -> list[str]:
        """The network names offered by the page, read from the built index.html."""
        html = (self.folder / "index.html").read_text()
        return [part.split('"', 1)[0] for part in html.split('<option value="')[1:]]


def build_site(out: Path, models: Path, *options: str) -> None:
    """Run build.py (as a person would) into ``out``; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--out", str(out), "--models", str(models),
         *options],
        capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"build.py failed:\n{result.stdout}{result.stderr}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a page closed mid-download
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(root: Path, handler: type[http.server.SimpleHTTPRequestHandler] = _QuietHandler
          ) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread with ``handler`` (a quiet
    SimpleHTTPRequestHandler); yield the origin URL."""
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_ready(page: Page, timeout: float = READY_TIMEOUT_MS) -> None:
    """Wait until the status leaves ``loading``, and require it to be ``ready``."""
    page.wait_for_function(
        "document.querySelector('[data-testid=status]').dataset.state !== 'loading'",
        timeout=timeout)
    status = page.locator("[data-testid=status]")
    assert status.get_attribute("data-state") == "ready", status.text_content()


def python_start(page: Page) -> str | None:
    """How Python started on the page: "snapshot" (an earlier visit's) or "fresh"."""
    return page.evaluate("document.documentElement.dataset.pythonStart")


def snapshot_made(page: Page, timeout: float = SNAPSHOT_TIMEOUT_MS) -> str:
    """Wait until a page that started Python afresh has had the snapshot for the next visit
    made: "kept" (the service worker has it) or "none"."""
    page.wait_for_function("document.documentElement.dataset.snapshot", timeout=timeout)
    return page.evaluate("document.documentElement.dataset.snapshot")


def open_page(page: Page, url: str, live: bool = True) -> None:
    """Open the page and wait until it is ready; ``live=False`` turns off per-stroke results."""
    page.goto(url)
    wait_ready(page)
    if not live:
        page.uncheck("[data-testid=live]")


def pad_box(page: Page) -> tuple[float, float, float]:
    """The pad's left, top and side in CSS pixels of the viewport."""
    box = page.locator("[data-testid=pad]").bounding_box()
    assert box is not None
    return box["x"], box["y"], box["width"]


def fit(strokes: Strokes, side: float, fraction: float) -> list[list[tuple[float, float]]]:
    """Scale strokes (any units, y down) so their larger side is ``fraction`` of ``side``,
    keeping the aspect ratio, and centre them in a ``side`` x ``side`` square."""
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    scale = fraction * side / max(width, height, 1e-9)
    dx = (side - width * scale) / 2 - min(xs) * scale
    dy = (side - height * scale) / 2 - min(ys) * scale
    return [[(p[0] * scale + dx, p[1] * scale + dy) for p in s] for s in strokes]


def fit_wide(strokes: Strokes, width: float, height: float) -> list[list[tuple[float, float]]]:
    """Scale a number's strokes to 85 % of a wide pad's width or 60 % of its height (whichever
    is smaller), keeping the aspect ratio, and centre them (number mode, docs/numbers.md)."""
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    scale = min(0.85 * width / max(max(xs) - min(xs), 1e-9),
                0.6 * height / max(max(ys) - min(ys), 1e-9))
    dx = (width - (max(xs) - min(xs)) * scale) / 2 - min(xs) * scale
    dy = (height - (max(ys) - min(ys)) * scale) / 2 - min(ys) * scale
    return [[(p[0] * scale + dx, p[1] * scale + dy) for p in s] for s in strokes]


def draw(page: Page, strokes: Strokes) -> None:
    """Draw strokes given in pad coordinates (CSS px from its top left) with the mouse."""
    x0, y0, _ = pad_box(page)
    for stroke in strokes:
        page.mouse.move(x0 + stroke[0][0], y0 + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(x0 + x, y0 + y)
        page.mouse.up()


def touch(page: Page, strokes: Strokes) -> None:
    """Draw strokes given in pad coordinates with a finger (touch events, as on a phone)."""
    x0, y0, _ = pad_box(page)
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [{"x": x0 + x, "y": y0 + y} for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def count(page: Page) -> int:
    """How many recognitions the page has completed (``data-count``)."""
    return int(page.locator("[data-testid=prediction]").get_attribute("data-count") or 0)


def recognize(page: Page) -> str:
    """Press Recognize, wait for the recognition to complete and return the digit shown."""
    before = count(page)
    page.click("[data-testid=recognize]")
    page.wait_for_function(
        f"Number(document.querySelector('[data-testid=prediction]').dataset.count) > {before}")
    return page.locator("[data-testid=prediction]").text_content() or ""


def probabilities(page: Page) -> dict[int, float]:
    """The probabilities shown, by digit."""
    pairs = page.eval_on_selector_all(
        "[data-testid=probabilities] [data-digit]",
        "els => els.map(e => [Number(e.dataset.digit), Number(e.dataset.p)])")
    return {int(digit): p for digit, p in pairs}


def ink(page: Page, selector: str) -> int:
    """How many pixels of a canvas are not transparent (0 for a blank canvas)."""
    return page.eval_on_selector(selector, """canvas => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
        return n;
    }""")


# Digits drawn by hand for the tests, in a 100 x 100 box (y down).
ONE = [[(50, 10), (50, 30), (50, 50), (50, 70), (50, 90)]]
SEVEN = [[(25, 15), (50, 15), (78, 15), (65, 40), (52, 65), (42, 90)]]
ZERO = [[(50, 10), (30, 20), (22, 50), (30, 80), (50, 90), (70, 80), (78, 50), (70, 20),
         (50, 10)]]


def replay(page: Page, drawings: Sequence[Strokes], fraction: float) -> list[str]:
    """Draw each drawing with the mouse at ``fraction`` of the pad's size, press Recognize
    and collect the digits shown.  Each new drawing clears the last (auto-clear)."""
    side = pad_box(page)[2]
    answers = []
    for strokes in drawings:
        draw(page, fit(strokes, side, fraction))
        answers.append(recognize(page))
    return answers
