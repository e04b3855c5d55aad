"""28x28 images as ASCII art, the ancestor's way of looking at the data."""

from __future__ import annotations

from collections.abc import Sequence

from .preprocess import SIZE

SHADES = " .:-=+*#%@"  # background .. ink


def ascii_art(pixels: Sequence[float], caption: str = "") -> str:
    """Row-major [0, 1] pixels as 28 lines of characters, two per pixel so it looks square."""
    lines = ["".join(SHADES[min(int(v * len(SHADES)), len(SHADES) - 1)] * 2
                     for v in pixels[y * SIZE:(y + 1) * SIZE]).rstrip() for y in range(SIZE)]
    return "\n".join(([caption] if caption else []) + lines)


# Evidence for a digit: (threshold as a fraction of the largest |value|, characters), strongest first.
EVIDENCE_FOR = ((0.5, "@@"), (0.1, "++"))
EVIDENCE_AGAINST = ((0.5, "=="), (0.1, "--"))
EVIDENCE_LEGEND = "@@/++ towards, ==/-- against (strongly/less), .. ink that hardly counts"


def signed_art(values: Sequence[float], pixels: Sequence[float], caption: str = "") -> str:
    """Signed per-pixel values (evidence) as 28 lines: positive and negative in different
    characters, and the ink (``pixels``) with little of either as dots, so the digit shows."""
    largest = max((abs(v) for v in values), default=0.0) or 1.0

    def cell(v: float, ink: float) -> str:
        for threshold, chars in EVIDENCE_FOR if v > 0 else EVIDENCE_AGAINST:
            if abs(v) >= threshold * largest:
                return chars
        return ".." if ink > 0.2 else "  "

    lines = ["".join(cell(v, ink) for v, ink in zip(values[y * SIZE:(y + 1) * SIZE],
                                                    pixels[y * SIZE:(y + 1) * SIZE], strict=True))
             .rstrip() for y in range(SIZE)]
    return "\n".join(([caption] if caption else []) + lines)
