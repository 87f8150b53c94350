"""Issue #10: every kind of bad image dataset is refused with one sentence naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from reportgen.cli import main
from tests.inputs.imaging_fixtures import SIZE, export_cnn, imaging_policy


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_cnn(tmp_path_factory.mktemp("model") / "tiny.pt2")


def _validate(policy: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["validate", str(policy)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.strip().splitlines()


def test_a_sound_imaging_policy_validates(cnn: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(imaging_policy(tmp_path, cnn))])
    assert result.exit_code == 0, result.output
    assert "reference 40 rows, evaluation 40 rows" in result.stdout


def _damage(tmp_path: Path, cnn: Path, how: str) -> tuple[Path, str]:
    """Build the policy, damage one evaluation file ``how``; the expected message's start."""
    policy = imaging_policy(tmp_path, cnn)
    folder = tmp_path / "evaluation"
    index = pd.read_csv(folder / "index.csv", dtype=str, keep_default_na=False)
    image = (folder / index.at[4, "image"]).resolve()
    mask = (folder / index.at[3, "mask"]).resolve()
    if how == "missing":
        image.unlink()
        return policy, f"{image}: file not found (data row 5 of "
    if how == "size":
        Image.fromarray(np.zeros((SIZE, SIZE + 2), dtype=np.uint8)).save(image)
        return policy, f"{image}: image is {SIZE} x {SIZE + 2} pixels, the policy declares"
    if how == "channels":
        Image.fromarray(np.zeros((SIZE, SIZE, 3), dtype=np.uint8)).save(image)
        return policy, f"{image}: image has 3 channel(s), the policy declares 1"
    if how == "unreadable":
        image.write_bytes(b"not a png at all")
        return policy, f"{image}: cannot be read as an image (UnidentifiedImageError)"
    if how == "mask_size":
        Image.fromarray(np.zeros((SIZE - 4, SIZE), dtype=np.uint8)).save(mask)
        return policy, f"{mask}: mask is {SIZE - 4} x {SIZE} pixels, its image is"
    if how == "escape":
        outside = tmp_path / "outside.png"
        Image.fromarray(np.zeros((SIZE, SIZE), dtype=np.uint8)).save(outside)
        index.at[4, "image"] = "../outside.png"
        index.to_csv(folder / "index.csv", index=False)
        return policy, "the image path at data row 5 leads outside the index file's folder"
    if how == "empty_path":
        index.at[4, "image"] = ""
        index.to_csv(folder / "index.csv", index=False)
        return policy, "column 'image' is empty at data row 5"
    if how == "float_range":
        np.save(image.with_suffix(".npy"), np.full((SIZE, SIZE), 2.0, dtype=np.float32))
        index.at[4, "image"] = index.at[4, "image"].replace(".png", ".npy")
        index.to_csv(folder / "index.csv", index=False)
        return policy, f"{image.with_suffix('.npy')}: float pixels must be finite and lie in [0, 1]"
    raise ValueError(how)


HOW = [
    "missing",
    "size",
    "channels",
    "unreadable",
    "mask_size",
    "escape",
    "empty_path",
    "float_range",
]


@pytest.mark.parametrize("how", HOW)
def test_bad_image_is_refused_with_one_sentence(cnn: Path, tmp_path: Path, how: str) -> None:
    policy, expected = _damage(tmp_path, cnn, how)
    code, lines = _validate(policy)
    assert code == 3, lines
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]


def test_an_escaping_path_is_refused_even_through_a_link(cnn: Path, tmp_path: Path) -> None:
    policy = imaging_policy(tmp_path, cnn)
    folder = tmp_path / "evaluation"
    index = pd.read_csv(folder / "index.csv", dtype=str, keep_default_na=False)
    outside = tmp_path / "secret.png"
    Image.fromarray(np.zeros((SIZE, SIZE), dtype=np.uint8)).save(outside)
    (folder / "images" / "link.png").symlink_to(outside)
    index.at[0, "image"] = "images/link.png"
    index.to_csv(folder / "index.csv", index=False)
    code, lines = _validate(policy)
    assert code == 3 and "leads outside the index file's folder" in lines[0]


def test_npy_images_load_like_pngs(cnn: Path, tmp_path: Path) -> None:
    """A uint8 .npy image and its PNG give the same model input."""
    from reportgen.inputs.resolve import resolve_inputs
    from reportgen.policy.loader import load_policy

    policy = imaging_policy(tmp_path, cnn)
    before = resolve_inputs(load_policy(policy)).evaluation.image_set.images.copy()
    folder = tmp_path / "evaluation"
    index = pd.read_csv(folder / "index.csv", dtype=str, keep_default_na=False)
    for row in range(len(index)):
        png = folder / index.at[row, "image"]
        np.save(png.with_suffix(".npy"), np.asarray(Image.open(png)))
        index.at[row, "image"] = index.at[row, "image"].replace(".png", ".npy")
    index.to_csv(folder / "index.csv", index=False)
    after = resolve_inputs(load_policy(policy)).evaluation.image_set.images
    np.testing.assert_array_equal(before, after)
    assert before.dtype == np.float32 and before.shape == (40, 1, SIZE, SIZE)
    # (pixel / 255 - 0.5) / 0.25: a black pixel is -2, a white one +2
    assert before.min() >= -2.0 and before.max() <= 2.0


def test_the_input_fingerprint_covers_every_image(cnn: Path, tmp_path: Path) -> None:
    """Changing one pixel of one image changes the run's fingerprint (skip-unchanged and the
    manifest rely on it)."""
    from reportgen.inputs.resolve import input_fingerprint
    from reportgen.policy.loader import load_policy

    policy = imaging_policy(tmp_path, cnn)
    before = input_fingerprint(load_policy(policy))
    image = tmp_path / "evaluation" / "images" / "i007.png"
    pixels = np.asarray(Image.open(image)).copy()
    pixels[0, 0] ^= 1
    Image.fromarray(pixels).save(image)
    assert input_fingerprint(load_policy(policy)) != before


def test_a_model_that_fails_on_the_images_is_one_sentence(tmp_path: Path) -> None:
    """A .pt2 exported for 3 channels, fed 1-channel images."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    batch = torch.export.Dim("batch", min=1, max=100_000)
    program = torch.export.export(
        model, (torch.zeros(2, 3, SIZE, SIZE),), dynamic_shapes=({0: batch},)
    )
    path = tmp_path / "rgb.pt2"
    torch.export.save(program, path)
    policy = imaging_policy(tmp_path, path)
    code, lines = _validate(policy)
    assert code == 3 and len(lines) == 1, lines
    assert "model 'tiny-cnn' failed on a batch of 40 image(s) of shape (1, 16, 16)" in lines[0]
