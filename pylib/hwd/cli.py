"""The ``hwd`` command line: show, train, evaluate, recognize, serve.

``recognize`` and ``serve`` need only the standard library (plus Pillow to read
PNG/JPEG files); ``show``, ``train`` and ``evaluate`` use the numpy trainer in
``train/``.  Bad input ends with a one-line error and exit status 2; every input goes
through :mod:`hwd.inputs` (limits: docs/limits.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, models
from .art import ascii_art
from .inputs import MAX_JSON_BYTES, InputError, one_line, parse_json
from .npz import load
from .wire import parse_wire, request_pixels

USAGE_ERROR = 2
TRAINER_PACKAGES = {"numpy", "tqdm", "matplotlib", "PIL"}  # the extra hwd[train]


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else None
    try:
        # train and serve parse their own options.
        if command == "train":
            from train.train import main as train_main

            return train_main(argv[1:])
        if command == "serve":
            from .server import main as serve_main

            return serve_main(argv[1:])
        args = _parser().parse_args(_wire_text_last(argv))
        return args.run(args)
    except InputError as e:
        print(f"hwd {command}: error: {one_line(e)}", file=sys.stderr)
        return USAGE_ERROR
    except ModuleNotFoundError as e:
        if (e.name or "").partition(".")[0] not in TRAINER_PACKAGES:
            raise
        print(f"hwd {command}: error: this command needs {e.name}: pip install 'hwd[train]'",
              file=sys.stderr)
        return USAGE_ERROR


def _wire_text_last(argv: list[str]) -> list[str]:
    """Move wire text given as an argument behind ``--``: it starts with "-1," (background),
    which argparse would take for an option."""
    if argv[:1] != ["recognize"]:
        return argv
    wire = [a for a in argv[1:] if a.startswith("-") and "," in a]
    if not wire or "--" in argv:
        return argv
    return [a for a in argv if a not in wire] + ["--", *wire]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hwd", description="Handwritten-digit recognizer.")
    p.add_argument("--version", action="version", version=f"hwd {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("show", help="N random training digits as ASCII art")
    s.add_argument("n", nargs="?", type=int, default=3)
    s.add_argument("--data", help="MNIST folder (default $HWD_DATA_DIR or ./data)")
    s.add_argument("--seed", type=int)
    s.set_defaults(run=_show)

    sub.add_parser("train", help="train a network (see hwd train --help)")

    e = sub.add_parser("evaluate", help="load test: accuracy, confusion matrix, NETWORK IS OK")
    e.add_argument("network", nargs="?", help="name (best, quick) or .npz path")
    e.add_argument("--data", help="MNIST folder (default $HWD_DATA_DIR or ./data)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--report", metavar="DIR", help="write confusion.png and mistakes.png here")
    e.set_defaults(run=_evaluate)

    r = sub.add_parser("recognize", help="classify wire values, an image or a strokes file")
    r.add_argument("input", nargs="?", default="-",
                   help="784 comma-separated values, or a file: .png/.jpg/.json/.txt (- = stdin)")
    r.add_argument("--network", help="name (best, quick) or .npz path")
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.set_defaults(run=_recognize)

    sub.add_parser("serve", help="the REST server (see hwd serve --help)")
    return p


def _show(args: argparse.Namespace) -> int:
    import numpy as np

    from train.data import load_mnist

    images, labels, _, _ = load_mnist(args.data)
    for i in np.random.default_rng(args.seed).choice(len(images), args.n, replace=False):
        print(ascii_art(images[i].tolist(), f"#{i}: label {labels[i]}"))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from train.evaluate import main as evaluate_main

    return evaluate_main(args)


def _recognize(args: argparse.Namespace) -> int:
    pixels = read_input(args.input)
    network = load(models.resolve(args.network))
    digit, probabilities = network.predict(pixels)
    if args.json:
        print(json.dumps({"digit": digit, "probabilities": probabilities}))
        return 0
    print(ascii_art(pixels))
    print(f"digit: {digit}")
    for d, p in enumerate(probabilities):
        print(f"  {d}: {p:7.2%} {'#' * round(p * 40)}")
    return 0


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def read_input(spec: str) -> list[float]:
    """Network input from wire text, a .png/.jpg image, or a .json strokes file (or stdin)."""
    if spec == "-":
        return _parse_text(_read_limited(sys.stdin.buffer, "stdin"))
    if "," in spec:
        return parse_wire(spec)
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        is_file = False
    if not is_file:
        raise InputError(f"{spec[:80]}: no such file")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from .images import read_image

        return read_image(path)
    try:
        with path.open("rb") as f:
            return _parse_text(_read_limited(f, spec))
    except OSError as e:
        raise InputError(f"{spec}: cannot read ({e.strerror})") from None


def _read_limited(stream, name: str) -> bytes:
    """At most MAX_JSON_BYTES of a binary stream; more is an error, not a memory hog."""
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InputError(f"{name}: longer than {MAX_JSON_BYTES} bytes; not a digit")
    return data


def _parse_text(data: bytes) -> list[float]:
    """Wire values, or JSON: {"strokes": [...]}, a bare strokes list, or {"imgdata": [...]}."""
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as e:
        raise InputError(f"the input is not UTF-8 text (byte {e.start} is invalid)") from None
    if not text.startswith(("{", "[")):
        return parse_wire(text)
    request = parse_json(text)
    return request_pixels({"strokes": request} if isinstance(request, list) else request)
