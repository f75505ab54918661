"""The compiled-HLO analyzer on the project's own XLA output (tests/data/hlo/generated/).

Expected collectives come from the programs in tests/data/gen_hlo_fixtures.py (mesh (2, 4),
axes ("data", "model"), logical ids = row-major mesh positions), worked out by hand; FLOPs are
checked against XLA's own cost_analysis() recorded in each fixture's JSON sidecar.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aoizora
from aoizora.cli.main import main

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
MODEL_GROUPS = [[0, 1, 2, 3], [4, 5, 6, 7]]  # collectives over 'model' (mesh rows)
DATA_GROUPS = [[0, 4], [1, 5], [2, 6], [3, 7]]  # collectives over 'data' (mesh columns)
RING = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4)]
F32 = 4
BACKENDS = ["cpu", "tpu"]


def analyze(name: str, backend: str) -> dict:
    path = DATA / f"{name}.{backend}.compiled.hlo"
    return aoizora.core().analyze_compiled_hlo(path.read_text(), str(path))


def sidecar(name: str, backend: str) -> dict:
    return json.loads((DATA / f"{name}.{backend}.json").read_text())


def only(result: dict, kind: str) -> dict:
    rows = [c for c in result["collectives"] if c["kind"] == kind]
    assert len(rows) == 1, result["collectives"]
    return rows[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_dot_all_reduce(backend):
    r = analyze("dot_all_reduce", backend)
    assert r["num_partitions"] == 8
    assert len(r["collectives"]) == 1
    ar = only(r, "all-reduce")
    # x[64,256] P(data, model) @ w[256,128] P(model, None): per device [32,64] @ [64,128];
    # partial sums of the f32[32,128] output are all-reduced over 'model'.
    assert ar["bytes_per_device"] == 32 * 128 * F32
    assert ar["bytes_sent_per_device"] == 2 * 3 / 4 * 32 * 128 * F32
    assert (ar["group_size"], ar["num_groups"], ar["count"]) == (4, 2, 1)
    assert ar["groups"] == MODEL_GROUPS
    # dot 2*32*128*64 plus one reduction flop per all-reduced element.
    assert r["flops"] == 2 * 32 * 128 * 64 + 32 * 128


@pytest.mark.parametrize("backend", BACKENDS)
def test_reduce_scatter(backend):
    rs = only(analyze("reduce_scatter", backend), "reduce-scatter")
    # psum_scatter of the per-device f32[128,64] block over 'model'.
    assert rs["bytes_per_device"] == 128 * 64 * F32
    assert (rs["group_size"], rs["groups"]) == (4, MODEL_GROUPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_to_all(backend):
    a2a = only(analyze("all_to_all", backend), "all-to-all")
    # Per-device buffer f32[32,256] (CPU prints the tuple form: 4 operands of [32,64]).
    assert a2a["bytes_per_device"] == 32 * 256 * F32
    assert (a2a["group_size"], a2a["groups"]) == (4, MODEL_GROUPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_permute(backend):
    p = only(analyze("permute", backend), "collective-permute")
    assert p["bytes_per_device"] == 32 * 64 * F32
    assert sorted(map(tuple, p["pairs"])) == sorted(RING)
    assert p["async"] == (backend == "tpu")  # TPU keeps collective-permute-start/-done


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_layers_expands_the_loop(backend):
    r = analyze("scan_layers", backend)
    assert r["while_loops"] == 1
    assert r["warnings"] == []  # CPU: known_trip_count; TPU: induction-variable pattern
    ar = only(r, "all-reduce")
    assert (ar["count"], ar["bytes_per_device"], ar["groups"]) == (4, 32 * 128 * F32, MODEL_GROUPS)
    ag = only(r, "all-gather")  # the final h is gathered over 'model' once, after the loop
    assert (ag["count"], ag["bytes_per_device"], ag["groups"]) == (1, 32 * 128 * F32, MODEL_GROUPS)
    # Each of 4 iterations: dot 2*32*32*128 (contracting dim split 4 ways) and tanh of [32,32].
    assert r["flops"] >= 4 * 2 * 32 * 32 * 128
    assert r["transcendentals"] == 4 * 32 * 32


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_shard_map(backend):
    r = analyze("scan_shard_map", backend)
    ag = only(r, "all-gather")
    # w step slice f32[32,128] gathered to [128,128] over 'model'; TPU gathers it in bf16 (the
    # dot runs in bf16 at default precision), so the payload halves.
    width = F32 if backend == "cpu" else 2
    assert (ag["count"], ag["bytes_per_device"]) == (3, 128 * 128 * width)
    assert ag["groups"] == MODEL_GROUPS
    p = only(r, "collective-permute")
    assert (p["count"], p["bytes_per_device"]) == (3, 32 * 128 * F32)
    if backend == "tpu":
        assert p["async"] and p["window_ops"] >= 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_mlp_train_reduces_gradients(backend):
    r = analyze("mlp_train", backend)
    groups = sorted(tuple(map(tuple, c["groups"])) for c in r["collectives"])
    assert all(c["kind"] == "all-reduce" for c in r["collectives"])
    # One reduction over 'model' (forward partial sums) and one over 'data' (weight gradients).
    assert tuple(map(tuple, MODEL_GROUPS)) in groups
    assert tuple(map(tuple, DATA_GROUPS)) in groups


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv_flops_count_valid_positions(backend):
    r = analyze("conv", backend)
    assert r["collectives"] == []
    if backend == "cpu":
        # Per device [4,16,16,32] * [3,3,32,16], SAME: 46 valid pairs per spatial dim.
        assert r["flops"] == 2 * 32 * 16 * 4 * 46 * 46


@pytest.mark.parametrize(
    "name",
    [
        "all_gather",
        "dot_all_reduce",
        "reduce_scatter",
        "all_to_all",
        "permute",
        "scan_layers",
        "scan_shard_map",
        "mlp_train",
        "conv",
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_flops_agree_with_xla_cost_analysis(name, backend):
    """XLA counts a while body once; so does flops_loop_bodies_once. Exact on both backends."""
    r = analyze(name, backend)
    xla = sidecar(name, backend)["cost_analysis"]
    assert r["flops_loop_bodies_once"] == xla.get("flops", 0.0)
    assert r["transcendentals_loop_bodies_once"] == xla.get("transcendentals", 0.0)


@pytest.mark.parametrize(
    "name",
    [
        "all_gather",
        "dot_all_reduce",
        "reduce_scatter",
        "all_to_all",
        "permute",
        "conv",
        "mlp_train",
    ],
)
def test_cpu_bytes_agree_with_xla_up_to_tuple_pointer_tables(name):
    """XLA adds a tuple's pointer table (8 B per element) to bytes accessed; we count 0."""
    r = analyze(name, "cpu")
    xla = sidecar(name, "cpu")["cost_analysis"]["bytes accessed"]
    assert 0 <= xla - r["bytes_accessed_loop_bodies_once"] <= 8 * 4


