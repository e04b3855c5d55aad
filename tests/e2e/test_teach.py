"""Teach it your handwriting, in the page: correct a misread European 1, see the writer's
next 1 read right, after an offline reload too; forget it; download the adapted network."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pagetools import Site, draw, fit, open_page, pad_box, recognize, wait_ready
from playwright.sync_api import Page, expect

import hwd
from hwd import adapt

pytestmark = pytest.mark.browser

# A UNIPEN writer whose 1s have a long flag: `best` reads several of them as 7s.
WRITER = ("val", "val01")
FRACTION = 0.6  # of the pad's side, as a person draws


@pytest.fixture(scope="module")
def ones(data_dir) -> tuple[list, list]:
    """Two of the writer's 1s that `best` misreads: one to teach, and one that `best` adapted
    to the first (in CPython) reads right (the first such pair)."""
    from helpers import ROOT

    from train.unipen import drawings

    best = hwd.load(ROOT / "models" / "best.npz")
    items = [d["strokes"] for d in drawings(data_dir)
             if (d["source"], d["writer"]) == WRITER and d["label"] == 1]
    wrong = [s for s in items if best.predict(hwd.strokes_to_pixels(s))[0] != 1]
    assert len(wrong) >= 2, "best should misread several of this writer's 1s"
    for taught in wrong:
        adapted = adapt.adapt(best, [adapt.Example(1, tuple(hwd.strokes_to_pixels(taught)))])
        for check in wrong:
            if check is not taught and adapted.predict(hwd.strokes_to_pixels(check))[0] == 1:
                return taught, check
    pytest.fail("teaching one of the writer's misread 1s should fix another")


def drawn(page: Page, strokes: Sequence) -> str:
    draw(page, fit(strokes, pad_box(page)[2], FRACTION))
    return recognize(page)


def taught(page: Page, count: int) -> None:
    """Wait until the page has adapted to ``count`` examples."""
    page.wait_for_function(
        "n => { const t = document.querySelector('[data-testid=taught]');"
        " return Number(t.dataset.count) === n && t.dataset.state !== 'learning'; }", arg=count)


def test_teach_remember_forget_download(page: Page, site: Site, ones, tmp_path) -> None:
    to_teach, check = ones
    open_page(page, site.url, live=False)
    offer = page.locator("[data-testid=teach]")
    expect(offer).to_be_hidden()  # the first screen stays as it was
    expect(page.locator("[data-testid=taught]")).to_be_hidden()

    assert drawn(page, to_teach) != "1"
    expect(offer).to_be_visible()
    # Keyboard: focus the "1" of the "I meant" row and press Enter.
    page.focus("[data-testid=meant] [data-digit='1']")
    page.keyboard.press("Enter")
    taught(page, 1)
    expect(page.locator("[data-testid=taught]")).to_contain_text("Learned from 1 drawing of yours.")
    expect(page.locator("[data-testid=prediction]")).to_have_text("1")  # read again, now right
    assert drawn(page, check) == "1"  # another of the writer's 1s, never shown

    # Remembered after a reload, offline too (the service worker has cached the app).
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    try:
        page.reload()
        wait_ready(page)
        # The adapted last layer was kept too: ready at once, no learning again first.
        assert page.locator("[data-testid=taught]").get_attribute("data-state") == "ready"
        page.uncheck("[data-testid=live]")
        taught(page, 1)
        assert drawn(page, check) == "1"
    finally:
        page.context.set_offline(False)

    with page.expect_download() as download:
        page.click("[data-testid=download-network]")
    path = tmp_path / "mine.npz"
    download.value.save_as(path)
    mine = hwd.load(path)
    assert mine.meta["adapted"]["examples"] == 1
    assert mine.meta["adapted"]["base"] == "best"
    assert mine.predict(hwd.strokes_to_pixels(check))[0] == 1

    page.click("[data-testid=forget]")
    expect(page.locator("[data-testid=taught]")).to_be_hidden()
    assert drawn(page, to_teach) != "1"  # back to the shipped network
    page.reload()
    wait_ready(page)
    page.uncheck("[data-testid=live]")
    assert page.locator("[data-testid=taught]").get_attribute("data-count") == "0"
    assert drawn(page, to_teach) != "1"


def test_teaching_works_with_the_other_network_and_a_brought_one(
        page: Page, two_network_site: Site, ones, tmp_path) -> None:
    to_teach, _ = ones
    open_page(page, two_network_site.url, live=False)
    other = next(n for n in two_network_site.networks() if n != "best")
    drawn(page, to_teach)
    page.click("[data-testid=meant] [data-digit='1']")
    taught(page, 1)
    status = page.locator("[data-testid=status]")
    page.select_option("[data-testid=network]", other)
    expect(status).to_have_attribute("data-network", other)
    taught(page, 1)
    assert drawn(page, to_teach) == "1"  # the taught drawing reads as taught with it too
    # A network the person brings (here the shipped quick one, under another name).
    from helpers import ROOT

    mine = tmp_path / "mine.npz"
    mine.write_bytes((ROOT / "models" / "quick.npz").read_bytes())
    page.set_input_files("[data-testid=open-network]", str(mine))
    expect(status).to_have_attribute("data-network", "mine.npz")
    taught(page, 1)
    assert drawn(page, to_teach) == "1"
