"""The "Inside the network" panel: why the network answered as it did, for the current drawing.

main.py imports this module the first time the person opens the panel (build.py ships it as
inside.zip with hwd/explain.py) and then calls ``Panel.update`` after each recognition while
the panel is open; when it is closed nothing here is computed.  The computations are
:mod:`hwd.explain`; this module only paints them:

* evidence: gradient x input of one digit's logit over the 28x28 input, in two colours;
* the hidden layers' activations, one small square per unit;
* one first-layer unit: its 784 incoming weights, and how it moves the ten digits' scores;
* the Python source of the modules the page runs, read from its own file system.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyscript import document, window
from pyscript.ffi import create_proxy, to_js

import hwd
from hwd import explain

SIZE = 28
# Blue: evidence for the digit, weights that excite a unit; orange: against, inhibiting (a
# pair colour-blind people tell apart); grey: ink that hardly matters; green: a unit firing.
# Lighter shades on the dark theme's background (style.css has the same for the legend).
LIGHT = {"towards": (37, 99, 235), "against": (234, 88, 12), "ink": (128, 128, 128),
         "firing": (16, 163, 127)}
DARK = {"towards": (96, 165, 250), "against": (251, 146, 60), "ink": (160, 160, 160),
        "firing": (52, 211, 153)}
TOP_UNITS = 5

TEMPLATE = """
<p class="inside-intro">A network turns the 784 pixels you drew into ten scores, one per digit,
  through layers of <em>units</em> that each compute one number. Here is what happened inside it for
  your drawing.</p>
<div class="inside-views">
  <figure class="view">
    <h3>Evidence for <span class="digit-name" id="evidence-title">…</span></h3>
    <canvas id="evidence" data-testid="evidence" data-digit="" width="28" height="28" role="img"
            aria-label="Evidence: which pixels pushed the network towards or against the digit"></canvas>
    <p class="legend"><span><span class="swatch towards"></span> pushed towards
      <span class="evidence-digit"></span></span>
      <span><span class="swatch against"></span> pushed against it</span></p>
    <figcaption>The network gave each digit a score. Blue ink raised the score of
      <span class="evidence-digit"></span>, orange ink lowered it, grey ink hardly mattered.
      Tap or focus another digit's bar above to ask “why not that one?”.</figcaption>
  </figure>
  <figure class="view">
    <h3>Hidden layers</h3>
    <div id="activations" data-testid="activations"></div>
    <figcaption>Each square is one unit; the brighter, the stronger it fires. Dark squares are off:
      for any one drawing most units stay silent, each one answers only to certain strokes.
      Click a square of the first layer to see what that unit looks for.</figcaption>
  </figure>
  <figure class="view">
    <h3>What unit <span id="unit-title">…</span> looks for</h3>
    <div class="unit-choice">
      <label>Unit of layer 1 <input type="number" id="unit" data-testid="unit" min="0" value="0"
        inputmode="numeric"></label>
      <span id="top-units" class="top-units" aria-label="The most active units"></span>
    </div>
    <div class="unit-pictures">
      <canvas id="unit-weights" data-testid="unit-weights" width="28" height="28" role="img"
              aria-label="The unit's 784 incoming weights as a 28 by 28 picture"></canvas>
      <ol id="unit-drive" data-testid="unit-drive" class="drive"
          aria-label="How much the unit raises or lowers each digit's score"></ol>
    </div>
    <figcaption>A first-layer unit looks at the pixels through its own weights: ink on blue
      pixels makes it fire, ink on orange ones holds it back, and it ignores the blank ones
      (their weight is zero). The bars show how much, for your drawing, the unit firing
      raises (right) or lowers (left) each digit's score.</figcaption>
  </figure>
</div>
<details class="source" id="source-view" data-testid="source-view">
  <summary>The Python code that ran</summary>
  <p>The exact code behind the answer, read from this page's own Python file system:
    <select id="source-module" data-testid="source-module" aria-label="Module"></select></p>
  <pre id="source" data-testid="source" tabindex="0"></pre>
</details>
"""


def element(element_id: str):
    """The page element with this id (a JS proxy)."""
    return document.getElementById(element_id)


class Picture:
    """A canvas painted from Python, pixel by pixel (its context and image looked up once:
    each access to the page is a call across to JavaScript)."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.context = canvas.getContext("2d")
        self.image = self.context.createImageData(canvas.width, canvas.height)

    def paint(self, rgba: bytearray) -> None:
        """Show RGBA bytes (4 per pixel, row by row, the canvas's size)."""
        self.image.data.set(to_js(bytes(rgba)))
        self.context.putImageData(self.image, 0, 0)

    def clear(self) -> None:
        self.context.clearRect(0, 0, self.canvas.width, self.canvas.height)


