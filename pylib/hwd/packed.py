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
weights with one scale per row (the compact encoding the site ships): there
W = diag(row_scales) · Q, lane j holds the integers q_ji and the scale is applied
once per output, to the lane sums.  The transpose of such a matrix has a scale per
column instead, applied to the inputs: W^T·a = Q^T·(row_scales ⊙ a).

Small weights need narrower lanes: the site's int8 weights (|q| <= 16) fit 48-bit
lanes with the same ~30 bits of input, so their integers are a quarter shorter,
quicker to build when the page starts and to multiply, with the same lane sums.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence

LANE_BYTES = 8  # the widest lane, and how lanes are read back (struct's "Q")
INPUT_BITS = 30  # inputs are rounded to this many bits (fewer if the lanes are too narrow)
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))  # int16 high byte -> offset-binary
_SIGNED = [b - 256 if b > 127 else b for b in range(256)]  # an int8 byte's value
# For each int8 byte: the least b with -2**b <= q < 2**b (so 0 <= q + 2**b < 2**(b+1)).
_INT8_BITS = bytes((q if q >= 0 else ~q).bit_length() for q in _SIGNED)


class PackedMatrix:
    """A matrix (out, in) whose columns are big integers of fixed-point lanes."""

    def __init__(self, columns: list[int], n_out: int, shift: int, weight_bits: int,
                 row_scales: list[float] | None = None,
                 column_scales: list[float] | None = None, lane_bytes: int = LANE_BYTES) -> None:
        """``weight_bits``: -2**weight_bits <= q < 2**weight_bits, so OFFSET = 2**weight_bits.
        The matrix is W_ji = row_scales[j] * q_ji * 2**-shift * column_scales[i] (scales
        default to 1); each lane has ``lane_bytes`` bytes (at most 8)."""
        self.columns, self.n_out, self.shift = columns, n_out, shift
        self.row_scales, self.column_scales = row_scales, column_scales
        self.offset = 1 << weight_bits
        self.lane_bytes, self.lane_bits = lane_bytes, 8 * lane_bytes
        # Lane sums stay below 2**lane_bits: n_in * A * 2**(weight_bits+1) < 2**lane_bits.
        self.input_bits = min(INPUT_BITS, self.lane_bits - 1 - (weight_bits + 1)
                              - len(columns).bit_length())
        self.half_lanes = int.from_bytes((bytes(lane_bytes - 1) + b"\x80") * n_out, "little")

    @property
    def shape(self) -> tuple[int, int]:
        """(out, in), as the weight matrix W."""
        return self.n_out, len(self.columns)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float]], weight_bits: int = 24) -> PackedMatrix:
        """Pack a float matrix given as rows, rounding weights to ``weight_bits`` bits."""
        largest = max((abs(v) for row in rows for v in row), default=0.0)
        shift = weight_bits - math.frexp(largest)[1]  # largest * 2**shift < 2**weight_bits
        if round(largest * 2.0**shift) >= 1 << weight_bits:  # ... unless rounding reaches it
            shift -= 1
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
        """Pack int8 weights stored column by column: W_ji = q_ji * row_scales[j], in lanes
        as narrow as the largest |q| allows with INPUT_BITS of input."""
        bits = data.translate(_INT8_BITS)
        weight_bits = max(b for b in range(8) if b in bits)  # one memchr each: fast
        offset = 1 << weight_bits
        unsigned = data.translate(bytes((q + offset) & 0xFF for q in _SIGNED))  # q + offset
        lane_bytes = min(LANE_BYTES, -(-(1 + (weight_bits + 1) + n_in.bit_length()
                                         + INPUT_BITS) // 8))
        lanes, view = bytearray(lane_bytes * n_out), memoryview(unsigned)
        columns = []
        for i in range(n_in):  # one column's lanes at a time, in one reused buffer
            lanes[0::lane_bytes] = view[i * n_out:(i + 1) * n_out]
            columns.append(int.from_bytes(lanes, "little"))
        return cls(columns, n_out, 0, weight_bits, list(row_scales), lane_bytes=lane_bytes)

    def dot(self, a: Sequence[float], signed: bool = False) -> list[float]:
        """W·a for a vector of non-negative floats (pixels, ReLU or sigmoid outputs); with
        ``signed``, of floats of any sign (backward passes), for one more addition."""
        if len(a) != len(self.columns):
            raise ValueError(f"expected {len(self.columns)} inputs, got {len(a)}")
        if self.column_scales:  # positive, so the signs stay
            a = [v * c for v, c in zip(a, self.column_scales, strict=True)]
        nonzero = [(i, v) for i, v in enumerate(a) if v]
        if not nonzero:
            return [0.0] * self.n_out
        largest = max(abs(v) for _, v in nonzero) if signed else max(v for _, v in nonzero)
        if not math.isfinite(largest) or (not signed and min(v for _, v in nonzero) < 0):
            raise ValueError("inputs must be finite and non-negative")
        # largest * 2**input_shift < 2**input_bits; capped so 2.0**x cannot overflow.
        input_shift = min(self.input_bits - math.frexp(largest)[1], 900)
        scale, columns = 2.0**input_shift, self.columns
        total = total_a = 0
        for i, v in nonzero:
            a_int = int(v * scale)
            total += a_int * columns[i]
            total_a += a_int
        bias, unit = self.offset * total_a, 2.0 ** -(self.shift + input_shift)
        if signed:
            # A lane's sum may be negative, but it is above -2**(lane_bits-1) (the bound on
            # input_bits): with that added to every lane, T's digits are the lanes again.
            total += self.half_lanes  # 2**(lane_bits-1) in every lane
            bias += 1 << (self.lane_bits - 1)
        lanes = struct.unpack(f"<{self.n_out}Q", self.wide_lanes(total))
        if self.row_scales:
            return [(lane - bias) * unit * s for lane, s in zip(lanes, self.row_scales, strict=True)]
        return [(lane - bias) * unit for lane in lanes]

    def column(self, i: int) -> list[float]:
        """Column ``i`` of W: the weights from input ``i`` to every output."""
        lanes = struct.unpack(f"<{self.n_out}Q", self.wide_lanes(self.columns[i]))
        unit = 2.0**-self.shift * (self.column_scales[i] if self.column_scales else 1.0)
        scales = self.row_scales or [1.0] * self.n_out
        return [(lane - self.offset) * unit * s for lane, s in zip(lanes, scales, strict=True)]

    def wide_lanes(self, column: int) -> bytes:
        """The lanes of a column-sized integer (a column or a sum of them) as 64-bit
        little-endian numbers, ``struct``'s "Q", however wide the lanes are."""
        size = self.lane_bytes * self.n_out
        raw = column.to_bytes(size, "little")
        if self.lane_bytes == LANE_BYTES:
            return raw
        wide = bytearray(LANE_BYTES * self.n_out)
        for k in range(self.lane_bytes):
            wide[k::LANE_BYTES] = raw[k::self.lane_bytes]
        return bytes(wide)

    def transpose(self) -> PackedMatrix:
        """W^T, packed the same way (its columns are the rows of W), for backward passes."""
        n_in = len(self.columns)
        # Every lane in column-major order, then each row of W gathered by a strided slice.
        lanes = array("Q", b"".join(map(self.wide_lanes, self.columns)))
        if lanes.itemsize != LANE_BYTES:  # pragma: no cover (no such platform in use)
            raise RuntimeError("array('Q') is not 64-bit here")
        columns = [int.from_bytes(lanes[j::self.n_out].tobytes(), "little")
                   for j in range(self.n_out)]
        return PackedMatrix(columns, n_in, self.shift, self.offset.bit_length() - 1,
                            row_scales=self.column_scales, column_scales=self.row_scales)

    def rows(self) -> list[list[float]]:
        """The matrix as float rows (for inspection and tests; slow)."""
        mask, unit = (1 << self.lane_bits) - 1, 2.0**-self.shift
        cols = [[((c >> (self.lane_bits * j)) & mask) - self.offset for j in range(self.n_out)]
                for c in self.columns]
        rows = [[col[j] * unit for col in cols] for j in range(self.n_out)]
        if self.row_scales or self.column_scales:
            columns = self.column_scales or [1.0] * len(cols)
            rows = [[v * s * c for v, c in zip(row, columns, strict=True)]
                    for row, s in zip(rows, self.row_scales or [1.0] * self.n_out, strict=True)]
        return rows
