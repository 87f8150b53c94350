"""Occlusion maps (Zeiler & Fergus 2014) with captum's semantics, many images per pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.analyses.imaging._batching import (
    Array,
    as_targets,
    check_batch_size,
    check_images,
    chunks,
    explained_outputs,
    metered,
    model_device,
    selected,
    to_numpy,
)
from reportgen.errors import MapError

if TYPE_CHECKING:
    from torch import Tensor, nn

    from reportgen.inputs.models import Meter


def occlusion(
    model: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    window: int | tuple[int, int] = 8,
    stride: int | tuple[int, int] = 4,
    baseline_value: float = 0.0,
    batch_size: int = 256,
    meter: Meter | None = None,
) -> Array:
    """Drop of the target logit when a window of all channels is set to ``baseline_value``.

    Equal to captum's ``Occlusion(model).attribute(x, sliding_window_shapes=(C, h, w),
    strides=(C, sh, sw), baselines=baseline_value, target=t)``: windows start every ``stride``
    pixels, ``ceil((H - h) / sh) + 1`` of them down (likewise across), and the last ones are cut
    at the image border; each pixel gets the mean drop ``f(x) - f(x occluded)`` of the windows
    covering it. Every image's occluded copies go through the model ``batch_size`` at a time,
    several images per pass.

    Args:
        window: window height and width in pixels (one int for a square).
        stride: step between windows; at most the window size unless the window spans the image.
        baseline_value: value of occluded pixels (0 is the dataset mean in normalised space).
        meter: counts each pass through the model, when given.

    Returns:
        (N, C, H, W) attributions, the same in every channel. Model rows:
        ``N * (windows + 1)``, all under ``torch.inference_mode``.
    """
    torch = require("torch")
    check_images(images)
    check_batch_size(batch_size)
    n, _, height, width = images.shape
    labels = as_targets(targets, n)
    rows = _spans(height, *_axis(window, stride, 0, height))
    cols = _spans(width, *_axis(window, stride, 1, width))
    starts_r = torch.tensor(rows[0], device=images.device)
    stops_r = torch.tensor(rows[1], device=images.device)
    starts_c = torch.tensor(cols[0], device=images.device)
    stops_c = torch.tensor(cols[1], device=images.device)
    per_image = len(rows[0]) * len(cols[0])
    y = torch.arange(height, device=images.device).view(1, -1, 1)
    x = torch.arange(width, device=images.device).view(1, 1, -1)
    device = model_device(model)
    occluded_out = torch.empty(n * per_image, dtype=images.dtype, device=images.device)
    with torch.inference_mode():
        for start, stop in chunks(n * per_image, batch_size):
            k = torch.arange(start, stop, device=images.device)
            i, r, c = k // per_image, (k % per_image) // len(cols[0]), k % len(cols[0])
            inside_r = (y >= starts_r[r].view(-1, 1, 1)) & (y < stops_r[r].view(-1, 1, 1))
            inside_c = (x >= starts_c[c].view(-1, 1, 1)) & (x < stops_c[c].view(-1, 1, 1))
            copies = torch.where((inside_r & inside_c)[:, None], baseline_value, images[i])
            with metered(meter, stop - start):
                logits = model(copies.to(device))
            occluded_out[start:stop] = selected(logits, labels[i])
    unoccluded = explained_outputs(model, images, labels, batch_size=batch_size, meter=meter)
    drops = unoccluded[:, None] - occluded_out.view(n, per_image)
    return _spread(to_numpy(drops), rows, cols, images.shape)


def _axis(
    window: int | tuple[int, int], stride: int | tuple[int, int], axis: int, size: int
) -> tuple[int, int]:
    """The window size and stride along one axis, checked as captum checks them."""
    w = window if isinstance(window, int) else window[axis]
    s = stride if isinstance(stride, int) else stride[axis]
    if not 1 <= w <= size:
        raise MapError(f"the occlusion window ({w} px) must fit the image ({size} px)")
    if s < 1 or (s > w and w < size):
        raise MapError(
            f"the occlusion stride ({s} px) must be between 1 and the window ({w} px), "
            "or no pixel would be covered"
        )
    return w, s


def _spans(size: int, window: int, stride: int) -> tuple[list[int], list[int]]:
    """Start and stop of each window along an axis: ``ceil((size - window) / stride) + 1``."""
    count = -(-(size - window) // stride) + 1
    starts = [k * stride for k in range(count)]
    return starts, [min(start + window, size) for start in starts]


def _spread(
    drops: Array,
    rows: tuple[list[int], list[int]],
    cols: tuple[list[int], list[int]],
    shape: tuple[int, ...],
) -> Array:
    """Mean of the drops (N, windows) of the windows covering each pixel, as (N, C, H, W)."""
    n, channels, height, width = shape
    total = np.zeros((n, height, width), dtype=drops.dtype)
    count = np.zeros((height, width), dtype=drops.dtype)
    for a, (r0, r1) in enumerate(zip(*rows, strict=True)):
        for b, (c0, c1) in enumerate(zip(*cols, strict=True)):
            total[:, r0:r1, c0:c1] += drops[:, a * len(cols[0]) + b, None, None]
            count[r0:r1, c0:c1] += 1
    mean = total / count
    return np.ascontiguousarray(np.broadcast_to(mean[:, None], (n, channels, height, width)))
