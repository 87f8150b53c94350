"""Inside a torch network (issue 13): the layer table and parameter counts counted by hand, a
unit built to be dead, FLOPs of a linear layer by hand, PSI against hand computations, and
per-layer gradient norms against plain autograd."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from reportgen.analyses.context import ModelData
from reportgen.analyses.network import BLOCK_ROWS, Subject, activations, run_network
from reportgen.analyses.network_layers import ScriptLayers, flops
from reportgen.analyses.network_stats import dead_units, psi
from reportgen.engine import plan
from reportgen.errors import AnalysisError
from reportgen.policy import load_policy
from tests.analyses.toy_models import D, torch_model
from tests.conftest import ROOT

CREDIT = load_policy(ROOT / "policies" / "credit.yaml").policy
DEAD = 2  # the unit of the first hidden layer built to be dead


def _net() -> torch.nn.Module:
    """D -> 5 (ReLU) -> 3 (Tanh) -> 2, with unit DEAD of the first layer dead by construction:
    zero incoming weights and a negative bias, so its ReLU output is 0 on every row."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(D, 5),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.Tanh()),
        torch.nn.Linear(3, 2),
    )
    with torch.no_grad():
        net[0].weight[DEAD] = 0.0
        net[0].bias[DEAD] = -1.0
        net[0].bias[[i for i in range(5) if i != DEAD]] = 0.5  # the others are live
    net[3].bias.requires_grad_(False)
    return net


def _data(internals: dict | None = None, shift: float = 0.0) -> ModelData:
    raw = CREDIT.model_dump(by_alias=True)
    raw["internals"] = {"activation_rows": 100, "gradient_rows": 40, **(internals or {})}
    policy = type(CREDIT).model_validate(raw)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(150, D)) + shift
    return ModelData(
        model=torch_model(_net(), ["good", "bad"]),
        reference=rng.normal(size=(120, D)),
        evaluation=x,
        target=(x[:, 0] > 0).astype(np.int64),
        ids=np.arange(len(x)).astype(str),
        policy=policy,
        positive_index=1,
    )


def test_the_layer_table_and_parameter_counts_match_a_hand_count() -> None:
    result = run_network(_data())
    table = [(r.name, r.type, r.output_shape, r.parameters, r.trainable) for r in result.layers]
    assert table == [
        ("0", "Linear", [5], D * 5 + 5, D * 5 + 5),
        ("1", "ReLU", [5], 0, 0),
        ("2.0", "Linear", [3], 5 * 3 + 3, 5 * 3 + 3),
        ("2.1", "Tanh", [3], 0, 0),
        ("3", "Linear", [2], 3 * 2 + 2, 3 * 2),  # its bias is frozen
    ]
    assert result.parameters == 35 + 18 + 8 and result.trainable == 59
    assert result.input_shape == [D]


def test_flops_of_a_linear_layer_are_two_multiply_adds_per_weight() -> None:
    result = run_network(_data())
    assert [r.flops for r in result.layers] == [2 * D * 5, 0, 2 * 5 * 3, 0, 2 * 3 * 2]
    assert result.flops == 2 * (D * 5 + 5 * 3 + 3 * 2)


def test_the_unit_built_dead_is_the_only_dead_unit() -> None:
    result = run_network(_data())
    by_name = {a.name: a for a in result.activations}
    assert [a.name for a in result.activations] == ["0", "1", "2.0", "2.1"]
    assert by_name["1"].dead == [DEAD]
    assert by_name["0"].dead is None and by_name["2.1"].dead is None  # not ReLU-like
    assert by_name["2.1"].saturated == [] and by_name["1"].saturated is None


def test_a_tanh_unit_pushed_to_its_bound_is_saturated_and_no_other() -> None:
    data = _data()
    with torch.no_grad():
        getattr(getattr(data.model.network, "2"), "0").bias[1] = 40.0
    result = run_network(data)
    assert {a.name: a.saturated for a in result.activations}["2.1"] == [1]


def test_psi_of_identical_data_is_zero_and_a_toy_shift_matches_a_hand_computation() -> None:
    values = np.arange(1.0, 11.0)  # deciles cut between every value: ten bins of one value each
    assert psi(values, values) == 0.0
    shifted = np.array([1.0] * 5 + [10.0] * 5)  # half in the first bin, half in the last
    r = np.full(10, 0.1)
    e = np.array([0.5] + [1e-4] * 8 + [0.5])
    assert psi(values, shifted) == pytest.approx(float(np.sum((e - r) * np.log(e / r))))
    by_hand = 2 * 0.4 * math.log(5) + 8 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert psi(values, shifted) == pytest.approx(by_hand)


