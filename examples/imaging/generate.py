"""Synthetic 64 x 64 "tissue" scans, half with a lesion, for the medical-imaging example (#10).

Run from anywhere::

    python examples/imaging/generate.py --out DIR --rows N --seed S [--shortcut] [--marker-rate P]

Writes ``DIR/images/<id>.png`` (8-bit grayscale), ``DIR/masks/<id>.png`` (0/255, lesion scans
only) and ``DIR/index.csv`` with the columns of :data:`COLUMNS`. Nothing is downloaded; the same
seed gives byte-identical files.

How a scan is drawn (each scan from its own random stream, so scan ``i`` does not depend on how
many scans follow it):

* **Tissue**: a grey level set by the hospital (``site``), smoothed noise at two scales and a few
  soft elongated fibres, brighter or darker than their surroundings.
* **Lesion** (label ``lesion`` only): a bright ellipse (semi-axes ``r`` and 0.75..1 ``r``, ``r``
  in 4..8 px, centre row and column in 14..50, so never near a corner) blurred into a soft blob
  and added with a random contrast. Its mask is exact: the pixels where the blob is at least
  :data:`MASK_FRACTION` of its peak.
* **Scanner**: ``vendor-b`` stretches the contrast around mid-grey; each site adds pixel noise of
  its own strength, after the lesion.
* **Shortcut** (``--shortcut``): the lesion is fainter, and a bright 6 x 6 marker square is burnt
  into the top-left corner (rows and columns 2..7) of a lesion scan with probability
  ``marker_rate`` and of a normal scan with probability ``1 - marker_rate``.

The same seed with and without ``--shortcut`` gives the same patients, the same tissue and the
same lesion shapes; only the lesion contrast and the marker differ.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.filters import gaussian

SIZE = 64
LABELS = ("normal", "lesion")
SCANNERS = ("vendor-a", "vendor-b")
SEXES = ("F", "M")
AGE_BANDS = ("18-39", "40-64", "65+")
COLUMNS = ("image_id", "image", "mask", "label", "site", "scanner", "sex", "age_band")

#: A mask holds the pixels where the blurred lesion reaches at least this fraction of its peak.
MASK_FRACTION = 0.5
#: Lesion centre row and column are drawn uniformly from this range (pixels, 0-based).
CENTRE_RANGE = (14.0, 50.0)
#: Lesion semi-major axis in pixels; the minor one is 0.75..1 times it.
RADIUS_RANGE = (4.0, 8.0)
#: Gaussian blur (pixels) that softens the lesion's edge.
LESION_BLUR = 1.5
#: Peak grey levels the lesion adds, without and with ``--shortcut``.
LESION_CONTRAST = (45.0, 75.0)
FAINT_LESION_CONTRAST = (6.0, 12.0)
#: The marker square: rows and columns 2..7 set to this grey level.
MARKER = slice(2, 8)
MARKER_VALUE = 250
DEFAULT_MARKER_RATE = 0.95
#: vendor-b scales grey levels by this factor around :data:`_PIVOT`.
VENDOR_B_GAIN = 1.12
_PIVOT = 128.0


@dataclass(frozen=True)
class SiteLook:
    """How a hospital's scans look: mean tissue grey level and pixel-noise standard deviation."""

    brightness: float
    noise: float


SITES = {
    "north": SiteLook(brightness=96.0, noise=3.0),
    "south": SiteLook(brightness=106.0, noise=4.0),
    "east": SiteLook(brightness=88.0, noise=5.5),
}


@dataclass(frozen=True)
class Patient:
    """One row of ``index.csv`` before its files exist; ``marker`` is not written there."""

    image_id: str
    label: str
    site: str
    scanner: str
    sex: str
    age_band: str
    marker: bool


@dataclass(frozen=True)
class Scan:
    """A drawn scan: uint8 pixels ``(64, 64)`` and, for a lesion, its boolean mask."""

    pixels: np.ndarray
    mask: np.ndarray | None


