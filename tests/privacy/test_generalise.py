"""Generalised display values: every label covers enough reference rows, extremes are top-coded,
ages are shown as 90+, rare categories merge, and labels never leak a raw value."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from reportgen.errors import AnalysisError
from reportgen.inputs.codec import Feature, FeatureCodec
from reportgen.privacy.generalise import (
    ANY,
    MISSING,
    RARE,
    WITHHELD,
    Generaliser,
    is_age_column,
)

N = 600
CODEC = FeatureCodec(
    (
        Feature("income", "numeric"),
        Feature("age", "numeric"),
        Feature("visits", "numeric"),
        Feature("region", "categorical", ("north", "south", "east", "west", "island")),
    )
)
_LABEL = re.compile(r"^(< (?P<low>\S+)|\[(?P<a>\S+), (?P<b>\S+)\)|≥ (?P<top>\S+)|(?P<age>\S+)\+)$")


def _reference(seed: int = 0, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(
        ["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.25, 0.05]
    ).astype(object)
    region[:3] = "island"  # 3 rows: rare
    return pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, size=n),
            "age": rng.integers(18, 100, size=n).astype(np.float64),  # ~12 % are 90 or older
            "visits": rng.poisson(3, size=n).astype(np.float64),
            "region": region,
        }
    )


def _fit(reference: pd.DataFrame, minimum: int = 11, **options: object) -> Generaliser:
    settings: dict[str, object] = {
        "minimum": minimum,
        "top_code_quantile": 0.98,
        "age_columns": [],
        "age_top": 90,
    }
    return Generaliser.fit(reference, CODEC, **{**settings, **options})  # type: ignore[arg-type]


def _bounds(label: str) -> tuple[float, float]:
    """The interval [low, high) a numeric label stands for."""
    match = _LABEL.match(label)
    assert match, label
    parts = match.groupdict()
    if parts["low"] is not None:
        return -np.inf, float(parts["low"])
    if parts["a"] is not None:
        return float(parts["a"]), float(parts["b"])
    return float(parts["top"] or parts["age"]), np.inf


@pytest.mark.parametrize("minimum", [2, 11, 50, 200])
def test_every_label_covers_at_least_the_minimum_of_reference_rows(minimum) -> None:
    reference = _reference()
    generaliser = _fit(reference, minimum)
    for feature in CODEC.names:
        coverage = generaliser.coverage(feature)
        assert min(coverage.values()) >= minimum, (feature, coverage)
        assert sum(coverage.values()) == N
        # the stated coverage is what display does to the reference rows
        shown = reference[feature].map(lambda v, f=feature: generaliser.display(f, v))
        assert shown.value_counts().to_dict() == coverage


def test_numeric_labels_are_contiguous_ranges_that_contain_their_values() -> None:
    reference = _reference()
    generaliser = _fit(reference)
    for feature in ("income", "age", "visits"):
        labels = list(generaliser.coverage(feature))
        bounds = [_bounds(label) for label in labels]
        assert bounds[0][0] == -np.inf and bounds[-1][1] == np.inf
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        for value in reference[feature]:
            low, high = _bounds(generaliser.display(feature, value))
            assert low <= value < high
    edges = [e for label in generaliser.coverage("income") for e in _bounds(label)]
    finite = {e for e in edges if np.isfinite(e)}
    assert all(len(Decimal(repr(e)).normalize().as_tuple().digits) <= 3 for e in finite)


def test_an_extreme_value_is_top_coded_far_below_it() -> None:
    reference = _reference()
    generaliser = _fit(reference)
    label = generaliser.display("income", 987654321)
    assert label.startswith("≥ ")
    top = float(label.removeprefix("≥ "))
    assert top <= np.quantile(reference["income"], 0.98)
    assert top < 987654321 / 1000
    assert generaliser.display("income", reference["income"].max()) == label


def test_ages_are_top_coded_at_90_as_in_safe_harbor() -> None:
    generaliser = _fit(_reference())
    assert generaliser.display("age", 95) == "90+"
    assert generaliser.display("age", 90) == "90+"
    assert generaliser.display("age", 117) == "90+"
    assert generaliser.display("age", 89) != "90+"
    assert generaliser.coverage("age")["90+"] >= 11


def test_sparse_old_ages_are_top_coded_lower_never_higher() -> None:
    reference = _reference()
    reference["age"] = np.random.default_rng(5).integers(18, 76, size=N)  # nobody over 75
    generaliser = _fit(reference)
    label = generaliser.display("age", 95)
    assert label.endswith("+") and float(label[:-1]) < 90
    assert generaliser.coverage("age")[label] >= 11


def test_age_columns_are_found_by_the_word_age_or_by_name() -> None:
    assert is_age_column("age") and is_age_column("age_in_years") and is_age_column("patientAge")
    assert not is_age_column("installment_rate_in_percentage_of_disposable_income")
    assert not is_age_column("stage") and not is_age_column("average_balance")
    reference = _reference().rename(columns={"age": "years_lived"})
    codec = FeatureCodec(
        tuple(f if f.name != "age" else Feature("years_lived", "numeric") for f in CODEC.features)
    )
    plain = Generaliser.fit(
        reference, codec, minimum=11, top_code_quantile=0.98, age_columns=[], age_top=90
    )
    named = Generaliser.fit(
        reference,
        codec,
        minimum=11,
        top_code_quantile=0.98,
        age_columns=["years_lived"],
        age_top=90,
    )
    assert plain.display("years_lived", 95) != "90+"
    assert plain.display("years_lived", 200).startswith("≥ ")
    assert named.display("years_lived", 95) == "90+"


def test_an_age_column_that_is_not_a_model_input_is_generalised_too() -> None:
    ages = np.random.default_rng(6).integers(18, 100, size=N)
    reference = _reference().assign(age_in_years=[str(a) for a in ages])  # text, as read from CSV
    generaliser = _fit(reference, age_columns=["age_in_years"])
    assert generaliser.display("age_in_years", 95) == "90+"
    assert generaliser.display("age_in_years", "95") == "90+"
    assert min(generaliser.coverage("age_in_years").values()) >= 11


def test_rare_categories_are_merged() -> None:
    generaliser = _fit(_reference())
    assert generaliser.display("region", "island") == RARE  # 3 reference rows
    assert generaliser.display("region", "atlantis") == RARE  # never seen
    assert generaliser.display("region", "north") == "north"
    coverage = generaliser.coverage("region")
    assert coverage[RARE] >= 11 and "island" not in coverage


def test_a_rare_group_too_small_to_hide_in_takes_in_the_least_frequent_level() -> None:
    reference = _reference()
    reference.loc[3:, "region"] = np.where(np.arange(N - 3) % 2 == 0, "north", "south")
    reference.loc[3:14, "region"] = "west"  # 12 rows: common on its own
    generaliser = _fit(reference)
    assert generaliser.display("region", "island") == RARE
    assert generaliser.display("region", "west") == RARE  # the smallest common level joined
    assert generaliser.display("region", "north") == "north"
    assert generaliser.coverage("region")[RARE] == 3 + 12


def test_labels_are_deterministic_and_do_not_depend_on_row_order() -> None:
    reference = _reference()
    shuffled = reference.sample(frac=1.0, random_state=3).reset_index(drop=True)
    first, again, other = _fit(reference), _fit(reference), _fit(shuffled)
    values = _reference(seed=9)
    for feature in CODEC.names:
        shown = [first.display(feature, v) for v in values[feature]]
        assert shown == [again.display(feature, v) for v in values[feature]]
        assert shown == [other.display(feature, v) for v in values[feature]]


def test_labels_never_show_a_raw_value_that_is_not_an_edge() -> None:
    generaliser = _fit(_reference())
    for value in _reference(seed=4)["income"]:
        label = generaliser.display("income", value)
        low, high = _bounds(label)
        if value not in (low, high):
            assert f"{value:g}" not in label and repr(value) not in label


def test_missing_values_too_few_rows_and_constant_columns() -> None:
    generaliser = _fit(_reference())
    assert generaliser.display("income", None) == MISSING
    assert generaliser.display("income", float("nan")) == MISSING
    assert generaliser.display("region", None) == MISSING
    few = _fit(_reference(n=8))
    assert few.display("income", 5.0) == WITHHELD
    constant = _fit(_reference().assign(visits=3.0))
    assert constant.display("visits", 3.0) == ANY
    assert constant.coverage("visits") == {ANY: N}


def test_an_unknown_feature_is_an_analysis_error() -> None:
    with pytest.raises(AnalysisError, match="feature 'salary' was not fitted"):
        _fit(_reference()).display("salary", 1.0)
    with pytest.raises(AnalysisError, match="reference data has no column 'visits'"):
        _fit(_reference().drop(columns="visits"))
