"""The policy schema: what a regulated team declares once per model use.

Every model forbids unknown keys, so a misspelt threshold is an error rather than a silently
ignored setting. Field descriptions generate ``docs/policy-reference.md`` and
``policies/schema.json``; keep them accurate.
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, StrictBool, field_validator, model_validator

from reportgen.policy.attention import AttentionSpec
from reportgen.policy.base import Strict as _Strict
from reportgen.policy.checks import ChecksSpec
from reportgen.policy.compliance import ComplianceSpec, DocumentationSpec
from reportgen.policy.credit import DecisionSpec
from reportgen.policy.edits import EditsSpec
from reportgen.policy.explanations import ExplanationsSpec
from reportgen.policy.images import ImageSpec
from reportgen.policy.internals import InternalsSpec
from reportgen.policy.labels import LABELS_DESCRIPTION, Label
from reportgen.policy.privacy import PrivacySpec
from reportgen.policy.registry_models import is_registry_name, name_problem
from reportgen.policy.trail import ReviewSpec, ScheduleSpec
from reportgen.policy.training import TrainingLogSpec

Domain = Literal["credit", "medical"]
ModelFormat = Literal["torchscript", "torch_export", "onnx", "skops", "pickle"]
DataKind = Literal["tabular", "images"]
TORCH_FORMATS = ("torchscript", "torch_export")
ENCODED_FORMATS = (*TORCH_FORMATS, "onnx")
"""Formats of networks fed the encoded matrix of a preprocessing file (tabular data)."""
Task = Literal["classification", "regression"]
ReportFormat = Literal["html", "pdf"]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SLUG_WORDS = (
    "a lowercase slug: 1 to 64 characters from a-z, 0-9, '-' and '_', "
    "starting with a letter or digit"
)


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

    kind: DataKind = Field(
        default="tabular",
        description="tabular: rows of feature columns; images: an index file with one row per "
        "image (id, image path, label, optional mask path and cohort columns).",
    )
    features: FeatureSpec = Field(
        default_factory=FeatureSpec, description="The model's input features (tabular data)."
    )
    images: ImageSpec | None = Field(
        default=None, description="Image layout (required for kind: images)."
    )
    target: str = Field(description="Column with the true outcome (class label or value).")
    id_column: str = Field(description="Column with a unique record identifier.")
    sensitive: list[str] = Field(
        default_factory=list,
        description="Sensitive attributes (sex, age, nationality...). Declared so that later "
        "privacy and cohort rules can treat them specially; they need not be model inputs.",
    )
    labels: dict[str, Label] = Field(default_factory=dict, description=LABELS_DESCRIPTION)

    @model_validator(mode="after")
    def _columns_are_distinct(self) -> DataSpec:
        """At least one feature is declared; no column has two roles (two feature lists, a
        feature and the target or id column, or the target and the id column); no sensitive
        column is the target or the id column."""
        problems = self._kind_problems()
        roles = [("features.numeric", c) for c in self.features.numeric]
        roles += [("features.categorical", c) for c in self.features.categorical]
        roles += [("target", self.target), ("id_column", self.id_column)]
        if self.images is not None:
            roles.append(("images.image_column", self.images.image_column))
            if self.images.mask_column is not None:
                roles.append(("images.mask_column", self.images.mask_column))
            roles += [("images.cohort_columns", c) for c in self.images.cohort_columns]
        seen: dict[str, str] = {}
        for role, column in roles:
            if column in seen:
                problems.append(
                    f"column '{column}' is declared twice, in {seen[column]} and in {role}"
                )
            else:
                seen[column] = role
        for role, column in (("target", self.target), ("id_column", self.id_column)):
            if column in self.sensitive:
                problems.append(f"sensitive column '{column}' cannot also be the {role}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _kind_problems(self) -> list[str]:
        if self.kind == "images":
            if self.images is None:
                return ["kind 'images' needs images: the image size, channels and columns"]
            if self.feature_names:
                return ["kind 'images' takes no features: the model's input is the image"]
            return []
        if self.images is not None:
            return ["images applies to kind 'images' only; set kind: images or remove images"]
        if not self.feature_names:
            return [
                "declare at least one feature under features.numeric or features.categorical; "
                "both are empty"
            ]
        return []

    @property
    def feature_names(self) -> list[str]:
        return self.features.numeric + self.features.categorical

    @property
    def image(self) -> ImageSpec:
        """The image layout of an imaging policy.

        Raises:
            ValueError: the policy's data is tabular.
        """
        if self.images is None:
            raise ValueError("the policy's data is tabular; it declares no images")
        return self.images


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

    name: str = Field(
        pattern=SLUG_PATTERN, description="Short identifier of the model (lowercase slug)."
    )
    format: ModelFormat = Field(
        description="torchscript: a TorchScript archive; torch_export: a `torch.export` program "
        "(.pt2); onnx: an ONNX graph run by onnxruntime (the `onnx` extra; gradient methods do "
        "not apply to it). For tabular data these three take a preprocessing file. skops: a "
        "scikit-learn model saved with skops; pickle: refused unless `trusted: true`."
    )
    path: str = Field(
        description="Model file, relative to the policy file; or models:/NAME/VERSION, a "
        "version of a local MLflow registry (the `mlflow` extra; MLFLOW_REGISTRY_URI or "
        "MLFLOW_TRACKING_URI says where), read as the one file its artifact holds."
    )
    task: Task = Field(description="classification (class probabilities) or regression (values).")
    classes: list[str] | None = Field(
        default=None,
        description="Class labels in the order of the model's outputs. Required for torchscript, "
        "torch_export and onnx classifiers; checked against the model's own classes for "
        "scikit-learn.",
    )
    positive_class: str | None = Field(
        default=None,
        description="Binary classifiers: the class whose probability global explanations "
        "describe. Defaults to the second class.",
    )
    output: Literal["logits", "probabilities"] = Field(
        default="logits",
        description="torchscript, torch_export and onnx classifiers: whether the network "
        "returns logits (softmax, or sigmoid for a single output column, is applied) or "
        "probabilities.",
    )
    preprocessing: str | None = Field(
        default=None,
        description="torchscript, torch_export and onnx on tabular data: JSON file declaring how "
        "raw features are encoded (numeric centre/scale, categorical one-hot levels), relative "
        "to the policy file.",
    )
    trusted_types: list[str] = Field(
        default_factory=list,
        description="skops: fully qualified type names allowed to load beyond skops' defaults.",
    )
    trusted: StrictBool = Field(
        default=False,
        description="Allow loading a plain pickle, which can run arbitrary code. The report "
        "states that the model was loaded as trusted.",
    )
    batch_size: int = Field(default=8192, ge=1, le=1_000_000, description="Rows per model call.")
    layer: str | None = Field(
        default=None,
        description="Image models: the module (dotted name, e.g. features.conv3) whose "
        "activations Grad-CAM weighs; usually the last convolution.",
    )
    training_log: TrainingLogSpec | None = Field(
        default=None,
        description="Torch models of tabular data: the log of its training (loss per epoch), "
        "reported as learning curves with the epoch of the released weights.",
    )

    @field_validator("path")
    @classmethod
    def _registry_name(cls, path: str) -> str:
        """A ``models:`` path names a registered version as models:/NAME/VERSION."""
        problem = name_problem(path) if is_registry_name(path) else None
        if problem is not None:
            raise ValueError(problem)
        return path

    @model_validator(mode="after")
    def _format_rules(self) -> ModelSpec:
        """A pickle needs `trusted: true`; only networks fed an encoded matrix (torchscript,
        torch_export, onnx) take `preprocessing`, and their classifiers list their `classes`; a
        regression model has no `classes` or `positive_class`; `classes` holds at least two
        distinct labels and includes `positive_class`."""
        problems: list[str] = []
        if self.format == "pickle" and not self.trusted:
            problems.append(
                "format 'pickle' is refused unless trusted: true, because loading a pickle can "
                "run arbitrary code; prefer format 'skops'"
            )
        if self.format not in ENCODED_FORMATS and self.preprocessing is not None:
            problems.append(
                "preprocessing applies to torchscript, torch_export and onnx models only, not "
                f"to format '{self.format}'"
            )
        problems += self._class_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _class_problems(self) -> list[str]:
        if self.task == "regression" and (self.classes or self.positive_class):
            return [
                "task 'regression' takes no classes or positive_class; remove them, or set "
                "task: classification"
            ]
        if self.task == "classification" and self.format in ENCODED_FORMATS and not self.classes:
            return [
                f"a {self.format} classifier must list its classes, in the order of its outputs"
            ]
        if self.classes is None:
            return []
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            return [f"classes must list at least two distinct labels, got {self.classes}"]
        if self.positive_class is not None and self.positive_class not in self.classes:
            close = difflib.get_close_matches(self.positive_class, self.classes, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            return [f"positive_class '{self.positive_class}' is not one of {self.classes}{hint}"]
        return []


class ReportSpec(_Strict):
    """What is published."""

    formats: list[ReportFormat] = Field(
        default_factory=lambda: list[ReportFormat](["html", "pdf"]),
        min_length=1,
        description="Documents rendered next to results.json and manifest.json.",
    )


class Policy(_Strict):
    """A reportgen policy: one regulated use of one or more models."""

    id: str = Field(
        pattern=SLUG_PATTERN,
        description="Identifier (lowercase slug); reports are stored under `<out>/<id>/`.",
    )
    title: str = Field(min_length=1, description="Title printed on the report.")
    domain: Domain = Field(description="Regulated domain: credit or medical.")
    description: str = Field(default="", description="What the model is used for, in words.")
    seed: int = Field(
        default=0,
        ge=0,
        le=2**32 - 1,
        description="Seed for every random choice (0 to 2^32 - 1); same seed, same numbers.",
    )
    models: list[ModelSpec] = Field(min_length=1, description="Models to explain.")
    data: DataSpec = Field(description="Column layout shared by every dataset.")
    datasets: DatasetsSpec = Field(description="The data files the report is computed on.")
    explanations: ExplanationsSpec = Field(
        default_factory=ExplanationsSpec, description="Explanation methods and their settings."
    )
    checks: ChecksSpec = Field(
        default_factory=ChecksSpec,
        description="Explanation trust checks and their pass/warn/fail thresholds.",
    )
    privacy: PrivacySpec = Field(
        default_factory=PrivacySpec, description="What may reach the report about individuals."
    )
    decision: DecisionSpec | None = Field(
        default=None,
        description="Credit policies: how the score becomes a decision (reason codes, fair "
        "lending and calibration read it).",
    )
    edits: EditsSpec | None = Field(
        default=None, description="Edits of a torch model to assess before deploying them."
    )
    internals: InternalsSpec | None = Field(
        default=None,
        description="Torch models (tabular or image): the network's layers, its hidden layers' "
        "activations and its per-layer loss gradients; for a CNN, its last convolution's mean "
        "channel activation map per predicted class.",
    )
    attention: AttentionSpec | None = Field(
        default=None,
        description="Torch models that declare their attention: mean attention per layer and "
        "head, shown as model-internal and compared with global SHAP.",
    )
    schedule: ScheduleSpec | None = Field(
        default=None, description="Optional schedule for `reportgen schedule`."
    )
    review: ReviewSpec = Field(
        default_factory=ReviewSpec, description="Who must sign a published version off."
    )
    report: ReportSpec = Field(default_factory=ReportSpec, description="What is published.")
    compliance: ComplianceSpec = Field(
        default_factory=ComplianceSpec, description="Regulatory frameworks the report traces."
    )
    documentation: DocumentationSpec = Field(
        default_factory=DocumentationSpec, description="The model card: what only people know."
    )

    @field_validator("models")
    @classmethod
    def _model_names_unique(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        """Model names are unique within the policy."""
        where: dict[str, list[str]] = {}
        for i, model in enumerate(models):
            where.setdefault(model.name, []).append(f"models[{i}]")
        clashes = [f"'{n}' is used by {' and '.join(at)}" for n, at in where.items() if len(at) > 1]
        if clashes:
            raise ValueError("model names must be unique; " + "; ".join(clashes))
        return models


# Walking the schema: used by the loader (error hints) and the reference generator.


def model_keys(model: type[BaseModel]) -> list[str]:
    """The keys a policy may write for ``model``, as spelt in YAML (aliases such as ``global``)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def field_at(model: type[BaseModel], key: str) -> Any:
    """The pydantic ``FieldInfo`` that YAML key ``key`` of ``model`` sets, or None."""
    for name, field in model.model_fields.items():
        if key == (field.alias or name):
            return field
    return None


