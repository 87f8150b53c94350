"""Benchmark the example reports' computation against the same explanations written by hand.

Run:  .venv/bin/python bench/bench_reports.py [--rows N] [--save FILE] [--baseline FILE]

For each example policy (credit, medical) it prints
  1. reportgen's analyses: wall time, model rows, model calls and the share of time inside the
     model, side by side with a baseline run (``--baseline``: a file an earlier ``--save`` wrote,
     e.g. bench/baseline-98b47eb.json, measured before the estimators were vectorised);
  2. the same explanations by hand with the libraries, at equal budgets, on N audit rows:
     shap's KernelExplainer (``l1_reg=False``, its automatic budget), shap's
     PermutationExplainer at reportgen's budget, LIME at reportgen's sample count, captum's
     IntegratedGradients at reportgen's steps, and reportgen's own estimators; each timed the same
     way and scored against a high-budget reference (SHAP: 200 antithetic orders; LIME: 50,000
     samples; IG: 2,048 steps), as mean absolute error relative to the reference's mean |value|.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.analyses.context import ModelData
from reportgen.analyses.explain import explain_lime, explain_shap
from reportgen.analyses.explain.gradients import explain_ig
from reportgen.inputs import resolve_inputs
from reportgen.inputs.models import Meter, ModelAdapter, TorchAdapter
from reportgen.pipeline import compute_results
from reportgen.policy import load_policy

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_ORDERS, REFERENCE_SAMPLES, REFERENCE_STEPS = 200, 50_000, 2048


def label_of(result: Any) -> str:
    """A result's kind, with the check's code and name for trust checks."""
    code = getattr(result, "code", None)
    return f"{result.kind} {code} {result.check}" if code else result.kind


def line(name: str, seconds: float, rows: int, calls: int, model_seconds: float) -> str:
    share = 100 * model_seconds / seconds if seconds else 0.0
    return (
        f"{name:<46} {seconds:8.2f} s {rows:>12,d} rows {calls:>7,d} calls {share:5.1f}% in model"
    )


def ours(policy: Path, baseline: dict[str, Any]) -> dict[str, Any]:
    """Compute the example's results; print each analysis' cost beside the baseline's."""
    doc = compute_results(policy)
    before = baseline.get(doc.policy.id, {})
    analyses: dict[str, Any] = {}
    print(f"reportgen {doc.policy.id}: analyses (after | before)")
    for result in doc.results:
        c = result.cost
        name = label_of(result)
        figures = [c.wall_seconds, c.model_rows, c.model_calls, c.model_seconds]
        analyses[name] = figures
        text = line(name, *figures)
        if name in before.get("analyses", {}):
            old = before["analyses"][name]
            share = 100 * old[3] / old[0] if old[0] else 0.0
            speedup = old[0] / c.wall_seconds if c.wall_seconds else float("inf")
            text += f" | {old[0]:8.2f} s {share:5.1f}% in model  x{speedup:5.1f}"
        print(f"  {text}")
    total = sum(figures[0] for figures in analyses.values())
    old_total = before.get("computation_seconds")
    speedup = f"  x{old_total / total:.1f} faster" if old_total else ""
    print(
        f"  computation: {total:.1f} s (run wall {doc.run.wall_seconds:.1f} s)"
        + (f" | before {old_total:.1f} s{speedup}" if old_total else "")
    )
    return {"analyses": analyses, "computation_seconds": total}


def timed(model: ModelAdapter, call: Callable[[], Any]) -> tuple[Any, float, Meter]:
    start, before = time.perf_counter(), model.meter.snapshot()
    value = call()
    return value, time.perf_counter() - start, model.meter.since(before)


def report(name: str, result: tuple[Any, float, Meter], truth: np.ndarray, values: Any) -> None:
    _, seconds, used = result
    error = np.abs(np.asarray(values) - truth).mean() / np.abs(truth).mean()
    print(
        f"  {line(name, seconds, used.rows, used.calls, used.seconds)}  error {100 * error:5.1f}%"
    )


