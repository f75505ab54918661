"""Blockwise attention in plain JAX: online softmax over K/V chunks, queries in chunks too, so no
L x L score matrix is ever materialised and every matmul stays a visible HLO dot.

Shapes: q (B, Lq, H, d), k and v (B, Lk, H, d); softmax in fp32, matmuls in the input dtype
with fp32 accumulation. Invalid keys (sequence padding) are masked with a large negative score;
an all-masked chunk is harmless because its weight is rescaled to zero once a valid key arrives
(every query sees at least one valid key).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

NEG_INF = -1e30


def chunking(n: int, target: int) -> tuple[int, int]:
    """(number of chunks, chunk size) covering ``n`` with chunks of at most ``target`` tokens.
    Prefers a chunk count that divides ``n`` exactly (no padded keys, so the matmul FLOPs are
    exactly the formula's); otherwise pads the last chunk."""
    base = max(1, math.ceil(n / target))
    for count in range(base, 2 * base + 1):
        if n % count == 0:
            return count, n // count
    return base, math.ceil(n / base)


def _pad_axis(x: jax.Array, axis: int, size: int) -> jax.Array:
    extra = size - x.shape[axis]
    if extra == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, extra)
    return jnp.pad(x, widths)


class OnlineSoftmax:
    """Running (max, sum, accumulator) per query chunk; K/V blocks are folded in one at a time."""

    def __init__(self, q: jax.Array, q_chunk: int, kv_chunk: int, unroll: bool) -> None:
        b, lq, h, d = q.shape
        self.lq, self.kv_chunk, self.unroll = lq, kv_chunk, unroll
        self.nq, self.cq = chunking(lq, q_chunk)
        qp = _pad_axis(q, 1, self.nq * self.cq)
        # (nq, B, cq, H, d): the scan runs over the leading chunk axis.
        self.q = jnp.moveaxis(qp.reshape(b, self.nq, self.cq, h, d), 1, 0)
        self.scale = 1.0 / math.sqrt(d)

    def init(self) -> tuple[jax.Array, jax.Array, jax.Array]:
        _, b, cq, h, d = self.q.shape
        m = jnp.full((self.nq, b, h, cq), NEG_INF, jnp.float32)
        return m, jnp.zeros_like(m), jnp.zeros((self.nq, b, cq, h, d), jnp.float32)

    def fold(self, state, k: jax.Array, v: jax.Array, valid: jax.Array | None):
        """Fold keys/values (B, Lk, H, d) with optional key validity (Lk,) into ``state``."""
        b, lk, h, d = k.shape
        nk, ck = chunking(lk, self.kv_chunk)
        if nk * ck != lk:
            valid = jnp.arange(lk) < lk if valid is None else valid
            valid = _pad_axis(valid, 0, nk * ck)
            k, v = _pad_axis(k, 1, nk * ck), _pad_axis(v, 1, nk * ck)
        kc = jnp.moveaxis(k.reshape(b, nk, ck, h, d), 1, 0)
        vc = jnp.moveaxis(v.reshape(b, nk, ck, h, d), 1, 0)
        validc = None if valid is None else valid.reshape(nk, ck)
        scale = self.scale

        def kv_step(carry, xs):
            m, lsum, acc, qi = carry
            kj, vj, ok = xs
            s = jnp.einsum("bqhd,bkhd->bhqk", qi, kj, preferred_element_type=jnp.float32)
            s = s * scale
            if ok is not None:
                s = jnp.where(ok[None, None, None, :], s, NEG_INF)
            m_new = jnp.maximum(m, s.max(axis=-1))
            p = jnp.exp(s - m_new[..., None])
            corr = jnp.exp(m - m_new)
            l_new = lsum * corr + p.sum(axis=-1)
            pv = jnp.einsum(
                "bhqk,bkhd->bqhd", p.astype(vj.dtype), vj, preferred_element_type=jnp.float32
            )
            acc_new = acc * jnp.transpose(corr, (0, 2, 1))[..., None] + pv
            return (m_new, l_new, acc_new, qi), None

        def q_step(_, xs):
            qi, m, lsum, acc = xs
            (m, lsum, acc, _), _ = jax.lax.scan(
                kv_step, (m, lsum, acc, qi), (kc, vc, validc), unroll=self.unroll
            )
            return None, (m, lsum, acc)

        m, lsum, acc = state
        _, new_state = jax.lax.scan(q_step, None, (self.q, m, lsum, acc), unroll=self.unroll)
        return new_state

    def finish(self, state, dtype) -> jax.Array:
        _, lsum, acc = state
        out = acc / jnp.transpose(lsum, (0, 1, 3, 2))[..., None]
        nq, b, cq, h, d = out.shape
        out = jnp.moveaxis(out, 0, 1).reshape(b, nq * cq, h, d)[:, : self.lq]
        return out.astype(dtype)


