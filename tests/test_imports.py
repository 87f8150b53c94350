"""Importing reportgen stays light: heavy libraries load only when a step needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = [
    "torch",
    "captum",
    "shap",
    "lime",
    "weasyprint",
    "matplotlib.pyplot",
    "sklearn",
    "skops",
    "skimage",
    "scipy",
    "fairlearn",
]


def test_import_loads_no_heavy_library():
    code = (
        "import sys, reportgen, reportgen.cli, reportgen.pipeline, reportgen.render, reportgen.registry, "
        "reportgen.analyses.imaging; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_missing_extra_is_named():
    from reportgen._lazy import require
    from reportgen.errors import MissingDependencyError

    try:
        require("weasyprint_not_installed.sub")
    except MissingDependencyError as exc:
        assert str(exc) == (
            "weasyprint_not_installed is needed for this step but is not installed; "
            "install it with: pip install 'reportgen[all]'"
        )
    else:
        raise AssertionError("require() imported a module that does not exist")


def test_fairlearn_names_the_fairness_extra(monkeypatch):
    """The fair-lending analysis needs fairlearn (issue #11): a missing one names its extra."""
    from reportgen._lazy import require
    from reportgen.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "fairlearn.metrics", None)  # import of it now fails
    try:
        require("fairlearn.metrics")
    except MissingDependencyError as exc:
        assert str(exc) == (
            "fairlearn is needed for this step but is not installed; "
            "install it with: pip install 'reportgen[fairness]'"
        )
    else:
        raise AssertionError("require() imported fairlearn although it was made unimportable")
