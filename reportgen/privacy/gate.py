"""The privacy gate: the only way anything data-derived reaches the results document.

Analyses produce results about the evaluation data; the gate rewrites what concerns individuals
(pseudonymous case ids, generalised values, sensitive attributes withheld, small groups
suppressed, optional differential privacy on cohort aggregates) and then vouches for every
result: a result that still carries a record identifier, or a case value that is not a
generalised label, is refused with a PrivacyError (exit 3, nothing published). What it did is
returned as a PrivacyReport for the report's Privacy section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

from reportgen.analyses.cohorts import ModelCohorts
from reportgen.errors import PrivacyError
from reportgen.inputs.codec import FeatureCodec
from reportgen.policy.privacy import local_cases_enabled
from reportgen.policy.schema import Policy
from reportgen.privacy.cohort_families import publish_cohorts
from reportgen.privacy.dp import Ledger
from reportgen.privacy.families import UNPROTECTABLE, WHOLE_FAMILY
from reportgen.privacy.generalise import Generaliser
from reportgen.privacy.group_figures import publish_calibration, publish_fair_lending
from reportgen.privacy.image_maps import publish_channel_maps, publish_mean_maps
from reportgen.privacy.pseudonym import Pseudonymizer, load_or_create_key
from reportgen.privacy.reason_codes import publish_reason_codes
from reportgen.privacy.rules import PrivacyRule
from reportgen.privacy.rules_text import rules_in_words
from reportgen.privacy.suppression import suppress
from reportgen.privacy.vouching import (
    case_values,
    declared_codec,
    declared_names,
    is_number,
    strings,
)
from reportgen.results.credit import (
    CalibrationResult,
    FairLendingResult,
    ReasonCodesResult,
    RecourseResult,
)
from reportgen.results.document import (
    CaseCaveat,
    CaseExplanation,
    CheckResult,
    CohortResult,
    Contribution,
    LedgerEntry,
    LocalExplanationsResult,
    MethodExplanation,
    PerformanceResult,
    PrivacyReport,
    Result,
    Suppressed,
)
from reportgen.results.imaging import ImageCasesResult, ImageMapsResult
from reportgen.results.network import NetworkResult

_NOT_DP = (
    "withheld: the policy publishes under differential privacy, and these figures per group "
    "carry no noise"
)
_G = TypeVar("_G", FairLendingResult, CalibrationResult)
_Publish = Callable[..., tuple[_G, list[Suppressed]]]


_PER_PERSON = (
    LocalExplanationsResult,
    RecourseResult,
    CheckResult,
    PerformanceResult,
    CohortResult,
    ImageMapsResult,
    ImageCasesResult,
    FairLendingResult,
    CalibrationResult,
    ReasonCodesResult,
    NetworkResult,
)
"""Results that hold something per person or per small group: never a mere aggregate."""


class PrivacyGate:
    """Admits results into the document only in a form that protects individuals."""

    def __init__(
        self,
        policy: Policy,
        *,
        reference: pd.DataFrame,
        evaluation: pd.DataFrame,
        key_dir: Path,
        codec: FeatureCodec | None = None,
    ) -> None:
        self.policy = policy
        self.spec = policy.privacy
        data = policy.data
        self.sensitive = set(data.sensitive)
        self.local_cases = local_cases_enabled(self.spec, policy.domain)
        key = load_or_create_key(key_dir, self.spec.pseudonym_key_env)
        self.pseudonym = Pseudonymizer(key)
        codec = codec or declared_codec(policy, reference)
        self.generaliser = Generaliser.fit(
            reference,
            codec,
            minimum=self.spec.min_cohort_size,
            top_code_quantile=self.spec.top_code_quantile,
            age_columns=[c for c in data.sensitive if c in reference.columns],
            age_top=self.spec.top_code_ages_at,
        )
        dp = self.spec.differential_privacy
        self.ledger = Ledger.from_spec(dp) if dp.enabled else None
        self.record_ids = set(reference[data.id_column]) | set(evaluation[data.id_column])
        self.names = declared_names(policy, codec)
        self.suppressed: list[Suppressed] = []
        self.rules: list[str] = []

    def admit(self, result: Result, rule: PrivacyRule | None) -> Result | None:
        """The publishable form of ``result`` under ``rule`` (None when the policy withholds
        it), vouched for.

        Raises:
            PrivacyError: no rule, a rule that does not fit the result, or a result that still
                carries a record id or an ungeneralised case value.
        """
        admitted: Result | None
        if rule is PrivacyRule.CASES and isinstance(result, LocalExplanationsResult):
            admitted = self._local(result) if self.local_cases else None
        elif rule is PrivacyRule.CASES and isinstance(result, RecourseResult):
            admitted = self._recourse(result) if self.local_cases else None
        elif rule is PrivacyRule.CHECK and isinstance(result, CheckResult):
            admitted = result.model_copy(
                update={"caveats": [self._caveat(c) for c in result.caveats]}
            )
        elif rule is PrivacyRule.PREDICTION_COUNTS and isinstance(result, PerformanceResult):
            admitted = self._performance(result)
        elif rule is PrivacyRule.MEAN_MAPS and isinstance(result, ImageMapsResult):
            admitted = self._mean_maps(result)
        elif rule is PrivacyRule.NETWORK and isinstance(result, NetworkResult):
            admitted, withheld = publish_channel_maps(result, minimum=self.spec.min_cohort_size)
            self.suppressed += withheld
        elif rule is PrivacyRule.IMAGE_CASES and isinstance(result, ImageCasesResult):
            admitted = self._image_cases(result)
        elif rule is PrivacyRule.FAIR_LENDING and isinstance(result, FairLendingResult):
            admitted = self._groups(result, publish_fair_lending, "fair lending")
        elif rule is PrivacyRule.CALIBRATION and isinstance(result, CalibrationResult):
            admitted = self._groups(result, publish_calibration, "calibration")
        elif rule is PrivacyRule.REASON_CODES and isinstance(result, ReasonCodesResult):
            admitted = self._reason_codes(result)
        elif rule is PrivacyRule.AGGREGATE and not isinstance(result, _PER_PERSON):
            admitted = result
        else:
            raise PrivacyError(
                f"privacy gate: the {result.kind} result of model '{result.model}' has no privacy "
                f"rule that fits it (declared: {rule}); refused"
            )
        if admitted is not None:
            self.vouch(admitted)
        return admitted

    def vouch(self, result: Result) -> None:
        """Refuse a result that carries a record id or an ungeneralised case value.

        A case id must be a pseudonym this gate issued. Any other text equal to a record id is
        refused too, unless it is a number (ids 0, 1, 2... are also class labels, levels and
        counts) or a name the model or policy declares (a class, a feature, a level).
        """
        what = f"privacy gate: the {result.kind} result of model '{result.model}'"
        for path, text, key in strings(result.model_dump(mode="json")):
            is_case_id = not key and path.rsplit(".", 1)[-1] == "case_id"
            harmless = not is_case_id and (is_number(text) or text in self.names)
            if text in self.record_ids and not harmless:
                raise PrivacyError(f"{what} carries a record identifier at {path}; refused")
            if is_case_id and not self.pseudonym.issued(text):
                raise PrivacyError(
                    f"{what} carries a case id that is not a pseudonym at {path}; refused"
                )
        for case_id, feature, value in case_values(result):
            if value not in self.generaliser.coverage(feature):
                raise PrivacyError(
                    f"privacy gate: case {case_id} of model '{result.model}' shows an "
                    f"ungeneralised value for '{feature}'; refused"
                )

    def report(self) -> PrivacyReport:
        dp = self.spec.differential_privacy
        ledger = self.ledger
        return PrivacyReport(
            min_cohort_size=self.spec.min_cohort_size,
            rules=rules_in_words(
                self.policy,
                sensitive=self.sensitive,
                local_cases=self.local_cases,
                dp_on=self.ledger is not None,
            ),
            local_cases=self.local_cases and self.policy.data.kind == "tabular",
            images=self.policy.data.kind == "images",
            image_cases=self.spec.image_cases if self.policy.data.kind == "images" else 0,
            suppressed=self.suppressed,
            dp_enabled=ledger is not None,
            epsilon=dp.epsilon if ledger is not None else None,
            delta=dp.delta if ledger is not None else None,
            unit=dp.unit if ledger is not None else None,
            epsilon_spent=ledger.spent if ledger is not None else 0.0,
            ledger=[
                LedgerEntry(
                    statistic=e["name"],
                    mechanism=e["mechanism"],
                    epsilon=e["epsilon"],
                    sensitivity=e["sensitivity"],
                    scale=e["scale"],
                    bounds=e["bounds"],
                )
                for e in (ledger.entries if ledger is not None else [])
            ],
        )

    def cohorts(self, families: list[ModelCohorts]) -> list[CohortResult]:
        """Publish cohort families: suppression first, then (optionally) DP noise. A family that
        suppression cannot protect (a cohort derivable from the published total) is withheld
        (:mod:`reportgen.privacy.cohort_families`)."""
        published, suppressed = publish_cohorts(families, policy=self.policy, ledger=self.ledger)
        self.suppressed += suppressed
        for result in published:
            self.vouch(result)
        return published

    def _mean_maps(self, result: ImageMapsResult) -> ImageMapsResult:
        published, withheld = publish_mean_maps(
            result,
            minimum=self.spec.min_cohort_size,
            banded=lambda column: any(
                c.by == column and c.bands is not None for c in self.spec.cohorts
            ),
        )
        self.suppressed += withheld
        return published

    def _reason_codes(self, result: ReasonCodesResult) -> ReasonCodesResult:
        """The reason mix suppressed like cohorts; cases pseudonymised, or withheld where the
        policy shows no individual cases (:mod:`reportgen.privacy.reason_codes`)."""
        published, suppressed = publish_reason_codes(
            result,
            minimum=self.spec.min_cohort_size,
            sensitive=self.sensitive,
            pseudonym=self.pseudonym if self.local_cases else None,
        )
        self.suppressed += suppressed
        return published

    def _image_cases(self, result: ImageCasesResult) -> ImageCasesResult:
        """Patient images only where the policy opted in, and under pseudonymous ids.

        Raises:
            PrivacyError: the policy does not opt in to showing individual images.
        """
        if self.spec.image_cases == 0:
            raise PrivacyError(
                f"privacy gate: the image_cases result of model '{result.model}' carries patient "
                "images, which this policy does not publish (privacy.image_cases is 0); refused"
            )
        cases = [c.model_copy(update={"case_id": self.pseudonym(c.case_id)}) for c in result.cases]
        return result.model_copy(update={"cases": cases})

    def _recourse(self, result: RecourseResult) -> RecourseResult:
        """Pseudonymous ids; current and suggested values as generalised labels."""
        cases = [
            case.model_copy(
                update={
                    "case_id": self.pseudonym(case.case_id),
                    "changes": [
                        change.model_copy(
                            update={
                                "current": self._shown(change.feature, change.current),
                                "suggested": self._shown(change.feature, change.suggested),
                            }
                        )
                        for change in case.changes
                    ],
                }
            )
            for case in result.cases
        ]
        return result.model_copy(update={"cases": cases})

    def _shown(self, feature: str, value: str) -> str:
        numeric = feature in self.generaliser.numeric
        return self.generaliser.display(feature, float(value) if numeric else value)

    def _groups(self, result: _G, publish: _Publish[_G], name: str) -> _G | None:
        """Figures per group of the sensitive attributes, suppressed like cohorts (see
        :mod:`reportgen.privacy.group_figures`); None under differential privacy, whose promise
        their un-noised figures would break."""
        if self.ledger is not None:
            self.suppressed.append(
                Suppressed(family=name, model=result.model, cohort=WHOLE_FAMILY, reason=_NOT_DP)
            )
            return None
        published, suppressed = publish(
            result, minimum=self.spec.min_cohort_size, declared=self._declared_groups
        )
        self.suppressed += suppressed
        return published

    def _declared_groups(self, attribute: str, bands: list[float] | None) -> bool:
        """Whether an attribute's groups are policy bands or a feature's levels, not data."""
        return bands is not None or attribute in self.policy.data.features.categorical

    def _local(self, result: LocalExplanationsResult) -> LocalExplanationsResult:
        cases = [self._case(case) for case in result.cases]
        return result.model_copy(update={"cases": cases})

    def _case(self, case: CaseExplanation) -> CaseExplanation:
        explanations = [
            MethodExplanation(
                method=e.method,
                base_value=e.base_value,
                fit_quality=e.fit_quality,
                top=[self._contribution(c) for c in e.top if c.feature not in self.sensitive],
            )
            for e in case.explanations
        ]
        return case.model_copy(
            update={"case_id": self.pseudonym(case.case_id), "explanations": explanations}
        )

    def _contribution(self, item: Contribution) -> Contribution:
        """The generalised value; LIME's rule only for a category (as its generalised label):
        a numeric rule's cut points are quantiles of the reference data, which with few
        reference rows are some person's own values."""
        numeric = item.feature in self.generaliser.numeric
        shown = self.generaliser.display(item.feature, float(item.value) if numeric else item.value)
        condition = None
        if item.condition is not None and not numeric:
            condition = f"{item.feature} = {shown}"
        return item.model_copy(update={"value": shown, "condition": condition})

    def _caveat(self, caveat: CaseCaveat) -> CaseCaveat:
        return caveat.model_copy(update={"case_id": self.pseudonym(caveat.case_id)})

    def _performance(self, result: PerformanceResult) -> PerformanceResult:
        if not result.class_counts:
            return result
        family = "predicted class counts"
        kept = suppress(result.class_counts, minimum=self.spec.min_cohort_size, total=result.rows)
        if not kept.total_publishable:
            self.suppressed.append(
                Suppressed(
                    family=family, model=result.model, cohort=WHOLE_FAMILY, reason=UNPROTECTABLE
                )
            )
            return result.model_copy(update={"class_counts": {}})
        for label, why in kept.suppressed.items():
            self.suppressed.append(
                Suppressed(family=family, model=result.model, cohort=label, reason=why)
            )
        return result.model_copy(update={"class_counts": dict(kept.published)})


__all__ = ["PrivacyGate"]
