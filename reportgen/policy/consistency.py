"""Rules that span several keys of a policy, checked once every key is valid on its own.

Each rule returns problems as ``(key path, what is wrong)`` so the loader reports them like any
other policy problem, all at once and before anything is computed: a cohort column that is not
declared, bands on a column that takes none, more top features than there are features, and
settings whose work would not fit in memory.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator

from reportgen.policy.credit import ReasonsSpec
from reportgen.policy.fair_lending_rules import fair_lending_problems
from reportgen.policy.labels import label_problems
from reportgen.policy.privacy import PREDICTED_CLASS, CohortSpec
from reportgen.policy.schema import ENCODED_FORMATS, TORCH_FORMATS, Policy

Problem = tuple[tuple[int | str, ...], str]

# Bytes per element of the largest arrays a step builds at once (float64 rows plus masks).
_REMOVAL_BYTES = 17  # per (instance, order, step, feature): deletion + insertion rows and a mask
_FAITHFULNESS_BYTES = 24  # per (instance, subset, feature): random keys, mask and perturbed rows
_LIME_BYTES = 48  # per (sample, feature) of a case: draws, binary copy, centred copies, temporaries


def cross_key_problems(policy: Policy, *, memory_budget: int | None = None) -> list[Problem]:
    """Every cross-key problem of ``policy``; ``memory_budget`` in bytes (default: half of RAM)."""
    budget = memory_budget if memory_budget is not None else default_memory_budget()
    if policy.data.kind == "images":
        return [*_cohort_problems(policy), *label_problems(policy.data), *_image_problems(policy)]
    return [
        *_cohort_problems(policy),
        *label_problems(policy.data),
        *_decision_problems(policy),
        *fair_lending_problems(policy),
        *_reason_problems(policy),
        *_tabular_model_problems(policy),
        *_top_k_problems(policy),
        *_memory_problems(policy, budget),
    ]


def default_memory_budget() -> int:
    """Half of this machine's physical memory: the most one step may allocate at once."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError):
        return 4 << 30


def _cohort_problems(policy: Policy) -> Iterator[Problem]:
    data = policy.data
    numeric, categorical = set(data.features.numeric), set(data.features.categorical)
    allowed = [*data.feature_names, *data.sensitive]
    allowed += data.images.cohort_columns if data.images is not None else []
    for i, cohort in enumerate(policy.privacy.cohorts):
        where = ("privacy", "cohorts", i)
        if cohort.by != PREDICTED_CLASS and cohort.by not in allowed:
            yield (
                (*where, "by"),
                _unknown_column(
                    cohort, allowed, data.id_column, data.target, images=data.kind == "images"
                ),
            )
        elif cohort.by == PREDICTED_CLASS and cohort.bands is not None:
            yield (*where, "bands"), "cohorts by predicted_class take no bands; remove them"
        elif cohort.by in categorical and cohort.bands is not None:
            yield (
                (*where, "bands"),
                (
                    f"'{cohort.by}' is a categorical feature, so its cohorts are its levels; "
                    "remove the bands"
                ),
            )
        elif cohort.by in numeric and cohort.bands is None:
            yield (
                (*where, "bands"),
                (f"'{cohort.by}' is a numeric feature: give band edges, e.g. bands: [25, 35, 50]"),
            )


def _decision_problems(policy: Policy) -> Iterator[Problem]:
    """A decision needs a binary classifier with the adverse class among its classes, and no
    sensitive attribute among the model's inputs (a prohibited basis cannot be scored)."""
    if policy.decision is None:
        return
    where = ("decision",)
    for i, model in enumerate(policy.models):
        if model.task != "classification" or (model.classes and len(model.classes) != 2):
            yield (
                ("models", i, "task"),
                "a credit decision needs a binary classifier; this model is not one",
            )
        elif model.classes and policy.decision.adverse_class not in model.classes:
            yield (
                (*where, "adverse_class"),
                f"'{policy.decision.adverse_class}' is not one of the classes {model.classes} "
                f"of model '{model.name}'",
            )
    recourse = policy.decision.recourse
    numeric = set(policy.data.features.numeric)
    for key, names in (("immutable", recourse.immutable), ("monotone", list(recourse.monotone))):
        for name in names:
            if name not in policy.data.feature_names:
                yield (
                    (*where, "recourse", key),
                    f"'{name}' is not a model feature (data.features)",
                )
            elif key == "monotone" and name not in numeric:
                yield (
                    (*where, "recourse", key),
                    f"'{name}' is categorical: only numeric features take a direction",
                )
    scored = [c for c in policy.data.sensitive if c in policy.data.feature_names]
    for column in scored:
        yield (
            ("data", "sensitive"),
            f"'{column}' is a sensitive attribute and also a model input (data.features): a "
            "prohibited basis cannot be scored in a credit decision; remove it from the "
            "features",
        )


