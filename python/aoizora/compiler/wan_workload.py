"""The default workload: one Wan 2.1 denoising step (both CFG passes) from ``aoizora.models``."""

from __future__ import annotations

from aoizora.compiler.job import WAN_FACTORY, Workload


def wan_workload(model: str, resolution: str, frames: int = 81, attention: str = "jax") -> Workload:
    """The job spec for ``model`` (e.g. ``wan2.1-t2v-14b``) at ``resolution`` and ``frames``;
    ``attention="pallas"`` uses the fused TPU kernel (the default workload is unchanged)."""
    from aoizora.models.attention import check_attention_impl

    extra = {} if check_attention_impl(attention) == "jax" else {"attention": attention}
    return Workload.of(WAN_FACTORY, model=model, resolution=resolution, frames=frames, **extra)


def wan_step(
    candidate: str,
    mesh,
    *,
    model: str | None = None,
    resolution: str = "480p",
    frames: int = 81,
    attention: str = "jax",
):
    """Factory: ``aoizora.models.step_lowerable`` for the candidate's text form."""
    if model is None:
        raise ValueError("the Wan workload needs model=..., e.g. wan_workload('wan2.1-t2v-1.3b')")
    from aoizora.models import Candidate, step_lowerable

    return step_lowerable(
        model, resolution, frames, Candidate.parse(candidate), mesh, attention=attention
    )
