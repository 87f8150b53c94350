"""Build the view-model of a report from a ResultDocument: a pure function, no HTML."""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

from reportgen.render.format import (
    fmt_datetime,
    fmt_fixed,
    fmt_int,
    fmt_seconds,
    join_words,
    metric_label,
    metric_name,
    number_word,
    plural,
)
from reportgen.render.method import cost_rows, hash_rows, how_computed
from reportgen.render.sections import SECTION_ORDER, build_section, by_rank
from reportgen.render.views import (
    DatasetRow,
    Fact,
    MethodView,
    ModelSummary,
    ModelView,
    ReportMeta,
    ReportView,
)
from reportgen.results.document import (
    DatasetInfo,
    GlobalShapResult,
    LocalExplanationsResult,
    ModelInfo,
    PerformanceResult,
    PermutationImportanceResult,
    Result,
    ResultDocument,
)

_R = TypeVar("_R")

TOP_DRIVERS = 3
"""How many features the summary names as the model's main drivers."""


def build_view(doc: ResultDocument, meta: ReportMeta) -> ReportView:
    """Everything the report shows, sorted, rounded and worded; templates only display it.

    Results are grouped per model (in the order the document lists its models) and each model's
    sections follow the reading order performance, global importance, audit cases.
    """
    groups = group_by_model(doc)
    infos = {info.name: info for info in doc.models}
    published = fmt_datetime(meta.published_at)
    return ReportView(
        title=doc.policy.title,
        policy_id=doc.policy.id,
        domain=doc.policy.domain,
        description=doc.policy.description,
        version_label=meta.version_label,
        published=published,
        header_line=f"{doc.policy.id} \u00b7 {meta.version_label} \u00b7 {published}",
        show_model_names=len(groups) > 1,
        data_sentence=data_sentence(doc.datasets),
        summaries=tuple(_summary(name, infos.get(name), rs) for name, rs in groups.items()),
        datasets=tuple(_dataset_row(d) for d in _datasets_in_order(doc.datasets)),
        models=tuple(
            _model_view(name, infos.get(name), rs, f"model-{index}")
            for index, (name, rs) in enumerate(groups.items(), 1)
        ),
        method=_method_view(doc, groups),
    )


def group_by_model(doc: ResultDocument) -> dict[str, list[Result]]:
    """Results per model name, models in document order, each list in reading order."""
    groups: dict[str, list[Result]] = {info.name: [] for info in doc.models}
    for result in doc.results:
        groups.setdefault(result.model, []).append(result)
    return {
        name: sorted(results, key=lambda r: SECTION_ORDER[r.kind])
        for name, results in groups.items()
    }


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


def _of_kind(results: list[Result], kind: type[_R]) -> _R | None:
    return next((r for r in results if isinstance(r, kind)), None)


def model_sentence(name: str, info: ModelInfo | None) -> str:
    """What the model is and what it predicts from how many features."""
    if info is None:
        return f"{name} is not described in the results document; only its results are shown."
    kinds = Counter(f.kind for f in info.features)
    mix = ", ".join(f"{kinds[k]} {k}" for k in ("numeric", "categorical") if kinds[k])
    task = info.task.replace("_", " ")
    if info.classes:
        target = join_words([f"'{c}'" for c in info.classes], "or")
        predicts = f"predicts {target}"
    else:
        predicts = "predicts a value"
    return (
        f"{name} is a {task} model ({info.format}) that {predicts} from "
        f"{plural(len(info.features), 'feature')} ({mix})."
    )


