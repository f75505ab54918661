"""One Wan 2.1 denoising step (both CFG passes) as a jitted function over a mesh.

The two guidance passes run on a ``cfg`` mesh axis (each on half the devices) or, without one, as
one batch of two on every device (``cfg_passes="batch"``, ours) or one after the other
(``cfg_passes="sequential"``: two forward programs per step, as the official Wan code runs
them; under FSDP every layer's weights are gathered in each).

Step inputs: ``params`` (pytree, weights), ``latent`` (1, 16, T, Hl, Wl) fp32, ``t`` (1,) fp32,
``ctx`` (2, 512, 4096) text embeddings of the prompt and the negative prompt, and for I2V
``y`` (1, 20, T, Hl, Wl) and ``clip`` (1, 257, 1280). Output: the guided noise prediction
uncond + guide_scale * (cond - uncond), (1, 16, T, Hl, Wl) fp32, replicated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from aoizora.models.candidate import Candidate
from aoizora.models.wan.config import WanConfig, geometry, get_config
from aoizora.models.wan.model import Layout, forward_local, param_shapes, param_specs, unpatchify
from aoizora.models.wan.strategies import check_candidate

_DTYPES = {"bfloat16": jnp.bfloat16, "float32": jnp.float32}
CFG_PASSES = ("batch", "sequential")


def build_step(
    model: str,
    resolution: str,
    frames: int,
    candidate: Candidate,
    mesh: Any,
    unroll: bool = False,
    attention: str = "jax",
    tpu_generation: str = "",
    cfg_passes: str = "batch",
) -> tuple[Callable, WanConfig, Layout, dict]:
    """(jitted step, config, layout, specs). ``unroll`` unrolls every scan (for FLOP checks:
    XLA's cost analysis counts a while-loop body once). ``attention``: "jax" (blockwise, plain
    JAX, runs anywhere), "splash" (the splash kernel, block sizes for ``tpu_generation``) or
    "pallas" (the Pallas flash-attention kernel); the kernels are for TPU compiles only.
    ``cfg_passes``: without a cfg axis, "batch" (both passes as one batch of two) or
    "sequential" (one forward program after the other)."""
    cfg = get_config(model)
    geo = geometry(model, resolution, frames)
    check_candidate(cfg, candidate)
    candidate.check_mesh(mesh)
    if cfg_passes not in CFG_PASSES:
        raise ValueError(f"unknown cfg_passes {cfg_passes!r}; allowed: {', '.join(CFG_PASSES)}")
    if cfg_passes == "sequential" and candidate.degree("cfg") > 1:
        raise ValueError(
            f"{candidate.label()}: sequential CFG runs both passes on every device; the "
            "candidate must have no cfg axis"
        )
    lay = Layout.make(
        candidate, geo, unroll=unroll, attention=attention, tpu_generation=tpu_generation
    )
    pspecs = param_specs(cfg, lay)
    cfg_spec = P(lay.cfg_axis)
    seq = lay.seq_axes if len(lay.seq_axes) > 1 else (lay.seq_axes[0] if lay.seq_axes else None)
    local = functools.partial(forward_local, cfg=cfg, geo=geo, lay=lay)
    n_extra = 2 if cfg.i2v else 0

    def passes(p, x, tt, c, *ex):
        if cfg_passes == "batch":
            return local(p, x, tt, c, ex)
        cond = local(p, x, tt, c[0:1], ex)  # the first forward program
        uncond = local(p, x, tt, c[1:2], ex)  # then the second
        return jnp.concatenate([cond, uncond], axis=0)

    def step(params, latent, t, ctx, *extra):
        if candidate.num_devices() == 1:
            out = passes(params, latent, t, ctx, *extra)
        else:
            out = jax.shard_map(
                passes,
                mesh=mesh,
                in_specs=(pspecs, P(), P(), cfg_spec, *([P()] * n_extra)),
                out_specs=P(lay.cfg_axis, seq, None),
                check_vma=False,
            )(params, latent, t, ctx, *extra)
        eps = unpatchify(out[:, : lay.tokens], cfg, geo)  # (2, 16, T, Hl, Wl)
        cond, uncond = eps[0:1], eps[1:2]
        return uncond + cfg.guide_scale * (cond - uncond)

    jitted = jax.jit(step, out_shardings=NamedSharding(mesh, P()))
    specs = {"params": pspecs, "ctx": cfg_spec}
    return jitted, cfg, lay, specs


def _input_shapes(cfg: WanConfig, model: str, resolution: str, frames: int) -> dict:
    geo = geometry(model, resolution, frames)
    c, t_lat, hl, wl = geo.latent
    shapes = {
        "latent": ((1, c, t_lat, hl, wl), jnp.float32),
        "t": ((1,), jnp.float32),
        "ctx": ((2, cfg.text_len, cfg.text_dim), None),
    }
    if cfg.i2v:
        shapes["y"] = ((1, cfg.in_dim - c, t_lat, hl, wl), jnp.float32)
        shapes["clip"] = ((1, cfg.img_len, cfg.img_dim), None)
    return shapes


def _abstract_args(cfg, model, resolution, frames, mesh, specs, dtype) -> tuple:
    params = jax.tree.map(
        lambda shape, spec: jax.ShapeDtypeStruct(shape, dtype, sharding=NamedSharding(mesh, spec)),
        param_shapes(cfg),
        specs["params"],
        is_leaf=lambda x: isinstance(x, tuple) and all(isinstance(i, int) for i in x),
    )
    args = [params]
    for name, (shape, dt) in _input_shapes(cfg, model, resolution, frames).items():
        spec = specs["ctx"] if name == "ctx" else P()
        args.append(jax.ShapeDtypeStruct(shape, dt or dtype, sharding=NamedSharding(mesh, spec)))
    return tuple(args)


def step_lowerable(
    model,
    resolution,
    frames,
    candidate,
    mesh,
    dtype="bfloat16",
    unroll=False,
    attention="jax",
    tpu_generation="",
    cfg_passes="batch",
):
    fn, cfg, _, specs = build_step(
        model,
        resolution,
        frames,
        candidate,
        mesh,
        unroll=unroll,
        attention=attention,
        tpu_generation=tpu_generation,
        cfg_passes=cfg_passes,
    )
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(_DTYPES)}")
    return fn, _abstract_args(cfg, model, resolution, frames, mesh, specs, _DTYPES[dtype])


def random_inputs(model, resolution, frames, seed: int = 0, dtype: str = "bfloat16") -> tuple:
    """Host (numpy) random weights and inputs, independent of any sharding."""
    cfg = get_config(model)
    rng = np.random.default_rng(seed)
    np_dt = np.float32

    def weight(name: str, shape: tuple[int, ...], stacked: bool) -> np.ndarray:
        per_layer = shape[1:] if stacked else shape
        if "norm" in name or name.endswith("_g"):  # norm gains around 1
            return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np_dt)
        if name in ("modulation", "head_mod"):
            return (0.1 * rng.standard_normal(shape)).astype(np_dt)
        if len(per_layer) == 2:  # matrices: unit-variance outputs
            return (rng.standard_normal(shape) / np.sqrt(per_layer[0])).astype(np_dt)
        return (0.02 * rng.standard_normal(shape)).astype(np_dt)  # biases, LayerNorm shifts

    shapes = param_shapes(cfg)
    params = {k: weight(k, s, False) for k, s in shapes.items() if k != "blocks"}
    params["blocks"] = {k: weight(k, s, True) for k, s in shapes["blocks"].items()}
    inputs = []
    for name, (shape, _) in _input_shapes(cfg, model, resolution, frames).items():
        if name == "t":
            inputs.append(np.array([500.0], np.float32))
        elif name == "y":
            y = 0.5 * rng.standard_normal(shape).astype(np.float32)
            y[:, :4] = 0.0
            y[:, :4, 0] = 1.0  # mask: 1 at latent frame 0
            inputs.append(y)
        else:
            inputs.append(rng.standard_normal(shape).astype(np.float32))
    return params, tuple(inputs)


def step_concrete(
    model, resolution, frames, candidate, mesh, seed=0, dtype="bfloat16", cfg_passes="batch"
):
    fn, abstract = step_lowerable(
        model, resolution, frames, candidate, mesh, dtype=dtype, cfg_passes=cfg_passes
    )
    params, inputs = random_inputs(model, resolution, frames, seed, dtype)
    flat_abs, treedef = jax.tree.flatten(abstract)
    flat_np = jax.tree.leaves((params, *inputs))
    arrays = [
        jax.device_put(jnp.asarray(x, a.dtype), a.sharding)
        for x, a in zip(flat_np, flat_abs, strict=True)
    ]
    return fn, tuple(jax.tree.unflatten(treedef, arrays))
