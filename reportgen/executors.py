"""Where the analyses' row-sharded work runs: here, in local processes, or on a Dask cluster.

An executor turns each model into a :class:`~reportgen.analyses.work.Runner`. In-process
runners call tasks directly. The others cut a task's units into shards and ship each shard to a
worker as a module-level function, a :class:`ModelRef` (file paths and content hashes) and
arrays; the worker loads the model from its file once, refuses it if its hash changed, runs the
task and sends back the outputs with what the model cost, which is added to this process's
meter. Nothing else crosses: no model object, no open file. Each worker runs torch on its share
of the cores, so two workers do not fight over two.

Specs (``--executor``): ``in-process`` (default), ``processes`` (one worker per core),
``dask-local`` (a ``distributed.LocalCluster`` with one single-threaded worker per core),
``dask://HOST:PORT`` (an existing cluster's scheduler).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from reportgen._lazy import require
from reportgen.analyses.work import InProcess, Outputs, Runner, Task, join, split, units
from reportgen.errors import AnalysisError, InputError, PolicyError
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import ModelAdapter
from reportgen.inputs.resolve import ResolvedInputs, load_model
from reportgen.policy.loader import load_policy

CONNECT_SECONDS = 10
"""How long to wait for a Dask scheduler to answer."""
SHARDS_PER_WORKER = 4
"""Shards per worker and task: enough to balance uneven rows, few enough to keep overhead low."""


@dataclass(frozen=True)
class ModelRef:
    """How a worker loads one model: file paths and content hashes, nothing else."""

    policy_path: str
    policy_sha256: str
    index: int
    model_sha256: str
    features: tuple[tuple[str, str, tuple[str, ...]], ...]
    """The model's codec (name, kind, levels): a scikit-learn model learns its levels from the
    data, which the worker does not load."""


def model_ref(inputs: ResolvedInputs, index: int) -> ModelRef:
    resolved = inputs.models[index]
    return ModelRef(
        policy_path=str(inputs.loaded.path),
        policy_sha256=inputs.loaded.sha256,
        index=index,
        model_sha256=resolved.sha256,
        features=tuple((f.name, f.kind, f.levels) for f in resolved.tabular.codec.features),
    )


_LOADED: dict[ModelRef, ModelAdapter] = {}


def worker_model(ref: ModelRef) -> ModelAdapter:
    """The model ``ref`` names, loaded once per worker process.

    Raises:
        InputError: the policy or the model file changed since the run started.
    """
    if ref not in _LOADED:
        try:
            loaded = load_policy(ref.policy_path)
        except PolicyError as exc:
            raise InputError(f"worker: {exc}") from exc
        if loaded.sha256 != ref.policy_sha256:
            raise InputError(f"{ref.policy_path}: the policy changed while the run was under way")
        codec = FeatureCodec(tuple(Feature(n, k, lv) for n, k, lv in ref.features))  # type: ignore[arg-type]  # kinds come from a codec
        resolved = load_model(loaded, ref.index, codec=codec)
        if resolved.sha256 != ref.model_sha256:
            raise InputError(
                f"{loaded.resolve(resolved.spec.path)}: the model file changed while the run "
                "was under way"
            )
        _LOADED[ref] = resolved.tabular
    return _LOADED[ref]


def run_shard(
    task: Task,
    ref: ModelRef,
    shared: Mapping[str, Any],
    rows: Mapping[str, np.ndarray],
    threads: int,
) -> tuple[Outputs, tuple[int, int, float]]:
    """One shard in a worker: the task's outputs and the model's (rows, calls, seconds)."""
    _limit_threads(threads)
    model = worker_model(ref)
    before = model.meter.snapshot()
    found = task(model, shared, rows)
    used = model.meter.since(before)
    return found, (used.rows, used.calls, used.seconds)


def _limit_threads(threads: int) -> None:
    torch = require("torch")
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def warm(threads: int, pause: float = 0.0) -> int:
    """Make a worker ready: its torch threads set and the explainer libraries imported, once
    per worker."""
    _limit_threads(threads)
    for module in ("scipy.stats", "sklearn.metrics"):
        require(module)
    time.sleep(pause)  # holds the worker so the pool hands the next warm-up to another one
    return os.getpid()


def prepare(ref: ModelRef, threads: int, pause: float = 0.0) -> int:
    """Load a model in a worker before its first shard, so loading is not counted as work."""
    _limit_threads(threads)
    worker_model(ref)
    time.sleep(pause)  # as in warm(): lets the pool give the next one to another worker
    return os.getpid()


def _threads(workers: int) -> int:
    """torch threads per worker: the cores shared out, so workers do not fight over them."""
    return max(1, (os.cpu_count() or 1) // workers)


class Backend(Protocol):
    """A pool of workers that runs shards."""

    name: str
    workers: int
    threads: int
    """torch threads each worker uses."""

    def run(self, shards: list[tuple[Any, ...]]) -> list[tuple[Outputs, tuple[int, int, float]]]:
        """``run_shard(*shard)`` for every shard, results in the same order."""

    def prepare(self, ref: ModelRef) -> None:
        """Load the model ``ref`` names in every worker."""


class Sharded:
    """A Runner for one model whose tasks a backend runs in shards."""

    def __init__(self, backend: Backend, ref: ModelRef, model: ModelAdapter) -> None:
        self.backend, self.ref, self.model = backend, ref, model
        self.name = backend.name
        backend.prepare(ref)

    def map(self, task: Task, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]) -> Outputs:
        if units(rows) == 0:
            return task(self.model, shared, rows)
        threads = self.backend.threads
        parts = split(rows, self.backend.workers * SHARDS_PER_WORKER)
        done = self.backend.run([(task, self.ref, shared, part, threads) for part in parts])
        for _, (rows_used, calls, seconds) in done:
            self.model.meter.rows += rows_used
            self.model.meter.calls += calls
            self.model.meter.seconds += seconds
        return join([found for found, _ in done])


class Processes:
    """Local worker processes (spawned, so no torch state is inherited)."""

    def __init__(self, workers: int) -> None:
        self.workers, self.threads = workers, _threads(workers)
        self.name = f"processes ({workers} workers)"
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )
        ready = [self._pool.submit(warm, self.threads, 0.5) for _ in range(workers)]
        concurrent.futures.wait(ready)

    def prepare(self, ref: ModelRef) -> None:
        loading = [self._pool.submit(prepare, ref, self.threads, 0.3) for _ in range(self.workers)]
        for future in loading:
            future.result()

    def run(self, shards: list[tuple[Any, ...]]) -> list[tuple[Outputs, tuple[int, int, float]]]:
        futures = [self._pool.submit(run_shard, *shard) for shard in shards]
        try:
            return [future.result() for future in futures]
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise AnalysisError(
                "a worker process died while running the analyses; nothing was published"
            ) from exc

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class Dask:
    """A dask.distributed cluster: a local one started here, or one at an address."""

    def __init__(self, address: str | None, workers: int) -> None:
        distributed = require("distributed")
        spec = "dask://" + (address or "").removeprefix("tcp://")
        self._cluster = None
        if address is None:
            self._cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = distributed.Client(self._cluster)
            self.name = f"dask-local ({workers} workers)"
            self.threads = _threads(workers)
        else:
            try:
                self.client = distributed.Client(address, timeout=CONNECT_SECONDS)
            except OSError as exc:
                raise AnalysisError(
                    f"--executor {spec}: no Dask scheduler answers there within {CONNECT_SECONDS} s"
                ) from exc
            workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            self.name = f"{spec} ({workers} workers)"
            self.threads = 1  # another machine's cores: one torch thread per worker process
        self.workers = workers
        self.client.run(warm, self.threads)

    def prepare(self, ref: ModelRef) -> None:
        self.client.run(prepare, ref, self.threads)

    def run(self, shards: list[tuple[Any, ...]]) -> list[tuple[Outputs, tuple[int, int, float]]]:
        distributed = require("distributed")
        futures = [self.client.submit(run_shard, *shard, pure=False) for shard in shards]
        try:
            return list(self.client.gather(futures))
        except distributed.KilledWorker as exc:
            raise AnalysisError(
                "Dask workers kept dying while running the analyses; nothing was published"
            ) from exc

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


class Executor:
    """Runners for the models of one run, all on one backend (or in this process)."""

    def __init__(self, backend: Processes | Dask | None) -> None:
        self.backend = backend
        self.name = backend.name if backend is not None else InProcess.name

    def runner(self, inputs: ResolvedInputs, index: int) -> Runner:
        model = inputs.models[index].tabular
        if self.backend is None:
            return InProcess(model)
        return Sharded(self.backend, model_ref(inputs, index), model)


EXECUTORS = ("in-process", "processes", "dask-local", "dask://HOST:PORT")


@contextmanager
def open_executor(spec: str, *, workers: int | None = None) -> Iterator[Executor]:
    """The executor ``spec`` names, closed (its workers stopped) on exit.

    Raises:
        ValueError: an unknown spec (the command line refuses it first, as a usage error).
    """
    count = workers or os.cpu_count() or 1
    backend: Processes | Dask | None
    if spec == "in-process":
        backend = None
    elif spec == "processes":
        backend = Processes(count)
    elif spec == "dask-local":
        backend = Dask(None, count)
    elif spec.startswith("dask://"):
        backend = Dask("tcp://" + spec.removeprefix("dask://"), count)
    else:
        raise ValueError(f"executor '{spec}' is not one of {', '.join(EXECUTORS)}")
    try:
        yield Executor(backend)
    finally:
        if backend is not None:
            backend.close()


__all__ = ["EXECUTORS", "Executor", "ModelRef", "open_executor", "run_shard", "worker_model"]