def driver_sentences(results: list[Result]) -> list[str]:
    """The top global drivers in words, from SHAP and from permutation importance."""
    sentences = []
    shap = _of_kind(results, GlobalShapResult)
    if shap is not None and shap.importances:
        top = [i.feature for i in by_rank(shap.importances)[:TOP_DRIVERS]]
        if len(top) == 1:
            sentences.append(f"The feature that moves the {shap.output} most is {top[0]}.")
        else:
            sentences.append(
                f"The {number_word(len(top))} features that move the {shap.output} most are "
                f"{join_words(top)}."
            )
    perm = _of_kind(results, PermutationImportanceResult)
    if perm is not None and perm.importances:
        top = [i.feature for i in by_rank(perm.importances)[:TOP_DRIVERS]]
        sentences.append(
            f"The model's {metric_name(perm.scoring)} suffers most when "
            f"{join_words(top, 'or')} is shuffled."
        )
    return sentences


def _performance_sentence(perf: PerformanceResult) -> str:
    shown = [f"{metric_name(m.name)} {fmt_fixed(m.value)}" for m in perf.metrics[:3]]
    if not shown:
        return f"Performance was measured on {plural(perf.rows, 'evaluation row')}."
    return f"On {plural(perf.rows, 'evaluation row')} it reaches {join_words(shown)}."


def estimator_lines(results: list[Result]) -> list[str]:
    """The explanation methods used, with their budgets, one line each."""
    lines = []
    for result in results:
        if isinstance(result, GlobalShapResult):
            lines.append(
                f"SHAP, {result.estimator} estimator, {fmt_int(result.evals_per_row)} model "
                f"evaluations per row, {plural(result.background_rows, 'background row')}"
            )
        elif isinstance(result, PermutationImportanceResult):
            lines.append(
                f"Permutation importance, {metric_name(result.scoring)}, "
                f"{plural(result.n_repeats, 'repeat')}"
            )
        elif isinstance(result, LocalExplanationsResult):
            methods = join_words([m.upper() for m in result.methods])
            lines.append(f"Local {methods} on {plural(len(result.cases), 'audit case')}")
    return lines


def _summary(name: str, info: ModelInfo | None, results: list[Result]) -> ModelSummary:
    sentences = [model_sentence(name, info)]
    perf = _of_kind(results, PerformanceResult)
    if perf is not None:
        sentences.append(_performance_sentence(perf))
    sentences.extend(driver_sentences(results))
    local = _of_kind(results, LocalExplanationsResult)
    if local is not None:
        sentences.append(
            f"{plural(len(local.cases), 'audit case').capitalize()}, a stratified sample per "
            "predicted class, are explained one by one."
        )
    warnings: tuple[str, ...] = ()
    if info is not None and info.trusted:
        warnings = (
            "This model was loaded from a pickle the policy marks as trusted; loading a pickle "
            "can run arbitrary code, so its source must be controlled.",
        )
    return ModelSummary(
        name=name,
        sentences=tuple(sentences),
        key_metrics=tuple(
            Fact(metric_label(m.name), fmt_fixed(m.value)) for m in (perf.metrics if perf else [])
        ),
        estimators=tuple(estimator_lines(results)),
        warnings=warnings,
    )


def _model_view(name: str, info: ModelInfo | None, results: list[Result], anchor: str) -> ModelView:
    facts: list[Fact] = []
    features: tuple[Fact, ...] = ()
    if info is not None:
        facts = [
            Fact("Format", info.format),
            Fact("Task", info.task.replace("_", " ")),
            Fact("Classes", ", ".join(info.classes) if info.classes else "none (regression)"),
            Fact("Features", fmt_int(len(info.features))),
            Fact("Loaded as", "trusted pickle" if info.trusted else "safe format"),
        ]
        features = tuple(Fact(f.name, f.kind) for f in info.features)
    return ModelView(
        name=name,
        anchor=anchor,
        facts=tuple(facts),
        features=features,
        trusted=bool(info and info.trusted),
        sections=tuple(build_section(r, anchor) for r in results),
    )


def _method_view(doc: ResultDocument, groups: dict[str, list[Result]]) -> MethodView:
    run = doc.run
    return MethodView(
        how=tuple(how_computed(groups, seed=run.seed)),
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