def palette() -> dict[str, tuple[int, int, int]]:
    """The colours for the page's current theme."""
    return DARK if window.matchMedia("(prefers-color-scheme: dark)").matches else LIGHT


def diverging(values: list[float], colours: dict, ink: list[float] | None = None,
              gamma: float = 0.5) -> bytearray:
    """RGBA of signed values: blue for positive, orange for negative, stronger = more opaque
    (|v| / largest to the power ``gamma``: below 1, weak values still show).  With ``ink``
    (evidence, which is zero off the ink), only the ink's pixels are painted, in grey where
    the values are faint."""
    largest = max(map(abs, values), default=0.0) or 1.0
    towards, against = colours["towards"], colours["against"]
    rgba = bytearray(4 * len(values))
    for i in range(len(values)) if ink is None else [i for i, x in enumerate(ink) if x > 0]:
        v = values[i]
        strength = (abs(v) / largest) ** gamma
        if strength > 0.15:
            rgba[4 * i:4 * i + 4] = (*(towards if v > 0 else against), round(255 * strength))
        elif ink:
            rgba[4 * i:4 * i + 4] = (*colours["ink"], round(90 * ink[i]))
    return rgba


def grid_columns(units: int) -> int:
    """How many squares per row in a layer's picture: wide layers 50, small ones fewer."""
    return 50 if units >= 500 else 25 if units >= 100 else min(units, 10)


