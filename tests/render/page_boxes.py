"""Lay a report out with WeasyPrint and find what runs past a page's right edge: any box (a
table, a cell, an SVG, an image, a line of text) whose right side lies beyond the page's
content box."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import weasyprint
from weasyprint.formatting_structure import boxes

TOLERANCE_PX = 0.5
"""Rounding of the layout, in CSS pixels."""


@dataclass(frozen=True)
class Overflow:
    page: int
    """1-based."""
    what: str
    """The box's element and class, and the start of its text."""
    past: float
    """How far its right side lies beyond the content box, in CSS pixels."""

    def __str__(self) -> str:
        return f"page {self.page}: {self.what} runs {self.past:.1f}px past the right edge"


def _right(box: boxes.Box) -> float:
    if isinstance(box, boxes.TextBox):
        return float(box.position_x + box.width)
    return float(box.border_box_x() + box.border_width())


def _name(box: boxes.Box) -> str:
    element = box.element
    tag = "text" if element is None else str(element.tag).rsplit("}", 1)[-1]
    classes = "" if element is None else element.get("class") or ""
    text = box.text if isinstance(box, boxes.TextBox) else ""
    name = f"<{tag} class={classes!r}>" if classes else f"<{tag}>"
    return f"{name} {text[:40]!r}" if text else name


def _boxes(box: boxes.Box) -> Iterator[boxes.Box]:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _boxes(child)


def overflows(html: str) -> tuple[int, list[Overflow]]:
    """The number of pages of ``html`` as printed, and each box past its page's right edge
    (the outermost one of a run: a cell's text is not listed again inside its table)."""
    pages = weasyprint.HTML(string=html).render().pages
    found = []
    for number, page in enumerate(pages, 1):
        page_box = page._page_box
        edge = page_box.content_box_x() + page_box.width + TOLERANCE_PX
        reported: set[int] = set()
        for box in _boxes(page_box):
            if isinstance(box, boxes.MarginBox | boxes.PageBox):
                continue
            if id(box) in reported:
                continue
            if _right(box) > edge:
                found.append(Overflow(number, _name(box), _right(box) - edge + TOLERANCE_PX))
                reported.update(id(inner) for inner in _boxes(box))
    return len(pages), found
