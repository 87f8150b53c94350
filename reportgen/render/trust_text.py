"""The words of the trust section: check titles and questions, metric names, caveat sentences.

One table per kind of text, keyed by the names the results document uses, so that a new check
or metric is worded in one place. Pure functions of plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportgen.render.format import join_words

CHECK_TITLES = {
    "completeness": "Completeness",
    "rerun_stability": "Rerun stability",
    "perturbation_robustness": "Robustness to small input changes",
    "removal_faithfulness": "Faithfulness to the model",
    "randomisation_sanity": "Dependence on the model",
    "method_agreement": "Agreement between methods",
    "global_stability": "Stability of the global ranking",
    "localisation": "Localisation of the annotated finding",
    "map_robustness": "Stability of the maps under noise",
    "map_removal": "Pixel deletion and insertion",
    "map_randomisation": "Model randomisation of the maps",
    "reason_stability": "Stability of adverse-action reasons",
}

CHECK_QUESTIONS = {
    "completeness": (
        "Does each explanation add up? SHAP and integrated gradients promise that a case's "
        "contributions sum to the difference between the model's output for the case and its "
        "average (or baseline) output. If they do not, the explainer was misconfigured or "
        "under-sampled and its numbers are not the model's. The check measures the gap relative "
        "to that difference: zero is perfect. A model computes in float32 or float64, so its "
        "outputs are only that precise: a gap within the rounding of the model's own arithmetic "
        "(stated in the notes) is not counted against the explainer."
    ),
    "rerun_stability": (
        "Would the same explanation come out again? LIME and sampling SHAP estimators use random "
        "draws, so running them with another seed gives slightly different numbers. The check "
        "explains each case several times and measures how much of the top features stays the "
        "same (1 means identical every time). If the top reasons change between reruns, any single "
        "explanation shown to a reader is partly luck."
    ),
    "perturbation_robustness": (
        "Does an explanation survive a change to the case that nobody would notice? Each case's "
        "continuous inputs are nudged by a little noise (a tenth of each feature's spread) that "
        "leaves the prediction unchanged, and the case is explained again. The check measures how "
        "much of the top features stays the same and the largest change of the attributions "
        "relative to their size. An explanation that flips under such changes cannot be relied "
        "on for that case."
    ),
    "removal_faithfulness": (
        "Do the features an explanation calls important really matter to the model? The check "
        "removes features one at a time, in the order the explanation ranks them, and watches the "
        "prediction move; then it does the same in random orders. The deletion ratio compares the "
        "two: below 1 means the explanation's ranking finds what the model uses faster than "
        "chance, and lower is better. For a classifier the check follows the probability of the "
        "explained class, features ranked from most supportive down. A predicted value has no "
        "natural zero, so for a regression model it follows how far the prediction travels from "
        "its value for the case, one feature at a time (moves up and down both count), with "
        "features ranked by the size of their contribution; the ratios are turned so that below "
        "1 (deletion) and above 1 (insertion) still mean better than chance."
    ),
    "randomisation_sanity": (
        "Does the explanation depend on what the model learned? The check scrambles the model's "
        "learned weights and explains the same cases again. A method that describes the model "
        "must then give a different explanation, so the rank correlation between the "
        "explanations before and after should be low; a value near 1 means the method mostly "
        "reflects the input, not the model."
    ),
    "method_agreement": (
        "Do two explanation methods tell the same story? The check compares the top features, and "
        "their directions, that two methods give for the same case. Disagreement does not say "
        "which method is wrong, but where methods disagree a single method's explanation should "
        "not be presented as the reason for a decision. The chance line shows the overlap of "
        "features picked at random."
    ),
    "global_stability": (
        "Would the ranking of the model's most important features hold on slightly different "
        "data? The check resamples the evaluation rows many times (bootstrap), recomputes the "
        "global importance each time and counts how often each top feature stays among the top "
        "features. Features that drop out often are not reliably among the model's main drivers, "
        "and the summary names only the features that hold their place."
    ),
    "localisation": (
        "Do the heat-maps point at the finding? On images the model classified correctly and on "
        "which a clinician outlined the finding (a mask), the check compares each image's map "
        "with the outline. The pointing game counts how often the map's brightest pixel falls on "
        "the finding (or within the tolerance given in the notes); relevance mass is the share "
        "of the map's positive relevance that lies on the finding; relevance rank is the share "
        "of the map's top pixels, as many as the finding has, that lie on it; the AUC says how "
        "well the map's values separate the finding from the rest of the image. Each stands "
        "next to what chance gives (the finding's share of the image; for the pointing game, "
        "the share within the tolerance of it; 0.5 for the AUC) and to a map of random noise "
        "(the control). A model that "
        "classifies correctly while its maps miss the finding is probably using something else "
        "in the image, a shortcut such as a marker, a ruler or the scanner's imprint, and its "
        "decisions should not be relied on until a clinician has reviewed this."
    ),
    "map_robustness": (
        "Does a heat-map stay put when the image changes in a way nobody could see? Each image "
        "is copied several times with a little random noise added to its pixels (its size is "
        "given in the notes), and each copy's map is computed for the same class. The check "
        "measures how many of the map's strongest pixels, the top few per cent of the image, "
        "stay among the strongest (1 means the same pixels every time; two unrelated maps share "
        "only the chance level shown) and the rank correlation of all pixels between the maps. "
        "A map whose bright spots move under invisible changes cannot be relied on for a single "
        "image; the mean maps are steadier. Grad-CAM and integrated gradients give the same map "
        "when rerun on the same image, so rerun stability (C2) does not apply to them."
    ),
    "map_removal": (
        "Do the pixels a heat-map marks really matter to the model? The check removes the "
        "image's pixels in the order the map ranks them, strongest first, a small batch at a "
        "time, and follows the model's probability of the explained class; then it does the "
        "same in random orders. The deletion ratio compares the areas under the two curves: 1 "
        "is what a random order gives, below 1 means the map finds what the model uses faster "
        "than chance, and lower is better. Insertion runs the other way, from the image blurred "
        "until the finding is gone, putting the map's pixels back first: above 1 is better "
        "than chance. What a removed pixel becomes matters. Set to 0 (the average), a bright "
        "finding leaves a flat patch in its place that can still look like a finding to the "
        "model, so by default the gated deletion ratio replaces pixels by a blurred, noisy copy "
        "of the image, closer to the images the model learned from; the ratio with the other "
        "replacement is shown beside it, not gated. Maps that move the probability no faster "
        "than random pixels do not show what drives the model."
    ),
    "map_randomisation": (
        "Does the heat-map depend on what the model learned? The check replaces the model's "
        "learned weights by random ones, layer by layer from the output down, and computes the "
        "maps of the same images again. A map that explains the model must then change, so its "
        "rank correlation with the original map should be near 0, as for unrelated maps; a "
        "value near 1 means the map mostly shows the image (its edges and bright areas), not "
        "the model. The signed rank correlation is gated. The correlation of the maps' absolute "
        "values and their structural similarity (SSIM, 1 = the same picture) are shown beside "
        "it: a method that multiplies by the image, such as integrated gradients, keeps some of "
        "the image's structure in its absolute values even for a random model. Both sets of "
        "maps are averaged over noisy copies of each image, so that noise alone cannot make two "
        "maps look different."
    ),
    "reason_stability": (
        "Would a declined applicant be given the same reasons if the estimate were redone? "
        "Sampling SHAP estimators use random feature orders, and the reasons on a notice are "
        "only as good as their ranking. For a sample of declined applicants, the check "
        "recomputes each one's principal reasons with other seeds and with a second, exact "
        "estimator (Shapley values over the reason families themselves, which splits any "
        "interaction between families differently), and counts the applicants whose set of "
        "reasons stays the same every time. The notes name the reasons that moved in or out "
        "of some applicant's set: state those with care."
    ),
}

MAP_CHECK_SCOPES = {
    "map_robustness": "the top {k} pixels of each map{share} are compared with its noisy copies'.",
    "map_removal": "the pixels of each image are removed and put back in the order of its map.",
    "map_randomisation": "each image's map is compared, pixel by pixel, with the randomised "
    "model's map.",
}
"""The checks of an image model's maps: what each compares, after the images it ran on."""

