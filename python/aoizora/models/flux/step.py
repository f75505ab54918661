"""One FLUX.1 denoising step as a jitted function over a mesh: ONE forward pass (dev embeds the
guidance scale, schnell has no guidance), for a batch of images.

Step inputs: ``params`` (pytree), ``img`` (B, Li, 64) fp32 packed latent tokens, ``txt``
(B, Lt, text_dim) T5 states, ``y`` (B, vec_dim) pooled CLIP, ``t`` (B,) fp32 timesteps and, for
a guidance-distilled model, ``guidance`` (B,) fp32. The batch is split over ``dp``; everything
else is replicated and each device cuts its own token shard. Output: the predicted velocity
(B, Li, 64) fp32, batch over ``dp`` and replicated otherwise (the next step's input layout).
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
from aoizora.models.flux.config import FluxConfig, Geometry, geometry, get_config
from aoizora.models.flux.model import Layout, forward_local, param_shapes, param_specs
from aoizora.models.flux.strategies import validate

_DTYPES = {"bfloat16": jnp.bfloat16, "float32": jnp.float32}


def _check_batch(batch: int) -> None:
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive integer (images per step), got {batch!r}")


def build_step(
    model: str,
    resolution: str,
    batch: int,
    candidate: Candidate,
    mesh: Any,
    unroll: bool = False,
    attention: str = "jax",
    tpu_generation: str = "",
) -> tuple[Callable, FluxConfig, Layout, dict]:
    """(jitted step, config, layout, specs). ``unroll`` unrolls every scan (for FLOP checks:
    XLA's cost analysis counts a while-loop body once). ``attention``: "jax" (blockwise, plain
    JAX, runs anywhere), "splash" (block sizes for ``tpu_generation``) or "pallas"; the kernels
    are for TPU compiles only."""
    cfg = get_config(model)
    geo = geometry(model, resolution)
    _check_batch(batch)
    validate(cfg, geo, batch, candidate.num_devices(), candidate)
    candidate.check_mesh(mesh)
    lay = Layout.make(
        candidate, geo, unroll=unroll, attention=attention, tpu_generation=tpu_generation
    )
    pspecs = param_specs(cfg, lay)
    batch_spec = P(lay.dp_axis)
    seq = lay.seq_axes if len(lay.seq_axes) > 1 else (lay.seq_axes[0] if lay.seq_axes else None)
    local = functools.partial(forward_local, cfg=cfg, geo=geo, lay=lay)
    n_inputs = 5 if cfg.guidance_embed else 4

    def step(params, *inputs):
        if candidate.num_devices() == 1:
            out = local(params, *inputs)
        else:
            out = jax.shard_map(
                local,
                mesh=mesh,
                in_specs=(pspecs, *([batch_spec] * n_inputs)),
                out_specs=P(lay.dp_axis, seq, None),
                check_vma=False,
            )(params, *inputs)
        return out[:, : geo.image_tokens]

    jitted = jax.jit(step, out_shardings=NamedSharding(mesh, batch_spec))
    return jitted, cfg, lay, {"params": pspecs, "batch": batch_spec}


def input_shapes(cfg: FluxConfig, geo: Geometry, batch: int) -> dict[str, tuple]:
    """name -> (shape, dtype or None for the parameter dtype) of the step's inputs, in order."""
    shapes: dict[str, tuple] = {
        "img": ((batch, geo.image_tokens, cfg.in_dim), jnp.float32),
        "txt": ((batch, geo.text_tokens, cfg.text_dim), None),
        "y": ((batch, cfg.vec_dim), None),
        "t": ((batch,), jnp.float32),
    }
    if cfg.guidance_embed:
        shapes["guidance"] = ((batch,), jnp.float32)
    return shapes


def _is_shape(x) -> bool:
    return isinstance(x, tuple) and all(isinstance(i, int) for i in x)


