"""Model-randomisation sanity test of image maps (CHECKS.md §4.6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reportgen.analyses.imaging import grad_cam
from reportgen.analyses.imaging.sanity import (
    cascading_randomisation,
    map_similarity,
    randomisation_test,
    smoothed_maps,
)
from reportgen.errors import MapError
from tests.analyses.imaging.image_models import (
    brightness_cnn,
    quadrant_images,
    quadrant_mask,
    small_cnn,
    stripe_images,
    stripes_cnn,
)


def cam_of_pool(model, images, targets):
    return grad_cam(model, model.get_submodule("2"), images, targets=targets)


def image_itself(model, images, targets):  # ignores the model: an edge detector would, too
    return images[:, 0].numpy()


def test_cascade_randomises_from_the_top_and_leaves_the_model_alone():
    model = small_cnn()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = torch.random.get_rng_state()
    names, changed = [], []
    for name, randomised in cascading_randomisation(model, seed=3):
        names.append(name)
        now = randomised.state_dict()
        changed.append(sorted({k.split(".")[0] for k in now if not torch.equal(now[k], before[k])}))
    assert names == ["7", "4", "2", "0"]  # the layers with weights, logits first
    assert changed == [["7"], ["4", "7"], ["2", "4", "7"], ["0", "2", "4", "7"]]
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's draws are untouched


def test_cascade_repeats_with_the_seed_and_redraws_what_cannot_reset():
    model = small_cnn()
    *_, (_, first) = cascading_randomisation(model, seed=1)
    *_, (_, again) = cascading_randomisation(model, seed=1)
    *_, (_, other) = cascading_randomisation(model, seed=2)
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in first.state_dict().items())
    assert not torch.equal(first[0].weight, other[0].weight)
    scripted = torch.jit.script(model)  # no reset_parameters: each weight redrawn at its scale
    *_, (_, randomised) = cascading_randomisation(scripted, seed=1)
    for (name, new), old in zip(randomised.named_parameters(), model.parameters(), strict=True):
        assert not torch.equal(new, old), name
        if old.numel() > 20:
            assert float(new.detach().std()) == pytest.approx(float(old.detach().std()), rel=0.5)


def test_a_map_that_ignores_the_model_fails_the_test():
    images = quadrant_images([0, 1, 2, 3], seed=2)
    result = randomisation_test(
        image_itself, brightness_cnn(), images, targets=np.ones(4, dtype=int), seed=0
    )
    assert [name for name, _ in result] == ["5", "0"]
    for _, similarity in result:
        np.testing.assert_allclose(similarity.spearman, 1.0)
        np.testing.assert_allclose(similarity.abs_spearman, 1.0)
        np.testing.assert_allclose(similarity.ssim, 1.0)


def test_grad_cam_loses_its_similarity_once_the_weights_are_random():
    model, targets = stripes_cnn(), np.ones(8, dtype=int)
    quadrants = [0, 1, 2, 3] * 2
    images = stripe_images(quadrants, seed=1)
    original = cam_of_pool(model, images, targets)
    for e, q in zip(original, quadrants, strict=True):  # the trained map finds the stripes
        assert e[quadrant_mask(q).numpy()].sum() > 0.6 * e.sum()  # chance: 0.25
    # one draw of random weights can keep some likeness by chance (0.57 for seed 1 here), so
    # the fully random model's similarity is averaged over independent randomisations
    last = [
        randomisation_test(cam_of_pool, model, images, targets=targets, seed=s)[-1][1]
        for s in range(8)
    ]
    assert np.mean([s.spearman.mean() for s in last]) < 0.3
    assert np.mean([np.abs(s.spearman.mean()) for s in last]) < 0.3
    assert np.mean([s.ssim.mean() for s in last]) < 0.3
    same = map_similarity(original, original)
    np.testing.assert_allclose([same.spearman, same.ssim], 1.0)


def test_smoothing_averages_the_maps_of_noisy_copies():
    images = quadrant_images([0, 3], seed=3)
    plain = smoothed_maps(
        image_itself, None, images, targets=[0, 0], noise_std=0.0, draws=1, seed=0
    )
    np.testing.assert_array_equal(plain, images[:, 0].numpy())
    smooth = smoothed_maps(
        image_itself, None, images, targets=[0, 0], noise_std=0.5, draws=400, seed=0
    )
    assert np.abs(smooth - plain).max() < 0.15  # the mean of 400 draws: sd 0.5 / 20 = 0.025
    again = smoothed_maps(
        image_itself, None, images, targets=[0, 0], noise_std=0.5, draws=400, seed=0
    )
    np.testing.assert_array_equal(smooth, again)


def test_similarity_of_a_scaled_or_reversed_map():
    rng = np.random.default_rng(4)
    e = rng.random((3, 9, 9))
    scaled = map_similarity(e, 10 * e + 1)
    np.testing.assert_allclose([scaled.spearman, scaled.ssim], 1.0)
    reversed_ = map_similarity(e, -e)
    np.testing.assert_allclose(reversed_.spearman, -1.0)
    np.testing.assert_allclose(reversed_.abs_spearman, 1.0)
    assert (reversed_.ssim < 0).all()
    with pytest.raises(MapError, match="same shape"):
        map_similarity(e, e[:, :5])
