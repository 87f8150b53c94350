"""Valid policies load with their documented defaults, resolve paths and hash their bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pydantic
import pytest

from reportgen.policy import LoadedPolicy, load_policy

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "valid"
MINIMAL = VALID / "minimal.yaml"


@pytest.mark.parametrize("path", sorted(VALID.glob("*.yaml")), ids=lambda p: p.name)
def test_valid_fixture_loads(path: Path) -> None:
    assert isinstance(load_policy(path), LoadedPolicy)


def test_minimal_policy_takes_the_documented_defaults() -> None:
    policy = load_policy(MINIMAL).policy
    assert (policy.id, policy.domain, policy.description, policy.seed) == (
        "credit-scoring",
        "credit",
        "",
        0,
    )
    model = policy.models[0]
    assert model.classes is None and model.positive_class is None
    assert (model.output, model.preprocessing, model.trusted, model.batch_size) == (
        "logits",
        None,
        False,
        8192,
    )
    assert model.trusted_types == []
    assert policy.data.feature_names == ["age", "income"]
    assert policy.data.sensitive == []
    assert policy.datasets.reference.format is None
    explanations = policy.explanations
    assert explanations.global_.methods == ["shap", "permutation"]
    assert explanations.local.methods == ["shap", "lime"]
    assert (explanations.local.sample_size, explanations.local.top_k) == (12, 5)
    assert explanations.shap.background_size == 100
    assert explanations.shap.global_rows == 200
    assert (explanations.shap.estimator, explanations.shap.permutations) == ("auto", 10)
    assert explanations.lime.num_samples == 5000
    assert (explanations.permutation.n_repeats, explanations.permutation.scoring) == (10, None)
    assert policy.report.formats == ["html", "pdf"]


def test_merge_keys_share_settings_between_models() -> None:
    policy = load_policy(VALID / "anchors_and_merge.yaml").policy
    scorecard, challenger = policy.models
    assert (scorecard.name, challenger.name) == ("scorecard", "challenger")
    assert challenger.path == "models/challenger.skops"
    assert challenger.classes == scorecard.classes == ["repaid", "defaulted"]
    assert challenger.positive_class == "defaulted"


def test_paths_resolve_against_the_policy_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_dir = tmp_path / "policies" / "credit"
    policy_dir.mkdir(parents=True)
    shutil.copy(MINIMAL, policy_dir / "policy.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    loaded = load_policy(os.path.join("..", "policies", "credit", "policy.yaml"))

    assert loaded.path == (policy_dir / "policy.yaml").resolve()
    assert loaded.base_dir == policy_dir.resolve()
    reference = loaded.resolve(loaded.policy.datasets.reference.path)
    assert reference == (policy_dir / "data" / "reference.csv").resolve()
    assert loaded.resolve("../shared/model.skops") == (tmp_path / "policies/shared/model.skops")


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    loaded = load_policy(MINIMAL)
    assert loaded.sha256 == hashlib.sha256(MINIMAL.read_bytes()).hexdigest()

    commented = tmp_path / "commented.yaml"
    commented.write_bytes(MINIMAL.read_bytes() + b"# reviewed\n")
    again = load_policy(commented)
    assert again.policy == loaded.policy
    assert again.sha256 != loaded.sha256


def test_loaded_policy_is_immutable() -> None:
    policy = load_policy(MINIMAL).policy
    with pytest.raises(pydantic.ValidationError):
        policy.seed = 1


def test_trusted_reviewers_are_read_with_their_fingerprints_normalised(tmp_path: Path) -> None:
    printed = "9C1E5B0F3A7D2468ACE13579BDF02468ACE13579BDF02468ACE13579BDF0AA01"
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        MINIMAL.read_text()
        + "review:\n  required_roles: [risk_officer]\n  reviewers:\n"
        + f"    - {{name: ' Ann Lee ', roles: [risk_officer], fingerprint: '{printed}'}}\n"
    )
    review = load_policy(policy).policy.review
    [ann] = review.reviewers
    assert (ann.name, ann.roles, ann.fingerprint) == ("Ann Lee", ["risk_officer"], printed.lower())
    assert review.required_roles == ["risk_officer"]


def test_a_policy_without_reviewers_trusts_nobody() -> None:
    review = load_policy(MINIMAL).policy.review
    assert (review.required_roles, review.reviewers) == ([], [])
