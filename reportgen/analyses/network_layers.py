"""A torch network's layers, read from the network itself, and each layer's output on an input.

Two readers, one interface (:class:`LayerReader`);
:func:`reportgen.analyses.network_graph.read_layers` picks the one the network's format needs.

- A TorchScript module (:class:`ScriptLayers`) takes no forward hooks (``register_forward_hook
  is not supported on ScriptModules``), so its layers' outputs are found by running the
  network's own layers in the order its compiled forward calls them. A module whose forward
  graph is a plain chain (each statement calls a child's ``forward`` on the previous
  statement's result, and the last result is returned: ``nn.Sequential`` and its like) is
  replaced by its children, recursively; a module without children is a layer. A network whose
  forward does anything else (branches, skips, arithmetic between layers) is refused with an
  AnalysisError.
- A torch.export program (:class:`~reportgen.analyses.network_graph.GraphLayers`) is an FX
  graph of aten operations: its layers are read from the graph and its outputs recorded while
  an FX interpreter runs the graph itself.

Either way, every run checks that the recorded final output is the network's own output, bit
for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from reportgen._lazy import require
from reportgen.errors import AnalysisError


@dataclass(frozen=True)
class Layer:
    """One layer the network's forward runs: its dotted name, its class and its parameters."""

    name: str
    type: str
    params: tuple[Any, ...]

    @property
    def parameters(self) -> int:
        return sum(int(p.numel()) for p in self.params)

    @property
    def trainable(self) -> int:
        return sum(int(p.numel()) for p in self.params if p.requires_grad)


class LayerReader(Protocol):
    """A network's layers in the order its forward runs them, and their outputs."""

    layers: list[Layer]

    def outputs(self, x: Any) -> list[Any]:
        """Each layer's output on the network input ``x``, checked against the network's output.

        Raises:
            AnalysisError: the recorded last output is not the network's output.
        """

    def flops(self, x: Any) -> list[int]:
        """Each layer's floating-point operations on the network input ``x``."""


def _type(module: Any) -> str:
    """The layer's class name (``original_name`` of a scripted module)."""
    return str(getattr(module, "original_name", type(module).__name__))


def chain(module: Any) -> list[str] | None:
    """The children whose ``forward`` the module's forward calls one after the other, by
    attribute name; None when its forward is not such a chain."""
    graph = module.graph
    inputs = list(graph.inputs())
    if len(inputs) != 2:
        return None
    me, current = inputs[0].unique(), inputs[1].unique()
    children: dict[int, str] = {}
    called: list[str] = []
    for node in graph.nodes():
        kind = node.kind()
        ins = list(node.inputs())
        if kind == "prim::GetAttr" and ins[0].unique() == me:
            children[node.output().unique()] = node.s("name")
        elif (
            kind == "prim::CallMethod"
            and node.s("name") == "forward"
            and len(ins) == 2
            and ins[0].unique() in children
            and ins[1].unique() == current
        ):
            called.append(children[ins[0].unique()])
            current = node.output().unique()
        else:
            return None
    returned = list(graph.return_node().inputs())
    if len(returned) != 1 or returned[0].unique() != current or not called:
        return None
    return called


def not_reproduced(model: str) -> AnalysisError:
    return AnalysisError(
        f"model '{model}': running its layers one after the other does not give the "
        "network's own output; its layers cannot be read one at a time"
    )


class ScriptLayers:
    """A TorchScript network's chained layers (see the module's rules)."""

    def __init__(self, network: Any, model: str) -> None:
        self.network = network
        self.model = model
        self.modules: list[Any] = []
        self.layers: list[Layer] = []
        self._walk(network, "")

    def _walk(self, module: Any, prefix: str) -> None:
        if not list(module.children()):
            self.modules.append(module)
            self.layers.append(Layer(prefix, _type(module), tuple(module.parameters())))
            return
        names = chain(module)
        if names is None:
            where = f"module '{prefix}'" if prefix else "the network"
            raise AnalysisError(
                f"model '{self.model}': {where} ({_type(module)}) does not run its layers one "
                "after the other; the internals section reads only networks made of chained "
                "layers"
            )
        for name in names:
            self._walk(getattr(module, name), f"{prefix}.{name}" if prefix else name)

    def outputs(self, x: Any) -> list[Any]:
        found = []
        current = x
        for module in self.modules:
            current = module(current)
            found.append(current)
        if not require("torch").equal(current, self.network(x)):
            raise not_reproduced(self.model)
        return found

    def flops(self, x: Any) -> list[int]:
        counts = []
        current = x
        for module in self.modules:
            count, current = counted(module, current)
            counts.append(count)
        return counts


def flops(module: Any, x: Any) -> int:
    """Floating-point operations of ``module`` on the input ``x``, as torch's FlopCounterMode
    counts them (a multiply-add counts 2; additions of biases and element-wise functions 0)."""
    return counted(module, x)[0]


def counted(module: Any, x: Any) -> tuple[int, Any]:
    """:func:`flops` of ``module`` on ``x``, and its output (one pass)."""
    counter = require("torch.utils.flop_counter").FlopCounterMode(display=False)
    with counter, require("torch").no_grad():
        out = module(x.detach())  # a view of a tensor that requires grad trips the counter
    return int(counter.get_total_flops()), out


__all__ = ["Layer", "LayerReader", "ScriptLayers", "chain", "flops", "not_reproduced"]
