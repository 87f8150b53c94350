"""The history index: what publishing records, finding versions, rebuilding, skipping no-change runs."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry import Published
from reportgen.registry.history import (
    fingerprint,
    last_run,
    list_runs,
    list_versions,
    record_run,
)
from reportgen.registry.show import resolve_version
from reportgen.results import ResultDocument, canonical_json
from reportgen.results.document import GateOutcome
from tests.registry.publishing import publish_files
from tests.render.render_fixture import MODEL, make_document
from tests.test_schedule import tiny

CREATED = "2024-01-08T06:00:0{}+00:00"
EVERY_VERSION = [("credit", 1), ("credit", 2), ("medical", 1)]


def document(statuses: list[str]) -> ResultDocument:
    """A results document whose gates have ``statuses``, in this order (the index tallies them)."""
    gates = [
        GateOutcome(
            code=f"C{number}",
            check="completeness",
            model=MODEL,
            method=None,
            status=status,  # type: ignore[arg-type]  # a literal the tests choose
            actual="max error 0",
            expected="<= 1e-6",
            meaning="attributions add up",
        )
        for number, status in enumerate(statuses, start=1)
    ]
    return make_document().model_copy(update={"gates": gates})


def inputs() -> dict:
    models: dict = {"m": {"model": "m0", "preprocessing": None}}
    datasets = {"reference": "r0", "evaluation": "e0"}
    printed = fingerprint("p0", models, datasets, "0.1.0", 0)
    return {"policy": "p0", "models": models, "datasets": datasets, "fingerprint": printed}


def publish_indexed(out: Path, policy_id: str, statuses: list[str], n: int = 0) -> Published:
    """Publish a version whose results.json holds gates of ``statuses``, and index it."""

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document(statuses)))

    return publish_files(
        out,
        policy_id,
        write,
        inputs=inputs(),
        created_at=CREATED.format(n),
        index=document(statuses),
    )


def table(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(out / "index.sqlite") as db:
        return list(db.execute(sql))


@pytest.fixture
def out(tmp_path) -> Path:
    out = tmp_path / "reports"
    publish_indexed(out, "credit", ["pass", "pass", "warn"], 1)
    publish_indexed(out, "credit", ["pass", "fail", "error"], 2)
    publish_indexed(out, "medical", [], 3)
    record_run(out, "credit", "no_change", version=2)
    return out


def test_publishing_indexes_each_version_with_its_hashes_and_gate_tally(out):
    found = list_versions(out)
    assert [(v.policy_id, v.version) for v in found] == EVERY_VERSION
    second = found[1]
    assert second.gates == {"pass": 1, "warn": 0, "fail": 1, "error": 1}
    assert second.path == out / "credit" / "v2"
    manifest = (second.path / "manifest.json").read_bytes()
    assert second.manifest_sha256 == hashlib.sha256(manifest).hexdigest()
    assert second.fingerprint == inputs()["fingerprint"]
    assert second.model_sha256s == {"m": {"model": "m0", "preprocessing": None}}
    assert second.dataset_sha256s == {"reference": "r0", "evaluation": "e0"}
    assert second.policy_sha256 == "p0"
    assert (second.created_at, second.status) == (CREATED.format(2), "published")
    assert [v.version for v in list_versions(out, "medical")] == [1]
    runs = [(r.outcome, r.version) for r in list_runs(out, "credit")]
    assert runs == [("published", 1), ("published", 2), ("no_change", 2)]
    assert table(out, "SELECT version FROM schema_version") == [(1,)]
    assert table(out, "PRAGMA journal_mode") == [("wal",)]


def test_a_version_is_named_by_version_policy_or_folder(out):
    assert resolve_version("credit/v1", out) == out / "credit" / "v1"
    assert resolve_version("credit", out) == out / "credit" / "v2"  # the latest
    assert resolve_version(out / "credit" / "v1", out) == resolve_version("credit/v1", out)
    with pytest.raises(RegistryError, match=r"credit/v9: no such version \(latest v2\)$"):
        resolve_version("credit/v9", out)
    with pytest.raises(RegistryError, match=r"/nowhere: no published version of 'nowhere'$"):
        resolve_version("nowhere", out)
    with pytest.raises(RegistryError, match=r"not a report version \(expected a version folder"):
        resolve_version(out / "credit", out)


def test_a_deleted_index_is_rebuilt_equal_from_the_version_folders(out):
    versions_sql = "SELECT * FROM versions ORDER BY policy_id, version"
    runs_sql = "SELECT policy_id, at, outcome, version, detail FROM runs WHERE outcome = 'published' ORDER BY id"
    before = table(out, versions_sql), table(out, runs_sql)
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):
        (out / name).unlink(missing_ok=True)
    result = CliRunner().invoke(main, ["history", "--rebuild", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert (table(out, versions_sql), table(out, runs_sql)) == before
    assert [r.outcome for r in list_runs(out)] == ["published"] * 3  # no-change runs left no folder


def test_an_index_is_built_from_the_folders_when_missing(out):
    (out / "index.sqlite").unlink()
    assert [v.version for v in list_versions(out, "credit")] == [1, 2]
    assert last_run(out, "credit") is not None and last_run(out, "other") is None


def test_history_prints_versions_newest_last_and_no_change_runs(out):
    result = CliRunner().invoke(main, ["history", "credit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    v1, v2 = list_versions(out, "credit")
    assert lines[0].split() == [
        "policy",
        "version",
        "created",
        "(UTC)",
        "pass/warn/fail/error",
        "manifest",
    ]
    assert (
        lines[1].split() == f"credit v1 {v1.created_at} 2/1/0/0 {v1.manifest_sha256[:12]}".split()
    )
    assert (
        lines[2].split() == f"credit v2 {v2.created_at} 1/0/1/1 {v2.manifest_sha256[:12]}".split()
    )
    assert lines[4] == "recent runs with no change:"
    assert lines[5].startswith("credit  ") and lines[5].endswith("  no change since v2")
    as_json = json.loads(CliRunner().invoke(main, ["history", "--out", str(out), "--json"]).stdout)
    assert [(v["policy_id"], v["version"]) for v in as_json["versions"]] == EVERY_VERSION
    assert as_json["no_change_runs"][0]["version"] == 2


def test_history_of_a_folder_without_reports_exits_3(tmp_path):
    result = CliRunner().invoke(main, ["history", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {tmp_path}: holds no history index and no report version; "
        f"publish one with `reportgen run POLICY --out {tmp_path}`\n"
    )
    assert not (tmp_path / "index.sqlite").exists()


def run(policy: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out), "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_unchanged_run_is_skipped_until_the_policy_changes_or_force(tmp_path):
    policy, out = tiny(tmp_path), tmp_path / "reports"
    first = run(policy, out)
    skipped = run(policy, out)
    assert (first["status"], skipped["status"], skipped["version"]) == ("published", "no_change", 1)
    assert sorted(p.name for p in (out / "credit-scoring").iterdir()) == [".lock", "v1"]
    plain = CliRunner().invoke(main, ["run", str(policy), "--out", str(out)])
    v1 = out / "credit-scoring" / "v1"
    assert plain.stdout == f"no change since v1 ({v1}); --force publishes a new version\n"
    runs = [(r.outcome, r.version) for r in list_runs(out, "credit-scoring")]
    assert runs == [("published", 1), ("no_change", 1), ("no_change", 1)]
    manifest = json.loads((v1 / "manifest.json").read_text())
    assert manifest["inputs"]["fingerprint"] == skipped["fingerprint"]

    policy.write_text(policy.read_text() + "# reviewed again\n")  # same policy, other bytes
    assert run(policy, out)["version"] == 2
    assert run(policy, out, "--force")["version"] == 3
    assert [v.version for v in list_versions(out, "credit-scoring")] == [1, 2, 3]


def test_the_fingerprint_changes_with_every_input_and_only_with_them():
    base = ("p", {"m": {"model": "m", "preprocessing": "x"}}, {"reference": "r"}, "0.1.0", 0)
    changed = [
        ("q", *base[1:]),
        (base[0], {"m": {"model": "m", "preprocessing": "y"}}, *base[2:]),
        (*base[:2], {"reference": "s"}, *base[3:]),
        (*base[:3], "0.2.0", 0),
        (*base[:4], 7),  # `reportgen run --seed 7` is another report
    ]
    prints = {fingerprint(*args) for args in [base, *changed]}
    assert len(prints) == 6
    assert fingerprint(*base) == fingerprint(*base)
