"""The compile workload of one FLUX.1 denoising step: the factory a compile worker imports by
path (``compiler/job.py``'s factory protocol), and the job spec naming it."""

from __future__ import annotations

from aoizora.compiler.job import Workload

FLUX_FACTORY = "aoizora.models.flux.workload:flux_step"


def flux_workload(
    model: str, resolution: str, batch: int = 1, attention: str = "jax", tpu_generation: str = ""
) -> Workload:
    """The job spec for ``model`` (e.g. ``flux.1-dev``) at ``resolution`` with ``batch`` images
    per step; ``attention`` "splash" (needs ``tpu_generation``, e.g. "v5e") or "pallas" uses a
    fused TPU kernel, "jax" plain-JAX blockwise attention."""
    from aoizora.models.attention import workload_kwargs

    extra = workload_kwargs(attention, tpu_generation)
    return Workload.of(FLUX_FACTORY, model=model, resolution=resolution, batch=batch, **extra)


def flux_step(
    candidate: str,
    mesh,
    *,
    model: str,
    resolution: str,
    batch: int = 1,
    attention: str = "jax",
    tpu_generation: str = "",
):
    """Factory: :func:`aoizora.models.flux.step.step_lowerable` for the candidate's text form."""
    from aoizora.models.candidate import Candidate
    from aoizora.models.flux.step import step_lowerable

    return step_lowerable(
        model,
        resolution,
        batch,
        Candidate.parse(candidate),
        mesh,
        attention=attention,
        tpu_generation=tpu_generation,
    )