def local_attention(q, k, v, valid, *, q_chunk: int, kv_chunk: int, unroll: bool) -> jax.Array:
    """softmax(q k^T / sqrt(d)) v over all of k, blockwise."""
    osm = OnlineSoftmax(q, q_chunk, kv_chunk, unroll)
    return osm.finish(osm.fold(osm.init(), k, v, valid), q.dtype)


def ring_attention(
    q,
    k,
    v,
    *,
    axis: str,
    size: int,
    valid_of_block: Callable[[jax.Array], jax.Array | None],
    q_chunk: int,
    kv_chunk: int,
    unroll: bool,
) -> jax.Array:
    """Ring attention inside shard_map: each device keeps its queries; the K/V blocks travel
    ``size - 1`` hops round the ``axis`` ring (collective-permute i -> i+1) and are folded into the
    online softmax as they arrive. ``valid_of_block(src)`` gives the key validity of the block
    that started on ring position ``src`` (None: all valid)."""
    osm = OnlineSoftmax(q, q_chunk, kv_chunk, unroll)
    state = ring_fold(
        osm.init(),
        k,
        v,
        lambda st, kb, vb, src: osm.fold(st, kb, vb, valid_of_block(src)),
        axis=axis,
        size=size,
        unroll=unroll,
    )
    return osm.finish(state, q.dtype)


def ring_fold(state, k, v, fold, *, axis: str, size: int, unroll: bool):
    """The ring traversal both ring attentions share: ``fold(state, k_block, v_block, src)`` for
    the local block and the ``size - 1`` blocks that arrive over the ``axis`` ring (each hop a
    collective-permute i -> i+1 after the fold, so the transfer overlaps it); ``src`` is the ring
    position the block started on."""
    me = jax.lax.axis_index(axis)
    perm = [(i, (i + 1) % size) for i in range(size)]

    def hop(carry, step):
        state, kb, vb = carry
        state = fold(state, kb, vb, (me - step) % size)
        kb = jax.lax.ppermute(kb, axis, perm)
        vb = jax.lax.ppermute(vb, axis, perm)
        return (state, kb, vb), None

    (state, k, v), _ = jax.lax.scan(hop, (state, k, v), jnp.arange(size - 1), unroll=unroll)
    return fold(state, k, v, (me - (size - 1)) % size)


# ---------------------------------------------------------------------------------------------
# Fused attention: the Pallas TPU flash-attention kernel (jax.experimental.pallas.ops.tpu), one
# kernel per (q block, K/V block) pair. The kernel keeps the score tiles in VMEM, so the step's
# attention costs its FLOPs at the kernel's efficiency instead of HBM round trips. It has no CPU
# lowering: TPU ahead-of-time compiles only (the merge logic below is tested on CPU with
# ``reference_block_attention``).

ATTENTION_IMPLS = ("splash", "pallas", "jax")
FUSED_IMPLS = ("splash", "pallas")  # Pallas TPU kernels: no CPU lowering
_PALLAS_BLOCK = 128  # the flash kernel's default block sizes; K/V lengths must be a multiple


def default_attention(compiler: str) -> str:
    """What a user runs: the splash kernel on TPU (MaxDiffusion, the torchax ports), plain-JAX
    blockwise attention where no TPU kernel can lower (the CPU compiler)."""
    return "splash" if compiler == "tpu" else "jax"


