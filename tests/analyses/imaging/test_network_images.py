"""The network section on an image model (issue 13): a toy CNN exported with torch.export, with
a channel built dead, gives the exact layer table, reports that channel dead and no live one,
and its per-class mean channel maps equal a plain-torch computation; the privacy gate withholds
a class below the minimum cohort size."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from reportgen import engine
from reportgen.analyses.imaging.context import ImageData
from reportgen.analyses.network_images import run_image_network
from reportgen.inputs.resolve import resolve_inputs
from reportgen.policy.loader import load_policy
from reportgen.privacy.families import UNPROTECTABLE, WHOLE_FAMILY
from reportgen.privacy.image_maps import publish_channel_maps
from reportgen.privacy.suppression import reason
from reportgen.results.network import ChannelMap, ChannelMaps, NetworkResult
from tests.inputs.imaging_fixtures import CLASSES, SIZE, imaging_policy

DEAD = 2
"""The channel of conv1 built dead: no weight and a negative bias."""
INTERNALS = {"activation_rows": 100, "gradient_rows": 20}


def toy_cnn() -> torch.nn.Module:
    """conv1 finds bright patches (channel 0), dark background (channel 1) and nothing
    (channel DEAD); conv2 passes channels 0 and 1 on; 'lesion' when bright patches are found."""
    features = torch.nn.Sequential(
        OrderedDict(
            conv1=torch.nn.Conv2d(1, 3, 3, padding=1),
            relu1=torch.nn.ReLU(),
            pool=torch.nn.MaxPool2d(2),
            conv2=torch.nn.Conv2d(3, 2, 3, padding=1),
            relu2=torch.nn.ReLU(),
        )
    )
    head = torch.nn.Sequential(
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(2, 2)
    )
    with torch.no_grad():
        features.conv1.weight.zero_()
        features.conv1.weight[0].fill_(1 / 9)
        features.conv1.weight[1].fill_(-1 / 9)
        features.conv1.bias.copy_(torch.tensor([-0.3, 0.0, -5.0]))
        features.conv2.weight.zero_()
        features.conv2.bias.zero_()
        features.conv2.weight[0, 0, 1, 1] = features.conv2.weight[1, 1, 1, 1] = 1.0
        head[2].weight.zero_()
        head[2].weight[1, 0] = 250.0
        head[2].bias.copy_(torch.tensor([0.0, -1.0]))
    return torch.nn.Sequential(OrderedDict(features=features, head=head)).eval()


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "toy.pt2"
    batch = torch.export.Dim("batch", min=1, max=100_000)
    program = torch.export.export(
        toy_cnn(), (torch.zeros(2, 1, SIZE, SIZE),), dynamic_shapes=({0: batch},)
    )
    torch.export.save(program, path)
    return path


@pytest.fixture(scope="module")
def data(cnn: Path, tmp_path_factory: pytest.TempPathFactory) -> ImageData:
    path = imaging_policy(tmp_path_factory.mktemp("policy"), cnn, internals=INTERNALS)
    inputs = resolve_inputs(load_policy(path))
    return ImageData.build(inputs, inputs.models[0])


@pytest.fixture(scope="module")
def result(data: ImageData) -> NetworkResult:
    return run_image_network(data)


def test_the_layer_table_parameters_and_flops_match_a_hand_count(result: NetworkResult) -> None:
    table = [(r.name, r.type, r.output_shape, r.parameters, r.flops) for r in result.layers]
    h = SIZE // 2
    assert table == [
        ("features.conv1", "Conv2d", [3, SIZE, SIZE], 3 * 9 + 3, 2 * 3 * SIZE * SIZE * 9),
        ("features.relu1", "ReLU", [3, SIZE, SIZE], 0, 0),
        ("features.pool", "MaxPool2d", [3, h, h], 0, 0),
        ("features.conv2", "Conv2d", [2, h, h], 2 * 3 * 9 + 2, 2 * 2 * h * h * 3 * 9),
        ("features.relu2", "ReLU", [2, h, h], 0, 0),
        ("head.0", "AdaptiveAvgPool2d", [2, 1, 1], 0, 0),
        ("head.1", "Flatten", [2], 0, 0),
        ("head.2", "Linear", [2], 2 * 2 + 2, 2 * 2 * 2),
    ]
    assert result.parameters == result.trainable == 30 + 56 + 6
    assert result.input_shape == [1, SIZE, SIZE] and result.data == "images"


def test_the_channel_built_dead_is_the_only_dead_channel(result: NetworkResult) -> None:
    dead = {a.name: a.dead for a in result.activations}
    assert dead["features.relu1"] == [DEAD]
    assert dead["features.relu2"] == []  # conv2 passes on the live channels 0 and 1
    assert dead["features.conv1"] is None  # not ReLU-like


def test_the_class_maps_equal_a_plain_torch_computation(
    data: ImageData, result: NetworkResult
) -> None:
    """relu2's output averaged over channels, then over the images of each predicted class."""
    maps = result.channel_maps
    assert maps is not None
    assert (maps.layer, maps.by, maps.channels, maps.images) == (
        "features.relu2",
        "predicted_class",
        2,
        len(data.images),
    )
    net = toy_cnn()
    with torch.no_grad():
        images = torch.from_numpy(data.images)
        activations = net.features(images).double().mean(dim=1)
        predicted = net(images).argmax(dim=1).numpy()
    assert 0 < (predicted == 1).sum() < len(predicted)  # both classes are predicted
    for i, group in enumerate(maps.groups):
        assert group.group == CLASSES[i] and group.images == int((predicted == i).sum())
        expected = activations[torch.from_numpy(predicted == i)].mean(dim=0).numpy()
        np.testing.assert_allclose(np.array(group.values), expected, rtol=1e-6, atol=1e-9)


