"""Hostile and unlucky input, one class at a time: each case ends in a one-line error.

The command-line cases run ``python -m hwd recognize`` in a subprocess whose address space
is capped (``MEMORY``) and whose run time is capped (``SECONDS``): exit status 2, one line on
stderr, no traceback, within both.  The API cases call what the page and the server call
(``hwd.strokes_to_pixels``, ``hwd.parse_wire``, ``hwd.load``, ...) and expect an
:class:`hwd.inputs.InputError` (a ``ValueError``).  The files are made here (bombs.py):
small to write, huge when decoded.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import bombs
import numpy as np
import pytest
from helpers import ROOT

import hwd
from hwd.inputs import InputError
from hwd.npzwrite import npy_bytes, npz_bytes
from hwd.wire import request_pixels

MEMORY = 768 * 1024 * 1024  # bytes of address space for one hwd process
SECONDS = 60  # generous: two shared cores; a case that hangs or swaps fails here
QUICK = str(ROOT / "models" / "quick.npz")
WIRE = ",".join(["-1"] * 784)
DEEP = 100_000


def hwd_limited(*args: str, stdin: bytes = b"") -> tuple[subprocess.CompletedProcess, float]:
    """``python -m hwd ARGS`` with MEMORY and SECONDS as hard limits; (result, seconds)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "hwd", *args], input=stdin,
                            capture_output=True, cwd=ROOT, timeout=SECONDS, preexec_fn=limit,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "pylib")})
    return result, time.perf_counter() - start


def assert_one_line_error(result: subprocess.CompletedProcess, message: str) -> None:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr[-2000:]
    assert message in stderr, stderr


# --- the command line: JSON and numbers ----------------------------------------------------------

def strokes_json(point: str) -> bytes:
    return f'{{"strokes": [[[0, 0], {point}]]}}'.encode()


CLI_JSON = {
    "imgdata null": (b'{"imgdata": null}', "expected a list of 784 numbers, got null"),
    "bare 5": (b"5", "expected 784 comma-separated values"),
    "bare true": (b"true", "expected 784 comma-separated values"),
    "JSON string": (b'"7"', "expected 784 comma-separated values"),
    "imgdata 5": (b'{"imgdata": 5}', "got 5"),
    "imgdata true": (b'{"imgdata": true}', "got a boolean"),
    "imgdata and strokes": (b'{"imgdata": [], "strokes": []}', "exactly one of"),
    "empty object": (b"{}", "exactly one of"),
    "strokes 5": (b'{"strokes": 5}', "strokes must be a list"),
    "5,000-digit integer in imgdata": (
        json.dumps({"imgdata": [0] * 783}).encode()[:-1] + b", " + b"9" * 5000 + b"]",
        "too large (more than 40 characters)"),
    "5,000-digit integer in strokes": (strokes_json("[" + "9" * 5000 + ", 1]"),
                                       "too large (more than 40 characters)"),
    "400-digit coordinate": (strokes_json("[" + "9" * 400 + ", 1]"),
                             "too large (more than 40 characters)"),
    "30-digit coordinate": (strokes_json("[" + "9" * 30 + ", 1]"), "outside"),
    "1e400 coordinate": (strokes_json("[1e400, 1]"), "not finite"),
    "NaN coordinate": (strokes_json("[NaN, 1]"), "NaN is not a number JSON allows"),
    "Infinity in imgdata": (b'{"imgdata": [Infinity]}', "Infinity is not a number"),
    "boolean coordinate": (strokes_json("[true, 1]"), "x is not a number but a boolean"),
    "string coordinate": (strokes_json('["1", 1]'), "x is not a number but the string"),
    "point of one number": (strokes_json("[1]"), "with x and y"),
    "point that is a number": (strokes_json("1"), "with x and y"),
    "JSON nested 100,000 deep": (b"[" * DEEP + b"]" * DEEP, "nested 100000 deep"),
    "objects nested 100,000 deep": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "nested"),
    "strokes nested 2,000 deep": (b'{"strokes": ' + b"[" * 2000 + b"]" * 2000 + b"}",
                                  "nested 2001 deep"),
    "invalid UTF-8": (b'{"strokes": [[[0, 0]]], "x": "\xff\xfe"}', "not UTF-8"),
    "UTF-16 text": ('{"strokes": [[[0, 0]]]}'.encode("utf-16"), "not UTF-8"),
    "2 MB of input": (b"[" + b"0," * 1_000_000 + b"0]", "longer than 1048576 bytes"),
    "unterminated JSON": (b'{"strokes": [[[0, 0]', "not valid JSON"),
    "10,001 points": (json.dumps({"strokes": [[[i, i] for i in range(10_001)]]}).encode(),
                      "too many points: 10001"),
    "zigzag of 10,000 points": (
        json.dumps({"strokes": [[[i % 2 * 1000, i / 10] for i in range(10_000)]]}).encode(),
        "segments after simplification"),
    "10,000 one-point strokes": (json.dumps({"strokes": [[[i, i]] for i in range(10_000)]})
                                 .encode(), "segments after simplification"),
    "empty drawing": (b'{"strokes": [[], []]}', "empty"),
}

