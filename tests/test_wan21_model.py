"""Wan 2.1 forward: FLOPs against the reference formula, and the building blocks against direct
re-statements of wan21.md section 2 (dense softmax, complex RoPE, Conv3d patch embedding)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AbstractMesh, Mesh

from aoizora.models import Candidate
from aoizora.models.attention import chunking, local_attention
from aoizora.models.flop_count import jaxpr_dot_flops
from aoizora.models.wan.config import forward_flops, geometry, get_config
from aoizora.models.wan.model import _patchify, apply_rope, rope_cos_sin, sinusoid, unpatchify
from aoizora.models.wan.step import build_step, step_lowerable

SINGLE = Candidate.parse("")


def _single_mesh() -> Mesh:
    return Mesh(np.array(jax.devices()[:1]).reshape(()), ())


def _step_flops_formula(model: str, tokens: int) -> int:
    fl = forward_flops(get_config(model), tokens)
    return 2 * (fl["reference"] + fl["time_embedding"])  # two CFG passes


@pytest.mark.parametrize(
    "model,resolution",
    [
        ("wan2.1-tiny", "tiny"),
        ("wan2.1-t2v-1.3b", "480p"),
        ("wan2.1-t2v-14b", "720p"),
        ("wan2.1-i2v-14b", "480p"),
    ],
)
def test_traced_matmul_flops_equal_formula(model, resolution):
    # Every dot of the traced step (scan bodies x trip counts) against wan21.md's per-block and
    # per-forward formula, plus the per-sample time MLP the formula leaves out. Exact.
    frames = 9 if resolution == "tiny" else 81
    fn, args = step_lowerable(model, resolution, frames, SINGLE, _single_mesh())
    counted = jaxpr_dot_flops(jax.make_jaxpr(fn)(*args))
    assert counted == _step_flops_formula(model, geometry(model, resolution, frames).tokens)


def test_tiny_i2v_flops_include_padded_image_keys():
    # 257 image tokens in kv chunks of <= 64: 5 chunks of 52 = 260 keys, 3 of them padding
    # (masked, but their q.k and p.v products are computed): 4*L*3*D per layer per forward.
    cfg = get_config("wan2.1-tiny-i2v")
    assert chunking(257, 64) == (5, 52)
    fn, args = step_lowerable("wan2.1-tiny-i2v", "tiny", 9, SINGLE, _single_mesh())
    counted = jaxpr_dot_flops(jax.make_jaxpr(fn)(*args))
    padding = 2 * cfg.num_layers * 4 * 180 * 3 * cfg.dim
    assert counted == _step_flops_formula("wan2.1-tiny-i2v", 180) + padding


def test_xla_cost_analysis_flops_match_formula():
    # XLA counts a while body once, so every scan is unrolled here (tiny config, one device).
    # XLA's count adds elementwise work (norms, softmax exp, RoPE) to the matmuls: it must lie
    # within 3% above the matmul formula (measured: +1.05%).
    fn, _, _, _ = build_step("wan2.1-tiny", "tiny", 9, SINGLE, _single_mesh(), unroll=True)
    _, args = step_lowerable("wan2.1-tiny", "tiny", 9, SINGLE, _single_mesh())
    xla = fn.lower(*args).compile().cost_analysis()["flops"]
    ref = _step_flops_formula("wan2.1-tiny", 180)
    assert ref <= xla <= 1.03 * ref


def _dense_attention(q, k, v, valid):
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    s = np.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(q.shape[-1])
    s = np.where(valid[None, None, None, :], s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bhqk,bkhd->bqhd", p, v)


@pytest.mark.parametrize("lq,lk,n_valid", [(37, 53, 53), (40, 64, 50), (8, 17, 1)])
def test_blockwise_attention_equals_dense_softmax(lq, lk, n_valid):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, n, 3, 16)).astype(np.float32) for n in (lq, lk, lk))
    valid = np.arange(lk) < n_valid
    out = local_attention(
        jnp.asarray(q), jnp.asarray(k), jnp.asarray(v), jnp.asarray(valid),
        q_chunk=16, kv_chunk=8, unroll=False,
    )  # fmt: skip
    np.testing.assert_allclose(np.asarray(out), _dense_attention(q, k, v, valid), atol=2e-5)


def _reference_rope_freqs(max_len: int, head_dim: int) -> np.ndarray:
    """wan/modules/model.py rope_params for the three axes, as complex fp64 (1024, 64)."""

    def params(dim):
        inv = 1.0 / np.power(10000.0, np.arange(0, dim, 2).astype(np.float64) / dim)
        return np.exp(1j * np.outer(np.arange(max_len), inv))

    d = head_dim
    return np.concatenate(
        [params(d - 4 * (d // 6)), params(2 * (d // 6)), params(2 * (d // 6))], axis=1
    )


def test_rope_equals_complex_reference():
    grid, head_dim, heads = (3, 6, 10), 128, 2
    tokens = math.prod(grid)
    freqs = _reference_rope_freqs(1024, head_dim)
    c = head_dim // 2
    split = [c - 2 * (c // 3), c // 3, c // 3]
    assert split == [22, 21, 21]  # 44/42/42 real dims
    ff, fh, fw = np.split(freqs, np.cumsum(split)[:-1], axis=1)
    f, h, w = grid
    table = np.concatenate(
        [
            np.broadcast_to(ff[:f, None, None, :], (f, h, w, split[0])),
            np.broadcast_to(fh[None, :h, None, :], (f, h, w, split[1])),
            np.broadcast_to(fw[None, None, :w, :], (f, h, w, split[2])),
        ],
        axis=-1,
    ).reshape(tokens, c)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, tokens + 4, heads, head_dim)).astype(np.float32)  # 4 pad rows
    xc = x[0, :tokens].astype(np.float64).reshape(tokens, heads, c, 2)
    expect = (xc[..., 0] + 1j * xc[..., 1]) * table[:, None, :]
    expect = np.stack([expect.real, expect.imag], axis=-1).reshape(tokens, heads, head_dim)
    cos, sin = rope_cos_sin(jnp.arange(tokens + 4), grid, tokens, head_dim)
    got = np.asarray(apply_rope(jnp.asarray(x), cos, sin))
    np.testing.assert_allclose(got[0, :tokens], expect, atol=2e-5)
    np.testing.assert_array_equal(got[0, tokens:], x[0, tokens:])  # padding rows untouched


def test_patch_embedding_equals_conv3d():
    # Conv3d(C -> D, kernel = stride = (1, 2, 2)) written out as a sum, against tokens @ W^T.
    cfg = get_config("wan2.1-tiny")
    geo = geometry("wan2.1-tiny", "tiny", 9)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, *geo.latent)).astype(np.float32)  # (1, 16, 3, 12, 20)
    d = 8
    w = rng.standard_normal((d, 16, 1, 2, 2)).astype(np.float32)
    f, h, wd = geo.grid
    conv = np.zeros((d, f, h, wd))
    for q in range(2):
        for r in range(2):
            conv += np.einsum("dc,cfhw->dfhw", w[:, :, 0, q, r], x[0, :, :, q::2, r::2])
    tokens = np.asarray(_patchify(jnp.asarray(x), cfg, geo))[0] @ w.reshape(d, -1).T
    np.testing.assert_allclose(tokens, conv.reshape(d, -1).T, atol=1e-4)


def test_unpatchify_layout():
    # Feature index ((p*2 + q)*2 + r)*16 + c of token (i_f, i_h, i_w) lands at
    # (c, i_f, 2*i_h + q, 2*i_w + r).
    cfg = get_config("wan2.1-tiny")
    geo = geometry("wan2.1-tiny", "tiny", 9)
    f, h, w = geo.grid
    tok = np.arange(f * h * w * 64, dtype=np.float32).reshape(1, f * h * w, 64)
    out = np.asarray(unpatchify(jnp.asarray(tok), cfg, geo))
    assert out.shape == (1, *geo.latent)
    for i_f, i_h, i_w, q, r, c in [(0, 0, 0, 0, 0, 0), (2, 5, 9, 1, 1, 15), (1, 3, 4, 0, 1, 7)]:
        n = (i_f * h + i_h) * w + i_w
        assert out[0, c, i_f, 2 * i_h + q, 2 * i_w + r] == tok[0, n, (q * 2 + r) * 16 + c]


def test_time_sinusoid_cos_half_first():
    s = np.asarray(sinusoid(jnp.array([0.0, 1.0]), 256))
    np.testing.assert_array_equal(s[0], np.r_[np.ones(128), np.zeros(128)])
    omega = np.power(10000.0, -np.arange(128) / 128)
    np.testing.assert_allclose(s[1], np.r_[np.cos(omega), np.sin(omega)], atol=1e-6)


@pytest.mark.parametrize(
    "label,collective",
    [
        ("ulysses=4", "all-to-all"),
        ("ring=8", "collective-permute"),
        ("kv_gather=8", "all-gather"),
        ("tp=8", "all-reduce"),
    ],
)
def test_14b_720p_lowers_on_abstract_mesh(label, collective):
    # Production sizes lower from abstract shapes alone (no arrays), with the strategy's
    # collective explicit in the pre-compile HLO.
    c = Candidate.parse(label)
    mesh = AbstractMesh(c.mesh_shape(), c.axis_names())
    fn, args = step_lowerable("wan2.1-t2v-14b", "720p", 81, c, mesh)
    text = fn.trace(*args).lower(lowering_platforms=("tpu",)).as_text(dialect="hlo")
    assert f" {collective}(" in text
    params = args[0]
    assert sum(math.prod(x.shape) for x in jax.tree.leaves(params)) == 14288491584
