"""Draw the view-model's chart series as deterministic, self-contained inline SVG.

matplotlib is imported lazily and used without pyplot: each chart is a bare ``Figure`` drawn by
the SVG backend under a local ``rc_context``, so no global state changes and nothing needs
closing. The same series always give the same bytes (fixed hash salt, no date, no metadata).
"""

from __future__ import annotations

import io
import math
from typing import Any

from reportgen._lazy import require
from reportgen.errors import RenderError
from reportgen.render.credit_views import RatioChartSpec, ReliabilitySpec
from reportgen.render.privacy_views import ProfileChartSpec
from reportgen.render.svg_inline import inline_svg
from reportgen.render.training import CurveSpec
from reportgen.render.trust_views import DistributionSpec
from reportgen.render.views import ChartSpec

Spec = (
    ChartSpec | DistributionSpec | ProfileChartSpec | RatioChartSpec | ReliabilitySpec | CurveSpec
)

WIDTH_IN = 6.7
"""Chart width in inches: the A4 text width, so print shows charts at 1:1."""
BAR_IN = 0.27
"""Height per bar in inches."""
TICK_IN = 0.6
"""Least width of the x axis per tick, in inches: room for a label such as ``-0.025``."""
COLORS = {
    "bar": "#3b6e99",
    "raises": "#c0562b",
    "lowers": "#2f6fa8",
    "error": "#333333",
    "control": "#9a9a9a",
    "chance": "#555555",
}
STRIP_IN = 0.36
"""Height per method row of a distribution chart, in inches."""
PROFILE_IN = 0.3
"""Height per feature row of a cohort profile chart, in inches."""
COHORT_STYLES = tuple(
    zip(
        ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#6a3d9a"),
        ("o", "s", "^", "D", "v", "P", "X"),
        strict=True,
    )
)
"""Colour-blind-safe colours (Okabe-Ito), each with its own marker shape: colour never alone."""
LEGEND_COLUMNS = 4
RELIABILITY_IN = 3.4
CURVES_IN = 2.8
"""Height of a learning-curve chart in inches."""
CURVE_COLORS = ("#3b6e99", "#c0562b", "#4f8a3c", "#8a5a9e", "#b08d2a", "#555555")
"""Line colours of a curve chart's series, in order (training loss first, validation second)."""
"""Height of a reliability diagram in inches (its square plot sits at the left)."""

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": "#777777",
    "axes.linewidth": 0.6,
    "xtick.color": "#444444",
    "ytick.color": "#222222",
    "svg.hashsalt": "reportgen",
    "svg.fonttype": "none",  # text as <text>, not a <path> per glyph: 1/3 the HTML, faster PDF
}
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def chart_svg(spec: Spec) -> str:
    """The chart as an ``<svg>`` element ready to inline in HTML, ids prefixed by ``spec.id``.

    Raises:
        RenderError: matplotlib failed to draw the chart.
        MissingDependencyError: matplotlib is not installed.
    """
    mpl = require("matplotlib")
    figure_mod = require("matplotlib.figure")
    try:
        with mpl.rc_context(_RC):
            figure = figure_mod.Figure(figsize=(WIDTH_IN, _height(spec)))
            if isinstance(spec, DistributionSpec):
                _draw_distribution(figure, spec)
            elif isinstance(spec, ProfileChartSpec):
                _draw_profiles(figure, spec)
            elif isinstance(spec, RatioChartSpec):
                _draw_ratios(figure, spec)
            elif isinstance(spec, ReliabilitySpec):
                _draw_reliability(figure, spec)
            elif isinstance(spec, CurveSpec):
                _draw_curves(figure, spec)
            else:
                _draw(figure, spec)
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
        return inline_svg(buffer.getvalue(), spec.id, spec.caption)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise RenderError(f"chart {spec.id!r} could not be drawn: {exc}") from exc


def _fit(figure: Any) -> None:
    """Fit the axes and their labels to the figure, as ``figure.tight_layout(pad=0.4)`` does but
    without leaving a placeholder layout engine on it: with one, ``savefig`` draws the whole
    figure a second time before writing it (a third of a chart's time)."""
    require("matplotlib.layout_engine").TightLayoutEngine(pad=0.4, rect=None).execute(figure)


def _space_ticks(figure: Any, axes: Any, *, symmetric: bool) -> None:
    """At most one x tick per ``TICK_IN`` of the fitted axes, so that a chart narrowed by long
    feature labels does not run its tick labels into each other; ``symmetric`` keeps 0 in the
    middle of a diverging chart."""
    width_in = axes.get_position().width * figure.get_figwidth()
    bins = max(2, int(width_in / TICK_IN))
    locator = require("matplotlib.ticker").MaxNLocator(nbins=bins, symmetric=symmetric)
    axes.xaxis.set_major_locator(locator)


