"""What a model family supplies to the planner (issue 14): the one interface through which every
layer outside ``aoizora/models/<family>/`` reaches a model.

A family is a package ``aoizora.models.<family>`` whose ``FAMILY`` attribute is a
:class:`ModelFamily`; :mod:`aoizora.models.registry` finds it (nothing outside the package names
it). Importing a family package must stay cheap (no JAX): the model code is imported by
``step_lowerable`` / ``step_concrete`` on first use.

A :class:`Scenario` is what one denoising step computes: the model, its resolution, the frames of
a video family, the batch (images or videos per step). The family checks it and fills defaults.
Candidates use the shared axis vocabulary of :mod:`aoizora.models.candidate`; each family says
which of those axes it allows and on what divisibility.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aoizora.models.candidate import Candidate

if TYPE_CHECKING:
    from aoizora.compiler.job import Workload


@dataclass(frozen=True)
class Scenario:
    """One denoising step's workload. ``frames`` is None for image families (and filled with the
    family's default for video families); ``batch`` is the number of images (videos) per step."""

    model: str
    resolution: str
    frames: int | None = None
    batch: int = 1

    def with_frames(self, frames: int | None) -> Scenario:
        return replace(self, frames=frames)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "resolution": self.resolution,
            "frames": self.frames,
            "batch": self.batch,
        }


@dataclass(frozen=True)
class Recipe:
    """One existing system's choice for a scenario on a chip count, as its users get it.

    ``candidate`` None: the recipe cannot run here and ``note`` says why (never a substitute).
    ``schedule`` says in words how it runs guidance (e.g. "batch", "parallel", "sequential", or ""
    for a family without a CFG pair). ``variant`` is the keyword arguments of the family's
    workload for a program outside the planner's space that the recipe runs (e.g. Wan's official
    code runs the two guidance passes one after the other: ``(("cfg_passes", "sequential"),)``);
    empty: the candidate's own program. ``mesh_shape``/``mesh_axes``: the recipe's own mesh when
    it differs from the candidate's (its row-major order is the candidate's, size-1 axes dropped).
    ``placement`` names how it orders devices (a method of :mod:`aoizora.baselines.recipes`)."""

    name: str
    candidate: Candidate | None
    schedule: str
    placement: str
    source: str
    note: str = ""
    mesh_shape: tuple[int, ...] = ()
    mesh_axes: tuple[str, ...] = ()
    variant: tuple[tuple[str, Any], ...] = ()
    variant_note: str = ""  # what the variant changes, said in the row

    @property
    def runs(self) -> bool:
        return self.candidate is not None

    @property
    def label(self) -> str | None:
        return self.candidate.label() if self.candidate is not None else None


class ModelFamily(ABC):
    """A model family: its configurations, strategy space, workload and existing recipes."""

    #: short name ("wan2.1", "flux.1"); the folder is ``aoizora/models/<package>``
    name: str = ""
    #: one line for listings
    title: str = ""
    #: the candidate axes this family allows (a subset of ``candidate.AXIS_ORDER``)
    axes: tuple[str, ...] = ()
    #: forward passes per step when there is no cfg axis batch (2: a classifier-free guidance
    #: pair, 1: guidance embedded or none)
    guidance_passes: int = 1
    #: names of the recipes of existing systems, in report order
    recipe_names: tuple[str, ...] = ()

    # -- configurations -------------------------------------------------------------------------

    @abstractmethod
    def model_names(self) -> list[str]:
        """Every model name of the family (e.g. ``wan2.1-t2v-1.3b``)."""

    @abstractmethod
    def resolutions(self, model: str) -> list[str]:
        """Resolutions the model accepts."""

    @abstractmethod
    def default_resolution(self, model: str) -> str: ...

    @abstractmethod
    def scenario(
        self, model: str, resolution: str | None = None, frames: int | None = None, batch: int = 1
    ) -> Scenario:
        """The checked scenario with defaults filled; ValueError naming the offending value."""

    @abstractmethod
    def info(self, scenario: Scenario) -> dict[str, Any]:
        """Facts of the step, worked out from the configuration (not from the JAX model): at
        least ``model``, ``resolution``, ``frames``, ``batch``, ``params``, ``tokens`` (per
        sample, every token the attention sees), ``flops_per_step``, ``num_heads``,
        ``weight_bytes_bf16``, ``flops_note``."""

    def info_rows(self, info: dict[str, Any]) -> list[tuple[str, str]]:
        """``aoizora model info``'s lines (label, value) for an :meth:`info` result."""
        return [
            ("parameters", f"{info['params']:,} ({info['params'] / 1e9:.3f} B)"),
            ("bf16 weights", f"{info['weight_bytes_bf16'] / 1e9:.2f} GB"),
            ("tokens per sample", f"{info['tokens']:,}"),
            ("FLOPs per step", f"{info['flops_per_step'] / 1e15:.3f} PFLOP"),
        ]

    # -- strategy space -------------------------------------------------------------------------

    @abstractmethod
    def candidates(self, scenario: Scenario, chips: int) -> list[Candidate]:
        """Every valid candidate on ``chips`` devices, in a deterministic order; ValueError when
        no candidate can use that many devices (saying why)."""

    @abstractmethod
    def validate(self, scenario: Scenario, chips: int, candidate: Candidate) -> None:
        """ValueError naming the violated rule unless ``candidate`` is valid here."""

    @abstractmethod
    def partition_specs(self, candidate: Candidate) -> dict[str, Any]:
        """How the candidate splits the tensors, in words a user maps to their code (plan.json's
        ``partition_specs``)."""

    # -- programs -------------------------------------------------------------------------------

    @abstractmethod
    def workload(
        self,
        scenario: Scenario,
        attention: str,
        tpu_generation: str = "",
        variant: tuple[tuple[str, Any], ...] = (),
    ) -> Workload:
        """The compile job's workload (a factory import path plus JSON-able kwargs) of one step."""

    @abstractmethod
    def step_lowerable(
        self,
        scenario: Scenario,
        candidate: Candidate,
        mesh: Any,
        attention: str = "jax",
        tpu_generation: str = "",
        **variant: Any,
    ) -> tuple[Callable, tuple]:
        """``(jitted_fn, abstract_args)`` of one step; ``jitted_fn.lower(*args)`` needs no data."""

    @abstractmethod
    def step_concrete(
        self,
        scenario: Scenario,
        candidate: Candidate,
        mesh: Any,
        seed: int = 0,
        dtype: str = "bfloat16",
        **variant: Any,
    ) -> tuple[Callable, tuple]:
        """Like :meth:`step_lowerable` with real random arrays (numerical tests, measurements)."""

    # -- existing systems -----------------------------------------------------------------------

    @abstractmethod
    def recipes(self, scenario: Scenario, num_devices: int) -> list[Recipe]:
        """What each existing system runs here (one per ``recipe_names``), or why it cannot."""

    def guidance_schedule(self, candidate: Candidate) -> str:
        """How the candidate runs guidance, in the words of a recipe's ``schedule``."""
        if self.guidance_passes < 2:
            return ""
        return "parallel" if candidate.degree("cfg") > 1 else "batch"
