"""Build the view-model of a report from a ResultDocument: a pure function, no HTML."""

from __future__ import annotations

from reportgen.render.changes import build_changes, build_review
from reportgen.render.format import fmt_datetime, fmt_int, fmt_seconds, join_words, plural
from reportgen.render.heatmaps import image_maps_of
from reportgen.render.kinds import ModelContext, build_sections, section_kind
from reportgen.render.labels import Labels
from reportgen.render.method import cost_rows, hash_rows, how_computed, not_run
from reportgen.render.page import page_sections
from reportgen.render.privacy import build_privacy, privacy_line
from reportgen.render.summary import build_summary
from reportgen.render.traceability import build_traceability
from reportgen.render.trust import code_key, is_check_gate
from reportgen.render.views import (
    DatasetRow,
    Fact,
    MethodView,
    ModelView,
    ReportMeta,
    ReportView,
    SectionView,
)
from reportgen.results.document import (
    DatasetInfo,
    GateOutcome,
    ModelInfo,
    PrivacyReport,
    Result,
    ResultDocument,
)

FAILED_BANNER = (
    "At least one explanation check failed; see \u2018Can these explanations be trusted?\u2019"
)
FAIR_LENDING_BANNER = "A fair-lending gate failed; see \u2018Fair lending\u2019"
BOTH_BANNER = (
    "At least one explanation check and a fair-lending gate failed; see \u2018Can these "
    "explanations be trusted?\u2019 and \u2018Fair lending\u2019"
)


def build_view(doc: ResultDocument, meta: ReportMeta) -> ReportView:
    """Everything the report shows, sorted, rounded and worded; templates only display it.

    Results are grouped per model (in the order the document lists its models) and each model's
    sections follow the reading order of the render registry (:mod:`reportgen.render.kinds`):
    can the explanations be trusted, performance, heat-maps, global importance, cohorts, audit
    cases.
    Results the privacy policy withholds (audit cases) are dropped even if the document
    carries them.

    Raises:
        RenderError: a result's kind has no section in the report.
    """
    groups = group_by_model(doc)
    infos = {info.name: info for info in doc.models}
    labels = Labels(doc.policy.labels)
    anchors = {name: f"model-{index}" for index, name in enumerate(groups, 1)}
    published = fmt_datetime(meta.published_at)
    models = tuple(
        _model_view(name, infos.get(name), rs, doc.gates, anchors[name], doc.privacy, labels)
        for name, rs in groups.items()
    )
    changes, review = build_changes(meta.changes, meta.version_label), build_review(meta.review)
    privacy = build_privacy(doc.privacy, labels)
    report_anchors = ["method", "changes", "model-card", *(["signoff"] if review else [])]
    traceability = build_traceability(doc.traceability, models, report_anchors)
    return ReportView(
        title=doc.policy.title,
        policy_id=doc.policy.id,
        domain=doc.policy.domain,
        description=doc.policy.description,
        version_label=meta.version_label,
        published=published,
        header_line=f"{doc.policy.id} \u00b7 {meta.version_label} \u00b7 {published}",
        show_model_names=len(groups) > 1,
        banner=_banner(doc.gates),
        banner_anchor=_first_failed_anchor(doc.gates, anchors),
        data_sentence=data_sentence(doc.datasets),
        summaries=tuple(
            build_summary(name, infos.get(name), rs, doc.gates, anchors[name], labels)
            for name, rs in groups.items()
        ),
        datasets=tuple(_dataset_row(d) for d in _datasets_in_order(doc.datasets)),
        models=models,
        method=_method_view(doc, groups),
        changes=changes,
        privacy=privacy,
        privacy_line=privacy_line(doc.privacy),
        sections=page_sections(
            models,
            changes=changes,
            review=review,
            privacy=privacy,
            show_model_names=len(groups) > 1,
            traceability=traceability,
        ),
        review=review,
        traceability=traceability,
    )


def group_by_model(doc: ResultDocument) -> dict[str, list[Result]]:
    """Results per model name, models in document order, each list in reading order, less the
    results the privacy report withholds.

    Raises:
        RenderError: a result's kind has no section in the report.
    """
    groups: dict[str, list[Result]] = {info.name: [] for info in doc.models}
    for result in doc.results:
        if not section_kind(result.kind).withheld(doc.privacy):
            groups.setdefault(result.model, []).append(result)
    for gate in doc.gates:
        groups.setdefault(gate.model, [])
    return {name: sorted(results, key=_reading_key) for name, results in groups.items()}


