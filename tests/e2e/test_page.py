"""The page as a person uses it, in headless Chromium (the automation contract: docs/browser.md)."""

from __future__ import annotations

import re

import pytest
from pagetools import (
    ONE,
    SEVEN,
    ZERO,
    Site,
    count,
    draw,
    fit,
    ink,
    open_page,
    pad_box,
    probabilities,
    recognize,
    touch,
    wait_ready,
)
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

import hwd

pytestmark = pytest.mark.browser


def test_becomes_ready_with_own_files_only(page: Page, site: Site,
                                           only_own_host: list[str]) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_page(page, site.url)
    expect(page.locator("[data-testid=status]")).to_contain_text("Ready")
    assert not errors
    paths = {u.removeprefix(site.origin) for u in only_own_host}
    assert all(p.startswith("/hwd/") for p in paths), paths  # every URL is relative
    assert not [p for p in paths if p.endswith(".map")]
    assert "/hwd/pyodide/pyodide.asm.wasm" in paths
    # No plugin PyScript offers but the page does not use.
    assert not [p for p in paths if re.search(r"py-editor|py-terminal|py-game|donkey|xterm", p)]


def test_draw_with_mouse(ready_page: Page) -> None:
    page = ready_page
    before = count(page)
    side = pad_box(page)[2]
    draw(page, fit(SEVEN, side, 0.6))
    assert ink(page, "[data-testid=pad]") > 0
    assert recognize(page) == "7"
    assert count(page) == before + 1
    p = probabilities(page)
    assert sorted(p) == list(range(10))
    assert sum(p.values()) == pytest.approx(1, abs=0.01)
    assert max(p, key=p.__getitem__) == 7
    assert ink(page, "[data-testid=preview]") > 20  # the 28x28 input is shown


@pytest.mark.browser_context_args(has_touch=True, is_mobile=True,
                                  viewport={"width": 390, "height": 740})
