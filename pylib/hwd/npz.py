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

Every file is checked within limits before memory is spent on it: the zip's directory and
each member's declared size before inflating, each ``.npy`` header (read by a strict
pattern, never evaluated) and shape before allocating; then the network must be usable:
784 inputs, 10 outputs, finite weights and biases.  Anything else is a
:class:`NetworkFileError` naming the file.  docs/limits.md lists the limits.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
from pathlib import Path

from .inputs import InputError, parse_json
from .network import Network
from .packed import PackedMatrix

_MAGIC = b"\x93NUMPY"
# numpy dtype letter+size -> struct format character
_STRUCT_CODES = {"f2": "e", "f4": "f", "f8": "d", "u1": "B", "i1": "b", "i2": "h", "i4": "i",
                 "i8": "q"}


# Limits, far above any sensible digit network (the shipped best has 1.29 M parameters,
# 2.6 MB): they bound the memory and time one file can cost.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 64
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 1024  # the zip's central directory
MAX_PARAMETERS = 5_000_000  # elements in all arrays together
MAX_INFLATED_BYTES = 8 * MAX_PARAMETERS + 1024 * 1024  # all members, inflated
MAX_HEADER = 10_000  # bytes of an .npy header (numpy's own limit)
MAX_SHIFT = 64  # |weight_shifts[l]|: int16 weights are q / 2**shift
INPUTS, OUTPUTS = 784, 10  # a digit network reads 28x28 pixels and scores ten digits
OUTPUT_ACTIVATIONS = ("softmax", "normalized_sigmoid")
_FLOAT_DTYPES = ("f2", "f4", "f8")
# An .npy header is a Python dict literal; we match it instead of evaluating it.
_HEADER_ITEM = (r"'(\w{1,20})'\s*:\s*('[^']{0,20}'|True|False"
                r"|\(\s*(?:\d{1,12}\s*,\s*)*(?:\d{1,12}\s*)?\))")
_HEADER = re.compile(rf"\{{\s*(?:{_HEADER_ITEM}\s*,\s*)*(?:{_HEADER_ITEM}\s*)?\}}\s*")


class NetworkFileError(InputError):
    """A network file that cannot be read or used; the message names the file and the problem."""


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
    if header_len > MAX_HEADER:
        raise ValueError(f".npy header of {header_len} bytes; at most {MAX_HEADER} allowed")
    descr, fortran, shape = _parse_header(data[start:start + header_len].decode("latin1"))
    if descr[1:] not in _STRUCT_CODES:
        raise ValueError(f"unsupported dtype {descr!r} (object arrays are never unpickled)")
    array = Array(b"", descr[1:], shape, fortran, ">" if descr[0] == ">" else "<")
    needed = array.size * struct.calcsize(_STRUCT_CODES[array.dtype])
    body = data[start + header_len:]
    if len(body) < needed:
        raise ValueError(f"truncated: shape {shape} needs {needed} bytes, found {len(body)}")
    array.data = body[:needed]
    return array


def _parse_header(text: str) -> tuple[str, bool, tuple[int, ...]]:
    """(descr, fortran_order, shape) of an .npy header, checked against the limits."""
    if not _HEADER.fullmatch(text):
        raise ValueError(f"unreadable .npy header {text[:60]!r}")
    items = re.findall(_HEADER_ITEM, text)
    header = dict(items)
    if len(items) != 3 or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError(f"unreadable .npy header {text[:60]!r}")
    if not header["descr"].startswith("'"):
        raise ValueError(f"unreadable .npy header {text[:60]!r}")
    if header["fortran_order"] not in ("True", "False"):
        raise ValueError(f"unreadable .npy header {text[:60]!r}")
    shape = tuple(int(n) for n in re.findall(r"\d+", header["shape"]))
    if not 1 <= len(shape) <= 2 or not all(1 <= n <= MAX_PARAMETERS for n in shape) or (
            math.prod(shape) > MAX_PARAMETERS):
        raise ValueError(f"shape {shape}: an array needs 1 or 2 non-zero dimensions and at "
                         f"most {MAX_PARAMETERS:,} elements")
    return header["descr"].strip("'"), header["fortran_order"] == "True", shape


def _check_zip_directory(raw: bytes) -> None:
    """Refuse, before zipfile reads it, a central directory that would cost memory: too
    large, or zip64 (a network file never needs 4 GB or 65,535 members)."""
    # Where zipfile looks: a record with no comment at the very end, else the last signature.
    end = len(raw) - 22
    if end < 0 or raw[end:end + 4] != b"PK\x05\x06" or raw[-2:] != b"\0\0":
        end = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 22 - 65535))
    if end < 0 or len(raw) - end < 22:
        raise zipfile.BadZipFile
    (directory_bytes,) = struct.unpack_from("<I", raw, end + 12)
    if directory_bytes > MAX_DIRECTORY_BYTES or raw[max(0, end - 20):end].startswith(
            b"PK\x06\x07"):
        raise ValueError(f"the zip directory is too large (more than {MAX_MEMBERS} members?)")


