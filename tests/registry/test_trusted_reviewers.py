"""Only reviewers the organisation trusts can sign a version off (issue #8).

Before, `reportgen review --approve` with a key made a minute earlier made `show` say APPROVED.
Now a version's signoff.json, fixed when it is published and covered by its manifest, names
the trusted reviewers (name, roles, key fingerprint); an attestation counts only when its key
is one of theirs, under that name, for one of that reviewer's roles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry.manifest import manifest_sha256
from reportgen.registry.review import (
    SIGNOFF_FILE,
    Attestation,
    review_status,
    reviews_dir,
    signoff_bytes,
)
from reportgen.registry.signing import (
    fingerprint_file,
    init_keys,
    load_private_key,
    public_pem,
    sign_bytes,
)
from reportgen.render.trail_text import review_sentence
from reportgen.results import canonical_json
from reportgen.results.trail import Decision, TrustedReviewer
from tests.registry.test_review import approve, publish_version

ANN, BOB = "Ann Lee", "Bob Stone"
LATER = "it applies to versions published after that"
NOBODY = "no trusted reviewer was declared (review.reviewers) when it was published"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Private keys of Ann and Bob, whom the policy trusts, and of Mallory, whom it does not."""
    base = tmp_path_factory.mktemp("keys")
    ann, bob, mallory = (init_keys(base / name)[0] for name in ("ann", "bob", "mallory"))
    return ann, bob, mallory


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def forge(
    version: Path, key: Path, reviewer: str, role: str, decision: Decision = "approve"
) -> Path:
    """A well-formed, correctly signed attestation written by hand, as an attacker (or an older
    reportgen) could: record_review would refuse it."""
    private = load_private_key(key)
    manifest = json.loads((version / "manifest.json").read_bytes())
    data = canonical_json(
        Attestation(
            policy_id=manifest["policy_id"],
            version=manifest["version"],
            manifest_sha256=manifest_sha256(version),
            decision=decision,
            reviewer=reviewer,
            role=role,
            comment="looks fine to me",
            at="2025-03-04T10:00:00+00:00",
            public_key_pem=public_pem(private.public_key()).decode("ascii"),
            public_key_fingerprint=fingerprint_file(key),
        )
    )
    folder = reviews_dir(version)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"20250304T100000Z-{role}-forged.json"
    path.write_bytes(data)
    path.with_suffix(".sig").write_bytes(sign_bytes(private, data))
    return path


@pytest.mark.parametrize(
    "who, reason",
    [
        (
            (2, "Mallory", "risk_officer"),
            "key {mallory} belongs to no trusted reviewer of this version",
        ),
        ((0, BOB, "risk_officer"), "key {ann} is trusted for 'Ann Lee', not for 'Bob Stone'"),
        ((0, ANN, "risk_officer"), "Ann Lee is trusted for model_validator, not for risk_officer"),
    ],
    ids=["unknown key", "someone else's name", "a role not theirs"],
)
def test_an_untrusted_attestation_is_listed_with_its_reason_and_never_counts(
    tmp_path: Path, keys, who: tuple[int, str, str], reason: str
) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=["risk_officer"])
    forge(v1, keys[who[0]], who[1], who[2])
    status = review_status(v1)
    assert (status.state, status.approved_roles, status.missing_roles) == (
        "pending",
        [],
        ["risk_officer"],
    )
    [check] = status.attestations
    expected = reason.format(ann=fingerprint_file(keys[0]), mallory=fingerprint_file(keys[2]))
    assert (check.valid, check.trusted, check.counts, check.problem) == (
        True,
        False,
        False,
        expected,
    )
    shown = invoke("show", v1)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[5:7] == [
        "sign-off:  PENDING: Awaiting sign-off by: risk_officer. (required roles: risk_officer)",
        f"  approve {who[1]} ({who[2]})  2025-03-04T10:00:00+00:00  UNTRUSTED, not counted: "
        f"{expected}",
    ]


def test_an_untrusted_rejection_does_not_block_a_trusted_approval(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=["risk_officer"])
    forge(v1, keys[2], "Mallory", "risk_officer", decision="reject")
    approve(v1, keys[1], "risk_officer", reviewer=BOB)
    status = review_status(v1)
    assert (status.state, status.rejected_by) == ("approved", [])
    assert review_sentence(status) == "Approved (risk_officer)."


def test_a_version_without_trusted_reviewers_cannot_be_approved(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=[], reviewers=[])
    forge(v1, keys[0], ANN, "model_validator")
    status = review_status(v1)
    assert (status.state, status.blocked, status.trusted_reviewers) == ("pending", NOBODY, [])
    assert [c.problem for c in status.attestations] == [NOBODY]
    shown = invoke("show", v1)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[5] == (
        f"sign-off:  PENDING: Nothing can approve it: {NOBODY}. (required roles: none)"
    )


