"""A realistic ResultDocument built by hand: a credit-default classifier with every result kind.

Some strings carry ``<script>`` and ``&`` on purpose, to prove the report escapes data. A plain
module (not conftest) so tests can import its constants under a name no other folder uses.
"""

from __future__ import annotations

from reportgen.render import ReportMeta
from reportgen.results.document import (
    CaseExplanation,
    Contribution,
    Cost,
    DatasetInfo,
    FeatureImportance,
    FeatureInfo,
    GlobalShapResult,
    LocalExplanationsResult,
    MethodExplanation,
    Metric,
    ModelInfo,
    PerformanceResult,
    PermutationImportanceResult,
    PolicyInfo,
    ResultDocument,
    RunInfo,
)

SCRIPT = "<script>alert('x')</script>"
TITLE = "Consumer credit & default risk"
MODEL = "credit_gbm"
SHAP_VALUES = {  # feature -> (mean |SHAP|, rank); listed out of rank order on purpose
    "age": (0.0412, 3),
    "income": (0.1187, 1),
    "housing": (0.0031, 6),
    "debt_ratio": (0.0735, 2),
    "purpose": (0.0219, 4),
    "credit_history_months": (0.0127, 5),
}
PERMUTATION_VALUES = {  # feature -> (mean drop in ROC AUC, sd, rank)
    "income": (0.0652, 0.0071, 1),
    "debt_ratio": (0.0398, 0.0052, 2),
    "credit_history_months": (0.0121, 0.0030, 4),
    "age": (0.0177, 0.0044, 3),
    "purpose": (0.0049, 0.0021, 5),
    "housing": (-0.0004, 0.0009, 6),
}


def _cost(rows: int, calls: int, wall: float) -> Cost:
    return Cost(model_rows=rows, model_calls=calls, wall_seconds=wall, model_seconds=wall * 0.7)


def _case(
    case_id: str,
    stratum: str,
    value: float,
    shap: list[tuple[str, str, float]],
    lime: list[tuple[str, str, float, str | None]],
) -> CaseExplanation:
    return CaseExplanation(
        case_id=case_id,
        stratum=stratum,
        predicted=stratum,
        explained_output="probability of class 'bad'",
        output_value=value,
        explanations=[
            MethodExplanation(
                method="lime",
                base_value=0.27,
                fit_quality=0.81,
                top=[
                    Contribution(feature=f, value=v, contribution=c, condition=cond)
                    for f, v, c, cond in lime
                ],
            ),
            MethodExplanation(
                method="shap",
                base_value=0.2514,
                fit_quality=2.2e-16,
                top=[Contribution(feature=f, value=v, contribution=c) for f, v, c in shap],
            ),
        ],
    )


def _cases() -> list[CaseExplanation]:
    return [
        _case(
            "case-7f3a",
            "bad",
            0.7342,
            [
                ("income", "20k-30k", 0.2411),
                ("debt_ratio", "0.6-0.8", 0.1502),
                ("age", "18-25", 0.0588),
                ("housing", "rent", -0.0213),
            ],
            [
                ("income", "20k-30k", 0.198, "income <= 31000"),
                ("debt_ratio", "0.6-0.8", 0.121, "debt_ratio > 0.55"),
                ("age", "18-25", 0.044, "age <= 27"),
            ],
        ),
        _case(
            "case-b921",
            "good",
            0.0815,
            [
                ("income", "80k+", -0.1224),
                ("credit_history_months", "120+", -0.0406),
                ("purpose", f"A&B {SCRIPT}", 0.0175),
                ("debt_ratio", "0.0-0.2", -0.0074),
            ],
            [
                ("income", "80k+", -0.131, "income > 78000"),
                ("credit_history_months", "120+", -0.037, "credit_history_months > 96"),
                ("purpose", f"A&B {SCRIPT}", 0.012, None),
            ],
        ),
        _case(
            "case-04c2",
            "good",
            0.1930,
            [
                ("debt_ratio", "0.2-0.4", -0.0447),
                ("age", "45-55", -0.0301),
                ("purpose", "car", 0.0164),
                ("income", "40k-50k", 0.0012),
            ],
            [
                ("debt_ratio", "0.2-0.4", -0.051, "0.18 < debt_ratio <= 0.41"),
                ("age", "45-55", -0.027, "age > 44"),
                ("purpose", "car", 0.009, "purpose = car"),
            ],
        ),
    ]


