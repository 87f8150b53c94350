"""How each kind of result was computed, in plain words: the method appendix's paragraphs.

One function per result kind, each taking the result and the run's seed; the render registry
(:mod:`reportgen.render.kinds`) names which one explains which kind.
"""

from __future__ import annotations

from collections import Counter

from reportgen.render.cases import join_counts
from reportgen.render.cohorts import NOISE_NOTE
from reportgen.render.format import fmt_int, fmt_num, fmt_short, join_words, metric_name, plural
from reportgen.render.heatmap_png import COLORMAP, TARGET_PX
from reportgen.render.map_check_text import map_check_text
from reportgen.render.overlay_png import OVERLAY_ALPHA
from reportgen.render.reasons import MEASURES
from reportgen.render.trust import check_scope
from reportgen.render.trust_text import MAP_CHECK_SCOPES
from reportgen.results.credit import ReasonCodesResult
from reportgen.results.document import (
    CheckResult,
    CohortResult,
    GlobalShapResult,
    LocalExplanationsResult,
    PerformanceResult,
    PermutationImportanceResult,
)
from reportgen.results.imaging import ImageCasesResult, ImageMapsResult, MethodMaps


def performance_text(result: PerformanceResult, seed: int) -> str:
    names = join_words([metric_name(m.name) for m in result.metrics]) or "No metrics"
    return (
        f"{names[0].upper()}{names[1:]} computed from the model's predictions on "
        f"{plural(result.rows, 'row')} of the evaluation data."
    )


def permutation_text(result: PermutationImportanceResult, seed: int) -> str:
    return (
        f"scikit-learn permutation importance, scoring {metric_name(result.scoring)}, on "
        f"{plural(result.rows, 'row')} with {plural(result.n_repeats, 'repeat')} per "
        f"feature (seed {seed}). Importance is the mean drop from the baseline score "
        f"{fmt_num(result.baseline_score)}; the spread is the standard deviation over "
        "repeats."
    )


def shap_text(result: GlobalShapResult, seed: int) -> str:
    how = (
        "exact enumeration of feature coalitions"
        if result.estimator == "exact"
        else "sampled feature permutations (a sampling estimate)"
    )
    error = ""
    if result.estimator != "exact":
        error = (
            " The mean estimated sampling standard error of one SHAP value is "
            f"{fmt_num(result.standard_error_mean)}."
        )
    if result.target_error is not None and result.orders_per_row is not None:
        error += (
            " A row stopped drawing feature orders once its largest standard error was at most "
            f"{fmt_num(result.target_error)} ({fmt_num(result.orders_per_row)} orders per row on "
            "average, the budget at most)."
        )
    return (
        f"Mean absolute SHAP value per feature over {plural(result.rows, 'evaluation row')}, by "
        f"{how} with {fmt_int(result.evals_per_row)} model evaluations per row against "
        f"{plural(result.background_rows, 'background row')} (seed {seed}). Attributions of "
        "encoded columns are summed back to the feature a person recognises. SHAP values plus "
        f"the base value reproduce the model output to within "
        f"{fmt_num(result.additivity_max_error)}.{error}"
    )


STORED_SIZE = 32
"""The results document stores mean maps mean-pooled to at most this many pixels a side."""


def image_maps_text(result: ImageMapsResult, seed: int) -> str:
    methods = " ".join(_map_method_text(m) for m in result.methods)
    return (
        f"Heat-maps of {result.explained} on {plural(result.images, 'evaluation image')} "
        f"({result.height} \u00d7 {result.width} pixels), a sample stratified by predicted class "
        f"(seed {seed}); each map explains the image's predicted class. {methods} Each image's "
        "map keeps its positive part and is divided by its own maximum, so its values lie in "
        "[0, 1] and every image weighs the same (a map with no positive value stays 0). The "
        "scaled maps are averaged per group: per predicted class, then per cohort of each cohort "
        f"family. The means are stored mean-pooled to at most {STORED_SIZE} \u00d7 {STORED_SIZE} "
        f"pixels and drawn enlarged to about {TARGET_PX} pixels by repeating each value (no "
        f"smoothing), on one colour scale from 0 to 1 ('{COLORMAP}') for every map. A group's "
        "map is published only when the group holds at least the minimum cohort size stated "
        "under Privacy, and no group can be worked out from the others. Individual images and "
        "their maps appear only where the policy opts in (privacy.image_cases)."
    )


def image_cases_text(result: ImageCasesResult, seed: int) -> str:
    counts = Counter(case.predicted for case in result.cases)
    return (
        f"{plural(len(result.cases), 'image')} drawn per predicted class "
        f"({join_counts(sorted(counts.items()))}) with seed {seed} from the evaluation images "
        "the heat-maps explained. Each image is shown in grey: its channels averaged, the "
        "policy's normalisation undone. Each method's map explains the image's predicted class, "
        "keeps its positive part and is divided by its own maximum; it is laid over the image "
        f"in the colours of the report's one scale ('{COLORMAP}') with an opacity of "
        f"{fmt_num(OVERLAY_ALPHA, 1)} times its value. Image and overlays are drawn enlarged to "
        f"about {TARGET_PX} pixels by repeating each pixel (no smoothing). For an image with an "
        "outlined finding, relevance mass is the share of the map's positive relevance inside "
        "the outline. These images are published only because the policy opts in "
        "(privacy.image_cases); their ids are pseudonyms (keyed hash) set by the privacy gate."
    )


