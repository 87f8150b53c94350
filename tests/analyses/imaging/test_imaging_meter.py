"""The image maps count every pass through the network in the meter they are given: the rows
and calls a hand count of each algorithm gives, the batch sizes a counting network records, the
same for a TorchScript network, and maps bit for bit those of an unmetered run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from reportgen.analyses.imaging import grad_cam, integrated_gradients, occlusion, removal_curves
from reportgen.inputs.models import Meter
from tests.analyses.imaging.image_models import brightness_cnn, quadrant_images, small_cnn


class Counting(nn.Module):
    """Records the batch size of every forward pass of ``inner``: the meter's oracle."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.batches: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(len(x))
        return self.inner(x)


def _metered(run: Callable[..., Any], network: nn.Module) -> tuple[Any, Meter]:
    """``run(network, meter)`` with a fresh meter; its seconds lie within the call's wall time."""
    meter = Meter()
    began = time.perf_counter()
    found = run(network, meter)
    assert 0 < meter.seconds <= time.perf_counter() - began
    return found, meter


def _same(a: Any, b: Any) -> None:
    """Bit for bit: two arrays, or every field of two results."""
    pairs = [(a, b)] if isinstance(a, np.ndarray) else [(vars(a)[k], vars(b)[k]) for k in vars(a)]
    for x, y in pairs:
        x, y = np.asarray(x), np.asarray(y)
        assert (x.dtype, x.shape, x.tobytes()) == (y.dtype, y.shape, y.tobytes())


def test_grad_cam_counts_one_pass_per_batch_of_images() -> None:
    model = small_cnn()
    images = torch.randn(7, 3, 13, 11, generator=torch.Generator().manual_seed(1))
    targets = np.array([0, 1, 2, 2, 1, 0, 1])
    counting = Counting(model)

    def run(network: nn.Module, meter: Meter | None) -> Any:
        return grad_cam(network, model[4], images, targets=targets, batch_size=3, meter=meter)

    maps, meter = _metered(run, counting)
    assert (meter.rows, meter.calls) == (7, 3)  # 7 images, batches of 3, 3 and 1
    assert counting.batches == [3, 3, 1]
    _same(maps, run(model, None))


@pytest.mark.parametrize("scripted", [False, True], ids=["module", "torchscript"])
@pytest.mark.parametrize("per_image", [False, True], ids=["shared-baseline", "blurred-baseline"])
def test_integrated_gradients_count_the_path_the_inputs_and_the_baseline(
    scripted: bool, per_image: bool
) -> None:
    n, steps, size = 5, 4, 3
    model = small_cnn(smooth=True)
    network = torch.jit.script(model) if scripted else Counting(model)
    images = torch.randn(n, 3, 9, 9, generator=torch.Generator().manual_seed(2))
    baseline = images * 0.5 if per_image else torch.zeros(1, 3, 9, 9)
    targets = np.array([0, 1, 2, 0, 1])

    def run(net: nn.Module, meter: Meter | None) -> Any:
        return integrated_gradients(
            net,
            images,
            targets=targets,
            baseline=baseline,
            steps=steps,
            batch_size=size,
            meter=meter,
        )

    found, meter = _metered(run, network)
    # n * steps = 20 path points in batches of 3, f(x) of the n images, then f(x0): one row for
    # a shared baseline, else one per image
    batches = [3] * 6 + [2] + [3, 2] + ([3, 2] if per_image else [1])
    assert (meter.rows, meter.calls) == (n * steps + n + (n if per_image else 1), len(batches))
    if not scripted:
        assert network.batches == batches
    _same(found, run(model, None))


def test_occlusion_counts_every_window_of_every_image_and_the_unoccluded_pass() -> None:
    model = brightness_cnn()
    images = quadrant_images([0, 1, 3])
    counting = Counting(model)

    def run(network: nn.Module, meter: Meter | None) -> Any:
        return occlusion(
            network,
            images,
            targets=np.ones(3, dtype=np.int64),
            window=4,
            stride=4,
            batch_size=10,
            meter=meter,
        )

    maps, meter = _metered(run, counting)
    windows = 4 * 4  # 16 px, windows of 4 every 4 px: 4 down, 4 across
    assert (meter.rows, meter.calls) == (3 * windows + 3, 5 + 1)  # 48 copies by 10, then 3
    assert counting.batches == [10, 10, 10, 10, 8, 3]
    _same(maps, run(model, None))


def test_removal_curves_count_every_point_of_every_curve() -> None:
    model = brightness_cnn()
    images = quadrant_images([0, 2])
    maps = images[:, 0].numpy()
    counting = Counting(model)

    def run(network: nn.Module, meter: Meter | None) -> Any:
        return removal_curves(
            network,
            images,
            maps,
            targets=np.ones(2, dtype=np.int64),
            rng=np.random.default_rng(0),
            pixels_per_step=32,
            random_orders=2,
            batch_size=25,
            meter=meter,
        )

    curves, meter = _metered(run, counting)
    points = 256 // 32 + 1  # steps 0..8
    rows = 2 * (2 + 1) * points * 2  # images, map's order and 2 random, points, both curves
    assert (meter.rows, meter.calls) == (rows, 5)  # 108 rows by 25
    assert counting.batches == [25, 25, 25, 25, 8]
    _same(curves, run(model, None))
