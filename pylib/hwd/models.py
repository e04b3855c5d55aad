"""The shipped networks: find one by name or path, and read ``models/manifest.json``.

Networks live in the ``models/`` folder of the project (or ``$HWD_MODELS``).  A
name like ``best`` means ``models/best.npz``; anything with a slash or ``.npz``
is taken as a path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT = "best"


def models_dir() -> Path:
    """$HWD_MODELS, else the models/ folder beside pylib/ in this checkout."""
    return Path(os.environ.get("HWD_MODELS") or Path(__file__).resolve().parents[2] / "models")


def manifest() -> dict:
    """The parsed manifest: {"default": name, "networks": {name: {"file", "sha256", ...}}}."""
    path = models_dir() / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {"default": DEFAULT, "networks": {}}


def resolve(name_or_path: str | None = None) -> Path:
    """The file of a network given by name (default: the manifest's default) or by path."""
    name = name_or_path or manifest().get("default", DEFAULT)
    if "/" in name or os.sep in name or name.endswith(".npz"):
        return Path(name)
    entry = manifest().get("networks", {}).get(name)
    return models_dir() / (entry["file"] if entry else f"{name}.npz")