def by_hand(policy: Path, n_rows: int) -> None:
    """The same explanations with shap, lime and captum at reportgen's budgets, torch on one
    thread as the engine runs the analyses (reportgen.engine.one_torch_thread)."""
    __import__("torch").set_num_threads(1)
    shap = __import__("shap")
    lime_tabular = __import__("lime.lime_tabular").lime_tabular
    inputs = resolve_inputs(load_policy(policy))
    data = ModelData.build(inputs, inputs.models[0])
    model, settings = data.model, data.settings
    predict = model.predict_codes
    rows = data.evaluation[data.check_rows[:n_rows]]
    target = data.targets(data.check_rows[:n_rows])
    n, d = rows.shape
    pick = np.arange(n)
    orders = settings.shap.permutations
    print(
        f"by hand at equal budgets, {n} audit rows, {d} features (after each: error vs reference)"
    )

    def shap_ours(seed: int, permutations: int) -> np.ndarray:
        found = explain_shap(
            model,
            rows,
            background=data.background,
            seeds=np.arange(n) + seed,
            estimator="permutation",
            permutations=permutations,
        )
        return found.values[pick, :, target]

    reference = shap_ours(10_000, REFERENCE_ORDERS)
    masker = shap.maskers.Independent(data.background, max_samples=len(data.background))
    permutation = shap.explainers.Permutation(predict, masker)

    def shap_library() -> np.ndarray:
        out = []
        for i in range(n):
            np.random.seed(i + 1)
            found = permutation(rows[i : i + 1], max_evals=orders * (2 * d + 1), silent=True)
            out.append(np.asarray(found.values).reshape(d, -1)[:, target[i]])
        return np.array(out)

    result = timed(model, shap_library)
    report(f"shap Permutation, {orders} orders", result, reference, result[0])
    result = timed(model, lambda: shap_ours(1, orders))
    report(f"reportgen SHAP, {orders} orders", result, reference, result[0])
    kernel = shap.KernelExplainer(predict, data.background)
    np.random.seed(0)
    result = timed(model, lambda: kernel.shap_values(rows, l1_reg=False, silent=True))
    values = np.asarray(result[0])
    values = values.reshape(n, d, -1)[pick, :, target]
    report(f"shap Kernel, l1_reg=False, auto ({2 * d + 2048})", result, reference, values)

    samples = settings.lime.num_samples

    def lime_ours(seed: int, num_samples: int) -> np.ndarray:
        return explain_lime(
            model,
            rows,
            target=target,
            background=data.reference,
            seeds=np.arange(n) + seed,
            num_samples=num_samples,
        ).values

    reference = lime_ours(10_000, REFERENCE_SAMPLES)
    codec = model.codec

    def lime_library() -> np.ndarray:
        out = np.zeros((n, d))
        for i in range(n):
            explainer = lime_tabular.LimeTabularExplainer(
                data.reference,
                mode="regression" if model.task == "regression" else "classification",
                feature_names=codec.names,
                categorical_features=codec.categorical_indices,
                categorical_names={
                    j: list(codec.features[j].levels) for j in codec.categorical_indices
                },
                random_state=i + 1,
            )
            found = explainer.explain_instance(
                rows[i], predict, labels=(int(target[i]),), num_features=d, num_samples=samples
            )
            key = 1 if model.task == "regression" else int(target[i])
            for j, weight in found.as_map()[key]:
                out[i, j] = weight
        return out

    result = timed(model, lime_library)
    report(f"lime, {samples} samples", result, reference, result[0])
    result = timed(model, lambda: lime_ours(1, samples))
    report(f"reportgen LIME, {samples} samples", result, reference, result[0])

    if isinstance(model, TorchAdapter):
        by_hand_ig(data, rows, target)


def by_hand_ig(data: ModelData, rows: np.ndarray, target: np.ndarray) -> None:
    """captum's IntegratedGradients against reportgen's at the policy's first step count."""
    torch = __import__("torch")
    captum_attr = __import__("captum.attr").attr
    model = data.model
    steps = data.checks.completeness.ig_steps[0]

    def ours(n_steps: int) -> np.ndarray:
        return explain_ig(
            model, rows, target=target, background=data.background, steps=(n_steps,)
        ).values

    reference = ours(REFERENCE_STEPS)
    encoded = model.encode(rows).to(torch.float64)
    baseline = model.encode(data.background).to(torch.float64).mean(dim=0, keepdim=True)

    def captum_ig() -> np.ndarray:
        def forward(x: Any) -> Any:
            out = model.outputs(x.to(model.torch_dtype)).to(torch.float64)
            model.meter.rows += len(x)
            model.meter.calls += 1
            return out if out.ndim == 2 else out.reshape(-1, 1)

        ig = captum_attr.IntegratedGradients(forward)
        found = ig.attribute(
            encoded, baselines=baseline, target=torch.from_numpy(target), n_steps=steps
        )
        from reportgen.inputs.preprocessing import sum_groups

        return sum_groups(found.detach().numpy(), model.preprocessing.groups)

    result = timed(model, captum_ig)
    report(f"captum IG, {steps} steps", result, reference, result[0])
    result = timed(model, lambda: ours(steps))
    report(f"reportgen IG, {steps} steps", result, reference, result[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=40, help="audit rows for the by-hand comparison"
    )
    parser.add_argument("--save", type=Path, help="write this run's analysis figures as JSON")
    parser.add_argument("--baseline", type=Path, help="a JSON an earlier --save wrote")
    parser.add_argument("--only", choices=["credit", "medical"], help="one example only")
    parser.add_argument(
        "--reports-only", action="store_true", help="skip the by-hand comparison (baselines)"
    )
    args = parser.parse_args()
    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    saved: dict[str, Any] = {}
    for name in [args.only] if args.only else ["credit", "medical"]:
        policy = ROOT / "policies" / f"{name}.yaml"
        print(f"\n=== {name} ===")
        saved[load_policy(policy).policy.id] = ours(policy, baseline)
        if not args.reports_only:
            by_hand(policy, args.rows)
    if args.save:
        args.save.write_text(json.dumps(saved, indent=1) + "\n")


if __name__ == "__main__":
    main()
