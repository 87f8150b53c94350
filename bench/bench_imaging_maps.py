"""Benchmark the batched image maps against captum called one image at a time (issue #10).

Run:  .venv/bin/python bench/bench_imaging_maps.py [--images N] [--threads T] [--device cpu|cuda]
          [--batch-sizes 64 256] [--repeats R]

A small CNN on 64 x 64 one-channel images (three conv layers, 16-32 channels). For Grad-CAM,
integrated gradients (32 steps) and occlusion (8 x 8 windows, stride 4: 225 windows) it prints
images per second for reportgen's batched functions at each batch size (rows per pass) and for
captum one image per call (occlusion also with captum's ``perturbations_per_eval=64``), and the
largest difference between the maps. Each figure is the best of ``--repeats`` runs, since a
shared machine makes single runs noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion
from torch import nn

from reportgen.analyses.imaging import grad_cam, integrated_gradients, occlusion

SIZE, STEPS, WINDOW, STRIDE = 64, 32, 8, 4


def model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 2),
    ).eval()


REPEATS = 3


def timed(call):
    """The value of ``call()`` and its best wall time over REPEATS runs."""
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = call()
        best = min(best, time.perf_counter() - start)
    return value, best


def show(name, n, seconds, diff=None):
    tail = "" if diff is None else f"   max |diff| vs ours {diff:.1e}"
    print(f"  {name:<46} {n / seconds:9.1f} img/s{tail}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    global REPEATS
    REPEATS = args.repeats
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    net = model().to(device)
    n = args.images
    images = torch.randn(n, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(1)).to(device)
    targets = np.arange(n) % 2
    labels = torch.from_numpy(targets).to(device)
    print(
        f"{n} images 1x{SIZE}x{SIZE}, {args.threads} thread(s), {device}, torch {torch.__version__}"
    )

    layer = net[6]
    gc = LayerGradCam(net, layer)
    ig = IntegratedGradients(net)
    occ = Occlusion(net)

    def captum_cam(i):
        cam = gc.attribute(images[i : i + 1], target=int(labels[i]), relu_attributions=True)
        return LayerAttribution.interpolate(cam, (SIZE, SIZE), interpolate_mode="bilinear")[0, 0]

    def captum_occlusion(i, per_eval):
        return occ.attribute(
            images[i : i + 1],
            sliding_window_shapes=(1, WINDOW, WINDOW),
            strides=(1, STRIDE, STRIDE),
            baselines=0.0,
            target=int(labels[i]),
            perturbations_per_eval=per_eval,
        )

    methods = {
        "Grad-CAM": (
            lambda b: grad_cam(net, layer, images, targets=targets, batch_size=b),
            {"": lambda: torch.stack([captum_cam(i) for i in range(n)])},
        ),
        f"integrated gradients, {STEPS} steps": (
            lambda b: (
                integrated_gradients(net, images, targets=targets, steps=STEPS, batch_size=b).values
            ),
            {
                "": lambda: torch.cat(
                    [
                        ig.attribute(images[i : i + 1], target=int(labels[i]), n_steps=STEPS)
                        for i in range(n)
                    ]
                )
            },
        ),
        f"occlusion {WINDOW}x{WINDOW} / {STRIDE}": (
            lambda b: occlusion(
                net, images, targets=targets, window=WINDOW, stride=STRIDE, batch_size=b
            ),
            {
                f", perturbations_per_eval={p}": lambda p=p: torch.cat(
                    [captum_occlusion(i, p) for i in range(n)]
                )
                for p in (1, 64)
            },
        ),
    }
    for name, (ours_at, captum_runs) in methods.items():
        print(name)
        for b in args.batch_sizes:
            ours, seconds = timed(lambda b=b, ours_at=ours_at: ours_at(b))
            show(f"reportgen, batch_size={b}", n, seconds)
        for label, run in captum_runs.items():
            theirs, seconds = timed(run)
            diff = float(np.abs(ours - theirs.detach().cpu().numpy()).max())
            show(f"captum, one image per call{label}", n, seconds, diff)


if __name__ == "__main__":
    main()
