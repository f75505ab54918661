"""Model zoo: diffusion-transformer families behind one interface (``family.ModelFamily``), found
by the registry (``registry``): each family is a subpackage ``aoizora.models.<family>`` and nothing
outside it names the family. Candidates share one axis vocabulary (``candidate``); attention
kernels are shared (``attention``).

Importing this package is cheap (no JAX): a family's model code is imported on first use.
docs/architecture.md says how to add a family.
"""

from __future__ import annotations

from typing import Any

from aoizora.models.candidate import AXIS_ORDER, Candidate
from aoizora.models.family import ModelFamily, Recipe, Scenario
from aoizora.models.registry import families, family_named, family_of, model_names

__all__ = [
    "AXIS_ORDER",
    "Candidate",
    "ModelFamily",
    "Recipe",
    "Scenario",
    "families",
    "family_named",
    "family_of",
    "model_info",
    "model_names",
    "scenario",
]


def scenario(
    model: str, resolution: str | None = None, frames: int | None = None, batch: int = 1
) -> Scenario:
    """The checked scenario of ``model`` with its family's defaults filled in."""
    return family_of(model).scenario(model, resolution, frames, batch)


def model_info(
    model: str, resolution: str | None = None, frames: int | None = None, batch: int = 1
) -> dict[str, Any]:
    """Facts of one step of ``model`` (parameters, tokens, FLOPs...) from its configuration."""
    return family_of(model).info(scenario(model, resolution, frames, batch))