MAP_CHECK_TESTS = {
    "map_robustness": "hold under invisible noise",
    "map_removal": "mark the pixels the model uses",
    "map_randomisation": "change when the model's weights are randomised",
}
"""What each check of the maps tests, for the section's introduction."""

HEADLINE = {
    "completeness": "relative_error",
    "rerun_stability": "fa_rerun",
    "perturbation_robustness": "fa_perturbed",
    "removal_faithfulness": "deletion_ratio",
    "randomisation_sanity": "signed_spearman",
    "method_agreement": "feature_agreement",
    "global_stability": "top_k_inclusion_shap",
    "localisation": "relevance_mass",
    "map_robustness": "top_k_agreement",
    "map_removal": "deletion_ratio",
    "map_randomisation": "signed_spearman",
}
"""The metric each check's chart shows: the one its gate reads first."""


@dataclass(frozen=True)
class MetricWords:
    label: str
    """The metric's name; ``{k}`` stands for the number of top features compared."""
    lower_is_better: bool
    bounded: bool
    """Lies in [-1, 1]: shown with two decimals, otherwise three significant digits."""
    log_scale: bool = False
    """Spans orders of magnitude (errors from 1e-16 to 1): charted on a logarithmic axis."""
    rate: bool = False
    """A share of instances (a hit rate), not a median: shown as a percentage, with no tail."""
    chance: float | None = None
    """The value chance gives by construction (1 for a ratio against random orders), shown
    where the result records no chance level of its own."""


