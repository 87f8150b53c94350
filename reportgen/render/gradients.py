"""The global gradient attributions section: mean |integrated gradients| and mean
|gradient x input| per feature over every evaluation row (torch models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reportgen.render.format import column_decimals, fmt_fixed, fmt_int, fmt_num, plural
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.sections import IMPORTANCE_DIGITS, by_rank, importance_chart
from reportgen.render.views import ChartSpec, Fact
from reportgen.results.document import GlobalGradientsResult


@dataclass(frozen=True)
class GradientRow:
    rank: int
    feature: str
    ig: str
    gradient_x_input: str


@dataclass(frozen=True)
class GlobalGradientsView:
    kind: Literal["global_gradients"]
    template: str
    heading: str
    intro: str
    facts: tuple[Fact, ...]
    chart: ChartSpec
    rows: tuple[GradientRow, ...]


def build_global_gradients(
    result: GlobalGradientsResult,
    anchor: str,
    *,
    heading: str,
    template: str,
    labels: Labels = NO_LABELS,
) -> GlobalGradientsView:
    """The section, ranked by mean |IG|; ``anchor`` prefixes its chart's id, ``labels`` names
    the features."""
    ranked = by_rank(result.integrated_gradients)
    gxi = {item.feature: item.value for item in result.gradient_x_input}
    ig_decimals = column_decimals([i.value for i in ranked], IMPORTANCE_DIGITS)
    gxi_decimals = column_decimals(list(gxi.values()), IMPORTANCE_DIGITS)
    caption = (
        f"Each bar is the average size of a feature's integrated-gradients contribution to the "
        f"{result.output} over {plural(result.rows, 'evaluation row')}; a longer bar means the "
        "feature moves the output more, up or down."
    )
    return GlobalGradientsView(
        kind="global_gradients",
        template=template,
        heading=heading,
        intro=(
            "Integrated gradients split each prediction of the "
            f"{result.output} into one contribution per feature by following the model's "
            "gradient from an average applicant (the mean of the background data) to the case; "
            "gradient x input multiplies the gradient at the case by its values. Both are "
            "computed for every evaluation row, not a sample."
        ),
        facts=(
            Fact("Rows attributed", fmt_int(result.rows)),
            Fact("Integration steps per row", fmt_int(result.steps)),
            Fact("Baseline", f"{result.baseline} ({plural(result.background_rows, 'row')})"),
            Fact("Completeness, largest relative error", fmt_num(result.ig_completeness_max_error)),
            Fact(
                f"Rows within the completeness tolerance ({fmt_num(result.ig_tolerance)})",
                f"{result.ig_completeness_pass_share:.1%}",
            ),
        ),
        chart=importance_chart(
            f"{anchor}-gradients",
            ranked,
            f"mean |integrated gradients| ({result.output})",
            caption,
            errors=False,
            labels=labels,
        ),
        rows=tuple(
            GradientRow(
                rank=item.rank,
                feature=labels(item.feature),
                ig=fmt_fixed(item.value, ig_decimals),
                gradient_x_input=fmt_fixed(gxi[item.feature], gxi_decimals),
            )
            for item in ranked
        ),
    )


def gradients_text(result: GlobalGradientsResult, seed: int) -> str:
    """The method appendix's paragraph (no randomness: ``seed`` is not used)."""
    del seed
    return (
        f"Integrated gradients (Gauss-Legendre rule, {plural(result.steps, 'step')}, as captum's "
        f"default) and gradient x input of the {result.output} on all "
        f"{plural(result.rows, 'evaluation row')}, against the {result.baseline} of "
        f"{plural(result.background_rows, 'background row')}. Gradients are taken in the "
        "network's encoded space and summed back over each feature's encoded columns. The "
        "integrated-gradients contributions of a row add up to its output minus the baseline's "
        f"up to at most {fmt_num(result.ig_completeness_max_error)} of that difference."
    )
