"""The ways the privacy gate can admit a result: every kind of analysis declares one.

The gate implements each rule; a kind that declares none, or a result of a kind the engine
does not know, is refused (the gate fails closed), so a new analysis cannot publish personal
data because its author forgot the gate.
"""

from __future__ import annotations

from enum import StrEnum


class PrivacyRule(StrEnum):
    AGGREGATE = "aggregate"
    """Figures over all evaluation rows (importances, scores, an edit's drift and its counts of
    flipped decisions and changed reasons, a transformer's mean attention per layer and head): no
    value of any one person. The gate checks that no record identifier appears."""
    NETWORK = "network"
    """A network's layers, its activation quantiles from 5% to 95%, its dead and saturated
    units, PSI and gradient norms' mean and 95% quantile (aggregates, as AGGREGATE), and a CNN's
    mean channel activation maps per predicted class, each published only where the class holds
    at least the minimum cohort size (with complementary suppression, as mean heat-maps)."""
    PREDICTION_COUNTS = "prediction_counts"
    """Aggregates plus counts per predicted class: small counts are suppressed, with
    complementary suppression against the total."""
    CASES = "cases"
    """Individual audit cases: pseudonymous ids, generalised values, sensitive attributes
    withheld, and withheld altogether where the policy shows no individual cases."""
    CHECK = "check"
    """A trust check's aggregate metrics; the cases it warns about get pseudonymous ids."""
    COHORTS = "cohorts"
    """Raw cohort figures: suppressed, merged and optionally noised into published cohorts."""
    MEAN_MAPS = "mean_maps"
    """Mean heat-maps per group of images: a group's map is published only when the group
    holds at least the minimum cohort size (with complementary suppression in each family);
    never an individual image or map."""
    IMAGE_CASES = "image_cases"
    """Individual patient images with their maps: admitted only when the policy opts in
    (privacy.image_cases), under pseudonymous ids; refused otherwise."""
    FAIR_LENDING = "fair_lending"
    """Approval rates, ratios and score gaps per group of a sensitive attribute: groups
    suppressed like cohorts (complementary suppression; values from the data merged into one
    '(other values)' row); no ratio against a suppressed reference group, no decomposition of a
    gap involving a suppressed group; withheld altogether under differential privacy (its
    figures carry no noise)."""
    CALIBRATION = "calibration"
    """Calibration overall and per group (groups suppressed like cohorts) and the reliability
    diagram's bins, small ones suppressed complementarily within each segment between the
    decision cutoff and 0.5 (whose counts other results publish); withheld under differential
    privacy."""
    REASON_CODES = "reason_codes"
    """Adverse-action reason codes: the reason mix's small counts suppressed (complementary
    suppression over the first reasons, which split the declined applicants), no reason that
    names a sensitive column, and the displayed audit cases' reasons under pseudonymous ids, or
    withheld where the policy shows no individual cases."""
