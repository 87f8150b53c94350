"""Benchmark where the analyses run: in this process, in local worker processes, on Dask.

Run:  .venv/bin/python bench/bench_executors.py [--policies credit medical] [--workers N]

For each example policy and each executor it computes the whole results document (no
rendering) in a fresh interpreter, so each starts with nothing imported or compiled, and
prints, per analysis, the wall time and the speed-up over in-process, then the totals: the
time to start the workers (spawning them and importing torch, shap and lime), the analyses
that shard their work, those that do not, and the whole computation. It also checks
that every executor gave the same numbers (issue #9).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reportgen import engine
from reportgen.executors import open_executor
from reportgen.kinds import kind_of
from reportgen.policy import load_policy
from reportgen.results import ResultDocument, canonical_json

ROOT = Path(__file__).resolve().parent.parent
EXECUTORS = ("in-process", "processes", "dask-local")
EXECUTION = {"created_at", "wall_seconds", "model_seconds", "model_calls", "executor"}


def label(result: Any) -> str:
    kind = kind_of(result)
    name = result.kind if kind is None else kind.label
    return f"{name} [{getattr(result, 'family', '')}]" if result.kind == "cohorts" else name


def sharded(result: Any) -> bool:
    kind = kind_of(result)
    return kind is not None and not kind.shards.startswith("none")


def startup(executor: str, workers: int | None) -> float:
    """Seconds to start and warm the executor's workers, then stop them."""
    begin = time.perf_counter()
    with open_executor(executor, workers=workers):
        ready = time.perf_counter() - begin
    return ready


def comparable(doc: ResultDocument) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if k not in EXECUTION}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    plain = json.loads(canonical_json(doc))
    # differentially private figures carry fresh noise on every run, by design
    plain["results"] = [r for r in plain["results"] if not r.get("noised")]
    return walk(plain)


def measure(policy: Path, executor: str, workers: int | None, keys: Path) -> ResultDocument:
    """One computation in a fresh interpreter, so every executor starts from the same state
    (nothing imported or compiled yet); the document comes back as results.json."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, __file__, "--one", str(policy), executor, str(out)]
        command += ["--workers", str(workers)] if workers else []
        subprocess.run(command, check=True, env={**os.environ, "REPORTGEN_BENCH_KEYS": str(keys)})
        return ResultDocument.model_validate_json(out.read_bytes())


def one(policy: Path, executor: str, out: Path, workers: int | None) -> None:
    keys = Path(os.environ.get("REPORTGEN_BENCH_KEYS", Path.home() / ".config" / "reportgen"))
    doc = engine.compute(load_policy(policy), key_dir=keys, executor=executor, workers=workers)
    out.write_bytes(canonical_json(doc))


def bench(policy: Path, workers: int | None, keys: Path, repeat: int) -> None:
    docs: dict[str, ResultDocument] = {}
    starts: dict[str, float] = {}
    for executor in EXECUTORS:
        starts[executor] = startup(executor, workers) if executor != "in-process" else 0.0
        runs = [measure(policy, executor, workers, keys) for _ in range(repeat)]
        docs[executor] = sorted(runs, key=lambda d: d.run.wall_seconds)[len(runs) // 2]
    table(docs, starts)


def table(docs: dict[str, ResultDocument], starts: dict[str, float]) -> None:
    base = docs["in-process"]
    print(f"\n{base.policy.id}: seconds per analysis (speed-up over in-process)")
    names = "".join(f"{docs[e].run.executor:>30}" for e in EXECUTORS)
    print(f"  {'analysis':<46}{names}")
    for i, result in enumerate(base.results):
        cells = ""
        for executor in EXECUTORS:
            seconds = docs[executor].results[i].cost.wall_seconds
            speed = result.cost.wall_seconds / seconds if seconds else float("nan")
            cells += f"{seconds:>21.2f} s ({speed:4.2f}x)"
        print(f"  {label(result):<46}{cells}")
    for title, pick in (("sharded analyses", True), ("unsharded analyses", False)):
        cells = ""
        total = sum(r.cost.wall_seconds for r in base.results if sharded(r) == pick)
        for executor in EXECUTORS:
            seconds = sum(r.cost.wall_seconds for r in docs[executor].results if sharded(r) == pick)
            cells += f"{seconds:>21.2f} s ({total / seconds if seconds else 0:4.2f}x)"
        print(f"  {title:<46}{cells}")
    cells = "".join(f"{starts[e]:>21.2f} s        " for e in EXECUTORS)
    print(f"  {'start the workers (once per run)':<46}{cells}")
    cells = ""
    for executor in EXECUTORS:
        seconds = docs[executor].run.wall_seconds  # starting the workers included
        cells += f"{seconds:>21.2f} s ({base.run.wall_seconds / seconds:4.2f}x)"
    print(f"  {'whole computation (starting included)':<46}{cells}")
    same = all(comparable(docs[e]) == comparable(base) for e in EXECUTORS)
    print(f"  same numbers on every executor: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", nargs="+", default=["credit", "medical"])
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--repeat", type=int, default=1, help="runs per executor; the median")
    parser.add_argument(
        "--one", nargs=3, metavar=("POLICY", "EXECUTOR", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        one(Path(args.one[0]), args.one[1], Path(args.one[2]), args.workers)
        return
    keys = Path.home() / ".config" / "reportgen"
    for name in args.policies:
        bench(ROOT / "policies" / f"{name}.yaml", args.workers, keys, args.repeat)


if __name__ == "__main__":
    main()
