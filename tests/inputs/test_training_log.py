"""Training logs (models[].training_log): a hand-written CSV read to the exact numbers, the
released epoch (declared, flagged by the log, or the lowest validation loss), and one-sentence
errors for a missing or malformed log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import InputError, MissingDependencyError, PolicyError
from reportgen.inputs.training_log import load_training_log, parse_csv, read_training_log
from reportgen.policy import load_policy
from reportgen.policy.training import TrainingLogSpec
from tests.conftest import FIXTURES, ROOT, policy_with

LOG = FIXTURES / "data" / "training_log.csv"


def _policy(tmp_path: Path, log: dict[str, object]) -> Path:
    """The credit policy in ``tmp_path`` with its model's training_log replaced by ``log``."""
    path = policy_with(ROOT / "policies" / "credit.yaml", tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["models"][0]["training_log"] = log
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_hand_written_log_is_read_to_the_exact_numbers() -> None:
    log = read_training_log(LOG, TrainingLogSpec(path=str(LOG)), "models[0].training_log.path")
    assert log.epochs == (1, 2, 3, 4, 5)
    assert log.train_loss == (0.9, 0.6, 0.4, 0.3, 0.2)
    assert log.val_loss == (1.0, 0.7, 0.55, 0.55, 0.6)
    assert log.metrics == (("accuracy", (0.5, None, 0.8, 0.82, 0.83)),)
    assert log.flagged is None


def test_the_released_epoch_is_the_first_lowest_validation_loss(tmp_path: Path) -> None:
    loaded = load_policy(_policy(tmp_path, {"path": str(LOG)}))
    read = load_training_log(loaded.policy, loaded.base_dir, 0)
    assert (read.released, read.released_from) == (3, "the lowest validation loss")  # 3 and 4 tie


def test_a_declared_epoch_in_the_log_is_released(tmp_path: Path) -> None:
    loaded = load_policy(_policy(tmp_path, {"path": str(LOG), "released_epoch": 5}))
    read = load_training_log(loaded.policy, loaded.base_dir, 0)
    assert (read.released, read.released_from) == (5, "the policy")


def test_the_best_column_flags_the_released_epoch() -> None:
    log = parse_csv("epoch,train_loss,val_loss,best\n0,1,2,0\n1,0.5,0.4,1\n2,0.4,0.3,0\n", "x")
    assert (log.epochs, log.flagged, log.metrics) == ((0, 1, 2), 1, ())


def test_a_declared_epoch_outside_the_log_is_one_sentence(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"path": str(LOG), "released_epoch": 9})
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert result.exit_code == InputError.exit_code == 3
    assert result.stderr.strip() == (
        "error: models[0].training_log.released_epoch: epoch 9 is not in the training log, "
        "which holds epochs 1 to 5"
    )


def test_a_declared_epoch_the_log_contradicts_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("epoch,train_loss,val_loss,best\n1,1,1,0\n2,0.5,0.5,1\n", encoding="utf-8")
    loaded = load_policy(_policy(tmp_path, {"path": str(log), "released_epoch": 1}))
    with pytest.raises(InputError, match="declares epoch 1 but the training log's 'best' column"):
        load_training_log(loaded.policy, loaded.base_dir, 0)


MALFORMED = {
    "": "the training log is empty; expected a header row with epoch, train_loss, val_loss",
    "epoch,train_loss\n1,0.5\n": "the training log has no column 'val_loss'; its header must "
    "name epoch, train_loss, val_loss (found 'epoch', 'train_loss')",
    "epoch,train_loss,val_loss\n": "the training log has a header but no epoch",
    "epoch,train_loss,val_loss\n1,0.5\n": "line 2 has 2 cells; the header has 3",
    "epoch,train_loss,val_loss\n1,0.5,nan\n": "column 'val_loss' holds 'nan', which is not a "
    "finite number",
    "epoch,train_loss,val_loss\n1.5,0.5,0.4\n": "epoch '1.5' is not a whole number >= 0",
    "epoch,train_loss,val_loss\n2,0.5,0.4\n1,0.4,0.3\n": "the epochs must increase from row to row",
    "epoch,train_loss,val_loss,best\n1,1,1,1\n2,1,1,1\n": "column 'best' flags 2 epochs; it must "
    "flag exactly one",
}


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_log_exits_3_with_one_sentence(tmp_path: Path, text: str) -> None:
    log = tmp_path / "log.csv"
    log.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(_policy(tmp_path, {"path": str(log)}))])
    assert result.exit_code == 3
    where = f"{log} (models[0].training_log.path)"
    assert result.stderr.strip() == f"error: {where}: {MALFORMED[text]}"


def test_a_missing_log_exits_3_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    result = CliRunner().invoke(main, ["validate", str(_policy(tmp_path, {"path": str(missing)}))])
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"error: {missing}: training log not found (models[0].training_log.path)"
    )


def test_a_log_outside_the_root_is_a_policy_error(tmp_path: Path) -> None:
    policy = _policy(tmp_path, {"path": str(LOG)})
    with pytest.raises(PolicyError) as caught:
        load_policy(policy, root=tmp_path)
    assert any("models[0].training_log.path:" in line for line in caught.value.problems)


def test_a_negative_released_epoch_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"models\[0\]\.training_log\.released_epoch"):
        load_policy(_policy(tmp_path, {"path": str(LOG), "released_epoch": -1}))


def test_a_tensorboard_log_without_the_package_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # importing it raises ImportError
    spec = TrainingLogSpec(path=str(tmp_path), format="tensorboard")
    with pytest.raises(MissingDependencyError) as caught:
        read_training_log(tmp_path, spec, "models[0].training_log.path")
    assert str(caught.value) == (
        "tensorboard is needed for this step but is not installed; install it with: "
        "pip install 'reportgen[tensorboard]'"
    )
