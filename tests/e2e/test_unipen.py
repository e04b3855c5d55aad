"""Real pen-drawn digits (UNIPEN) drawn on the page with the mouse, as a person would.

A smaller fixed sample than bench/unipen_browser.py (which prints the full figure on
500 digits), with a threshold a few points below what that sample measured, so the
test is stable yet catches a page that mangles strokes (scaling, order, y direction).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pagetools import replay
from playwright.sync_api import Page

from train import unipen

pytestmark = pytest.mark.browser

ACCURACY_SAMPLE = 60  # digits drawn at a comfortable size, 60 % of the pad
ACCURACY_THRESHOLD = 0.90  # quick.npz: 98.3 % (59/60) on this sample read by hwd; docs/browser.md
SIZE_SAMPLE = 30  # digits drawn at 40 % and at 90 % of the pad
SIZE_AGREEMENT = 0.94  # quick.npz: 100 % (30/30) on this sample; one miss is allowed


@pytest.fixture(scope="module")
def digits(data_dir: Path) -> list[dict]:
    """The fixed sample; skipped without HWD_DATA_DIR, an error if it is set but wrong."""
    return unipen.sample(max(ACCURACY_SAMPLE, SIZE_SAMPLE), unipen.SEED, data_dir)


def test_recognizes_real_pen_drawn_digits(digits: list[dict],
                                          ready_page: Page) -> None:
    sample = digits[:ACCURACY_SAMPLE]
    answers = replay(ready_page, [d["strokes"] for d in sample], 0.6)
    wrong = [(d["label"], a, d["source"]) for d, a in zip(sample, answers, strict=True)
             if a != str(d["label"])]
    accuracy = 1 - len(wrong) / len(sample)
    assert accuracy >= ACCURACY_THRESHOLD, f"{accuracy:.1%}; (label, answer, source): {wrong}"


def test_answer_does_not_depend_on_drawing_size(digits: list[dict],
                                                ready_page: Page) -> None:
    sample = [d["strokes"] for d in digits[:SIZE_SAMPLE]]
    small = replay(ready_page, sample, 0.4)
    large = replay(ready_page, sample, 0.9)
    same = sum(a == b for a, b in zip(small, large, strict=True)) / len(sample)
    assert same >= SIZE_AGREEMENT, f"{same:.1%}: {list(zip(small, large, strict=True))}"
