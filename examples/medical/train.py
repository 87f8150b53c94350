"""Train the breast-cancer triage example: a small torch MLP on the Wisconsin Diagnostic data.

Run from anywhere: ``python examples/medical/train.py``. The data ship inside scikit-learn, so
nothing is downloaded. Deterministic: the same library versions give byte-identical outputs.

Writes, next to this script:
    data/reference.parquet   training split (70 %), the background reportgen explains against
    data/evaluation.parquet  held-out split (30 %), stratified by ``diagnosis``
    preprocessing.json       how raw features are encoded (reportgen.preprocessing/1)
    model.pt                 TorchScript network: float32 (n, 30) -> logits (n, 2),
                             output column 0 = malignant, 1 = benign
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.preprocessing import Preprocessing, load_preprocessing

HERE = Path(__file__).resolve().parent
SEED = 20240601
TARGET = "diagnosis"
ID_COLUMN = "patient_id"
CLASSES = ["malignant", "benign"]  # output column 0 = malignant, 1 = benign


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


def encode(prep: Preprocessing, frame: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoded features (float32) and class indices (int64) of ``frame``."""
    x = prep.encode(prep.codec.to_codes(frame))
    labels = frame[TARGET].map({label: i for i, label in enumerate(CLASSES)})
    return torch.from_numpy(x), torch.tensor(labels.to_numpy(dtype=np.int64))


class _Linear(nn.Linear):
    """nn.Linear whose sizes TorchScript stores as plain attributes, not ``Final`` constants.

    TorchScript collects ``__constants__`` into a set, so their order in model.pt follows Python's
    per-process string hashing; without constants the archive is byte-identical between runs.
    """

    __constants__: list[str] = []  # noqa: RUF012 (TorchScript reads it from the class)


def make_network(width: int) -> nn.Sequential:
    return nn.Sequential(_Linear(width, 16), nn.ReLU(), _Linear(16, 2))


def fit(
    x: torch.Tensor, y: torch.Tensor, *, max_epochs: int = 300, patience: int = 25
) -> nn.Sequential:
    """AdamW on minibatches; early stopping on a stratified 20 % validation slice."""
    fit_idx, val_idx = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y.numpy(), random_state=SEED
    )
    net = make_network(x.shape[1])
    optimiser = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    best_loss, best_state, waited = float("inf"), net.state_dict(), 0
    xf, yf = x[fit_idx], y[fit_idx]
    for _ in range(max_epochs):
        net.train()
        for batch in torch.randperm(len(yf), generator=generator).split(32):
            optimiser.zero_grad()
            loss_fn(net(xf[batch]), yf[batch]).backward()
            optimiser.step()
        net.eval()
        with torch.no_grad():
            val_loss = loss_fn(net(x[val_idx]), y[val_idx]).item()
        if val_loss < best_loss - 1e-5:
            best_loss, waited = val_loss, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    net.load_state_dict(best_state)
    return net.eval()


def write_outputs(
    prep: Preprocessing, net: nn.Sequential, train: pd.DataFrame, test: pd.DataFrame
) -> None:
    train.to_parquet(HERE / "data" / "reference.parquet", index=False)
    test.to_parquet(HERE / "data" / "evaluation.parquet", index=False)
    text = json.dumps(prep.to_dict(), sort_keys=True, indent=2) + "\n"
    (HERE / "preprocessing.json").write_text(text, encoding="utf-8")
    torch.jit.save(torch.jit.script(net), str(HERE / "model.pt"))


def check_round_trip(expected: torch.Tensor) -> float:
    """Reload the written files the way reportgen does; max |logit difference| from ``expected``.

    ``expected`` holds the trained network's logits on the evaluation split as encoded at training
    time, so this checks the data files, the preprocessing file and model.pt together.
    """
    frame = pd.read_parquet(HERE / "data" / "evaluation.parquet")
    prep = load_preprocessing(HERE / "preprocessing.json")
    x = torch.from_numpy(prep.encode(prep.codec.to_codes(frame)))
    loaded = torch.jit.load(str(HERE / "model.pt"))
    with torch.inference_mode():
        return float((loaded(x) - expected).abs().max())


def main() -> int:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    (HERE / "data").mkdir(exist_ok=True)
    train, test = split(load_data())
    prep = build_preprocessing(train)
    net = fit(*encode(prep, train))
    x_test, y_test = encode(prep, test)
    with torch.inference_mode():
        logits = net(x_test)
    proba = torch.softmax(logits, dim=1).numpy()
    malignant = CLASSES.index("malignant")
    auc = roc_auc_score(y_test.numpy() == malignant, proba[:, malignant])
    accuracy = accuracy_score(y_test.numpy(), proba.argmax(axis=1))
    write_outputs(prep, net, train, test)
    diff = check_round_trip(logits)
    print(f"encoded width {prep.encoded_width}; train {len(train)} rows, test {len(test)} rows")
    print(f"test ROC AUC (malignant) {auc:.4f}, accuracy {accuracy:.4f}")
    print(f"reloaded model.pt vs. trained network: max |logit diff| {diff:.3g}")
    print(f"model.pt: {(HERE / 'model.pt').stat().st_size} bytes")
    return 0 if diff < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
