"""Image classifiers: a torch network taking (n, channels, height, width) normalised pixels.

Two formats: a ``torch.export`` program (.pt2, the format torch recommends) and a TorchScript
archive (deprecated in the pinned torch; it takes no hooks, so Grad-CAM cannot read its
layers). :meth:`ImageModel.predict` returns class probabilities, float64, batched and metered
like every adapter; :attr:`ImageModel.network` gives the differentiable network (its raw
outputs, usually logits) and :meth:`ImageModel.layer` the module Grad-CAM weighs. Code that runs
the network itself counts its passes in :attr:`ImageModel.meter` (the maps and map checks do it
through :func:`reportgen.analyses.imaging._batching.metered`), so no analysis reports a false 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.inputs.models import Meter, ModelCallError, NonFiniteOutput, model_error_summary
from reportgen.policy.schema import ModelSpec


class ImageModel:
    """A loaded image classifier."""

    def __init__(
        self, spec: ModelSpec, network: Any, layers: Any, shape: tuple[int, ...], path: Path
    ) -> None:
        self.name = spec.name
        self.format = spec.format
        self.task = spec.task
        self.classes: list[str] = list(spec.classes or [])
        self.batch_size = spec.batch_size
        self.trusted = spec.trusted
        self.layer_name = spec.layer
        self.output = spec.output
        self.shape = shape
        self.meter = Meter()
        self.network = network
        """The differentiable network: pixels -> raw outputs (n, classes)."""
        self._layers = layers
        self._path = path

    def fresh(self, *, with_layers: bool) -> Any:
        """A new, independent copy of the network read again from its file (a torch.export
        program cannot be deep-copied): the plain network, or the one whose layers take hooks."""
        network, layers = _load(self._path, self.format, with_layers=with_layers)
        return layers if with_layers else network

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    @property
    def dtype(self) -> str:
        return "float32"

    def layer(self) -> tuple[Any, Any]:
        """``(network, module)``: a network whose forward passes through the named layer
        (hooks on that module fire), and the module.

        Raises:
            InputError: the model is TorchScript, names no layer, or has no such module.
        """
        if self._layers is None:
            raise InputError(
                f"model '{self.name}': Grad-CAM cannot read the layers of a TorchScript model; "
                "save it with torch.export (format: torch_export)"
            )
        modules = dict(self._layers.named_modules())
        if self.layer_name not in modules:
            raise InputError(
                f"model '{self.name}': layer '{self.layer_name}' is not a module of the model "
                f"(it has {len(modules) - 1} named modules, e.g. {list(modules)[1:4]})"
            )
        return self._layers, modules[self.layer_name]

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (n, classes) for normalised images (n, c, h, w).

        Raises:
            ModelCallError: the model raised, or returned an output of the wrong shape.
            NonFiniteOutput: the model returned NaN or infinity for some images.
        """
        torch = require("torch")
        parts = []
        calls = -(-len(images) // self.batch_size)
        with self.meter.counting(len(images), calls=calls), torch.inference_mode():
            for i in range(0, len(images), self.batch_size):
                parts.append(self._call(torch.from_numpy(images[i : i + self.batch_size])))
        out = np.concatenate(parts) if parts else np.empty((0, self.n_outputs))
        finite = np.isfinite(out).all(axis=1)
        if not finite.all():
            raise NonFiniteOutput(self.name, np.logical_not(finite))
        return out

    def probabilities(self, raw: Any) -> Any:
        """The network's raw outputs as probabilities (softmax of logits)."""
        torch = require("torch")
        return raw if self.output == "probabilities" else torch.softmax(raw, dim=1)

    def _call(self, batch: Any) -> np.ndarray:
        torch = require("torch")
        try:
            raw = self.network(batch)
        except Exception as exc:  # the model is foreign code: any failure is reported as its own
            raise ModelCallError(
                f"model '{self.name}' failed on a batch of {len(batch)} image(s) of shape "
                f"{tuple(batch.shape[1:])}: {model_error_summary(exc)}"
            ) from exc
        if raw.ndim != 2 or raw.shape != (len(batch), self.n_outputs):
            raise ModelCallError(
                f"model '{self.name}' returned outputs of shape {tuple(raw.shape)} for "
                f"{len(batch)} image(s); expected ({len(batch)}, {self.n_outputs}) "
                f"({self.n_outputs} classes)"
            )
        values = self.probabilities(raw).to(torch.float64).numpy()
        return values / values.sum(axis=1, keepdims=True)  # float32 rounding: rows sum to 1


def load_image_model(path: Path, spec: ModelSpec, where: str, shape: tuple[int, ...]) -> ImageModel:
    """Load a torch.export program or TorchScript archive on the CPU, in eval mode.

    Raises:
        InputError: the file is not a loadable program of its declared format.
    """
    try:
        network, layers = _load(path, spec.format, with_layers=spec.layer is not None)
    except Exception as exc:  # a foreign file: any failure to load is the file's problem
        what = "torch.export program (.pt2)" if spec.format == "torch_export" else "TorchScript"
        raise InputError(
            f"{path}: not a loadable {what} ({where}.path): {model_error_summary(exc)}"
        ) from exc
    return ImageModel(spec, network, layers, shape, path)


def _load(path: Path, fmt: str, *, with_layers: bool) -> tuple[Any, Any]:
    """(network, network whose layers take hooks, or None) from a file of format ``fmt``."""
    torch = require("torch")
    if fmt == "torch_export":
        program = torch.export.load(str(path))
        return program.module(), torch.export.unflatten(program) if with_layers else None
    network = torch.jit.load(str(path), map_location="cpu")
    network.eval()
    return network, None
