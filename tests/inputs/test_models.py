"""Model adapters: every format predicts on raw features; unsafe formats need explicit trust."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import torch
import yaml
from click.testing import CliRunner
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.inputs import resolve_inputs
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import TorchAdapter
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy import load_policy
from reportgen.policy.schema import ModelSpec
from tests.conftest import ROOT
from tests.inputs.custom_step import Passthrough

CREDIT = ROOT / "examples" / "credit" / "data"
NUMERIC = [
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
]
CATEGORICAL = ["status_of_existing_checking_account", "purpose", "housing"]


def _frame(name: str) -> pd.DataFrame:
    return pd.read_csv(CREDIT / name)


def _pipeline(final) -> object:
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    return make_pipeline(encode, final)


def _policy(tmp_path, model_path, **model) -> str:
    spec = {
        "name": "m",
        "format": "skops",
        "path": str(model_path),
        "task": "classification",
        **model,
    }
    policy = {
        "id": "sk",
        "title": "sklearn",
        "domain": "credit",
        "models": [spec],
        "data": {
            "features": {"numeric": NUMERIC, "categorical": CATEGORICAL},
            "target": "creditability",
            "id_column": "applicant_id",
        },
        "datasets": {
            "reference": {"path": str(CREDIT / "reference.csv")},
            "evaluation": {"path": str(CREDIT / "evaluation.csv")},
        },
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return str(path)


def test_skops_classifier_predicts_like_the_estimator_on_raw_frames(tmp_path):
    train = _frame("reference.csv")
    estimator = _pipeline(LogisticRegression(max_iter=500)).fit(
        train[NUMERIC + CATEGORICAL], train["creditability"]
    )
    sio.dump(estimator, tmp_path / "model.skops")
    inputs = resolve_inputs(load_policy(_policy(tmp_path, tmp_path / "model.skops")))
    adapter = inputs.models[0].adapter
    evaluation = _frame("evaluation.csv")
    assert adapter.classes == ["bad", "good"]
    np.testing.assert_allclose(
        adapter.predict(evaluation),
        estimator.predict_proba(evaluation[NUMERIC + CATEGORICAL]),
        atol=1e-12,
    )


def test_skops_file_with_an_unlisted_type_is_refused_until_trusted(tmp_path):
    train = _frame("reference.csv")
    estimator = make_pipeline(Passthrough(), _pipeline(LogisticRegression(max_iter=500)))
    estimator.fit(train[NUMERIC + CATEGORICAL], train["creditability"])
    sio.dump(estimator, tmp_path / "model.skops")
    result = CliRunner().invoke(main, ["validate", _policy(tmp_path, tmp_path / "model.skops")])
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'model.skops'}: the skops file holds types not listed in "
        "models[0].trusted_types: ['tests.inputs.custom_step.Passthrough']"
    )
    trusted = _policy(
        tmp_path, tmp_path / "model.skops", trusted_types=["tests.inputs.custom_step.Passthrough"]
    )
    assert CliRunner().invoke(main, ["validate", trusted]).exit_code == 0


def test_plain_pickle_needs_trust_and_then_loads(tmp_path):
    train = _frame("reference.csv")
    estimator = _pipeline(LogisticRegression(max_iter=500)).fit(
        train[NUMERIC + CATEGORICAL], train["creditability"]
    )
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(estimator))
    refused = CliRunner().invoke(
        main, ["validate", _policy(tmp_path, tmp_path / "model.pkl", format="pickle")]
    )
    assert refused.exit_code == 2
    assert "models[0]: " in refused.stderr
    assert "pickle" in refused.stderr and "trusted: true" in refused.stderr
    inputs = resolve_inputs(
        load_policy(_policy(tmp_path, tmp_path / "model.pkl", format="pickle", trusted=True))
    )
    assert inputs.models[0].adapter.trusted


def test_skops_regressor_returns_one_value_per_row(tmp_path):
    numeric = NUMERIC[1:]  # predict the loan duration from the other columns
    train = _frame("reference.csv")
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ]
    )
    estimator = make_pipeline(encode, Ridge(alpha=1.0))
    estimator.fit(train[numeric + CATEGORICAL], train["duration_in_month"])
    sio.dump(estimator, tmp_path / "model.skops")
    policy_file = _policy(tmp_path, tmp_path / "model.skops", task="regression")
    policy = yaml.safe_load(Path(policy_file).read_text())
    policy["data"]["features"]["numeric"] = numeric
    policy["data"]["target"] = "duration_in_month"
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    adapter = resolve_inputs(load_policy(tmp_path / "policy.yaml")).models[0].adapter
    evaluation = _frame("evaluation.csv")
    predicted = adapter.predict(evaluation)
    assert predicted.shape == (len(evaluation),)
    np.testing.assert_allclose(predicted, estimator.predict(evaluation[numeric + CATEGORICAL]))


def test_corrupt_model_file_is_an_input_error(tmp_path, credit_policy):
    from tests.conftest import policy_with

    policy = yaml.safe_load(policy_with(credit_policy, tmp_path).read_text())
    (tmp_path / "broken.pt").write_bytes(b"not a torchscript archive")
    policy["models"][0]["path"] = str(tmp_path / "broken.pt")
    (tmp_path / "credit.yaml").write_text(yaml.safe_dump(policy))
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "credit.yaml")])
    assert result.exit_code == 3
    assert (
        result.stderr.strip()
        == f"error: {tmp_path / 'broken.pt'}: not a loadable TorchScript archive (models[0].path)"
    )


def _torch_adapter(
    net: torch.nn.Module, classes: list[str] | None, output: str = "logits"
) -> TorchAdapter:
    codec = FeatureCodec((Feature("a", "numeric"), Feature("b", "numeric")))
    pre = Preprocessing(codec, centers=(0.0, 0.0), scales=(1.0, 1.0))
    task = "classification" if classes else "regression"
    spec = ModelSpec(
        name="t",
        format="torchscript",
        path="-",
        task=task,
        classes=classes,
        output=output,
        preprocessing="-",
    )
    return TorchAdapter(spec, torch.jit.script(net.eval()), pre)


@pytest.mark.parametrize("width", [1, 2, 3])
def test_torch_logits_become_probabilities(width):
    torch.manual_seed(0)
    net = torch.nn.Linear(2, width)
    classes = ["no", "yes"] if width <= 2 else ["a", "b", "c"]
    adapter = _torch_adapter(net, classes)
    x = np.random.default_rng(0).normal(size=(7, 2))
    probs = adapter.predict_codes(x)
    logits = net(torch.tensor(x, dtype=torch.float32)).detach().double().numpy()
    expected = (
        np.hstack([1 - (p := 1 / (1 + np.exp(-logits))), p])
        if width == 1
        else np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    )
    assert probs.shape == (7, len(classes))
    np.testing.assert_allclose(probs, expected, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)


def test_model_evaluations_are_counted_in_batches():
    adapter = _torch_adapter(torch.nn.Linear(2, 1), None)
    adapter.batch_size = 4
    adapter.predict_codes(np.zeros((10, 2)))
    assert (adapter.meter.rows, adapter.meter.calls) == (10, 3)


def test_unknown_category_names_the_column():
    codec = FeatureCodec((Feature("colour", "categorical", ("red", "blue")),))
    with pytest.raises(InputError) as caught:
        codec.to_codes(pd.DataFrame({"colour": ["red", "green"]}))
    assert str(caught.value) == (
        "data: column 'colour' holds categories the model does not know in 1 row(s), first at "
        "data row 2; expected one of ['red', 'blue']"
    )
    assert "green" not in str(caught.value)  # issue #8: never echo data content


def test_a_rows_output_does_not_depend_on_the_rows_batched_with_it():
    """Issue #9: shards must not change numbers, and BLAS rounds a row differently in a batch of
    7 than in one of 300; every call is padded to a multiple of ROW_BLOCK rows, so it does not."""
    from reportgen.inputs import resolve_inputs
    from reportgen.policy import load_policy

    for policy in ("credit.yaml", "medical.yaml"):
        inputs = resolve_inputs(load_policy(ROOT / "policies" / policy))
        adapter = inputs.models[0].adapter
        codes = adapter.codec.to_codes(inputs.evaluation.frame)
        together = adapter.predict_codes(codes)
        alone = np.concatenate([adapter.predict_codes(codes[i : i + 1]) for i in range(50)])
        adapter.batch_size = 7
        sevens = adapter.predict_codes(codes)
        assert np.array_equal(together[:50], alone), policy
        assert np.array_equal(together, sevens), policy


def test_encoding_matches_scikit_learns_scaler_and_one_hot_encoder():
    """Interleaved numeric and categorical features, encoded by index arithmetic, against
    scikit-learn's StandardScaler and OneHotEncoder fed the same centers, scales and levels."""
    features = (
        Feature("colour", "categorical", ("red", "green", "blue")),
        Feature("height", "numeric"),
        Feature("size", "categorical", ("s", "m")),
        Feature("weight", "numeric"),
    )
    pre = Preprocessing(FeatureCodec(features), (0.0, 1.5, 0.0, -2.0), (1.0, 0.7, 1.0, 3.0))
    rng = np.random.default_rng(3)
    codes = np.column_stack(
        [
            rng.integers(0, 3, 200),
            rng.normal(size=200),
            rng.integers(0, 2, 200),
            rng.normal(size=200),
        ]
    ).astype(np.float64)
    scaler = StandardScaler().fit(codes[:, [1, 3]])
    scaler.mean_, scaler.scale_ = np.array([1.5, -2.0]), np.array([0.7, 3.0])
    hot = OneHotEncoder(categories=[[0.0, 1.0, 2.0], [0.0, 1.0]], sparse_output=False)
    onehot = hot.fit_transform(codes[:, [0, 2]])
    numeric = scaler.transform(codes[:, [1, 3]])
    expected = np.column_stack([onehot[:, :3], numeric[:, 0], onehot[:, 3:], numeric[:, 1]])
    assert np.array_equal(pre.encode(codes, dtype=np.float64), expected)
    assert np.array_equal(pre.encode(codes), expected.astype(np.float32))  # one rounding
    codes[5, 2] = 2.0  # "size" has two levels
    with pytest.raises(InputError, match="not the index of one of its levels"):
        pre.encode(codes)


