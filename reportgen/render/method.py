"""The method appendix: how each number was computed, from which inputs, at what cost.

What the appendix calls a result and how it explains it come from the render registry
(:mod:`reportgen.render.kinds`); the paragraphs themselves are in
:mod:`reportgen.render.method_text`.
"""

from __future__ import annotations

from reportgen.render.format import fmt_int, fmt_seconds
from reportgen.render.kinds import section_kind
from reportgen.render.views import CostRow, Fact, HashRow
from reportgen.results.document import Result, ResultDocument


def analysis_label(result: Result) -> str:
    """A result's name in the appendix, as its kind's registry entry words it."""
    return section_kind(result.kind).label_of(result)


def how_computed(groups: dict[str, list[Result]], *, seed: int) -> list[Fact]:
    """One paragraph per analysis, labelled by its heading (and model, if there are several)."""
    several = sum(1 for results in groups.values() if results) > 1
    facts = []
    for model, results in groups.items():
        for result in results:
            entry = section_kind(result.kind)
            label = entry.label_of(result) + (f" ({model})" if several else "")
            facts.append(Fact(label, entry.explain(result, seed)))
    return facts


def not_run(doc: ResultDocument) -> list[Fact]:
    """The analyses the policy asks for that did not apply to a model, each with why."""
    return [Fact(f"{s.label} ({s.model})", f"Not run: {s.reason}.") for s in doc.skipped]


def hash_rows(doc: ResultDocument) -> list[HashRow]:
    """sha256 of the policy, each model (and its preprocessing) and each dataset, then what
    drew the report: the templates' digest and reportgen's git commit, when recorded."""
    rows = [HashRow("Policy", doc.policy.path, doc.policy.sha256)]
    for model in doc.models:
        rows.append(HashRow(f"Model {model.name}", model.path, model.sha256))
        if model.preprocessing_sha256:
            rows.append(
                HashRow(f"Preprocessing of {model.name}", "\u2014", model.preprocessing_sha256)
            )
    for data in doc.datasets:
        rows.append(HashRow(f"{data.role.capitalize()} data", data.path, data.sha256))
    if doc.run.templates_sha256:
        rows.append(HashRow("Report templates", "templates/", doc.run.templates_sha256))
    if doc.run.git_commit:
        rows.append(HashRow("reportgen source", "git commit", doc.run.git_commit))
    return rows


def cost_rows(groups: dict[str, list[Result]]) -> list[CostRow]:
    """Model evaluations and time per analysis, in reading order."""
    return [
        CostRow(
            model=model,
            analysis=analysis_label(result),
            model_rows=fmt_int(result.cost.model_rows),
            model_calls=fmt_int(result.cost.model_calls),
            wall_time=fmt_seconds(result.cost.wall_seconds),
            model_time=fmt_seconds(result.cost.model_seconds),
        )
        for model, results in groups.items()
        for result in results
    ]
