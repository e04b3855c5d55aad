"""The ancestor's wire format: 784 values in [-1, 1], +1 = ink, column-major."""

from __future__ import annotations

import pytest

from hwd.wire import WireFormatError, format_wire, from_wire, parse_wire, to_wire


def test_column_major_and_ink_is_plus_one():
    pixels = [0.0] * 784
    pixels[3 * 28 + 5] = 1.0  # row 3, column 5
    values = to_wire(pixels)
    assert values[5 * 28 + 3] == 1.0  # index x*28 + y
    assert values.count(-1.0) == 783


def test_round_trip():
    pixels = [(i % 11) / 10 for i in range(784)]
    assert from_wire(to_wire(pixels)) == pytest.approx(pixels)
    assert parse_wire(format_wire(pixels)) == pytest.approx(pixels, abs=1e-3)


@pytest.mark.parametrize("text, message", [
    ("", "expected 784 comma-separated values, got 0"),
    (",".join(["0"] * 783), "got 783"),
    (",".join(["0"] * 785), "got 785"),
    (",".join(["0"] * 783 + ["abc"]), "value 783 is not a number"),
    (",".join(["0"] * 783 + ["nan"]), "not finite"),
    (",".join(["inf"] + ["0"] * 783), "value 0 is not finite"),
    (",".join(["0"] * 10 + ["1.5"] + ["0"] * 773), "value 10 is out of range"),
    ("1," * 40000, "characters long"),
])
def test_bad_input_is_explained(text, message):
    with pytest.raises(WireFormatError, match=message):
        parse_wire(text)


def test_non_numbers_in_lists_are_rejected():
    with pytest.raises(WireFormatError, match="not a number"):
        from_wire([True] + [0] * 783)
    with pytest.raises(WireFormatError, match="not a number"):
        from_wire(["0"] * 784)
    with pytest.raises(WireFormatError, match="out of range"):
        from_wire([10**400] + [0] * 783)  # an integer no float can hold
