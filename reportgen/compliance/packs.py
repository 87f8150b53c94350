"""Framework packs: the requirements of a regulatory framework, as YAML shipped in the package.

Each pack (``packs/<name>.yaml``) is validated when loaded: every requirement has an id, a
summary in our words, its official reference, a criterion and at least one kind of evidence (a
result kind, a gate code, a report section, a documentation field, or a human attestation),
and every name it uses must be one reportgen knows.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reportgen.conditions_credit import CODE as AIR_CODE
from reportgen.conditions_edits import CODE as EDITS_CODE
from reportgen.errors import PolicyError
from reportgen.policy.compliance import DocumentationSpec, known_frameworks
from reportgen.results.document import RESULT_KINDS

GATE_CODES = frozenset({f"C{n}" for n in range(1, 10)} | {AIR_CODE, EDITS_CODE})
"""The gate codes a requirement may rest on: the trust checks C1..C9 (reportgen/conditions.py),
the adverse impact ratio gate and the edit drift gate."""
SECTIONS = frozenset({"method", "changes", "signoff", "model-card"})
"""Report-level sections a requirement may point to."""
DOCUMENTATION_FIELDS = frozenset(DocumentationSpec.model_fields)
Condition = Literal["tabular", "images", "decision"]
"""When a requirement applies: to tabular or image data, or where the model makes a decision
(the policy's ``decision`` section)."""


class _Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EvidenceSpec(_Pack):
    results: list[str] = Field(default_factory=list, description="Any one of these result kinds.")
    gates: list[str] = Field(default_factory=list, description="Every outcome of these gates.")
    sections: list[str] = Field(default_factory=list)
    documentation: list[str] = Field(default_factory=list, description="Each must be filled.")
    attestation: bool = False

    @model_validator(mode="after")
    def _known(self) -> EvidenceSpec:
        for label, names, known in (
            ("result kind", self.results, RESULT_KINDS),
            ("gate code", self.gates, GATE_CODES),
            ("section", self.sections, SECTIONS),
            ("documentation field", self.documentation, DOCUMENTATION_FIELDS),
        ):
            unknown = sorted(set(names) - known)
            if unknown:
                raise ValueError(
                    f"unknown {label} {unknown[0]!r}; known: {', '.join(sorted(known))}"
                )
        if not (
            self.results or self.gates or self.sections or self.documentation or self.attestation
        ):
            raise ValueError("names no evidence")
        return self

    @property
    def automatic(self) -> bool:
        """Whether anything but a person can evidence it."""
        return bool(self.results or self.gates or self.sections or self.documentation)


class Requirement(_Pack):
    id: str = Field(pattern=r"^[A-Z][A-Za-z0-9-]*$")
    requirement: str = Field(min_length=1)
    source: str = Field(min_length=1)
    criterion: str = Field(min_length=1)
    evidence: EvidenceSpec
    applies_to: list[Condition] = Field(default_factory=list, description="Empty: always.")


class Pack(_Pack):
    name: str
    title: str
    source: str
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Pack:
        ids = [r.id for r in self.requirements]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"requirement id {twice[0]!r} is used twice")
        return self


@cache
def load_pack(name: str) -> Pack:
    """The pack ``name``, validated.

    Raises:
        PolicyError: no pack has that name, or the pack is not valid.
    """
    if name not in known_frameworks():
        raise PolicyError(
            f"unknown framework {name!r}; known frameworks: {', '.join(known_frameworks())}"
        )
    where = f"reportgen/compliance/packs/{name}.yaml"
    try:
        pack = Pack.model_validate(
            yaml.safe_load(
                resources.files("reportgen.compliance")
                .joinpath("packs", f"{name}.yaml")
                .read_text("utf-8")
            )
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"{where}: {path}: {first['msg']}") from exc
    if pack.name != name:
        raise PolicyError(f"{where}: name is {pack.name!r}, not the file's name {name!r}")
    return pack


__all__ = ["GATE_CODES", "SECTIONS", "Pack", "Requirement", "known_frameworks", "load_pack"]
