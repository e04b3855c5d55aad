"""The page's optional code loads on first use (site/first_use.py): a first visit fetches
none of it before ready; Number mode's code comes when the box is ticked, and at start when
it was left on, so that a number drawn right after a reload is read as one."""

from __future__ import annotations

import pytest
from pagetools import ONE, SEVEN, Site, draw, fit, open_page, pad_box, recognize, wait_ready
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

LAZY = ("inside.zip", "own_network.zip", "teach.zip", "number_mode.zip")
FETCHED = "() => performance.getEntriesByType('resource').map(e => e.name.split('/').pop())"


def fetched(page: Page) -> set[str]:
    return set(page.evaluate(FETCHED))


def one_seven(page: Page) -> list:
    """A 1 and a 7 side by side on the (wide) pad, 60 % of its height."""
    _, _, width = pad_box(page)
    height = page.locator("[data-testid=pad]").bounding_box()["height"]
    k = 0.6 * height / 100
    return [[(x * k + width * 0.3 + n * 90 * k, y * k + height * 0.2) for x, y in stroke]
            for n, digit in enumerate((ONE, SEVEN)) for stroke in digit]


def test_first_visit_fetches_no_optional_code(page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    assert not fetched(page) & {*LAZY, "segment.py", "adapt.py", "teach.py", "number_mode.py"}


def test_network_is_fetched_once_the_webassembly_is_in(page: Page, site: Site) -> None:
    """pad.js starts the network's download when Pyodide's WebAssembly has arrived, so
    that the two do not share the link."""
    open_page(page, site.url)
    name = page.locator("[data-testid=status]").get_attribute("data-network")
    network = page.locator(f'[data-testid=network] option[value="{name}"]').get_attribute(
        "data-file").split("/")[-1]
    times = dict(page.evaluate("""() => performance.getEntriesByType('resource')
        .map(e => [e.name.split('/').pop(), [e.startTime, e.responseEnd]])"""))
    assert times[network][0] >= times["pyodide.asm.wasm"][1]


def test_number_mode_loads_when_ticked_and_at_start_when_left_on(page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    page.check("[data-testid=number-mode]")
    draw(page, one_seven(page))  # at once: the reading waits for the code if it must
    assert recognize(page) == "17"
    assert "number_mode.zip" in fetched(page)

    page.reload()
    wait_ready(page)
    assert page.is_checked("[data-testid=number-mode]")
    assert "number_mode.zip" in fetched(page)  # before ready
    page.uncheck("[data-testid=live]")
    draw(page, one_seven(page))
    assert recognize(page) == "17"
    page.uncheck("[data-testid=number-mode]")  # digit mode again: its list stays empty
    draw(page, fit(SEVEN, pad_box(page)[2], 0.6))
    assert recognize(page) == "7"
    assert page.locator("[data-testid=digits] > *").count() == 0

