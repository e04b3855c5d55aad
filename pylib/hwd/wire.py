"""The ancestor's REST wire format for a 28x28 input.

784 numbers in [-1, 1], +1 = ink and -1 = background, in column-major order:
the value at index ``x*28 + y`` is the pixel in column x, row y.  Networks take
row-major pixels in [0, 1] (see :mod:`hwd.preprocess`); these functions convert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .inputs import InputError, ascii_number, describe
from .preprocess import SIZE, strokes_to_pixels

COUNT = SIZE * SIZE
MAX_TEXT = 64 * 1024  # generous for 784 numbers; anything longer is not a digit
USAGE = '{"imgdata": [784 numbers]} or {"strokes": [[[x, y], ...], ...]}'


class WireFormatError(InputError):
    """Input that is not 784 finite numbers in [-1, 1]; the message says what is wrong."""


def to_wire(pixels: Sequence[float]) -> list[float]:
    """Row-major [0, 1] pixels -> column-major [-1, 1] wire values."""
    return [2.0 * pixels[y * SIZE + x] - 1.0 for x in range(SIZE) for y in range(SIZE)]


def from_wire(values: Sequence[float]) -> list[float]:
    """Column-major [-1, 1] wire values -> row-major [0, 1] pixels, after validating them."""
    check(values)
    return [(values[x * SIZE + y] + 1.0) / 2.0 for y in range(SIZE) for x in range(SIZE)]


def format_wire(pixels: Sequence[float]) -> str:
    """The comma-separated text of the wire values, as sent in ``?imgdata=``."""
    return ",".join(f"{v:.4g}" for v in to_wire(pixels))


def parse_wire(text: str) -> list[float]:
    """Parse comma-separated wire text into row-major [0, 1] pixels.

    Values are ASCII decimal numbers (``float`` alone would also read "1_0", fullwidth or
    Arabic-Indic digits)."""
    if len(text) > MAX_TEXT:
        raise WireFormatError(f"input is {len(text)} characters long; at most {MAX_TEXT} allowed")
    parts = [p.strip() for p in text.strip().split(",")] if text.strip() else []
    if len(parts) != COUNT:
        raise WireFormatError(f"expected {COUNT} comma-separated values, got {len(parts)}")
    try:
        values = [ascii_number(p, f"value {i}") for i, p in enumerate(parts)]
    except InputError as e:
        raise WireFormatError(str(e)) from None
    return from_wire(values)


def check(values: Sequence[float]) -> None:
    """Raise :class:`WireFormatError` unless ``values`` are 784 finite numbers in [-1, 1]."""
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise WireFormatError(f"expected a list of {COUNT} numbers, got {describe(values)}")
    if len(values) != COUNT:
        raise WireFormatError(f"expected {COUNT} values, got {len(values)}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise WireFormatError(f"value {i} is not a number but {describe(v)}")
        if isinstance(v, float) and not math.isfinite(v):
            raise WireFormatError(f"value {i} is not finite: {v}")
        if not -1.0 <= v <= 1.0:  # also catches integers too large for a float
            raise WireFormatError(f"value {i} is out of range [-1, 1]: {str(v)[:20]}")


def request_pixels(request: object) -> list[float]:
    """The network input of a parsed JSON request, as the server's POST body and ``hwd
    recognize`` take it: ``{"imgdata": [784 wire values]}`` or ``{"strokes": [...]}``."""
    if not isinstance(request, dict):
        raise InputError(f"expected a JSON object, got {describe(request)}; {USAGE}")
    given = [key for key in ("imgdata", "strokes") if key in request]
    if len(given) != 1:
        raise InputError(f"give exactly one of imgdata and strokes; {USAGE}")
    if given == ["imgdata"]:
        return from_wire(request["imgdata"])
    return strokes_to_pixels(request["strokes"])
