"""Explainers with one call shape: (model, coded rows, *, target/background/seed, knobs)."""

from reportgen.analyses.explain.attribution import Attribution
from reportgen.analyses.explain.lime_explainer import explain_lime
from reportgen.analyses.explain.shap_explainer import ShapValues, choose_estimator, explain_shap

__all__ = ["Attribution", "ShapValues", "choose_estimator", "explain_lime", "explain_shap"]
