"""The trimmed standard library (build.py, buildtools/stdlib.py) holds what the page needs:
every shipped module imports in the page, and the page running on Pyodide's whole library
(recognizing, opening the Inside panel, switching networks) loads no library module that
the trimmed one lacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pagetools import SEVEN, Site, build_site, draw, fit, open_page, pad_box, recognize, serve
from playwright.sync_api import Page, Route

from buildtools.stdlib import zip_modules

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# Appended to main.py: unpack the lazily loaded page modules, then import every module of
# hwd and every page module, and note failures.
IMPORT_ALL = """
import importlib as _importlib, io as _io, json as _json, os as _os, zipfile as _zipfile
from pyscript import fetch as _fetch
for _archive in LAZY:  # the page modules loaded later, as main.py unpacks them
    _data = await (await _fetch(_archive)).bytearray()
    _zipfile.ZipFile(_io.BytesIO(_data)).extractall(".")
_failures = {}
for _name in sorted(["hwd." + f[:-3] for f in _os.listdir("hwd") if f.endswith(".py")]
                    + [f[:-3] for f in _os.listdir(".") if f.endswith(".py")]):
    try:
        _importlib.import_module(_name.removesuffix(".__init__"))
    except Exception as _e:
        _failures[_name] = repr(_e)
window.hwdImportFailures = _json.dumps(_failures)
"""
# Appended to main.py: a function returning the names of the modules loaded so far.
LOADED = """
import json as _json, sys as _sys
window.hwdLoadedModules = create_proxy(lambda: _json.dumps(sorted(_sys.modules)))
"""


def append_to_main(page: Page, folder: Path, code: str) -> None:
    body = (folder / "main.py").read_text() + code

    def fulfill(route: Route) -> None:
        route.fulfill(body=body, content_type="text/x-python; charset=utf-8")

    page.route("**/main.py", fulfill)


@pytest.fixture(scope="module")
def full_stdlib_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("full")
    build_site(root / "hwd", ROOT / "models", "--full-stdlib")
    with serve(root) as origin:
        yield Site(root / "hwd", f"{origin}/hwd/", origin)


def test_every_shipped_module_imports_in_the_page(page: Page, site: Site) -> None:
    lazy = sorted(p.name for p in site.folder.glob("*.zip"))
    append_to_main(page, site.folder, IMPORT_ALL.replace("LAZY", repr(lazy)))
    open_page(page, site.url)
    page.wait_for_function("window.hwdImportFailures !== undefined")
    assert json.loads(page.evaluate("window.hwdImportFailures")) == {}
    assert len(zip_modules(site.folder / "pyodide" / "python_stdlib.zip")) < 300


def test_page_on_the_whole_library_loads_only_what_the_trimmed_one_has(
        page: Page, site: Site, full_stdlib_site: Site) -> None:
    full = zip_modules(full_stdlib_site.folder / "pyodide" / "python_stdlib.zip")
    trimmed = zip_modules(site.folder / "pyodide" / "python_stdlib.zip")
    assert len(trimmed) < len(full) / 2
    append_to_main(page, full_stdlib_site.folder, LOADED)
    open_page(page, full_stdlib_site.url, live=False)
    draw(page, fit(SEVEN, pad_box(page)[2], 0.6))
    assert recognize(page) == "7"
    page.click("[data-testid=inside] > summary")  # a page module loaded later (inside.zip)
    page.wait_for_selector("[data-testid=evidence]", state="attached", timeout=60_000)
    page.select_option("[data-testid=network]", "quick")  # a second network, loaded later
    page.wait_for_function(
        "document.querySelector('[data-testid=status]').dataset.network === 'quick'")
    loaded = set(json.loads(page.evaluate("window.hwdLoadedModules()"))) & full
    assert len(loaded) > 50  # the boot's own modules are there
    assert not loaded - trimmed, f"loaded but not in the trimmed stdlib: {sorted(loaded - trimmed)}"
