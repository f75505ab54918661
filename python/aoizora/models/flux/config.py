"""FLUX.1 transformer configurations, resolutions, parameter shapes and the closed-form cost.

Pure Python (no JAX): parameter counts come from the shape tables, never from allocated arrays.

Facts, checked with the search tool against the public sources:
- ``black-forest-labs/flux`` ``src/flux/util.py`` (``configs["flux-dev"]`` /
  ``configs["flux-schnell"]``): in_channels 64, vec_in_dim 768, context_in_dim 4096,
  hidden_size 3072, mlp_ratio 4.0, num_heads 24, depth 19, depth_single_blocks 38,
  axes_dim [16, 56, 56], theta 10000, qkv_bias True; guidance_embed True for dev, False for
  schnell. The diffusers ``FluxTransformer2DModel`` config of ``black-forest-labs/FLUX.1-dev``
  (``transformer/config.json``) says the same in its own names (attention_head_dim 128,
  num_attention_heads 24, num_layers 19, num_single_layers 38, joint_attention_dim 4096,
  pooled_projection_dim 768, axes_dims_rope [16, 56, 56], guidance_embeds true).
- ``src/flux/model.py`` / ``src/flux/modules/layers.py``: ``img_in`` 64 -> d, ``txt_in`` 4096 -> d,
  ``time_in`` / ``guidance_in`` / ``vector_in`` MLPEmbedders (in -> d, SiLU, d -> d, biases),
  double blocks (per stream: Modulation d -> 6d, qkv d -> 3d with bias, QK RMSNorm per head
  (a scale of head_dim each), proj d -> d, MLP d -> 4d -> d), single blocks (Modulation d -> 3d,
  linear1 d -> 3d + 4d, QK RMSNorm, linear2 (d + 4d) -> d), LastLayer (adaLN d -> 2d, linear
  d -> 64). Every linear has a bias.
- T5 text tokens: ``src/flux/cli.py`` loads T5 with ``max_length=256 if name == "flux-schnell"
  else 512`` and pads every prompt to it, so a step always sees 512 (dev) / 256 (schnell) text
  tokens.
- Image tokens: the VAE downsamples 8x to 16 channels, ``sampling.prepare`` packs 2x2 latent
  patches into one 64-wide token: (H/16) x (W/16) tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ParamTable = dict[str, tuple[tuple[int, ...], int | None]]


@dataclass(frozen=True)
class FluxConfig:
    name: str
    dim: int  # hidden size d
    num_heads: int
    head_dim: int
    mlp_dim: int  # 4d
    num_double: int  # double-stream (MM-DiT) blocks
    num_single: int  # single-stream blocks
    text_len: int  # T5 tokens per prompt (padded to this length)
    guidance_embed: bool  # dev: the guidance scale is an input embedding
    in_dim: int = 64  # 16 latent channels x 2 x 2 packing
    text_dim: int = 4096  # T5-XXL width
    vec_dim: int = 768  # pooled CLIP-L
    freq_dim: int = 256  # sinusoidal timestep / guidance embedding width
    rope_axes: tuple[int, int, int] = (16, 56, 56)
    rope_theta: float = 10000.0
    eps: float = 1e-6
    # Blockwise attention chunk targets (tokens); the real chunk is ceil(len / ceil(len/target)).
    q_chunk: int = 2048
    kv_chunk: int = 1024

    @property
    def out_dim(self) -> int:
        return self.in_dim  # the velocity of every packed latent value


def _production(name: str, text_len: int, guidance_embed: bool) -> FluxConfig:
    return FluxConfig(name, 3072, 24, 128, 12288, 19, 38, text_len, guidance_embed)


MODELS: dict[str, FluxConfig] = {
    "flux.1-dev": _production("flux.1-dev", 512, True),
    "flux.1-schnell": _production("flux.1-schnell", 256, False),
    # Test config (not upstream): 8 heads allow ulysses*tp up to 8; head_dim 32 splits RoPE
    # (8, 12, 12) like the production (16, 56, 56) by axis; 20 text tokens and the 5 x 10 image
    # grid divide by none of 3, 4, 8, so sequence padding is exercised; small chunks exercise the
    # blockwise loops. Two blocks of each kind keep the layer scans real.
    "flux.1-tiny": FluxConfig(
        "flux.1-tiny",
        dim=256,
        num_heads=8,
        head_dim=32,
        mlp_dim=1024,
        num_double=2,
        num_single=2,
        text_len=20,
        guidance_embed=True,
        text_dim=64,
        vec_dim=32,
        rope_axes=(8, 12, 12),
        q_chunk=32,
        kv_chunk=16,
    ),
}

# Pixel (height, width) per resolution name.
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "512": (512, 512),
    "1024": (1024, 1024),
    "1536": (1536, 1536),
    "tiny": (80, 160),  # latent 10 x 20, packed grid 5 x 10 = 50 image tokens
}
TINY_ONLY_RESOLUTIONS = ("tiny",)
VAE_SPATIAL = 8
LATENT_CHANNELS = 16
PACK = 2  # 2 x 2 latent patches per token
PIXELS_PER_TOKEN = VAE_SPATIAL * PACK  # 16


def model_names() -> list[str]:
    return list(MODELS)


def get_config(model: str) -> FluxConfig:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
    return MODELS[model]


def is_tiny(model: str) -> bool:
    return "tiny" in model


def resolutions_for(model: str) -> list[str]:
    get_config(model)
    return [r for r in RESOLUTIONS if is_tiny(model) or r not in TINY_ONLY_RESOLUTIONS]


def default_resolution(model: str) -> str:
    return "tiny" if is_tiny(model) else "1024"


@dataclass(frozen=True)
class Geometry:
    """Token geometry of one image and its prompt."""

    height: int
    width: int
    grid: tuple[int, int]  # packed image tokens (rows, columns)
    text_tokens: int

    @property
    def image_tokens(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def tokens(self) -> int:
        """Every token the joint attention sees per image: text + image."""
        return self.text_tokens + self.image_tokens

    @property
    def latent(self) -> tuple[int, int, int]:
        """(C, Hl, Wl) of the unpacked latent."""
        return (LATENT_CHANNELS, self.grid[0] * PACK, self.grid[1] * PACK)


def geometry(model: str, resolution: str) -> Geometry:
    cfg = get_config(model)
    allowed = resolutions_for(model)
    if resolution not in allowed:
        raise ValueError(
            f"unknown resolution {resolution!r} for {model}; allowed: {', '.join(allowed)}"
        )
    height, width = RESOLUTIONS[resolution]
    grid = (height // PIXELS_PER_TOKEN, width // PIXELS_PER_TOKEN)
    return Geometry(height, width, grid, cfg.text_len)


# ---------------------------------------------------------------------------------------------
# Parameter shapes. Each entry: name -> (shape, tp_dim): tp_dim is the dimension split over the
# "tp" axis (Megatron: column-parallel outputs, row-parallel inputs, the modulation outputs) or
# None. Block parameters are stacked over their blocks: the stored shape has a leading block
# count (tp_dim refers to the per-block shape). Fused projections keep their parts apart where
# the tp split needs it: qkv is (d, 3, d) so that a tp shard holds q, k and v of its own heads;
# the single block's linear1 (d -> 3d + 4d) is stored as its qkv part and its MLP part, and its
# linear2 ((d + 4d) -> d) as its attention rows and its MLP rows plus one bias: the same
# parameters and FLOPs as the fused matrices.


def _embedder(prefix: str, in_dim: int, d: int) -> ParamTable:
    """MLPEmbedder: in -> d, SiLU, d -> d, both with bias."""
    return {
        f"{prefix}_w1": ((in_dim, d), None),
        f"{prefix}_b1": ((d,), None),
        f"{prefix}_w2": ((d, d), None),
        f"{prefix}_b2": ((d,), None),
    }


def nonblock_param_shapes(cfg: FluxConfig) -> ParamTable:
    d = cfg.dim
    s: ParamTable = {
        "img_in_w": ((cfg.in_dim, d), None),
        "img_in_b": ((d,), None),
        "txt_in_w": ((cfg.text_dim, d), None),
        "txt_in_b": ((d,), None),
    }
    s.update(_embedder("time", cfg.freq_dim, d))
    if cfg.guidance_embed:
        s.update(_embedder("guidance", cfg.freq_dim, d))
    s.update(_embedder("vector", cfg.vec_dim, d))
    s.update(
        {
            "final_mod_w": ((d, 2 * d), None),
            "final_mod_b": ((2 * d,), None),
            "final_w": ((d, cfg.out_dim), None),
            "final_b": ((cfg.out_dim,), None),
        }
    )
    return s


def _attention_params(prefix: str, cfg: FluxConfig) -> ParamTable:
    d = cfg.dim
    return {
        f"{prefix}_wqkv": ((d, 3, d), 2),
        f"{prefix}_bqkv": ((3, d), 1),
        f"{prefix}_norm_q": ((cfg.head_dim,), None),  # QK RMSNorm per head
        f"{prefix}_norm_k": ((cfg.head_dim,), None),
    }


def double_param_shapes(cfg: FluxConfig) -> ParamTable:
    """One double-stream block: the image stream's and the text stream's own weights."""
    d, f = cfg.dim, cfg.mlp_dim
    s: ParamTable = {}
    for stream in ("img", "txt"):
        s.update(
            {
                f"{stream}_mod_w": ((d, 6 * d), 1),
                f"{stream}_mod_b": ((6 * d,), 0),
            }
        )
        s.update(_attention_params(stream, cfg))
        s.update(
            {
                f"{stream}_proj_w": ((d, d), 0),
                f"{stream}_proj_b": ((d,), None),
                f"{stream}_mlp_w1": ((d, f), 1),
                f"{stream}_mlp_b1": ((f,), 0),
                f"{stream}_mlp_w2": ((f, d), 0),
                f"{stream}_mlp_b2": ((d,), None),
            }
        )
    return s


def single_param_shapes(cfg: FluxConfig) -> ParamTable:
    d, f = cfg.dim, cfg.mlp_dim
    s: ParamTable = {"mod_w": ((d, 3 * d), 1), "mod_b": ((3 * d,), 0)}
    s.update(_attention_params("attn", cfg))
    s.update(
        {
            "mlp_in_w": ((d, f), 1),
            "mlp_in_b": ((f,), 0),
            "out_attn_w": ((d, d), 0),  # linear2's rows for the attention output
            "out_mlp_w": ((f, d), 0),  # linear2's rows for the MLP activation
            "out_b": ((d,), None),
        }
    )
    return s


def _table_params(table: ParamTable) -> int:
    return sum(math.prod(shape) for shape, _ in table.values())


def param_count(cfg: FluxConfig) -> dict[str, int]:
    double = _table_params(double_param_shapes(cfg))
    single = _table_params(single_param_shapes(cfg))
    rest = _table_params(nonblock_param_shapes(cfg))
    blocks = cfg.num_double * double + cfg.num_single * single
    return {
        "per_double_block": double,
        "per_single_block": single,
        "blocks": blocks,
        "non_block": rest,
        "total": blocks + rest,
    }


def closed_form_param_count(cfg: FluxConfig) -> int:
    """The parameter count written out from the configuration alone (no shape table): the
    independent check of :func:`param_count`'s tables."""
    d, f, hd = cfg.dim, cfg.mlp_dim, cfg.head_dim

    def linear(i: int, o: int) -> int:
        return i * o + o

    stream = linear(d, 6 * d) + linear(d, 3 * d) + 2 * hd + linear(d, d)
    stream += linear(d, f) + linear(f, d)
    single = linear(d, 3 * d) + linear(d, 3 * d + f) + 2 * hd + linear(d + f, d)
    embed = linear(cfg.in_dim, d) + linear(cfg.text_dim, d)
    mlp_embedders = 2 + (1 if cfg.guidance_embed else 0)  # time, vector (, guidance)
    embed += (mlp_embedders - 1) * (linear(cfg.freq_dim, d) + linear(d, d))
    embed += linear(cfg.vec_dim, d) + linear(d, d)
    final = linear(d, 2 * d) + linear(d, cfg.out_dim)
    return cfg.num_double * 2 * stream + cfg.num_single * single + embed + final


