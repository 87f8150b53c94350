"""Turn a validated policy into loaded, checked inputs with content hashes.

Everything that can be checked before the expensive work is checked here, so `reportgen
validate` catches it: every file loads, the model runs on every row of both datasets and returns
finite outputs of the declared shape, the evaluation data is large enough to publish anything
about it, and each cohort column (and fair-lending attribute) reads the way the policy splits
it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen import __version__
from reportgen.errors import InputError, PolicyError, PrivacyError
from reportgen.inputs.candidates import candidate_edits, check_candidates
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.columns import numeric_values
from reportgen.inputs.datasets import load_dataset
from reportgen.inputs.groups import check_fair_lending_columns
from reportgen.inputs.image_models import ImageModel, load_image_model
from reportgen.inputs.images import ImageSet, image_dataset_sha256, load_images
from reportgen.inputs.models import (
    EncodedModel,
    ModelAdapter,
    NonFiniteOutput,
    SklearnAdapter,
    TorchAdapter,
    load_sklearn,
    load_torch_export,
    load_torchscript,
)
from reportgen.inputs.onnx_model import load_onnx
from reportgen.inputs.preprocessing import load_preprocessing
from reportgen.inputs.training_log import load_training_log
from reportgen.policy.loader import LoadedPolicy
from reportgen.policy.privacy import PREDICTED_CLASS
from reportgen.policy.schema import ENCODED_FORMATS, DataSpec, ModelSpec
from reportgen.results.fingerprint import fingerprint


@dataclass(frozen=True)
class ResolvedDataset:
    role: str
    path: Path
    frame: pd.DataFrame
    """The rows (for images: the index rows)."""
    sha256: str
    """The file's hash (for images: of the index and every image and mask it names)."""
    images: ImageSet | None = None
    """The pixels and masks of an image dataset."""

    @property
    def image_set(self) -> ImageSet:
        if self.images is None:
            raise TypeError(f"the {self.role} dataset is tabular; it holds no images")
        return self.images


@dataclass(frozen=True)
class ResolvedModel:
    spec: ModelSpec
    adapter: ModelAdapter | ImageModel
    sha256: str
    preprocessing_sha256: str | None

    @property
    def tabular(self) -> ModelAdapter:
        """The adapter of a model of tabular data."""
        if not isinstance(self.adapter, ModelAdapter):
            raise TypeError(f"model '{self.spec.name}' is an image model")
        return self.adapter

    @property
    def imaging(self) -> ImageModel:
        """The adapter of an image model."""
        if not isinstance(self.adapter, ImageModel):
            raise TypeError(f"model '{self.spec.name}' is a model of tabular data")
        return self.adapter


@dataclass(frozen=True)
class ResolvedInputs:
    """Everything an analysis needs, loaded and checked against the policy."""

    loaded: LoadedPolicy
    reference: ResolvedDataset
    evaluation: ResolvedDataset
    models: list[ResolvedModel]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_fingerprint(loaded: LoadedPolicy, seed: int | None = None) -> str:
    """The fingerprint of a run of ``loaded`` (with ``seed``, default the policy's): the policy,
    model, preprocessing and data files' hashes, reportgen's version and the seed. The one place
    it is computed: the skip-unchanged check and the manifest both use it.

    Raises:
        OSError: a file the policy names cannot be read.
    """
    policy = loaded.policy
    models = {
        m.name: {
            "model": sha256_file(loaded.resolve(m.path)),
            "preprocessing": sha256_file(loaded.resolve(m.preprocessing))
            if m.preprocessing
            else None,
        }
        for m in policy.models
    }
    for m in policy.models:
        if m.training_log is not None and m.training_log.format == "csv":
            models[m.name]["training_log"] = sha256_file(loaded.resolve(m.training_log.path))
    for index, edit in candidate_edits(loaded):
        models[f"edits.assess[{index}]"] = {"model": sha256_file(loaded.resolve(edit.path or ""))}
    datasets = {role: _dataset_sha256(loaded, role) for role in ("reference", "evaluation")}
    used = policy.seed if seed is None else seed
    return fingerprint(loaded.sha256, models, datasets, __version__, used)


