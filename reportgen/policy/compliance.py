"""Compliance settings of a policy: the regulatory frameworks its report is traced against, and
the documentation only people can give (a model card)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import Field, field_validator

from reportgen.policy.base import Strict


@cache
def known_frameworks() -> tuple[str, ...]:
    """The names of the framework packs shipped in reportgen/compliance/packs, sorted."""
    folder = resources.files("reportgen.compliance").joinpath("packs")
    return tuple(
        sorted(f.name.removesuffix(".yaml") for f in folder.iterdir() if f.name.endswith(".yaml"))
    )


class ComplianceSpec(Strict):
    """Which framework packs (reportgen/compliance/packs) the report's traceability matrix
    covers."""

    frameworks: list[str] = Field(
        default_factory=list,
        description="Framework packs to trace, e.g. model-risk, regulation-b, eu-ai-act, "
        "fda-gmlp, fda-pccp; each requirement appears once in the report's 'Regulatory "
        "traceability' section. Empty: no such section.",
    )

    @field_validator("frameworks")
    @classmethod
    def _known(cls, frameworks: list[str]) -> list[str]:
        known = known_frameworks()
        for name in frameworks:
            if name not in known:
                raise ValueError(
                    f"unknown framework {name!r}; known frameworks: {', '.join(known)}"
                )
        if len(set(frameworks)) < len(frameworks):
            raise ValueError("each framework may be listed once")
        return frameworks


class DocumentationSpec(Strict):
    """What only people know about the model; rendered as the report's model card and used as
    evidence by the frameworks' requirements."""

    intended_use: str = Field(default="", description="What the model is for, and its decisions.")
    intended_users: str = Field(default="", description="Who uses its output, and how.")
    out_of_scope_uses: str = Field(default="", description="Uses it must not be put to.")
    data_provenance: str = Field(
        default="", description="Where the training and test data come from, and how split."
    )
    known_limitations: str = Field(default="", description="Known weaknesses and their effect.")
    monitoring_plan: str = Field(
        default="", description="What is monitored in use, how often, and who acts on a breach."
    )
    contact: str = Field(default="", description="Who answers for the model (team or address).")
