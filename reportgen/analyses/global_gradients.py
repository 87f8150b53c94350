"""Global gradient attributions of a torch model: mean |gradient x input| and mean |integrated
gradients| per raw feature over the whole evaluation set.

The explained output is chosen as for global SHAP: the positive class of a binary classifier,
every class (averaged) of a multiclass one, the value of a regressor. The work is streamed: units
are blocks of ROW_BLOCK evaluation rows, a task attributes ``chunk_rows`` rows at a time and
returns only each block's sums of |attribution|, so memory is bounded by the chunk whatever the
number of rows. Each row's attributions do not depend on the rows attributed with it, and each
block is summed on its own, so the result has the same bits for any chunk size or shards.
The methods are deterministic: the units need no seeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.context import Measure, ModelData
from reportgen.analyses.explain.attribution import completeness_error
from reportgen.analyses.explain.gradients import (
    encoded,
    gradient_of,
    input_gradients,
    outputs,
    torch_model,
)
from reportgen.analyses.explain.paths import integrated_gradients
from reportgen.analyses.global_importance import ranked
from reportgen.inputs.models import ROW_BLOCK, ModelAdapter
from reportgen.inputs.preprocessing import sum_groups
from reportgen.results.document import GlobalGradientsResult

METHOD = "global gradient attributions"


def explained_classes(data: ModelData) -> list[int]:
    """The outputs averaged over: the positive class, every class, or the regressor's value."""
    if data.positive_index is not None:
        return [data.positive_index]
    return list(range(len(data.model.classes or [None])))


def gradients_task(
    model: ModelAdapter, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Blocks of ROW_BLOCK evaluation rows: per block, the sums over its rows (and the explained
    classes) of |gradient x input| and |IG| per raw feature, the largest IG completeness error
    and the count of rows within the tolerance.

    ``shared`` holds the coded evaluation rows, the background, the explained classes, the
    steps, the tolerance and ``chunk_rows``; ``rows["block"]`` the block numbers.
    """
    torch = require("torch")
    net = torch_model(model, METHOD)
    codes, classes = shared["codes"], shared["classes"]
    baseline = encoded(net, shared["background"]).mean(dim=0, keepdim=True)
    f_0 = outputs(net, baseline)[0].numpy()
    per_chunk = max(1, shared["chunk_rows"] // ROW_BLOCK)
    found: dict[str, list[np.ndarray]] = {"gxi": [], "ig": [], "error": [], "within": []}
    for start in range(0, len(rows["block"]), per_chunk):
        blocks = rows["block"][start : start + per_chunk]
        first = blocks * ROW_BLOCK
        index = np.concatenate([np.arange(a, min(a + ROW_BLOCK, len(codes))) for a in first])
        x = encoded(net, codes[index])
        f_x = outputs(net, x).numpy()
        gxi, ig = np.zeros((2, len(index), len(net.preprocessing.groups)))
        error = np.zeros(len(index))
        for c in classes:
            labels = torch.full((len(index),), c, dtype=torch.int64)
            grads = input_gradients(net, x, labels)
            gxi += np.abs(sum_groups((x * grads).numpy(), net.preprocessing.groups))
            path = integrated_gradients(
                gradient_of(net), x, baseline, labels, steps=shared["steps"], batch_size=len(x)
            )
            values = sum_groups(path.numpy(), net.preprocessing.groups)
            ig += np.abs(values)
            gap = completeness_error(
                values,
                np.full(len(index), f_0[c]),
                f_x[:, c],
                tolerance=shared["tolerance"],
                epsilon=net.epsilon,
            )
            error = np.maximum(error, gap)
        offsets = np.searchsorted(index, first)
        found["gxi"].append(np.add.reduceat(gxi, offsets, axis=0))
        found["ig"].append(np.add.reduceat(ig, offsets, axis=0))
        found["error"].append(np.maximum.reduceat(error, offsets))
        found["within"].append(np.add.reduceat(error <= shared["tolerance"], offsets))
    d = len(net.preprocessing.groups)
    empty = {"gxi": (0, d), "ig": (0, d), "error": (0,), "within": (0,)}
    return {
        name: np.concatenate(parts) if parts else np.zeros(empty[name])
        for name, parts in found.items()
    }


def run_global_gradients(data: ModelData) -> GlobalGradientsResult:
    """Mean |gradient x input| and mean |IG| per raw feature over every evaluation row."""
    model = data.model
    spec = data.settings.gradients
    tolerance = data.checks.completeness.ig_tolerance
    classes = explained_classes(data)
    n = len(data.evaluation)
    shared = {
        "codes": data.evaluation,
        "background": data.background,
        "classes": classes,
        "steps": spec.steps,
        "tolerance": tolerance,
        "chunk_rows": spec.chunk_rows,
    }
    blocks = np.arange(-(-n // ROW_BLOCK))
    with Measure(model) as measure:
        found = data.work.map(gradients_task, shared, {"block": blocks})
    scale = max(n, 1) * len(classes)
    return GlobalGradientsResult(
        model=model.name,
        output=data.output_name(data.positive_index),
        rows=n,
        steps=spec.steps,
        baseline="encoded background mean",
        background_rows=len(data.background),
        ig_completeness_max_error=float(found["error"].max(initial=0.0)),
        ig_completeness_pass_share=float(found["within"].sum()) / max(n, 1),
        ig_tolerance=tolerance,
        gradient_x_input=ranked(model.feature_names, found["gxi"].sum(axis=0) / scale),
        integrated_gradients=ranked(model.feature_names, found["ig"].sum(axis=0) / scale),
        cost=measure.cost,
    )