# ---------------------------------------------------------------------------------------------
# FLOPs: every matmul of one forward pass, 2 FLOPs per multiply-add, per image.


def forward_flops(cfg: FluxConfig, geo: Geometry) -> dict[str, int]:
    """Matmul FLOPs of one forward pass of one image, by term.

    Counted: every linear layer and both attention matmuls (Q K^T and P V) over the joint
    text + image sequence, 2 FLOPs per multiply-add. Token-wise linears run once per token: the
    double blocks' qkv, proj and MLP per stream (each token through its stream's weights), the
    single blocks' linear1 (d -> 3d + 4d) and linear2 ((d + 4d) -> d) on every joint token,
    ``img_in``, ``txt_in`` and the final linear on the image tokens. Per-image vectors: the
    time / guidance / pooled-text embedders and every modulation linear (one vector per image,
    almost free). Not counted: norms, RoPE, softmax, activations, residual adds (elementwise).
    """
    d, f = cfg.dim, cfg.mlp_dim
    n, nt, ni = geo.tokens, geo.text_tokens, geo.image_tokens
    token_linears = 2 * n * (4 * d * d + 2 * d * f)  # same in both block kinds (12 d^2 MACs)
    attention = 4 * n * n * d
    double_mod = 2 * 2 * d * 6 * d  # two streams
    single_mod = 2 * d * 3 * d
    embedders = 2 * ni * cfg.in_dim * d + 2 * nt * cfg.text_dim * d + 2 * ni * d * cfg.out_dim
    vectors = 2 * (cfg.freq_dim * d + d * d) + 2 * (cfg.vec_dim * d + d * d) + 2 * d * 2 * d
    if cfg.guidance_embed:
        vectors += 2 * (cfg.freq_dim * d + d * d)
    double = cfg.num_double * (token_linears + attention + double_mod)
    single = cfg.num_single * (token_linears + attention + single_mod)
    total = double + single + embedders + vectors
    return {
        "double_blocks": double,
        "single_blocks": single,
        "double_block_linears": cfg.num_double * token_linears,
        "single_block_linears": cfg.num_single * token_linears,
        "token_linears": (cfg.num_double + cfg.num_single) * token_linears,
        "attention": (cfg.num_double + cfg.num_single) * attention,
        "modulation": cfg.num_double * double_mod + cfg.num_single * single_mod,
        "embed_and_final": embedders + vectors,
        "total": total,
    }


