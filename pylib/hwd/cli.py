"""The ``hwd`` command line: show, train, evaluate, recognize, serve, adapt.

``recognize`` and ``serve`` need only the standard library (plus Pillow to read
PNG/JPEG files); ``show``, ``train`` and ``evaluate`` use the numpy trainer in
``train/``.  Bad input ends with a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, models
from .art import ascii_art
from .npz import NetworkFileError, load
from .preprocess import EmptyDrawing, raster_to_pixels, strokes_to_pixels
from .wire import WireFormatError, from_wire, parse_wire

USAGE_ERROR = 2


class InputError(ValueError):
    """Input the user must fix; printed as one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    # train and serve parse their own options.
    if argv[:1] == ["train"]:
        from train.train import main as train_main

        return train_main(argv[1:])
    if argv[:1] == ["serve"]:
        from .server import main as serve_main

        return serve_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (InputError, WireFormatError, EmptyDrawing, NetworkFileError) as e:
        print(f"hwd {args.command}: error: {e}", file=sys.stderr)
        return USAGE_ERROR


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

    a = sub.add_parser("adapt", help="teach a network someone's handwriting (docs/adapt.md)")
    a.add_argument("network", help="name (best, quick) or .npz path")
    a.add_argument("examples", help='JSON Lines: {"label": d, "strokes": [...]} or '
                   '{"label": d, "pixels": [784 values]} per line (- = stdin)')
    a.add_argument("--out", required=True, help="the adapted network's .npz")
    a.set_defaults(run=_adapt)
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


def _adapt(args: argparse.Namespace) -> int:
    from . import npzwrite
    from .adapt import ExampleError, adapt, read_examples

    network = load(models.resolve(args.network))
    try:
        if args.examples == "-":
            examples = read_examples(sys.stdin, "stdin")
        else:
            with open(args.examples, encoding="utf-8") as f:
                examples = read_examples(f, args.examples)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{args.examples}: cannot read ({e})") from None
    except ExampleError as e:
        raise InputError(str(e)) from None
    adapted = adapt(network, examples, base=args.network)
    npzwrite.save(adapted, args.out)
    right = sum(adapted.predict(e.pixels)[0] == e.label for e in examples)
    print(f"{args.out}: {args.network} adapted to {len(examples)} examples "
          f"({right} read as taught)")
    return 0


def read_input(spec: str) -> list[float]:
    """Network input from wire text, a .png/.jpg image, or a .json strokes file (or stdin)."""
    if spec == "-":
        return _parse_text(sys.stdin.read())
    if "," in spec:
        return parse_wire(spec)
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"{spec}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"):
        return _read_image(path)
    try:
        return _parse_text(path.read_text())
    except UnicodeDecodeError:
        raise InputError(f"{spec}: not text, JSON or an image") from None


def _parse_text(text: str) -> list[float]:
    """Wire values, or JSON: {"strokes": [...]}, a bare strokes list, or {"imgdata": [...]}."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return parse_wire(stripped)
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e}") from None
    if isinstance(data, dict) and "imgdata" in data:
        return from_wire(data["imgdata"])
    strokes = data.get("strokes") if isinstance(data, dict) else data
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        raise InputError('JSON must be {"strokes": [[[x, y], ...], ...]} or {"imgdata": [...]}')
    try:
        return strokes_to_pixels(strokes)
    except EmptyDrawing:
        raise
    except (TypeError, IndexError, ValueError) as e:
        raise InputError(f"strokes must be lists of [x, y] points ({e})") from None


def _read_image(path: Path) -> list[float]:
    """A grayscale image; dark ink on a light background is inverted so that 1.0 = ink."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise InputError("reading images needs Pillow: pip install pillow") from None
    try:
        with Image.open(path) as image:
            gray = image.convert("L")
            width, height = gray.size
            values = [v / 255 for v in gray.getdata()]
    except (UnidentifiedImageError, OSError) as e:
        raise InputError(f"{path}: unreadable image ({e})") from None
    rows = [values[y * width:(y + 1) * width] for y in range(height)]
    border = rows[0] + rows[-1] + [r[0] for r in rows] + [r[-1] for r in rows]
    if sum(border) / len(border) > 0.5:
        rows = [[1.0 - v for v in row] for row in rows]
    # Faint scanner noise would otherwise count as ink and inflate the bounding box.
    rows = [[v if v > 0.1 else 0.0 for v in row] for row in rows]
    return raster_to_pixels(rows)