def test_draw_with_touch_on_a_phone(page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    page.evaluate("scrollTo(0, 0)")  # unticking "live" scrolled down to it
    _, _, side = pad_box(page)
    assert 280 <= side <= 390  # at least 280 CSS px, and it fits the phone's screen
    scroll = page.evaluate("scrollY")
    touch(page, fit(ONE, side, 0.7))
    assert page.evaluate("scrollY") == scroll  # drawing does not scroll the page
    assert page.evaluate("hwdPad.strokes().length") == 1
    page.tap("[data-testid=recognize]")
    page.wait_for_function("document.querySelector('[data-testid=prediction]').dataset.count == 1")
    assert page.locator("[data-testid=prediction]").text_content() == "1"


def test_live_recognition_after_each_stroke(ready_page: Page) -> None:
    page = ready_page
    before = count(page)
    page.check("[data-testid=live]")
    draw(page, fit(ONE, pad_box(page)[2], 0.6))
    expect(page.locator("[data-testid=prediction]")).to_have_text("1")
    assert count(page) == before  # a live result is not a completed recognition


def test_clear(ready_page: Page) -> None:
    page = ready_page
    draw(page, fit(ZERO, pad_box(page)[2], 0.6))
    recognize(page)
    before = count(page)
    page.click("[data-testid=clear]")
    expect(page.locator("[data-testid=prediction]")).to_have_text("")
    assert ink(page, "[data-testid=pad]") == 0
    assert ink(page, "[data-testid=preview]") == 0
    assert set(probabilities(page).values()) == {0}
    assert count(page) == before  # Clear does not undo the count of recognitions


def test_new_drawing_after_a_recognition_starts_afresh(ready_page: Page) -> None:
    page = ready_page
    before = count(page)
    side = pad_box(page)[2]
    draw(page, fit(ONE, side, 0.6))
    assert recognize(page) == "1"
    draw(page, fit(SEVEN, side, 0.6))
    assert page.evaluate("hwdPad.strokes().length") == 1  # the 1 was cleared away
    expect(page.locator("[data-testid=prediction]")).to_have_text("")
    assert recognize(page) == "7"
    assert count(page) == before + 2
    # Without a recognition in between, strokes add up (a 4 or a 7 takes two).
    draw(page, fit(ONE, side, 0.6))
    page.click("[data-testid=clear]")
    draw(page, fit(ONE, side, 0.6))
    draw(page, fit(ONE, side, 0.3))
    assert page.evaluate("hwdPad.strokes().length") == 2


def test_empty_pad_asks_for_a_digit(ready_page: Page) -> None:
    page = ready_page
    before = count(page)
    page.click("[data-testid=recognize]")
    expect(page.locator("[data-testid=message]")).to_have_text("Draw a digit first.")
    expect(page.locator("[data-testid=prediction]")).to_have_text("")
    assert count(page) == before
    draw(page, fit(ONE, pad_box(page)[2], 0.6))
    recognize(page)
    expect(page.locator("[data-testid=message]")).to_have_text("")


def test_console_prints_the_wire_format(ready_page: Page, site: Site) -> None:
    page = ready_page
    lines: list[str] = []

    def note(message: ConsoleMessage) -> None:
        lines.append(message.text)

    page.on("console", note)
    draw(page, fit(SEVEN, pad_box(page)[2], 0.6))
    digit = recognize(page)
    page.remove_listener("console", note)
    wire = [line for line in lines if line.count(",") == 783]
    assert len(wire) == 1
    pixels = hwd.parse_wire(wire[0])  # pastes as it is into `hwd recognize` or /recognize
    name = page.locator("[data-testid=status]").get_attribute("data-network")
    network = hwd.load(site.folder / "networks" / f"{name}.npz")
    assert str(network.predict(pixels)[0]) == digit
    assert max(pixels) > 0.9


def test_network_selector_is_remembered(page: Page, two_network_site: Site) -> None:
    site = two_network_site
    open_page(page, site.url, live=False)
    select = page.locator("[data-testid=network]")
    labels = select.locator("option").all_text_contents()
    assert len(labels) >= 2
    assert all(re.search(r"\d+\.\d+% on MNIST", label) for label in labels), labels
    first, other = site.networks()[0], site.networks()[1]
    assert select.input_value() == first  # the default comes first
    draw(page, fit(SEVEN, pad_box(page)[2], 0.6))
    recognize(page)
    select.select_option(other)
    # The shown drawing is recognized again with the newly chosen network.
    page.wait_for_function("document.querySelector('[data-testid=prediction]').dataset.count == 2")
    status = page.locator("[data-testid=status]")
    assert status.get_attribute("data-network") == other
    page.reload()
    wait_ready(page)
    assert select.input_value() == other
    assert status.get_attribute("data-network") == other


def test_keyboard_and_visible_focus(ready_page: Page) -> None:
    page = ready_page
    before = count(page)
    draw(page, fit(ONE, pad_box(page)[2], 0.6))
    for _ in range(20):  # Tab along the page to the Recognize button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "recognize":
            break
    outline = page.eval_on_selector("[data-testid=recognize]",
                                    "e => getComputedStyle(e).outlineStyle")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('[data-testid=prediction]').dataset.count == {before + 1}")
    page.keyboard.press("Tab")  # to Clear
    page.keyboard.press("Space")
    expect(page.locator("[data-testid=prediction]")).to_have_text("")
    assert outline != "none"  # :focus-visible draws an outline after keyboard focus
    for selector in ("[data-testid=pad]", "[data-testid=network]", "[data-testid=live]"):
        label = page.eval_on_selector(
            selector, "e => e.getAttribute('aria-label') || (e.labels[0] || {}).textContent")
        assert label and label.strip()


def test_recognize_waits_until_ready(page: Page, site: Site) -> None:
    # Hold main.py back so the page is certainly still loading when Recognize is pressed.
    held: list = []
    page.route("**/main.py", lambda route: held.append(route))
    page.goto(site.url)
    draw(page, fit(ONE, pad_box(page)[2], 0.6))  # drawing works at once
    page.click("[data-testid=recognize]")
    status = page.locator("[data-testid=status]")
    assert status.get_attribute("data-state") == "loading"
    while not held:  # the handler runs while Playwright waits
        page.wait_for_timeout(100)
    held[0].continue_()
    page.wait_for_function("document.querySelector('[data-testid=prediction]').dataset.count == 1",
                           timeout=90_000)
    assert page.locator("[data-testid=prediction]").text_content() == "1"


def test_loading_error_in_plain_words(page: Page, site: Site) -> None:
    page.route("**/pyodide.asm.wasm", lambda route: route.abort())
    page.goto(site.url)
    status = page.locator("[data-testid=status]")
    expect(status).to_have_attribute("data-state", "error", timeout=60_000)
    expect(status).to_contain_text("could not be loaded")


def test_works_offline_after_first_visit(context: BrowserContext, page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    context.set_offline(True)
    try:
        page.reload()
        wait_ready(page)
        draw(page, fit(ONE, pad_box(page)[2], 0.6))
        assert recognize(page) == "1"
    finally:
        context.set_offline(False)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_theme_follows_the_system(browser: Browser, site: Site, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1100, "height": 820})
    try:
        page = context.new_page()
        page.goto(site.url)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        level = sum(int(v) for v in re.findall(r"\d+", background)[:3]) / 3
        assert (level > 128) == (scheme == "light"), background
    finally:
        context.close()