def firing(activations: list[float], columns: int, colours: dict) -> bytearray:
    """RGBA of a hidden layer laid out ``columns`` per row: opacity = activation / largest,
    off units a faint square."""
    scale = 155 / (max(activations, default=0.0) or 1.0)
    rows = -(-len(activations) // columns)
    rgba = bytearray(bytes((*colours["ink"], 22)) * len(activations)
                     + bytes(4 * (columns * rows - len(activations))))
    on = colours["firing"]
    for i in [i for i, a in enumerate(activations) if a > 0]:
        rgba[4 * i:4 * i + 4] = (*on, 100 + int(activations[i] * scale))
    return rgba


class Panel:
    """The panel's views, kept up to date with the page's recognitions while it is open."""

    def __init__(self, page) -> None:
        self.page = page
        self.details = element("inside")
        body = element("inside-body")
        body.innerHTML = TEMPLATE
        self.evidence_canvas = element("evidence")
        self.evidence = Picture(self.evidence_canvas)
        self.activations_box = element("activations")
        self.unit_input = element("unit")
        self.top_units = element("top-units")
        self.unit_weights = Picture(element("unit-weights"))
        self.drive = element("unit-drive")
        self.drive.innerHTML = "".join(
            f'<li data-digit="{d}"><span class="digit">{d}</span><span class="half neg">'
            f'<span class="fill"></span></span><span class="half pos"><span class="fill">'
            f'</span></span><span class="value"></span></li>' for d in range(10))
        rows = [self.drive.querySelector(f'[data-digit="{d}"]') for d in range(10)]
        self.drive_styles = [row.style for row in rows]
        self.drive_texts = [row.querySelector(".value") for row in rows]
        self.evidence_texts = [element("evidence-title"),
                               *document.querySelectorAll(".evidence-digit")]
        self.shown_digit: int | None = None   # the digit whose evidence is shown
        self.shown_top: list[int] = []         # the most active units offered
        self.network: hwd.Network | None = None
        self.trace: explain.Trace | None = None
        self.traced: list[float] | None = None  # the pixels self.trace was computed for
        self.painted_unit: tuple | None = None  # (network, unit) of the weights shown
        self.chosen_digit: int | None = None  # a bar the person chose, until the next drawing
        self.chosen_unit: int | None = None   # a unit the person chose, kept across drawings
        self.layer_pictures: list[Picture] = []
        self.layer_blocks: list = []
        self.layer_texts: list = []
        self.proxies = [create_proxy(self.on_bar), create_proxy(self.on_unit_input),
                        create_proxy(self.on_top_unit), create_proxy(self.on_grid_click),
                        create_proxy(self.on_source_toggle), create_proxy(self.on_module)]
        on_bar, on_unit, on_top, self.on_grid, on_source, on_module = self.proxies
        for bar in page.bars:
            bar.addEventListener("click", on_bar)
            bar.addEventListener("focus", on_bar)
        self.unit_input.addEventListener("input", on_unit)
        self.top_units.addEventListener("click", on_top)
        element("source-view").addEventListener("toggle", on_source)
        element("source-module").addEventListener("change", on_module)
        self.toggled()

    @property
    def is_open(self) -> bool:
        return bool(self.details.open)

    # ------------------------------------------------------------ following the page

    def toggled(self) -> None:
        """The panel was opened or closed: bars become focusable only while it is open."""
        for bar in self.page.bars:
            if self.is_open:
                bar.setAttribute("tabindex", "0")
                bar.setAttribute("title", "Show the evidence for this digit")
            else:
                bar.removeAttribute("tabindex")
                bar.removeAttribute("title")
        if not self.is_open:
            self.mark_chosen_bar(None)
            self.shown_digit = None  # marked again when reopened
        if self.is_open and self.page.network is not None:
            explain.transposed(self.page.network)  # once per network, now rather than mid-stroke
            pixels = self.page.last_pixels
            if pixels is not None:
                self.update(self.page.network, pixels)

    def predict(self, pixels: list[float]) -> tuple[int, list[float]]:
        """network.predict for main.py; while the panel is open, through a trace of every
        layer that the views then use (one forward pass, not two)."""
        network = self.page.network
        if not self.is_open or network is not self.network:
            self.traced = None
            return network.predict(pixels)
        self.trace, self.traced = explain.trace(network, pixels), pixels
        return self.trace.digit, self.trace.probabilities

    def update(self, network: hwd.Network, pixels: list[float]) -> None:
        """Recompute and show every view for a new recognition (only while open)."""
        if not self.is_open:
            return
        if network is not self.network:
            self.network, self.chosen_unit, self.traced = network, None, None
            self.build_layers()
        if self.traced is not pixels:
            self.trace, self.traced = explain.trace(network, pixels), pixels
        self.show_evidence()
        self.show_activations()
        self.show_unit()

    def clear(self) -> None:
        """A new drawing starts: forget the trace and the chosen digit, blank the pictures."""
        self.trace, self.traced, self.chosen_digit = None, None, None
        for picture in (self.evidence, *self.layer_pictures):
            picture.clear()
        for style, text in zip(self.drive_styles, self.drive_texts, strict=True):
            style.setProperty("--pos", "0")
            style.setProperty("--neg", "0")
            text.textContent = ""
        self.evidence_canvas.dataset.digit = ""
        self.shown_digit = None
        self.mark_chosen_bar(None)

    # ------------------------------------------------------------ evidence

    def show_evidence(self) -> None:
        if self.trace is None:
            return
        digit = self.trace.digit if self.chosen_digit is None else self.chosen_digit
        values = explain.evidence(self.network, self.trace, digit)
        self.evidence.paint(diverging(values, palette(), self.trace.activations[0]))
        if digit == self.shown_digit:
            return
        self.shown_digit = digit
        self.evidence_canvas.dataset.digit = str(digit)
        self.evidence_canvas.setAttribute(
            "aria-label", f"Evidence for {digit}: blue pixels pushed the network towards {digit}, "
            "orange ones against it")
        for text in self.evidence_texts:
            text.textContent = str(digit)
        self.mark_chosen_bar(digit)

    def mark_chosen_bar(self, digit: int | None) -> None:
        for d, bar in enumerate(self.page.bars):
            if d == digit and self.is_open:
                bar.dataset.explained = ""
            else:
                bar.removeAttribute("data-explained")

    def on_bar(self, event) -> None:
        """A digit's bar was tapped or focused: show the evidence for that digit."""
        if not self.is_open or self.trace is None:
            return
        digit = int(event.currentTarget.dataset.digit)
        if digit != self.chosen_digit:
            self.chosen_digit = digit
            self.show_evidence()

    # ------------------------------------------------------------ activations

    def build_layers(self) -> None:
        """One block per hidden layer of the network: a line of text and a grid of squares."""
        hidden = self.network.sizes[1:-1]
        if not hidden:
            self.activations_box.innerHTML = "<p>This network has no hidden layer: the pixels go " \
                                             "straight to the ten scores.</p>"
            self.layer_pictures = []
        else:
            self.activations_box.innerHTML = "".join(
                f'<div class="layer" data-layer="{l + 1}" data-units="{n}" data-active="0">'
                f'<p class="layer-text"></p><canvas width="{grid_columns(n)}" '
                f'height="{-(-n // grid_columns(n))}" role="img" aria-label="Layer {l + 1}: one '
                f'square per unit"></canvas></div>' for l, n in enumerate(hidden))
            canvases = list(self.activations_box.querySelectorAll("canvas"))
            self.layer_pictures = [Picture(canvas) for canvas in canvases]
            canvases[0].addEventListener("click", self.on_grid)
        self.layer_blocks = list(self.activations_box.querySelectorAll(".layer"))
        self.layer_texts = [block.querySelector(".layer-text") for block in self.layer_blocks]
        self.unit_input.max = str(max(self.network.sizes[1] - 1, 0))

    def show_activations(self) -> None:
        colours = palette()
        for l, (block, text, picture, a) in enumerate(zip(
                self.layer_blocks, self.layer_texts, self.layer_pictures, self.trace.hidden,
                strict=True)):
            active = sum(1 for v in a if v > 0)
            top = explain.strongest(a, 3)
            sigmoid = self.network.activations[l] == "sigmoid"
            summary = (f"{sum(1 for v in a if v > 0.5)} of {len(a)} above half strength "
                       "(sigmoid units are never fully off)" if sigmoid else
                       f"{active} of {len(a)} units fire ({active / len(a):.0%})")
            block.dataset.active = str(active)
            text.textContent = (
                f"Layer {l + 1}: {summary}; strongest: " +
                ", ".join(f"#{i} ({a[i]:.2f})" for i in top))
            picture.paint(firing(a, grid_columns(len(a)), colours))

    def on_grid_click(self, event) -> None:
        """A square of the first layer's grid was clicked: choose that unit."""
        canvas = event.currentTarget
        box = canvas.getBoundingClientRect()
        column = int(event.offsetX / box.width * canvas.width)
        row = int(event.offsetY / box.height * canvas.height)
        unit = row * canvas.width + column
        if 0 <= unit < self.network.sizes[1]:
            self.choose_unit(unit)

    # ------------------------------------------------------------ one unit

    def unit(self) -> int:
        """The unit shown: the person's choice, else the most active of the first layer."""
        if self.chosen_unit is not None:
            return self.chosen_unit
        return explain.strongest(self.trace.hidden[0], 1)[0] if self.trace and self.trace.hidden \
            else 0

    def choose_unit(self, unit: int) -> None:
        self.chosen_unit = unit
        self.show_unit()

    def on_unit_input(self, event) -> None:
        try:
            unit = int(self.unit_input.value)
        except ValueError:
            return
        if self.network is not None and 0 <= unit < self.network.sizes[1]:
            self.choose_unit(unit)

    def on_top_unit(self, event) -> None:
        unit = event.target.dataset.unit
        if unit is not None and unit != "":
            self.choose_unit(int(unit))

    def show_unit(self) -> None:
        if self.network is None or len(self.network.sizes) < 3:
            return
        unit = self.unit()
        colours = palette()
        if self.painted_unit != (self.network, unit, colours):
            if str(unit) != self.unit_input.value:  # not while the person is typing it
                self.unit_input.value = str(unit)
            element("unit-title").textContent = f"#{unit}"
            weights = explain.unit_weights(self.network, unit)
            self.unit_weights.paint(diverging(weights, colours, gamma=1))
            self.painted_unit = (self.network, unit, colours)
        if self.trace is None:
            return
        strongest = explain.strongest(self.trace.hidden[0], TOP_UNITS)
        if [*strongest, unit] != self.shown_top:
            self.shown_top = [*strongest, unit]
            self.top_units.innerHTML = "most active: " + " ".join(
                f'<button type="button" class="unit-button" data-unit="{i}"'
                f'{" aria-pressed=true" if i == unit else ""}>#{i}</button>' for i in strongest)
        drive = explain.unit_drive(self.network, self.trace, unit)
        largest = max(map(abs, drive)) or 1.0
        for style, text, value in zip(self.drive_styles, self.drive_texts, drive, strict=True):
            style.setProperty("--pos", f"{max(value, 0) / largest:.3f}")
            style.setProperty("--neg", f"{max(-value, 0) / largest:.3f}")
            text.textContent = f"{value:+.2f}"

    # ------------------------------------------------------------ the code that ran

    def on_source_toggle(self, event) -> None:
        """List the modules the page runs (hwd's, read from the file system, and the page's)."""
        select = element("source-module")
        if not event.currentTarget.open or select.options.length:
            return
        # os.listdir, not Path.glob: the page's trimmed standard library has no glob module.
        package = Path(hwd.__file__).parent
        files = [f"hwd/{name}" for name in sorted(os.listdir(package)) if name.endswith(".py")]
        files += sorted(name for name in os.listdir(".") if name.endswith(".py"))
        select.innerHTML = "".join(f'<option value="{f}">{f}</option>' for f in files)
        select.value = "hwd/network.py"
        self.on_module(None)

    def on_module(self, event) -> None:
        name = element("source-module").value
        path = Path(hwd.__file__).parent / name[4:] if name.startswith("hwd/") else Path(name)
        element("source").textContent = path.read_text()
