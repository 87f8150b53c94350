"""generate_report(): policy -> inputs -> analyses -> results document -> render -> registry.

The CLI calls the functions here and nothing deeper. Each function raises only reportgen errors.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reportgen import __version__
from reportgen.analyses import run_analyses
from reportgen.analyses.engine import Progress
from reportgen.assemble import build_document, input_hashes
from reportgen.errors import RenderError
from reportgen.inputs import ResolvedInputs, resolve_inputs
from reportgen.inputs.resolve import sha256_file
from reportgen.policy import LoadedPolicy, load_policy
from reportgen.policy.schema import Policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.registry import (
    DEFAULT_LOCK_TIMEOUT,
    MANIFEST,
    Published,
    latest,
    publish,
    read_manifest,
)
from reportgen.registry.diff import CHANGES_FILE, diff_documents, load_diff
from reportgen.registry.folders import folder_problem
from reportgen.registry.history import fingerprint, record_run, record_version
from reportgen.registry.review import (
    SIGNOFF_FILE,
    review_status,
    reviews_dir,
    signoff_bytes,
)
from reportgen.registry.signing import manifest_signer
from reportgen.registry.store import check_publishable, draft_manifest
from reportgen.results import RESULTS_FILE, ResultDocument, canonical_json, load_results
from reportgen.results.trail import Manifest, ReviewStatus, TrustedReviewer, VersionDiff

# Where the pseudonym key lives when a run publishes nowhere (compute_results, the benchmark).
DEFAULT_KEY_DIR = Path.home() / ".config" / "reportgen"


@dataclass(frozen=True)
class Report:
    """A published report version and the document behind it."""

    published: Published
    document: ResultDocument


@dataclass(frozen=True)
class NoChange:
    """A run that published nothing: policy, models, data and reportgen are as in ``latest``."""

    policy_id: str
    latest: Published
    fingerprint: str


@dataclass(frozen=True)
class Validated:
    """What `reportgen validate` checked: the policy and its loaded inputs."""

    loaded: LoadedPolicy
    inputs: ResolvedInputs


def validate_policy(policy_path: str | Path, *, root: Path | None = None) -> Validated:
    """Load the policy, its models and datasets; compute nothing.

    ``root``, when given, is the folder every file the policy names must lie in.

    Raises:
        PolicyError: the policy is invalid. InputError: a model or dataset is unusable.
    """
    loaded = load_policy(policy_path, root=root)
    return Validated(loaded, resolve_inputs(loaded))


def compute_results(
    policy_path: str | Path, *, seed: int | None = None, progress: Progress | None = None
) -> ResultDocument:
    """Run every analysis the policy asks for and assemble the results document."""
    return _compute(load_policy(policy_path), seed=seed, progress=progress)


def _compute(
    loaded: LoadedPolicy,
    *,
    seed: int | None,
    progress: Progress | None,
    key_dir: Path = DEFAULT_KEY_DIR,
) -> ResultDocument:
    """Analyses, then the privacy gate (the only way their results reach the document)."""
    started = datetime.now(UTC)
    if seed is not None:
        loaded = LoadedPolicy(
            loaded.policy.model_copy(update={"seed": seed}), loaded.path, loaded.sha256
        )
    inputs = resolve_inputs(loaded)
    analysed = run_analyses(inputs, progress=progress)
    gate = PrivacyGate(
        loaded.policy,
        reference=inputs.reference.frame,
        evaluation=inputs.evaluation.frame,
        key_dir=key_dir,
        codec=inputs.models[0].adapter.codec,
    )
    admitted = [r for r in (gate.admit(result) for result in analysed.results) if r is not None]
    results = admitted + gate.cohorts(analysed.cohorts)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    return build_document(inputs, results, started, elapsed).model_copy(
        update={"privacy": gate.report()}
    )


def generate_report(
    policy_path: str | Path,
    out: str | Path,
    *,
    seed: int | None = None,
    progress: Progress | None = None,
    signing_key: Path | None = None,
    force: bool = False,
    root: Path | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Report | NoChange:
    """Compute, render and publish the next version of the policy's report under ``out``.

    With ``signing_key`` (an Ed25519 private key file) the manifest is signed. When the policy,
    model, preprocessing and data files, seed and reportgen version are those of the latest
    version, nothing is computed: the run is recorded in the history index as 'no_change' and
    a ``NoChange`` is returned, unless ``force``. ``root`` confines the policy's files as in
    :func:`validate_policy`. When another run is publishing this policy, ``on_wait`` hears whom
    the run waits for, at most ``lock_timeout`` seconds.
    """
    sign = manifest_signer(signing_key) if signing_key is not None else None
    loaded = load_policy(policy_path, root=root)
    check_publishable(Path(out), loaded.policy.id)  # fail now, not after computing
    unchanged = None if force else _unchanged(loaded, Path(out), seed)
    if unchanged is not None:
        return unchanged
    document = _compute(loaded, seed=seed, progress=progress, key_dir=Path(out))
    formats = list(loaded.policy.report.formats)
    say = progress or (lambda _m: None)

    inputs, policy_id = input_hashes(document), document.policy.id

    def write(folder: Path, version: int) -> None:
        say(f"rendering {', '.join(formats)} for v{version} ...")
        (folder / RESULTS_FILE).write_bytes(canonical_json(document))
        changes = _changes_since(folder.parent / f"v{version - 1}", version, document)
        if changes is not None:
            (folder / CHANGES_FILE).write_bytes(canonical_json(changes))
        if loaded.policy.review.reviewers:
            (folder / SIGNOFF_FILE).write_bytes(_signoff(loaded.policy))

        def draft(folder: Path) -> Manifest:
            return draft_manifest(
                folder, policy_id, version, inputs=inputs, created_at=document.run.created_at
            )

        _render_into(folder, document, f"v{version}", formats, manifest=draft, changes=changes)

    published = publish(
        Path(out),
        policy_id,
        write,
        inputs=inputs,
        created_at=document.run.created_at,
        sign=sign,
        on_published=lambda new: record_version(Path(out), new, document),
        lock_timeout=lock_timeout,
        on_wait=on_wait,
    )
    return Report(published, document)


def _signoff(policy: Policy) -> bytes:
    """The version's signoff.json: required roles and trusted reviewers, as the policy says."""
    review = policy.review
    reviewers = [
        TrustedReviewer(name=r.name, roles=list(r.roles), fingerprint=r.fingerprint)
        for r in review.reviewers
    ]
    return signoff_bytes(review.required_roles, reviewers)


