"""Import heavy optional dependencies only when a step needs them."""

from __future__ import annotations

import importlib
from types import ModuleType

from reportgen.errors import MissingDependencyError

_EXTRA_OF = {
    "torch": "torch",
    "opendp": "privacy",
    "sklearn": "explain",
    "scipy": "explain",
    "skimage": "imaging",
    "PIL": "imaging",
    "skops": "sklearn",
    "pyarrow": "parquet",
    "weasyprint": "render",
    "matplotlib": "render",
    "distributed": "dask",
    "dask": "dask",
    "fairlearn": "fairness",
    "onnxruntime": "onnx",
    "tensorboard": "tensorboard",
    "mlflow": "mlflow",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise a MissingDependencyError naming the pip extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_OF.get(top, "all")
        raise MissingDependencyError(
            f"{top} is needed for this step but is not installed; "
            f"install it with: pip install 'reportgen[{extra}]'"
        ) from exc