# Wire text: the ASCII decimal numbers the format defines, nothing float() also takes.
CLI_WIRE = {
    "fullwidth digits": (",".join(["-1"] * 783 + ["\uff11"]), "value 783 is not a number"),
    "Arabic-Indic digits": (",".join(["\u0661"] + ["-1"] * 783), "value 0 is not a number"),
    "underscore in a number": (",".join(["-1"] * 783 + ["0_5"]), "value 783 is not a number"),
    "nan": (",".join(["nan"] * 784), "not finite"),
    "infinity": (",".join(["-Infinity"] * 784), "not finite"),
    "400-digit value": (",".join(["-1"] * 783 + ["9" * 400]), "value 783 is not a number"),
    "NUL bytes": (",".join(["\0"] * 784), "value 0 is not a number"),
    "783 values": (",".join(["-1"] * 783), "got 783"),
}


@pytest.mark.parametrize("case", CLI_JSON)
def test_cli_json_and_numbers(case: str) -> None:
    stdin, message = CLI_JSON[case]
    assert_one_line_error(hwd_limited("recognize", "--network", QUICK, stdin=stdin)[0], message)


@pytest.mark.parametrize("case", CLI_WIRE)
def test_cli_wire_text(case: str) -> None:
    text, message = CLI_WIRE[case]
    assert_one_line_error(hwd_limited("recognize", "--network", QUICK,
                                      stdin=text.encode())[0], message)


def test_wire_text_starting_with_minus_one_as_an_argument() -> None:
    """The README's form: ``hwd recognize "$(cat wire.txt)"``; real wire text starts with -1."""
    text = hwd.format_wire(hwd.strokes_to_pixels([[[10, 10], [60, 10], [30, 90]]]))
    assert text.startswith("-1")
    for args in (["recognize", text, "--network", QUICK, "--json"],
                 ["recognize", "--json", "--network", QUICK, text]):
        result, _ = hwd_limited(*args)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["digit"] == 7


# --- the command line: images and files ----------------------------------------------------------

def test_cli_images_and_files(tmp_path) -> None:
    """Decompression bombs are refused from their header; broken files in one line."""
    from PIL import Image

    (tmp_path / "bomb20k.png").write_bytes(bombs.png_bomb(20_000))
    (tmp_path / "bomb10k.png").write_bytes(bombs.png_bomb(10_000))
    (tmp_path / "cut.png").write_bytes(bombs.png_bomb(100)[:60])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not a png")
    Image.new("L", (100, 100), 255).save(tmp_path / "blank.png")
    (tmp_path / "big.json").write_bytes(b" " * 2_000_000)
    (tmp_path / "binary.json").write_bytes(bytes(range(256)))
    cases = {
        "bomb20k.png": "more than 50,000,000 pixels",
        "bomb10k.png": "10000x10000 pixels; at most 50,000,000",
        "cut.png": "unreadable image",
        "empty.png": "unreadable image",
        "text.png": "unreadable image",
        "blank.png": "no ink",
        "big.json": "longer than 1048576 bytes",
        "binary.json": "not UTF-8",
        "x" * 5000: "no such file",
        str(tmp_path): "no such file",  # a folder
    }
    for name, message in cases.items():
        result, _ = hwd_limited("recognize", str(tmp_path / name), "--network", QUICK)
        assert_one_line_error(result, message)


