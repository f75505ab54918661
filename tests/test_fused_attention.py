"""The fused (Pallas) attention path: its merge logic on CPU with the plain-JAX block stand-in,
and its Pallas wiring (padding, segment ids, residuals) through real TPU ahead-of-time compiles.
The kernel itself has no CPU lowering, so its numerics are the kernel's own (jax's tests)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from aoizora.models.attention import (
    fused_local_attention,
    fused_ring_attention,
    local_attention,
    pallas_block_attention,
    reference_block_attention,
    splash_block_attention,
    splash_block_sizes,
)


def _inputs(lq, lk, seed=0):
    rng = np.random.default_rng(seed)
    return [jnp.asarray(rng.standard_normal((2, n, 3, 16)), jnp.float32) for n in (lq, lk, lk)]


@pytest.mark.parametrize("lq,lk,n_valid", [(37, 53, 53), (40, 64, 50)])
def test_fused_local_attention_equals_blockwise(lq, lk, n_valid):
    q, k, v = _inputs(lq, lk)
    valid = jnp.arange(lk) < n_valid
    fused = fused_local_attention(q, k, v, valid, block=reference_block_attention)
    blockwise = local_attention(q, k, v, valid, q_chunk=16, kv_chunk=8, unroll=False)
    np.testing.assert_allclose(np.asarray(fused), np.asarray(blockwise), atol=2e-5)


@pytest.mark.parametrize("size,n_valid", [(4, 64), (4, 41), (2, 20)])
def test_fused_ring_attention_merges_hops_into_full_attention(size, n_valid):
    """Each of `size` CPU devices keeps 16 queries; K/V blocks travel the ring and the hops'
    (output, log-sum-exp) pairs are merged. Keys past n_valid (sequence padding) are masked;
    with n_valid=41 the last device's block is mostly padding, with 20 of 32 (size 2) the
    second block is entirely padding."""
    block = 16
    total = size * block
    q, k, v = _inputs(total, total, seed=size)
    devices = np.array(jax.devices("cpu")[:size])
    mesh = Mesh(devices, ("ring",))
    spec = P(None, "ring", None, None)

    def valid_of_block(src):
        return (src * block + jnp.arange(block)) < n_valid

    ring = functools.partial(
        fused_ring_attention,
        axis="ring",
        size=size,
        valid_of_block=valid_of_block,
        unroll=False,
        block=reference_block_attention,
    )
    # check_vma=False as in the model's step (wan21_step.build_step).
    f = jax.jit(
        jax.shard_map(ring, mesh=mesh, in_specs=(spec,) * 3, out_specs=spec, check_vma=False)
    )
    out = f(*(jax.device_put(x, NamedSharding(mesh, spec)) for x in (q, k, v)))
    full = local_attention(
        q, k, v, jnp.arange(total) < n_valid, q_chunk=16, kv_chunk=16, unroll=False
    )
    np.testing.assert_allclose(np.asarray(out), np.asarray(full), atol=2e-5)


@pytest.mark.parametrize("lq,lk,masked", [(200, 300, True), (256, 512, False)])
def test_pallas_block_compiles_for_tpu(lq, lk, masked):
    """The real kernel call (lengths padded to 128-token blocks, segment ids for padded or
    invalid keys, residuals kept) lowers and compiles for a v5e chip; its outputs have the
    merge's shapes and the compiled module carries the kernel's cost estimate."""
    from aoizora import _core

    lowered = _lower_block_for_v5e(
        lambda q, k, v, valid: pallas_block_attention(q, k, v, valid), lq, lk, masked
    )
    compiled = lowered.compile()
    text = compiled.as_text()
    assert "tpu_custom_call" in text
    analysis = _core.analyze_compiled_hlo(text, "pallas_block")
    # The kernel runs over the padded lengths: 4 x B x H x Lq_pad x Lk_pad x d FLOPs of matmul.
    padded = 4 * 1 * 2 * (-(-lq // 128) * 128) * (-(-lk // 128) * 128) * 128
    assert analysis["flops"] >= padded


def test_pallas_attention_needs_the_tpu_compiler_and_a_known_name():
    from aoizora.planner import PlanRequest

    with pytest.raises(ValueError, match="needs --compiler tpu"):
        PlanRequest(attention="pallas", compiler="cpu").validate()
    with pytest.raises(ValueError, match="unknown attention 'flash'"):
        PlanRequest(attention="flash").validate()
    PlanRequest(attention="pallas").validate()


def test_lowered_digest_ignores_only_pallas_kernel_bodies():
    """The planner lowers against an AbstractMesh, the compile worker against the slice's
    devices; Pallas kernel bodies differ between the two, the rest of the text does not."""
    from aoizora.compiler.cache import lowered_text_digest, sha256_text

    a = 'x = custom-call(), backend_config={"custom_call_config": {"body": "QUJD", "cost": 1}}'
    b = a.replace("QUJD", "REVGRw==")
    assert lowered_text_digest(a) == lowered_text_digest(b)
    assert lowered_text_digest(a) != lowered_text_digest(a.replace('"cost": 1', '"cost": 2'))
    plain = "ENTRY e { ROOT p = f32[] parameter(0) }"
    assert lowered_text_digest(plain) == sha256_text(plain)


def test_wan_workload_default_is_unchanged_and_pallas_is_recorded():
    from aoizora.models.wan.workload import wan_workload

    plain = wan_workload("wan2.1-tiny", "480p")
    assert "attention" not in plain.kwargs_dict()
    assert wan_workload("wan2.1-tiny", "480p", attention="pallas").kwargs_dict()["attention"] == (
        "pallas"
    )
    with pytest.raises(ValueError, match="allowed: splash, pallas, jax"):
        wan_workload("wan2.1-tiny", "480p", attention="cudnn")


@pytest.mark.parametrize("lq,lk,masked", [(1000, 1300, True), (512, 512, False)])
def test_splash_block_compiles_for_tpu(lq, lk, masked):
    """The splash kernel call (q pre-scaled, lengths padded to its blocks, segment ids for padded
    or invalid keys, the log-sum-exp residual kept) compiles for a v5e chip with the merge's
    shapes, and the analyzer costs it from its shapes (splash declares no cost estimate)."""
    from aoizora import _core

    lowered = _lower_block_for_v5e(
        lambda q, k, v, valid: splash_block_attention(q, k, v, valid, generation="v5e"),
        lq,
        lk,
        masked,
    )
    text = lowered.compile().as_text()
    assert "splash_mha_fwd" in text
    bq, bkv, _ = splash_block_sizes("v5e", lq, lk, probe=False)
    padded_q, padded_kv = -(-lq // bq) * bq, -(-lk // bkv) * bkv
    analysis = _core.analyze_compiled_hlo(text, "splash_block")
    assert analysis["flops"] >= 4 * 2 * padded_q * padded_kv * 128


def test_splash_blocks_are_balanced_capped_and_known_per_generation():
    # Published caps (v6e 3024/2048/1024), balanced: 4725 queries -> two blocks of 2432.
    assert splash_block_sizes("v6e", 4725, 75600, probe=False) == (2432, 2048, 1024)
    # Short sequences take one block rounded to the 128 lanes.
    assert splash_block_sizes("v5e", 300, 512, probe=False) == (384, 512, 512)
    for gen in ("v4", "v5e", "v5p", "v6e", "tpu7x"):
        bq, bkv, bkvc = splash_block_sizes(gen, 18900, 75600, probe=False)
        assert bq % 128 == 0 and bkvc % 128 == 0 and bkv % bkvc == 0
    with pytest.raises(ValueError, match="'v3'"):
        splash_block_sizes("v3", 128, 128)


def test_splash_blocks_shrink_until_libtpu_fits_them():
    """TPU7x's published 4864-query blocks exceed libtpu's default scoped VMEM at 1024-key
    compute blocks: the probe halves the query block until the kernel compiles."""
    unprobed = splash_block_sizes("tpu7x", 18900, 75600, probe=False)
    probed = splash_block_sizes("tpu7x", 18900, 75600)
    assert probed[0] < unprobed[0]
    assert probed[1:] == unprobed[1:]


def test_default_attention_is_what_users_run():
    from aoizora.models.wan.workload import wan_workload
    from aoizora.planner import PlanRequest

    tpu = PlanRequest(compiler="tpu")
    tpu.validate()
    assert tpu.attention == "splash"
    cpu = PlanRequest(compiler="cpu")
    cpu.validate()
    assert cpu.attention == "jax"
    with pytest.raises(ValueError, match="needs --compiler tpu"):
        PlanRequest(attention="splash", compiler="cpu").validate()
    with pytest.raises(ValueError, match="TPU generation"):
        wan_workload("wan2.1-tiny", "480p", attention="splash")
    kwargs = wan_workload("wan2.1-tiny", "480p", attention="splash", tpu_generation="v6e")
    assert kwargs.kwargs_dict()["tpu_generation"] == "v6e"


def _lower_block_for_v5e(block, lq, lk, masked):
    """``block(q, k, v, valid)`` lowered for one v5e chip (q (1, lq, 2, 128), k/v (1, lk, 2, 128),
    bf16; the last 7 keys invalid when ``masked``); checks the outputs have the merge's shapes."""
    from aoizora.compiler.tpu_topology import tpu_devices

    sharding = jax.sharding.SingleDeviceSharding(tpu_devices("v5e:2x2")[0])
    q = jax.ShapeDtypeStruct((1, lq, 2, 128), jnp.bfloat16, sharding=sharding)
    kv = jax.ShapeDtypeStruct((1, lk, 2, 128), jnp.bfloat16, sharding=sharding)

    def fn(q, k, v):
        return block(q, k, v, (jnp.arange(lk) < lk - 7) if masked else None)

    lowered = jax.jit(fn).trace(q, kv, kv).lower(lowering_platforms=("tpu",))
    o, lse = lowered.out_info
    assert o.shape == (1, lq, 2, 128) and o.dtype == jnp.float32
    assert lse.shape == (1, 2, lq) and lse.dtype == jnp.float32
    return lowered