def check_attention_impl(impl: str, compiler: str = "tpu") -> str:
    """``impl`` if it is known and ``compiler`` can build it (the Pallas kernels are TPU-only)."""
    if impl not in ATTENTION_IMPLS:
        raise ValueError(f"unknown attention {impl!r}; allowed: {', '.join(ATTENTION_IMPLS)}")
    if impl in FUSED_IMPLS and compiler != "tpu":
        raise ValueError(
            f"--attention {impl} needs --compiler tpu (the kernel has no CPU lowering); "
            "use --attention jax with the CPU compiler"
        )
    return impl


# Splash block sizes per TPU generation: (block_q, block_kv, block_kv_compute), the largest a block
# may be. Sources (shared/reference/wan21.md section 6, baselines.md): v6e 3024/2048/1024 are
# MaxDiffusion's suggested v6e values (base_wan_14b.yml comments, its README Wan 2.1 example);
# tpu7x 4864/1024/1024 is the Ironwood Wan 2.1 recipe (tpu-recipes run_recipe.sh); v4, v5e and
# v5p have no published tuned sizes, so they take MaxDiffusion's default 512 (the kernel's own
# default of 128 is far too small on v5e: E8, jax-ml/jax#24633).
def workload_kwargs(attention: str, tpu_generation: str) -> dict:
    """The compile workload's keyword arguments for an attention implementation: none for "jax"
    (so a plain-JAX workload keeps its original key), the implementation for the fused kernels,
    and the TPU generation that splash's block sizes need."""
    extra: dict = {}
    if check_attention_impl(attention) != "jax":
        extra["attention"] = attention
    if attention == "splash":
        if not tpu_generation:
            raise ValueError("splash attention needs the TPU generation for its block sizes")
        extra["tpu_generation"] = tpu_generation
    return extra


SPLASH_BLOCKS = {
    "v6e": (3024, 2048, 1024),
    "tpu7x": (4864, 1024, 1024),
    "v5e": (512, 512, 512),
    "v5p": (512, 512, 512),
    "v4": (512, 512, 512),
}
_LANE = 128  # splash blocks are multiples of the 128-lane tile


