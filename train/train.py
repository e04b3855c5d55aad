"""Train a perceptron network on MNIST with vectorized mini-batches in numpy.

    python -m hwd train --layers 784,800,10 --epochs 10 --optimizer adam --lr 1e-3

Every epoch's network is saved (atomically) to ``--out`` with its test accuracy
inside, and a table row is printed.  Ctrl-C stops cleanly: the epochs already saved
stay in ``--out``, ``--save`` is not written and the exit status is 130.  Output paths
are checked before training starts.  ``--target-error`` turns a run into a check that
fails loudly.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hwd import __version__

from .augment import Augment
from .batches import Batches
from .conv import ConvNet
from .data import DataError, load_mnist, training_data_checksum
from .deskew import deskew
from .distill import Teachers, check_weights, load_network, load_teacher
from .mlp import MLP
from .optim import learning_rate, make_optimizer, max_norm
from .prune import Pruning, check_share
from .repen import repen
from .saving import check_outputs, copy_atomically, remove_partials

CONV = "conv"  # --layers of train.conv's network
INTERRUPTED = 130  # the shell's status for a run stopped by SIGINT


class Interrupted(Exception):
    """Ctrl-C during training; ``history`` holds the epochs saved before it in ``out``."""

    def __init__(self, history: list[dict], out: str) -> None:
        super().__init__(f"interrupted after {len(history)} saved epoch(s)")
        self.history, self.out = history, out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The trainer's command line."""
    p = argparse.ArgumentParser(prog="hwd train", description=__doc__.split("\n\n")[0])
    a = p.add_argument
    a("--layers", default="784,100,10",
      help="sizes, input first (default 784,100,10), or 'conv' for the convolutional network "
           "that teaches perceptrons (train.conv; never shipped)")
    a("--activation", default="relu", choices=["relu", "sigmoid"], help="hidden activation")
    a("--optimizer", default="adam", choices=["sgd", "momentum", "adam"])
    a("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    a("--schedule", default="cosine", choices=["constant", "cosine", "linear"])
    a("--epochs", type=int, default=10)
    a("--batch", type=int, default=128, help="mini-batch size")
    a("--momentum", type=float, default=0.9)
    a("--weight-decay", type=float, default=0.0)
    a("--dropout", type=float, default=0.0, help="dropout rate on hidden layers")
    a("--max-norm", type=float, default=0.0, help="cap on each neuron's weight norm (0 = off)")
    a("--prune", type=float, default=0.0, metavar="SHARE",
      help="zero this share of each hidden layer's weights, the smallest, growing from a "
           "quarter to three quarters of training (train.prune; 0 = off)")
    a("--seed", type=int, default=0)
    g = p.add_argument_group("augmentation (0 = off)")
    for name, doc in [("rotate", "degrees (the ancestor used 10)"), ("scale", "relative"),
                      ("shear", "factor"), ("shift", "px"), ("alpha", "elastic strength, px"),
                      ("sigma", "elastic smoothness, px"), ("thickness", "stroke width change"),
                      ("european", "fraction of 0/1/7 given a slash/flag/bar")]:
        g.add_argument(f"--{name}", type=float, default=5.0 if name == "sigma" else 0.0, help=doc)
    a("--long-slashes", action="store_true",
      help="European 0s get slashes leaning up to 60 degrees and reaching up to half the 0's "
           "height beyond it (default: 50 degrees, a quarter)")
    a("--centre-by-mass", action="store_true",
      help="a digit given a European stroke is placed by its centre of mass, as MNIST and the "
           "pad place digits (default: its ink box centred, as the networks before it)")
    a("--deskew", type=float, nargs="?", const=1.0, default=0.0, metavar="STRENGTH",
      help="train on slant-corrected digits, by STRENGTH (0..1, default 1) times their lean; "
           "the network then deskews its inputs the same way (hwd.deskew)")
    a("--repen", action="store_true",
      help="also train on every digit redrawn along its centre line with the pad's pen "
           "(train.repen): twice the images per epoch")
    d = p.add_argument_group("distillation (train.distill)")
    d.add_argument("--teachers", type=int, default=0, metavar="N",
                   help="first train N teachers (this recipe, dense: without --prune; seeds "
                        "SEED+1..SEED+N, in OUT/teacher-K; kept ones are reused), then learn "
                        "from them")
    d.add_argument("--teacher", action="append", default=[], metavar="NPZ",
                   help="a trained network to learn from (repeatable)")
    d.add_argument("--teacher-layers", metavar="LAYERS",
                   help="the --teachers' --layers, such as conv (default: the student's)")
    d.add_argument("--teacher-epochs", type=int, metavar="N",
                   help="the --teachers' --epochs (default: the student's)")
    d.add_argument("--teacher-alpha", type=float, metavar="PX",
                   help="the --teachers' --alpha (default: the student's; 0: no elastic "
                        "distortions, which a conv teacher reads MNIST better without)")
    d.add_argument("--teacher-thickness", type=float, metavar="T",
                   help="the --teachers' --thickness (default: the student's)")
    d.add_argument("--temperature", type=float, default=2.0, help="softening of their outputs")
    d.add_argument("--distill", type=float, default=0.5,
                   help="weight of the teachers' term, the labels' is 1 - this")
    a("--limit", type=int, default=0, help="train on the first N images only (0 = all)")
    a("--holdout", type=int, default=0,
      help="hold out the last N training images and measure on them instead of the test set")
    a("--data", help="MNIST folder (default $HWD_DATA_DIR or ./data)")
    a("--out", default="runs/net", help="folder for the per-epoch networks")
    a("--save", help="also copy the final network to this path")
    a("--dtype", default="float32", choices=["float32", "float16", "int16"],
      help="stored precision of the weights (int16: fixed point, what models/ ships)")
    a("--plot", help="write a PNG of loss and accuracy per epoch here")
    a("--target-error", type=float, help="exit 1 unless the final test error (%%) is at most this")
    return p.parse_args(argv)


def train(args: argparse.Namespace, trained_teachers: Sequence[str] = ()
          ) -> tuple[MLP, list[dict]]:
    """Run the training described by ``args``; returns the network and one record per epoch.

    The student of a distillation learns from ``--teacher`` files and ``trained_teachers``.
    """
    rng = np.random.default_rng(args.seed)
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    if args.holdout:  # a validation split, to choose recipes without looking at the test set
        x_train, y_train, x_test, y_test = (x_train[:-args.holdout], y_train[:-args.holdout],
                                            x_train[-args.holdout:], y_train[-args.holdout:])
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    if args.repen:  # half a minute for 60,000 digits, before the first epoch
        print(f"redrawing {len(x_train):,} digits with the pad's pen (--repen)", flush=True)
        x_train, y_train = np.concatenate([x_train, repen(x_train)]), np.tile(y_train, 2)
    net = (ConvNet(rng) if args.layers == CONV else
           MLP([int(s) for s in args.layers.split(",")], args.activation, rng))
    optimizer = make_optimizer(args.optimizer, net.parameters, args.momentum, args.weight_decay)
    pruning = Pruning(args.prune) if args.prune else None
    augment = Augment(args.rotate, args.scale, args.shear, args.shift, args.alpha, args.sigma,
                      args.thickness, args.european, args.long_slashes,
                      args.centre_by_mass)
    # The batches have their own generator: they are made in a thread beside the training.
    transform = augment if augment.active else None
    if args.deskew:  # after augmentation, as a drawing is deskewed whatever its slant
        x_test, transform = deskew(x_test, args.deskew), deskewed(transform, args.deskew)
    batches = Batches(x_train, y_train, args.batch, transform,
                      np.random.default_rng([args.seed, 1]))
    paths = [*args.teacher, *trained_teachers]
    teachers = Teachers(paths, args.deskew, args.temperature, args.distill) if paths else None
    out, history, steps = Path(args.out), [], len(batches)
    settings = recorded_settings(args)
    if teachers:
        settings["teacher_files"] = teachers.describe()
    measured = "validation" if args.holdout else "test"
    print(f"{'epoch':>5} {'loss':>8} {measured + ' error %':>12} {'seconds':>8}  network")
    start = time.perf_counter()
    # One progress bar, reset every epoch: a Ctrl-C landing in tqdm's constructor leaves a
    # half-made bar whose __del__ prints a traceback, so none is made while epochs run.
    bar = tqdm(total=steps, leave=False)
    try:
        for epoch in range(1, args.epochs + 1):
            losses = []
            bar.reset(total=steps)
            bar.set_description(f"epoch {epoch}/{args.epochs}")
            for step, (x, y) in enumerate(batches.epoch()):
                bar.update()
                soft = teachers.soft(x) if teachers else None
                loss, grads = net.backprop(x, y, args.dropout, rng, soft)
                progress = ((epoch - 1) * steps + step) / (args.epochs * steps)
                optimizer.step(net.parameters, grads, learning_rate(args.schedule, args.lr,
                                                                    progress))
                if pruning:
                    pruning.apply(net.weights, progress)
                if args.max_norm:
                    max_norm(net.weights, args.max_norm)
                losses.append(loss)
                if step % 50 == 0:
                    bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
            accuracy = evaluate(net.as_stored(args.dtype), x_test, y_test)  # as saved
            record = {"epoch": epoch, "loss": float(np.mean(losses)),
                      f"{measured}_accuracy": accuracy,
                      "seconds": round(time.perf_counter() - start, 1)}
            path = net.save(out / f"epoch-{epoch:03d}.npz", {
                "epoch": epoch, f"{measured}_accuracy": accuracy, "training": settings,
                **({"input_transform": "deskew", "deskew_strength": args.deskew}
                   if args.deskew else {}),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "mnist_sha256": training_data_checksum(), "hwd_version": __version__,
                "history": [*history, record]}, args.dtype)
            history.append(record)  # counted once it is on disk
            print(f"{epoch:>5} {record['loss']:>8.4f} {100 * (1 - accuracy):>12.2f} "
                  f"{record['seconds']:>8.1f}  {path}", flush=True)
    except KeyboardInterrupt:
        raise Interrupted(history, args.out) from None  # a teacher's own folder, too
    finally:
        bar.close()
    return net, history


# Settings the --teachers may have of their own (--teacher-NAME; None: the student's).
TEACHER_OVERRIDES = ("layers", "epochs", "alpha", "thickness")


def recorded_settings(args: argparse.Namespace) -> dict:
    """The settings a network's meta records: what reproduces it, not where it was written
    (the distillation options only when it had teachers, --repen and --prune only when given)."""
    skip = {"data", "out", "save", "plot"} | {name for name in ("repen", "prune")
                                               if not getattr(args, name)}
    if not (args.teacher or args.teachers):
        skip |= {"teachers", "teacher", "temperature", "distill"}
    skip |= {f"teacher_{name}" for name in TEACHER_OVERRIDES
             if not args.teachers or getattr(args, f"teacher_{name}") is None}
    return {k: v for k, v in vars(args).items() if k not in skip}


def train_teachers(args: argparse.Namespace) -> list[str]:
    """Train the ``--teachers`` networks, or reuse those a previous run finished; their paths.

    The teachers are dense (no ``--prune``): a pruned student learns from the whole network's
    answers what its own pruning costs it (docs/accuracy.md, row 37)."""
    own = {name: getattr(args, f"teacher_{name}") for name in TEACHER_OVERRIDES}
    own = {name: value for name, value in own.items() if value is not None}
    paths = []
    for k in range(1, args.teachers + 1):
        recipe = argparse.Namespace(**{
            **vars(args), "seed": args.seed + k, "teachers": 0, "teacher": [], "prune": 0.0,
            **own, **{f"teacher_{name}": None for name in TEACHER_OVERRIDES},
            "out": str(Path(args.out) / f"teacher-{k}"), "save": None, "plot": None})
        final = Path(recipe.out) / f"epoch-{recipe.epochs:03d}.npz"
        if final.exists() and load_network(final).meta.get("training") == recorded_settings(recipe):
            print(f"teacher {k} of {args.teachers}: {final}, trained before")
        else:
            print(f"teacher {k} of {args.teachers}: seed {recipe.seed}, into {recipe.out}")
            remove_partials(Path(recipe.out))
            train(recipe)
        paths.append(str(final))
    return paths


def deskewed(augment: Augment | None, strength: float):
    """The batch transform: ``augment`` (if any), then slant correction by ``strength``."""
    def transform(x: np.ndarray, rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
        return deskew(augment(x, rng, y) if augment else x, strength)
    return transform


def evaluate(net: MLP | ConvNet, images: np.ndarray, labels: np.ndarray, batch: int = 2000) -> float:
    """Fraction of ``images`` whose most probable digit is the label."""
    correct = sum(int((net.feedforward(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum())
                  for i in range(0, len(images), batch))
    return correct / len(images)


def accuracy_key(history: list[dict]) -> str:
    """"test_accuracy", or "validation_accuracy" for a run with --holdout."""
    return "validation_accuracy" if "validation_accuracy" in history[-1] else "test_accuracy"


def plot(history: list[dict], path: str) -> None:
    """A PNG with training loss and test error per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [r["loss"] for r in history], marker="o")
    left.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    measured = accuracy_key(history)
    right.plot(epochs, [100 * (1 - r[measured]) for r in history], marker="o", color="C1")
    right.set(xlabel="epoch", ylabel=f"MNIST {measured.split('_')[0]} error (%)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def check_settings(args: argparse.Namespace) -> None:
    """Raise ValueError (one line) for settings that could not train a digit network."""
    check_layers("--layers", args.layers)
    if args.teacher_layers is not None:
        check_layers("--teacher-layers", args.teacher_layers)
    if args.layers == CONV and args.prune:
        raise ValueError("--layers conv: the convolutional network is not pruned (--prune)")
    if CONV in (args.layers, args.teacher_layers) and (args.dropout or
                                                        args.activation != "relu"):
        raise ValueError("the convolutional network (conv) has ReLUs and no dropout "
                         "(--activation, --dropout)")
    if args.epochs < 1 or args.batch < 1:
        raise ValueError("--epochs and --batch must be at least 1")
    if args.teacher_epochs is not None and args.teacher_epochs < 1:
        raise ValueError("--teacher-epochs must be at least 1")
    if not 0 <= args.dropout < 1:
        raise ValueError("--dropout must be in [0, 1)")
    check_share(args.prune)
    if not 0 <= args.deskew <= 1:
        raise ValueError("--deskew must be in [0, 1]")
    if args.teachers < 0:
        raise ValueError("--teachers must be at least 0")
    if args.teacher or args.teachers:
        check_weights(args.temperature, args.distill)
    for path in args.teacher:
        load_teacher(path, args.deskew)
    check_outputs(args.out, {"--save": args.save, "--plot": args.plot})


def check_layers(option: str, layers: str) -> None:
    """Raise ValueError unless ``layers`` is 'conv' or the sizes of a digit perceptron."""
    if layers == CONV:
        return
    try:
        sizes = [int(s) for s in layers.split(",")]
    except ValueError:
        raise ValueError(f"{option} {layers}: comma-separated integers, such as 784,100,10, "
                         f"or {CONV}") from None
    if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10 or min(sizes) < 1:
        raise ValueError(f"{option} {layers}: 784 inputs first, 10 outputs last, "
                         f"every layer at least 1")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``hwd train``; returns the exit status."""
    args = parse_args(argv)
    try:
        check_settings(args)
    except ValueError as e:  # PathError too
        print(f"hwd train: error: {e}", file=sys.stderr)
        return 2
    stale = remove_partials(Path(args.out))
    if args.save:
        stale += remove_partials(Path(args.save).parent, Path(args.save).name)
    if stale:
        print(f"removed {len(stale)} partial file(s) left by an interrupted run: "
              f"{', '.join(p.name for p in stale)}", file=sys.stderr)
    saved = "not written" if args.save else "not asked for"
    try:
        _, history = train(args, train_teachers(args) if args.teachers else [])
        final = Path(args.out) / f"epoch-{history[-1]['epoch']:03d}.npz"
        if args.save:
            copy_atomically(final, args.save)
            saved = "written"
            print(f"saved {args.save}")
        if args.plot:
            plot(history, args.plot)
            print(f"plot: {args.plot}")
    except Interrupted as e:
        print(f"\ninterrupted: kept {len(e.history)} finished epoch(s) in {e.out}; "
              f"--save {saved}", file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished epochs are in {args.out}; --save {saved}",
              file=sys.stderr)
        return INTERRUPTED
    except DataError as e:  # MNIST missing or corrupt: the message says what to do
        print(f"hwd train: error: {e}", file=sys.stderr)
        return 2
    error = 100 * (1 - history[-1][accuracy_key(history)])
    if args.target_error is not None and error > args.target_error:
        print(f"FAILED: test error {error:.2f} % > target {args.target_error} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
