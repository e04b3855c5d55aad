"""Read networks from ``.npz`` files without numpy.

An ``.npz`` is a zip of ``.npy`` files; an ``.npy`` is a short header (a Python
dict literal giving dtype, order and shape) followed by the raw array bytes.
Two layouts are understood (docs/network-format.md has the spec):

* HWD's own: ``meta`` (UTF-8 JSON as uint8), ``weights_0``, ``biases_0``, ...
* the ancestor's: ``arr_0`` = [learning rate, success rate, epoch, unix time],
  ``arr_1``, ... weight matrices (out, in), no biases, sigmoid everywhere and
  inputs scaled to 0.01-1.0.  It is converted on load to HWD's convention
  (inputs 0-1) by folding the 0.01 offset into biases, so both kinds of network
  share one forward pass.
"""

from __future__ import annotations

import ast
import io
import json
import struct
import zipfile
from pathlib import Path

from .network import Network
from .packed import PackedMatrix

_MAGIC = b"\x93NUMPY"
# numpy dtype letter+size -> struct format character
_STRUCT_CODES = {"f2": "e", "f4": "f", "f8": "d", "u1": "B", "i1": "b", "i2": "h", "i4": "i",
                 "i8": "q"}


class NetworkFileError(ValueError):
    """A network file that cannot be read; the message names the file and the problem."""


class Array:
    """One ``.npy`` member: its raw little/big-endian bytes, dtype, shape and order."""

    def __init__(self, data: bytes, dtype: str, shape: tuple[int, ...], fortran: bool,
                 byteorder: str) -> None:
        self.data, self.dtype, self.shape = data, dtype, shape
        self.fortran, self.byteorder = fortran, byteorder

    @property
    def size(self) -> int:
        """Number of elements."""
        count = 1
        for n in self.shape:
            count *= n
        return count

    @property
    def values(self) -> list:
        """The elements as Python numbers, in storage order."""
        return list(struct.unpack(f"{self.byteorder}{self.size}{_STRUCT_CODES[self.dtype]}",
                                  self.data))

    def rows(self) -> list[list[float]]:
        """A 2-D array as a list of rows, whatever its storage order."""
        if len(self.shape) != 2:
            raise ValueError(f"expected a matrix, got shape {self.shape}")
        n_rows, n_cols = self.shape
        v = self.values
        if self.fortran:
            return [v[j::n_rows] for j in range(n_rows)]
        return [v[i * n_cols:(i + 1) * n_cols] for i in range(n_rows)]


def parse_npy(data: bytes) -> Array:
    """Decode one ``.npy`` file (numeric dtypes, C or Fortran order) into an :class:`Array`."""
    if not data.startswith(_MAGIC) or len(data) < 10:
        raise ValueError("not an .npy array (bad magic bytes)")
    major = data[6]
    if major == 1:
        (header_len,), start = struct.unpack_from("<H", data, 8), 10
    elif major in (2, 3):
        (header_len,), start = struct.unpack_from("<I", data, 8), 12
    else:
        raise ValueError(f"unsupported .npy version {major}")
    try:
        header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
        descr, fortran, shape = header["descr"], header["fortran_order"], tuple(header["shape"])
    except (ValueError, SyntaxError, KeyError, TypeError) as e:
        raise ValueError(f"unreadable .npy header ({e})") from None
    if not isinstance(descr, str) or descr[1:] not in _STRUCT_CODES:
        raise ValueError(f"unsupported dtype {descr!r} (object arrays are never unpickled)")
    array = Array(b"", descr[1:], shape, bool(fortran), ">" if descr[0] == ">" else "<")
    needed = array.size * struct.calcsize(_STRUCT_CODES[array.dtype])
    body = data[start + header_len:]
    if len(body) < needed:
        raise ValueError(f"truncated: shape {shape} needs {needed} bytes, found {len(body)}")
    array.data = body[:needed]
    return array


