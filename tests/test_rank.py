"""``aoizora rank`` and the placement bindings on compiled HLO fixtures (v5e:2x4, mesh (2,4))."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aoizora
from aoizora.cli.main import main

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
MLP = DATA / "mlp_train.tpu.compiled.hlo"
PROGRAMS = (
    "all_gather",
    "all_to_all",
    "conv",
    "dot_all_reduce",
    "mlp_train",
    "permute",
    "reduce_scatter",
    "scan_layers",
    "scan_shard_map",
)
# jax.make_mesh((2, 4)) on v5e-8 coordinates (shared/reference/tpu-hardware.md 5.8): the 1-D ring
# handler reshaped, so the size-2 pairs are 4, 2, 2, 4 hops apart.
JAX_2X4 = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 3, 0], [0, 3, 0], [1, 2, 0], [0, 2, 0]]
ALL_CHIPS = sorted([x, y, 0] for x in range(2) for y in range(4))


def _rank_json(capsys, *extra: str) -> dict:
    argv = ["rank", "--hlo", str(MLP), "--topology", "v5e:2x4", "--mesh", "2,4", "--json"]
    assert main([*argv, *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def mlp_report() -> dict:
    from aoizora.cli.rank import rank

    return rank(MLP, "v5e:2x4", [2, 4], ["data", "model"], top=20)


def test_json_has_the_required_keys(capsys):
    report = _rank_json(capsys, "--axis-names", "data,model", "--top", "3")
    assert report["label"].startswith("model prediction")
    placements = report["placements"]
    assert len(placements) == 3
    seconds = [p["seconds"] for p in placements]
    assert seconds == sorted(seconds)
    for p in placements:
        assert sorted(p["device_order"]) == ALL_CHIPS
        assert p["breakdown"]["label"] == "model prediction"
    jd = report["jax_default"]
    assert jd["device_order"] == JAX_2X4
    assert jd["rank"] >= 1
    assert jd["seconds"] >= placements[0]["seconds"]


def test_best_placement_puts_the_data_pairs_next_to_each_other(mlp_report):
    best = mlp_report["placements"][0]["device_order"]
    # Logical device i and i+4 differ only on the size-2 "data" axis.
    for i in range(4):
        a, b = best[i], best[i + 4]
        assert abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1
    # JAX's pairs are up to 4 hops apart: it must rank strictly behind the best.
    assert mlp_report["jax_default"]["seconds"] > mlp_report["placements"][0]["seconds"]
    assert mlp_report["jax_default"]["rank"] > 1


def test_breakdown_adds_up(mlp_report):
    for p in mlp_report["placements"]:
        b = p["breakdown"]
        assert b["seconds"] == pytest.approx(p["seconds"], rel=1e-12)
        assert b["seconds"] == pytest.approx(b["compute_seconds"] + b["exposed_comm_seconds"])
        by_kind = sum(x["seconds"] for x in b["exposed_by_kind"])
        by_axes = sum(x["seconds"] for x in b["exposed_by_axes"])
        assert by_kind == pytest.approx(b["exposed_comm_seconds"], rel=1e-9, abs=1e-15)
        assert by_axes == pytest.approx(b["exposed_comm_seconds"], rel=1e-9, abs=1e-15)
        assert {x["name"] for x in b["exposed_by_axes"]} <= {"data", "model", "data+model"}


def test_score_placement_agrees_with_the_ranking(mlp_report):
    core = aoizora.core()
    text = MLP.read_text()
    best = mlp_report["placements"][0]
    scored = core.score_placement(text, "v5e:2x4", [2, 4], ["data", "model"], best["device_order"])
    assert scored["seconds"] == pytest.approx(best["seconds"], rel=1e-12)
    jax = core.score_placement(text, "v5e:2x4", [2, 4], ["data", "model"], JAX_2X4)
    assert jax["seconds"] == pytest.approx(mlp_report["jax_default"]["seconds"], rel=1e-12)


@pytest.mark.parametrize("program", PROGRAMS)
def test_structured_space_holds_the_oracle_optimum(program):
    text = (DATA / f"{program}.tpu.compiled.hlo").read_text()
    oracle = aoizora.core().placement_oracle(text, "v5e:2x4", [2, 4])
    assert oracle["total_count"] == 40320
    assert oracle["reduced_count"] == 40320 // 4
    assert oracle["structured_gap"] == pytest.approx(0.0, abs=1e-12)


def test_placement_space_counts_by_hand():
    # One axis of 4 on a 2x2 square: raster/snake/ring x two axis orders = 6 structures, 4
    # distinct orders (ring == snake here), 2 orbits (the open path and the closed square).
    space = aoizora.core().placement_space("v5e:2x2", [4])
    assert (space["structured_count"], space["distinct_count"], space["reduced_count"]) == (6, 4, 2)
    assert sum(p["members"] for p in space["placements"]) == 4


def test_no_jax_leaves_the_baseline_out(capsys):
    report = _rank_json(capsys, "--no-jax", "--top", "1")
    assert report["jax_default"] is None
    assert len(report["placements"]) == 1


def test_human_output_is_labelled(capsys):
    assert main(["rank", "--hlo", str(MLP), "--topology", "v5e:2x4", "--mesh", "2,4"]) == 0
    out = capsys.readouterr().out
    assert "model prediction" in out
    assert "jax.make_mesh" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mesh", "2,x"], "2,x"),
        (["--mesh", "2,2"], "2,2"),
        (["--mesh", "2,4", "--axis-names", "a"], "'a'"),
        (["--mesh", "2,4", "--top", "0"], "--top"),
        (["--mesh", "2,4", "--topology", "v5e:3x3"], "3x3"),
    ],
)
def test_bad_input_exits_2(capsys, args, message):
    argv = ["rank", "--hlo", str(MLP), "--topology", "v5e:2x4", "--no-jax", *args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_file_exits_2(capsys):
    argv = ["rank", "--hlo", "/nonexistent.hlo", "--topology", "v5e:2x4", "--mesh", "2,4"]
    assert main(argv) == 2
    assert "/nonexistent.hlo" in capsys.readouterr().err
