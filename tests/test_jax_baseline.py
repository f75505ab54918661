"""Baseline placements from the real JAX code (jax 0.10.2) on compile-only TPU devices, checked
against the worked examples of shared/reference/tpu-hardware.md section 5.8. Where JAX 0.10.2 with
libtpu's devices behaves differently from the reference's prediction, the test pins what JAX does
and docs/compilers.md records the difference."""

import itertools

import numpy as np
import pytest

from aoizora.baselines.jax_mesh import create_device_mesh_order, jax_orders, make_mesh_order
from aoizora.compiler import env

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")


def _dist(a, b, dims, wrap):
    total = 0
    for i, (p, q) in enumerate(zip(a, b, strict=True)):
        d = abs(p - q)
        total += min(d, dims[i] - d) if wrap[i] else d
    return total


def hop_sums(order, mesh_shape, axis, dims=(0, 0, 0), wrap=(False, False, False)):
    """Per group along ``axis``: ICI distance between consecutive members plus the closing pair
    (just the distance for a pair), as the reference defines "hop sum"."""
    grid = np.empty(len(order), dtype=object)
    grid[:] = [tuple(c) for c in order]
    grid = grid.reshape(mesh_shape)
    moved = np.moveaxis(grid, axis, -1).reshape(-1, mesh_shape[axis])
    sums = []
    for group in moved:
        members = list(group)
        if len(members) == 2:
            sums.append(_dist(members[0], members[1], dims, wrap))
            continue
        ring = members + members[:1]
        sums.append(sum(_dist(a, b, dims, wrap) for a, b in itertools.pairwise(ring)))
    return sums


def xy(order):
    return [c[:2] for c in order.coords]