def _dataset_sha256(loaded: LoadedPolicy, role: str) -> str:
    spec = getattr(loaded.policy.datasets, role)
    path = loaded.resolve(spec.path)
    if loaded.policy.data.kind == "images":
        return image_dataset_sha256(path, spec, loaded.policy.data, key=f"datasets.{role}")
    return sha256_file(path)


def resolve_inputs(loaded: LoadedPolicy) -> ResolvedInputs:
    """Load the policy's datasets and models and check that they fit together.

    Raises:
        InputError: a file is missing or malformed, or model and data disagree.
        PrivacyError: the evaluation data holds fewer rows than the minimum cohort size.
        PolicyError: a cohort family, or a fair-lending attribute, does not fit the column it
            splits by.
    """
    policy = loaded.policy
    if policy.data.kind == "images":
        return _resolve_images(loaded)
    datasets = {}
    for role in ("reference", "evaluation"):
        spec = getattr(policy.datasets, role)
        path = loaded.resolve(spec.path)
        shown = loaded.shown(spec.path)
        frame = load_dataset(path, spec, policy.data, key=f"datasets.{role}", shown=shown)
        datasets[role] = ResolvedDataset(role, path, frame, sha256_file(path))
    _check_publishable(loaded, datasets["evaluation"])
    frames = [d.frame for d in datasets.values()]
    models = [load_model(loaded, i, frames=frames) for i in range(len(policy.models))]
    for model in models:
        for dataset in datasets.values():
            _check_fit(model.tabular, dataset, loaded)
    if models:
        evaluation = datasets["evaluation"].frame
        check_candidates(
            loaded, [m.tabular for m in models], models[0].tabular.codec.to_codes(evaluation)
        )
    _check_cohort_columns(loaded, datasets["evaluation"])
    check_fair_lending_columns(loaded, datasets["evaluation"].frame)
    return ResolvedInputs(loaded, datasets["reference"], datasets["evaluation"], models)


def _resolve_images(loaded: LoadedPolicy) -> ResolvedInputs:
    """The image datasets and models of an imaging policy, checked like tabular ones: every
    image and mask loads, the model runs on every image with finite outputs of the declared
    classes, and the evaluation set is large enough to publish anything about it."""
    policy = loaded.policy
    datasets = {}
    for role in ("reference", "evaluation"):
        spec = getattr(policy.datasets, role)
        path = loaded.resolve(spec.path)
        found = load_images(
            path, spec, policy.data, key=f"datasets.{role}", shown=loaded.shown(spec.path)
        )
        datasets[role] = ResolvedDataset(role, path, found.frame, found.sha256, found)
    _check_publishable(loaded, datasets["evaluation"])
    image = policy.data.image
    shape = (image.channels, image.height, image.width)
    models = []
    for index, spec in enumerate(policy.models):
        path = loaded.resolve(spec.path)
        if not path.is_file():
            shown = loaded.shown(spec.path)
            raise InputError(f"{shown}: model file not found (models[{index}].path)")
        model = load_image_model(path, spec, f"models[{index}]", shape)
        for dataset in datasets.values():
            _check_image_fit(model, dataset, loaded)
        models.append(ResolvedModel(spec, model, sha256_file(path), None))
    _check_cohort_columns(loaded, datasets["evaluation"])
    check_fair_lending_columns(loaded, datasets["evaluation"].frame)
    return ResolvedInputs(loaded, datasets["reference"], datasets["evaluation"], models)


