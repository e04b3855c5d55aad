"""Write networks as ``.npz`` files with the standard library: the inverse of ``npz.py``.

The page needs it to hand a person the network it adapted to their handwriting, with
no numpy in the browser.  Each weight matrix is written as it is held in memory:
int16 fixed-point matrices (the shipped networks) as int16 with their ``weight_shifts``,
any other as float32, both in Fortran order (column by column), the layout
``hwd.load`` packs fastest.  Biases are float32.  docs/network-format.md has the spec.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import zipfile
from pathlib import Path

from . import __version__
from .network import Network
from .packed import LANE_BYTES, PackedMatrix

_DESCR = {"int16": "<i2", "float32": "<f4", "uint8": "|u1"}
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))


def npy_bytes(dtype: str, shape: tuple[int, ...], data: bytes, fortran: bool = False) -> bytes:
    """One ``.npy`` file (format 1.0): magic, a header padded to 64 bytes, the raw data."""
    header = (f"{{'descr': '{_DESCR[dtype]}', 'fortran_order': {fortran}, "
              f"'shape': ({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}), }}")
    padding = 64 - (10 + len(header) + 1) % 64
    header = header + " " * padding + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def npz_bytes(members: dict[str, bytes]) -> bytes:
    """A deflated zip of ``.npy`` members, as ``numpy.savez_compressed`` writes it, but with a
    fixed timestamp: the same network always gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), data,
                       zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _is_int16(matrix: PackedMatrix) -> bool:
    """Whether ``matrix`` was packed from int16 fixed point (its lanes' offset is 2**15)."""
    return matrix.offset == 1 << 15


def _lanes(matrix: PackedMatrix) -> bytes:
    """Every column's lanes, column after column (Fortran order), little-endian."""
    return b"".join(c.to_bytes(LANE_BYTES * matrix.n_out, "little") for c in matrix.columns)


def int16_npy(matrix: PackedMatrix) -> bytes:
    """An int16-packed W as int16 in Fortran order: each lane's low two bytes hold q + 2**15."""
    lanes = _lanes(matrix)
    data = bytearray(len(lanes) // 4)
    data[0::2] = lanes[0::LANE_BYTES]
    data[1::2] = lanes[1::LANE_BYTES].translate(_FLIP_SIGN)
    return npy_bytes("int16", matrix.shape, bytes(data), fortran=True)


def float32_npy(matrix: PackedMatrix) -> bytes:
    """W as float32 in Fortran order."""
    n_out, n_in = matrix.shape
    unit, offset = 2.0**-matrix.shift, matrix.offset
    values = [(q - offset) * unit for q in struct.unpack(f"<{n_out * n_in}Q", _lanes(matrix))]
    return npy_bytes("float32", matrix.shape, struct.pack(f"<{len(values)}f", *values), True)


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
