"""The policy schema: what a regulated team declares once per model use.

Every model forbids unknown keys, so a misspelt threshold is an error rather than a silently
ignored setting. Field descriptions generate ``docs/policy-reference.md`` and
``policies/schema.json``; keep them accurate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Domain = Literal["credit", "medical"]
ModelFormat = Literal["torchscript", "skops", "pickle"]
Task = Literal["classification", "regression"]
Scoring = Literal["roc_auc", "accuracy", "log_loss", "r2", "rmse"]

_SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureSpec(_Strict):
    """The model's input features, as columns of the datasets, in human-level form."""

    numeric: list[str] = Field(
        default_factory=list, description="Columns holding numbers (amounts, ages, measurements)."
    )
    categorical: list[str] = Field(
        default_factory=list, description="Columns holding labels (purpose, housing, ...)."
    )


class DataSpec(_Strict):
    """How the datasets are laid out. Every dataset must hold all of these columns."""

    features: FeatureSpec = Field(description="The model's input features.")
    target: str = Field(description="Column with the true outcome (class label or value).")
    id_column: str = Field(description="Column with a unique record identifier.")
    sensitive: list[str] = Field(
        default_factory=list,
        description="Sensitive attributes (sex, age, nationality...). Declared so that later "
        "privacy and cohort rules can treat them specially; they need not be model inputs.",
    )

    @model_validator(mode="after")
    def _columns_are_distinct(self) -> DataSpec:
        features = self.features.numeric + self.features.categorical
        if not features:
            raise ValueError("declare at least one feature under features.numeric or features.categorical")
        roles = [("features", f) for f in features] + [("target", self.target), ("id_column", self.id_column)]
        seen: dict[str, str] = {}
        for role, column in roles:
            if column in seen:
                raise ValueError(f"column '{column}' is declared twice (as {seen[column]} and as {role})")
            seen[column] = role
        overlap = sorted(set(self.sensitive) & {self.target, self.id_column})
        if overlap:
            raise ValueError(f"sensitive column(s) {overlap} cannot also be the target or the id column")
        return self

    @property
    def feature_names(self) -> list[str]:
        return self.features.numeric + self.features.categorical


class DatasetSpec(_Strict):
    """One data file, relative to the policy file."""

    path: str = Field(description="CSV or Parquet file, relative to the policy file.")
    format: Literal["csv", "parquet"] | None = Field(
        default=None, description="File format; inferred from the file suffix when omitted."
    )


class DatasetsSpec(_Strict):
    """The data the report is computed on."""

    reference: DatasetSpec = Field(
        description="Data the model was trained on (or a sample of it): the background for SHAP "
        "and the statistics LIME samples from."
    )
    evaluation: DatasetSpec = Field(
        description="Held-out data: model performance, permutation importance and the audit sample."
    )


class ModelSpec(_Strict):
    """One model to explain."""

    name: str = Field(pattern=_SLUG, description="Short identifier of the model (lowercase slug).")
    format: ModelFormat = Field(
        description="torchscript: a TorchScript archive plus a preprocessing file; skops: a "
        "scikit-learn model saved with skops; pickle: refused unless `trusted: true`."
    )
    path: str = Field(description="Model file, relative to the policy file.")
    task: Task = Field(description="classification (class probabilities) or regression (values).")
    classes: list[str] | None = Field(
        default=None,
        description="Class labels in the order of the model's outputs. Required for torchscript "
        "classifiers; checked against the model's own classes for scikit-learn.",
    )
    positive_class: str | None = Field(
        default=None,
        description="Binary classifiers: the class whose probability global explanations "
        "describe. Defaults to the second class.",
    )
    output: Literal["logits", "probabilities"] = Field(
        default="logits",
        description="torchscript classifiers: whether the network returns logits (softmax, or "
        "sigmoid for a single output column, is applied) or probabilities.",
    )
    preprocessing: str | None = Field(
        default=None,
        description="torchscript: JSON file declaring how raw features are encoded (numeric "
        "centre/scale, categorical one-hot levels), relative to the policy file.",
    )
    trusted_types: list[str] = Field(
        default_factory=list,
        description="skops: fully qualified type names allowed to load beyond skops' defaults.",
    )
    trusted: bool = Field(
        default=False,
        description="Allow loading a plain pickle, which can run arbitrary code. The report "
        "states that the model was loaded as trusted.",
    )
    batch_size: int = Field(default=8192, ge=1, description="Rows per model call.")

    @model_validator(mode="after")
    def _format_rules(self) -> ModelSpec:
        if self.format == "pickle" and not self.trusted:
            raise ValueError(
                "a pickle can run arbitrary code when loaded; use skops, or set trusted: true"
            )
        if self.format == "torchscript" and self.preprocessing is None:
            raise ValueError("a torchscript model needs its preprocessing file")
        if self.format != "torchscript" and self.preprocessing is not None:
            raise ValueError("preprocessing applies to torchscript models only")
        if self.task == "regression" and (self.classes or self.positive_class):
            raise ValueError("a regression model has no classes or positive_class")
        if self.task == "classification" and self.format == "torchscript" and not self.classes:
            raise ValueError("a torchscript classifier must list its classes")
        if self.classes is not None:
            if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
                raise ValueError("classes must list at least two distinct labels")
            if self.positive_class is not None and self.positive_class not in self.classes:
                raise ValueError(
                    f"positive_class '{self.positive_class}' is not one of the classes {self.classes}"
                )
        return self


