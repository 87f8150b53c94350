"""Benchmark the tabular model adapter against the bare network it wraps (issue #12).

Run:  .venv/bin/python bench/bench_adapter.py [--rows N] [--threads T] [--batch-sizes 64 300 ...]
          [--repeats R]

For the credit and medical example models it prints, at each batch size (rows per call), the
rows per second of the bare TorchScript module on an already encoded tensor under
``torch.inference_mode``, of ``adapter.predict_codes`` (coded raw features in, float64
probabilities out: padding to ROW_BLOCK rows, encoding, the forward pass, softmax, float64
conversion, row renormalisation, finiteness check, the adapter's own batching) and of
``adapter.predict_inputs`` (the same from rows already encoded, the path the SHAP estimators
take), each with its overhead (its time over the network's, minus one). Both run with ``--threads`` torch threads: the
analyses run torch single-threaded (``reportgen.engine.one_torch_thread``), hence the default 1.
Each figure is the best of ``--repeats`` passes over ``--rows`` rows (a shared machine makes
single runs noisy). 300 and about 2,200 rows are the sizes the analyses ask for most.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from reportgen.analyses.context import ModelData
from reportgen.inputs import resolve_inputs
from reportgen.policy import load_policy
from reportgen.policy.schema import ModelSpec

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ("credit", "medical")
DEFAULT_BATCH = ModelSpec.model_fields["batch_size"].default


def best_rate(rows: int, call, repeats: int) -> float:
    """Rows per second of ``call()`` (which pushes ``rows`` rows), best of ``repeats``."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return rows / best


def bench(name: str, rows: int, sizes: list[int], repeats: int) -> None:
    inputs = resolve_inputs(load_policy(ROOT / "policies" / f"{name}.yaml"))
    data = ModelData.build(inputs, inputs.models[0])
    adapter = data.model
    codes = np.resize(data.evaluation, (rows, data.evaluation.shape[1]))
    encoded = adapter.encode(codes)
    network = adapter._module  # the very TorchScript module the adapter calls
    print(
        f"{name}: {adapter.name} ({adapter.dtype}, {encoded.shape[1]} encoded columns), "
        f"{rows:,d} rows, {torch.get_num_threads()} torch thread(s), "
        f"adapter batch_size {adapter.batch_size}"
    )
    print(
        f"  {'rows/call':>9} {'network rows/s':>15} {'codes rows/s':>15} {'overhead':>9}"
        f" {'inputs rows/s':>15} {'overhead':>9}"
    )
    inputs = adapter.model_inputs(codes)
    for size in sizes:
        bare, ours, mixed = rates(adapter, network, codes, inputs, encoded, size, repeats)
        print(
            f"  {size:>9,d} {bare:>15,.0f} {ours:>15,.0f} {100 * (bare / ours - 1):>8.1f}%"
            f" {mixed:>15,.0f} {100 * (bare / mixed - 1):>8.1f}%"
        )


def rates(adapter, network, codes, inputs, encoded, size: int, repeats: int) -> tuple[float, ...]:
    """Rows per second through the bare network, through the adapter from coded rows
    (``predict_codes``: encoding included) and from rows already encoded (``predict_inputs``,
    what the SHAP estimators send: they mix encoded rows), ``size`` rows a call."""
    starts = range(0, len(codes), size)

    def through_network() -> None:
        with torch.inference_mode():
            for i in starts:
                network(encoded[i : i + size])

    def from_codes() -> None:
        for i in starts:
            adapter.predict_codes(codes[i : i + size])

    def from_inputs() -> None:
        for i in starts:
            adapter.predict_inputs(inputs[i : i + size])

    return tuple(
        best_rate(len(codes), call, repeats) for call in (through_network, from_codes, from_inputs)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=65536)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[64, 300, 2176, DEFAULT_BATCH, 65536]
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in POLICIES:
        bench(name, args.rows, args.batch_sizes, args.repeats)


if __name__ == "__main__":
    main()
