"""The results document: everything a report shows, as typed, versioned data.

``results.json`` is the single source of truth: rendering reads only this document, so any past
report can be re-rendered. Each result carries a stable ``kind`` tag; fields are JSON-native
(no NaN, no numpy types). Values that depend on the clock or on where and in how many pieces the
work ran live only in ``run.created_at``, ``run.executor``, fields named ``*_seconds`` and
``cost.model_calls`` (how many batches the rows went in), so two runs with the same inputs and
seed differ only there, whatever executor ran them.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from reportgen.results.attention import AttentionResult
from reportgen.results.base import Cost, FeatureImportance, MetricWithInterval, SkippedAnalysis
from reportgen.results.base import Doc as _Doc
from reportgen.results.credit import (
    CalibrationResult,
    FairLendingResult,
    ReasonCodesResult,
    RecourseResult,
)
from reportgen.results.imaging import (
    ImageCasesResult,
    ImageMapsResult,
)
from reportgen.results.internals import EditsResult
from reportgen.results.network import NetworkResult
from reportgen.results.traceability import Traceability
from reportgen.results.training import TrainingHistoryResult

SCHEMA_VERSION: Literal["1.0"] = "1.0"


class GlobalShapResult(_Doc):
    """Mean |SHAP| per raw feature over evaluation rows."""

    kind: Literal["global_shap"] = "global_shap"
    model: str
    output: str = Field(description="The model output explained, in words.")
    estimator: Literal["exact", "permutation"]
    evals_per_row: int = Field(description="Coalitions evaluated per explained row (the budget).")
    background_rows: int
    rows: int
    base_value: float | None = Field(
        description="E[f] over the background; None when the values average several outputs."
    )
    additivity_max_error: float = Field(description="max |sum(SHAP) + E[f] - f(x)| over rows.")
    standard_error_mean: float = Field(
        description="Mean estimated sampling standard error of one SHAP value (0 for exact)."
    )
    standard_error_max: float = Field(
        default=0.0,
        description="Largest estimated standard error of one SHAP value over the rows: the "
        "error every row achieved (0 for exact).",
    )
    target_error: float | None = Field(
        default=None,
        description="Permutation estimator: the standard error at which a row stopped sampling "
        "early; None when every row ran its whole budget.",
    )
    orders_per_row: float | None = Field(
        default=None,
        description="Permutation estimator: mean feature orders run per row (each also "
        "reversed); None for exact.",
    )
    importances: list[FeatureImportance]
    cost: Cost


class GlobalGradientsResult(_Doc):
    """Mean |gradient x input| and mean |integrated gradients| per raw feature over every
    evaluation row (torch models)."""

    kind: Literal["global_gradients"] = "global_gradients"
    model: str
    output: str = Field(description="The model output explained, in words.")
    rows: int = Field(description="Evaluation rows attributed: all of them.")
    steps: int = Field(description="Gauss-Legendre integration steps of IG per row.")
    baseline: str = Field(description="The IG baseline, in words.")
    background_rows: int = Field(description="Rows whose encoded mean is the IG baseline.")
    ig_completeness_max_error: float = Field(
        description="Largest relative completeness error of IG over rows (and classes)."
    )
    ig_completeness_pass_share: float = Field(
        description="Share of rows whose IG completeness error is within the C1 tolerance."
    )
    ig_tolerance: float = Field(description="The C1 tolerance of IG's completeness error.")
    gradient_x_input: list[FeatureImportance]
    integrated_gradients: list[FeatureImportance]
    cost: Cost


class PermutationImportanceResult(_Doc):
    """Drop in score when one feature's values are shuffled (scikit-learn)."""

    kind: Literal["permutation_importance"] = "permutation_importance"
    model: str
    scoring: str
    higher_is_better: bool
    baseline_score: float
    n_repeats: int
    rows: int
    importances: list[FeatureImportance]
    cost: Cost


class Metric(_Doc):
    name: str
    value: float


class PerformanceResult(_Doc):
    """How well the model does on the evaluation data."""

    kind: Literal["model_performance"] = "model_performance"
    model: str
    rows: int
    metrics: list[Metric]
    class_counts: dict[str, int] = Field(
        default_factory=dict, description="Predicted class counts (classifiers)."
    )
    cost: Cost


class Contribution(_Doc):
    """One feature's contribution to one case's explained output."""

    feature: str
    value: str = Field(description="The case's value of the feature, as displayed.")
    contribution: float
    condition: str | None = Field(default=None, description="LIME's rule for the feature, if any.")


