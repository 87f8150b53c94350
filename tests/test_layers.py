"""The layers of DESIGN.md hold: import-linter's contracts (pyproject.toml) are kept, and break,
naming the contract, when a module imports against the flow (issue #9)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "One direction: the command line on top, results and errors at the bottom"
RENDER = "Rendering reads only the results document"
REGISTRY = "The registry stores results data and never renders or computes"


def lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run `lint-imports` on the reportgen package and pyproject.toml in ``folder``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_repository_keeps_every_import_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS} KEPT" in result.stdout
    assert f"{RENDER} KEPT" in result.stdout
    assert f"{REGISTRY} KEPT" in result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to break."""
    shutil.copytree(
        ROOT / "reportgen", tmp_path / "reportgen", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


@pytest.mark.parametrize(
    "module, line, broken, chain",
    [
        (
            "render/format.py",
            "import reportgen.analyses",
            [RENDER],
            "reportgen.render.format -> reportgen.analyses",
        ),
        (
            "render/format.py",
            "import torch",
            [RENDER],
            "reportgen.render.format -> torch",
        ),
        (
            "registry/store.py",
            "import reportgen.render.format",
            [LAYERS, REGISTRY],
            "reportgen.registry.store -> reportgen.render.format",
        ),
        (
            "registry/store.py",
            "import reportgen.privacy",
            [REGISTRY],
            "reportgen.registry.store -> reportgen.privacy",
        ),
        (
            "results/trail.py",
            "import reportgen.policy",
            [LAYERS, RENDER, REGISTRY],  # render and registry import results: indirectly, policy
            "reportgen.results.trail -> reportgen.policy",
        ),
        (
            "analyses/sampling.py",
            "import reportgen.registry",
            [LAYERS],
            "reportgen.analyses.sampling -> reportgen.registry",
        ),
    ],
)
def test_an_import_against_the_flow_breaks_the_contract_that_forbids_it(
    scratch: Path, module: str, line: str, broken: list[str], chain: str
) -> None:
    add_import(scratch / "reportgen" / module, line)
    result = lint_imports(scratch)
    assert result.returncode == 1, result.stdout + result.stderr
    found = sorted(name for name in (LAYERS, RENDER, REGISTRY) if f"{name} BROKEN" in result.stdout)
    assert found == sorted(broken)
    assert f"Contracts: {3 - len(broken)} kept, {len(broken)} broken." in result.stdout
    assert chain in result.stdout


def test_render_may_not_import_the_engine_once_it_exists(scratch: Path) -> None:
    """`reportgen.engine` is an optional layer: absent today, enforced once written."""
    (scratch / "reportgen" / "engine.py").write_text('"""Compute a results document."""\n')
    assert lint_imports(scratch).returncode == 0
    add_import(scratch / "reportgen" / "render" / "format.py", "import reportgen.engine")
    result = lint_imports(scratch)
    assert result.returncode == 1
    assert f"{LAYERS} BROKEN" in result.stdout
    assert "reportgen.render.format -> reportgen.engine" in result.stdout
