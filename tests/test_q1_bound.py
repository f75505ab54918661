"""Q1 (pre-compile bound) against Q2 (best placement of the compiled module) on the project's own
compiled fixtures: the bound must hold for every program, compiler and slice orientation."""

import json
from pathlib import Path

import pytest

from aoizora import _core

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
PROGRAMS = sorted({p.name.split(".")[0] for p in DATA.glob("*.pre.hlo")})
# (program, compiler) pairs that exist: a Pallas TPU kernel has no CPU fixture.
PAIRS = sorted(tuple(p.name.split(".")[:2]) for p in DATA.glob("*.pre.hlo"))


@pytest.mark.parametrize("program,compiler", PAIRS)
def test_q1_never_exceeds_the_true_best_q2(program, compiler):
    pre = (DATA / f"{program}.{compiler}.pre.hlo").read_text()
    compiled = (DATA / f"{program}.{compiler}.compiled.hlo").read_text()
    q1 = _core.q1_bound(pre, "v5e:2x4")
    # The true minimum over every permutation of the 8 chips, not just the structured space.
    oracle = _core.placement_oracle(compiled, "v5e:2x4", [2, 4])
    assert 0 < q1["seconds"] <= oracle["best_seconds"]
    assert q1["seconds"] == max(q1["compute_seconds"], q1["comm_seconds"])
    # Each part bounds its counterpart, so slack in one cannot hide a violation in the other.
    best = _core.score_placement(
        compiled, "v5e:2x4", [2, 4], ["data", "model"], oracle["best_device_order"]
    )
    assert q1["compute_seconds"] <= best["compute_seconds"]
    assert q1["comm_seconds"] <= best["comm_seconds"]


def test_fixture_set_is_not_empty():
    assert len(PROGRAMS) >= 10 and ("pallas_attention", "tpu") in PAIRS


def test_q1_counts_a_pallas_kernels_declared_flops():
    """Inside shard_map the kernel's cost estimate is per device; Q1 charges it at the attention
    efficiency, as Q2 does, so the bound is tight on a kernel-only program."""
    pre = (DATA / "pallas_attention.tpu.pre.hlo").read_text()
    compiled = (DATA / "pallas_attention.tpu.compiled.hlo").read_text()
    declared = json.loads((DATA / "pallas_attention.tpu.json").read_text())["cost_analysis"]
    q1 = _core.q1_bound(pre, "v5e:2x4")
    chip = _core.parse_slice_spec("v5e:2x4").chip
    peak = chip["bf16_flops_per_second"] * chip["attention_efficiency"]
    assert q1["compute_seconds"] == pytest.approx(declared["flops"] / peak, rel=1e-12)
    q2 = _core.score_placement(
        compiled,
        "v5e:2x4",
        [2, 4],
        ["data", "model"],
        [[x, y, 0] for y in range(4) for x in range(2)],
    )
    assert q1["compute_seconds"] <= q2["compute_seconds"]


def test_q1_rejects_a_slice_of_another_size():
    pre = (DATA / "all_gather.tpu.pre.hlo").read_text()
    with pytest.raises(ValueError, match="runs on 8 devices but v5e:4x4 has 16"):
        _core.q1_bound(pre, "v5e:4x4")


def test_q1_memory_verdict_uses_the_chip_hbm():
    pre = (DATA / "mlp_train.tpu.pre.hlo").read_text()
    q1 = _core.q1_bound(pre, "v5e:2x4")
    assert q1["fits_memory"] and q1["memory_reason"] == ""
    assert q1["hbm_bytes"] == 16 * 2**30


@pytest.mark.parametrize("program", PROGRAMS)
def test_compile_order_estimate_hides_only_permutes_behind_compute(program):
    q1 = _core.q1_bound((DATA / f"{program}.tpu.pre.hlo").read_text(), "v5e:2x4")
    by_kind = q1["comm_seconds_by_kind"]
    # The per-kind parts are the bandwidth terms; comm adds one latency when anything moves.
    assert sum(by_kind.values()) <= q1["comm_seconds"] + 1e-15
    permute = by_kind.get("collective-permute", 0.0)
    expected = (
        q1["compute_seconds"]
        + (q1["comm_seconds"] - permute)
        + max(0.0, permute - q1["compute_seconds"])
    )
    assert q1["estimate_seconds"] == pytest.approx(expected, rel=1e-12)
    assert q1["estimate_seconds"] >= q1["seconds"]  # an estimate of Q2 is never below the bound
