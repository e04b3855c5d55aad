"""Repeat visits start Python from a memory snapshot made after the first (start_python.mjs,
snapshot_worker.mjs, the service worker's cache): same answers, and a snapshot Pyodide
refuses is replaced, never a broken page."""

from __future__ import annotations

import pytest
from pagetools import (
    SEVEN,
    Site,
    draw,
    fit,
    open_page,
    pad_box,
    probabilities,
    python_start,
    recognize,
    snapshot_made,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# Bytes that are no snapshot, put where the page's build keeps its snapshot.
SPOIL = """async () => {
    const build = document.querySelector('meta[name="hwd-build"]').content;
    const cache = await caches.open('hwd-build-' + build);
    await cache.put('./python.snapshot', new Response(new Uint8Array(4096)));
}"""


def seven(page: Page) -> tuple[str, dict[int, float]]:
    draw(page, fit(SEVEN, pad_box(page)[2], 0.6))
    return recognize(page), probabilities(page)


def test_repeat_visit_starts_from_the_snapshot_with_the_same_answers(
        page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    assert python_start(page) == "fresh"  # no service worker yet
    fresh = seven(page)
    assert fresh[0] == "7"
    assert snapshot_made(page) == "kept"

    open_page(page, site.url, live=False)
    assert python_start(page) == "snapshot"
    assert seven(page) == fresh
    # Later imports from the standard library's zip work too: Number mode's code is
    # unpacked with zipfile (first_use.py), which the snapshot has not imported.
    page.click("[data-testid=clear]")
    page.check("[data-testid=number-mode]")
    assert seven(page)[0] == "7"
    assert page.evaluate("document.documentElement.dataset.snapshot") is None  # none made again


def test_a_refused_snapshot_is_replaced(page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    assert snapshot_made(page) == "kept"
    page.evaluate(SPOIL)

    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_page(page, site.url, live=False)
    assert python_start(page) == "fresh"
    assert any("snapshot was refused" in w for w in warnings), warnings
    assert seven(page)[0] == "7"
    assert snapshot_made(page) == "kept"  # a good one in its place

    open_page(page, site.url, live=False)
    assert python_start(page) == "snapshot"
