"""ONNX graphs run by onnxruntime (the ``onnx`` extra), fed the encoded matrix of a preprocessing
file like a torch network.

The graph takes one input, (rows, encoded width), and its first floating-point output is the
prediction: logits or probabilities (``output``) for a classifier, one value per row for a
regressor. onnxruntime gives no gradients reportgen can read, so gradient methods (integrated
gradients, gradient x input, randomisation sanity) do not apply; the report says so. The session
runs on one thread: its sums then happen in one order, which keeps outputs the same bits however
rows are split into shards (with the padding of :meth:`ModelAdapter._call`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.inputs.models import EncodedModel, model_error_summary
from reportgen.inputs.preprocessing import Preprocessing
from reportgen.policy.schema import ModelSpec

_DTYPES = {"tensor(float)": "float32", "tensor(double)": "float64"}
"""The ONNX input types reportgen feeds, and the NumPy type it encodes rows in for each."""


class OnnxAdapter(EncodedModel):
    """An ONNX graph run by onnxruntime on the CPU."""

    def __init__(self, spec: ModelSpec, session: Any, preprocessing: Preprocessing) -> None:
        super().__init__(spec, preprocessing)
        self._session = session
        graph_input = session.get_inputs()[0]
        self._input_name = graph_input.name
        self._dtype = _DTYPES[graph_input.type]
        floating = [o.name for o in session.get_outputs() if o.type in _DTYPES]
        self._output_name = floating[0]

    @property
    def dtype(self) -> str:
        return self._dtype

    def raw(self, inputs: np.ndarray) -> np.ndarray:
        """The graph's own outputs (before any softmax) on encoded rows, as float64 (n, k)."""
        fed = np.ascontiguousarray(inputs, dtype=self.input_dtype)
        raw = self._session.run([self._output_name], {self._input_name: fed})[0]
        return np.asarray(raw, dtype=np.float64).reshape(len(inputs), -1)

    def _predict_inputs_batch(self, inputs: np.ndarray) -> np.ndarray:
        values = self.raw(inputs)
        if self.task == "regression":
            return values[:, 0] if values.shape[1] == 1 else values
        if self._output == "logits":
            values = _sigmoid(values) if values.shape[1] == 1 else _softmax(values)
        if values.shape[1] == 1:
            values = np.hstack([1.0 - values, values])
        return values / values.sum(axis=1, keepdims=True)  # float32 rounding: rows sum to 1


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def load_onnx(path: Path, spec: ModelSpec, preprocessing: Preprocessing, where: str) -> OnnxAdapter:
    """An adapter around the ONNX graph in ``path``, checked against ``preprocessing``.

    Raises:
        MissingDependencyError: onnxruntime is not installed (the ``onnx`` extra).
        InputError: the file is not a loadable ONNX graph, or its input or outputs do not fit
            the preprocessing's encoded rows.
    """
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a foreign file: any failure to load is the file's problem
        raise InputError(
            f"{path}: not a loadable ONNX model ({where}.path): {model_error_summary(exc)}"
        ) from exc
    inputs = session.get_inputs()
    width = preprocessing.encoded_width
    shape = inputs[0].shape if len(inputs) == 1 else []
    if len(shape) != 2 or inputs[0].type not in _DTYPES:
        described = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs)
        raise InputError(
            f"{path} ({where}.path): the ONNX graph must take one float matrix (rows, {width}) "
            f"of encoded features; it takes {described}"
        )
    if isinstance(shape[1], int) and shape[1] != width:
        raise InputError(
            f"{path} ({where}.path): the ONNX graph takes rows of {shape[1]} columns but the "
            f"preprocessing encodes each row as {width} ({where}.preprocessing)"
        )
    if not any(o.type in _DTYPES for o in session.get_outputs()):
        raise InputError(
            f"{path} ({where}.path): the ONNX graph has no floating-point output to read "
            "predictions from"
        )
    return OnnxAdapter(spec, session, preprocessing)


__all__ = ["OnnxAdapter", "load_onnx"]
