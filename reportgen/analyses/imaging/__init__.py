"""Saliency maps of image classifiers and the checks on them (issue #10).

Pure algorithms: tensors and arrays in, NumPy arrays out. Policy, data loading, engine wiring and
the report live elsewhere. Heavy libraries (torch, scipy, scikit-image) load inside the functions.
"""

from reportgen.analyses.imaging.maps import (
    IntegratedGradients,
    grad_cam,
    integrated_gradients,
    to_2d,
)
from reportgen.analyses.imaging.occlusion import occlusion

__all__ = [
    "IntegratedGradients",
    "grad_cam",
    "integrated_gradients",
    "occlusion",
    "to_2d",
]
