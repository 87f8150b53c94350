"""Benchmark `reportgen reasons`: rows per second on the credit example's evaluation file and on
a larger synthetic decision file.

Run:  .venv/bin/python bench/bench_reason_notices.py [--rows 5000] [--executor in-process]

The synthetic file is made in a temporary folder: applicants resampled with replacement from the
example's German credit data, each with a new id. Each figure is one call of the library
function the command runs (policy, model and data loading included). The first call in a
process also pays for one-off imports and warm-up, so the evaluation file is timed twice: cold
(first call) and warm.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from reportgen.notices import write_reason_notices

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "credit.yaml"
EVALUATION = ROOT / "examples" / "credit" / "data" / "evaluation.csv"


def synthetic(rows: int, folder: Path) -> Path:
    """``rows`` applicants drawn with replacement from the example data, with new ids."""
    source = pd.read_csv(EVALUATION, dtype=str)
    reference = pd.read_csv(ROOT / "examples" / "credit" / "data" / "reference.csv", dtype=str)
    frame = pd.concat([source, reference]).sample(n=rows, replace=True, random_state=7)
    frame["applicant_id"] = [f"S{i:07d}" for i in range(rows)]
    path = folder / f"decisions-{rows}.csv"
    frame.to_csv(path, index=False)
    return path


def timed(label: str, data: Path, out: Path, executor: str) -> None:
    started = time.perf_counter()
    notices = write_reason_notices(POLICY, data, out, executor=executor)
    seconds = time.perf_counter() - started
    print(
        f"{label:<34} {notices.applicants:>7} rows {notices.declined:>6} declined "
        f"{seconds:8.1f} s {notices.applicants / seconds:8.1f} rows/s "
        f"{notices.declined / seconds:8.1f} declined/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows of the synthetic file")
    parser.add_argument("--executor", default="in-process", help="in-process or processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        out = tmp / "reasons.csv"
        timed("evaluation file, cold (first call)", EVALUATION, out, args.executor)
        timed("evaluation file, warm", EVALUATION, out, args.executor)
        timed(f"synthetic file, {args.executor}", synthetic(args.rows, tmp), out, args.executor)


if __name__ == "__main__":
    main()