def _abstract_args(cfg, geo, batch, mesh, specs, dtype) -> tuple:
    params = jax.tree.map(
        lambda shape, spec: jax.ShapeDtypeStruct(shape, dtype, sharding=NamedSharding(mesh, spec)),
        param_shapes(cfg),
        specs["params"],
        is_leaf=_is_shape,
    )
    sharding = NamedSharding(mesh, specs["batch"])
    inputs = [
        jax.ShapeDtypeStruct(shape, dt or dtype, sharding=sharding)
        for shape, dt in input_shapes(cfg, geo, batch).values()
    ]
    return (params, *inputs)


def step_lowerable(
    model: str,
    resolution: str,
    batch: int,
    candidate: Candidate,
    mesh: Any,
    dtype: str = "bfloat16",
    unroll: bool = False,
    attention: str = "jax",
    tpu_generation: str = "",
) -> tuple[Callable, tuple]:
    """``(jitted_fn, abstract_args)``; ``jitted_fn.lower(*abstract_args)`` needs no data."""
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(_DTYPES)}")
    fn, cfg, _, specs = build_step(
        model,
        resolution,
        batch,
        candidate,
        mesh,
        unroll=unroll,
        attention=attention,
        tpu_generation=tpu_generation,
    )
    geo = geometry(model, resolution)
    return fn, _abstract_args(cfg, geo, batch, mesh, specs, _DTYPES[dtype])


def _random_weight(rng, name: str, shape: tuple[int, ...], stacked: bool) -> np.ndarray:
    per_block = shape[1:] if stacked else shape
    if "norm" in name:  # RMSNorm scales around 1
        return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
    if len(per_block) == 1 or (len(per_block) == 2 and "bqkv" in name):  # biases
        return (0.02 * rng.standard_normal(shape)).astype(np.float32)
    fan_in = per_block[0]
    # Modulation matrices give shifts, scales and gates around 0.1, so that the residual
    # streams stay O(1) through the blocks; other matrices have unit-variance outputs.
    gain = 0.1 if "mod_w" in name else 1.0
    return (gain * rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def random_inputs(model: str, resolution: str, batch: int, seed: int = 0) -> tuple[dict, tuple]:
    """Host (numpy, fp32) random weights and inputs, independent of any sharding."""
    cfg = get_config(model)
    geo = geometry(model, resolution)
    rng = np.random.default_rng(seed)
    shapes = param_shapes(cfg)
    params: dict = {}
    for name, shape in shapes.items():
        if isinstance(shape, dict):
            params[name] = {k: _random_weight(rng, k, s, True) for k, s in shape.items()}
        else:
            params[name] = _random_weight(rng, name, shape, False)
    inputs = []
    for name, (shape, _) in input_shapes(cfg, geo, batch).items():
        if name == "t":
            inputs.append(rng.uniform(0.2, 0.9, shape).astype(np.float32))
        elif name == "guidance":
            inputs.append(np.full(shape, 3.5, np.float32))
        else:
            inputs.append(rng.standard_normal(shape).astype(np.float32))
    return params, tuple(inputs)


def step_concrete(
    model: str,
    resolution: str,
    batch: int,
    candidate: Candidate,
    mesh: Any,
    seed: int = 0,
    dtype: str = "bfloat16",
) -> tuple[Callable, tuple]:
    """Like :func:`step_lowerable` with random arrays placed by the step's shardings."""
    fn, abstract = step_lowerable(model, resolution, batch, candidate, mesh, dtype=dtype)
    params, inputs = random_inputs(model, resolution, batch, seed)
    flat_abs, treedef = jax.tree.flatten(abstract)
    flat_np = jax.tree.leaves((params, *inputs))
    arrays = [
        jax.device_put(jnp.asarray(x, a.dtype), a.sharding)
        for x, a in zip(flat_np, flat_abs, strict=True)
    ]
    return fn, tuple(jax.tree.unflatten(treedef, arrays))