def _check_image_fit(model: ImageModel, dataset: ResolvedDataset, loaded: LoadedPolicy) -> None:
    """The model classifies every image with finite outputs; every label is one of its classes."""
    declared = loaded.policy.data
    where = f"{loaded.shown(getattr(loaded.policy.datasets, dataset.role).path)}"
    where += f" (datasets.{dataset.role})"
    try:
        model.predict(dataset.image_set.images)
    except NonFiniteOutput as exc:
        raise InputError(
            f"model '{model.name}' returns NaN or infinite outputs on images of {where}"
        ) from exc
    except InputError as exc:
        raise InputError(f"{exc} (on {where})") from exc
    target = dataset.frame[declared.target]
    unknown = ~target.isin(model.classes).to_numpy()
    if unknown.any():
        raise InputError(
            f"{where}: target column '{declared.target}' holds labels that are not among the "
            f"model's classes {model.classes} in {int(unknown.sum())} row(s), first at data row "
            f"{int(np.argmax(unknown)) + 1}"
        )
    if dataset.role == "evaluation" and target.nunique() < 2:
        raise InputError(
            f"{where}: target column '{declared.target}' holds one class in every row; model "
            "performance needs at least two"
        )


def load_model(
    loaded: LoadedPolicy,
    index: int,
    *,
    frames: list[pd.DataFrame] | None = None,
    codec: FeatureCodec | None = None,
) -> ResolvedModel:
    """Load the policy's model number ``index``.

    A model that takes the raw frame (scikit-learn) learns its categorical levels from
    ``frames``, or is given them as ``codec`` (a worker loading the model again does that).

    Raises:
        InputError: the model or its preprocessing is missing or unusable.
    """
    spec, where = loaded.policy.models[index], f"models[{index}]"
    path = loaded.resolve(spec.path)
    if not path.is_file():
        raise InputError(f"{loaded.shown(spec.path)}: model file not found ({where}.path)")
    declared = loaded.policy.data
    pre_sha = None
    adapter: ModelAdapter
    if spec.format in ENCODED_FORMATS:
        if spec.preprocessing is None:  # the policy's consistency rules require it
            raise InputError(f"{where}.preprocessing: a {spec.format} model needs one")
        pre_path = loaded.resolve(spec.preprocessing)
        preprocessing = load_preprocessing(pre_path)
        _check_features(preprocessing.codec, declared, f"{pre_path} ({where}.preprocessing)")
        pre_sha = sha256_file(pre_path)
        width = preprocessing.encoded_width
        if spec.format == "onnx":
            adapter = load_onnx(path, spec, preprocessing, where)
        elif spec.format == "torch_export":
            adapter = TorchAdapter(spec, load_torch_export(path, where, width), preprocessing)
        else:
            adapter = TorchAdapter(spec, load_torchscript(path, where), preprocessing)
    else:
        estimator = load_sklearn(path, spec, where)
        codec = codec or _data_codec(estimator, declared, frames or [])
        adapter = SklearnAdapter(spec, estimator, codec)
    if spec.training_log is not None:
        load_training_log(loaded.policy, loaded.base_dir, index)
    return ResolvedModel(spec, adapter, sha256_file(path), pre_sha)


def _data_codec(estimator: object, declared: DataSpec, frames: list[pd.DataFrame]) -> FeatureCodec:
    """A codec for a model that takes the raw frame: categorical levels are those in the data."""
    order = [str(c) for c in getattr(estimator, "feature_names_in_", declared.feature_names)]
    if sorted(order) != sorted(declared.feature_names):
        raise InputError(
            f"the model was fitted on features {order} "
            f"but the policy declares {declared.feature_names}"
        )
    categorical = set(declared.features.categorical)
    features = []
    for name in order:
        if name in categorical:
            levels = sorted(set().union(*(set(f[name]) for f in frames)))
            features.append(Feature(name, "categorical", tuple(levels)))
        else:
            features.append(Feature(name, "numeric"))
    return FeatureCodec(tuple(features))


def _check_features(codec: FeatureCodec, declared: DataSpec, where: str) -> None:
    kinds = {f.name: f.kind for f in codec.features}
    expected = {n: "numeric" for n in declared.features.numeric}
    expected |= {n: "categorical" for n in declared.features.categorical}
    if kinds != expected:
        missing = sorted(set(expected) - set(kinds))
        extra = sorted(set(kinds) - set(expected))
        wrong = sorted(n for n in set(kinds) & set(expected) if kinds[n] != expected[n])
        raise InputError(
            f"{where}: features do not match the policy's data.features "
            f"(missing {missing}, not declared {extra}, different kind {wrong})"
        )


