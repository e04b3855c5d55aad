"""The "Inside the network" panel and bringing your own network, in headless Chromium.

What the page shows is checked against :mod:`hwd.explain` run in CPython on the page's own
strokes: the same digit explained, the same number of active units, evidence of the same sign.
"""

from __future__ import annotations

import base64
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pagetools import ONE, SEVEN, ZERO, Site, draw, fit, open_page, pad_box, recognize
from playwright.sync_api import Page, expect

import hwd
from hwd import explain
from train import unipen
from train.mlp import MLP

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
INSIDE = "[data-testid=inside]"
EVIDENCE = "[data-testid=evidence]"
UNIPEN_SAMPLE = 6  # real drawings per network of one's own


# ------------------------------------------------------------------ helpers


def open_inside(page: Page) -> None:
    """Open the panel (if closed) and wait until its code has loaded."""
    if not page.eval_on_selector(INSIDE, "d => d.open"):
        page.click(f"{INSIDE} > summary")
    page.wait_for_selector(EVIDENCE, state="attached")


def page_trace(page: Page, network: hwd.Network) -> explain.Trace:
    """hwd.explain in CPython, on the strokes drawn on the page."""
    strokes = page.evaluate("hwdPad.strokes()")
    return explain.trace(network, hwd.strokes_to_pixels(strokes))


def canvas_rgba(page: Page, selector: str) -> np.ndarray:
    """A canvas's pixels as an (n, 4) array."""
    data = page.eval_on_selector(selector, """c => Array.from(
        c.getContext('2d').getImageData(0, 0, c.width, c.height).data)""")
    return np.array(data, dtype=np.uint8).reshape(-1, 4)


