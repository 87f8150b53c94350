"""`reportgen init`: draft a commented policy from a data file and a model file.

:func:`draft_policy` reads the data and the model (:mod:`.infer`), decides each column's role,
writes the policy text (:mod:`.text`) beside the target, checks it as `reportgen validate` does
and only then renames it into place: a draft that does not validate is never left behind.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen.errors import InputError, PolicyError, ReportgenError
from reportgen.inputs import resolve_inputs
from reportgen.inputs.columns import numeric_values
from reportgen.policy import load_policy
from reportgen.policy.schema import ENCODED_FORMATS
from reportgen.scaffold.infer import (
    Guess,
    ModelFacts,
    column_kinds,
    guess_id,
    guess_target,
    inspect_model,
    model_format,
    read_data,
    sensitive_columns,
    torch_outputs,
)
from reportgen.scaffold.text import Draft, policy_text

GENERIC_STEMS = frozenset({"model", "classifier", "regressor", "net", "network", "pipeline"})


@dataclass(frozen=True)
class Drafted:
    """A policy written by :func:`draft_policy`, and what it guessed."""

    path: Path
    draft: Draft


def draft_policy(
    data: Path,
    model: Path,
    out: Path,
    *,
    domain: str,
    evaluation: Path | None = None,
    target: str | None = None,
    id_column: str | None = None,
    preprocessing: Path | None = None,
    trust_pickle: bool = False,
    force: bool = False,
) -> Drafted:
    """Write a policy for ``model`` on ``data`` (and ``evaluation``, held-out data) to ``out``.

    Raises:
        PolicyError: ``out`` exists and not ``force``, or ``target``/``id_column`` is not a
            column. InputError: a file is missing or unreadable, the model's format is unknown,
            a pickle is not trusted, or the drafted policy does not validate.
    """
    if out.exists() and not force:
        raise PolicyError(f"{out}: exists already; give --force to replace it")
    fmt = model_format(model)
    if fmt == "pickle" and not trust_pickle:
        raise InputError(
            f"{model}: a plain pickle, which can run arbitrary code when loaded; save the model "
            "with skops (skops.io.dump), or pass --trust-pickle if you trust its origin"
        )
    frame = read_data(data, "--data")
    held_out = read_data(evaluation, "--evaluation") if evaluation is not None else frame
    for option, given in (("--target", target), ("--id", id_column)):
        _check_column(frame, data, option, given)
    facts = inspect_model(model, fmt, preprocessing)
    draft = _draft(frame, held_out, facts, data, evaluation, model, out, domain, target, id_column)
    _write_checked(out, policy_text(draft))
    return Drafted(out, draft)


def _draft(
    frame: pd.DataFrame,
    held_out: pd.DataFrame,
    facts: ModelFacts,
    data: Path,
    evaluation: Path | None,
    model: Path,
    out: Path,
    domain: str,
    target: str | None,
    id_column: str | None,
) -> Draft:
    columns = [str(c) for c in frame.columns]
    missing = [c for c in columns if c not in held_out.columns]
    if missing:
        raise InputError(f"{evaluation}: lacks the columns {missing} of {data} (--evaluation)")
    ident = guess_id(frame, id_column)
    roles = {ident.value, *([target] if target else [])}
    sensitive = sensitive_columns([c for c in columns if c not in roles])
    if facts.features is None:
        candidates = [c for c in columns if c not in roles | set(sensitive)]
        goal = Guess(target) if target else guess_target(candidates, facts, frame)
        features = column_kinds(frame, [c for c in candidates if c != goal.value])
    else:
        absent = [c for c in facts.features if c not in columns]
        if absent:
            raise InputError(f"{data}: lacks the model's input columns {absent} (--data)")
        features = _kinds(frame, facts.features)
        if target in features:
            raise PolicyError(f"--target: '{target}' is an input of the model, not its outcome")
        left = [c for c in columns if c not in features and c not in roles | set(sensitive)]
        goal = Guess(target) if target else guess_target(left, facts, frame)
    if facts.format in ENCODED_FORMATS:
        torch_outputs(model, facts, frame, frame[goal.value])
    base = out.parent
    return Draft(
        policy_id=_policy_id(model),
        title=f"{_policy_id(model).replace('-', ' ').capitalize()} model: explanation audit",
        domain=domain,
        data_shown=data.name,
        model_shown=model.name,
        model=facts,
        model_path=_relative(model, base),
        preprocessing_path=_relative(facts.preprocessing, base) if facts.preprocessing else None,
        numeric=[c for c, k in features.items() if k == "numeric"],
        categorical=[c for c, k in features.items() if k == "categorical"],
        target=goal,
        id_column=ident,
        sensitive=sensitive,
        reference_path=_relative(data, base),
        evaluation_path=_relative(evaluation or data, base),
        same_data=evaluation is None,
        bands={c: _bands(frame[c]) for c in sensitive if numeric_values(frame[c]) is not None},
    )


def _check_column(frame: pd.DataFrame, data: Path, option: str, given: str | None) -> None:
    if given is None or given in frame.columns:
        return
    close = difflib.get_close_matches(given, [str(c) for c in frame.columns], n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise PolicyError(f"{option}: '{given}' is not a column of {data}{hint}")


def _kinds(frame: pd.DataFrame, declared: dict[str, str]) -> dict[str, str]:
    """The model's kinds where it declares them (preprocessing), else the data's."""
    found = column_kinds(frame, list(declared))
    return {name: kind or found[name] for name, kind in declared.items()}


def _bands(column: pd.Series) -> list[float]:
    """Cohort edges at the quartiles (whole numbers when the values are)."""
    values = numeric_values(column)
    assert values is not None
    values = values[~np.isnan(values)]
    edges = np.quantile(values, [0.25, 0.5, 0.75])
    whole = bool(np.allclose(values, np.round(values)))
    rounded = [float(round(e)) if whole else float(f"{e:.3g}") for e in edges]
    return sorted(set(rounded))


def _policy_id(model: Path) -> str:
    """A slug named after the model file, or its folder when the file has a generic name."""
    stem = model.stem.lower()
    name = model.resolve().parent.name if stem in GENERIC_STEMS else stem
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:64]
    return slug or "model"


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _write_checked(out: Path, text: str) -> None:
    """Write ``text`` beside ``out``, load it as `reportgen validate` does, then rename it."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_name(f".{out.name}.draft")
        temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
    try:
        resolve_inputs(load_policy(temporary))
        os.replace(temporary, out)
    except ReportgenError as exc:
        raise InputError(
            f"{out}: the drafted policy does not validate ({exc}); nothing was written"
        ) from exc
    finally:
        temporary.unlink(missing_ok=True)
