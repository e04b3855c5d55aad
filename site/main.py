"""HWD's page in Python: recognize the digit drawn on the pad and show the answer.

Data flow: pad.js keeps the strokes ([[x, y], ...] in CSS pixels, y down) and calls
``recognize(strokes, final)``; we turn them into the network's 28x28 input with
``hwd.strokes_to_pixels``, classify it with ``network.predict`` and update the page:
the digit, ten probability bars and the 28x28 preview.  A *final* recognition (the
Recognize button) also counts in ``data-count`` and prints the input to the console
in the REST wire format, one line of 784 comma-separated values, ready to paste
into ``/recognize?imgdata=`` or ``hwd recognize``.  Recognitions after each stroke
(*live*) only update the display.

In number mode (number_mode.py) the strokes are read as several digits with
``hwd.segment`` and a number is shown with one entry per digit.  That code, and teaching
(teach.py), load on first use (first_use.py).

Networks are fetched lazily, one per selection (pad.js starts the first download
while Python boots), and kept once parsed.  A network file the person opens or drops
joins them (own_network.py, fetched then).  The "Inside the network" panel (inside.py) is
fetched the first time it is opened, and computes only while it is open.
"""

from __future__ import annotations

import asyncio
import functools
import sys

from first_use import Later, TeachRow
from pyscript import document, when, window
from pyscript.ffi import create_proxy, to_js

import hwd
from hwd.inputs import InputError, one_line

SIZE = 28
pad = window.hwdPad


def element(element_id: str):
    """The page element with this id (a JS proxy)."""
    return document.getElementById(element_id)


@functools.cache  # only the first ready's list is used (pad.js): not listed again on each
def standard_modules() -> list[str]:
    """The standard library modules imported when the page was first ready: the next visit
    starts from a snapshot of Python with them imported (start_python.mjs).  Not Pyodide's
    own package, which a fresh Pyodide has imported in its own way."""
    library = next(path for path in sys.path if path.endswith(".zip"))
    names = []
    for name, module in sys.modules.items():
        spec = getattr(module, "__spec__", None)  # JavaScript modules (js, pyscript's) have none
        origin = str(getattr(spec, "origin", ""))
        if (origin in ("built-in", "frozen") or origin.startswith(library)) \
                and not name.startswith(("pyodide", "_pyodide")):
            names.append(name)
    return sorted(names)


