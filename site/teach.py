"""Teach it your handwriting: the page's side of :mod:`hwd.adapt`.

After a recognition the page offers a row of ten digits ("I meant", first_use.TeachRow, which
loads this module at the first choice); choosing one stores the drawing with that label (pad.js
keeps the examples in localStorage: nothing leaves the browser) and adapts the selected network
to every stored example, with ``hwd.adapt``, in Python, in the page.  The work runs in slices
of about ``SLICE`` seconds with a yield to the browser between them, so drawing never stalls
(PyScript's workers would need cross-origin isolation headers that GitHub Pages cannot send).
Then the adapted network recognizes, the drawing on the pad is recognized again, and the
person can forget the examples or download the adapted network as an ``.npz``.

Adapting is deterministic: after a reload the stored examples give the same network again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Generator

from pyscript import document, window
from pyscript.ffi import create_proxy, to_js

import hwd
from hwd import adapt, npzwrite

SLICE = 0.04  # seconds of adapting between two yields to the browser
MAX_EXAMPLES = 200  # the most recent are kept: the work grows with the cube of their number
pad = window.hwdPad


class Teacher:
    """The stored examples, the adapted network of the selected one, and their controls."""

    def __init__(self, page) -> None:
        """``page``: main.py's Page (its ``network`` is what recognizes; ``rerecognize()``)."""
        self.page = page
        self.examples: list[dict] = self._stored()
        self.pixels: dict[str, adapt.Example] = {}  # an example's JSON -> its network input
        self.adapters: dict[str, adapt.Adapter] = {}  # one per base network
        self.name, self.base, self.adapted = "", None, None
        self.task: asyncio.Future | None = None
        self.run = 0  # increases with every adaptation started: older ones stop
        self.taught = document.getElementById("taught")
        self.taught_text = document.getElementById("taught-text")
        document.getElementById("forget").addEventListener(
            "click", create_proxy(lambda _e: self.forget()))
        self.download_button = document.getElementById("download-network")
        self.download_button.addEventListener("click", create_proxy(lambda _e: self.download()))
        self.kept = True  # the browser stored the examples
        self._show_count()

    @staticmethod
    def _stored() -> list[dict]:
        try:
            examples = json.loads(pad.stored("examples") or "[]")
        except ValueError:
            return []
        return [e for e in examples if isinstance(e, dict)] if isinstance(examples, list) else []

    def _fingerprint(self, network: hwd.Network) -> str:
        """Names the examples and the base network (its name and weights) an adaptation is for."""
        digest = hashlib.sha256(json.dumps([self.name, self.examples]).encode())
        for w, b in zip(network.weights, network.biases, strict=True):
            digest.update(f"{hash(tuple(w.columns))} {w.shift} {hash(tuple(b))}".encode())
        return digest.hexdigest()

    def _remember(self, adapted: hwd.Network) -> None:
        """Keep the adapted last layer, so that a reload need not wait for the work again."""
        layer = {"fingerprint": self._fingerprint(self.base), "meta": adapted.meta,
                 "weights": adapted.weights[-1].rows(), "biases": adapted.biases[-1]}
        pad.store("adapted", json.dumps(layer))

    def _remembered(self) -> hwd.Network | None:
        """The adapted network kept for these examples and this base network, if any."""
        try:
            layer = json.loads(pad.stored("adapted") or "{}")
            if layer.get("fingerprint") != self._fingerprint(self.base):
                return None
            weights = adapt.pack_like(self.base.weights[-1], layer["weights"])
            return hwd.Network([*self.base.weights[:-1], weights],
                               [*self.base.biases[:-1], layer["biases"]],
                               self.base.activations, layer["meta"])
        except (ValueError, KeyError, TypeError, AttributeError):  # storage edited by hand
            return None

    # ------------------------------------------------------------ what main.py calls

    def select(self, name: str, network: hwd.Network) -> hwd.Network:
        """A network was selected: recognize with it now, and adapt it if there are examples."""
        self.name, self.base, self.adapted = name, network, None
        if not self.examples:
            return network
        self.adapted = self._remembered()
        if self.adapted is not None:  # ready at once; the work is redone quietly, so that
            self._set_state("ready")  # teaching one more is as quick as before the reload
            self.task = asyncio.ensure_future(self.readapt(quiet=True))
            return self.adapted
        self._set_state("learning")  # at once: a reader of the page must not see "ready"
        self.task = asyncio.ensure_future(self.readapt())
        return network

    # ------------------------------------------------------------ the person's actions

    async def teach(self, label: int, strokes: list) -> None:
        """Store the drawing (the pad's strokes when the person chose ``label``, from the
        "I meant" row of first_use.py) as an example of ``label`` and adapt to all of them."""
        if not strokes or self.base is None:
            return
        strokes = [[[round(x, 1), round(y, 1)] for x, y in stroke] for stroke in strokes]
        self.examples = [*self.examples, {"label": label, "strokes": strokes}][-MAX_EXAMPLES:]
        self._save()
        await self.readapt()

    def forget(self) -> None:
        """Drop every example and go back to the selected network as shipped."""
        self.run += 1
        self.examples, self.adapted = [], None
        self._save()
        self._set_state("idle")
        if self.base is not None:
            self.page.network = self.base
            self.page.rerecognize()

    def download(self) -> None:
        """Save the adapted network as an .npz that hwd and this page read like any other."""
        if self.adapted is not None:
            data = npzwrite.network_bytes(self.adapted)
            pad.download(to_js(data), f"{self.name.removesuffix('.npz')}-my-handwriting.npz")

    # ------------------------------------------------------------ adapting

    async def readapt(self, quiet: bool = False) -> None:
        """Adapt the selected network to every example, yielding to the browser between slices.
        ``quiet``: the result is already shown (remembered); only fill the caches."""
        self.run += 1
        run, base, name = self.run, self.base, self.name
        if not quiet:
            self._set_state("learning")
        steps = self._steps(base, name)
        start = slice_start = step_start = time.perf_counter()
        working, pauses, longest = 0.0, 0, 0.0
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                adapted = stop.value
                break
            now = time.perf_counter()
            longest, step_start = max(longest, now - step_start), now
            if now - slice_start > SLICE:
                working += now - slice_start
                pauses += 1
                await asyncio.sleep(0)
                if run != self.run:  # another example, a forget or another network meanwhile
                    return
                slice_start = step_start = time.perf_counter()
        if run != self.run:
            return
        end = time.perf_counter()
        window.console.log(f"HWD: adapted “{name}” to {len(self.examples)} examples in "
                           f"{(end - start) * 1e3:.0f} ms ({(working + end - slice_start) * 1e3:.0f}"
                           f" ms computing in {pauses + 1} slices; longest step {longest * 1e3:.0f} ms)")
        if quiet:
            return
        self.adapted = adapted
        self.page.network = adapted
        self._set_state("ready")
        self._remember(adapted)
        self.page.rerecognize()

    def _steps(self, base: hwd.Network, name: str) -> Generator[None, None, hwd.Network]:
        """The examples' network inputs (once each), then hwd.adapt's steps."""
        examples = []
        for example in self.examples:
            key = json.dumps(example)
            if key not in self.pixels:
                try:
                    self.pixels[key] = adapt.example_from_json(example)
                except adapt.ExampleError:  # storage edited by hand: skip what cannot be read
                    continue
                yield
            examples.append(self.pixels[key])
        adapter = self.adapters.get(name)
        if adapter is None or adapter.network is not base:
            adapter = self.adapters[name] = adapt.Adapter(base, name)
        return (yield from adapter.steps(examples))

    # ------------------------------------------------------------ the page

    def _save(self) -> None:
        self.kept = bool(pad.store("examples", json.dumps(self.examples) if self.examples else ""))
        pad.store("adapted", "")  # made for other examples
        self._show_count()

    def _set_state(self, state: str) -> None:
        self.taught.dataset.state = state
        self.download_button.disabled = state != "ready"
        self._show_count()

    def _show_count(self) -> None:
        n = len(self.examples)
        self.taught.hidden = n == 0
        self.taught.dataset.count = str(n)
        drawings = "drawing" if n == 1 else "drawings"
        learning = self.taught.dataset.state == "learning"
        text = (f"Learning from {n} {drawings} of yours…" if learning
                else f"Learned from {n} {drawings} of yours.")
        if not self.kept:
            text += " (This browser does not let the page keep them after you leave.)"
        self.taught_text.textContent = text