def _height(spec: Spec) -> float:
    if isinstance(spec, RatioChartSpec):
        return 0.95 + BAR_IN * max(len(spec.values), 1)
    if isinstance(spec, DistributionSpec):
        return 0.8 + STRIP_IN * max(len(spec.series), 1)
    if isinstance(spec, ProfileChartSpec):
        legend_rows = -(-(len(spec.cohorts) + 1) // LEGEND_COLUMNS)
        return 0.85 + PROFILE_IN * max(len(spec.features), 1) + 0.2 * legend_rows
    if isinstance(spec, ReliabilitySpec):
        return RELIABILITY_IN
    if isinstance(spec, CurveSpec):
        return CURVES_IN
    return 0.75 + BAR_IN * max(len(spec.values), 1)


def _draw(figure: Any, spec: ChartSpec) -> None:
    axes = figure.add_subplot()
    positions = list(range(len(spec.values)))
    if spec.kind == "diverging":
        colors = [COLORS["raises"] if v > 0 else COLORS["lowers"] for v in spec.values]
        axes.axvline(0, color="#555555", linewidth=0.8)
    else:
        colors = [COLORS["bar"]] * len(spec.values)
    axes.barh(
        positions,
        spec.values,
        height=0.62,
        color=colors,
        xerr=list(spec.errors) if spec.errors else None,
        error_kw={"ecolor": COLORS["error"], "elinewidth": 0.8, "capsize": 2.5},
    )
    axes.set_yticks(positions, labels=list(spec.labels))
    axes.invert_yaxis()
    axes.set_xlabel(spec.axis_label)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if spec.kind == "diverging":
        limit = max((abs(v) for v in spec.values), default=1.0) * 1.1 or 1.0
        axes.set_xlim(-limit, limit)
    _fit(figure)
    _space_ticks(figure, axes, symmetric=spec.kind == "diverging")


def _draw_distribution(figure: Any, spec: DistributionSpec) -> None:
    """One row per method: a P10-P90 box plot with every instance drawn as a dot over it."""
    axes = figure.add_subplot()
    positions = list(range(len(spec.series)))
    for row, values, control in zip(positions, spec.series, spec.controls, strict=True):
        if values:
            _strip(axes, row, values, COLORS["control"] if control else COLORS["bar"])
    _chance_lines(axes, spec.chance)
    axes.set_yticks(positions, labels=list(spec.labels))
    for label, control in zip(axes.get_yticklabels(), spec.controls, strict=True):
        if control:
            label.set_color(COLORS["control"])
            label.set_fontstyle("italic")
    axes.set_ylim(len(positions) - 0.5, -0.5)
    if spec.log_scale:
        axes.set_xscale("log")
    if spec.x_range is not None:
        low, high = spec.x_range
        if spec.log_scale:
            axes.set_xlim(low / 2, high * 2)
        else:
            pad = (high - low) * 0.03
            axes.set_xlim(low - pad, high + pad)
    axes.set_xlabel(spec.axis_label)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    _fit(figure)


def _strip(axes: Any, row: int, values: tuple[float, ...], color: str) -> None:
    axes.boxplot(
        [list(values)],
        positions=[row],
        orientation="horizontal",
        widths=0.6,
        whis=(10, 90),
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#ffffff", "edgecolor": color, "linewidth": 0.9},
        whiskerprops={"color": color, "linewidth": 0.9},
        capprops={"color": color, "linewidth": 0.9},
        medianprops={"color": COLORS["error"], "linewidth": 1.6},
    )
    # A fixed, evenly spread vertical offset per dot (golden-ratio sequence): no randomness.
    offsets = [((index * 0.6180339887) % 1.0 - 0.5) * 0.5 for index in range(len(values))]
    axes.scatter(
        list(values),
        [row + offset for offset in offsets],
        s=6,
        color=color,
        alpha=0.6,
        linewidths=0,
        zorder=3,
    )


def _chance_lines(axes: Any, chance: tuple[float | None, ...]) -> None:
    """One dashed line across the chart if chance is the same for every row, else one per row."""
    known = {value for value in chance if value is not None}
    style = {"color": COLORS["chance"], "linestyle": (0, (4, 3)), "linewidth": 0.9, "zorder": 4}
    if len(known) == 1:
        axes.axvline(known.pop(), **style)
        return
    for row, value in enumerate(chance):
        if value is not None:
            axes.plot([value, value], [row - 0.42, row + 0.42], **style)


def _draw_profiles(figure: Any, spec: ProfileChartSpec) -> None:
    """A dot plot: one row per feature, one dodged mark per cohort, a bar for the overall share."""
    axes = figure.add_subplot()
    rows = list(range(len(spec.features)))
    count = len(spec.series)
    step = min(0.14, 0.64 / max(count, 1))
    for row in rows:
        spread = [series[row] for series in spec.series] + [spec.overall[row]]
        axes.plot([min(spread), max(spread)], [row, row], color="#cccccc", linewidth=0.8)
    axes.scatter(
        list(spec.overall),
        rows,
        marker="|",
        s=260,
        linewidths=2.2,
        color="#222222",
        label=_literal(spec.overall_label),
        zorder=3,
    )
    for index, (label, values) in enumerate(zip(spec.cohorts, spec.series, strict=True)):
        color, marker = COHORT_STYLES[index % len(COHORT_STYLES)]
        offset = (index - (count - 1) / 2) * step
        axes.scatter(
            list(values),
            [row + offset for row in rows],
            marker=marker,
            s=22,
            color=color,
            edgecolors="white",
            linewidths=0.4,
            label=_literal(label),
            zorder=4,
        )
    axes.set_yticks(rows, labels=[_literal(f) for f in spec.features])
    axes.set_ylim(len(rows) - 0.5, -0.5)
    highest = max([*spec.overall, *(v for series in spec.series for v in series), 0.01])
    axes.set_xlim(0, min(highest * 1.12, 1.0))
    axes.xaxis.set_major_formatter(
        require("matplotlib.ticker").PercentFormatter(xmax=1.0, decimals=0)
    )
    axes.set_xlabel(spec.axis_label)
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=LEGEND_COLUMNS,
        frameon=False,
        fontsize=7.5,
        handletextpad=0.3,
        columnspacing=1.4,
        borderaxespad=0.2,
    )
    _fit(figure)


