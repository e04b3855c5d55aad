"""A new build deployed over an old one: a returning visitor gets it whole on the next load
(Python not started from the old build's snapshot), and it works offline afterwards (the
service worker, site/sw.js)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pagetools import (
    ONE,
    build_site,
    draw,
    fit,
    open_page,
    pad_box,
    python_start,
    recognize,
    serve,
    snapshot_made,
    wait_ready,
)
from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STATUS = "[data-testid=status]"
# The registration has one worker, active, and the cache of build `version` is complete.
INSTALLED = """async (version) => {
    const registration = await navigator.serviceWorker.getRegistration();
    return Boolean(registration && registration.active && !registration.installing
                   && !registration.waiting) && await caches.has('hwd-build-' + version);
}"""
MARK_B = '\nwindow.hwdBuildMark = "B"  # added by test_update.py\n'


def build_version(folder: Path) -> str:
    return re.search(r'<meta name="hwd-build" content="(\w+)">',
                     (folder / "index.html").read_text())[1]


def eventually(page: Page, script: str, arg: str, timeout: float = 60) -> None:
    """Wait until the async function ``script`` resolves to true in the page."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(200)


def build_b(tmp_path: Path, out: Path) -> None:
    """Build B from a copy of the project whose main.py is changed, with only the quick
    network (so B's page, its network list, default network and main.py all differ)."""
    tree = tmp_path / "tree-b"
    tree.mkdir()
    for name in ("build.py", "package.json"):
        shutil.copy2(ROOT / name, tree / name)
    for name in ("site", "pylib", "buildtools"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("node_modules", ".cache"):  # shared, so the slow build steps stay cached
        (ROOT / name).mkdir(exist_ok=True)
        (tree / name).symlink_to((ROOT / name).resolve())
    (tree / "site" / "main.py").write_text((tree / "site" / "main.py").read_text() + MARK_B)
    (tree / "models").mkdir()
    shutil.copyfile(ROOT / "models" / "quick.npz", tree / "models" / "quick.npz")
    subprocess.run([sys.executable, str(tree / "build.py"), "--out", str(out)], check=True,
                   capture_output=True)


def test_new_build_reaches_a_returning_visitor_whole_then_works_offline(
        context: BrowserContext, page: Page, tmp_path: Path) -> None:
    site = tmp_path / "served" / "hwd"
    build_site(site, ROOT / "models")  # build A
    with serve(site.parent) as origin:
        url = f"{origin}/hwd/"
        open_page(page, url)
        a = build_version(site)
        assert page.locator(STATUS).get_attribute("data-network") == "best"
        eventually(page, INSTALLED, a)
        assert snapshot_made(page) == "kept"  # A's Python, kept with A

        build_b(tmp_path, site)  # deployed into the same folder
        b = build_version(site)
        assert b != a
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.reload()
        wait_ready(page)
        # B's page, B's main.py, B's network, and nothing of A's.
        assert page.locator('meta[name="hwd-build"]').get_attribute("content") == b
        assert page.evaluate("window.hwdBuildMark") == "B"
        assert page.locator(STATUS).get_attribute("data-network") == "quick"
        assert not [u for u in requested if u.endswith("/best.npz")]
        assert python_start(page) == "fresh"  # not from A's snapshot
        assert not errors  # B has no snapshot yet: that is no error

        eventually(page, INSTALLED, b)
        assert snapshot_made(page) == "kept"
        # No page runs A any more: its cache goes once B's worker has activated.
        eventually(page, "async (name) => !(await caches.has(name))", f"hwd-build-{a}")
        context.set_offline(True)
        try:
            page.reload()
            wait_ready(page)
            assert page.locator('meta[name="hwd-build"]').get_attribute("content") == b
            assert page.evaluate("window.hwdBuildMark") == "B"
            assert python_start(page) == "snapshot"  # B's, offline too
            draw(page, fit(ONE, pad_box(page)[2], 0.6))
            assert recognize(page) == "1"
        finally:
            context.set_offline(False)
