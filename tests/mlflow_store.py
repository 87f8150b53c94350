"""A real MLflow store for the tests: a sqlite file in tmp_path, never a mock."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mlflow import MlflowClient

from reportgen.cli import main
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small

MODEL = ROOT / "examples" / "credit" / "model.pt"


class Store:
    """A fresh MLflow store (tracking and registry) in a sqlite file, its artifacts beside it."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.uri = f"sqlite:///{folder / 'mlflow.db'}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", self.uri)
        monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        self.artifacts = folder / "artifacts"
        self.experiment = self.client.create_experiment("reports", self.artifacts.as_uri())

    def new_run(self, artifact_location: Path | None = None) -> str:
        experiment = self.experiment
        if artifact_location is not None:
            experiment = self.client.create_experiment("elsewhere", artifact_location.as_uri())
        return str(self.client.create_run(experiment).info.run_id)

    def register(self, name: str, model: Path) -> None:
        """Register ``model`` as version 1 of ``name``, logged by a training run."""
        training = self.new_run()
        self.client.log_artifact(training, str(model), "model")
        self.client.create_registered_model(name)
        self.client.create_model_version(name, f"runs:/{training}/model", run_id=training)


def credit(tmp_path: Path, model_path: str | None = None) -> Path:
    """The small credit policy, its model named by ``model_path`` when given."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    policy = small(policy_with(ROOT / "policies" / "credit.yaml", tmp_path))
    if model_path is not None:
        data = yaml.safe_load(policy.read_text())
        data["models"][0]["path"] = model_path
        policy.write_text(yaml.safe_dump(data, sort_keys=False))
    return policy


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output
