"""A torch.export program's layers, read from its FX graph, and their outputs recorded while an
FX interpreter runs that graph.

The program's module (``ExportedProgram.module()``) is a graph of aten operations; each
operation node carries the stack of modules whose forward called it (``nn_module_stack``). A
*layer* is one call of a built-in ``torch.nn`` module (its consecutive operations: a
``Conv2d``'s ``conv2d``, a ``BatchNorm2d``'s ``batch_norm``), named by the module's dotted
name and typed by its class, or one operation the model's own code calls directly (``torch.relu``
in a forward), named by the node under its module's name and typed by the operation (``relu``,
``tanh`` and ``sigmoid`` as ``ReLU``, ``Tanh`` and ``Sigmoid``, others ``aten.<name>``). A
module called again later gets ``#2``, ``#3``... A layer's parameters are the program's
parameters its operations read; its output is its last operation's. Branches and skips need no
special rule: the interpreter runs the whole graph and records the layers' outputs on the way,
and every run checks that the graph's output it computed is the network's own, bit for bit.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from reportgen._lazy import require
from reportgen.analyses.network_layers import Layer, LayerReader, ScriptLayers, not_reproduced
from reportgen.errors import AnalysisError

OP_TYPES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
"""Operations called directly whose layer type is the module class the statistics know."""
NN_MODULES = "torch.nn.modules."


def read_layers(network: Any, model: str) -> LayerReader:
    """The reader of ``network``'s layers: an FX graph's (torch.export) or a TorchScript
    module's.

    Raises:
        AnalysisError: a TorchScript module's forward is not a chain of its children's, or a
            program has no operation on tensors.
    """
    if isinstance(network, require("torch").fx.GraphModule):
        return GraphLayers(network, model)
    return ScriptLayers(network, model)


def _owner(node: Any) -> tuple[str, str]:
    """The dotted name and full class name of the innermost module whose forward ran ``node``."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return "", ""
    name, cls = list(stack.values())[-1]
    return str(name), cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"


def _is_tensor(node: Any) -> bool:
    return isinstance(node.meta.get("val"), require("torch").Tensor)


class GraphLayers:
    """A torch.export program's layers (see the module's rules)."""

    def __init__(self, network: Any, model: str) -> None:
        self.network = network
        self.model = model
        params = dict(network.named_parameters())
        groups: list[tuple[str, str, list[Any]]] = []
        for node in network.graph.nodes:
            if node.op != "call_function" or not _is_tensor(node):
                continue
            name, cls = _owner(node)
            if name and cls.startswith(NN_MODULES):
                if groups and groups[-1][0] == name:
                    groups[-1][2].append(node)
                    continue
                groups.append((name, cls.rsplit(".", 1)[-1], [node]))
            else:
                op = str(getattr(node.target, "__name__", node.target)).split(".")[0]
                label = f"{name}.{node.name}" if name else node.name
                groups.append((label, OP_TYPES.get(op, f"aten.{op}"), [node]))
        if not groups:
            raise AnalysisError(f"model '{model}': its program runs no operation on tensors")
        seen: dict[str, int] = defaultdict(int)
        self.layers: list[Layer] = []
        self._owner_of: dict[str, int] = {}
        self._last: list[str] = []
        for i, (name, kind, nodes) in enumerate(groups):
            seen[name] += 1
            reads = {
                str(arg.target)
                for node in nodes
                for arg in node.all_input_nodes
                if arg.op == "get_attr" and str(arg.target) in params
            }
            self.layers.append(
                Layer(
                    name if seen[name] == 1 else f"{name}#{seen[name]}",
                    kind,
                    tuple(params[target] for target in sorted(reads)),
                )
            )
            self._owner_of.update({node.name: i for node in nodes})
            self._last.append(nodes[-1].name)

    def outputs(self, x: Any) -> list[Any]:
        recorder = _recorder()(self, count=False)
        out = recorder.run(x)
        if not _same(out, self.network(x)):
            raise not_reproduced(self.model)
        return [recorder.found[name] for name in self._last]

    def flops(self, x: Any) -> list[int]:
        recorder = _recorder()(self, count=True)
        with require("torch").no_grad():
            recorder.run(x.detach())
        return [recorder.flops[i] for i in range(len(self.layers))]


def _same(one: Any, two: Any) -> bool:
    torch, pytree = require("torch"), require("torch.utils._pytree")
    a, b = pytree.tree_leaves(one), pytree.tree_leaves(two)
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@cache
def _recorder() -> Any:
    torch = require("torch")

    class Recorder(torch.fx.Interpreter):  # type: ignore[name-defined]
        """Runs the graph, keeping the layers' last outputs and, if asked, their FLOPs."""

        def __init__(self, layers: GraphLayers, *, count: bool) -> None:
            super().__init__(layers.network)
            self.owner_of = layers._owner_of
            self.keep = set(layers._last)
            self.count = count
            self.found: dict[str, Any] = {}
            self.flops: dict[int, int] = defaultdict(int)

        def run_node(self, n: Any) -> Any:
            owner = self.owner_of.get(n.name)
            if self.count and owner is not None:
                counter = require("torch.utils.flop_counter").FlopCounterMode(display=False)
                with counter:
                    out = super().run_node(n)
                self.flops[owner] += int(counter.get_total_flops())
            else:
                out = super().run_node(n)
            if n.name in self.keep:
                self.found[n.name] = out
            return out

    return Recorder


__all__ = ["GraphLayers", "read_layers"]
