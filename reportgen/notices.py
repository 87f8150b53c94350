"""Reason codes for a file of decisions: the operational output behind adverse-action notices.

:func:`write_reason_notices` reads a decision file (the evaluation data's columns, the target
optional), scores every applicant with the policy's model and writes, for each declined one, a
row with the applicant's own id, P(adverse) and up to ``max_reasons`` reason codes with their
statements. The reasons are computed exactly as the report's (:mod:`reportgen.analyses.reasons`:
the same reference, families, estimator and per-applicant seeds), so an applicant who is also an
audit case of the report gets the same reasons in both.

The output holds personal data (an identifiable applicant's score and the reasons for declining
them): it is never part of a report, it is created readable by its owner only (mode 0600), and
it is written atomically, to a temporary file in the same folder that is renamed over ``out``
only once complete, so an error leaves nothing half-written.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportgen.analyses.reasons import (
    NO_REASON,
    ReasonSetup,
    applicant_seeds,
    explain_reasons,
    reason_setup,
)
from reportgen.engine import one_torch_thread
from reportgen.errors import InputError, PolicyError
from reportgen.executors import open_executor
from reportgen.inputs import resolve_inputs
from reportgen.inputs.datasets import load_decisions
from reportgen.policy import LoadedPolicy, load_policy


@dataclass(frozen=True)
class Notices:
    """What `reportgen reasons` wrote: ``declined`` rows for ``applicants`` scored."""

    out: Path
    model: str
    applicants: int
    declined: int
    seconds: float
    """Wall time from reading the decision file to the renamed output."""

    @property
    def rows_per_second(self) -> float:
        """Decision-file rows handled per second."""
        return self.applicants / self.seconds if self.seconds > 0 else float("inf")


def write_reason_notices(
    policy_path: str | Path,
    data_path: str | Path,
    out: str | Path,
    *,
    model: str | None = None,
    root: Path | None = None,
    executor: str = "in-process",
) -> Notices:
    """Write the reason codes of every declined applicant of ``data_path`` to ``out`` (CSV).

    Args:
        model: the policy's model to use; may be omitted when the policy has one.
        root: confines the policy's files as `reportgen validate --root` does.
        executor: where the SHAP work runs (:mod:`reportgen.executors`); same rows either way.

    Raises:
        PolicyError: the policy is invalid, declares no decision.reasons, or has no such model.
        InputError: the decision file, the policy's model or data cannot be used, or ``out``
            cannot be written; nothing is written then.
        AnalysisError: the reasons cannot be computed (e.g. too few reference applicants).
    """
    data_path, out = Path(data_path), Path(out)
    loaded = load_policy(policy_path, root=root)
    index = _model_index(loaded, model)
    _check_out(out, data_path)
    started = time.perf_counter()
    inputs = resolve_inputs(loaded)
    resolved = inputs.models[index]
    adapter = resolved.tabular
    policy = loaded.policy
    frame = load_decisions(data_path, policy.data)
    codes = adapter.codec.to_codes(frame, source=f"{data_path} (--data)")
    reference = adapter.codec.to_codes(inputs.reference.frame)
    setup = reason_setup(policy, adapter, reference, inputs.reference.frame)
    score = adapter.predict_codes(codes)[:, setup.adverse]
    declined = np.flatnonzero(score >= setup.cutoff)
    ids = frame[policy.data.id_column].to_numpy(dtype=str)
    with open_executor(executor) as pool, one_torch_thread():
        reasons = explain_reasons(
            pool.runner(inputs, index),
            setup,
            codes[declined],
            applicant_seeds(policy.seed, ids[declined]),
        )
    header = _header(policy.data.id_column, setup)
    rows = _rows(setup, ids[declined], score[declined], reasons.ranked)
    write_csv_atomically(out, header, rows)
    return Notices(out, adapter.name, len(frame), len(declined), time.perf_counter() - started)


def _model_index(loaded: LoadedPolicy, model: str | None) -> int:
    policy, path = loaded.policy, loaded.path
    if policy.decision is None or policy.decision.reasons is None:
        raise PolicyError(
            f"{path}: decision.reasons: the policy declares no reason codes; add "
            "decision.reasons (reference and families) to write reasons"
        )
    names = [m.name for m in policy.models]
    if model is None:
        if len(names) > 1:
            raise PolicyError(
                f"{path}: models: the policy has {len(names)} models ({', '.join(names)}); "
                "choose one with --model"
            )
        return 0
    if model not in names:
        raise PolicyError(f"{path}: models: no model named '{model}'; expected one of {names}")
    return names.index(model)


def _check_out(out: Path, data_path: Path) -> None:
    """``out`` names a file that can be written and is not the decision file."""
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give --out a file name, e.g. {out / 'reasons.csv'}")
    if not out.parent.is_dir():
        raise InputError(f"{out}: its folder {out.parent} does not exist (--out)")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise InputError(f"{out}: its folder {out.parent} is not writable by this user (--out)")
    if out.exists() and data_path.exists() and out.resolve() == data_path.resolve():
        raise InputError(f"{out}: is the decision file itself; give --out another file")


def _header(id_column: str, setup: ReasonSetup) -> list[str]:
    header = [id_column, f"probability_{setup.adverse_class}"]
    for rank in range(1, setup.max_reasons + 1):
        header += [f"reason_{rank}", f"statement_{rank}"]
    return header


def _rows(
    setup: ReasonSetup, ids: np.ndarray, score: np.ndarray, ranked: np.ndarray
) -> Iterator[list[str]]:
    """One row per declined applicant, in file order; empty cells after the last reason."""
    names, statements = setup.families.names, setup.families.statements
    for applicant, probability, row in zip(ids, score, ranked, strict=True):
        cells = [str(applicant), f"{float(probability):.6f}"]
        for family in row:
            cells += ["", ""] if family == NO_REASON else [names[family], statements[family]]
        yield cells


def write_csv_atomically(out: Path, header: Sequence[str], rows: Iterator[list[str]]) -> None:
    """Write ``header`` and ``rows`` to ``out`` through a temporary file renamed over it.

    The temporary file is created owner-only (mode 0600) in ``out``'s folder, flushed to disk
    and renamed in one step; on any error it is removed and ``out`` is left as it was.

    Raises:
        InputError: the file cannot be written.
    """
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows(rows)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = ["Notices", "write_csv_atomically", "write_reason_notices"]