MAX_EXACT_FAMILIES = 12
"""C9's second estimator enumerates every coalition of reason families: 2^12 per case at most."""


def _reason_problems(policy: Policy) -> Iterator[Problem]:
    """Reason families cover every model feature exactly once and no sensitive column; the
    reference band fits below the cutoff; C9 can afford its exact estimator."""
    decision = policy.decision
    if decision is None or decision.reasons is None:
        return
    reasons = decision.reasons
    where: tuple[int | str, ...] = ("decision", "reasons")
    yield from _family_problems(policy, reasons, where)
    if reasons.reference == "near_cutoff" and reasons.band is None:
        yield (*where, "band"), "reference 'near_cutoff' needs a band, e.g. band: 0.1"
    elif reasons.reference == "all_applicants" and reasons.band is not None:
        yield (
            (*where, "band"),
            "a band applies to reference 'near_cutoff' only; remove it or set reference: "
            "near_cutoff",
        )
    elif reasons.band is not None and reasons.band >= decision.cutoff:
        yield (
            (*where, "band"),
            f"must be below the cutoff ({decision.cutoff:g}), got {reasons.band:g}: the band "
            "lies between cutoff - band and the cutoff",
        )
    if reasons.exclude_proxies and not policy.data.sensitive:
        yield (
            (*where, "exclude_proxies"),
            "no sensitive attribute is declared (data.sensitive), so there is no proxy to "
            "exclude; declare them or remove exclude_proxies",
        )
    families = len(reasons.families)
    if policy.checks.reason_stability.enabled and families > MAX_EXACT_FAMILIES:
        yield (
            (*where, "families"),
            f"check C9 (checks.reason_stability) compares with exact Shapley values over the "
            f"families, which allows at most {MAX_EXACT_FAMILIES} families (2^"
            f"{MAX_EXACT_FAMILIES} coalitions per case), got {families}; group features into "
            "fewer families or disable checks.reason_stability",
        )


