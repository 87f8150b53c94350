"""Signed attestations of single requirements of the traceability matrix (issue 14): a trusted
reviewer's turns 'needs attestation' into 'met' in show, re-render and trace; an unlisted key's
is untrusted and never counts; one copied from another version is rejected."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.compliance.trace import trace
from reportgen.errors import RegistryError
from reportgen.policy import load_policy
from reportgen.registry import signing
from reportgen.registry.attest import (
    RequirementRecord,
    attestations_dir,
    record_attestation,
    requirement_attestations,
)
from reportgen.registry.manifest import manifest_sha256
from reportgen.registry.review import SIGNOFF_FILE, signoff_bytes
from reportgen.registry.show import attested_matrix
from reportgen.registry.signing import fingerprint_file, init_keys
from reportgen.results import canonical_json
from reportgen.results.trail import TrustedReviewer
from tests.conftest import ROOT
from tests.registry.publishing import publish_files
from tests.render.render_fixture import make_document


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Ann's key (trusted, model validator) and Eve's (listed nowhere)."""
    base = tmp_path_factory.mktemp("keys")
    return init_keys(base / "ann")[0], init_keys(base / "eve")[0]


def publish(out: Path, keys: tuple[Path, Path]) -> Path:
    """A version of the credit fixture whose matrix traces model risk and Regulation B and whose
    signoff.json trusts Ann Lee as model validator."""
    document = make_document()
    policy = load_policy(ROOT / "policies" / "credit.yaml").policy
    document = document.model_copy(update={"traceability": trace(policy, document)})
    ann = TrustedReviewer(
        name="Ann Lee", roles=["model_validator"], fingerprint=fingerprint_file(keys[0])
    )

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document))
        (folder / SIGNOFF_FILE).write_bytes(signoff_bytes([], [ann]))

    return publish_files(out, "credit-default", write, inputs={}, created_at="t").path


def attest(version: Path, key: Path, requirement: str = "MRM-7") -> Path:
    return record_attestation(
        version,
        requirement=requirement,
        reviewer="Ann Lee",
        role="model_validator",
        comment="validated independently",
        key_path=key,
    )


def status(version: Path, requirement: str) -> str:
    matrix = attested_matrix(version)
    assert matrix is not None
    return next(r.status for r in matrix.rows if r.id == requirement)


def test_a_trusted_attestation_makes_the_requirement_met(tmp_path: Path, keys) -> None:
    v1 = publish(tmp_path, keys)
    assert status(v1, "MRM-7") == "needs attestation"
    path = attest(v1, keys[0])
    record = RequirementRecord.model_validate_json(path.read_bytes())
    assert (record.requirement, record.manifest_sha256) == ("MRM-7", manifest_sha256(v1))
    assert status(v1, "MRM-7") == "met"
    [found] = requirement_attestations(v1)["MRM-7"]
    assert found.trusted and found.fingerprint == fingerprint_file(keys[0])
    assert status(v1, "REGB-5") == "needs attestation"  # only the attested one changes


def test_refused_attestations(tmp_path: Path, keys) -> None:
    v1 = publish(tmp_path, keys)
    with pytest.raises(RegistryError, match="belongs to no trusted reviewer"):
        attest(v1, keys[1])
    with pytest.raises(RegistryError, match=r"requirement MRM-3 .* is met .*nothing to attest"):
        attest(v1, keys[0], "MRM-3")
    with pytest.raises(RegistryError, match="has no requirement 'MRM-99'; its requirements: MRM-1"):
        attest(v1, keys[0], "MRM-99")
    assert not attestations_dir(v1).exists()


