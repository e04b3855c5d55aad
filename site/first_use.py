"""Page modules loaded on first use, so that the first visit downloads only what the first
recognition needs.

build.py ships each module of its ``LAZY_PAGE_MODULES`` as ``NAME.zip`` (``site/NAME.py`` and
the ``hwd`` modules it adds to those loaded at start), not in ``pyscript.json``;
:func:`import_later` fetches and unpacks one into the working directory and imports it.
Loaded that way:

* ``teach.py`` (with ``hwd.adapt``, ``hwd.anchors``, ``hwd.npzwrite``) at the first correction:
  :class:`TeachRow` is the "I meant" row until then.  At start when this browser holds taught
  examples or an adapted layer, so that the person gets their taught network back at once.
* ``number_mode.py`` (with ``hwd.segment``) when Number mode is first turned on, or at start
  when it was left on (pad.js restores the checkbox).
* ``inside.py`` and ``own_network.py`` (main.py) when the panel or a network file is opened.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import sys

from pyscript import document, fetch, window
from pyscript.ffi import create_proxy

pad = window.hwdPad


async def import_later(name: str):
    """Import a page module that build.py ships as NAME.zip (with the hwd modules it adds),
    fetched and unpacked into the working directory when first needed."""
    if name in sys.modules:
        return sys.modules[name]
    import zipfile  # here, not at start: CPU the page would spend before ready

    response = await fetch(f"./{name}.zip")
    if not response.ok:
        raise OSError(f"{name}.zip: HTTP {response.status}")
    with zipfile.ZipFile(io.BytesIO(await response.bytearray())) as z:
        z.extractall(".")
    # The path finders' caches only: importlib.invalidate_caches() would also import
    # importlib.metadata, which the site's trimmed standard library does not hold.
    for finder in list(sys.path_importer_cache.values()):
        if hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()
    return importlib.import_module(name)


class Later:
    """One lazily loaded page module: a single download, however often it is asked for."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.task: asyncio.Future | None = None

    def load(self) -> asyncio.Future:
        """The module's import, started at the first call (again after a failure)."""
        if self.task is None or (self.task.done() and self.task.exception() is not None):
            self.task = asyncio.ensure_future(import_later(self.name))
        return self.task


class TeachRow:
    """The "I meant" row under the answer, and teach.py's Teacher once it is loaded (main.py
    calls ``select``, ``offer`` and ``hide`` as it would on the Teacher)."""

    def __init__(self, page) -> None:
        self.page = page
        self.teacher = None  # teach.Teacher, once loaded
        self.module = Later("teach")
        self.name, self.network = "", None  # the selected network, for a Teacher made later
        self.row = document.getElementById("teach")
        self.meant = [document.querySelector(f'#meant [data-digit="{d}"]') for d in range(10)]
        for digit, button in enumerate(self.meant):
            button.addEventListener("click", create_proxy(lambda _e, d=digit: self._meant(d)))

    async def start(self) -> None:
        """Load teach.py now if this browser keeps what the person taught (before the first
        network is selected: it may come back adapted)."""
        if pad.stored("examples") or pad.stored("adapted"):
            await self._teacher()

    async def _teacher(self):
        if self.teacher is None:
            teacher = (await self.module.load()).Teacher(self.page)
            if self.teacher is None:  # not made meanwhile by another call
                self.teacher = teacher
                if self.network is not None:  # selected before: the Teacher needs it as its base
                    adapted = teacher.select(self.name, self.network)
                    if self.page.network is self.network:
                        self.page.network = adapted
        return self.teacher

    def _meant(self, label: int) -> None:
        strokes = pad.strokes().to_py()  # the drawing the person corrects, whatever comes next
        self.task = asyncio.ensure_future(self._teach(label, strokes))  # referenced: keeps running

    async def _teach(self, label: int, strokes: list) -> None:
        try:
            teacher = await self._teacher()
        except Exception as e:  # offline before the service worker cached it, or a bad build
            self.page.message.textContent = f"Teaching could not be loaded: {e}"
            return
        await teacher.teach(label, strokes)

    # ------------------------------------------------------------ what main.py calls

    def select(self, name: str, network):
        """A network was selected: the Teacher's choice of network, or ``network`` as it is."""
        if self.teacher is not None:
            return self.teacher.select(name, network)
        self.name, self.network = name, network
        return network

    def offer(self, digit: int) -> None:
        """After a recognition: show the "I meant" row, the recognized digit marked."""
        for d, button in enumerate(self.meant):
            button.setAttribute("aria-pressed", "true" if d == digit else "false")
        self.row.hidden = False

    def hide(self) -> None:
        """The pad was cleared, or a number is shown: nothing to teach."""
        self.row.hidden = True