class Page:
    """The result part of the page and the networks it has loaded."""

    def __init__(self) -> None:
        self.status = element("status")
        self.status_text = element("status-text")
        self.progress = element("progress")
        self.prediction = element("prediction")
        self.message = element("message")
        # Each access to the page from Python is a call across to JavaScript: look the bars'
        # parts up once, so that showing a result takes three calls per bar.
        self.bars = [element("probabilities").querySelector(f'[data-digit="{d}"]')
                     for d in range(10)]
        self.bar_styles = [bar.style for bar in self.bars]
        self.bar_texts = [bar.querySelector(".pct") for bar in self.bars]
        self.preview = element("preview").getContext("2d")
        self.networks: dict[str, hwd.Network] = {}
        self.network: hwd.Network | None = None
        self.count = 0
        self.numbers = None  # number_mode.NumberMode, once Number mode was turned on
        self.number_mode = Later("number_mode")
        self.later: asyncio.Future | None = None  # number_mode.py loading, or a recognition
        # waiting for it
        self.last_pixels: list[float] | None = None  # the input of the last recognition
        self.inside = None  # the "Inside the network" panel, once opened (inside.Panel)

    def set_status(self, state: str, text: str) -> None:
        """Show the loading state (loading | ready | error) and a sentence about it."""
        self.status.dataset.state = state
        self.status_text.textContent = text

    async def select(self, name: str) -> None:
        """Load network ``name`` (once) and make it the one that recognizes."""
        self.network = None
        self.set_status("loading", f"Loading the network “{name}”…")
        self.progress.value = self.progress.max - 1
        try:
            if name not in self.networks:
                buffer = await pad.networkBytes(name)
                self.networks[name] = hwd.load(buffer.to_bytes())
        except Exception as e:  # a failed download (JsException) or a bad file (NetworkFileError)
            self.set_status("error", f"The network “{name}” could not be loaded: "
                            f"{one_line(e)}. Reload the page or pick another network.")
            return
        if name != pad.network():  # the person chose another one meanwhile
            return
        self.network = self.networks[name]
        accuracy = self.network.meta.get("test_accuracy")
        about = f" ({accuracy:.2%} right on MNIST's test set)" if accuracy else ""
        self.status.dataset.network = name
        self.network = teacher.select(name, self.network)  # adapted to the person's examples
        self.set_status("ready", f"Ready: network “{name}”{about}.")
        pad.ready(to_js(standard_modules()))

    def recognize(self, strokes, final: bool) -> None:
        """Recognize the strokes (a JS array) and show the digit, probabilities and input."""
        if self.network is None:
            return
        strokes = strokes.to_py()
        try:
            pixels = hwd.strokes_to_pixels(strokes)
        except hwd.EmptyDrawing:
            if final:
                self.clear()
                self.message.textContent = "Draw a digit first."
            return
        except InputError as e:  # a scribble over the drawing-work limits (docs/limits.md)
            self.message.textContent = f"{one_line(e)}."
            return
        number_mode = pad.numberMode()
        if number_mode and self.numbers is None:  # its code is still loading: recognize then
            self.later = asyncio.ensure_future(self.recognize_later(final))
            return
        digits = self.numbers.read(strokes, self.network) if number_mode else []
        self.message.textContent = ""
        if len(digits) > 1:  # a number (number_mode.py); one digit is shown as always
            self.numbers.show(digits)  # the inside panel explains the digit chosen there
            teacher.hide()  # a correction teaches one digit at a time
        else:
            predict = self.network.predict if self.inside is None else self.inside.predict
            digit, probabilities = predict(pixels)
            self.prediction.textContent = str(digit)
            self.show_bars(probabilities)
            self.show_input(pixels)
            if number_mode:
                self.numbers.show_one(strokes, pixels, probabilities)
            self.last_pixels = pixels
            teacher.offer(digit)
            if self.inside is not None:
                self.inside.update(self.network, pixels)
        if final:
            self.count += 1
            self.prediction.dataset.count = str(self.count)
            for each in [d.pixels for d in digits] if len(digits) > 1 else [pixels]:
                window.console.log(hwd.format_wire(each))

    async def load_numbers(self) -> bool:
        """Number mode's code (number_mode.py, hwd.segment), loaded when first needed."""
        try:
            module = await self.number_mode.load()
        except Exception as e:  # offline before the service worker cached it
            self.message.textContent = f"Number mode could not be loaded: {one_line(e)}."
            return False
        if self.numbers is None:
            self.numbers = module.NumberMode(self)
        return True

    async def recognize_later(self, final: bool) -> None:
        """Recognize the drawing once Number mode's code has loaded."""
        if await self.load_numbers() and pad.numberMode():
            self.recognize(pad.strokes(), final)

    def rerecognize(self) -> None:
        """Show again the answer for the drawing on the pad (the network changed)."""
        if self.prediction.textContent:
            self.recognize(pad.strokes(), False)

    def show_bars(self, probabilities: list[float]) -> None:
        """Set each bar's data-p, its length (CSS variable --p) and its percentage."""
        for bar, style, text, p in zip(self.bars, self.bar_styles, self.bar_texts,
                                       probabilities, strict=True):
            value = f"{p:.4f}"
            bar.setAttribute("data-p", value)
            style.setProperty("--p", value)
            text.textContent = f"{p:.0%}"

    def show_input(self, pixels: list[float]) -> None:
        """Paint the 28x28 input on the preview canvas: black ink, opacity = pixel value
        (style.css inverts it in the dark theme)."""
        rgba = bytearray(4 * SIZE * SIZE)
        rgba[3::4] = bytes(round(v * 255) for v in pixels)
        image = self.preview.createImageData(SIZE, SIZE)
        image.data.set(to_js(bytes(rgba)))
        self.preview.putImageData(image, 0, 0)

    def clear(self) -> None:
        """Empty the result: no digit, no message, zero bars, a blank preview."""
        self.prediction.textContent = ""
        self.message.textContent = ""
        for bar, style, text in zip(self.bars, self.bar_styles, self.bar_texts, strict=True):
            bar.setAttribute("data-p", "0")
            style.setProperty("--p", "0")
            text.textContent = ""
        self.preview.clearRect(0, 0, SIZE, SIZE)
        teacher.hide()
        if self.numbers is not None:
            self.numbers.hide()
        self.last_pixels = None
        if self.inside is not None:
            self.inside.clear()


@when("toggle", "#inside")
async def toggle_inside(event) -> None:
    """Open or close the panel: its code is loaded on the first opening only."""
    if page.inside is not None:
        page.inside.toggled()
    elif event.target.open:
        try:
            panel = (await inside_code.load()).Panel
        except Exception as e:  # offline before the service worker cached it, or a bad build
            element("inside-body").textContent = f"The panel could not be loaded: {e}"
            return
        if page.inside is None:  # not made meanwhile, after an earlier opening
            page.inside = panel(page)


@when("change", "#number-mode")
async def number_mode_changed(event) -> None:
    """Number mode turned on: load its code now, while the person writes."""
    if event.target.checked:
        await page.load_numbers()


page = Page()
teacher = TeachRow(page)
inside_code, own_network_code = Later("inside"), Later("own_network")
pad.connect(create_proxy(page.recognize), create_proxy(page.clear), create_proxy(page.select))


async def open_network_file(name: str, size: int, buffer) -> bool:
    """A network file the person opened or dropped (pad.js reads it): see own_network.py."""
    try:
        own_network = await own_network_code.load()
    except Exception as e:  # offline before the service worker cached it
        page.message.textContent = f"“{name}” could not be opened: {one_line(e)}."
        return False
    return await own_network.open_network(page, name, size, buffer)


pad.connectFiles(create_proxy(open_network_file))
await teacher.start()  # noqa: F704 (teach.py at once if the person taught this browser)
if pad.numberMode():  # left on at the last visit: its code loads beside the network's parse
    page.later = asyncio.ensure_future(page.load_numbers())  # a recognition before waits for it
await page.select(pad.network())  # noqa: F704 (PyScript runs this module with top-level await)
