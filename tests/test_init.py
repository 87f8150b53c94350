"""`reportgen init`: a drafted policy validates for both examples and runs on unseen data; bad
input gets one sentence and the documented exit code."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.policy import load_policy
from reportgen.policy.schema import Domain, literal_values
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def init(*args: str, exit_code: int = 0) -> dict:
    result = CliRunner().invoke(main, ["init", *args, "--json"])
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def validate(policy: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("example", "data", "bundled", "classes"),
    [
        # the class orders the training scripts give (examples/*/train.py)
        ("credit", "csv", "credit.yaml", ["good", "bad"]),
        ("medical", "parquet", "medical.yaml", ["malignant", "benign"]),
    ],
)
def test_init_on_each_example_matches_its_bundled_policy(tmp_path, example, data, bundled, classes):
    folder = EXAMPLES / example
    out = tmp_path / "drafts" / f"{example}.yaml"
    summary = init(
        "--data", str(folder / "data" / f"reference.{data}"),
        "--evaluation", str(folder / "data" / f"evaluation.{data}"),
        "--model", str(folder / "model.pt"),
        "--domain", example,
        "--out", str(out),
    )  # fmt: skip
    validate(out)
    drafted = load_policy(out).policy
    truth = load_policy(ROOT / "policies" / bundled).policy
    assert summary["model_format"] == "torchscript"
    assert drafted.data.features == truth.data.features
    assert (drafted.data.target, drafted.data.id_column) == (
        truth.data.target,
        truth.data.id_column,
    )
    assert drafted.data.sensitive == truth.data.sensitive
    assert summary["guessed"] == {"target": truth.data.target, "id_column": truth.data.id_column}
    model = drafted.models[0]
    assert (model.classes, model.output) == (classes, "logits")
    assert model.preprocessing is not None
    assert (out.parent / model.preprocessing).resolve() == (folder / "preprocessing.json").resolve()
    text = out.read_text()
    assert "../" in model.path and not Path(model.path).is_absolute()  # relative to the policy
    assert (out.parent / model.path).resolve() == (folder / "model.pt").resolve()
    assert "# guessed:" in text and "classes:" in text


def test_the_cli_domains_are_the_schemas():
    from reportgen.cli_init import _DOMAINS

    assert list(_DOMAINS) == literal_values(Domain)


def unseen(tmp_path: Path) -> tuple[Path, Path]:
    """A CSV reportgen has never seen and a scikit-learn pipeline trained on it (skops)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from skops.io import dump

    rng = np.random.default_rng(7)
    n = 120
    frame = pd.DataFrame(
        {
            "RecordID": [f"R{i:04d}" for i in range(n)],
            "income": rng.normal(50, 15, n).round(1),
            "tenure_years": rng.integers(0, 30, n),
            "region": rng.choice(["north", "south", "east"], n),
            "Gender": rng.choice(["f", "m"], n),
            "age": rng.integers(18, 80, n),
        }
    )
    score = (frame["income"] - 50) / 15 + (frame["region"] == "north") - 0.5
    frame["approved"] = np.where(score + rng.normal(0, 0.5, n) > 0, "yes", "no")
    data = tmp_path / "loans.csv"
    frame.to_csv(data, index=False)
    features = ["income", "tenure_years", "region"]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), ["income", "tenure_years"]),
            ("cat", OneHotEncoder(), ["region"]),
        ]
    )
    model = make_pipeline(encode, LogisticRegression()).fit(frame[features], frame["approved"])
    path = tmp_path / "loan_model.skops"
    dump(model, path)
    return data, path


def test_init_on_unseen_data_validates_and_runs(tmp_path):
    data, model = unseen(tmp_path)
    out = tmp_path / "policy" / "loans.yaml"
    summary = init(
        "--data", str(data), "--model", str(model), "--domain", "credit", "--out", str(out)
    )
    assert summary["model_format"] == "skops"
    assert summary["features"] == {"numeric": ["income", "tenure_years"], "categorical": ["region"]}
    assert summary["sensitive"] == ["Gender", "age"]
    assert summary["guessed"] == {"target": "approved", "id_column": "RecordID"}
    validate(out)
    drafted = yaml.safe_load(out.read_text())
    assert drafted["privacy"]["cohorts"][1]["bands"]  # age holds numbers: banded cohorts
    drafted["explanations"] = {
        "shap": {"background_size": 20, "global_rows": 20, "permutations": 2},
        "lime": {"num_samples": 300},
        "permutation": {"n_repeats": 2},
        "local": {"sample_size": 2, "top_k": 3},
    }
    checks = (
        "completeness",
        "rerun_stability",
        "perturbation",
        "removal",
        "agreement",
        "global_stability",
    )
    drafted["checks"] = {"top_k": 3, **{name: {"enabled": False} for name in checks}}
    drafted["report"] = {"formats": ["html"]}
    out.write_text(yaml.safe_dump(drafted, sort_keys=False))
    reports = tmp_path / "reports"
    result = CliRunner().invoke(main, ["run", str(out), "--out", str(reports), "--json"])
    assert result.exit_code in (0, 1), result.output  # 1: a trust check failed; still published
    assert json.loads(result.stdout)["status"] == "published"
    assert (reports / "loan_model" / "v1" / "report.html").is_file()
    assert (reports / "index.html").is_file()


