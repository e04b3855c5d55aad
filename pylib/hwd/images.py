"""Read a photo or scan of a digit (PNG, JPEG, ...) as the network's input, within limits.

Pillow is optional (``pip install pillow``, part of ``hwd[train]``); nothing else in
``hwd`` needs it.  An image's size is read from its header and checked against
``MAX_PIXELS`` *before* it is decoded, so a tiny file that claims 20000x20000 pixels (a
decompression bomb) costs nothing.  A big but sane photo is shrunk cheaply (JPEG's own
reduced decoding, then box averaging) to at most ``MAX_SIDE`` pixels a side before the
pure-Python preprocessing sees it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .inputs import InputError, TooLarge
from .preprocess import Pixels, raster_to_pixels

MAX_PIXELS = 50_000_000  # width x height: a 48-megapixel phone photo fits
MAX_SIDE = 256  # px: the digit ends up 20 px tall; this keeps thin ink and costs ~0.1 s
INK = 0.1  # values below this are scanner noise, not ink


def read_image(path: str | Path) -> Pixels:
    """A grayscale image as network input; dark ink on a light background is inverted so
    that 1.0 = ink."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise InputError("reading images needs Pillow: pip install pillow") from None
    try:
        with warnings.catch_warnings():
            # Pillow warns of images over 89 MP as it opens them; ours is the limit that counts.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            gray = _decode(Image.open(path), path)
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InputError(f"{path}: unreadable image ({e})") from None
    except Image.DecompressionBombError:  # Pillow's own limit, checked as the file is opened
        raise TooLarge(f"{path}: the image has more than {MAX_PIXELS:,} pixels") from None
    gray.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    width, height = gray.size
    values = [v / 255 for v in gray.getdata()]
    rows = [values[y * width:(y + 1) * width] for y in range(height)]
    border = rows[0] + rows[-1] + [r[0] for r in rows] + [r[-1] for r in rows]
    if sum(border) / len(border) > 0.5:
        rows = [[1.0 - v for v in row] for row in rows]
    # Faint scanner noise would otherwise count as ink and inflate the bounding box.
    rows = [[v if v > INK else 0.0 for v in row] for row in rows]
    return raster_to_pixels(rows)


def _decode(image, path: str | Path):
    """The opened image in grayscale, decoded only if its header passes the pixel limit."""
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise TooLarge(f"{path}: the image is {width}x{height} pixels; at most "
                           f"{MAX_PIXELS:,} pixels allowed")
        image.draft("L", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 size
        return image.convert("L")
