"""What every analysis of one image model works from: pixels, masks, labels, samples and maps.

The heat-maps are the expensive part: each method's maps are computed once, for the images
the mean maps describe and the images C8 checks together, and shared by every analysis. Every
pass of the maps and of the map checks through the network, its randomised copies included, is
counted in the model's meter, as :meth:`ImageModel.predict` counts its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.analyses.imaging import maps as map_methods
from reportgen.analyses.imaging.occlusion import occlusion
from reportgen.analyses.imaging.sanity import MapFunction
from reportgen.analyses.sampling import stratified_sample
from reportgen.inputs.image_models import ImageModel
from reportgen.inputs.resolve import ResolvedInputs, ResolvedModel
from reportgen.policy.images import ImageExplanationsSpec
from reportgen.policy.schema import Policy

SALT_EXPLAINED, SALT_LOCALISATION, SALT_CONTROL = 20, 21, 22


@dataclass
class ImageData:
    """One image model's view of the evaluation images."""

    model: ImageModel
    images: np.ndarray
    """(n, c, h, w) normalised evaluation images."""
    reference: np.ndarray
    """(m, c, h, w) normalised reference images."""
    masks: np.ndarray
    has_mask: np.ndarray
    target: np.ndarray
    """(n,) index of each image's true class."""
    frame: pd.DataFrame
    """The evaluation index (ids, labels, cohort columns), rows as ``images``."""
    policy: Policy
    ig_gaps: np.ndarray | None = None
    """Integrated gradients' relative completeness gap per mapped image, once computed."""
    _maps: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _seconds: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, inputs: ResolvedInputs, resolved: ResolvedModel) -> ImageData:
        evaluation = inputs.evaluation.image_set
        model = resolved.imaging
        labels = evaluation.frame[inputs.loaded.policy.data.target]
        index = {c: i for i, c in enumerate(model.classes)}
        return cls(
            model=model,
            images=evaluation.images,
            reference=inputs.reference.image_set.images,
            masks=evaluation.masks,
            has_mask=evaluation.has_mask,
            target=labels.map(index).to_numpy(dtype=np.int64),
            frame=evaluation.frame,
            policy=inputs.loaded.policy,
        )

    @property
    def settings(self) -> ImageExplanationsSpec:
        return self.policy.explanations.images

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.policy.seed, salt])

    @cached_property
    def predictions(self) -> np.ndarray:
        """Class probabilities (n, classes) on the evaluation images."""
        return self.model.predict(self.images)

    @cached_property
    def predicted(self) -> np.ndarray:
        return np.asarray(self.predictions.argmax(axis=1))

    @cached_property
    def explained_rows(self) -> np.ndarray:
        """The images the mean maps describe: a seeded sample stratified by predicted class."""
        strata = np.asarray(self.model.classes, dtype=object)[self.predicted]
        rows = stratified_sample(strata, self.settings.rows, self.rng(SALT_EXPLAINED))
        return np.sort(rows)

    @cached_property
    def localisation_rows(self) -> np.ndarray:
        """C8's images: annotated and correctly classified (a seeded sample when too many)."""
        eligible = np.flatnonzero(self.has_mask & (self.predicted == self.target))
        limit = self.policy.checks.localisation.max_images
        if len(eligible) > limit:
            eligible = np.sort(self.rng(SALT_LOCALISATION).choice(eligible, limit, replace=False))
        return eligible

    @cached_property
    def mapped_rows(self) -> np.ndarray:
        """Every image some analysis needs a map of."""
        return np.union1d(self.explained_rows, self.localisation_rows)

    def maps(self, method: str, rows: np.ndarray) -> np.ndarray:
        """``method``'s 2-D maps (len(rows), h, w) of ``rows`` (a subset of :attr:`mapped_rows`),
        each explaining the image's predicted class; computed once per method."""
        if method not in self._maps:
            self._maps[method] = self._compute(method, self.mapped_rows)
        position = np.searchsorted(self.mapped_rows, rows)
        return self._maps[method][position]

    def map_function(self, method: str) -> tuple[Any, MapFunction]:
        """``(network, map function)`` for the map checks, which call the function on copies
        of the network (randomised ones too): Grad-CAM looks its layer up in the network it
        is given. Occlusion has none (the checks do not run it). Whatever network it is given,
        the function counts its passes in the model's meter."""
        size, meter = self.settings.batch_size, self.model.meter
        if method == "gradcam":
            network, _ = self.model.layer()
            name = str(self.model.layer_name)

            def cam(model: Any, images: Any, targets: np.ndarray) -> np.ndarray:
                return np.asarray(
                    map_methods.grad_cam(
                        model,
                        model.get_submodule(name),
                        images,
                        targets=targets,
                        batch_size=size,
                        meter=meter,
                    )
                )

            return network, cam
        if method != "ig":
            raise ValueError(f"no map function for the checks of method '{method}'")
        spec = self.settings.ig
        torch = require("torch")

        def ig(model: Any, images: Any, targets: np.ndarray) -> np.ndarray:
            baseline = torch.from_numpy(self.baseline(spec.baseline, images.numpy()))
            found = map_methods.integrated_gradients(
                model,
                images,
                targets=targets,
                baseline=baseline,
                steps=spec.steps,
                batch_size=size,
                meter=meter,
            )
            return np.asarray(map_methods.to_2d(found.values))

        return self.model.network, ig

    def seconds(self, method: str) -> float:
        """Wall seconds the method's maps took."""
        return self._seconds.get(method, 0.0)

    def _compute(self, method: str, rows: np.ndarray) -> np.ndarray:
        torch = require("torch")
        images = torch.from_numpy(self.images[rows])
        targets = self.predicted[rows]
        size, meter = self.settings.batch_size, self.model.meter
        start = time.perf_counter()
        if method == "gradcam":
            network, layer = self.model.layer()
            found = map_methods.grad_cam(
                network, layer, images, targets=targets, batch_size=size, meter=meter
            )
        elif method == "ig":
            spec = self.settings.ig
            baseline = torch.from_numpy(self.baseline(spec.baseline, self.images[rows]))
            ig = map_methods.integrated_gradients(
                self.model.network,
                images,
                targets=targets,
                baseline=baseline,
                steps=spec.steps,
                batch_size=size,
                meter=meter,
            )
            self.ig_gaps = ig.relative_gap()
            found = map_methods.to_2d(ig.values)
        else:
            spec_o = self.settings.occlusion
            found = map_methods.to_2d(
                occlusion(
                    self.model.network,
                    images,
                    targets=targets,
                    window=spec_o.window,
                    stride=spec_o.stride,
                    baseline_value=0.0,
                    batch_size=size,
                    meter=meter,
                )
            )
        self._seconds[method] = time.perf_counter() - start
        return np.asarray(found, dtype=np.float64)

    def baseline(self, kind: str, images: np.ndarray) -> np.ndarray:
        """The IG baseline: the normalised zero image, or each image blurred (a Gaussian with
        sigma a tenth of the width, over the pixels only)."""
        if kind == "zeros":
            return np.zeros_like(images[:1])
        ndimage = require("scipy.ndimage")
        sigma = (0, 0, images.shape[-2] / 10, images.shape[-1] / 10)
        return np.asarray(ndimage.gaussian_filter(images, sigma=sigma), dtype=images.dtype)
