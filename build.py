"""Build HWD's static site: ``python build.py [--out DIR] [--models DIR]`` (default ``dist/``).

The result is a self-contained folder, servable with ``python -m http.server -d dist``
and deployable to GitHub Pages as it is (every URL in it is relative):

    index.html style.css pad.js main.py pyscript.json sw.js favicon.svg   the page (from site/)
    start_python.mjs snapshot_worker.mjs    how Pyodide starts: from a snapshot on repeat visits
    hwd/*.py                  the modules of the hwd package that ``import hwd`` needs
    networks/*.npz            the shipped networks (models/manifest.json, else every models/*.npz),
                              in the compact encoding (int8 with a scale per row)
    pyscript/                 @pyscript/core: core.js and the chunks this page loads
    pyodide/                  the pyodide npm package's core files, with the standard library
                              trimmed to what the page imports (buildtools/stdlib.py)

PyScript and Pyodide come from node_modules (``npm ci``, versions pinned in package.json).
Source maps and unused PyScript plugins are left out.  The folder is built next to the
destination and renamed into place, so a failed build never leaves a half-written site.
``--full-stdlib`` ships Pyodide's whole standard library instead (to compare).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SITE = ROOT / "site"
PACKAGE = ROOT / "pylib" / "hwd"
NODE_MODULES = ROOT / "node_modules"
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json"]
# Chunks that @pyscript/core's core chunk imports on demand and this page needs: the error
# plugin (imported even when disabled, to silence it).  The config is JSON, so PyScript's
# TOML parser is neither needed nor shipped.
PYSCRIPT_LAZY_CHUNKS = ("error-",)
SITE_FILES = ["index.html", "style.css", "pad.js", "main.py", "favicon.svg", "start_python.mjs",
              "snapshot_worker.mjs"]
# Page modules loaded only when the person first uses what they do: each ships as NAME.zip
# with the hwd modules it needs beyond the start's (site/first_use.py fetches it then), not in
# pyscript.json.
LAZY_PAGE_MODULES = ("inside", "own_network", "teach", "number_mode")
DEFAULT_NETWORK = "quick"  # used when there is no models/manifest.json
CACHE = ROOT / ".cache"  # results of slow build steps, by a hash of their inputs
STDLIB = "python_stdlib.zip"  # in pyodide/
# Python import statements inside PyScript's JavaScript (its bootstrap Python is in strings).
JS_PYTHON_IMPORT = re.compile(r"""(?:\\n|^|["'`;])\s*(?:from\s+([\w.]+)\s+import\s+([\w, ]+)"""
                              r"""|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))""", re.M)
# Pyodide's own modules, named by strings in its JavaScript and WebAssembly (imported from C).
PYODIDE_MODULE = re.compile(rb"""(?<=[\0"'])(_?pyodide(?:\.\w+)*)(?=[\0"'])""")
SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")


class BuildError(Exception):
    """A problem the person running the build can fix; the message says how."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (dist/)")
    parser.add_argument("--models", type=Path, default=ROOT / "models",
                        help="folder with the networks and manifest.json (models/)")
    parser.add_argument("--full-stdlib", action="store_true",
                        help="ship Pyodide's whole standard library, not the trimmed one")
    args = parser.parse_args(argv)
    try:
        files = build(args.out, args.models, trim=not args.full_stdlib)
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    total = sum(f.stat().st_size for f in files)
    print(f"built {args.out} ({len(files)} files, {total / 1e6:.1f} MB)")
    return 0


def build(out: Path, models: Path, trim: bool = True) -> list[Path]:
    """Build the site into ``out`` (replacing it) and return the files written."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write_site(tmp, models, trim)
        old = out.with_name(f".{out.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sorted(p for p in out.rglob("*") if p.is_file())


def write_site(dest: Path, models: Path, trim: bool = True) -> None:
    """Write every file of the site into the empty folder ``dest``."""
    copy_pyodide(dest / "pyodide")
    copy_pyscript(dest / "pyscript")
    # The page's own modules beside main.py (site/*.py), importable by main.py.
    pages = sorted(p.name for p in SITE.glob("*.py")
                   if p.name != "main.py" and p.stem not in LAZY_PAGE_MODULES)
    modules = copy_package(dest / "hwd", pages)
    networks = copy_networks(dest / "networks", models)
    for name in SITE_FILES:
        shutil.copy2(SITE / name, dest / name)
    index = dest / "index.html"
    for name in pages:
        shutil.copy2(SITE / name, dest / name)
    for name in LAZY_PAGE_MODULES:
        write_lazy_module(dest, name, modules)
    config = json.loads((SITE / "pyscript.json").read_text())
    config["files"] = {f"./{m}": f"./{m}" for m in [f"hwd/{m}" for m in modules] + pages}
    (dest / "pyscript.json").write_text(json.dumps(config, indent=1))
    if trim:
        trim_stdlib(dest)
    index.write_text(index.read_text()
                     .replace("<!-- NETWORK OPTIONS -->", options(networks))
                     .replace("<!-- PRELOAD -->", preloads(dest)))
    write_service_worker(dest)


def package_version(name: str) -> str:
    """The version of an installed npm package, or a BuildError telling to run npm ci."""
    manifest = NODE_MODULES / name / "package.json"
    if not manifest.exists():
        raise BuildError(f"{manifest.parent} is missing: run `npm ci` in {ROOT} first")
    installed = json.loads(manifest.read_text())["version"]
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"][name]
    if installed != pinned:
        raise BuildError(f"node_modules has {name} {installed}, package.json pins {pinned}: "
                         "run `npm ci`")
    return installed


def copy_pyodide(dest: Path) -> None:
    """Pyodide's core files (no packages: hwd needs only the standard library)."""
    package_version("pyodide")
    dest.mkdir()
    for name in PYODIDE_FILES:
        copy_without_source_map(NODE_MODULES / "pyodide" / name, dest / name)
    # Pyodide reads its lock file at start, but only its "info" matters when no package is
    # ever installed: the 357 package entries (119 kB) would be downloaded for nothing.
    lock = dest / "pyodide-lock.json"
    lock.write_text(json.dumps({"info": json.loads(lock.read_text())["info"], "packages": {}}))


def copy_pyscript(dest: Path) -> None:
    """core.js and what it imports, minus the plugins and chunks this page never loads."""
    package_version("@pyscript/core")
    source = NODE_MODULES / "@pyscript" / "core" / "dist"
    needed, todo = set(), ["core.js"]
    while todo:  # follow static imports from core.js, and the lazy chunks we need
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        text = (source / name).read_text()
        todo += re.findall(r'(?:from|import)\s*"\./([\w.-]+\.js)"', text)
        todo += [m for m in re.findall(r'import\("\./([\w.-]+\.js)"\)', text)
                 if m.startswith(PYSCRIPT_LAZY_CHUNKS)]
    dest.mkdir()
    for name in sorted(needed):
        copy_without_source_map(source / name, dest / name)


def trim_stdlib(dest: Path) -> None:
    """Replace pyodide/python_stdlib.zip by the modules the page can import, compiled
    (buildtools/stdlib.py).

    It runs under Pyodide's Python in Node.js; the result is cached in .cache/ by a hash
    of its inputs, since starting Pyodide takes seconds.
    """
    from buildtools.stdlib import imports  # our code is CPython 3.11 too: parse it here

    stdlib = (NODE_MODULES / "pyodide" / "python_stdlib.zip").resolve()
    roots = bootstrap_imports(dest)
    for source in shipped_python(dest):  # every import, anywhere
        roots |= imports(ast.parse(source), "__main__", False, everywhere=True)
    roots = {"modules": sorted(roots)}
    script = ROOT / "buildtools" / "stdlib.py"
    key = hashlib.sha256(json.dumps(roots).encode() + stdlib.read_bytes()
                         + script.read_bytes()).hexdigest()[:24]
    cached = CACHE / "stdlib" / key
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cached.parent))
        try:
            (tmp / "roots.json").write_text(json.dumps(roots))
            result = subprocess.run(
                ["node", str(ROOT / "buildtools" / "pyodide.mjs"), str(script), str(stdlib),
                 str(tmp / "roots.json"), str(tmp / STDLIB)],
                capture_output=True, text=True, check=False)
            if result.returncode:
                raise BuildError(f"trimming the standard library failed:\n{result.stderr}")
            (tmp / "roots.json").unlink()
            tmp.rename(cached)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.copyfile(cached / STDLIB, dest / "pyodide" / STDLIB)


