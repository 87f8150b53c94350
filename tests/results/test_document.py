"""The results document is canonical data: stable bytes, a faithful round trip, no NaN."""

from __future__ import annotations

import json

import pytest

from reportgen.results import ResultDocument, canonical_json, load_results
from reportgen.results.document import (
    Cost,
    FeatureImportance,
    GlobalShapResult,
    PolicyInfo,
    RunInfo,
)


def document(**shap_overrides) -> ResultDocument:
    shap = {
        "model": "m",
        "output": "probability of class 'bad'",
        "estimator": "permutation",
        "evals_per_row": 70,
        "background_rows": 20,
        "rows": 10,
        "base_value": 0.3,
        "additivity_max_error": 1e-16,
        "standard_error_mean": 0.01,
        "importances": [FeatureImportance(feature="age", value=0.1, rank=1)],
        "cost": Cost(model_rows=10, model_calls=1, wall_seconds=0.5, model_seconds=0.2),
    } | shap_overrides
    return ResultDocument(
        policy=PolicyInfo(
            id="p", title="T ü", domain="credit", description="", path="p.yaml", sha256="0" * 64
        ),
        run=RunInfo(
            reportgen_version="0",
            created_at="2026-11-22T10:00:00+00:00",
            seed=1,
            python="3.11",
            libraries={"shap": "0.51"},
            wall_seconds=1.0,
        ),
        models=[],
        datasets=[],
        results=[GlobalShapResult(**shap)],
    )


def test_dump_load_dump_is_byte_identical(tmp_path):
    first = canonical_json(document())
    (tmp_path / "results.json").write_bytes(first)
    assert canonical_json(load_results(tmp_path / "results.json")) == first


def test_canonical_json_sorts_keys_and_keeps_unicode():
    text = canonical_json(document()).decode("utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert "T ü" in text
    assert text.endswith("}\n")


def test_nan_cannot_be_written():
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        canonical_json(document(base_value=float("nan")))


def test_results_carry_a_stable_kind_tag():
    data = json.loads(canonical_json(document()))
    assert data["kind"] == "reportgen.results"
    assert data["schema_version"] == "1.0"
    assert data["results"][0]["kind"] == "global_shap"
