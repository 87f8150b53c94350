"""Bar charts narrowed by long feature labels keep their x tick labels apart."""

from __future__ import annotations

import itertools
import re

import pytest

from reportgen.render.charts import chart_svg
from reportgen.render.views import ChartSpec

DIGIT_EM = 0.64
"""Width of a digit, a minus sign or a point in DejaVu Sans, in ems (at most 0.84 for the minus;
0.64 averages a label such as -0.025 generously)."""


def tick_labels(svg: str) -> list[tuple[float, float, str]]:
    """(x centre, font size, text) of each centred label on the x axis (the row of labels just
    below the plot, all at one y)."""
    found = re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)"[^>]*font-size="([\d.]+)px"[^>]*'
        r'text-anchor="middle" fill="#444444">([^<]+)</text>',
        svg,
    )
    rows = {y for _, y, _, _ in found}
    assert len(rows) == 1, rows  # one row of tick labels
    return sorted((float(x), float(size), text) for x, _, size, text in found)


@pytest.mark.parametrize("kind", ["diverging", "bars"])
@pytest.mark.parametrize("label_chars", [10, 45, 70])
def test_tick_labels_never_run_into_each_other(kind: str, label_chars: int) -> None:
    values = (0.1, -0.08, 0.05, 0.03, -0.021) if kind == "diverging" else (0.1, 0.08, 0.05)
    text = ("Instalment rate (% of disposable income) = 4 " * 2)[:label_chars]
    labels = tuple(f"{text} {i}" for i in range(len(values)))
    spec = ChartSpec("c", kind, labels, values, None, "contribution", "How to read it.")
    ticks = tick_labels(chart_svg(spec))
    assert len(ticks) >= 3
    for (x0, size, left), (x1, _, right) in itertools.pairwise(ticks):
        half_widths = DIGIT_EM * size * (len(left) + len(right)) / 2
        assert x1 - x0 - half_widths >= size / 2, (left, right, x1 - x0)
