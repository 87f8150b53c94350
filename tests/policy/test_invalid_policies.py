"""Every kind of invalid policy, each a fixture file paired with the exact problems it reports.

A new kind of mistake gets a new file in ``tests/fixtures/policies/invalid/`` and a row here;
a fixture without a row (or a row without a fixture) fails ``test_every_fixture_has_a_row``.
Problem lines read ``<file>: <key path>: <what is wrong>``; the table holds them without the
``<file>: `` prefix, which the test adds.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from reportgen.errors import PolicyError
from reportgen.policy import load_policy
from reportgen.policy.loader import MAX_POLICY_BYTES, key_path

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "invalid"
MINIMAL = INVALID.parent / "valid" / "minimal.yaml"

EXPECTED: dict[str, list[str]] = {
    "edits_bad_settings.yaml": [
        "edits.assess[0].sparsity: must be < 1.0, got 1.0",
        "edits.assess[1].sparsity: must be >= 0.0, got -0.1",
        "edits.assess[2].kind: must be 'prune', 'quantize_int8' or 'candidate', got 'distill'",
        "edits.assess[3]: a candidate edit needs path",
        "edits.top_k_overlap_min: must be <= 1.0, got 1.5",
    ],
    "bool_as_number.yaml": [
        "explanations.local.sample_size: must be a whole number, got true",
    ],
    "infinite_epsilon.yaml": [
        "privacy.differential_privacy.epsilon: must be a finite number, got .inf",
    ],
    "nan_top_code_age.yaml": [
        "privacy.top_code_ages_at: must be a finite number, got .nan",
    ],
    "cohort_column_unknown.yaml": [
        "privacy.cohorts[0].by: 'nationalty' is not a declared column; expected a feature, a sensitive column (data.sensitive) or 'predicted_class'; did you mean 'nationality'?",
    ],
    "label_unknown_column.yaml": [
        "data.labels.incomes: 'incomes' is not a declared column; a label needs a feature, the target, the id column or a sensitive column (data.sensitive); did you mean 'income'?",
    ],
    "label_blank.yaml": [
        "data.labels.age: must not be empty, got '   '",
    ],
    "cohort_by_id_column.yaml": [
        "privacy.cohorts[0].by: 'applicant_id' is the id column: a cohort per record would publish every record; split by a feature, a sensitive column or 'predicted_class'",
    ],
    "cohort_bands_unsorted.yaml": [
        "privacy.cohorts[0].bands: band edges must be strictly increasing, got [35.0, 25.0, 50.0]",
    ],
    "cohort_bands_nan.yaml": [
        "privacy.cohorts[0].bands[1]: must be a finite number, got .nan",
    ],
    "cohort_numeric_without_bands.yaml": [
        "privacy.cohorts[0].bands: 'income' is a numeric feature: give band edges, e.g. bands: [25, 35, 50]",
    ],
    "cohort_bands_on_prediction.yaml": [
        "privacy.cohorts[0].bands: cohorts by predicted_class take no bands; remove them",
    ],
    "top_k_above_features.yaml": [
        "checks.top_k: must be at most the number of features in data.features (2), got 3",
    ],
    "work_unbounded.yaml": [
        "explanations.lime.num_samples: must be <= 200000, got 1000000000000",
        "explanations.permutation.n_repeats: must be <= 500, got 1000000000",
    ],
    "control_character.yaml": [
        "line 3, column 15: not valid YAML: control character U+0000 is not allowed in a policy",
    ],
    "trusted_not_a_boolean.yaml": [
        "seed: must be <= 4294967295, got 4294967296",
        "models[0].trusted: must be true or false, got 'yes'",
    ],
    "alias_bomb.yaml": [
        "YAML anchors and aliases expand to more than 50000 values (an alias bomb); refused",
    ],
    "bad_id_pattern.yaml": [
        (
            "id: must be a lowercase slug: 1 to 64 characters from a-z, 0-9, '-' and '_', "
            "starting with a letter or digit, got 'Credit Scoring'"
        ),
    ],
    "compliance_unknown_framework.yaml": [
        "compliance.frameworks: unknown framework 'eu-ai-akt'; known frameworks: eu-ai-act, "
        "fda-gmlp, fda-pccp, model-risk, regulation-b",
        "documentation.owner: unknown key; expected one of intended_use, intended_users, "
        "out_of_scope_uses, data_provenance, known_limitations, monitoring_plan, contact",
    ],
    "bad_literal_domain.yaml": [
        "domain: must be 'credit' or 'medical', got 'banking'",
    ],
    "bad_literal_in_list.yaml": [
        "explanations.global.methods[1]: must be 'shap', 'permutation' or 'gradients', got 'lime'",
    ],
    "bad_literal_typo.yaml": [
        (
            "models[0].format: must be 'torchscript', 'torch_export', 'onnx', 'skops' or 'pickle', got 'skop'; did you "
            "mean 'skops'?"
        ),
    ],
    "classes_not_distinct.yaml": [
        "models[0]: classes must list at least two distinct labels, got ['repaid', 'repaid']",
    ],
    "comments_only.yaml": [
        "policy file is empty; expected a mapping of policy keys",
    ],
    "duplicate_model_names.yaml": [
        "models: model names must be unique; 'scorecard' is used by models[0] and models[2]",
    ],
    "duplicate_yaml_key.yaml": [
        "title: duplicate key at line 5 (first written at line 3); write each key once",
    ],
    "empty.yaml": [
        "policy file is empty; expected a mapping of policy keys",
    ],
    "empty_models.yaml": [
        "models: must list at least 1 item, got 0",
    ],
    "empty_title.yaml": [
        "title: must not be empty, got ''",
    ],
    "feature_declared_twice.yaml": [
        "data: column 'age' is declared twice, in features.numeric and in features.categorical",
    ],
    "invalid_yaml_syntax.yaml": [
        (
            "line 14, column 7: not valid YAML: mapping values are not allowed here; check the "
            "indentation, or quote a value holding ': '"
        ),
    ],
    "missing_required_key.yaml": [
        "data.target: required key is missing; expected text",
    ],
    "missing_required_section.yaml": [
        "datasets: required key is missing; expected a mapping with keys reference, evaluation",
    ],
    "multiple_documents.yaml": [
        (
            "line 21, column 1: not valid YAML: expected a single document in the stream, but "
            "found another document"
        ),
    ],
    "multiple_errors.yaml": [
        "domain: must be 'credit' or 'medical', got 'banking'",
        "seed: must be >= 0, got -1",
        "models[0].batch_size: must be >= 1, got 0",
        "datasets.evaluation: required key is missing; expected a mapping with keys path, format",
        ("schedule: must be a mapping with keys cron, got 'weekly'"),
    ],
    "nested_beyond_parser.yaml": [
        "line 5, column 45: YAML is nested more than 32 levels deep; refused",
    ],
    "nested_too_deep.yaml": [
        "line 5, column 45: YAML is nested more than 32 levels deep; refused",
    ],
    "no_features.yaml": [
        (
            "data: declare at least one feature under features.numeric or features.categorical; "
            "both are empty"
        ),
    ],
    "non_text_key.yaml": [
        (
            "on: key at line 5 must be a name (text), but YAML reads it as true/false; put it in "
            "quotes"
        ),
    ],
    "not_a_mapping.yaml": [
        (
            "(top level): must be a mapping of policy keys (id, title, domain, description, "
            "seed, models, data, datasets, explanations, checks, privacy, decision, edits, "
            "internals, attention, schedule, review, report, compliance, documentation), got a list"
        ),
    ],
    "not_text_yes_no.yaml": [
        (
            "models[0].classes[0]: must be text, got false (YAML reads unquoted yes/no/on/off as "
            "true/false; quote it)"
        ),
        (
            "models[0].classes[1]: must be text, got true (YAML reads unquoted yes/no/on/off as "
            "true/false; quote it)"
        ),
        (
            "models[0].positive_class: must be text, got true (YAML reads unquoted yes/no/on/off "
            "as true/false; quote it)"
        ),
    ],
    "not_utf8.yaml": [
        "policy file is not UTF-8 text (undecodable byte at offset 28)",
    ],
    "not_whole_number.yaml": [
        "models[0].batch_size: must be a whole number, got 100.5",
    ],
    "null_value.yaml": [
        "data.target: must be text, got an empty value (null)",
    ],
    "pickle_without_trusted.yaml": [
        (
            "models[0]: format 'pickle' is refused unless trusted: true, because loading a "
            "pickle can run arbitrary code; prefer format 'skops'"
        ),
    ],
    "positive_class_not_in_classes.yaml": [
        (
            "models[0]: positive_class 'default' is not one of ['repaid', 'defaulted']; did you "
            "mean 'defaulted'?"
        ),
    ],
    "preprocessing_not_torchscript.yaml": [
        (
            "models[0]: format 'pickle' is refused unless trusted: true, because loading a "
            "pickle can run arbitrary code; prefer format 'skops'; preprocessing applies to "
            "torchscript, torch_export and onnx models only, not to format 'pickle'"
        ),
    ],
    "python_tag.yaml": [
        (
            "title: YAML tag '!!python/object/apply:os.system' at line 3 is refused; a policy "
            "holds plain data only"
        ),
    ],
    "recursive_alias.yaml": [
        (
            "data.features.numeric[2]: YAML alias refers back to its own parent (anchor at line "
            "12); refused"
        ),
    ],
    "regression_with_classes.yaml": [
        (
            "models[0]: task 'regression' takes no classes or positive_class; remove them, or "
            "set task: classification"
        ),
    ],
    "review_reviewer_entries.yaml": [
        (
            "review.reviewers[0].fingerprint: must be 64 hexadecimal characters, the sha256 of "
            "the reviewer's public key that `reportgen keys fingerprint` prints, got '3f2a9c'"
        ),
        (
            "review.reviewers[1].roles[0]: must be a lowercase word (a-z, 0-9 and '_', starting "
            "with a letter, at most 64 characters) such as risk_officer, got 'Risk Officer'"
        ),
        "review.reviewers[2].name: must name the reviewer, got '  '",
    ],
    "review_reviewer_twice.yaml": [
        (
            "review.reviewers: names must be unique; reviewers[0] and reviewers[1] share one "
            "name; each reviewer needs their own key; reviewers[1] and reviewers[2] share one "
            "fingerprint"
        ),
    ],
    "review_role_without_reviewer.yaml": [
        (
            "review: required_roles 'risk_officer', 'ciso' have no trusted reviewer; add one "
            "under review.reviewers with that role"
        ),
    ],
    "sensitive_is_target.yaml": [
        "data: sensitive column 'default' cannot also be the target",
    ],
    "tab_indentation.yaml": [
        (
            "line 13, column 1: not valid YAML: found character '\\t' that cannot start any "
            "token (while scanning for the next token); indent with spaces, not tabs"
        ),
    ],
    "target_also_feature.yaml": [
        "data: column 'income' is declared twice, in features.numeric and in target",
    ],
    "torchscript_without_preprocessing.yaml": [
        (
            "models[0].preprocessing: a torchscript model needs preprocessing: the JSON file declaring how raw "
            "features are encoded; none is given"
        ),
    ],
    "unknown_key_alias_typo.yaml": [
        "explanations.globl: unknown key; did you mean 'global'?",
    ],
    "unknown_nested_key.yaml": [
        (
            "models[0].owner: unknown key; expected one of name, format, path, task, classes, "
            "positive_class, output, preprocessing, trusted_types, trusted, batch_size, layer, "
            "training_log"
        ),
    ],
    "unknown_nested_key_typo.yaml": [
        "explanations.shap.backround_size: unknown key; did you mean 'background_size'?",
    ],
    "unknown_top_level_key_typo.yaml": [
        "descripton: unknown key; did you mean 'description'?",
    ],
    "value_above_maximum.yaml": [
        "explanations.local.top_k: must be <= 20, got 50",
    ],
    "value_below_minimum.yaml": [
        "explanations.permutation.n_repeats: must be >= 2, got 1",
    ],
    "wrong_type_list.yaml": [
        "data.features.numeric: must be a list of text, got 'age'",
    ],
    "wrong_type_mapping.yaml": [
        "datasets: must be a mapping with keys reference, evaluation, got 'data/all.csv'",
    ],
    "wrong_type_scalar.yaml": [
        "seed: must be a whole number, got 'many'",
    ],
    # issue #11: fair lending and calibration settings
    "fair_lending_attribute_not_sensitive.yaml": [
        "decision.fair_lending.attributes[0].attribute: 'nationalty' is not a sensitive attribute (data.sensitive: nationality, age): fair lending compares groups of sensitive attributes only; did you mean 'nationality'?",
        "decision.fair_lending.attributes[1].attribute: 'income' is not a sensitive attribute (data.sensitive: nationality, age): fair lending compares groups of sensitive attributes only",
    ],
    "fair_lending_group_not_a_band.yaml": [
        "decision.fair_lending.attributes[0].reference: '30-40' is not one of the bands of 'age' (<25, 25\u201335, 35\u201350, 50\u201365, 65+); name a band or 'highest_approval_rate'",
        "decision.fair_lending.attributes[0].decompose[1]: '65-' is not one of the bands of 'age' (<25, 25\u201335, 35\u201350, 50\u201365, 65+)",
    ],
    "fair_lending_bad_settings.yaml": [
        "decision.fair_lending.attributes[0].bands: band edges must be strictly increasing, got [35.0, 25.0]",
        "decision.fair_lending.attributes[1].decompose: the two decomposed groups must differ, got ['a', 'a']",
        "decision.fair_lending.air: warn_below (0.7) must be at least fail_below (0.8)",
        "decision.fair_lending.bootstrap: must be >= 0, got -1",
        "decision.calibration.bins: must be >= 2, got 1",
    ],
    "fair_lending_without_sensitive.yaml": [
        "decision.fair_lending: fair lending compares the groups of sensitive attributes, and data.sensitive declares none",
    ],
}


def _problems(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()), ids=sorted(EXPECTED))
def test_invalid_policy_reports_exact_problems(name: str, expected: list[str]) -> None:
    error = _problems(INVALID / name)
    assert error.problems == [f"{INVALID / name}: {line}" for line in expected]
    assert error.exit_code == 2


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_message_is_the_problem_or_a_count(name: str) -> None:
    error = _problems(INVALID / name)
    if len(error.problems) == 1:
        assert str(error) == error.problems[0]
    else:
        assert str(error) == f"{INVALID / name}: {len(error.problems)} problems found"


def test_every_fixture_has_a_row() -> None:
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(EXPECTED)


def test_validation_problems_chain_the_pydantic_error() -> None:
    error = _problems(INVALID / "multiple_errors.yaml")
    assert isinstance(error.__cause__, pydantic.ValidationError)


def test_yaml_problems_chain_the_yaml_error() -> None:
    import yaml

    error = _problems(INVALID / "invalid_yaml_syntax.yaml")
    assert isinstance(error.__cause__, yaml.YAMLError)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    error = _problems(path)
    assert error.problems == [f"{path}: policy file not found"]
    assert error.exit_code == 2


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert _problems(tmp_path).problems == [f"{tmp_path}: is a folder; expected a policy file"]


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(MINIMAL.read_bytes() + b"# " + b"x" * MAX_POLICY_BYTES + b"\n")
    size = path.stat().st_size
    assert _problems(path).problems == [
        f"{path}: policy file is {size} bytes; at most {MAX_POLICY_BYTES} are allowed"
    ]


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ((), "(top level)"),
        (("seed",), "seed"),
        (("models", 0, "path"), "models[0].path"),
        (("explanations", "global", "methods", 1), "explanations.global.methods[1]"),
    ],
)
def test_key_path(loc: tuple[int | str, ...], expected: str) -> None:
    assert key_path(loc) == expected


def test_work_that_would_not_fit_in_memory_is_refused_before_running() -> None:
    """Issue #8: settings are bounded one by one, and together they must fit in memory."""
    from reportgen.policy.consistency import cross_key_problems

    policy = load_policy(MINIMAL).policy
    assert cross_key_problems(policy, memory_budget=1 << 40) == []
    problems = cross_key_problems(policy, memory_budget=40_000)
    assert [(key_path(loc), text) for loc, text in problems] == [
        (
            "checks.removal.random_orders",
            "needs about 39.8 KiB of memory at once (40 instances x 10 orders x 3 steps x 2 "
            "features), more than the 39.1 KiB allowed (half of this machine's memory); lower it",
        ),
        (
            "checks.removal.faithfulness_runs",
            "needs about 187.5 KiB of memory at once (40 instances x 100 subsets x 2 features), "
            "more than the 39.1 KiB allowed (half of this machine's memory); lower it",
        ),
        (
            "explanations.lime.num_samples",
            "needs about 468.8 KiB of memory at once (5000 samples x 2 features), more than the "
            "39.1 KiB allowed (half of this machine's memory); lower it",
        ),
    ]


def test_a_default_top_k_above_the_feature_count_is_not_a_problem() -> None:
    """The default top_k (5) fits itself to a two-feature model; only an explicit one is refused."""
    assert load_policy(MINIMAL).policy.checks.top_k == 5
