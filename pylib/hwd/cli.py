"""The ``hwd`` command line: show, train, evaluate, recognize, serve, adapt.

``recognize`` reads a number when a strokes file holds several digits (docs/numbers.md).
``recognize`` and ``serve`` need only the standard library (plus Pillow to read
PNG/JPEG files); ``show``, ``train`` and ``evaluate`` use the numpy trainer in
``train/``.  Bad input ends with a one-line error and exit status 2; every input goes
through :mod:`hwd.inputs` (limits: docs/limits.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__, models
from .art import EVIDENCE_LEGEND, ascii_art, signed_art
from .inputs import MAX_JSON_BYTES, InputError, one_line, parse_json
from .npz import load
from .segment import Digit, read_number, to_json
from .wire import parse_wire, request_pixels

USAGE_ERROR = 2
TRAINER_PACKAGES = {"numpy", "tqdm", "matplotlib", "PIL"}  # the extra hwd[train]


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else None
    try:
        # train parses its own options.
        if command == "train":
            from train.train import main as train_main

            return train_main(argv[1:])
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
    wire = [a for a in argv[1:] if a[:1] == "-" and a[1:2] in "0123456789." and "," in a]
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
    r.add_argument("--explain", action="store_true",
                   help="also show the evidence for the answer: which pixels pushed the "
                        "network towards it and which against")
    r.add_argument("--digit", type=int, help="with --explain: the evidence for this digit "
                                             "instead (why not a 7?)")
    r.set_defaults(run=_recognize)

    _add_serve(sub)

    a = sub.add_parser("adapt", help="teach a network someone's handwriting (docs/adapt.md)")
    a.add_argument("network", help="name (best, quick) or .npz path")
    a.add_argument("examples", help='JSON Lines: {"label": d, "strokes": [...]} or '
                   '{"label": d, "pixels": [784 values]} per line (- = stdin)')
    a.add_argument("--out", required=True, help="the adapted network's .npz")
    a.set_defaults(run=_adapt)
    return p


def _add_serve(sub: argparse._SubParsersAction) -> None:
    """``hwd serve``: the options of the REST server (hwd.server; docs/server.md)."""
    from .server import GRACE, MAX_CONNECTIONS

    v = sub.add_parser("serve", help="the REST server: GET/POST /recognize (see docs/server.md)",
                       description="Recognize digits over HTTP (GET/POST /recognize).")
    v.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; 0.0.0.0 exposes the server)")
    v.add_argument("--port", type=port, default=5000, help="port (default 5000; 0 = any free)")
    v.add_argument("--network", metavar="NAME|FILE",
                   help="a shipped network (best, quick) or an .npz file "
                        "(default: the manifest's default, else quick)")
    v.add_argument("--site", metavar="DIR", type=Path,
                   help="also serve this folder (the built app, dist/) at /")
    v.add_argument("--quiet", action="store_true",
                   help="log neither requests nor the ASCII art of each input")
    v.add_argument("--max-connections", metavar="N", type=_positive(int), default=MAX_CONNECTIONS,
                   help=f"connections open at once (default {MAX_CONNECTIONS})")
    v.add_argument("--grace", metavar="SECONDS", type=_positive(float), default=GRACE,
                   help=f"on SIGINT/SIGTERM, time to finish requests in flight (default {GRACE:g})")
    v.set_defaults(run=_serve)


def port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: the system picks a free one)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def _positive(kind: type) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` above zero (finite)."""
    def parse(text: str) -> float:
        value = kind(text)
        if not 0 < value < float("inf"):
            raise ValueError(text)
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def _serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(args)


def _show(args: argparse.Namespace) -> int:
    import numpy as np

    from train.data import load_mnist

    images, labels, _, _ = load_mnist(args.data)
    if not 0 <= args.n <= len(images):
        raise InputError(f"N must be between 0 and {len(images)}, not {args.n}")
    for i in np.random.default_rng(args.seed).choice(len(images), args.n, replace=False):
        print(ascii_art(images[i].tolist(), f"#{i}: label {labels[i]}"))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from train.evaluate import main as evaluate_main

    return evaluate_main(args)


