"""Localisation scores against their closed forms (CHECKS.md §6, issue #10)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from reportgen.analyses.imaging.localisation import (
    chance_levels,
    localisation,
    pointing_game,
    random_control,
    relevance_mass,
    relevance_rank,
    roc_auc,
)
from reportgen.errors import MapError

SIZE = 32


def square(top: int, left: int, side: int, n: int = 1) -> np.ndarray:
    mask = np.zeros((n, SIZE, SIZE), dtype=bool)
    mask[:, top : top + side, left : left + side] = True
    return mask


def test_a_map_equal_to_the_mask_scores_perfectly():
    masks = np.concatenate([square(3, 4, 5), square(20, 10, 8), square(0, 0, 1)])
    scores = localisation(masks.astype(float), masks)
    for values in (scores.pointing, scores.mass, scores.rank, scores.auc):
        np.testing.assert_array_equal(values, 1.0)


def test_a_constant_map_scores_chance_and_points_nowhere():
    masks = np.concatenate([square(3, 4, 5), square(10, 10, 12)])
    share = masks.sum(axis=(1, 2)) / SIZE**2
    scores = localisation(np.full(masks.shape, 0.7), masks, tolerance_px=50)
    np.testing.assert_allclose(scores.mass, share)
    np.testing.assert_allclose(scores.rank, share)  # ties shared out, not given to the top rows
    np.testing.assert_allclose(scores.auc, 0.5)
    np.testing.assert_array_equal(scores.pointing, 0.0)  # a flat map has no peak


@pytest.mark.parametrize(
    ("peak", "distance"),
    [((10, 20), 8.0), ((15, 16), 5.0), ((11, 11), 0.0), ((0, 0), np.hypot(10, 10))],
)
def test_the_pointing_game_hits_iff_the_tolerance_reaches_the_peak(peak, distance):
    mask = square(10, 10, 3)  # rows and columns 10..12
    e = np.zeros((1, SIZE, SIZE))
    e[0, peak[0], peak[1]] = 1.0
    assert pointing_game(e, mask, tolerance_px=distance)[0]
    if distance > 0:
        assert not pointing_game(e, mask, tolerance_px=distance - 0.01)[0]


def test_a_peak_in_a_corner_marker_outside_the_mask_misses():
    mask = square(12, 12, 8)
    e = mask.astype(float) * 0.5  # the lesion is lit ...
    e[0, :3, :3] = 1.0  # ... but the brightest spot is a marker in the corner
    # the marker's pixel (2, 2) is 10 * sqrt 2 = 14.1 px from the lesion's (12, 12): on a small
    # image the paper's 15 px tolerance already forgives it
    assert not pointing_game(e, mask, tolerance_px=14)[0]
    assert pointing_game(e, mask, tolerance_px=15)[0]
    scores = localisation(e, mask)
    assert scores.pointing[0] == 0.0
    np.testing.assert_allclose(scores.mass, 64 * 0.5 / (64 * 0.5 + 9))
    assert scores.rank[0] == 55 / 64  # the 9 marker pixels take places in the top 64


def test_any_pixel_tying_for_the_peak_can_hit():
    mask = square(10, 10, 3)
    e = np.zeros((1, SIZE, SIZE))
    e[0, 0, 0] = e[0, 11, 11] = 2.0
    assert pointing_game(e, mask)[0]


def test_relevance_mass_counts_only_positive_relevance_and_zero_for_none():
    mask = square(0, 0, 2)
    e = np.full((2, SIZE, SIZE), -1.0)
    e[0, 0, 0] = 3.0  # inside
    e[0, 5, 5] = 1.0  # outside
    np.testing.assert_allclose(relevance_mass(e, np.concatenate([mask, mask])), [0.75, 0.0])


def test_relevance_rank_shares_tied_places_by_expectation():
    mask = np.zeros((1, 4, 4), dtype=bool)
    mask[0, 0, :4] = True  # K = 4
    e = np.zeros((1, 4, 4))
    e[0, 0, 0], e[0, 3, 3] = 2.0, 2.0  # above the tie: one inside, one outside
    e[0, 0, 1], e[0, 0, 2] = 1.0, 1.0  # a tie of six for the 2 places left, two inside
    e[0, 1, 0], e[0, 1, 1], e[0, 2, 0], e[0, 2, 1] = 1.0, 1.0, 1.0, 1.0
    assert relevance_rank(e, mask)[0] == pytest.approx((1 + 2 * 2 / 6) / 4)


def test_auc_equals_sklearn_with_ties(rng):
    masks = rng.random((6, 12, 12)) < 0.2
    maps = np.round(rng.random((6, 12, 12)) * 4) + 2 * masks * rng.random((6, 12, 12))
    expected = [roc_auc_score(m.ravel(), e.ravel()) for e, m in zip(maps, masks, strict=True)]
    np.testing.assert_allclose(roc_auc(maps, masks), expected, rtol=1e-12)


def test_random_maps_score_the_chance_levels(rng):
    n = 400
    masks = np.concatenate([square(5, 7, 6, n // 2), square(14, 2, 11, n // 2)])
    chance = chance_levels(masks, tolerance_px=3)
    control = random_control(masks, rng=rng, tolerance_px=3)
    # share |G|/N is 36/1024 and 121/1024; standard errors of the means below are < 0.004
    for got, want in [(control.mass, chance.mass), (control.rank, chance.rank)]:
        assert abs(got.mean() - want.mean()) < 0.01
    assert abs(control.auc.mean() - 0.5) < 0.01
    assert abs(control.pointing.mean() - chance.pointing.mean()) < 0.06  # Bernoulli, n = 400


def test_pointing_chance_with_a_tolerance_is_the_share_within_reach():
    mask = square(10, 10, 1)
    chance = chance_levels(mask, tolerance_px=1.0)
    assert chance.pointing[0] == 5 / SIZE**2  # the pixel and its 4 neighbours
    assert chance.mass[0] == chance.rank[0] == 1 / SIZE**2


@pytest.mark.parametrize(
    ("maps", "masks", "message"),
    [
        (np.zeros((1, 4, 4)), np.zeros((1, 4, 4), dtype=bool), "images 0 do not"),
        (np.zeros((1, 4, 4)), np.ones((1, 4, 4), dtype=bool), "some but not all"),
        (np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), "booleans"),
        (np.zeros((2, 4, 4)), square(0, 0, 2)[:, :4, :4], "same shape"),
        (np.full((1, 4, 4), np.nan), square(0, 0, 2)[:, :4, :4], "finite"),
    ],
)
def test_bad_maps_and_masks_are_named(maps, masks, message):
    with pytest.raises(MapError, match=message):
        localisation(maps, masks)