def _check_publishable(loaded: LoadedPolicy, evaluation: ResolvedDataset) -> None:
    """Every figure describes the evaluation rows: too few of them would single people out."""
    minimum = loaded.policy.privacy.min_cohort_size
    rows = len(evaluation.frame)
    if rows < minimum:
        raise PrivacyError(
            f"{loaded.shown(loaded.policy.datasets.evaluation.path)} (datasets.evaluation) holds "
            f"{rows} row(s), fewer than privacy.min_cohort_size ({minimum}): every figure of the "
            "report would describe fewer people than the policy allows to publish"
        )


def _check_fit(adapter: ModelAdapter, dataset: ResolvedDataset, loaded: LoadedPolicy) -> None:
    """The model runs on every row of ``dataset`` with finite outputs; the target fits it."""
    declared = loaded.policy.data
    where = f"{loaded.shown(getattr(loaded.policy.datasets, dataset.role).path)}"
    where += f" (datasets.{dataset.role})"
    codes = adapter.codec.to_codes(dataset.frame, source=where)
    try:
        adapter.predict_codes(codes)
    except NonFiniteOutput as exc:
        rows = _non_finite_rows(adapter, codes)
        raise InputError(
            f"model '{adapter.name}' returns NaN or infinite outputs on {len(rows)} row(s) of "
            f"{where}, first at data row {rows[0] + 1}"
        ) from exc
    except InputError as exc:
        encoded = ""
        if isinstance(adapter, EncodedModel):
            width = adapter.preprocessing.encoded_width
            encoded = f"; its preprocessing encodes each row as {width} columns"
        raise InputError(f"{exc} (on {where}{encoded})") from exc
    target = dataset.frame[declared.target]
    if adapter.classes:
        unknown = ~target.isin(adapter.classes).to_numpy()
        if unknown.any():
            raise InputError(
                f"{where}: target column '{declared.target}' holds labels that are not among the "
                f"model's classes {adapter.classes} in {int(unknown.sum())} row(s), first at "
                f"data row {int(np.argmax(unknown)) + 1}"
            )
    else:
        try:
            target.astype(np.float64)
        except ValueError as exc:
            raise InputError(
                f"{where}: target column '{declared.target}' must be numeric for a regression model"
            ) from exc
    if dataset.role == "evaluation" and target.nunique() < 2:
        what = "one class" if adapter.classes else "one value"
        raise InputError(
            f"{where}: target column '{declared.target}' holds {what} in every row; model "
            "performance and permutation importance need at least two"
        )


def _non_finite_rows(adapter: ModelAdapter, codes: np.ndarray) -> np.ndarray:
    """Indices of the rows whose outputs are not finite, found one batch at a time."""
    bad: list[np.ndarray] = []
    for start in range(0, len(codes), adapter.batch_size):
        try:
            adapter.predict_codes(codes[start : start + adapter.batch_size])
        except NonFiniteOutput as exc:
            bad.append(start + np.flatnonzero(exc.rows))
    return np.concatenate(bad)


def _check_cohort_columns(loaded: LoadedPolicy, evaluation: ResolvedDataset) -> None:
    """A sensitive column's cohorts are bands when it holds numbers, else its labels."""
    policy = loaded.policy
    problems = []
    for i, cohort in enumerate(policy.privacy.cohorts):
        if cohort.by == PREDICTED_CLASS or cohort.by in policy.data.feature_names:
            continue  # the policy itself says what these are (checked on load)
        numbers = numeric_values(evaluation.frame[cohort.by])
        where = f"{loaded.path}: privacy.cohorts[{i}].bands"
        if numbers is None and cohort.bands is not None:
            problems.append(
                f"{where}: column '{cohort.by}' of the evaluation data holds labels, not "
                "numbers, so its cohorts are its labels; remove the bands"
            )
        elif numbers is not None and cohort.bands is None:
            problems.append(
                f"{where}: column '{cohort.by}' of the evaluation data holds numbers: give band "
                "edges, e.g. bands: [25, 35, 50, 65]"
            )
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{loaded.path}: {len(problems)} problems"
        raise PolicyError(summary, problems)
