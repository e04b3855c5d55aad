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

import math
import re
import struct
import zlib
from pathlib import Path

from .deskew import meta_strength
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


# The zip records read (APPNOTE.TXT): the end of the central directory, a directory entry,
# a member's local header.  Members are stored or deflated, as numpy and hwd.npzwrite write.
_END_RECORD = struct.Struct("<4s4H2IH")
_DIRECTORY_ENTRY = struct.Struct("<4s6H3I5H2I")
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
_STORED, _DEFLATED = 0, 8


class _NotAZip(ValueError):
    """Not a zip file, or a truncated one."""


def _zip_directory(raw: bytes) -> list[tuple[str, int, int, int, int, int, int]]:
    """The members the zip's central directory lists, as (name, flags, method, crc,
    compressed size, size, local header offset), after refusing a directory that would cost
    memory: too large, or zip64 (a network file never needs 4 GB or 65,535 members)."""
    # Where zipfile looks: a record with no comment at the very end, else the last signature.
    end = len(raw) - _END_RECORD.size
    if end < 0 or raw[end:end + 4] != b"PK\x05\x06" or raw[-2:] != b"\0\0":
        end = raw.rfind(b"PK\x05\x06", max(0, len(raw) - _END_RECORD.size - 65535))
    if end < 0 or len(raw) - end < _END_RECORD.size:
        raise _NotAZip
    *_, directory_bytes, at, _ = _END_RECORD.unpack_from(raw, end)
    if directory_bytes > MAX_DIRECTORY_BYTES or raw[max(0, end - 20):end].startswith(
            b"PK\x06\x07"):
        raise ValueError(f"the zip directory is too large (more than {MAX_MEMBERS} members?)")
    members, directory_end = [], at + directory_bytes
    while at < directory_end:
        if at + _DIRECTORY_ENTRY.size > len(raw):
            raise _NotAZip
        (signature, _, _, flags, method, _, _, crc, compressed, size, name_length, extra_length,
         comment_length, _, _, _, offset) = _DIRECTORY_ENTRY.unpack_from(raw, at)
        if signature != b"PK\x01\x02":
            raise _NotAZip
        at += _DIRECTORY_ENTRY.size
        # UTF-8, which .npz names are (ASCII); zipfile would take cp437 for names without the
        # UTF-8 flag (one more module to compile on the page's start)
        name = raw[at:at + name_length].decode("utf-8")
        members.append((name, flags, method, crc, compressed, size, offset))
        at += name_length + extra_length + comment_length
    return members


def _member_bytes(raw: bytes, flags: int, method: int, crc: int, compressed: int, size: int,
                  offset: int) -> bytes:
    """A member's bytes, stored or inflated: at most the ``size`` its entry declares (the
    rest of a longer stream is never inflated), and their CRC-32 checked."""
    if offset + _LOCAL_HEADER.size > len(raw) or raw[offset:offset + 4] != b"PK\x03\x04":
        raise _NotAZip
    *_, name_length, extra_length = _LOCAL_HEADER.unpack_from(raw, offset)
    start = offset + _LOCAL_HEADER.size + name_length + extra_length
    data = raw[start:start + compressed]
    if len(data) < compressed:
        raise _NotAZip
    if flags & 1:
        raise ValueError("it is encrypted")
    if method == _DEFLATED:
        try:  # (a max_length of 0 would mean no limit)
            data = zlib.decompressobj(-15).decompress(data, size) if size else b""
        except zlib.error as e:
            raise ValueError(str(e)) from None
    elif method != _STORED:
        raise ValueError(f"its compression method is not supported ({method})")
    if len(data) != size:
        raise ValueError(f"{len(data):,} bytes, not the {size:,} declared")
    if zlib.crc32(data) != crc:
        raise ValueError("Bad CRC-32")
    return data


def _read_members(raw: bytes) -> dict[str, Array]:
    """Parse each member, after checking the declared sizes (inflating stops at them)."""
    members = _zip_directory(raw)
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"{len(members)} members; at most {MAX_MEMBERS} allowed")
    declared = sum(size for *_, size, _ in members)
    if declared > MAX_INFLATED_BYTES:
        raise ValueError(f"members inflate to {declared:,} bytes; at most "
                         f"{MAX_INFLATED_BYTES:,} allowed")
    arrays, elements = {}, 0
    for name, *entry in members:
        try:
            data = _member_bytes(raw, *entry)
        except _NotAZip:
            raise
        except ValueError as e:
            raise ValueError(f"{name[:40]}: cannot inflate ({e})") from None
        try:
            array = parse_npy(data)
        except ValueError as e:
            raise ValueError(f"{name[:40]}: {e}") from None
        elements += array.size
        if elements > MAX_PARAMETERS:
            raise ValueError(f"more than {MAX_PARAMETERS:,} numbers in all")
        arrays[name.removesuffix(".npy")] = array
    return arrays


def read_arrays(source: str | Path | bytes) -> dict[str, Array]:
    """All arrays in an ``.npz`` (a path or the file's bytes), by member name without ``.npy``.

    The zip is read here with ``struct`` and ``zlib``, not ``zipfile``: the page would
    otherwise import ``zipfile`` before it is ready, only to read ten members (~70 ms of
    CPU in the browser when the library was compiled there; 8-15 ms in Node now that it
    ships as bytecode)."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{size:,} bytes; a network file may have at most "
                             f"{MAX_FILE_BYTES:,}")
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        return _read_members(raw)
    except FileNotFoundError:
        raise NetworkFileError(f"{name}: no such file") from None
    except _NotAZip:
        raise NetworkFileError(f"{name}: not an .npz file (not a zip; truncated?)") from None
    except UnicodeDecodeError:
        raise NetworkFileError(f"{name}: a member's name is not UTF-8 text") from None
    except (ValueError, OSError) as e:
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
    if meta.get("format") != "hwd-network":
        raise ValueError(f"meta says format {str(meta.get('format'))[:40]!r}, "
                         f"expected 'hwd-network'")
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
    meta_strength(meta)  # an input transform the network asks for must be one hwd can do
    return meta


def _from_hwd(arrays: dict[str, Array]) -> Network:
    meta = _meta(arrays["meta"])
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
