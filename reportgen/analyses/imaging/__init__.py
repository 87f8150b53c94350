"""Saliency maps of image classifiers and the checks on them (issue #10).

Pure algorithms: tensors and arrays in, NumPy arrays out; the policy, data loading, engine wiring
and report live elsewhere. Heavy libraries (torch, scipy, scikit-image) load inside the functions.

* maps: :func:`grad_cam`, :func:`integrated_gradients`, :func:`occlusion`, :func:`to_2d`;
* localisation against masks (CHECKS.md §6): :func:`localisation` and its parts, with
  :func:`chance_levels` and :func:`random_control`;
* removal curves (§4.3): :func:`removal_curves`, substrates :func:`blur`, :func:`noisy_blur`;
* randomisation sanity (§4.6): :func:`randomisation_test`, :func:`cascading_randomisation`,
  :func:`map_similarity`, :func:`smoothed_maps`;
* stability under input noise (§2.4): :func:`noise_stability`.
"""

from reportgen.analyses.imaging.localisation import (
    Localisation,
    chance_levels,
    localisation,
    pointing_game,
    random_control,
    relevance_mass,
    relevance_rank,
    roc_auc,
)
from reportgen.analyses.imaging.maps import (
    IntegratedGradients,
    grad_cam,
    integrated_gradients,
    to_2d,
)
from reportgen.analyses.imaging.occlusion import occlusion
from reportgen.analyses.imaging.removal import RemovalCurves, blur, noisy_blur, removal_curves
from reportgen.analyses.imaging.sanity import (
    MapFunction,
    Similarity,
    cascading_randomisation,
    map_similarity,
    randomisation_test,
    smoothed_maps,
)
from reportgen.analyses.imaging.stability import MapStability, noise_stability

__all__ = [
    "IntegratedGradients",
    "Localisation",
    "MapFunction",
    "MapStability",
    "RemovalCurves",
    "Similarity",
    "blur",
    "cascading_randomisation",
    "chance_levels",
    "grad_cam",
    "integrated_gradients",
    "localisation",
    "map_similarity",
    "noise_stability",
    "noisy_blur",
    "occlusion",
    "pointing_game",
    "random_control",
    "randomisation_test",
    "relevance_mass",
    "relevance_rank",
    "removal_curves",
    "roc_auc",
    "smoothed_maps",
    "to_2d",
]
