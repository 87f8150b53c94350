"""Signed review attestations and the sign-off status they add up to (issue: Audit trail).

Only reviewers the version trusts count (issue #8): see tests/registry/test_trusted_reviewers.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry.review import (
    SIGNOFF_FILE,
    record_review,
    review_status,
    reviews_dir,
    signoff_bytes,
)
from reportgen.registry.show import describe_version
from reportgen.registry.signing import fingerprint_file, init_keys, manifest_signer
from reportgen.render import ReportMeta, build_view, render_html
from reportgen.render.trail_text import review_sentence
from reportgen.results import canonical_json
from reportgen.results.trail import TrustedReviewer
from tests.registry.publishing import publish_files
from tests.render.render_fixture import make_document

ROLES = ["model_validator", "risk_officer"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two reviewers' private keys."""
    base = tmp_path_factory.mktemp("keys")
    return init_keys(base / "ann")[0], init_keys(base / "bob")[0]


def trusted(keys: tuple[Path, Path]) -> list[TrustedReviewer]:
    """Ann Lee, model validator, and Bob Stone, risk officer, each with their own key."""
    return [
        TrustedReviewer(
            name="Ann Lee", roles=["model_validator"], fingerprint=fingerprint_file(keys[0])
        ),
        TrustedReviewer(
            name="Bob Stone", roles=["risk_officer"], fingerprint=fingerprint_file(keys[1])
        ),
    ]


def publish_version(
    out: Path,
    keys: tuple[Path, Path],
    roles: list[str] = ROLES,
    sign: Path | None = None,
    reviewers: list[TrustedReviewer] | None = None,
) -> Path:
    """A version whose signoff.json requires ``roles`` and trusts ``reviewers`` (default: Ann
    and Bob)."""
    document = make_document()
    chosen = trusted(keys) if reviewers is None else reviewers

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document))
        if roles or chosen:
            (folder / SIGNOFF_FILE).write_bytes(signoff_bytes(roles, chosen))

    signer = manifest_signer(sign) if sign else None
    return publish_files(out, "credit-default", write, inputs={}, created_at="t", sign=signer).path


def approve(version: Path, key: Path, role: str, reviewer: str = "Ann Lee") -> Path:
    return record_review(
        version, decision="approve", reviewer=reviewer, role=role, comment="ok", key_path=key
    )


def test_approved_only_once_every_required_role_approves(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys)
    assert review_status(v1).state == "pending"
    path = approve(v1, keys[0], "model_validator")
    assert path.parent == tmp_path / "credit-default" / "reviews" / "v1"
    assert path.with_suffix(".sig").is_file()
    status = review_status(v1)
    assert (status.state, status.missing_roles) == ("pending", ["risk_officer"])
    approve(v1, keys[1], "risk_officer", reviewer="Bob Stone")
    status = review_status(v1)
    assert (status.state, status.approved_roles, status.missing_roles) == ("approved", ROLES, [])
    assert review_sentence(status) == "Approved (model_validator, risk_officer)."


