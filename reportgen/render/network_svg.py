"""A network's architecture as a compact inline SVG: one box per layer (its name, class and
output shape, one line each) in the order the forward runs them, joined by arrows, wrapping every
few boxes. A name too long for its box keeps its end (``…feed.0.linear_2``); the layer table
below the diagram gives it in full.

Every string written is escaped; the SVG is inlined in the HTML page (the PDF renders it too)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from reportgen.results.network import LayerRow

PER_LINE = 4
"""Boxes per line: four fill the printed text width at the SVG's own size."""
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 118, 52, 22, 26, 6
FIT = 20
"""Characters of a line that fit a box at the SVG's 10-unit font (about 5.5 units each)."""


def shape_text(shape: Sequence[int]) -> str:
    """An output shape for one row, e.g. ``32`` or ``8 x 14 x 14``."""
    return " x ".join(str(n) for n in shape) or "scalar"


def architecture_svg(input_shape: Sequence[int], layers: Sequence[LayerRow]) -> Markup:
    """The diagram: an input box, then each layer's box."""
    boxes = [("input", "", shape_text(input_shape))] + [
        (layer.name, layer.type, shape_text(layer.output_shape)) for layer in layers
    ]
    lines = -(-len(boxes) // PER_LINE)
    width = MARGIN * 2 + min(len(boxes), PER_LINE) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + lines * (BOX_H + GAP_Y) - GAP_Y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="architecture" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10">',
        "<title>Layers of the network in the order its forward runs them</title>",
    ]
    for i, (name, kind, shape) in enumerate(boxes):
        x = MARGIN + (i % PER_LINE) * (BOX_W + GAP_X)
        y = MARGIN + (i // PER_LINE) * (BOX_H + GAP_Y)
        parts += [
            f"<g><title>{escape(name)}</title>",
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" '
            'fill="#f4f6f8" stroke="#56606b"/>',
        ]
        texts = [(name, ""), (kind, ' fill="#56606b"'), (shape, ' fill="#56606b"')]
        for row, (text, colour) in enumerate(line for line in texts if line[0]):
            parts.append(
                f'<text x="{x + BOX_W / 2:g}" y="{y + 15 + 14 * row}" text-anchor="middle"'
                f"{colour}>{escape(fitted(text))}</text>"
            )
        parts.append("</g>")
        if i + 1 < len(boxes):
            parts.append(_arrow(i, x, y))
    parts.append("</svg>")
    return Markup("".join(parts))


def fitted(text: str) -> str:
    """``text``, or its last FIT - 1 characters after an ellipsis when it is longer."""
    return text if len(text) <= FIT else "\u2026" + text[-(FIT - 1) :]


def _arrow(i: int, x: float, y: float) -> str:
    """The arrow from box ``i`` (at ``x``, ``y``) to the next: right, or, at the end of a line,
    down into the gap, back left along it and down into the next line's first box."""
    if (i + 1) % PER_LINE:
        y1 = y + BOX_H / 2
        points = [(x + BOX_W, y1), (x + BOX_W + GAP_X, y1)]
        head = f"{points[-1][0] - 5:g},{y1 - 3:g} {points[-1][0]:g},{y1:g} "
        head += f"{points[-1][0] - 5:g},{y1 + 3:g}"
    else:
        middle, start, bottom = y + BOX_H + GAP_Y / 2, MARGIN + BOX_W / 2, y + BOX_H + GAP_Y
        points = [(x + BOX_W / 2, y + BOX_H), (x + BOX_W / 2, middle), (start, middle)]
        points.append((start, bottom))
        head = f"{start - 3:g},{bottom - 5:g} {start:g},{bottom:g} {start + 3:g},{bottom - 5:g}"
    line = " ".join(f"{px:g},{py:g}" for px, py in points)
    return (
        f'<polyline points="{line}" fill="none" stroke="#56606b"/>'
        f'<polyline points="{head}" fill="none" stroke="#56606b"/>'
    )


__all__ = ["architecture_svg", "shape_text"]
