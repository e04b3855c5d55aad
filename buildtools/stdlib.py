"""The part of Python's standard library a page needs, found by following its imports.

Pyodide ships the whole standard library as ``python_stdlib.zip`` (2.5 MB gzip); a page
that imports ``json`` and ``zipfile`` needs a fraction of it.  From the *roots* (what
Pyodide's and PyScript's own bootstrap Python imports, and every import anywhere in
``hwd`` and the page's ``*.py``) we follow the imports that run when a module is
imported, through the sources in the zip, and write what is reached to a smaller zip
with the same layout.  Imports inside functions of the standard library are not
followed (that would pull in most of it, from ``pdb`` to ``email``); an import that
runs when a module is imported is followed, inside ``try`` and ``if`` too (optional
imports included: the page then loads what it would load with the whole library),
except in blocks that never run in the browser: ``if __name__ == "__main__":``,
``if TYPE_CHECKING:`` and ``if sys.platform == "win32":``.  Codecs are looked up by
name at run time (``data.decode("cp437")`` imports ``encodings.cp437``), so the codecs
a reached module names in such a call (or as an ``encoding`` argument) are kept too.

The kept modules are shipped compiled, as bytecode (``.pyc``) made by the Python the page
runs: compiling 150 modules from source was half of a first visit's start (Python's
compiler running in freshly loaded WebAssembly), and the bytecode of each is read in a
fraction of that.  Bytecode is larger than source, so it is made small: the source loses
its comments and docstrings first (``ast.unparse``; ``__doc__`` is then None, as under
``python -OO``), and the line table of each code object says only its first line (a
traceback through the library names the function and the line of its ``def``; the zip
holds no source to show anyway).  The full line table is 40 % of the bytes.

Every first visit runs the modules it imports, so an import that a module
runs at once but uses only inside functions is moved into those functions (``DEFERRED``):
PyScript imports ``html`` for ``html.escape``, and ``html`` imports ``html.entities`` (a
table of 2,231 entities) for ``html.unescape`` only;
Pyodide's own start imports ``subprocess``, which imports ``locale`` for one function, and
its package loader imports ``tempfile`` (with ``random`` and ``bisect``) and ``zipfile`` to
install wheels (``hwd`` reads its networks' zips without ``zipfile``).
The deferred modules are still shipped (the imports are followed in the original sources),
so the functions work when called.

This module runs under Pyodide's own Python (3.14, in Node.js, started by build.py
through ``pyodide.mjs`` beside this file), so that ``ast`` parses the sources exactly
as the browser will run them:

    node buildtools/pyodide.mjs buildtools/stdlib.py STDLIB_ZIP ROOTS_JSON OUT_ZIP

ROOTS_JSON holds {"modules": [names]}; the bytecode is only for the Python that runs this.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import marshal
import os
import sys
import zipfile
from collections.abc import Iterable
from types import CodeType

_CODEC_CALLS = {"decode", "encode", "lookup", "getdecoder", "getencoder", "getreader",
                "getwriter", "getincrementaldecoder", "getincrementalencoder", "iterdecode",
                "iterencode"}
# What the interpreter imports by name: when it starts (site), to read the zip itself
# (zipimport) and for its codecs.
INTERPRETER = ["encodings", "encodings.aliases", "encodings.utf_8", "encodings.latin_1",
               "encodings.ascii", "site", "zipimport"]
# module -> the modules whose import it runs only when a function that needs them is called
DEFERRED = {"html": ("html.entities",), "subprocess": ("locale",),
            "pyodide._package_loader": ("tempfile", "zipfile")}


class Library:
    """The modules of a stdlib zip: name -> (member path, source), and codec names."""

    def __init__(self, zip_bytes: bytes) -> None:
        self.members: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
            for member in z.namelist():
                if member.endswith(".py"):
                    name = module_name(member)
                    self.members[name] = member
                    self.sources[name] = z.read(member).decode("utf-8")
        self.codecs = {name.split(".", 1)[1]: name for name in self.members
                       if name.startswith("encodings.")}
        if "encodings.aliases" in self.sources:  # {"latin1": "latin_1", ...}
            table = ast.parse(self.sources["encodings.aliases"])
            for node in ast.walk(table):
                if isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                            self.codecs.setdefault(key.value, f"encodings.{value.value}")

    def is_package(self, name: str) -> bool:
        return self.members[name].endswith("/__init__.py")

    def closure(self, roots: Iterable[str]) -> set[str]:
        """The modules reached from ``roots`` (unknown names are ignored), parents included."""
        reached: set[str] = set()
        todo = list(roots)
        while todo:
            parts = todo.pop().split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
                name = ".".join(parts[:i])
                if name in self.members and name not in reached:
                    reached.add(name)
                    tree = ast.parse(self.sources[name])
                    todo += imports(tree, name, self.is_package(name), everywhere=False)
                    if not name.startswith("encodings"):  # the alias table names them all
                        todo += self.codecs_named(tree)
        return reached

    def codecs_named(self, tree: ast.AST) -> set[str]:
        """The codec modules a module may look up: string constants given to ``decode``,
        ``encode`` and the like, or as an ``encoding`` argument or default."""
        return {self.codecs[n] for n in map(_codec_name, codec_constants(tree)) if n in self.codecs}

    def zip(self, names: Iterable[str]) -> bytes:
        """A zip of the named modules, stripped and compiled (``NAME.pyc`` for the running
        Python, at the source's path)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for name in sorted(names):
                member = self.members[name]
                info = zipfile.ZipInfo(member[:-3] + ".pyc", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, bytecode(strip(self.sources[name], name), member))
        return buffer.getvalue()


def module_name(member: str) -> str:
    """The module a zip member holds: ``"json/__init__.py"`` or ``.pyc`` -> ``"json"``."""
    return member.removesuffix(".pyc").removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def zip_modules(path: str | os.PathLike) -> set[str]:
    """The names of the modules in a library zip, as source or compiled."""
    with zipfile.ZipFile(path) as z:
        return {module_name(n) for n in z.namelist() if n.endswith((".py", ".pyc"))}


def bytecode(source: str, member: str) -> bytes:
    """A sourceless ``.pyc`` of ``source`` for the running Python, named as zipimport names
    modules of the standard library zip (in tracebacks), with first-line tables."""
    library_zip = next((p for p in sys.path if p.endswith(".zip")), "/lib/python.zip")
    code = first_lines(compile(source, f"{library_zip}/{member}", "exec", dont_inherit=True))
    # magic, flags 0 (timestamp-based, never checked without a source), mtime 0, size 0
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def first_lines(code: CodeType) -> CodeType:
    """``code`` (and the code objects in its constants) with every instruction on its first
    line: one entry per 8 code units, "no columns, line + 0" (CPython's
    Objects/locations.md), which deflate packs into almost nothing."""
    units = len(code.co_code) // 2  # instructions and their inline caches
    lengths = [8] * (units // 8) + ([units % 8] if units % 8 else [])
    table = b"".join(bytes([0x80 | 13 << 3 | (length - 1), 0]) for length in lengths)
    consts = tuple(first_lines(c) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_linetable=table, co_consts=consts)


def imports(tree: ast.AST, module: str, is_package: bool, everywhere: bool) -> set[str]:
    """The absolute names a module may import; ``from a import b`` gives ``a`` and ``a.b``
    (a name that is no module is ignored later).  Unless ``everywhere``, only the imports
    that run when the module is imported."""
    found: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        if not everywhere:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(node, ast.If) and _never_runs(node.test):
                todo += node.orelse
                continue
        todo += ast.iter_child_nodes(node)
    return {name.strip(".") for name in found if name.strip(".")}


def codec_constants(tree: ast.AST) -> set[str]:
    """String constants that may name a codec: arguments of ``x.decode(...)``,
    ``x.encode(...)``, ``codecs.lookup(...)``, ``encoding=...``, and defaults of
    parameters named ``*encoding*``."""
    places: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            if name in _CODEC_CALLS:
                places += node.args
            places += [k.value for k in node.keywords if k.arg and "encoding" in k.arg]
        elif isinstance(node, ast.arguments):
            named = [*node.posonlyargs, *node.args][-len(node.defaults):] if node.defaults else []
            places += [d for a, d in zip(named, node.defaults, strict=True) if "encoding" in a.arg]
            places += [d for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                       if d is not None and "encoding" in a.arg]
    return {n.value for place in places for n in ast.walk(place)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _codec_name(name: str) -> str:
    """A codec name as the encodings package normalizes it ("UTF-16" -> "utf_16")."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module named by ``from ... import``, relative ones resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def _never_runs(test: ast.expr) -> bool:
    """Whether an ``if`` test is false in the browser: __main__, TYPE_CHECKING, Windows."""
    source = ast.unparse(test).replace("'", '"')
    return source in ('__name__ == "__main__"', "TYPE_CHECKING", "typing.TYPE_CHECKING",
                      'sys.platform == "win32"', 'os.name == "nt"')


def strip(source: str, module: str = "") -> str:
    """The same code without comments and docstrings, and the import of ``DEFERRED[module]``
    moved into the functions that use it."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    for deferred in DEFERRED.get(module, ()):
        defer_import(tree, deferred)
    return ast.unparse(tree) + "\n"


def defer_import(tree: ast.Module, deferred: str) -> None:
    """Move the module-level ``import deferred`` or ``from deferred import ...`` of ``tree``
    into each function (or method) that uses a name it binds; refuse if code that runs when
    the module is imported uses one (a decorator, a default, a class attribute too).
    Annotations stay as written: Python 3.14 evaluates them only when asked (PEP 649), and
    only introspecting them (``typing.get_type_hints``) would then miss the name."""
    moved = [node for node in tree.body
             if (isinstance(node, ast.ImportFrom) and node.module == deferred and not node.level)
             or (isinstance(node, ast.Import) and [a.name for a in node.names] == [deferred])]
    if len(moved) != 1:
        raise ValueError(f"expected one module-level 'import {deferred}' or "
                         f"'from {deferred} import ...'")
    names = {alias.asname or alias.name.split(".")[0] for alias in moved[0].names}
    tree.body.remove(moved[0])

    def uses(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))

    def move_into(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                runs_now = [*node.decorator_list, *node.args.defaults,
                            *filter(None, node.args.kw_defaults)]
                if any(map(uses, runs_now)):
                    raise ValueError(f"a decorator or default uses {sorted(names)}")
                if uses(node):
                    node.body.insert(0, moved[0])
            elif isinstance(node, ast.ClassDef) and not any(map(uses, [*node.bases,
                                                                       *node.decorator_list])):
                move_into(node.body)
            elif uses(node):
                raise ValueError(f"module-level code uses {sorted(names)} from {deferred}")

    move_into(tree.body)


def main(argv: list[str]) -> int:
    stdlib, roots_file, out = argv
    with open(stdlib, "rb") as f:
        library = Library(f.read())
    with open(roots_file) as f:
        roots = json.load(f)
    kept = library.closure([*INTERPRETER, *roots["modules"]])
    with open(out, "wb") as f:
        f.write(library.zip(kept))
    print(json.dumps(sorted(kept)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
