"""Train the imaging example's two CNNs: ``sound`` and ``shortcut`` (#10).

Run from anywhere, after ``make_data.py`` has written the shipped sets:
``python examples/imaging/train.py``. Training data are drawn in memory by ``generate.py``
with seeds of their own (nothing is written but the models); it takes about a minute on two
CPU cores.

* ``sound`` learns from scans without the marker, so it has to find the lesion.
* ``shortcut`` learns from ``--shortcut`` scans: faint lesions and a corner marker on 95 % of
  lesion scans and 5 % of normal ones. It learns the marker; on scans without the marker it
  is no better than chance, which is what the audit's saliency maps should reveal.

Writes, next to this script:
    sound.pt2               torch.export program: float32 (n, 1, 64, 64) -> logits (n, 2)
    shortcut.pt2            the same for the shortcut model
    sound.torchscript.pt    TorchScript copy of the sound model (traced)

Input contract: grey levels / 255, then (x - 0.5) / 0.25; output column 0 = normal, 1 = lesion.
Exits 1 when a model misses its accuracy bar or a saved model does not reproduce the trained
one.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

# generate.py is no installed package: make it importable however this script is started.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

HERE = Path(__file__).resolve().parent
CLASSES = generate.LABELS  # output column 0 = normal, 1 = lesion
GRADCAM_LAYER = "features.conv3"
#: One thread: the sum order is fixed, and on a small shared machine it is also the fastest.
THREADS = 1
TRAIN_ROWS = 2000
HELD_OUT_ROWS = 600
EPOCHS = 16
BATCH_SIZE = 32
LEARNING_RATE = 6e-3
#: Largest |logit difference| between a reloaded model and the trained network that passes.
ROUND_TRIP_TOLERANCE = 1e-4
#: The bars the script enforces.
MIN_ACCURACY = 0.9
MAX_ACCURACY_WITHOUT_MARKER = 0.7


@dataclass(frozen=True)
class Recipe:
    """One model: its name, its training seed and whether its data carry the shortcut."""

    name: str
    seed: int
    shortcut: bool


SOUND = Recipe("sound", seed=1010, shortcut=False)
SHORTCUT = Recipe("shortcut", seed=1020, shortcut=True)
#: Held-out sets, drawn with seeds unlike any training or shipped set.
HELD_OUT = {"sound": 1011, "shortcut": 1021}


class ScanNet(nn.Module):
    """Three 3 x 3 convolutions (64 -> 32 -> 16 px), global average pooling, a linear head.

    ``features.conv3`` works on a 16 x 16 grid: the layer Grad-CAM reads.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(1, 8, kernel_size=3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(8, 16, kernel_size=3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                conv3=nn.Conv2d(16, 32, kernel_size=3, padding=1),
                relu3=nn.ReLU(),
            )
        )
        self.head = nn.Sequential(
            OrderedDict(pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(32, 2))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, 2)`` of normalised scans ``x`` ``(n, 1, 64, 64)``."""
        return self.head(self.features(x))


def to_input(pixels: np.ndarray) -> torch.Tensor:
    """The input contract: uint8 ``(n, 64, 64)`` -> float32 ``(n, 1, 64, 64)``, (p/255-0.5)/0.25."""
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0)
    return ((x - 0.5) / 0.25).unsqueeze(1)


def to_target(labels: list[str]) -> torch.Tensor:
    """Class indices (int64) of ``labels`` in :data:`CLASSES` order."""
    return torch.tensor([CLASSES.index(label) for label in labels], dtype=torch.int64)


def drawn_set(rows: int, seed: int, *, shortcut: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """A set drawn in memory by ``generate.py``: model input and class indices."""
    patients, scans = generate.draw(rows, seed, shortcut=shortcut)
    pixels = np.stack([scan.pixels for scan in scans])
    return to_input(pixels), to_target([p.label for p in patients])


def shipped_set(name: str, role: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A shipped set (``data/<name>/<role>``) read back from its PNG files."""
    pixels, labels = generate.read(HERE / "data" / name / role / "index.csv")
    return to_input(pixels), to_target(labels)


def fit(recipe: Recipe) -> nn.Module:
    """Adam on shuffled minibatches, the learning rate annealed to 0 along a cosine.

    Runs :data:`EPOCHS` epochs over :data:`TRAIN_ROWS` scans drawn with the recipe's seed and
    returns the network in evaluation mode.
    """
    torch.manual_seed(recipe.seed)
    x, y = drawn_set(TRAIN_ROWS, recipe.seed, shortcut=recipe.shortcut)
    net = ScanNet()
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    steps = EPOCHS * -(-len(y) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(recipe.seed)
    net.train()
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(y), generator=generator).split(BATCH_SIZE):
            optimiser.zero_grad()
            loss_fn(net(x[batch]), y[batch]).backward()
            optimiser.step()
            schedule.step()
    return net.eval()