def _unchanged(loaded: LoadedPolicy, out: Path, seed: int | None) -> NoChange | None:
    """A ``NoChange`` (recorded in the index) when the latest version has these very inputs."""
    policy = loaded.policy
    previous = latest(out / policy.id)
    if previous is None:
        return None
    try:
        models = {
            m.name: {
                "model": sha256_file(loaded.resolve(m.path)),
                "preprocessing": sha256_file(loaded.resolve(m.preprocessing))
                if m.preprocessing
                else None,
            }
            for m in policy.models
        }
        datasets = {
            role: sha256_file(loaded.resolve(getattr(policy.datasets, role).path))
            for role in ("reference", "evaluation")
        }
    except OSError:
        return None  # a missing file: computing reports it properly
    used_seed = policy.seed if seed is None else seed
    now = fingerprint(loaded.sha256, models, datasets, __version__, used_seed)
    if previous.manifest.inputs.get("fingerprint") != now:
        return None
    record_run(out, policy.id, "no_change", version=previous.version)
    return NoChange(policy.id, previous, now)


def render_results(results_path: str | Path, out: str | Path) -> list[Path]:
    """Re-render report.html and report.pdf from a stored results.json into ``out``.

    The version label comes from the manifest beside the results file, when there is one.

    Raises:
        InputError: the results file is unusable. RenderError: ``out`` is a file, not writable
            or a published version (versions are immutable), or rendering or writing failed;
            then nothing was written.
    """
    results_path, out = Path(results_path), Path(out)
    problem = folder_problem(out)
    if problem is not None:
        raise RenderError(problem)
    document = load_results(results_path)
    if (out / MANIFEST).exists():
        raise RenderError(
            f"{out}: is a published version, which is immutable; choose another --out folder"
        )
    label = "unpublished"
    if (results_path.parent / MANIFEST).is_file():
        label = f"v{read_manifest(results_path.parent).version}"
    changes, review = _audit_trail(results_path.parent)
    return _render_then_move(out, document, label, changes, review)


def _render_then_move(
    out: Path,
    document: ResultDocument,
    label: str,
    changes: VersionDiff | None,
    review: ReviewStatus | None,
) -> list[Path]:
    """Render into a hidden folder inside ``out``, then move the files into place, so that a
    failure (a full disk) leaves no half-written report behind."""
    staging: Path | None = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out))
        written = _render_into(
            staging, document, label, ["html", "pdf"], changes=changes, review=review
        )
        return [path.replace(out / path.name) for path in written]
    except OSError as exc:
        raise RenderError(
            f"{out}: cannot write the report ({exc.strerror or exc}); nothing was written"
        ) from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _changes_since(previous: Path, version: int, document: ResultDocument) -> VersionDiff | None:
    """The diff from the previous version (beside the staging folder) to ``document``."""
    if version < 2 or not (previous / RESULTS_FILE).is_file():
        return None
    return diff_documents(
        load_results(previous / RESULTS_FILE),
        document,
        a_label=previous.name,
        b_label=f"v{version}",
        a_manifest=read_manifest(previous),
    )


def _audit_trail(version_dir: Path) -> tuple[VersionDiff | None, ReviewStatus | None]:
    """The changes.json beside a results file, and the reviews recorded for its version."""
    changes_path = version_dir / CHANGES_FILE
    changes = load_diff(changes_path) if changes_path.is_file() else None
    published = (version_dir / MANIFEST).is_file() and reviews_dir(version_dir).is_dir()
    return changes, review_status(version_dir) if published else None


def _render_into(
    folder: Path,
    document: ResultDocument,
    label: str,
    formats: Sequence[str],
    *,
    manifest: Callable[[Path], Manifest] | None = None,
    changes: VersionDiff | None = None,
    review: ReviewStatus | None = None,
) -> list[Path]:
    """Write the report's HTML and PDF/A-3 into ``folder``; the HTML first.

    The PDF embeds results.json and, given ``manifest``, the draft manifest of the files
    written before it (every file of the version except the PDF itself).
    """
    from reportgen.render import ReportMeta, render_html, render_pdf

    meta = ReportMeta(
        version_label=label,
        published_at=document.run.created_at,
        changes=changes,
        review=review,
    )
    html = render_html(document, meta)
    written = []
    if "html" in formats:
        written.append(_write_atomic(folder / "report.html", html.encode("utf-8")))
    if "pdf" in formats:
        attachments = {"results.json": canonical_json(document)}
        if manifest is not None:
            attachments[MANIFEST] = canonical_json(manifest(folder))
        pdf = render_pdf(
            html,
            attachments=attachments,
            attached_at=datetime.fromisoformat(document.run.created_at),
        )
        written.append(_write_atomic(folder / "report.pdf", pdf))
    return written


def _write_atomic(path: Path, data: bytes) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return path
