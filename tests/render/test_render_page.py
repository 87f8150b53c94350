"""The page's sections are one list in the view-model: the contents and the body follow it (#9)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from render_fixture import META, MODEL
from trust_fixture import make_checked_document

from reportgen.render import ReportMeta, build_view, render_html
from reportgen.render.html import PAGE_TEMPLATE, templates_dir
from reportgen.results.document import ModelInfo, ResultDocument
from reportgen.results.trail import AttestationCheck, ReviewStatus

REVIEW = ReviewStatus(
    policy_id="credit-default",
    version=3,
    manifest_sha256="a" * 64,
    state="pending",
    required_roles=["model_validator", "risk_officer"],
    trusted_reviewers=[],
    blocked=None,
    approved_roles=["model_validator"],
    missing_roles=["risk_officer"],
    rejected_by=[],
    attestations=[
        AttestationCheck(
            file="ann.json",
            reviewer="Ann Lee",
            role="model_validator",
            decision="approve",
            at="2025-03-05T10:00:00+00:00",
            comment="fine",
            fingerprint="f" * 64,
            valid=True,
            trusted=True,
            problem=None,
        )
    ],
)
REVIEWED = ReportMeta(META.version_label, META.published_at, review=REVIEW)
MODEL_SECTIONS = [
    "trust",
    "model_performance",
    "global_shap",
    "permutation_importance",
    "local_explanations",
]


def _two_models() -> ResultDocument:
    """The checked document, and the same results and gates again for a second model."""
    base = make_checked_document()
    other = ModelInfo(**{**base.models[0].model_dump(), "name": "challenger"})
    results = [r.model_copy(update={"model": "challenger"}) for r in base.results]
    gates = [g.model_copy(update={"model": "challenger"}) for g in base.gates]
    return base.model_copy(
        update={
            "models": [*base.models, other],
            "results": [*base.results, *results],
            "gates": [*base.gates, *gates],
        }
    )


class _Page(HTMLParser):
    """The contents' links and, in the body, each <h2>'s anchor: its own id, else its section's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.contents: list[tuple[str, str]] = []
        self.headings: list[tuple[str, str]] = []
        self._where: list[tuple[str, str | None]] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and self._inside("nav"):
            self.contents.append((str(found["href"]).removeprefix("#"), ""))
            self._text = []
        elif tag == "h2" and self._inside("main"):
            sections = [i for t, i in self._where if t == "section" and i]
            self.headings.append((found.get("id") or sections[-1], ""))
            self._text = []
        if tag in ("nav", "main", "section", "h2", "a"):
            self._where.append((tag, found.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "h2") and self._text is not None:
            target = self.contents if tag == "a" else self.headings
            target[-1] = (target[-1][0], " ".join("".join(self._text).split()))
            self._text = None
        if tag in ("nav", "main", "section", "h2", "a"):
            self._where.pop()

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def _inside(self, tag: str) -> bool:
        return any(t == tag for t, _ in self._where)


def _page(html: str) -> _Page:
    parsed = _Page()
    parsed.feed(html)
    return parsed


def test_the_view_lists_the_pages_sections_in_order() -> None:
    sections = build_view(make_checked_document(), REVIEWED).sections
    assert [s.anchor for s in sections] == [
        "summary",
        "changes",
        "signoff",
        *(f"model-1-{kind}" for kind in MODEL_SECTIONS),
        "privacy",
        "method",
    ]
    assert [s.heading for s in sections[:3]] == [
        "Summary",
        "Changes since the previous version",
        "Sign-off",
    ]
    assert sections[-1].heading == "Appendix: method and provenance"
    assert [s.template for s in sections[:3]] == ["_summary.html", "_changes.html", "_review.html"]
    assert {s.model_tag for s in sections} == {None}
    model_part = sections[3:-2]
    assert [s.opens_model for s in model_part] == ["model-1"] + [None] * 4
    assert [s.closes_model for s in model_part] == [False] * 4 + [True]
    assert all(s.section is not None for s in model_part)


def test_without_a_review_there_is_no_sign_off_section() -> None:
    anchors = [s.anchor for s in build_view(make_checked_document(), META).sections]
    assert anchors[:3] == ["summary", "changes", "model-1-trust"]


def test_several_models_each_open_and_close_their_part_and_tag_their_sections() -> None:
    sections = build_view(_two_models(), META).sections
    assert [s.opens_model for s in sections if s.opens_model] == ["model-1", "model-2"]
    assert sum(s.closes_model for s in sections) == 2
    assert [s.model_tag for s in sections if s.section is not None] == [MODEL] * 5 + [
        "challenger"
    ] * 5


def test_the_contents_and_the_body_follow_the_same_list() -> None:
    for doc, meta in ((make_checked_document(), REVIEWED), (_two_models(), META)):
        view = build_view(doc, meta)
        page = _page(render_html(doc, meta))
        anchors = [s.anchor for s in view.sections]
        assert [anchor for anchor, _ in page.contents] == anchors
        assert [anchor for anchor, _ in page.headings] == anchors
    single = _page(render_html(make_checked_document(), REVIEWED))
    assert single.contents == single.headings


def test_the_model_tag_follows_each_heading_when_there_are_several_models() -> None:
    page = _page(render_html(_two_models(), META))
    tagged = [(a, t) for a, t in page.contents if a.startswith("model-2-")]
    assert tagged[0] == ("model-2-trust", "Can these explanations be trusted? (challenger)")
    assert ("model-2-trust", "Can these explanations be trusted? challenger") in page.headings


def test_the_page_template_includes_only_what_the_list_names() -> None:
    source = (templates_dir() / PAGE_TEMPLATE).read_text(encoding="utf-8")
    assert re.findall(r"{%-?\s*include\s+(.+?)\s*-?%}", source) == ["entry.template"]