def _read_members(z: zipfile.ZipFile) -> dict[str, Array]:
    """Parse each member, after checking the declared sizes (inflating stops at them)."""
    members = z.infolist()
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"{len(members)} members; at most {MAX_MEMBERS} allowed")
    declared = sum(m.file_size for m in members)
    if declared > MAX_INFLATED_BYTES:
        raise ValueError(f"members inflate to {declared:,} bytes; at most "
                         f"{MAX_INFLATED_BYTES:,} allowed")
    arrays, elements = {}, 0
    for m in members:
        try:
            with z.open(m) as member:  # a bounded read: z.read() inflates all it is given
                data = member.read(m.file_size)
        except Exception as e:  # zlib, bz2, lzma and zipfile each raise their own errors
            raise ValueError(f"{m.filename[:40]}: cannot inflate ({e})") from None
        try:
            array = parse_npy(data)
        except ValueError as e:
            raise ValueError(f"{m.filename[:40]}: {e}") from None
        elements += array.size
        if elements > MAX_PARAMETERS:
            raise ValueError(f"more than {MAX_PARAMETERS:,} numbers in all")
        arrays[m.filename.removesuffix(".npy")] = array
    return arrays


def read_arrays(source: str | Path | bytes) -> dict[str, Array]:
    """All arrays in an ``.npz`` (a path or the file's bytes), by member name without ``.npy``."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{size:,} bytes; a network file may have at most "
                             f"{MAX_FILE_BYTES:,}")
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        _check_zip_directory(raw)
        # Member names as UTF-8, which .npz names are (ASCII): zipfile's default for names
        # without the UTF-8 flag, cp437, is one more module to compile on the page's start.
        with zipfile.ZipFile(io.BytesIO(raw), metadata_encoding="utf-8") as z:
            return _read_members(z)
    except FileNotFoundError:
        raise NetworkFileError(f"{name}: no such file") from None
    except (zipfile.BadZipFile, NotImplementedError):
        raise NetworkFileError(f"{name}: not an .npz file (not a zip; truncated?)") from None
    except UnicodeDecodeError:
        raise NetworkFileError(f"{name}: a member's name is not UTF-8 text") from None
    except (ValueError, zipfile.LargeZipFile, EOFError, OSError) as e:
        raise NetworkFileError(f"{name}: {e}") from None


def load(source: str | Path | bytes) -> Network:
    """Read a network (HWD's format or the ancestor's) from a path or bytes."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    arrays = read_arrays(source)
    try:
        for member, array in arrays.items():
            if array.dtype in _FLOAT_DTYPES:
                _finite(array.values, member)
        if "meta" in arrays:
            return _usable(_from_hwd(arrays))
        if "arr_0" in arrays:
            return _usable(_from_ancestor(arrays))
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise NetworkFileError(f"{name}: {e}") from None
    raise NetworkFileError(f"{name}: not a network file (members: "
                           f"{', '.join(sorted(arrays))[:200]})")


def _usable(network: Network) -> Network:
    """The network, if it can recognize digits: 784 inputs, 10 probabilities out."""
    if network.sizes[0] != INPUTS:
        raise ValueError(f"the first layer takes {network.sizes[0]} inputs, not {INPUTS} "
                         f"(28x28 pixels)")
    if network.sizes[-1] != OUTPUTS:
        raise ValueError(f"the output layer has {network.sizes[-1]} neurons, not {OUTPUTS}")
    if network.activations[-1] not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"the output activation is {network.activations[-1]}, not one that "
                         f"gives probabilities ({', '.join(OUTPUT_ACTIVATIONS)})")
    return network


def _finite(values: list, what: str) -> list:
    """``values`` if every one is finite (NaN or infinity would poison every answer)."""
    if not all(map(math.isfinite, values)):
        raise ValueError(f"{what} holds NaN or infinity")
    return values


def _meta(array: Array) -> dict:
    """The ``meta`` member: a JSON object, within the JSON limits of :mod:`hwd.inputs`."""
    meta = parse_json(array.data, "meta")
    if not isinstance(meta, dict):
        raise ValueError(f"meta is a JSON {type(meta).__name__}, not an object")
    activations = meta.get("activations")
    if (not isinstance(activations, list) or not 1 <= len(activations) <= MAX_MEMBERS
            or not all(isinstance(a, str) for a in activations)):
        raise ValueError("meta's activations must be a list of names, one per layer")
    shifts = meta.get("weight_shifts")
    if shifts is not None and (
            not isinstance(shifts, list) or len(shifts) != len(activations)
            or not all(type(s) is int and abs(s) <= MAX_SHIFT for s in shifts)):
        raise ValueError(f"meta's weight_shifts must be one integer in [-{MAX_SHIFT}, "
                         f"{MAX_SHIFT}] per layer")
    accuracy = meta.get("test_accuracy")
    if accuracy is not None and (isinstance(accuracy, bool) or not isinstance(
            accuracy, int | float) or not 0 <= accuracy <= 1):
        raise ValueError("meta's test_accuracy must be a number in [0, 1]")
    return meta


def _from_hwd(arrays: dict[str, Array]) -> Network:
    meta = _meta(arrays["meta"])
    if meta.get("format") != "hwd-network":
        raise ValueError(f"meta says format {str(meta.get('format'))[:40]!r}, "
                         f"expected 'hwd-network'")
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
    row_scales = scales.values  # finite: load() checks every float member
    if array.fortran:
        return PackedMatrix.from_int8(array.data, *array.shape, row_scales)
    return PackedMatrix.from_rows([[q * s for q in row]
                                   for row, s in zip(array.rows(), row_scales, strict=True)])


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
            "epoch": int(info[2])}
    if 0 <= info[3] < 1e11:  # a time the platform can show (else it is not one)
        meta["created_unix"] = info[3]
    activations = ["sigmoid"] * (count - 1) + ["normalized_sigmoid"]
    return Network(weights, biases, activations, meta)