def test_the_attestation_is_canonical_json_bound_to_the_manifest(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys)
    path = approve(v1, keys[0], "model_validator")
    data = json.loads(path.read_text())
    assert path.read_bytes() == canonical_json(data)
    assert data["manifest_sha256"] == review_status(v1).manifest_sha256
    assert (data["policy_id"], data["version"], data["decision"]) == (
        "credit-default",
        1,
        "approve",
    )
    assert data["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert path.name.endswith("-model_validator-ann-lee.json")


def test_a_rejection_blocks_approval(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys)
    approve(v1, keys[0], "model_validator")
    approve(v1, keys[1], "risk_officer", reviewer="Bob Stone")
    record_review(
        v1,
        decision="reject",
        reviewer="Bob Stone",
        role="risk_officer",
        comment="C6 fails on thin-file applicants",
        key_path=keys[1],
    )
    status = review_status(v1)
    assert (status.state, status.rejected_by) == ("rejected", ["Bob Stone (risk_officer)"])


def test_a_tampered_attestation_is_invalid_and_not_counted(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys, roles=["model_validator"])
    path = approve(v1, keys[0], "model_validator")
    path.write_bytes(path.read_bytes().replace(b'"comment": "ok"', b'"comment": "OK"'))
    status = review_status(v1)
    assert status.state == "pending"
    [check] = status.attestations
    assert not check.valid
    assert check.problem == (
        "the signature does not match the attestation (changed, or signed by another key)"
    )


def test_an_attestation_copied_from_v1_to_v2_is_rejected(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys, roles=["model_validator"])
    v2 = publish_version(tmp_path, keys, roles=["model_validator"])
    path = approve(v1, keys[0], "model_validator")
    reviews_dir(v2).mkdir(parents=True)
    for source in (path, path.with_suffix(".sig")):
        shutil.copy(source, reviews_dir(v2) / source.name)
    assert review_status(v1).state == "approved"
    status = review_status(v2)
    assert status.state == "pending" and status.approved_roles == []
    [check] = status.attestations
    v1_hash, v2_hash = review_status(v1).manifest_sha256, status.manifest_sha256
    assert not check.valid
    assert check.problem == (
        f"it reviews manifest sha256 {v1_hash[:12]}\u2026, not this version's {v2_hash[:12]}\u2026"
    )


def test_a_missing_signature_or_garbage_file_is_listed_as_invalid(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys, roles=["model_validator"])
    approve(v1, keys[0], "model_validator").with_suffix(".sig").unlink()
    (reviews_dir(v1) / "zz-notes.json").write_text("[1, 2]")
    problems = [c.problem for c in review_status(v1).attestations]
    assert problems[1] == "not a reportgen attestation"
    assert problems[0] is not None and problems[0].startswith("no signature file ")


def test_a_role_the_version_does_not_need_is_refused(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys)
    with pytest.raises(RegistryError) as caught:
        approve(v1, keys[0], "risk_oficer")
    assert str(caught.value) == (
        f"--role: 'risk_oficer' is not a role {v1} needs (model_validator, risk_officer)"
    )


def test_explicit_required_roles_override_the_published_ones(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys, roles=[])
    approve(v1, keys[0], "model_validator")
    assert review_status(v1).state == "approved"  # no required role: one trusted approval
    assert review_status(v1, ["model_validator", "ciso"]).missing_roles == ["ciso"]


def test_cli_review_then_show(tmp_path: Path, keys, monkeypatch) -> None:
    v1 = publish_version(tmp_path, keys, sign=keys[0])
    args = ["review", "credit-default/v1", "--out", str(tmp_path), "--approve"]
    args += ["--reviewer", "Ann Lee", "--role", "model_validator", "--comment", "fine"]
    monkeypatch.setenv("REPORTGEN_SIGNING_KEY", str(keys[0]))
    recorded = CliRunner().invoke(main, args)
    assert recorded.exit_code == 0, recorded.output
    assert recorded.stdout.splitlines()[-1] == (
        "sign-off: PENDING: Awaiting sign-off by: risk_officer."
    )
    shown = CliRunner().invoke(main, ["show", str(v1)])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    summary = describe_version(v1)
    assert lines[2] == f"manifest:  sha256 {summary.manifest_sha256}"
    assert lines[3] == f"signature: signed, signature valid; key fingerprint {summary.fingerprint}"
    assert lines[4] == "gates:     0 pass, 0 warn, 0 fail, 0 error"
    assert lines[5].startswith("sign-off:  PENDING: Awaiting sign-off by: risk_officer.")
    [check] = summary.review.attestations
    assert lines[6] == (
        f"  approve Ann Lee (model_validator)  {check.at}  valid, key {check.fingerprint[:16]}\u2026"
    )
    assert lines[7] == "          comment: fine"
    as_json = json.loads(CliRunner().invoke(main, ["show", str(v1), "--json"]).stdout)
    assert as_json["review"]["missing_roles"] == ["risk_officer"]
    assert as_json["signed"] is True and as_json["signature_valid"] is True


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "error: --key: no private key given (or set REPORTGEN_SIGNING_KEY)"),
        (["--key", "nokey.pem"], "error: nokey.pem: signing key not found"),
    ],
)
def test_cli_review_without_a_usable_key(tmp_path: Path, keys, extra, message, monkeypatch) -> None:
    monkeypatch.delenv("REPORTGEN_SIGNING_KEY", raising=False)
    v1 = publish_version(tmp_path, keys)
    args = ["review", str(v1), "--reject", "--reviewer", "A", "--role", "risk_officer"]
    result = CliRunner().invoke(main, [*args, "--comment", "no", *extra])
    assert result.exit_code == (2 if not extra else 3)
    assert result.stderr.strip() == message
    assert not reviews_dir(v1).exists()


def test_the_report_shows_the_sign_off_when_reviews_exist(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys)
    meta = ReportMeta(version_label="v1", published_at="t", review=review_status(v1))
    assert build_view(make_document(), meta).review is None  # no review recorded yet
    approve(v1, keys[0], "model_validator")
    meta = ReportMeta(version_label="v1", published_at="t", review=review_status(v1))
    view = build_view(make_document(), meta)
    assert view.review is not None and view.review.state_word == "PENDING"
    assert [(r.decision, r.reviewer, r.role) for r in view.review.rows] == [
        ("APPROVE", "Ann Lee", "model_validator")
    ]
    page = render_html(make_document(), meta)
    assert page.index('id="changes"') < page.index('id="signoff"') < page.index("trusted?</h2>")
    assert "Awaiting sign-off by: risk_officer." in page


def test_render_shows_the_stored_changes_and_the_recorded_sign_off(
    tmp_path: Path, keys, monkeypatch
) -> None:
    from reportgen.pipeline import render_results

    monkeypatch.setattr(
        "reportgen.render.files.render_pdf", lambda html, **options: b"%PDF-"
    )  # fast
    from reportgen.registry.diff import CHANGES_FILE, diff_documents

    document = make_document()
    diff = diff_documents(document, document, a_label="v1", b_label="v2")

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document))
        (folder / CHANGES_FILE).write_bytes(canonical_json(diff))
        (folder / SIGNOFF_FILE).write_bytes(signoff_bytes([], trusted(keys)))

    v1 = publish_files(tmp_path, "credit-default", write, inputs={}, created_at="t").path
    approve(v1, keys[0], "model_validator")
    render_results(v1 / "results.json", tmp_path / "again")
    page = (tmp_path / "again" / "report.html").read_text()
    assert "Compared with v1, published 2025-03-04 09:15 UTC: no differences." in page
    assert "Approved (model_validator)." in page  # no required role: one trusted approval
