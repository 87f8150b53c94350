"""`reportgen run --mlflow-run` logs a published version to an MLflow run (a real sqlite store
in tmp_path, read back with MlflowClient)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.mlflow_store import credit, invoke
from tests.test_end_to_end import run


def test_a_published_version_is_logged_to_the_run_and_read_back(store, tmp_path):
    run_id, out = store.new_run(), tmp_path / "reports"
    summary = run(credit(tmp_path), out, "--mlflow-run", run_id)
    folder = Path(summary["path"])
    where = f"reportgen/{summary['policy']}/v1"
    assert summary["mlflow"] == {
        "run_id": run_id,
        "artifact_path": where,
        "gates": summary["gates"],
    }
    logged = store.client.get_run(run_id).data
    assert logged.metrics == {f"gates_{s}": float(n) for s, n in summary["gates"].items()}
    results_sha = hashlib.sha256((folder / "results.json").read_bytes()).hexdigest()
    assert {k: v for k, v in logged.tags.items() if k.startswith("reportgen.")} == {
        "reportgen.policy": summary["policy"],
        "reportgen.version": "1",
        "reportgen.results_sha256": results_sha,
    }
    names = {Path(a.path).name for a in store.client.list_artifacts(run_id, where)}
    assert names == {p.name for p in folder.iterdir()}
    assert {"report.html", "report.pdf", "results.json", "manifest.json"} <= names
    copy = Path(store.client.download_artifacts(run_id, f"{where}/results.json", str(tmp_path)))
    assert copy.read_bytes() == (folder / "results.json").read_bytes()

    # a store that refuses the files: the version stays published, the run gets no tally,
    # and rerunning with a working run logs the unchanged latest version without computing
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = store.new_run(artifact_location=blocker / "artifacts")
    code, output = invoke("run", str(credit(tmp_path)), "--out", str(out), "--mlflow-run", broken)
    assert code == 4, output
    assert output.startswith(
        f"error: {folder}: v1 is published but was not logged to MLflow run '{broken}' ("
    )
    assert output.count("\n") == 1
    assert (folder / "manifest.json").is_file()
    assert store.client.get_run(broken).data.metrics == {}
    again = store.new_run()
    summary = run(credit(tmp_path), out, "--mlflow-run", again)
    assert summary["status"] == "no_change"
    assert store.client.get_run(again).data.metrics == logged.metrics


def test_an_unknown_run_is_refused_before_anything_is_computed(store, tmp_path):
    out = tmp_path / "reports"
    code, output = invoke("run", str(credit(tmp_path)), "--out", str(out), "--mlflow-run", "f" * 32)
    assert code == 3, output
    assert output == (
        f"error: MLflow run '{'f' * 32}' cannot be logged to at {store.uri} "
        f"(Run with id={'f' * 32} not found)\n"
    )
    assert not out.exists()


def test_a_deleted_run_is_refused(store, tmp_path):
    run_id = store.new_run()
    store.client.delete_run(run_id)
    code, output = invoke("run", str(credit(tmp_path)), "--mlflow-run", run_id)
    assert (code, output) == (
        3,
        f"error: MLflow run '{run_id}' at {store.uri} is deleted; restore it or name an active run\n",
    )


def test_mlflow_run_without_a_store_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, output = invoke("run", str(credit(tmp_path)), "--mlflow-run", "abc")
    assert code == 2
    assert (
        "--mlflow-run needs the MLflow store: give --mlflow-tracking-uri or set MLFLOW_TRACKING_URI"
        in output
    )
