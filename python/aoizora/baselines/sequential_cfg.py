"""One Wan 2.1 denoising step with classifier-free guidance run as two sequential forward passes
(conditional, then unconditional), as the official Wan code runs it (``wan/text2video.py`` calls
the model twice per step): every device takes part in both passes, each pass of batch one; under
FSDP each pass gathers the layer weights again (two gathers per layer per step).

Same inputs, outputs and parameter shardings as ``aoizora.models.step_lowerable``; the candidate
must have no ``cfg`` axis (both passes run on every device).
"""

from __future__ import annotations

import functools
from typing import Any

from aoizora.compiler.job import Workload

FACTORY = "aoizora.baselines.sequential_cfg:wan_step"


def workload(
    model: str, resolution: str, frames: int, attention: str, tpu_generation: str = ""
) -> Workload:
    """The compile job spec of the sequential-CFG step (kwargs as ``wan_workload``'s)."""
    from aoizora.models.attention import check_attention_impl

    extra: dict = {}
    if check_attention_impl(attention) != "jax":
        extra["attention"] = attention
    if attention == "splash":
        if not tpu_generation:
            raise ValueError("splash attention needs the TPU generation for its block sizes")
        extra["tpu_generation"] = tpu_generation
    return Workload.of(FACTORY, model=model, resolution=resolution, frames=frames, **extra)


def build_step(
    model: str,
    resolution: str,
    frames: int,
    candidate: Any,
    mesh: Any,
    attention: str = "jax",
    tpu_generation: str = "",
):
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    from aoizora.models.strategies import check_candidate
    from aoizora.models.wan21 import Layout, forward_local, param_specs, unpatchify
    from aoizora.models.wan21_config import geometry, get_config
    from aoizora.models.wan21_step import _check_mesh

    if candidate.degree("cfg") > 1:
        raise ValueError(
            f"{candidate.label()}: sequential CFG runs both passes on every device; the "
            "candidate must have no cfg axis"
        )
    cfg = get_config(model)
    geo = geometry(model, resolution, frames)
    check_candidate(cfg, candidate)
    _check_mesh(candidate, mesh)
    lay = Layout.make(candidate, geo, attention=attention, tpu_generation=tpu_generation)
    pspecs = param_specs(cfg, lay)
    seq = lay.seq_axes if len(lay.seq_axes) > 1 else (lay.seq_axes[0] if lay.seq_axes else None)
    local = functools.partial(forward_local, cfg=cfg, geo=geo, lay=lay)
    n_extra = 2 if cfg.i2v else 0

    def two_passes(p, x, tt, c, *ex):
        cond = local(p, x, tt, c[0:1], ex)  # the first forward program
        uncond = local(p, x, tt, c[1:2], ex)  # the second, after it
        return jnp.concatenate([cond, uncond], axis=0)

    def step(params, latent, t, ctx, *extra):
        if candidate.num_devices() == 1:
            out = two_passes(params, latent, t, ctx, *extra)
        else:
            out = jax.shard_map(
                two_passes,
                mesh=mesh,
                in_specs=(pspecs, P(), P(), P(), *([P()] * n_extra)),
                out_specs=P(None, seq, None),
                check_vma=False,
            )(params, latent, t, ctx, *extra)
        eps = unpatchify(out[:, : lay.tokens], cfg, geo)  # (2, 16, T, Hl, Wl)
        cond, uncond = eps[0:1], eps[1:2]
        return uncond + cfg.guide_scale * (cond - uncond)

    jitted = jax.jit(step, out_shardings=NamedSharding(mesh, P()))
    return jitted, cfg, {"params": pspecs, "ctx": P()}


def wan_step(
    candidate: str,
    mesh,
    *,
    model: str | None = None,
    resolution: str = "480p",
    frames: int = 81,
    attention: str = "jax",
    tpu_generation: str = "",
    dtype: str = "bfloat16",
):
    """Workload factory: ``(jitted step, abstract args)`` for the candidate's text form."""
    if model is None:
        raise ValueError("the sequential-CFG workload needs model=...")
    from aoizora.models import Candidate
    from aoizora.models.wan21_step import _DTYPES, _abstract_args

    fn, cfg, specs = build_step(
        model,
        resolution,
        frames,
        Candidate.parse(candidate),
        mesh,
        attention=attention,
        tpu_generation=tpu_generation,
    )
    return fn, _abstract_args(cfg, model, resolution, frames, mesh, specs, _DTYPES[dtype])
