"""FLUX.1 transformer forward pass, written per device against logical axis names.

``forward_local`` runs inside ``shard_map`` (or directly on one device): every collective is
explicit, and each one is a no-op when its axis is absent from the candidate, so one code path
serves every strategy. Structure as in black-forest-labs/flux ``src/flux/model.py`` and
``modules/layers.py`` (see ``config``): embedders into one vector per image, 19 double-stream
blocks (image and text keep their own weights and meet in one joint attention), 38 single-stream
blocks over the concatenated sequence, the final layer on the image tokens.

How the joint sequence is split over the sequence axes (ring or kv_gather, ulysses): each stream
is split on its own. The text stream (512 tokens) and the image stream (4096) are each padded to
a multiple of the sequence degree S and cut into S shards; device s holds text shard s and image
shard s, and its local joint sequence is their concatenation. Why: every device then runs exactly
1/S of both streams' token-wise linears (the double blocks' per-stream weights need each token in
its own stream; replicating the text stream, as xDiT does, repeats 11% of the linears on every
device), the single blocks see the same layout, and attention is indifferent to the order of
its keys, so the union of the shards' keys is the joint sequence. Padding keys are masked (a
static table per K/V block says which are real); padding queries compute values nobody reads.

Dtypes: weights and matmuls in the parameter dtype (bf16 as the original) with fp32
accumulation; residual streams, norm statistics, modulation and the output in fp32.
"""

from __future__ import annotations

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
from aoizora.models.flux.config import (
    FluxConfig,
    Geometry,
    double_param_shapes,
    nonblock_param_shapes,
    single_param_shapes,
)
from aoizora.models.flux.strategies import shard_len

F32 = jnp.float32


@dataclass(frozen=True)
class Layout:
    """How one candidate splits the step (derived from the Candidate; static under jit)."""

    dp_axis: str | None
    seq_axes: tuple[str, ...]  # major -> minor; ulysses (if any) is last
    seq_degree: int
    outer_axis: str | None  # "ring" or "kv_gather" or None
    outer_degree: int
    ulysses: int
    tp: int
    fsdp_axes: tuple[str, ...]
    fsdp_degree: int
    axis_sizes: tuple[tuple[str, int], ...]
    text_tokens: int  # per image, real
    image_tokens: int
    text_local: int  # per sequence shard, padding included
    image_local: int
    unroll: bool = False
    # "splash" / "pallas": a fused Pallas TPU kernel; "jax": blockwise attention in plain JAX.
    attention: str = "jax"
    tpu_generation: str = ""  # the splash kernel's block sizes depend on it

    @property
    def local_tokens(self) -> int:
        return self.text_local + self.image_local

    @property
    def padded(self) -> bool:
        s = self.seq_degree
        return s * self.text_local != self.text_tokens or s * self.image_local != self.image_tokens

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
        if attention == "splash":
            splash_block_sizes(tpu_generation, 128, 128, probe=False)  # unknown generation
        return Layout(
            dp_axis="dp" if cand.degree("dp") > 1 else None,
            seq_axes=cand.sequence_axes(),
            seq_degree=s,
            outer_axis=outer,
            outer_degree=cand.degree(outer) if outer else 1,
            ulysses=cand.degree("ulysses"),
            tp=cand.degree("tp"),
            fsdp_axes=cand.weight_sharding,
            fsdp_degree=cand.weight_shards(),
            axis_sizes=cand.degrees,
            text_tokens=geo.text_tokens,
            image_tokens=geo.image_tokens,
            text_local=shard_len(geo.text_tokens, s),
            image_local=shard_len(geo.image_tokens, s),
            unroll=unroll,
            attention=check_attention_impl(attention),
            tpu_generation=tpu_generation,
        )


# ---------------------------------------------------------------------------------------------
# Weight placement (tp dim from the shape table; FSDP dim: models/dit_parts.fsdp_dim).


STACKS = {"double": double_param_shapes, "single": single_param_shapes}


def _stack_lengths(cfg: FluxConfig) -> dict[str, int]:
    return {"double": cfg.num_double, "single": cfg.num_single}


def param_specs(cfg: FluxConfig, lay: Layout) -> dict:
    """PartitionSpec pytree matching the parameter pytree ({"double": stacked, "single":
    stacked, **non-block})."""
    from jax.sharding import PartitionSpec as P

    specs: dict = {
        name: P(*spec_entries(shape, tp, lay))
        for name, (shape, tp) in nonblock_param_shapes(cfg).items()
    }
    for stack, table in STACKS.items():
        specs[stack] = {
            name: P(None, *spec_entries(shape, tp, lay)) for name, (shape, tp) in table(cfg).items()
        }
    return specs


