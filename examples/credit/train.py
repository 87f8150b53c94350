"""Train the credit-scoring example: a small torch MLP on the German Credit data.

Run from anywhere: ``python examples/credit/train.py``. Deterministic: the same library versions
give the same data splits, preprocessing file and network weights on every run.

Writes, next to this script:
    data/reference.csv   training split (70 %), the background reportgen explains against
    data/evaluation.csv  held-out split (30 %), stratified by ``creditability``
    preprocessing.json   how raw features are encoded (reportgen.preprocessing/1)
    model.pt             TorchScript network: float32 (n, encoded width) -> logits (n, 2)

The model never sees the sensitive attributes (sex and marital status, age, foreign-worker
status); they stay in the data only so that reportgen can audit cohorts by them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.preprocessing import Preprocessing, load_preprocessing

HERE = Path(__file__).resolve().parent
SEED = 20240601
TARGET = "creditability"
ID_COLUMN = "applicant_id"
CLASSES = ["good", "bad"]  # output column 0 = good, 1 = bad
SENSITIVE = ["personal_status_and_sex", "age_in_years", "foreign_worker"]


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
    return nn.Sequential(_Linear(width, 32), nn.ReLU(), _Linear(32, 16), nn.ReLU(), _Linear(16, 2))


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
        for batch in torch.randperm(len(yf), generator=generator).split(64):
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
    train.to_csv(HERE / "data" / "reference.csv", index=False, lineterminator="\n")
    test.to_csv(HERE / "data" / "evaluation.csv", index=False, lineterminator="\n")
    text = json.dumps(prep.to_dict(), sort_keys=True, indent=2) + "\n"
    (HERE / "preprocessing.json").write_text(text, encoding="utf-8")
    torch.jit.save(torch.jit.script(net), str(HERE / "model.pt"))


def check_round_trip(expected: torch.Tensor) -> float:
    """Reload the written files the way reportgen does; max |logit difference| from ``expected``.

    ``expected`` holds the trained network's logits on the evaluation split as encoded at training
    time, so this checks the data files, the preprocessing file and model.pt together.
    """
    frame = pd.read_csv(HERE / "data" / "evaluation.csv")
    prep = load_preprocessing(HERE / "preprocessing.json")
    x = torch.from_numpy(prep.encode(prep.codec.to_codes(frame)))
    loaded = torch.jit.load(str(HERE / "model.pt"))
    with torch.inference_mode():
        return float((loaded(x) - expected).abs().max())


def main() -> int:
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    full = load_data()
    train, test = split(full)
    prep = build_preprocessing(full, train)
    net = fit(*encode(prep, train))
    x_test, y_test = encode(prep, test)
    with torch.inference_mode():
        logits = net(x_test)
    proba = torch.softmax(logits, dim=1).numpy()
    bad = CLASSES.index("bad")
    auc = roc_auc_score(y_test.numpy() == bad, proba[:, bad])
    accuracy = accuracy_score(y_test.numpy(), proba.argmax(axis=1))
    write_outputs(prep, net, train, test)
    diff = check_round_trip(logits)
    print(f"encoded width {prep.encoded_width}; train {len(train)} rows, test {len(test)} rows")
    print(f"test ROC AUC (bad) {auc:.4f}, accuracy {accuracy:.4f}")
    print(f"reloaded model.pt vs. trained network: max |logit diff| {diff:.3g}")
    print(f"model.pt: {(HERE / 'model.pt').stat().st_size} bytes")
    return 0 if diff < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
