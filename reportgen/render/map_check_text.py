"""How the checks of an image model's maps were computed: the method appendix's paragraphs for
C3 (noise), C4 (pixel deletion and insertion) and C5 (model randomisation).

Each paragraph is built from the :class:`CheckResult` alone: the images and ``k`` it records,
the chance level of its metrics, the substrates its metric names give away, and the settings
the engine wrote into its notes. The critique of each check is cited where the check is read.
"""

from __future__ import annotations

from reportgen.render.format import join_words
from reportgen.render.trust import check_scope, fmt_rate, method_key
from reportgen.render.trust_text import SUBSTRATES, gated_substrate, is_control, method_label
from reportgen.results.document import CheckResult

RISE = "Petsiuk et al. 2018"
ROAD = "Rong et al. 2022"
MPRT = "Adebayo et al. 2018"
SMOOTH_MPRT = "smooth MPRT, Hedstr\u00f6m et al. 2023"
ZEROS_EXAMPLE = (
    "on reportgen's synthetic imaging example, integrated gradients' deletion ratio was 0.97 "
    "with zeros against 0.67 with the noisy blur"
)
"""Measured on examples/imaging (the sound model), the reason the noisy blur is gated."""


def map_check_text(result: CheckResult, seed: int) -> str:
    """The appendix paragraph of one check of the maps; ``seed`` is the run's."""
    text = {
        "map_robustness": _robustness,
        "map_removal": _removal,
        "map_randomisation": _randomisation,
    }[result.check](result, seed)
    if result.error is not None:
        text += f" The check could not be computed: {result.error}"
    return text


def _methods(result: CheckResult) -> str:
    """``Grad-CAM and IG``: the methods the check measured, controls left out."""
    methods = sorted({m.method for m in result.metrics if not is_control(m.method)}, key=method_key)
    return join_words([method_label(m) for m in methods]) or "each gradient-family method"


def _recorded(result: CheckResult) -> str:
    """The settings the engine recorded with the check, quoted; empty when there are none."""
    return f" As recorded with the check: {' '.join(result.notes)}" if result.notes else ""


def _robustness(result: CheckResult, seed: int) -> str:
    chance = next((m.chance for m in result.metrics if m.metric == "top_k_agreement"), None)
    by_chance = (
        f" ({fmt_rate(chance)} of the image, k / (H \u00d7 W), is what unrelated maps share "
        "by chance)"
        if chance is not None
        else ""
    )
    return (
        f"{check_scope(result)} For {_methods(result)} (occlusion is read through C8 and the "
        "mean maps only), each image's map of its predicted class is computed again on copies "
        "of the image with Gaussian noise added to every pixel, its standard deviation a "
        "fraction of the pixels' own. Two scores per image, each averaged over the copies: "
        f"the share of the map's top k = {result.k} pixels by size that stay in the copy's top "
        f"k{by_chance}, and Spearman's rank correlation of all pixels' signed values (0 for "
        "unrelated maps). Each is summarised as its median and its lower tail (P10) over the "
        f"images.{_recorded(result)}"
    )


def _removal(result: CheckResult, seed: int) -> str:
    return (
        f"{check_scope(result)} For {_methods(result)}, the pixels of each image (all channels "
        "of a location together) are ranked by its map, most relevant first, and moved a fixed "
        "number per step; after each step the model's softmax probability of the image's "
        "predicted class is recorded. The area under that curve (trapezoid on [0, 1]) is "
        "divided by its mean over random pixel orders of the same image (the control), so a "
        "ratio of 1 is no better than chance. Deletion starts from the image and replaces the "
        "pixels by a substrate (below 1 is better); insertion starts from the image blurred "
        "with a Gaussian and puts the image's pixels back (above 1 is better), as in RISE "
        f"({RISE}). Deletion ratios are summarised as median and P90, insertion ratios as "
        f"median and P10. {_substrates(result)} Insertion is meaningful only if the blurred "
        "image no longer shows the finding: the notes give the model's probability on it."
        f"{_recorded(result)}"
    )


def _substrates(result: CheckResult) -> str:
    """Which substrate the gate reads, which is shown beside it, and why noisy blur by default."""
    why = (
        "Zeros (the normalised mean, RISE's substrate) leave a uniform blob where a bright "
        "finding was, which still reads as a finding, so deleting the finding first barely "
        f"lowers the output ({ZEROS_EXAMPLE}). The noisy blur, the image blurred plus a little "
        "Gaussian noise, imputes each removed pixel from its neighbourhood and keeps the image "
        f"close to those the model learned from, in the spirit of ROAD ({ROAD})."
    )
    gated = gated_substrate(m.metric for m in result.metrics)
    if gated is None:
        return why
    other = next(s for s in SUBSTRATES if s != gated)
    if gated == "noisy_blur":
        return (
            f"The gated deletion ratio is the one with {SUBSTRATES[gated]}; the ratio with "
            f"{SUBSTRATES[other]} is reported beside it, not gated. {why}"
        )
    return (
        f"The policy gates the deletion ratio with {SUBSTRATES[gated]}; the ratio with "
        f"{SUBSTRATES[other]}, the default, is reported beside it, not gated. {why}"
    )


def _randomisation(result: CheckResult, seed: int) -> str:
    return (
        f"{check_scope(result)} For {_methods(result)}, the model's layers that hold weights "
        "are re-initialised one after another from the output layer down to the input, each "
        f"step keeping the layers randomised before it (cascading, {MPRT}). A layer is reset "
        "by its own initialiser, as Quantus does, or else its weights are redrawn from a normal "
        "distribution with their own spread; the draws follow from the run's seed "
        f"{seed}. After each layer, the maps of the same images "
        "for the same class are compared with the original ones; the notes give the median "
        "rank correlation after each layer, and the gate reads the last step, every layer "
        "randomised. Three scores per image: Spearman's rank correlation of the signed map "
        "values (gated), of their absolute values, and the structural similarity (SSIM) of "
        "the two maps, each first scaled to [0, 1]; for each, 0 is what unrelated maps give "
        "and 1 means unchanged. They are summarised as median and P90. Both the original and "
        "the randomised maps are means over noisy copies of each image "
        f"({SMOOTH_MPRT}), so that gradient noise alone cannot make two maps differ. The test "
        "has known limits: Binder et al. 2023 show that maps of pure noise pass it easily and "
        "that randomising from the top down leaves the lower layers' large activations in "
        "place, so a sound map need not change completely; Hedstr\u00f6m et al. 2023 show that "
        "the result depends on noise and on the similarity measure. A pass therefore shows that "
        "the maps depend on the learned weights, not that they are right; maps that barely "
        "change are the clear failure."
    )