def _map_method_text(method: MethodMaps) -> str:
    settings = method.settings
    if method.method == "gradcam":
        layer = settings.get("layer", "the policy's layer")
        upsampling = settings.get("upsampling", "bilinear")
        return (
            f"Grad-CAM: the activations of layer {layer} weighted by the mean gradient of the "
            "output over each channel, summed over channels, kept where positive and upsampled "
            f"({upsampling}) to the image."
        )
    if method.method == "ig":
        text = (
            f"Integrated gradients: {settings.get('steps', '?')} steps of the "
            f"{settings.get('rule', 'stated')} rule along the straight path from "
            f"{settings.get('baseline', 'the baseline')} to the image, summed over channels."
        )
        if method.completeness is not None:
            text += (
                " The median relative gap between the attributions' sum and "
                f"f(x) \u2212 f(baseline) is {fmt_num(method.completeness)}."
            )
        return text
    if method.method == "occlusion":
        return (
            f"Occlusion: a window of {settings.get('window', '?')} slid over the image with a "
            f"stride of {settings.get('stride', '?')}, its pixels set to "
            f"{settings.get('fill', 'the fill value')}; a pixel's relevance is the mean drop in "
            "the output over the windows that cover it, summed over channels."
        )
    listed = ", ".join(f"{key} {value}" for key, value in settings.items())
    return f"{method.method}: {listed}."


def local_text(result: LocalExplanationsResult, seed: int) -> str:
    parts = [
        f"{plural(len(result.cases), 'case')} drawn per predicted class "
        f"({join_counts(sorted(result.strata.items()))}) with seed {seed}."
    ]
    if result.shap_estimator is not None:
        evals = result.shap_evals_per_row
        budget = f" with {fmt_int(evals)} model evaluations per case" if evals else ""
        parts.append(
            f"SHAP: {result.shap_estimator} estimator{budget}; the base value is the average "
            "output over the background data."
        )
    if result.lime_num_samples is not None:
        parts.append(
            f"LIME: {fmt_int(result.lime_num_samples)} perturbed samples per case fitted by a "
            "weighted linear model; R\u00b2 says how well that model fits near the case."
        )
    parts.append(f"The {result.top_k} largest contributions by size are shown per method.")
    return " ".join(parts)


def check_text(result: CheckResult, seed: int) -> str:
    if result.check == "localisation":
        return _localisation_text(result, seed)
    if result.check in MAP_CHECK_SCOPES:
        return map_check_text(result, seed)
    text = (
        f"{check_scope(result)} Each per-instance metric is summarised as its median, its worse "
        "tail (P10 when higher is better, P90 when lower is better) and the share of instances "
        "that meet the policy's per-instance threshold, next to a random-attribution control."
    )
    if result.error is not None:
        text += f" The check could not be computed: {result.error}"
    return text


def _localisation_text(result: CheckResult, seed: int) -> str:
    text = (
        f"{check_scope(result)} Per method, each image's map is compared with the outlined "
        "finding: the pointing game's figure is its hit rate (the share of images whose map "
        "peaks on the finding, within the tolerance in the notes); relevance mass, relevance "
        "rank and the pixel AUC are summarised as their median and P10 over the images. Each "
        "stands next to its chance level, as the check records it (for mass and rank the median "
        "share of the image the finding covers; for the pointing game the share of pixels within "
        "the tolerance of the finding; 0.5 for the AUC), and to random maps drawn from the run's "
        f"seed {seed} (the control)."
    )
    if result.error is not None:
        text += f" The check could not be computed: {result.error}"
    return text


def cohort_text(result: CohortResult, seed: int) -> str:
    split = "by predicted class" if result.by == "predicted_class" else f"by column {result.by}"
    suppressed = sum(1 for c in result.cohorts if c.suppressed is not None)
    names = list(dict.fromkeys(m.name for m in result.overall.metrics))
    scores = f"{join_words([metric_name(n) for n in names])} with a 95% interval; " if names else ""
    text = (
        f"Evaluation rows split {split} into {plural(len(result.cohorts), 'cohort')}, "
        f"{suppressed} suppressed. Per published cohort: its row count; {scores}the mean "
        "|SHAP value| per feature over its explained rows (its profile); and the total variation "
        "distance between its profile and the overall one, each scaled to sum to one."
    )
    return f"{text} {NOISE_NOTE}" if result.noised else text


def reason_codes_text(result: ReasonCodesResult, seed: int) -> str:
    score = f"P({result.adverse_class})"
    how = (
        "exact enumeration of feature coalitions"
        if result.estimator == "exact"
        else f"sampled antithetic feature orders (seed {seed}, one stream per applicant)"
    )
    if result.reference == "near_cutoff" and result.band is not None:
        low = result.cutoff - result.band
        reference = (
            f"a seeded sample of {plural(result.background_rows, 'reference applicant')} of "
            f"the {fmt_int(result.reference_rows)} whose {score} lies in "
            f"[{fmt_short(low)}, {fmt_short(result.cutoff)})"
        )
    else:
        reference = (
            f"a seeded sample of {plural(result.background_rows, 'reference applicant')} (the "
            "report's SHAP background)"
        )
    return (
        f"Interventional SHAP values of {score} for every evaluation applicant with {score} at "
        f"or above {fmt_short(result.cutoff)}, by {how} with "
        f"{fmt_int(result.evals_per_row)} model evaluations per applicant, against {reference}. "
        "A family's contribution is the sum of its features' values (exact by additivity); the "
        f"reasons are the families with a positive contribution, largest first, at most "
        f"{result.max_reasons}, ties going to the family listed first in the policy. The proxy "
        f"screen computes {MEASURES[result.proxy_measure]} between each feature and each "
        f"sensitive attribute on the reference data, numeric columns cut into "
        f"{result.proxy_bins} quantile bins, and flags pairs at or above "
        f"{fmt_short(result.proxy_flag_at)}. Counts below the minimum cohort size are suppressed "
        "as described under Privacy."
    )
