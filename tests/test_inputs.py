"""hwd.inputs, the one validation path: its JSON limits, numbers and one-line messages."""

from __future__ import annotations

import pytest

from hwd.inputs import (
    MAX_DEPTH,
    InputError,
    TooLarge,
    ascii_number,
    number,
    one_line,
    parse_json,
    strokes,
)


def test_json_within_the_limits_parses_as_json_does():
    text = '{"strokes": [[[1, 2.5e-3], [-3, 4, 17]]], "note": "[[[[[[[[[[ in a string"}'
    assert parse_json(text) == {"strokes": [[[1, 2.5e-3], [-3, 4, 17]]],
                                "note": "[[[[[[[[[[ in a string"}
    assert parse_json(text.encode()) == parse_json(text)
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


@pytest.mark.parametrize("text, error, message", [
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), InputError, f"nested {MAX_DEPTH + 1} deep"),
    ("[" + "1" * 41 + "]", InputError, r"too large \(more than 40 characters\)"),
    ("[NaN]", InputError, "NaN is not a number JSON allows"),
    ("[-Infinity]", InputError, "-Infinity"),
    (b"[\xff]", InputError, r"not UTF-8 text \(byte 1 is invalid\)"),
    ("[1,]", InputError, "not valid JSON"),
    (" " * (1024 * 1024 + 1), TooLarge, "longer than 1048576 bytes"),
])
def test_json_over_the_limits_is_refused(text, error, message):
    with pytest.raises(error, match=message):
        parse_json(text)


def test_numbers():
    assert number(3, "x") == 3.0 and number(-0.5, "x") == -0.5
    for value, message in [(True, "a boolean"), ("1", "the string '1'"), (None, "null"),
                           (10**400, "too large"), (float("inf"), "not finite")]:
        with pytest.raises(InputError, match=message):
            number(value, "x")
    assert ascii_number("-1.5e-3", "v") == -1.5e-3 and ascii_number(".5", "v") == 0.5
    for text in ("\uff11", "\u0661", "1_0", " 1", "0x10", "1e", "--1", ""):
        with pytest.raises(InputError, match="is not a number"):
            ascii_number(text, "v")


def test_strokes_keep_x_and_y_and_ignore_extra_values():
    assert strokes([[[1, 2, 1700000000], (3.5, 4)], []]) == [[(1.0, 2.0), (3.5, 4.0)], []]


def test_one_line_never_fails_on_an_empty_message():
    """The page shows one_line(error) as its status: an empty message must not break it."""
    assert one_line(RuntimeError("")) == "RuntimeError"
    assert one_line(ValueError("first\nlast line\n\n")) == "last line"
    assert one_line(KeyError()) == "KeyError"
