"""Candidate networks the policy's edits compare with the released torch models: each must load
and run on the released model's encoded evaluation rows with outputs of the same shape, checked
before any analysis starts (so `reportgen validate` catches it)."""

from __future__ import annotations

import numpy as np

from reportgen.errors import InputError
from reportgen.inputs.models import ModelAdapter, TorchAdapter, load_torchscript
from reportgen.policy.edits import EditSpec
from reportgen.policy.loader import LoadedPolicy


def candidate_edits(loaded: LoadedPolicy) -> list[tuple[int, EditSpec]]:
    """The policy's candidate edits with their place in ``edits.assess``."""
    edits = loaded.policy.edits
    if edits is None:
        return []
    return [(i, e) for i, e in enumerate(edits.assess) if e.kind == "candidate"]


def check_candidates(loaded: LoadedPolicy, models: list[ModelAdapter], codes: np.ndarray) -> None:
    """Every candidate loads and scores the coded evaluation rows ``codes`` like each torch
    model of ``models``.

    Raises:
        InputError: a candidate file is missing, is not TorchScript, or takes or gives
            something else than the released model.
    """
    torch_models = [m for m in models if isinstance(m, TorchAdapter)]
    for index, edit in candidate_edits(loaded):
        where = f"edits.assess[{index}]"
        relative = edit.path or ""
        path, shown = loaded.resolve(relative), loaded.shown(relative)
        if not path.is_file():
            raise InputError(f"{shown}: candidate model file not found ({where}.path)")
        if not torch_models:
            raise InputError(f"{where}: a candidate is compared with a torchscript model; none")
        network = load_torchscript(path, where)
        for model in torch_models:
            try:
                model.with_module(network).predict_codes(codes)
            except InputError as exc:
                raise InputError(
                    f"{shown} ({where}.path): the candidate does not fit model '{model.name}': "
                    f"it must take rows of {model.preprocessing.encoded_width} encoded columns "
                    "and give the model's outputs"
                ) from exc


__all__ = ["candidate_edits", "check_candidates"]