def _family_problems(
    policy: Policy, reasons: ReasonsSpec, where: tuple[int | str, ...]
) -> Iterator[Problem]:
    data = policy.data
    features, sensitive = data.feature_names, set(data.sensitive)
    owner: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, family in enumerate(reasons.families):
        at: tuple[int | str, ...] = (*where, "families", i)
        if family.name in seen_names:
            yield (
                (*at, "name"),
                f"'{family.name}' is already the name of families[{seen_names[family.name]}]; "
                "reason names must be unique",
            )
        seen_names.setdefault(family.name, i)
        for j, feature in enumerate(family.features):
            if feature in sensitive:
                yield (
                    (*at, "features", j),
                    f"'{feature}' is a sensitive attribute (data.sensitive): a prohibited basis "
                    "is never a reason; remove it from the family",
                )
            elif feature not in features:
                close = difflib.get_close_matches(feature, features, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                yield (
                    (*at, "features", j),
                    f"'{feature}' is not a model feature (data.features){hint}",
                )
            elif feature in owner:
                other = owner[feature]
                yield (
                    (*at, "features", j),
                    f"'{feature}' is already in family "
                    f"'{reasons.families[other].name}' (families[{other}]); a "
                    "feature belongs to one family",
                )
            else:
                owner[feature] = i
    missing = [f for f in features if f not in owner and f not in sensitive]  # scored: refused
    if missing:
        yield (
            (*where, "families"),
            f"features {missing} are in no family: every model feature needs a family with a "
            "statement, so that no notice states a column name (a family may hold one feature)",
        )


def _tabular_model_problems(policy: Policy) -> Iterator[Problem]:
    for i, model in enumerate(policy.models):
        if model.format in ENCODED_FORMATS and model.preprocessing is None:
            yield (
                ("models", i, "preprocessing"),
                f"a {model.format} model needs preprocessing: the JSON file declaring how raw "
                "features are encoded; none is given",
            )
        if model.layer is not None:
            yield ("models", i, "layer"), "layer applies to image models (data.kind: images) only"


def _image_problems(policy: Policy) -> Iterator[Problem]:
    """Image models are torch classifiers taking the whole image; C8 gates maps it computes."""
    methods = policy.explanations.images.methods
    for i, model in enumerate(policy.models):
        where = ("models", i)
        if model.format not in TORCH_FORMATS:
            yield (
                (*where, "format"),
                f"image models must be torch_export or torchscript, not '{model.format}'",
            )
        if model.task != "classification":
            yield (*where, "task"), "image models must be classifiers in this version"
        if model.preprocessing is not None:
            yield (
                (*where, "preprocessing"),
                "image models take no preprocessing file; data.images.normalisation says how "
                "pixels are scaled",
            )
        if "gradcam" in methods and model.layer is None:
            yield (
                (*where, "layer"),
                "Grad-CAM needs the layer whose activations it weighs, e.g. layer: features.conv3 "
                "(or remove gradcam from explanations.images.methods)",
            )
        if "gradcam" in methods and model.format == "torchscript":
            yield (
                (*where, "format"),
                "Grad-CAM needs hooks on the model's layers, which TorchScript does not allow: "
                "save the model with torch.export (format: torch_export) or remove gradcam from "
                "explanations.images.methods",
            )
    extra = [m for m in policy.checks.localisation.methods if m not in methods]
    if policy.checks.localisation.enabled and extra:
        yield (
            ("checks", "localisation", "methods"),
            f"{extra} are not computed: add them to explanations.images.methods or remove them",
        )


def _unknown_column(
    cohort: CohortSpec, allowed: list[str], id_column: str, target: str, *, images: bool
) -> str:
    if cohort.by == id_column:
        return (
            f"'{cohort.by}' is the id column: a cohort per record would publish every record; "
            "split by a feature, a sensitive column or 'predicted_class'"
        )
    close = difflib.get_close_matches(cohort.by, [*allowed, PREDICTED_CLASS], n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    what = "the target" if cohort.by == target else "not a declared column"
    return (
        f"'{cohort.by}' is {what}; expected a feature, a sensitive column (data.sensitive), "
        f"a cohort column (data.images.cohort_columns) or '{PREDICTED_CLASS}'{hint}"
        if images
        else f"'{cohort.by}' is {what}; expected a feature, a sensitive column (data.sensitive) "
        f"or '{PREDICTED_CLASS}'{hint}"
    )


def _top_k_problems(policy: Policy) -> Iterator[Problem]:
    """An explicit ``checks.top_k`` above the feature count (the default is lowered to fit)."""
    d = len(policy.data.feature_names)
    if "top_k" in policy.checks.model_fields_set and policy.checks.top_k > d:
        yield (
            ("checks", "top_k"),
            (
                f"must be at most the number of features in data.features ({d}), "
                f"got {policy.checks.top_k}"
            ),
        )


def _memory_problems(policy: Policy, budget: int) -> Iterator[Problem]:
    """Settings whose largest array would exceed ``budget`` bytes, with what to lower."""
    checks, d = policy.checks, len(policy.data.feature_names)
    n = max(checks.audit_sample.size, policy.explanations.local.sample_size)
    estimates: list[tuple[tuple[int | str, ...], int, str]] = [
        (
            ("checks", "removal", "random_orders"),
            _REMOVAL_BYTES * n * checks.removal.random_orders * (d + 1) * d,
            f"{n} instances x {checks.removal.random_orders} orders x {d + 1} steps x {d} features",
        ),
        (
            ("checks", "removal", "faithfulness_runs"),
            _FAITHFULNESS_BYTES * n * checks.removal.faithfulness_runs * d,
            f"{n} instances x {checks.removal.faithfulness_runs} subsets x {d} features",
        ),
        (
            ("explanations", "lime", "num_samples"),
            _LIME_BYTES * policy.explanations.lime.num_samples * d,
            f"{policy.explanations.lime.num_samples} samples x {d} features",
        ),
    ]
    for loc, size, what in estimates:
        if size > budget:
            yield (
                loc,
                (
                    f"needs about {_size(size)} of memory at once ({what}), more than the "
                    f"{_size(budget)} allowed (half of this machine's memory); lower it"
                ),
            )


def _size(size: int) -> str:
    """Bytes in the largest binary unit that keeps the number at least 1."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"
