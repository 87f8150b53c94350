"""What `reportgen init` reads from a data file and a model file: the columns' roles and kinds,
the model's format, task and class order.

Every guess is recorded with the reason for it (:class:`Guess`), so that the written policy can
say in a comment what was inferred and how.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.inputs.columns import numeric_values
from reportgen.inputs.datasets import read_table
from reportgen.inputs.models import (
    TorchAdapter,
    load_sklearn,
    load_torch_export,
    load_torchscript,
)
from reportgen.inputs.onnx_model import load_onnx
from reportgen.inputs.preprocessing import Preprocessing, load_preprocessing
from reportgen.policy.schema import ENCODED_FORMATS, DatasetSpec, ModelSpec

SENSITIVE_WORDS = frozenset(
    {
        "age", "sex", "gender", "marital", "married", "nationality", "national", "citizenship",
        "race", "racial", "ethnicity", "ethnic", "religion", "religious", "foreign", "disability",
        "pregnancy", "pregnant", "orientation", "birth", "dob",
    }
)  # fmt: skip
"""Words of a column name that mark a likely sensitive attribute (matched as whole words)."""
TARGET_NAMES = ("target", "label", "y", "class", "outcome", "diagnosis", "default", "response")
PREPROCESSING_FILE = "preprocessing.json"
MAX_CLASSES = 6
"""A TorchScript classifier's class order is searched over every permutation: 6! at most."""
REGRESSION_LEVELS = 20
"""A numeric target with more distinct values than this is taken as a regression target."""


@dataclass(frozen=True)
class Guess:
    """A value init chose, and why (None when the user gave it)."""

    value: str
    why: str | None = None


@dataclass
class ModelFacts:
    """What the model file is: its format, task, classes and the features it consumes."""

    format: str
    task: str = "classification"
    classes: list[str] | None = None
    classes_why: str | None = None
    output: str | None = None
    preprocessing: Path | None = None
    features: dict[str, str] | None = None
    """Feature -> kind, in the model's order, when the model file says (None: from the data)."""
    notes: list[str] = field(default_factory=list)


def read_data(path: Path, option: str) -> pd.DataFrame:
    """The data file as a frame (CSV cells as text); one-sentence InputError when unusable."""
    return read_table(path, DatasetSpec(path=str(path)), option, str(path))


def model_format(path: Path) -> str:
    """torchscript, skops or pickle, from the file's bytes (never from trusting its name).

    Raises:
        InputError: missing, or none of the formats reportgen reads.
    """
    if not path.is_file():
        raise InputError(f"{path}: model file not found (--model)")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if "schema.json" in names:
            return "skops"
        if any(n.endswith("/constants.pkl") for n in names) and any(
            n.endswith("/data.pkl") for n in names
        ):
            return "torchscript"
        if any(n.endswith("archive_format") or "/models/" in n for n in names):
            return "torch_export"
    if path.suffix.lower() == ".onnx":  # an ONNX graph is a protobuf message: no magic bytes
        return "onnx"
    with path.open("rb") as handle:
        head = handle.read(2)
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    raise InputError(
        f"{path}: not a model format reportgen reads (TorchScript archive, torch.export "
        "program, ONNX graph named *.onnx, skops file or scikit-learn pickle)"
    )


