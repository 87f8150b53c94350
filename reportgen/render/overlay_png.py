"""A patient image and its heat-map overlays as small, self-contained PNG images.

The image is drawn in grey, 0 black to 1 white, one byte a pixel. An overlay lays the map over
that grey image: each pixel takes the colour the report's one scale gives the map's value
(:func:`reportgen.render.heatmap_png.colour_of`), with an opacity of :data:`OVERLAY_ALPHA`
times that value::

    shown = (1 - OVERLAY_ALPHA * m) * grey + OVERLAY_ALPHA * m * colour(m)

rounded to whole bytes, with ``m`` the map's value on the scale's 256 levels and ``grey`` the
image's byte. Where the map is 0 the image shows unchanged; where it is 1 the scale's brightest
colour covers :data:`OVERLAY_ALPHA` of it. Both are enlarged by the same whole factor as the
mean maps (:func:`reportgen.render.heatmap_png.scale_factor`), repeating each pixel in a square
block, so what was computed is shown unsmoothed. The same values always give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from reportgen._lazy import require
from reportgen.errors import RenderError
from reportgen.render.heatmap_png import LEVELS, palette, scale_factor

OVERLAY_ALPHA = 0.6
"""The opacity of the map's colour where the map's value is 1 (proportionally less below)."""


def grid_of(values: Sequence[Sequence[float]], what: str) -> np.ndarray:
    """``values`` as a 2-D array of finite numbers, clipped to [0, 1].

    Raises:
        RenderError: naming ``what``, when the rows are empty, ragged or hold a value that is
            not a finite number.
    """
    try:
        grid = np.asarray(values, dtype=np.float64)
    except ValueError as exc:
        raise RenderError(f"{what}: its rows are not a rectangle of numbers: {exc}") from exc
    if grid.ndim != 2 or grid.size == 0:
        raise RenderError(f"{what}: must be a non-empty 2-D grid, got shape {grid.shape}")
    if not np.isfinite(grid).all():
        raise RenderError(f"{what}: holds a value that is not a finite number")
    return np.clip(grid, 0.0, 1.0)


def grey_png(pixels: np.ndarray) -> bytes:
    """The image (a grid from :func:`grid_of`) as a grey PNG, enlarged."""
    return _png(_enlarged(_bytes(pixels)))


def overlay_png(pixels: np.ndarray, values: np.ndarray) -> bytes:
    """The map ``values`` laid over the image ``pixels`` (grids of one shape from
    :func:`grid_of`) as an RGB PNG, enlarged; the rule is the module's.

    Raises:
        RenderError: the map's shape is not the image's.
    """
    if values.shape != pixels.shape:
        raise RenderError(
            f"a map of {values.shape[0]} x {values.shape[1]} pixels cannot be laid over an "
            f"image of {pixels.shape[0]} x {pixels.shape[1]}"
        )
    levels = _bytes(values)
    opacity = (OVERLAY_ALPHA * levels / (LEVELS - 1))[..., None]
    colours = np.asarray(palette(), dtype=np.float64)[levels]
    grey = _bytes(pixels).astype(np.float64)[..., None]
    shown = np.rint((1.0 - opacity) * grey + opacity * colours)
    return _png(_enlarged(np.clip(shown, 0, 255).astype(np.uint8)))


def _bytes(grid: np.ndarray) -> np.ndarray:
    return np.rint(grid * (LEVELS - 1)).astype(np.uint8)


def _enlarged(image: np.ndarray) -> np.ndarray:
    factor = scale_factor(image.shape[0], image.shape[1])
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _png(image: np.ndarray) -> bytes:
    """Grey (h, w) or RGB (h, w, 3) bytes as PNG: no metadata, maximum compression."""
    require("matplotlib")  # Pillow comes with matplotlib (the 'render' extra)
    image_mod = require("PIL.Image")
    buffer = io.BytesIO()
    image_mod.fromarray(image).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


__all__ = ["OVERLAY_ALPHA", "grey_png", "grid_of", "overlay_png"]
