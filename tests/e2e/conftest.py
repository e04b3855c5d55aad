"""Fixtures for the end-to-end tests: a freshly built site served under a sub-path, Debian's
Chromium, and a check that no test's page asks any host but its own.

The site is built once per session (``build.py --out <tmp>/hwd``) and served by
``http.server`` on 127.0.0.1 at ``/hwd/``, as GitHub Pages serves a project at ``/REPO/``,
so a URL that is not relative breaks the tests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

# The helper modules beside this file and the page driver shared with bench/ (tools/),
# importable under any pytest --import-mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # buildtools
from pagetools import CHROMIUM, LAUNCH_ARGS, Site, build_site, open_page, serve

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, headless, with every host but 127.0.0.1 unresolvable."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window, so the pad has its largest size (480 CSS px)."""
    return {**browser_context_args, "viewport": {"width": 1100, "height": 820}}


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site built from the working tree's models/, served at http://127.0.0.1:PORT/hwd/."""
    root = tmp_path_factory.mktemp("site")
    build_site(root / "hwd", ROOT / "models")
    with serve(root) as origin:
        yield Site(root / "hwd", f"{origin}/hwd/", origin)


@pytest.fixture(scope="session")
def two_network_site(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site with at least two networks: the real one, or (before best.npz exists) a build
    whose models folder holds quick.npz twice, as "quick" and "quick-copy"."""
    if len(site.networks()) >= 2:
        yield site
        return
    models = tmp_path_factory.mktemp("models")
    for npz in (ROOT / "models").glob("*.npz"):
        (models / npz.name).write_bytes(npz.read_bytes())
        (models / f"{npz.stem}-copy.npz").write_bytes(npz.read_bytes())
    root = tmp_path_factory.mktemp("site2")
    build_site(root / "hwd", models)
    with serve(root) as origin:
        yield Site(root / "hwd", f"{origin}/hwd/", origin)


@pytest.fixture(autouse=True)
def only_own_host(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Record every request of the test's browser context and fail if one leaves 127.0.0.1."""
    if "context" not in request.fixturenames:
        yield []
        return
    context = request.getfixturevalue("context")
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    yield urls
    foreign = [u for u in urls if not u.startswith("http://127.0.0.1:")]
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.fixture(scope="module")
def shared_page(browser: Browser, site: Site) -> Iterator[Page]:
    """One ready page for the tests of a module that do not need a fresh load (a cold start
    costs seconds); the same check that every request stays on 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1100, "height": 820})
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    page = context.new_page()
    open_page(page, site.url, live=False)
    yield page
    context.close()
    foreign = [u for u in urls if not u.startswith("http://127.0.0.1:")]
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.fixture
def ready_page(shared_page: Page) -> Page:
    """The shared page, cleared, with live results off; ``data-count`` goes on counting."""
    shared_page.click("[data-testid=clear]")
    shared_page.uncheck("[data-testid=live]")
    return shared_page
