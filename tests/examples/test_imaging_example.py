"""The medical-imaging example (#10): its generator tells the truth, its models keep their word."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

# The example's scripts import each other as top-level modules, the way they run.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "imaging"))

import generate
import make_data

IMAGING = Path(generate.__file__).resolve().parent

#: Accuracy of each shipped model on each shipped evaluation set, as README.md records it.
RECORDED_ACCURACY = {
    ("sound", "sound"): 0.962,
    ("sound", "shortcut"): 0.954,
    ("shortcut", "shortcut"): 0.958,
    ("shortcut", "sound"): 0.550,
}

# torch.export.unflatten deep-copies tree specs and trips a deprecation inside torch itself.
unflatten_warning = pytest.mark.filterwarnings("ignore:`isinstance\\(treespec:FutureWarning")


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _rows(index: Path) -> list[dict[str, str]]:
    with index.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def _has_marker(pixels: np.ndarray) -> bool:
    return bool((pixels[generate.MARKER, generate.MARKER] == generate.MARKER_VALUE).all())


# --- the generator ----------------------------------------------------------------------------


@pytest.mark.parametrize("shortcut", [False, True])
def test_the_same_seed_writes_the_same_bytes(tmp_path, shortcut) -> None:
    generate.generate(tmp_path / "a", 40, 5, shortcut=shortcut)
    generate.generate(tmp_path / "b", 40, 5, shortcut=shortcut)
    first = _files(tmp_path / "a")
    assert len(first) == 1 + 40 + 20  # index.csv, the images, a mask per lesion scan
    assert first == _files(tmp_path / "b")


def test_another_seed_draws_other_scans(tmp_path) -> None:
    generate.generate(tmp_path / "a", 40, 5)
    generate.generate(tmp_path / "b", 40, 6)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    images = [name for name in first if name.startswith("images/")]
    assert all(first[name] != second[name] for name in images)
    assert first["index.csv"] != second["index.csv"]


def test_the_shipped_sets_are_what_make_data_writes(tmp_path) -> None:
    make_data.write_shipped(tmp_path)
    for entry in make_data.SHIPPED:
        shipped = _files(IMAGING / "data" / entry.folder)
        assert len(_rows(IMAGING / "data" / entry.folder / "index.csv")) == entry.rows
        assert _files(tmp_path / entry.folder) == shipped, entry.folder


def test_index_columns_and_relative_paths(tmp_path) -> None:
    index = generate.generate(tmp_path, 60, 11, shortcut=True)
    rows = _rows(index)
    assert tuple(rows[0]) == generate.COLUMNS
    assert [r["image_id"] for r in rows] == [f"scan-{i:05d}" for i in range(60)]
    for r in rows:
        assert r["image"] == f"images/{r['image_id']}.png"
        assert r["mask"] == (f"masks/{r['image_id']}.png" if r["label"] == "lesion" else "")
        assert _pixels(tmp_path / r["image"]).shape == (64, 64)
        assert _pixels(tmp_path / r["image"]).dtype == np.uint8
        assert r["site"] in generate.SITES and r["scanner"] in generate.SCANNERS
        assert r["sex"] in generate.SEXES and r["age_band"] in generate.AGE_BANDS
    assert sum(r["label"] == "lesion" for r in rows) == 30
    masks = {f"masks/{p.name}" for p in (tmp_path / "masks").iterdir()}
    assert masks == {r["mask"] for r in rows if r["mask"]}


def test_cohort_columns_take_every_value(tmp_path) -> None:
    rows = _rows(generate.generate(tmp_path, 300, 12))
    assert {r["site"] for r in rows} == set(generate.SITES)
    assert {r["scanner"] for r in rows} == set(generate.SCANNERS)
    assert {r["sex"] for r in rows} == set(generate.SEXES)
    assert {r["age_band"] for r in rows} == set(generate.AGE_BANDS)
    assert {r["label"] for r in rows} == set(generate.LABELS)


def test_masks_are_binary_and_brighter_than_the_tissue_around_them(tmp_path) -> None:
    rows = _rows(generate.generate(tmp_path, 200, 13))
    margins = []
    for r in (r for r in rows if r["label"] == "lesion"):
        mask = _pixels(tmp_path / r["mask"])
        assert set(np.unique(mask)) <= {0, 255} and mask.any()
        inside = mask == 255
        pixels = _pixels(tmp_path / r["image"]).astype(float)
        margins.append(pixels[inside].mean() - pixels[~inside].mean())
    assert min(margins) > 10
    assert np.mean(margins) > 40


def test_a_mask_is_exactly_where_the_lesion_reaches_half_its_peak() -> None:
    # The same seed with and without the shortcut draws the same tissue and lesion shapes with
    # other contrasts, so the difference of the two scans is the lesion alone (scaled, rounded).
    sound = generate.draw(200, 14)[1]
    faint = generate.draw(200, 14, shortcut=True, marker_rate=0.5)[1]
    checked = 0
    for a, b in zip(sound, faint, strict=True):
        assert (a.mask is None) == (b.mask is None)
        if a.mask is None:
            continue
        assert np.array_equal(a.mask, b.mask)
        diff = a.pixels.astype(int) - b.pixels.astype(int)
        diff[generate.MARKER, generate.MARKER] = 0
        half = generate.MASK_FRACTION * diff.max()
        assert diff[a.mask].min() >= half - 2
        assert diff[~a.mask].max() <= half + 2
        checked += 1
    assert checked == 100


def test_lesions_stay_away_from_the_corners() -> None:
    scans = generate.draw(200, 15)[1]
    masks = np.stack([s.mask for s in scans if s.mask is not None])
    rows, cols = np.nonzero(masks.any(axis=0))
    assert rows.min() >= 14 - 8 and cols.min() >= 14 - 8
    assert rows.max() <= 50 + 8 and cols.max() <= 50 + 8


@pytest.mark.parametrize(
    ("shortcut", "marker_rate", "marked"),
    [
        (False, 0.95, lambda label: False),
        (True, 1.0, lambda label: label == "lesion"),
        (True, 0.0, lambda label: label == "normal"),
    ],
)
def test_the_marker_is_where_the_options_put_it(tmp_path, shortcut, marker_rate, marked) -> None:
    rows = _rows(generate.generate(tmp_path, 80, 16, shortcut=shortcut, marker_rate=marker_rate))
    for r in rows:
        assert _has_marker(_pixels(tmp_path / r["image"])) == marked(r["label"]), r["image_id"]


def test_the_default_marker_rate_marks_almost_every_lesion_and_almost_no_normal_scan() -> None:
    patients, scans = generate.draw(1000, 17, shortcut=True)
    marked = {label: [] for label in generate.LABELS}
    for patient, scan in zip(patients, scans, strict=True):
        assert _has_marker(scan.pixels) == patient.marker
        marked[patient.label].append(patient.marker)
    assert 0.92 < np.mean(marked["lesion"]) < 0.98
    assert 0.02 < np.mean(marked["normal"]) < 0.08


def test_the_marker_is_the_6_by_6_square_at_rows_and_columns_2_to_7() -> None:
    patients, scans = generate.draw(20, 18, shortcut=True, marker_rate=1.0)
    plain = generate.draw(20, 18, shortcut=True, marker_rate=0.0)[1]
    lesion = next(i for i, p in enumerate(patients) if p.label == "lesion")
    changed = np.argwhere(scans[lesion].pixels != plain[lesion].pixels)
    assert changed.min(axis=0).tolist() >= [2, 2] and changed.max(axis=0).tolist() <= [7, 7]
    assert _has_marker(scans[lesion].pixels)


def test_the_command_line_writes_a_set(tmp_path, capsys) -> None:
    code = generate.main(["--out", str(tmp_path), "--rows", "6", "--seed", "3", "--shortcut"])
    assert code == 0
    assert len(_rows(tmp_path / "index.csv")) == 6
    assert "wrote 6 scans" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--marker-rate", "0.9"], "--marker-rate needs --shortcut"),
        (["--shortcut", "--marker-rate", "1.5"], "marker_rate must lie in 0..1, got 1.5"),
    ],
)
def test_the_command_line_refuses_bad_options(tmp_path, capsys, extra, message) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generate.main(["--out", str(tmp_path), "--rows", "6", "--seed", "3", *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


# --- the shipped models -----------------------------------------------------------------------


def _evaluation(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A shipped evaluation set under the input contract: (p / 255 - 0.5) / 0.25."""
    pixels, labels = generate.read(IMAGING / "data" / name / "evaluation" / "index.csv")
    x = (torch.from_numpy(pixels.astype(np.float32)) / 255.0 - 0.5) / 0.25
    y = torch.tensor([generate.LABELS.index(label) for label in labels])
    return x.unsqueeze(1), y


