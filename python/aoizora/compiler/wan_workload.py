"""The default workload: one Wan 2.1 denoising step (both CFG passes) from ``aoizora.models``."""

from __future__ import annotations

from aoizora.compiler.job import WAN_FACTORY, Workload


def wan_workload(model: str, resolution: str, frames: int = 81) -> Workload:
    """The job spec for ``model`` (e.g. ``wan2.1-t2v-14b``) at ``resolution`` and ``frames``."""
    return Workload.of(WAN_FACTORY, model=model, resolution=resolution, frames=frames)


def wan_step(
    candidate: str, mesh, *, model: str | None = None, resolution: str = "480p", frames: int = 81
):
    """Factory: ``aoizora.models.step_lowerable`` for the candidate's text form."""
    if model is None:
        raise ValueError("the Wan workload needs model=..., e.g. wan_workload('wan2.1-t2v-1.3b')")
    from aoizora.models import Candidate, step_lowerable

    return step_lowerable(model, resolution, frames, Candidate.parse(candidate), mesh)