class ShapSpec(_Strict):
    """SHAP settings (interventional Shapley values over raw features)."""

    background_size: int = Field(
        default=100, ge=10, le=2000, description="Reference rows used as the SHAP background."
    )
    global_rows: int = Field(
        default=200, ge=10, description="Evaluation rows explained for the global mean |SHAP|."
    )
    estimator: Literal["auto", "exact", "permutation"] = Field(
        default="auto",
        description="exact enumerates every coalition (2^d model batches, for up to 12 "
        "features); permutation samples antithetic feature orders and is additive by "
        "construction. auto picks exact when it is affordable.",
    )
    permutations: int = Field(
        default=10,
        ge=1,
        description="permutation estimator: feature orders sampled per row (each also run "
        "reversed); the budget is 2 * permutations * (features + 1) evaluations per row.",
    )


class LimeSpec(_Strict):
    """LIME settings (tabular explainer over raw features)."""

    num_samples: int = Field(default=5000, ge=100, description="Perturbed samples per case.")


class PermutationSpec(_Strict):
    """Permutation importance settings (scikit-learn)."""

    n_repeats: int = Field(default=10, ge=2, description="Shuffles per feature.")
    scoring: Scoring | None = Field(
        default=None,
        description="Score whose drop measures importance. Defaults: roc_auc for binary, "
        "log_loss for multiclass, r2 for regression.",
    )


class GlobalSpec(_Strict):
    """Which global explanations run."""

    methods: list[Literal["shap", "permutation"]] = Field(
        default_factory=lambda: ["shap", "permutation"], min_length=1,
        description="shap: mean |SHAP| per feature; permutation: permutation importance.",
    )


class LocalSpec(_Strict):
    """Which local explanations run, and on how many audit cases."""

    methods: list[Literal["shap", "lime"]] = Field(
        default_factory=lambda: ["shap", "lime"], min_length=1,
        description="Methods that explain each audit case.",
    )
    sample_size: int = Field(
        default=12, ge=1, le=500,
        description="Audit cases drawn from the evaluation data, stratified by predicted class.",
    )
    top_k: int = Field(default=5, ge=1, le=20, description="Contributions shown per case.")


class ExplanationsSpec(_Strict):
    """Explanation methods and their settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    global_: GlobalSpec = Field(default_factory=GlobalSpec, alias="global")
    local: LocalSpec = Field(default_factory=LocalSpec)
    shap: ShapSpec = Field(default_factory=ShapSpec)
    lime: LimeSpec = Field(default_factory=LimeSpec)
    permutation: PermutationSpec = Field(default_factory=PermutationSpec)


class ReportSpec(_Strict):
    """What is published."""

    formats: list[Literal["html", "pdf"]] = Field(
        default_factory=lambda: ["html", "pdf"], min_length=1,
        description="Documents rendered next to results.json and manifest.json.",
    )


class Policy(_Strict):
    """A reportgen policy: one regulated use of one or more models."""

    id: str = Field(pattern=_SLUG, description="Identifier; reports are stored under <out>/<id>/.")
    title: str = Field(min_length=1, description="Title printed on the report.")
    domain: Domain = Field(description="Regulated domain: credit or medical.")
    description: str = Field(default="", description="What the model is used for, in words.")
    seed: int = Field(default=0, ge=0, description="Seed for every random choice; same seed, same numbers.")
    models: list[ModelSpec] = Field(min_length=1, description="Models to explain.")
    data: DataSpec
    datasets: DatasetsSpec
    explanations: ExplanationsSpec = Field(default_factory=ExplanationsSpec)
    report: ReportSpec = Field(default_factory=ReportSpec)

    @model_validator(mode="after")
    def _model_names_unique(self) -> Policy:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique, {duplicates} repeat")
        return self