def _accuracy(model, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.inference_mode():
        return float((model(x).argmax(dim=1) == y).float().mean())


@pytest.mark.parametrize(("model", "data"), list(RECORDED_ACCURACY))
def test_the_shipped_models_reach_the_recorded_accuracy(model, data) -> None:
    program = torch.export.load(IMAGING / f"{model}.pt2")
    accuracy = _accuracy(program.module(), *_evaluation(data))
    assert accuracy == pytest.approx(RECORDED_ACCURACY[model, data], abs=5e-4)


def test_readme_records_the_same_accuracies() -> None:
    readme = (IMAGING / "README.md").read_text(encoding="utf-8")
    for (model, data), accuracy in RECORDED_ACCURACY.items():
        assert f"| `{model}` | `{data}/evaluation` | {accuracy:.3f} |" in readme


def test_the_sound_model_finds_lesions_and_the_shortcut_model_only_the_marker() -> None:
    assert RECORDED_ACCURACY["sound", "sound"] >= 0.9
    assert RECORDED_ACCURACY["shortcut", "shortcut"] >= 0.9
    # without the marker the shortcut model is close to guessing
    assert RECORDED_ACCURACY["shortcut", "sound"] <= 0.7
    assert RECORDED_ACCURACY["sound", "sound"] - RECORDED_ACCURACY["shortcut", "sound"] > 0.3


@unflatten_warning
@pytest.mark.parametrize("name", ["sound", "shortcut"])
def test_a_pt2_model_takes_any_batch_size_as_module_and_unflattened(name) -> None:
    program = torch.export.load(IMAGING / f"{name}.pt2")
    module, unflat = program.module(), torch.export.unflatten(program)
    x = torch.randn(512, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        full = module(x)
        for batch in (1, 7, 512):
            assert module(x[:batch]).shape == (batch, 2)
            torch.testing.assert_close(unflat(x[:batch]), full[:batch], rtol=1e-5, atol=1e-5)


@unflatten_warning
@pytest.mark.parametrize("name", ["sound", "shortcut"])
def test_gradcam_layer_is_features_conv3_on_a_16_by_16_grid(name) -> None:
    unflat = torch.export.unflatten(torch.export.load(IMAGING / f"{name}.pt2"))
    layer = dict(unflat.named_modules())["features.conv3"]
    seen: list[torch.Size] = []
    handle = layer.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    try:
        unflat(torch.zeros(3, 1, 64, 64))
    finally:
        handle.remove()
    assert seen == [torch.Size([3, 32, 16, 16])]


def test_the_torchscript_copy_is_the_sound_model() -> None:
    scripted = torch.jit.load(str(IMAGING / "sound.torchscript.pt"))
    exported = torch.export.load(IMAGING / "sound.pt2").module()
    x, _ = _evaluation("sound")
    with torch.inference_mode():
        torch.testing.assert_close(scripted(x), exported(x), rtol=1e-5, atol=1e-5)