@pytest.fixture
def credit_args() -> list[str]:
    folder = EXAMPLES / "credit"
    return ["--data", str(folder / "data" / "reference.csv"), "--model", str(folder / "model.pt")]


def error(args: list[str], exit_code: int) -> str:
    result = CliRunner().invoke(main, ["init", *args])
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    return lines[0]


def test_a_missing_data_file_exits_3(tmp_path, credit_args):
    args = ["--data", str(tmp_path / "none.csv"), *credit_args[2:], "--domain", "credit"]
    line = error([*args, "--out", str(tmp_path / "p.yaml")], 3)
    assert line == f"error: {tmp_path / 'none.csv'}: dataset file not found (--data.path)"


def test_an_unreadable_csv_exits_3(tmp_path, credit_args):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00\n\x81\x82")
    line = error(
        [
            "--data",
            str(bad),
            *credit_args[2:],
            "--domain",
            "credit",
            "--out",
            str(tmp_path / "p.yaml"),
        ],
        3,
    )
    assert line.startswith(f"error: {bad}: cannot be read as csv")


def test_a_target_that_is_not_a_column_exits_2(tmp_path, credit_args):
    args = [
        *credit_args,
        "--domain",
        "credit",
        "--target",
        "creditabilty",
        "--out",
        str(tmp_path / "p.yaml"),
    ]
    line = error(args, 2)
    assert line.endswith(
        "'creditabilty' is not a column of " + credit_args[1] + "; did you mean 'creditability'?"
    )


def test_an_unknown_model_format_exits_3(tmp_path, credit_args):
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x08\x07\x12\x04onnx")  # an ONNX header, but not named *.onnx
    line = error(
        [
            *credit_args[:2],
            "--model",
            str(model),
            "--domain",
            "credit",
            "--out",
            str(tmp_path / "p.yaml"),
        ],
        3,
    )
    assert line == (
        f"error: {model}: not a model format reportgen reads (TorchScript archive, torch.export "
        "program, ONNX graph named *.onnx, skops file or scikit-learn pickle)"
    )


def test_a_torchscript_model_without_preprocessing_says_what_it_needs(tmp_path, credit_args):
    model = tmp_path / "model.pt"
    model.write_bytes((EXAMPLES / "credit" / "model.pt").read_bytes())
    line = error(
        [
            *credit_args[:2],
            "--model",
            str(model),
            "--domain",
            "credit",
            "--out",
            str(tmp_path / "p.yaml"),
        ],
        3,
    )
    assert "a torchscript model needs the preprocessing file its training script wrote" in line
    assert line.endswith(f"none at {tmp_path / 'preprocessing.json'}: give it with --preprocessing")


def test_a_pickle_is_loaded_only_when_trusted(tmp_path, credit_args):
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps({"not": "a model"}))
    line = error(
        [
            *credit_args[:2],
            "--model",
            str(model),
            "--domain",
            "credit",
            "--out",
            str(tmp_path / "p.yaml"),
        ],
        3,
    )
    assert "a plain pickle, which can run arbitrary code when loaded" in line


def test_an_existing_policy_is_kept_without_force(tmp_path, credit_args):
    out = tmp_path / "p.yaml"
    out.write_text("mine\n")
    line = error([*credit_args, "--domain", "credit", "--out", str(out)], 2)
    assert line == f"error: {out}: exists already; give --force to replace it"
    assert out.read_text() == "mine\n"


def test_the_domain_is_required_without_a_terminal(tmp_path, credit_args):
    line = error([*credit_args, "--out", str(tmp_path / "p.yaml")], 2)
    assert line == "error: --domain: give credit or medical (asked only on a terminal)"
    assert not (tmp_path / "p.yaml").exists()
