"""Trust checks C1-C7 against known truths on regressors, a multiclass and a binary model (#8).

Six standardised features. The linear regressors f(x) = w.x - 40 (torch float32 and float64, and
scikit-learn through skops) have exact SHAP and integrated gradients w_j (x_j - mean_j); the
binary model is a logistic regression on the same weights; the multiclass model is a small MLP
trained on a three-class problem. With six features the checks compare the top 2 (checks.top_k
capped at d // 3). Budgets are small so the whole module takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
import torch
import yaml
from sklearn.linear_model import LinearRegression

from reportgen.analyses.checks import CHECKS, planned_checks, run_check
from reportgen.analyses.context import ModelData
from reportgen.conditions import evaluate_gates
from reportgen.inputs.models import ModelAdapter, SklearnAdapter, load_sklearn
from reportgen.policy.schema import ModelSpec, Policy
from reportgen.results.document import CheckMetric, CheckResult, GateOutcome
from tests.analyses.toy_models import (
    OFFSET,
    WEIGHTS,
    D,
    linear_torch,
    numeric_codec,
    torch_model,
    trained_mlp,
)
from tests.conftest import ROOT

CHECK = {c.code: c for c in CHECKS}
REGRESSORS = ["linear-float32", "linear-float64", "sklearn-linear"]
CLASSIFIERS = ["logistic", "softmax-mlp"]
TORCH = ["linear-float32", "linear-float64", "logistic", "softmax-mlp"]
N = 16  # instances checked
SMALL: dict[str, Any] = {
    "explanations": {
        "global": {"methods": ["shap"]},
        "local": {"methods": ["shap", "lime"], "sample_size": 4},
        "shap": {"background_size": 20, "global_rows": 40},
        "lime": {"num_samples": 500},
    },
    "checks": {
        "audit_sample": {"size": N},
        "rerun_stability": {"reruns": 2},
        "perturbation": {"instances": 6, "draws": 3},
        "removal": {"random_orders": 10, "faithfulness_runs": 30},
        "randomisation": {"instances": 10},
        "global_stability": {"shap_bootstrap": 200},
    },
}


def _policy(methods: list[str]) -> Policy:
    raw = yaml.safe_load((ROOT / "policies" / "credit.yaml").read_text(encoding="utf-8"))
    for section, settings in SMALL.items():
        for key, value in settings.items():
            raw[section][key] = value
    raw["explanations"]["local"]["methods"] = methods
    return Policy.model_validate(raw)


RNG = np.random.default_rng(20)
REFERENCE, EVALUATION = RNG.normal(size=(300, D)), RNG.normal(size=(200, D))
THREE = np.array([[2.0, -1.0, 0.0], [0.0, 1.5, -1.5], [-1.0, 0.0, 1.0], *np.zeros((3, 3))])


def _sklearn_linear(folder: Path) -> ModelAdapter:
    """A scikit-learn LinearRegression saved with skops and loaded through reportgen."""
    frame = numeric_codec(D).to_frame(REFERENCE)
    fitted = LinearRegression().fit(frame, REFERENCE @ WEIGHTS + OFFSET)
    sio.dump(fitted, folder / "linear.skops")
    spec = ModelSpec(name="sklearn-linear", format="skops", path="-", task="regression")
    estimator = load_sklearn(folder / "linear.skops", spec, "models[0]")
    return SklearnAdapter(spec, estimator, numeric_codec(D))


def _logistic() -> ModelAdapter:
    layer = torch.nn.Linear(D, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(WEIGHTS[None] / 2, dtype=torch.float32))
        layer.bias.fill_(0.3)
    return torch_model(layer, ["no", "yes"], name="logistic")


def _softmax_mlp() -> ModelAdapter:
    noise = np.random.default_rng(3).gumbel(size=(len(REFERENCE), 3))
    labels = (REFERENCE @ THREE * 2 + noise).argmax(axis=1)
    return trained_mlp(REFERENCE, labels, ["a", "b", "c"], seed=0)


def _model(name: str, folder: Path) -> ModelAdapter:
    builders: dict[str, Callable[[], ModelAdapter]] = {
        "linear-float32": lambda: linear_torch(torch.float32),
        "linear-float64": lambda: linear_torch(torch.float64),
        "sklearn-linear": lambda: _sklearn_linear(folder),
        "logistic": _logistic,
        "softmax-mlp": _softmax_mlp,
    }
    return builders[name]()


def model_data(model: ModelAdapter) -> ModelData:
    """The model on the shared data; LIME (slow) only explains the regressors."""
    outputs = model.predict_codes(EVALUATION)
    target = outputs if outputs.ndim == 1 else outputs.argmax(axis=1)
    return ModelData(
        model=model,
        reference=REFERENCE,
        evaluation=EVALUATION,
        target=target,
        ids=np.array([f"r{i}" for i in range(len(EVALUATION))]),
        policy=_policy(["shap"] if model.classes else ["shap", "lime"]),
        positive_index=1 if model.classes and len(model.classes) == 2 else None,
    )


@dataclass
class Checked:
    data: ModelData
    results: dict[str, CheckResult]

    def gates(self, code: str) -> dict[str | None, GateOutcome]:
        return {g.method: g for g in evaluate_gates([self.results[code]], self.data.checks)}

    def metric(self, code: str, method: str, name: str) -> CheckMetric:
        (found,) = [
            m for m in self.results[code].metrics if m.method == method and m.metric == name
        ]
        return found


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny networks run fastest on one thread (and far faster on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Checked]:
    """Model name -> every planned check run once on it."""
    cache: dict[str, Checked] = {}

    def get(name: str) -> Checked:
        if name not in cache:
            data = model_data(_model(name, tmp_path_factory.mktemp(name)))
            results = {c.code: run_check(c, data) for c in planned_checks(data)}
            cache[name] = Checked(data, results)
        return cache[name]

    return get


# -- every check runs, on the k it says ---------------------------------------------------------


@pytest.mark.parametrize("name", [*REGRESSORS, *CLASSIFIERS])
def test_every_check_runs_and_compares_a_third_of_the_features(checked, name) -> None:
    run = checked(name)
    expected = {"C1", "C3", "C4", "C6", "C7"}
    expected |= {"C2"} if name in REGRESSORS else set()  # LIME's reruns
    expected |= {"C5"} if name in TORCH else set()  # gradients
    assert set(run.results) == expected  # a float64 torch model runs the whole set
    for code, result in run.results.items():
        assert result.error is None, (code, result.error)
        assert result.k == 2  # top_k 5 capped at 6 // 3
        assert result.notes[0].startswith("Top-k lowered from 5 to 2: with 6 features")
        assert "5/6 = 83%" in result.notes[0] and "2/6 = 33%" in result.notes[0]
    for gate in run.gates("C6").values():
        assert gate.actual.startswith("top-2 feature agreement") and "chance 0.33" in gate.actual
    control = run.metric("C6", "shap~random", "feature_agreement")
    assert control.chance == pytest.approx(1 / 3)
    assert np.mean(control.values) == pytest.approx(1 / 3, abs=0.2)  # k = 5 of 6 gave 0.83