def shipped_python(dest: Path) -> list[str]:
    """The source of every Python module the site ships: hwd/*.py, the page's *.py, and
    those inside the lazily loaded NAME.zip."""
    sources = [p.read_text() for p in sorted([*dest.glob("*.py"), *(dest / "hwd").glob("*.py")])]
    for archive in sorted(dest.glob("*.zip")):
        with zipfile.ZipFile(archive) as z:
            sources += [z.read(n).decode() for n in sorted(z.namelist()) if n.endswith(".py")]
    return sources


def bootstrap_imports(dest: Path) -> set[str]:
    """The modules that Pyodide and PyScript import from their own code when they start.

    Not those PyScript imports only to unpack a ``.tar.gz`` of the config's ``files``
    (``gzip``, ``tarfile``: 21 kB) when the config lists none."""
    names = set()
    for path in [*(dest / "pyscript").glob("*.js"), *(dest / "pyodide").glob("*.mjs")]:
        for source, imported, modules in JS_PYTHON_IMPORT.findall(path.read_text()):
            if source:
                names |= {source} | {f"{source}.{n.strip()}" for n in imported.split(",")}
            else:
                names |= {n.strip() for n in modules.split(",")}
    if not any(name.endswith((".tar.gz", ".tgz")) for name in config_files(dest)):
        names -= {"gzip", "tarfile"}
    for path in (dest / "pyodide").glob("pyodide.asm.*"):
        names |= {m.decode() for m in PYODIDE_MODULE.findall(path.read_bytes())}
    return names


