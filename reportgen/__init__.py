"""reportgen: turn a policy file into a versioned audit report that explains a model.

The public entry point is :func:`reportgen.pipeline.generate_report`. Importing this package
stays light: torch, shap, lime, weasyprint and matplotlib load only when a step needs them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