class MethodExplanation(_Doc):
    """One method's explanation of one case: its top contributions by magnitude."""

    method: Literal["shap", "lime"]
    base_value: float = Field(description="SHAP: E[f]; LIME: the local model's intercept.")
    fit_quality: float | None = Field(
        default=None,
        description="SHAP: |sum + base - f(x)| (additivity error); LIME: R^2 of the local fit.",
    )
    top: list[Contribution]


class CaseExplanation(_Doc):
    case_id: str
    stratum: str = Field(description="The stratum the case was drawn from (its predicted class).")
    predicted: str = Field(description="Predicted class label, or the predicted value.")
    explained_output: str
    output_value: float = Field(description="The explained output's value for this case.")
    explanations: list[MethodExplanation]


class LocalExplanationsResult(_Doc):
    """Audit cases drawn from the evaluation data and explained one by one."""

    kind: Literal["local_explanations"] = "local_explanations"
    model: str
    methods: list[str]
    sample_size: int
    top_k: int
    strata: dict[str, int] = Field(description="Cases drawn per predicted class.")
    shap_estimator: str | None
    shap_evals_per_row: int | None
    lime_num_samples: int | None
    cases: list[CaseExplanation]
    cost: Cost


CheckName = Literal[
    "completeness",
    "rerun_stability",
    "perturbation_robustness",
    "removal_faithfulness",
    "randomisation_sanity",
    "method_agreement",
    "global_stability",
    "localisation",
    "map_robustness",
    "map_removal",
    "map_randomisation",
    "reason_stability",
]


class CheckMetric(_Doc):
    """One metric of one explanation method, summarised over the checked instances."""

    method: str = Field(description="shap, lime, ig, random (the control), or a pair 'shap~lime'.")
    metric: str
    median: float
    tail: float | None = Field(
        default=None, description="P10 when higher is better, P90 when lower is better."
    )
    pass_rate: float | None = Field(
        default=None, description="Share of instances meeting the per-instance threshold."
    )
    chance: float | None = Field(default=None, description="The metric's value by pure chance.")
    values: list[float] = Field(
        default_factory=list, description="Per-instance values, for distribution charts."
    )


class CaseCaveat(_Doc):
    """A displayed audit case whose explanation a check found unreliable in part."""

    case_id: str
    method: str
    reliable: list[str] = Field(description="Top features that held up under the check.")
    unreliable: list[str] = Field(description="Top features that did not.")


class CheckResult(_Doc):
    """One trust check (CHECKS.md section 9) on one model."""

    kind: Literal["check"] = "check"
    check: CheckName
    code: str = Field(description="C1 ... C9.")
    model: str
    instances: int
    k: int
    metrics: list[CheckMetric]
    reliable_features: list[str] | None = Field(
        default=None, description="Features the narrative may cite after this check."
    )
    caveats: list[CaseCaveat] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the check could not be computed.")
    cost: Cost


class Cohort(_Doc):
    """One cohort as published: suppressed cohorts carry only their label and the reason."""

    label: str
    size: float | None = Field(
        description="Rows in the cohort (noised under DP); None if suppressed."
    )
    suppressed: str | None = Field(default=None, description="Why nothing else is shown.")
    metrics: list[MetricWithInterval] = Field(default_factory=list)
    profile: dict[str, float] = Field(
        default_factory=dict,
        description="Mean |SHAP| per feature over the cohort's explained rows.",
    )
    top_features: list[str] = Field(default_factory=list)
    distance: float | None = Field(
        default=None, description="Total variation distance of the profile from the overall one."
    )
    profile_rows: int | None = Field(default=None, description="Explained rows behind the profile.")


class CohortResult(_Doc):
    """Cohorts of one family (a sensitive attribute, a band of a column, or predicted class)."""

    kind: Literal["cohorts"] = "cohorts"
    model: str
    family: str
    by: str
    overall: Cohort
    cohorts: list[Cohort]
    noised: bool = Field(description="True when counts, scores and profiles carry DP noise.")
    cost: Cost


Result = Annotated[
    GlobalShapResult
    | GlobalGradientsResult
    | PermutationImportanceResult
    | PerformanceResult
    | LocalExplanationsResult
    | CheckResult
    | CohortResult
    | ImageMapsResult
    | ImageCasesResult
    | RecourseResult
    | FairLendingResult
    | CalibrationResult
    | ReasonCodesResult
    | EditsResult
    | NetworkResult
    | AttentionResult
    | TrainingHistoryResult,
    Field(discriminator="kind"),
]


