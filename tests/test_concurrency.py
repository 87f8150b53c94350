"""Racing publishers get consecutive versions and one chain; a killed publisher leaves no version."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from reportgen.registry import versions
from reportgen.registry.history import list_runs, list_versions, record_run
from reportgen.results import canonical_json
from tests.registry.publishing import publish_files
from tests.registry.test_history import document

CONTEXT = multiprocessing.get_context("fork")
CREATED = "2024-01-08T06:00:00+00:00"


def write_slowly(folder: Path, version: int) -> None:
    time.sleep(0.05)  # long enough for the other publishers to pile up on the lock
    (folder / "results.json").write_bytes(canonical_json(document(["pass"])))
    (folder / "report.html").write_text(f"pid {os.getpid()} v{version}")


def publish_indexed(out: Path, policy_id: str, write: Any = write_slowly) -> int:
    passed = document(["pass"])
    return publish_files(
        out,
        policy_id,
        write,
        inputs={"policy": policy_id, "fingerprint": "f"},
        created_at=CREATED,
        index=passed,
    ).version


def racer(out: Path, policy_id: str, start: Any) -> None:
    start.wait()
    publish_indexed(out, policy_id)


def race(out: Path, policy_ids: list[str]) -> None:
    start = CONTEXT.Barrier(len(policy_ids))
    workers = [CONTEXT.Process(target=racer, args=(out, p, start)) for p in policy_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * len(workers)


def assert_chain(policy_dir: Path) -> list[dict]:
    """Versions are 1..N and each manifest names its predecessor's manifest hash."""
    found = versions(policy_dir)
    assert found == list(range(1, len(found) + 1))
    manifests, previous = [], None
    for number in found:
        raw = (policy_dir / f"v{number}" / "manifest.json").read_bytes()
        manifest = json.loads(raw)
        assert (manifest["version"], manifest["previous_manifest_sha256"]) == (number, previous)
        manifests.append(manifest)
        previous = hashlib.sha256(raw).hexdigest()
    return manifests


def test_racing_publishers_get_consecutive_versions_one_chain_and_one_index_row_each(tmp_path):
    out = tmp_path / "reports"
    race(out, ["credit"] * 5)
    assert_chain(out / "credit")
    folders = [out / "credit" / f"v{n}" for n in range(1, 6)]
    writers = {(folder / "report.html").read_text().split()[1] for folder in folders}
    assert len(writers) == 5  # five processes, one version each
    indexed = [(v.path, v.manifest_sha256) for v in list_versions(out, "credit")]
    digests = [hashlib.sha256((f / "manifest.json").read_bytes()).hexdigest() for f in folders]
    assert indexed == list(zip(folders, digests, strict=True))
    with sqlite3.connect(out / "index.sqlite") as db:
        published = db.execute("SELECT COUNT(*) FROM runs WHERE outcome = 'published'")
        assert published.fetchone() == (5,)


def test_publishers_of_different_policies_share_the_index_without_losing_a_row(tmp_path):
    out = tmp_path / "reports"
    race(out, ["a", "b", "c", "a", "b", "c"])  # no common lock: only SQLite orders the writes
    for policy_id in ("a", "b", "c"):
        assert_chain(out / policy_id)
        assert [v.version for v in list_versions(out, policy_id)] == [1, 2]


def recorder(out: Path, policy_id: str, start: Any) -> None:
    start.wait()
    for _ in range(5):
        record_run(out, policy_id, "no_change", version=1)


def test_processes_creating_the_index_at_once_all_get_their_runs_recorded(tmp_path):
    out, names = tmp_path / "reports", ["a", "b", "c", "d", "e", "f"]
    start = CONTEXT.Barrier(len(names))
    workers = [CONTEXT.Process(target=recorder, args=(out, n, start)) for n in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * len(names)  # nobody met "database is locked"
    assert sorted(r.policy_id for r in list_runs(out, limit=100)) == sorted(names * 5)


def write_then_hang(folder: Path, version: int, inside: Any) -> None:
    (folder / "results.json").write_text('{"gates": [')  # half a file...
    inside.set()
    time.sleep(600)  # ...and never finishes: the parent kills it here


def hanging_publisher(out: Path, inside: Any) -> None:
    publish_indexed(out, "credit", lambda folder, version: write_then_hang(folder, version, inside))


def test_a_publisher_killed_midway_leaves_no_version_and_does_not_block_the_next(tmp_path):
    out = tmp_path / "reports"
    publish_indexed(out, "credit")
    inside = CONTEXT.Event()
    victim = CONTEXT.Process(target=hanging_publisher, args=(out, inside))
    victim.start()
    assert inside.wait(timeout=30), "the publisher never reached its writer"
    os.kill(victim.pid, signal.SIGKILL)  # holding the policy lock, half a file written
    victim.join(timeout=30)
    assert victim.exitcode == -signal.SIGKILL

    left = sorted(p.name for p in (out / "credit").iterdir())
    staging = [name for name in left if name.startswith(".v2-")]
    assert len(staging) == 1 and left == sorted([".lock", "v1", *staging])  # hidden leftover only
    assert versions(out / "credit") == [1]

    # the kernel released the dead process's lock: the next publisher does not wait on it
    successor = CONTEXT.Process(target=publish_indexed, args=(out, "credit"))
    started = time.monotonic()
    successor.start()
    successor.join(timeout=30)
    assert successor.exitcode == 0, "the next publish hung or failed after the kill"
    assert time.monotonic() - started < 30
    assert [m["version"] for m in assert_chain(out / "credit")] == [1, 2]
    assert [v.version for v in list_versions(out, "credit")] == [1, 2]
    # the successor, holding the lock, swept the dead publisher's staging folder away
    assert sorted(p.name for p in (out / "credit").iterdir()) == [".lock", "v1", "v2"]
