"""HWD: recognize a handwritten digit with a perceptron network, in pure Python.

    >>> import hwd
    >>> network = hwd.load("models/best.npz")
    >>> digit, probabilities = network.predict(hwd.strokes_to_pixels(strokes))
    >>> digits = hwd.read_number(strokes, network.feedforward)  # several digits

Standard library only, so it runs in Pyodide in the browser as well as in CPython.
"""

import importlib

from .network import Network
from .npz import NetworkFileError, load
from .preprocess import EmptyDrawing, raster_to_pixels, strokes_to_pixels
from .wire import WireFormatError, format_wire, parse_wire

__version__ = "0.1.0"
__all__ = ["EmptyDrawing", "Network", "NetworkFileError", "Reader", "WireFormatError",
           "format_wire", "load", "parse_wire", "raster_to_pixels", "read_number",
           "strokes_to_pixels"]


def __getattr__(name: str):
    """``hwd.Reader`` and ``hwd.read_number`` import ``hwd.segment`` when first used: the page
    ships that module only with Number mode's code (build.py follows ``from .x import``
    statements, so this one is spelled with importlib)."""
    if name in ("Reader", "read_number"):
        return getattr(importlib.import_module(f"{__name__}.segment"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
