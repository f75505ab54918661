"""Pre-compile analysis (inputs of the Q1 bound) on the lowered modules in
tests/data/hlo/generated/*.pre.hlo; expected values worked out from the programs in
tests/data/gen_hlo_fixtures.py (mesh data=2 x model=4)."""

from __future__ import annotations

from pathlib import Path

import pytest

import aoizora

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
MODEL_GROUPS = [[0, 1, 2, 3], [4, 5, 6, 7]]
DATA_GROUPS = [[0, 4], [1, 5], [2, 6], [3, 7]]


def pre(name: str) -> dict:
    path = DATA / f"{name}.cpu.pre.hlo"
    return aoizora.core().analyze_precompile_hlo(path.read_text(), str(path))


def test_mesh_and_parameter_bytes():
    r = pre("dot_all_reduce")
    assert r["mesh"] == [("data", 2), ("model", 4)] and r["num_devices"] == 8
    # x f32[64,256] split 2x4 -> [32,64]; w f32[256,128] split over model -> [64,128].
    assert r["parameter_bytes_global"] == 4 * (64 * 256 + 256 * 128)
    assert r["parameter_bytes_per_device"] == 4 * (32 * 64 + 64 * 128)


def test_dot_with_sharded_contracting_dim_leaves_partial_sums():
    r = pre("dot_all_reduce")
    assert r["flops_global"] == 2 * 64 * 128 * 256
    assert r["flops_per_device"] == 2 * 64 * 128 * 256 / 8
    [c] = r["collectives"]
    assert (c["reason"], c["kind"]) == ("partial-sum", "all-reduce")
    assert c["array_bytes"] == 4 * 32 * 128  # the per-device f32[32,128] output buffer
    assert c["groups"] == MODEL_GROUPS


def test_constraint_that_removes_a_split_implies_an_all_gather():
    [c] = pre("all_gather")["collectives"]
    assert (c["reason"], c["kind"]) == ("constraint", "all-gather")
    assert c["array_bytes"] == 4 * 256 * 128  # gathered to the full array
    assert c["groups"] == MODEL_GROUPS


def test_convolution_per_device_flops():
    r = pre("conv")
    # batch over data (2), output features over model (4): 1/8 of the global FLOPs.
    assert r["flops_per_device"] == 2 * 32 * 16 * 4 * 46 * 46
    assert r["flops_global"] == 8 * r["flops_per_device"]


def test_gradient_step_reduces_over_both_axes():
    groups = sorted(tuple(map(tuple, c["groups"])) for c in pre("mlp_train")["collectives"])
    assert tuple(map(tuple, MODEL_GROUPS)) in groups
    assert tuple(map(tuple, DATA_GROUPS)) in groups


@pytest.mark.parametrize(
    ("name", "kind", "array_bytes", "count"),
    [
        ("reduce_scatter", "reduce-scatter", 4 * 128 * 64, 1),
        ("all_to_all", "all-to-all", 4 * 4 * 32 * 256, 1),  # V = group size x buffer
        ("permute", "collective-permute", 4 * 32 * 64, 1),
        ("scan_shard_map", "all-gather", 4 * 128 * 128, 3),
    ],
)
def test_explicit_collectives_in_manual_regions(name, kind, array_bytes, count):
    rows = [c for c in pre(name)["collectives"] if c["kind"] == kind]
    assert len(rows) == 1
    c = rows[0]
    assert c["reason"] == "explicit"
    assert (c["array_bytes"], c["count"]) == (array_bytes, count)
    if kind == "collective-permute":
        assert len(c["pairs"]) == 8
    else:
        assert c["groups"] == MODEL_GROUPS


def test_malformed_precompile_text_raises_with_position():
    with pytest.raises(ValueError, match=r"x\.hlo:2:"):
        aoizora.core().analyze_precompile_hlo("HloModule m\nENTRY e { x = f32[ }\n", "x.hlo")