def _balanced_block(n: int, cap: int, unit: int) -> int:
    """The smallest multiple of ``unit`` such that ceil(n / cap) blocks of it cover ``n``: blocks
    of at most ``cap`` (rounded to ``unit``) with as little padding as balanced blocks allow."""
    count = max(1, -(-n // max(cap, unit)))
    return _round_up(-(-n // count), unit)


def splash_block_sizes(
    generation: str, q_len: int, kv_len: int, head_dim: int = 128, probe: bool = True
) -> tuple[int, int, int]:
    """(block_q, block_kv, block_kv_compute) for one splash call on ``generation``: the
    published tuned sizes as caps, balanced over the sequence so that padding stays small
    (e.g. 4725 local queries on v6e: two blocks of 2432, not one of 3024 plus 1701 padding).
    Published sizes assume a raised scoped-VMEM limit (a libtpu flag the recipes set); with
    ``probe`` the query block is halved until libtpu compiles the kernel within its default
    limit (one tiny one-device compile per block shape, cached)."""
    if generation not in SPLASH_BLOCKS:
        known = ", ".join(sorted(SPLASH_BLOCKS))
        raise ValueError(f"no splash block sizes for TPU generation {generation!r}; known: {known}")
    cap_q, cap_kv, cap_kv_compute = SPLASH_BLOCKS[generation]
    while True:
        block_q = _balanced_block(q_len, cap_q, _LANE)
        kv_compute = _balanced_block(kv_len, cap_kv_compute, _LANE)
        block_kv = _balanced_block(kv_len, cap_kv, kv_compute)  # a multiple of the compute block
        if (
            not probe
            or cap_q <= _LANE
            or _splash_fits(generation, block_q, block_kv, kv_compute, head_dim)
        ):
            return block_q, block_kv, kv_compute
        cap_q //= 2


_PROBE_SLICES = {
    "v4": "v4:2x2x1",
    "v5e": "v5e:2x2",
    "v5p": "v5p:2x2x1",
    "v6e": "v6e:2x2",
    "tpu7x": "tpu7x:2x2x1",
}


@functools.cache
def _splash_fits(generation: str, block_q: int, block_kv: int, kv_compute: int, head_dim: int):
    """Whether libtpu compiles one splash call with these blocks within its scoped VMEM."""
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    from aoizora.compiler.tpu_topology import tpu_devices

    device = tpu_devices(_PROBE_SLICES[generation])[0]
    one = NamedSharding(Mesh(np.array([device]), ("one",)), PartitionSpec())

    def arg(n):
        return jax.ShapeDtypeStruct((1, n, 1, head_dim), jnp.bfloat16, sharding=one)

    def call(q, k, v):
        return splash_block_attention(
            q, k, v, None, generation=generation, blocks=(block_q, block_kv, kv_compute)
        )

    try:
        jax.jit(call).lower(arg(block_q), arg(block_kv), arg(block_kv)).compile()
    except Exception as e:  # noqa: BLE001 - only the VMEM refusal means "does not fit"
        if "vmem" in str(e).lower():
            return False
        raise
    return True


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def pallas_block_attention(q, k, v, valid):
    """Softmax attention of q (B, Lq, H, d) over k, v (B, Lk, H, d) with key validity ``valid``
    (Lk,) or None, by one Pallas flash-attention call. Returns (o (B, Lq, H, d) f32, normalised;
    lse (B, H, Lq) f32, the log-sum-exp of the scaled scores) so blocks can be merged.

    Uses the kernel's residual-saving entry point (``_flash_attention_impl``, private in jax
    0.10.2, pinned in requirements.txt): the public one returns only o. Lengths are padded to the
    kernel's 128-token blocks; padded and invalid keys are masked by segment ids."""
    from jax.experimental.pallas.ops.tpu import flash_attention as fa

    b, lq, h, d = q.shape
    lk = k.shape[1]
    lq_p, lk_p = _round_up(lq, _PALLAS_BLOCK), _round_up(lk, _PALLAS_BLOCK)
    segments = None
    if valid is not None or lk_p != lk:
        ok = jnp.ones((lk,), jnp.int32) if valid is None else valid.astype(jnp.int32)
        ok = _pad_axis(ok, 0, lk_p)  # padding keys get segment 0, every query segment 1
        segments = fa.SegmentIds(
            q=jnp.ones((b, lq_p), jnp.int32), kv=jnp.broadcast_to(ok[None, :], (b, lk_p))
        )

    def heads_first(x, n):
        return jnp.transpose(_pad_axis(x, 1, n), (0, 2, 1, 3))

    o, l_sum, m_max = fa._flash_attention_impl(  # noqa: SLF001 - see the docstring
        heads_first(q, lq_p),
        heads_first(k, lk_p),
        heads_first(v, lk_p),
        None,
        segments,
        True,  # save_residuals: also return l and m
        False,  # causal
        1.0 / math.sqrt(d),
        1,
        _PALLAS_BLOCK,
        _PALLAS_BLOCK,
        _PALLAS_BLOCK,
        False,
    )
    o = jnp.transpose(o, (0, 2, 1, 3))[:, :lq].astype(jnp.float32)
    lse = (m_max + jnp.log(l_sum))[:, :, :lq]
    return o, lse


def splash_block_attention(q, k, v, valid, *, generation: str, blocks=None):
    """``pallas_block_attention`` with the splash kernel
    (jax.experimental.pallas.ops.tpu.splash_attention, what production TPU diffusion code runs),
    block sizes per ``generation`` (``splash_block_sizes``). q is pre-scaled by 1/sqrt(d) as
    MaxDiffusion does (the kernel applies no scale); padded and invalid keys are masked by segment
    ids; the kernel's residual (the log-sum-exp per query) makes hops mergeable."""
    from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_kernel as sk
    from jax.experimental.pallas.ops.tpu.splash_attention import splash_attention_mask as sm

    b, lq, h, d = q.shape
    lk = k.shape[1]
    block_q, block_kv, kv_compute = blocks or splash_block_sizes(generation, lq, lk, d)
    lq_p, lk_p = _round_up(lq, block_q), _round_up(lk, block_kv)
    mask = sm.MultiHeadMask([sm.FullMask((lq_p, lk_p)) for _ in range(h)])
    blocks = sk.BlockSizes(block_q=block_q, block_kv=block_kv, block_kv_compute=kv_compute)
    kernel = sk.make_splash_mha(
        mask, block_sizes=blocks, head_shards=1, q_seq_shards=1, save_residuals=True
    )
    segments = None
    if valid is not None or lk_p != lk:
        ok = jnp.ones((lk,), jnp.int32) if valid is None else valid.astype(jnp.int32)
        segments = sk.SegmentIds(q=jnp.ones((lq_p,), jnp.int32), kv=_pad_axis(ok, 0, lk_p))

    def heads_first(x, n):  # (B, L, H, d) -> (B, H, n, d)
        return jnp.transpose(_pad_axis(x, 1, n), (0, 2, 1, 3))

    qs = (q.astype(jnp.float32) / math.sqrt(d)).astype(q.dtype)
    qh, kh, vh = heads_first(qs, lq_p), heads_first(k, lk_p), heads_first(v, lk_p)
    o, (lse,) = jax.vmap(lambda a, bb, c: kernel(a, bb, c, segment_ids=segments))(qh, kh, vh)
    o = jnp.transpose(o, (0, 2, 1, 3))[:, :lq].astype(jnp.float32)
    return o, lse[:, :, :lq].astype(jnp.float32)


def reference_block_attention(q, k, v, valid):
    """``pallas_block_attention`` in plain JAX (dense scores): the CPU stand-in for tests."""
    d = q.shape[-1]
    s = jnp.einsum("bqhd,bkhd->bhqk", q, k, preferred_element_type=jnp.float32) / math.sqrt(d)
    if valid is not None:
        s = jnp.where(valid[None, None, None, :], s, NEG_INF)
    lse = jax.nn.logsumexp(s, axis=-1)
    p = jnp.exp(s - lse[..., None])
    o = jnp.einsum("bhqk,bkhd->bqhd", p.astype(v.dtype), v, preferred_element_type=jnp.float32)
    return o, lse


BlockFn = Callable[..., tuple[jax.Array, jax.Array]]


def merge_blocks(o_acc, lse_acc, o, lse):
    """Combine two normalised partial attentions over disjoint key sets by their log-sum-exps."""
    lse_new = jnp.logaddexp(lse_acc, lse)

    def weight(x):  # (B, H, Lq) -> (B, Lq, H, 1)
        return jnp.transpose(jnp.exp(x - lse_new), (0, 2, 1))[..., None]

    return o_acc * weight(lse_acc) + o * weight(lse), lse_new


def fused_local_attention(q, k, v, valid, *, block: BlockFn = pallas_block_attention):
    """softmax(q k^T / sqrt(d)) v over all of k with one fused kernel call."""
    o, _ = block(q, k, v, valid)
    return o.astype(q.dtype)


def fused_ring_attention(
    q,
    k,
    v,
    *,
    axis: str,
    size: int,
    valid_of_block: Callable[[jax.Array], jax.Array | None],
    unroll: bool,
    block: BlockFn = pallas_block_attention,
):
    """Ring attention (as ``ring_attention``) with one fused kernel call per hop; the hops'
    normalised outputs are merged by their log-sum-exps."""
    b, lq, h, d = q.shape

    def fold(state, kb, vb, src):
        return merge_blocks(*state, *block(q, kb, vb, valid_of_block(src)))

    init = (jnp.zeros((b, lq, h, d), jnp.float32), jnp.full((b, h, lq), -jnp.inf, jnp.float32))
    o_acc, _ = ring_fold(init, k, v, fold, axis=axis, size=size, unroll=unroll)
    return o_acc.astype(q.dtype)
