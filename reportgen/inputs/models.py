"""Model adapters: one call shape for every model format.

An adapter predicts on raw, human-level features: ``predict(frame)`` takes a frame of raw values,
``predict_codes(codes)`` the codec's matrix (one column per raw feature). Classifiers return class
probabilities ``(n, n_classes)``, regressors values ``(n,)``, always float64. Every call is
batched and metered (rows, calls, seconds) so analyses can report what they cost.

A model computes in its own floating-point type (``dtype``): its outputs are only as precise as
that type's machine epsilon, which checks that compare outputs to tight tolerances must allow for.
"""

from __future__ import annotations

import io
import pickle
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.inputs.codec import FeatureCodec
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy.schema import ModelSpec


@dataclass
class Meter:
    """Counts rows pushed through a model, batched calls, and seconds spent inside it."""

    rows: int = 0
    calls: int = 0
    seconds: float = 0.0

    def snapshot(self) -> Meter:
        return Meter(self.rows, self.calls, self.seconds)

    def since(self, start: Meter) -> Meter:
        return Meter(self.rows - start.rows, self.calls - start.calls, self.seconds - start.seconds)

    @contextmanager
    def counting(self, rows: int, calls: int = 1) -> Iterator[None]:
        """Count the block as ``calls`` calls of ``rows`` rows in all and the seconds it takes
        (nothing when it raises: the analysis that fails reports no cost)."""
        start = time.perf_counter()
        yield
        self.rows += rows
        self.calls += calls
        self.seconds += time.perf_counter() - start


ROW_BLOCK = 64
"""Every model call is padded to a multiple of this many rows (see ``ModelAdapter._call``)."""


class ModelCallError(InputError):
    """The model itself failed: it raised, or its output has the wrong shape."""


class NonFiniteOutput(InputError):
    """The model returned NaN or infinite outputs; ``rows`` marks the rows (of one call)."""

    def __init__(self, model: str, rows: np.ndarray) -> None:
        first = int(np.argmax(rows)) + 1
        super().__init__(
            f"model '{model}' returned NaN or infinite outputs for {int(rows.sum())} of "
            f"{len(rows)} row(s) (first at row {first} of that call)"
        )
        self.rows = rows


