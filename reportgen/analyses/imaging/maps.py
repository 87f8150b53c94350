"""Saliency maps of image classifiers: Grad-CAM, integrated gradients and occlusion (issue #10).

Each function takes the model, the images (N, C, H, W, already normalised) and one target class
per image, sends many images (and many path steps or occluded copies) through the model per pass,
``batch_size`` rows at a time, and returns NumPy arrays in the images' dtype. The numbers equal
captum's (``LayerGradCam`` + ``LayerAttribution.interpolate``, ``IntegratedGradients``,
``Occlusion``) called one image at a time; tests/analyses/imaging/test_maps.py holds the proofs.
Given a ``meter``, each pass through the model is counted in it (:func:`metered`).

The model is used as given: put it in ``eval()`` mode first, or batch statistics (BatchNorm,
dropout) make one image's map depend on the others in its batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from reportgen._lazy import require
from reportgen.analyses.explain.attribution import completeness_error
from reportgen.analyses.explain.paths import integrated_gradients as path_integral
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


def grad_cam(
    model: nn.Module,
    layer: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    batch_size: int = 256,
    meter: Meter | None = None,
) -> Array:
    """Grad-CAM maps (Selvaraju et al. 2017) of ``layer``, upsampled to the image size.

    For image i with activations ``A`` (K, h, w) of ``layer`` and explained logit
    ``y = logit[i, targets[i]]``: ``w_k = mean over (h, w) of dy/dA_k`` and
    ``map = ReLU(sum_k w_k A_k)``, upsampled bilinearly as captum's
    ``LayerAttribution.interpolate(..., interpolate_mode="bilinear")`` does
    (``torch.nn.functional.interpolate``, ``align_corners=False``). Equal to captum's
    ``LayerGradCam(..., relu_attributions=True)`` followed by that interpolation.

    Args:
        layer: a submodule of ``model`` whose output is a tensor (N, K, h, w).
        batch_size: images per forward and backward pass.
        meter: counts each pass through the model (its backward pass included), when given.

    Returns:
        (N, H, W) non-negative maps. One forward and one backward pass of N rows in all.

    Raises:
        MapError: TorchScript modules (they refuse forward hooks; export the model with
            ``torch.export`` and pass ``torch.export.unflatten(program)`` instead), a layer that
            is not a submodule of ``model`` or whose output is not (N, K, h, w) or does not reach
            the logits, bad images or targets.
    """
    torch = require("torch")
    check_images(images)
    check_batch_size(batch_size)
    labels = as_targets(targets, len(images))
    _check_hookable(model, layer)
    device = model_device(model)
    captured: list[Any] = []
    handle = layer.register_forward_hook(lambda _module, _inputs, out: captured.append(out))
    maps = []
    try:
        for start, stop in chunks(len(images), batch_size):
            captured.clear()
            with torch.enable_grad(), metered(meter, stop - start):
                x = images[start:stop].to(device).detach().requires_grad_(True)
                chosen = selected(model(x), labels[start:stop]).sum()
                acts = _activation(captured, len(x))
                grads = _gradient(chosen, acts)
            with torch.no_grad():
                weights = grads.mean(dim=(2, 3), keepdim=True)
                cam = torch.nn.functional.relu((weights * acts).sum(dim=1, keepdim=True))
                up = torch.nn.functional.interpolate(cam, tuple(x.shape[2:]), mode="bilinear")
            maps.append(up[:, 0].to(images.device))
    finally:
        handle.remove()
    if not maps:
        return np.zeros((0, *images.shape[2:]), dtype=to_numpy(images[:0]).dtype)
    return to_numpy(torch.cat(maps))


def _check_hookable(model: nn.Module, layer: nn.Module) -> None:
    torch = require("torch")
    if isinstance(model, torch.jit.ScriptModule) or isinstance(layer, torch.jit.ScriptModule):
        raise MapError(
            "Grad-CAM needs forward hooks, which TorchScript modules do not support; "
            "save the model with torch.export and load it with torch.export.unflatten"
        )
    if not any(module is layer for module in model.modules()):
        raise MapError("the Grad-CAM layer is not a submodule of the model")


def _activation(captured: list[Any], n: int) -> Tensor:
    torch = require("torch")
    if len(captured) != 1:
        raise MapError(
            f"the Grad-CAM layer ran {len(captured)} times in one forward pass; "
            "it must run exactly once"
        )
    acts = captured[0]
    if not isinstance(acts, torch.Tensor) or acts.ndim != 4 or len(acts) != n:
        raise MapError(
            "the Grad-CAM layer must output a tensor of shape (N, K, h, w), "
            f"got {getattr(acts, 'shape', type(acts).__name__)}"
        )
    return cast("Tensor", acts)


def _gradient(output: Tensor, inputs: Tensor) -> Tensor:
    torch = require("torch")
    try:
        (grads,) = torch.autograd.grad(output, inputs)
    except RuntimeError as exc:
        raise MapError(f"the explained logit cannot be differentiated by the input: {exc}") from exc
    return cast("Tensor", grads)


@dataclass(frozen=True, eq=False)
class IntegratedGradients:
    """Integrated gradients of N images and their completeness.

    Attributes:
        values: (N, C, H, W) attributions, in the images' dtype.
        output: (N,) the explained logit f(x).
        base: (N,) the explained logit at the baseline, f(x0).
        steps: Gauss-Legendre nodes on the path.
    """

    values: Array
    output: Array
    base: Array
    steps: int

    @property
    def gap(self) -> npt.NDArray[np.float64]:
        """(N,) completeness gap ``sum(values) - (f(x) - f(x0))``; 0 for exact integration."""
        total = self.values.reshape(len(self.values), -1).sum(axis=1, dtype=np.float64)
        return np.asarray(total - (self.output.astype(np.float64) - self.base), dtype=np.float64)

    def relative_gap(self, *, tolerance: float = 0.05) -> npt.NDArray[np.float64]:
        """(N,) ``|gap| / |f(x) - f(x0)|`` with the model's rounding forgiven (CHECKS.md §4.1).

        See :func:`reportgen.analyses.explain.attribution.completeness_error`; ``tolerance`` is
        the relative error the caller judges against.
        """
        return completeness_error(
            self.values.reshape(len(self.values), -1).astype(np.float64),
            self.base.astype(np.float64),
            self.output.astype(np.float64),
            tolerance=tolerance,
            epsilon=float(np.finfo(self.values.dtype).eps),
        )


def integrated_gradients(
    model: nn.Module,
    images: Tensor,
    *,
    targets: npt.ArrayLike,
    baseline: Tensor | None = None,
    steps: int = 64,
    batch_size: int = 256,
    meter: Meter | None = None,
) -> IntegratedGradients:
    """Integrated gradients (Sundararajan et al. 2017) of each image's target logit.

    ``e = (x - x0) * sum_j w_j * grad f(x0 + a_j (x - x0))`` with the Gauss-Legendre nodes
    ``a_j`` and weights ``w_j`` of ``numpy.polynomial.legendre.leggauss(steps)`` moved to [0, 1]:
    the approximation captum's ``IntegratedGradients`` makes by default (method
    "gausslegendre"). The ``N * steps`` path points go through the model ``batch_size`` at a
    time, several images per pass.

    Args:
        baseline: x0, a tensor broadcastable to one image (C, H, W), e.g. zeros (the dataset
            mean in normalised space), or one baseline per image (N, C, H, W), e.g. each image
            blurred. Defaults to zeros.
        steps: path points per image (Sundararajan et al. advise 20-300).
        meter: counts each pass through the model (a gradient's backward pass included), when
            given.

    Returns:
        The attributions with f(x), f(x0) and the completeness gap. Model rows: ``N * steps``
        with gradients, then N (f(x)) plus 1 or N (f(x0)) under ``inference_mode``.
    """
    torch = require("torch")
    check_images(images)
    check_batch_size(batch_size)
    if steps < 1:
        raise MapError(f"integrated gradients need at least 1 step, got {steps}")
    n = len(images)
    labels = as_targets(targets, n)
    x0 = _baseline(baseline, images)
    device = model_device(model)

    def gradient(points: Tensor, point_labels: Tensor) -> Tensor:
        with torch.enable_grad(), metered(meter, len(points)):
            path = points.to(device).requires_grad_(True)
            return _gradient(selected(model(path), point_labels).sum(), path)

    values = path_integral(gradient, images, x0, labels, steps=steps, batch_size=batch_size)
    output = explained_outputs(model, images, labels, batch_size=batch_size, meter=meter)
    if len(x0) == n:
        base = explained_outputs(model, x0, labels, batch_size=batch_size, meter=meter)
    else:  # one shared baseline: one row, its logit of each image's target
        with torch.inference_mode(), metered(meter, 1):
            logits = model(x0.to(device))
        base = selected(logits.expand(n, -1), labels).to(images.device)
    return IntegratedGradients(
        values=to_numpy(values),
        output=to_numpy(output),
        base=to_numpy(base),
        steps=steps,
    )


def _baseline(baseline: Tensor | None, images: Tensor) -> Tensor:
    """The baseline as (1, C, H, W) or (N, C, H, W) on the images' device and dtype."""
    torch = require("torch")
    if baseline is None:
        return cast("Tensor", torch.zeros_like(images[:1]))
    try:
        b = baseline.to(images)
        if b.ndim == 4 and len(b) == len(images):
            return b.expand_as(images)
        if b.ndim == 4 and len(b) == 1:
            b = b[0]
        return b.expand_as(images[0]).unsqueeze(0)
    except (RuntimeError, AttributeError) as exc:
        raise MapError(
            f"the baseline must broadcast to one image {tuple(images.shape[1:])} or be one per "
            f"image {tuple(images.shape)}, got {getattr(baseline, 'shape', type(baseline))}"
        ) from exc


def to_2d(attributions: Array, how: Literal["sum", "abs"] = "sum") -> Array:
    """One map per image, (N, H, W), from attributions (N, C, H, W).

    ``"sum"`` adds the channels (signed evidence, CHECKS.md §0: d = H * W after summing over
    channels); ``"abs"`` adds their absolute values (magnitude whatever the sign).
    """
    attributions = np.asarray(attributions)
    if attributions.ndim != 4:
        raise MapError(f"attributions must have shape (N, C, H, W), got {attributions.shape}")
    if how == "sum":
        return np.asarray(attributions.sum(axis=1))
    if how == "abs":
        return np.asarray(np.abs(attributions).sum(axis=1))
    raise MapError(f'how must be "sum" or "abs", got {how!r}')