METRICS = {
    "relative_error": MetricWords("Relative additivity error", True, False, log_scale=True),
    "fa_rerun": MetricWords("Top-{k} overlap between reruns", False, True),
    "sa_rerun": MetricWords("Top-{k} sign agreement between reruns", False, True),
    "cv_top_k": MetricWords("Variation of top-{k} attributions (CV)", True, False),
    "convergence_ratio": MetricWords("Convergence ratio", True, False),
    "fa_perturbed": MetricWords("Top-{k} overlap after a small input change", False, True),
    "fa_perturbed_worst": MetricWords("Worst top-{k} overlap over input changes", False, True),
    "relative_max_sensitivity": MetricWords("Relative maximum sensitivity", True, False),
    "deletion_ratio": MetricWords("Deletion ratio (against random order)", True, False, chance=1.0),
    "insertion_ratio": MetricWords(
        "Insertion ratio (against random order)", False, False, chance=1.0
    ),
    "faithfulness_correlation": MetricWords("Faithfulness correlation", False, True),
    "signed_spearman": MetricWords("Rank correlation after randomising the model", True, True),
    "normalised_spearman": MetricWords("Rank correlation, input-normalised", True, True),
    "abs_spearman": MetricWords("Rank correlation of |attribution|", True, True),
    "feature_agreement": MetricWords("Top-{k} feature agreement", False, True),
    "sign_agreement": MetricWords("Top-{k} feature and sign agreement", False, True),
    "rank_agreement": MetricWords("Top-{k} rank agreement", False, True),
    "rank_correlation": MetricWords("Rank correlation", False, True),
    "top_k_inclusion_shap": MetricWords("Top-{k} inclusion rate, mean |SHAP|", False, True),
    "rel_ci_halfwidth_shap": MetricWords("Relative CI half-width, mean |SHAP|", True, False),
    "top_k_inclusion_permutation": MetricWords("Top-{k} inclusion rate, permutation", False, True),
    "pointing_game": MetricWords("Pointing game: hit rate", False, True, rate=True),
    "relevance_mass": MetricWords("Relevance mass on the finding", False, True),
    "relevance_rank": MetricWords("Relevance rank on the finding", False, True),
    "auc": MetricWords("AUC of the map against the finding", False, True),
    "reason_set_unchanged": MetricWords(
        "Same reasons in every recomputation", False, True, rate=True
    ),
    "reason_set_unchanged_reruns": MetricWords(
        "Same reasons across reruns with other seeds", False, True, rate=True
    ),
    "reason_set_unchanged_estimators": MetricWords(
        "Same reasons with the second estimator", False, True, rate=True
    ),
}

