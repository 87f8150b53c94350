"""The summary of one model: what it is, how well it does, what drives it, can it be trusted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from reportgen.render.credit_summary import credit_sentences
from reportgen.render.format import (
    fmt_fixed,
    fmt_int,
    fmt_short,
    join_words,
    metric_label,
    metric_name,
    number_word,
    plural,
)
from reportgen.render.heatmaps import image_maps_of
from reportgen.render.imaging_summary import (
    localisation_sentences,
    map_check_sentences,
    maps_estimator_line,
    maps_sentences,
)
from reportgen.render.labels import NO_LABELS, Labels
from reportgen.render.reasons import adverse_words, proxy_sentence, reference_words
from reportgen.render.sections import by_rank
from reportgen.render.trust import NO_CHECKS, TRUST_HEADING, is_check_gate
from reportgen.render.trust_views import Status, TrustSummary
from reportgen.render.views import Fact, ModelSummary
from reportgen.results.credit import ReasonCodesResult
from reportgen.results.document import (
    CheckResult,
    GateOutcome,
    GlobalShapResult,
    LocalExplanationsResult,
    ModelInfo,
    PerformanceResult,
    PermutationImportanceResult,
    Result,
)
from reportgen.results.imaging import ImageMapsResult

_R = TypeVar("_R")

TOP_DRIVERS = 3
"""How many features the summary names as the model's main drivers."""

UNSTABLE_OTHERS = (
    "The other top-ranked features do not hold their place under resampling of the data, so "
    "this summary does not name them as drivers."
)
UNSTABLE_DRIVERS = (
    "No top-ranked feature holds its place under resampling of the data, so this summary names "
    "no main drivers."
)


def model_sentence(name: str, info: ModelInfo | None, image: ImageMapsResult | None = None) -> str:
    """What the model is and what it predicts: from how many features, or (``image``: the
    model's heat-maps, for an image model) from images of what size."""
    if info is None:
        return f"{name} is not described in the results document; only its results are shown."
    task = info.task.replace("_", " ")
    if info.classes:
        target = join_words([f"'{c}'" for c in info.classes], "or")
        predicts = f"predicts {target}"
    else:
        predicts = "predicts a value"
    if image is not None and not info.features:
        source = f"images of {image.height} \u00d7 {image.width} pixels"
    else:
        kinds = Counter(f.kind for f in info.features)
        mix = ", ".join(f"{kinds[k]} {k}" for k in ("numeric", "categorical") if kinds[k])
        source = f"{plural(len(info.features), 'feature')} ({mix})"
    return f"{name} is a {task} model ({info.format}) that {predicts} from {source}."


def driver_sentences(
    results: list[Result], reliable: list[str] | None = None, labels: Labels = NO_LABELS
) -> list[str]:
    """The top global drivers in words, from SHAP and from permutation importance.

    ``reliable``: when set, the only features that may be named (the global-stability check
    found the others unstable under resampling); ``labels``: the features' display names.
    """
    if reliable is not None:
        return _stable_driver_sentences(results, reliable, labels)
    sentences = []
    shap = _of_kind(results, GlobalShapResult)
    if shap is not None and shap.importances:
        top = labels.each(i.feature for i in by_rank(shap.importances)[:TOP_DRIVERS])
        if len(top) == 1:
            sentences.append(f"The feature that moves the {shap.output} most is {top[0]}.")
        else:
            sentences.append(
                f"The {number_word(len(top))} features that move the {shap.output} most are "
                f"{join_words(top)}."
            )
    perm = _of_kind(results, PermutationImportanceResult)
    if perm is not None and perm.importances:
        top = labels.each(i.feature for i in by_rank(perm.importances)[:TOP_DRIVERS])
        sentences.append(
            f"The model's {metric_name(perm.scoring)} suffers most when "
            f"{join_words(top, 'or')} is shuffled."
        )
    return sentences


def _stable_driver_sentences(
    results: list[Result], reliable: list[str], labels: Labels
) -> list[str]:
    allowed = set(reliable)
    sentences = []
    shap = _of_kind(results, GlobalShapResult)
    if shap is not None and shap.importances:
        top = labels.each(i.feature for i in by_rank(shap.importances) if i.feature in allowed)
        if top:
            sentences.append(
                f"Among the features that hold their place under resampling of the data, "
                f"{join_words(top[:TOP_DRIVERS])} {'moves' if len(top) == 1 else 'move'} the "
                f"{shap.output} most."
            )
    perm = _of_kind(results, PermutationImportanceResult)
    if perm is not None and perm.importances:
        top = labels.each(i.feature for i in by_rank(perm.importances) if i.feature in allowed)
        if top:
            sentences.append(
                f"Among those, the model's {metric_name(perm.scoring)} suffers most when "
                f"{join_words(top[:TOP_DRIVERS], 'or')} is shuffled."
            )
    if not sentences:
        return [UNSTABLE_DRIVERS]
    return [*sentences, UNSTABLE_OTHERS]


def _performance_sentence(perf: PerformanceResult, unit: str = "row") -> str:
    shown = [f"{metric_name(m.name)} {fmt_fixed(m.value)}" for m in perf.metrics[:3]]
    measured = plural(perf.rows, f"evaluation {unit}")
    if not shown:
        return f"Performance was measured on {measured}."
    return f"On {measured} it reaches {join_words(shown)}."


