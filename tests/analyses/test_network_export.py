"""The network section on torch.export programs (issue 13): a tabular .pt2 program gives the
same results as the TorchScript module of the same weights, and the FX graph's layers are read
by the stated rules and reproduce the network's output."""

from __future__ import annotations

import io
from collections import OrderedDict
from dataclasses import replace

import pytest
import torch

from reportgen.analyses.network import run_network
from reportgen.analyses.network_graph import GraphLayers, read_layers
from reportgen.errors import AnalysisError
from reportgen.inputs.models import TorchAdapter
from reportgen.policy.schema import ModelSpec
from tests.analyses.test_network import _data, _net
from tests.analyses.toy_models import D, numeric_preprocessing


def exported(
    net: torch.nn.Module, example: torch.Tensor, *, train: bool = False
) -> torch.fx.GraphModule:
    """``net`` exported with a free batch size (in eval mode unless ``train``), saved and
    loaded back, as a module."""
    program = torch.export.export(
        net.train(train), (example,), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},)
    )
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    buffer.seek(0)
    return torch.export.load(buffer).module()


def test_a_tabular_program_gives_the_torchscript_modules_results() -> None:
    data = _data({"gradient_rows": 60})
    spec = ModelSpec(
        name="toy",
        format="torch_export",
        path="-",
        task="classification",
        classes=["good", "bad"],
        preprocessing="-",
    )
    program = TorchAdapter(spec, exported(_net(), torch.zeros(64, D)), numeric_preprocessing())
    scripted = run_network(data)
    from_program = run_network(replace(data, model=program))
    assert from_program.model_dump(exclude={"cost"}) == scripted.model_dump(exclude={"cost"})
    assert from_program.activations[1].dead == [2]  # the toy's dead unit, read from the graph


class _Block(torch.nn.Module):
    """A residual block whose own code calls relu and adds the skip."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = torch.nn.Linear(3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.inner(x)) + x


def _skip_net() -> torch.nn.Module:
    torch.manual_seed(3)
    return torch.nn.Sequential(
        OrderedDict(
            first=torch.nn.Linear(4, 3),
            norm=torch.nn.BatchNorm1d(3),
            block=_Block(),
            act=torch.nn.Tanh(),
            out=torch.nn.Linear(3, 2),
        )
    )


def test_a_programs_layers_follow_the_rules_and_reproduce_each_module_output() -> None:
    """torch.nn modules are layers named and typed by the module; operations the model's own
    code calls are layers of their own; a skip needs no chain; every recorded output equals the
    eager module's, and the last one the program's."""
    net = _skip_net().eval()
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(5))
    program = exported(net, x)
    reader = read_layers(program, "skip")
    assert isinstance(reader, GraphLayers)
    table = [(layer.name, layer.type, layer.parameters) for layer in reader.layers]
    assert table == [
        ("first", "Linear", 4 * 3 + 3),
        ("norm", "BatchNorm1d", 3 + 3),  # weight and bias; running statistics are buffers
        ("block.inner", "Linear", 3 * 3 + 3),
        ("block.relu", "ReLU", 0),
        ("block.add", "aten.add", 0),
        ("act", "Tanh", 0),
        ("out", "Linear", 3 * 2 + 2),
    ]
    with torch.no_grad():
        first = net.first(x)
        norm = net.norm(first)
        inner = net.block.inner(norm)
        relu = torch.relu(inner)
        add = relu + norm
        act = torch.tanh(add)
        expected = [first, norm, inner, relu, add, act, net.out(act)]
        found = reader.outputs(x)
    assert all(torch.equal(a, b) for a, b in zip(found, expected, strict=True))
    assert torch.equal(found[-1], program(x))
    assert reader.flops(x[:1]) == [2 * 4 * 3, 0, 2 * 3 * 3, 0, 0, 0, 2 * 3 * 2]


def test_outputs_that_do_not_reproduce_the_network_are_refused() -> None:
    """A program exported in training mode draws a new dropout mask on every call: the run
    that records the layers does not give the output of the network's own run."""
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 2))
    x = torch.randn(64, 4)
    reader = GraphLayers(exported(net, x, train=True), "dropout")
    with pytest.raises(AnalysisError, match="does not give the network's own output"):
        reader.outputs(x)


def test_a_module_called_twice_gets_numbered_layers() -> None:
    class Twice(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.act = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.act(self.b(self.act(self.a(x))))

    reader = GraphLayers(exported(Twice(), torch.zeros(8, 2)), "twice")
    assert [layer.name for layer in reader.layers] == ["a", "act", "b", "act#2"]