def annotation_at(loc: tuple[int | str, ...]) -> Any:
    """The type expected at key path ``loc`` of a policy (``Policy`` for ``()``), or None when
    ``loc`` leads outside the schema. Optional types are unwrapped."""
    annotation: Any = Policy
    for part in loc:
        annotation = _without_none(annotation)
        if isinstance(part, int) and get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        elif isinstance(part, str) and _is_model(annotation):
            field = field_at(annotation, part)
            if field is None:
                return None
            annotation = field.annotation
        else:
            return None
    return _without_none(annotation)


def type_in_words(annotation: Any, quote: str = "'") -> str:
    """``list[str] | None`` -> ``a list of text, or null``: the type as a policy author reads it.
    Literal values are wrapped in ``quote``."""
    origin = get_origin(annotation)
    if origin is Annotated:  # a type with validators, e.g. a role: described by its base type
        return type_in_words(get_args(annotation)[0], quote)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        words = " or ".join(type_in_words(a, quote) for a in options)
        return f"{words}, or null" if len(options) < len(get_args(annotation)) else words
    if origin is Literal:
        values = [f"{quote}{v}{quote}" for v in get_args(annotation)]
        return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    if origin is list:
        item = get_args(annotation)[0]
        if _is_model(item):
            return "a list of mappings"
        return f"a list of {type_in_words(item, quote)}"
    if _is_model(annotation):
        return "a mapping"
    return _SCALAR_WORDS.get(annotation, getattr(annotation, "__name__", str(annotation)))


_SCALAR_WORDS: dict[Any, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}


def literal_values(annotation: Any) -> list[str]:
    """The allowed values of a ``Literal`` (optional or not), else an empty list."""
    annotation = _without_none(annotation)
    return [str(v) for v in get_args(annotation)] if get_origin(annotation) is Literal else []


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return options[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
