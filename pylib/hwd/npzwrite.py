"""Write networks as ``.npz`` files with the standard library: the inverse of ``npz.py``.

The page needs it to hand a person the network it adapted to their handwriting, with
no numpy in the browser.  Each weight matrix is written as it is held in memory:
int16 fixed-point matrices (the shipped networks) as int16 with their ``weight_shifts``,
any other as float32, both in Fortran order (column by column), the layout
``hwd.load`` packs fastest.  Biases are float32.  docs/network-format.md has the spec.

``compact_bytes`` writes the encoding the site sends over the wire (build.py converts
every shipped network with it): int8 weights with one float32 scale per row, limited
to ``levels`` steps either side of zero, deflated with Huffman coding only, which
comes within 1 % of the weights' entropy where LZ77 matching (``zlib`` level 9) adds 10 %.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .network import Network
from .packed import LANE_BYTES, PackedMatrix

_DESCR = {"int16": "<i2", "int8": "|i1", "float32": "<f4", "uint8": "|u1"}
COMPACT_LEVELS = 12  # int8 steps either side of zero unless the manifest says (train/levels.py)
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))


def npy_bytes(dtype: str, shape: tuple[int, ...], data: bytes, fortran: bool = False) -> bytes:
    """One ``.npy`` file (format 1.0): magic, a header padded to 64 bytes, the raw data."""
    header = (f"{{'descr': '{_DESCR[dtype]}', 'fortran_order': {fortran}, "
              f"'shape': ({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}), }}")
    padding = 64 - (10 + len(header) + 1) % 64
    header = header + " " * padding + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def npz_bytes(members: dict[str, bytes],
              strategies: Sequence[int] = (zlib.Z_DEFAULT_STRATEGY,)) -> bytes:
    """A zip of deflated ``.npy`` members, as ``numpy.savez_compressed`` writes it, but with a
    fixed timestamp: the same network always gives the same bytes.

    Each member is deflated with each of the ``strategies`` and the smallest result kept.
    Written here rather than with ``zipfile``, which cannot choose the deflate strategy:
    ``zlib.Z_HUFFMAN_ONLY`` suits dense weights, whose bytes have no repeats for LZ77 to
    find, the default strategy pruned ones, whose runs of zeros it finds.
    """
    files, directory = bytearray(), bytearray()
    for name, data in members.items():
        packed = min((_deflate(data, strategy) for strategy in strategies), key=len)
        filename = f"{name}.npy".encode()
        # version 2.0, no flags, deflated, 1980-01-01 00:00, crc, sizes
        common = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, zlib.crc32(data), len(packed),
                             len(data))
        directory += (b"PK\1\2" + struct.pack("<H", 20) + common
                      + struct.pack("<HHHHHII", len(filename), 0, 0, 0, 0, 0, len(files)) + filename)
        files += b"PK\3\4" + common + struct.pack("<HH", len(filename), 0) + filename + packed
    end = struct.pack("<4s4H2IH", b"PK\5\6", 0, 0, len(members), len(members), len(directory),
                      len(files), 0)
    return bytes(files + directory + end)


def _deflate(data: bytes, strategy: int) -> bytes:
    """Raw deflate (no zlib header), level 9, with ``strategy``."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy)
    return deflate.compress(data) + deflate.flush()


def _is_int16(matrix: PackedMatrix) -> bool:
    """Whether ``matrix`` was packed from int16 fixed point (its lanes' offset is 2**15)."""
    return matrix.offset == 1 << 15


def _lanes(matrix: PackedMatrix) -> bytes:
    """Every column's lanes, column after column (Fortran order), as 64-bit little-endian
    numbers (``PackedMatrix.wide_lanes``: int8 matrices have narrower lanes)."""
    return b"".join(map(matrix.wide_lanes, matrix.columns))


