"""Checks, batching and metering shared by the image maps and the map checks.

Images are float tensors (N, C, H, W); the model maps a batch of them to logits (N, K); targets
hold the class explained for each image. Nothing here changes the model (not even ``eval()``).
Every pass through the model goes through :func:`metered`, so a caller that hands its model's
meter to a map function sees each pass counted (rows, calls, seconds), whatever network (a copy,
a randomised one) the pass runs on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.errors import MapError

if TYPE_CHECKING:
    from torch import Tensor, device, nn

    from reportgen.inputs.models import Meter

Array = npt.NDArray[np.floating[Any]]
Output = Literal["logit", "probability"]


def check_images(images: Tensor) -> None:
    """Raise MapError unless ``images`` is a floating-point tensor of shape (N, C, H, W)."""
    torch = require("torch")
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise MapError(
            f"images must be a torch tensor of shape (N, C, H, W), got {_shape_of(images)}"
        )
    if not images.is_floating_point():
        raise MapError(f"images must be floating point, got {images.dtype}")


def check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise MapError(f"batch_size must be at least 1, got {batch_size}")


def as_targets(targets: npt.ArrayLike, n: int) -> Tensor:
    """``targets`` as an int64 CPU tensor of shape (n,); MapError if it is not one int per image."""
    torch = require("torch")
    array = np.asarray(targets)
    if array.shape != (n,) or not np.issubdtype(array.dtype, np.integer):
        raise MapError(
            f"targets must be one integer class per image, shape ({n},); "
            f"got {array.dtype} of shape {array.shape}"
        )
    if n and array.min() < 0:
        raise MapError(f"targets must be class indices >= 0, got {int(array.min())}")
    return cast("Tensor", torch.from_numpy(array.astype(np.int64)))


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive slices of ``range(total)`` of at most ``size`` items."""
    for start in range(0, total, size):
        yield start, min(total, start + size)


def metered(meter: Meter | None, rows: int) -> AbstractContextManager[None]:
    """Count the block, one pass of ``rows`` images through the model (its backward pass too,
    for a gradient), in ``meter``; count nothing without one."""
    return nullcontext() if meter is None else meter.counting(rows)


def model_device(model: nn.Module) -> device:
    """The device of the model's first parameter or buffer (CPU for a model with neither)."""
    torch = require("torch")
    for tensor in [*model.parameters(), *model.buffers()]:
        return tensor.device
    return cast("device", torch.device("cpu"))


def selected(logits: Tensor, labels: Tensor, output: Output = "logit") -> Tensor:
    """Each row's explained output: ``logits[i, labels[i]]`` or its softmax probability."""
    if logits.ndim != 2:
        raise MapError(f"the model must return logits of shape (N, K), got {tuple(logits.shape)}")
    if len(labels) and int(labels.max()) >= logits.shape[1]:
        raise MapError(
            f"target class {int(labels.max())} is out of range for a model "
            f"with {logits.shape[1]} outputs"
        )
    scores = logits.softmax(dim=1) if output == "probability" else logits
    return scores.gather(1, labels.to(logits.device).view(-1, 1)).view(-1)


def explained_outputs(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    *,
    batch_size: int,
    output: Output = "logit",
    meter: Meter | None = None,
) -> Tensor:
    """The explained output of every image, (N,), batched under ``torch.inference_mode``."""
    torch = require("torch")
    device = model_device(model)
    parts = []
    with torch.inference_mode():
        for start, stop in chunks(len(images), batch_size):
            with metered(meter, stop - start):
                logits = model(images[start:stop].to(device))
            parts.append(selected(logits, labels[start:stop], output).to(images.device))
    if not parts:
        return cast("Tensor", torch.zeros(0, dtype=images.dtype, device=images.device))
    return cast("Tensor", torch.cat(parts))


def to_numpy(tensor: Tensor) -> Array:
    """A detached CPU copy of ``tensor`` as a NumPy array of the same dtype."""
    return np.asarray(tensor.detach().cpu().numpy())


def _shape_of(value: object) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else repr(value)
