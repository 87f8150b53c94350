"""Units of work and where they run: row-sharded tasks, and the seed of every unit.

An analysis hands its heavy, row-independent work to :meth:`Runner.map` as a *task*: a
module-level function ``task(model, shared, rows) -> outputs`` where ``rows`` holds arrays whose
first axis is the unit of work (an explained row, a perturbation draw, a bootstrap replicate...)
and ``outputs`` holds arrays (or lists) with the same first axis. A runner may cut the units into
shards and run them anywhere (this process, a process pool, a Dask cluster); outputs come back
concatenated in unit order. Every unit draws its randomness from :func:`unit_seed`, which depends
on the policy seed and the unit's own identity only, so no number depends on where the work ran
or on how many shards it was cut into.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from reportgen.inputs.models import ModelAdapter

Outputs = dict[str, Any]
"""A task's result: arrays (concatenated along axis 0) or lists (joined) per name."""
Task = Callable[[ModelAdapter, Mapping[str, Any], Mapping[str, np.ndarray]], Outputs]


class Runner(Protocol):
    """Runs tasks for one model."""

    name: str

    def map(
        self, task: Task, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]
    ) -> Outputs: ...


class InProcess:
    """Runs every task here, on the model already loaded: in one shard, or in ``shards``
    pieces one after the other (to show that sharding changes no number)."""

    name = "in-process"

    def __init__(self, model: ModelAdapter, *, shards: int = 1) -> None:
        self.model = model
        self.shards = shards

    def map(self, task: Task, shared: Mapping[str, Any], rows: Mapping[str, np.ndarray]) -> Outputs:
        if self.shards == 1 or units(rows) <= 1:
            return task(self.model, shared, rows)
        return join([task(self.model, shared, part) for part in split(rows, self.shards)])


def unit_seed(seed: int, salt: int, *unit: int) -> int:
    """The seed of one unit of work: the policy ``seed`` spawned (numpy SeedSequence) at the key
    ``(salt, *unit)``, e.g. ``(SALT_SHAP, row)`` or ``(SALT_RERUN, rerun, row)``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(salt, *unit))
    return int(sequence.generate_state(1)[0])


def unit_seeds(seed: int, salt: int, *units: Sequence[int] | np.ndarray) -> np.ndarray:
    """:func:`unit_seed` of each unit, as an int64 array; ``units`` are the columns of the
    units' keys, e.g. ``(rows,)`` or ``(reruns, rows)``, all of one length."""
    keys = zip(*units, strict=True)
    return np.array([unit_seed(seed, salt, *map(int, key)) for key in keys], dtype=np.int64)


def unit_rng(seed: int, salt: int, *unit: int) -> np.random.Generator:
    """A generator of its own for one unit of work (see :func:`unit_seed`)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(salt, *unit)))


def units(rows: Mapping[str, np.ndarray]) -> int:
    """How many units ``rows`` holds (the common length of its arrays).

    Raises:
        ValueError: the arrays disagree on their first axis.
    """
    lengths = {len(v) for v in rows.values()}
    if len(lengths) > 1:
        raise ValueError(f"a task's row arrays must share their first axis, got {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def split(rows: Mapping[str, np.ndarray], shards: int) -> list[dict[str, np.ndarray]]:
    """``rows`` cut into at most ``shards`` consecutive, non-empty pieces."""
    n = units(rows)
    edges = np.linspace(0, n, min(max(shards, 1), max(n, 1)) + 1).round().astype(int)
    return [{k: v[a:b] for k, v in rows.items()} for a, b in itertools.pairwise(edges) if b > a]


def join(parts: Sequence[Outputs]) -> Outputs:
    """Outputs of consecutive shards joined back in unit order."""
    if not parts:
        return {}
    joined: Outputs = {}
    for name, first in parts[0].items():
        if isinstance(first, np.ndarray):
            joined[name] = np.concatenate([p[name] for p in parts], axis=0)
        else:
            joined[name] = [item for p in parts for item in p[name]]
    return joined
