"""Wan 2.1 DiT forward pass, written per device against logical axis names.

``forward_local`` runs inside ``shard_map`` (or directly on one device): every collective is
explicit, and each one is a no-op when its axis is absent from the candidate, so one code path
serves every strategy. Op numbering (E*, B*, H*) follows shared/reference/wan21.md section 2.

Dtypes: weights and block matmuls in ``dtype`` (bf16 as the original) with fp32 accumulation;
residual stream, norm statistics, modulation, time embedding and head in fp32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from aoizora.models.attention import (
    FUSED_IMPLS,
    check_attention_impl,
    fused_ring_attention,
    ring_attention,
    splash_block_sizes,
)
from aoizora.models.candidate import Candidate
from aoizora.models.dit_parts import (
    apply_rope,
    attend,
    axis_linear_index,
    fused_kernel,
    gather_weights,
    layer_norm,
    linear,
    spec_entries,
)
from aoizora.models.wan.config import (
    Geometry,
    WanConfig,
    block_param_shapes,
    nonblock_param_shapes,
)

F32 = jnp.float32


@dataclass(frozen=True)
class Layout:
    """How one candidate splits the step (derived from the Candidate; static under jit)."""

    cfg_axis: str | None
    seq_axes: tuple[str, ...]  # major -> minor; ulysses (if any) is last
    seq_degree: int
    outer_axis: str | None  # "ring" or "kv_gather" or None
    outer_degree: int
    ulysses: int
    tp: int
    fsdp_axes: tuple[str, ...]
    fsdp_degree: int
    axis_sizes: tuple[tuple[str, int], ...]
    tokens: int  # L (valid tokens)
    padded_tokens: int  # L_pad, a multiple of seq_degree
    unroll: bool = False
    # "splash" / "pallas": a fused Pallas TPU kernel (splash with per-generation block sizes, or
    # the flash kernel); "jax": blockwise attention in plain JAX (runs on any compiler).
    attention: str = "jax"
    tpu_generation: str = ""  # the splash kernel's block sizes depend on it

    @property
    def local_tokens(self) -> int:
        return self.padded_tokens // self.seq_degree

    @staticmethod
    def make(
        cand: Candidate,
        geo: Geometry,
        unroll: bool = False,
        attention: str = "jax",
        tpu_generation: str = "",
    ) -> Layout:
        outer = next((a for a in ("ring", "kv_gather") if cand.degree(a) > 1), None)
        s = cand.sequence_degree()
        return Layout(
            cfg_axis="cfg" if cand.degree("cfg") > 1 else None,
            seq_axes=cand.sequence_axes(),
            seq_degree=s,
            outer_axis=outer,
            outer_degree=cand.degree(outer) if outer else 1,
            ulysses=cand.degree("ulysses"),
            tp=cand.degree("tp"),
            fsdp_axes=cand.weight_sharding,
            fsdp_degree=cand.weight_shards(),
            axis_sizes=cand.degrees,
            tokens=geo.tokens,
            padded_tokens=math.ceil(geo.tokens / s) * s,
            unroll=unroll,
            attention=check_attention_impl(attention),
            tpu_generation=_check_generation(attention, tpu_generation),
        )


def _check_generation(attention: str, generation: str) -> str:
    if attention == "splash":
        splash_block_sizes(generation, 128, 128)  # raises for an unknown generation
    return generation


# ---------------------------------------------------------------------------------------------
# Weight placement (tp dim from the shape table; FSDP dim: models/dit_parts.fsdp_dim).


def param_specs(cfg: WanConfig, lay: Layout) -> dict:
    """PartitionSpec pytree matching the parameter pytree ({"blocks": stacked, **non-block})."""
    from jax.sharding import PartitionSpec as P

    specs: dict = {
        name: P(*spec_entries(shape, tp, lay))
        for name, (shape, tp) in nonblock_param_shapes(cfg).items()
    }
    specs["blocks"] = {
        name: P(None, *spec_entries(shape, tp, lay))
        for name, (shape, tp) in block_param_shapes(cfg).items()
    }
    return specs


def param_shapes(cfg: WanConfig) -> dict:
    shapes: dict = {name: s for name, (s, _) in nonblock_param_shapes(cfg).items()}
    shapes["blocks"] = {
        name: (cfg.num_layers, *s) for name, (s, _) in block_param_shapes(cfg).items()
    }
    return shapes


# ---------------------------------------------------------------------------------------------
# Small ops.


def _psum(x, axis: str | None, degree: int):
    return jax.lax.psum(x, axis) if axis and degree > 1 else x


def _rms_norm_full_dim(x, gain, full_dim: int, lay: Layout, eps: float):
    """RMSNorm over all model channels; under tp each shard holds D/tp channels, so the sum of
    squares is all-reduced over tp (wan21.md section 5)."""
    xf = x.astype(F32)
    ss = _psum(jnp.sum(xf * xf, axis=-1, keepdims=True), "tp", lay.tp)
    return (xf * jax.lax.rsqrt(ss / full_dim + eps) * gain.astype(F32)).astype(x.dtype)


def sinusoid(t, freq_dim: int):
    """E3: [cos(t w), sin(t w)], w_j = 10000^(-j/half)."""
    half = freq_dim // 2
    omega = jnp.asarray(np.power(10000.0, -np.arange(half) / half), F32)
    arg = t.astype(F32)[:, None] * omega[None, :]
    return jnp.concatenate([jnp.cos(arg), jnp.sin(arg)], axis=-1)


def rope_angle_tables(head_dim: int) -> list[np.ndarray]:
    """E9: per axis (f, h, w) the frequencies 10000^(-2j/d_a) for widths (d-4*(d//6), 2*(d//6),
    2*(d//6)) = (44, 42, 42) at head_dim 128."""
    k = head_dim // 6
    widths = (head_dim - 4 * k, 2 * k, 2 * k)
    return [np.power(10000.0, -np.arange(0, w, 2) / w) for w in widths]


def rope_cos_sin(positions, grid: tuple[int, int, int], tokens: int, head_dim: int):
    """cos/sin (n, head_dim/2) for global token indices ``positions``; padding rows (>= tokens)
    get the identity rotation."""
    f, h, w = grid
    idx = (positions // (h * w), (positions // w) % h, positions % w)
    angles = [
        idx_a.astype(F32)[:, None] * jnp.asarray(fr, F32)[None, :]
        for idx_a, fr in zip(idx, rope_angle_tables(head_dim), strict=True)
    ]
    ang = jnp.concatenate(angles, axis=-1)
    ang = jnp.where((positions < tokens)[:, None], ang, 0.0)
    return jnp.cos(ang), jnp.sin(ang)


# ---------------------------------------------------------------------------------------------
# Attention under the sequence strategies.


def _self_attention(q, k, v, cfg: WanConfig, lay: Layout):
    """B6 on local (Bl, Ls, Ht, d) q/k/v: Ulysses all-to-all (seq <-> heads) around ring, K/V
    all-gather or local blockwise attention over the block of length Ls*ulysses."""
    if lay.ulysses > 1:
        q, k, v = (
            jax.lax.all_to_all(t, "ulysses", split_axis=2, concat_axis=1, tiled=True)
            for t in (q, k, v)
        )
    block = q.shape[1]
    padded = lay.padded_tokens != lay.tokens

    def valid_of(start, n):
        return (start + jnp.arange(n)) < lay.tokens if padded else None

    if lay.outer_axis == "ring":
        fused = lay.attention in FUSED_IMPLS
        ring = fused_ring_attention if fused else ring_attention
        chunks = {"q_chunk": cfg.q_chunk, "kv_chunk": cfg.kv_chunk}
        extra = {"block": fused_kernel(lay)} if fused else chunks
        o = ring(
            q,
            k,
            v,
            axis="ring",
            size=lay.outer_degree,
            valid_of_block=lambda src: valid_of(src * block, block),
            unroll=lay.unroll,
            **extra,
        )
    elif lay.outer_axis == "kv_gather":
        k = jax.lax.all_gather(k, "kv_gather", axis=1, tiled=True)
        v = jax.lax.all_gather(v, "kv_gather", axis=1, tiled=True)
        o = attend(q, k, v, valid_of(0, k.shape[1]), cfg, lay)
    else:
        o = attend(q, k, v, valid_of(0, block), cfg, lay)
    if lay.ulysses > 1:
        o = jax.lax.all_to_all(o, "ulysses", split_axis=1, concat_axis=2, tiled=True)
    return o


def _heads(x, head_dim: int):
    b, n, c = x.shape
    return x.reshape(b, n, c // head_dim, head_dim)


def _block(x, w, e0, ctx, cos, sin, cfg: WanConfig, lay: Layout):
    """One WanAttentionBlock (B0-B14) on the local tokens x (Bl, Ls, D), fp32."""
    dt = w["self_wq"].dtype
    d, hd, eps = cfg.dim, cfg.head_dim, cfg.eps
    mod = w["modulation"].astype(F32)[None] + e0  # (Bl, 6, D)
    shift1, scale1, gate1, shift2, scale2, gate2 = (mod[:, i][:, None, :] for i in range(6))

    # Self-attention (B1-B7).
    h = (layer_norm(x, eps) * (1 + scale1) + shift1).astype(dt)
    q = _rms_norm_full_dim(linear(h, w["self_wq"], w["self_bq"], dt), w["self_norm_q"], d, lay, eps)
    k = _rms_norm_full_dim(linear(h, w["self_wk"], w["self_bk"], dt), w["self_norm_k"], d, lay, eps)
    v = linear(h, w["self_wv"], w["self_bv"], dt)
    q, k, v = (
        apply_rope(_heads(q, hd), cos, sin),
        apply_rope(_heads(k, hd), cos, sin),
        _heads(v, hd),
    )
    o = _self_attention(q, k, v, cfg, lay)
    o = o.reshape(o.shape[0], o.shape[1], -1)
    y = _psum(linear(o, w["self_wo"], None, F32), "tp", lay.tp) + w["self_bo"].astype(F32)
    x = x + y * gate1

    # Cross-attention (B8-B11); text (and image) K/V replicated over the sequence axes.
    c = (layer_norm(x, eps) * w["norm3_g"].astype(F32) + w["norm3_b"].astype(F32)).astype(dt)
    q = _rms_norm_full_dim(
        linear(c, w["cross_wq"], w["cross_bq"], dt), w["cross_norm_q"], d, lay, eps
    )
    ctx_txt = ctx[:, ctx.shape[1] - cfg.text_len :]
    k = _rms_norm_full_dim(
        linear(ctx_txt, w["cross_wk"], w["cross_bk"], dt), w["cross_norm_k"], d, lay, eps
    )
    v = linear(ctx_txt, w["cross_wv"], w["cross_bv"], dt)
    qh = _heads(q, hd)
    o = attend(qh, _heads(k, hd), _heads(v, hd), None, cfg, lay)
    if cfg.i2v:
        ctx_img = ctx[:, : ctx.shape[1] - cfg.text_len]
        ki = _rms_norm_full_dim(
            linear(ctx_img, w["cross_wk_img"], w["cross_bk_img"], dt),
            w["cross_norm_k_img"],
            d,
            lay,
            eps,
        )
        vi = linear(ctx_img, w["cross_wv_img"], w["cross_bv_img"], dt)
        o = o + attend(qh, _heads(ki, hd), _heads(vi, hd), None, cfg, lay)
    o = o.reshape(o.shape[0], o.shape[1], -1)
    x = x + _psum(linear(o, w["cross_wo"], None, F32), "tp", lay.tp) + w["cross_bo"].astype(F32)

    # FFN (B12-B14).
    h = (layer_norm(x, eps) * (1 + scale2) + shift2).astype(dt)
    hid = jnp.dot(h, w["ffn_w1"], preferred_element_type=F32) + w["ffn_b1"].astype(F32)
    hid = jax.nn.gelu(hid, approximate=True).astype(dt)
    y = _psum(linear(hid, w["ffn_w2"], None, F32), "tp", lay.tp) + w["ffn_b2"].astype(F32)
    return x + y * gate2


def _patchify(latent, cfg: WanConfig, geo: Geometry):
    """(B, C, T, Hl, Wl) -> (B, L, C*pf*ph*pw), patch vector ordered (c, p, q, r) (E1, E2)."""
    b, c = latent.shape[:2]
    f, h, w = geo.grid
    pf, ph, pw = cfg.patch
    x = latent.reshape(b, c, f, pf, h, ph, w, pw)
    x = jnp.transpose(x, (0, 2, 4, 6, 1, 3, 5, 7))
    return x.reshape(b, f * h * w, c * pf * ph * pw)


def unpatchify(tokens, cfg: WanConfig, geo: Geometry):
    """H3: (B, L, pf*ph*pw*C) with feature ((p*ph + q)*pw + r)*C + c -> (B, C, T, Hl, Wl)."""
    b = tokens.shape[0]
    f, h, w = geo.grid
    pf, ph, pw = cfg.patch
    c = cfg.out_dim
    x = tokens.reshape(b, f, h, w, pf, ph, pw, c)
    x = jnp.transpose(x, (0, 7, 1, 4, 2, 5, 3, 6))
    return x.reshape(b, c, f * pf, h * ph, w * pw)


def _mlp_proj(clip, p, dt):
    """E7: LayerNorm -> Linear -> GELU(exact) -> Linear -> LayerNorm (I2V image context)."""
    x = layer_norm(clip, 1e-5) * p["img_ln1_g"].astype(F32) + p["img_ln1_b"].astype(F32)
    x = jax.nn.gelu(linear(x.astype(dt), p["img_w1"], p["img_b1"], F32), approximate=False)
    x = linear(x.astype(dt), p["img_w2"], p["img_b2"], F32)
    x = layer_norm(x, 1e-5) * p["img_ln2_g"].astype(F32) + p["img_ln2_b"].astype(F32)
    return x.astype(dt)


def forward_local(params, latent, t, ctx, extra, *, cfg: WanConfig, geo: Geometry, lay: Layout):
    """Both-or-one guidance branches of the DiT on this device's tokens.

    latent (1, 16, T, Hl, Wl) fp32 and t (1,) replicated; ctx (Bl, 512, 4096) this device's
    branches; extra = (y (1, 20, T, Hl, Wl), clip (1, 257, 1280)) for I2V, else ().
    Returns (Bl, Ls, 64) fp32 head outputs for the local token slice.
    """
    blocks = params["blocks"]
    top = gather_weights(
        {k: v for k, v in params.items() if k != "blocks"}, nonblock_param_shapes(cfg), lay
    )
    dt = top["patch_w"].dtype
    bl = ctx.shape[0]

    # Time embedding (E3-E5), fp32, per branch.
    s = sinusoid(jnp.broadcast_to(t, (bl,)), cfg.freq_dim)
    e = linear(jax.nn.silu(linear(s, top["time_w1"].astype(F32), top["time_b1"], F32)),
                top["time_w2"].astype(F32), top["time_b2"], F32)  # fmt: skip
    e0 = linear(jax.nn.silu(e), top["tproj_w"].astype(F32), top["tproj_b"], F32)
    e0 = e0.reshape(bl, 6, cfg.dim)

    # Context (E6-E8).
    c = jax.nn.gelu(linear(ctx, top["text_w1"], top["text_b1"], F32), approximate=True)
    c = linear(c.astype(dt), top["text_w2"], top["text_b2"], dt)
    if cfg.i2v:
        y, clip = extra
        img = _mlp_proj(jnp.broadcast_to(clip, (bl, *clip.shape[1:])), top, dt)
        c = jnp.concatenate([img, c], axis=1)
        latent = jnp.concatenate([latent, y], axis=1)

    # Patch embedding of this device's token slice (E1, E2).
    tokens = _patchify(latent, cfg, geo)
    tokens = jnp.pad(tokens, ((0, 0), (0, lay.padded_tokens - lay.tokens), (0, 0)))
    ls = lay.local_tokens
    start = axis_linear_index(lay.seq_axes, lay) * ls if lay.seq_axes else 0
    tokens = jax.lax.dynamic_slice_in_dim(tokens, start, ls, axis=1)
    tokens = jnp.broadcast_to(tokens, (bl, *tokens.shape[1:]))
    x = linear(tokens, top["patch_w"], top["patch_b"], dt).astype(F32)
    cos, sin = rope_cos_sin(start + jnp.arange(ls), geo.grid, lay.tokens, cfg.head_dim)

    table = block_param_shapes(cfg)

    def layer(x, w):
        return _block(x, gather_weights(w, table, lay), e0, c, cos, sin, cfg, lay), None

    x, _ = jax.lax.scan(layer, x, blocks, unroll=lay.unroll)

    # Head (H1, H2), fp32.
    hm = top["head_mod"].astype(F32)[None] + e[:, None, :]
    shift, scale = hm[:, 0][:, None, :], hm[:, 1][:, None, :]
    h = layer_norm(x, cfg.eps) * (1 + scale) + shift
    return linear(h, top["head_w"].astype(F32), top["head_b"], F32)