def copy_without_source_map(source: Path, dest: Path) -> None:
    """Copy a file; for JavaScript, drop the sourceMappingURL comment (the maps are not shipped)."""
    if source.suffix in (".js", ".mjs"):
        dest.write_text(SOURCE_MAP.sub("\n", source.read_text()))
    else:
        shutil.copyfile(source, dest)


def write_lazy_module(dest: Path, name: str, loaded: list[str]) -> None:
    """``NAME.zip``: site/NAME.py and the hwd modules it needs beyond those loaded at start,
    which main.py fetches and unpacks when the person first opens what NAME shows."""
    source = (SITE / f"{name}.py").read_text()
    roots = hwd_imports(source)
    extra = [m for m in sorted(f"{r}.py" for r in package_modules(roots)) if m not in loaded]
    with zipfile.ZipFile(dest / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.py", source)
        for module in extra:
            z.writestr(f"hwd/{module}", (PACKAGE / module).read_text())


def hwd_imports(source: str) -> set[str]:
    """The hwd modules a page module imports by name: from hwd import explain / from
    hwd.explain import ..."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "hwd":
            roots |= {alias.name for alias in node.names if (PACKAGE / f"{alias.name}.py").exists()}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hwd."):
            roots.add(node.module.split(".")[1])
    return roots


def package_modules(roots: Iterable[str]) -> set[str]:
    """The modules of hwd that importing ``roots`` loads (following relative imports)."""
    needed, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    todo.append(node.module.split(".")[0])
                else:  # from . import a, b (modules; a name like __version__ is not one)
                    todo += [a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists()]
    return needed


def copy_package(dest: Path, pages: Iterable[str] = ()) -> list[str]:
    """The modules of hwd that ``import hwd`` loads, and those the page modules ``pages``
    (loaded at start) import by name, following relative imports; their names."""
    roots = {"__init__"}.union(*(hwd_imports((SITE / page).read_text()) for page in pages))
    needed = package_modules(roots)
    dest.mkdir()
    modules = sorted(f"{name}.py" for name in needed)
    for module in modules:
        shutil.copyfile(PACKAGE / module, dest / module)
    return modules


def copy_networks(dest: Path, models: Path) -> list[dict]:
    """Copy the shipped networks; their descriptions, the default one first."""
    manifest_file = models / "manifest.json"
    if manifest_file.exists():
        manifest = json.loads(manifest_file.read_text())
        entries = manifest.get("networks", {})
        default = manifest.get("default")
        if default not in entries:
            raise BuildError(f"{manifest_file}: default network {default!r} is not listed")
    else:
        entries = {p.stem: {"file": p.name} for p in sorted(models.glob("*.npz"))}
        default = DEFAULT_NETWORK if DEFAULT_NETWORK in entries else next(iter(entries), None)
    if not entries:
        raise BuildError(f"no networks in {models} (no manifest.json and no .npz files)")
    dest.mkdir()
    networks = []
    for name, entry in entries.items():
        source = models / entry["file"]
        if not source.exists():
            raise BuildError(f"network {name!r}: {source} is missing")
        data = source.read_bytes()
        if entry.get("sha256") and hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BuildError(f"network {name!r}: {source} does not match the manifest's sha256")
        (dest / source.name).write_bytes(compact(data, source, page_levels(name, entry)))
        accuracy = (1 - entry["test_error"] if entry.get("test_error") is not None
                    else meta_of(data).get("test_accuracy"))
        networks.append({"name": name, "file": f"networks/{source.name}",
                         "accuracy": accuracy, "default": name == default})
    return sorted(networks, key=lambda n: not n["default"])


def use_hwd() -> None:
    """Make ``import hwd`` work without `pip install -e .` too."""
    if str(PACKAGE.parent) not in sys.path:
        sys.path.insert(0, str(PACKAGE.parent))


def page_levels(name: str, entry: dict) -> int:
    """The int8 level count a network is sent with: its manifest entry's ``page_levels``
    (chosen by ``python -m train.levels``), else hwd.npzwrite.COMPACT_LEVELS."""
    use_hwd()
    from hwd.npzwrite import COMPACT_LEVELS

    levels = entry.get("page_levels", COMPACT_LEVELS)
    if not isinstance(levels, int) or isinstance(levels, bool) or not 1 <= levels <= 127:
        raise BuildError(f"network {name!r}: page_levels must be an integer from 1 to 127, "
                         f"not {levels!r}")
    return levels


def compact(npz: bytes, source: Path, levels: int) -> bytes:
    """A network file in the compact encoding with ``levels`` int8 steps either side of
    zero (hwd.npzwrite.compact_bytes), cached."""
    use_hwd()
    from hwd import load
    from hwd.npzwrite import compact_bytes

    writer = (PACKAGE / "npzwrite.py").read_bytes() + (PACKAGE / "packed.py").read_bytes()
    key = hashlib.sha256(npz + writer + str(levels).encode()).hexdigest()[:24]
    cached = CACHE / "networks" / f"{key}.npz"
    if not cached.exists():
        try:
            data = compact_bytes(load(npz), levels)
        except ValueError as e:
            raise BuildError(f"{source}: {e}") from None
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(cached)
    return cached.read_bytes()


def meta_of(npz: bytes) -> dict:
    """The ``meta`` dict of an HWD network file, read without loading its weights."""
    use_hwd()
    from hwd.npz import parse_npy

    try:
        with zipfile.ZipFile(io.BytesIO(npz)) as z:
            return json.loads(parse_npy(z.read("meta.npy")).data.decode())
    except (KeyError, ValueError, zipfile.BadZipFile):
        return {}


def options(networks: list[dict]) -> str:
    """The <option> elements of the network selector."""
    lines = []
    for n in networks:
        label = n["name"] + (f" ({n['accuracy']:.2%} on MNIST)" if n["accuracy"] else "")
        lines.append(f'          <option value="{html.escape(n["name"])}" '
                     f'data-file="{html.escape(n["file"])}"{" selected" if n["default"] else ""}>'
                     f"{html.escape(label)}</option>")
    return "\n".join(lines)


def config_files(dest: Path) -> dict[str, str]:
    """The ``files`` table of the built ``pyscript.json``: what PyScript fetches at start."""
    return json.loads((dest / "pyscript.json").read_text()).get("files", {})


def preloads(dest: Path) -> str:
    """<link> elements that start the downloads the page needs first, before the scripts
    that ask for them have loaded: PyScript's core chunk and the lazy chunks it imports
    before loading Pyodide, Pyodide, its standard library, the config and main.py.  Not
    the network: it would share the link with Pyodide's WebAssembly, which Python waits for
    (pad.js fetches it once the WebAssembly is in)."""
    core = [f"pyscript/{p.name}" for p in sorted((dest / "pyscript").glob("*-*.js"))
            if p.name.startswith(("core-", *PYSCRIPT_LAZY_CHUNKS))]
    modules = [*core, "start_python.mjs", "pyodide/pyodide.mjs", "pyodide/pyodide.asm.mjs"]
    # The config's files too (hwd/*.py, the page's modules): PyScript fetches them only once
    # Python has started, one round trip more before main.py can run.
    fetched = ["pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip", "pyscript.json",
               "main.py", *(name.removeprefix("./") for name in config_files(dest))]
    # crossorigin: fetch() requests are CORS-mode, and a preload only serves a request
    # made in the same mode (else the file would be downloaded twice).
    return "\n".join([f'  <link rel="modulepreload" href="./{m}">' for m in modules]
                     + [f'  <link rel="preload" href="./{f}" as="fetch" crossorigin="anonymous">'
                        for f in fetched])


def write_service_worker(dest: Path) -> None:
    """sw.js with the list of files to cache and the build's version, made from their
    contents; index.html carries the same version (``<meta name="hwd-build">``)."""
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (dest / name).read_bytes())
    version = digest.hexdigest()[:16]
    index = dest / "index.html"
    index.write_text(index.read_text().replace(
        '<meta name="hwd-build" content="dev">', f'<meta name="hwd-build" content="{version}">'))
    text = (SITE / "sw.js").read_text()
    text = re.sub(r'const VERSION = ".*";', f'const VERSION = "{version}";', text)
    urls = ["./"] + [f"./{name}" for name in files]
    text = re.sub(r"const FILES = \[.*\];", f"const FILES = {json.dumps(urls)};", text)
    (dest / "sw.js").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
