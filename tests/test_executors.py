"""Issue #9: the numbers do not depend on where the work runs or on how it is cut into shards.

The same policy and seed give the same results document in this process, in this process cut
into 7 shards, in local worker processes and on a real Dask cluster (a
``distributed.LocalCluster`` with two worker processes), apart from what describes the execution
itself: the clock, the executor's name and how many batches the model saw (and differentially
private cohort figures, which carry fresh noise on every run by design).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from reportgen import engine
from reportgen.analyses.work import InProcess
from reportgen.errors import AnalysisError
from reportgen.inputs import ResolvedInputs
from reportgen.policy import load_policy
from reportgen.results import ResultDocument, canonical_json
from tests.conftest import ROOT, policy_with
from tests.test_gates_end_to_end import LENIENT_CHECKS

EXECUTION = {"created_at", "wall_seconds", "model_seconds", "model_calls", "model_rows", "executor"}
"""Fields that describe the execution. ``model_rows`` is among them: each shard evaluates the
model on its own copy of the setup rows (a SHAP background's outputs, permutation importance's
baseline score), so cutting the work into more shards honestly costs a few more model rows."""


def comparable(doc: ResultDocument) -> Any:
    """The document without the fields that describe the execution, not the results."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if k not in EXECUTION}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    plain = json.loads(canonical_json(doc))
    # differentially private figures carry fresh noise on every run, by design, and so do the
    # hashes the traceability matrix holds of them
    noised = {r["kind"] for r in plain["results"] if r.get("noised")}
    plain["results"] = [r for r in plain["results"] if not r.get("noised")]
    for row in (plain.get("traceability") or {}).get("rows", []):
        for evidence in row["evidence"]:
            if evidence["kind"] == "result" and evidence["ref"] in noised:
                evidence["sha256"] = None
    return walk(plain)


def quick(tmp_path: Path) -> Path:
    """The credit policy with small budgets; every analysis and check runs."""
    policy = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    data = yaml.safe_load(policy.read_text())
    data["explanations"] = {
        "local": {"methods": ["shap", "lime"], "sample_size": 4, "top_k": 3},
        "shap": {"background_size": 20, "global_rows": 24, "permutations": 2},
        "lime": {"num_samples": 300},
        "permutation": {"n_repeats": 3},
    }
    data["checks"] = {**LENIENT_CHECKS, "global_stability": {"shap_bootstrap": 50}}
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    return policy


def compute(policy: Path, key_dir: Path, executor: str = "in-process") -> ResultDocument:
    return engine.compute(load_policy(policy), key_dir=key_dir, executor=executor)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ResultDocument]:
    """The quick policy, a pseudonym key folder and its document computed in this process."""
    tmp = tmp_path_factory.mktemp("executors")
    policy = quick(tmp)
    return policy, tmp, compute(policy, tmp)


class _CutInto:
    """An executor that runs here but cuts every task into ``shards`` pieces."""

    def __init__(self, shards: int) -> None:
        self.shards, self.name = shards, f"in-process ({shards} shards)"

    def runner(self, inputs: ResolvedInputs, index: int) -> InProcess:
        return InProcess(inputs.models[index].adapter, shards=self.shards)


def test_cutting_the_work_into_shards_changes_no_number(setup, monkeypatch) -> None:
    policy, keys, reference = setup

    @contextmanager
    def seven(spec: str, *, workers: int | None = None) -> Iterator[_CutInto]:
        yield _CutInto(7)

    monkeypatch.setattr(engine, "open_executor", seven)
    sharded = compute(policy, keys)
    assert sharded.run.executor == "in-process (7 shards)"
    assert comparable(sharded) == comparable(reference)
    assert _rows(sharded) >= _rows(reference) > 0  # the same work plus each shard's setup


def _rows(doc: ResultDocument) -> int:
    return sum(r.cost.model_rows for r in doc.results)


@pytest.mark.parametrize("executor", ["processes", "dask-local"])
def test_workers_in_other_processes_give_the_same_numbers(setup, executor) -> None:
    policy, keys, reference = setup
    elsewhere = compute(policy, keys, executor)
    assert elsewhere.run.executor == f"{executor} ({os.cpu_count()} workers)"
    assert comparable(elsewhere) == comparable(reference)
    assert _rows(elsewhere) >= _rows(reference)  # workers' model costs are counted here


def test_an_unknown_scheduler_address_is_one_sentence(setup) -> None:
    policy, keys, _ = setup
    with pytest.raises(AnalysisError, match=r"^--executor dask://127\.0\.0\.1:9: no Dask"):
        compute(policy, keys, "dask://127.0.0.1:9")


@pytest.mark.slow
def test_a_dask_worker_killed_mid_run_changes_no_number(setup) -> None:
    """The scheduler reruns a dead worker's shards elsewhere; the numbers stay the same."""
    import distributed

    policy, keys, reference = setup
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        killed: list[int] = []
        victim = sorted(pids.values())[0]
        killer = threading.Thread(target=_kill_when_busy, args=(client, victim, killed))
        killer.start()
        try:
            found = compute(policy, keys, "dask://" + cluster.scheduler_address.split("://")[1])
        except AnalysisError as exc:  # the other promise: exit 3, nothing published
            assert killed == [victim] and "nothing was published" in str(exc)
            return
        finally:
            killer.join()
        assert victim not in client.run(os.getpid).values()  # it died; its nanny replaced it
    assert killed == [victim]
    assert comparable(found) == comparable(reference)


def _kill_when_busy(client: Any, pid: int, killed: list[int]) -> None:
    """Kill a worker process once the cluster has started processing tasks."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(client.processing().values()):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["credit", "medical"])
def test_the_examples_give_the_same_numbers_on_every_executor(name, tmp_path) -> None:
    policy = ROOT / "policies" / f"{name}.yaml"
    here = compute(policy, tmp_path)
    for executor in ("processes", "dask-local"):
        assert comparable(compute(policy, tmp_path, executor)) == comparable(here), executor