def cohort(
    rows: int, seed: int, *, shortcut: bool = False, marker_rate: float = DEFAULT_MARKER_RATE
) -> list[Patient]:
    """``rows`` patients: labels half and half in random order, cohort columns drawn uniformly.

    Without ``shortcut`` no scan carries the marker. Raises ValueError for ``rows < 1`` or a
    ``marker_rate`` outside 0..1.
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if not 0.0 <= marker_rate <= 1.0:
        raise ValueError(f"marker_rate must lie in 0..1, got {marker_rate}")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    lesion = rng.permutation(np.arange(rows) < (rows + 1) // 2)
    site = rng.integers(len(SITES), size=rows)
    scanner = rng.integers(len(SCANNERS), size=rows)
    sex = rng.integers(len(SEXES), size=rows)
    age = rng.integers(len(AGE_BANDS), size=rows)
    # drawn even without the shortcut, so the other columns never depend on the options
    off_rule = rng.random(rows) >= marker_rate
    sites = list(SITES)
    return [
        Patient(
            image_id=f"scan-{i:05d}",
            label=LABELS[int(lesion[i])],
            site=sites[site[i]],
            scanner=SCANNERS[scanner[i]],
            sex=SEXES[sex[i]],
            age_band=AGE_BANDS[age[i]],
            marker=shortcut and bool(lesion[i] != off_rule[i]),
        )
        for i in range(rows)
    ]


def _unit_noise(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """White noise smoothed with a Gaussian of ``sigma`` pixels, rescaled to unit deviation."""
    field = gaussian(rng.standard_normal((SIZE, SIZE)), sigma=sigma, mode="reflect")
    return field / field.std()


def _ellipse(centre: tuple[float, float], axes: tuple[float, float], angle: float) -> np.ndarray:
    """1.0 inside the ellipse, 0.0 outside; ``axes`` are semi-axes in pixels."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    dy, dx = rows - centre[0], cols - centre[1]
    along = dx * np.cos(angle) + dy * np.sin(angle)
    across = -dx * np.sin(angle) + dy * np.cos(angle)
    return ((along / axes[0]) ** 2 + (across / axes[1]) ** 2 <= 1.0).astype(float)


def _tissue(rng: np.random.Generator, look: SiteLook) -> np.ndarray:
    """Float grey levels of the lesion-free tissue (before scanner and pixel noise)."""
    field = look.brightness + 12.0 * _unit_noise(rng, 6.0) + 5.0 * _unit_noise(rng, 1.5)
    for _ in range(int(rng.integers(2, 5))):
        centre = (float(rng.uniform(0, SIZE)), float(rng.uniform(0, SIZE)))
        axes = (float(rng.uniform(10, 24)), float(rng.uniform(1.2, 2.5)))
        fibre = _ellipse(centre, axes, float(rng.uniform(0, np.pi)))
        field += rng.choice([-1.0, 1.0]) * rng.uniform(8, 22) * gaussian(fibre, sigma=1.2)
    return field


def lesion_profile(rng: np.random.Generator) -> np.ndarray:
    """A soft lesion blob, ``(64, 64)`` floats with peak exactly 1.0."""
    centre = (float(rng.uniform(*CENTRE_RANGE)), float(rng.uniform(*CENTRE_RANGE)))
    radius = float(rng.uniform(*RADIUS_RANGE))
    axes = (radius, radius * float(rng.uniform(0.75, 1.0)))
    blob = gaussian(_ellipse(centre, axes, float(rng.uniform(0, np.pi))), sigma=LESION_BLUR)
    return blob / blob.max()


