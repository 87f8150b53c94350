"""Policy settings for image data: the image layout, the heat-map methods and check C8.

An imaging policy declares ``data.kind: images``; its datasets are index files (CSV or Parquet)
with one row per image: an id, the image's path, its label, optionally a mask's path and
cohort columns. Everything here is validated like every other key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reportgen.policy.base import Strict

MapMethod = Literal["gradcam", "ig", "occlusion"]


class NormalisationSpec(Strict):
    """How pixels become the model's input: ``(pixel / 255 - mean) / std`` per channel."""

    mean: list[float] = Field(
        default_factory=lambda: [0.0], min_length=1, max_length=4, description="Per channel."
    )
    std: list[float] = Field(
        default_factory=lambda: [1.0], min_length=1, max_length=4, description="Per channel."
    )

    @model_validator(mode="after")
    def _positive_std(self) -> NormalisationSpec:
        """Every std is positive and mean and std have one value per channel."""
        if any(s <= 0 for s in self.std):
            raise ValueError(f"every std must be positive, got {self.std}")
        if len(self.mean) != len(self.std):
            raise ValueError(
                f"mean and std need one value per channel each, got {len(self.mean)} "
                f"and {len(self.std)}"
            )
        return self


class ImageSpec(Strict):
    """The images of an imaging policy: where the index points and what every image must be."""

    image_column: str = Field(
        default="image",
        description="Index column with each image's path (PNG or .npy), relative to the index "
        "file; a path may not lead outside the policy's folder.",
    )
    mask_column: str | None = Field(
        default=None,
        description="Index column with the path of each image's ground-truth mask (PNG or .npy; "
        "non-zero pixels are inside). Empty for images without a finding. Needed for C8.",
    )
    cohort_columns: list[str] = Field(
        default_factory=list,
        description="Further index columns cohorts may split by that are not sensitive "
        "attributes (site, scanner...).",
    )
    height: int = Field(ge=8, le=1024, description="Image height in pixels; every image has it.")
    width: int = Field(ge=8, le=1024, description="Image width in pixels; every image has it.")
    channels: Literal[1, 3] = Field(description="1 (grey levels) or 3 (RGB).")
    normalisation: NormalisationSpec = Field(
        default_factory=NormalisationSpec, description="Pixel scaling before the model."
    )

    @model_validator(mode="after")
    def _one_value_per_channel(self) -> ImageSpec:
        """The normalisation gives one mean and one std per channel."""
        if len(self.normalisation.mean) != self.channels:
            raise ValueError(
                f"normalisation gives {len(self.normalisation.mean)} value(s) per statistic "
                f"for {self.channels} channel(s)"
            )
        return self


class IntegratedGradientsSpec(Strict):
    """Integrated gradients on images."""

    steps: int = Field(
        default=32, ge=4, le=512, description="Integration steps (Gauss-Legendre, as captum)."
    )
    baseline: Literal["zeros", "blur"] = Field(
        default="zeros",
        description="zeros: the normalised zero image (the normalisation's mean intensity); "
        "blur: the image blurred with a Gaussian (sigma = a tenth of its width).",
    )


class OcclusionSpec(Strict):
    """Occlusion: the drop of the explained output when a window of pixels is set to zero."""

    window: int = Field(default=8, ge=2, le=256, description="Square window, in pixels.")
    stride: int = Field(default=4, ge=1, le=256, description="Step between windows, in pixels.")

    @model_validator(mode="after")
    def _stride_within_window(self) -> OcclusionSpec:
        """A stride larger than the window would leave pixels no window covers."""
        if self.stride > self.window:
            raise ValueError(f"stride ({self.stride}) must be at most window ({self.window})")
        return self


class ImageExplanationsSpec(Strict):
    """Heat-maps of image models."""

    methods: list[MapMethod] = Field(
        default_factory=lambda: list[MapMethod](["gradcam", "ig", "occlusion"]),
        min_length=1,
        description="gradcam: Grad-CAM at the model's `layer`; ig: integrated gradients; "
        "occlusion: output drop under a sliding window.",
    )
    ig: IntegratedGradientsSpec = Field(
        default_factory=IntegratedGradientsSpec, description="Integrated gradients settings."
    )
    occlusion: OcclusionSpec = Field(default_factory=OcclusionSpec, description="Occlusion.")
    rows: int = Field(
        default=400,
        ge=10,
        le=100_000,
        description="Evaluation images explained for the mean maps (all when fewer).",
    )
    batch_size: int = Field(
        default=64,
        ge=1,
        le=100_000,
        description="Images (times steps) per model pass. On a CPU 32 to 64 is fastest "
        "(bench/bench_imaging_maps.py); on a GPU, larger.",
    )


class LocalisationSpec(Strict):
    """C8: do the maps point at the annotated finding (CHECKS.md section 6)?"""

    enabled: bool = Field(default=True, description="Run this check when masks are declared.")
    methods: list[MapMethod] = Field(
        default_factory=lambda: list[MapMethod](["gradcam", "ig"]),
        min_length=1,
        description="Map methods whose localisation is gated.",
    )
    tolerance_px: int = Field(
        default=3,
        ge=0,
        le=256,
        description="Pointing game: a hit when the map's peak lies within this many pixels of "
        "the mask (the paper's 15 px is for 224 px images; scale it to yours).",
    )
    pointing_game_min: float = Field(default=0.7, ge=0, le=1, description="Pass: hit rate.")
    warn_min: float = Field(default=0.5, ge=0, le=1, description="Warn (not fail) down to this.")
    mass_min: float = Field(
        default=0.3, ge=0, le=1, description="Pass: median relevance mass inside the mask."
    )
    mass_chance_multiple: float = Field(
        default=3.0,
        ge=1,
        le=100,
        description="Pass also needs the median mass >= this multiple of chance (|G|/N); "
        "below twice chance fails.",
    )
    auc_min: float = Field(default=0.75, ge=0, le=1, description="Pass: median pixel ROC-AUC.")
    max_images: int = Field(
        default=200, ge=10, le=100_000, description="Correctly classified positives checked."
    )

    @model_validator(mode="after")
    def _warn_below_pass(self) -> LocalisationSpec:
        """The warn band lies below the pass threshold."""
        if self.warn_min > self.pointing_game_min:
            raise ValueError("warn_min must be <= pointing_game_min")
        return self
