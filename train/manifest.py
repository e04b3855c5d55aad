"""Write ``models/manifest.json`` from the networks in ``models/``.

Every entry is derived from its file: SHA-256, size, shape, MNIST test error
(from the metadata the trainer stored), and the exact command that reproduces it,
rebuilt from the training settings saved inside the file. The page's level count of
each network (``page_levels``, :mod:`train.levels`) is kept while its file is unchanged.

    python -m train.manifest [--models models] [--default best]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import hwd
import hwd.models

from .saving import atomic_write
from .train import parse_args


def reproduce_command(name: str, settings: dict) -> str:
    """The ``hwd train`` command line that produced a network with these settings."""
    defaults = vars(parse_args([]))
    flags = []
    for key, value in settings.items():
        if key not in defaults or key in ("dtype", "limit") or value is None:
            continue
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, bool):  # a switch such as --deskew: present or absent
            flags += [flag] if value else []
        elif isinstance(value, list):  # a repeatable option such as --teacher
            flags += [f"{flag} {item}" for item in value]
        else:
            flags.append(f"{flag} {value}")
    return " ".join(["python -m hwd train", *flags, f"--out runs/{name}",
                     f"--save models/{name}.npz", f"--dtype {settings.get('dtype', 'int16')}"])


def entry(path: Path) -> dict:
    """The manifest entry of one network file."""
    network = hwd.load(path)
    meta, data = network.meta, path.read_bytes()
    return {
        "file": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
        "layers": network.sizes, "activations": network.activations,
        "parameters": sum(r * c + r for r, c in (w.shape for w in network.weights)),
        "test_error": round(1 - meta["test_accuracy"], 6), "epoch": meta.get("epoch"),
        "created": meta.get("created"),
        "command": reproduce_command(path.stem, meta.get("training", {})),
        **({"unipen_accuracy": meta["unipen_accuracy"]} if "unipen_accuracy" in meta else {}),
    }


def write(folder: Path, manifest: dict) -> str:
    """Write ``manifest`` as ``folder/manifest.json`` atomically; returns its text."""
    text = json.dumps(manifest, indent=2) + "\n"
    with atomic_write(folder / "manifest.json") as f:
        f.write(text.encode())
    return text


def keep_page_levels(networks: dict[str, dict], old_manifest: Path) -> None:
    """Carry each unchanged file's ``page_levels`` (measured by :mod:`train.levels`, which
    needs MNIST) over from the manifest being replaced; a changed file must be measured again.
    """
    if not old_manifest.exists():
        return
    old = json.loads(old_manifest.read_text()).get("networks", {})
    for name, new in networks.items():
        before = old.get(name, {})
        if before.get("sha256") == new["sha256"] and "page_levels" in before:
            new["page_levels"] = before["page_levels"]


def main(argv: list[str] | None = None) -> int:
    """Regenerate the manifest; prints it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=str(hwd.models.models_dir()))
    p.add_argument("--default", default="best")
    args = p.parse_args(argv)
    folder = Path(args.models)
    networks = {path.stem: entry(path) for path in sorted(folder.glob("*.npz"))}
    keep_page_levels(networks, folder / "manifest.json")
    default = args.default if args.default in networks else next(iter(networks))
    print(write(folder, {"default": default, "networks": networks}), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