def test_a_big_photo_is_downscaled_cheaply(tmp_path) -> None:
    """A 4000x3000 JPEG (a phone photo) of a 7 is shrunk before the pure-Python steps."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (4000, 3000), 235)
    ImageDraw.Draw(image).line([(1500, 700), (2500, 700), (1800, 2300)], fill=20, width=140)
    image.save(tmp_path / "photo.jpg", quality=90)
    result, _ = hwd_limited("recognize", str(tmp_path / "photo.jpg"), "--network", QUICK,
                            "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["digit"] == 7


# --- network files ------------------------------------------------------------------------------

def hwd_member(name: str, dtype: str, array: np.ndarray) -> bytes:
    return npy_bytes(dtype, array.shape, array.astype(dtype).tobytes())


def network_members(layers=(784, 10), activations=None, meta=None, weight=None,
                    bias=None) -> dict[str, bytes]:
    """The members of a small float32 network, with any part replaced."""
    rng = np.random.default_rng(0)
    sizes = list(layers)
    activations = activations or ["relu"] * (len(sizes) - 2) + ["softmax"]
    members = {}
    for l in range(len(sizes) - 1):
        w = rng.normal(0, 0.1, (sizes[l + 1], sizes[l])).astype("float32")
        b = np.zeros(sizes[l + 1], "float32")
        if weight is not None and l == 0:
            w[0, 0] = weight
        if bias is not None and l == len(sizes) - 2:
            b[-1] = bias
        members[f"weights_{l}"] = hwd_member("w", "float32", w)
        members[f"biases_{l}"] = hwd_member("b", "float32", b)
    info = meta if meta is not None else json.dumps(
        {"format": "hwd-network", "layers": sizes, "activations": activations}).encode()
    members["meta"] = npy_bytes("uint8", (len(info),), info)
    return members


def with_meta(meta: object) -> bytes:
    return npz_bytes(network_members(meta=json.dumps(meta).encode()))


def header(shape: str, descr: str = "<f4") -> str:
    return f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"


def zip_bomb(declared: int, mib: int) -> bytes:
    """A weights member that inflates to ``mib`` MiB, declaring ``declared`` bytes."""
    return bombs.zip_bytes([("weights_0.npy", bombs.zeros_deflated(mib), declared, 0)])


def meta_nested(depth: int) -> bytes:
    text = b'{"format": "hwd-network", "x": ' + b"[" * depth + b"]" * depth + b"}"
    return npz_bytes({**network_members(), "meta": npy_bytes("uint8", (len(text),), text)})


def method(data: bytes, number: int) -> bytes:
    """A zip whose members claim compression method ``number`` (99: AES, 14: lzma)."""
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        data = data.replace(signature, b"@@@@")
        parts = data.split(b"@@@@")
        data = parts[0] + b"".join(signature + p[:offset - 4] + number.to_bytes(2, "little")
                                   + p[offset - 2:] for p in parts[1:])
    return data


def encrypted(data: bytes) -> bytes:
    """A zip whose members all say they are encrypted (general-purpose flag bit 0)."""
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data = data.replace(signature, b"@@@@")
        parts = data.split(b"@@@@")
        data = parts[0] + b"".join(signature + p[:offset - 4] + bytes([p[offset - 4] | 1])
                                   + p[offset - 3:] for p in parts[1:])
    return data


def lying_end_record() -> bytes:
    """An end-of-directory record whose own comment holds another end-record signature."""
    data = npz_bytes(network_members())
    return data[:-2] + (26).to_bytes(2, "little") + b"PK\x05\x06" + bytes(22)


NETWORK_FILES = {
    "zip bomb: 3 MB inflating to 3.1 GB": (lambda: zip_bomb(3100 * bombs.MIB, 3100),
                                           "inflate to 3,250,585,600 bytes"),
    "zip bomb declaring 1 KB": (lambda: zip_bomb(1024, 3100), "Bad CRC-32"),
    "zip bomb declaring 0 bytes": (lambda: zip_bomb(0, 3100), "bad magic bytes"),
    "shape (100000000, 0)": (lambda: npz_bytes({"w": bombs.npy(header("(100000000, 0)"))}),
                             "non-zero dimensions"),
    "shape (100000, 100000)": (lambda: npz_bytes({"w": bombs.npy(header("(100000, 100000)"))}),
                               "at most 5,000,000 elements"),
    "shape (-1,)": (lambda: npz_bytes({"w": bombs.npy(header("(-1,)"))}), "unreadable .npy"),
    "shape ('a', 784)": (lambda: npz_bytes({"w": bombs.npy(header("('a', 784)"))}),
                         "unreadable .npy"),
    "shape of 3 dimensions": (lambda: npz_bytes({"w": bombs.npy(header("(2, 2, 2)"))}),
                              "1 or 2 non-zero dimensions"),
    "30,000 unary minus signs": (lambda: npz_bytes({"w": bombs.npy(
        header("(" + "-" * 30000 + "1,)"))}), "at most 10000 allowed"),
    "9,000 unary minus signs": (lambda: npz_bytes({"w": bombs.npy(
        header("(" + "-" * 9000 + "1,)"))}), "unreadable .npy"),
    "a call in the header": (lambda: npz_bytes({"w": bombs.npy(
        "{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (1,), }")}),
        "unreadable .npy"),
    "object dtype": (lambda: npz_bytes({"w": bombs.npy(header("(1,)", "|O"))}),
                     "unsupported dtype"),
    "4 GB header length": (lambda: npz_bytes({"w": b"\x93NUMPY\x02\x00\xff\xff\xff\xff"}),
                           "at most 10000 allowed"),
    "200 members": (lambda: npz_bytes({f"m{i}": bombs.npy(header("(1,)")) for i in range(200)}),
                    "200 members; at most 64 allowed"),
    "2,000 members": (lambda: npz_bytes({f"m{i}": b"" for i in range(2000)}),
                      "zip directory is too large"),
    "corrupt deflate data": (lambda: bombs.zip_bytes([("meta.npy", b"\xff" * 64, 1000, 0)]),
                             "meta.npy: cannot inflate"),
    "encrypted member": (lambda: encrypted(npz_bytes(network_members())), "cannot inflate"),
    "unknown compression method": (lambda: method(npz_bytes(network_members()), 99),
                                   "compression method is not supported"),
    "lzma member, corrupt": (lambda: method(npz_bytes(network_members()), 14),
                             "cannot inflate"),
    "end record inside the end record": (lying_end_record, "members: )"),
    "meta a JSON list": (lambda: with_meta([1, 2]), "meta is a JSON list"),
    "meta a JSON string": (lambda: with_meta("hwd-network"), "meta is a JSON str"),
    "meta nested 100,000 deep": (lambda: meta_nested(DEEP), "nested 100001 deep"),
    "meta not UTF-8": (lambda: npz_bytes({**network_members(),
                                          "meta": npy_bytes("uint8", (2,), b"\xff\xfe")}),
                       "not UTF-8"),
    "weight_shifts -2000": (lambda: with_meta({"format": "hwd-network", "activations":
                                               ["softmax"], "weight_shifts": [-2000]}),
                            "weight_shifts must be one integer"),
    "weight_shifts 'ab'": (lambda: with_meta({"format": "hwd-network", "activations":
                                              ["softmax"], "weight_shifts": "ab"}),
                           "weight_shifts must be one integer"),
    "activations 5": (lambda: with_meta({"format": "hwd-network", "activations": 5}),
                      "activations must be a list"),
    "test_accuracy a string": (lambda: with_meta({"format": "hwd-network", "activations":
                                                  ["softmax"], "test_accuracy": "high"}),
                               "test_accuracy must be a number"),
    "input_transform 'rotate'": (lambda: with_meta({"format": "hwd-network", "activations":
                                                    ["softmax"], "input_transform": "rotate"}),
                                 "input_transform 'rotate' is not known"),
    "deskew_strength 2": (lambda: with_meta({"format": "hwd-network", "activations": ["softmax"],
                                             "input_transform": "deskew",
                                             "deskew_strength": 2}),
                          "deskew_strength must be a number in (0, 1]"),
    "an inf weight": (lambda: npz_bytes(network_members(weight=np.inf)), "NaN or infinity"),
    "a NaN weight": (lambda: npz_bytes(network_members(weight=np.nan)), "NaN or infinity"),
    "an inf bias": (lambda: npz_bytes(network_members(bias=np.inf)), "NaN or infinity"),
    "first layer of 100 inputs": (lambda: npz_bytes(network_members(layers=(100, 10))),
                                  "takes 100 inputs, not 784"),
    "output 19 wide": (lambda: npz_bytes(network_members(layers=(784, 30, 19))),
                       "has 19 neurons, not 10"),
    "output relu": (lambda: npz_bytes(network_members(activations=["relu"])),
                    "output activation is relu"),
    "unknown activation": (lambda: npz_bytes(network_members(activations=["tanh"])),
                           "unknown activation"),
}


@pytest.mark.parametrize("case", NETWORK_FILES)
def test_network_files(case: str, tmp_path) -> None:
    make, message = NETWORK_FILES[case]
    path = tmp_path / "hostile.npz"
    path.write_bytes(make())
    result, _ = hwd_limited("recognize", "--network", str(path), stdin=WIRE.encode())
    assert_one_line_error(result, message)
    assert str(path) in result.stderr.decode()
    with pytest.raises(hwd.NetworkFileError, match="<bytes>"):  # what the page does
        hwd.load(path.read_bytes())


def test_network_file_over_the_size_limit(tmp_path) -> None:
    path = tmp_path / "huge.npz"
    with path.open("wb") as f:
        f.truncate(hwd.npz.MAX_FILE_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(hwd.NetworkFileError, match="a network file may have at most"):
        hwd.load(path)


# --- the API the page and the server call ----------------------------------------------------------

API = {
    "strokes None": (lambda: hwd.strokes_to_pixels(None), "strokes must be a list"),
    "strokes of numbers": (lambda: hwd.strokes_to_pixels([1, 2]), "strokes must be a list"),
    "point of a huge integer": (lambda: hwd.strokes_to_pixels([[[10**400, 0]]]), "too large"),
    "point nested 2,000 deep": (lambda: hwd.strokes_to_pixels([[nested(2000)]]), "x and y"),
    "point a dict": (lambda: hwd.strokes_to_pixels([[{"x": 1, "y": 2}]]), "x and y"),
    "wire list of strings": (lambda: hwd.wire.from_wire(["0"] * 784), "not a number"),
    "wire not a list": (lambda: hwd.wire.from_wire(None), "expected a list"),
    "wire text fullwidth": (lambda: hwd.parse_wire(",".join(["\uff10"] * 784)), "not a number"),
    "request a list": (lambda: request_pixels([1]), "expected a JSON object"),
    "raster too large": (lambda: hwd.raster_to_pixels([[1.0] * 2048] * 2048), "downscale"),
}


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("case", API)
def test_api(case: str) -> None:
    call, message = API[case]
    with pytest.raises(InputError, match=message):
        call()
