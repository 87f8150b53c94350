"""Deletion and insertion curves of image maps against their closed forms (CHECKS.md §4.3)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reportgen.analyses.imaging.removal import blur, noisy_blur, removal_curves
from reportgen.errors import MapError
from tests.analyses.imaging.image_models import region_sum_model

SIZE, SIDE, PER_STEP = 8, 4, 4  # 64 pixels, a 4 x 4 region of 16, 16 steps of 4 pixels


def setup(n: int, seed: int = 0):
    """Images 1 inside the top-left region, uniform noise outside; logit 1 = sum over the region."""
    region = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    region[:SIDE, :SIDE] = True
    images = torch.rand(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(seed)).double()
    images[:, :, region] = 1.0
    model = region_sum_model(region, torch.float64)
    maps = np.broadcast_to(region.numpy().astype(float), (n, SIZE, SIZE))
    return model, images, maps, np.ones(n, dtype=int)


# With the map, the 16 region pixels go first, 4 per step: the logit loses (deletion) or gains
# (insertion) 4 per step for 4 steps, then stays. Zero substrate for both.
DELETION = np.array([16.0, 12, 8, 4] + [0] * 13)
INSERTION = np.array([0.0, 4, 8, 12] + [16] * 13)


def test_curves_follow_the_closed_form_and_beat_random_orders():
    model, images, maps, targets = setup(40)
    curves = removal_curves(
        model,
        images,
        maps,
        targets=targets,
        rng=np.random.default_rng(0),
        pixels_per_step=PER_STEP,
        insertion_substrate=torch.zeros(1, SIZE, SIZE, dtype=torch.float64),
        output="logit",
        batch_size=50,
    )
    np.testing.assert_allclose(curves.deletion, np.broadcast_to(DELETION, (40, 17)), atol=1e-12)
    np.testing.assert_allclose(curves.insertion, np.broadcast_to(INSERTION, (40, 17)), atol=1e-12)
    np.testing.assert_allclose(curves.deletion_auc, 2.0)  # (16 + 12 + 8 + 4 - 16 / 2) / 16
    np.testing.assert_allclose(curves.insertion_auc, 14.0)  # (24 + 13 * 16 - 16 / 2) / 16
    # a random order removes the region's pixels evenly: the area is 16 / 2 = 8 on average
    assert curves.random_deletion.shape == (40, 5, 17)
    assert abs(curves.random_deletion_auc.mean() - 8.0) < 0.4
    assert abs(curves.random_insertion_auc.mean() - 8.0) < 0.4
    assert (curves.deletion_auc / curves.random_deletion_auc).max() < 0.5


def test_a_map_pointing_away_from_the_evidence_does_worse_than_random():
    model, images, maps, targets = setup(20)
    curves = removal_curves(
        model,
        images,
        1.0 - maps,
        targets=targets,
        rng=np.random.default_rng(1),
        pixels_per_step=PER_STEP,
        output="logit",
    )
    # the 48 other pixels go first: the logit stays at 16 for 12 steps
    np.testing.assert_allclose(curves.deletion[:, :13], 16.0, atol=1e-12)
    assert (curves.deletion_auc > 1.5 * curves.random_deletion_auc).all()


def test_probability_curves_are_the_softmax_of_the_logit_curves():
    model, images, maps, targets = setup(3)
    curves = removal_curves(
        model,
        images,
        maps,
        targets=targets,
        rng=np.random.default_rng(2),
        pixels_per_step=PER_STEP,
        insertion_substrate=torch.zeros(1, 1, SIZE, SIZE, dtype=torch.float64),
    )
    sigmoid = 1 / (1 + np.exp(-DELETION))  # logits (0, s): p_1 = sigmoid(s)
    np.testing.assert_allclose(curves.deletion, np.broadcast_to(sigmoid, (3, 17)), atol=1e-12)


def test_curves_do_not_depend_on_the_batch_and_repeat_with_the_seed():
    model, images, maps, targets = setup(4)
    maps = np.random.default_rng(3).random(maps.shape)
    runs = [
        removal_curves(
            model,
            images,
            maps,
            targets=targets,
            rng=np.random.default_rng(4),
            pixels_per_step=5,  # does not divide 64: the last step moves 4
            random_orders=2,
            deletion_substrate=noisy_blur(images, rng=np.random.default_rng(5), noise_std=0.1),
            batch_size=b,
        )
        for b in (7, 1000)
    ]
    for name in ("deletion", "insertion", "random_deletion", "random_insertion"):
        np.testing.assert_allclose(getattr(runs[0], name), getattr(runs[1], name), atol=1e-12)
    assert runs[0].deletion.shape == (4, 14)  # ceil(64 / 5) = 13 steps


def test_insertion_starts_from_the_blurred_image_by_default():
    model, images, maps, targets = setup(2)
    curves = removal_curves(
        model,
        images,
        maps,
        targets=targets,
        rng=np.random.default_rng(6),
        pixels_per_step=PER_STEP,
        output="logit",
    )
    start = model(blur(images))[:, 1].detach().numpy()
    np.testing.assert_allclose(curves.insertion[:, 0], start, atol=1e-12)
    np.testing.assert_allclose(curves.insertion[:, -1], 16.0, atol=1e-12)


def test_blur_defaults_to_the_eleven_pixel_kernel_of_rise():
    image = torch.zeros(1, 2, 31, 31)
    image[0, 1, 15, 15] = 1.0
    smooth = blur(image)[0].numpy()
    assert not smooth[0].any()  # channels are not mixed
    support = np.argwhere(smooth[1] > 0)
    assert support.min(axis=0).tolist() == [10, 10] and support.max(axis=0).tolist() == [20, 20]
    assert smooth[1].sum() == pytest.approx(1.0, rel=1e-6)


def test_noisy_blur_adds_seeded_noise_of_the_given_size():
    images = torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(7))
    a = noisy_blur(images, rng=np.random.default_rng(8), noise_std=0.2)
    b = noisy_blur(images, rng=np.random.default_rng(8), noise_std=0.2)
    assert torch.equal(a, b)
    residual = (a - blur(images)).numpy()
    assert abs(residual.std() - 0.2) < 0.01 and abs(residual.mean()) < 0.01


def test_maps_of_the_wrong_shape_are_named():
    model, images, maps, targets = setup(2)
    with pytest.raises(MapError, match="maps must be finite, of shape"):
        removal_curves(
            model,
            images,
            maps[:, :4],
            targets=targets,
            rng=np.random.default_rng(0),
            pixels_per_step=4,
        )
