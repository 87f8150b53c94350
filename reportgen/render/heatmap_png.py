"""Heat-maps as small, self-contained PNG images on one fixed colour scale.

Every map of a report is drawn with the same 256-colour palette ('magma', perceptually
uniform, readable in grey) indexed by the value itself: 0 is the darkest colour, 1 the
brightest, whatever the map. No map is rescaled to its own range, so one colour means one
value across the whole report. A map is stored as palette indices (one byte a pixel) and
enlarged by repeating each value in a block of pixels (nearest neighbour: the stored,
mean-pooled values are shown as they are, not smoothed), which also keeps the files small.

matplotlib (for the colour map) and Pillow (its own dependency, for PNG encoding) are
imported lazily; the same values always give the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from functools import cache

import numpy as np

from reportgen._lazy import require
from reportgen.errors import RenderError

COLORMAP = "magma"
"""Perceptually uniform, dark (0) to bright (1); distinguishable without colour vision."""
LEVELS = 256
"""Colours on the scale; a value is shown as the nearest of these."""
TARGET_PX = 128
"""A map is enlarged by a whole factor to at most about this many pixels a side."""
LEGEND_SIZE = (LEVELS, 14)
"""Width and height in pixels of the colour-bar image."""
PNG_PREFIX = "data:image/png;base64,"


@cache
def palette() -> tuple[tuple[int, int, int], ...]:
    """The scale's colours, index 0 (value 0) to 255 (value 1), as RGB bytes.

    Raises:
        MissingDependencyError: matplotlib is not installed.
    """
    colormaps = require("matplotlib").colormaps
    rgba = colormaps[COLORMAP](np.linspace(0.0, 1.0, LEVELS))
    rgb = np.rint(np.asarray(rgba)[:, :3] * 255).astype(np.uint8)
    return tuple((int(r), int(g), int(b)) for r, g, b in rgb)


def level(value: float) -> int:
    """The palette index that shows ``value`` (clipped to [0, 1])."""
    return int(np.rint(min(max(value, 0.0), 1.0) * (LEVELS - 1)))


def colour_of(value: float) -> tuple[int, int, int]:
    """The RGB colour every map of the report uses for ``value``."""
    return palette()[level(value)]


def scale_factor(height: int, width: int) -> int:
    """The whole factor that enlarges a ``height`` x ``width`` map to about :data:`TARGET_PX`."""
    return max(1, TARGET_PX // max(height, width, 1))


def map_png(values: Sequence[Sequence[float]]) -> bytes:
    """One map (rows of values in [0, 1]) as a palette PNG, each value a square block of
    :func:`scale_factor` pixels a side.

    Raises:
        RenderError: the rows are empty, ragged or hold a value that is not a finite number.
        MissingDependencyError: matplotlib is not installed.
    """
    try:
        grid = np.asarray(values, dtype=np.float64)
    except ValueError as exc:
        raise RenderError(f"a heat-map's rows are not a rectangle of numbers: {exc}") from exc
    if grid.ndim != 2 or grid.size == 0:
        raise RenderError(f"a heat-map must be a non-empty 2-D grid, got shape {grid.shape}")
    if not np.isfinite(grid).all():
        raise RenderError("a heat-map holds a value that is not a finite number")
    indices = np.rint(np.clip(grid, 0.0, 1.0) * (LEVELS - 1)).astype(np.uint8)
    factor = scale_factor(*indices.shape)
    return _png(np.repeat(np.repeat(indices, factor, axis=0), factor, axis=1))


def legend_png() -> bytes:
    """The colour bar: value 0 at the left edge to value 1 at the right, one column a level."""
    width, height = LEGEND_SIZE
    row = np.arange(width, dtype=np.uint8)
    return _png(np.repeat(row[None, :], height, axis=0))


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, so the page carries the image itself."""
    return PNG_PREFIX + base64.b64encode(png).decode("ascii")


def _png(indices: np.ndarray) -> bytes:
    """Palette indices (h, w) as PNG bytes: no metadata, maximum compression."""
    require("matplotlib")  # Pillow comes with matplotlib (the 'render' extra)
    image_mod = require("PIL.Image")
    image = image_mod.fromarray(indices, mode="P")
    image.putpalette([channel for colour in palette() for channel in colour])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


__all__ = [
    "COLORMAP",
    "TARGET_PX",
    "colour_of",
    "data_uri",
    "legend_png",
    "level",
    "map_png",
    "palette",
    "scale_factor",
]