def _recognize(args: argparse.Namespace) -> int:
    pixels, strokes = read_drawing(args.input)
    network = load(models.resolve(args.network))
    digits = read_number(strokes, network.feedforward) if strokes else []
    if len(digits) > 1:  # a number; one digit is answered as always, from all the strokes
        return _print_number(digits, args.json)
    digit, probabilities = network.predict(pixels)
    evidence = _explain(network, pixels, digit, args) if args.explain or args.digit is not None \
        else None
    if args.json:
        print(json.dumps({"digit": digit, "probabilities": probabilities,
                          **({"evidence": evidence} if evidence else {})}))
        return 0
    print(ascii_art(pixels))
    print(f"digit: {digit}")
    for d, p in enumerate(probabilities):
        print(f"  {d}: {p:7.2%} {'#' * round(p * 40)}")
    if evidence:
        print(signed_art(evidence["values"], network.prepare(pixels),
                         f"evidence for {evidence['digit']} (gradient x input of its logit):"))
        print(EVIDENCE_LEGEND)
    return 0


def _adapt(args: argparse.Namespace) -> int:
    from . import npzwrite
    from .adapt import adapt, read_examples

    network = load(models.resolve(args.network))
    try:
        if args.examples == "-":
            examples = read_examples(sys.stdin, "stdin")
        else:
            with open(args.examples, encoding="utf-8") as f:
                examples = read_examples(f, args.examples)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{args.examples}: cannot read ({one_line(e)})") from None
    adapted = adapt(network, examples, base=args.network)
    npzwrite.save(adapted, args.out)
    right = sum(adapted.predict(e.pixels)[0] == e.label for e in examples)
    print(f"{args.out}: {args.network} adapted to {len(examples)} examples "
          f"({right} read as taught)")
    return 0


def _print_number(digits: list[Digit], as_json: bool) -> int:
    """The number, and each digit with its probabilities and strokes (see docs/numbers.md)."""
    if as_json:
        print(json.dumps(to_json(digits)))
        return 0
    print(f"number: {to_json(digits)['number']}")
    for d in digits:
        print(f"  {d.digit} ({d.probabilities[d.digit]:.1%}), strokes "
              + ",".join(map(str, d.strokes)))
    return 0

def _explain(network, pixels: list[float], digit: int, args: argparse.Namespace) -> dict:
    """The evidence for the recognized digit, or for ``--digit``."""
    if args.digit is not None and not 0 <= args.digit <= 9:
        raise InputError(f"--digit takes a digit 0-9, not {args.digit}")
    from . import explain

    target = digit if args.digit is None else args.digit
    values = explain.evidence(network, explain.trace(network, pixels), target)
    return {"digit": target, "values": values}


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def read_input(spec: str) -> list[float]:
    """Network input from wire text, a .png/.jpg image, or a .json strokes file (or stdin)."""
    return read_drawing(spec)[0]


def read_drawing(spec: str) -> tuple[list[float], list | None]:
    """Like :func:`read_input`, with the strokes as well when the input is strokes."""
    if spec == "-":
        return _parse_text(_read_limited(sys.stdin.buffer, "stdin"))
    if "," in spec:
        return parse_wire(spec), None
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        is_file = False
    if not is_file:
        raise InputError(f"{spec[:80]}: no such file")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from .images import read_image

        return read_image(path), None
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


def _parse_text(data: bytes) -> tuple[list[float], list | None]:
    """Wire values, or JSON: {"strokes": [...]}, a bare strokes list, or {"imgdata": [...]};
    the network input and the strokes (None for wire values and imgdata)."""
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as e:
        raise InputError(f"the input is not UTF-8 text (byte {e.start} is invalid)") from None
    if not text.startswith(("{", "[")):
        return parse_wire(text), None
    request = parse_json(text)
    request = {"strokes": request} if isinstance(request, list) else request
    return request_pixels(request), request.get("strokes")
