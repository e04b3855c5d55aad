"""HWD's page in Python: recognize the digit drawn on the pad and show the answer.

Data flow: pad.js keeps the strokes ([[x, y], ...] in CSS pixels, y down) and calls
``recognize(strokes, final)``; we turn them into the network's 28x28 input with
``hwd.strokes_to_pixels``, classify it with ``network.predict`` and update the page:
the digit, ten probability bars and the 28x28 preview.  A *final* recognition (the
Recognize button) also counts in ``data-count`` and prints the input to the console
in the REST wire format, one line of 784 comma-separated values, ready to paste
into ``/recognize?imgdata=`` or ``hwd recognize``.  Recognitions after each stroke
(*live*) only update the display.

Networks are fetched lazily, one per selection (pad.js starts the first download
while Python boots), and kept once parsed.
"""

from __future__ import annotations

from pyscript import document, window
from pyscript.ffi import create_proxy, to_js

import hwd
from hwd.inputs import InputError, one_line

SIZE = 28
pad = window.hwdPad


def element(element_id: str):
    """The page element with this id (a JS proxy)."""
    return document.getElementById(element_id)


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
        self.set_status("ready", f"Ready: network “{name}”{about}.")
        pad.ready()

    def recognize(self, strokes, final: bool) -> None:
        """Recognize the strokes (a JS array) and show the digit, probabilities and input."""
        if self.network is None:
            return
        try:
            pixels = hwd.strokes_to_pixels(strokes.to_py())
        except hwd.EmptyDrawing:
            if final:
                self.clear()
                self.message.textContent = "Draw a digit first."
            return
        except InputError as e:  # a scribble over the drawing-work limits (docs/limits.md)
            self.message.textContent = f"{one_line(e)}."
            return
        digit, probabilities = self.network.predict(pixels)
        self.message.textContent = ""
        self.prediction.textContent = str(digit)
        self.show_bars(probabilities)
        self.show_input(pixels)
        if final:
            self.count += 1
            self.prediction.dataset.count = str(self.count)
            window.console.log(hwd.format_wire(pixels))

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


page = Page()
pad.connect(create_proxy(page.recognize), create_proxy(page.clear), create_proxy(page.select))
await page.select(pad.network())  # noqa: F704 (PyScript runs this module with top-level await)