def sensitive_columns(columns: list[str]) -> list[str]:
    """Columns whose name holds a word of :data:`SENSITIVE_WORDS` (age_in_years, sex, ...)."""
    return [c for c in columns if set(_words(c)) & SENSITIVE_WORDS]


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)  # camelCase -> camel Case
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def column_kinds(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """numeric when every value of the column reads as a number, else categorical."""
    return {
        c: "numeric" if numeric_values(frame[c]) is not None else "categorical" for c in columns
    }


def guess_id(frame: pd.DataFrame, given: str | None) -> Guess:
    """The id column: given (it must exist and be unique), else one named like an id.

    Raises:
        InputError: the given column is not unique, or no column looks like a unique id.
    """
    if given is not None:
        _check_unique(frame, given)
        return Guess(given)
    named = [c for c in frame.columns if {"id", "uuid", "key"} & set(_words(c))]
    unique = [c for c in named if not frame[c].duplicated().any() and frame[c].notna().all()]
    if unique:
        return Guess(unique[0], "its name says id and every row has its own value")
    raise InputError(
        "no column is named like an id (id, *_id, uuid) with a distinct value in every row; "
        "add one (a row number will do) and name it with --id"
    )


def _check_unique(frame: pd.DataFrame, column: str) -> None:
    if frame[column].duplicated().any() or frame[column].isna().any():
        raise InputError(
            f"--id: column '{column}' does not hold a distinct value in every row, so it "
            "cannot identify a record"
        )


def guess_target(candidates: list[str], model: ModelFacts, frame: pd.DataFrame) -> Guess:
    """The target among ``candidates`` (columns that are neither features nor id nor
    sensitive): the one holding exactly the model's classes, else one named like a target,
    else the last one.

    Raises:
        InputError: no candidate column is left.
    """
    if not candidates:
        raise InputError(
            "every column is a feature, the id or a sensitive attribute, so none is left for "
            "the target; name it with --target"
        )
    if model.classes:
        wanted = set(model.classes)
        holding = [c for c in candidates if set(frame[c].dropna().astype(str)) == wanted]
        if holding:
            return Guess(holding[0], f"it holds exactly the model's classes {model.classes}")
    named = [c for c in candidates if c.lower() in TARGET_NAMES]
    if named:
        return Guess(named[0], "its name says it is the outcome")
    if len(candidates) == 1:
        return Guess(
            candidates[0], "it is the only column that is not a feature, the id or sensitive"
        )
    return Guess(
        candidates[-1], f"the last of the columns that are not features: {', '.join(candidates)}"
    )


def inspect_model(path: Path, fmt: str, preprocessing: Path | None) -> ModelFacts:
    """Load the model (never a pickle: that runs its code; the caller says whether to trust it)
    and read what it declares itself.

    Raises:
        InputError: the model or its preprocessing file is missing or unusable.
    """
    if fmt in ENCODED_FORMATS:
        found = preprocessing or path.parent / PREPROCESSING_FILE
        if not found.is_file():
            raise InputError(
                f"{path}: a {fmt} model needs the preprocessing file its training script "
                f"wrote ({PREPROCESSING_FILE}, format reportgen.preprocessing/1: each feature's "
                f"centre and scale or one-hot levels, see examples/mlp_training.py); none at "
                f"{found}: give it with --preprocessing"
            )
        prep = load_preprocessing(found)
        kinds: dict[str, str] = {f.name: f.kind for f in prep.codec.features}
        return ModelFacts(fmt, preprocessing=found, features=kinds)
    spec = ModelSpec(name="m", format=fmt, path=str(path), task="regression", trusted=True)  # type: ignore[arg-type]
    estimator = load_sklearn(path, spec, "--model")
    names = getattr(estimator, "feature_names_in_", None)
    facts = ModelFacts(fmt)
    if names is None:
        facts.notes.append(
            "the model was fitted without column names, so its features are every column "
            "that is not the target, the id or sensitive, in the file's order"
        )
    else:
        facts.features = {str(n): "" for n in names}
    if hasattr(estimator, "predict_proba"):
        facts.classes = [str(c) for c in estimator.classes_]
        facts.classes_why = "the model's own classes_"
    else:
        facts.task = "regression"
    return facts


def torch_outputs(
    model_path: Path, facts: ModelFacts, frame: pd.DataFrame, target: pd.Series
) -> None:
    """Read a network's task, output kind and class order off its outputs on the data.

    The class order is the assignment of the target's labels to output columns under which the
    model's most likely column agrees with the target most often.

    Raises:
        InputError: the model does not run on the data, or its outputs fit no task.
    """
    assert facts.preprocessing is not None and facts.features is not None
    prep = load_preprocessing(facts.preprocessing)
    raw = _raw_outputs(model_path, facts.format, prep, frame[list(facts.features)])
    numbers = numeric_values(target)
    labels = sorted(set(target.dropna().astype(str)))
    regression = numbers is not None and (
        len(labels) > REGRESSION_LEVELS or not np.allclose(numbers, np.round(numbers))
    )
    if regression or (raw.shape[1] == 1 and len(labels) != 2):
        facts.task = "regression"
        return
    in_unit = bool(((raw >= 0) & (raw <= 1)).all())
    sums_to_one = raw.shape[1] == 1 or bool(np.allclose(raw.sum(axis=1), 1.0, atol=1e-4))
    facts.output = "probabilities" if in_unit and sums_to_one else "logits"
    width = max(raw.shape[1], 2)
    if width != len(labels) or width > MAX_CLASSES:
        raise InputError(
            f"{model_path}: the model returns {raw.shape[1]} output column(s) but the target "
            f"holds {len(labels)} label(s); name the right column with --target"
        )
    scores = raw if raw.shape[1] > 1 else np.hstack([-raw, raw])
    chosen = scores.argmax(axis=1)
    truth = target.astype(str).to_numpy()
    rates = {
        order: float(np.mean(np.asarray(order, dtype=object)[chosen] == truth))
        for order in itertools.permutations(labels)
    }
    best = max(rates, key=lambda o: (rates[o], o == tuple(labels)))
    others = max((r for o, r in rates.items() if o != best), default=0.0)
    facts.classes = list(best)
    facts.classes_why = (
        f"in this order the model's most likely class matches the target in {rates[best]:.0%} "
        f"of the rows (the next best order: {others:.0%}); check it against the training script"
    )


def _raw_outputs(path: Path, fmt: str, prep: Preprocessing, frame: pd.DataFrame) -> np.ndarray:
    """The network's own outputs (before any softmax) on the frame's rows, as (n, k)."""
    spec = ModelSpec(name="m", format=fmt, path="-", task="regression", preprocessing="-")  # type: ignore[arg-type]
    codes = prep.codec.to_codes(frame, source="--data")
    if fmt == "onnx":
        graph = load_onnx(path, spec, prep, "--model")
        return _run(lambda: graph.raw(graph.model_inputs(codes)), len(codes))
    torch = require("torch")
    if fmt == "torch_export":
        module = load_torch_export(path, "--model", prep.encoded_width)
    else:
        module = load_torchscript(path, "--model")
    adapter = TorchAdapter(spec, module, prep)

    def forward() -> np.ndarray:
        with torch.inference_mode():
            return module(adapter.encode(codes)).detach().to(torch.float64).numpy()

    return _run(forward, len(codes))


def _run(forward: Callable[[], np.ndarray], rows: int) -> np.ndarray:
    try:
        out = forward()
    except Exception as exc:  # the model is foreign code
        raise InputError(f"the model does not run on the data's rows ({exc})") from exc
    return out.reshape(rows, -1)
