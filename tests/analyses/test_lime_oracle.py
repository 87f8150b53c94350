"""Our LIME against the lime library, its oracle.

explain_lime is lime's tabular method (quartile bins, coded categorical levels, every feature
kept) run for many cases at once. Fed the same neighbourhood, lime must give the same weights,
intercept, R^2 and rule texts; our sampler must draw lime's own bins and levels from the same
seed, and lime's values inside them to within rounding (except in a bin that holds one value,
where lime writes a standardised bound instead of that value; see lime_sampling.py); and the
batching must not change a case's bits.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import torch
from lime.lime_tabular import LimeTabularExplainer
from scipy.stats import truncnorm

from reportgen.analyses.context import SALT_OF_METHOD, ModelData
from reportgen.analyses.explain import explain_lime, lime_explainer
from reportgen.analyses.explain.lime_sampling import Binned, BinTable, LimeStatistics
from reportgen.inputs import resolve_inputs
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.inputs.models import ModelAdapter
from reportgen.policy import load_policy
from tests.analyses.toy_models import D, FunctionModel, linear_torch, trained_mlp
from tests.conftest import ROOT

TOLERANCE = 1e-8  # the batched normal equations against scikit-learn's Ridge, per number
QUANTILE_TOLERANCE = 1e-14  # our truncated normal quantile against scipy's, in standard units
DRAW_TOLERANCE = 1e-13  # a value drawn in a bin against lime's, in the bin's standard deviations
SAMPLES = 600
LEVELS = ("red", "green", "blue", "grey")


def lime_explainer_of(model: ModelAdapter, background: np.ndarray, seed: int):
    """lime's explainer as reportgen used it before it had its own (one per case and seed)."""
    codec = model.codec
    return LimeTabularExplainer(
        background,
        mode="regression" if model.task == "regression" else "classification",
        feature_names=codec.names,
        categorical_features=codec.categorical_indices,
        categorical_names={j: list(codec.features[j].levels) for j in codec.categorical_indices},
        discretize_continuous=True,
        random_state=seed,
    )


def lime_explains(
    model: ModelAdapter,
    background: np.ndarray,
    row: np.ndarray,
    label: int,
    seed: int,
    neighbourhood: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, float, float, dict[int, str]]:
    """lime's weights (in feature order), intercept, R^2 and rules for one case; with
    ``neighbourhood`` lime is fed those samples instead of drawing its own."""
    explainer = lime_explainer_of(model, background, seed)
    if neighbourhood is not None:
        binary, samples = neighbourhood
        explainer._LimeTabularExplainer__data_inverse = lambda _row, _n: (
            binary.copy(),
            samples.copy(),
        )
    d = len(row)
    found = explainer.explain_instance(
        row, model.predict_codes, labels=(label,), num_features=d, num_samples=SAMPLES
    )
    key = 1 if model.task == "regression" else label
    pairs = found.as_map()[key]
    weights = dict(pairs)
    rules = {j: rule for (j, _), (rule, _) in zip(pairs, found.as_list(label=key), strict=True)}
    return (
        np.array([weights[j] for j in range(d)]),
        float(found.intercept[key]),
        float(found.score),
        rules,
    )


def mixed_codec() -> FeatureCodec:
    """Seven numeric features and one categorical: d = 8 takes lime's "highest weights" path."""
    numeric = tuple(Feature(f"x{j}", "numeric") for j in range(7))
    return FeatureCodec((*numeric, Feature("colour", "categorical", LEVELS)))


def mixed_data(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.normal(size=(n, 7)), rng.integers(0, len(LEVELS), n)])


def _mixed_regressor(codes: np.ndarray) -> np.ndarray:
    return np.sin(codes[:, 0]) * 4 + codes[:, 1] * codes[:, 2] - 2.0 * (codes[:, 7] == 2) + 7.0


@cache  # a trained network is built once per kind
def toy_cases(kind: str) -> tuple[ModelAdapter, np.ndarray, np.ndarray, np.ndarray]:
    """(model, background, rows, targets) of a toy model with known structure."""
    rng = np.random.default_rng(11)
    if kind == "regression":
        model: ModelAdapter = FunctionModel(_mixed_regressor, mixed_codec())
        background, rows = mixed_data(rng, 300), mixed_data(rng, 4)
        return model, background, rows, np.zeros(len(rows), dtype=np.int64)
    background, rows = rng.normal(size=(300, D)), rng.normal(size=(4, D))
    if kind == "linear":
        model = linear_torch(torch.float64)
        return model, background, rows, np.zeros(len(rows), dtype=np.int64)
    classes = ["a", "b"] if kind == "binary" else ["a", "b", "c"]
    labels = np.digitize(background[:, 0] - background[:, 1], [-0.5, 0.5][: len(classes) - 1])
    model = trained_mlp(background.astype(np.float32), labels, classes, seed=3)
    return model, background, rows, model.predict_codes(rows).argmax(axis=1)


