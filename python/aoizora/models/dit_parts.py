"""Building blocks both diffusion-transformer families share (Wan 2.1, FLUX.1).

Each family's ``Layout`` (models/<family>/model.py) says how one candidate splits the step; the
parts here read only the fields every layout has (``LayoutFields``), so a new family reuses them
by giving its layout those fields. Numerics are the families' own conventions: weights and
matmuls in the parameter dtype with fp32 accumulation, norm statistics in fp32.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

import jax
import jax.numpy as jnp

from aoizora.models.attention import (
    FUSED_IMPLS,
    fused_local_attention,
    local_attention,
    pallas_block_attention,
    splash_block_attention,
)

F32 = jnp.float32


class LayoutFields(Protocol):
    """The layout fields the shared parts read (both families' Layout dataclasses have them)."""

    tp: int
    fsdp_axes: tuple[str, ...]
    fsdp_degree: int
    axis_sizes: tuple[tuple[str, int], ...]
    unroll: bool
    attention: str
    tpu_generation: str


# ---------------------------------------------------------------------------------------------
# Weight placement: tp dim from the family's shape table, FSDP dim = the largest other dim
# divisible by the weight-shard count (weights with no such dim stay replicated over the FSDP
# axes).


def fsdp_dim(shape: tuple[int, ...], tp_dim: int | None, shards: int) -> int | None:
    if shards <= 1:
        return None
    dims = sorted((i for i in range(len(shape)) if i != tp_dim), key=lambda i: -shape[i])
    return next((i for i in dims if shape[i] % shards == 0), None)


def spec_entries(shape: tuple[int, ...], tp_dim: int | None, lay: LayoutFields) -> list:
    """PartitionSpec entries of one weight: "tp" on its tp dim, the FSDP axes on fsdp_dim."""
    entries: list = [None] * len(shape)
    if lay.tp > 1 and tp_dim is not None:
        entries[tp_dim] = "tp"
    fd = fsdp_dim(shape, tp_dim, lay.fsdp_degree)
    if fd is not None:
        entries[fd] = lay.fsdp_axes if len(lay.fsdp_axes) > 1 else lay.fsdp_axes[0]
    return entries


def gather_weights(w: dict, table: dict, lay: LayoutFields) -> dict:
    """All-gather the FSDP-sharded weights (per block inside the scans: ZeRO-3 style)."""
    if lay.fsdp_degree <= 1:
        return w
    out = {}
    for name, x in w.items():
        shape, tp = table[name]
        fd = fsdp_dim(shape, tp, lay.fsdp_degree)
        out[name] = x if fd is None else jax.lax.all_gather(x, lay.fsdp_axes, axis=fd, tiled=True)
    return out


# ---------------------------------------------------------------------------------------------
# Layers.


def linear(x, w, b, out_dtype=F32):
    y = jnp.dot(x.astype(w.dtype), w, preferred_element_type=F32)
    if b is not None:
        y = y + b.astype(F32)
    return y.astype(out_dtype)


def layer_norm(x, eps: float):
    """LayerNorm without affine parameters, fp32 (callers apply their own gain/shift)."""
    x = x.astype(F32)
    mean = x.mean(axis=-1, keepdims=True)
    var = jnp.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps)


def apply_rope(x, cos, sin):
    """x (B, n, H, d): channels (2j, 2j+1) form complex pair j (interleaved), rotated by angle j:
    (x0 c - x1 s, x0 s + x1 c). Both families' RoPE (Wan 2.1 B5, FLUX.1 EmbedND) is this."""
    b, n, h, d = x.shape
    xf = x.astype(F32).reshape(b, n, h, d // 2, 2)
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    re = xf[..., 0] * c - xf[..., 1] * s
    im = xf[..., 0] * s + xf[..., 1] * c
    return jnp.stack([re, im], axis=-1).reshape(b, n, h, d).astype(x.dtype)


def axis_linear_index(axes: tuple[str, ...], lay: LayoutFields):
    """Linear index over ``axes`` (major first), as PartitionSpec((a, b)) lays shards out."""
    sizes = dict(lay.axis_sizes)
    idx = jnp.int32(0)
    for a in axes:
        idx = idx * sizes[a] + jax.lax.axis_index(a)
    return idx


# ---------------------------------------------------------------------------------------------
# Attention of local queries over all of k/v with the layout's implementation.


def fused_kernel(lay: LayoutFields):
    """The fused kernel's block function (q, k, v, valid) -> (o, lse) for the layout."""
    if lay.attention == "splash":
        return functools.partial(splash_block_attention, generation=lay.tpu_generation)
    return pallas_block_attention


def attend(q, k, v, valid, cfg: Any, lay: LayoutFields):
    """``cfg`` gives plain-JAX attention's chunk sizes (``q_chunk``, ``kv_chunk``)."""
    if lay.attention in FUSED_IMPLS:
        return fused_local_attention(q, k, v, valid, block=fused_kernel(lay))
    return local_attention(
        q, k, v, valid, q_chunk=cfg.q_chunk, kv_chunk=cfg.kv_chunk, unroll=lay.unroll
    )