FLOPS_NOTE = (
    "closed form from the config: every matmul of one forward pass (block linears per token, "
    "joint-attention QK^T and PV over text + image tokens, embedders, modulation, final layer), "
    "2 FLOPs per multiply-add, times the batch; one forward per step (guidance embedded or none, "
    "no CFG pair); elementwise work not counted"
)


def model_info(model: str, resolution: str, batch: int = 1) -> dict:
    cfg = get_config(model)
    geo = geometry(model, resolution)
    params = param_count(cfg)
    flops = forward_flops(cfg, geo)
    return {
        "model": model,
        "resolution": resolution,
        "frames": None,
        "batch": batch,
        "image_hw": [geo.height, geo.width],
        "latent_shape": list(geo.latent),
        "token_grid": list(geo.grid),
        "tokens": geo.tokens,
        "image_tokens": geo.image_tokens,
        "text_tokens": geo.text_tokens,
        "params": params["total"],
        "params_per_double_block": params["per_double_block"],
        "params_per_single_block": params["per_single_block"],
        "params_non_block": params["non_block"],
        "weight_bytes_bf16": 2 * params["total"],
        "dim": cfg.dim,
        "mlp_dim": cfg.mlp_dim,
        "num_heads": cfg.num_heads,
        "head_dim": cfg.head_dim,
        "num_double_blocks": cfg.num_double,
        "num_single_blocks": cfg.num_single,
        "guidance_embed": cfg.guidance_embed,
        "flops_per_forward": flops["total"],
        "flops_per_step": batch * flops["total"],
        "flops_attention_per_step": batch * flops["attention"],
        "flops_note": FLOPS_NOTE,
    }