def test_drift_is_zero_on_identical_data_and_large_after_a_shift() -> None:
    data = _data({"activation_rows": 200})  # every row of both
    base = run_network(replace(data, reference=data.evaluation))
    shifted = run_network(_data(shift=1.5))
    assert all(a.psi_mean == a.psi_max == 0.0 for a in base.activations)
    assert all(a.psi_mean > 0.25 for a in shifted.activations if a.name != "1")


def test_gradient_norms_equal_autograd_row_by_row() -> None:
    data = _data({"gradient_rows": 150})
    result = run_network(data)
    net = _net().double()
    norms = {name: [] for name in ("0", "2.0", "3")}
    for row, label in zip(data.evaluation, data.target, strict=True):
        net.zero_grad()
        p = torch.softmax(net(torch.from_numpy(row[None])), dim=1)
        (-torch.log(p[0, label])).backward()
        for name, module in (("0", net[0]), ("2.0", net[2][0]), ("3", net[3])):
            grads = [q.grad for q in module.parameters() if q.grad is not None]
            norms[name].append(float(torch.sqrt(sum((g**2).sum() for g in grads))))
    assert [g.name for g in result.gradients] == ["0", "2.0", "3"]
    for g in result.gradients:
        assert g.mean_norm == pytest.approx(np.mean(norms[g.name]), rel=1e-5)
        assert g.p95_norm == pytest.approx(np.quantile(norms[g.name], 0.95), rel=1e-5)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_gradient_norms_of_other_tasks_equal_autograd_of_their_loss(task: str) -> None:
    """Three classes: -log of the true class's softmax probability; regression: squared error."""
    outputs, classes = (3, ["a", "b", "c"]) if task == "multiclass" else (1, None)
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(D, 4), torch.nn.ReLU(), torch.nn.Linear(4, outputs))
    data = _data({"gradient_rows": 150})
    x = data.evaluation
    target = np.digitize(x[:, 0], [-0.5, 0.5]) if classes else x[:, 0] * 2.0 + x[:, 1]
    data = replace(data, model=torch_model(net, classes, name=CREDIT.models[0].name), target=target)
    result = run_network(data)
    reference = net.double()
    norms: dict[str, list[float]] = {"0": [], "2": []}
    for row, label in zip(x, target, strict=True):
        reference.zero_grad()
        out = reference(torch.from_numpy(row[None]))
        if classes:
            loss = -torch.log(torch.softmax(out, dim=1)[0, int(label)])
        else:
            loss = (out[0, 0] - float(label)) ** 2
        loss.backward()
        for name, module in (("0", reference[0]), ("2", reference[2])):
            grads = [q.grad for q in module.parameters() if q.grad is not None]
            norms[name].append(float(torch.sqrt(sum((g**2).sum() for g in grads))))
    assert [g.name for g in result.gradients] == ["0", "2"]
    for g in result.gradients:
        assert g.mean_norm == pytest.approx(np.mean(norms[g.name]), rel=1e-5)
        assert g.p95_norm == pytest.approx(np.quantile(norms[g.name], 0.95), rel=1e-5)
    assert result.loss == (
        "cross-entropy: -log of the probability of the row's true class"
        if classes
        else "squared error of the predicted value"
    )


