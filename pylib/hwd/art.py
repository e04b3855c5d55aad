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
