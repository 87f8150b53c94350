"""Train the credit-scoring example: a small torch MLP on the German Credit data.

Run from anywhere: ``python examples/credit/train.py``. Deterministic: the same library versions
give the same data splits, preprocessing file and network weights on every run.

Writes, next to this script:
    data/reference.csv   training split (70 %), the background reportgen explains against
    data/evaluation.csv  held-out split (30 %), stratified by ``creditability``
    preprocessing.json   how raw features are encoded (reportgen.preprocessing/1)
    model.pt             TorchScript network: float32 (n, encoded width) -> logits (n, 2)
    training_log.csv     loss per epoch (epoch, train_loss, val_loss, best = the released epoch)

The model never sees the sensitive attributes (sex and marital status, age, foreign-worker
status); they stay in the data only so that reportgen can audit cohorts by them.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The shared training code, examples/mlp_training.py, is no installed package: make it importable
# however this script is started (python examples/credit/train.py from any working directory).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mlp_training as mlp
import pandas as pd
from sklearn.model_selection import train_test_split

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.preprocessing import Preprocessing

HERE = Path(__file__).resolve().parent
SEED = 20240601
TARGET = "creditability"
ID_COLUMN = "applicant_id"
SENSITIVE = ["personal_status_and_sex", "age_in_years", "foreign_worker"]
SPEC = mlp.ClassifierSpec(
    target=TARGET,
    classes=("good", "bad"),  # output column 0 = good, 1 = bad
    positive="bad",
    hidden=(32, 16),
    batch_size=64,
    seed=SEED,
)


def load_data() -> pd.DataFrame:
    """The bundled data with an ``applicant_id`` (A0001, ... in file order) as first column."""
    frame = pd.read_csv(HERE / "data" / "german_credit.csv")
    ids = [f"A{i:04d}" for i in range(1, len(frame) + 1)]
    return pd.concat([pd.DataFrame({ID_COLUMN: ids}), frame], axis=1)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """70/30 split stratified by the target; each split keeps file order."""
    train, test = train_test_split(frame, test_size=0.3, stratify=frame[TARGET], random_state=SEED)
    return train.sort_index().reset_index(drop=True), test.sort_index().reset_index(drop=True)


def build_preprocessing(full: pd.DataFrame, train: pd.DataFrame) -> Preprocessing:
    """Numeric: standardised with train mean/std. Categorical: one-hot over all levels seen."""
    inputs = [c for c in full.columns if c not in {ID_COLUMN, TARGET, *SENSITIVE}]
    numeric = [c for c in inputs if pd.api.types.is_integer_dtype(full[c])]
    categorical = [c for c in inputs if c not in numeric]
    features = [Feature(c, "numeric") for c in numeric]
    features += [
        Feature(c, "categorical", tuple(sorted(full[c].astype(str).unique()))) for c in categorical
    ]
    centers = [float(train[c].mean()) for c in numeric] + [0.0] * len(categorical)
    scales = [float(train[c].std(ddof=0)) for c in numeric] + [1.0] * len(categorical)
    return Preprocessing(FeatureCodec(tuple(features)), tuple(centers), tuple(scales))


def write_splits(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """data/reference.csv and data/evaluation.csv."""
    train.to_csv(HERE / "data" / "reference.csv", index=False, lineterminator="\n")
    test.to_csv(HERE / "data" / "evaluation.csv", index=False, lineterminator="\n")


def read_evaluation() -> pd.DataFrame:
    """data/evaluation.csv as reportgen reads it."""
    return pd.read_csv(HERE / "data" / "evaluation.csv")


def main() -> int:
    mlp.make_deterministic(SEED)
    full = load_data()
    train, test = split(full)
    prep = build_preprocessing(full, train)
    return mlp.train_and_export(SPEC, prep, train, test, HERE, write_splits, read_evaluation)


if __name__ == "__main__":
    sys.exit(main())