def read_arrays(source: str | Path | bytes) -> dict[str, Array]:
    """All arrays in an ``.npz`` (a path or the file's bytes), by member name without ``.npy``."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return {m.removesuffix(".npy"): parse_npy(z.read(m)) for m in z.namelist()}
    except FileNotFoundError:
        raise NetworkFileError(f"{name}: no such file") from None
    except zipfile.BadZipFile:
        raise NetworkFileError(f"{name}: not an .npz file (not a zip; truncated?)") from None
    except (ValueError, zipfile.LargeZipFile, EOFError, OSError) as e:
        raise NetworkFileError(f"{name}: {e}") from None


def load(source: str | Path | bytes) -> Network:
    """Read a network (HWD's format or the ancestor's) from a path or bytes."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    arrays = read_arrays(source)
    try:
        if "meta" in arrays:
            return _from_hwd(arrays)
        if "arr_0" in arrays:
            return _from_ancestor(arrays)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise NetworkFileError(f"{name}: {e}") from None
    raise NetworkFileError(f"{name}: not a network file (members: {', '.join(sorted(arrays))})")


def _from_hwd(arrays: dict[str, Array]) -> Network:
    meta = json.loads(arrays["meta"].data.decode("utf-8"))
    if meta.get("format") != "hwd-network":
        raise ValueError(f"meta says format {meta.get('format')!r}, expected 'hwd-network'")
    n = len(meta["activations"])
    missing = [k for l in range(n) for k in (f"weights_{l}", f"biases_{l}") if k not in arrays]
    if missing:
        raise ValueError(f"missing arrays: {', '.join(missing)}")
    shifts = meta.get("weight_shifts") or [None] * n
    weights = [_matrix(arrays[f"weights_{l}"], shifts[l], arrays.get(f"scales_{l}"))
               for l in range(n)]
    biases = [arrays[f"biases_{l}"].values for l in range(n)]
    network = Network(weights, biases, list(meta["activations"]), meta)
    if meta.get("layers") and meta["layers"] != network.sizes:
        raise ValueError(f"meta says layers {meta['layers']}, arrays have {network.sizes}")
    return network


def _matrix(array: Array, shift: int | None, scales: Array | None = None
            ) -> PackedMatrix | list[list[float]]:
    """A weight matrix: int16 fixed point (W = q / 2**shift) and int8 with a scale per row
    (W = q * scales[row]) are packed without unpacking."""
    if array.dtype == "i1":
        return _int8_matrix(array, scales)
    if array.dtype != "i2":
        return array.rows()
    if shift is None:
        raise ValueError("int16 weights need meta['weight_shifts']")
    if array.fortran and array.byteorder == "<" and len(array.shape) == 2:
        return PackedMatrix.from_int16(array.data, *array.shape, shift)
    return [[q * 2.0**-shift for q in row] for row in array.rows()]


def _int8_matrix(array: Array, scales: Array | None) -> PackedMatrix:
    if scales is None or len(array.shape) != 2 or scales.shape != array.shape[:1]:
        raise ValueError(f"int8 weights {array.shape} need a scales array of one value per row")
    if array.fortran:
        return PackedMatrix.from_int8(array.data, *array.shape, scales.values)
    return PackedMatrix.from_rows([[q * s for q in row]
                                   for row, s in zip(array.rows(), scales.values, strict=True)])


def _from_ancestor(arrays: dict[str, Array]) -> Network:
    info = arrays["arr_0"].values
    count = len(arrays) - 1
    if len(info) != 4 or count < 1 or set(arrays) != {f"arr_{i}" for i in range(count + 1)}:
        raise ValueError("arr_0 is not [learning rate, success rate, epoch, time] with weights "
                         "in arr_1...")
    weights = [arrays[f"arr_{l}"].rows() for l in range(1, count + 1)]
    # The ancestor fed 0.01 + 0.99*x; fold that into the first layer so x stays 0-1 and sparse.
    first = weights[0]
    biases = [[0.01 * sum(row) for row in first]] + [[0.0] * len(w) for w in weights[1:]]
    weights[0] = [[0.99 * v for v in row] for row in first]
    rate = info[1] / 100 if info[1] > 1 else info[1]
    meta = {"format": "ancestor", "learning_rate": info[0], "test_accuracy": rate,
            "epoch": int(info[2]), "created_unix": info[3]}
    activations = ["sigmoid"] * (count - 1) + ["normalized_sigmoid"]
    return Network(weights, biases, activations, meta)