def blue_and_orange(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the painted pixels that are blue (towards, excites) or orange (against)."""
    painted = rgba[:, 3] > 0
    return painted & (rgba[:, 2] > rgba[:, 0] + 60), painted & (rgba[:, 0] > rgba[:, 2] + 60)


def layers_shown(page: Page) -> list[tuple[int, int]]:
    """(data-units, data-active) of each hidden layer shown."""
    return [(int(u), int(a)) for u, a in page.eval_on_selector_all(
        "[data-testid=activations] > [data-units]",
        "els => els.map(e => [e.dataset.units, e.dataset.active])")]


def check_against_cpython(page: Page, network: hwd.Network) -> explain.Trace:
    """The panel shows what hwd.explain computes in CPython for the same strokes."""
    t = page_trace(page, network)
    digit = int(page.locator("[data-testid=prediction]").text_content())
    assert digit == t.digit
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", str(digit))
    assert layers_shown(page) == [(len(a), sum(v > 0 for v in a)) for a in t.hidden]
    values = np.array(explain.evidence(network, t, digit))
    blue, orange = blue_and_orange(canvas_rgba(page, EVIDENCE))
    assert blue[values.argmax()] and blue.any()
    if values.min() < -0.2 * values.max():
        assert orange[values.argmin()]
    return t


def network_of(site: Site, page: Page) -> hwd.Network:
    """The network the page is using, read in CPython from the built site."""
    name = page.locator("[data-testid=status]").get_attribute("data-network")
    file = page.eval_on_selector(f"[data-testid=network] option[value='{name}']",
                                 "o => o.dataset.file")
    return hwd.load(site.folder / file)


def sketch(page: Page, strokes, fraction: float = 0.6) -> None:
    """Draw on the pad, scrolled back into view (using the panel scrolls the page)."""
    page.evaluate("scrollTo(0, 0)")
    draw(page, fit(strokes, pad_box(page)[2], fraction))


def drop_file(page: Page, name: str, data: bytes) -> None:
    """Drop a file onto the page, as dragging it from the desktop does."""
    transfer = page.evaluate_handle("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name));
        return transfer;
    }""", [name, base64.b64encode(data).decode()])
    page.dispatch_event("body", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("body", "drop", {"dataTransfer": transfer})


# ------------------------------------------------------------------ the panel


def test_panel_loads_when_opened_and_follows_the_drawing(ready_page: Page, site: Site) -> None:
    page = ready_page
    loaded = "performance.getEntriesByType('resource').some(e => e.name.endsWith('/inside.zip'))"
    sketch(page, SEVEN)
    recognize(page)
    assert not page.evaluate(loaded)  # closed: nothing of it fetched or computed
    assert page.locator(EVIDENCE).count() == 0
    open_inside(page)
    assert page.evaluate(loaded)
    network = network_of(site, page)
    t7 = check_against_cpython(page, network)  # opened after the drawing: shows it at once
    assert [n for n, _ in layers_shown(page)] == network.sizes[1:-1]

    sketch(page, ZERO)
    assert recognize(page) == "0"
    t0 = check_against_cpython(page, network)
    assert layers_shown(page) != [(len(a), sum(v > 0 for v in a)) for a in t7.hidden]

    # "Why not a 6?": tap another digit's bar.
    page.click("[data-testid=probabilities] [data-digit='6']")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", "6")
    values = np.array(explain.evidence(network, t0, 6))
    blue, _ = blue_and_orange(canvas_rgba(page, EVIDENCE))
    assert blue[values.argmax()]

    # Choose a unit: the most active ones are offered; type another.
    unit_title = page.locator("#unit-title")
    best = explain.strongest(t0.hidden[0], 5)
    expect(unit_title).to_have_text(f"#{best[0]}")
    page.click(f"#top-units [data-unit='{best[2]}']")
    expect(unit_title).to_have_text(f"#{best[2]}")
    page.fill("[data-testid=unit]", "17")
    expect(unit_title).to_have_text("#17")
    weights = np.array(explain.unit_weights(network, 17))
    blue, orange = blue_and_orange(canvas_rgba(page, "[data-testid=unit-weights]"))
    assert blue[weights.argmax()] and orange[weights.argmin()]
    drive = explain.unit_drive(network, t0, 17)
    shown = page.eval_on_selector_all("[data-testid=unit-drive] .value", "els => els.map(e => "
                                      "Number(e.textContent))")
    assert shown == pytest.approx(drive, abs=0.006)

    # Clear: the pictures empty; the next drawing is explained again.
    page.click("[data-testid=clear]")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", "")
    sketch(page, ONE)
    assert recognize(page) == "1"
    check_against_cpython(page, network)


def test_python_source_view_shows_the_modules_that_ran(ready_page: Page) -> None:
    page = ready_page
    open_inside(page)
    page.click("[data-testid=source-view] > summary")
    expect(page.locator("[data-testid=source]")).to_contain_text("class Network:")  # filled
    modules = page.eval_on_selector("[data-testid=source-module]",
                                    "s => [...s.options].map(o => o.value)")
    assert {"hwd/network.py", "hwd/packed.py", "hwd/explain.py", "hwd/preprocess.py"} <= set(modules)
    expect(page.locator("[data-testid=source]")).to_contain_text("class Network:")
    page.select_option("[data-testid=source-module]", "hwd/explain.py")
    expect(page.locator("[data-testid=source]")).to_contain_text("def logit_gradient")
    source = page.locator("[data-testid=source]").text_content()
    assert source == (ROOT / "pylib" / "hwd" / "explain.py").read_text()


def test_keyboard_only(ready_page: Page) -> None:
    page = ready_page
    if page.eval_on_selector(INSIDE, "d => d.open"):
        page.eval_on_selector(INSIDE, "d => { d.open = false; }")
    sketch(page, SEVEN)  # drawing needs a pointer; the rest does not
    page.focus("[data-testid=recognize]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=prediction]")).to_have_text("7")

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(f"{INSIDE} > summary")
    page.keyboard.press("Enter")
    page.wait_for_selector(EVIDENCE, state="attached")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", "7")
    page.keyboard.press("Shift+Tab")  # back up to the bars, now focusable
    tab_to("[data-testid=probabilities] [data-digit='2']")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", "2")
    tab_to("[data-testid=unit]")
    page.keyboard.press("Control+a")
    page.keyboard.type("5")
    expect(page.locator("#unit-title")).to_have_text("#5")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#unit-title")).to_have_text("#6")
    page.focus(f"{INSIDE} > summary")
    page.keyboard.press("Enter")  # closed again: the bars leave the tab order
    expect(page.locator("[data-testid=probabilities] [tabindex]")).to_have_count(0)
    expect(page.locator("[data-testid=probabilities] [data-explained]")).to_have_count(0)


@pytest.mark.browser_context_args(has_touch=True, is_mobile=True,
                                  viewport={"width": 390, "height": 740})
def test_phone_layout(page: Page, site: Site) -> None:
    open_page(page, site.url, live=False)
    open_inside(page)
    sketch(page, SEVEN)
    page.tap("[data-testid=recognize]")
    expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", "7")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    for selector in (EVIDENCE, "[data-testid=activations]", "[data-testid=unit-weights]",
                     "[data-testid=unit-drive]"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector


# ------------------------------------------------------------------ your own network