def param_shapes(cfg: FluxConfig) -> dict:
    shapes: dict = {name: s for name, (s, _) in nonblock_param_shapes(cfg).items()}
    for stack, count in _stack_lengths(cfg).items():
        shapes[stack] = {name: (count, *s) for name, (s, _) in STACKS[stack](cfg).items()}
    return shapes


# ---------------------------------------------------------------------------------------------
# Small ops.


def _rms_norm_heads(x, scale, eps: float):
    """QK RMSNorm over each head's channels (the last axis), so no tp exchange is needed."""
    xf = x.astype(F32)
    rrms = jax.lax.rsqrt(jnp.mean(xf * xf, axis=-1, keepdims=True) + eps)
    return (xf * rrms * scale.astype(F32)).astype(x.dtype)


def _psum_tp(x, lay: Layout):
    return jax.lax.psum(x, "tp") if lay.tp > 1 else x


def _gather_tp(x, lay: Layout):
    """The full modulation vector from the tp shards' column blocks."""
    return jax.lax.all_gather(x, "tp", axis=x.ndim - 1, tiled=True) if lay.tp > 1 else x


def timestep_embedding(t, freq_dim: int, time_factor: float = 1000.0):
    """[cos(1000 t w), sin(1000 t w)], w_j = 10000^(-j/half) (layers.timestep_embedding)."""
    half = freq_dim // 2
    omega = jnp.asarray(np.power(10000.0, -np.arange(half) / half), F32)
    arg = (time_factor * t.astype(F32))[:, None] * omega[None, :]
    return jnp.concatenate([jnp.cos(arg), jnp.sin(arg)], axis=-1)


def _mlp_embed(x, top: dict, prefix: str):
    """MLPEmbedder: Linear, SiLU, Linear."""
    h = jax.nn.silu(linear(x, top[f"{prefix}_w1"], top[f"{prefix}_b1"]))
    return linear(h, top[f"{prefix}_w2"], top[f"{prefix}_b2"])


def _modulation(vec, w, b, parts: int, lay: Layout):
    """Linear(SiLU(vec)) -> ``parts`` (Bl, 1, d) fp32 vectors (shift, scale, gate, ...); under tp
    each shard computes a column block of the output and the blocks are all-gathered."""
    out = _gather_tp(linear(jax.nn.silu(vec), w, b), lay)
    chunks = out.reshape(out.shape[0], parts, -1)
    return [chunks[:, i][:, None, :] for i in range(parts)]


def _modulate(x, shift, scale, eps: float):
    return layer_norm(x, eps) * (1 + scale) + shift


# ---------------------------------------------------------------------------------------------
# RoPE over (id0, row, column): text tokens have ids (0, 0, 0), image token (r, c) has (0, r, c)
# (sampling.prepare); each axis a rotates its own axes_dim[a] channels with frequencies
# theta^(-2j / axes_dim[a]) (flux_math.rope), pairs (2j, 2j+1) interleaved.


def rope_frequencies(cfg: FluxConfig) -> list[np.ndarray]:
    return [np.power(cfg.rope_theta, -np.arange(0, w, 2) / w) for w in cfg.rope_axes]


def rope_angles(ids, cfg: FluxConfig):
    """Angles (n, head_dim/2) for position ids (n, 3)."""
    parts = [
        ids[:, a].astype(F32)[:, None] * jnp.asarray(freqs, F32)[None, :]
        for a, freqs in enumerate(rope_frequencies(cfg))
    ]
    return jnp.concatenate(parts, axis=-1)