def int16_npy(matrix: PackedMatrix) -> bytes:
    """An int16-packed W as int16 in Fortran order: each lane's low two bytes hold q + 2**15."""
    lanes = _lanes(matrix)
    data = bytearray(len(lanes) // 4)
    data[0::2] = lanes[0::LANE_BYTES]
    data[1::2] = lanes[1::LANE_BYTES].translate(_FLIP_SIGN)
    return npy_bytes("int16", matrix.shape, bytes(data), fortran=True)


def _weights(matrix: PackedMatrix) -> list[float]:
    """The weights W_ji as floats, column after column (Fortran order)."""
    n_out, n_in = matrix.shape
    unit, offset = 2.0**-matrix.shift, matrix.offset
    values = [(q - offset) * unit for q in struct.unpack(f"<{n_out * n_in}Q", _lanes(matrix))]
    if matrix.row_scales:
        values = [v * s for v, s in zip(values, matrix.row_scales * n_in, strict=True)]
    if matrix.column_scales:
        each = [c for c in matrix.column_scales for _ in range(n_out)]
        values = [v * c for v, c in zip(values, each, strict=True)]
    return values


def float32_npy(matrix: PackedMatrix) -> bytes:
    """W as float32 in Fortran order."""
    values = _weights(matrix)
    return npy_bytes("float32", matrix.shape, struct.pack(f"<{len(values)}f", *values), True)


def int8_npys(matrix: PackedMatrix, levels: int = COMPACT_LEVELS) -> tuple[bytes, bytes]:
    """W as int8 q in Fortran order and one float32 scale per row: W_ji ~ q_ji * scale_j,
    with |q| <= ``levels`` and the row's largest |W| exactly representable."""
    n_out, n_in = matrix.shape
    weights = _weights(matrix)
    largest = [max(map(abs, weights[j::n_out])) for j in range(n_out)]
    scales = struct.pack(f"<{n_out}f", *[w / levels or 1.0 for w in largest])
    # Quantize with the scales as stored (float32), so the file means what it says.
    inverse = [1 / s for s in struct.unpack(f"<{n_out}f", scales)] * n_in
    q = [max(-levels, min(levels, round(w * k))) for w, k in zip(weights, inverse, strict=True)]
    return (npy_bytes("int8", matrix.shape, struct.pack(f"<{len(q)}b", *q), fortran=True),
            npy_bytes("float32", (n_out,), scales))


def network_bytes(network: Network, meta: dict | None = None) -> bytes:
    """The ``.npz`` file of ``network``; ``meta`` adds to (and overrides) the network's own.

    All weights are int16 when every matrix was packed from int16, else all float32.
    """
    int16 = all(_is_int16(w) for w in network.weights)
    members = {}
    for l, (w, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        members[f"weights_{l}"] = int16_npy(w) if int16 else float32_npy(w)
        members[f"biases_{l}"] = npy_bytes("float32", (len(b),), struct.pack(f"<{len(b)}f", *b))
    info = {**network.meta, **(meta or {}), "format": "hwd-network", "format_version": 1,
            "layers": network.sizes, "activations": network.activations,
            "dtype": "int16" if int16 else "float32", "hwd_version": __version__}
    info.pop("weight_shifts", None)
    if int16:
        info["weight_shifts"] = [w.shift for w in network.weights]
    encoded = json.dumps(info).encode("utf-8")
    members["meta"] = npy_bytes("uint8", (len(encoded),), encoded)
    return npz_bytes(members)


def compact_bytes(network: Network, levels: int = COMPACT_LEVELS) -> bytes:
    """The ``.npz`` the site sends: int8 weights with a scale per row (``scales_l``)."""
    members = {}
    for l, (w, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        members[f"weights_{l}"], members[f"scales_{l}"] = int8_npys(w, levels)
        members[f"biases_{l}"] = npy_bytes("float32", (len(b),), struct.pack(f"<{len(b)}f", *b))
    # Not the training history (5 k of the default network's 6 k of meta): nothing on the
    # page reads it, and the page parses the meta before it is ready.  models/ keeps it.
    info = {k: v for k, v in network.meta.items() if k not in ("weight_shifts", "history")}
    info.update({"format": "hwd-network", "format_version": 1, "layers": network.sizes,
                 "activations": network.activations, "dtype": "int8", "weight_levels": levels})
    encoded = json.dumps(info).encode("utf-8")
    members["meta"] = npy_bytes("uint8", (len(encoded),), encoded)
    return npz_bytes(members, (zlib.Z_HUFFMAN_ONLY, zlib.Z_DEFAULT_STRATEGY))


def save(network: Network, path: str | os.PathLike, meta: dict | None = None) -> Path:
    """Write ``network`` to ``path`` atomically (a temporary file in the same folder, renamed)."""
    path = Path(path)
    data = network_bytes(network, meta)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
