"""The compile workload of one Wan 2.1 denoising step (both CFG passes): the factory a compile
worker imports by path, and the job spec naming it."""

from __future__ import annotations

from aoizora.compiler.job import Workload

WAN_FACTORY = "aoizora.models.wan.workload:wan_step"


def wan_workload(
    model: str,
    resolution: str,
    frames: int = 81,
    attention: str = "jax",
    tpu_generation: str = "",
    cfg_passes: str = "batch",
) -> Workload:
    """The job spec for ``model`` (e.g. ``wan2.1-t2v-14b``) at ``resolution`` and ``frames``;
    ``attention`` "splash" (needs ``tpu_generation``, e.g. "v5e") or "pallas" uses a fused TPU
    kernel; "jax" (plain-JAX blockwise attention) keeps the workload's original key.
    ``cfg_passes="sequential"``: the two guidance passes one after the other (wan-official's
    step); "batch" (ours) keeps the key too."""
    from aoizora.models.attention import workload_kwargs

    extra = workload_kwargs(attention, tpu_generation)
    if cfg_passes != "batch":
        from aoizora.models.wan.step import CFG_PASSES

        if cfg_passes not in CFG_PASSES:
            raise ValueError(f"unknown cfg_passes {cfg_passes!r}; allowed: {', '.join(CFG_PASSES)}")
        extra["cfg_passes"] = cfg_passes
    return Workload.of(WAN_FACTORY, model=model, resolution=resolution, frames=frames, **extra)


def wan_step(
    candidate: str,
    mesh,
    *,
    model: str | None = None,
    resolution: str = "480p",
    frames: int = 81,
    attention: str = "jax",
    tpu_generation: str = "",
    cfg_passes: str = "batch",
):
    """Factory: ``aoizora.models.step_lowerable`` for the candidate's text form."""
    if model is None:
        raise ValueError("the Wan workload needs model=..., e.g. wan_workload('wan2.1-t2v-1.3b')")
    from aoizora.models.candidate import Candidate
    from aoizora.models.wan.step import step_lowerable

    return step_lowerable(
        model,
        resolution,
        frames,
        Candidate.parse(candidate),
        mesh,
        attention=attention,
        tpu_generation=tpu_generation,
        cfg_passes=cfg_passes,
    )
