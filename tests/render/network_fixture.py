"""A network result for the render tests (module name unique to this folder, as
render_fixture's): a credit-sized MLP with a dead ReLU unit and a drifting Tanh layer."""

from __future__ import annotations

from render_fixture import MODEL

from reportgen.results.document import Cost
from reportgen.results.network import LayerActivations, LayerGradient, LayerRow, NetworkResult

TYPES = ["Linear", "ReLU", "Linear", "Tanh", "Linear", "ReLU", "Linear"]


def make_network() -> NetworkResult:
    widths = [32, 32, 16, 16, 8, 8, 2]
    return NetworkResult(
        model=MODEL,
        input_shape=[54],
        layers=[
            LayerRow(
                name=str(i),
                type=t,
                output_shape=[w],
                parameters=(w * 54 + w) if t == "Linear" and i == 0 else 0,
                trainable=0,
                flops=0,
            )
            for i, (t, w) in enumerate(zip(TYPES, widths, strict=True))
        ],
        parameters=1760,
        trainable=1760,
        flops=3456,
        quantiles=[0.05, 0.25, 0.5, 0.75, 0.95],
        reference_rows=700,
        evaluation_rows=300,
        activations=[
            LayerActivations(
                name="1",
                type="ReLU",
                units=32,
                reference=[0.0, 0.0, 0.16, 0.45, 0.84],
                evaluation=[0.0, 0.0, 0.15, 0.45, 0.81],
                dead=[15],
                psi_mean=0.045,
                psi_max=0.103,
            ),
            LayerActivations(
                name="3",
                type="Tanh",
                units=16,
                reference=[-0.9, -0.3, 0.0, 0.3, 0.9],
                evaluation=[-0.9, -0.2, 0.1, 0.4, 0.95],
                saturated=[],
                psi_mean=0.31,
                psi_max=0.6,
            ),
        ],
        psi_warn=0.25,
        loss="cross-entropy: -log of the probability of the row's true class",
        gradient_rows=300,
        gradients=[LayerGradient(name="0", mean_norm=1.93, p95_norm=4.2)],
        gradient_x_input=True,
        cost=Cost(model_rows=1300, model_calls=302, wall_seconds=1.56, model_seconds=0.3),
    )