def test_v5e_2x2_ring_and_diagonal_pairs():
    o = make_mesh_order("v5e:2x2", (4,))
    assert xy(o) == [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert hop_sums(o.coords, (4,), 0) == [4]
    o = make_mesh_order("v5e:2x2", (2, 2))
    assert xy(o) == [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert hop_sums(o.coords, (2, 2), 0) == [2, 2]  # axis-0 pairs are diagonal
    assert hop_sums(o.coords, (2, 2), 1) == [1, 1]


def test_v5e_8_ring_order_applies_to_any_mesh_shape():
    ring = [(0, 0), (1, 0), (0, 1), (1, 1), (1, 3), (0, 3), (1, 2), (0, 2)]
    for shape in [(8,), (2, 4), (4, 2)]:
        assert xy(make_mesh_order("v5e:2x4", shape)) == ring
    assert hop_sums(make_mesh_order("v5e:2x4", (8,)).coords, (8,), 0) == [12]  # best is 8
    o = make_mesh_order("v5e:2x4", (2, 4)).coords
    # Size-2 pairs 4, 4, 2, 2 hops apart (the reference lists 4,2,2,4: same pairs, other order).
    assert hop_sums(o, (2, 4), 0) == [4, 4, 2, 2]
    assert hop_sums(o, (2, 4), 1) == [6, 6]
    o = make_mesh_order("v5e:2x4", (4, 2))
    assert hop_sums(o.coords, (4, 2), 1) == [1, 1, 1, 1]
    assert xy(o)[0::2] == [(0, 0), (0, 1), (1, 3), (1, 2)]  # a size-4 column
    assert hop_sums(o.coords, (4, 2), 0) == [8, 8]


def test_v5e_4x4_examples():
    o = make_mesh_order("v5e:4x4", (16,)).coords
    assert hop_sums(o, (16,), 0) == [16]  # the hard-coded Hamiltonian ring
    o = make_mesh_order("v5e:4x4", (4, 4))
    assert xy(o)[:4] == [(0, 0), (1, 0), (2, 0), (3, 0)]  # last axis = rows along x
    assert hop_sums(o.coords, (4, 4), 0) == [6] * 4 and hop_sums(o.coords, (4, 4), 1) == [6] * 4
    o = make_mesh_order("v5e:4x4", (2, 8))
    assert set(xy(o)[:8]) == {(x, y) for x in range(4) for y in (0, 1)}  # a 4x2 block
    assert xy(o)[:4] == [(0, 0), (0, 1), (1, 0), (1, 1)]  # x-major, y-minor
    assert hop_sums(o.coords, (2, 8), 1) == [14, 14]
    assert hop_sums(o.coords, (2, 8), 0) == [2] * 8  # (x,y) <-> (x,y+2)
    o = make_mesh_order("v5e:4x4", (8, 2))
    assert hop_sums(o.coords, (8, 2), 1) == [1] * 8
    assert {c[0] for c in xy(o)[0::2]} == {0, 2}  # a strided size-8 group
    assert hop_sums(o.coords, (8, 2), 0) == [16, 16]
    o = make_mesh_order("v5e:4x4", (2, 2, 4)).coords
    assert [hop_sums(o, (2, 2, 4), a)[0] for a in (2, 1, 0)] == [6, 1, 2]


def test_split_is_what_make_mesh_uses_on_v5e_and_plain_create_device_mesh_raises():
    for shape in [(2, 8), (8, 2), (2, 2, 4)]:
        orders = jax_orders("v5e:4x4", shape, ("a", "b", "c")[: len(shape)])
        assert orders["create_device_mesh"].error_type == "NotImplementedError"
        assert "Failed to find assignment" in orders["create_device_mesh"].error
        assert orders["create_device_mesh_split"].coords == orders["make_mesh"].coords
        assert orders["make_mesh"].to_json()["device_order"][0] == [0, 0, 0]
        assert "error" in orders["create_device_mesh"].to_json()


def test_v6e_4x4_make_mesh_does_not_split_and_raises():
    for shape in [(2, 8), (8, 2)]:
        o = make_mesh_order("v6e:4x4", shape)
        assert not o.ok and o.error_type == "NotImplementedError"
        assert o.device_ids == () and o.coords == ()
        split = create_device_mesh_order("v6e:4x4", shape, allow_split_physical_axes=True)
        assert split.ok
        assert split.coords == make_mesh_order("v5e:4x4", shape).coords  # same algorithm
    assert make_mesh_order("v6e:4x4", (4, 4)).ok


def test_v5e_4x8_examples():
    o = make_mesh_order("v5e:4x8", (32,))
    assert xy(o)[:9] == [(0, y) for y in range(8)] + [(1, 0)]  # raster, not a ring
    assert hop_sums(o.coords, (32,), 0) == [62]
    o = make_mesh_order("v5e:4x8", (4, 8)).coords
    assert hop_sums(o, (4, 8), 1) == [14] * 4 and hop_sums(o, (4, 8), 0) == [6] * 8
    o = make_mesh_order("v5e:4x8", (8, 4)).coords
    assert hop_sums(o, (8, 4), 0) == [14] * 4 and hop_sums(o, (8, 4), 1) == [6] * 8
    o = make_mesh_order("v5e:4x8", (2, 16)).coords
    assert hop_sums(o, (2, 16), 1) == [30, 30] and hop_sums(o, (2, 16), 0) == [2] * 16
    o = make_mesh_order("v5e:4x8", (16, 2)).coords
    assert hop_sums(o, (16, 2), 1) == [1] * 16 and hop_sums(o, (16, 2), 0) == [32, 32]


def test_v5p_2x2x2_gets_no_gray_ring_from_compile_only_devices():
    # Differs from the reference's prediction (a Gray ring, hop sum 8): libtpu's compile-only
    # v5p devices report device_kind "TPU v5", while JAX 0.10.2 registers its v5p ring handler
    # for "TPU v5p" only, so the general algorithm runs (docs/compilers.md).
    from aoizora.compiler.tpu_topology import tpu_devices

    assert {d.device_kind for d in tpu_devices("v5p:2x2x2")} == {"TPU v5"}
    o = make_mesh_order("v5p:2x2x2", (8,)).coords
    assert o[:4] == ((0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1))  # raster, z fastest
    assert hop_sums(o, (8,), 0) == [14]
    o = make_mesh_order("v5p:2x2x2", (2, 4)).coords
    assert hop_sums(o, (2, 4), 0) == [1] * 4  # reference predicted 2 hops for every pair
    assert hop_sums(o, (2, 4), 1) == [6, 6]


def test_v5p_4x4x4_wrapped_examples():
    dims, wrap = (4, 4, 4), (True, True, True)
    o = make_mesh_order("v5p:4x4x4", (16, 4)).coords
    assert {c[1:] for c in o[:4]} == {(0, 0)}  # size-4 groups along x
    assert hop_sums(o, (16, 4), 1, dims, wrap) == [4] * 16
    assert hop_sums(o, (16, 4), 0, dims, wrap) == [20] * 4
    for shape in [(8, 8), (2, 32)]:
        assert make_mesh_order("v5p:4x4x4", shape).error_type == "NotImplementedError"
    o = create_device_mesh_order("v5p:4x4x4", (8, 8), allow_split_physical_axes=True).coords
    assert hop_sums(o, (8, 8), 0, dims, wrap) == [12] * 8
    assert hop_sums(o, (8, 8), 1, dims, wrap) == [12] * 8
    o = create_device_mesh_order("v5p:4x4x4", (2, 32), allow_split_physical_axes=True).coords
    assert hop_sums(o, (2, 32), 1, dims, wrap) == [52, 52]
    assert hop_sums(o, (2, 32), 0, dims, wrap) == [2] * 32


def test_tpu7x_orders_both_cores_of_a_chip_together():
    o = make_mesh_order("tpu7x:2x2x1", (8,))
    assert o.cores == (0, 1) * 4
    assert [c[:2] for c in o.coords[0::2]] == [(0, 0), (1, 0), (1, 1), (0, 1)]


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="mesh \\[4\\] has 4 devices but v5e:2x4 has 8"):
        make_mesh_order("v5e:2x4", (4,))
    with pytest.raises(ValueError, match="1 axis names"):
        make_mesh_order("v5e:2x4", (2, 4), ("a",))
    with pytest.raises(ValueError, match="positive integers"):
        create_device_mesh_order("v5e:2x4", (0, 8))
    with pytest.raises(ValueError, match="unknown TPU generation"):
        make_mesh_order("v9:2x4", (8,))