_RANDOMISED = "with the randomised model's maps"
CHECK_METRICS = {
    "map_robustness": {
        "top_k_agreement": MetricWords("Top-{k} pixel overlap under small noise", False, True),
        "spearman": MetricWords("Rank correlation of the maps under small noise", False, True),
    },
    "map_removal": {
        "deletion_ratio": MetricWords(
            "Deletion ratio, {substrate} (against random order)", True, False, chance=1.0
        ),
        "insertion_ratio": MetricWords(
            "Insertion ratio, from the blurred image (against random order)",
            False,
            False,
            chance=1.0,
        ),
        "deletion_ratio_zeros": MetricWords(
            "Deletion ratio, pixels set to 0 (shown, not gated)", True, False, chance=1.0
        ),
        "deletion_ratio_noisy_blur": MetricWords(
            "Deletion ratio, pixels replaced by a noisy blur (shown, not gated)",
            True,
            False,
            chance=1.0,
        ),
    },
    "map_randomisation": {
        "signed_spearman": MetricWords(f"Rank correlation {_RANDOMISED}", True, True),
        "abs_spearman": MetricWords(f"Rank correlation of |map| {_RANDOMISED}", True, True),
        "ssim": MetricWords(f"Structural similarity (SSIM) {_RANDOMISED}", True, True),
    },
}
"""Words of a metric that reads differently in one check (the image maps' C3, C4 and C5)."""

SUBSTRATES = {"noisy_blur": "pixels replaced by a noisy blur", "zeros": "pixels set to 0"}
"""What a deleted pixel becomes in the image maps' C4, by the substrate's name."""

_LOWER_IS_BETTER_PARTS = ("error", "sensitivity", "deletion", "cv", "convergence", "spearman")
_SAME_WAY = "with the same direction"
_METHOD_NAMES = {
    "shap": "SHAP",
    "lime": "LIME",
    "ig": "IG",
    "gradcam": "Grad-CAM",
    "occlusion": "occlusion",
    "random": "random",
    "family_shapley": "exact Shapley over families",
}


def metric_words(name: str, check: str = "") -> MetricWords:
    """How to name and read metric ``name`` of ``check``; unknown names are guessed from their
    parts."""
    known = CHECK_METRICS.get(check, {}).get(name) or METRICS.get(name)
    if known is not None:
        return known
    lower = any(part in name for part in _LOWER_IS_BETTER_PARTS) or "halfwidth" in name
    words = name.replace("_", " ")
    return MetricWords(words[:1].upper() + words[1:], lower, False)


def gated_substrate(metrics: Iterable[str]) -> str | None:
    """The substrate of the image maps' gated deletion ratio, given the check's metric names:
    the one its report-only ratio (``deletion_ratio_<substrate>``) does not name."""
    shown = {name.removeprefix("deletion_ratio_") for name in metrics}
    others = [s for s in SUBSTRATES if s not in shown]
    return others[0] if len(others) == 1 else None


def substrate_words(substrate: str | None) -> str:
    """``noisy_blur`` -> ``pixels replaced by a noisy blur``; unknown -> ``pixels removed``."""
    return SUBSTRATES.get(substrate or "", "pixels removed")


def is_control(method: str) -> bool:
    """The random-attribution control, alone or as one side of a pair (``shap~random``)."""
    return "random" in method.split("~")


def method_label(method: str, *, pair_word: str = "vs") -> str:
    """``lime`` -> ``LIME``; ``shap~lime`` -> ``SHAP vs LIME``; ``random`` -> ``Random (control)``.

    ``pair_word`` joins the two sides of a pair.
    """
    names = [_METHOD_NAMES.get(part, part.replace("_", " ")) for part in method.split("~")]
    label = f" {pair_word} ".join(names)
    label = label[:1].upper() + label[1:]
    if is_control(method):
        label += " (control)"
    return label


def caveat_text(check: str, case_id: str, method: str, reliable: list[str], bad: list[str]) -> str:
    """The warning shown on audit case ``case_id``; ``bad`` are the features not to rely on."""
    who = method_label(method)
    if "~" in method:
        both = method_label(method, pair_word="and")
        if not reliable:
            return f"{both} disagree on this case: no top feature is cited by both {_SAME_WAY}."
        verb = "is" if len(reliable) == 1 else "are"
        cited = f"only {join_words(reliable)} {verb} cited by both"
        return f"{both} disagree on this case: {cited} {_SAME_WAY}."
    cause = {
        "rerun_stability": f"change between {who} reruns",
        "perturbation_robustness": f"from {who} change when the inputs are nudged slightly",
        "removal_faithfulness": f"from {who} do not all move the prediction when removed",
        "completeness": f"from {who} do not add up to the model's output",
    }.get(check, f"from {who} did not all hold up in the check")
    held = f"{join_words(reliable)} held" if reliable else "none of the top reasons held"
    return f"The top reasons for case {case_id} {cause}: do not rely on {join_words(bad)}; {held}."