def _kind_tags(union: object) -> frozenset[str]:
    members = get_args(get_args(union)[0])
    return frozenset(member.model_fields["kind"].default for member in members)


RESULT_KINDS: frozenset[str] = _kind_tags(Result)
"""The ``kind`` tags of every result type this version of the schema knows."""


class LedgerEntry(_Doc):
    """One differentially private statistic and what it spent."""

    statistic: str
    mechanism: str
    epsilon: float
    sensitivity: float
    scale: float
    bounds: list[float] | None = None


class Suppressed(_Doc):
    family: str
    model: str
    cohort: str
    reason: str


class PrivacyReport(_Doc):
    """The protections in force, so a reviewer can see them rather than trust them."""

    min_cohort_size: int
    rules: list[str] = Field(description="Each rule applied, in words.")
    local_cases: bool = Field(description="Whether individual audit cases are shown.")
    images: bool = Field(default=False, description="Whether the data are images.")
    image_cases: int = Field(
        default=0, description="Images: how many individual images the policy opts to show."
    )
    suppressed: list[Suppressed] = Field(default_factory=list)
    dp_enabled: bool = False
    epsilon: float | None = None
    delta: float | None = None
    unit: str | None = None
    epsilon_spent: float = 0.0
    ledger: list[LedgerEntry] = Field(default_factory=list)


GateName = CheckName | Literal["adverse_impact", "edit_drift"]
"""What a gate judges: a trust check, (fair lending) the adverse impact ratios of one
sensitive attribute, or the drift an edit of the model causes."""


class GateOutcome(_Doc):
    """A verdict against the policy's thresholds, in words a reader can act on."""

    code: str
    check: GateName
    model: str
    method: str | None
    status: Literal["pass", "warn", "fail", "error"]
    actual: str = Field(description="What was measured.")
    expected: str = Field(description="What the policy requires.")
    meaning: str = Field(description="What the outcome means for a reader of the report.")


class FeatureInfo(_Doc):
    name: str
    kind: Literal["numeric", "categorical"]


class ModelInfo(_Doc):
    name: str
    format: str
    path: str = Field(description="As written in the policy.")
    sha256: str
    preprocessing_sha256: str | None
    task: str
    classes: list[str] | None
    features: list[FeatureInfo]
    trusted: bool = Field(description="Loaded as a trusted pickle (can run arbitrary code).")


class DatasetInfo(_Doc):
    role: Literal["reference", "evaluation"]
    path: str = Field(description="As written in the policy.")
    sha256: str
    rows: int
    columns: int


class PolicyInfo(_Doc):
    id: str
    title: str
    domain: str
    description: str
    path: str
    sha256: str
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="The policy's display names of columns (data.labels), used by the report "
        "only: every other field names columns as the data does.",
    )


class RunInfo(_Doc):
    reportgen_version: str
    created_at: str = Field(description="UTC time the run started, ISO 8601.")
    seed: int
    python: str
    libraries: dict[str, str]
    wall_seconds: float
    templates_sha256: str | None = Field(
        default=None,
        description="sha256 over the report templates (names and bytes) that render the report.",
    )
    git_commit: str | None = Field(
        default=None,
        description="Commit of reportgen's source when run from a git checkout, else null.",
    )
    input_fingerprint: str | None = Field(
        default=None,
        description="sha256 over the policy, model, preprocessing and data files' hashes, "
        "reportgen's version and the seed: equal fingerprints, same report.",
    )
    executor: str = Field(
        default="in-process",
        description="Where the analyses ran (in-process, local processes, a Dask cluster); the "
        "numbers do not depend on it.",
    )


class ResultDocument(_Doc):
    """The whole, typed content of one report."""

    kind: Literal["reportgen.results"] = "reportgen.results"
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    policy: PolicyInfo
    run: RunInfo
    models: list[ModelInfo]
    datasets: list[DatasetInfo]
    results: list[Result]
    gates: list[GateOutcome] = Field(default_factory=list)
    skipped: list[SkippedAnalysis] = Field(
        default_factory=list,
        description="Analyses the policy asks for that did not run on a model, each with why.",
    )
    privacy: PrivacyReport | None = Field(
        default=None, description="What the privacy gate applied (None in pre-privacy documents)."
    )
    traceability: Traceability | None = Field(
        default=None, description="Requirement -> evidence matrix (None: no framework selected)."
    )

    @property
    def failed(self) -> bool:
        """True when any gate failed or could not be evaluated."""
        return any(g.status in ("fail", "error") for g in self.gates)
