"""Data shaped to leak (issue #8): nothing of an individual reaches any published artifact.

A small scikit-learn model on synthetic data with integer record ids (0..199) and classes
"0"/"1", a sensitive text column holding a unique name per person, a nationality held by one
person, and a reference set so small that LIME's quartile cut points are a few people's values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from click.testing import CliRunner
from pypdf import PdfReader
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from reportgen.cli import main
from reportgen.privacy.families import OTHER_VALUES

RARE_NATIONALITY = "Tuvaluan"
CHECKS_OFF = {
    name: {"enabled": False}
    for name in (
        "completeness",
        "rerun_stability",
        "perturbation",
        "removal",
        "randomisation",
        "agreement",
        "global_stability",
    )
}


def _people(n: int, seed: int, first_id: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(50, 15, n).round(2), rng.normal(0, 1, n).round(3)
    region = rng.choice(["north", "south", "east"], n)
    score = 0.08 * (x1 - 50) + 1.5 * x2 + (region == "north")
    nationality = rng.choice(["Dutch", "German"], n).astype(object)
    return pd.DataFrame(
        {
            "record": np.arange(first_id, first_id + n),
            "x1": x1,
            "x2": x2,
            "region": region,
            "name": [f"Person-{first_id + i:03d}-Zq" for i in range(n)],
            "nationality": nationality,
            "outcome": (score + rng.normal(0, 0.5, n) > 0).astype(int),
        }
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, pd.DataFrame]:
    """One run on the hostile data; returns (exit code, version folder, evaluation frame)."""
    tmp = tmp_path_factory.mktemp("hostile")
    reference, evaluation = _people(14, 1, 0), _people(186, 2, 14)
    evaluation.loc[evaluation.index[3], "nationality"] = RARE_NATIONALITY
    reference.to_csv(tmp / "reference.csv", index=False)
    evaluation.to_csv(tmp / "evaluation.csv", index=False)
    encode = ColumnTransformer(
        [("num", StandardScaler(), ["x1", "x2"]), ("cat", OneHotEncoder(), ["region"])]
    )
    model = make_pipeline(encode, LogisticRegression()).fit(
        evaluation[["x1", "x2", "region"]], evaluation["outcome"].astype(str)
    )
    sio.dump(model, tmp / "model.skops")
    policy = {
        "id": "hostile",
        "title": "Hostile shapes",
        "domain": "credit",
        "models": [
            {"name": "m", "format": "skops", "path": "model.skops", "task": "classification"}
        ],
        "data": {
            "features": {"numeric": ["x1", "x2"], "categorical": ["region"]},
            "target": "outcome",
            "id_column": "record",
            "sensitive": ["name", "nationality"],
        },
        "datasets": {
            "reference": {"path": "reference.csv"},
            "evaluation": {"path": "evaluation.csv"},
        },
        "explanations": {
            "shap": {"background_size": 10, "global_rows": 40},
            "lime": {"num_samples": 500},
            "local": {"sample_size": 12, "methods": ["shap", "lime"]},
        },
        "checks": {"audit_sample": {"size": 12}, **CHECKS_OFF},
        "privacy": {
            "local_cases": True,
            "cohorts": [
                {"name": "by name", "by": "name"},
                {"name": "nationality", "by": "nationality"},
                {"name": "predicted class", "by": "predicted_class"},
            ],
        },
    }
    (tmp / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    out = tmp / "reports"
    result = CliRunner().invoke(
        main,
        ["run", str(tmp / "policy.yaml"), "--out", str(out)],
        env={"REPORTGEN_PSEUDONYM_KEY": "ab" * 16},
    )
    return result.exit_code, out / "hostile" / "v1", evaluation


def _artifacts(version: Path) -> dict[str, str]:
    pdf = PdfReader(version / "report.pdf")
    return {
        "report.html": (version / "report.html").read_text(encoding="utf-8"),
        "results.json": (version / "results.json").read_text(encoding="utf-8"),
        "report.pdf": " ".join(page.extract_text() for page in pdf.pages),
    }


def test_integer_ids_and_numeric_class_labels_publish(published) -> None:
    """The id check refused ids 0..199 beside classes "0"/"1" after the whole computation."""
    code, version, _ = published
    assert code == 0
    assert (version / "manifest.json").is_file()


def test_no_name_from_a_text_cohort_reaches_any_artifact(published) -> None:
    """Every person is a cohort of one: suppressed, and their names are never printed."""
    _, version, evaluation = published
    for name, text in _artifacts(version).items():
        leaked = [n for n in evaluation["name"] if n in text]
        assert leaked == [], name
        assert RARE_NATIONALITY not in text, name


def test_suppressed_data_values_share_one_label_and_declared_labels_stay(published) -> None:
    _, version, evaluation = published
    doc = json.loads((version / "results.json").read_text(encoding="utf-8"))
    families = {r["family"]: r for r in doc["results"] if r["kind"] == "cohorts"}
    by_name = families["by name"]
    assert [(c["label"], c["size"]) for c in by_name["cohorts"]] == [(OTHER_VALUES, None)]
    # The one Tuvaluan is merged into "(other values)"; one person is too few, so the smaller of
    # the two large groups joins the merged row (complementary suppression), the larger shows.
    counts = evaluation["nationality"].value_counts()
    nationality = [(c["label"], c["size"]) for c in families["nationality"]["cohorts"]]
    assert sorted(nationality) == sorted(
        [(counts.index[0], float(counts.iloc[0])), (OTHER_VALUES, None)]
    )
    classes = [c["label"] for c in families["predicted class"]["cohorts"]]
    assert classes == ["0", "1"]
    listed = {(s["family"], s["cohort"]) for s in doc["privacy"]["suppressed"]}
    assert ("by name", OTHER_VALUES) in listed and len(
        [f for f, _ in listed if f == "by name"]
    ) == 1


def test_lime_rules_on_numeric_features_are_not_published(published) -> None:
    """LIME's cut points are quartiles of 14 reference rows: a few people's own values."""
    _, version, _ = published
    doc = json.loads((version / "results.json").read_text(encoding="utf-8"))
    cases = next(r for r in doc["results"] if r["kind"] == "local_explanations")["cases"]
    lime = [
        c for case in cases for e in case["explanations"] if e["method"] == "lime" for c in e["top"]
    ]
    assert {c["feature"] for c in lime} == {"x1", "x2", "region"}
    assert all(c["condition"] is None for c in lime if c["feature"] in ("x1", "x2"))
    assert all(c["condition"].startswith("region = ") for c in lime if c["feature"] == "region")
    rule = re.compile(r"x[12] [<>]=? -?[0-9]|-?[0-9.]+ [<>]=? x[12]")  # lime's "x2 > 81.25"
    for name, text in _artifacts(version).items():
        assert rule.findall(text) == [], name
