"""The package as users get it: a plain ``pip install`` works from any folder, ``hwd``
imports only the standard library, one version number, the license pyproject names."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tomllib
import urllib.request
from pathlib import Path

import pytest
from helpers import ROOT

import hwd

PACKAGE = ROOT / "pylib" / "hwd"
OPTIONAL = {"PIL", "numpy", "train"}  # inside functions only: images; the hwd[train] commands
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "pylib", "train", "models"]


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level?) for every absolute import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [(name.partition(".")[0], id(node) in top_level) for name in names]
    return found


def test_hwd_imports_only_the_standard_library():
    """Pyodide has no numpy: every module-level import of hwd is the standard library (or
    hwd itself); Pillow and the trainer are imported only inside the functions that need them."""
    outside = []
    for path in sorted(PACKAGE.glob("*.py")):
        for module, at_top in imports(path):
            if module in sys.stdlib_module_names or module == "hwd":
                continue
            if at_top or module not in OPTIONAL:
                outside.append(f"{path.name}: {module}")
    assert not outside
    # And at run time (-S: no site-packages), importing every module loads only the stdlib.
    names = [f"hwd.{p.stem}" for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__main__"]
    code = (f"import sys, importlib\nfor n in {names!r}: importlib.import_module(n)\n"
            "print('\\n'.join(sorted({m.partition('.')[0] for m in sys.modules})))")
    loaded = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT / "pylib")}, check=True,
                            timeout=60).stdout.split()
    assert [m for m in loaded if m not in sys.stdlib_module_names | {"hwd", "__main__"}] == []


def test_one_version_and_the_license_pyproject_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.toml", "*.cfg"],
                             capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    versions = [name for name in tracked
                if f'"{hwd.__version__}"' in (ROOT / name).read_text(errors="replace")]
    assert versions == ["pylib/hwd/__init__.py"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with hwd installed from a wheel (not editable), offline: the wheel
    is built without build isolation, and the dev venv's numpy & co. are made visible."""
    tmp = tmp_path_factory.mktemp("package")
    (tmp / "src").mkdir()
    for name in SOURCES:  # a copy, so that the build leaves nothing in the checkout
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp / "src" / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, tmp / "src" / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w",
                    str(tmp / "wheel"), str(tmp / "src")], check=True, timeout=300)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    (wheel,) = (tmp / "wheel").glob("hwd-*.whl")
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=300)
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print("
                           "sysconfig.get_paths()['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()
    # The extras (numpy, Pillow, tqdm) from the dev venv; its editable hwd is not on this path.
    Path(site, "dev-extras.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run_installed(venv: Path, *args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HWD_MODELS")}
    if "HWD_DATA_DIR" in env:  # the command runs in another folder: a relative path would miss
        env["HWD_DATA_DIR"] = str(Path(env["HWD_DATA_DIR"]).resolve())
    return subprocess.run([str(venv / "bin" / "hwd"), *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


@pytest.mark.slow
def test_installed_package_recognizes_from_another_folder(installed: Path, tmp_path: Path):
    where = subprocess.run([installed / "bin" / "python", "-c",
                            "import hwd, hwd.models; print(hwd.__file__); "
                            "print(hwd.models.models_dir())"], capture_output=True, text=True,
                           cwd=tmp_path, check=True).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in where), where
    seven = hwd.format_wire(hwd.strokes_to_pixels([[[10, 10], [60, 10], [30, 90]]]))
    r = run_installed(installed, "recognize", "--network", "best", "--json", seven, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digit"] == 7
    r = run_installed(installed, "--version", cwd=tmp_path)
    assert r.stdout.strip() == f"hwd {hwd.__version__}"


@pytest.mark.slow
def test_installed_package_serves(installed: Path, tmp_path: Path):
    server = subprocess.Popen([str(installed / "bin" / "hwd"), "serve", "--port", "0", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        line = server.stdout.readline()
        assert line.startswith("serving on http://"), line + server.stderr.read()
        with urllib.request.urlopen(line.split()[-1] + "/healthz", timeout=30) as response:
            health = json.load(response)
        assert health["status"] == "ok" and health["layers"][0] == 784
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


@pytest.mark.slow
def test_installed_package_evaluates(installed: Path, tmp_path: Path, data_dir: Path):
    r = run_installed(installed, "evaluate", "best", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.splitlines()[-1])
    assert result["ok"] is True and result["network"].endswith("best.npz")