def test_the_same_seed_gives_the_same_bytes(data: ImageData, result: NetworkResult) -> None:
    again = run_image_network(data)
    assert again.model_dump(exclude={"cost"}) == result.model_dump(exclude={"cost"})


def _maps(sizes: dict[str, int]) -> NetworkResult:
    base = NetworkResult.model_construct(model="m", channel_maps=None)
    groups = [ChannelMap(group=g, images=n, values=[[float(n)]]) for g, n in sizes.items()]
    maps = ChannelMaps(
        layer="c", by="predicted_class", channels=1, images=sum(sizes.values()), groups=groups
    )
    return base.model_copy(update={"channel_maps": maps})


def test_a_class_below_the_minimum_is_withheld_with_the_smallest_other_class() -> None:
    """Suppression's rules: 'rare' (3 < 5) is withheld; with the total published, the smallest
    other class ('less') is withheld too; 'most' is shown."""
    published, withheld = publish_channel_maps(
        _maps({"most": 30, "rare": 3, "less": 25}), minimum=5
    )
    assert published.channel_maps is not None
    shown = {g.group: (g.images, g.values, g.suppressed) for g in published.channel_maps.groups}
    assert shown == {
        "most": (30, [[30.0]], None),
        "rare": (None, None, reason(5)),
        "less": (None, None, reason(5)),
    }
    assert [(w.family, w.cohort) for w in withheld] == [
        ("channel maps: c", "rare"),
        ("channel maps: c", "less"),
    ]


def test_the_engine_publishes_the_maps_of_classes_above_the_minimum_only(
    cnn: Path, tmp_path: Path, data: ImageData
) -> None:
    """Both classes at the minimum: both maps shown. The smaller one below it: with two classes
    and the total published, the other could be worked out, so the family is withheld whole."""
    counts = np.bincount(data.predicted, minlength=2)
    for minimum, shown in ((int(counts.min()), True), (int(counts.min()) + 1, False)):
        folder = tmp_path / str(minimum)
        path = imaging_policy(
            folder, cnn, internals=INTERNALS, privacy={"min_cohort_size": minimum}
        )
        document = engine.compute(load_policy(path), key_dir=folder / "keys")
        network = next(r for r in document.results if isinstance(r, NetworkResult))
        assert network.channel_maps is not None
        groups = network.channel_maps.groups
        assert all((g.values is not None) == shown for g in groups)
        assert all((g.suppressed is None) == shown for g in groups)
        suppressed = [
            (s.family, s.cohort, s.reason)
            for s in document.privacy.suppressed
            if s.family.startswith("channel")
        ]
        whole = [("channel maps: features.relu2", WHOLE_FAMILY, UNPROTECTABLE)]
        assert suppressed == ([] if shown else whole)
