"""Every parallel strategy family, with and without weight sharding, and hybrids give the
one-device output on the tiny config (8 XLA CPU devices from conftest).

Tolerance: in float32 the sharded step may differ from the one-device step only by reduction
order (psum partial sums, ring/online-softmax fold order), so the max abs error must be below
5e-5 x max|output| (observed about 4e-6). In bfloat16 (the production dtype) the bound is 3e-2 x
max|output| (bf16 has 8 mantissa bits; matmul outputs are rounded differently per shard).
"""

import jax
import numpy as np
import pytest
from jax.sharding import Mesh

from aoizora.models import Candidate
from aoizora.models.wan.step import step_concrete, step_lowerable

TINY, RES, FRAMES = "wan2.1-tiny", "tiny", 9  # latent (16, 3, 12, 20), 180 tokens
FP32_RTOL = 5e-5
BF16_RTOL = 3e-2


def _mesh(c: Candidate) -> Mesh:
    n = c.num_devices()
    devices = np.array(jax.devices()[:n]).reshape(c.mesh_shape())
    return Mesh(devices, c.axis_names())


def _run(model: str, label: str, dtype: str = "float32") -> np.ndarray:
    c = Candidate.parse(label)
    fn, args = step_concrete(model, RES, FRAMES, c, _mesh(c), seed=0, dtype=dtype)
    return np.asarray(fn(*args))


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return _run(TINY, "")


@pytest.mark.parametrize(
    "label",
    [
        "cfg=2",
        "ulysses=4",
        "ulysses=4|w:ulysses",
        "ring=8|w:ring",  # 180 tokens padded to 184: masked padding keys, ring of 8
        "ring=3",  # no padding
        "kv_gather=8",
        "kv_gather=4|w:kv_gather",
        "tp=4",
        "cfg=2,ring=2,ulysses=2|w:cfg,ring,ulysses",  # USP + CFG, weights over all axes
        "cfg=2,ulysses=2,tp=2|w:ulysses",
        "ring=4,tp=2|w:ring",
        "kv_gather=2,ulysses=2,tp=2",
        "cfg=2,kv_gather=4|w:kv_gather",  # MaxDiffusion defaults on 8 chips
    ],
)
def test_strategy_matches_one_device(reference, label):
    out = _run(TINY, label)
    assert out.shape == (1, 16, 3, 12, 20)
    assert np.all(np.isfinite(out))
    err = float(np.abs(out - reference).max())
    assert err <= FP32_RTOL * float(np.abs(reference).max()), f"{label}: max abs err {err}"


def test_reference_is_sensitive(reference):
    # The comparison above would catch a swapped CFG pair or a token permutation: the guided
    # output differs from the unguided one and changes with the text context.
    assert float(np.abs(reference).max()) > 0.5
    other = _run_with_ctx_scale(0.0)
    assert float(np.abs(other - reference).max()) > 0.1 * float(np.abs(reference).max())


def _run_with_ctx_scale(scale: float) -> np.ndarray:
    c = Candidate.parse("")
    fn, args = step_concrete(TINY, RES, FRAMES, c, _mesh(c), seed=0, dtype="float32")
    params, latent, t, ctx = args
    return np.asarray(fn(params, latent, t, ctx * scale))


def test_i2v_hybrid_matches_one_device():
    ref = _run("wan2.1-tiny-i2v", "")
    out = _run("wan2.1-tiny-i2v", "cfg=2,ring=2,ulysses=2|w:ring")
    assert float(np.abs(out - ref).max()) <= FP32_RTOL * float(np.abs(ref).max())


def test_bf16_hybrid_matches_one_device():
    ref = _run(TINY, "", dtype="bfloat16")
    out = _run(TINY, "cfg=2,ulysses=2,tp=2|w:cfg,ulysses", dtype="bfloat16")
    assert np.all(np.isfinite(ref))
    assert float(np.abs(out - ref).max()) <= BF16_RTOL * float(np.abs(ref).max())


def test_mesh_must_match_candidate():
    c = Candidate.parse("ulysses=4")
    wrong = Mesh(np.array(jax.devices()[:4]).reshape(4), ("ring",))
    with pytest.raises(ValueError, match="do not match candidate"):
        step_lowerable(TINY, RES, FRAMES, c, wrong)


def test_invalid_candidate_rejected():
    c = Candidate.parse("ulysses=8")
    with pytest.raises(ValueError, match="does not divide"):
        step_lowerable(TINY, RES, FRAMES, c, _mesh(c))