def test_every_pass_through_the_network_is_metered() -> None:
    """The layer table (the layers and the network to check them, then the layers counting
    operations), the network's operations, each activation block twice (layers, then the check)
    and one row per gradient."""
    result = run_network(_data({"activation_rows": 100, "gradient_rows": 40}))
    blocks = 2 * -(-100 // BLOCK_ROWS)  # reference and evaluation samples of 100 rows
    assert result.cost.model_rows == 2 + 1 + 1 + 2 * (100 + 100) + 40
    assert result.cost.model_calls == 2 + 1 + 1 + 2 * blocks + 40


def test_the_same_seed_gives_the_same_bytes() -> None:
    one, two = run_network(_data()), run_network(_data())
    assert one.model_dump(exclude={"cost"}) == two.model_dump(exclude={"cost"})


class Skip(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(D, D)
        self.b = torch.nn.Linear(D, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(x + self.a(x))


def test_a_network_that_is_not_a_chain_is_refused_in_one_sentence() -> None:
    with pytest.raises(AnalysisError, match="does not run its layers one after the other"):
        ScriptLayers(torch.jit.script(Skip()), "skip")


def test_a_scripted_network_that_is_not_a_chain_is_skipped_with_the_reason() -> None:
    name = CREDIT.models[0].name
    data = replace(_data(), model=torch_model(Skip(), ["good", "bad"], name=name))
    steps, skipped = plan(data.policy, data.model.name, data)
    assert "network" not in [k.name for k in steps]
    (reason,) = [s.reason for s in skipped if s.analysis == "network"]
    assert reason == (
        f"model '{data.model.name}': the network (Skip) does not run its layers one after the "
        "other; the internals section reads only networks made of chained layers"
    )


def test_a_layer_the_policy_names_must_exist() -> None:
    with pytest.raises(AnalysisError, match=r"internals\.layers names 'nope'"):
        run_network(_data({"layers": ["nope"]}))
    chosen = run_network(_data({"layers": ["2.1"]}))
    assert [a.name for a in chosen.activations] == ["2.1"]


def test_a_rows_activations_do_not_depend_on_the_rows_run_with_it() -> None:
    """Other rows' values change nothing (a row's place in its block of ROW_BLOCK rows can: the
    linear algebra rounds alternate rows differently, which is why the blocks are fixed)."""
    data = _data()
    reader = ScriptLayers(data.model.network, "toy")
    every = list(range(len(reader.layers)))
    subject = Subject.tabular(data.model)
    rows = data.evaluation[:100]
    together = activations(subject, reader, rows, every)
    for k in (0, 37, 99):
        others = rows[::-1].copy()
        others[k] = rows[k]
        apart = activations(subject, reader, others, every)
        assert all(np.array_equal(a[k], b[k]) for a, b in zip(together, apart, strict=True))


def test_a_small_cnns_layers_flops_and_dead_channel_match_a_hand_count() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 2),
    )
    with torch.no_grad():
        net[0].weight[1] = 0.0
        net[0].bias[1] = -0.5  # channel 1 is dead
        net[0].bias[[0, 2, 3]] = 0.5
    scripted = torch.jit.script(net.eval())
    reader = ScriptLayers(scripted, "cnn")
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    outs = reader.outputs(x)
    assert [(c.name, c.type, c.parameters) for c in reader.layers] == [
        ("0", "Conv2d", 4 * 9 + 4),
        ("1", "ReLU", 0),
        ("2", "MaxPool2d", 0),
        ("3", "Flatten", 0),
        ("4", "Linear", 64 * 2 + 2),
    ]
    assert [list(o.shape[1:]) for o in outs] == [[4, 8, 8], [4, 8, 8], [4, 4, 4], [64], [2]]
    # a 3x3 kernel over 1 channel at each of 8 x 8 positions for 4 channels: 2 * 4*64*9
    assert reader.flops(x[:1])[0] == 2 * 4 * 64 * 9
    assert flops(scripted, x[:1]) == 2 * 4 * 64 * 9 + 2 * 64 * 2
    assert dead_units("ReLU", outs[1].detach().numpy()) == [1]


def test_rows_whose_true_class_gets_probability_zero_are_left_out_of_the_gradients() -> None:
    """Extreme outputs (e.g. the privacy tests' canary rows) can round the true class's
    probability to 0: that row's loss is infinite and has no gradient; the norms summarise the
    other rows, and the result says how many."""
    data = _data({"gradient_rows": 150})
    net = _net()
    with torch.no_grad():
        net[3].weight *= 1e4  # logits thousands apart: the losing class rounds to 0
    data = replace(data, model=torch_model(net, ["good", "bad"]))
    with torch.no_grad():
        p = torch.softmax(net(torch.tensor(data.evaluation, dtype=torch.float32)), dim=1)
    true = p[np.arange(150), data.target]
    alive, safe = int((true > 0).sum()), int((true > 1e-30).sum())
    assert 0 < alive < 150  # some rows are the ones this test is about
    found = run_network(data)
    # rows at probability 0 are out; a denormal probability's gradient (1/p) overflows too
    assert safe <= found.gradient_rows <= alive
    for g in found.gradients:
        assert math.isfinite(g.mean_norm) and math.isfinite(g.p95_norm)
