"""Benchmark the two example reports against the same analyses done by hand with library defaults.

Run:  .venv/bin/python bench/bench_reports.py [--rows N]

For each example policy it prints
  1. reportgen's analyses: wall time, model rows, model calls, share of time inside the model;
  2. the same explanations written by hand with shap / lime / scikit-learn defaults
     (KernelExplainer with its default nsamples and l1_reg, LIME's 5000 samples,
     permutation_importance's 5 repeats), timed the same way;
  3. SHAP accuracy on N rows: mean absolute error of reportgen's estimator and of the default
     KernelExplainer against a high-budget reference (100 antithetic permutations, same
     background), relative to the mean |SHAP| of the reference.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shap
from lime.lime_tabular import LimeTabularExplainer
from sklearn.inspection import permutation_importance

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import explain_shap
from reportgen.analyses.local import run_local
from reportgen.inputs import resolve_inputs
from reportgen.pipeline import compute_results
from reportgen.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent


def timed(model, call):
    start, before = time.perf_counter(), model.meter.snapshot()
    value = call()
    used = model.meter.since(before)
    return value, time.perf_counter() - start, used


def row(name, seconds, used):
    share = 100 * used.seconds / seconds if seconds else 0.0
    print(
        f"  {name:<44} {seconds:8.2f} s {used.rows:>12,d} rows {used.calls:>7,d} calls {share:5.1f}% in model"
    )


def ours(policy: Path) -> None:
    doc = compute_results(policy)
    print(f"reportgen {doc.policy.id}: total {doc.run.wall_seconds:.1f} s")
    for result in doc.results:
        c = result.cost
        share = 100 * c.model_seconds / c.wall_seconds if c.wall_seconds else 0.0
        print(
            f"  {result.kind:<44} {c.wall_seconds:8.2f} s {c.model_rows:>12,d} rows {c.model_calls:>7,d} calls {share:5.1f}% in model"
        )


def by_hand(policy: Path, accuracy_rows: int) -> None:
    inputs = resolve_inputs(load_policy(policy))
    data = ModelData.build(inputs, inputs.models[0])
    model, settings = data.model, data.settings
    k = data.positive_index
    predict = model.predict_codes
    rng = np.random.default_rng(0)
    rows = data.evaluation[np.sort(rng.choice(len(data.evaluation), accuracy_rows, replace=False))]
    print(f"by hand with library defaults ({accuracy_rows} rows for SHAP):")

    kernel = shap.KernelExplainer(predict, data.background)
    np.random.seed(0)
    kernel_values, seconds, used = timed(model, lambda: kernel.shap_values(rows, silent=True))
    row(f"shap.KernelExplainer defaults, {accuracy_rows} rows", seconds, used)
    ours_values, seconds, used = timed(
        model,
        lambda: explain_shap(
            model,
            rows,
            background=data.background,
            seeds=np.arange(len(rows)) + 1,
            permutations=settings.shap.permutations,
        ),
    )
    row(f"reportgen SHAP ({ours_values.estimator}), {accuracy_rows} rows", seconds, used)
    reference, seconds, used = timed(
        model,
        lambda: explain_shap(
            model,
            rows,
            background=data.background,
            seeds=np.arange(len(rows)) + 2,
            estimator="permutation",
            permutations=100,
        ),
    )
    row(f"reference: 100 permutations, {accuracy_rows} rows", seconds, used)

    truth = reference.values[:, :, k]
    scale = np.abs(truth).mean()
    kernel_k = (
        np.asarray(kernel_values)[..., k]
        if np.ndim(kernel_values) == 3
        else np.asarray(kernel_values[k])
    )
    for label, values in (
        ("KernelExplainer defaults", kernel_k),
        ("reportgen", ours_values.values[:, :, k]),
    ):
        error = np.abs(values - truth).mean() / scale
        print(f"  SHAP error vs reference, {label:<26} {100 * error:6.1f}% of mean |SHAP|")

    local = run_local(data)
    cases = np.array([np.flatnonzero(data.ids == c.case_id)[0] for c in local.cases])
    lime = LimeTabularExplainer(
        data.reference,
        mode="classification",
        feature_names=model.feature_names,
        categorical_features=model.codec.categorical_indices,
        random_state=0,
    )
    _, seconds, used = timed(
        model,
        lambda: [lime.explain_instance(x, predict, labels=(k,)) for x in data.evaluation[cases]],
    )
    row(f"lime defaults, {len(cases)} cases", seconds, used)
    print(
        f"  reportgen local (SHAP + LIME), {len(cases)} cases {local.cost.wall_seconds:19.2f} s "
        f"{local.cost.model_rows:>12,d} rows"
    )

    class Model:
        def fit(self, *_):
            return self

    def scorer(_, X, y):
        from sklearn.metrics import roc_auc_score

        return roc_auc_score(y, predict(X)[:, 1])

    _, seconds, used = timed(
        model,
        lambda: permutation_importance(
            Model(), data.evaluation, data.target, scoring=scorer, random_state=0
        ),
    )
    row("sklearn permutation_importance defaults", seconds, used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=20, help="rows for the SHAP accuracy comparison"
    )
    args = parser.parse_args()
    for name in ("credit", "medical"):
        policy = ROOT / "policies" / f"{name}.yaml"
        print(f"\n=== {name} ===")
        ours(policy)
        by_hand(policy, args.rows)


if __name__ == "__main__":
    main()
