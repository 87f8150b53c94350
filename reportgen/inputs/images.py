"""Load and check an image dataset: an index file (CSV or Parquet) and the images it lists.

Each index row names one image (PNG or .npy) and optionally its ground-truth mask, by a path
relative to the index file. Every image must have the declared size and channels; a mask must
have the image's size. Paths may not lead outside the index file's folder. Each problem is one
sentence naming the file (and the index row), and stops the run before anything is computed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reportgen._lazy import require
from reportgen.errors import InputError
from reportgen.inputs.datasets import check_ids, read_table, select_columns
from reportgen.policy.images import ImageSpec
from reportgen.policy.schema import DatasetSpec, DataSpec


@dataclass(frozen=True)
class ImageSet:
    """One image dataset, loaded: the index rows and their pixels, model-ready."""

    frame: pd.DataFrame
    """Id, target, sensitive columns, image path and mask path ('' where none), as text."""
    images: np.ndarray
    """(n, channels, height, width) float32, normalised as the policy declares."""
    masks: np.ndarray
    """(n, height, width) bool: the annotated finding; all False where a row has no mask."""
    has_mask: np.ndarray
    """(n,) bool: whether the row names a mask."""
    sha256: str
    """Hash of the index file and every image and mask it names, in index order."""


def load_images(
    path: Path, spec: DatasetSpec, data: DataSpec, *, key: str, shown: str | None = None
) -> ImageSet:
    """Read the index at ``path`` and every image (and mask) it names.

    Raises:
        InputError: the index is missing or malformed, an id repeats, or an image or mask is
            missing, unreadable, of another size or channel count, or outside the index's folder.
    """
    image = data.image
    frame, files = _index(path, spec, data, key=key, shown=shown or str(path))
    pixels = np.empty((len(frame), image.channels, image.height, image.width), dtype=np.float32)
    masks = np.zeros((len(frame), image.height, image.width), dtype=bool)
    has_mask = np.zeros(len(frame), dtype=bool)
    for row, (image_file, mask_file) in enumerate(files):
        pixels[row] = _normalise(_read_pixels(image_file, image), image)
        if mask_file is not None:
            masks[row] = _read_mask(mask_file, image)
            has_mask[row] = True
    return ImageSet(frame, pixels, masks, has_mask, _digest(path, files))


def image_dataset_sha256(
    path: Path, spec: DatasetSpec, data: DataSpec, *, key: str, shown: str | None = None
) -> str:
    """The hash :func:`load_images` records, without decoding any image.

    Raises:
        InputError: as :func:`load_images` for the index and the paths it names.
    """
    _, files = _index(path, spec, data, key=key, shown=shown or str(path))
    return _digest(path, files)


Files = list[tuple[Path, Path | None]]


def _index(
    path: Path, spec: DatasetSpec, data: DataSpec, *, key: str, shown: str
) -> tuple[pd.DataFrame, Files]:
    """The index rows and, per row, its image file and mask file (None where it has none)."""
    image = data.image
    where = f"{shown} ({key})"
    columns = [data.id_column, image.image_column, *data.sensitive, *image.cohort_columns]
    columns.append(data.target)
    if image.mask_column is not None:
        columns.append(image.mask_column)
    frame = select_columns(read_table(path, spec, key, shown), columns, where)
    frame = frame.fillna("").astype(str).reset_index(drop=True)
    check_ids(frame, data.id_column, where)
    folder = path.resolve().parent
    files: Files = []
    for row, name in enumerate(frame[image.image_column]):
        image_file = _inside(folder, name, row, image.image_column, where)
        mask_name = frame.at[row, image.mask_column] if image.mask_column else ""
        mask_file = _inside(folder, mask_name, row, image.mask_column, where) if mask_name else None
        files.append((image_file, mask_file))
    return frame, files


def _digest(path: Path, files: Files) -> str:
    digest = hashlib.sha256(path.read_bytes())
    for image_file, mask_file in files:
        for file in (image_file, mask_file):
            digest.update(hashlib.sha256(file.read_bytes()).digest() if file else b"-")
    return digest.hexdigest()


def _inside(folder: Path, name: str, row: int, column: str | None, where: str) -> Path:
    """The file an index cell names, refused when empty or outside the index's folder."""
    if not name:
        raise InputError(f"{where}: column '{column}' is empty at data row {row + 1}")
    file = (folder / name).resolve()
    if not file.is_relative_to(folder):
        raise InputError(
            f"{where}: the {column} path at data row {row + 1} leads outside the index file's "
            f"folder {folder}; refused"
        )
    if not file.is_file():
        raise InputError(f"{file}: file not found (data row {row + 1} of {where})")
    return file


def _read_array(file: Path) -> np.ndarray:
    """Pixels as (height, width[, channels]); uint8 or floats in [0, 1]."""
    try:
        if file.suffix.lower() == ".npy":
            array = np.load(file, allow_pickle=False)
        else:
            image_module = require("PIL.Image")
            with image_module.open(file) as opened:
                array = np.asarray(opened)
    except (OSError, ValueError) as exc:
        kind = "a .npy array" if file.suffix.lower() == ".npy" else "an image"
        raise InputError(f"{file}: cannot be read as {kind} ({type(exc).__name__})") from exc
    if array.ndim not in (2, 3) or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise InputError(
            f"{file}: expected height x width [x channels] numbers, got shape {array.shape} of "
            f"{array.dtype}"
        )
    return array


def _read_pixels(file: Path, image: ImageSpec) -> np.ndarray:
    array = _read_array(file)
    channels = 1 if array.ndim == 2 else array.shape[2]
    if array.shape[:2] != (image.height, image.width):
        raise InputError(
            f"{file}: image is {array.shape[0]} x {array.shape[1]} pixels, the policy declares "
            f"{image.height} x {image.width} (data.images)"
        )
    if channels != image.channels:
        raise InputError(
            f"{file}: image has {channels} channel(s), the policy declares {image.channels} "
            "(data.images.channels)"
        )
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise InputError(f"{file}: float pixels must be finite and lie in [0, 1]")
        return array.astype(np.float32)
    if array.min() < 0 or array.max() > 255:
        raise InputError(f"{file}: integer pixels must lie in 0..255")
    return array.astype(np.float32) / 255.0


def _normalise(pixels: np.ndarray, image: ImageSpec) -> np.ndarray:
    chw = pixels[None] if pixels.ndim == 2 else np.moveaxis(pixels, 2, 0)
    mean = np.asarray(image.normalisation.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(image.normalisation.std, dtype=np.float32)[:, None, None]
    return (chw - mean) / std


def _read_mask(file: Path, image: ImageSpec) -> np.ndarray:
    array = _read_array(file)
    if array.shape[:2] != (image.height, image.width):
        raise InputError(
            f"{file}: mask is {array.shape[0]} x {array.shape[1]} pixels, its image is "
            f"{image.height} x {image.width}"
        )
    inside = array != 0
    return inside if inside.ndim == 2 else inside.any(axis=2)


def denormalise(images: np.ndarray, image: ImageSpec) -> np.ndarray:
    """Pixels in [0, 1] again, (n, height, width, channels): what a reader is shown."""
    mean = np.asarray(image.normalisation.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(image.normalisation.std, dtype=np.float32)[:, None, None]
    return np.clip(np.moveaxis(images * std + mean, 1, 3), 0.0, 1.0)
