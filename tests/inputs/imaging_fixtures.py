"""A small imaging policy built in a temporary folder: images, masks, index and a .pt2 CNN.

The CNN is exported once per test session; every test gets its own copy of the images so it
can damage them.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SIZE = 16
CLASSES = ["normal", "lesion"]


def tiny_cnn() -> object:
    """A CNN with a known answer: it says 'lesion' exactly when a bright patch is present, and
    its evidence lies on the patch. conv1 averages 3 x 3 neighbourhoods and keeps what is
    brighter than the background noise can be; conv2 passes it on; the 'lesion' logit is the
    mean of what is left, scaled, minus a threshold."""
    import torch
    from torch import nn

    features = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, 4, 3, padding=1),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(4, 4, 3, padding=1),
            relu2=nn.ReLU(),
        )
    )
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        features.conv1.weight.fill_(1 / 9)
        features.conv1.bias.fill_(-0.3)  # noise is at most (60/255 - 0.5) / 0.25 = -1.06
        features.conv2.weight.zero_()
        features.conv2.bias.zero_()
        for c in range(4):
            features.conv2.weight[c, c, 1, 1] = 1.0
        head[2].weight.zero_()
        head[2].weight[1].fill_(250.0)
        head[2].bias.copy_(torch.tensor([0.0, -1.0]))
    return nn.Sequential(OrderedDict(features=features, head=head)).eval()


def export_cnn(path: Path) -> Path:
    import torch

    model = tiny_cnn()
    example = torch.zeros(2, 1, SIZE, SIZE)
    batch = torch.export.Dim("batch", min=1, max=100_000)
    program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)
    return path


def write_images(folder: Path, rows: int, seed: int) -> Path:
    """``rows`` PNG images with a bright square (and its mask) on the 'lesion' half."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(exist_ok=True)
    records = []
    for i in range(rows):
        pixels = rng.integers(0, 60, size=(SIZE, SIZE), dtype=np.uint8)
        label = CLASSES[i % 2]
        mask_path = ""
        if label == "lesion":
            y, x = rng.integers(3, SIZE - 7, size=2)
            mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
            mask[y : y + 4, x : x + 4] = 255
            pixels = np.maximum(pixels, mask)
            mask_path = f"masks/m{i:03d}.png"
            Image.fromarray(mask).save(folder / mask_path)
        Image.fromarray(pixels).save(folder / f"images/i{i:03d}.png")
        records.append(
            {
                "image_id": f"scan-{i:03d}",
                "image": f"images/i{i:03d}.png",
                "mask": mask_path,
                "label": label,
                "site": ["north", "south"][i % 4 // 2],
            }
        )
    index = folder / "index.csv"
    pd.DataFrame(records).to_csv(index, index=False)
    return index


def imaging_policy(folder: Path, model: Path, *, rows: int = 40, **overrides: object) -> Path:
    """A valid imaging policy over fresh images in ``folder``; ``overrides`` replace top keys."""
    reference = write_images(folder / "reference", rows, seed=1)
    evaluation = write_images(folder / "evaluation", rows, seed=2)
    policy: dict[str, object] = {
        "id": "tiny-imaging",
        "title": "Tiny imaging policy",
        "domain": "medical",
        "seed": 3,
        "models": [
            {
                "name": "tiny-cnn",
                "format": "torch_export",
                "path": str(model),
                "task": "classification",
                "classes": CLASSES,
                "positive_class": "lesion",
                "layer": "features.conv2",
                "batch_size": 64,
            }
        ],
        "data": {
            "kind": "images",
            "id_column": "image_id",
            "target": "label",
            "sensitive": ["site"],
            "images": {
                "height": SIZE,
                "width": SIZE,
                "channels": 1,
                "mask_column": "mask",
                "normalisation": {"mean": [0.5], "std": [0.25]},
            },
        },
        "datasets": {
            "reference": {"path": str(reference)},
            "evaluation": {"path": str(evaluation)},
        },
        "explanations": {"images": {"ig": {"steps": 8}, "occlusion": {"window": 4, "stride": 2}}},
        "privacy": {"min_cohort_size": 5, "cohorts": [{"name": "site", "by": "site"}]},
        "report": {"formats": ["html"]},
    }
    policy.update(overrides)
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path