def _draw_ratios(figure: Any, spec: RatioChartSpec) -> None:
    """One row per group: its ratio as a dot with its interval, against the bands' lines."""
    axes = figure.add_subplot()
    rows = list(range(len(spec.values)))
    for row, value, low, high in zip(rows, spec.values, spec.lows, spec.highs, strict=True):
        bad = value < spec.fail_below
        color = COLORS["raises"] if bad else COLORS["bar"]
        if low is not None and high is not None:
            axes.plot([low, high], [row, row], color=color, linewidth=1.2, zorder=3)
        axes.scatter([value], [row], s=28, color=color, zorder=4, marker="o" if not bad else "D")
    axes.axvline(spec.fail_below, color=COLORS["raises"], linewidth=1.1)
    axes.axvline(spec.warn_below, color=COLORS["chance"], linestyle=(0, (4, 3)), linewidth=0.9)
    axes.axvline(1.0, color="#999999", linewidth=0.7)
    top = axes.get_xaxis_transform()
    for x, text, color in (
        (spec.fail_below, "fail", COLORS["raises"]),
        (spec.warn_below, "warn", COLORS["chance"]),
        (1.0, "parity", "#777777"),
    ):
        axes.text(x, 1.01, text, transform=top, ha="center", va="bottom", fontsize=7, color=color)
    axes.set_yticks(rows, labels=[_literal(label) for label in spec.labels])
    axes.set_ylim(len(rows) - 0.5, -0.5)
    ends = [v for v in (*spec.values, *spec.lows, *spec.highs) if v is not None]
    axes.set_xlim(min(0.5, *ends) - 0.05, max(1.25, *ends) + 0.05)
    axes.set_xlabel(_literal(spec.axis_label))
    axes.grid(axis="x", color="#dddddd", linewidth=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    _fit(figure)


def _draw_reliability(figure: Any, spec: ReliabilitySpec) -> None:
    """Mean score against observed rate per bin, areas by row count, and the diagonal."""
    side = RELIABILITY_IN - 0.7
    axes = figure.add_axes(
        (0.6 / WIDTH_IN, 0.55 / RELIABILITY_IN, side / WIDTH_IN, side / RELIABILITY_IN)
    )
    axes.plot([0, 1], [0, 1], color=COLORS["chance"], linestyle=(0, (4, 3)), linewidth=0.9)
    largest = max(spec.counts, default=1) or 1
    sizes = [12 + 140 * count / largest for count in spec.counts]
    axes.plot(list(spec.predicted), list(spec.observed), color=COLORS["bar"], linewidth=0.9)
    axes.scatter(
        list(spec.predicted),
        list(spec.observed),
        s=sizes,
        color=COLORS["bar"],
        edgecolors="white",
        linewidths=0.5,
        zorder=3,
    )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel(_literal(spec.x_label))
    axes.set_ylabel(_literal(spec.y_label))
    axes.grid(color="#eeeeee", linewidth=0.5)
    axes.set_axisbelow(True)
    for edge in ("top", "right"):
        axes.spines[edge].set_visible(False)


def _draw_curves(figure: Any, spec: CurveSpec) -> None:
    """One line per series over the epochs (gaps where a value is missing), the released epoch
    as a dashed vertical line."""
    axes = figure.add_subplot()
    epochs = list(spec.epochs)
    for index, series in enumerate(spec.series):
        values = [math.nan if v is None else v for v in series.values]
        color = CURVE_COLORS[index % len(CURVE_COLORS)]
        axes.plot(epochs, values, color=color, linewidth=1.2, label=_literal(series.label))
    axes.axvline(spec.released, color=COLORS["chance"], linestyle=(0, (4, 3)), linewidth=0.9)
    axes.set_xlabel("Epoch")
    axes.set_ylabel(_literal(spec.y_label))
    axes.grid(color="#eeeeee", linewidth=0.5)
    axes.set_axisbelow(True)
    for edge in ("top", "right"):
        axes.spines[edge].set_visible(False)
    axes.legend(frameon=False, fontsize="small")
    _fit(figure)


def _literal(text: str) -> str:
    """Data shown as typed: a ``$`` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")
