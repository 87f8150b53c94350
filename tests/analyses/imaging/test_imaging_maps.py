"""Truths of the image maps (issue #10): known answers, and equality with captum one image at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion

from reportgen.analyses.imaging import grad_cam, integrated_gradients, occlusion, to_2d
from reportgen.errors import MapError
from tests.analyses.imaging.image_models import (
    brightness_cnn,
    quadrant_images,
    quadrant_mask,
    small_cnn,
)

BRIGHT, DARK = 1, 0


def _mass(maps: np.ndarray, q: int) -> np.ndarray:
    inside = quadrant_mask(q).numpy()
    return maps[:, inside].sum(axis=1) / maps.reshape(len(maps), -1).sum(axis=1)


# -- Grad-CAM -----------------------------------------------------------------------------------


def test_grad_cam_lights_the_bright_quadrant_wherever_it_is():
    model = brightness_cnn()
    quadrants = [0, 1, 2, 3, 0]
    maps = grad_cam(model, model[2], quadrant_images(quadrants), targets=np.full(5, BRIGHT))
    assert maps.shape == (5, 16, 16)
    for i, q in enumerate(quadrants):
        assert _mass(maps[i : i + 1], q)[0] > 0.9  # the rest is the bilinear blur at the edges
        for other in set(range(4)) - {q}:
            assert _mass(maps[i : i + 1], other)[0] < 0.05


def test_grad_cam_of_the_other_class_lights_the_dark_quadrants():
    model = brightness_cnn()
    maps = grad_cam(model, model[2], quadrant_images([0, 3]), targets=np.full(2, DARK))
    assert _mass(maps[:1], 0)[0] < 0.02
    assert _mass(maps[1:], 3)[0] < 0.02


def test_grad_cam_equals_captum_layer_grad_cam_with_bilinear_upsampling():
    model = small_cnn()
    images = torch.randn(7, 3, 13, 11, generator=torch.Generator().manual_seed(1))
    targets = np.array([0, 1, 2, 2, 1, 0, 1])
    layer = model[4]  # 6x5 activations, signed, so the ReLU matters
    ours = grad_cam(model, layer, images, targets=targets, batch_size=3)
    cam = LayerGradCam(model, layer).attribute(
        images, target=torch.from_numpy(targets), relu_attributions=True
    )
    theirs = LayerAttribution.interpolate(cam, (13, 11), interpolate_mode="bilinear")[:, 0]
    assert (theirs > 0).any() and (theirs == 0).any()
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=1e-5)


def test_grad_cam_does_not_depend_on_the_batch_size():
    model = small_cnn()
    images = torch.randn(5, 3, 12, 12, generator=torch.Generator().manual_seed(2))
    targets = np.array([2, 0, 1, 1, 0])
    one = grad_cam(model, model[2], images, targets=targets, batch_size=1)
    all_ = grad_cam(model, model[2], images, targets=targets, batch_size=256)
    np.testing.assert_allclose(one, all_, rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore:.*treespec, LeafSpec.*:FutureWarning")  # torch.export internals
def test_grad_cam_works_on_an_exported_model_and_refuses_torchscript():
    model = small_cnn()
    images = torch.randn(4, 3, 12, 12, generator=torch.Generator().manual_seed(3))
    targets = np.array([0, 1, 2, 0])
    batch = torch.export.Dim("batch")
    program = torch.export.export(model, (images,), dynamic_shapes=({0: batch},))
    unflat = torch.export.unflatten(program)
    exported = grad_cam(unflat, unflat.get_submodule("4"), images, targets=targets)
    eager = grad_cam(model, model[4], images, targets=targets)
    np.testing.assert_allclose(exported, eager, rtol=0, atol=1e-6)
    scripted = torch.jit.script(model)
    with pytest.raises(MapError, match="TorchScript modules do not support"):
        grad_cam(scripted, dict(scripted.named_modules())["4"], images, targets=targets)


@pytest.mark.parametrize(
    ("layer", "targets", "message"),
    [
        (torch.nn.Conv2d(1, 1, 1), np.array([0, 0]), "not a submodule"),
        ("flatten", np.array([0, 0]), r"shape \(N, K, h, w\)"),
        ("conv", np.array([0.0, 0.0]), "one integer class per image"),
        ("conv", np.array([0, 9]), "target class 9 is out of range"),
    ],
)
def test_grad_cam_bad_input_is_named(layer, targets, message):
    model = small_cnn()
    layer = {"flatten": model[6], "conv": model[0]}.get(layer, layer)
    with pytest.raises(MapError, match=message):
        grad_cam(model, layer, torch.zeros(2, 3, 8, 8), targets=targets)


# -- integrated gradients -----------------------------------------------------------------------


def _captum_ig(model, images, targets, baselines, steps):
    ig = IntegratedGradients(model)
    return np.concatenate(
        [
            ig.attribute(images[i : i + 1], baselines=b, target=int(t), n_steps=steps)
            .detach()
            .numpy()
            for i, (t, b) in enumerate(zip(targets, baselines, strict=True))
        ]
    )


@pytest.mark.parametrize("per_image", [False, True])
def test_integrated_gradients_equal_captum_one_image_at_a_time_float64(per_image):
    model = small_cnn().double()
    images = torch.randn(5, 3, 10, 10, generator=torch.Generator().manual_seed(4)).double()
    targets = np.array([0, 2, 1, 1, 2])
    if per_image:  # e.g. each image blurred
        baseline = torch.nn.functional.avg_pool2d(images, 3, stride=1, padding=1)
        baselines = [baseline[i : i + 1] for i in range(5)]
    else:
        baseline = torch.full((3, 1, 1), 0.25, dtype=torch.float64)
        baselines = [baseline.expand(3, 10, 10)[None]] * 5
    # 16 steps in passes of 20 rows: passes hold the end of one image's path and another's start
    ours = integrated_gradients(
        model, images, targets=targets, baseline=baseline, steps=16, batch_size=20
    )
    theirs = _captum_ig(model, images, targets, baselines, 16)
    assert ours.values.dtype == np.float64
    np.testing.assert_allclose(ours.values, theirs, rtol=0, atol=1e-6)


def test_integrated_gradients_equal_captum_float32():
    model = small_cnn()
    images = torch.randn(4, 3, 10, 10, generator=torch.Generator().manual_seed(5))
    targets = np.array([1, 0, 2, 1])
    ours = integrated_gradients(model, images, targets=targets, steps=32, batch_size=48)
    theirs = _captum_ig(model, images, targets, [torch.zeros(1, 3, 10, 10)] * 4, 32)
    np.testing.assert_allclose(ours.values, theirs, rtol=0, atol=1e-5)


def test_integrated_gradients_of_a_linear_model_are_exact_and_complete():
    torch.manual_seed(6)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2 * 5 * 4, 3)).double().eval()
    images = torch.randn(6, 2, 5, 4, dtype=torch.float64)
    baseline = torch.randn(2, 5, 4, dtype=torch.float64)
    targets = np.array([0, 1, 2, 0, 1, 2])
    result = integrated_gradients(
        model, images, targets=targets, baseline=baseline, steps=3, batch_size=4
    )
    weights = model[1].weight.detach().view(3, 2, 5, 4)[torch.from_numpy(targets)]
    np.testing.assert_allclose(result.values, (weights * (images - baseline)).numpy(), atol=1e-12)
    logits = model(images).detach().numpy()[np.arange(6), targets]
    base = model(baseline[None]).detach().numpy()[0, targets]
    np.testing.assert_allclose(result.output, logits, atol=1e-12)
    np.testing.assert_allclose(result.base, base, atol=1e-12)
    np.testing.assert_allclose(result.gap, 0.0, atol=1e-12)
    assert (result.relative_gap() <= 1e-9).all()


def test_completeness_gap_shrinks_with_more_steps_on_a_smooth_model():
    model = small_cnn(smooth=True).double()  # Gauss-Legendre converges fast on smooth paths
    images = torch.randn(3, 3, 10, 10, generator=torch.Generator().manual_seed(7)).double()
    targets = np.array([0, 1, 2])
    gaps = np.array(
        [
            np.abs(integrated_gradients(model, images, targets=targets, steps=s).gap)
            for s in (1, 2, 4, 8)
        ]
    )
    assert (gaps[:-2] > 10 * gaps[1:-1]).all()  # each doubling gains an order or more
    assert (gaps[-1] < 1e-12).all()


def test_integrated_gradients_bad_baseline_is_named():
    with pytest.raises(MapError, match="baseline must broadcast"):
        integrated_gradients(
            small_cnn(), torch.zeros(2, 3, 8, 8), targets=[0, 1], baseline=torch.zeros(2, 8)
        )


# -- occlusion ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "window", "stride"),
    [
        ((12, 12), 4, 2),  # overlapping windows that tile the image
        ((11, 10), (5, 4), (4, 4)),  # overlapping down, the last windows cut at the border
        ((10, 9), 4, 4),  # no overlap, does not divide the image
    ],
)
def test_occlusion_equals_captum_one_image_at_a_time(size, window, stride):
    model = small_cnn().double()
    images = torch.randn(4, 3, *size, generator=torch.Generator().manual_seed(8)).double()
    targets = np.array([0, 2, 1, 0])
    ours = occlusion(
        model,
        images,
        targets=targets,
        window=window,
        stride=stride,
        baseline_value=0.5,
        batch_size=7,
    )
    w = (window, window) if isinstance(window, int) else window
    s = (stride, stride) if isinstance(stride, int) else stride
    theirs = np.concatenate(
        [
            Occlusion(model)
            .attribute(
                images[i : i + 1],
                sliding_window_shapes=(3, *w),
                strides=(3, *s),
                baselines=0.5,
                target=int(targets[i]),
            )
            .numpy()
            for i in range(4)
        ]
    )
    assert ours.shape == images.shape
    # captum divides its sums in float32, so float32 precision is the bar even for float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_occlusion_of_a_linear_model_is_the_window_mean_of_the_contributions():
    torch.manual_seed(9)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(1 * 6 * 6, 2)).double().eval()
    images = torch.randn(2, 1, 6, 6, dtype=torch.float64)
    # non-overlapping 3x3 windows: each pixel's value is its own window's total contribution
    ours = occlusion(model, images, targets=[1, 1], window=3, stride=3, baseline_value=0.0)
    contribution = (model[1].weight[1].view(6, 6) * images[:, 0]).detach().numpy()
    windows = contribution.reshape(2, 2, 3, 2, 3).sum(axis=(2, 4))
    expected = np.repeat(np.repeat(windows, 3, axis=1), 3, axis=2)
    np.testing.assert_allclose(ours[:, 0], expected, atol=1e-12)


def test_occlusion_rejects_a_stride_that_skips_pixels():
    with pytest.raises(MapError, match="stride"):
        occlusion(small_cnn(), torch.zeros(1, 3, 8, 8), targets=[0], window=2, stride=3)


def test_to_2d_sums_channels_signed_or_absolute():
    attr = np.array([[[[1.0]], [[-3.0]]]])
    assert to_2d(attr, "sum")[0, 0, 0] == -2.0
    assert to_2d(attr, "abs")[0, 0, 0] == 4.0