def make_document() -> ResultDocument:
    """The fixture document; a plain function so tests can derive variants from it."""
    return ResultDocument(
        policy=PolicyInfo(
            id="credit-default",
            title=TITLE,
            domain="credit",
            description=f"Explains the retail credit model. Data & notes: {SCRIPT}",
            path="policies/credit.yaml",
            sha256="a" * 64,
        ),
        run=RunInfo(
            reportgen_version="0.1.0",
            created_at="2025-03-04T09:15:00+00:00",
            seed=20250304,
            python="3.11.7",
            libraries={
                "shap": "0.46.0",
                "scikit-learn": "1.5.2",
                "lime": "0.2.0.1",
                "numpy": "2.1.3",
            },
            wall_seconds=83.4,
        ),
        models=[
            ModelInfo(
                name=MODEL,
                format="skops",
                path="models/credit_gbm.skops",
                sha256="b" * 64,
                preprocessing_sha256="c" * 64,
                task="binary_classification",
                classes=["good", "bad"],
                features=[
                    FeatureInfo(name="age", kind="numeric"),
                    FeatureInfo(name="income", kind="numeric"),
                    FeatureInfo(name="debt_ratio", kind="numeric"),
                    FeatureInfo(name="credit_history_months", kind="numeric"),
                    FeatureInfo(name="purpose", kind="categorical"),
                    FeatureInfo(name="housing", kind="categorical"),
                ],
                trusted=False,
            )
        ],
        datasets=[
            DatasetInfo(
                role="reference", path="data/reference.csv", sha256="d" * 64, rows=500, columns=7
            ),
            DatasetInfo(
                role="evaluation", path="data/evaluation.csv", sha256="e" * 64, rows=2000, columns=7
            ),
        ],
        results=[
            LocalExplanationsResult(
                model=MODEL,
                methods=["shap", "lime"],
                sample_size=3,
                top_k=4,
                strata={"good": 2, "bad": 1},
                shap_estimator="exact",
                shap_evals_per_row=64,
                lime_num_samples=5000,
                cases=_cases(),
                cost=_cost(15192, 6, 12.8),
            ),
            GlobalShapResult(
                model=MODEL,
                output="probability of class 'bad'",
                estimator="exact",
                evals_per_row=64,
                background_rows=100,
                rows=500,
                base_value=0.2514,
                additivity_max_error=4.4e-16,
                standard_error_mean=0.0,
                importances=[
                    FeatureImportance(feature=f, value=v, rank=r)
                    for f, (v, r) in SHAP_VALUES.items()
                ],
                cost=_cost(3_200_000, 500, 41.2),
            ),
            PermutationImportanceResult(
                model=MODEL,
                scoring="roc_auc",
                higher_is_better=True,
                baseline_score=0.8431,
                n_repeats=10,
                rows=2000,
                importances=[
                    FeatureImportance(feature=f, value=v, spread=s, rank=r)
                    for f, (v, s, r) in PERMUTATION_VALUES.items()
                ],
                cost=_cost(120_000, 60, 3.9),
            ),
            PerformanceResult(
                model=MODEL,
                rows=2000,
                metrics=[
                    Metric(name="roc_auc", value=0.8431),
                    Metric(name="accuracy", value=0.7815),
                    Metric(name="brier", value=0.1532),
                ],
                class_counts={"good": 1466, "bad": 534},
                cost=_cost(2000, 1, 0.05),
            ),
        ],
    )


META = ReportMeta(version_label="v3", published_at="2025-03-04T09:20:31+00:00")