@pytest.fixture(scope="module")
def credit() -> tuple[ModelAdapter, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The credit model, its reference rows, three audit cases, their targets and seeds."""
    inputs = resolve_inputs(load_policy(ROOT / "policies" / "credit.yaml"))
    data = ModelData.build(inputs, inputs.models[0])
    rows = data.check_rows[:3]
    seeds = data.seeds(SALT_OF_METHOD["lime"], rows) % 2**32
    return data.model, data.reference, data.evaluation[rows], data.targets(rows), seeds


def assert_same_as_lime_on_our_samples(model, background, rows, targets, seeds) -> float:
    """Feed lime our neighbourhood of each case; returns the largest difference seen."""
    ours = explain_lime(
        model, rows, target=targets, background=background, seeds=seeds, num_samples=SAMPLES
    )
    stats = LimeStatistics.of(background, model.codec.categorical_indices)
    worst = 0.0
    for i, row in enumerate(rows):
        binary, samples = stats.sample(rows[i : i + 1], seeds[i : i + 1], SAMPLES)
        coef, intercept, score, rules = lime_explains(
            model, background, row, int(targets[i]), int(seeds[i]), (binary[0], samples)
        )
        np.testing.assert_allclose(ours.values[i], coef, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(ours.base[i], intercept, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose(ours.fit[i], score, rtol=0, atol=TOLERANCE)
        assert ours.conditions is not None and ours.conditions[i] == rules
        worst = max(worst, *np.abs(ours.values[i] - coef), abs(ours.base[i] - intercept))
    return worst


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression", "linear"])
def test_fed_the_same_samples_lime_fits_the_same_local_model(kind: str) -> None:
    model, background, rows, targets = toy_cases(kind)
    seeds = np.arange(len(rows)) + 40
    assert_same_as_lime_on_our_samples(model, background, rows, targets, seeds)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_from_the_same_seed_our_lime_is_lime_end_to_end(kind: str) -> None:
    """No bin of these reference rows holds a single value, so lime's draws are ours too."""
    model, background, rows, targets = toy_cases(kind)
    seeds = np.arange(len(rows)) + 40
    ours = explain_lime(
        model, rows, target=targets, background=background, seeds=seeds, num_samples=SAMPLES
    )
    for i, row in enumerate(rows):
        coef, intercept, score, _ = lime_explains(
            model, background, row, int(targets[i]), int(seeds[i])
        )
        np.testing.assert_allclose(ours.values[i], coef, rtol=0, atol=TOLERANCE)
        np.testing.assert_allclose([ours.base[i], ours.fit[i]], [intercept, score], atol=TOLERANCE)
    outputs = model.predict_codes(rows).reshape(len(rows), -1)
    np.testing.assert_array_equal(ours.output, outputs[np.arange(len(rows)), targets])


def test_on_the_credit_model_lime_fits_the_same_local_model(credit) -> None:
    model, reference, rows, targets, seeds = credit
    assert len(rows[0]) > 6  # the "highest weights" selection path of lime's 'auto'
    assert_same_as_lime_on_our_samples(model, reference, rows, targets, seeds)


def test_our_draws_are_lime_draws_except_the_value_of_a_one_value_bin(credit) -> None:
    """The bins and levels are lime's own, bit for bit; the values inside a bin are lime's
    truncated normals to DRAW_TOLERANCE of the bin's standard deviation (the quantile is
    computed here, not by scipy, so the last bits may differ)."""
    model, reference, rows, _, seeds = credit
    stats = LimeStatistics.of(reference, model.codec.categorical_indices)
    narrow = [
        j for j, bins in stats.binned.items() if not bins.spread[stats.values[j].astype(int)].all()
    ]
    assert narrow  # counts such as existing credits: the lowest quartile is the minimum
    for i, row in enumerate(rows):
        binary, samples = stats.sample(rows[i : i + 1], seeds[i : i + 1], SAMPLES)
        lime_binary, lime_samples = lime_explainer_of(
            model, reference, int(seeds[i])
        )._LimeTabularExplainer__data_inverse(row, SAMPLES)
        np.testing.assert_array_equal(binary[0], lime_binary)
        np.testing.assert_array_equal(samples[0], lime_samples[0])
        categorical = model.codec.categorical_indices
        np.testing.assert_array_equal(samples[:, categorical], lime_samples[:, categorical])
        for j, bins in stats.binned.items():
            drawn = bins.bin_of(samples[1:, j])
            one_value = ~bins.spread[drawn]
            assert one_value.any() == (j in narrow)
            np.testing.assert_array_equal(samples[1:, j][one_value], bins.lows[drawn][one_value])
            np.testing.assert_array_equal(  # lime: the bound in standard units, not the value
                lime_samples[1:, j][one_value], bins.z_lows[drawn][one_value]
            )
            inside = ~one_value
            error = np.abs(samples[1:, j][inside] - lime_samples[1:, j][inside])
            assert np.all(error <= DRAW_TOLERANCE * bins.stds[drawn][inside]), j


@pytest.mark.parametrize(
    "bounds",
    [
        (-3, -1),
        (-1, 2),
        (0.5, 4),
        (-8, -6),
        (5, 9),
        (-1e11, 0),
        (0, 1e11),
        (-12, 12),
        (1, 1 + 1e-7),
    ],
)
def test_our_truncated_normal_quantile_is_scipys(bounds: tuple[float, float]) -> None:
    """Left tail, right tail, across the mean, far tails, a bin of ~0 spread (lime's 1e-11
    standard deviation) and a bin barely wider than one value, down to u = 0 and up to the
    largest double below 1."""
    a, b = bounds
    table = BinTable.of(
        [Binned(np.zeros(0), np.array([a]), np.array([b]), np.zeros(1), np.ones(1))]
    )
    u = np.concatenate([np.random.default_rng(0).random(2000), [0.0, 2**-53, 0.5, 1 - 2**-53]])
    ours = table.values(np.zeros(len(u), dtype=np.int64), u)
    np.testing.assert_allclose(ours, truncnorm.ppf(u, a, b), rtol=0, atol=QUANTILE_TOLERANCE)


def test_our_sampler_has_lime_marginals() -> None:
    """Different seeds for each side, so this is a test of distributions and not of streams:
    numeric features by the two-sample Kolmogorov-Smirnov statistic against its 0.1% critical
    value, bins and levels by total variation (0.03 is about 4 standard errors at 4000 draws)."""
    rng = np.random.default_rng(5)
    background, row = mixed_data(rng, 400), mixed_data(rng, 1)[0]
    model = FunctionModel(_mixed_regressor, mixed_codec())
    stats = LimeStatistics.of(background, model.codec.categorical_indices)
    n = 4000
    _, ours = stats.sample(row[None], np.array([1]), n + 1)
    _, theirs = lime_explainer_of(model, background, 2)._LimeTabularExplainer__data_inverse(
        row, n + 1
    )
    ours, theirs = ours[1:], theirs[1:]
    critical = 1.95 * np.sqrt(2 / n)
    grid = np.sort(np.concatenate([ours, theirs]), axis=0)
    for j in stats.binned:
        ks = (
            np.abs(
                np.searchsorted(np.sort(ours[:, j]), grid[:, j], side="right")
                - np.searchsorted(np.sort(theirs[:, j]), grid[:, j], side="right")
            ).max()
            / n
        )
        assert ks < critical, (j, ks, critical)
    for j in range(len(row)):
        codes = [
            stats.binned[j].bin_of(s[:, j]) if j in stats.binned else s[:, j]
            for s in (ours, theirs)
        ]
        shares = [np.array([np.mean(c == v) for v in stats.values[j]]) for c in codes]
        assert 0.5 * np.abs(shares[0] - shares[1]).sum() < 0.03, j
        assert 0.5 * np.abs(shares[0] - stats.frequencies[j]).sum() < 0.03, j


def test_cases_explained_in_chunks_of_one_give_the_same_bits(monkeypatch) -> None:
    model, background, rows, targets = toy_cases("multiclass")
    seeds = np.arange(len(rows)) + 9

    def explain():
        return explain_lime(
            model, rows, target=targets, background=background, seeds=seeds, num_samples=SAMPLES
        )

    together = explain()
    monkeypatch.setattr(lime_explainer, "VALUES_PER_CHUNK", 1)
    alone = explain()
    for field in ("values", "base", "output", "fit"):
        assert getattr(together, field).tobytes() == getattr(alone, field).tobytes(), field
    assert together.conditions == alone.conditions


def test_lime_without_reference_rows_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one reference row"):
        LimeStatistics.of(np.empty((0, 3)), [])
