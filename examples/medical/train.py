"""Train the breast-cancer triage example: a small torch MLP on the Wisconsin Diagnostic data.

Run from anywhere: ``python examples/medical/train.py``. The data ship inside scikit-learn, so
nothing is downloaded. Deterministic: the same library versions give byte-identical outputs.

Writes, next to this script:
    data/reference.parquet   training split (70 %), the background reportgen explains against
    data/evaluation.parquet  held-out split (30 %), stratified by ``diagnosis``
    preprocessing.json       how raw features are encoded (reportgen.preprocessing/1)
    model.pt                 TorchScript network: float32 (n, 30) -> logits (n, 2),
                             output column 0 = malignant, 1 = benign
    training_log.csv         loss per epoch (epoch, train_loss, val_loss, best = the released epoch)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The shared training code, examples/mlp_training.py, is no installed package: make it importable
# however this script is started (python examples/medical/train.py from any working directory).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mlp_training as mlp
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.preprocessing import Preprocessing

HERE = Path(__file__).resolve().parent
SEED = 20240601
TARGET = "diagnosis"
ID_COLUMN = "patient_id"
SPEC = mlp.ClassifierSpec(
    target=TARGET,
    classes=("malignant", "benign"),  # output column 0 = malignant, 1 = benign
    positive="malignant",
    hidden=(16,),
    batch_size=32,
    seed=SEED,
)


def snake_case(name: str) -> str:
    """'mean concave points' -> 'mean_concave_points'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def load_data() -> pd.DataFrame:
    """patient_id (P0001, ... in scikit-learn's order), 30 numeric features, diagnosis label."""
    bunch = load_breast_cancer()
    features = pd.DataFrame(bunch.data, columns=[snake_case(str(n)) for n in bunch.feature_names])
    ids = pd.DataFrame({ID_COLUMN: [f"P{i:04d}" for i in range(1, len(features) + 1)]})
    labels = pd.DataFrame({TARGET: [str(bunch.target_names[t]) for t in bunch.target]})
    return pd.concat([ids, features, labels], axis=1)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """70/30 split stratified by the target; each split keeps the original order."""
    train, test = train_test_split(frame, test_size=0.3, stratify=frame[TARGET], random_state=SEED)
    return train.sort_index().reset_index(drop=True), test.sort_index().reset_index(drop=True)


def build_preprocessing(train: pd.DataFrame) -> Preprocessing:
    """Every feature is numeric, standardised with the training mean and standard deviation."""
    numeric = [c for c in train.columns if c not in {ID_COLUMN, TARGET}]
    features = tuple(Feature(c, "numeric") for c in numeric)
    centers = tuple(float(train[c].mean()) for c in numeric)
    scales = tuple(float(train[c].std(ddof=0)) for c in numeric)
    return Preprocessing(FeatureCodec(features), centers, scales)


def write_splits(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """data/reference.parquet and data/evaluation.parquet, each left untouched when it already
    holds the same table: Parquet files record the writing pyarrow's version, so rewriting equal
    data with another pyarrow would change their bytes and hashes for nothing."""
    (HERE / "data").mkdir(exist_ok=True)
    for frame, name in ((train, "reference"), (test, "evaluation")):
        path = HERE / "data" / f"{name}.parquet"
        frame = frame.reset_index(drop=True)
        if not (path.is_file() and pd.read_parquet(path).equals(frame)):
            frame.to_parquet(path, index=False)


def read_evaluation() -> pd.DataFrame:
    """data/evaluation.parquet as reportgen reads it."""
    return pd.read_parquet(HERE / "data" / "evaluation.parquet")


def main() -> int:
    mlp.make_deterministic(SEED)
    train, test = split(load_data())
    prep = build_preprocessing(train)
    return mlp.train_and_export(SPEC, prep, train, test, HERE, write_splits, read_evaluation)


if __name__ == "__main__":
    sys.exit(main())
