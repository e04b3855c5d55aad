"""HWD: recognize a handwritten digit with a perceptron network, in pure Python.

    >>> import hwd
    >>> network = hwd.load("models/best.npz")
    >>> digit, probabilities = network.predict(hwd.strokes_to_pixels(strokes))
    >>> digits = hwd.read_number(strokes, network.feedforward)  # several digits

Standard library only, so it runs in Pyodide in the browser as well as in CPython.
"""

from .network import Network
from .npz import NetworkFileError, load
from .preprocess import EmptyDrawing, raster_to_pixels, strokes_to_pixels
from .segment import Reader, read_number
from .wire import WireFormatError, format_wire, parse_wire

__version__ = "0.1.0"
__all__ = ["EmptyDrawing", "Network", "NetworkFileError", "Reader", "WireFormatError",
           "format_wire", "load", "parse_wire", "raster_to_pixels", "read_number",
           "strokes_to_pixels"]
