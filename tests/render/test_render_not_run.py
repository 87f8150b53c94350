"""The method appendix lists the analyses a policy asks for that did not apply to a model, each
with the reason the engine recorded (an ONNX model has no gradients, issue 15)."""

from __future__ import annotations

from render_fixture import META, make_document

from reportgen.render import render_html
from reportgen.results.base import SkippedAnalysis

REASON = (
    "it reads gradients of the model, which reportgen takes from torch networks only "
    "(torchscript, torch_export); model 'credit-mlp' is onnx"
)


def test_skipped_analyses_are_listed_with_their_reason() -> None:
    skipped = SkippedAnalysis(
        model="credit-mlp",
        analysis="global_gradients",
        label="global gradient attributions",
        reason=REASON,
    )
    page = render_html(make_document().model_copy(update={"skipped": [skipped]}), META)
    assert "<h3>Asked for but not run</h3>" in page
    assert (
        "<dt>global gradient attributions (credit-mlp)</dt>\n    <dd>Not run: it reads gradients "
        "of the model, which reportgen takes from torch networks only (torchscript, "
        "torch_export); model &#39;credit-mlp&#39; is onnx.</dd>"
    ) in page


def test_nothing_is_listed_when_every_asked_analysis_ran() -> None:
    assert "Asked for but not run" not in render_html(make_document(), META)
