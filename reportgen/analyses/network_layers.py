"""A TorchScript network's layers, read from the network itself, run one layer at a time.

TorchScript modules take no forward hooks (``register_forward_hook is not supported on
ScriptModules``), so the layers' outputs are found by running the network's own layers in the
order its compiled forward calls them. A module whose forward graph is a plain chain (each
statement calls a child's ``forward`` on the previous statement's result, and the last result
is returned: ``nn.Sequential`` and its like) is replaced by its children, recursively; a module
without children is a layer. A network whose forward does anything else (branches, skips,
arithmetic between layers) is refused with an AnalysisError, and every run checks that the
chained layers give the network's own output, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen._lazy import require
from reportgen.errors import AnalysisError


@dataclass(frozen=True)
class Layer:
    """One layer the network's forward runs: its dotted name, its class and the module."""

    name: str
    type: str
    module: Any

    @property
    def parameters(self) -> int:
        return sum(int(p.numel()) for p in self.module.parameters())

    @property
    def trainable(self) -> int:
        return sum(int(p.numel()) for p in self.module.parameters() if p.requires_grad)


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


def layers(network: Any, model: str) -> list[Layer]:
    """The network's layers in the order its forward runs them.

    Raises:
        AnalysisError: a module's forward is not a chain of its children's forwards.
    """

    def walk(module: Any, prefix: str) -> list[Layer]:
        if not list(module.children()):
            return [Layer(prefix, _type(module), module)]
        names = chain(module)
        if names is None:
            where = f"module '{prefix}'" if prefix else "the network"
            raise AnalysisError(
                f"model '{model}': {where} ({_type(module)}) does not run its layers one after "
                "the other; the internals section reads only networks made of chained layers"
            )
        return [
            layer
            for name in names
            for layer in walk(getattr(module, name), f"{prefix}.{name}" if prefix else name)
        ]

    return walk(network, "")


def run_layers(network: Any, chained: list[Layer], x: Any, model: str) -> list[Any]:
    """Each layer's output on the network input ``x``, checked against the network's output.

    Raises:
        AnalysisError: the chained layers do not give the network's output.
    """
    torch = require("torch")
    found = []
    current = x
    for layer in chained:
        current = layer.module(current)
        found.append(current)
    if not torch.equal(current, network(x)):
        raise AnalysisError(
            f"model '{model}': running its layers one after the other does not give the "
            "network's own output; its layers cannot be read one at a time"
        )
    return found


def flops(module: Any, x: Any) -> int:
    """Floating-point operations of ``module`` on the input ``x``, as torch's FlopCounterMode
    counts them (a multiply-add counts 2; additions of biases and element-wise functions 0)."""
    counter = require("torch.utils.flop_counter").FlopCounterMode(display=False)
    with counter, require("torch").no_grad():
        module(x.detach())  # a view of a tensor that requires grad trips the counter's tracker
    return int(counter.get_total_flops())


__all__ = ["Layer", "chain", "flops", "layers", "run_layers"]
