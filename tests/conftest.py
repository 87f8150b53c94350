"""Fixtures shared across the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def policy_with(source: Path, tmp_path: Path, **datasets: Path) -> Path:
    """A copy of ``source`` in ``tmp_path`` with absolute paths, optionally other datasets."""
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    base = source.parent
    for model in data["models"]:
        model["path"] = str((base / model["path"]).resolve())
        if model.get("preprocessing"):
            model["preprocessing"] = str((base / model["preprocessing"]).resolve())
        if model.get("training_log"):
            log = model["training_log"]
            log["path"] = str((base / log["path"]).resolve())
    for role in ("reference", "evaluation"):
        path = datasets.get(role, base / data["datasets"][role]["path"])
        data["datasets"][role]["path"] = str(Path(path).resolve())
    target = tmp_path / source.name
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture
def credit_policy() -> Path:
    return ROOT / "policies" / "credit.yaml"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh MLflow store in tmp_path (tests/mlflow_store.py), named by MLFLOW_TRACKING_URI."""
    from tests.mlflow_store import Store

    return Store(tmp_path / "mlflow", monkeypatch)