def estimator_lines(results: list[Result]) -> list[str]:
    """The explanation methods used, with their budgets, one line each."""
    lines = []
    for result in results:
        if isinstance(result, GlobalShapResult):
            lines.append(
                f"SHAP, {result.estimator} estimator, {fmt_int(result.evals_per_row)} model "
                f"evaluations per row, {plural(result.background_rows, 'background row')}"
            )
        elif isinstance(result, PermutationImportanceResult):
            lines.append(
                f"Permutation importance, {metric_name(result.scoring)}, "
                f"{plural(result.n_repeats, 'repeat')}"
            )
        elif isinstance(result, LocalExplanationsResult):
            methods = join_words([m.upper() for m in result.methods])
            lines.append(f"Local {methods} on {plural(len(result.cases), 'audit case')}")
        elif isinstance(result, ImageMapsResult) and result.methods:
            lines.append(maps_estimator_line(result))
    return lines


def build_summary(
    name: str,
    info: ModelInfo | None,
    results: list[Result],
    gates: list[GateOutcome],
    anchor: str,
    labels: Labels = NO_LABELS,
) -> ModelSummary:
    """The first page's summary of one model; ``labels``: the columns' display names."""
    maps = image_maps_of(results)
    sentences = [model_sentence(name, info, maps)]
    perf = _of_kind(results, PerformanceResult)
    if perf is not None:
        sentences.append(_performance_sentence(perf, "image" if maps is not None else "row"))
    checks = [r for r in results if isinstance(r, CheckResult)]
    sentences.extend(driver_sentences(results, narrative_features(checks, gates), labels))
    if maps is not None:
        sentences.extend(maps_sentences(maps))
    sentences.extend(localisation_sentences(checks, gates))
    sentences.extend(map_check_sentences(checks, gates))
    sentences.extend(credit_sentences(results, [g for g in gates if g.model == name], labels))
    local = _of_kind(results, LocalExplanationsResult)
    if local is not None:
        sentences.append(
            f"{plural(len(local.cases), 'audit case').capitalize()}, a stratified sample per "
            "predicted class, are explained one by one."
        )
    reasons = _of_kind(results, ReasonCodesResult)
    if reasons is not None:
        sentences.extend(reason_sentences(reasons, labels))
    warnings: tuple[str, ...] = ()
    if info is not None and info.trusted:
        warnings = (
            "This model was loaded from a pickle the policy marks as trusted; loading a pickle "
            "can run arbitrary code, so its source must be controlled.",
        )
    return ModelSummary(
        name=name,
        sentences=tuple(sentences),
        key_metrics=tuple(
            Fact(metric_label(m.name), fmt_fixed(m.value)) for m in (perf.metrics if perf else [])
        ),
        estimators=tuple(estimator_lines(results)),
        warnings=warnings,
        trust=trust_summary(gates, name, f"{anchor}-trust"),
    )


def reason_sentences(result: ReasonCodesResult, labels: Labels = NO_LABELS) -> list[str]:
    """The reason-code policy, the most common first reason and the proxy findings in words."""
    score = adverse_words(result)
    policy = (
        f"Declined applicants ({score} at or above {fmt_short(result.cutoff)}) are given up to "
        f"{number_word(result.max_reasons)} principal reasons, the reason families that raise "
        f"their {score} most above that of {reference_words(result)}."
    )
    top = next((r for r in result.reasons if r.rank == 1 and r.principal), None)
    if top is not None and result.declined:
        policy += (
            f" The most common first reason is “{top.statement}” ({top.principal} of "
            f"{fmt_int(result.declined)} declined)."
        )
    return [policy, proxy_sentence(result, labels)]


def _of_kind(results: list[Result], kind: type[_R]) -> _R | None:
    return next((r for r in results if isinstance(r, kind)), None)


def trust_summary(gates: Sequence[GateOutcome], model: str, anchor: str) -> TrustSummary:
    """The summary's tally of the model's explanation-check gates and, if one failed, where to
    read why (the fair-lending verdict is a sentence of its own)."""
    own = [g for g in gates if g.model == model and is_check_gate(g)]
    if not own:
        return TrustSummary(tally=NO_CHECKS, alarm=None, anchor=anchor, link_text=TRUST_HEADING)
    counts = Counter(g.status for g in own)
    parts = [f"{plural(counts['pass'], 'check')} passed"]
    parts += [f"{counts[s]} {word}" for s, word in _TALLY_WORDS if counts[s]]
    alarm = None
    if counts["fail"] or counts["error"]:
        alarm = (
            "At least one explanation check failed, so some explanations below must not be "
            "relied on as they stand."
        )
    return TrustSummary(
        tally=f"Explanation checks: {', '.join(parts)}.",
        alarm=alarm,
        anchor=anchor,
        link_text=TRUST_HEADING,
    )


_TALLY_WORDS: tuple[tuple[Status, str], ...] = (
    ("warn", "warned"),
    ("fail", "failed"),
    ("error", "could not be computed"),
)


def narrative_features(
    checks: Sequence[CheckResult], gates: Sequence[GateOutcome]
) -> list[str] | None:
    """The features the summary may cite as global drivers; None when it may cite any.

    Restricted when a global-stability check names its reliable features and a gate of that
    check did not pass.
    """
    for check in checks:
        if check.check != "global_stability" or check.reliable_features is None:
            continue
        own = [g for g in gates if g.code == check.code and g.model == check.model]
        if any(g.status != "pass" for g in own):
            return list(check.reliable_features)
    return None
