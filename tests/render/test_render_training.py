"""The training history section: the sentence on the released epoch and the gap, the learning
curves drawn as inline SVG (one line per loss, the released epoch dashed), the metrics chart."""

from __future__ import annotations

import re

from render_fixture import META, make_document
from training_fixture import make_training_history

from reportgen.render import render_html
from reportgen.render.training import build_training_history


def test_the_sentence_states_the_released_epoch_and_the_gap() -> None:
    view = build_training_history(
        make_training_history(), "m", heading="Training history", template="t"
    )
    assert view.released == (
        "The released weights come from epoch 3 of 5 logged epochs, taken as the epoch of the "
        "lowest validation loss (neither the policy nor the log names the released epoch). There "
        "the validation loss is 0.550 and the training loss 0.400: a gap of 0.150 (38% of the "
        "training loss), validation minus training."
    )
    assert [f.value for f in view.facts] == ["5", "3", "0.400", "0.550"]
    assert view.losses.id == "m-learning-curves" and view.metrics is not None


def test_a_released_epoch_past_the_lowest_loss_says_where_that_was() -> None:
    view = build_training_history(
        make_training_history(5), "m", heading="Training history", template="t"
    )
    assert (
        "epoch 5 of 5 logged epochs, as the policy declares; the lowest validation loss was at "
        "epoch 3." in view.released
    )
    assert "a gap of 0.400 (200% of the training loss)" in view.released


def _charts(page: str) -> list[str]:
    """The accessible names of the page's training charts, in order."""
    labels = re.findall(r'<svg [^>]*aria-label="([^"]*)"', page)
    return [label for label in labels if "training" in label.lower()]


def test_the_report_draws_the_learning_curves() -> None:
    doc = make_document()
    doc = doc.model_copy(update={"results": [*doc.results, make_training_history()]})
    page = render_html(doc, META)
    assert ">Training history</h2>" in page
    assert "The released weights come from epoch 3 of 5 logged epochs" in page
    assert _charts(page) == [
        "Learning curves: training and validation loss per epoch. The dashed line marks epoch "
        "3, the released weights.",
        "Metrics logged during training, per epoch. The dashed line marks epoch 3, the released "
        "weights.",
    ]
    curves = re.search(r'<svg [^>]*aria-label="Learning curves.*?</svg>', page, re.DOTALL)
    assert curves is not None
    assert ">training loss<" in curves.group(0) and ">validation loss<" in curves.group(0)


def test_without_metrics_there_is_one_chart() -> None:
    doc = make_document()
    doc = doc.model_copy(update={"results": [*doc.results, make_training_history(metrics=False)]})
    assert len(_charts(render_html(doc, META))) == 1
