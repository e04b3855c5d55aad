"""The files the trainer writes: atomic, recognisable while in progress, checked up front.

A file is written to ``NAME.PID.partial`` beside its target, then renamed over the target,
so a reader sees the old file or the new one, never half of one.  A run killed in the
middle of a write (kill -9, a power cut) leaves that ``.partial`` file behind; the next run
writing to the same place removes it.  Every output path is checked before training
starts, so a typo costs a second, not an hour of training and a traceback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PARTIAL = ".partial"


class PathError(ValueError):
    """An output path the trainer cannot write; the message is one line naming the option."""


def partial_path(path: Path) -> Path:
    """Where ``path`` is written before it is complete: ``NAME.PID.partial`` beside it."""
    return path.with_name(f"{path.name}.{os.getpid()}{PARTIAL}")


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to fill; renamed to ``path`` only if the block finishes."""
    path = Path(path)
    partial = partial_path(path)
    try:
        with partial.open("wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:  # KeyboardInterrupt too: never leave a partial file behind
        partial.unlink(missing_ok=True)
        raise


def copy_atomically(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy ``source`` to ``target`` through a partial file."""
    with open(source, "rb") as s, atomic_write(target) as t:
        shutil.copyfileobj(s, t)


def remove_partials(folder: Path, name: str = "*") -> list[Path]:
    """Delete the partial files of ``name`` (a glob) left in ``folder`` by killed runs."""
    stale = sorted(folder.glob(f"{name}.*{PARTIAL}")) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def check_outputs(out: str, files: dict[str, str | None]) -> None:
    """Raise :class:`PathError` unless the folder ``out`` and each file (option -> path,
    None when not given) can be written."""
    if not out:
        raise PathError("--out is empty; give the folder for the per-epoch networks")
    _writable_folder("--out", Path(out))
    for option, value in files.items():
        check_file(option, value)


def check_file(option: str, value: str | None) -> None:
    """Raise :class:`PathError` unless the file ``value`` given for ``option`` (None when not
    given) can be written."""
    if value is None:
        return
    if not value:
        raise PathError(f"{option} is empty; give a file name")
    path = Path(value)
    if path.is_dir():
        raise PathError(f"{option} {value} is a folder; give a file name")
    _writable_folder(option, path.parent)


def _writable_folder(option: str, folder: Path) -> None:
    """Create ``folder`` if needed and check that a file can be written in it."""
    if folder.exists() and not folder.is_dir():
        raise PathError(f"{option}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PathError(f"{option}: cannot create the folder {folder} ({e.strerror})") from None
    probe = partial_path(folder / "write-test")
    try:
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise PathError(f"{option}: cannot write in {folder} ({e.strerror})") from None
