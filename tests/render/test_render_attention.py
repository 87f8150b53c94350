"""The attention section: model-internal, with the caveat that attention is not explanation, the
Spearman with global SHAP in words, each feature's SHAP rank beside its attention rank, and no
attention figure among the reasons of the audit cases."""

from __future__ import annotations

import re

from attention_fixture import FEATURES, make_attention
from render_fixture import META, SHAP_VALUES, make_document

from reportgen.render import render_html
from reportgen.render.attention import agreement_sentence, build_attention
from reportgen.results.document import GlobalShapResult


def _shap() -> GlobalShapResult:
    (shap,) = [r for r in make_document().results if isinstance(r, GlobalShapResult)]
    return shap


def test_the_view_puts_each_features_shap_rank_beside_its_attention_rank() -> None:
    view = build_attention(make_attention(), _shap(), heading="h", template="t")
    assert [(line.feature, line.rank, line.shap_rank) for line in view.lines] == [
        ("housing", "1", "6"),
        ("debt_ratio", "2", "2"),
        ("credit_history_months", "3", "5"),
        ("age", "4", "3"),
        ("purpose", "5", "4"),
        ("income", "6", "1"),
    ]
    assert {f: v[1] for f, v in SHAP_VALUES.items()}["housing"] == 6
    assert view.head_labels == ("L1 H1", "L1 H2", "L2 H1", "L2 H2")
    assert view.lines[0].heads[1] == "0.140"  # housing in layer 1, head 2: 0.15 + 0.02 * -0.5
    assert view.to_cls == ("0.100", "0.100", "0.200", "0.200")
    assert [f.value for f in view.facts] == ["2", "2", "300", "\u22120.20"]


def test_the_agreement_is_put_in_words_or_said_not_measured() -> None:
    assert "Spearman rank correlation of \u22120.20 over 6 features: weak agreement." in (
        agreement_sentence(make_attention(-0.2))
    )
    assert ": moderate agreement." in agreement_sentence(make_attention(0.55))
    assert ": strong agreement." in agreement_sentence(make_attention(-0.75))
    view = build_attention(make_attention(None), None, heading="h", template="t")
    assert view.agreement.startswith("Its rank agreement with global SHAP is not measured")
    assert {line.shap_rank for line in view.lines} == {"n/a"}


def test_the_report_shows_the_section_with_its_caveat_apart_from_the_reasons() -> None:
    doc = make_document()
    doc = doc.model_copy(update={"results": [*doc.results, make_attention()]})
    page = render_html(doc, META)
    section = re.search(r'<section class="analysis attention">.*?</section>', page, re.DOTALL)
    assert section is not None
    assert ">Inside the network: attention</h2>" in section.group(0)
    assert "Jain &amp; Wallace (2019" in section.group(
        0
    ) and "Wiegreffe &amp; Pinter (2019" in section.group(0)
    assert section.group(0).count("<tr>") == 1 + len(FEATURES)  # header and each feature
    assert page.count("Jain &amp; Wallace") == 1  # once, in its own section
    others = page.replace(section.group(0), "")
    assert "rollout" not in others.split("Appendix")[0]  # no attention figure anywhere else
    assert "Read from the model&#39;s exported attention(x) method" in page  # the appendix
