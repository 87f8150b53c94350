"""generate_report(): policy -> inputs -> analyses -> results document -> render -> registry.

The CLI calls the functions here and nothing deeper. Each function raises only reportgen errors.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from reportgen import __version__
from reportgen.analyses import run_analyses
from reportgen.analyses.engine import Progress
from reportgen.conditions import evaluate_gates
from reportgen.errors import RenderError
from reportgen.inputs import ResolvedInputs, resolve_inputs
from reportgen.policy import LoadedPolicy, load_policy
from reportgen.registry import MANIFEST, Published, publish
from reportgen.registry.signing import manifest_signer
from reportgen.results import ResultDocument, canonical_json, load_results
from reportgen.results.document import DatasetInfo, FeatureInfo, ModelInfo, PolicyInfo, RunInfo

_RECORDED_LIBRARIES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "shap",
    "lime",
    "torch",
    "captum",
    "skops",
    "jinja2",
    "weasyprint",
    "matplotlib",
    "pydantic",
)


@dataclass(frozen=True)
class Report:
    """A published report version and the document behind it."""

    published: Published
    document: ResultDocument


@dataclass(frozen=True)
class Validated:
    """What `reportgen validate` checked: the policy and its loaded inputs."""

    loaded: LoadedPolicy
    inputs: ResolvedInputs


def validate_policy(policy_path: str | Path) -> Validated:
    """Load the policy, its models and datasets; compute nothing.

    Raises:
        PolicyError: the policy is invalid. InputError: a model or dataset is unusable.
    """
    loaded = load_policy(policy_path)
    return Validated(loaded, resolve_inputs(loaded))


def compute_results(
    policy_path: str | Path, *, seed: int | None = None, progress: Progress | None = None
) -> ResultDocument:
    """Run every analysis the policy asks for and assemble the results document."""
    return _compute(load_policy(policy_path), seed=seed, progress=progress)


def _compute(
    loaded: LoadedPolicy, *, seed: int | None, progress: Progress | None
) -> ResultDocument:
    started = datetime.now(UTC)
    if seed is not None:
        loaded = LoadedPolicy(
            loaded.policy.model_copy(update={"seed": seed}), loaded.path, loaded.sha256
        )
    inputs = resolve_inputs(loaded)
    results = run_analyses(inputs, progress=progress)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    return _document(inputs, results, started, elapsed)


def generate_report(
    policy_path: str | Path,
    out: str | Path,
    *,
    seed: int | None = None,
    progress: Progress | None = None,
    signing_key: Path | None = None,
) -> Report:
    """Compute, render and publish the next version of the policy's report under ``out``.

    With ``signing_key`` (an Ed25519 private key file) the manifest is signed.
    """
    sign = manifest_signer(signing_key) if signing_key is not None else None
    loaded = load_policy(policy_path)
    document = _compute(loaded, seed=seed, progress=progress)
    formats = list(loaded.policy.report.formats)
    say = progress or (lambda _m: None)

    def write(folder: Path, version: int) -> None:
        say(f"rendering {', '.join(formats)} for v{version} ...")
        (folder / "results.json").write_bytes(canonical_json(document))
        _render_into(folder, document, f"v{version}", formats)

    published = publish(
        Path(out),
        document.policy.id,
        write,
        inputs=_input_hashes(document),
        created_at=document.run.created_at,
        sign=sign,
    )
    return Report(published, document)


def render_results(results_path: str | Path, out: str | Path) -> list[Path]:
    """Re-render report.html and report.pdf from a stored results.json into ``out``.

    The version label comes from the manifest beside the results file, when there is one.

    Raises:
        InputError: the results file is unusable. RenderError: ``out`` is a published version
            (versions are immutable) or rendering failed.
    """
    results_path, out = Path(results_path), Path(out)
    document = load_results(results_path)
    if (out / MANIFEST).exists():
        raise RenderError(
            f"{out}: is a published version, which is immutable; choose another --out folder"
        )
    label = "unpublished"
    manifest_path = results_path.parent / MANIFEST
    if manifest_path.is_file():
        label = f"v{json.loads(manifest_path.read_text(encoding='utf-8'))['version']}"
    out.mkdir(parents=True, exist_ok=True)
    return _render_into(out, document, label, ["html", "pdf"])


def _render_into(
    folder: Path, document: ResultDocument, label: str, formats: Sequence[str]
) -> list[Path]:
    from reportgen.render import ReportMeta, render_html, render_pdf

    meta = ReportMeta(version_label=label, published_at=document.run.created_at)
    html = render_html(document, meta)
    written = []
    if "html" in formats:
        written.append(_write_atomic(folder / "report.html", html.encode("utf-8")))
    if "pdf" in formats:
        written.append(_write_atomic(folder / "report.pdf", render_pdf(html)))
    return written


def _write_atomic(path: Path, data: bytes) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def _document(
    inputs: ResolvedInputs, results: list[Any], started: datetime, elapsed: float
) -> ResultDocument:
    loaded = inputs.loaded
    policy = loaded.policy
    models = [
        ModelInfo(
            name=m.spec.name,
            format=m.spec.format,
            path=m.spec.path,
            sha256=m.sha256,
            preprocessing_sha256=m.preprocessing_sha256,
            task=m.spec.task,
            classes=m.adapter.classes,
            features=[FeatureInfo(name=f.name, kind=f.kind) for f in m.adapter.codec.features],
            trusted=m.spec.trusted,
        )
        for m in inputs.models
    ]
    datasets = [
        DatasetInfo(
            role=d.role,  # type: ignore[arg-type]  # "reference" | "evaluation" by construction
            path=getattr(policy.datasets, d.role).path,
            sha256=d.sha256,
            rows=len(d.frame),
            columns=d.frame.shape[1],
        )
        for d in (inputs.reference, inputs.evaluation)
    ]
    return ResultDocument(
        gates=evaluate_gates(results, policy.checks),
        policy=PolicyInfo(
            id=policy.id,
            title=policy.title,
            domain=policy.domain,
            description=policy.description,
            path=loaded.path.name,
            sha256=loaded.sha256,
        ),
        run=RunInfo(
            reportgen_version=__version__,
            created_at=started.isoformat(timespec="seconds"),
            seed=policy.seed,
            python=platform.python_version(),
            libraries=_library_versions(),
            wall_seconds=round(elapsed, 3),
        ),
        models=models,
        datasets=datasets,
        results=results,
    )


def _library_versions() -> dict[str, str]:
    found = {}
    for name in _RECORDED_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _input_hashes(document: ResultDocument) -> dict[str, Any]:
    return {
        "policy": document.policy.sha256,
        "models": {
            m.name: {"model": m.sha256, "preprocessing": m.preprocessing_sha256}
            for m in document.models
        },
        "datasets": {d.role: d.sha256 for d in document.datasets},
    }
