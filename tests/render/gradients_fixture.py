"""A global gradient attributions result for the render tests (module name unique to this
folder, as render_fixture's)."""

from __future__ import annotations

from render_fixture import MODEL

from reportgen.results.document import Cost, FeatureImportance, GlobalGradientsResult

IG = {"checking_account": 0.2114, "duration": 0.0871, "purpose": 0.00412}
GXI = {"checking_account": 0.1502, "duration": 0.3108, "purpose": 0.0209}


def _ranked(values: dict[str, float]) -> list[FeatureImportance]:
    order = sorted(values, key=lambda f: -values[f])
    return [FeatureImportance(feature=f, value=values[f], rank=order.index(f) + 1) for f in values]


def make_global_gradients() -> GlobalGradientsResult:
    return GlobalGradientsResult(
        model=MODEL,
        output="probability of class 'bad'",
        rows=1_000_000,
        steps=32,
        baseline="encoded background mean",
        background_rows=100,
        ig_completeness_max_error=0.0123,
        ig_completeness_pass_share=0.99871,
        ig_tolerance=0.05,
        gradient_x_input=_ranked(GXI),
        integrated_gradients=_ranked(IG),
        cost=Cost(model_rows=34_000_000, model_calls=9000, wall_seconds=48.2, model_seconds=40.1),
    )