Model = Callable[[torch.Tensor], torch.Tensor]


def accuracy(model: Model, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows whose largest logit is the true class."""
    with torch.inference_mode():
        return float((model(x).argmax(dim=1) == y).float().mean())


def export(net: nn.Module, path: Path) -> None:
    """Save ``net`` as a torch.export program whose batch dimension is dynamic (1..100000).

    The example input has two rows: with one, export specialises the batch size to 1.
    """
    batch = torch.export.Dim("batch", min=1, max=100_000)
    example = torch.zeros(2, 1, generate.SIZE, generate.SIZE)
    program = torch.export.export(net, (example,), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, path)


def round_trip_difference(path: Path, net: nn.Module, x: torch.Tensor) -> float:
    """Max |logit difference| between ``net`` and the saved model reloaded as reportgen would.

    A ``.pt2`` file is checked both as ``program.module()`` and as
    ``torch.export.unflatten(program)``, the form whose submodules Grad-CAM hooks into.
    """
    with torch.inference_mode():
        expected = net(x)
        if path.suffix == ".pt2":
            program = torch.export.load(path)
            with warnings.catch_warnings():  # torch's own deprecated call inside unflatten
                warnings.filterwarnings("ignore", "`isinstance\\(treespec", FutureWarning)
                unflat = torch.export.unflatten(program)
            if GRADCAM_LAYER not in dict(unflat.named_modules()):
                raise RuntimeError(f"{path.name}: no submodule {GRADCAM_LAYER!r}")
            loaded = [program.module()(x), unflat(x)]
        else:
            loaded = [torch.jit.load(str(path))(x)]
    return max(float((logits - expected).abs().max()) for logits in loaded)


def _save(recipe: Recipe, net: nn.Module, x_check: torch.Tensor) -> bool:
    """Write the recipe's model files; True when each reloads to the trained network."""
    paths = [HERE / f"{recipe.name}.pt2"]
    export(net, paths[0])
    if recipe is SOUND:
        paths.append(HERE / "sound.torchscript.pt")
        # traced, not scripted: scripting stores Conv2d's constants in hash order, so its bytes
        # would change from run to run
        traced = torch.jit.trace(net, torch.zeros(2, 1, generate.SIZE, generate.SIZE))
        torch.jit.save(traced, str(paths[1]))
    ok = True
    for path in paths:
        diff = round_trip_difference(path, net, x_check)
        ok &= diff < ROUND_TRIP_TOLERANCE
        print(f"  {path.name}: {path.stat().st_size} bytes, reloaded max |logit diff| {diff:.2g}")
    return ok


def _scores(net: nn.Module) -> dict[str, float]:
    """Accuracy on the held-out sets (drawn) and the shipped evaluation sets (read from PNG)."""
    scores = {}
    for name, seed in HELD_OUT.items():
        x, y = drawn_set(HELD_OUT_ROWS, seed, shortcut=name == "shortcut")
        scores[f"held-out {name}"] = accuracy(net, x, y)
    for name in ("sound", "shortcut"):
        scores[f"shipped {name}/evaluation"] = accuracy(net, *shipped_set(name, "evaluation"))
    return scores


def _verdict(recipe: Recipe, scores: dict[str, float]) -> list[str]:
    """The bars this model misses, in words (empty when it passes)."""
    own = scores[f"held-out {recipe.name}"]
    problems = [] if own >= MIN_ACCURACY else [f"held-out {recipe.name} accuracy {own:.3f}"]
    if recipe is SHORTCUT and scores["held-out sound"] > MAX_ACCURACY_WITHOUT_MARKER:
        problems.append(f"accuracy without the marker {scores['held-out sound']:.3f}: no shortcut")
    return [f"{recipe.name}: {p}" for p in problems]


def main() -> int:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(THREADS)
    x_check = drawn_set(512, HELD_OUT["sound"], shortcut=False)[0]
    problems: list[str] = []
    for recipe in (SOUND, SHORTCUT):
        start = time.perf_counter()
        net = fit(recipe)
        seconds = time.perf_counter() - start
        fitted = accuracy(net, *drawn_set(TRAIN_ROWS, recipe.seed, shortcut=recipe.shortcut))
        print(f"{recipe.name}: trained in {seconds:.1f} s, training accuracy {fitted:.3f}")
        scores = _scores(net)
        for label, value in scores.items():
            print(f"  {label}: accuracy {value:.3f}")
        problems += _verdict(recipe, scores)
        if not _save(recipe, net, x_check):
            problems.append(f"{recipe.name}: a saved model does not reproduce the trained network")
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
