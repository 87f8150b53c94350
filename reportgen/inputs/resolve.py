"""Turn a validated policy into loaded, checked inputs with content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.errors import InputError
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.datasets import load_dataset
from reportgen.inputs.models import (
    ModelAdapter,
    SklearnAdapter,
    TorchAdapter,
    load_sklearn,
    load_torchscript,
)
from reportgen.inputs.preprocessing import load_preprocessing
from reportgen.policy.loader import LoadedPolicy
from reportgen.policy.schema import DataSpec, ModelSpec


@dataclass(frozen=True)
class ResolvedDataset:
    role: str
    path: Path
    frame: pd.DataFrame
    sha256: str


@dataclass(frozen=True)
class ResolvedModel:
    spec: ModelSpec
    adapter: ModelAdapter
    sha256: str
    preprocessing_sha256: str | None


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


def resolve_inputs(loaded: LoadedPolicy) -> ResolvedInputs:
    """Load the policy's datasets and models and check that they fit together.

    Raises:
        InputError: a file is missing or malformed, or model and data disagree.
    """
    policy = loaded.policy
    datasets = {}
    for role in ("reference", "evaluation"):
        spec = getattr(policy.datasets, role)
        path = loaded.resolve(spec.path)
        frame = load_dataset(path, spec, policy.data, key=f"datasets.{role}")
        datasets[role] = ResolvedDataset(role, path, frame, sha256_file(path))
    frames = [d.frame for d in datasets.values()]
    models = [
        _resolve_model(loaded, spec, f"models[{i}]", frames) for i, spec in enumerate(policy.models)
    ]
    for model in models:
        for dataset in datasets.values():
            _check_fit(model.adapter, dataset, policy.data)
    return ResolvedInputs(loaded, datasets["reference"], datasets["evaluation"], models)


def _resolve_model(
    loaded: LoadedPolicy, spec: ModelSpec, where: str, frames: list[pd.DataFrame]
) -> ResolvedModel:
    path = loaded.resolve(spec.path)
    if not path.is_file():
        raise InputError(f"{path}: model file not found ({where}.path)")
    declared = loaded.policy.data
    pre_sha = None
    adapter: ModelAdapter
    if spec.format == "torchscript":
        assert spec.preprocessing is not None  # guaranteed by the policy schema
        pre_path = loaded.resolve(spec.preprocessing)
        preprocessing = load_preprocessing(pre_path)
        _check_features(preprocessing.codec, declared, f"{pre_path} ({where}.preprocessing)")
        pre_sha = sha256_file(pre_path)
        adapter = TorchAdapter(spec, load_torchscript(path, where), preprocessing)
    else:
        estimator = load_sklearn(path, spec, where)
        adapter = SklearnAdapter(spec, estimator, _data_codec(estimator, declared, frames))
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


def _check_fit(adapter: ModelAdapter, dataset: ResolvedDataset, declared: DataSpec) -> None:
    where = f"{dataset.path} (datasets.{dataset.role})"
    codes = adapter.codec.to_codes(dataset.frame.head(16), source=where)
    adapter.codec.to_codes(dataset.frame, source=where)
    out = adapter.predict_codes(codes)
    if adapter.classes:
        expected = (len(codes), len(adapter.classes))
        if out.shape != expected:
            raise InputError(
                f"model '{adapter.name}' returns outputs of shape {out.shape[1:]} "
                f"but the policy lists {len(adapter.classes)} classes"
            )
        unknown = sorted(set(dataset.frame[declared.target]) - set(adapter.classes))
        if unknown:
            raise InputError(
                f"{where}: target column '{declared.target}' holds labels {unknown[:5]} "
                f"that are not among the model's classes {adapter.classes}"
            )
    else:
        try:
            dataset.frame[declared.target].astype(np.float64)
        except ValueError as exc:
            raise InputError(
                f"{where}: target column '{declared.target}' must be numeric for a regression model"
            ) from exc
    if not np.all(np.isfinite(out)):
        raise InputError(f"model '{adapter.name}' returns NaN or infinite outputs on {where}")