def _reading_key(result: Result) -> tuple[int, tuple[int, str]]:
    return (section_kind(result.kind).order, code_key(getattr(result, "code", "")))


def _banner(gates: list[GateOutcome]) -> str | None:
    """The first page's alarm: which kind of gate failed or could not be evaluated."""
    failed = [g for g in gates if g.status in ("fail", "error")]
    checks = any(is_check_gate(g) for g in failed)
    fair = any(not is_check_gate(g) for g in failed)
    if checks and fair:
        return BOTH_BANNER
    if fair:
        return FAIR_LENDING_BANNER
    return FAILED_BANNER if checks else None


def _first_failed_anchor(gates: list[GateOutcome], anchors: dict[str, str]) -> str:
    """The section the banner links to: the trust section of the first model with a failed
    check gate, else the fair-lending section of the first model with a failed AIR gate."""
    failed = [g for g in gates if g.status in ("fail", "error")]
    checks = {g.model for g in failed if is_check_gate(g)}
    models, section = (
        (checks, "trust") if checks or not failed else ({g.model for g in failed}, "fair_lending")
    )
    first = next((anchor for name, anchor in anchors.items() if name in models), "model-1")
    return f"{first}-{section}"


def _datasets_in_order(datasets: list[DatasetInfo]) -> list[DatasetInfo]:
    return sorted(datasets, key=lambda d: (d.role != "evaluation", d.path))


def data_sentence(datasets: list[DatasetInfo]) -> str:
    """Which data the numbers come from, in one sentence."""
    parts = []
    for data in _datasets_in_order(datasets):
        size = f"{plural(data.rows, 'row')}, {plural(data.columns, 'column')}"
        role = "evaluation data" if data.role == "evaluation" else "reference (background) data"
        parts.append(f"the {role} {data.path} ({size})")
    if not parts:
        return "The results document records no datasets."
    return f"The analyses use {join_words(parts)}."


def _dataset_row(data: DatasetInfo) -> DatasetRow:
    return DatasetRow(
        role=data.role.capitalize(),
        path=data.path,
        rows=fmt_int(data.rows),
        columns=fmt_int(data.columns),
        sha256=data.sha256,
    )


def _model_view(
    name: str,
    info: ModelInfo | None,
    results: list[Result],
    gates: list[GateOutcome],
    anchor: str,
    privacy: PrivacyReport | None,
    labels: Labels,
) -> ModelView:
    facts: list[Fact] = []
    features: tuple[Fact, ...] = ()
    if info is not None:
        maps = image_maps_of(results)
        if maps is not None and not info.features:
            inputs = Fact("Input", f"images of {maps.height} \u00d7 {maps.width} pixels")
        else:
            inputs = Fact("Features", fmt_int(len(info.features)))
        facts = [
            Fact("Format", info.format),
            Fact("Task", info.task.replace("_", " ")),
            Fact("Classes", ", ".join(info.classes) if info.classes else "none (regression)"),
            inputs,
            Fact("Loaded as", "trusted pickle" if info.trusted else "safe format"),
        ]
        features = tuple(Fact(labels(f.name), f.kind) for f in info.features)
    return ModelView(
        name=name,
        anchor=anchor,
        facts=tuple(facts),
        features=features,
        trusted=bool(info and info.trusted),
        sections=_sections(name, results, gates, anchor, privacy, labels),
    )


def _sections(
    name: str,
    results: list[Result],
    gates: list[GateOutcome],
    anchor: str,
    privacy: PrivacyReport | None,
    labels: Labels,
) -> tuple[SectionView, ...]:
    """The model's sections, each kind's built by its registry entry; none for a model with
    neither results nor gates."""
    own_gates = tuple(g for g in gates if g.model == name)
    if not (results or own_gates):
        return ()
    return build_sections(ModelContext(name, anchor, tuple(results), own_gates, privacy, labels))


def _method_view(doc: ResultDocument, groups: dict[str, list[Result]]) -> MethodView:
    run = doc.run
    return MethodView(
        how=tuple(how_computed(groups, seed=run.seed)),
        not_run=tuple(not_run(doc)),
        run=(
            Fact("reportgen version", run.reportgen_version),
            Fact("Results schema version", doc.schema_version),
            Fact("Run started", fmt_datetime(run.created_at)),
            Fact("Seed", str(run.seed)),
            Fact("Python", run.python),
            Fact("Total wall time", fmt_seconds(run.wall_seconds)),
        ),
        libraries=tuple(Fact(name, version) for name, version in sorted(run.libraries.items())),
        hashes=tuple(hash_rows(doc)),
        costs=tuple(cost_rows(groups)),
    )
