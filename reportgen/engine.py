"""The engine: resolved inputs -> plan -> analyses on an executor -> privacy gate -> conditions
-> ResultDocument.

Every step is driven by the kind registry (:mod:`reportgen.kinds`): the plan is the kinds the
policy wants that apply to each model; each result is admitted by the privacy gate under its
kind's declared rule, and refused when there is none; its gates come from its kind's rule.
Rendering and publishing come after, in :mod:`reportgen.pipeline`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reportgen.analyses.cohorts import ModelCohorts
from reportgen.analyses.context import ModelData
from reportgen.analyses.imaging.context import ImageData
from reportgen.assemble import build_document
from reportgen.compliance.trace import trace
from reportgen.conditions import evaluate_gates
from reportgen.errors import AnalysisError, PrivacyError, ReportgenError
from reportgen.executors import Executor, open_executor
from reportgen.inputs import ResolvedInputs, resolve_inputs
from reportgen.inputs.resolve import input_fingerprint
from reportgen.kinds import AnalysisKind, Context, Output, kind_of, planned
from reportgen.policy import LoadedPolicy
from reportgen.policy.schema import Policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.rules import PrivacyRule
from reportgen.results import ResultDocument
from reportgen.results.base import SkippedAnalysis
from reportgen.results.document import Result

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Produced:
    """What one kind produced for one model, before the privacy gate."""

    kind: AnalysisKind
    model: str
    output: Output


def compute(
    loaded: LoadedPolicy,
    *,
    seed: int | None = None,
    progress: Progress | None = None,
    key_dir: Path,
    executor: str = "in-process",
    workers: int | None = None,
) -> ResultDocument:
    """Run every analysis the policy asks for and assemble the results document.

    Args:
        seed: overrides the policy's seed.
        key_dir: where the pseudonym key lives (or is created).
        executor: where row-sharded work runs (see :mod:`reportgen.executors`).
        workers: workers of a pool the executor starts (default: one per core).

    Raises:
        InputError, AnalysisError, PrivacyError: nothing could be computed or published.
    """
    started = datetime.now(UTC)
    if seed is not None:
        loaded = LoadedPolicy(
            loaded.policy.model_copy(update={"seed": seed}), loaded.path, loaded.sha256
        )
    inputs = resolve_inputs(loaded)
    fingerprint = input_fingerprint(loaded)
    requested = executor
    if loaded.policy.data.kind == "images":
        executor = "in-process"  # image analyses batch images and steps; they do not shard
    with open_executor(executor, workers=workers) as pool, one_torch_thread():
        produced, skipped = run_plan(inputs, pool, progress or (lambda _message: None))
        ran_on = pool.name
    if requested != executor:
        ran_on += f" (image analyses batch on the model here; --executor {requested} not used)"
    gate = PrivacyGate(
        loaded.policy,
        reference=inputs.reference.frame,
        evaluation=inputs.evaluation.frame,
        key_dir=key_dir,
        codec=inputs.models[0].tabular.codec if loaded.policy.data.kind == "tabular" else None,
    )
    results = admit(gate, produced)
    gates = evaluate_gates(results, loaded.policy.checks, _judge)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    document = build_document(
        inputs,
        results,
        gates,
        started,
        elapsed,
        fingerprint=fingerprint,
        executor=ran_on,
        skipped=skipped,
    )
    document = document.model_copy(update={"privacy": gate.report()})
    return document.model_copy(update={"traceability": trace(loaded.policy, document)})


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch single-threaded here while the analyses run (restored afterwards).

    The models explained here are small and the explainers call them in many modest batches:
    measured on the credit example on a 2-core machine, two intra-op threads made the analyses
    take 57 to 133 s against 32 s with one (the threads spin against each other and against any
    other load); parallelism comes from worker processes instead (--executor processes).
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_plan(
    inputs: ResolvedInputs, pool: Executor, say: Progress
) -> tuple[list[Produced], list[SkippedAnalysis]]:
    """Every planned kind for every model, in registry order, reporting progress; and the
    planned kinds that do not apply to a model, with the reason each states.

    Raises:
        AnalysisError: an analysis failed; the message names the model and the analysis. (A
            trust check that fails to compute becomes an ERROR result instead.)
    """
    produced: list[Produced] = []
    skipped: list[SkippedAnalysis] = []
    for index, resolved in enumerate(inputs.models):
        data = _context(inputs, index, pool)
        steps, passed_over = plan(inputs.loaded.policy, resolved.spec.name, data)
        for item in passed_over:
            say(f"[{item.model}] {item.label}: not run, because {item.reason}")
        skipped += passed_over
        for number, kind in enumerate(steps, start=1):
            where = f"[{resolved.spec.name} {number}/{len(steps)}] {kind.label}"
            say(f"{where} ...")
            start = time.perf_counter()
            produced.append(Produced(kind, resolved.spec.name, _run(kind, data)))
            say(f"{where} done in {time.perf_counter() - start:.1f} s")
    return produced, skipped


def plan(
    policy: Policy, model: str, data: Context
) -> tuple[list[AnalysisKind], list[SkippedAnalysis]]:
    """The kinds ``policy`` wants that apply to ``data`` (of model ``model``), in registry
    order, and those it wants that do not, each with the reason its kind states."""
    steps, skipped = [], []
    for kind in planned(policy):
        if kind.applies(data):
            steps.append(kind)
        else:
            reason = kind.why_not(data)
            skipped.append(
                SkippedAnalysis(model=model, analysis=kind.name, label=kind.label, reason=reason)
            )
    return steps, skipped


def _context(inputs: ResolvedInputs, index: int, pool: Executor) -> Context:
    """What the kinds of model number ``index`` run on."""
    resolved = inputs.models[index]
    if inputs.loaded.policy.data.kind == "images":
        return ImageData.build(inputs, resolved)
    return ModelData.build(inputs, resolved, runner=pool.runner(inputs, index))


def _run(kind: AnalysisKind, data: Context) -> Output:
    try:
        return kind.run(data)
    except ReportgenError:
        raise
    except (ValueError, RuntimeError, FloatingPointError, IndexError) as exc:
        raise AnalysisError(
            f"model '{data.model.name}': {kind.label} failed: {type(exc).__name__}: {exc}"
        ) from exc


def admit(gate: PrivacyGate, produced: list[Produced]) -> list[Result]:
    """What passes the privacy gate, each result under its kind's declared rule.

    Raises:
        PrivacyError: a kind declares no privacy rule, or a result belongs to no known kind.
    """
    results: list[Result] = []
    families: list[ModelCohorts] = []
    for item in produced:
        rule = _declared(item)
        if rule is PrivacyRule.COHORTS and isinstance(item.output, list):
            families += item.output
            continue
        if not isinstance(item.output, list):
            admitted = gate.admit(item.output, rule)
            if admitted is not None:
                results.append(admitted)
    return results + gate.cohorts(families)


def _declared(item: Produced) -> PrivacyRule:
    """The rule a result is admitted under: its kind's, checked against the registry."""
    outputs = item.output if isinstance(item.output, list) else [item.output]
    for output in outputs:
        if isinstance(output, ModelCohorts):
            continue
        if kind_of(output) is None:
            raise PrivacyError(
                f"privacy gate: model '{item.model}' produced a '{output.kind}' result that no "
                "known kind of analysis declares; refused"
            )
    if item.kind.privacy is None:
        raise PrivacyError(
            f"privacy gate: the '{item.kind.name}' analysis of model '{item.model}' declares no "
            "privacy rule, so nothing it computed may be published; refused"
        )
    return item.kind.privacy


def _judge(result: Result) -> Callable[..., list] | None:
    kind = kind_of(result)
    return kind.judge if kind is not None else None


__all__ = ["Produced", "Progress", "admit", "compute", "one_torch_thread", "plan", "run_plan"]
