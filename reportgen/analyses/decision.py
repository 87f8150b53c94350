"""What the credit analyses share: the decision each applicant got, and the groups of an attribute.

An applicant's score is the model's probability of the adverse class; the applicant is approved
when the score is below the policy's cutoff (``decision.cutoff``). A sensitive attribute splits
applicants into groups: bands of a numeric column (age), else the column's values; rows without
a value form a last group, ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.analyses.cohorts import by_band, by_level
from reportgen.analyses.context import ModelData
from reportgen.errors import AnalysisError
from reportgen.inputs.columns import numeric_values
from reportgen.policy.credit import DecisionSpec
from reportgen.policy.fair_lending import FairLendingAttribute


@dataclass(frozen=True, eq=False)
class Decision:
    """Each evaluation row's score, decision and outcome.

    ``scores`` (n,) probability of the adverse class; ``approved`` (n,) score below the cutoff;
    ``adverse`` (n,) 1.0 where the observed outcome is the adverse class, else 0.0.
    """

    spec: DecisionSpec
    scores: np.ndarray
    approved: np.ndarray
    adverse: np.ndarray
    index: int
    """The adverse class's output column."""


def decision_of(data: ModelData) -> Decision:
    """The decision of every evaluation row of ``data``'s model.

    Raises:
        AnalysisError: the policy declares no decision, or the model lacks the adverse class.
    """
    spec = data.policy.decision
    classes = data.model.classes or []
    if spec is None or spec.adverse_class not in classes:
        raise AnalysisError(
            f"model '{data.model.name}': the credit analyses need a decision whose adverse class "
            f"is one of the model's classes {classes}"
        )
    index = classes.index(spec.adverse_class)
    scores = data.predictions[:, index]
    return Decision(
        spec=spec,
        scores=scores,
        approved=scores < spec.cutoff,
        adverse=(data.target == index).astype(np.float64),
        index=index,
    )


def groups_of(data: ModelData, item: FairLendingAttribute) -> tuple[list[str], np.ndarray]:
    """The attribute's group labels in display order, and each evaluation row's label.

    Raises:
        AnalysisError: the column is not in the evaluation data, or bands are given for a column
            of labels (the policy check refuses both before any work starts).
    """
    if item.attribute not in data.frame.columns:
        raise AnalysisError(f"column '{item.attribute}' is not in the evaluation data")
    column = data.frame[item.attribute]
    if item.bands is None:
        labels, index = by_level(column, None)
    else:
        numbers = numeric_values(column)
        if numbers is None:
            raise AnalysisError(
                f"column '{item.attribute}' holds labels, so it takes no bands: {item.bands}"
            )
        labels, index = by_band(numbers, item.bands)
    return labels, np.asarray(labels, dtype=object)[index]


__all__ = ["Decision", "decision_of", "groups_of"]
