"""Starting commands: init (draft a policy from a data file and a model file)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reportgen.cli_common import EXIT_OK, EXIT_USAGE, debug_option, fail, finish, guard, json_option

_DOMAINS = ("credit", "medical")
"""policy.schema.Domain, spelt out so that `--help` does not import the policy schema."""
_file = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.option("--data", type=_file, required=True, help="Training data (CSV or Parquet).")
@click.option("--model", type=_file, required=True, help="TorchScript, skops or pickle model.")
@click.option("--out", type=_file, required=True, help="Policy file to write.")
@click.option(
    "--evaluation",
    type=_file,
    default=None,
    help="Held-out data (same columns as --data); without it --data serves as both.",
)
@click.option("--target", default=None, help="Outcome column [default: guessed].")
@click.option("--id", "id_column", default=None, help="Record id column [default: guessed].")
@click.option(
    "--domain",
    type=click.Choice(_DOMAINS),
    default=None,
    help="Regulated domain; asked on a terminal when not given.",
)
@click.option(
    "--preprocessing",
    type=_file,
    default=None,
    help="A network's (TorchScript, .pt2, ONNX) preprocessing file [default: "
    "preprocessing.json beside it].",
)
@click.option("--trust-pickle", is_flag=True, help="Load a plain pickle (it can run any code).")
@click.option("--force", is_flag=True, help="Replace --out when it exists.")
@json_option
@debug_option
def init(
    data: Path,
    model: Path,
    out: Path,
    evaluation: Path | None,
    target: str | None,
    id_column: str | None,
    domain: str | None,
    preprocessing: Path | None,
    trust_pickle: bool,
    force: bool,
    as_json: bool,
    debug: bool,
) -> None:
    """Draft a commented policy for MODEL on DATA that `reportgen validate` accepts.

    Feature kinds come from the data, sensitive columns (age, sex, nationality...) from their
    names, and the target and id column are guessed when not given; every guess says so in a
    comment of the written file. Read it before the first run.
    """
    if domain is None:
        if as_json or not sys.stdin.isatty():
            message = "--domain: give credit or medical (asked only on a terminal)"
            return fail(EXIT_USAGE, message, [message], as_json, debug)
        domain = click.prompt("Domain", type=click.Choice(_DOMAINS))
    from reportgen.scaffold import draft_policy

    chosen: str = domain
    drafted = guard(
        lambda: draft_policy(
            data,
            model,
            out,
            domain=chosen,
            evaluation=evaluation,
            target=target,
            id_column=id_column,
            preprocessing=preprocessing,
            trust_pickle=trust_pickle,
            force=force,
        ),
        as_json,
        debug,
    )
    draft = drafted.draft
    guessed = {
        role: guess.value
        for role, guess in (("target", draft.target), ("id_column", draft.id_column))
        if guess.why
    }
    summary = {
        "status": "written",
        "exit_code": EXIT_OK,
        "policy": str(drafted.path),
        "id": draft.policy_id,
        "model_format": draft.model.format,
        "features": {"numeric": draft.numeric, "categorical": draft.categorical},
        "sensitive": draft.sensitive,
        "target": draft.target.value,
        "id_column": draft.id_column.value,
        "guessed": guessed,
    }
    said = "".join(f"; guessed {role} '{value}'" for role, value in guessed.items())
    text = (
        f"wrote {drafted.path} ({draft.model.format} model, {len(draft.numeric)} numeric and "
        f"{len(draft.categorical)} categorical features, sensitive: "
        f"{', '.join(draft.sensitive) or 'none'}{said}); it validates: read its comments, "
        f"then reportgen run {drafted.path}"
    )
    finish(summary, text, as_json)


COMMANDS: list[click.Command] = [init]