@pytest.fixture(scope="module")
def own_networks(tmp_path_factory: pytest.TempPathFactory, mnist) -> dict[str, Path]:
    """An HWD network trained for one epoch by `hwd train`, and an ancestor-format network
    (np.savez of [info, W1, W2], sigmoid, no biases) trained here with numpy."""
    folder = tmp_path_factory.mktemp("own")
    result = subprocess.run(
        [sys.executable, "-m", "hwd", "train", "--layers", "784,64,10", "--epochs", "1",
         "--limit", "10000", "--out", str(folder / "run"), "--save", str(folder / "mine.npz")],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    return {"mine.npz": folder / "mine.npz",
            "old.npz": ancestor_network(folder / "old.npz", mnist[0][:4000], mnist[1][:4000])}


def ancestor_network(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Train a 784-48-32-10 sigmoid network without biases on inputs 0.01 + 0.99 x, as the
    ancestor did, and save it in its format."""
    rng = np.random.default_rng(0)
    sizes = [784, 48, 32, 10]
    weights = [rng.normal(0, i ** -0.5, (o, i)) for i, o in itertools.pairwise(sizes)]
    x = 0.01 + 0.99 * images.reshape(len(images), -1).astype(np.float64)
    for _ in range(3):
        for batch in np.array_split(rng.permutation(len(x)), len(x) // 20):
            a = [x[batch]]
            for w in weights:
                a.append(1 / (1 + np.exp(-a[-1] @ w.T)))
            delta = a[-1] - np.eye(10)[labels[batch]]  # sigmoid outputs, cross-entropy
            for l in range(len(weights) - 1, -1, -1):
                gradient = delta.T @ a[l] / len(batch)
                if l:
                    delta = (delta @ weights[l]) * a[l] * (1 - a[l])
                weights[l] -= 1.0 * gradient
    np.savez(path, np.array([1.0, 90.0, 4, 1.7e9]), *weights)
    return path


@pytest.fixture(scope="module")
def drawings(data_dir: Path) -> list[dict]:
    """A few real pen-drawn digits (another sample than test_unipen.py's)."""
    return unipen.sample(UNIPEN_SAMPLE, 11, data_dir)


@pytest.mark.parametrize("name", ["mine.npz", "old.npz"])
def test_own_network_recognizes_like_hwd_in_cpython(ready_page: Page, own_networks, drawings,
                                                     name: str) -> None:
    page = ready_page
    path = own_networks[name]
    network = hwd.load(path)
    if name == "mine.npz":
        page.set_input_files("[data-testid=open-network]", str(path))
    else:
        drop_file(page, name, path.read_bytes())
    status = page.locator("[data-testid=status]")
    expect(status).to_have_attribute("data-network", name)
    expect(status).to_have_attribute("data-state", "ready")
    select = page.locator("[data-testid=network]")
    expect(select).to_have_value(name)
    layers = "-".join(map(str, network.sizes))
    expect(select.locator(f"option[value='{name}']")).to_contain_text(layers)
    expect(select.locator(f"option[value='{name}']")).to_contain_text(
        f"{network.meta['test_accuracy']:.2%}")
    open_inside(page)
    for digit in drawings:
        # Every third pen sample: the same shape for fewer mouse moves (the comparison with
        # CPython uses the strokes the page got, whatever they are).
        sketch(page, [stroke[::3] + stroke[-1:] for stroke in digit["strokes"]])
        shown = recognize(page)
        t = page_trace(page, network)
        assert shown == str(t.digit), (digit["source"], digit["label"])
        expect(page.locator(EVIDENCE)).to_have_attribute("data-digit", shown)
        assert layers_shown(page) == [(len(a), sum(v > 0 for v in a)) for a in t.hidden]
    page.select_option("[data-testid=network]", index=0)  # back to a shipped network
    expect(status).to_have_attribute("data-state", "ready")


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("broken.npz", b"PK\x03\x04 this is not really a zip", "not an .npz file"),
    ("numbers.npz", None, "not a network file"),
    ("huge.npz", b"\0" * 50_000_001, "50 MB"),
    ("wide.npz", "100 inputs", "takes 100 inputs"),
])
def test_a_bad_file_is_refused_and_the_page_keeps_working(
        ready_page: Page, tmp_path, name: str, data: bytes | str | None, problem: str) -> None:
    page = ready_page
    path = tmp_path / name
    if data is None:  # a valid .npz that is not a network
        np.savez(path, numbers=np.arange(10))
    elif isinstance(data, str):  # a network, but not of 28x28 pixels
        MLP([100, 20, 10]).save(path, {})
    else:
        path.write_bytes(data)
    status = page.locator("[data-testid=status]")
    before = status.get_attribute("data-network")
    options = page.locator("[data-testid=network] option").count()
    page.set_input_files("[data-testid=open-network]", str(path))
    message = page.locator("[data-testid=message]")
    expect(message).to_contain_text(name)
    expect(message).to_contain_text(problem)
    assert status.get_attribute("data-state") == "ready"
    assert status.get_attribute("data-network") == before
    assert page.locator("[data-testid=network] option").count() == options
    sketch(page, SEVEN)
    assert recognize(page) == "7"
