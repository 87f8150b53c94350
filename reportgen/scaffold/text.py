"""The text of a drafted policy: YAML with a comment on every block and on every guess.

The blocks after ``datasets`` are those of the bundled policies (policies/credit.yaml,
policies/medical.yaml), with their budgets and thresholds, so a drafted policy reads like them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from reportgen.policy.schema import ENCODED_FORMATS
from reportgen.scaffold.infer import Guess, ModelFacts


@dataclass(frozen=True)
class Draft:
    """Everything the drafted policy says; paths are relative to the policy file."""

    policy_id: str
    title: str
    domain: str
    data_shown: str
    model_shown: str
    model: ModelFacts
    model_path: str
    preprocessing_path: str | None
    numeric: list[str]
    categorical: list[str]
    target: Guess
    id_column: Guess
    sensitive: list[str]
    reference_path: str
    evaluation_path: str
    same_data: bool
    bands: dict[str, list[float]]
    """Band edges of each numeric sensitive column (its cohorts)."""


def scalar(value: object) -> str:
    """A YAML scalar or flow list: a plain word where YAML reads it back unchanged, else quoted."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, str):
        plain = re.fullmatch(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*", value) is not None
        return value if plain and yaml.safe_load(value) == value else json.dumps(value)
    return json.dumps(value)


def _guessed(guess: Guess) -> str:
    return f"  # guessed: {guess.why}" if guess.why else ""


def _block(lines: list[str], indent: str, key: str, items: list[str]) -> None:
    if not items:
        lines.append(f"{indent}{key}: []")
        return
    lines.append(f"{indent}{key}:")
    lines += [f"{indent}  - {scalar(item)}" for item in items]


def policy_text(draft: Draft) -> str:
    """The whole policy file."""
    lines = [
        f"# reportgen policy drafted by `reportgen init` from {draft.data_shown} and "
        f"{draft.model_shown}.",
        "#",
        "# Every key is checked against the schema (docs/policy-reference.md); unknown keys are",
        "# errors. Paths are relative to this file. What init guessed says so in a comment: read",
        "# those lines first. Check the file with:  reportgen validate <this file>",
        "",
        "# Identity: reports are stored under <out>/<id>/v<N>/.",
        f"id: {scalar(draft.policy_id)}",
        f"title: {scalar(draft.title)}",
        f"domain: {draft.domain}",
        "description: >-",
        "  Drafted by reportgen init, which cannot know this: replace it with what the model is",
        "  used for, for whom, and what it must never be used for (the report prints it).",
        "",
        "# One seed drives every random choice: the same seed on the same inputs gives the same",
        "# numbers.",
        "seed: 42",
        "",
        *_model_lines(draft),
        "",
        *_data_lines(draft),
        "",
        *_dataset_lines(draft),
        "",
        *(line.replace("TOP_K", str(_top_k(draft))) for line in _BUDGETS),
        "",
        *_privacy_lines(draft),
        "",
        *_REVIEW,
        "",
        "# What is published next to results.json and manifest.json.",
        "report:",
        "  formats: [html, pdf]",
    ]
    return "\n".join(lines) + "\n"


def _top_k(draft: Draft) -> int:
    """Features the checks compare and cases show: 5, or every feature when fewer."""
    return min(5, len(draft.numeric) + len(draft.categorical))


def _model_lines(draft: Draft) -> list[str]:
    model = draft.model
    lines = ["# The model to explain; its format was recognised from the file's content."]
    if model.format in ENCODED_FORMATS:
        lines += [
            f"# A {model.format} network needs its class order (the order of its output columns)",
            "# and the preprocessing file that turns raw columns into the matrix it consumes.",
        ]
    if model.format == "pickle":
        lines += [
            "# A plain pickle can run arbitrary code when loaded: it is loaded only because you",
            "# said you trust it. Prefer saving the model with skops (skops.io.dump).",
        ]
    lines += [
        "models:",
        f"  - name: {scalar(draft.policy_id)}",
        f"    format: {model.format}",
        f"    path: {scalar(draft.model_path)}",
    ]
    if draft.preprocessing_path is not None:
        lines.append(f"    preprocessing: {scalar(draft.preprocessing_path)}")
    lines.append(f"    task: {model.task}")
    if model.format in ENCODED_FORMATS and model.classes:
        lines.append(f"    classes: {scalar(model.classes)}  # guessed: {model.classes_why}")
        lines.append(f"    output: {model.output}  # guessed from the values the network returns")
    elif model.classes:
        lines.append(f"    # classes: {scalar(model.classes)}, from {model.classes_why}")
    if model.classes and len(model.classes) == 2:
        lines.append(
            f"    positive_class: {scalar(model.classes[1])}  # global explanations describe "
            "P(this class); for credit, name the adverse class"
        )
    if model.format == "pickle":
        lines.append("    trusted: true")
    return lines


def _data_lines(draft: Draft) -> list[str]:
    lines = [
        "# How the datasets are laid out: the model's input features (numeric when every value",
        "# of the column reads as a number, else categorical), the outcome column, a record",
        "# identifier and the sensitive attributes.",
    ]
    lines += [f"# {note[0].upper()}{note[1:]}." for note in draft.model.notes]
    lines += ["data:", "  features:"]
    _block(lines, "    ", "numeric", draft.numeric)
    _block(lines, "    ", "categorical", draft.categorical)
    lines.append(f"  target: {scalar(draft.target.value)}{_guessed(draft.target)}")
    lines.append(f"  id_column: {scalar(draft.id_column.value)}{_guessed(draft.id_column)}")
    used = [c for c in draft.sensitive if c in draft.numeric + draft.categorical]
    if draft.sensitive:
        lines += [
            "  # Proposed from the column names (age, sex, nationality, ...): add any the names do",
            "  # not show. Declared sensitive, they are audited by cohort, never shown per person.",
        ]
        if used:
            lines.append(
                f"  # The model uses {', '.join(used)} as input: a prohibited basis in credit."
            )
    else:
        lines.append("  # No column name looks sensitive (age, sex, nationality, ...): add any.")
    _block(lines, "  ", "sensitive", draft.sensitive)
    return lines


def _dataset_lines(draft: Draft) -> list[str]:
    lines = [
        "# reference: the training data (SHAP background, LIME statistics);",
        "# evaluation: held-out data (performance, permutation importance, audit cases).",
    ]
    if draft.same_data:
        lines += [
            "# Both are the one file given: replace evaluation with data the model was not trained",
            "# on (reportgen init --evaluation FILE), or the performance figures are optimistic.",
        ]
    lines += [
        "datasets:",
        "  reference:",
        f"    path: {scalar(draft.reference_path)}",
        "  evaluation:",
        f"    path: {scalar(draft.evaluation_path)}",
    ]
    return lines


def _privacy_lines(draft: Draft) -> list[str]:
    lines = [
        "# Privacy: what may reach the report about individuals. Cohorts below the minimum size",
        "# are suppressed; audit cases get pseudonymous ids and ranges.",
        "privacy:",
        "  min_cohort_size: 11             # health-statistics practice; also used for ranges",
        "  cohorts:                        # does the model behave differently for groups?",
    ]
    for column in draft.sensitive:
        bands = draft.bands.get(column)
        extra = f", bands: {scalar(bands)}" if bands else ""
        lines.append(f"    - {{name: {scalar(column)}, by: {scalar(column)}{extra}}}")
    lines.append("    - {name: predicted class, by: predicted_class}")
    if draft.domain == "medical":
        lines += [
            "  # Medical: cohort aggregates carry differential-privacy noise (OpenDP, Laplace).",
            "  differential_privacy:",
            "    enabled: true",
            "    epsilon: 8.0                  # total budget of one report",
            "    delta: 0.0",
        ]
    return lines


_BUDGETS = """\
# Which explanations run and how much work each may do (the bundled policies' settings).
explanations:
  global:                         # what drives the model over the whole evaluation set
    methods: [shap, permutation]
  local:                          # why individual audit cases got their score
    methods: [shap, lime]
    sample_size: 12               # audit cases, stratified by predicted class
    top_k: TOP_K                      # contributions shown per case
  shap:
    background_size: 100          # reference rows the SHAP values are relative to
    global_rows: 200              # evaluation rows averaged for mean |SHAP|
    permutations: 10              # feature orders per row when sampling is used
  lime:
    num_samples: 5000             # perturbed samples per case
  permutation:
    n_repeats: 10                 # shuffles per feature

# Can the explanations be trusted? Trust checks C1-C7; a FAIL or ERROR makes `reportgen run`
# exit 1 while still publishing the report.
checks:
  top_k: TOP_K                        # top features the checks compare
  min_pass_rate: 0.9              # share of instances that must meet a per-instance threshold
  audit_sample:
    size: 40                      # displayed cases plus near-boundary and stratified rows
    boundary_band: 0.1            # |p - 0.5| below this counts as near the decision boundary
  completeness: {shap_tolerance: 1.0e-6, ig_tolerance: 0.05}         # C1
  rerun_stability: {reruns: 5, fa_median_min: 0.9, warn_fa_median_min: 0.8}  # C2
  perturbation: {instances: 15, draws: 10, sigma_sd: 0.1}            # C3
  removal: {random_orders: 10, deletion_ratio_max: 0.8, insertion_ratio_min: 1.2}  # C4
  randomisation: {instances: 30, spearman_max: 0.3}                  # C5 (torch models)
  agreement: {fa_min: 0.6, sa_min: 0.6, warn_min: 0.4}               # C6
  global_stability: {shap_bootstrap: 1000, permutation_bootstrap: 50, inclusion_min: 0.8}  # C7\
""".splitlines()

_REVIEW = """\
# Sign-off: the roles that must approve a version, and the people trusted to give it (a
# fingerprint is what `reportgen keys fingerprint THEIR_KEY.pub` prints). Fill in, then uncomment:
# review:
#   required_roles: [model_validator, risk_officer]
#   reviewers:
#     - name: Ann Lee
#       roles: [model_validator]
#       fingerprint: "<64 hex characters from reportgen keys fingerprint>"\
""".splitlines()