def test_an_unlisted_key_is_untrusted_and_never_counts(tmp_path: Path, keys) -> None:
    """Signed by Eve, whose key the version does not list (written by hand: record refuses)."""
    v1 = publish(tmp_path, keys)
    key = signing.load_private_key(keys[1])
    record = RequirementRecord(
        policy_id="credit-default",
        version=1,
        manifest_sha256=manifest_sha256(v1),
        requirement="MRM-7",
        reviewer="Ann Lee",
        role="model_validator",
        comment="forged",
        at="2025-03-05T10:00:00+00:00",
        public_key_pem=signing.public_pem(key.public_key()).decode("ascii"),
        public_key_fingerprint=signing.fingerprint(key.public_key()),
    )
    data = canonical_json(record)
    attestations_dir(v1).mkdir(parents=True)
    (attestations_dir(v1) / "eve.json").write_bytes(data)
    (attestations_dir(v1) / "eve.sig").write_bytes(signing.sign_bytes(key, data))
    [found] = requirement_attestations(v1)["MRM-7"]
    assert not found.trusted
    assert (
        found.problem
        == f"key {fingerprint_file(keys[1])} belongs to no trusted reviewer of this version"
    )
    assert status(v1, "MRM-7") == "needs attestation"


def test_an_attestation_copied_from_another_version_is_rejected(tmp_path: Path, keys) -> None:
    v1, v2 = publish(tmp_path, keys), publish(tmp_path, keys)
    path = attest(v1, keys[0])
    attestations_dir(v2).mkdir(parents=True)
    for source in (path, path.with_suffix(".sig")):
        shutil.copy(source, attestations_dir(v2) / source.name)
    [found] = requirement_attestations(v2)["MRM-7"]
    assert not found.trusted and found.problem is not None
    assert found.problem.startswith(f"it reviews manifest sha256 {manifest_sha256(v1)[:12]}")
    assert (status(v1, "MRM-7"), status(v2, "MRM-7")) == ("met", "needs attestation")


def test_cli_attest_show_trace_and_render(tmp_path: Path, keys, monkeypatch) -> None:
    from reportgen.pipeline import render_results

    monkeypatch.setattr("reportgen.render.files.render_pdf", lambda html, **options: b"%PDF-")
    v1 = publish(tmp_path, keys)
    runner = CliRunner()
    args = ["review", str(v1), "--attest", "MRM-7", "--reviewer", "Ann Lee"]
    args += ["--role", "model_validator", "--comment", "ok", "--key", str(keys[0])]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "MRM-7 is now met: attested by Ann Lee (model_validator)" in result.output
    shown = runner.invoke(main, ["show", str(v1)])
    assert "traceability: model-risk, regulation-b: 9 met, 5 needs attestation" in shown.output
    assert "MRM-7      met               attested by Ann Lee (model_validator)" in shown.output

    exported = {}
    for form in ("csv", "json", "md"):
        out = runner.invoke(main, ["trace", str(v1), "--framework", "model-risk", "--format", form])
        assert out.exit_code == 0, out.output
        exported[form] = out.output
    rows = list(csv.DictReader(io.StringIO(exported["csv"])))
    assert [r["id"] for r in rows] == [f"MRM-{n}" for n in range(1, 10)]
    assert rows[6]["status"] == "met" and rows[6]["attested_by"].startswith(
        "Ann Lee (model_validator)"
    )
    as_json = json.loads(exported["json"])
    assert [(r["id"], r["status"]) for r in as_json] == [(r["id"], r["status"]) for r in rows]
    table = [line.split(" | ") for line in exported["md"].splitlines()[2:]]
    assert [(cells[1], cells[5]) for cells in table] == [(r["id"], r["status"]) for r in rows]
    unknown = runner.invoke(main, ["trace", str(v1), "--framework", "eu-ai-act"])
    assert unknown.exit_code == 2
    assert "traces no 'eu-ai-act'; it traces model-risk, regulation-b" in unknown.output

    render_results(v1 / "results.json", tmp_path / "again")
    page = (tmp_path / "again" / "report.html").read_text()
    row = page[page.index("<td>MRM-7<br>") : page.index("<td>MRM-8<br>")]
    assert "badge pass small" in row and "Ann Lee (model_validator)" in row