def image_ids(index, grid_width: int):
    """Position ids (n, 3) of image tokens by their row-major index."""
    zero = jnp.zeros_like(index)
    return jnp.stack([zero, index // grid_width, index % grid_width], axis=-1)


def local_rope(shard, cfg: FluxConfig, geo: Geometry, lay: Layout):
    """cos/sin (text_local + image_local, head_dim/2) of sequence shard ``shard``'s joint
    tokens; text and padding rows get the identity rotation."""
    index = shard * lay.image_local + jnp.arange(lay.image_local)
    img = rope_angles(image_ids(index, geo.grid[1]), cfg)
    img = jnp.where((index < lay.image_tokens)[:, None], img, 0.0)
    ang = jnp.concatenate([jnp.zeros((lay.text_local, img.shape[1]), F32), img], axis=0)
    return jnp.cos(ang), jnp.sin(ang)


# ---------------------------------------------------------------------------------------------
# Joint attention under the sequence strategies.


def shard_validity(shard: int, lay: Layout) -> np.ndarray:
    """Which of sequence shard ``shard``'s joint tokens ([text, image]) are real."""
    text = shard * lay.text_local + np.arange(lay.text_local) < lay.text_tokens
    image = shard * lay.image_local + np.arange(lay.image_local) < lay.image_tokens
    return np.concatenate([text, image])


def block_validity(lay: Layout) -> np.ndarray:
    """(outer_degree, ulysses * local_tokens): key validity of the K/V block that the device at
    position r of the outer (ring / kv_gather) axis holds after the Ulysses all-to-all: the
    shards r*U .. r*U + U - 1 in that order."""
    u = lay.ulysses
    return np.stack(
        [
            np.concatenate([shard_validity(r * u + j, lay) for j in range(u)])
            for r in range(lay.outer_degree)
        ]
    )


def joint_attention(q, k, v, cfg: FluxConfig, lay: Layout):
    """Attention of the local joint queries (Bl, n, Ht, d) over every joint key: Ulysses
    all-to-all (sequence <-> heads) around ring attention, a K/V all-gather or local attention."""
    if lay.ulysses > 1:
        q, k, v = (
            jax.lax.all_to_all(t, "ulysses", split_axis=2, concat_axis=1, tiled=True)
            for t in (q, k, v)
        )
    table = jnp.asarray(block_validity(lay)) if lay.padded else None
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
            valid_of_block=lambda src: None if table is None else table[src],
            unroll=lay.unroll,
            **extra,
        )
    elif lay.outer_axis == "kv_gather":
        k = jax.lax.all_gather(k, "kv_gather", axis=1, tiled=True)
        v = jax.lax.all_gather(v, "kv_gather", axis=1, tiled=True)
        o = attend(q, k, v, None if table is None else table.reshape(-1), cfg, lay)
    else:
        o = attend(q, k, v, None if table is None else table[0], cfg, lay)
    if lay.ulysses > 1:
        o = jax.lax.all_to_all(o, "ulysses", split_axis=1, concat_axis=2, tiled=True)
    return o


# ---------------------------------------------------------------------------------------------
# Blocks.


def _qkv(h, w: dict, prefix: str, cfg: FluxConfig):
    """q, k, v (Bl, n, Ht, hd) of modulated tokens h: one (d, 3, d/tp) matmul, QK RMSNorm."""
    dt = w[f"{prefix}_wqkv"].dtype
    qkv = jnp.einsum("bnd,dkc->bnkc", h.astype(dt), w[f"{prefix}_wqkv"], preferred_element_type=F32)
    qkv = (qkv + w[f"{prefix}_bqkv"].astype(F32)).astype(dt)
    b, n = h.shape[:2]
    q, k, v = (qkv[:, :, i].reshape(b, n, -1, cfg.head_dim) for i in range(3))
    q = _rms_norm_heads(q, w[f"{prefix}_norm_q"], cfg.eps)
    k = _rms_norm_heads(k, w[f"{prefix}_norm_k"], cfg.eps)
    return q, k, v


def _rope_qk(q, k, cos, sin):
    return apply_rope(q, cos, sin), apply_rope(k, cos, sin)


def _flat_heads(o):
    return o.reshape(o.shape[0], o.shape[1], -1)


def _stream_mlp(x, w: dict, prefix: str, lay: Layout):
    """Linear d -> 4d (column-parallel), GELU(tanh), Linear 4d -> d (row-parallel + psum)."""
    dt = w[f"{prefix}_mlp_w1"].dtype
    hid = jax.nn.gelu(linear(x, w[f"{prefix}_mlp_w1"], w[f"{prefix}_mlp_b1"]), approximate=True)
    y = _psum_tp(linear(hid.astype(dt), w[f"{prefix}_mlp_w2"], None), lay)
    return y + w[f"{prefix}_mlp_b2"].astype(F32)


def double_block(xi, xt, w, vec, cos, sin, cfg: FluxConfig, lay: Layout):
    """One DoubleStreamBlock on the local image tokens xi (Bl, il, d) and text tokens xt
    (Bl, tl, d), fp32; joint attention over [text, image]."""
    eps = cfg.eps
    mods = {s: _modulation(vec, w[f"{s}_mod_w"], w[f"{s}_mod_b"], 6, lay) for s in ("img", "txt")}
    streams = {"img": xi, "txt": xt}
    qkv = {s: _qkv(_modulate(streams[s], *mods[s][:2], eps), w, s, cfg) for s in streams}
    q, k, v = (jnp.concatenate([qkv["txt"][i], qkv["img"][i]], axis=1) for i in range(3))
    q, k = _rope_qk(q, k, cos, sin)
    o = _flat_heads(joint_attention(q, k, v, cfg, lay))
    outs = {"txt": o[:, : lay.text_local], "img": o[:, lay.text_local :]}
    for s, x in streams.items():
        shift1, scale1, gate1, shift2, scale2, gate2 = mods[s]
        proj = _psum_tp(linear(outs[s], w[f"{s}_proj_w"], None), lay)
        x = x + gate1 * (proj + w[f"{s}_proj_b"].astype(F32))
        x = x + gate2 * _stream_mlp(_modulate(x, shift2, scale2, eps), w, s, lay)
        streams[s] = x
    return streams["img"], streams["txt"]


def single_block(x, w, vec, cos, sin, cfg: FluxConfig, lay: Layout):
    """One SingleStreamBlock on the local joint tokens x (Bl, tl + il, d), fp32: linear1
    (qkv and MLP-in from one modulated input), joint attention, linear2 over [attention, MLP]."""
    dt = w["mlp_in_w"].dtype
    shift, scale, gate = _modulation(vec, w["mod_w"], w["mod_b"], 3, lay)
    h = _modulate(x, shift, scale, cfg.eps).astype(dt)
    q, k, v = _qkv(h, w, "attn", cfg)
    mlp = jax.nn.gelu(linear(h, w["mlp_in_w"], w["mlp_in_b"]), approximate=True).astype(dt)
    q, k = _rope_qk(q, k, cos, sin)
    o = _flat_heads(joint_attention(q, k, v, cfg, lay))
    y = linear(o, w["out_attn_w"], None) + linear(mlp, w["out_mlp_w"], None)
    return x + gate * (_psum_tp(y, lay) + w["out_b"].astype(F32))


# ---------------------------------------------------------------------------------------------
# The forward pass.


def _shard_tokens(tokens, per_shard: int, shard, degree: int):
    """This device's sequence shard of (Bl, L, C) tokens padded to ``per_shard * degree``."""
    pad = per_shard * degree - tokens.shape[1]
    tokens = jnp.pad(tokens, ((0, 0), (0, pad), (0, 0)))
    return jax.lax.dynamic_slice_in_dim(tokens, shard * per_shard, per_shard, axis=1)


def _vector(top: dict, y, t, guidance, cfg: FluxConfig):
    """The per-image conditioning vector: time (+ guidance) + pooled text embeddings."""
    vec = _mlp_embed(timestep_embedding(t, cfg.freq_dim), top, "time")
    if cfg.guidance_embed:
        vec = vec + _mlp_embed(timestep_embedding(guidance, cfg.freq_dim), top, "guidance")
    return vec + _mlp_embed(y, top, "vector")


def _final_layer(x, vec, top: dict, cfg: FluxConfig):
    shift, scale = jnp.split(
        linear(jax.nn.silu(vec), top["final_mod_w"], top["final_mod_b"]), 2, -1
    )
    h = _modulate(x, shift[:, None, :], scale[:, None, :], cfg.eps)
    return linear(h, top["final_w"], top["final_b"])


def forward_local(params, img, txt, y, t, *guidance, cfg: FluxConfig, geo: Geometry, lay: Layout):
    """The transformer on this device's images and token shard.

    img (Bl, Li, 64) packed latent tokens, txt (Bl, Lt, text_dim) T5 states, y (Bl, vec_dim)
    pooled CLIP, t (Bl,) timesteps in [0, 1], guidance (Bl,) for guidance-distilled models;
    all replicated over every axis but dp. Returns (Bl, image_local, 64) fp32: the velocity of
    this device's image tokens.
    """
    top = gather_weights(
        {k: v for k, v in params.items() if k not in STACKS}, nonblock_param_shapes(cfg), lay
    )
    vec = _vector(top, y, t, guidance[0] if guidance else None, cfg)

    shard = axis_linear_index(lay.seq_axes, lay) if lay.seq_axes else 0
    s = lay.seq_degree
    xi = linear(_shard_tokens(img, lay.image_local, shard, s), top["img_in_w"], top["img_in_b"])
    xt = linear(_shard_tokens(txt, lay.text_local, shard, s), top["txt_in_w"], top["txt_in_b"])
    cos, sin = local_rope(shard, cfg, geo, lay)

    double_table, single_table = double_param_shapes(cfg), single_param_shapes(cfg)

    def double(carry, w):
        xi, xt = carry
        w = gather_weights(w, double_table, lay)
        return double_block(xi, xt, w, vec, cos, sin, cfg, lay), None

    def single(x, w):
        return single_block(x, gather_weights(w, single_table, lay), vec, cos, sin, cfg, lay), None

    (xi, xt), _ = jax.lax.scan(double, (xi, xt), params["double"], unroll=lay.unroll)
    x = jnp.concatenate([xt, xi], axis=1)
    x, _ = jax.lax.scan(single, x, params["single"], unroll=lay.unroll)
    return _final_layer(x[:, lay.text_local :], vec, top, cfg)