def model_error_summary(exc: BaseException) -> str:
    """The last line of an exception's text: TorchScript wraps the cause in its own traceback."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    text = text if len(text) <= 240 else text[:237] + "..."
    if re.match(r"^[A-Za-z_.]*(Error|Exception): ", text):
        return text.removeprefix("builtins.")  # the cause, as a TorchScript traceback names it
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ModelAdapter(ABC):
    """A loaded model that predicts on raw features."""

    format: str

    def __init__(self, spec: ModelSpec, codec: FeatureCodec, classes: list[str] | None) -> None:
        self.name = spec.name
        self.task = spec.task
        self.classes = classes
        self.codec = codec
        self.batch_size = spec.batch_size
        self.trusted = spec.trusted
        self.meter = Meter()

    @property
    def feature_names(self) -> list[str]:
        return self.codec.names

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.classes else 1

    @property
    def dtype(self) -> str:
        """The floating-point type the model computes in (scikit-learn: float64)."""
        return "float64"

    @property
    def epsilon(self) -> float:
        """Machine epsilon of :attr:`dtype`: the relative precision of one model output."""
        return float(np.finfo(self.dtype).eps)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predict on a frame of raw feature values."""
        return self.predict_codes(self.codec.to_codes(frame, source=f"model '{self.name}' input"))

    def predict_codes(self, codes: np.ndarray) -> np.ndarray:
        """Predict on coded raw features (n, d), in batches of ``batch_size`` rows.

        Raises:
            ModelCallError: the model raised, or returned an output of the wrong shape.
            NonFiniteOutput: the model returned NaN or infinity for some rows.
        """
        return self._predict(codes, self._predict_batch)

    def model_inputs(self, codes: np.ndarray) -> np.ndarray:
        """Coded rows (n, d) as the matrix the model itself consumes (n, p): a torch network's
        encoded input; the codes themselves for models that take raw features.

        Each input column belongs to one raw feature (:attr:`input_features`) and is a function
        of that feature's code alone, so a row that mixes the features of two rows can be built
        from their inputs directly: what explainers that build many such rows do, to send them
        to :meth:`predict_inputs` without encoding each one again.
        """
        return np.asarray(codes, dtype=np.float64)

    @property
    def input_features(self) -> np.ndarray:
        """(p,) the raw feature each column of :meth:`model_inputs` belongs to."""
        return np.arange(len(self.codec.names))

    def predict_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """:meth:`predict_codes` of rows given as :meth:`model_inputs`: the same outputs, bit for
        bit, batched, padded, checked and metered the same way."""
        return self._predict(inputs, self._predict_inputs_batch)

    def _predict(self, rows: np.ndarray, batch: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        n, step = len(rows), self.batch_size
        with self.meter.counting(n, calls=-(-n // step)):
            if n <= step:
                out = (
                    self._call(rows, batch)
                    if n
                    else np.empty((0, self.n_outputs) if self.classes else (0,))
                )
            else:
                out = np.empty((n, self.n_outputs) if self.classes else (n,))
                for i in range(0, n, step):
                    out[i : i + step] = self._call(rows[i : i + step], batch)
        if not np.isfinite(out).all():  # one flat pass; which rows only when some are not
            finite = np.isfinite(out.reshape(n, -1)).all(axis=1)
            raise NonFiniteOutput(self.name, np.logical_not(finite))
        return np.ascontiguousarray(out)

    def _call(self, codes: np.ndarray, batch: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """One batch through the model; its own failures become one-sentence errors.

        The batch is padded (with copies of its last row) to a multiple of ``ROW_BLOCK`` rows:
        linear algebra libraries round a row's result differently in tiny batches than in large
        ones, and the padding makes each row's output independent of how rows are batched, so
        the same rows give the same bits however the work is split into shards.
        """
        n = len(codes)
        pad = -n % ROW_BLOCK
        padded = codes
        if pad:
            padded = np.empty((n + pad, *codes.shape[1:]), dtype=codes.dtype)
            padded[:n] = codes
            padded[n:] = codes[-1]
        try:
            out = batch(padded)[:n]
        except Exception as exc:  # the model is foreign code: any failure is reported as its own
            raise ModelCallError(
                f"model '{self.name}' failed on a batch of {n} row(s): {model_error_summary(exc)}"
            ) from exc
        expected = (n, self.n_outputs) if self.classes else (n,)
        if out.shape != expected:
            raise ModelCallError(
                f"model '{self.name}' returned outputs of shape {out.shape} for {n} "
                f"row(s); expected {expected}"
                + (f" ({len(self.classes)} classes)" if self.classes else " (one value per row)")
            )
        return out

    @abstractmethod
    def _predict_batch(self, codes: np.ndarray) -> np.ndarray: ...

    def _predict_inputs_batch(self, inputs: np.ndarray) -> np.ndarray:
        """One padded batch of :meth:`model_inputs` rows (models on raw features: the codes)."""
        return self._predict_batch(inputs)


class EncodedModel(ModelAdapter):
    """A network fed the encoded matrix of its preprocessing file (torch, ONNX)."""

    def __init__(self, spec: ModelSpec, preprocessing: Preprocessing) -> None:
        super().__init__(spec, preprocessing.codec, spec.classes)
        self.format = spec.format
        self._pre = preprocessing
        self._output = spec.output

    @property
    def preprocessing(self) -> Preprocessing:
        return self._pre

    @property
    def input_dtype(self) -> type[np.floating]:
        """The NumPy type of the network's input: rows are encoded in it directly."""
        return np.float32 if self.dtype == "float32" else np.float64

    def model_inputs(self, codes: np.ndarray) -> np.ndarray:
        """The encoded matrix, as NumPy (a float32 network's input is encoded as float32
        directly: the same single rounding)."""
        return self._pre.encode(codes, dtype=self.input_dtype)

    @cached_property
    def input_features(self) -> np.ndarray:
        widths = [cols.stop - cols.start for _, cols in self._pre.groups]
        return np.repeat(np.arange(len(widths)), widths)

    def _predict_batch(self, codes: np.ndarray) -> np.ndarray:
        return self._predict_inputs_batch(self.model_inputs(codes))


class TorchAdapter(EncodedModel):
    """A torch network (TorchScript archive or torch.export program) fed through its declared
    preprocessing."""

    def __init__(self, spec: ModelSpec, module: Any, preprocessing: Preprocessing) -> None:
        super().__init__(spec, preprocessing)
        self._module = module
        self._dtype = _floating_dtype(module)

    @property
    def network(self) -> Any:
        """The torch network itself (to read: :meth:`edited` edits a copy)."""
        return self._module

    @property
    def torch_dtype(self) -> Any:
        """The torch dtype of the network's floating parameters: what it is fed and computes in."""
        return self._dtype

    @property
    def dtype(self) -> str:
        return str(self._dtype).removeprefix("torch.")

    @property
    def epsilon(self) -> float:
        return float(require("torch").finfo(self._dtype).eps)

    def encode(self, codes: np.ndarray) -> Any:
        """Coded raw features (n, d) -> the encoded tensor the network takes, in its dtype."""
        return require("torch").from_numpy(self.model_inputs(codes)).to(self._dtype)

    def _predict_inputs_batch(self, inputs: np.ndarray) -> np.ndarray:
        torch = require("torch")
        with torch.inference_mode():
            encoded = torch.from_numpy(inputs).to(self._dtype)
            if self.task == "regression":
                return self.outputs(encoded).to(torch.float64).numpy()
            by_class = self._by_class(encoded).to(torch.float64).numpy()
        by_class /= by_class.sum(axis=0)  # low-precision rounding: make each row sum to 1
        return by_class.T

    def outputs(self, encoded: Any) -> Any:
        """Differentiable outputs on an encoded tensor: probabilities (n, k) or values (n,)."""
        if self.task == "regression":
            return self._module(encoded).reshape(encoded.shape[0])
        return self._by_class(encoded).t()

    def _by_class(self, encoded: Any) -> Any:
        """Class probabilities laid out (k, n), one row per class: softmax across k long rows
        is several times faster than across n rows of k values."""
        torch = require("torch")
        raw = self._module(encoded)
        by_class = raw.reshape(1, -1) if raw.ndim == 1 else raw.t()
        if self._output == "probabilities":
            return torch.cat([1.0 - by_class, by_class]) if len(by_class) == 1 else by_class
        if len(by_class) == 1:
            p = torch.sigmoid(by_class)
            return torch.cat([1.0 - p, p])
        return torch.softmax(by_class, dim=0)

    def randomised(self, seed: int) -> TorchAdapter:
        """A copy whose every weight is redrawn at random with the same scale (sanity checks)."""
        torch = require("torch")
        generator = torch.Generator().manual_seed(seed)

        def redraw(module: Any) -> None:
            for parameter in module.parameters():
                scale = float(parameter.std()) if parameter.numel() > 1 else 1.0
                noise = torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype)
                parameter.copy_(noise * (scale or 1.0))

        return self.edited(redraw)

    def edited(self, change: Callable[[Any], None]) -> TorchAdapter:
        """A copy of this adapter around a copy of the network that ``change`` edited in place
        (under ``torch.no_grad``); it shares this adapter's meter."""
        torch = require("torch")
        if isinstance(self._module, torch.jit.ScriptModule):
            buffer = io.BytesIO()
            torch.jit.save(self._module, buffer)
            buffer.seek(0)
            module = torch.jit.load(buffer, map_location="cpu")
        else:  # a torch.export program's module: a plain GraphModule
            module = deepcopy(self._module)
        with torch.no_grad():
            change(module)
        copy = TorchAdapter.__new__(TorchAdapter)
        copy.__dict__.update(self.__dict__)
        copy._module = _eval_mode(module)
        copy.meter = self.meter
        return copy

    def with_module(self, module: Any) -> TorchAdapter:
        """A copy of this adapter around another network with the same input and outputs (a
        candidate replacement); it shares this adapter's meter."""
        copy = TorchAdapter.__new__(TorchAdapter)
        copy.__dict__.update(self.__dict__)
        copy._module = _eval_mode(module)
        copy._dtype = _floating_dtype(module)
        copy.meter = self.meter
        return copy


class SklearnAdapter(ModelAdapter):
    """A scikit-learn estimator (usually a Pipeline) that takes the raw frame itself."""

    def __init__(self, spec: ModelSpec, estimator: Any, codec: FeatureCodec) -> None:
        classes = None
        if spec.task == "classification":
            if not hasattr(estimator, "predict_proba"):
                raise InputError(f"model '{spec.name}': a classifier must offer predict_proba")
            classes = [str(c) for c in estimator.classes_]
            if spec.classes is not None and spec.classes != classes:
                raise InputError(
                    f"model '{spec.name}': the policy lists classes {spec.classes} "
                    f"but the model's classes are {classes}"
                )
        super().__init__(spec, codec, classes)
        self.format = spec.format
        self._estimator = estimator

    def _predict_batch(self, codes: np.ndarray) -> np.ndarray:
        frame = self.codec.to_frame(codes)
        if self.task == "classification":
            return np.asarray(self._estimator.predict_proba(frame), dtype=np.float64)
        return np.asarray(self._estimator.predict(frame), dtype=np.float64).reshape(len(codes))


def _eval_mode(module: Any) -> Any:
    """``module`` in eval mode; a torch.export program's module keeps the mode it was exported
    in (it refuses ``eval()``)."""
    torch = require("torch")
    return module if isinstance(module, torch.fx.GraphModule) else module.eval()


def _floating_dtype(module: Any) -> Any:
    """The least precise dtype among the module's floating parameters (torch's default if none)."""
    torch = require("torch")
    found = {p.dtype for p in module.parameters() if p.is_floating_point()}
    if not found:
        return torch.get_default_dtype()
    return max(found, key=lambda dtype: torch.finfo(dtype).eps)


def load_torchscript(path: Path, where: str) -> Any:
    """Load a TorchScript archive on the CPU, in eval mode."""
    torch = require("torch")
    try:
        module = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError, OSError) as exc:
        raise InputError(f"{path}: not a loadable TorchScript archive ({where}.path)") from exc
    module.eval()
    return module


def load_torch_export(path: Path, where: str, width: int) -> Any:
    """Load a torch.export program (.pt2) as a module on the CPU (in the mode it was exported
    in), checked to take rows of ``width`` encoded columns."""
    torch = require("torch")
    try:
        module = torch.export.load(str(path)).module()
    except Exception as exc:  # a foreign file: any failure to load is the file's problem
        raise InputError(
            f"{path}: not a loadable torch.export program (.pt2) ({where}.path): "
            f"{model_error_summary(exc)}"
        ) from exc
    inputs = [n.meta.get("val") for n in module.graph.nodes if n.op == "placeholder"]
    shape = tuple(getattr(inputs[0], "shape", ())) if len(inputs) == 1 else ()
    if len(shape) != 2:
        raise InputError(
            f"{path} ({where}.path): the torch.export program must take one matrix (rows, "
            f"{width}) of encoded features; it takes {len(inputs)} input(s) of shape {shape}"
        )
    if isinstance(shape[1], int) and shape[1] != width:
        raise InputError(
            f"{path} ({where}.path): the torch.export program takes rows of {shape[1]} columns "
            f"but the preprocessing encodes each row as {width} ({where}.preprocessing)"
        )
    return module


def load_sklearn(path: Path, spec: ModelSpec, where: str) -> Any:
    """Load a skops file (skops' default types plus ``trusted_types``) or a trusted pickle."""
    if spec.format == "pickle":
        with path.open("rb") as handle:
            try:
                return pickle.load(handle)
            except Exception as exc:
                raise InputError(f"{path}: not a loadable pickle ({where}.path)") from exc
    sio = require("skops.io")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise InputError(f"{path}: not a loadable skops file ({where}.path)") from exc
    refused = sorted(set(untrusted) - set(spec.trusted_types))
    if refused:
        raise InputError(
            f"{path}: the skops file holds types not listed in {where}.trusted_types: {refused}"
        )
    return sio.load(path, trusted=list(untrusted))
