"""What the gate vouches with: every string a result holds, every individual value it shows,
and the names the policy and model declare (which may equal a record id harmlessly)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.policy.schema import Policy
from reportgen.results.credit import RecourseResult
from reportgen.results.document import LocalExplanationsResult, Result


def case_values(result: Result) -> Iterator[tuple[str, str, str]]:
    """(case id, feature, shown value) of every individual value a result shows."""
    if isinstance(result, LocalExplanationsResult):
        for case in result.cases:
            for explanation in case.explanations:
                for item in explanation.top:
                    yield case.case_id, item.feature, item.value
    elif isinstance(result, RecourseResult):
        for recourse in result.cases:
            for change in recourse.changes:
                yield recourse.case_id, change.feature, change.current
                yield recourse.case_id, change.feature, change.suggested


def declared_codec(policy: Policy, reference: pd.DataFrame) -> FeatureCodec:
    """The policy's features with categorical levels as seen in the reference data."""
    features = policy.data.features
    numeric = [Feature(name, "numeric") for name in features.numeric]
    categorical = [
        Feature(name, "categorical", tuple(sorted(set(reference[name].astype(str)))))
        for name in features.categorical
    ]
    return FeatureCodec(tuple(numeric + categorical))


def declared_names(policy: Policy, codec: FeatureCodec) -> set[str]:
    """Names the policy and the model declare: they may coincide with a record id harmlessly."""
    names = set(codec.names) | {level for f in codec.features for level in f.levels}
    for model in policy.models:
        names |= set(model.classes or [])
    return names


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str, bool]]:
    """Every string in a JSON-like value with its path, and whether it is a mapping key."""
    if isinstance(value, str):
        yield path or "(top)", value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, str(key), True
            yield from strings(item, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")
