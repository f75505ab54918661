"""Wan 2.1 DiT configurations, resolutions, parameter shapes and the reference cost formula.

Pure Python (no JAX): parameter counts come from shapes, never from allocated arrays. Facts and
formulas: shared/reference/wan21.md sections 1, 3 and 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WanConfig:
    name: str
    dim: int
    ffn_dim: int
    num_heads: int
    num_layers: int
    in_dim: int = 16
    out_dim: int = 16
    head_dim: int = 128
    patch: tuple[int, int, int] = (1, 2, 2)
    text_len: int = 512
    text_dim: int = 4096
    freq_dim: int = 256
    i2v: bool = False
    img_len: int = 257
    img_dim: int = 1280
    eps: float = 1e-6
    guide_scale: float = 5.0
    # Blockwise attention chunk targets (tokens); the real chunk is ceil(len / ceil(len/target)).
    q_chunk: int = 2048
    kv_chunk: int = 1024

    @property
    def context_len(self) -> int:
        return self.text_len + (self.img_len if self.i2v else 0)

    @property
    def patch_features(self) -> int:
        return self.in_dim * math.prod(self.patch)


MODELS: dict[str, WanConfig] = {
    "wan2.1-t2v-1.3b": WanConfig("wan2.1-t2v-1.3b", 1536, 8960, 12, 30),
    "wan2.1-t2v-14b": WanConfig("wan2.1-t2v-14b", 5120, 13824, 40, 40),
    "wan2.1-i2v-14b": WanConfig("wan2.1-i2v-14b", 5120, 13824, 40, 40, in_dim=36, i2v=True),
    # Tiny test configs (not upstream): head_dim 128 keeps the production RoPE split 44/42/42,
    # 4 heads allow Ulysses/TP degrees {2,4}; small chunks exercise the blockwise loops.
    "wan2.1-tiny": WanConfig("wan2.1-tiny", 512, 1024, 4, 2, q_chunk=64, kv_chunk=64),
    "wan2.1-tiny-i2v": WanConfig(
        "wan2.1-tiny-i2v", 512, 1024, 4, 2, in_dim=36, i2v=True, q_chunk=64, kv_chunk=64
    ),
}

# Pixel (height, width) per resolution name.
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "480p": (480, 832),
    "720p": (720, 1280),
    "tiny": (96, 160),  # latent 12 x 20, token grid h=6, w=10
}
TINY_ONLY_RESOLUTIONS = ("tiny",)
VAE_TEMPORAL = 4
VAE_SPATIAL = 8
# RoPE angles exist for positions 0..1023 along each token-grid axis (wan21.md E9, rope_params
# (1024, ...) upstream): a video longer than that has no position encoding.
ROPE_POSITIONS = 1024
MAX_FRAMES = VAE_TEMPORAL * (ROPE_POSITIONS - 1) + 1  # 4093: 1024 latent frames


def model_names() -> list[str]:
    return list(MODELS)


def get_config(model: str) -> WanConfig:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
    return MODELS[model]


def resolutions_for(model: str) -> list[str]:
    tiny = "tiny" in model
    return [r for r in RESOLUTIONS if tiny or r not in TINY_ONLY_RESOLUTIONS]


def max_tokens(model: str) -> int:
    """The most tokens any allowed resolution and frame count gives ``model`` (MAX_FRAMES)."""
    return max(geometry(model, r, MAX_FRAMES).tokens for r in resolutions_for(model))


@dataclass(frozen=True)
class Geometry:
    """Latent and token geometry of one video."""

    frames: int
    height: int
    width: int
    latent: tuple[int, int, int, int]  # (C, T, Hl, Wl)
    grid: tuple[int, int, int]  # (f, h, w)

    @property
    def tokens(self) -> int:
        return math.prod(self.grid)


def geometry(model: str, resolution: str, frames: int) -> Geometry:
    cfg = get_config(model)
    allowed = resolutions_for(model)
    if resolution not in allowed:
        raise ValueError(
            f"unknown resolution {resolution!r} for {model}; allowed: {', '.join(allowed)}"
        )
    bad_type = not isinstance(frames, int) or isinstance(frames, bool)
    if bad_type or frames < 1 or (frames - 1) % VAE_TEMPORAL != 0:
        raise ValueError(
            f"frames must be of the form 4k+1 (1, 5, 9, ..., 81), got {frames!r}: the VAE "
            "compresses time 4x after the first frame"
        )
    if frames > MAX_FRAMES:
        raise ValueError(
            f"frames must be at most {MAX_FRAMES}, got {frames}: Wan 2.1's RoPE table has "
            f"{ROPE_POSITIONS} positions per axis, so at most {ROPE_POSITIONS} latent frames "
            f"((frames - 1) / {VAE_TEMPORAL} + 1)"
        )
    height, width = RESOLUTIONS[resolution]
    t_lat = (frames - 1) // VAE_TEMPORAL + 1
    hl, wl = height // VAE_SPATIAL, width // VAE_SPATIAL
    pf, ph, pw = cfg.patch
    return Geometry(
        frames, height, width, (cfg.out_dim, t_lat, hl, wl), (t_lat // pf, hl // ph, wl // pw)
    )


# ---------------------------------------------------------------------------------------------
# Parameter shapes. Each entry: name -> (shape, tp_dim) where tp_dim is the dimension sharded
# over the "tp" axis (Megatron: column-parallel outputs, row-parallel inputs) or None.
# Block parameters are stacked over layers: their stored shape has a leading num_layers dim
# (tp_dim refers to the per-layer shape).


def nonblock_param_shapes(cfg: WanConfig) -> dict[str, tuple[tuple[int, ...], int | None]]:
    d = cfg.dim
    s: dict[str, tuple[tuple[int, ...], int | None]] = {
        "patch_w": ((cfg.patch_features, d), None),
        "patch_b": ((d,), None),
        "text_w1": ((cfg.text_dim, d), None),
        "text_b1": ((d,), None),
        "text_w2": ((d, d), None),
        "text_b2": ((d,), None),
        "time_w1": ((cfg.freq_dim, d), None),
        "time_b1": ((d,), None),
        "time_w2": ((d, d), None),
        "time_b2": ((d,), None),
        "tproj_w": ((d, 6 * d), None),
        "tproj_b": ((6 * d,), None),
        "head_w": ((d, cfg.out_dim * math.prod(cfg.patch)), None),
        "head_b": ((cfg.out_dim * math.prod(cfg.patch),), None),
        "head_mod": ((2, d), None),
    }
    if cfg.i2v:
        e = cfg.img_dim
        s.update(
            {
                "img_ln1_g": ((e,), None),
                "img_ln1_b": ((e,), None),
                "img_w1": ((e, e), None),
                "img_b1": ((e,), None),
                "img_w2": ((e, d), None),
                "img_b2": ((d,), None),
                "img_ln2_g": ((d,), None),
                "img_ln2_b": ((d,), None),
            }
        )
    return s


def block_param_shapes(cfg: WanConfig) -> dict[str, tuple[tuple[int, ...], int | None]]:
    d, f = cfg.dim, cfg.ffn_dim
    s: dict[str, tuple[tuple[int, ...], int | None]] = {"modulation": ((6, d), None)}
    for p in ("self", "cross"):
        s.update(
            {
                f"{p}_wq": ((d, d), 1),
                f"{p}_bq": ((d,), 0),
                f"{p}_wk": ((d, d), 1),
                f"{p}_bk": ((d,), 0),
                f"{p}_wv": ((d, d), 1),
                f"{p}_bv": ((d,), 0),
                f"{p}_wo": ((d, d), 0),
                f"{p}_bo": ((d,), None),
                f"{p}_norm_q": ((d,), 0),
                f"{p}_norm_k": ((d,), 0),
            }
        )
    s.update({"norm3_g": ((d,), None), "norm3_b": ((d,), None)})
    if cfg.i2v:
        s.update(
            {
                "cross_wk_img": ((d, d), 1),
                "cross_bk_img": ((d,), 0),
                "cross_wv_img": ((d, d), 1),
                "cross_bv_img": ((d,), 0),
                "cross_norm_k_img": ((d,), 0),
            }
        )
    s.update(
        {
            "ffn_w1": ((d, f), 1),
            "ffn_b1": ((f,), 0),
            "ffn_w2": ((f, d), 0),
            "ffn_b2": ((d,), None),
        }
    )
    return s


def param_count(cfg: WanConfig) -> dict[str, int]:
    blocks = cfg.num_layers * sum(math.prod(s) for s, _ in block_param_shapes(cfg).values())
    rest = sum(math.prod(s) for s, _ in nonblock_param_shapes(cfg).values())
    return {"blocks": blocks, "non_block": rest, "total": blocks + rest}


# ---------------------------------------------------------------------------------------------
# Reference FLOP formula (wan21.md section 4), multiply-add = 2 FLOPs, batch 1 per forward.


def forward_flops(cfg: WanConfig, tokens: int) -> dict[str, int]:
    """Matmul FLOPs of one forward pass by term. ``reference`` is wan21.md's formula (text
    context; I2V adds its image cross-attention terms, a 36-channel patch embedding and the image
    MLP); ``time_embedding`` is the small per-sample time MLP the formula leaves out."""
    L, d, f, lt = tokens, cfg.dim, cfg.ffn_dim, cfg.text_len
    block = 12 * L * d * d + 4 * L * d * f + 4 * L * L * d + 4 * L * lt * d + 4 * lt * d * d
    if cfg.i2v:
        block += 4 * L * cfg.img_len * d + 4 * cfg.img_len * d * d
    patch = 2 * L * cfg.patch_features * d
    head = 2 * L * d * cfg.out_dim * math.prod(cfg.patch)
    text = 2 * lt * (cfg.text_dim * d + d * d)
    image = 2 * cfg.img_len * (cfg.img_dim * cfg.img_dim + cfg.img_dim * d) if cfg.i2v else 0
    reference = cfg.num_layers * block + patch + head + text + image
    time = 2 * (cfg.freq_dim * d + d * d + d * 6 * d)
    return {
        "per_block": block,
        "self_attention_quadratic_per_block": 4 * L * L * d,
        "embed_head_context": patch + head + text + image,
        "reference": reference,
        "time_embedding": time,
    }


def model_info(model: str, resolution: str, frames: int = 81) -> dict:
    cfg = get_config(model)
    g = geometry(model, resolution, frames)
    params = param_count(cfg)
    fl = forward_flops(cfg, g.tokens)
    return {
        "model": model,
        "resolution": resolution,
        "frames": frames,
        "video_hw": [g.height, g.width],
        "latent_shape": list(g.latent),
        "token_grid": list(g.grid),
        "tokens": g.tokens,
        "context_tokens": cfg.context_len,
        "params": params["total"],
        "params_blocks": params["blocks"],
        "params_non_block": params["non_block"],
        "weight_bytes_bf16": 2 * params["total"],
        "dim": cfg.dim,
        "ffn_dim": cfg.ffn_dim,
        "num_heads": cfg.num_heads,
        "head_dim": cfg.head_dim,
        "num_layers": cfg.num_layers,
        "in_dim": cfg.in_dim,
        "flops_per_block": fl["per_block"],
        "flops_per_forward": fl["reference"],
        "flops_per_step": 2 * fl["reference"],
        "flops_note": "reference formula (wan21.md section 4): matmul FLOPs, 2 per multiply-add; "
        "one step = 2 forwards (classifier-free guidance)",
    }
