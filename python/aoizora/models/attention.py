"""Blockwise attention in plain JAX: online softmax over K/V chunks, queries in chunks too, so no
L x L score matrix is ever materialised and every matmul stays a visible HLO dot.

Shapes: q (B, Lq, H, d), k and v (B, Lk, H, d); softmax in fp32, matmuls in the input dtype
with fp32 accumulation. Invalid keys (sequence padding) are masked with a large negative score;
an all-masked chunk is harmless because its weight is rescaled to zero once a valid key arrives
(every query sees at least one valid key).
"""

from __future__ import annotations

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
    me = jax.lax.axis_index(axis)
    perm = [(i, (i + 1) % size) for i in range(size)]

    def hop(carry, step):
        state, kb, vb = carry
        src = (me - step) % size
        state = osm.fold(state, kb, vb, valid_of_block(src))
        kb = jax.lax.ppermute(kb, axis, perm)
        vb = jax.lax.ppermute(vb, axis, perm)
        return (state, kb, vb), None

    (state, k, v), _ = jax.lax.scan(hop, (osm.init(), k, v), jnp.arange(size - 1), unroll=unroll)
    state = osm.fold(state, k, v, valid_of_block((me - (size - 1)) % size))
    return osm.finish(state, q.dtype)
