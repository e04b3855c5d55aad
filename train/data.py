"""MNIST from its original IDX ``.gz`` files, downloaded and checked when absent.

The data directory is ``--data DIR``, else ``$HWD_DATA_DIR``, else ``./data``; the
files live in its ``mnist/`` subfolder (or in the directory itself).  Images come
back as float32 in [0, 1] of shape (n, 784), row-major, 1.0 = ink: the input
convention of every HWD network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from pathlib import Path

import numpy as np

SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]


class DataError(RuntimeError):
    """MNIST files that are missing, cannot be fetched, or fail their checksum."""


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data directory: the argument, else $HWD_DATA_DIR, else ./data."""
    return Path(explicit or os.environ.get("HWD_DATA_DIR") or "data")


def mnist_files(root: str | os.PathLike | None = None, download: bool = True) -> dict[str, Path]:
    """Paths of the four MNIST files, verified by SHA-256; downloads missing ones if allowed."""
    base = data_dir(root)
    # The files may sit in the folder itself; otherwise they live (or are downloaded) in mnist/.
    folder = base if (base / next(iter(SHA256))).exists() else base / "mnist"
    paths = {}
    for name, digest in SHA256.items():
        path = folder / name
        if not path.exists():
            if not download:
                raise DataError(_missing_message(folder))
            _download(name, path, folder)
        if file_sha256(path) != digest:
            raise DataError(f"{path}: SHA-256 mismatch (corrupt or not the original file); "
                            "delete it to download it again")
        paths[name] = path
    return paths


def load_mnist(root: str | os.PathLike | None = None, download: bool = True
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_images, train_labels, test_images, test_labels); images float32 (n, 784) in [0, 1]."""
    p = mnist_files(root, download)
    return (_images(p["train-images-idx3-ubyte.gz"]), _labels(p["train-labels-idx1-ubyte.gz"]),
            _images(p["t10k-images-idx3-ubyte.gz"]), _labels(p["t10k-labels-idx1-ubyte.gz"]))


def training_data_checksum() -> str:
    """One SHA-256 naming the exact training data (of the four files' checksums)."""
    return hashlib.sha256("".join(SHA256[n] for n in sorted(SHA256)).encode()).hexdigest()


def _images(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    magic, n, rows, cols = np.frombuffer(raw, ">u4", 4)
    if magic != 2051:
        raise DataError(f"{path}: not an IDX image file (magic {magic})")
    pixels = np.frombuffer(raw, np.uint8, n * rows * cols, offset=16)
    return (pixels.reshape(n, rows * cols) / np.float32(255)).astype(np.float32)


def _labels(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    magic, n = np.frombuffer(raw, ">u4", 2)
    if magic != 2049:
        raise DataError(f"{path}: not an IDX label file (magic {magic})")
    return np.frombuffer(raw, np.uint8, n, offset=8).astype(np.int64)


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _download(name: str, path: Path, folder: Path) -> None:
    errors = []
    for mirror in MIRRORS:
        try:
            with urllib.request.urlopen(mirror + name, timeout=30) as response:
                body = response.read()
        except OSError as e:
            errors.append(f"{mirror}: {e}")
            continue
        if hashlib.sha256(body).hexdigest() != SHA256[name]:
            errors.append(f"{mirror}: checksum mismatch")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(body)
        tmp.replace(path)
        return
    raise DataError(f"could not download {name} ({'; '.join(errors)}).\n" + _missing_message(folder))


def _missing_message(folder: Path) -> str:
    names = "\n  ".join(str(folder / n) for n in SHA256)
    return ("MNIST is not here. Put the four original files at\n  " + names +
            "\n(or pass --data DIR / set HWD_DATA_DIR to the folder that holds them).")
