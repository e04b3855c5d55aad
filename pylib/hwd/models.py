"""The shipped networks: find one by name or path, and read ``models/manifest.json``.

Networks live in ``$HWD_MODELS`` if set, else in the ``models/`` folder of the
checkout, else (after ``pip install``) in the package's own ``hwd/shipped/`` folder,
where pyproject.toml puts a copy of ``models/``.  A name like ``best`` means
``best.npz`` there; anything with a slash or ``.npz`` is taken as a path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT = "best"


def models_dir() -> Path:
    """$HWD_MODELS, else the models/ folder beside pylib/ in a checkout, else hwd/shipped/."""
    if os.environ.get("HWD_MODELS"):
        return Path(os.environ["HWD_MODELS"])
    here = Path(__file__).resolve().parent
    checkout = here.parents[1] / "models"
    return checkout if (checkout / "manifest.json").exists() else here / "shipped"


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
