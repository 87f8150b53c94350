"""A network's architecture as a compact inline SVG: one box per layer (its name, class and
output shape) in the order the forward runs them, joined by arrows, wrapping every few boxes.

Every string written is escaped; the SVG is inlined in the HTML page (the PDF renders it too)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from reportgen.results.network import LayerRow

PER_LINE = 4
"""Boxes per line: four fill the printed text width at the SVG's own size."""
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 118, 46, 22, 26, 6


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
        label = f"{name} · {kind}" if kind else name
        parts += [
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" '
            'fill="#f4f6f8" stroke="#56606b"/>',
            f'<text x="{x + BOX_W / 2:g}" y="{y + 18}" text-anchor="middle">{escape(label)}</text>',
            f'<text x="{x + BOX_W / 2:g}" y="{y + 34}" text-anchor="middle" fill="#56606b">'
            f"{escape(shape)}</text>",
        ]
        if i + 1 < len(boxes):
            parts.append(_arrow(i, x, y))
    parts.append("</svg>")
    return Markup("".join(parts))


def _arrow(i: int, x: float, y: float) -> str:
    """The arrow from box ``i`` (at ``x``, ``y``) to the next: right, or down to a new line."""
    if (i + 1) % PER_LINE:
        x0, y0, x1, y1 = x + BOX_W, y + BOX_H / 2, x + BOX_W + GAP_X, y + BOX_H / 2
    else:
        start = MARGIN + BOX_W / 2
        x0, y0, x1, y1 = x + BOX_W / 2, y + BOX_H, start, y + BOX_H + GAP_Y
    head = (
        f"{x1 - 5:g},{y1 - 3:g} {x1:g},{y1:g} {x1 - 5:g},{y1 + 3:g}"
        if y0 == y1
        else f"{x1 - 3:g},{y1 - 5:g} {x1:g},{y1:g} {x1 + 3:g},{y1 - 5:g}"
    )
    return (
        f'<line x1="{x0:g}" y1="{y0:g}" x2="{x1:g}" y2="{y1:g}" stroke="#56606b"/>'
        f'<polyline points="{head}" fill="none" stroke="#56606b"/>'
    )


__all__ = ["architecture_svg", "shape_text"]
