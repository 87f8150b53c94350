"""Write the imaging example's shipped sets, byte for byte as committed (#10).

Run from anywhere: ``python examples/imaging/make_data.py``. It replaces
``data/{sound,shortcut}/{reference,evaluation}/`` next to this script with the sets
:data:`SHIPPED` describes; each is what ::

    python examples/imaging/generate.py --out DIR --rows ROWS --seed SEED [--shortcut]

writes. The seeds differ from the ones ``train.py`` trains and holds out with.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

HERE = Path(__file__).resolve().parent


class ShippedSet(NamedTuple):
    """Where a shipped set lives under ``data/`` and how it is drawn."""

    folder: str
    rows: int
    seed: int
    shortcut: bool


SHIPPED = (
    ShippedSet("sound/reference", rows=120, seed=3101, shortcut=False),
    ShippedSet("sound/evaluation", rows=240, seed=3102, shortcut=False),
    ShippedSet("shortcut/reference", rows=120, seed=3201, shortcut=True),
    ShippedSet("shortcut/evaluation", rows=240, seed=3202, shortcut=True),
)


def write_shipped(root: Path) -> None:
    """Write every set of :data:`SHIPPED` under ``root``, replacing what is there."""
    for entry in SHIPPED:
        out = root / entry.folder
        if out.exists():
            shutil.rmtree(out)
        generate.generate(out, entry.rows, entry.seed, shortcut=entry.shortcut)


def main() -> int:
    write_shipped(HERE / "data")
    for entry in SHIPPED:
        print(f"data/{entry.folder}: {entry.rows} scans, seed {entry.seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