def test_show_json_lists_the_trusted_reviewers(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2])
    review = json.loads(invoke("show", v1, "--json").stdout)["review"]
    assert review["trusted_reviewers"] == [
        {"name": ANN, "roles": ["model_validator"], "fingerprint": fingerprint_file(keys[0])},
        {"name": BOB, "roles": ["risk_officer"], "fingerprint": fingerprint_file(keys[1])},
    ]
    assert review["blocked"] is None


def test_adding_oneself_to_signoff_json_later_blocks_every_review(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=["risk_officer"])
    mallory = TrustedReviewer(
        name="Mallory", roles=["risk_officer"], fingerprint=fingerprint_file(keys[2])
    )
    (v1 / SIGNOFF_FILE).write_bytes(signoff_bytes(["risk_officer"], [mallory]))
    forge(v1, keys[2], "Mallory", "risk_officer")
    changed = "signoff.json was changed after publishing (it does not match the manifest)"
    status = review_status(v1)
    assert (status.state, status.blocked) == ("pending", changed)
    assert review_sentence(status) == f"Nothing can approve it: {changed}."
    result = invoke(
        "review", v1, "--approve", "--reviewer", "Mallory", "--role", "risk_officer",
        "--comment", "ok", "--key", keys[2],
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {v1}: {changed}, so no review of it can count; run reportgen verify on it\n"
    )
    verified = invoke("verify", v1)
    assert verified.exit_code == 1
    assert "verify: signoff.json: content changed (sha256 differs from manifest.json)" in (
        verified.stderr.splitlines()
    )


# --- reportgen review refuses up front ---------------------------------------------------------


def review(version: Path, key: Path, reviewer: str, role: str) -> Result:
    return invoke(
        "review", version, "--approve", "--reviewer", reviewer, "--role", role,
        "--comment", "ok", "--key", key,
    )  # fmt: skip


@pytest.mark.parametrize(
    "who, message",
    [
        (
            (2, "Mallory", "risk_officer"),
            "{key}: not trusted to sign off credit-default v1 as Mallory (risk_officer): key "
            "{mallory} belongs to no trusted reviewer of this version; ask the policy owner to "
            "add you under review.reviewers (name 'Mallory', role 'risk_officer', this "
            f"fingerprint); {LATER}",
        ),
        (
            (0, BOB, "risk_officer"),
            "{key}: not trusted to sign off credit-default v1 as Bob Stone (risk_officer): key "
            "{ann} is trusted for 'Ann Lee', not for 'Bob Stone'; review under the name the "
            "policy gives you, with your own key",
        ),
        (
            (0, ANN, "risk_officer"),
            "{key}: not trusted to sign off credit-default v1 as Ann Lee (risk_officer): Ann Lee "
            "is trusted for model_validator, not for risk_officer; ask the policy owner to add "
            f"role 'risk_officer' to 'Ann Lee' under review.reviewers; {LATER}",
        ),
    ],
    ids=["unknown key", "someone else's name", "a role not theirs"],
)
def test_review_refuses_a_key_not_trusted_for_that_name_and_role(
    tmp_path: Path, keys, who: tuple[int, str, str], message: str
) -> None:
    v1 = publish_version(tmp_path, keys[:2])
    key = keys[who[0]]
    result = review(v1, key, who[1], who[2])
    assert result.exit_code == 3
    expected = message.format(
        key=key, ann=fingerprint_file(keys[0]), mallory=fingerprint_file(keys[2])
    )
    assert result.stderr == f"error: {expected}\n"
    assert not reviews_dir(v1).exists()  # nothing written


def test_review_refuses_when_the_version_trusts_nobody(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=[], reviewers=[])
    with pytest.raises(RegistryError) as caught:
        approve(v1, keys[0], "model_validator")
    assert str(caught.value) == (
        f"{v1}: not trusted to sign off credit-default v1 as Ann Lee (model_validator): "
        f"{NOBODY}; ask the policy owner to list reviewers there; {LATER}"
    )
    result = review(v1, keys[0], ANN, "model_validator")
    assert (result.exit_code, result.stderr) == (3, f"error: {caught.value}\n")
    assert not reviews_dir(v1).exists()


def test_a_trusted_reviewer_is_recorded_and_counts(tmp_path: Path, keys) -> None:
    v1 = publish_version(tmp_path, keys[:2], roles=["risk_officer"])
    result = review(v1, keys[1], BOB, "risk_officer")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sign-off: APPROVED: Approved (risk_officer)."
    [check] = review_status(v1).attestations
    assert (check.valid, check.trusted, check.counts, check.problem) == (True, True, True, None)