def _s1_array_bytes(text: str) -> int:
    """Bytes of every array printed with memory space S(1) (an independent line scan)."""
    import re

    width = {"f32": 4, "bf16": 2, "s32": 4, "u32": 4, "pred": 1, "f16": 2, "s8": 1, "u8": 1}
    total = 0
    for dtype, dims in re.findall(r"(\w+)\[([\d,]*)\]\{[^}]*S\(1\)[^}]*\}", text):
        n = 1
        for d in filter(None, dims.split(",")):
            n *= int(d)
        total += width.get(dtype, 0) * n
    return total


@pytest.mark.parametrize("name", ["mlp_train", "conv", "scan_layers", "scan_shard_map"])
def test_fast_memory_bytes_come_from_s1_layouts(name):
    """libtpu's memory-space assignment puts some arrays in S(1) (VMEM): the analyzer counts
    their traffic apart (it is priced at the fast-memory rate in Q2). CPU modules have none."""
    tpu = analyze(name, "tpu")
    text = (DATA / f"{name}.tpu.compiled.hlo").read_text()
    assert _s1_array_bytes(text) > 0
    assert 0 < tpu["fast_memory_bytes"] < tpu["bytes_accessed"]
    assert analyze(name, "cpu")["fast_memory_bytes"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_gather_mesh_axes_groups(backend):
    ag = only(analyze("all_gather", backend), "all-gather")
    assert ag["bytes_per_device"] == 256 * 128 * F32
    assert ag["groups"] == MODEL_GROUPS


def test_cli_json_keys(capsys):
    assert main(["hlo", "analyze", str(DATA / "scan_layers.tpu.compiled.hlo"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flops"] > 0
    for c in out["collectives"]:
        assert {"kind", "bytes_per_device", "group_size", "num_groups", "async", "count"} <= set(c)
    assert sorted(c["count"] for c in out["collectives"]) == [1, 4]


def test_cli_table(capsys):
    assert main(["hlo", "analyze", str(DATA / "permute.tpu.compiled.hlo")]) == 0
    out = capsys.readouterr().out
    assert "collective" in out and "8.00" in out and "KiB" in out


def test_cli_malformed_file_reports_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.hlo"
    bad.write_text("HloModule m\nENTRY e {\n  x = f32[4 parameter(0)\n}\n")
    assert main(["hlo", "analyze", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and "^" in err


def test_cli_missing_file(capsys):
    assert main(["hlo", "analyze", "/nonexistent/x.hlo"]) == 2
    assert "/nonexistent/x.hlo" in capsys.readouterr().err


def test_compute_profile_matches_q2_compute_and_ranks_ops(capsys):
    """`hlo analyze --topology` splits exactly the compute time Q2 replays (placement-free)."""
    path = DATA / "mlp_train.tpu.compiled.hlo"
    assert main(["hlo", "analyze", str(path), "--topology", "v5e:2x4", "--json", "--top", "5"]) == 0
    profile = json.loads(capsys.readouterr().out)["compute_profile"]
    q2 = aoizora.core().score_placement(
        path.read_text(),
        "v5e:2x4",
        [2, 4],
        ["data", "model"],
        [[x, y, 0] for y in range(4) for x in range(2)],
    )
    assert profile["compute_seconds"] == pytest.approx(q2["compute_seconds"], rel=1e-12)
    assert profile["label"] == "model prediction"
    ops = profile["ops"]
    assert 0 < len(ops) <= 5 and profile["num_ops"] >= len(ops)
    assert [o["seconds"] for o in ops] == sorted((o["seconds"] for o in ops), reverse=True)
    assert sum(o["seconds"] for o in ops) <= profile["compute_seconds"] * (1 + 1e-12)
    for o in ops:
        assert o["seconds"] == pytest.approx(o["count"] * o["seconds_each"])
        # The default (compiler) source takes libtpu's estimate where the op has one, else the
        # roofline: the slowest of its MXU, vector, transcendental and memory sides.
        sides = {
            "mxu": o["flop_seconds_each"],
            "vpu": o["vector_seconds_each"],
            "eup": o["transcendental_seconds_each"],
            "memory": o["memory_seconds_each"],
        }
        assert o["roofline_seconds_each"] == pytest.approx(max(sides.values()))
        assert sides[o["bound"]] == pytest.approx(o["roofline_seconds_each"])
        expected = o["compiler_seconds_each"]
        assert o["from_compiler"] == (expected is not None)
        expected = o["roofline_seconds_each"] if expected is None else expected
        assert o["seconds_each"] == pytest.approx(expected)
    assert 0 <= profile["memory_bound_seconds"] <= profile["compute_seconds"]
    assert 0 < profile["matmul_op_seconds"] <= profile["compute_seconds"]
    summary = json.loads(
        _run_json(capsys, ["hlo", "analyze", str(path), "--topology", "v5e:2x4", "--json"])
    )["compute"]
    assert summary["source"] == "compiler" and summary["ops_with_estimate"] > 0
    assert summary["compiler_estimate_seconds"] == pytest.approx(profile["compute_seconds"])
    assert summary["roofline_seconds"] > 0
    cpu = DATA / "mlp_train.cpu.compiled.hlo"
    summary = json.loads(
        _run_json(capsys, ["hlo", "analyze", str(cpu), "--topology", "v5e:2x4", "--json"])
    )["compute"]
    assert summary["compiler_estimate_seconds"] is None and summary["source"] == "roofline"
    assert summary["ops_with_estimate"] == 0 and summary["ops_without_estimate"] > 0


def _run_json(capsys, argv) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_compute_profile_table_and_bad_topology(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps at the terminal width; keep lines whole
    path = DATA / "scan_layers.tpu.compiled.hlo"
    assert main(["hlo", "analyze", str(path), "--topology", "v5e:2x4"]) == 0
    out = capsys.readouterr().out
    assert "predicted compute on v5e:2x4 (model prediction, compiler source)" in out
    assert "ms total" in out and "roofline" in out
    assert main(["hlo", "analyze", str(path), "--topology", "v5e:3x3"]) == 2
    assert "valid shapes" in capsys.readouterr().err


def test_pallas_kernel_costs_what_it_declares():
    """A Pallas call (tpu_custom_call) counts its backend_config cost_estimate, which is what
    XLA's own cost_analysis reports for the compiled module."""
    r = analyze("pallas_attention", "tpu")
    xla = sidecar("pallas_attention", "tpu")["cost_analysis"]
    assert r["flops"] == xla["flops"] > 0
    assert r["transcendentals"] == xla["transcendentals"]
    assert r["bytes_accessed"] >= xla["bytes accessed"]  # + the module's own copies, if any
