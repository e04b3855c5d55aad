"""One validation path for what HWD reads from outside: JSON, numbers, strokes and wire text.

The command line, the REST server and the page all pass their input through these
functions (``hwd.strokes_to_pixels`` and ``hwd.parse_wire`` call them too), so a hostile
or unlucky input is refused the same way everywhere: with an :class:`InputError`, a
``ValueError`` whose message is one line saying what is wrong, after bounded work.

The limits (docs/limits.md lists them with the reasons):

* JSON: at most ``MAX_JSON_BYTES`` of UTF-8, nested at most ``MAX_DEPTH`` deep, number
  literals at most ``MAX_NUMBER_CHARS`` long, no NaN or Infinity;
* numbers: finite, never booleans, strings or integers too large for a float;
* strokes: at most ``MAX_POINTS`` points (empty strokes count as one), coordinates within
  ``±MAX_COORDINATE``; :mod:`hwd.preprocess` bounds the drawing work itself.
"""

from __future__ import annotations

import itertools
import json
import math
import re

MAX_JSON_BYTES = 1024 * 1024  # a drawn digit is a few KiB; 10,000 points fit easily
MAX_DEPTH = 8  # {"strokes": [[[x, y]]]} is 4 deep
MAX_NUMBER_CHARS = 40  # "-0.12345678901234567e-300" is 25; 400-digit numbers are refused
MAX_POINTS = 10_000  # points in all strokes; real digits have at most a few hundred
MAX_COORDINATE = 1e6  # |x| and |y| of a stroke point, in any units

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_LONG_NUMBER = re.compile(rf"[-+0-9.eE]{{{MAX_NUMBER_CHARS + 1},}}")
# A decimal number in ASCII, as the wire format and JSON write it (float() alone would also
# take "1_0", fullwidth or Arabic-Indic digits).  nan/inf are matched to be refused by name.
_ASCII_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
                           r"|nan|inf|infinity)", re.ASCII | re.IGNORECASE)


class InputError(ValueError):
    """Input HWD refuses; ``str(error)`` is one line saying what is wrong."""


class TooLarge(InputError):
    """Input over one of the documented size or work limits (the server answers 413)."""


def parse_json(data: str | bytes, what: str = "the input") -> object:
    """Parse JSON text (or UTF-8 bytes) within the limits above."""
    if len(data) > MAX_JSON_BYTES:
        raise TooLarge(f"{what} is longer than {MAX_JSON_BYTES} bytes")
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{what} is not valid JSON: not UTF-8 text (byte {e.start} is "
                             f"invalid)") from None
    without_strings = _STRINGS.sub('""', data)
    brackets = _NOT_BRACKETS.sub("", without_strings)
    depth = max(itertools.accumulate(1 if c in "[{" else -1 for c in brackets), default=0)
    if depth > MAX_DEPTH:
        raise InputError(f"{what}: JSON nested {depth} deep; at most {MAX_DEPTH} allowed")
    if _LONG_NUMBER.search(without_strings):
        raise InputError(f"{what}: a number is too large (more than {MAX_NUMBER_CHARS} "
                         f"characters)")

    def refuse(name: str) -> float:
        raise InputError(f"{what}: {name} is not a number JSON allows")

    try:
        return json.loads(data, parse_constant=refuse)
    except InputError:
        raise
    except RecursionError:  # a backstop: the depth check above comes first
        raise InputError(f"{what}: JSON nested too deeply") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{what} is not valid JSON: {e}") from None


def number(value: object, where: str) -> float:
    """A parsed JSON number as a finite float; booleans, strings and huge integers are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where} is not a number but {describe(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise InputError(f"{where} is too large for a number") from None
    if not math.isfinite(result):
        raise InputError(f"{where} is not finite: {result}")
    return result


def ascii_number(text: str, where: str) -> float:
    """A number written in ASCII digits (as in the wire text), as a float."""
    if len(text) > MAX_NUMBER_CHARS or not _ASCII_NUMBER.fullmatch(text):
        raise InputError(f"{where} is not a number: {text[:20]!r}")
    return float(text)


def strokes(value: object) -> list[list[tuple[float, float]]]:
    """Strokes ``[[[x, y], ...], ...]`` (extra values per point, such as a time, are ignored)
    as lists of (x, y) floats, after checking their shape, count and coordinates."""
    if not isinstance(value, list | tuple) or not all(isinstance(s, list | tuple) for s in value):
        raise InputError("strokes must be a list of strokes, each a list of [x, y] points")
    count = sum(max(len(s), 1) for s in value)
    if count > MAX_POINTS:
        raise TooLarge(f"too many points: {count}; at most {MAX_POINTS} in all strokes")
    return [[point(p, f"strokes[{i}][{j}]") for j, p in enumerate(s)] for i, s in enumerate(value)]


def point(p: object, where: str) -> tuple[float, float]:
    """One stroke point ``[x, y, ...]`` with |x|, |y| <= MAX_COORDINATE."""
    if not isinstance(p, list | tuple) or len(p) < 2:
        raise InputError(f"{where} must be a point [x, y] with x and y, not {describe(p)}")
    x, y = number(p[0], f"{where} x"), number(p[1], f"{where} y")
    if not (abs(x) <= MAX_COORDINATE and abs(y) <= MAX_COORDINATE):
        raise InputError(f"{where} is outside [-{MAX_COORDINATE:g}, {MAX_COORDINATE:g}]")
    return x, y


def describe(value: object) -> str:
    """A short description of a value for an error message: a short number or string, or its type."""
    if isinstance(value, str):
        return f"the string {value[:20]!r}"
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)
                                    and abs(value) < 10**20):
        return repr(value)
    return {type(None): "null", bool: "a boolean", list: "a list", tuple: "a list",
            dict: "an object", int: "a huge integer"}.get(type(value), type(value).__name__)


def one_line(error: BaseException) -> str:
    """The last non-empty line of an error's message, or its type's name if it has none."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(error).__name__
