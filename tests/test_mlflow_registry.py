"""Policies name models of a local MLflow registry as models:/NAME/VERSION (a real sqlite
store in tmp_path)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.conftest import ROOT
from tests.mlflow_store import MODEL, credit, invoke
from tests.test_end_to_end import run, without_clock


def test_a_registered_model_gives_the_results_of_its_file(store, tmp_path):
    store.register("credit-mlp", MODEL)
    out = tmp_path / "reports"  # one folder: one pseudonym key, so the same case ids
    by_file = run(credit(tmp_path / "file"), out)
    by_name = run(credit(tmp_path / "name", "models:/credit-mlp/1"), out)
    assert by_name["version"] == 2
    file_doc, name_doc = (
        json.loads((Path(s["path"]) / "results.json").read_text()) for s in (by_file, by_name)
    )
    sha = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    assert [m["sha256"] for m in name_doc["models"]] == [sha]
    assert [m["path"] for m in name_doc["models"]] == ["models:/credit-mlp/1"]
    assert without_clock(name_doc["results"]) == without_clock(file_doc["results"])
    assert without_clock(name_doc["gates"]) == without_clock(file_doc["gates"])


def test_a_registered_model_outside_the_root_is_refused(store, tmp_path):
    store.register("credit-mlp", MODEL)
    policy = credit(tmp_path / "policy", "models:/credit-mlp/1")
    code, output = invoke("validate", str(policy), "--root", str(ROOT))
    assert code == 2, output
    found = next(store.artifacts.rglob("model.pt")).resolve()
    assert (
        f"models[0].path: 'models:/credit-mlp/1' leads to {found}, outside the allowed root"
        in output
    )


def test_an_unknown_registered_model_is_one_sentence(store, tmp_path):
    code, output = invoke("validate", str(credit(tmp_path, "models:/no-such-model/1")))
    assert code == 3
    assert output == (
        f"error: models:/no-such-model/1: the MLflow registry at {store.uri} has no such model "
        "version (Registered Model with name=no-such-model not found)\n"
    )


def test_a_registry_name_needs_a_registry(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    code, output = invoke("validate", str(credit(tmp_path, "models:/credit-mlp/1")))
    assert code == 3
    assert "models:/credit-mlp/1: names a model of an MLflow registry, but neither" in output


def test_a_registry_name_must_give_a_version(tmp_path):
    policy = credit(tmp_path, "models:/credit-mlp/latest")
    code, output = invoke("validate", str(policy))
    assert code == 2
    assert output == (
        f"error: {policy}: models[0].path: 'models:/credit-mlp/latest' must name a registered "
        "model version as models:/NAME/VERSION (VERSION a whole number from 1; aliases and "
        "stages are not read)\n"
    )