def draw_scan(patient: Patient, seed: int, index: int, *, shortcut: bool = False) -> Scan:
    """The scan of ``patient``, the ``index``-th row of the set drawn with ``seed``.

    Every random number comes from the stream of ``(seed, index)``, drawn in the same order
    whatever the label or ``shortcut``, so a scan's tissue depends on neither.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index + 1,)))
    look = SITES[patient.site]
    field = _tissue(rng, look)
    profile = lesion_profile(rng)
    strength = float(rng.random())
    noise = rng.normal(0.0, look.noise, size=(SIZE, SIZE))
    mask = None
    if patient.label == "lesion":
        low, high = FAINT_LESION_CONTRAST if shortcut else LESION_CONTRAST
        field += (low + strength * (high - low)) * profile
        mask = profile >= MASK_FRACTION
    if patient.scanner == "vendor-b":
        field = _PIVOT + VENDOR_B_GAIN * (field - _PIVOT)
    pixels = np.clip(np.rint(field + noise), 0, 255).astype(np.uint8)
    if patient.marker:
        pixels[MARKER, MARKER] = MARKER_VALUE
    return Scan(pixels, mask)


def draw(
    rows: int, seed: int, *, shortcut: bool = False, marker_rate: float = DEFAULT_MARKER_RATE
) -> tuple[list[Patient], list[Scan]]:
    """A whole set in memory: the patients and their scans, in row order."""
    patients = cohort(rows, seed, shortcut=shortcut, marker_rate=marker_rate)
    scans = [draw_scan(p, seed, i, shortcut=shortcut) for i, p in enumerate(patients)]
    return patients, scans


def _save_png(path: Path, pixels: np.ndarray) -> None:
    """8-bit grayscale PNG; Pillow writes no timestamp, so equal pixels give equal bytes."""
    Image.fromarray(pixels, mode="L").save(path, format="PNG", optimize=True)


def write(out: Path, patients: Sequence[Patient], scans: Sequence[Scan]) -> Path:
    """Write the images, masks and ``index.csv`` under ``out``; returns the CSV's path.

    Paths in the CSV are relative to its folder, with forward slashes.
    """
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    records = []
    for patient, scan in zip(patients, scans, strict=True):
        image = f"images/{patient.image_id}.png"
        _save_png(out / image, scan.pixels)
        mask = ""
        if scan.mask is not None:
            mask = f"masks/{patient.image_id}.png"
            _save_png(out / mask, scan.mask.astype(np.uint8) * 255)
        cohort_cells = (patient.site, patient.scanner, patient.sex, patient.age_band)
        records.append((patient.image_id, image, mask, patient.label, *cohort_cells))
    index = out / "index.csv"
    with index.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(records)
    return index


def generate(
    out: Path,
    rows: int,
    seed: int,
    *,
    shortcut: bool = False,
    marker_rate: float = DEFAULT_MARKER_RATE,
) -> Path:
    """Draw a set and write it under ``out`` (see :func:`write`); returns the CSV's path."""
    patients, scans = draw(rows, seed, shortcut=shortcut, marker_rate=marker_rate)
    return write(out, patients, scans)


def read(index: Path) -> tuple[np.ndarray, list[str]]:
    """Pixels ``(n, 64, 64)`` uint8 and labels of a written set, in the order of its CSV."""
    with index.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    pixels = [np.asarray(Image.open(index.parent / r["image"])) for r in records]
    return np.stack(pixels), [r["label"] for r in records]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--rows", type=int, required=True, help="number of scans")
    parser.add_argument("--seed", type=int, required=True, help="seed of the whole set")
    parser.add_argument("--shortcut", action="store_true", help="fainter lesions plus a marker")
    parser.add_argument(
        "--marker-rate",
        type=float,
        default=None,
        help=f"with --shortcut: share of lesion scans marked (default {DEFAULT_MARKER_RATE}); "
        "the same share of normal scans stays unmarked",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.marker_rate is not None and not args.shortcut:
        parser.error("--marker-rate needs --shortcut")
    rate = DEFAULT_MARKER_RATE if args.marker_rate is None else args.marker_rate
    try:
        index = generate(args.out, args.rows, args.seed, shortcut=args.shortcut, marker_rate=rate)
    except ValueError as e:
        parser.error(str(e))
    print(f"wrote {args.rows} scans and {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
