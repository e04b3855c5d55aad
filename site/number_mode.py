"""The page's number mode: several digits written left to right, read as one number.

When the person ticks "Number", main.py asks :class:`NumberMode` to read the strokes with
``hwd.segment``; with more than one digit it shows the number large and, under it, one
entry per digit: its 28x28 input and its top probabilities.  Tapping an entry shows that
digit's full chart and input in the page's usual places and, with the "Inside the network"
panel open, its evidence.  One digit is shown exactly as in
digit mode.  (Not named ``numbers.py``: that would hide the standard library's module.)

Automation contract: ``[data-testid=digits]`` holds one ``<li>`` per digit, left to right,
with ``data-digit`` and ``data-strokes`` (indices in drawing order, comma-separated); for one
digit it holds that digit's entry, hidden.  In digit mode it is empty (this module loads when
Number mode is first turned on: first_use.py).
"""

from __future__ import annotations

from pyscript import document
from pyscript.ffi import create_proxy, to_js

import hwd
from hwd.segment import Digit, Reader

SIZE = 28
TOP = 3  # probabilities shown beside each digit


class NumberMode:
    """Reads numbers with the page's network and shows their digits."""

    def __init__(self, page) -> None:
        self.page = page
        self.list = document.getElementById("digits")
        self.label = document.getElementById("prediction-label")
        # The reader of the network in use remembers what it has read of the drawing. One
        # only: every correction taught makes a new network, and a reader keeps its network alive.
        self.reader: Reader | None = None
        self.reader_network: hwd.Network | None = None
        self.digits: list[Digit] = []
        self.handlers = []  # click proxies, released when the list is rebuilt

    def read(self, strokes: list, network: hwd.Network) -> list[Digit]:
        """The digits of the drawing, left to right (raises EmptyDrawing)."""
        if network is not self.reader_network:
            self.reader, self.reader_network = Reader(network.feedforward), network
        return self.reader.read(strokes)

    def show(self, digits: list[Digit]) -> None:
        """Show a number: the digits large, one entry per digit, the first one's chart."""
        self.digits = digits
        self.page.prediction.textContent = "".join(str(d.digit) for d in digits)
        self.page.prediction.classList.add("number")
        self.label.textContent = "Number"
        self.clear_list()
        for position, digit in enumerate(digits):
            self.list.appendChild(self.entry(position, digit))
        self.list.hidden = False
        self.select(0)

    def entry(self, position: int, digit: Digit):
        """One digit's entry: a button with its 28x28 input, the digit and its top guesses."""
        item = document.createElement("li")
        item.dataset.digit = str(digit.digit)
        item.dataset.strokes = ",".join(map(str, digit.strokes))
        button = document.createElement("button")
        button.type = "button"
        ranked = sorted(range(10), key=lambda d: -digit.probabilities[d])[:TOP]
        button.setAttribute("aria-label", f"Digit {position + 1}: {digit.digit}")
        canvas = document.createElement("canvas")
        canvas.width = canvas.height = SIZE
        paint(canvas, digit.pixels)
        label = document.createElement("span")
        label.className = "digit"
        label.textContent = str(digit.digit)
        top = document.createElement("span")
        top.className = "top"
        top.textContent = " ".join(f"{d}:{digit.probabilities[d]:.0%}" for d in ranked)
        for part in (canvas, label, top):
            button.appendChild(part)
        handler = create_proxy(lambda event: self.select(position))
        self.handlers.append(handler)
        button.addEventListener("click", handler)
        item.appendChild(button)
        return item

    def select(self, position: int) -> None:
        """Show one digit's full chart and input, and mark its entry."""
        digit = self.digits[position]
        self.page.show_bars(digit.probabilities)
        self.page.show_input(digit.pixels)
        self.page.last_pixels = digit.pixels  # what the inside panel explains when opened
        if self.page.inside is not None:  # open: its evidence for this digit
            self.page.inside.update(self.page.network, digit.pixels)
        for k, item in enumerate(self.list.children):
            item.classList.toggle("selected", k == position)

    def clear_list(self) -> None:
        self.list.replaceChildren()
        for handler in self.handlers:
            handler.destroy()
        self.handlers = []

    def show_one(self, strokes: list, pixels: list[float], probabilities: list[float]) -> None:
        """One digit, shown as in digit mode; the (hidden) list still holds its entry."""
        self.hide()
        indices = tuple(i for i, stroke in enumerate(strokes) if stroke)
        self.digits = [Digit(indices, pixels, probabilities)]
        self.list.appendChild(self.entry(0, self.digits[0]))

    def hide(self) -> None:
        """No number: no entries, the answer at its usual size."""
        self.digits = []
        self.clear_list()
        self.list.hidden = True
        self.page.prediction.classList.remove("number")
        self.label.textContent = "Digit"


def paint(canvas, pixels: list[float]) -> None:
    """Paint a 28x28 input on a canvas: black ink, opacity = pixel value."""
    rgba = bytearray(4 * SIZE * SIZE)
    rgba[3::4] = bytes(round(v * 255) for v in pixels)
    context = canvas.getContext("2d")
    image = context.createImageData(SIZE, SIZE)
    image.data.set(to_js(bytes(rgba)))
    context.putImageData(image, 0, 0)
