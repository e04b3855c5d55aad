"""build.py's lighter first visit: the trimmed standard library, the compact networks, the
config, the preloads and the service worker's version; and buildtools/stdlib.py's import
finder on small sources."""

from __future__ import annotations

import ast
import io
import json
import marshal
import re
import sys
import traceback
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT

sys.path.insert(0, str(ROOT))
from buildtools.stdlib import Library, defer_import, first_lines, imports, strip, zip_modules

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the working tree (the stdlib step is cached in .cache/)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from pagetools import build_site

    out = tmp_path_factory.mktemp("build") / "hwd"
    build_site(out, ROOT / "models")
    return out


def test_every_module_the_page_imports_is_in_the_trimmed_stdlib(built: Path) -> None:
    """Each import anywhere in the shipped hwd modules and page modules (functions too) that
    names a module of Pyodide's standard library is in the trimmed zip."""
    full = zip_modules(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip")
    trimmed = zip_modules(built / "pyodide" / "python_stdlib.zip")
    assert len(trimmed) < len(full) / 2
    sources = [p.read_text() for p in [*built.glob("*.py"), *(built / "hwd").glob("*.py")]]
    for archive in built.glob("*.zip"):  # the lazily loaded page modules
        with zipfile.ZipFile(archive) as z:
            sources += [z.read(n).decode() for n in z.namelist() if n.endswith(".py")]
    assert (built / "main.py").read_text() in sources
    needed = set()
    for source in sources:
        needed |= imports(ast.parse(source), "__main__", False, everywhere=True)
    needed = {name for name in needed if name in full}
    assert {"json", "zipfile"} <= needed
    assert not needed - trimmed, f"missing from the trimmed stdlib: {sorted(needed - trimmed)}"


def test_networks_are_shipped_compact(built: Path) -> None:
    for path in (built / "networks").glob("*.npz"):
        original = ROOT / "models" / path.name
        assert path.stat().st_size < 0.4 * original.stat().st_size
        with np.load(path) as z:
            assert z["weights_0"].dtype == np.int8 and "scales_0" in z.files


def test_config_preloads_and_version(built: Path) -> None:
    config = json.loads((built / "pyscript.json").read_text())
    assert config["interpreter"] == "./start_python.mjs"  # which imports Pyodide's
    assert (built / "start_python.mjs").is_file() and (built / "snapshot_worker.mjs").is_file()
    assert "./hwd/__init__.py" in config["files"]
    assert not list((built / "pyscript").glob("toml-*"))  # JSON config: no TOML parser
    html = (built / "index.html").read_text()
    preloaded = re.findall(r'<link rel="(?:module)?preload" href="\./([^"]+)"', html)
    assert "pyodide/pyodide.asm.wasm" in preloaded and "main.py" in preloaded
    assert "start_python.mjs" in preloaded and "snapshot_worker.mjs" not in preloaded
    assert any(p.startswith("pyscript/error-") for p in preloaded)  # imported before Pyodide
    assert not [p for p in preloaded if p.startswith("networks/")]  # after the wasm (pad.js)
    assert all((built / p).is_file() for p in preloaded)
    version = re.search(r'<meta name="hwd-build" content="(\w+)">', html)[1]
    sw = (built / "sw.js").read_text()
    assert f'const VERSION = "{version}";' in sw
    files = json.loads(re.search(r"const FILES = (\[.*\]);", sw)[1])
    assert all((built / f).is_file() for f in files if f != "./")
    assert "./pyodide/python_stdlib.zip" in files and "./networks/quick.npz" in files
    with zipfile.ZipFile(built / "pyodide" / "python_stdlib.zip") as library:
        assert all(n.endswith(".pyc") for n in library.namelist())  # compiled (stdlib.py)


def library(modules: dict[str, str]) -> Library:
    """A Library of small made-up modules ({"pkg/__init__.py": source, ...})."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, source in modules.items():
            z.writestr(name, source)
    return Library(buffer.getvalue())


def test_closure_follows_the_imports_that_run_on_import() -> None:
    lib = library({
        "a.py": "import b\nfrom pkg import sub\ntry:\n    import c\nexcept ImportError:\n    c = None\n"
                "def f():\n    import unused\nif __name__ == '__main__':\n    import script\n"
                "x = b'x'.decode('cp437')\n",
        "b.py": "from . import nothing\n", "c.py": "", "unused.py": "", "script.py": "",
        "pkg/__init__.py": "from .inner import *\n", "pkg/sub.py": "from ..b import x\n",
        "pkg/inner.py": "", "encodings/__init__.py": "", "encodings/cp437.py": "",
        "encodings/cp850.py": "", "encodings/aliases.py": "aliases = {'437': 'cp437'}\n",
    })
    # not: unused (in a function), script (__main__), encodings.cp850 (never named)
    assert lib.closure(["a"]) == {"a", "b", "c", "pkg", "pkg.sub", "pkg.inner", "encodings",
                                  "encodings.cp437"}


def test_imports_everywhere_and_relative() -> None:
    tree = ast.parse("import os.path as p\ndef f():\n    from .x import y, z\n")
    assert imports(tree, "pkg.mod", False, everywhere=True) == {"os.path", "pkg.x", "pkg.x.y",
                                                                 "pkg.x.z"}
    assert imports(tree, "pkg.mod", False, everywhere=False) == {"os.path"}


def test_html_imports_its_entity_table_only_when_unescaping() -> None:
    """The shipped html module (PyScript imports it for escape) leaves html.entities, 30 ms
    of compiling on a first visit, to the first unescape."""
    with zipfile.ZipFile(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip") as z:
        shipped = strip(z.read("html/__init__.py").decode(), "html")
    tree = ast.parse(shipped)
    assert imports(tree, "html", True, everywhere=False) == {"re"}
    assert "html.entities" in imports(tree, "html", True, everywhere=True)
    namespace: dict = {}
    exec(compile(shipped, "<html>", "exec"), namespace)
    assert namespace["escape"]("<a & b>") == "&lt;a &amp; b&gt;"
    assert namespace["unescape"]("&lt;&eacute;&#233;&notin;") == "<éé∉"


def test_pyodides_start_leaves_locale_tempfile_zipfile_to_the_functions_using_them() -> None:
    """subprocess (imported when Pyodide starts) imports locale for one function, and
    Pyodide's package loader tempfile (with random, bisect) and zipfile to install wheels:
    shipped, but imported when those functions run."""
    with zipfile.ZipFile(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip") as z:
        for member, module, deferred in (("subprocess.py", "subprocess", "locale"),
                                         ("pyodide/_package_loader.py",
                                          "pyodide._package_loader", "tempfile"),
                                         ("pyodide/_package_loader.py",
                                          "pyodide._package_loader", "zipfile")):
            tree = ast.parse(strip(z.read(member).decode(), module))
            assert deferred not in imports(tree, module, False, everywhere=False)
            assert deferred in imports(tree, module, False, everywhere=True)


def test_a_deferred_import_moves_into_the_functions_and_methods_that_use_it() -> None:
    source = ("import table\nimport json\n\ndef f():\n    return table.x\n\n"
              "def g():\n    return json\n\nclass C:\n    def m(self):\n"
              "        return [table.y for _ in '1']\n")
    tree = ast.parse(source)
    defer_import(tree, "table")
    assert imports(tree, "mod", False, everywhere=False) == {"json"}
    namespace: dict = {}
    exec(compile(tree, "<deferred>", "exec"), namespace)  # no module "table" exists yet
    assert "table" not in namespace and "json" in namespace
    sys.modules["table"] = type(sys)("table")
    try:
        sys.modules["table"].x, sys.modules["table"].y = 1, 2
        assert namespace["f"]() == 1 and namespace["C"]().m() == [2]
    finally:
        del sys.modules["table"]


@pytest.mark.parametrize("source", [
    "from table import big\nfirst = big[0]\n",  # module-level code
    "import table\nclass C:\n    size = table.size\n",  # a class attribute
    "import table\n@table.wrap\ndef f():\n    pass\n",  # a decorator
    "import table\ndef f(x=table.default):\n    return x\n",  # a default
])
def test_a_deferred_import_that_runs_on_import_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="uses"):
        defer_import(ast.parse(source), "table")
    with pytest.raises(ValueError, match="expected one"):
        defer_import(ast.parse("import table.sub\n"), "table")


def test_strip_keeps_the_code_and_drops_docstrings_and_comments() -> None:
    source = '"""Doc."""\n# comment\ndef f(x):\n    """Doc."""\n    return x + 1  # why\n' \
             'class C:\n    """Only a docstring."""\n'
    stripped = strip(source)
    assert "Doc" not in stripped and "comment" not in stripped and "why" not in stripped
    namespace: dict = {}
    exec(compile(stripped, "<stripped>", "exec"), namespace)
    assert namespace["f"](1) == 2 and namespace["C"].__doc__ is None


def test_first_line_tables_keep_the_code_and_name_each_function_s_first_line() -> None:
    source = "def f(x):\n    y = x + 1\n\n    return 1 / (y - y)\n" \
             "def g(x):\n    items = [x for _ in range(20)]\n    return f(len(items))\n"
    original = compile(source, "lib.py", "exec")
    code = marshal.loads(marshal.dumps(first_lines(original)))  # as zipimport reads it
    assert code.co_code == original.co_code
    namespace: dict = {}
    exec(code, namespace)
    with pytest.raises(ZeroDivisionError) as raised:
        namespace["g"](1)
    frames = traceback.extract_tb(raised.value.__traceback__)[1:]
    assert [(frame.name, frame.lineno) for frame in frames] == [("g", 5), ("f", 1)]
    for function in (namespace["f"], namespace["g"]):
        lines = {line for *_, line in function.__code__.co_lines()}
        assert lines == {function.__code__.co_firstlineno}
    assert len(zlib.compress(code.co_consts[0].co_linetable)) < 20
