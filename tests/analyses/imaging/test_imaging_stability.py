"""Stability of image maps under input noise: the extremes have known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reportgen.analyses.imaging import grad_cam
from reportgen.analyses.imaging.stability import noise_stability
from reportgen.errors import MapError
from tests.analyses.imaging.image_models import brightness_cnn, quadrant_images


def image_itself(model, images, targets):
    return images[:, 0].numpy()


def fixed_pattern(model, images, targets):  # deaf to the input
    return np.broadcast_to(np.arange(64.0).reshape(8, 8), (len(images), 8, 8))


def test_a_map_deaf_to_the_input_is_perfectly_stable():
    result = noise_stability(
        fixed_pattern,
        None,
        torch.zeros(3, 1, 8, 8),
        targets=[0, 0, 0],
        noise_std=1.0,
        draws=4,
        k=10,
        seed=0,
    )
    np.testing.assert_allclose([result.top_k, result.spearman], 1.0)
    assert result.chance_top_k == 10 / 64


def test_a_map_of_pure_noise_agrees_only_by_chance():
    # zero images: the map of x is flat, the maps of the noisy copies are the noise itself
    images = torch.zeros(50, 1, 8, 8)
    result = noise_stability(
        image_itself, None, images, targets=np.zeros(50, int), noise_std=1.0, draws=4, k=16, seed=1
    )
    assert abs(result.top_k.mean() - 16 / 64) < 0.03  # sd of the mean about 0.01
    np.testing.assert_array_equal(result.spearman, 0.0)  # a flat map has no ranking


def test_grad_cam_of_the_brightness_model_shrugs_off_small_noise():
    model = brightness_cnn()
    images = quadrant_images([0, 1, 2, 3])

    def cam(m, x, t):
        return grad_cam(m, m[2], x, targets=t)

    result = noise_stability(
        cam, model, images, targets=np.ones(4, int), noise_std=0.05, draws=3, k=64, seed=2
    )
    assert (result.top_k > 0.9).all()  # the bright quadrant's 64 pixels stay on top
    assert result.chance_top_k == 0.25


def test_a_map_function_of_the_wrong_shape_is_named():
    with pytest.raises(MapError, match="returned"):
        noise_stability(
            lambda m, x, t: np.zeros((1, 8, 8)),
            None,
            torch.zeros(2, 1, 8, 8),
            targets=[0, 0],
            noise_std=0.1,
            draws=1,
            k=3,
            seed=0,
        )
