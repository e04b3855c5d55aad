"""W·a in pure Python at C speed: each column of W packed into one big integer.

The forward pass spends its time in matrix-vector products.  A Python loop over
800,000 weights costs tens of milliseconds, but Python's big integers add and
multiply by a small integer in C.  So we store column ``i`` of W as one integer
whose 64-bit "lanes" hold the column's weights as fixed-point numbers:

    C_i = sum_j (q_ji + OFFSET) << (64 * j),      q_ji = round(W_ji * 2**shift)

Then for a vector ``a`` with non-negative entries, scaled to integers A_i,
``T = sum_i A_i * C_i`` is one big-integer multiply-add per *non-zero* a_i (most
inputs are background, most ReLUs are off), and lane j of T holds
``sum_i A_i q_ji + OFFSET * sum_i A_i`` exactly: the lanes are wide enough never
to carry into each other.  Reading the lanes back gives W·a, exact up to the
rounding of ``a`` to ~30 bits.  OFFSET keeps every lane non-negative.

Weights stored as int16 fixed point (HWD's shipped networks) are packed straight
from the file's bytes without a Python-level loop over weights, and so are int8
weights with one scale per row (the compact encoding the site ships): there lane j
holds integers q_ji and W_ji = q_ji * row_scales[j], so the scale is applied once
per output, to the lane sums.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

LANE_BYTES = 8
LANE_BITS = 8 * LANE_BYTES
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))  # int16 high byte -> offset-binary


class PackedMatrix:
    """A matrix (out, in) whose columns are big integers of fixed-point lanes."""

    def __init__(self, columns: list[int], n_out: int, shift: int, weight_bits: int,
                 row_scales: list[float] | None = None) -> None:
        """``weight_bits``: |q| < 2**weight_bits, so OFFSET = 2**weight_bits.
        ``row_scales``: W_ji = q_ji * 2**-shift * row_scales[j] (default: all 1)."""
        self.columns, self.n_out, self.shift = columns, n_out, shift
        self.row_scales = row_scales
        self.offset = 1 << weight_bits
        # Lane sums stay below 2**64: n_in * A * 2**(weight_bits+1) < 2**64.
        self.input_bits = min(30, LANE_BITS - 1 - (weight_bits + 1) - len(columns).bit_length())

    @property
    def shape(self) -> tuple[int, int]:
        """(out, in), as the weight matrix W."""
        return self.n_out, len(self.columns)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float]], weight_bits: int = 24) -> PackedMatrix:
        """Pack a float matrix given as rows, rounding weights to ``weight_bits`` bits."""
        largest = max((abs(v) for row in rows for v in row), default=0.0)
        shift = weight_bits - math.frexp(largest)[1]  # largest * 2**shift < 2**weight_bits
        scale, offset = 2.0**shift, 1 << weight_bits
        n_out = len(rows)
        columns = [int.from_bytes(struct.pack(f"<{n_out}Q", *[round(r[i] * scale) + offset
                                                              for r in rows]), "little")
                   for i in range(len(rows[0]))]
        return cls(columns, n_out, shift, weight_bits)

    @classmethod
    def from_int16(cls, data: bytes, n_out: int, n_in: int, shift: int) -> PackedMatrix:
        """Pack int16 little-endian weights stored column by column (Fortran order): W = q / 2**shift."""
        lanes = bytearray(LANE_BYTES * n_out * n_in)
        lanes[0::LANE_BYTES] = data[0::2]
        lanes[1::LANE_BYTES] = data[1::2].translate(_FLIP_SIGN)  # q + 2**15, as unsigned
        view, step = memoryview(lanes), LANE_BYTES * n_out
        columns = [int.from_bytes(view[i * step:(i + 1) * step], "little") for i in range(n_in)]
        return cls(columns, n_out, shift, 15)

    @classmethod
    def from_int8(cls, data: bytes, n_out: int, n_in: int, row_scales: list[float]
                  ) -> PackedMatrix:
        """Pack int8 weights stored column by column: W_ji = q_ji * row_scales[j]."""
        lanes = bytearray(LANE_BYTES * n_out * n_in)
        lanes[0::LANE_BYTES] = data.translate(_FLIP_SIGN)  # q + 2**7, as unsigned
        view, step = memoryview(lanes), LANE_BYTES * n_out
        columns = [int.from_bytes(view[i * step:(i + 1) * step], "little") for i in range(n_in)]
        return cls(columns, n_out, 0, 7, list(row_scales))

    def dot(self, a: Sequence[float]) -> list[float]:
        """W·a for a vector of non-negative floats (pixels, ReLU or sigmoid outputs)."""
        if len(a) != len(self.columns):
            raise ValueError(f"expected {len(self.columns)} inputs, got {len(a)}")
        nonzero = [(i, v) for i, v in enumerate(a) if v]
        if not nonzero:
            return [0.0] * self.n_out
        largest = max(v for _, v in nonzero)
        if min(v for _, v in nonzero) < 0 or not math.isfinite(largest):
            raise ValueError("inputs must be finite and non-negative")
        # largest * 2**input_shift < 2**input_bits; capped so 2.0**x cannot overflow.
        input_shift = min(self.input_bits - math.frexp(largest)[1], 900)
        scale, columns = 2.0**input_shift, self.columns
        total = total_a = 0
        for i, v in nonzero:
            a_int = int(v * scale)
            total += a_int * columns[i]
            total_a += a_int
        lanes = struct.unpack(f"<{self.n_out}Q", total.to_bytes(LANE_BYTES * self.n_out, "little"))
        bias, unit = self.offset * total_a, 2.0 ** -(self.shift + input_shift)
        if self.row_scales:
            return [(lane - bias) * unit * s for lane, s in zip(lanes, self.row_scales, strict=True)]
        return [(lane - bias) * unit for lane in lanes]

    def rows(self) -> list[list[float]]:
        """The matrix as float rows (for inspection and tests; slow)."""
        mask, unit = (1 << LANE_BITS) - 1, 2.0**-self.shift
        cols = [[((c >> (LANE_BITS * j)) & mask) - self.offset for j in range(self.n_out)]
                for c in self.columns]
        scales = self.row_scales or [1.0] * self.n_out
        return [[col[j] * unit * scales[j] for col in cols] for j in range(self.n_out)]
