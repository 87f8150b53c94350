"""The HTML page: escaped data, strict templates, inline charts, no external reference."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from page_checks import References, external_references
from render_fixture import META, SCRIPT, TITLE, make_document

from reportgen.errors import RenderError
from reportgen.render import ReportMeta, build_view, render_html
from reportgen.render.html import make_environment, render_template, templates_dir
from reportgen.render.views import GlobalShapView
from reportgen.results.document import ResultDocument


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(make_document(), META)


def test_the_reference_checker_catches_external_references() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="#a"/></svg>'
    assert external_references(svg) == []
    assert external_references('<p style="background: url(data:image/png;base64,AA)"></p>') == []
    assert external_references('<img src="http://example.invalid/x.png">')
    assert external_references('<img src="data:image/svg+xml;base64,AA">')
    assert external_references("<img>")
    assert external_references('<img src="data:image/png;base64,AA" alt="a heat-map">') == []
    assert external_references('<a href="https://example.invalid/">x</a>')
    assert external_references("<style>p { background: url(x.png) }</style>")
    assert external_references("<style>@import 'x.css';</style>")
    assert external_references("<p>see http://example.invalid</p>")
    assert external_references('<svg xmlns="http://example.invalid/ns"></svg>')


def test_the_page_references_nothing_outside_itself(page: str) -> None:
    assert external_references(page) == []
    assert '<svg class="chart"' in page and 'xmlns="http://www.w3.org/2000/svg"' in page


def test_data_strings_are_escaped(page: str) -> None:
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(" in page
    assert "Consumer credit &amp; default risk" in page
    assert "A&amp;B &lt;script&gt;" in page


def test_charts_are_inline_svg_with_unique_ids(page: str) -> None:
    found = References()
    found.feed(page)
    assert found.tags["svg"] == len(list(build_view(make_document(), META).charts())) == 5
    assert "<?xml" not in page and page.count("<!DOCTYPE") == 1
    assert [name for name, count in found.ids.items() if count > 1] == []
    assert "<metadata" not in page and "Matplotlib v" not in page


def test_css_is_inlined_once(page: str) -> None:
    assert page.count("<style>") == 1
    assert "@page" in page and "counter(pages)" in page


def test_sections_come_in_reading_order(page: str) -> None:
    headings = [
        "<h2>Summary</h2>",
        "Can these explanations be trusted?</h2>",
        "Model performance</h2>",
        "Global importance: SHAP</h2>",
        "Global importance: permutation</h2>",
        "Audit cases</h2>",
        "Appendix: method and provenance</h2>",
    ]
    positions = [page.index(h) for h in headings]
    assert positions == sorted(positions)
    assert TITLE.replace("&", "&amp;") in page[: positions[0]]


def test_the_page_is_deterministic_across_processes(page: str) -> None:
    code = (
        "import hashlib, sys\n"
        "from render_fixture import META, make_document\n"
        "from reportgen.render import render_html\n"
        "sys.stdout.write(hashlib.sha256(render_html(make_document(), META).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "PYTHONHASHSEED": "123"}
    digest = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert digest == hashlib.sha256(page.encode()).hexdigest()


def test_importing_render_loads_no_heavy_module() -> None:
    code = (
        "import sys, reportgen.render\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'weasyprint', 'matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_environment_is_strict_and_autoescapes(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ text }}</p>", encoding="utf-8")
    (tmp_path / "bad.html").write_text("<p>{{ missing_name }}</p>", encoding="utf-8")
    env = make_environment(tmp_path)
    assert env.undefined is jinja2.StrictUndefined
    assert render_template(env, "page.html", {"text": "<b>&"}) == "<p>&lt;b&gt;&amp;</p>"
    with pytest.raises(RenderError, match=r"'bad.html' \(line 1\) failed: 'missing_name'") as info:
        render_template(env, "bad.html", {})
    assert isinstance(info.value.__cause__, jinja2.UndefinedError)


def test_a_failing_partial_is_named(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text('{% include "_part.html" %}', encoding="utf-8")
    (tmp_path / "_part.html").write_text("\n{{ view.nope }}", encoding="utf-8")
    with pytest.raises(RenderError, match=r"'_part.html' \(line 2\)"):
        render_template(make_environment(tmp_path), "base.html", {"view": {}})


def test_missing_or_malformed_templates_raise_render_error(tmp_path: Path) -> None:
    (tmp_path / "broken.html").write_text("{% if %}", encoding="utf-8")
    env = make_environment(tmp_path)
    with pytest.raises(RenderError, match=r"'broken\.html' line 1 is malformed"):
        render_template(env, "broken.html", {})
    with pytest.raises(RenderError, match=r"'absent\.html' not found"):
        render_template(env, "absent.html", {})


def test_a_missing_templates_folder_raises_render_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doc: ResultDocument, meta: ReportMeta
) -> None:
    from importlib import resources

    monkeypatch.setattr(resources, "files", lambda package: tmp_path / package)
    with pytest.raises(RenderError, match=r"templates folder .* not found"):
        render_html(doc, meta)


def test_every_shipped_template_compiles() -> None:
    env = make_environment()
    names = env.list_templates(extensions=["html"])
    assert {"base.html", "_summary.html", "_method.html", "_local_cases.html"} <= set(names)
    for name in names:
        env.get_template(name)
    assert (templates_dir() / "report.css").is_file()


def test_script_constant_is_really_in_the_document() -> None:
    assert SCRIPT in make_document().policy.description


def _sparse_document() -> ResultDocument:
    """A regression model with no SHAP and no audit cases; a second model with no results."""
    base = make_document()
    regression = base.models[0].model_copy(update={"task": "regression", "classes": None})
    idle = regression.model_copy(update={"name": "idle_model"})
    kept = [
        r.model_copy()
        for r in base.results
        if r.kind in ("model_performance", "permutation_importance")
    ]
    return base.model_copy(update={"models": [regression, idle], "results": kept, "datasets": []})


def test_a_sparse_document_renders(meta: ReportMeta) -> None:
    doc = _sparse_document()
    view = build_view(doc, meta)
    assert [len(m.sections) for m in view.models] == [3, 0]
    assert "predicts a value" in view.summaries[0].sentences[0]
    assert view.data_sentence == "The results document records no datasets."
    page = render_html(doc, meta)
    assert "Global importance: SHAP" not in page and "Audit cases" not in page
    assert external_references(page) == []


def test_a_shap_result_without_base_value_renders(doc: ResultDocument, meta: ReportMeta) -> None:
    results = [
        r.model_copy(update={"base_value": None}) if r.kind == "global_shap" else r
        for r in doc.results
    ]
    doc = doc.model_copy(update={"results": results})
    shap = next(s for s in build_view(doc, meta).models[0].sections if s.kind == "global_shap")
    assert isinstance(shap, GlobalShapView)
    assert "Average output (base value)" not in [fact.label for fact in shap.facts]
    assert "background data." in shap.intro
    assert "Global importance: SHAP" in render_html(doc, meta)
