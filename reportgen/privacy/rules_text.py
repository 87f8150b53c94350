"""The privacy rules in words: what the Privacy section says the gate did to protect people."""

from __future__ import annotations

from reportgen.policy.schema import Policy
from reportgen.privacy.families import OTHER_VALUES

DP_FEATURES = 3
"""Features whose cohort means are released under differential privacy."""


def rules_in_words(
    policy: Policy, *, sensitive: set[str], local_cases: bool, dp_on: bool
) -> list[str]:
    """Each protection the gate applies to ``policy``, in words for the Privacy section."""
    spec = policy.privacy
    k = spec.min_cohort_size
    rules = [
        f"Groups of fewer than {k} people are suppressed, with complementary suppression so a "
        "suppressed group cannot be derived from totals, even by a reader who knows how the "
        "suppression works.",
        "No record identifier reaches the report: audit cases carry pseudonymous ids (keyed "
        "hash; the key is never published).",
        f"Case values are shown as ranges covering at least {k} reference rows; extremes are "
        f"top-coded (ages at {spec.top_code_ages_at:g}+) and rare categories merged. "
        "LIME's rules on numeric features are not shown: their cut points are quantiles of "
        "the reference data.",
        "A cohort labelled by a value from the data (not by policy bands, a feature's levels "
        f"or a class) is named only when it holds at least {k} people; the others are shown "
        f"together as '{OTHER_VALUES}'.",
        "Sensitive attributes ("
        + (", ".join(sorted(sensitive)) or "none declared")
        + ") appear only as cohort labels, never as a case's explanation input.",
    ]
    if policy.data.kind == "images" and spec.image_cases:
        rules.append(
            f"Up to {spec.image_cases} individual images are shown with their "
            "heat-maps, only because the policy opts in (privacy.image_cases), under "
            f"pseudonymous ids; every other map is a mean over at least {k} images."
        )
    elif policy.data.kind == "images":
        rules.append(
            "No patient image or individual heat-map is published: maps are means over a "
            f"group of at least {k} images (each heat-map scaled to [0, 1] first; a network's "
            "channel maps in its layer's units)."
        )
    elif not local_cases:
        rules.append("Individual audit cases are not shown under this policy.")
    if policy.decision is not None and policy.decision.reasons is not None:
        rules.append(
            "The reason mix shows how often a reason comes first only for groups of at "
            f"least {k} declined applicants (with complementary suppression), and how often "
            f"it is given at all only where at least {k} applicants have it and {k} do not; "
            "no reason is built from a sensitive attribute."
        )
    rules.append(
        f"A cohort's explanation profile is shown only when at least {k} of its rows were "
        "explained."
    )
    decision = policy.decision
    if decision is not None and (decision.fair_lending or decision.calibration):
        rules.append(
            "Fair-lending and calibration figures per group of a sensitive attribute are "
            "suppressed like cohorts; a ratio is shown only against a published reference "
            "group, a score gap is decomposed only between two published groups, and small "
            "bins of the reliability diagram are suppressed, complementarily within the bins "
            "on each side of the decision cutoff and of 0.5."
        )
    dp = spec.differential_privacy
    if dp_on:
        rules.append(
            f"Cohort counts and the mean |SHAP| of the top {DP_FEATURES} features carry "
            f"Laplace noise (OpenDP) within a total budget of epsilon={dp.epsilon:g}, "
            f"delta={dp.delta:g}, "
            f"protecting {dp.unit}; cohort performance is not published under differential "
            "privacy, and noised reports differ from run to run."
        )
    return rules
