"""generate_report(): compute the results document, render it into a staging folder, publish.

The CLI calls the functions here and nothing deeper. Each function raises only reportgen errors.
Computing is :func:`reportgen.engine.compute`; rendering writes into the registry's staging
folder of the next version, and the registry publishes that folder: it never calls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportgen.assemble import input_hashes
from reportgen.engine import Progress, compute
from reportgen.errors import RegistryError, RenderError, ReportgenError
from reportgen.inputs import ResolvedInputs, resolve_inputs
from reportgen.inputs.resolve import input_fingerprint
from reportgen.policy import LoadedPolicy, load_policy
from reportgen.policy.schema import Policy
from reportgen.registry import (
    DEFAULT_LOCK_TIMEOUT,
    MANIFEST,
    Publication,
    Published,
    check_publishable,
    latest,
    open_publication,
)
from reportgen.registry.diff import CHANGES_FILE, diff_since
from reportgen.registry.folders import folder_problem
from reportgen.registry.history import record_run, record_version
from reportgen.registry.show import version_trail
from reportgen.registry.signing import manifest_signer
from reportgen.registry.signoff import SIGNOFF_FILE, signoff_bytes
from reportgen.results import RESULTS_FILE, ResultDocument, canonical_json, load_results
from reportgen.results.traceability import with_attestations
from reportgen.results.trail import TrustedReviewer

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
    policy_path: str | Path,
    *,
    seed: int | None = None,
    progress: Progress | None = None,
    executor: str = "in-process",
) -> ResultDocument:
    """Run every analysis the policy asks for and assemble the results document (publish
    nothing); see :func:`reportgen.engine.compute`."""
    loaded = load_policy(policy_path)
    return compute(loaded, seed=seed, progress=progress, key_dir=DEFAULT_KEY_DIR, executor=executor)


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
    executor: str = "in-process",
) -> Report | NoChange:
    """Compute, render and publish the next version of the policy's report under ``out``.

    With ``signing_key`` (an Ed25519 private key file) the manifest is signed. When the policy,
    model, preprocessing and data files, seed and reportgen version are those of the latest
    version, nothing is computed: the run is recorded in the history index as 'no_change' and
    a ``NoChange`` is returned, unless ``force``. ``root`` confines the policy's files as in
    :func:`validate_policy`. When another run is publishing this policy, ``on_wait`` hears whom
    the run waits for, at most ``lock_timeout`` seconds. ``executor`` says where the analyses'
    row-sharded work runs (:mod:`reportgen.executors`); the numbers do not depend on it.
    """
    sign = manifest_signer(signing_key) if signing_key is not None else None
    loaded, out = load_policy(policy_path, root=root), Path(out)
    check_publishable(out, loaded.policy.id)  # fail now, not after computing
    unchanged = None if force else _unchanged(loaded, out, seed)
    if unchanged is not None:
        return unchanged
    document = compute(loaded, seed=seed, progress=progress, key_dir=out, executor=executor)
    with open_publication(
        out,
        document.policy.id,
        inputs=input_hashes(document),
        created_at=document.run.created_at,
        lock_timeout=lock_timeout,
        on_wait=on_wait,
    ) as publication:
        _write_version(publication, document, loaded.policy, progress)
        published = publication.commit(sign=sign)
        record_version(out, published, document)  # still under the policy's lock
    _update_site(out, published, lock_timeout)
    return Report(published, document)


def _update_site(out: Path, published: Published, lock_timeout: float) -> None:
    """Rewrite the registry's index page (and add the new diff page) after a publish.

    Raises:
        RegistryError: the page could not be written; the version itself is published.
    """
    from reportgen.site import INDEX, write_site

    try:
        write_site(out, rewrite_diffs=False, lock_timeout=lock_timeout)
    except ReportgenError as exc:
        raise RegistryError(
            f"{out / INDEX}: v{published.version} was published but the index page was not "
            f"updated ({exc}); run `reportgen site --out {out}`"
        ) from exc


def _write_version(
    publication: Publication, document: ResultDocument, policy: Policy, progress: Progress | None
) -> None:
    """Write every file of the version into the publication's staging folder: the results, the
    changes since the previous version, the sign-off record, then the HTML and the PDF (which
    embeds the draft manifest of the files written before it)."""
    from reportgen.render import ReportMeta, write_report

    folder, label = publication.staging, f"v{publication.version}"
    formats = list(policy.report.formats)
    if progress is not None:
        progress(f"rendering {', '.join(formats)} for {label} ...")
    (folder / RESULTS_FILE).write_bytes(canonical_json(document))
    previous = publication.previous
    changes = diff_since(previous, document, label=label) if previous else None
    if changes is not None:
        (folder / CHANGES_FILE).write_bytes(canonical_json(changes))
    if policy.review.reviewers:
        (folder / SIGNOFF_FILE).write_bytes(_signoff(policy))
    meta = ReportMeta(label, published_at=document.run.created_at, changes=changes)
    write_report(
        folder,
        document,
        meta,
        formats,
        attachments=lambda: {MANIFEST: canonical_json(publication.draft_manifest())},
    )


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
        now = input_fingerprint(loaded, seed)
    except OSError:
        return None  # a missing file: computing reports it properly
    if previous.manifest.inputs.get("fingerprint") != now:
        return None
    record_run(out, policy.id, "no_change", version=previous.version)
    return NoChange(policy.id, previous, now)


def render_results(results_path: str | Path, out: str | Path) -> list[Path]:
    """Re-render report.html and report.pdf from a stored results.json into ``out``.

    When the results file lies in a published version, the report shows its label, its stored
    changes and its sign-off as it stands now.

    Raises:
        InputError: the results file is unusable. RegistryError: the version beside it is
            unreadable. RenderError: ``out`` is a file, not writable or a published version
            (versions are immutable), or rendering or writing failed; then nothing was written.
    """
    from reportgen.render import ReportMeta, write_report_into

    results_path, out = Path(results_path), Path(out)
    problem = folder_problem(out)
    if problem is not None:
        raise RenderError(problem)
    document = load_results(results_path, verb="render")
    if (out / MANIFEST).exists():
        raise RenderError(
            f"{out}: is a published version, which is immutable; choose another --out folder"
        )
    trail = version_trail(results_path.parent)
    if document.traceability is not None and trail.attestations:
        matrix = with_attestations(document.traceability, trail.attestations)
        document = document.model_copy(update={"traceability": matrix})
    meta = ReportMeta(
        trail.label,
        published_at=document.run.created_at,
        changes=trail.changes,
        review=trail.review,
    )
    return write_report_into(out, document, meta)