def test_rows_mixed_in_input_space_predict_as_the_coded_rows_they_encode() -> None:
    """Explainers build coalition rows from encoded rows (``model_inputs``); each input column
    depends on one raw feature, so mixing inputs by ``input_features`` is encoding the mixed
    codes, and ``predict_inputs`` gives ``predict_codes``'s outputs bit for bit."""
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))
    model = inputs.models[0].adapter
    codes = model.codec.to_codes(inputs.evaluation.frame)[:300]
    groups = model.preprocessing.groups
    assert len(model.input_features) == groups[-1][1].stop
    for j, (_, columns) in enumerate(groups):
        assert set(model.input_features[columns]) == {j}
    rng = np.random.default_rng(0)
    on = rng.random(codes.shape) < 0.5
    other = codes[rng.permutation(len(codes))]
    mixed_codes = np.where(on, codes, other)
    inputs_x, inputs_z = model.model_inputs(codes), model.model_inputs(other)
    mixed_inputs = np.where(on[:, model.input_features], inputs_x, inputs_z)
    np.testing.assert_array_equal(mixed_inputs, model.model_inputs(mixed_codes))
    before = model.meter.snapshot()
    np.testing.assert_array_equal(
        model.predict_inputs(mixed_inputs), model.predict_codes(mixed_codes)
    )
    assert model.meter.since(before).rows == 600  # both paths are metered


def test_models_on_raw_features_take_their_codes_as_inputs(tmp_path) -> None:
    train = _frame("reference.csv")
    estimator = _pipeline(LogisticRegression(max_iter=500)).fit(
        train[NUMERIC + CATEGORICAL], train["creditability"]
    )
    sio.dump(estimator, tmp_path / "model.skops")
    inputs = resolve_inputs(load_policy(_policy(tmp_path, tmp_path / "model.skops")))
    model = inputs.models[0].adapter
    codes = model.codec.to_codes(inputs.evaluation.frame)
    np.testing.assert_array_equal(model.model_inputs(codes), codes)
    np.testing.assert_array_equal(model.input_features, np.arange(codes.shape[1]))
    np.testing.assert_array_equal(model.predict_inputs(codes), model.predict_codes(codes))
